/* wire_fast.h - the decoder's fast path for UPDATE and EPOCH records in the encoder's exact
 * layout, read once and kept (compactly) between the decoder's validation and delivery.
 * Private to the decoder (wire_decode.c), like wire_read.h. */
#ifndef TW_WIRE_FAST_H
#define TW_WIRE_FAST_H

#include "wire_read.h"

#include <stdbool.h>
#include <stdint.h>

/* Records of one message kept from validation to delivery; the records after these are read
 * again the general way. A fixed bound: the decoder's memory never follows a message's claims. */
#define TW_WIRE_FAST_MAX 4096u

/* The largest state the fast path reads (a fixarray); longer ones go the general way. */
#define TW_WIRE_FAST_MAX_STATE 15u

/* One record read by tw_wire_fast_record: its fields, where its state's float 64 tokens start
 * in the message (state_len of them, 9 bytes each, big-endian payloads), and where the next
 * record starts. type 0: not read by the fast path (the general parser reads it). */
typedef struct tw_wire_fast {
    const uint8_t *state, *next;
    uint64_t seq, epoch, step;
    double time;
    uint32_t metric_id;
    uint16_t state_len;
    uint8_t type;
} tw_wire_fast;

/* Reads the record at c when it is an UPDATE or EPOCH written as the encoder writes them: a map
 * of exactly the 7 keys t, seq, id, epoch, step, time, state in that order, as fixstrs, the
 * integers as positive fixints or uint 8..64, the state a fixarray of 1..15 float 64s. Returns
 * true (f filled, c moved past the record) when it is exactly that and valid, with the values
 * the general parser would give it; false otherwise, c unchanged: the general parser reads it
 * then, and accepts or rejects it by the protocol's rules. Nothing is copied. */
bool tw_wire_fast_record(tw_wire_cursor *c, tw_wire_fast *f);

/* The 8-byte big-endian unsigned integer at p: one load and a byte swap. */
static inline uint64_t
tw_wire_fast_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#elif !defined(__BYTE_ORDER__)
    v = tw_wire_load_be(p, 8);
#endif
    return v;
}

/* The w-byte (1, 2, 4 or 8) big-endian unsigned integer at p: a msgpack uint's payload. */
static inline uint64_t
tw_wire_fast_uint(const uint8_t *p, unsigned w)
{
    switch (w) {
    case 1:
        return p[0];
    case 2:
        return (uint64_t)p[0] << 8 | p[1];
    case 4:
        return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
    default:
        return tw_wire_fast_be64(p);
    }
}

/* Whether the n bytes (n <= 8, a constant) at p, of which left are readable, are the n bytes
 * of k: one 8-byte load and a masked compare when 8 bytes are readable, no call to memcmp. */
static inline __attribute__((always_inline)) bool
tw_wire_fast_is(const uint8_t *p, size_t left, const char *k, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (left >= 8) {
        uint64_t v, want = 0;
        memcpy(&v, p, 8);
        for (size_t i = 0; i < n; i++) /* folds to a constant: k and n are */
            want |= (uint64_t)(uint8_t)k[i] << (8 * i);
        return ((v ^ want) & (n >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1)) == 0;
    }
#endif
    return left >= n && memcmp(p, k, n) == 0;
}

/* Converts f's state (checked by tw_wire_fast_record) into f->state_len native doubles. */
static inline void
tw_wire_fast_state(const tw_wire_fast *f, double *out)
{
    const uint8_t *p = f->state;
    for (uint32_t i = 0; i < f->state_len; i++, p += TW_WIRE_F64_SIZE) {
        uint64_t bits = tw_wire_fast_be64(p + 1);
        memcpy(&out[i], &bits, sizeof(double));
    }
}

#endif
