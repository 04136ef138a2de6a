/* runlog_pack.c - format version 3's packed frame content (runlog_pack.h; the layout is
 * doc/runlog.md's "Packed content", which this follows field for field). */
#include "runlog_pack.h"

#include "runlog_xor.h"
#include "wire.h"
#include "wire_fast.h"
#include "wire_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD        10 /* mode, S (u32), n (u32), K */
#define SHAPE_BYTES 8
#define MAX_STATE   15
#define REC_MAX     (43 + 4 * 9 + 9 * MAX_STATE) /* the longest record of a shape: 214 bytes */

/* The columns of every record taken out, in this order, then the state columns. */
enum { C_GAP, C_ID, C_SEQ, C_EPOCH, C_STEP, C_TIME, N_COLS };

typedef struct shape {
    uint8_t t, n_state, w[4]; /* widths of seq, id, epoch, step: 0 (a positive fixint), 1..8 */
} shape;

/* A metric's (id & 255) previous values in this frame; stale (all 0) unless gen is the frame's. */
typedef struct prev {
    uint32_t gen;
    uint64_t step, time, state[MAX_STATE];
} prev;

/* A record taken out, while packing. */
typedef struct taken {
    uint64_t v[N_COLS], state[MAX_STATE];
    uint8_t shape;
} taken;

/* A column being read: its planes (n values each) and the next values, taken out of the planes
 * COL_BLOCK at a time (four sequential reads, not 16 streams interleaved record by record). */
#define COL_BLOCK 256
typedef struct colrd {
    const uint8_t *b;
    size_t n, next; /* values in the column; the next one to take out of the planes */
    unsigned have, pos;
    uint64_t v[COL_BLOCK];
} colrd;

struct tw_runlog_pack {
    uint32_t gen; /* moved by every message */
    uint64_t prev_seq;
    prev prev[256];
    shape shapes[TW_RUNLOG_PACK_SHAPES];
    unsigned n_shapes;
    /* packing */
    taken *rec;
    size_t rec_cap;
    uint64_t *col; /* a state column's values */
    size_t col_cap;
    uint8_t *skel, *out;
    size_t skel_cap, out_cap;
    tw_runlog_xor xor ;
    /* unpacking: each shape's record with its numbers zero, and where they go */
    uint8_t tmpl[TW_RUNLOG_PACK_SHAPES][REC_MAX + 16]; /* (copied 16 bytes at a time) */
    tw_wire_fast_at at[TW_RUNLOG_PACK_SHAPES];
    colrd cols[N_COLS + MAX_STATE];
};

tw_runlog_pack *
tw_runlog_pack_new(void)
{
    return calloc(1, sizeof(tw_runlog_pack));
}

void
tw_runlog_pack_destroy(tw_runlog_pack **pp)
{
    if (!pp || !*pp)
        return;
    tw_runlog_pack *p = *pp;
    *pp = NULL;
    free(p->rec);
    free(p->col);
    free(p->skel);
    free(p->out);
    free(p);
}

/* Makes room for n elements of `size` bytes in b (cap of them now), doubling. Returns the
 * buffer (moved or not), or NULL when out of memory (b unchanged). */
static void *
grow(void *b, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return b;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c *= 2;
    void *nb = realloc(b, c * size);
    if (nb)
        *cap = c;
    return nb;
}

#define GROW(field, cap, n)                                                                        \
    do {                                                                                           \
        void *g_ = grow((field), &(cap), (n), sizeof *(field));                                    \
        if (!g_)                                                                                   \
            return -ENOMEM;                                                                        \
        (field) = g_;                                                                              \
    } while (0)

/* A new frame: every metric's previous values stale, seq's 0. */
static void
frame_start(tw_runlog_pack *p)
{
    if (++p->gen == 0) { /* wrapped: stale entries could look current */
        memset(p->prev, 0, sizeof p->prev);
        p->gen = 1;
    }
    p->prev_seq = 0;
    p->n_shapes = 0;
}

/* Metric id's previous values, made current (0) when stale. */
static inline prev *
prev_of(tw_runlog_pack *p, uint64_t id)
{
    prev *v = &p->prev[id & 0xff];
    if (v->gen != p->gen) {
        memset(v, 0, sizeof *v);
        v->gen = p->gen;
    }
    return v;
}

