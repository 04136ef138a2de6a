/* wire_fast.h - the decoder's fast path for UPDATE and EPOCH records in the encoder's exact
 * layout, read once and kept (compactly) between the decoder's validation and delivery.
 * Private to the decoder (wire_decode.c), like wire_read.h, and to the run log's delta
 * transform (runlog_xor.c), which matches the same layout and reads those records for the
 * decoder while it restores them. The matching is inline here so that both walks inline it. */
#ifndef TW_WIRE_FAST_H
#define TW_WIRE_FAST_H

#include "wire_read.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* Records of one message kept from validation to delivery; the records after these are read
 * again the general way. A fixed bound: the decoder's memory never follows a message's claims. */
#define TW_WIRE_FAST_MAX 4096u

/* The largest state the fast path reads (a fixarray); longer ones go the general way. */
#define TW_WIRE_FAST_MAX_STATE 15u

/* One record read by tw_wire_fast_record: its fields, where it starts, where its state's float
 * 64 tokens start in the message (state_len of them, 9 bytes each, big-endian payloads), and
 * where the next record starts. type 0: not read by the fast path (the general parser reads
 * it). A version-3 run log read as skeletons hands over records with no bytes (start == next)
 * whose states are native doubles (`native`) in a buffer of the reader's (runlog_pack.h). */
typedef struct tw_wire_fast {
    const uint8_t *start, *state, *next;
    uint64_t seq, epoch, step;
    double time;
    uint32_t metric_id;
    uint16_t state_len;
    uint8_t type;
    uint8_t native; /* state: state_len doubles (aligned), not float 64 tokens */
} tw_wire_fast;

/* Reads the record at c when it is an UPDATE or EPOCH written as the encoder writes them: a map
 * of exactly the 7 keys t, seq, id, epoch, step, time, state in that order, as fixstrs, the
 * integers as positive fixints or uint 8..64, the state a fixarray of 1..15 float 64s. Returns
 * true (f filled, c moved past the record) when it is exactly that and valid, with the values
 * the general parser would give it; false otherwise, c unchanged: the general parser reads it
 * then, and accepts or rejects it by the protocol's rules. Nothing is copied. */
bool tw_wire_fast_record(tw_wire_cursor *c, tw_wire_fast *f);

/* Where the fields of a record in that layout lie, as offsets from its first byte (the fixmap
 * tag): each uint's payload and its width (1, 2, 4 or 8 bytes; 0 for a positive fixint, whose
 * own byte is at the offset), the time's and the first state double's payload, the state's
 * doubles, and the record's length. */
typedef struct tw_wire_fast_at {
    uint32_t t, seq, id, epoch, step, time, state, len;
    uint8_t t_w, seq_w, id_w, epoch_w, step_w, n_state;
} tw_wire_fast_at;

/* The layout half of tw_wire_fast_record: whether the n bytes at b start with a record of the
 * encoder's shape (the fixmap, the 7 keys in order, uint tokens, a float 64 time, a fixarray
 * of 0..15 float 64s), looking at tags, lengths and keys only, never at a number's payload;
 * its fields' places into *a. The run log's delta transform matches records by it. */
static inline bool tw_wire_fast_match(const uint8_t *b, size_t n, tw_wire_fast_at *a);

/* The values half: reads the record at b, whose shape tw_wire_fast_match found (*a), into *f
 * with the fast path's rules (t UPDATE or EPOCH, seq and epoch not 0, id a uint 32, a finite
 * time, 1..15 state doubles). Returns whether it is such a record; tw_wire_fast_record is
 * tw_wire_fast_match and then this. */
static inline bool tw_wire_fast_from(const uint8_t *b, const tw_wire_fast_at *a, tw_wire_fast *f);

/* The 8-byte big-endian unsigned integer at p: one load and a byte swap. */
static inline __attribute__((always_inline)) uint64_t
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
static inline __attribute__((always_inline)) uint64_t
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
        uint64_t v;
        memcpy(&v, p, 8);
#define TW_WIRE_FAST_KB(i) (n > (i) ? (uint64_t)(uint8_t)k[i] << (8 * (i)) : 0)
        /* folds to a constant: k and n are (a loop here was not unrolled in a large caller) */
        uint64_t want = TW_WIRE_FAST_KB(0) | TW_WIRE_FAST_KB(1) | TW_WIRE_FAST_KB(2) |
                        TW_WIRE_FAST_KB(3) | TW_WIRE_FAST_KB(4) | TW_WIRE_FAST_KB(5) |
                        TW_WIRE_FAST_KB(6) | TW_WIRE_FAST_KB(7);
#undef TW_WIRE_FAST_KB
        return ((v ^ want) & (n >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1)) == 0;
    }
#endif
    return left >= n && memcmp(p, k, n) == 0;
}

/* f's state (checked by tw_wire_fast_record) as f->state_len native doubles: converted into
 * out, or where they are already (f->native). */
static inline const double *
tw_wire_fast_state(const tw_wire_fast *f, double *out)
{
    if (f->native)
        return (const double *)(const void *)f->state;
    const uint8_t *p = f->state;
    for (uint32_t i = 0; i < f->state_len; i++, p += TW_WIRE_F64_SIZE) {
        uint64_t bits = tw_wire_fast_be64(p + 1);
        memcpy(&out[i], &bits, sizeof(double));
    }
    return out;
}

