/* runlog_pack.c - format version 3's packed frame content written (tw_runlog_pack_message,
 * runlog_pack.h; the layout is doc/runlog.md's "Packed content", which this follows field for
 * field; runlog_unpack.c puts it back). */
#include "runlog_pack.h"
#include "runlog_pack_impl.h"

#include "runlog_xor.h"
#include "wire.h"
#include "wire_fast.h"
#include "wire_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static inline void
put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
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
    prev *v = tw_runlog_pack_prev_of(p, id);
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
    tw_runlog_pack_frame_start(p);
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