static inline void
put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t
get_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Writes the n values v[] as four planes of 16-bit little-endian pieces, the low bits' first. */
static void
put_planes(uint8_t *out, size_t n, const uint64_t *v)
{
    for (unsigned j = 0; j < 4; j++, out += 2 * n) {
        for (size_t k = 0; k < n; k++) {
            uint64_t x = v[k] >> (16 * j);
            out[2 * k] = (uint8_t)x;
            out[2 * k + 1] = (uint8_t)(x >> 8);
        }
    }
}

/* The index of the shape of record a (at b), added when new; -1 when there are too many. */
static int
shape_index(tw_runlog_pack *p, const uint8_t *b, const tw_wire_fast_at *a)
{
    shape s = {b[a->t], a->n_state, {a->seq_w, a->id_w, a->epoch_w, a->step_w}};
    for (unsigned i = 0; i < p->n_shapes; i++)
        if (memcmp(&p->shapes[i], &s, sizeof s) == 0)
            return (int)i;
    if (p->n_shapes == TW_RUNLOG_PACK_SHAPES)
        return -1;
    p->shapes[p->n_shapes] = s;
    return (int)p->n_shapes++;
}

/* Takes the record a at b out: its shape and its values, XORed with the previous ones. */
static void
take(tw_runlog_pack *p, const uint8_t *b, const tw_wire_fast_at *a, taken *t, uint64_t gap, int sh)
{
    uint64_t id = tw_wire_fast_uint_at(b + a->id, a->id_w);
    uint64_t seq = tw_wire_fast_uint_at(b + a->seq, a->seq_w);
    uint64_t step = tw_wire_fast_uint_at(b + a->step, a->step_w);
    uint64_t time = tw_wire_fast_be64(b + a->time);
    prev *v = prev_of(p, id);
    t->shape = (uint8_t)sh;
    t->v[C_GAP] = gap;
    t->v[C_ID] = id;
    t->v[C_SEQ] = seq ^ p->prev_seq;
    t->v[C_EPOCH] = tw_wire_fast_uint_at(b + a->epoch, a->epoch_w);
    t->v[C_STEP] = step ^ v->step;
    t->v[C_TIME] = time ^ v->time;
    p->prev_seq = seq;
    v->step = step;
    v->time = time;
    for (unsigned i = 0; i < a->n_state; i++) {
        uint64_t x = tw_wire_fast_be64(b + a->state + TW_WIRE_F64_SIZE * i);
        t->state[i] = x ^ v->state[i];
        v->state[i] = x;
    }
}

/* The delta transform of m (TW_RUNLOG_PACK_XOR), after its mode byte. */
static int
xor_content(tw_runlog_pack *p, const uint8_t *m, size_t n, const uint8_t **out, size_t *outlen)
{
    GROW(p->out, p->out_cap, n + 1);
    p->out[0] = TW_RUNLOG_PACK_XOR;
    memcpy(p->out + 1, m, n);
    tw_runlog_xor_apply(&p->xor, p->out + 1, n, false);
    *out = p->out;
    *outlen = n + 1;
    return 0;
}

/* Takes out the record at m + pos (n bytes in all) when it is in the encoder's layout with t a
 * positive fixint, appending the skeleton bytes since *last; returns its length, or 0 when it
 * is not one (or too many shapes) and stays in the skeleton. */
static size_t
take_at(tw_runlog_pack *p, const uint8_t *m, size_t n, size_t pos, size_t *last, size_t *s,
        size_t *nrec, size_t *state_vals, int *err)
{
    tw_wire_fast_at a;
    int sh;
    if (m[pos] != 0x87 || !tw_wire_fast_match(m + pos, n - pos, &a) || a.t_w != 0 ||
        (sh = shape_index(p, m + pos, &a)) < 0)
        return 0;
    taken *rec = grow(p->rec, &p->rec_cap, *nrec + 1, sizeof *rec);
    if (!rec) {
        *err = -ENOMEM;
        return 0;
    }
    p->rec = rec;
    memcpy(p->skel + *s, m + *last, pos - *last);
    *s += pos - *last;
    take(p, m + pos, &a, &p->rec[(*nrec)++], pos - *last, sh);
    *state_vals += a.n_state;
    *last = pos + a.len;
    return a.len;
}

