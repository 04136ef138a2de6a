/* wire_deliver.c - the decoder's second pass (wire_decode.c has the first): a message
 * validated whole, its records delivered one by one (tw_wire_decode, tw_wire_decode_read) or
 * the fast path's in batches (tw_wire_decode_batch); and the decoder's life. */
#include "wire.h"
#include "wire_decode_impl.h"
#include "wire_fast.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

tw_wire_decoder *
tw_wire_decoder_new(void)
{
    tw_wire_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        goto fail;
    d->state = calloc(TW_WIRE_MAX_STATE, sizeof(double));
    d->params = calloc(TW_WIRE_MAX_PARAMS, sizeof(tw_wire_param));
    d->fast = malloc(TW_WIRE_FAST_MAX * sizeof(tw_wire_fast));
    d->batch = malloc(TW_WIRE_BATCH_MAX * sizeof(tw_wire_state_rec));
    d->batch_states = malloc(TW_WIRE_BATCH_MAX * TW_WIRE_FAST_MAX_STATE * sizeof(double));
    if (!d->state || !d->params || !d->fast || !d->batch || !d->batch_states)
        goto fail;
    return d;
fail:
    tw_wire_decoder_destroy(&d);
    errno = ENOMEM;
    return NULL;
}

void
tw_wire_decoder_destroy(tw_wire_decoder **d)
{
    if (!d || !*d)
        return;
    free((*d)->state);
    free((*d)->params);
    free((*d)->fast);
    free((*d)->batch);
    free((*d)->batch_states);
    free(*d);
    *d = NULL;
}

int
tw_wire_decode(tw_wire_decoder *d, const uint8_t *data, size_t len, tw_wire_record_fn fn, void *ctx)
{
    return tw_wire_decode_read(d, data, len, NULL, 0, fn, ctx);
}

int
tw_wire_decode_read(tw_wire_decoder *d, const uint8_t *data, size_t len,
                    const struct tw_wire_fast *pre, size_t n_pre, tw_wire_record_fn fn, void *ctx)
{
    return tw_wire_decode_batch(d, data, len, pre, n_pre, fn, NULL, ctx);
}

/* seq, epoch, step and time follow one another in both records, in that order, 8 bytes each. */
#define SEQ_TO_TIME (offsetof(tw_wire_fast, time) + sizeof(double) - offsetof(tw_wire_fast, seq))
_Static_assert(sizeof(((tw_wire_fast *)0)->seq) == 8 && sizeof(((tw_wire_fast *)0)->time) == 8 &&
                   sizeof(((tw_wire_state_rec *)0)->seq) == 8 &&
                   sizeof(((tw_wire_state_rec *)0)->time) == 8 &&
                   offsetof(tw_wire_fast, epoch) - offsetof(tw_wire_fast, seq) == 8 &&
                   offsetof(tw_wire_fast, step) - offsetof(tw_wire_fast, seq) == 16 &&
                   SEQ_TO_TIME == 32 &&
                   offsetof(tw_wire_state_rec, epoch) - offsetof(tw_wire_state_rec, seq) == 8 &&
                   offsetof(tw_wire_state_rec, step) - offsetof(tw_wire_state_rec, seq) == 16 &&
                   offsetof(tw_wire_state_rec, time) - offsetof(tw_wire_state_rec, seq) == 24,
               "seq to time: 32 bytes in the same order in both records");

/* Fast-path record f as the batch's record i (its state converted unless native). */
static inline void
batch_fill(tw_wire_decoder *d, size_t i, const tw_wire_fast *f)
{
    tw_wire_state_rec *b = &d->batch[i];
    b->state = tw_wire_fast_state(f, d->batch_states + i * TW_WIRE_FAST_MAX_STATE);
    memcpy((char *)b + offsetof(tw_wire_state_rec, seq),
           (const char *)f + offsetof(tw_wire_fast, seq), SEQ_TO_TIME); /* (two 16-byte moves) */
    b->metric_id = f->metric_id;
    b->state_len = f->state_len;
    b->type = f->type;
}

/* Takes fast-path record f into the batch. */
static void
batch_take(tw_wire_decoder *d, const tw_wire_fast *f)
{
    batch_fill(d, d->n_batch++, f);
}

/* Takes the records read already that follow one another from *p on, record *i of n on (a
 * run log's run of records, each where the one before it ends), into the batch, giving it to
 * fn each time it is full; moves *p and *i past them. The loop of tw_wire_decode_batch for
 * each (tw_wire_pre_read_at finds the next one, batch_take), with the decoder's counts held in
 * locals: the batch's stores could be to them for all the compiler knows, which reloads them a
 * record otherwise. Returns 0 or what fn returned. */
