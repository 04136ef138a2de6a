/* runlog_xor.c - the run log's delta transform of a wire message (doc/runlog.md, "Compressed
 * frames"): a walk over msgpack tokens that XORs repeated numbers with their previous value.
 * An UPDATE or EPOCH record in the encoder's layout (nearly all of a log) is matched whole and
 * transformed at once, as the token walk would (tw_runlog_xor_apply_tokens, fuzzed against). */
#include "runlog_xor.h"

#include "wire_fast.h"

#include <string.h>

/* The key a value follows: the last string token seen. */
enum key { K_OTHER, K_ID, K_TIME, K_STATE, K_SEQ, K_STEP };

/* Stores a big-endian unsigned integer of w bytes (w <= 8); tw_wire_load_be loads one. */
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

bool
tw_runlog_token_size(const uint8_t *b, size_t avail, size_t *hl, uint64_t *pl)
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
    *pl = sized ? tw_wire_load_be(b + 1, lb) : fixed[i];
    return true;
}

/* XORs the uint of width w (1..8 bytes) at d with *prev, masked to its width, and keeps the
 * value of the pair that is the message's (the input's forward, the output's back), which it
 * returns. */
static inline uint64_t
xor_uint(uint8_t *d, unsigned w, uint64_t *prev, bool inverse)
{
    uint64_t v = tw_wire_fast_uint(d, w); /* w is 1, 2, 4 or 8: a uint 8..64's payload */
    uint64_t x = (v ^ *prev) & (w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1);
    store_be(d, w, x);
    *prev = inverse ? x : v;
    return *prev;
}

/* The same for the 8 bytes of a float 64's payload at d, as they lie (so is what it returns). */
static inline uint64_t
xor_double(uint8_t *d, uint64_t *prev, bool inverse)
{
    uint64_t v, x;
    memcpy(&v, d, 8);
    x = v ^ *prev;
    memcpy(d, &x, 8);
    *prev = inverse ? x : v;
    return *prev;
}

/* The message's values of a record's fields the transform changes (as they are in the message:
 * the input's forward, the output's back), and its id. */
typedef struct rec_vals {
    uint64_t seq, id, step, time; /* time: its 8 bytes as they lie in the message */
} rec_vals;

/* Transforms the record at b whose layout tw_wire_fast_match found, as the token walk would:
 * the same XORs, and the walk's state after its last token (key "state", ordinal the doubles,
 * id). Returns the values it restored (or read), so that reading the record need not read
 * them again. */
static inline rec_vals
xor_record(tw_runlog_xor *s, uint8_t *b, const tw_wire_fast_at *r, unsigned *id, unsigned *ordinal,
           bool inverse)
{
    rec_vals v;
    v.seq = r->seq_w ? xor_uint(b + r->seq, r->seq_w, &s->prev_seq, inverse) : b[r->seq];
    v.id = tw_wire_fast_uint_at(b + r->id, r->id_w);
    *id = (unsigned)(v.id & 0xff);
    v.step = r->step_w ? xor_uint(b + r->step, r->step_w, &s->prev_step[*id], inverse) : b[r->step];
    uint64_t *prev = s->prev_double[*id];
    v.time = xor_double(b + r->time, &prev[0], inverse);
    for (unsigned i = 0; i < r->n_state && i < 7; i++)
        xor_double(b + r->state + 9 * i, &prev[1 + i], inverse);
    *ordinal = r->n_state;
    return v;
}

/* Reads the record at b, just restored by xor_record (its values v), into *f as
 * tw_wire_fast_from would, without reading again what the transform restored. */
static inline bool
read_restored(const uint8_t *b, const tw_wire_fast_at *r, const rec_vals *v, tw_wire_fast *f)
{
    return tw_wire_fast_fill(b, r, f, tw_wire_fast_uint_at(b + r->t, r->t_w), v->id, v->seq,
                             tw_wire_fast_uint_at(b + r->epoch, r->epoch_w), v->step,
                             tw_wire_fast_be64((const uint8_t *)&v->time));
}

/* A layout of a record matched before, as a byte template: the bytes that tw_wire_fast_match
 * looked at (tags, keys, a positive fixint's high bit) under a mask, the numbers' payloads
 * left out. A record whose masked bytes equal it has that layout, field for field at the same
 * offsets: what tw_wire_fast_match would find, in a few 8-byte compares instead of its walk
 * over seven keys. A log's records have a few layouts (one a state length: a Mean's 4
 * doubles, a Sum's or a gauge's 1, ...), interleaved, so the walk keeps the last TMPL_CACHE. */
#define TMPL_WORDS 28 /* 224 bytes: the longest record of the layout is 222 */
#define TMPL_CACHE 4
typedef struct tmpl {
    uint64_t mask[TMPL_WORDS], want[TMPL_WORDS];
    unsigned words;
    uint64_t used; /* when it last fitted (the walk's count of fits): the oldest is replaced */
    tw_wire_fast_at at;
} tmpl;

typedef struct tmpls {
    tmpl t[TMPL_CACHE];
    unsigned n;    /* made so far */
    unsigned last; /* the one that fitted last: tried first */
    uint64_t fits;
} tmpls;