/* Takes out the records of message m that are elements of its envelope's "recs" array (the
 * first such key) in the encoder's layout; a message that is not a map of string keys is
 * walked only as far as it is one. Returns 0 or -ENOMEM; the counts in *s (skeleton bytes so
 * far), *last, *nrec, *state_vals. */
static int
take_records(tw_runlog_pack *p, const uint8_t *m, size_t n, size_t *last, size_t *s, size_t *nrec,
             size_t *state_vals)
{
    tw_wire_cursor c = {m, m + n};
    uint32_t entries, count;
    int err = 0;
    if (n > UINT32_MAX || tw_wire_read_map(&c, &entries) != 0)
        return 0;
    for (uint32_t i = 0; i < entries; i++) {
        const uint8_t *k;
        size_t kl;
        if (tw_wire_read_key(&c, &k, &kl) != 0)
            return 0;
        if (!k || !tw_wire_str_is(k, kl, "recs")) {
            if (tw_wire_skip_value(&c, 0) != 0)
                return 0;
            continue;
        }
        if (tw_wire_read_array(&c, &count) != 0)
            return 0;
        for (uint32_t j = 0; j < count && c.p < c.end; j++) {
            size_t len = take_at(p, m, n, (size_t)(c.p - m), last, s, nrec, state_vals, &err);
            if (err)
                return err;
            if (len)
                c.p += len;
            else if (tw_wire_skip_value(&c, 0) != 0)
                return 0;
        }
        return 0;
    }
    return 0;
}

int
tw_runlog_pack_message(tw_runlog_pack *p, const uint8_t *m, size_t n, const uint8_t **out,
                       size_t *outlen)
{
    frame_start(p);
    GROW(p->skel, p->skel_cap, n ? n : 1);
    size_t nrec = 0, s = 0, last = 0, state_vals = 0;
    int rc = take_records(p, m, n, &last, &s, &nrec, &state_vals);
    if (rc != 0)
        return rc;
    if (nrec == 0)
        return xor_content(p, m, n, out, outlen);
    memcpy(p->skel + s, m + last, n - last);
    s += n - last;
    size_t len = HEAD + SHAPE_BYTES * p->n_shapes + s + nrec + 8 * N_COLS * nrec + 8 * state_vals;
    GROW(p->out, p->out_cap, len);
    uint8_t *o = p->out;
    o[0] = TW_RUNLOG_PACK_PACKED;
    put_le32(o + 1, (uint32_t)s);
    put_le32(o + 5, (uint32_t)nrec);
    o[9] = (uint8_t)p->n_shapes;
    o += HEAD;
    for (unsigned i = 0; i < p->n_shapes; i++, o += SHAPE_BYTES) {
        const shape *h = &p->shapes[i];
        uint8_t b[SHAPE_BYTES] = {h->t, h->n_state, h->w[0], h->w[1], h->w[2], h->w[3], 0, 0};
        memcpy(o, b, SHAPE_BYTES);
    }
    memcpy(o, p->skel, s);
    o += s;
    for (size_t r = 0; r < nrec; r++)
        *o++ = p->rec[r].shape;
    GROW(p->col, p->col_cap, nrec);
    for (size_t c = 0; c < N_COLS; c++, o += 8 * nrec) {
        for (size_t r = 0; r < nrec; r++)
            p->col[r] = p->rec[r].v[c];
        put_planes(o, nrec, p->col);
    }
    for (unsigned i = 0; i < MAX_STATE; i++) {
        size_t m_i = 0; /* the i-th doubles of the states that have one, in record order */
        for (size_t r = 0; r < nrec; r++)
            if (p->shapes[p->rec[r].shape].n_state > i)
                p->col[m_i++] = p->rec[r].state[i];
        put_planes(o, m_i, p->col);
        o += 8 * m_i;
    }
    *out = p->out;
    *outlen = (size_t)(o - p->out);
    return 0;
}

/* ---- unpacking ------------------------------------------------------------------------- */

static void
col_open(colrd *c, const uint8_t *b, size_t n)
{
    c->b = b;
    c->n = n;
    c->next = 0;
    c->have = c->pos = 0;
}

static inline uint64_t
le16(const uint8_t *q)
{
    return (uint64_t)q[0] | (uint64_t)q[1] << 8;
}

