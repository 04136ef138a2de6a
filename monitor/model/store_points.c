/* store_points.c - epoch points: a rank's EPOCH state placed into its point, the merged value,
 * and a point going from partial to final when every rank closed the epoch. */
#include "store_impl.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* Index of the point for epoch e, or where it would go (*found false). */
size_t
tw_store_point_find(const series *se, uint64_t e, bool *found)
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

const tw_store_point *
tw_store_series_point(const tw_store_series *pub, uint64_t epoch)
{
    if (!pub)
        return NULL;
    const series *se = (const series *)pub; /* pub is the first member */
    bool found;
    size_t i = tw_store_point_find(se, epoch, &found);
    return found ? &se->points[i] : NULL;
}

bool
tw_store_run_has_mark(const run *rn, uint64_t e)
{
    for (size_t i = 0; i < rn->pub.n_marks; i++)
        if (rn->marks[i].epoch == e)
            return true;
    return false;
}

/* Inserts an empty, partial point for epoch e at index i. Returns 0 or -ENOMEM. */
int
tw_store_point_insert(tw_store *s, series *se, size_t i, uint64_t e, double now)
{
    uint32_t world = se->run->cap_ranks, len = se->pub.state_len;
    if (se->pub.n_points == se->cap_points) {
        size_t cap = se->cap_points ? 2 * se->cap_points : 16;
        tw_store_point *pts =
            tw_store_mem_resize(s, &se->bytes, se->points, se->cap_points, cap, sizeof(*pts));
        if (!pts)
            return -ENOMEM;
        se->points = pts;
        se->pub.points = pts;
        ppriv *pp = tw_store_mem_resize(s, &se->bytes, se->pp, se->cap_points, cap, sizeof(*pp));
        if (!pp)
            return -ENOMEM; /* points grew; the capacity did not: harmless */
        se->pp = pp;
        se->cap_points = cap;
    }
    ppriv q = {0};
    q.slots = tw_store_mem_calloc(s, &se->bytes, world, sizeof(pslot));
    q.states = tw_store_mem_calloc(s, &se->bytes, (size_t)world * len, sizeof(double));
    q.sum = tw_store_mem_calloc(s, &se->bytes, len, sizeof(double));
    if (!q.slots || !q.states || !q.sum) {
        tw_store_mem_free(s, &se->bytes, q.slots, world, sizeof(pslot));
        tw_store_mem_free(s, &se->bytes, q.states, (size_t)world * len, sizeof(double));
        tw_store_mem_free(s, &se->bytes, q.sum, len, sizeof(double));
        return -ENOMEM;
    }
    size_t n = se->pub.n_points;
    memmove(&se->points[i + 1], &se->points[i], (n - i) * sizeof(tw_store_point));
    memmove(&se->pp[i + 1], &se->pp[i], (n - i) * sizeof(ppriv));
    se->points[i] = (tw_store_point){.epoch = e, .value_se = NAN, .first_seen = now};
    se->points[i].restart = tw_store_run_has_mark(se->run, e);
    se->pp[i] = q;
    se->pub.n_points++;
    se->n_partial++;
    return 0;
}

/* Recomputes a partial point from its ranks' states (summed in rank order, so the value
 * does not depend on arrival order). */
