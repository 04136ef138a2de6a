/* fuzz_wire.c - libFuzzer target for the wire decoder: decodes any input, one by one and in
 * batches (the same records must come), and for every message it accepts, re-encodes the
 * delivered records, decodes them again and checks that the same records come back (abort() on
 * any difference: the encoder and decoder disagree). */
#include "wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The records of one decoded message, deep-copied (the harness may allocate). */
typedef struct copies {
    size_t n, cap;
    tw_wire_header h;
    tw_wire_record *recs;
} copies;

/* Aborts with a message: a bug in the wire code. */
static void
bug(const char *what)
{
    fprintf(stderr, "fuzz_wire: %s\n", what);
    abort();
}

/* Callback: copies the record. */
static int
keep(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    copies *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
        if (!c->recs)
            bug("out of memory");
    }
    tw_wire_record *k = &c->recs[c->n++];
    *k = *r;
    c->h = *h;
    k->state = NULL;
    k->params = NULL;
    if (r->type == TW_REC_UPDATE || r->type == TW_REC_EPOCH) {
        if (!r->state || r->state_len == 0 || r->state_len > TW_WIRE_MAX_STATE)
            bug("state missing or too long");
        double *s = malloc(r->state_len * sizeof(double));
        if (!s)
            bug("out of memory");
        memcpy(s, r->state, r->state_len * sizeof(double));
        k->state = s;
    }
    if (r->n_params) {
        if (!r->params || r->n_params > TW_WIRE_MAX_PARAMS)
            bug("params missing or too many");
        tw_wire_param *p = malloc(r->n_params * sizeof(*p));
        if (!p)
            bug("out of memory");
        memcpy(p, r->params, r->n_params * sizeof(*p));
        k->params = p;
    }
    return 0;
}

static void
copies_free(copies *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free((void *)c->recs[i].state);
        free(c->recs[i].params);
    }
    free(c->recs);
    memset(c, 0, sizeof(*c));
}

/* True when two decoded option sets are equal (a decoder sets every field: the defaults
 * where the kind does not use one, zero outside METRIC records). */
static int
same_options(const tw_metric_options *a, const tw_metric_options *b)
{
    return memcmp(&a->threshold, &b->threshold, sizeof(double)) == 0 && a->k == b->k &&
           a->num_thresholds == b->num_thresholds && a->curve == b->curve &&
           a->summation == b->summation;
}

/* True when two decoded records are the same (doubles bit for bit). */
static int
same_record(const tw_wire_record *a, const tw_wire_record *b)
{
    if (a->type != b->type || a->seq != b->seq || memcmp(&a->time, &b->time, 8) != 0 ||
        strcmp(a->name, b->name) != 0 || strcmp(a->host, b->host) != 0 ||
        strcmp(a->program, b->program) != 0 || a->pid != b->pid ||
        a->planned_epochs != b->planned_epochs || a->steps_per_epoch != b->steps_per_epoch ||
        a->n_params != b->n_params || a->metric_id != b->metric_id || a->split != b->split ||
        a->kind != b->kind || a->goal != b->goal || a->state_len != b->state_len ||
        a->epoch != b->epoch || a->step != b->step || a->metrics != b->metrics ||
        a->interval_ms != b->interval_ms || a->status != b->status || a->dropped != b->dropped)
        return 0;
    if (!same_options(&a->options, &b->options))
        return 0;
    if ((a->state == NULL) != (b->state == NULL))
        return 0;
    if (a->state && memcmp(a->state, b->state, a->state_len * sizeof(double)) != 0)
        return 0;
    for (uint32_t i = 0; i < a->n_params; i++) {
        const tw_wire_param *p = &a->params[i], *q = &b->params[i];
        if (strcmp(p->key, q->key) != 0 || p->is_number != q->is_number)
            return 0;
        if (p->is_number ? memcmp(&p->number, &q->number, 8) != 0 : strcmp(p->text, q->text) != 0)
            return 0;
    }
    return 1;
}

