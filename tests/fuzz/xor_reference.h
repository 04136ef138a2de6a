/* xor_reference.h - the run log's delta transform as a plain token walk (doc/runlog.md), the
 * code as it was before the walk took UPDATE and EPOCH records whole: the fuzz target and the
 * unit tests check that tw_runlog_xor_apply gives the same bytes for any input. Test code. */
#ifndef TW_XOR_REFERENCE_H
#define TW_XOR_REFERENCE_H

#include "runlog_xor.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum ref_key { R_OTHER, R_ID, R_TIME, R_STATE, R_SEQ, R_STEP };

/* Loads / stores a big-endian unsigned integer of w bytes (w <= 8). */
static uint64_t
ref_load_be(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

static void
ref_store_be(uint8_t *p, unsigned w, uint64_t v)
{
    for (unsigned i = w; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

/* Which key the string s (n bytes) is. */
static enum ref_key
ref_key_of(const uint8_t *s, size_t n)
{
    if (n == 2 && memcmp(s, "id", 2) == 0)
        return R_ID;
    if (n == 4 && memcmp(s, "time", 4) == 0)
        return R_TIME;
    if (n == 5 && memcmp(s, "state", 5) == 0)
        return R_STATE;
    if (n == 3 && memcmp(s, "seq", 3) == 0)
        return R_SEQ;
    if (n == 4 && memcmp(s, "step", 4) == 0)
        return R_STEP;
    return R_OTHER;
}

/* The token at b[0..avail): its header's length *hl and payload's length *pl (a container's
 * elements are tokens of their own). Returns false when the header runs past avail. */
static bool
ref_token_size(const uint8_t *b, size_t avail, size_t *hl, uint64_t *pl)
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
    *pl = sized ? ref_load_be(b + 1, lb) : fixed[i];
    return true;
}

/* The transform as the token walk alone does it (the code before its one-record fast path). */
static void
xor_reference(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse)
{
    memset(s, 0, sizeof *s);
    enum ref_key key = R_OTHER;
    unsigned ordinal = 0, id = 0;
    size_t p = 0;
    while (p < n) {
        uint8_t t = b[p];
        if (t <= 0x7f) { /* the commonest tokens first: a positive fixint, */
            if (key == R_ID)
                id = t;
            p++;
            continue;
        }
        if ((t & 0xe0) == 0xa0 && (size_t)(t & 0x1f) < n - p) { /* a whole fixstr (a key) */
            key = ref_key_of(b + p + 1, t & 0x1f);
            ordinal = 0;
            p += 1 + (size_t)(t & 0x1f);
            continue;
        }
        size_t hl;
        uint64_t pl;
        if (!ref_token_size(b + p, n - p, &hl, &pl) || pl > n - p - hl)
            return; /* runs past the end: the rest stays as it is */
        uint8_t *d = b + p + hl;
        if ((t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb)) {
            key = ref_key_of(d, (size_t)pl);
            ordinal = 0;
        } else if (t == 0xcb && (key == R_TIME || (key == R_STATE && ordinal < 7))) {
            /* XOR is bytewise: the 8 bytes as they lie, no byte-order conversion */
            uint64_t *prev = &s->prev_double[id][key == R_TIME ? 0 : 1 + ordinal];
            uint64_t v, x;
            memcpy(&v, d, 8);
            x = v ^ *prev;
            memcpy(d, &x, 8);
            *prev = inverse ? x : v;
        } else if (t <= 0x7f && key == R_ID) {
            id = t;
        } else if (t >= 0xcc && t <= 0xcf) {
            unsigned w = (unsigned)pl;
            uint64_t v = ref_load_be(d, w);
            if (key == R_ID) {
                id = (unsigned)(v & 0xff);
            } else if (key == R_SEQ || key == R_STEP) {
                uint64_t *prev = key == R_SEQ ? &s->prev_seq : &s->prev_step[id];
                uint64_t x = (v ^ *prev) & (w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1);
                ref_store_be(d, w, x);
                *prev = inverse ? x : v;
            }
        }
        if (t == 0xcb && key == R_STATE)
            ordinal++;
        p += hl + (size_t)pl;
    }
}

#endif
