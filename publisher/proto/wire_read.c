/* wire_read.c - the decoder's bounded msgpack reading primitives: integers, floats, strings,
 * map and array headers, and skipping values of any type with bounded nesting.
 *
 * Design note. The decoder does not use msgpack-c's unpacker (which allocates from the counts
 * a message declares); it walks the bytes with a cursor (wire_read.h). Every read checks the
 * bytes left first; every declared count is checked against the bytes left before it is used
 * (an array element takes at least TW_WIRE_MIN_ELEMENT byte, a map entry at least
 * TW_WIRE_MIN_ENTRY bytes); strings are copied with bounds into fixed arrays, and a string too
 * long rejects the message (never truncated). Values of any type are skipped with nesting
 * bounded by TW_WIRE_MAX_DEPTH, so the recursion is bounded too. Nothing here allocates.
 *
 * Type rules (exact, per doc/protocol.md):
 *   uint   positive fixint, uint 8/16/32/64, or int 8/16/32/64 holding a non-negative value;
 *          narrower fields (uint32) reject larger values
 *   f64    float 64 only (0xcb): no float 32, no integers; times and thresholds must be
 *          finite, states and numeric parameters may be NaN or infinite
 *   str    fixstr, str 8/16/32 (not bin), within the field's byte limit, no NUL byte;
 *          not validated as UTF-8 */
#include "wire_read.h"

#include <math.h>

/* Reads an unsigned integer (see the type rules above) into *v. Returns 0 or TW_WIRE_BAD. */
int
tw_wire_read_uint(tw_wire_cursor *c, uint64_t *v)
{
    if (c->p == c->end)
        return TW_WIRE_BAD;
    uint8_t tag = *c->p;
    if (tag <= 0x7f) {
        *v = tag;
        c->p++;
        return 0;
    }
    unsigned n;
    bool is_signed = false;
    switch (tag) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        n = 1u << (tag - 0xcc);
        break;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        n = 1u << (tag - 0xd0);
        is_signed = true;
        break;
    default:
        return TW_WIRE_BAD;
    }
    if (tw_wire_left(c) < 1 + (size_t)n)
        return TW_WIRE_BAD;
    uint64_t x = tw_wire_load_be(c->p + 1, n);
    if (is_signed && (x >> (8 * n - 1)) != 0)
        return TW_WIRE_BAD; /* a negative value */
    *v = x;
    c->p += 1 + n;
    return 0;
}

/* Reads an unsigned integer in [min, max]. Returns 0 or TW_WIRE_BAD. */
int
tw_wire_read_uint_in(tw_wire_cursor *c, uint64_t min, uint64_t max, uint64_t *v)
{
    if (tw_wire_read_uint(c, v) != 0 || *v < min || *v > max)
        return TW_WIRE_BAD;
    return 0;
}

/* Reads a uint32. */
int
tw_wire_read_u32(tw_wire_cursor *c, uint32_t *v)
{
    uint64_t x;
    if (tw_wire_read_uint_in(c, 0, UINT32_MAX, &x) != 0)
        return TW_WIRE_BAD;
    *v = (uint32_t)x;
    return 0;
}

/* Reads a float 64 (any value). Returns 0 or TW_WIRE_BAD. */
int
tw_wire_read_f64(tw_wire_cursor *c, double *v)
{
    if (tw_wire_left(c) < TW_WIRE_F64_SIZE || *c->p != 0xcb)
        return TW_WIRE_BAD;
    uint64_t bits = tw_wire_load_be(c->p + 1, 8);
    memcpy(v, &bits, sizeof(*v));
    c->p += TW_WIRE_F64_SIZE;
    return 0;
}

/* Reads a finite float 64. */
int
tw_wire_read_finite(tw_wire_cursor *c, double *v)
{
    if (tw_wire_read_f64(c, v) != 0 || !isfinite(*v))
        return TW_WIRE_BAD;
    return 0;
}

