/* runlog_unpack.c - version 3's packed frame content put back (tw_runlog_unpack_message,
 * runlog_pack.h): the message whole, or its skeleton with its records handed over. The layout
 * is doc/runlog.md's "Packed content", which this follows field for field; runlog_pack.c packs. */
#include "runlog_pack.h"
#include "runlog_pack_impl.h"

#include "runlog_xor.h"
#include "wire.h"
#include "wire_fast.h"
#include "wire_read.h"

#include <errno.h>
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint64_t
le16(const uint8_t *q)
{
    uint16_t v;
    memcpy(&v, q, sizeof v);
    return v;
}
#else
static inline uint64_t
le16(const uint8_t *q)
{
    return (uint64_t)q[0] | (uint64_t)q[1] << 8;
}
#endif

/* Values k0 to k0 + n - 1 of the column of `total` values whose four planes start at b, into
 * out. With SSE2 (every x86-64), eight values at a time: the planes' 16-bit pieces interleaved
 * by unpack instructions (what the compiler did not find on its own: ~9 instructions a value,
 * against ~3). */
static void
col_decode(const uint8_t *restrict b, size_t total, size_t k0, size_t n, uint64_t *restrict out)
{
    const uint8_t *q0 = b + 2 * k0, *q1 = q0 + 2 * total, *q2 = q1 + 2 * total,
                  *q3 = q2 + 2 * total;
    size_t k = 0;
#if defined(__SSE2__)
    for (; k + 8 <= n; k += 8) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(q0 + 2 * k));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(q1 + 2 * k));
        __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(q2 + 2 * k));
        __m128i g = _mm_loadu_si128((const __m128i *)(const void *)(q3 + 2 * k));
        __m128i lo01 = _mm_unpacklo_epi16(a, c), hi01 = _mm_unpackhi_epi16(a, c); /* bits 0-31 */
        __m128i lo23 = _mm_unpacklo_epi16(e, g), hi23 = _mm_unpackhi_epi16(e, g); /* 32-63 */
        __m128i *o = (__m128i *)(void *)(out + k);
        _mm_storeu_si128(o, _mm_unpacklo_epi32(lo01, lo23));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi32(lo01, lo23));
        _mm_storeu_si128(o + 2, _mm_unpacklo_epi32(hi01, hi23));
        _mm_storeu_si128(o + 3, _mm_unpackhi_epi32(hi01, hi23));
    }
#endif
    for (; k < n; k++)
        out[k] = le16(q0 + 2 * k) | le16(q1 + 2 * k) << 16 | le16(q2 + 2 * k) << 32 |
                 le16(q3 + 2 * k) << 48;
}

/* The bytes of a uint token of width w (0: a positive fixint). */
static inline size_t
uint_bytes(unsigned w)
{
    return w ? 1 + (size_t)w : 1;
}