/* Takes the column's next COL_BLOCK values (or those left) out of its four planes. */
static void
col_fill(colrd *c)
{
    size_t k0 = c->next, m = c->n - k0 < COL_BLOCK ? c->n - k0 : COL_BLOCK, s = 2 * c->n;
    const uint8_t *q0 = c->b + 2 * k0, *q1 = q0 + s, *q2 = q1 + s, *q3 = q2 + s;
    for (size_t k = 0; k < m; k++)
        c->v[k] = le16(q0 + 2 * k) | le16(q1 + 2 * k) << 16 | le16(q2 + 2 * k) << 32 |
                  le16(q3 + 2 * k) << 48;
    c->next += m;
    c->have = (unsigned)m;
    c->pos = 0;
}

/* The column's next value (the caller takes at most n). */
static inline uint64_t
col_next(colrd *c)
{
    if (c->pos == c->have)
        col_fill(c);
    return c->v[c->pos++];
}

/* The bytes of a uint token of width w (0: a positive fixint). */
static inline size_t
uint_bytes(unsigned w)
{
    return w ? 1 + (size_t)w : 1;
}

/* Whether v fits a uint of width w (0: a positive fixint). */
static inline bool
uint_fits(uint64_t v, unsigned w)
{
    return w == 8 || v <= (w == 0 ? 0x7fu : ((uint64_t)1 << (8 * w)) - 1);
}

/* Writes a uint token's head for width w at b (its payload left 0); returns its length. */
static size_t
uint_head(uint8_t *b, unsigned w)
{
    b[0] = w == 0 ? 0 : w == 1 ? 0xcc : w == 2 ? 0xcd : w == 4 ? 0xce : 0xcf;
    return uint_bytes(w);
}

/* Writes the uint v of width w into the record at b, where a's offset `off` says. */
static inline void
uint_put(uint8_t *b, uint32_t off, unsigned w, uint64_t v)
{
    uint8_t *q = b + off;
    switch (w) {
    case 0:
    case 1:
        q[0] = (uint8_t)v;
        return;
    case 2:
        q[0] = (uint8_t)(v >> 8);
        q[1] = (uint8_t)v;
        return;
    case 4: {
        uint32_t x = (uint32_t)v;
        q[0] = (uint8_t)(x >> 24);
        q[1] = (uint8_t)(x >> 16);
        q[2] = (uint8_t)(x >> 8);
        q[3] = (uint8_t)x;
        return;
    }
    default:
        for (int i = 7; i >= 0; i--, v >>= 8)
            q[i] = (uint8_t)v;
    }
}

static inline void
be64_put(uint8_t *b, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
    memcpy(b, &v, 8);
#else
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
#endif
}

/* Builds shape i's record with its numbers 0 into p->tmpl[i], and where they go into p->at[i];
 * false for a shape that is not one (doc/runlog.md: t a positive fixint, 0..15 doubles, widths
 * 0, 1, 2, 4 or 8, two bytes of 0). */
static bool
shape_build(tw_runlog_pack *p, unsigned i, const uint8_t *d)
{
    if (d[0] > 0x7f || d[1] > MAX_STATE || d[6] || d[7])
        return false;
    for (int k = 2; k < 6; k++)
        if (d[k] != 0 && d[k] != 1 && d[k] != 2 && d[k] != 4 && d[k] != 8)
            return false;
    uint8_t *b = p->tmpl[i];
    tw_wire_fast_at *a = &p->at[i];
    size_t n = 0;
    static const struct {
        const char *key;
        size_t len;
    } keys[4] = {{"\xa3seq", 4},
                 {"\xa2id", 3},
                 {"\xa5"
                  "epoch",
                  6},
                 {"\xa4step", 5}};
    uint32_t *off[4] = {&a->seq, &a->id, &a->epoch, &a->step};
    uint8_t *w[4] = {&a->seq_w, &a->id_w, &a->epoch_w, &a->step_w};
    memcpy(b, "\x87\xa1t", 3);
    b[3] = d[0];
    a->t = 3;
    a->t_w = 0;
    n = 4;
    for (int k = 0; k < 4; k++) {
        memcpy(b + n, keys[k].key, keys[k].len);
        n += keys[k].len;
        size_t h = uint_head(b + n, d[2 + k]);
        memset(b + n + 1, 0, h - 1);
        *off[k] = (uint32_t)(d[2 + k] ? n + 1 : n);
        *w[k] = d[2 + k];
        n += h;
    }
    memcpy(b + n, "\xa4time\xcb", 6);
    a->time = (uint32_t)n + 6;
    memset(b + n + 6, 0, 8);
    n += 14;
    memcpy(b + n, "\xa5state", 6);
    n += 6;
    b[n++] = (uint8_t)(0x90 | d[1]);
    a->state = (uint32_t)n + 1;
    a->n_state = d[1];
    for (unsigned k = 0; k < d[1]; k++, n += TW_WIRE_F64_SIZE) {
        b[n] = 0xcb;
        memset(b + n + 1, 0, 8);
    }
    a->len = (uint32_t)n;
    return true;
}

