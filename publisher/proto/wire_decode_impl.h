/* wire_decode_impl.h - the decoder's state and the parts its two files share: the first pass,
 * validation and parsing (wire_decode.c), and the second, delivery one by one or in batches,
 * with the decoder's life (wire_deliver.c). Private to them. */
#ifndef TW_WIRE_DECODE_IMPL_H
#define TW_WIRE_DECODE_IMPL_H

#include "wire.h"
#include "wire_fast.h"
#include "wire_read.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tw_wire_decoder {
    tw_wire_stats stats;
    double *state;            /* TW_WIRE_MAX_STATE doubles */
    tw_wire_param *params;    /* TW_WIRE_MAX_PARAMS entries */
    tw_wire_record rec;       /* the record being parsed */
    tw_wire_fast *fast;       /* TW_WIRE_FAST_MAX: the message's records read by the fast path */
    const tw_wire_fast *pre;  /* tw_wire_decode_read: records read already, n_pre of them, */
    size_t n_pre, next_pre;   /* in order; the next one not passed yet */
    tw_wire_state_rec *batch; /* tw_wire_decode_batch: TW_WIRE_BATCH_MAX records, n_batch */
    size_t n_batch;           /* of them taken, not given yet; and their states when */
    double *batch_states;     /* converted (TW_WIRE_FAST_MAX_STATE a record) */
};

/* The record read already (tw_wire_decode_read) that starts at p, or NULL; passes those
 * before p (the run log's walk takes records whole wherever they are, not only in "recs"). */
static inline const tw_wire_fast *
tw_wire_pre_read_at(tw_wire_decoder *d, const uint8_t *p)
{
    if (d->next_pre < d->n_pre && d->pre[d->next_pre].start == p) /* the usual: the next one */
        return &d->pre[d->next_pre++];
    while (d->next_pre < d->n_pre && d->pre[d->next_pre].start < p)
        d->next_pre++;
    return d->next_pre < d->n_pre && d->pre[d->next_pre].start == p ? &d->pre[d->next_pre++] : NULL;
}

/* The validation pass: reads the envelope into *h, validates every record, finds the records
 * (*recs, *n_recs) and counts the unknown ones. Returns 0, TW_WIRE_BAD or -EPROTO. */
int tw_wire_validate(tw_wire_decoder *d, tw_wire_cursor *c, tw_wire_header *h, tw_wire_cursor *recs,
                     uint32_t *n_recs, uint64_t *unknown);

/* Parses the record at c into d->rec (copy: its state into d->state, the delivery pass);
 * *known false for a record of a type (or a METRIC of a kind) this decoder does not know,
 * which is skipped. Returns 0 or TW_WIRE_BAD. */
int tw_wire_parse_record(tw_wire_decoder *d, tw_wire_cursor *c, bool *known, bool copy);

/* Fills d->rec from fast-path record f as tw_wire_parse_record would. */
void tw_wire_fast_deliver(tw_wire_decoder *d, const tw_wire_fast *f);

#endif
