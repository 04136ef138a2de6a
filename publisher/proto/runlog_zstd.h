/* runlog_zstd.h - the run log's frame compression (format version 2): zstd, one frame at a time.
 *
 * Private to the run log (runlog.c, runlog_read.c). A compressed frame's stored bytes are one zstd
 * frame whose header declares its content size; that size must be 1 to TW_WIRE_MAX_MESSAGE, and the
 * frame must decompress to exactly that many bytes, or the frame is corrupt. The decompression
 * buffer grows only to a declared size that has been checked, so it never exceeds
 * TW_WIRE_MAX_MESSAGE bytes whatever the file says. */
#ifndef TW_RUNLOG_ZSTD_H
#define TW_RUNLOG_ZSTD_H

#include <stddef.h>
#include <stdint.h>

typedef struct tw_runlog_zstd tw_runlog_zstd;

/* A codec (its zstd contexts are made on first use), or NULL when out of memory. */
tw_runlog_zstd *tw_runlog_zstd_new(void);
void tw_runlog_zstd_destroy(tw_runlog_zstd **z);

/* Delta-transforms (runlog_xor.h) a copy of src[0..len) and compresses it at `level`. Returns 0
 * with *out / *outlen (valid until the next call) when the result is smaller than len; 1 when it is
 * not (store the frame uncompressed); -ENOMEM. */
int tw_runlog_zstd_compress(tw_runlog_zstd *z, int level, const void *src, size_t len,
                            const uint8_t **out, size_t *outlen);

/* Decompresses one stored frame and undoes the delta transform (reading the records it takes
 * whole on the way: tw_runlog_zstd_pre_read). Returns 0 with *out / *outlen
 * (valid until the next call);
 * -EBADMSG with a sentence in why (whysize bytes) for data that is not one zstd frame of a
 * declared content size of 1 to TW_WIRE_MAX_MESSAGE bytes decompressing to exactly that
 * size; -ENOMEM. */
int tw_runlog_zstd_decompress(tw_runlog_zstd *z, const uint8_t *src, size_t len,
                              const uint8_t **out, size_t *outlen, char *why, size_t whysize);

struct tw_wire_fast;

/* The records the last successful tw_runlog_zstd_decompress's inverse transform read
 * (tw_runlog_xor_apply_read; at most TW_WIRE_FAST_MAX, pointing into its output): *f and the
 * count, 0 when it failed. Valid until the next call. */
size_t tw_runlog_zstd_pre_read(const tw_runlog_zstd *z, const struct tw_wire_fast **f);

#endif