/* Mode TW_RUNLOG_PACK_XOR: the message after the transform, undone. */
static int
unxor(tw_runlog_pack *p, const uint8_t *c, size_t n, tw_runlog_out *o, size_t *outlen, char *why,
      size_t whysize)
{
    if (n - 1 == 0) {
        snprintf(why, whysize, "an empty message");
        return -EBADMSG;
    }
    if (tw_runlog_reserve(&o->buf, &o->cap, n - 1) != 0)
        return -ENOMEM;
    uint8_t *b = o->buf;
    memcpy(b, c + 1, n - 1);
    o->n_pre = tw_runlog_xor_apply_read(&p->xor, b, n - 1, o->pre, TW_WIRE_FAST_MAX);
    *outlen = n - 1;
    return 0;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(why, whysize, __VA_ARGS__);                                                       \
        return -EBADMSG;                                                                           \
    } while (0)

/* Where a packed content's parts are, checked against its length (read_layout). */
typedef struct layout {
    const uint8_t *skel, *shapes, *cols; /* the skeleton, the shape column, the others */
    size_t s, nrec, m[MAX_STATE];        /* skeleton bytes, records, values of each state column */
    size_t out;                          /* the message's length */
} layout;

/* Reads and checks the header, the shapes (built into p) and the sizes of a packed content. */
static int
read_layout(tw_runlog_pack *p, const uint8_t *c, size_t n, layout *l, char *why, size_t whysize)
{
    if (n < HEAD)
        BAD("a packed content of %zu bytes", n);
    size_t s = get_le32(c + 1), nrec = get_le32(c + 5), k = c[9];
    if (k == 0 || nrec == 0)
        BAD("a packed content of %zu records and %zu shapes", nrec, k);
    size_t at = HEAD + SHAPE_BYTES * k;
    if (at > n || s > n - at)
        BAD("a packed content shorter than its shapes and skeleton");
    for (unsigned i = 0; i < k; i++)
        if (!shape_build(p, i, c + HEAD + SHAPE_BYTES * i))
            BAD("a bad record shape %u", i);
    const uint8_t *shapes = c + at + s;
    size_t rest = n - at - s; /* the columns: a byte and 48 a record, at least */
    if (nrec > rest / (1 + 8 * N_COLS))
        BAD("%zu records in %zu bytes of columns", nrec, rest);
    memset(l->m, 0, sizeof l->m);
    l->out = s;
    for (size_t r = 0; r < nrec; r++) {
        if (shapes[r] >= k)
            BAD("record %zu of shape %u of %zu", r, shapes[r], k);
        const tw_wire_fast_at *a = &p->at[shapes[r]];
        for (unsigned i = 0; i < a->n_state; i++)
            l->m[i]++;
        l->out += a->len;
    }
    size_t cols = nrec + 8 * N_COLS * nrec;
    for (unsigned i = 0; i < MAX_STATE; i++)
        cols += 8 * l->m[i];
    if (cols != rest)
        BAD("columns of %zu bytes where %zu are due", rest, cols);
    if (l->out > TW_WIRE_MAX_MESSAGE)
        BAD("a message of %zu bytes", l->out);
    l->skel = c + at;
    l->shapes = shapes;
    l->cols = shapes + nrec;
    l->s = s;
    l->nrec = nrec;
    return 0;
}

/* A record's values, taken out of the columns with the XORs undone. */
typedef struct vals {
    uint64_t id, seq, epoch, step, time;
    prev *v; /* its metric's previous values (the states': the caller's, in order) */
} vals;

