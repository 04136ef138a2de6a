/* store_update.c - UPDATE records: a metric's cumulative state into its series (the per-step
 * value, the live and latest states), and the usual ones the short way: an UPDATE of a
 * declared metric from the incarnation placed last, its seq the next, its rank's only
 * incarnation and live (tw_store_ingest's shortcut, store_ingest.c), one at a time or a run
 * of a batch's (tw_store_ingest_states). */
#include "store_steps.h"

#include <errno.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Copies a state of n doubles: the short ones of most metrics (a Mean's 4) without a call. */
static inline void
copy_state(double *dst, const double *src, uint32_t n)
{
    if (n == 4) { /* (the loop below is four tests and branches) */
        memcpy(dst, src, 4 * sizeof(double));
        return;
    }
    if (n > 4) {
        memcpy(dst, src, n * sizeof(double));
        return;
    }
    for (uint32_t i = 0; i < 4; i++)
        if (i < n)
            dst[i] = src[i];
}

/* out[i] = st[i] - prev[i] for the n doubles (out may be st: each is read before it is
 * written); whether one is not +-0, told by its bits shifted past the sign (a NaN's are not 0):
 * no flags to test a double at a time, and four at once for the usual state of 4. */
static inline bool
state_delta(double *out, const double *st, const double *prev, uint32_t n)
{
    uint64_t bits = 0;
    if (n == 4) {
#if defined(__SSE2__) /* two doubles an instruction */
        __m128d lo = _mm_sub_pd(_mm_loadu_pd(st), _mm_loadu_pd(prev));
        __m128d hi = _mm_sub_pd(_mm_loadu_pd(st + 2), _mm_loadu_pd(prev + 2));
        _mm_storeu_pd(out, lo);
        _mm_storeu_pd(out + 2, hi);
        __m128i o = _mm_slli_epi64(_mm_or_si128(_mm_castpd_si128(lo), _mm_castpd_si128(hi)), 1);
        return _mm_movemask_epi8(_mm_cmpeq_epi8(o, _mm_setzero_si128())) != 0xffff;
#else
        double d[4];
        for (uint32_t i = 0; i < 4; i++)
            d[i] = st[i] - prev[i];
        memcpy(out, d, sizeof d);
        uint64_t b[4];
        memcpy(b, d, sizeof b);
        return ((b[0] | b[1] | b[2] | b[3]) << 1) != 0;
#endif
    }
    for (uint32_t i = 0; i < n; i++) {
        double x = st[i] - prev[i];
        out[i] = x;
        uint64_t b;
        memcpy(&b, &x, sizeof b);
        bits |= b << 1;
    }
    return bits != 0;
}

static inline __attribute__((always_inline)) int
update_slot(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_state_rec *r, mslot *m)
{
    series *se = m->series;
    uint32_t len = se->pub.state_len;
    if (r->state_len != len || !r->state) {
        BUMP(rn, rk, c, bad_state, 1);
        return -EBADMSG;
    }
    int rc = se->tmp && (se->scratch || is_gauge(se))
                 ? 0
                 : tw_store_series_ready_counted(s, rn, rk, c, se);
    if (rc)
        return rc;
    if ((!m->prev || !m->latest) && tw_store_slot_ready(s, m) != 0) /* made once */
        return -ENOMEM;
    const double *st = r->state;
    bool sample = true;
    double v;
    if (is_gauge(se)) {
        v = st[0];
    } else if (m->has_prev && m->prev_epoch == r->epoch && m->prev_seq < r->seq) {
        /* no new samples: no per-step value (a Sum of zeros is a value, though) */
        if (is_mean4(se)) { /* the difference in registers, its value read from them (through
                               se->tmp, the load of a half of a store stalls) */
            double d[4];
            sample = state_delta(d, st, m->prev, 4);
            v = mean_value(d);
        } else {
            sample = state_delta(se->tmp, st, m->prev, len) || se->pub.kind == TW_METRIC_SUM;
            v = state_value(se, se->tmp);
        }
    } else {
        v = state_value(se, st);
    }
    copy_state(m->prev, st, len);
    m->prev_seq = r->seq;
    m->prev_epoch = r->epoch;
    m->has_prev = true;
    if (sample)
        tw_store_steps_add(s, se, m, r->step, r->time, v);
    if (!m->has_latest || r->seq > m->latest_seq) {
        copy_state(m->latest, st, len);
        m->latest_seq = r->seq;
        m->latest_epoch = r->epoch;
        m->latest_step = r->step;
        m->latest_time = r->time;
        m->has_latest = true;
        /* (the tests of the flags first: deferred and dirty already, the usual case of a
           load, nothing to look up) */
        if (!s->defer_live) {
            if (se->cur[c->slot] == m)
                tw_store_series_live(se);
        } else if (!se->live_dirty && se->cur[c->slot] == m) {
            se->live_dirty = true; /* merged once at tw_store_settle */
            s->n_live_dirty++;
        }
    }
    return 0;
}