void
tw_store_point_recompute(series *se, size_t i)
{
    tw_store_point *pt = &se->points[i];
    ppriv *q = &se->pp[i];
    const run *rn = se->run;
    uint32_t len = se->pub.state_len;
    uint32_t n = 0;
    int gauge_rank = -1;
    pt->time = 0;
    pt->step = 0;
    memset(q->sum, 0, len * sizeof(double));
    for (uint32_t j = 0; j < rn->n_ranks; j++) {
        uint32_t r = rn->order[j];
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
    pt->value_se = state_se(se, q->sum);
}

/* Starts a point over (a newer incarnation replaces a final one). Returns 0 or -ENOMEM. */
int
tw_store_point_reset(tw_store *s, series *se, size_t i)
{
    uint32_t world = se->run->cap_ranks, len = se->pub.state_len;
    ppriv *q = &se->pp[i];
    if (!q->states) {
        q->states = tw_store_mem_calloc(s, &se->bytes, (size_t)world * len, sizeof(double));
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

/* True when rank rk has closed epoch e: its newest incarnation closed it or ended. */
bool
tw_store_rank_closed(const rank *rk, uint64_t e)
{
    const inc *c = rk->cur;
    return c && (c->ended || c->closed_through >= e);
}

/* The ranks of rn that closed epoch e, counted. */
static uint32_t
count_closed(const run *rn, uint64_t e)
{
    uint32_t closed = 0;
    for (uint32_t k = 0; k < rn->n_ranks; k++)
        closed += tw_store_rank_closed(rn->ranks[k], e);
    return closed;
}

uint32_t
tw_store_run_closed(run *rn, uint64_t e)
{
    const uint32_t n_memo = sizeof rn->closed_memo / sizeof rn->closed_memo[0];
    for (uint32_t k = 0; k < n_memo; k++)
        if (rn->closed_memo[k].gen == rn->closed_gen + 1 && rn->closed_memo[k].epoch == e) {
#ifdef TW_SELFCHECK /* (a bump forgotten); the sanitizer builds (meson.build) */
            assert(rn->closed_memo[k].count == count_closed(rn, e));
#endif
            return rn->closed_memo[k].count;
        }
    uint32_t k = rn->closed_memo_next++ % n_memo, count = count_closed(rn, e);
    rn->closed_memo[k].gen = rn->closed_gen + 1; /* (0: never set) */
    rn->closed_memo[k].epoch = e;
    rn->closed_memo[k].count = count;
    return count;
}

/* Makes point i final when every rank of the run's world closed it or ended (sent its
 * RUN_END: it has nothing more for the epoch); true when it changed. A run that ended, or a
 * run log read to its end, without some rank does not make the epoch final: its value is
 * merged from part of the world. */
bool
tw_store_point_check(tw_store *s, series *se, size_t i)
{
    tw_store_point *pt = &se->points[i];
    if (pt->final)
        return false;
    run *rn = se->run;
    uint32_t closed = tw_store_run_closed(rn, pt->epoch);
    bool changed = closed != pt->ranks_closed;
    pt->ranks_closed = closed;
    if (closed < rn->pub.world) /* ranks never heard have not closed it either */
        return changed;
    pt->final = true;
    se->n_partial--;
    ppriv *q = &se->pp[i];
    tw_store_mem_free(s, &se->bytes, q->states, (size_t)rn->cap_ranks * se->pub.state_len,
                      sizeof(double));
    q->states = NULL;
    tw_store_series_best_one(se, pt);
    tw_store_finals_push(s, se, pt, pt->listed);
    pt->listed = true;
    return true;
}

/* The index of the oldest partial point of the series (n_points when none). Partial points
 * are the newest few: the scan stops when it has passed all n_partial of them. */
static size_t
oldest_partial(const series *se)
{
    size_t first = se->pub.n_points, left = se->n_partial;
    for (size_t i = se->pub.n_points; i-- > 0 && left > 0;) {
        if (se->points[i].final)
            continue;
        left--;
        first = i;
    }
    return first;
}

/* Checks every partial point of every series of the run, by epoch ascending (so that finals
 * are appended in that order); true when any changed. */
bool
tw_store_run_check_points(tw_store *s, run *rn)
{
    bool changed = false;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        series *se = rn->series[k];
        for (size_t i = oldest_partial(se); i < se->pub.n_points; i++)
            if (!se->points[i].final)
                changed |= tw_store_point_check(s, se, i);
    }
    return changed;
}

/* Adds a late rank's EPOCH state to final point i (see store_impl.h). */
void
tw_store_point_add_late(tw_store *s, series *se, size_t i, const inc *c, const tw_wire_record *r)
{
    tw_store_point *pt = &se->points[i];
    ppriv *q = &se->pp[i];
    pslot *sl = &q->slots[c->slot];
    sl->inc = c;
    sl->time = r->time;
    sl->step = r->step;
    if (is_gauge(se)) {
        if (r->time >= pt->time)
            q->sum[0] = r->state[0];
    } else {
        for (uint32_t k = 0; k < se->pub.state_len; k++)
            q->sum[k] += r->state[k];
    }
    if (r->time > pt->time)
        pt->time = r->time;
    if (r->step > pt->step)
        pt->step = r->step;
    pt->ranks_in++;
    pt->value = state_value(se, q->sum);
    pt->value_se = state_se(se, q->sum);
    tw_store_series_best_all(se);
    tw_store_finals_push(s, se, pt, true);
}