/* Reads a string: *s points at its n bytes in the message. Returns 0 or TW_WIRE_BAD. */
int
tw_wire_read_str(tw_wire_cursor *c, const uint8_t **s, size_t *n)
{
    if (c->p == c->end)
        return TW_WIRE_BAD;
    uint8_t tag = *c->p;
    size_t hdr;
    if ((tag & 0xe0) == 0xa0) {
        hdr = 1;
        *n = tag & 0x1f;
    } else if (tag >= 0xd9 && tag <= 0xdb) {
        unsigned w = 1u << (tag - 0xd9); /* 1, 2, 4 */
        hdr = 1 + w;
        if (tw_wire_left(c) < hdr)
            return TW_WIRE_BAD;
        *n = (size_t)tw_wire_load_be(c->p + 1, w);
    } else {
        return TW_WIRE_BAD;
    }
    if (tw_wire_left(c) < hdr || *n > tw_wire_left(c) - hdr)
        return TW_WIRE_BAD;
    *s = c->p + hdr;
    c->p += hdr + *n;
    return 0;
}

/* Reads a string of at most max bytes (at least 1 when nonempty), without NUL bytes, into
 * dst (max + 1 bytes), NUL-terminated. Returns 0 or TW_WIRE_BAD. */
int
tw_wire_read_strcpy(tw_wire_cursor *c, char *dst, size_t max, bool nonempty)
{
    const uint8_t *s;
    size_t n;
    if (tw_wire_read_str(c, &s, &n) != 0 || n > max || (nonempty && n == 0) || memchr(s, 0, n))
        return TW_WIRE_BAD;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* Reads a map header; checks that its entries can fit in the bytes left. */
int
tw_wire_read_map(tw_wire_cursor *c, uint32_t *n)
{
    if (c->p == c->end)
        return TW_WIRE_BAD;
    uint8_t tag = *c->p;
    size_t hdr = 1;
    if ((tag & 0xf0) == 0x80) {
        *n = tag & 0x0f;
    } else if (tag == 0xde || tag == 0xdf) {
        unsigned w = tag == 0xde ? 2 : 4;
        hdr = 1 + w;
        if (tw_wire_left(c) < hdr)
            return TW_WIRE_BAD;
        *n = (uint32_t)tw_wire_load_be(c->p + 1, w);
    } else {
        return TW_WIRE_BAD;
    }
    if (TW_WIRE_MIN_ENTRY * (uint64_t)*n > tw_wire_left(c) - hdr)
        return TW_WIRE_BAD;
    c->p += hdr;
    return 0;
}

/* Reads an array header; checks that its elements can fit in the bytes left. */
int
tw_wire_read_array(tw_wire_cursor *c, uint32_t *n)
{
    return tw_wire_read_array_plus(c, n, 0);
}

int
tw_wire_read_array_plus(tw_wire_cursor *c, uint32_t *n, size_t extra)
{
    if (c->p == c->end)
        return TW_WIRE_BAD;
    uint8_t tag = *c->p;
    size_t hdr = 1;
    if ((tag & 0xf0) == 0x90) {
        *n = tag & 0x0f;
    } else if (tag == 0xdc || tag == 0xdd) {
        unsigned w = tag == 0xdc ? 2 : 4;
        hdr = 1 + w;
        if (tw_wire_left(c) < hdr)
            return TW_WIRE_BAD;
        *n = (uint32_t)tw_wire_load_be(c->p + 1, w);
    } else {
        return TW_WIRE_BAD;
    }
    if (*n > extra && TW_WIRE_MIN_ELEMENT * ((uint64_t)*n - extra) > tw_wire_left(c) - hdr)
        return TW_WIRE_BAD;
    c->p += hdr;
    return 0;
}

/* Skips hdr header bytes holding a w-byte big-endian length at offset 1, then that many bytes
 * plus extra. Returns 0 or TW_WIRE_BAD. */
static int
skip_sized(tw_wire_cursor *c, unsigned w, size_t extra)
{
    size_t hdr = 1 + (size_t)w;
    if (tw_wire_left(c) < hdr)
        return TW_WIRE_BAD;
    uint64_t n = tw_wire_load_be(c->p + 1, w) + extra;
    if (n > tw_wire_left(c) - hdr)
        return TW_WIRE_BAD;
    c->p += hdr + n;
    return 0;
}

/* Skips fixed bytes after the tag. */
static int
skip_fixed(tw_wire_cursor *c, size_t n)
{
    if (tw_wire_left(c) < 1 + n)
        return TW_WIRE_BAD;
    c->p += 1 + n;
    return 0;
}

/* Skips one value of any type. depth is the number of containers around it that are being
 * skipped; a container deeper than TW_WIRE_MAX_DEPTH rejects the message. Returns 0 or
 * TW_WIRE_BAD. */
int
tw_wire_skip_value(tw_wire_cursor *c, unsigned depth)
{
    if (c->p == c->end)
        return TW_WIRE_BAD;
    uint8_t tag = *c->p;
    uint32_t n;
    bool is_map;
    if (tag <= 0x7f || tag >= 0xe0 || tag == 0xc0 || tag == 0xc2 || tag == 0xc3) {
        c->p++; /* fixints, nil, false, true */
        return 0;
    }
    if ((tag & 0xe0) == 0xa0)
        return skip_fixed(c, tag & 0x1f); /* fixstr */
    switch (tag) {
    case 0xc4: /* bin 8/16/32 */
    case 0xc5:
    case 0xc6:
        return skip_sized(c, 1u << (tag - 0xc4), 0);
    case 0xc7: /* ext 8/16/32: length, type byte, data */
    case 0xc8:
    case 0xc9:
        return skip_sized(c, 1u << (tag - 0xc7), 1);
    case 0xca:
        return skip_fixed(c, 4);
    case 0xcb:
        return skip_fixed(c, 8);
    case 0xcc: /* uint 8..64 */
    case 0xcd:
    case 0xce:
    case 0xcf:
        return skip_fixed(c, 1u << (tag - 0xcc));
    case 0xd0: /* int 8..64 */
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return skip_fixed(c, 1u << (tag - 0xd0));
    case 0xd4: /* fixext 1..16: type byte, data */
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return skip_fixed(c, 1 + (1u << (tag - 0xd4)));
    case 0xd9: /* str 8/16/32 */
    case 0xda:
    case 0xdb:
        return skip_sized(c, 1u << (tag - 0xd9), 0);
    case 0xc1: /* never used */
        return TW_WIRE_BAD;
    default:
        break;
    }
    /* A container: fixmap, fixarray, array 16/32, map 16/32. */
    is_map = (tag & 0xf0) == 0x80 || tag == 0xde || tag == 0xdf;
    if (depth >= TW_WIRE_MAX_DEPTH)
        return TW_WIRE_BAD;
    if ((is_map ? tw_wire_read_map(c, &n) : tw_wire_read_array(c, &n)) != 0)
        return TW_WIRE_BAD;
    uint64_t items = is_map ? 2 * (uint64_t)n : n;
    for (uint64_t i = 0; i < items; i++)
        if (tw_wire_skip_value(c, depth + 1) != 0)
            return TW_WIRE_BAD;
    return 0;
}

/* Reads a map key: *s and *n describe it when it is a string, else *s is NULL and the key
 * has been skipped. Returns 0 or TW_WIRE_BAD. */
int
tw_wire_read_key(tw_wire_cursor *c, const uint8_t **s, size_t *n)
{
    if (c->p != c->end && ((*c->p & 0xe0) == 0xa0 || (*c->p >= 0xd9 && *c->p <= 0xdb)))
        return tw_wire_read_str(c, s, n);
    *s = NULL;
    *n = 0;
    return tw_wire_skip_value(c, 0);
}

/* Skips the n entries of a map whatever they hold. */
int
tw_wire_skip_entries(tw_wire_cursor *c, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (tw_wire_skip_value(c, 0) != 0 || tw_wire_skip_value(c, 0) != 0)
            return TW_WIRE_BAD;
    return 0;
}

/* A METRIC record's goal; see wire_read.h. */
int
tw_wire_read_goal(tw_wire_cursor *c, tw_goal *goal)
{
    const uint8_t *s;
    size_t n;
    if (tw_wire_read_str(c, &s, &n) != 0)
        return TW_WIRE_BAD;
    if (tw_wire_str_is(s, n, "min"))
        *goal = TW_GOAL_MIN;
    else if (tw_wire_str_is(s, n, "max"))
        *goal = TW_GOAL_MAX;
    else
        return TW_WIRE_BAD;
    return 0;
}

/* A RUN_END record's status; see wire_read.h. */
int
tw_wire_read_status(tw_wire_cursor *c, tw_run_status *status)
{
    const uint8_t *s;
    size_t n;
    if (tw_wire_read_str(c, &s, &n) != 0)
        return TW_WIRE_BAD;
    for (int st = TW_RUN_OK; st <= TW_RUN_INTERRUPTED; st++) {
        if (tw_wire_str_is(s, n, tw_wire_status_name((tw_run_status)st))) {
            *status = (tw_run_status)st;
            return 0;
        }
    }
    return TW_WIRE_BAD;
}