/* Whether the fixstr k (kl bytes with its tag) is at b[*p]; moves *p past it. */
static inline __attribute__((always_inline)) bool
tw_wire_fast_at_key(const uint8_t *b, size_t n, size_t *p, const char *k, size_t kl)
{
    if (!tw_wire_fast_is(b + *p, n - *p, k, kl))
        return false;
    *p += kl;
    return true;
}

/* Whether a positive fixint or uint 8..64 is at b[*p]: its payload's width into *w (0 for a
 * fixint, whose byte is at *at) and offset into *at; moves *p past it. */
static inline __attribute__((always_inline)) bool
tw_wire_fast_at_uint(const uint8_t *b, size_t n, size_t *p, uint32_t *at, uint8_t *w)
{
    if (*p >= n)
        return false;
    uint8_t t = b[*p];
    unsigned width = t <= 0x7f ? 0 : t >= 0xcc && t <= 0xcf ? 1u << (t - 0xcc) : 9;
    if (width > 8 || n - *p - 1 < width)
        return false;
    *w = (uint8_t)width;
    *at = (uint32_t)(*p + (width ? 1 : 0));
    *p += 1 + width;
    return true;
}

static inline __attribute__((always_inline)) bool
tw_wire_fast_match(const uint8_t *b, size_t n, tw_wire_fast_at *a)
{
    size_t p = 1;
    if (n == 0 || b[0] != 0x87 || n > UINT32_MAX)
        return false;
    if (!tw_wire_fast_at_key(b, n, &p, "\xa1t", 2) ||
        !tw_wire_fast_at_uint(b, n, &p, &a->t, &a->t_w) ||
        !tw_wire_fast_at_key(b, n, &p, "\xa3seq", 4) ||
        !tw_wire_fast_at_uint(b, n, &p, &a->seq, &a->seq_w) ||
        !tw_wire_fast_at_key(b, n, &p, "\xa2id", 3) ||
        !tw_wire_fast_at_uint(b, n, &p, &a->id, &a->id_w) ||
        !tw_wire_fast_at_key(b, n, &p,
                             "\xa5"
                             "epoch",
                             6) ||
        !tw_wire_fast_at_uint(b, n, &p, &a->epoch, &a->epoch_w) ||
        !tw_wire_fast_at_key(b, n, &p, "\xa4step", 5) ||
        !tw_wire_fast_at_uint(b, n, &p, &a->step, &a->step_w) ||
        !tw_wire_fast_at_key(b, n, &p, "\xa4time", 5) || n - p < TW_WIRE_F64_SIZE || b[p] != 0xcb)
        return false;
    a->time = (uint32_t)p + 1;
    p += TW_WIRE_F64_SIZE;
    if (!tw_wire_fast_at_key(b, n, &p, "\xa5state", 6) || p >= n || (b[p] & 0xf0) != 0x90)
        return false;
    unsigned k = b[p++] & 0x0f;
    if (n - p < (size_t)TW_WIRE_F64_SIZE * k) /* (not a division: 9 is no power of two) */
        return false;
    a->n_state = (uint8_t)k;
    a->state = (uint32_t)p + 1;
    for (unsigned i = 0; i < k; i++, p += TW_WIRE_F64_SIZE)
        if (b[p] != 0xcb)
            return false;
    a->len = (uint32_t)p;
    return true;
}

/* The uint whose payload (w bytes; 0: a fixint, its own byte) is at p. */
static inline __attribute__((always_inline)) uint64_t
tw_wire_fast_uint_at(const uint8_t *p, unsigned w)
{
    return w ? tw_wire_fast_uint(p, w) : p[0];
}

/* The checks and the filling of tw_wire_fast_from, from the record's values read already: t,
 * id, seq, epoch, step and the time's 64 bits. */
static inline __attribute__((always_inline)) bool
tw_wire_fast_fill(const uint8_t *b, const tw_wire_fast_at *a, tw_wire_fast *f, uint64_t t,
                  uint64_t id, uint64_t seq, uint64_t epoch, uint64_t step, uint64_t time_bits)
{
    f->seq = seq;
    f->epoch = epoch;
    f->step = step;
    memcpy(&f->time, &time_bits, sizeof(double));
    if ((t != TW_REC_UPDATE && t != TW_REC_EPOCH) || f->seq == 0 || id > UINT32_MAX ||
        f->epoch == 0 || !isfinite(f->time) || a->n_state < 1)
        return false;
    f->start = b;
    f->state = b + a->state - 1;
    f->next = b + a->len;
    f->metric_id = (uint32_t)id;
    f->state_len = a->n_state;
    f->type = (uint8_t)t;
    f->native = 0;
    return true;
}

static inline __attribute__((always_inline)) bool
tw_wire_fast_from(const uint8_t *b, const tw_wire_fast_at *a, tw_wire_fast *f)
{
    return tw_wire_fast_fill(
        b, a, f, tw_wire_fast_uint_at(b + a->t, a->t_w), tw_wire_fast_uint_at(b + a->id, a->id_w),
        tw_wire_fast_uint_at(b + a->seq, a->seq_w), tw_wire_fast_uint_at(b + a->epoch, a->epoch_w),
        tw_wire_fast_uint_at(b + a->step, a->step_w), tw_wire_fast_be64(b + a->time));
}

#endif
