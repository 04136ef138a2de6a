/* runlog_pack.h - format version 3's packed frame content (doc/runlog.md, "Packed content").
 *
 * Private to the run log (runlog_zstd.c). In version 2 a compressed frame held the whole wire
 * message, its numbers XORed with their previous values (runlog_xor.h): zstd then decodes a
 * match or literal run for every changing number, ~89 bytes of output a record. Version 3
 * takes the UPDATE and EPOCH records in the encoder's layout (wire_fast.h) out of the message
 * and stores their numbers as columns, each value's 64 bits cut into four 16-bit planes, so
 * that what changes is contiguous and what stays (keys, tags, high bits) is long runs: the
 * content is ~52 bytes a record instead of ~89, zstd decompresses it in about half the time,
 * and the log is 18 % smaller (doc/performance.md, "Run-log format version 3"). What is left of
 * the message (its envelope, the other records) is the "skeleton", stored as it is.
 *
 * Reading, the message is put back byte for byte, and the records taken out are also handed
 * to the decoder as read (tw_wire_fast, as runlog_xor.h's walk does), so it does not parse
 * them again. Everything the content declares is checked before it is used: a content that
 * is not exactly what its header says is corrupt, never read past, and the output grows only
 * to a size that has been checked (the message's, at most TW_WIRE_MAX_MESSAGE, and 214 bytes
 * of room past it). */
#ifndef TW_RUNLOG_PACK_H
#define TW_RUNLOG_PACK_H

#include "runlog_zstd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A content's first byte: how the rest holds the message. */
#define TW_RUNLOG_PACK_XOR    0 /* the message after version 2's delta transform */
#define TW_RUNLOG_PACK_PACKED 1 /* skeleton and columns */

/* The largest number of record shapes (state length, integer widths) a packed content has. */
#define TW_RUNLOG_PACK_SHAPES 255

/* Scratch of packing and unpacking: the previous values by metric, the columns being built. */
typedef struct tw_runlog_pack tw_runlog_pack;

tw_runlog_pack *tw_runlog_pack_new(void);
void tw_runlog_pack_destroy(tw_runlog_pack **p);

/* The content of message m[0..n): packed when it has a record to take out, else the delta
 * transform of it (TW_RUNLOG_PACK_XOR). Returns 0 with *out / *outlen (p's, valid until the
 * next call), or -ENOMEM. */
int tw_runlog_pack_message(tw_runlog_pack *p, const uint8_t *m, size_t n, const uint8_t **out,
                           size_t *outlen);

/* The message of content c[0..n) into o->buf (grown to its checked size), the records taken
 * out handed over as read in o->pre (made on first use; at most TW_WIRE_FAST_MAX, o->n_pre).
 * With `skeleton`, a packed content whose records all are records the decoder takes as read,
 * each with fewer than TW_WIRE_FAST_MAX records and skeleton bytes before it (so it is among
 * the first TW_WIRE_FAST_MAX elements of the array), gives its skeleton instead: the
 * records have no bytes (start == next, at their places) and their states' doubles are in
 * o->states, native (for tw_wire_decode_read or tw_wire_decode_batch only, which decode it as
 * the message). Returns 0 with
 * *outlen, -EBADMSG with a sentence in why for a content that is not a valid one, or -ENOMEM. */
int tw_runlog_unpack_message(tw_runlog_pack *p, const uint8_t *c, size_t n, bool skeleton,
                             tw_runlog_out *o, size_t *outlen, char *why, size_t whysize);

#endif
