/* store.c - the monitor's model: merges the ranks' cumulative states into epoch points and
 * per-step buckets (see store.h for the design note). */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Private structures                                                                          */

#define N_EMA     (TW_STORE_N_SMOOTH - 1)
#define RATE_RING 32u  /* (time, step) samples for the step rate */
#define RATE_GAP  0.25 /* seconds between rate samples */
#define RATE_WIN  5.0  /* seconds the rate looks back */

typedef struct seq_iv {
    uint64_t lo, hi;
} seq_iv;

/* The seqs a rank-incarnation has received: sorted, disjoint, non-adjacent intervals. */
typedef struct seqset {
    seq_iv *iv;
    uint32_t n, alloc;
    uint64_t highest; /* highest seq received */
    uint64_t excused; /* latest replay_through: missing seqs up to it are not gaps */
    uint64_t gaps;
} seqset;

struct series;
struct inc;

/* A metric as one rank-incarnation declared it: its per-rank streaming state. */
typedef struct mslot {
    struct series *series;
    struct inc *inc;
    double *prev;   /* the previous UPDATE state processed (for per-step differences) */
    double *latest; /* the highest-seq UPDATE state (for the live value) */
    uint64_t prev_seq, prev_epoch;
    uint64_t latest_seq, latest_epoch, latest_step;
    double latest_time;
    bool has_prev, has_latest;
    /* TensorBoard's debiased EMA, one per non-zero weight */
    double ema_last[N_EMA], ema_pow[N_EMA];
    double ema_first;
    uint64_t ema_n;
    bool ema_constant;
} mslot;

/* One incarnation (process start) of a rank. */
typedef struct inc {
    uint64_t id;
    uint32_t rank;
    uint64_t order; /* arrival order in the store, a tie-break */
    double start;   /* RUN's start time, else the earliest record time; 0: unknown */
    bool start_from_run;
    seqset seen;
    tw_store_counters c;
    uint64_t epoch, step, closed_through, first_epoch;
    uint64_t last_close_epoch, last_close_step;
    double last_heard, last_time, hb;
    tw_run_status status;
    bool ended, vanished, world_flagged;
    bool disconnected; /* the connection of its records (link) is down */
    double down_since; /* monitor clock when it went down */
    uint64_t link;
    mslot **map; /* by metric id */
    uint32_t map_len;
} inc;

typedef struct rank {
    tw_store_rank pub;
    inc **incs;
    uint32_t n_incs, cap_incs;
    inc *cur; /* the newest */
} rank;

/* A rank's part of an epoch point. */
typedef struct pslot {
    const inc *inc; /* NULL: none */
    double time;
    uint64_t step;
} pslot;

typedef struct ppriv {
    pslot *slots;   /* world */
    double *states; /* world * state_len while partial; NULL once final */
    double *sum;    /* state_len: the merged state (gauge: [value]) */
} ppriv;

typedef struct series {
    tw_store_series pub;
    struct run *run;
    tw_store_point *points;
    ppriv *pp;
    size_t cap_points, n_partial;
    tw_store_bucket *buckets;
    mslot **cur;        /* world: each rank's newest incarnation's slot, or NULL */
    tw_metric *scratch; /* NULL for gauges */
    double *tmp;        /* state_len */
    size_t bytes;
} series;

typedef struct run {
    tw_store_run pub;
    tw_wire_param *params;
    rank *ranks; /* pub.world */
    series **series;
    size_t cap_series;
    tw_store_mark *marks;
    size_t cap_marks;
    bool have_run, run_from_rank0;
    uint64_t learned_epoch;
    double rate_t[RATE_RING];
    uint64_t rate_s[RATE_RING];
    uint32_t rate_n, rate_head;
} run;

struct tw_store {
    tw_store_options o;
    run **runs;
    size_t n_runs, cap_runs;
    run *last;
    uint64_t changes, rejected, inc_order;
    size_t bytes;
    uint64_t *hole_keys, *hole_sorted; /* seq_intervals + 1 each */
    double weights[TW_STORE_N_SMOOTH];
    uint64_t delay[TW_STORE_DELAY_BUCKETS]; /* delivery delay histogram (store.h) */
    uint64_t delay_n;
};

/* ------------------------------------------------------------------------------------------ */
/* Memory, with accounting                                                                     */

static void *
mem_calloc(tw_store *s, size_t *owner, size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p) {
        s->bytes += n * size;
        if (owner)
            *owner += n * size;
    }
    return p;
}

/* Grows (or shrinks) an array from old_n to new_n elements, zeroing the new ones. */
static void *
mem_resize(tw_store *s, size_t *owner, void *p, size_t old_n, size_t new_n, size_t size)
{
    if (size && new_n > (size_t)-1 / size)
        return NULL;
    void *q = realloc(p, new_n ? new_n * size : 1);
    if (!q)
        return NULL;
    if (new_n > old_n)
        memset((char *)q + old_n * size, 0, (new_n - old_n) * size);
    s->bytes = s->bytes - old_n * size + new_n * size;
    if (owner)
        *owner = *owner - old_n * size + new_n * size;
    return q;
}

