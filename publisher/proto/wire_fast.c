/* wire_fast.c - the decoder's fast path: an UPDATE or EPOCH record in the encoder's exact
 * layout read in one pass, validated by the same rules as the general parser (wire_decode.c).
 *
 * Design note. Nearly every record of a run (log or stream) is an UPDATE or EPOCH written by
 * our encoder: a fixmap of 7 entries whose keys come in one order, so one straight walk reads
 * it, comparing each key's bytes (with its fixstr tag) to a constant. Anything else (another
 * order, an unknown or repeated key, a signed or float integer, a longer state) is left to the
 * general parser, which then decides; so this path only ever accepts what the general parser
 * accepts, with the same values, and rejects nothing itself. */
#include "wire_fast.h"

#include <math.h>

/* Whether the key at *p (n bytes with its fixstr tag, in k) is there; moves *p past it. */
static inline __attribute__((always_inline)) bool
fast_key(const uint8_t **p, const uint8_t *end, const char *k, size_t n)
{
    if (!tw_wire_fast_is(*p, (size_t)(end - *p), k, n))
        return false;
    *p += n;
    return true;
}

/* Reads a positive fixint or uint 8..64 at *p into *v; moves *p past it. */
static inline __attribute__((always_inline)) bool
fast_uint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    if (*p == end)
        return false;
    uint8_t tag = **p;
    if (tag <= 0x7f) {
        *v = tag;
        *p += 1;
        return true;
    }
    if (tag < 0xcc || tag > 0xcf)
        return false;
    unsigned n = 1u << (tag - 0xcc);
    if ((size_t)(end - *p) < 1 + (size_t)n)
        return false;
    *v = tw_wire_fast_uint(*p + 1, n);
    *p += 1 + n;
    return true;
}

bool
tw_wire_fast_record(tw_wire_cursor *c, tw_wire_fast *f)
{
    const uint8_t *p = c->p, *end = c->end;
    uint64_t t, id;
    if (p == end || *p != 0x87)
        return false;
    p++;
    if (!fast_key(&p, end, "\xa1t", 2) || !fast_uint(&p, end, &t) ||
        (t != TW_REC_UPDATE && t != TW_REC_EPOCH))
        return false;
    if (!fast_key(&p, end, "\xa3seq", 4) || !fast_uint(&p, end, &f->seq) || f->seq == 0)
        return false;
    if (!fast_key(&p, end, "\xa2id", 3) || !fast_uint(&p, end, &id) || id > UINT32_MAX)
        return false;
    if (!fast_key(&p, end,
                  "\xa5"
                  "epoch",
                  6) ||
        !fast_uint(&p, end, &f->epoch) || f->epoch == 0)
        return false;
    if (!fast_key(&p, end, "\xa4step", 5) || !fast_uint(&p, end, &f->step))
        return false;
    if (!fast_key(&p, end, "\xa4time", 5) || (size_t)(end - p) < TW_WIRE_F64_SIZE || *p != 0xcb)
        return false;
    uint64_t bits = tw_wire_fast_be64(p + 1);
    memcpy(&f->time, &bits, sizeof(double));
    if (!isfinite(f->time))
        return false;
    p += TW_WIRE_F64_SIZE;
    if (!fast_key(&p, end, "\xa5state", 6) || p == end || (*p & 0xf0) != 0x90)
        return false;
    unsigned n = *p++ & 0x0f;
    if (n < 1 || (size_t)(end - p) / TW_WIRE_F64_SIZE < n)
        return false;
    f->state = p;
    for (unsigned i = 0; i < n; i++, p += TW_WIRE_F64_SIZE)
        if (*p != 0xcb)
            return false;
    f->metric_id = (uint32_t)id;
    f->state_len = (uint16_t)n;
    f->type = (uint8_t)t;
    f->next = p;
    c->p = p;
    return true;
}
