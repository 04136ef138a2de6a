/* runlog_xor.c - the run log's delta transform of a wire message (doc/runlog.md, "Compressed
 * frames"): a walk over msgpack tokens that XORs repeated numbers with their previous value. */
#include "runlog_xor.h"

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

static void
store_be(uint8_t *p, unsigned w, uint64_t v)
{
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

/* Applies the transform; see runlog_xor.h. */
void
tw_runlog_xor_apply(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse)
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
            uint64_t *prev = &s->prev_double[id][key == K_TIME ? 0 : 1 + ordinal];
            uint64_t v, x;
            memcpy(&v, d, 8);
            x = v ^ *prev;
            memcpy(d, &x, 8);
            *prev = inverse ? x : v;
        } else if (t <= 0x7f && key == K_ID) {
            id = t;
        } else if (t >= 0xcc && t <= 0xcf) {
            unsigned w = (unsigned)pl;
            uint64_t v = load_be(d, w);
            if (key == K_ID) {
                id = (unsigned)(v & 0xff);
            } else if (key == K_SEQ || key == K_STEP) {
                uint64_t *prev = key == K_SEQ ? &s->prev_seq : &s->prev_step[id];
                uint64_t x = (v ^ *prev) & (w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1);
                store_be(d, w, x);
                *prev = inverse ? x : v;
            }
        }
        if (t == 0xcb && key == K_STATE)
            ordinal++;
        p += hl + (size_t)pl;
    }
}