/* UPDATE of the declared metric m: its cumulative state, into its series and its component
 * series (inline in the usual path's loop, where it is a call a record otherwise). */
static inline __attribute__((always_inline)) int
update_parts(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_state_rec *r, mslot *m)
{
    int rc = 0;
    for (; m && rc == 0; m = m->next_part)
        rc = update_slot(s, rn, rk, c, r, m);
    return rc;
}

int
tw_store_update_metric(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_state_rec *r, mslot *m)
{
    return update_parts(s, rn, rk, c, r, m);
}

/* The usual records at the start of r[0..n), ingested: the envelope placed and its rank's
 * state checked once, the counts, the time heard and the rank's public part once at the end
 * (none of the steps for each record moves what was checked once, nor reads what is done at
 * the end). For such a record every step of the general path that is left out here does
 * nothing: no excuse, duplicate, undeclared metric or gap to count, no other incarnation to
 * weigh, no start to move, no state to recompute. Returns how many; *ret the last error of
 * their updates (-ENOMEM before any other). */
static size_t
ingest_usual_run(tw_store *s, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n,
                 double now, int *ret)
{
    if (s->o.general_path || !tw_store_hot_is(s, h))
        return 0;
    run *rn = s->hot.rn;
    rank *rk = s->hot.rk;
    inc *c = s->hot.c;
    if (h->replay_through > c->seen.excused || rk->n_incs != 1 || rk->cur != c ||
        rk->pub.state != TW_STATE_LIVE || rn->pub.is_static || !(c->start > 0))
        return 0;
    /* Each seq the next (seq_is_next: the last interval ends at the highest, which it
       follows), appended at the end (seq_append: nothing before then reads the seqs). */
    seqset *q = &c->seen;
    if (!q->n || q->iv[q->n - 1].hi != q->highest)
        return 0;
    uint64_t next = q->highest + 1;
    /* the earliest and latest times, kept at the end too (read at the end only) */
    double first = c->first_time == 0 ? INFINITY : c->first_time, last = c->last_time;
    /* tw_store_track_at's epochs and steps, the incarnation's and the run's, kept at the end
       too (nothing in between reads them; an UPDATE of the rank's only incarnation, its
       current: no marks to rebuild); the step rate's ring pushed as the run's step grows */
    uint64_t first_epoch = c->first_epoch, epoch = c->epoch, step = c->step,
             run_epoch = rn->pub.epoch, run_step = rn->pub.step;
    const double start = c->start; /* > 0: a time not before it is > 0 (a NaN is neither) */
    size_t k = 0;
    for (; k < n; k++, next++) {
        const tw_wire_state_rec *x = &r[k];
        mslot *m;
        if (x->type != TW_REC_UPDATE || x->epoch == 0 || x->seq != next || next == 0 ||
            !(x->time >= start) || !(m = tw_store_inc_metric(c, x->metric_id)))
            break;
        last = x->time > last ? x->time : last;
        first = x->time < first ? x->time : first;
        first_epoch = first_epoch == 0 || x->epoch < first_epoch ? x->epoch : first_epoch;
        epoch = x->epoch > epoch ? x->epoch : epoch;
        step = x->step > step ? x->step : step;
        run_epoch = epoch > run_epoch ? epoch : run_epoch;
        if (step > run_step) {
            run_step = step;
            tw_store_rate_push(rn, x->time, step);
        }
        int rc = update_parts(s, rn, rk, c, x, m);
        if (rc && *ret != -ENOMEM) /* the last error, but a lack of memory */
            *ret = rc;
    }
    if (k) {
        seq_append(q, next - 1);
        c->first_time = first;
        c->last_time = last;
        c->first_epoch = first_epoch;
        c->epoch = epoch;
        c->step = step;
        rn->pub.epoch = run_epoch;
        rn->pub.step = run_step;
        s->last = rn;
        BUMP(rn, rk, c, records, k);
        c->last_heard = now;
        rn->pub.last_heard = now;
        tw_store_rank_refresh(rk, s->o.default_heartbeat);
        s->changes += k;
    }
    return k;
}

bool
tw_store_ingest_usual(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, double now,
                      int *rc)
{
    if (r->type != TW_REC_UPDATE)
        return false;
    tw_wire_state_rec x = tw_store_state_rec(r);
    *rc = 0;
    return ingest_usual_run(s, h, &x, 1, now, rc) == 1;
}

int
tw_store_ingest_states(tw_store *s, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n,
                       double now)
{
    if (!s || !h || (!r && n))
        return -EINVAL;
    int ret = 0;
    for (size_t i = 0; i < n;) {
        i += ingest_usual_run(s, h, r + i, n - i, now, &ret);
        if (i < n) { /* not a usual one: the general way */
            tw_wire_record_of(&s->batch_rec, &r[i++]);
            if (tw_store_ingest(s, h, &s->batch_rec, now) == -ENOMEM)
                ret = -ENOMEM;
        }
    }
    return ret == -ENOMEM ? ret : 0;
}