/* The largest uint of width w (0: a positive fixint). */
static inline uint64_t
uint_max(unsigned w)
{
    return w == 8 ? UINT64_MAX : w == 0 ? 0x7fu : ((uint64_t)1 << (8 * w)) - 1;
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
    for (int k = 0; k < 4; k++)
        p->max[i][k] = uint_max(d[2 + k]);
    p->fast_t[i] = (d[0] == TW_REC_UPDATE || d[0] == TW_REC_EPOCH) && d[1] >= 1 ? d[0] : 0;
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

/* The records of each shape byte among the nrec at shapes, into count. In four tallies, record
 * r's in tally r % 4: the increments of one tally wait on each other (each loads what the one
 * before stored, mostly the same counter), so one tally takes a store-to-load latency a record
 * where four take a quarter of it. */
static void
count_shapes(const uint8_t *shapes, size_t nrec, uint32_t count[256])
{
    uint32_t t[4][256];
    memset(t, 0, sizeof t);
    size_t r = 0;
    for (; r + 4 <= nrec; r += 4) {
        t[0][shapes[r]]++;
        t[1][shapes[r + 1]]++;
        t[2][shapes[r + 2]]++;
        t[3][shapes[r + 3]]++;
    }
    for (; r < nrec; r++)
        t[0][shapes[r]]++;
    for (unsigned i = 0; i < 256; i++)
        count[i] = t[0][i] + t[1][i] + t[2][i] + t[3][i];
}

/* Reads and checks the header, the shapes (built into p) and the sizes of a packed content. */
static int
read_layout(tw_runlog_pack *p, const uint8_t *c, size_t n, layout *l, char *why, size_t whysize)
{
    if (n < HEAD)
        BAD("a packed content of %zu bytes", n);
    size_t s = tw_runlog_pack_le32(c + 1), nrec = tw_runlog_pack_le32(c + 5), k = c[9];
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
    uint32_t count[256]; /* records of each shape byte */
    count_shapes(shapes, nrec, count);
    for (size_t i = k; i < 256; i++)
        for (size_t r = 0; count[i] && r < nrec; r++)
            if (shapes[r] >= k)
                BAD("record %zu of shape %u of %zu", r, shapes[r], k);
    memset(l->m, 0, sizeof l->m);
    l->out = s;
    for (unsigned h = 0; h < k; h++) {
        const tw_wire_fast_at *a = &p->at[h];
        for (unsigned i = 0; i < a->n_state; i++)
            l->m[i] += count[h];
        l->out += (size_t)count[h] * a->len;
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

/* Reading layout l's columns: where each starts and how many values it has, and where the
 * window of each state column is (the fixed columns' window is record r's block). */
typedef struct cols {
    const uint8_t *b[N_COLS + MAX_STATE];
    size_t n[N_COLS + MAX_STATE];
    size_t next[MAX_STATE];                   /* a state column's next value to decode */
    unsigned pos[MAX_STATE], have[MAX_STATE]; /* its next value in the window, the window's */
    unsigned uniform; /* every record has this many state doubles (0: not so): state column
                         i's value of record r is its r-th, decoded with the fixed columns */
} cols;

/* Opens layout l's columns into *k, the frame's previous values reset. */
static void
cols_open(tw_runlog_pack *p, const layout *l, cols *k)
{
    const uint8_t *b = l->cols;
    for (unsigned j = 0; j < N_COLS; j++, b += 8 * l->nrec) {
        k->b[j] = b;
        k->n[j] = l->nrec;
    }
    for (unsigned i = 0; i < MAX_STATE; b += 8 * l->m[i], i++) {
        k->b[N_COLS + i] = b;
        k->n[N_COLS + i] = l->m[i];
        k->next[i] = 0;
        k->pos[i] = k->have[i] = 0;
    }
    unsigned ns = 0;
    while (ns < MAX_STATE && l->m[ns] == l->nrec)
        ns++;
    k->uniform = ns && (ns == MAX_STATE || l->m[ns] == 0) ? ns : 0;
    tw_runlog_pack_frame_start(p);
}

/* Decodes the block of the fixed columns that record r starts, when it starts one. */
static inline void
fixed_block(tw_runlog_pack *p, const cols *k, size_t r)
{
    if (r % COL_BLOCK)
        return;
    size_t n = k->n[0] - r < COL_BLOCK ? k->n[0] - r : COL_BLOCK;
    for (unsigned j = 0; j < N_COLS; j++)
        col_decode(k->b[j], k->n[j], r, n, p->fixed[j]);
    for (unsigned i = 0; i < k->uniform; i++)
        col_decode(k->b[N_COLS + i], k->n[N_COLS + i], r, n, p->st[i]);
}

/* State column i's value of record r: its next value (the layout counted them: the caller
 * takes at most m[i]). */
static inline uint64_t
state_next(tw_runlog_pack *p, cols *k, size_t r, unsigned i)
{
    if (k->uniform)
        return p->st[i][r % COL_BLOCK];
    if (k->pos[i] == k->have[i]) {
        size_t left = k->n[N_COLS + i] - k->next[i], n = left < COL_BLOCK ? left : COL_BLOCK;
        col_decode(k->b[N_COLS + i], k->n[N_COLS + i], k->next[i], n, p->st[i]);
        k->next[i] += n;
        k->have[i] = (unsigned)n;
        k->pos[i] = 0;
    }
    return p->st[i][k->pos[i]++];
}

/* A record's values, taken out of the columns with the XORs undone. */
typedef struct vals {
    uint64_t id, seq, epoch, step, time;
    prev *v; /* its metric's previous values (the states': the caller's, in order) */
} vals;

/* The values of record r (shape h) into *x, the XORs undone and each checked against its
 * width; false when one does not fit (corrupt). */
static inline bool
next_values(tw_runlog_pack *p, size_t r, unsigned h, vals *x)
{
    size_t i = r % COL_BLOCK;
    const uint64_t *max = p->max[h];
    x->id = p->fixed[C_ID][i];
    x->seq = p->fixed[C_SEQ][i] ^ p->prev_seq;
    x->epoch = p->fixed[C_EPOCH][i];
    x->v = tw_runlog_pack_prev_of(p, x->id);
    x->step = p->fixed[C_STEP][i] ^ x->v->step;
    x->time = p->fixed[C_TIME][i] ^ x->v->time;
    if ((x->seq > max[0]) | (x->id > max[1]) | (x->epoch > max[2]) | (x->step > max[3]))
        return false;
    p->prev_seq = x->seq;
    x->v->step = x->step;
    x->v->time = x->time;
    return true;
}

/* Record r's gap: the skeleton bytes before it, checked against those left after sp; its
 * block of the fixed columns decoded first when it starts one. */
static inline bool
gap_of(tw_runlog_pack *p, const layout *l, const cols *k, size_t r, size_t *sp, size_t *gap)
{
    fixed_block(p, k, r);
    uint64_t g = p->fixed[C_GAP][r % COL_BLOCK];
    if (g > l->s - *sp)
        return false;
    *gap = (size_t)g;
    *sp += (size_t)g;
    return true;
}

/* Puts the message of layout l back into b (l->out bytes and room for a template past them),
 * the records as read into o->pre. Returns its length, or -EBADMSG. */
static int
put_back(tw_runlog_pack *p, const layout *l, uint8_t *b, tw_runlog_out *o, size_t *outlen,
         char *why, size_t whysize)
{
    size_t nrec = l->nrec, sp = 0, w = 0, gap;
    cols k;
    cols_open(p, l, &k);
    for (size_t r = 0; r < nrec; r++) {
        if (!gap_of(p, l, &k, r, &sp, &gap))
            BAD("record %zu past the skeleton's end", r);
        memcpy(b + w, l->skel + sp - gap, gap);
        w += gap;
        unsigned h = l->shapes[r];
        const tw_wire_fast_at *a = &p->at[h];
        uint8_t *d = b + w;
        for (uint32_t i = 0; i < a->len; i += 16) /* (past its length: written over next) */
            memcpy(d + i, p->tmpl[h] + i, 16);
        vals x;
        if (!next_values(p, r, h, &x))
            BAD("record %zu: a number wider than its shape", r);
        uint64_t id = x.id, seq = x.seq, epoch = x.epoch, step = x.step, time = x.time;
        prev *v = x.v;
        uint_put(d, a->seq, a->seq_w, seq);
        uint_put(d, a->id, a->id_w, id);
        uint_put(d, a->epoch, a->epoch_w, epoch);
        uint_put(d, a->step, a->step_w, step);
        be64_put(d + a->time, time);
        for (unsigned i = 0; i < a->n_state; i++) {
            uint64_t y = state_next(p, &k, r, i) ^ v->state[i];
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
 * place in the skeleton (start == next), its state's doubles in o->states (native: `native`).
 * Returns 0, -EBADMSG (what put_back would say), -ENOMEM, or 1 when a record is not one the
 * decoder takes as read (tw_wire_fast_fill's rules): the whole message is put back then. */
static int
hand_over(tw_runlog_pack *p, const layout *l, tw_runlog_out *o, size_t *outlen, char *why,
          size_t whysize)
{
    size_t nrec = l->nrec, sp = 0, doubles = 0, gap;
    tw_wire_cursor top = {l->skel, l->skel + l->s};
    uint32_t entries;
    if (tw_wire_read_map(&top, &entries) != 0)
        return 1; /* the envelope's entry count is checked against the bytes left: shorter by
                     the records, the skeleton could fail a count the message passes (and tell
                     a newer protocol's message from a bad one otherwise) */
    for (unsigned i = 0; i < MAX_STATE; i++)
        doubles += l->m[i];
    if (tw_runlog_reserve(&o->buf, &o->cap, l->s) != 0)
        return -ENOMEM;
    if (doubles > o->states_cap) {
        double *ns = realloc(o->states, doubles * sizeof *ns);
        if (!ns)
            return -ENOMEM;
        o->states = ns;
        o->states_cap = doubles;
    }
    cols k;
    cols_open(p, l, &k);
    uint8_t *b = o->buf;
    double *q = o->states;
    memcpy(b, l->skel, l->s);
    for (size_t r = 0; r < nrec; r++) {
        if (!gap_of(p, l, &k, r, &sp, &gap))
            BAD("record %zu past the skeleton's end", r);
        if (r + sp >= TW_WIRE_FAST_MAX)
            return 1; /* it might not be among the first TW_WIRE_FAST_MAX elements of the
                         array, which alone the decoder takes as read (every element before
                         it but the records is a byte or more of the skeleton) */
        unsigned h = l->shapes[r];
        const tw_wire_fast_at *a = &p->at[h];
        vals x;
        if (!next_values(p, r, h, &x))
            BAD("record %zu: a number wider than its shape", r);
        tw_wire_fast *f = &o->pre[r];
        uint8_t t = p->fast_t[h];
        memcpy(&f->time, &x.time, sizeof f->time);
        if (!t || x.seq == 0 || x.epoch == 0 || x.id > UINT32_MAX || !isfinite(f->time))
            return 1;
        f->start = f->next = b + sp;
        f->state = (const uint8_t *)q;
        f->seq = x.seq;
        f->epoch = x.epoch;
        f->step = x.step;
        f->metric_id = (uint32_t)x.id;
        f->state_len = a->n_state;
        f->type = t;
        f->native = 1;
        uint64_t *pv = x.v->state;
        if (k.uniform == 4) { /* the usual state (a Mean's), unrolled: no test a double */
            size_t j = r % COL_BLOCK;
            uint64_t y[4];
            for (unsigned i = 0; i < 4; i++)
                y[i] = p->st[i][j] ^ pv[i];
            memcpy(pv, y, sizeof y);
            memcpy(q, y, sizeof y);
            q += 4;
            continue;
        }
        for (unsigned i = 0; i < a->n_state; i++, q++) {
            uint64_t y = state_next(p, &k, r, i) ^ pv[i];
            pv[i] = y;
            double d;
            memcpy(&d, &y, sizeof d);
            *q = d;
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
