/* runlog_xor.h - the run log's delta transform of a wire message before zstd (format version 2).
 *
 * Private to the run log. The transform walks the message's msgpack tokens and XORs the
 * payload of some numbers with the same field's previous value in the frame (a time or state
 * double with the same metric's previous one, a seq with the previous seq, a step with the
 * same metric's previous step), so that what repeats becomes zero bytes for zstd. It changes
 * no token's type or length, only those payload bytes, so the walk sees the same tokens in
 * both directions and the inverse restores the message exactly, for any bytes at all (a walk
 * that meets a token running past the end stops there and leaves the rest as it is).
 * doc/runlog.md specifies it byte for byte. */
#ifndef TW_RUNLOG_XOR_H
#define TW_RUNLOG_XOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the walk remembers within one frame: ~18 KB, reset by every call. */
typedef struct tw_runlog_xor {
    uint64_t prev_double[256][8]; /* [metric id & 255][0: time, 1..7: state[0..6]], the 8
                                     bytes as they lie in the message */
    uint64_t prev_step[256];      /* [metric id & 255] */
    uint64_t prev_seq;
} tw_runlog_xor;

/* Transforms the n bytes at b in place: forward (inverse false, before compressing) or back
 * (inverse true, after decompressing). s is scratch, reset here. Never reads or writes
 * outside b[0..n). */
void tw_runlog_xor_apply(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse);

struct tw_wire_fast;

/* The msgpack token at b[0..avail): its header's length *hl and payload's length *pl (a
 * container's elements are tokens of their own; doc/runlog.md's table). Returns false when the
 * header runs past avail. Shared with the packer (runlog_pack.c). */
bool tw_runlog_token_size(const uint8_t *b, size_t avail, size_t *hl, uint64_t *pl);

/* The inverse transform (tw_runlog_xor_apply with inverse true), which also hands the decoder
 * what it learnt: the UPDATE and EPOCH records it took whole and that are valid fast-path
 * records (tw_wire_fast_from, on the restored bytes), up to cap of them into f, in the
 * message's order; returns how many. The decoder takes them instead of reading those records
 * again (tw_wire_decode_read). */
size_t tw_runlog_xor_apply_read(tw_runlog_xor *s, uint8_t *b, size_t n, struct tw_wire_fast *f,
                                size_t cap);

/* The same transform by the token walk alone: tw_runlog_xor_apply takes an UPDATE or EPOCH
 * record in the encoder's layout whole, and must give exactly these bytes for any input (the
 * fuzz target fuzz_runlog_xor checks it). For tests. */
void tw_runlog_xor_apply_tokens(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse);

#endif