/* Re-encodes records [from, to) of c, decodes them and compares. */
static void
check_chunk(tw_wire_encoder *e, tw_wire_decoder *d, const copies *c, size_t from, size_t to)
{
    const uint8_t *data;
    size_t len;
    if (tw_wire_encoder_finish(e, &data, &len) != 0)
        bug("finish failed");
    copies again = {0};
    int rc = tw_wire_decode(d, data, len, keep, &again);
    if (rc != 0)
        bug("a re-encoded message does not decode");
    if (again.n != to - from)
        bug("a different number of records came back");
    if (strcmp(again.h.run, c->h.run) != 0 || again.h.incarnation != c->h.incarnation ||
        again.h.rank != c->h.rank || again.h.world != c->h.world || again.h.version != c->h.version)
        bug("a different envelope came back");
    for (size_t i = 0; i < again.n; i++)
        if (!same_record(&c->recs[from + i], &again.recs[i]))
            bug("a different record came back");
    copies_free(&again);
}

/* A batch (tw_wire_decode_batch): each record as a record zeroed but for the fields the batch
 * gives, copied as one by one. */
typedef struct batch_copies {
    copies c;
    tw_wire_record one; /* zero but for those fields */
} batch_copies;

static int
keep_one(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    return keep(&((batch_copies *)ctx)->c, h, r);
}

static int
keep_batch(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n)
{
    batch_copies *b = ctx;
    if (n == 0 || n > TW_WIRE_BATCH_MAX)
        bug("a batch of no records, or of too many");
    for (size_t i = 0; i < n; i++) {
        if (r[i].type != TW_REC_UPDATE && r[i].type != TW_REC_EPOCH)
            bug("a batch's record is not an UPDATE or an EPOCH");
        tw_wire_record_of(&b->one, &r[i]);
        keep(&b->c, h, &b->one);
    }
    return 0;
}

/* The input decoded in batches gives what it gave one by one (c, rc). */
static void
check_batches(tw_wire_decoder *d, const uint8_t *data, size_t size, const copies *c, int rc)
{
    batch_copies b = {0};
    if (tw_wire_decode_batch(d, data, size, NULL, 0, keep_one, keep_batch, &b) != rc ||
        b.c.n != c->n)
        bug("decoding in batches gave another result");
    for (size_t i = 0; i < c->n; i++)
        if (!same_record(&c->recs[i], &b.c.recs[i]))
            bug("decoding in batches gave another record");
    if (c->n && (strcmp(b.c.h.run, c->h.run) != 0 || strcmp(b.c.h.join, c->h.join) != 0 ||
                 b.c.h.incarnation != c->h.incarnation || b.c.h.rank != c->h.rank ||
                 b.c.h.world != c->h.world || b.c.h.version != c->h.version ||
                 b.c.h.replay_through != c->h.replay_through))
        bug("decoding in batches gave another envelope");
    copies_free(&b.c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Entry point: one input. The decoder and encoder are made once (their buffers are large)
 * and reused, as a subscriber and a publisher reuse theirs. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tw_wire_decoder *d;
    static tw_wire_encoder *e;
    if (!d)
        d = tw_wire_decoder_new();
    if (!e)
        e = tw_wire_encoder_new();
    if (!d || !e)
        bug("out of memory");
    copies c = {0};
    int rc = tw_wire_decode(d, data, size, keep, &c);
    if (rc != 0 && rc != -EBADMSG && rc != -EPROTO && rc != -EMSGSIZE)
        bug("an undocumented result");
    if (rc != 0 && c.n != 0)
        bug("a rejected message delivered records");
    check_batches(d, data, size, &c, rc);
    if (rc == 0 && c.n > 0) { /* the envelope is known only from a delivered record */
        tw_wire_encoder_begin(e, &c.h);
        size_t from = 0;
        for (size_t i = 0; i < c.n; i++) {
            int add = tw_wire_encoder_add(e, &c.recs[i]);
            if (add == -EMSGSIZE && i > from) { /* full: check this part, start another */
                check_chunk(e, d, &c, from, i);
                tw_wire_encoder_begin(e, &c.h);
                from = i;
                add = tw_wire_encoder_add(e, &c.recs[i]);
            }
            if (add != 0)
                bug("the encoder refuses a record the decoder accepted");
        }
        check_chunk(e, d, &c, from, c.n);
    }
    copies_free(&c);
    return 0;
}
