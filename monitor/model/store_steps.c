/* store_steps.c - per-step samples: TensorBoard's debiased EMA per rank, and the fixed number
 * of buckets per series that coarsen (width doubles) as the run grows. The usual sample takes
 * store_steps.h's inline path; this file has the rest. */
#include "store_steps.h"

#include <math.h>
#include <string.h>

static void
bucket_merge(tw_store_bucket *into, const tw_store_bucket *b)
{
    if (b->count == 0)
        return;
    if (into->count == 0) {
        *into = *b;
        return;
    }
    uint32_t fa = into->count - into->nonfinite, fb = b->count - b->nonfinite;
    if (fb) {
        if (!fa || b->min < into->min)
            into->min = b->min;
        if (!fa || b->max > into->max)
            into->max = b->max;
    }
    into->sum += b->sum;
    for (int k = 0; k < N_EMA; k++)
        into->smooth[k] += b->smooth[k];
    if (b->t_min < into->t_min)
        into->t_min = b->t_min;
    if (b->t_max > into->t_max)
        into->t_max = b->t_max;
    into->count += b->count;
    into->nonfinite += b->nonfinite;
}

/* Doubles the bucket width: adjacent pairs merge, the origin aligns to the new width. */
static void
buckets_coarsen(series *se)
{
    tw_store_series *p = &se->pub;
    uint64_t w = p->bucket_width;
    uint64_t origin2 = p->bucket_origin - p->bucket_origin % (2 * w);
    uint32_t off = (uint32_t)((p->bucket_origin - origin2) / w); /* 0 or 1 */
    uint32_t used = p->n_used, used2 = used ? (used - 1 + off) / 2 + 1 : 0;
    for (uint32_t j = 0; j < used; j++) {
        uint32_t d = (j + off) / 2;
        tw_store_bucket b = se->buckets[j];
        if (j == 0 || (j + off) % 2 == 0)
            se->buckets[d] = b;
        else
            bucket_merge(&se->buckets[d], &b);
    }
    memset(&se->buckets[used2], 0, (used - used2) * sizeof(tw_store_bucket));
    p->n_used = used2;
    p->bucket_origin = origin2;
    p->bucket_width = 2 * w;
    se->bucket_shift++;
}

/* (step - origin) / width, step >= origin: a shift, as the width is a power of two (1, then
 * doubled: bucket_shift), not a 64-bit division per sample (the slowest instruction). */
static inline uint64_t
bucket_index(const series *se, uint64_t step)
{
    return (step - se->pub.bucket_origin) >> se->bucket_shift;
}

tw_store_bucket *
tw_store_bucket_slow(tw_store *s, series *se, uint64_t step)
{
    tw_store_series *p = &se->pub;
    if (!se->buckets) { /* the series' first sample: its buckets, not before (a declaration
                           alone costs a peer nothing here) */
        se->buckets = tw_store_mem_calloc(s, &se->bytes, p->bucket_count, sizeof(tw_store_bucket));
        p->buckets = se->buckets;
        if (!se->buckets)
            return NULL;
    }
    uint32_t cap = p->bucket_count;
    if (p->n_used == 0) {
        p->bucket_origin = step - step % p->bucket_width;
        p->n_used = 1;
        return &se->buckets[(step - p->bucket_origin) / p->bucket_width];
    }
    while (step < p->bucket_origin) {
        uint64_t w = p->bucket_width;
        uint64_t k = (p->bucket_origin - step + w - 1) / w;
        if (k <= cap - p->n_used) {
            memmove(&se->buckets[k], &se->buckets[0], p->n_used * sizeof(tw_store_bucket));
            memset(&se->buckets[0], 0, (size_t)k * sizeof(tw_store_bucket));
            p->bucket_origin -= k * w;
            p->n_used += (uint32_t)k;
            break;
        }
        buckets_coarsen(se);
    }
    uint64_t q;
    while ((q = bucket_index(se, step)) >= cap)
        buckets_coarsen(se);
    uint32_t i = (uint32_t)q;
    if (i >= p->n_used)
        p->n_used = i + 1;
    return &se->buckets[i];
}

void
tw_store_ema_general(const tw_store *s, mslot *m, double v, double *sm)
{
    m->ema_n++;
    if (m->ema_n == 1) {
        m->ema_first = v;
        m->ema_constant = true;
    } else if (v != m->ema_first) {
        m->ema_constant = false;
    }
    for (int k = 0; k < N_EMA; k++) {
        double w = s->weights[k + 1];
        m->ema_last[k] = m->ema_last[k] * w + (1.0 - w) * v;
        /* Once 1 - w^n rounds to 1 the debiasing divides by exactly 1: w^n is set to 0
           then (the same quotients), which ends the divisions and the multiplies that
           would reach subnormal numbers (slow on x86) a few thousand samples later. */
        if (m->ema_pow[k] != 0.0) {
            m->ema_pow[k] *= w;
            if (1.0 - m->ema_pow[k] == 1.0)
                m->ema_pow[k] = 0.0;
        }
        sm[k] = m->ema_constant        ? v
                : m->ema_pow[k] == 0.0 ? m->ema_last[k]
                                       : m->ema_last[k] / (1.0 - m->ema_pow[k]);
    }
    /* for good: ema_constant never comes back, nor does a power once 0 */
    bool plain = !m->ema_constant;
    for (int k = 0; k < N_EMA; k++)
        plain &= m->ema_pow[k] == 0.0;
    m->ema_plain = plain;
}

double
tw_store_smooth_weight(int i)
{
    const double w[TW_STORE_N_SMOOTH] = TW_STORE_SMOOTH_WEIGHTS;
    return i >= 0 && i < TW_STORE_N_SMOOTH ? w[i] : NAN;
}

double
tw_store_bucket_mean(const tw_store_bucket *b)
{
    uint32_t n = b ? b->count - b->nonfinite : 0;
    return n ? b->sum / n : NAN;
}

double
tw_store_bucket_smoothed(const tw_store_bucket *b, int i)
{
    if (i == 0)
        return tw_store_bucket_mean(b);
    uint32_t n = b ? b->count - b->nonfinite : 0;
    if (!n || i < 0 || i >= TW_STORE_N_SMOOTH)
        return NAN;
    return b->smooth[i - 1] / n;
}

uint64_t
tw_store_bucket_step(const tw_store_series *p, uint32_t i)
{
    return p ? p->bucket_origin + (uint64_t)i * p->bucket_width : 0;
}
