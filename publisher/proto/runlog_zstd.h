/* runlog_zstd.h - the run log's frame compression (format versions 2 and 3): zstd, one frame at a
 * time.
 *
 * Private to the run log (runlog.c, runlog_read.c). A compressed frame's stored bytes are one zstd
 * frame whose header declares its content size; that size must be 1 to TW_WIRE_MAX_MESSAGE, and the
 * frame must decompress to exactly that many bytes, or the frame is corrupt. The decompression
 * buffer grows only to a declared size that has been checked, so it never exceeds
 * TW_WIRE_MAX_MESSAGE bytes whatever the file says. */
#ifndef TW_RUNLOG_ZSTD_H
#define TW_RUNLOG_ZSTD_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

typedef struct tw_runlog_zstd tw_runlog_zstd;

/* A codec (its zstd contexts are made on first use), or NULL when out of memory. */
tw_runlog_zstd *tw_runlog_zstd_new(void);
void tw_runlog_zstd_destroy(tw_runlog_zstd **z);

/* Compresses message src[0..len) at `level`: its packed content (format version 3,
 * runlog_pack.h) when `packed`, else its delta transform (version 2, runlog_xor.h). Returns 0
 * with *out / *outlen (valid until the next call) when the result is smaller than len; 1 when it
 * is not (store the frame uncompressed); -ENOMEM. */
int tw_runlog_zstd_compress(tw_runlog_zstd *z, int level, bool packed, const void *src, size_t len,
                            const uint8_t **out, size_t *outlen);

struct tw_wire_fast;

/* Where a frame is decompressed to: its message (buf, grown only to a content size that was
 * checked) and the records the inverse transform read from it (pre: room for
 * TW_WIRE_FAST_MAX, made at the first use; n_pre of them, pointing into buf). The reader's;
 * zeroed to start, freed by tw_runlog_out_free. */
typedef struct tw_runlog_out {
    uint8_t *buf;
    size_t cap;
    struct tw_wire_fast *pre;
    size_t n_pre;
    double *states;    /* version 3 read as skeletons: the records' states (runlog_pack.h) */
    size_t states_cap; /* (doubles) */
} tw_runlog_out;

/* Makes the buffer *b (of *cap bytes) hold at least n bytes: grown to exactly n (never
 * doubled: a reader's buffers stay within the sizes doc/runlog.md gives). Returns 0 or -ENOMEM
 * (*b unchanged). */
int tw_runlog_reserve(uint8_t **b, size_t *cap, size_t n);

/* Frees o's buffers and zeroes it. */
void tw_runlog_out_free(tw_runlog_out *o);

/* Decompresses one stored frame and restores its message into o: unpacks it (`packed`, format
 * version 3; runlog_pack.h) or undoes the delta transform (version 2), reading the records it
 * takes whole on the way into o->pre. Returns 0 with the message in o->buf, *outlen bytes;
 * -EBADMSG with a sentence in why (whysize bytes) for data that is not one zstd frame of a
 * declared content size of 1 to TW_WIRE_MAX_MESSAGE bytes decompressing to exactly that size,
 * or (version 3) not a valid content; -ENOMEM. o->n_pre is 0 unless it returns 0. With
 * `skeleton` a version-3 frame may give its skeleton (tw_runlog_unpack_message). */
int tw_runlog_zstd_decompress(tw_runlog_zstd *z, bool packed, bool skeleton, const uint8_t *src,
                              size_t len, tw_runlog_out *o, size_t *outlen, char *why,
                              size_t whysize);

#endif