static int
batch_run(tw_wire_decoder *d, const tw_wire_header *h, tw_wire_batch_fn fn, void *ctx,
          const uint8_t **p, uint32_t *i, uint32_t n)
{
    const tw_wire_fast *pre = d->pre;
    size_t np = d->next_pre, n_pre = d->n_pre, nb = d->n_batch, taken = 0;
    uint32_t end = n < TW_WIRE_FAST_MAX ? n : TW_WIRE_FAST_MAX, k = *i;
    const uint8_t *q = *p;
    int rc = 0;
    while (k < end && np < n_pre && pre[np].start == q) {
        const tw_wire_fast *f = &pre[np++];
        batch_fill(d, nb, f);
        q = f->next;
        k++;
        taken++;
        if (++nb == TW_WIRE_BATCH_MAX) {
            d->n_batch = nb = 0;
            d->stats.records += taken;
            taken = 0;
            if ((rc = fn(ctx, h, d->batch, TW_WIRE_BATCH_MAX)) != 0)
                break;
        }
    }
    d->next_pre = np;
    d->n_batch = nb;
    d->stats.records += taken;
    *p = q;
    *i = k;
    return rc;
}

/* Gives the batch taken so far, if any, to fn. */
static int
batch_give(tw_wire_decoder *d, const tw_wire_header *h, tw_wire_batch_fn fn, void *ctx)
{
    size_t n = d->n_batch;
    d->n_batch = 0;
    return n ? fn(ctx, h, d->batch, n) : 0;
}

int
tw_wire_decode_batch(tw_wire_decoder *d, const uint8_t *data, size_t len,
                     const struct tw_wire_fast *pre, size_t n_pre, tw_wire_record_fn fn,
                     tw_wire_batch_fn batch, void *ctx)
{
    if (!d)
        return -EINVAL;
    d->pre = pre;
    d->n_pre = pre ? n_pre : 0;
    d->next_pre = 0;
    d->n_batch = 0;
    if (len > TW_WIRE_MAX_MESSAGE) {
        d->stats.rejected++;
        return -EMSGSIZE;
    }
    if (!data || len == 0) {
        d->stats.rejected++;
        return TW_WIRE_BAD;
    }
    tw_wire_cursor c = {data, data + len};
    tw_wire_cursor recs = c;
    uint32_t n_recs = 0;
    uint64_t unknown = 0;
    tw_wire_header h;
    int rc = tw_wire_validate(d, &c, &h, &recs, &n_recs, &unknown);
    if (rc != 0) {
        d->stats.rejected++;
        return rc;
    }
    d->stats.messages++;
    d->stats.unknown_records += unknown;
    d->next_pre = 0; /* the same records are found again at the same places */
    for (uint32_t i = 0; i < n_recs; i++) {
        if (batch && (rc = batch_run(d, &h, batch, ctx, &recs.p, &i, n_recs)) != 0)
            return rc;
        if (i == n_recs)
            break;
        bool known = true;
        const tw_wire_fast *f = NULL;
        if (i < TW_WIRE_FAST_MAX && !(f = tw_wire_pre_read_at(d, recs.p)) && d->fast[i].type)
            f = &d->fast[i];
        if (f && batch) {
            batch_take(d, f);
            recs.p = f->next;
            d->stats.records++;
            if (d->n_batch == TW_WIRE_BATCH_MAX && (rc = batch_give(d, &h, batch, ctx)) != 0)
                return rc;
            continue;
        }
        if (batch && (rc = batch_give(d, &h, batch, ctx)) != 0) /* the records before it first */
            return rc;
        if (f) {
            tw_wire_fast_deliver(d, f);
            recs.p = f->next;
        } else if (tw_wire_parse_record(d, &recs, &known, true) != 0) {
            return TW_WIRE_BAD; /* cannot happen: the first pass accepted the same bytes */
        }
        if (!known)
            continue;
        d->stats.records++;
        if (fn) {
            rc = fn(ctx, &h, &d->rec);
            if (rc != 0)
                return rc;
        }
    }
    return batch ? batch_give(d, &h, batch, ctx) : 0;
}

tw_wire_stats
tw_wire_decoder_stats(const tw_wire_decoder *d)
{
    tw_wire_stats none = {0, 0, 0, 0};
    return d ? d->stats : none;
}
