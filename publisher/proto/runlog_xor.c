/* runlog_xor.c - the run log's delta transform of a wire message (doc/runlog.md, "Compressed
 * frames"): a walk over msgpack tokens that XORs repeated numbers with their previous value.
 * An UPDATE or EPOCH record in the encoder's layout (nearly all of a log) is matched whole and
 * transformed at once, as the token walk would (tw_runlog_xor_apply_tokens, fuzzed against). */
#include "runlog_xor.h"

#include "wire_fast.h"

#include <string.h>

/* The key a value follows: the last string token seen. */
enum key { K_OTHER, K_ID, K_TIME, K_STATE, K_SEQ, K_STEP };

/* Loads / stores a big-endian unsigned integer of w bytes (w <= 8). */
static uint64_t
load_be(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

static inline void
store_be(uint8_t *p, unsigned w, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (w == 8) { /* one swap and store */
        v = __builtin_bswap64(v);
        memcpy(p, &v, 8);
        return;
    }
    if (w == 4) {
        uint32_t x = __builtin_bswap32((uint32_t)v);
        memcpy(p, &x, 4);
        return;
    }
#endif
    for (unsigned i = w; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

/* Which key the string s (n bytes) is. */
static enum key
key_of(const uint8_t *s, size_t n)
{
    if (n == 2 && memcmp(s, "id", 2) == 0)
        return K_ID;
    if (n == 4 && memcmp(s, "time", 4) == 0)
        return K_TIME;
    if (n == 5 && memcmp(s, "state", 5) == 0)
        return K_STATE;
    if (n == 3 && memcmp(s, "seq", 3) == 0)
        return K_SEQ;
    if (n == 4 && memcmp(s, "step", 4) == 0)
        return K_STEP;
    return K_OTHER;
}

/* The token at b[0..avail): its header's length *hl and payload's length *pl (a container's
 * elements are tokens of their own). Returns false when the header runs past avail. */
static bool
token_size(const uint8_t *b, size_t avail, size_t *hl, uint64_t *pl)
{
    uint8_t t = b[0];
    *hl = 1;
    *pl = 0;
    if (t <= 0x9f || t >= 0xe0 || (t >= 0xc0 && t <= 0xc3))
        return true; /* fixint, fixmap, fixarray, nil, (unused), booleans */
    if (t <= 0xbf) {
        *pl = t & 0x1f; /* fixstr */
        return true;
    }
    /* bin 8/16/32, ext 8/16/32, float 32/64, uint 8..64, int 8..64, fixext 1..16, str 8/16/32,
     * array 16/32, map 16/32: the header's extra bytes (a length field, an ext type byte) */
    static const uint8_t len_bytes[0xe0 - 0xc4] = {1, 2, 4, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0,
                                                   0, 0, 1, 1, 1, 1, 1, 1, 2, 4, 2, 4, 2, 4};
    static const uint8_t fixed[0xe0 - 0xc4] = {0, 0, 0, 0, 0, 0, 4,  8, 1, 2, 4, 8, 1, 2,
                                               4, 8, 1, 2, 4, 8, 16, 0, 0, 0, 0, 0, 0, 0};
    unsigned i = t - 0xc4, lb = len_bytes[i];
    bool ext = t >= 0xc7 && t <= 0xc9;                  /* length, then a type byte */
    bool sized = t <= 0xc9 || (t >= 0xd9 && t <= 0xdb); /* bin, ext, str: a length */
    *hl = 1 + (size_t)lb + (ext ? 1 : 0); /* fixext: its type byte; array, map: a count */
    if (*hl > avail)
        return false;
    *pl = sized ? load_be(b + 1, lb) : fixed[i];
    return true;
}

/* XORs the uint of width w (1..8 bytes) at d with *prev, masked to its width, and keeps the
 * value of the pair that is the message's (the input's forward, the output's back). */
static inline void
xor_uint(uint8_t *d, unsigned w, uint64_t *prev, bool inverse)
{
    uint64_t v = tw_wire_fast_uint(d, w); /* w is 1, 2, 4 or 8: a uint 8..64's payload */
    uint64_t x = (v ^ *prev) & (w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1);
    store_be(d, w, x);
    *prev = inverse ? x : v;
}

/* The same for the 8 bytes of a float 64's payload at d, as they lie. */
static inline void
xor_double(uint8_t *d, uint64_t *prev, bool inverse)
{
    uint64_t v, x;
    memcpy(&v, d, 8);
    x = v ^ *prev;
    memcpy(d, &x, 8);
    *prev = inverse ? x : v;
}

/* Whether the fixstr k (kl bytes with its tag) is at b[*p]; moves *p past it. */
static inline __attribute__((always_inline)) bool
at_key(const uint8_t *b, size_t n, size_t *p, const char *k, size_t kl)
{
    if (!tw_wire_fast_is(b + *p, n - *p, k, kl))
        return false;
    *p += kl;
    return true;
}

/* Whether a positive fixint or uint 8..64 is at b[*p]: its payload's width into *w (0 for a
 * fixint, whose byte is at *at) and offset into *at; moves *p past it. */
static inline __attribute__((always_inline)) bool
at_uint(const uint8_t *b, size_t n, size_t *p, size_t *at, unsigned *w)
{
    if (*p >= n)
        return false;
    uint8_t t = b[*p];
    *w = t <= 0x7f ? 0 : t >= 0xcc && t <= 0xcf ? 1u << (t - 0xcc) : 9;
    if (*w > 8 || n - *p - 1 < *w)
        return false;
    *at = *p + (*w ? 1 : 0);
    *p += 1 + *w;
    return true;
}

/* Where the fields of an UPDATE or EPOCH record in the encoder's layout lie. */
typedef struct rec_at {
    size_t seq, id, step, time, state;
    unsigned seq_w, id_w, step_w, n_state;
} rec_at;

/* Whether b[p..n) starts with a record in the encoder's UPDATE / EPOCH layout (wire_fast.c:
 * a fixmap of t, seq, id, epoch, step, time and state, uints as fixints or uint 8..64, a time
 * double, a fixarray of doubles): its fields' places into *r, its length into *len. */
static bool
match_record(const uint8_t *b, size_t n, size_t p, rec_at *r, size_t *len)
{
    size_t at, p0 = p++;
    unsigned w;
    if (!at_key(b, n, &p, "\xa1t", 2) || !at_uint(b, n, &p, &at, &w) ||
        !at_key(b, n, &p, "\xa3seq", 4) || !at_uint(b, n, &p, &r->seq, &r->seq_w) ||
        !at_key(b, n, &p, "\xa2id", 3) || !at_uint(b, n, &p, &r->id, &r->id_w) ||
        !at_key(b, n, &p,
                "\xa5"
                "epoch",
                6) ||
        !at_uint(b, n, &p, &at, &w) || !at_key(b, n, &p, "\xa4step", 5) ||
        !at_uint(b, n, &p, &r->step, &r->step_w) || !at_key(b, n, &p, "\xa4time", 5) || n - p < 9 ||
        b[p] != 0xcb)
        return false;
    r->time = p + 1;
    p += 9;
    if (!at_key(b, n, &p, "\xa5state", 6) || p >= n || (b[p] & 0xf0) != 0x90)
        return false;
    r->n_state = b[p++] & 0x0f;
    r->state = p + 1;
    if ((n - p) / 9 < r->n_state)
        return false;
    for (unsigned i = 0; i < r->n_state; i++, p += 9)
        if (b[p] != 0xcb)
            return false;
    *len = p - p0;
    return true;
}

/* Transforms the record match_record found, as the token walk would: the same XORs, and the
 * walk's state after its last token (key "state", ordinal the doubles, id). */
static void
xor_record(tw_runlog_xor *s, uint8_t *b, const rec_at *r, unsigned *id, unsigned *ordinal,
           bool inverse)
{
    if (r->seq_w)
        xor_uint(b + r->seq, r->seq_w, &s->prev_seq, inverse);
    *id = r->id_w ? (unsigned)(tw_wire_fast_uint(b + r->id, r->id_w) & 0xff) : b[r->id];
    if (r->step_w)
        xor_uint(b + r->step, r->step_w, &s->prev_step[*id], inverse);
    uint64_t *prev = s->prev_double[*id];
    xor_double(b + r->time, &prev[0], inverse);
    for (unsigned i = 0; i < r->n_state && i < 7; i++)
        xor_double(b + r->state + 9 * i, &prev[1 + i], inverse);
    *ordinal = r->n_state;
}

/* The walk; records taken whole when `whole` (tw_runlog_xor_apply), token by token only when
 * not (tw_runlog_xor_apply_tokens). */
static void
walk(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse, bool whole)
{
    memset(s, 0, sizeof *s);
    enum key key = K_OTHER;
    unsigned ordinal = 0, id = 0;
    size_t p = 0;
    while (p < n) {
        uint8_t t = b[p];
        if (t <= 0x7f) { /* the commonest tokens first: a positive fixint, */
            if (key == K_ID)
                id = t;
            p++;
            continue;
        }
        rec_at r;
        size_t len;
        if (whole && t == 0x87 && match_record(b, n, p, &r, &len)) { /* a record at once */
            xor_record(s, b, &r, &id, &ordinal, inverse);
            key = K_STATE;
            p += len;
            continue;
        }
        if ((t & 0xe0) == 0xa0 && (size_t)(t & 0x1f) < n - p) { /* a whole fixstr (a key) */
            key = key_of(b + p + 1, t & 0x1f);
            ordinal = 0;
            p += 1 + (size_t)(t & 0x1f);
            continue;
        }
        size_t hl;
        uint64_t pl;
        if (!token_size(b + p, n - p, &hl, &pl) || pl > n - p - hl)
            return; /* runs past the end: the rest stays as it is */
        uint8_t *d = b + p + hl;
        if ((t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb)) {
            key = key_of(d, (size_t)pl);
            ordinal = 0;
        } else if (t == 0xcb && (key == K_TIME || (key == K_STATE && ordinal < 7))) {
            /* XOR is bytewise: the 8 bytes as they lie, no byte-order conversion */
            xor_double(d, &s->prev_double[id][key == K_TIME ? 0 : 1 + ordinal], inverse);
        } else if (t <= 0x7f && key == K_ID) {
            id = t;
        } else if (t >= 0xcc && t <= 0xcf) {
            unsigned w = (unsigned)pl;
            uint64_t v = load_be(d, w);
            if (key == K_ID) {
                id = (unsigned)(v & 0xff);
            } else if (key == K_SEQ || key == K_STEP) {
                xor_uint(d, w, key == K_SEQ ? &s->prev_seq : &s->prev_step[id], inverse);
            }
        }
        if (t == 0xcb && key == K_STATE)
            ordinal++;
        p += hl + (size_t)pl;
    }
}

void
tw_runlog_xor_apply(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse)
{
    walk(s, b, n, inverse, true);
}

void
tw_runlog_xor_apply_tokens(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse)
{
    walk(s, b, n, inverse, false);
}