/* Opens layout l's columns, the frame's previous values reset. */
static void
cols_open(tw_runlog_pack *p, const layout *l)
{
    size_t nrec = l->nrec;
    for (unsigned j = 0; j < N_COLS; j++)
        col_open(&p->cols[j], l->cols + 8 * nrec * j, nrec);
    const uint8_t *sb = l->cols + 8 * N_COLS * nrec;
    for (unsigned i = 0; i < MAX_STATE; sb += 8 * l->m[i], i++)
        col_open(&p->cols[N_COLS + i], sb, l->m[i]);
    frame_start(p);
}

/* The values of record r (shape a) into *x, the XORs undone and each checked against its
 * width; false when one does not fit (corrupt). */
static inline bool
next_values(tw_runlog_pack *p, const tw_wire_fast_at *a, vals *x)
{
    colrd *cr = p->cols;
    x->id = col_next(&cr[C_ID]);
    x->seq = col_next(&cr[C_SEQ]) ^ p->prev_seq;
    x->epoch = col_next(&cr[C_EPOCH]);
    x->v = prev_of(p, x->id);
    x->step = col_next(&cr[C_STEP]) ^ x->v->step;
    x->time = col_next(&cr[C_TIME]) ^ x->v->time;
    if (!uint_fits(x->seq, a->seq_w) || !uint_fits(x->id, a->id_w) ||
        !uint_fits(x->epoch, a->epoch_w) || !uint_fits(x->step, a->step_w))
        return false;
    p->prev_seq = x->seq;
    x->v->step = x->step;
    x->v->time = x->time;
    return true;
}

/* Puts the message of layout l back into b (l->out bytes and room for a template past them),
 * the records as read into o->pre. Returns its length, or -EBADMSG. */
static int
put_back(tw_runlog_pack *p, const layout *l, uint8_t *b, tw_runlog_out *o, size_t *outlen,
         char *why, size_t whysize)
{
    size_t nrec = l->nrec, sp = 0, w = 0;
    colrd *cr = p->cols, *st = p->cols + N_COLS;
    cols_open(p, l);
    for (size_t r = 0; r < nrec; r++) {
        uint64_t gap = col_next(&cr[C_GAP]);
        if (gap > l->s - sp)
            BAD("record %zu past the skeleton's end", r);
        memcpy(b + w, l->skel + sp, (size_t)gap);
        sp += (size_t)gap;
        w += (size_t)gap;
        unsigned h = l->shapes[r];
        const tw_wire_fast_at *a = &p->at[h];
        uint8_t *d = b + w;
        for (uint32_t i = 0; i < a->len; i += 16) /* (past its length: written over next) */
            memcpy(d + i, p->tmpl[h] + i, 16);
        vals x;
        if (!next_values(p, a, &x))
            BAD("record %zu: a number wider than its shape", r);
        uint64_t id = x.id, seq = x.seq, epoch = x.epoch, step = x.step, time = x.time;
        prev *v = x.v;
        uint_put(d, a->seq, a->seq_w, seq);
        uint_put(d, a->id, a->id_w, id);
        uint_put(d, a->epoch, a->epoch_w, epoch);
        uint_put(d, a->step, a->step_w, step);
        be64_put(d + a->time, time);
        for (unsigned i = 0; i < a->n_state; i++) {
            uint64_t y = col_next(&st[i]) ^ v->state[i];
            v->state[i] = y;
            be64_put(d + a->state + TW_WIRE_F64_SIZE * i, y);
        }
        if (o->n_pre < TW_WIRE_FAST_MAX &&
            tw_wire_fast_fill(d, a, &o->pre[o->n_pre], d[a->t], id, seq, epoch, step, time))
            o->n_pre++;
        w += a->len;
    }
    memcpy(b + w, l->skel + sp, l->s - sp);
    *outlen = w + l->s - sp;
    return 0;
}

/* The skeleton of layout l into o->buf and its records handed over without bytes: each at its
 * place in the skeleton (start == next), its state's doubles as float 64 tokens in o->states.
 * Returns 0, -EBADMSG (what put_back would say), -ENOMEM, or 1 when a record is not one the
 * decoder takes as read (tw_wire_fast_fill's rules): the whole message is put back then. */
