/* store_steps.h - a per-step sample into its series (store_steps.c has the rest): inline, as a
 * run log's load adds one a record. The usual sample, finite, of a slot whose EMA needs no
 * debiasing, into a bucket in range, takes no call; the others call store_steps.c. Included
 * only by monitor/model/store*.c. */
#ifndef TW_STORE_STEPS_H
#define TW_STORE_STEPS_H

#include "store_impl.h"

#include <math.h>

/* The smoothed values sm of finite sample v of slot m, its EMA not yet plain (the first
 * samples, debiased; or every sample the same so far). */
void tw_store_ema_general(const tw_store *s, mslot *m, double v, double *sm);

/* The bucket for step when the quick way cannot take it: no buckets yet (made now), none in
 * use, a step before the origin (shifted), or past the last (coarsened). NULL on ENOMEM. */
tw_store_bucket *tw_store_bucket_slow(tw_store *s, series *se, uint64_t step);

/* The bucket for step: (step - origin) >> log2(width) when in range. */
static inline tw_store_bucket *
tw_store_bucket_for(tw_store *s, series *se, uint64_t step)
{
    tw_store_series *p = &se->pub;
    if (!p->n_used || step < p->bucket_origin)
        return tw_store_bucket_slow(s, se, step);
    uint64_t q = (step - p->bucket_origin) >> se->bucket_shift; /* (store_steps.c: bucket_index) */
    if (q >= p->bucket_count)
        return tw_store_bucket_slow(s, se, step);
    if (q >= p->n_used)
        p->n_used = (uint32_t)q + 1;
    return &se->buckets[q];
}

/* Adds one per-step sample v of rank slot m at `step` (publisher time t): smooths it
 * (TensorBoard's debiased EMA, per weight; non-finite values pass through without advancing it)
 * and buckets both, coarsening the series' buckets as needed. Allocates only the series'
 * buckets, at its first sample (on ENOMEM the sample is lost, nothing else). */
static inline void
tw_store_steps_add(tw_store *s, series *se, mslot *m, uint64_t step, double t, double v)
{
    /* the bucket first (neither finding it nor the smoothing reads what the other writes), so
       that each smoothed value goes to its sum as it is made: no array of them in memory
       between the two, which the compiler stored one way and loaded another (a stall) */
    tw_store_bucket *b = tw_store_bucket_for(s, se, step);
    bool finite = isfinite(v);
    if (finite && m->ema_plain) { /* tw_store_ema_general's operations, without its tests */
        m->ema_n++;
        for (int k = 0; k < N_EMA; k++) {
            double w = s->weights[k + 1];
            double e = m->ema_last[k] = m->ema_last[k] * w + (1.0 - w) * v;
            if (b)
                b->smooth[k] += e;
        }
    } else if (finite) {
        double sm[N_EMA];
        tw_store_ema_general(s, m, v, sm);
        for (int k = 0; b && k < N_EMA; k++)
            b->smooth[k] += sm[k];
    }
    if (!b)
        return;
    if (b->count == 0) {
        b->t_min = b->t_max = t;
    } else {
        if (t < b->t_min)
            b->t_min = t;
        if (t > b->t_max)
            b->t_max = t;
    }
    if (finite) {
        if (b->count == b->nonfinite) {
            b->min = b->max = v;
        } else {
            if (v < b->min)
                b->min = v;
            if (v > b->max)
                b->max = v;
        }
        b->sum += v;
    } else {
        b->nonfinite++;
        se->pub.nonfinite++;
    }
    b->count++;
    se->pub.samples++;
    se->pub.last_sample = v;
    se->pub.last_sample_step = step;
}

#endif