static void
mem_free(tw_store *s, size_t *owner, void *p, size_t n, size_t size)
{
    if (!p)
        return;
    free(p);
    s->bytes -= n * size;
    if (owner)
        *owner -= n * size;
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static void
copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool
is_gauge(const series *se)
{
    return se->pub.kind == TW_WIRE_KIND_GAUGE;
}

/* The value of a state with the series' kind (the library's formula). */
static double
state_value(series *se, const double *state)
{
    if (is_gauge(se))
        return state[0];
    tw_metric_set_state(se->scratch, state, se->pub.state_len);
    return tw_metric_result(se->scratch);
}

/* True when incarnation a is newer than b. */
static bool
inc_newer(const inc *a, const inc *b)
{
    if (a->start > 0 && b->start > 0 && a->start != b->start)
        return a->start > b->start;
    if ((a->start > 0) != (b->start > 0))
        return a->start == 0; /* no time yet: it just appeared */
    return a->order > b->order;
}

static bool
goal_better(tw_goal g, double v, uint64_t e, double best, uint64_t best_e)
{
    if (g == TW_GOAL_MIN)
        return v < best || (v == best && e < best_e);
    if (g == TW_GOAL_MAX)
        return v > best || (v == best && e < best_e);
    return false;
}

/* Adds d (possibly negative) to a counter of the incarnation, its rank and its run. */
#define BUMP(rn, rk, ic, field, d)                                                                 \
    do {                                                                                           \
        uint64_t bump_d_ = (uint64_t)(d);                                                          \
        (ic)->c.field += bump_d_;                                                                  \
        (rk)->pub.counters.field += bump_d_;                                                       \
        (rn)->pub.counters.field += bump_d_;                                                       \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Sequence numbers: duplicates and gaps                                                       */

/* Index of the first interval with lo > seq. */
static uint32_t
seq_upper(const seqset *q, uint64_t seq)
{
    uint32_t lo = 0, hi = q->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (q->iv[mid].lo > seq)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static bool
seq_contains(const seqset *q, uint64_t seq)
{
    if (q->n == 0)
        return false;
    const seq_iv *last = &q->iv[q->n - 1];
    if (seq > last->hi)
        return false;
    if (seq >= last->lo)
        return true;
    uint32_t p = seq_upper(q, seq);
    return p > 0 && q->iv[p - 1].hi >= seq;
}

/* Seqs in [lo, hi] received (or filled by coarsening). */
static uint64_t
seq_covered(const seqset *q, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < q->n; i++) {
        uint64_t a = q->iv[i].lo > lo ? q->iv[i].lo : lo;
        uint64_t b = q->iv[i].hi < hi ? q->iv[i].hi : hi;
        if (a <= b)
            n += b - a + 1;
    }
    return n;
}

/* A replay stands for every seq up to r: those that never came are not gaps. */
static void
seq_excuse(seqset *q, uint64_t r)
{
    if (r <= q->excused)
        return;
    uint64_t lo = q->excused + 1, hi = r < q->highest ? r : q->highest;
    if (lo <= hi) {
        uint64_t missing = (hi - lo + 1) - seq_covered(q, lo, hi);
        q->gaps -= missing < q->gaps ? missing : q->gaps;
    }
    q->excused = r;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Halves the interval list by filling its smallest holes, holes at or below the replay mark
 * first (they cost nothing: their seqs are excused anyway). */
static void
seq_coarsen(tw_store *s, seqset *q)
{
    uint32_t holes = q->n - 1;
    for (uint32_t i = 0; i < holes; i++) {
        uint64_t size = q->iv[i + 1].lo - q->iv[i].hi - 1;
        if (size > (UINT64_MAX >> 1))
            size = UINT64_MAX >> 1;
        bool above = q->iv[i + 1].lo - 1 > q->excused;
        s->hole_keys[i] = (above ? (UINT64_C(1) << 63) : 0) | size;
    }
    memcpy(s->hole_sorted, s->hole_keys, holes * sizeof(uint64_t));
    qsort(s->hole_sorted, holes, sizeof(uint64_t), cmp_u64);
    uint32_t merge = q->n - s->o.seq_intervals / 2; /* holes to fill */
    uint64_t threshold = s->hole_sorted[merge - 1];
    uint32_t out = 1, merged = 0;
    for (uint32_t i = 1; i < q->n; i++) {
        if (merged < merge && s->hole_keys[i - 1] <= threshold) {
            q->iv[out - 1].hi = q->iv[i].hi;
            merged++;
        } else {
            q->iv[out++] = q->iv[i];
        }
    }
    q->n = out;
}

/* Records seq as received (it was not). Returns 0 or -ENOMEM (nothing changed). */
static int
seq_insert(tw_store *s, seqset *q, uint64_t seq)
{
    uint32_t n = q->n;
    if (n && seq == q->iv[n - 1].hi + 1) {
        q->iv[n - 1].hi = seq; /* the usual case: the next one */
    } else {
        uint32_t p = seq_upper(q, seq);
        bool jl = p > 0 && q->iv[p - 1].hi + 1 == seq;
        bool jr = p < n && q->iv[p].lo == seq + 1;
        if (jl && jr) {
            q->iv[p - 1].hi = q->iv[p].hi;
            memmove(&q->iv[p], &q->iv[p + 1], (n - p - 1) * sizeof(seq_iv));
            q->n--;
        } else if (jl) {
            q->iv[p - 1].hi = seq;
        } else if (jr) {
            q->iv[p].lo = seq;
        } else {
            if (n == q->alloc) {
                uint32_t na = q->alloc ? 2 * q->alloc : 8;
                if (na > s->o.seq_intervals + 1)
                    na = s->o.seq_intervals + 1;
                seq_iv *iv = mem_resize(s, NULL, q->iv, q->alloc, na, sizeof(seq_iv));
                if (!iv)
                    return -ENOMEM;
                q->iv = iv;
                q->alloc = na;
            }
            memmove(&q->iv[p + 1], &q->iv[p], (n - p) * sizeof(seq_iv));
            q->iv[p] = (seq_iv){seq, seq};
            q->n++;
            if (q->n > s->o.seq_intervals)
                seq_coarsen(s, q);
        }
    }
    if (seq > q->highest) {
        uint64_t from = q->highest > q->excused ? q->highest : q->excused;
        if (seq - 1 > from)
            q->gaps += seq - 1 - from;
        q->highest = seq;
    } else if (seq > q->excused && q->gaps > 0) {
        q->gaps--; /* a late arrival */
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Per-step buckets                                                                            */

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
}

/* The bucket for `step`, coarsening or shifting the buckets as needed. */
static tw_store_bucket *
bucket_for(series *se, uint64_t step)
{
    tw_store_series *p = &se->pub;
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
    while ((step - p->bucket_origin) / p->bucket_width >= cap)
        buckets_coarsen(se);
    uint32_t i = (uint32_t)((step - p->bucket_origin) / p->bucket_width);
    if (i >= p->n_used)
        p->n_used = i + 1;
    return &se->buckets[i];
}

/* Adds one per-step sample of rank slot m: smooths it (TensorBoard's debiased EMA, per
 * weight; non-finite values pass through without advancing it) and buckets both. */
static void
add_sample(tw_store *s, series *se, mslot *m, uint64_t step, double t, double v)
{
    double sm[N_EMA];
    bool finite = isfinite(v);
    if (finite) {
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
            m->ema_pow[k] *= w;
            sm[k] = m->ema_constant ? v : m->ema_last[k] / (1.0 - m->ema_pow[k]);
        }
    }
    tw_store_bucket *b = bucket_for(se, step);
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
        for (int k = 0; k < N_EMA; k++)
            b->smooth[k] += sm[k];
    } else {
        b->nonfinite++;
        se->pub.nonfinite++;
    }
    b->count++;
    se->pub.samples++;
    se->pub.last_sample = v;
    se->pub.last_sample_step = step;
}

/* ------------------------------------------------------------------------------------------ */
/* Live value, latest, best                                                                    */

static void
series_latest(series *se)
{
    tw_store_series *p = &se->pub;
    if (p->n_points) {
        const tw_store_point *last = &se->points[p->n_points - 1];
        p->has_latest = true;
        p->latest_value = last->value;
        p->latest_epoch = last->epoch;
    }
    if (p->has_live && (!p->n_points || p->live_epoch > p->latest_epoch)) {
        p->has_latest = true;
        p->latest_value = p->live_value;
        p->latest_epoch = p->live_epoch;
    }
}

/* The live value: the sum over ranks of each rank's latest UPDATE state in the newest epoch
 * any rank has updated (gauges: the latest rank's value). */
static void
live_recompute(series *se)
{
    tw_store_series *p = &se->pub;
    uint32_t world = se->run->pub.world, len = p->state_len;
    uint64_t e = 0;
    bool any = false;
    for (uint32_t r = 0; r < world; r++) {
        const mslot *m = se->cur[r];
        if (m && m->has_latest && (!any || m->latest_epoch > e)) {
            e = m->latest_epoch;
            any = true;
        }
    }
    p->has_live = any;
    if (!any) {
        series_latest(se);
        return;
    }
    uint32_t n = 0;
    uint64_t step = 0;
    double time = 0, gauge = 0;
    if (!is_gauge(se))
        memset(se->tmp, 0, len * sizeof(double));
    for (uint32_t r = 0; r < world; r++) {
        const mslot *m = se->cur[r];
        if (!m || !m->has_latest || m->latest_epoch != e)
            continue;
        if (is_gauge(se)) {
            if (n == 0 || m->latest_time > time)
                gauge = m->latest[0];
        } else {
            for (uint32_t i = 0; i < len; i++)
                se->tmp[i] += m->latest[i];
        }
        if (n == 0 || m->latest_time > time)
            time = m->latest_time;
        if (m->latest_step > step)
            step = m->latest_step;
        n++;
    }
    p->live_epoch = e;
    p->live_ranks = n;
    p->live_step = step;
    p->live_time = time;
    p->live_value = is_gauge(se) ? gauge : state_value(se, se->tmp);
    series_latest(se);
}

static void
series_best_all(series *se)
{
    tw_store_series *p = &se->pub;
    p->has_best = false;
    if (p->goal == TW_GOAL_UNKNOWN)
        return;
    for (size_t i = 0; i < p->n_points; i++) {
        const tw_store_point *pt = &se->points[i];
        if (!pt->final || !isfinite(pt->value))
            continue;
        if (!p->has_best ||
            goal_better(p->goal, pt->value, pt->epoch, p->best_value, p->best_epoch)) {
            p->has_best = true;
            p->best_value = pt->value;
            p->best_epoch = pt->epoch;
        }
    }
}

static void
series_best_one(series *se, const tw_store_point *pt)
{
    tw_store_series *p = &se->pub;
    if (p->goal == TW_GOAL_UNKNOWN || !pt->final || !isfinite(pt->value))
        return;
    if (!p->has_best || goal_better(p->goal, pt->value, pt->epoch, p->best_value, p->best_epoch)) {
        p->has_best = true;
        p->best_value = pt->value;
        p->best_epoch = pt->epoch;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Epoch points                                                                                */

/* Index of the point for epoch e, or where it would go (*found false). */
static size_t
point_find(const series *se, uint64_t e, bool *found)
{
    size_t n = se->pub.n_points;
    if (n && se->points[n - 1].epoch < e) {
        *found = false;
        return n;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (se->points[mid].epoch < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < n && se->points[lo].epoch == e;
    return lo;
}

static bool
has_mark(const run *rn, uint64_t e)
{
    for (size_t i = 0; i < rn->pub.n_marks; i++)
        if (rn->marks[i].epoch == e)
            return true;
    return false;
}

/* Inserts an empty, partial point for epoch e at index i. Returns 0 or -ENOMEM. */
static int
point_insert(tw_store *s, series *se, size_t i, uint64_t e, double now)
{
    uint32_t world = se->run->pub.world, len = se->pub.state_len;
    if (se->pub.n_points == se->cap_points) {
        size_t cap = se->cap_points ? 2 * se->cap_points : 16;
        tw_store_point *pts =
            mem_resize(s, &se->bytes, se->points, se->cap_points, cap, sizeof(*pts));
        if (!pts)
            return -ENOMEM;
        se->points = pts;
        se->pub.points = pts;
        ppriv *pp = mem_resize(s, &se->bytes, se->pp, se->cap_points, cap, sizeof(*pp));
        if (!pp)
            return -ENOMEM; /* points grew; the capacity did not: harmless */
        se->pp = pp;
        se->cap_points = cap;
    }
    ppriv q = {0};
    q.slots = mem_calloc(s, &se->bytes, world, sizeof(pslot));
    q.states = mem_calloc(s, &se->bytes, (size_t)world * len, sizeof(double));
    q.sum = mem_calloc(s, &se->bytes, len, sizeof(double));
    if (!q.slots || !q.states || !q.sum) {
        mem_free(s, &se->bytes, q.slots, world, sizeof(pslot));
        mem_free(s, &se->bytes, q.states, (size_t)world * len, sizeof(double));
        mem_free(s, &se->bytes, q.sum, len, sizeof(double));
        return -ENOMEM;
    }
    size_t n = se->pub.n_points;
    memmove(&se->points[i + 1], &se->points[i], (n - i) * sizeof(tw_store_point));
    memmove(&se->pp[i + 1], &se->pp[i], (n - i) * sizeof(ppriv));
    se->points[i] = (tw_store_point){.epoch = e, .first_seen = now};
    se->points[i].restart = has_mark(se->run, e);
    se->pp[i] = q;
    se->pub.n_points++;
    se->n_partial++;
    return 0;
}

/* Recomputes a partial point from its ranks' states (summed in rank order, so the value
 * does not depend on arrival order). */
static void
point_recompute(series *se, size_t i)
{
    tw_store_point *pt = &se->points[i];
    ppriv *q = &se->pp[i];
    uint32_t world = se->run->pub.world, len = se->pub.state_len;
    uint32_t n = 0;
    int gauge_rank = -1;
    pt->time = 0;
    pt->step = 0;
    memset(q->sum, 0, len * sizeof(double));
    for (uint32_t r = 0; r < world; r++) {
        const pslot *sl = &q->slots[r];
        if (!sl->inc)
            continue;
        const double *st = &q->states[(size_t)r * len];
        if (is_gauge(se)) {
            if (gauge_rank < 0 || sl->time > q->slots[gauge_rank].time) {
                gauge_rank = (int)r;
                q->sum[0] = st[0];
            }
        } else {
            for (uint32_t k = 0; k < len; k++)
                q->sum[k] += st[k];
        }
        if (sl->time > pt->time)
            pt->time = sl->time;
        if (sl->step > pt->step)
            pt->step = sl->step;
        n++;
    }
    pt->ranks_in = n;
    pt->value = state_value(se, q->sum);
}

/* Starts a point over (a newer incarnation replaces a final one). Returns 0 or -ENOMEM. */
static int
point_reset(tw_store *s, series *se, size_t i)
{
    uint32_t world = se->run->pub.world, len = se->pub.state_len;
    ppriv *q = &se->pp[i];
    if (!q->states) {
        q->states = mem_calloc(s, &se->bytes, (size_t)world * len, sizeof(double));
        if (!q->states)
            return -ENOMEM;
    }
    memset(q->slots, 0, world * sizeof(pslot));
    memset(q->sum, 0, len * sizeof(double));
    tw_store_point *pt = &se->points[i];
    if (pt->final) {
        pt->final = false;
        se->n_partial++;
    }
    pt->ranks_in = 0;
    pt->ranks_closed = 0;
    return 0;
}

static bool run_ended(const run *rn);

/* True when rank r has closed epoch e: its newest incarnation closed it or ended. */
static bool
rank_closed(const run *rn, uint32_t r, uint64_t e)
{
    const inc *c = rn->ranks[r].cur;
    return c && (c->ended || c->closed_through >= e);
}

/* Makes point i final when every rank closed it (or the run ended); true when it changed. */
static bool
point_check(tw_store *s, series *se, size_t i)
{
    tw_store_point *pt = &se->points[i];
    if (pt->final)
        return false;
    const run *rn = se->run;
    uint32_t closed = 0;
    for (uint32_t r = 0; r < rn->pub.world; r++)
        closed += rank_closed(rn, r, pt->epoch);
    bool changed = closed != pt->ranks_closed;
    pt->ranks_closed = closed;
    if (closed < rn->pub.world && !run_ended(rn))
        return changed;
    pt->final = true;
    se->n_partial--;
    ppriv *q = &se->pp[i];
    mem_free(s, &se->bytes, q->states, (size_t)rn->pub.world * se->pub.state_len, sizeof(double));
    q->states = NULL;
    series_best_one(se, pt);
    return true;
}

/* Checks every partial point of every series of the run; true when any changed. */
static bool
run_check_points(tw_store *s, run *rn)
{
    bool changed = false;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        series *se = rn->series[k];
        size_t left = se->n_partial;
        for (size_t i = se->pub.n_points; i-- > 0 && left > 0;) {
            if (se->points[i].final)
                continue;
            left--;
            changed |= point_check(s, se, i);
        }
    }
    return changed;
}

/* ------------------------------------------------------------------------------------------ */
/* Runs, ranks, incarnations                                                                   */

static bool
run_ended(const run *rn)
{
    if (rn->pub.is_static)
        return true;
    uint32_t known = 0;
    for (uint32_t r = 0; r < rn->pub.world; r++) {
        const inc *c = rn->ranks[r].cur;
        if (!c)
            continue;
        if (!c->ended)
            return false;
        known++;
    }
    return known > 0;
}

static void
rate_reset(run *rn)
{
    rn->rate_n = 0;
    rn->rate_head = 0;
    rn->pub.steps_per_sec = 0;
}

/* A new latest step of the run at publisher time t. */
static void
rate_push(run *rn, double t, uint64_t step)
{
    if (t <= 0)
        return;
    if (rn->rate_n) {
        uint32_t last = (rn->rate_head + RATE_RING - 1) % RATE_RING;
        if (t < rn->rate_t[last] + RATE_GAP)
            return;
    }
    rn->rate_t[rn->rate_head] = t;
    rn->rate_s[rn->rate_head] = step;
    rn->rate_head = (rn->rate_head + 1) % RATE_RING;
    if (rn->rate_n < RATE_RING)
        rn->rate_n++;
    /* the oldest sample within the window */
    for (uint32_t k = rn->rate_n; k-- > 1;) {
        uint32_t i = (rn->rate_head + RATE_RING - 1 - k) % RATE_RING;
        if (rn->rate_t[i] >= t - RATE_WIN && rn->rate_t[i] < t && rn->rate_s[i] <= step) {
            rn->pub.steps_per_sec = (double)(step - rn->rate_s[i]) / (t - rn->rate_t[i]);
            return;
        }
    }
}

/* Refreshes a rank's public view from its newest incarnation. */
static void
rank_refresh(rank *rk, double default_hb)
{
    const inc *c = rk->cur;
    if (!c)
        return;
    tw_store_rank *p = &rk->pub;
    p->heard = true;
    p->incarnation = c->id;
    p->incarnations = rk->n_incs;
    p->last_heard = c->last_heard;
    p->last_time = c->last_time;
    p->epoch = c->epoch;
    p->step = c->step;
    p->closed_epoch = c->closed_through;
    p->ended = c->ended;
    p->end_status = c->status;
    p->heartbeat_interval = c->hb > 0 ? c->hb : default_hb;
}

/* Rebuilds the run's restart marks (the first epoch of every incarnation but each rank's
 * oldest) and the points' restart flags. Returns 0 or -ENOMEM. */
static int
marks_rebuild(tw_store *s, run *rn)
{
    size_t n = 0, cap = 0;
    tw_store_mark *m = NULL;
    for (uint32_t r = 0; r < rn->pub.world; r++) {
        rank *rk = &rn->ranks[r];
        if (rk->n_incs < 2)
            continue;
        const inc *oldest = rk->incs[0];
        for (uint32_t k = 1; k < rk->n_incs; k++)
            if (inc_newer(oldest, rk->incs[k]))
                oldest = rk->incs[k];
        for (uint32_t k = 0; k < rk->n_incs; k++) {
            const inc *c = rk->incs[k];
            if (c == oldest || c->first_epoch == 0)
                continue;
            size_t j = 0;
            while (j < n && m[j].epoch != c->first_epoch)
                j++;
            if (j < n) {
                if (c->start > 0 && (m[j].time == 0 || c->start < m[j].time))
                    m[j].time = c->start;
                continue;
            }
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 4;
                tw_store_mark *nm = realloc(m, nc * sizeof(*nm));
                if (!nm) {
                    free(m);
                    return -ENOMEM;
                }
                m = nm;
                cap = nc;
            }
            m[n++] = (tw_store_mark){c->first_epoch, c->start};
        }
    }
    /* sort by epoch (few marks: insertion sort) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && m[j - 1].epoch > m[j].epoch; j--) {
            tw_store_mark t = m[j];
            m[j] = m[j - 1];
            m[j - 1] = t;
        }
    if (n == rn->pub.n_marks && (n == 0 || memcmp(m, rn->marks, n * sizeof(*m)) == 0)) {
        free(m);
        return 0;
    }
    if (n > rn->cap_marks) {
        tw_store_mark *nm = mem_resize(s, NULL, rn->marks, rn->cap_marks, n, sizeof(*nm));
        if (!nm) {
            free(m);
            return -ENOMEM;
        }
        rn->marks = nm;
        rn->cap_marks = n;
    }
    if (n)
        memcpy(rn->marks, m, n * sizeof(*m));
    free(m);
    rn->pub.marks = rn->marks;
    rn->pub.n_marks = n;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        series *se = rn->series[k];
        for (size_t i = 0; i < se->pub.n_points; i++)
            se->points[i].restart = has_mark(rn, se->points[i].epoch);
    }
    s->changes++;
    return 0;
}

/* The run's epoch and step over the newest incarnations. */
static void
run_position(run *rn)
{
    uint64_t e = 0, st = 0;
    for (uint32_t r = 0; r < rn->pub.world; r++) {
        const inc *c = rn->ranks[r].cur;
        if (!c)
            continue;
        if (c->epoch > e)
            e = c->epoch;
        if (c->step > st)
            st = c->step;
    }
    rn->pub.epoch = e;
    rn->pub.step = st;
}

/* Makes the newest incarnation of rank r its current one; re-points the series. */
static void
rank_reselect(tw_store *s, run *rn, uint32_t r)
{
    rank *rk = &rn->ranks[r];
    inc *best = NULL;
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (!best || inc_newer(rk->incs[k], best))
            best = rk->incs[k];
    if (best == rk->cur)
        return;
    rk->cur = best;
    for (size_t k = 0; k < rn->pub.n_series; k++)
        rn->series[k]->cur[r] = NULL;
    for (uint32_t id = 0; id < best->map_len; id++)
        if (best->map[id])
            best->map[id]->series->cur[r] = best->map[id];
    for (size_t k = 0; k < rn->pub.n_series; k++)
        live_recompute(rn->series[k]);
    rank_refresh(rk, s->o.default_heartbeat);
    run_position(rn);
    rate_reset(rn);
    run_check_points(s, rn);
    s->changes++;
}

/* Grows a run's world (ranks, series and point arrays). Returns 0 or -ENOMEM. */
static int
run_grow_world(tw_store *s, run *rn, uint32_t world)
{
    uint32_t old = rn->pub.world;
    rank *rk = mem_resize(s, NULL, rn->ranks, old, world, sizeof(rank));
    if (!rk)
        return -ENOMEM;
    rn->ranks = rk;
    for (uint32_t r = old; r < world; r++)
        rk[r].pub.rank = r;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        series *se = rn->series[k];
        uint32_t len = se->pub.state_len;
        mslot **cur = mem_resize(s, &se->bytes, se->cur, old, world, sizeof(mslot *));
        if (!cur)
            return -ENOMEM;
        se->cur = cur;
        for (size_t i = 0; i < se->pub.n_points; i++) {
            ppriv *q = &se->pp[i];
            pslot *sl = mem_resize(s, &se->bytes, q->slots, old, world, sizeof(pslot));
            if (!sl)
                return -ENOMEM;
            q->slots = sl;
            if (q->states) {
                double *st = mem_resize(s, &se->bytes, q->states, (size_t)old * len,
                                        (size_t)world * len, sizeof(double));
                if (!st)
                    return -ENOMEM;
                q->states = st;
            }
        }
    }
    rn->pub.world = world;
    return 0;
}

static run *
run_find(const tw_store *s, const char *id)
{
    if (s->last && strcmp(s->last->pub.id, id) == 0)
        return s->last;
    for (size_t i = 0; i < s->n_runs; i++)
        if (strcmp(s->runs[i]->pub.id, id) == 0)
            return s->runs[i];
    return NULL;
}

static run *
run_get(tw_store *s, const char *id, uint32_t world)
{
    run *rn = run_find(s, id);
    if (rn) {
        s->last = rn;
        return rn;
    }
    if (s->n_runs == s->cap_runs) {
        size_t cap = s->cap_runs ? 2 * s->cap_runs : 8;
        run **runs = mem_resize(s, NULL, s->runs, s->cap_runs, cap, sizeof(run *));
        if (!runs)
            return NULL;
        s->runs = runs;
        s->cap_runs = cap;
    }
    rn = mem_calloc(s, NULL, 1, sizeof(run));
    if (!rn)
        return NULL;
    rn->ranks = mem_calloc(s, NULL, world, sizeof(rank));
    if (!rn->ranks) {
        mem_free(s, NULL, rn, 1, sizeof(run));
        return NULL;
    }
    for (uint32_t r = 0; r < world; r++)
        rn->ranks[r].pub.rank = r;
    rn->pub.world = world;
    copy_str(rn->pub.id, sizeof rn->pub.id, id);
    s->runs[s->n_runs++] = rn;
    s->last = rn;
    s->changes++;
    return rn;
}

static inc *
inc_get(tw_store *s, run *rn, uint32_t r, uint64_t id, bool *created)
{
    rank *rk = &rn->ranks[r];
    *created = false;
    if (rk->cur && rk->cur->id == id)
        return rk->cur;
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (rk->incs[k]->id == id)
            return rk->incs[k];
    if (rk->n_incs == rk->cap_incs) {
        uint32_t cap = rk->cap_incs ? 2 * rk->cap_incs : 2;
        inc **incs = mem_resize(s, NULL, rk->incs, rk->cap_incs, cap, sizeof(inc *));
        if (!incs)
            return NULL;
        rk->incs = incs;
        rk->cap_incs = cap;
    }
    inc *c = mem_calloc(s, NULL, 1, sizeof(inc));
    if (!c)
        return NULL;
    c->id = id;
    c->rank = r;
    c->order = ++s->inc_order;
    rk->incs[rk->n_incs++] = c;
    *created = true;
    return c;
}

/* The oldest epoch of a multi-rank run that has been partial for over lag_seconds at `now`
 * (0: none). Partial points are the newest few of each series: each is scanned from its end
 * to its last final point. */
static uint64_t
run_lag_epoch(const tw_store *s, const run *rn, double now)
{
    uint64_t lag = 0;
    if (rn->pub.world < 2 || run_ended(rn) || rn->pub.is_static)
        return 0;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        const tw_store_series *se = &rn->series[k]->pub;
        for (size_t i = se->n_points; i-- > 0 && !se->points[i].final;) {
            const tw_store_point *p = &se->points[i];
            if ((p->ranks_in > 0 || p->ranks_closed > 0) &&
                now - p->first_seen > s->o.lag_seconds && (lag == 0 || p->epoch < lag))
                lag = p->epoch;
        }
    }
    return lag;
}

/* Computes rank and run states at `now`; true when anything visible changed. */
static bool
run_update_state(tw_store *s, run *rn, double now)
{
    bool changed = false;
    uint32_t known = 0, ended = 0;
    int failed = -1, vanished = -1, stalled = -1, interrupted = -1, no_end = -1, cut = -1,
        lost = -1;
    bool gone = false;
    double vanished_after = 0, stalled_after = 0;
    for (uint32_t r = 0; r < rn->pub.world; r++) {
        rank *rk = &rn->ranks[r];
        const inc *c = rk->cur;
        if (!c)
            continue;
        known++;
        double hb = c->hb > 0 ? c->hb : s->o.default_heartbeat;
        tw_store_state st;
        if (c->ended) {
            st = c->status == TW_RUN_FAILED ? TW_STATE_FAILED : TW_STATE_ENDED;
            if (c->status == TW_RUN_INTERRUPTED && interrupted < 0)
                interrupted = (int)r;
        } else if (rn->pub.is_static) {
            st = TW_STATE_ENDED;
            if (no_end < 0)
                no_end = (int)r;
        } else if (c->vanished) {
            st = TW_STATE_VANISHED;
        } else if (c->disconnected && now - c->down_since <= s->o.link_grace) {
            st = TW_STATE_DISCONNECTED; /* silence explained: neither stalled nor vanished */
        } else if (c->disconnected) {
            st = TW_STATE_VANISHED; /* down too long: the process may be gone */
            if (lost < 0)
                lost = (int)r;
        } else if (now - c->last_heard > s->o.vanish_beats * hb) {
            st = TW_STATE_VANISHED;
        } else if (now - c->last_heard > s->o.stall_beats * hb) {
            st = TW_STATE_STALLED;
        } else {
            st = TW_STATE_LIVE;
        }
        if (st == TW_STATE_FAILED && failed < 0)
            failed = (int)r;
        if (st == TW_STATE_VANISHED && vanished < 0) {
            vanished = (int)r;
            gone = c->vanished;
            vanished_after = s->o.vanish_beats * hb;
        }
        if (st == TW_STATE_DISCONNECTED && cut < 0)
            cut = (int)r;
        if (st == TW_STATE_STALLED && stalled < 0) {
            stalled = (int)r;
            stalled_after = s->o.stall_beats * hb;
        }
        if (st == TW_STATE_ENDED || st == TW_STATE_FAILED)
            ended++;
        if (st != rk->pub.state) {
            rk->pub.state = st;
            changed = true;
        }
    }
    tw_store_state st = TW_STATE_LIVE;
    char reason[sizeof rn->pub.reason] = "";
    if (failed >= 0) {
        st = TW_STATE_FAILED;
        snprintf(reason, sizeof reason, "rank %d reported a failure", failed);
    } else if (known > 0 && ended == known) {
        st = TW_STATE_ENDED;
        if (no_end >= 0)
            snprintf(reason, sizeof reason, "ended without a run-end record (crashed?)");
        else if (interrupted >= 0)
            snprintf(reason, sizeof reason, "interrupted (rank %d)", interrupted);
    } else if (vanished >= 0) {
        st = TW_STATE_VANISHED;
        if (gone)
            snprintf(reason, sizeof reason, "rank %d vanished: its process is gone", vanished);
        else if (vanished == lost)
            snprintf(reason, sizeof reason,
                     "rank %d vanished: its connection has been down for over %.0f s", vanished,
                     s->o.link_grace);
        else
            snprintf(reason, sizeof reason, "rank %d vanished: no record for over %.0f s", vanished,
                     vanished_after);
    } else if (cut >= 0) {
        st = TW_STATE_DISCONNECTED;
        snprintf(reason, sizeof reason,
                 "rank %d disconnected: its network connection is down, reconnecting", cut);
    } else if (stalled >= 0) {
        st = TW_STATE_STALLED;
        snprintf(reason, sizeof reason, "rank %d stalled: no record for over %.1f s", stalled,
                 stalled_after);
    }
    if (st != rn->pub.state || strcmp(reason, rn->pub.reason) != 0) {
        rn->pub.state = st;
        memcpy(rn->pub.reason, reason, sizeof reason);
        changed = true;
    }
    if (run_ended(rn))
        changed |= run_check_points(s, rn);
    uint64_t lag = run_lag_epoch(s, rn, now);
    if (lag != rn->pub.lag_epoch) {
        rn->pub.lag_epoch = lag;
        changed = true;
    }
    if (changed)
        s->changes++;
    return changed;
}

/* ------------------------------------------------------------------------------------------ */
/* Series                                                                                      */

tw_goal
tw_store_infer_goal(const char *name, int kind)
{
    static const char *const min_words[] = {"loss", "error", "crossentropy", "mse", "mae", "mape"};
    static const char *const max_words[] = {"accuracy", "auc", "precision", "recall"};
    if (kind == TW_WIRE_KIND_GAUGE)
        return TW_GOAL_UNKNOWN;
    const char *texts[2] = {name, tw_metric_kind_name((tw_metric_kind)kind)};
    for (int t = 0; t < 2; t++) {
        if (!texts[t])
            continue;
        char low[TW_WIRE_MAX_NAME + 1];
        size_t n = strnlen(texts[t], TW_WIRE_MAX_NAME);
        for (size_t i = 0; i < n; i++) {
            char ch = texts[t][i];
            low[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
        low[n] = '\0';
        for (size_t i = 0; i < sizeof min_words / sizeof min_words[0]; i++)
            if (strstr(low, min_words[i]))
                return TW_GOAL_MIN;
        for (size_t i = 0; i < sizeof max_words / sizeof max_words[0]; i++)
            if (strstr(low, max_words[i]))
                return TW_GOAL_MAX;
    }
    return TW_GOAL_UNKNOWN;
}

static bool
options_equal(const tw_metric_options *a, const tw_metric_options *b)
{
    return a->threshold == b->threshold && a->k == b->k && a->num_thresholds == b->num_thresholds &&
           a->curve == b->curve && a->summation == b->summation;
}

static void
series_free(tw_store *s, series *se, uint32_t world)
{
    uint32_t len = se->pub.state_len;
    for (size_t i = 0; i < se->pub.n_points; i++) {
        mem_free(s, NULL, se->pp[i].slots, world, sizeof(pslot));
        if (se->pp[i].states)
            mem_free(s, NULL, se->pp[i].states, (size_t)world * len, sizeof(double));
        mem_free(s, NULL, se->pp[i].sum, len, sizeof(double));
    }
    mem_free(s, NULL, se->points, se->cap_points, sizeof(tw_store_point));
    mem_free(s, NULL, se->pp, se->cap_points, sizeof(ppriv));
    mem_free(s, NULL, se->buckets, se->pub.bucket_count, sizeof(tw_store_bucket));
    mem_free(s, NULL, se->cur, world, sizeof(mslot *));
    mem_free(s, NULL, se->tmp, len, sizeof(double));
    if (se->scratch) {
        s->bytes -= 2 * len * sizeof(double) + 64;
        tw_metric_destroy(&se->scratch);
    }
    mem_free(s, NULL, se, 1, sizeof(series));
}

static series *
series_new(tw_store *s, run *rn, const tw_wire_record *r)
{
    size_t bytes = 0;
    series *se = mem_calloc(s, &bytes, 1, sizeof(series));
    if (!se)
        return NULL;
    se->bytes = bytes;
    se->run = rn;
    tw_store_series *p = &se->pub;
    copy_str(p->name, sizeof p->name, r->name);
    p->split = r->split;
    p->kind = r->kind;
    p->options = r->options;
    p->state_len = r->state_len;
    p->goal_declared = r->goal != TW_GOAL_UNKNOWN;
    p->goal = p->goal_declared ? r->goal : tw_store_infer_goal(r->name, r->kind);
    p->bucket_count = s->o.buckets;
    p->bucket_width = 1;
    se->buckets = mem_calloc(s, &se->bytes, s->o.buckets, sizeof(tw_store_bucket));
    se->cur = mem_calloc(s, &se->bytes, rn->pub.world, sizeof(mslot *));
    se->tmp = mem_calloc(s, &se->bytes, r->state_len, sizeof(double));
    if (r->kind != TW_WIRE_KIND_GAUGE) {
        se->scratch = tw_metric_new((tw_metric_kind)r->kind, &r->options);
        if (se->scratch) {
            s->bytes += 2 * r->state_len * sizeof(double) + 64; /* approximately */
            se->bytes += 2 * r->state_len * sizeof(double) + 64;
        }
    }
    p->buckets = se->buckets;
    if (!se->buckets || !se->cur || !se->tmp || (r->kind != TW_WIRE_KIND_GAUGE && !se->scratch)) {
        series_free(s, se, rn->pub.world);
        return NULL;
    }
    return se;
}

static mslot *
mslot_new(tw_store *s, series *se, inc *c)
{
    uint32_t len = se->pub.state_len;
    mslot *m = mem_calloc(s, &se->bytes, 1, sizeof(mslot));
    if (!m)
        return NULL;
    m->prev = mem_calloc(s, &se->bytes, len, sizeof(double));
    m->latest = mem_calloc(s, &se->bytes, len, sizeof(double));
    if (!m->prev || !m->latest) {
        mem_free(s, &se->bytes, m->prev, len, sizeof(double));
        mem_free(s, &se->bytes, m->latest, len, sizeof(double));
        mem_free(s, &se->bytes, m, 1, sizeof(mslot));
        return NULL;
    }
    m->series = se;
    m->inc = c;
    for (int k = 0; k < N_EMA; k++)
        m->ema_pow[k] = 1.0;
    return m;
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                     */

/* Looks up a declared metric; NULL (counted) when undeclared. */
static mslot *
metric_of(run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    if (r->metric_id < c->map_len && c->map[r->metric_id])
        return c->map[r->metric_id];
    BUMP(rn, rk, c, undeclared, 1);
    return NULL;
}

static int
on_metric(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    bool gauge = r->kind == TW_WIRE_KIND_GAUGE;
    size_t want = gauge ? 1 : tw_metric_state_size_for((tw_metric_kind)r->kind, &r->options);
    if (r->metric_id > TW_STORE_MAX_METRIC_ID || want == 0 || r->state_len != want ||
        r->split > TW_SPLIT_TEST || !r->name[0]) {
        BUMP(rn, rk, c, bad_decl, 1);
        return -EBADMSG;
    }
    if (r->metric_id < c->map_len && c->map[r->metric_id]) {
        const series *se = c->map[r->metric_id]->series;
        if (strcmp(se->pub.name, r->name) == 0 && se->pub.split == r->split)
            return 0; /* declared again (a replay): nothing new */
        BUMP(rn, rk, c, bad_decl, 1);
        return -EBADMSG;
    }
    series *se = (series *)tw_store_find_series(&rn->pub, r->name, r->split);
    if (se) {
        if (se->pub.kind != r->kind || se->pub.state_len != r->state_len ||
            !options_equal(&se->pub.options, &r->options)) {
            BUMP(rn, rk, c, bad_decl, 1);
            return -EBADMSG;
        }
        if (!se->pub.goal_declared && r->goal != TW_GOAL_UNKNOWN) {
            se->pub.goal_declared = true;
            se->pub.goal = r->goal;
            series_best_all(se);
        }
    } else {
        if (rn->pub.n_series == rn->cap_series) {
            size_t cap = rn->cap_series ? 2 * rn->cap_series : 8;
            series **a = mem_resize(s, NULL, rn->series, rn->cap_series, cap, sizeof(series *));
            if (!a)
                return -ENOMEM;
            rn->series = a;
            rn->cap_series = cap;
        }
        se = series_new(s, rn, r);
        if (!se)
            return -ENOMEM;
        rn->series[rn->pub.n_series++] = se;
    }
    if (r->metric_id >= c->map_len) {
        uint32_t n = c->map_len ? c->map_len : 8;
        while (n <= r->metric_id)
            n *= 2;
        if (n > TW_STORE_MAX_METRIC_ID + 1)
            n = TW_STORE_MAX_METRIC_ID + 1;
        mslot **map = mem_resize(s, NULL, c->map, c->map_len, n, sizeof(mslot *));
        if (!map)
            return -ENOMEM;
        c->map = map;
        c->map_len = n;
    }
    mslot *m = mslot_new(s, se, c);
    if (!m)
        return -ENOMEM;
    c->map[r->metric_id] = m;
    if (rk->cur == c)
        se->cur[c->rank] = m;
    return 0;
}

static int
on_update(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    mslot *m = metric_of(rn, rk, c, r);
    if (!m)
        return -ENOENT;
    series *se = m->series;
    uint32_t len = se->pub.state_len;
    if (r->state_len != len || !r->state) {
        BUMP(rn, rk, c, bad_state, 1);
        return -EBADMSG;
    }
    const double *st = r->state;
    bool sample = true;
    double v;
    if (is_gauge(se)) {
        v = st[0];
    } else if (m->has_prev && m->prev_epoch == r->epoch && m->prev_seq < r->seq) {
        bool zero = true;
        for (uint32_t i = 0; i < len; i++) {
            se->tmp[i] = st[i] - m->prev[i];
            zero &= se->tmp[i] == 0.0;
        }
        /* no new samples: no per-step value (a Sum of zeros is a value, though) */
        sample = !zero || se->pub.kind == TW_METRIC_SUM;
        v = state_value(se, se->tmp);
    } else {
        v = state_value(se, st);
    }
    memcpy(m->prev, st, len * sizeof(double));
    m->prev_seq = r->seq;
    m->prev_epoch = r->epoch;
    m->has_prev = true;
    if (sample)
        add_sample(s, se, m, r->step, r->time, v);
    if (!m->has_latest || r->seq > m->latest_seq) {
        memcpy(m->latest, st, len * sizeof(double));
        m->latest_seq = r->seq;
        m->latest_epoch = r->epoch;
        m->latest_step = r->step;
        m->latest_time = r->time;
        m->has_latest = true;
        if (se->cur[c->rank] == m)
            live_recompute(se);
    }
    return 0;
}

/* EPOCH: a rank's final state of an epoch. Idempotent. Sets *changed. */
static int
on_epoch(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, double now, bool *changed)
{
    mslot *m = metric_of(rn, rk, c, r);
    if (!m)
        return -ENOENT;
    series *se = m->series;
    uint32_t len = se->pub.state_len, rr = c->rank;
    if (r->state_len != len || !r->state) {
        BUMP(rn, rk, c, bad_state, 1);
        return -EBADMSG;
    }
    bool found;
    size_t i = point_find(se, r->epoch, &found);
    if (!found) {
        int rc = point_insert(s, se, i, r->epoch, now);
        if (rc)
            return rc;
    }
    tw_store_point *pt = &se->points[i];
    ppriv *q = &se->pp[i];
    pslot *sl = &q->slots[rr];
    if (sl->inc && sl->inc != c) {
        if (!inc_newer(c, sl->inc))
            return 0; /* an older incarnation: superseded */
        if (pt->final) {
            int rc = point_reset(s, se, i);
            if (rc)
                return rc;
            series_best_all(se);
        }
    }
    if (pt->final) {
        if (sl->inc == c)
            return 0; /* already in */
        /* a late rank of a final point: add it */
        sl->inc = c;
        sl->time = r->time;
        sl->step = r->step;
        if (is_gauge(se)) {
            if (r->time >= pt->time)
                q->sum[0] = r->state[0];
        } else {
            for (uint32_t k = 0; k < len; k++)
                q->sum[k] += r->state[k];
        }
        if (r->time > pt->time)
            pt->time = r->time;
        if (r->step > pt->step)
            pt->step = r->step;
        pt->ranks_in++;
        pt->value = state_value(se, q->sum);
        series_best_all(se);
    } else {
        double *dst = &q->states[(size_t)rr * len];
        if (sl->inc == c && sl->time == r->time && sl->step == r->step &&
            memcmp(dst, r->state, len * sizeof(double)) == 0) {
            point_check(s, se, i);
            return 0; /* the same again */
        }
        memcpy(dst, r->state, len * sizeof(double));
        sl->inc = c;
        sl->time = r->time;
        sl->step = r->step;
        point_recompute(se, i);
        point_check(s, se, i);
    }
    series_latest(se);
    *changed = true;
    return 0;
}

static void
on_epoch_end(tw_store *s, run *rn, inc *c, const tw_wire_record *r, bool *changed)
{
    uint64_t e = r->epoch;
    if (e > c->closed_through) {
        c->closed_through = e;
        *changed = true;
    }
    /* steps per epoch, learned from consecutive closes of one incarnation */
    uint64_t learned = 0;
    if (c->last_close_epoch && c->last_close_epoch + 1 == e && r->step > c->last_close_step)
        learned = r->step - c->last_close_step;
    else if (e == 1 && r->step > 0)
        learned = r->step;
    if (e > c->last_close_epoch) {
        c->last_close_epoch = e;
        c->last_close_step = r->step;
    }
    if (learned && e >= rn->learned_epoch && rn->pub.steps_per_epoch_learned != learned) {
        rn->pub.steps_per_epoch_learned = learned;
        rn->learned_epoch = e;
        *changed = true;
    }
    *changed |= run_check_points(s, rn);
}

/* RUN: identity and parameters. Prefers rank 0's; the start time is the earliest. */
static int
on_run(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, bool *changed)
{
    if (r->time > 0 && (rn->pub.start_time == 0 || r->time < rn->pub.start_time)) {
        rn->pub.start_time = r->time;
        *changed = true;
    }
    bool take = !rn->have_run || c->rank == 0 || !rn->run_from_rank0;
    if (!take || rk->cur != c)
        return 0;
    tw_store_run *p = &rn->pub;
    bool same = rn->have_run && strcmp(p->name, r->name) == 0 && strcmp(p->host, r->host) == 0 &&
                strcmp(p->program, r->program) == 0 && p->pid == r->pid &&
                p->planned_epochs == r->planned_epochs &&
                p->steps_per_epoch == r->steps_per_epoch && p->n_params == r->n_params &&
                (r->n_params == 0 ||
                 memcmp(rn->params, r->params, r->n_params * sizeof(tw_wire_param)) == 0);
    if (same) {
        rn->run_from_rank0 |= c->rank == 0;
        return 0;
    }
    tw_wire_param *params = NULL;
    if (r->n_params) {
        params = mem_calloc(s, NULL, r->n_params, sizeof(tw_wire_param));
        if (!params)
            return -ENOMEM;
        memcpy(params, r->params, r->n_params * sizeof(tw_wire_param));
    }
    mem_free(s, NULL, rn->params, p->n_params, sizeof(tw_wire_param));
    rn->params = params;
    p->params = params;
    p->n_params = r->n_params;
    copy_str(p->name, sizeof p->name, r->name);
    copy_str(p->host, sizeof p->host, r->host);
    copy_str(p->program, sizeof p->program, r->program);
    p->pid = r->pid;
    p->planned_epochs = r->planned_epochs;
    p->steps_per_epoch = r->steps_per_epoch;
    rn->have_run = true;
    rn->run_from_rank0 |= c->rank == 0;
    *changed = true;
    return 0;
}

/* Applies a record again that was already received: only the idempotent types do anything
 * (so that what coarsening of the seq set hid is still repaired by a replay). */
static void
reapply(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, double now)
{
    bool changed = false;
    switch (r->type) {
    case TW_REC_METRIC:
        on_metric(s, rn, rk, c, r);
        break;
    case TW_REC_EPOCH:
        if (r->metric_id < c->map_len && c->map[r->metric_id] && r->epoch >= 1)
            on_epoch(s, rn, rk, c, r, now, &changed);
        break;
    case TW_REC_EPOCH_END:
        if (r->epoch >= 1)
            on_epoch_end(s, rn, c, r, &changed);
        break;
    default:
        break;
    }
}

/* Tracks an incarnation's epoch, step and first epoch (not from heartbeats: one may be sent
 * before the program resumed at a later epoch, tw_publisher_resume). */
static void
track_position(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    uint64_t e = r->epoch;
    if (e == 0)
        return;
    if (r->type != TW_REC_HEARTBEAT && (c->first_epoch == 0 || e < c->first_epoch)) {
        c->first_epoch = e;
        if (rk->n_incs > 1)
            marks_rebuild(s, rn);
    }
    if (r->type != TW_REC_EPOCH && e > c->epoch)
        c->epoch = e;
    if (r->step > c->step)
        c->step = r->step;
    if (rk->cur == c) {
        if (c->epoch > rn->pub.epoch)
            rn->pub.epoch = c->epoch;
        if (c->step > rn->pub.step) {
            rn->pub.step = c->step;
            rate_push(rn, r->time, c->step);
        }
    }
}

int
tw_store_ingest(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, double now)
{
    if (!s || !h || !r)
        return -EINVAL;
    uint32_t world = h->world >= 1 && h->world <= TW_STORE_MAX_WORLD ? h->world : 1;
    run *rn = run_get(s, h->run, world);
    if (!rn)
        return -ENOMEM;
    if (h->world == 0 || h->world > TW_STORE_MAX_WORLD || h->rank >= h->world) {
        rn->pub.counters.bad_rank++;
        s->changes++;
        return -ERANGE;
    }
    bool grew = false;
    if (h->world > rn->pub.world) {
        int rc = run_grow_world(s, rn, h->world);
        if (rc)
            return rc;
        grew = true;
    }
    rank *rk = &rn->ranks[h->rank];
    bool created;
    inc *c = inc_get(s, rn, h->rank, h->incarnation, &created);
    if (!c)
        return -ENOMEM;
    if ((grew || h->world != rn->pub.world) && !c->world_flagged && rn->pub.counters.records) {
        c->world_flagged = true;
        BUMP(rn, rk, c, world_changes, 1);
    }
    uint64_t gaps0 = c->seen.gaps;
    uint64_t rt = h->replay_through;
    if (rt > c->seen.excused)
        seq_excuse(&c->seen, rt);
    if (r->seq && seq_contains(&c->seen, r->seq)) {
        if (c->seen.gaps != gaps0)
            BUMP(rn, rk, c, gaps, c->seen.gaps - gaps0);
        BUMP(rn, rk, c, duplicates, 1);
        reapply(s, rn, rk, c, r, now);
        if (rk->cur == c)
            rank_refresh(rk, s->o.default_heartbeat);
        s->changes++;
        return -EALREADY;
    }
    /* A state of a metric not declared yet is not taken (nor its seq marked as received): a
     * monitor joining a run gets live records before the publisher's replay, which brings
     * the declaration and these same records again. Never declared, its seq stays a gap. */
    if ((r->type == TW_REC_UPDATE || r->type == TW_REC_EPOCH) && r->seq &&
        !(r->metric_id < c->map_len && c->map[r->metric_id])) {
        BUMP(rn, rk, c, undeclared, 1);
        return -ENOENT;
    }
    if (r->seq && seq_insert(s, &c->seen, r->seq) != 0)
        return -ENOMEM;
    if (c->seen.gaps != gaps0)
        BUMP(rn, rk, c, gaps, c->seen.gaps - gaps0);
    if (r->type == TW_REC_HEARTBEAT)
        BUMP(rn, rk, c, heartbeats, 1);
    else
        BUMP(rn, rk, c, records, 1);
    uint64_t epoch0 = rn->pub.epoch, step0 = rn->pub.step;
    c->last_heard = now;
    rn->pub.last_heard = now;
    if (r->time > 0 && r->type != TW_REC_RUN) {
        c->last_time = r->time;
        if (!c->start_from_run && (c->start == 0 || r->time < c->start)) {
            c->start = r->time;
            if (!created)
                rank_reselect(s, rn, h->rank);
        }
    }
    bool restate = rk->pub.state != TW_STATE_LIVE; /* this rank may come back to life */
    if (rn->pub.is_static) {
        rn->pub.is_static = false; /* a live record after the log: live again */
        restate = true;
    }
    if (created) {
        rank_reselect(s, rn, h->rank);
        marks_rebuild(s, rn);
        restate = true;
    }

    int rc = 0;
    bool changed = false;
    switch (r->type) {
    case TW_REC_RUN:
        if (r->time > 0 && (!c->start_from_run || c->start != r->time)) {
            c->start = r->time;
            c->start_from_run = true;
            rank_reselect(s, rn, h->rank);
            marks_rebuild(s, rn);
        }
        rc = on_run(s, rn, rk, c, r, &changed);
        break;
    case TW_REC_METRIC:
        rc = on_metric(s, rn, rk, c, r);
        break;
    case TW_REC_UPDATE:
        if (r->epoch < 1)
            break;
        track_position(s, rn, rk, c, r);
        rc = on_update(s, rn, rk, c, r);
        break;
    case TW_REC_EPOCH:
        if (r->epoch < 1)
            break;
        track_position(s, rn, rk, c, r);
        rc = on_epoch(s, rn, rk, c, r, now, &changed);
        break;
    case TW_REC_EPOCH_END:
        if (r->epoch < 1)
            break;
        track_position(s, rn, rk, c, r);
        on_epoch_end(s, rn, c, r, &changed);
        break;
    case TW_REC_HEARTBEAT:
        if (r->interval_ms > 0)
            c->hb = r->interval_ms / 1000.0;
        track_position(s, rn, rk, c, r);
        break;
    case TW_REC_RUN_END:
        c->ended = true;
        c->status = r->status;
        restate = true;
        break;
    case TW_REC_DROPS:
        if (r->dropped > c->c.drops)
            BUMP(rn, rk, c, drops, r->dropped - c->c.drops);
        break;
    default:
        break;
    }
    if (rk->cur == c)
        rank_refresh(rk, s->o.default_heartbeat);
    if (restate)
        run_update_state(s, rn, now);
    /* A heartbeat that moves nothing (an idle run) is not a visible change. */
    if (r->type != TW_REC_HEARTBEAT || restate || rn->pub.epoch != epoch0 || rn->pub.step != step0)
        s->changes++;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Public functions                                                                            */

const char *
tw_store_state_name(tw_store_state state)
{
    static const char *const names[] = {"live",  "stalled", "vanished",
                                        "ended", "failed",  "disconnected"};
    if ((unsigned)state >= sizeof names / sizeof names[0])
        return NULL;
    return names[state];
}

tw_store_options
tw_store_defaults(void)
{
    return (tw_store_options){.buckets = 1024,
                              .seq_intervals = 256,
                              .stall_beats = 3.0,
                              .vanish_beats = 10.0,
                              .default_heartbeat = 1.0,
                              .link_grace = 60.0,
                              .lag_seconds = 10.0};
}

tw_store *
tw_store_new(const tw_store_options *opts)
{
    tw_store_options o = opts ? *opts : tw_store_defaults();
    if (o.buckets < 16 || o.buckets > (1u << 20) || o.buckets % 2 || o.seq_intervals < 8 ||
        o.seq_intervals > (1u << 20) || !(o.stall_beats > 0) ||
        !(o.vanish_beats >= o.stall_beats) || !(o.default_heartbeat > 0) ||
        !isfinite(o.vanish_beats) || !isfinite(o.default_heartbeat) || !(o.lag_seconds > 0) ||
        !isfinite(o.lag_seconds) || !(o.link_grace > 0) || !isfinite(o.link_grace)) {
        errno = EINVAL;
        return NULL;
    }
    tw_store *s = calloc(1, sizeof(*s));
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->o = o;
    s->bytes = sizeof(*s);
    const double w[TW_STORE_N_SMOOTH] = TW_STORE_SMOOTH_WEIGHTS;
    memcpy(s->weights, w, sizeof w);
    s->hole_keys = mem_calloc(s, NULL, o.seq_intervals + 1, sizeof(uint64_t));
    s->hole_sorted = mem_calloc(s, NULL, o.seq_intervals + 1, sizeof(uint64_t));
    if (!s->hole_keys || !s->hole_sorted) {
        tw_store_destroy(&s);
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

static void
run_free(tw_store *s, run *rn)
{
    uint32_t world = rn->pub.world;
    for (size_t k = 0; k < rn->pub.n_series; k++)
        series_free(s, rn->series[k], world);
    mem_free(s, NULL, rn->series, rn->cap_series, sizeof(series *));
    for (uint32_t r = 0; r < world; r++) {
        rank *rk = &rn->ranks[r];
        for (uint32_t k = 0; k < rk->n_incs; k++) {
            inc *c = rk->incs[k];
            for (uint32_t id = 0; id < c->map_len; id++) {
                mslot *m = c->map[id];
                if (!m)
                    continue;
                free(m->prev);
                free(m->latest);
                free(m);
            }
            mem_free(s, NULL, c->map, c->map_len, sizeof(mslot *));
            mem_free(s, NULL, c->seen.iv, c->seen.alloc, sizeof(seq_iv));
            mem_free(s, NULL, c, 1, sizeof(inc));
        }
        mem_free(s, NULL, rk->incs, rk->cap_incs, sizeof(inc *));
    }
    mem_free(s, NULL, rn->ranks, world, sizeof(rank));
    mem_free(s, NULL, rn->marks, rn->cap_marks, sizeof(tw_store_mark));
    mem_free(s, NULL, rn->params, rn->pub.n_params, sizeof(tw_wire_param));
    mem_free(s, NULL, rn, 1, sizeof(run));
}

void
tw_store_destroy(tw_store **sp)
{
    if (!sp || !*sp)
        return;
    tw_store *s = *sp;
    for (size_t i = 0; i < s->n_runs; i++)
        run_free(s, s->runs[i]);
    free(s->runs);
    free(s->hole_keys);
    free(s->hole_sorted);
    free(s);
    *sp = NULL;
}

bool
tw_store_tick(tw_store *s, double now)
{
    if (!s)
        return false;
    bool changed = false;
    for (size_t i = 0; i < s->n_runs; i++)
        changed |= run_update_state(s, s->runs[i], now);
    return changed;
}

void
tw_store_count_rejected(tw_store *s, uint64_t n)
{
    if (!s || !n)
        return;
    s->rejected += n;
    s->changes++;
}

int
tw_store_mark_vanished(tw_store *s, const char *id, uint32_t r, uint64_t incarnation, double now)
{
    if (!s || !id)
        return -EINVAL;
    run *rn = run_find(s, id);
    if (!rn || r >= rn->pub.world)
        return -ENOENT;
    rank *rk = &rn->ranks[r];
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (rk->incs[k]->id == incarnation) {
            if (!rk->incs[k]->vanished) {
                rk->incs[k]->vanished = true;
                s->changes++;
            }
            run_update_state(s, rn, now);
            return 0;
        }
    return -ENOENT;
}

int
tw_store_set_link(tw_store *s, const tw_wire_header *h, uint64_t link, double now)
{
    if (!s || !h || !link)
        return -EINVAL;
    run *rn = run_find(s, h->run);
    if (!rn || h->rank >= rn->pub.world)
        return -ENOENT;
    rank *rk = &rn->ranks[h->rank];
    for (uint32_t k = 0; k < rk->n_incs; k++) {
        inc *c = rk->incs[k];
        if (c->id != h->incarnation)
            continue;
        if (c->link == link)
            return 0;
        c->link = link;
        if (c->disconnected) {
            c->disconnected = false;
            s->changes++;
            run_update_state(s, rn, now);
        }
        return 0;
    }
    return -ENOENT;
}

size_t
tw_store_link_down(tw_store *s, uint64_t link, double now)
{
    size_t marked = 0;
    for (size_t i = 0; s && link && i < s->n_runs; i++) {
        run *rn = s->runs[i];
        bool any = false;
        for (uint32_t r = 0; r < rn->pub.world; r++) {
            rank *rk = &rn->ranks[r];
            for (uint32_t k = 0; k < rk->n_incs; k++) {
                inc *c = rk->incs[k];
                if (c->link != link || c->disconnected || c->ended)
                    continue;
                c->disconnected = true;
                c->down_since = now;
                any = true;
                marked++;
            }
        }
        if (any) {
            s->changes++;
            run_update_state(s, rn, now);
        }
    }
    return marked;
}

int
tw_store_mark_static(tw_store *s, const char *id, double now)
{
    if (!s || !id)
        return -EINVAL;
    run *rn = run_find(s, id);
    if (!rn)
        return -ENOENT;
    if (!rn->pub.is_static) {
        rn->pub.is_static = true;
        s->changes++;
    }
    run_update_state(s, rn, now);
    return 0;
}

uint64_t
tw_store_changes(const tw_store *s)
{
    return s ? s->changes : 0;
}

uint64_t
tw_store_rejected(const tw_store *s)
{
    return s ? s->rejected : 0;
}

size_t
tw_store_bytes(const tw_store *s)
{
    return s ? s->bytes : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Delivery delay                                                                              */

#define DELAY_PER_DOUBLING 4.0
#define DELAY_UNIT         1e-6 /* seconds: the top of bucket 0 */

void
tw_store_count_delay(tw_store *s, double now, double record_time)
{
    if (!s || !isfinite(now) || !isfinite(record_time))
        return;
    double d = (now - record_time) / DELAY_UNIT;
    size_t i = 0;
    if (d >= 1.0) {
        double b = 1.0 + floor(DELAY_PER_DOUBLING * log2(d));
        i = b >= TW_STORE_DELAY_BUCKETS - 1 ? TW_STORE_DELAY_BUCKETS - 1 : (size_t)b;
    }
    s->delay[i]++;
    s->delay_n++;
}

double
tw_store_delay_quantile(const tw_store *s, double q)
{
    if (!s || s->delay_n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    /* the rank of the quantile, 1-based: the first bucket whose running count reaches it */
    uint64_t want = (uint64_t)ceil(q * (double)s->delay_n);
    uint64_t seen = 0;
    size_t i = 0;
    if (want == 0)
        want = 1;
    for (; i < TW_STORE_DELAY_BUCKETS - 1; i++) {
        seen += s->delay[i];
        if (seen >= want)
            break;
    }
    return i == 0 ? 0.0 : DELAY_UNIT * exp2(((double)i - 0.5) / DELAY_PER_DOUBLING);
}

uint64_t
tw_store_delay_count(const tw_store *s)
{
    return s ? s->delay_n : 0;
}

size_t
tw_store_run_count(const tw_store *s)
{
    return s ? s->n_runs : 0;
}

const tw_store_run *
tw_store_run_at(const tw_store *s, size_t i)
{
    return s && i < s->n_runs ? &s->runs[i]->pub : NULL;
}

const tw_store_run *
tw_store_find_run(const tw_store *s, const char *id)
{
    if (!s || !id)
        return NULL;
    const run *rn = run_find(s, id);
    return rn ? &rn->pub : NULL;
}

const tw_store_rank *
tw_store_run_rank(const tw_store_run *p, uint32_t i)
{
    if (!p || i >= p->world)
        return NULL;
    const run *rn = (const run *)p;
    return &rn->ranks[i].pub;
}

const tw_store_series *
tw_store_run_series(const tw_store_run *p, size_t i)
{
    if (!p || i >= p->n_series)
        return NULL;
    const run *rn = (const run *)p;
    return &rn->series[i]->pub;
}

const tw_store_series *
tw_store_find_series(const tw_store_run *p, const char *name, tw_split split)
{
    if (!p || !name)
        return NULL;
    const run *rn = (const run *)p;
    for (size_t i = 0; i < p->n_series; i++)
        if (rn->series[i]->pub.split == split && strcmp(rn->series[i]->pub.name, name) == 0)
            return &rn->series[i]->pub;
    return NULL;
}

size_t
tw_store_epoch_laggards(const tw_store_run *p, uint64_t epoch, uint32_t *ranks, size_t cap)
{
    if (!p)
        return 0;
    const run *rn = (const run *)p;
    size_t n = 0;
    if (run_ended(rn))
        return 0;
    for (uint32_t r = 0; r < p->world; r++) {
        if (rank_closed(rn, r, epoch))
            continue;
        if (ranks && n < cap)
            ranks[n] = r;
        n++;
    }
    return n;
}

size_t
tw_store_lag_text(const tw_store_run *p, char *buf, size_t size)
{
    uint32_t lag[8];
    size_t n, len;
    int k;

    if (!buf || size == 0)
        return 0;
    buf[0] = '\0';
    if (!p || !p->lag_epoch)
        return 0;
    n = tw_store_epoch_laggards(p, p->lag_epoch, lag, sizeof lag / sizeof lag[0]);
    if (n == 0)
        return 0;
    k = snprintf(buf, size, "epoch %llu is partial: waiting for rank%s",
                 (unsigned long long)p->lag_epoch, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < sizeof lag / sizeof lag[0] && k >= 0 && (size_t)k < size; i++)
        k += snprintf(buf + k, size - (size_t)k, "%s %u", i ? "," : "", lag[i]);
    if (n > sizeof lag / sizeof lag[0] && k >= 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, " and %zu more", n - sizeof lag / sizeof lag[0]);
    len = strlen(buf);
    return len;
}

size_t
tw_store_series_bytes(const tw_store_series *p)
{
    return p ? ((const series *)p)->bytes : 0;
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