static int
hand_over(tw_runlog_pack *p, const layout *l, tw_runlog_out *o, size_t *outlen, char *why,
          size_t whysize)
{
    size_t nrec = l->nrec, sp = 0, doubles = 0;
    tw_wire_cursor top = {l->skel, l->skel + l->s};
    uint32_t entries;
    if (tw_wire_read_map(&top, &entries) != 0)
        return 1; /* the envelope's entry count is checked against the bytes left: shorter by
                     the records, the skeleton could fail a count the message passes (and tell
                     a newer protocol's message from a bad one otherwise) */
    for (unsigned i = 0; i < MAX_STATE; i++)
        doubles += l->m[i];
    if (tw_runlog_reserve(&o->buf, &o->cap, l->s) != 0 ||
        tw_runlog_reserve(&o->states, &o->states_cap, doubles ? 9 * doubles : 1) != 0)
        return -ENOMEM;
    uint8_t *b = o->buf, *q = o->states;
    memcpy(b, l->skel, l->s);
    colrd *cr = p->cols, *st = p->cols + N_COLS;
    cols_open(p, l);
    for (size_t r = 0; r < nrec; r++) {
        uint64_t gap = col_next(&cr[C_GAP]);
        if (gap > l->s - sp)
            BAD("record %zu past the skeleton's end", r);
        sp += (size_t)gap;
        if (r + sp >= TW_WIRE_FAST_MAX)
            return 1; /* it might not be among the first TW_WIRE_FAST_MAX elements of the
                         array, which alone the decoder takes as read (every element before
                         it but the records is a byte or more of the skeleton) */
        const tw_wire_fast_at *a = &p->at[l->shapes[r]];
        vals x;
        if (!next_values(p, a, &x))
            BAD("record %zu: a number wider than its shape", r);
        uint64_t id = x.id, seq = x.seq, epoch = x.epoch, step = x.step, time = x.time;
        prev *v = x.v;
        tw_wire_fast *f = &o->pre[r];
        uint8_t t = p->tmpl[l->shapes[r]][a->t];
        memcpy(&f->time, &time, sizeof f->time);
        if ((t != TW_REC_UPDATE && t != TW_REC_EPOCH) || seq == 0 || epoch == 0 ||
            id > UINT32_MAX || !isfinite(f->time) || a->n_state < 1)
            return 1;
        f->start = f->next = b + sp;
        f->state = q;
        f->seq = seq;
        f->epoch = epoch;
        f->step = step;
        f->metric_id = (uint32_t)id;
        f->state_len = a->n_state;
        f->type = t;
        for (unsigned i = 0; i < a->n_state; i++, q += TW_WIRE_F64_SIZE) {
            uint64_t y = col_next(&st[i]) ^ v->state[i];
            v->state[i] = y;
            q[0] = 0xcb;
            be64_put(q + 1, y);
        }
    }
    o->n_pre = nrec;
    *outlen = l->s;
    return 0;
}

int
tw_runlog_unpack_message(tw_runlog_pack *p, const uint8_t *c, size_t n, bool skeleton,
                         tw_runlog_out *o, size_t *outlen, char *why, size_t whysize)
{
    o->n_pre = 0;
    if (!o->pre && !(o->pre = malloc(TW_WIRE_FAST_MAX * sizeof(tw_wire_fast))))
        return -ENOMEM;
    if (n == 0)
        BAD("an empty content");
    if (c[0] == TW_RUNLOG_PACK_XOR)
        return unxor(p, c, n, o, outlen, why, whysize);
    if (c[0] != TW_RUNLOG_PACK_PACKED)
        BAD("unknown content mode %u", (unsigned)c[0]);
    layout l;
    int rc = read_layout(p, c, n, &l, why, whysize);
    if (rc != 0)
        return rc;
    if (skeleton && l.nrec <= TW_WIRE_FAST_MAX) {
        rc = hand_over(p, &l, o, outlen, why, whysize);
        if (rc != 1) {
            if (rc != 0)
                o->n_pre = 0;
            return rc;
        }
    }
    if (tw_runlog_reserve(&o->buf, &o->cap, l.out + REC_MAX) != 0) /* (templates: 16 at a time) */
        return -ENOMEM;
    uint8_t *b = o->buf;
    rc = put_back(p, &l, b, o, outlen, why, whysize);
    if (rc != 0)
        o->n_pre = 0;
    return rc;
}