/* Marks the w payload bytes at off (w 0: a positive fixint, whose byte at off must keep its
 * high bit clear) as not fixed by the layout. */
static void
tmpl_payload(uint8_t *mask, uint32_t off, unsigned w)
{
    if (w == 0) {
        mask[off] = 0x80;
        return;
    }
    memset(mask + off, 0, w);
}

/* Makes *t the template of the record at b, whose layout tw_wire_fast_match found (*a). */
static void
tmpl_set(tmpl *t, const uint8_t *b, const tw_wire_fast_at *a)
{
    uint8_t mask[8 * TMPL_WORDS] = {0}, want[8 * TMPL_WORDS] = {0};
    if (a->len > sizeof mask) {
        t->words = 0;
        return;
    }
    memset(mask, 0xff, a->len);
    tmpl_payload(mask, a->t, a->t_w);
    tmpl_payload(mask, a->seq, a->seq_w);
    tmpl_payload(mask, a->id, a->id_w);
    tmpl_payload(mask, a->epoch, a->epoch_w);
    tmpl_payload(mask, a->step, a->step_w);
    tmpl_payload(mask, a->time, 8);
    for (unsigned i = 0; i < a->n_state; i++)
        tmpl_payload(mask, a->state + TW_WIRE_F64_SIZE * i, 8);
    for (uint32_t i = 0; i < a->len; i++)
        want[i] = b[i] & mask[i];
    t->words = (a->len + 7) / 8;
    memcpy(t->mask, mask, sizeof t->mask);
    memcpy(t->want, want, sizeof t->want);
    t->at = *a;
}

/* Whether the record at b (avail bytes on) has the layout of template t. */
static inline bool
tmpl_fits(const tmpl *t, const uint8_t *b, size_t avail)
{
    if (t->words == 0 || avail < 8 * (size_t)t->words)
        return false; /* (the last record of a message: matched the long way) */
    for (unsigned i = 0; i < t->words; i++) {
        uint64_t v;
        memcpy(&v, b + 8 * i, 8);
        if ((v & t->mask[i]) != t->want[i])
            return false; /* (another layout: its state's length differs a few words in) */
    }
    return true;
}

/* Whether the record at b (avail bytes on) is of the encoder's layout (*r its fields): by a
 * template of c when one fits (the last one that fitted first), else by tw_wire_fast_match,
 * whose layout then replaces the template that fitted longest ago. */
static inline bool
match(tmpls *c, const uint8_t *b, size_t avail, tw_wire_fast_at *r)
{
    for (unsigned j = 0, k = c->last; j < c->n; j++, k = k + 1 < c->n ? k + 1 : 0) {
        if (tmpl_fits(&c->t[k], b, avail)) {
            *r = c->t[k].at;
            c->t[k].used = ++c->fits;
            c->last = k;
            return true;
        }
    }
    if (!tw_wire_fast_match(b, avail, r))
        return false;
    unsigned k = 0;
    if (c->n < TMPL_CACHE)
        k = c->n++;
    else
        for (unsigned j = 1; j < TMPL_CACHE; j++)
            k = c->t[j].used < c->t[k].used ? j : k;
    tmpl_set(&c->t[k], b, r);
    c->t[k].used = ++c->fits;
    c->last = k;
    return true;
}

/* Where the walk keeps the records it read (tw_runlog_xor_apply_read). */
typedef struct reads {
    tw_wire_fast *f;
    size_t cap, n;
} reads;

/* The walk; records taken whole when `whole` (tw_runlog_xor_apply), token by token only when
 * not (tw_runlog_xor_apply_tokens); those taken whole, once restored (inverse), also read into
 * *rd when it has room and they are valid fast-path records. */
static void
walk(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse, bool whole, reads *rd)
{
    memset(s, 0, sizeof *s);
    tmpls tp;
    tp.n = tp.last = 0;
    tp.fits = 0;
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
        tw_wire_fast_at r;
        if (whole && t == 0x87 && match(&tp, b + p, n - p, &r)) { /* a record at once */
            rec_vals v = xor_record(s, b + p, &r, &id, &ordinal, inverse);
            if (rd && rd->n < rd->cap && read_restored(b + p, &r, &v, &rd->f[rd->n]))
                rd->n++;
            key = K_STATE;
            p += r.len;
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
        if (!tw_runlog_token_size(b + p, n - p, &hl, &pl) || pl > n - p - hl)
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
            uint64_t v = tw_wire_load_be(d, w);
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
    walk(s, b, n, inverse, true, NULL);
}

size_t
tw_runlog_xor_apply_read(tw_runlog_xor *s, uint8_t *b, size_t n, tw_wire_fast *f, size_t cap)
{
    reads rd = {f, cap, 0};
    walk(s, b, n, true, true, &rd);
    return rd.n;
}

void
tw_runlog_xor_apply_tokens(tw_runlog_xor *s, uint8_t *b, size_t n, bool inverse)
{
    walk(s, b, n, inverse, false, NULL);
}
