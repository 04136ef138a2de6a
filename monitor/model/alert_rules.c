/* alert_rules.c - the alert rules as a table (one row per rule) and each rule's evaluation
 * (see alerts.h for what each rule means, alerts_impl.h for how the engine calls them). */
#include "alerts_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Pure rule arithmetic                                                                          */

/* GL of the last of n values: see alerts.h. */
double
tw_alert_gl(const double *v, size_t n, tw_goal goal)
{
    if (!v || n == 0 || (goal != TW_GOAL_MIN && goal != TW_GOAL_MAX))
        return NAN;
    double best = v[0];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return NAN;
        if (better(v[i], best, 0, goal))
            best = v[i];
    }
    double diff = goal == TW_GOAL_MAX ? best - v[n - 1] : v[n - 1] - best;
    if (diff == 0)
        return 0;
    if (best == 0)
        return INFINITY;
    return 100.0 * diff / fabs(best);
}

/* P_k over the last k of n training values: see alerts.h. */
double
tw_alert_pk(const double *tr, size_t n, uint32_t k, tw_goal goal)
{
    if (!tr || k < 1 || n < k || (goal != TW_GOAL_MIN && goal != TW_GOAL_MAX))
        return NAN;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = n - k; i < n; i++) {
        if (!isfinite(tr[i]))
            return NAN;
        sum += tr[i];
        lo = fmin(lo, tr[i]);
        hi = fmax(hi, tr[i]);
    }
    double num = goal == TW_GOAL_MAX ? k * hi : sum;
    double den = goal == TW_GOAL_MAX ? sum : k * lo;
    if (den == 0)
        return num == 0 ? 0 : INFINITY;
    return 1000.0 * (num / den - 1.0);
}

/* Live GL and P_k of a run's validation series `name`: see alerts.h. */
int
tw_alerts_gl_pk(const tw_alerts *a, const tw_store_run *run, const char *name, double *gl,
                double *pk)
{
    if (!a || !run || !name || !gl || !pk)
        return -EINVAL;
    *gl = *pk = NAN;
    const tw_store_series *val = tw_store_find_series(run, name, TW_SPLIT_VAL);
    if (!val)
        return -ENOENT;
    const tw_store_series *train = tw_store_find_series(run, name, TW_SPLIT_TRAIN);
    /* No scratch of the engine's (a is const): walk the points twice. */
    double best = NAN, last = NAN;
    for (size_t i = 0; i < val->n_points; i++) {
        const tw_store_point *p = &val->points[i];
        if (!p->final || !isfinite(p->value))
            continue;
        if (isnan(best) || better(p->value, best, 0, val->goal))
            best = p->value;
        last = p->value;
    }
    if (!isnan(last)) {
        double two[2] = {best, last};
        *gl = tw_alert_gl(two, 2, val->goal);
    }
    uint32_t k = a->c.pq_k;
    if (train && val->goal != TW_GOAL_UNKNOWN) {
        double tail[TW_ALERT_MAX_K];
        size_t n = 0;
        for (size_t i = train->n_points; i-- > 0 && n < k;) {
            const tw_store_point *p = &train->points[i];
            if (p->final && isfinite(p->value))
                tail[n++] = p->value;
        }
        tw_goal tg = train->goal != TW_GOAL_UNKNOWN ? train->goal : val->goal;
        *pk = tw_alert_pk(tail, n, k, tg);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers of the epoch rules                                                                  */

/* The goal of the training series: its own when known, else the validation series'. */
static tw_goal
train_goal(const tw_alert_ctx *x)
{
    return x->train && x->train->goal != TW_GOAL_UNKNOWN ? x->train->goal : x->s->goal;
}

/* The verb for getting worse ("rose" for a metric to minimise) and better. */
static const char *
worse_word(tw_goal goal)
{
    return goal == TW_GOAL_MAX ? "fell" : "rose";
}

static const char *
better_word(tw_goal goal)
{
    return goal == TW_GOAL_MAX ? "rose" : "fell";
}

/* Fills the common fields of an epoch-rule event at value index i. */
static void
epoch_fields(tw_alert *e, const tw_alerts *a, size_t i, bool has_best, size_t best)
{
    if (!e)
        return;
    e->epoch = a->ep[i];
    e->value = a->v[i];
    e->has_value = true;
    if (has_best) {
        e->has_best = true;
        e->best_epoch = a->ep[best];
        e->best_value = a->v[best];
    }
}

/* The index of the best value of v[0..n-1] (the first of equals). */
static size_t
best_index(const double *v, size_t n, tw_goal goal)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (better(v[i], v[b], 0, goal))
            b = i;
    return b;
}

/* ------------------------------------------------------------------------------------------ */
/* The epoch rules: each evaluates one validation series at its value index x->i            */

/* True for the kinds whose standard error is binomial (accuracies, precision, recall). */
static bool
kind_is_binomial(int kind)
{
    return (kind >= TW_METRIC_ACCURACY && kind <= TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY) ||
           kind == TW_METRIC_PRECISION || kind == TW_METRIC_RECALL;
}

/* Whether value i's excess over the best value b is beyond the noise: more than floor % of
 * the best, more than z standard errors of value i (when it has one), and for a count metric
 * at least `samples` samples of its denominator (N = p (1 - p) / SE^2): on one validation set,
 * a paired test (McNemar's) cannot call fewer than about 5 flipped samples significant. */
static bool
overfit_beyond_noise(const tw_alerts *a, const tw_store_series *val, size_t i, size_t b)
{
    const tw_alert_config *c = &a->c;
    double d = fabs(a->v[i] - a->v[b]), se = a->se[i];
    if (!(d * 100.0 > c->overfit_floor * fabs(a->v[b])))
        return false;
    if (isfinite(se) && !(d > c->overfit_z * se))
        return false;
    if (kind_is_binomial(val->kind) && isfinite(se) && se > 0) {
        double p = a->v[i], n = p * (1.0 - p) / (se * se);
        if (d * n < c->overfit_samples * (1.0 - 1e-9)) /* 10 samples of 2000 are 10, not 9.99 */
            return false;
    }
    return true;
}

/* Whether the least-squares slope of the last n values up to value i (all of them when fewer)
 * points the worse way: a sustained trend, not one lucky best. n = 0: no test (true). */
static bool
overfit_slope_worse(const tw_alerts *a, size_t i, uint32_t n, tw_goal goal)
{
    if (n == 0)
        return true;
    size_t m = n > i + 1 ? i + 1 : n, lo = i + 1 - m;
    if (m < 2)
        return false;
    double xm = (m - 1) / 2.0, ym = 0, sxy = 0;
    for (size_t j = lo; j <= i; j++)
        ym += a->v[j];
    ym /= (double)m;
    for (size_t j = lo; j <= i; j++)
        sxy += ((double)(j - lo) - xm) * (a->v[j] - ym);
    return goal == TW_GOAL_MAX ? sxy < 0 : sxy > 0;
}

/* The sentence of a fired overfitting alert at value i with best b: how far value i is from
 * the best (relative, and in standard errors when it has one) and how it got there. "rose
 * N epochs in a row" only when each value rose, "while train loss fell" only when each
 * training value fell. */
static void
overfit_say(tw_alert *e, const tw_alert_ctx *x, size_t i, size_t b)
{
    const tw_alerts *a = x->a;
    const double *v = a->v, *tr = a->tr;
    tw_goal goal = x->s->goal, tg = train_goal(x);
    const char *nm = x->s->name, *sw = split_word(x->s->split);
    double d = fabs(v[i] - v[b]);
    bool each_worse = true, each_better = true;
    for (size_t j = b + 1; j <= i; j++) {
        each_worse = each_worse && worse(v[j], v[j - 1], 0, goal);
        each_better = each_better && isfinite(tr[j]) && isfinite(tr[j - 1]) &&
                      better(tr[j], tr[j - 1], 0, tg);
    }
    char sig[32] = "", trend[64], train[192];
    if (isfinite(a->se[i]) && a->se[i] > 0)
        snprintf(sig, sizeof sig, " (%.2g SE)", d / a->se[i]);
    if (each_worse)
        snprintf(trend, sizeof trend, "%s %zu epochs in a row", worse_word(goal), i - b);
    else
        snprintf(trend, sizeof trend, "has been %s it for %zu epochs",
                 goal == TW_GOAL_MAX ? "below" : "above", i - b);
    if (each_better)
        snprintf(train, sizeof train, "train %s %s", nm, better_word(tg));
    else
        snprintf(train, sizeof train, "train %s went from %.4g to %.4g", nm, tr[b], tr[i]);
    tw_alert_say(e, "%s %s %.4g is %.2g %%%s %s its best %.4g of epoch %llu and %s while %s", sw,
                 nm, v[i], v[b] != 0 ? 100.0 * d / fabs(v[b]) : 0.0, sig,
                 goal == TW_GOAL_MAX ? "below" : "above", v[b], (unsigned long long)a->ep[b], trend,
                 train);
}

/* overfitting: fires when validation has been worse than its best for k epochs by more than
 * its noise (overfit_beyond_noise), is worse than k epochs ago, trends worse over the last
 * `slope` epochs, while training got better over those k epochs; clears at a new best. */
static void
eval_overfitting(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    tw_alert_series_slot *ss = x->ss;
    const tw_alert_config *c = &a->c;
    const tw_store_series *val = x->s;
    tw_goal goal = val->goal;
    const double *v = a->v, *tr = a->tr;
    const char *nm = val->name, *sw = split_word(val->split);
    size_t i = x->i;
    double md = c->overfit_min_delta;
    bool new_best = i == 0 || better(v[i], v[ss->of_best], md, goal);
    size_t prev_best = ss->of_best;
    if (new_best)
        ss->of_best = i;
    bool *act = &ss->active[TW_ALERT_OVERFITTING];
    if (*act && new_best) {
        *act = false;
        tw_alert *e =
            tw_alert_add_event(a, true, TW_ALERT_OVERFITTING, "overfitting", x->now, x->run, val);
        epoch_fields(e, a, i, true, i);
        tw_alert_say(e, "%s %s improved to %.4g at epoch %llu, past the best %.4g of epoch %llu",
                     sw, nm, v[i], (unsigned long long)a->ep[i], v[prev_best],
                     (unsigned long long)a->ep[prev_best]);
    } else if (!*act) {
        size_t k = c->overfit_k, b = ss->of_best;
        bool cond = i >= b + k && worse(v[i], v[i - k], 0, goal) && isfinite(tr[i]) &&
                    isfinite(tr[i - k]) && better(tr[i], tr[i - k], 0, train_goal(x)) &&
                    overfit_slope_worse(a, i, c->overfit_slope, goal);
        for (size_t j = i + 1 - k; cond && j <= i; j++)
            cond = worse(v[j], v[b], md, goal) && overfit_beyond_noise(a, val, j, b);
        if (cond) {
            *act = true;
            tw_alert *e = tw_alert_add_event(a, false, TW_ALERT_OVERFITTING, "overfitting", x->now,
                                             x->run, val);
            epoch_fields(e, a, i, true, b);
            overfit_say(e, x, i, b);
        }
    }
}

/* gl: fires while the generalization loss is above alpha. */
static void
eval_gl(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    const tw_alert_config *c = &a->c;
    const tw_store_series *val = x->s;
    size_t i = x->i;
    double gl = tw_alert_gl(a->v, i + 1, val->goal);
    size_t b = best_index(a->v, i + 1, val->goal);
    bool cond = gl > c->gl_alpha;
    bool *act = &x->ss->active[TW_ALERT_GL];
    if (cond != *act) {
        *act = cond;
        tw_alert *e = tw_alert_add_event(a, !cond, TW_ALERT_GL, "gl", x->now, x->run, val);
        epoch_fields(e, a, i, true, b);
        tw_alert_say(e,
                     "generalization loss of %s %s is %.3g%% (%s %g%%); best was epoch %llu at "
                     "%.4g",
                     split_word(val->split), val->name, gl, cond ? "above" : "back to at most",
                     c->gl_alpha, (unsigned long long)a->ep[b], a->v[b]);
    }
}

/* pq: at a strip's end, fires while GL / P_k is above alpha. */
static void
eval_pq(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    const tw_alert_config *c = &a->c;
    const tw_store_series *val = x->s;
    size_t i = x->i;
    if ((i + 1) % c->pq_k != 0)
        return;
    double gl = tw_alert_gl(a->v, i + 1, val->goal);
    double pk = tw_alert_pk(a->tr, i + 1, c->pq_k, train_goal(x));
    size_t b = best_index(a->v, i + 1, val->goal);
    bool cond = false;
    double pq = NAN;
    if (isfinite(gl) && !isnan(pk)) {
        pq = pk > 0 ? gl / pk : (gl > 0 ? INFINITY : 0);
        cond = pq > c->pq_alpha;
    }
    bool *act = &x->ss->active[TW_ALERT_PQ];
    if (cond != *act) {
        *act = cond;
        tw_alert *e = tw_alert_add_event(a, !cond, TW_ALERT_PQ, "pq", x->now, x->run, val);
        epoch_fields(e, a, i, true, b);
        tw_alert_say(e, "%s %s: GL/P%u = %.3g / %.3g = %.3g (%s %g); best was epoch %llu at %.4g",
                     split_word(val->split), val->name, c->pq_k, gl, pk, pq,
                     cond ? "above" : "back to at most", c->pq_alpha, (unsigned long long)a->ep[b],
                     a->v[b]);
    }
}

/* up: at a strip's end, fires while validation got worse over each of the last s strips. */
static void
eval_up(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    const tw_alert_config *c = &a->c;
    const tw_store_series *val = x->s;
    tw_goal goal = val->goal;
    const double *v = a->v;
    const char *nm = val->name, *sw = split_word(val->split);
    size_t i = x->i;
    if ((i + 1) % c->up_k != 0)
        return;
    size_t k = c->up_k, s = c->up_s;
    bool cond = i >= s * k;
    for (size_t m = 0; cond && m < s; m++)
        cond = worse(v[i - m * k], v[i - (m + 1) * k], 0, goal);
    size_t b = best_index(v, i + 1, goal);
    bool *act = &x->ss->active[TW_ALERT_UP];
    if (cond != *act) {
        *act = cond;
        tw_alert *e = tw_alert_add_event(a, !cond, TW_ALERT_UP, "up", x->now, x->run, val);
        epoch_fields(e, a, i, true, b);
        if (cond)
            tw_alert_say(e,
                         "%s %s %s over %zu consecutive strips of %zu epochs; best was epoch "
                         "%llu at %.4g",
                         sw, nm, worse_word(goal), s, k, (unsigned long long)a->ep[b], v[b]);
        else
            tw_alert_say(e, "%s %s no longer %s over %zu consecutive strips of %zu epochs", sw, nm,
                         worse_word(goal), s, k);
    }
}

/* patience, as Keras's EarlyStopping: fires while the wait since the last improvement that
 * beat the baseline is at least `patience`. */
static void
eval_patience(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    tw_alert_series_slot *ss = x->ss;
    const tw_alert_config *c = &a->c;
    const tw_store_series *val = x->s;
    const char *nm = val->name, *sw = split_word(val->split);
    size_t i = x->i;
    double vi = a->v[i];
    if (a->ep[i] <= c->start_from_epoch)
        return;
    double md = c->patience_min_delta;
    ss->p_wait++;
    bool improved = !ss->p_has_best || better(vi, ss->p_best, md, val->goal);
    bool reset = false;
    if (improved) {
        ss->p_has_best = true;
        ss->p_best = vi;
        ss->p_best_epoch = a->ep[i];
        if (!c->has_baseline || better(vi, c->baseline, md, val->goal)) {
            ss->p_wait = 0;
            reset = true;
        }
    }
    bool *act = &ss->active[TW_ALERT_PATIENCE];
    bool cond = !reset && ss->p_wait >= c->patience;
    if (cond == *act)
        return;
    *act = cond;
    tw_alert *e = tw_alert_add_event(a, !cond, TW_ALERT_PATIENCE, "patience", x->now, x->run, val);
    if (e) {
        e->epoch = a->ep[i];
        e->value = vi;
        e->has_value = true;
        e->has_best = true;
        e->best_epoch = ss->p_best_epoch;
        e->best_value = ss->p_best;
    }
    if (cond)
        tw_alert_say(e, "%s %s: no improvement since epoch %llu (%.4g) for %llu epochs", sw, nm,
                     (unsigned long long)ss->p_best_epoch, ss->p_best,
                     (unsigned long long)ss->p_wait);
    else
        tw_alert_say(e, "%s %s improved to %.4g at epoch %llu", sw, nm, vi,
                     (unsigned long long)a->ep[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* nonfinite: per series                                                                        */

/* The word for a non-finite value. */
static const char *
nonfinite_word(double x)
{
    return isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
}

/* The value nonfinite_word named (NaN when it names none: "a non-finite value"). */
static double
nonfinite_value(const char *word, bool *known)
{
    *known = strcmp(word, "NaN") == 0 || strcmp(word, "+Inf") == 0 || strcmp(word, "-Inf") == 0;
    return !*known || word[0] == 'N' ? NAN : word[0] == '+' ? INFINITY : -INFINITY;
}

/* The first step with a non-finite sample of s (0 when unknown), and its kind. */
static uint64_t
nonfinite_step(const tw_store_series *s, const char **what)
{
    *what = "a non-finite value";
    if (s->samples && !isfinite(s->last_sample)) {
        *what = nonfinite_word(s->last_sample);
        return s->last_sample_step;
    }
    for (uint32_t i = 0; i < s->n_used; i++)
        if (s->buckets[i].nonfinite)
            return tw_store_bucket_step(s, i);
    return 0;
}

/* Where the first non-finite value of s is: its kind, epoch and step. False when none. */
static bool
find_nonfinite(const tw_store_series *s, const char **what, uint64_t *epoch, uint64_t *step)
{
    if (s->nonfinite > 0) {
        *step = nonfinite_step(s, what);
        *epoch = s->live_epoch; /* unless an epoch that ended at or after the step has it: */
        for (size_t i = 0; i < s->n_points; i++) /* a log's records all come at once */
            if (s->points[i].step >= *step) {
                *epoch = s->points[i].epoch;
                break;
            }
        return true;
    }
    for (size_t i = 0; i < s->n_points; i++)
        if (!isfinite(s->points[i].value)) {
            *what = nonfinite_word(s->points[i].value);
            *epoch = s->points[i].epoch;
            *step = s->points[i].step;
            return true;
        }
    if (s->has_live && !isfinite(s->live_value)) {
        *what = nonfinite_word(s->live_value);
        *epoch = s->live_epoch;
        *step = s->live_step;
        return true;
    }
    return false;
}

/* nonfinite: fires once per series at its first NaN or +-Inf. */
static void
eval_nonfinite(const tw_alert_ctx *x)
{
    const tw_store_series *s = x->s;
    if (x->ss->nonfinite_fired)
        return;
    const char *what = "a non-finite value";
    uint64_t step = 0, epoch = 0;
    if (!find_nonfinite(s, &what, &epoch, &step))
        return;
    x->ss->nonfinite_fired = true;
    tw_alert *e =
        tw_alert_add_event(x->a, false, TW_ALERT_NONFINITE, "nonfinite", x->now, x->run, s);
    if (e) {
        e->epoch = epoch;
        e->step = step;
        e->value = nonfinite_value(what, &e->has_value);
        e->has_best = s->has_best;
        e->best_epoch = s->best_epoch;
        e->best_value = s->best_value;
    }
    if (step)
        tw_alert_say(e, "%s %s is %s at step %llu (epoch %llu)", split_word(s->split), s->name,
                     what, (unsigned long long)step, (unsigned long long)epoch);
    else
        tw_alert_say(e, "%s %s is %s at epoch %llu", split_word(s->split), s->name, what,
                     (unsigned long long)epoch);
}

/* ------------------------------------------------------------------------------------------ */
/* stalled and dataloss: per run                                                               */

/* True when the run ended while some rank that was heard never sent a run-end. */
static bool
ended_without_end(const tw_store_run *run)
{
    if (run->state != TW_STATE_ENDED)
        return false;
    for (uint32_t k = 0; k < tw_store_run_ranks_heard(run); k++) {
        const tw_store_rank *rk = tw_store_run_rank_heard(run, k);
        if (rk && rk->heard && !rk->ended)
            return true;
    }
    return false;
}

/* stalled: fires when the run turns stalled, vanished, failed or disconnected (again at a
 * change of kind), clears when it is live again; fires once when it ended without a run-end. */
static void
eval_stalled(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    tw_alert_run_slot *rs = x->rs;
    const tw_store_run *run = x->run;
    tw_store_state st = run->state;
    bool bad = st == TW_STATE_STALLED || st == TW_STATE_VANISHED || st == TW_STATE_FAILED ||
               st == TW_STATE_DISCONNECTED;
    bool crashed = ended_without_end(run);
    if (bad && st != rs->bad) {
        if (rs->bad != TW_STATE_LIVE && a->active > 0)
            a->active--; /* a change of kind (stalled -> vanished) is not a new condition */
        rs->bad = st;
        tw_alert *e = tw_alert_add_event(a, false, TW_ALERT_STALLED, tw_store_state_name(st),
                                         x->now, run, NULL);
        if (e) {
            e->epoch = run->epoch;
            e->step = run->step;
            e->severity = st == TW_STATE_STALLED || st == TW_STATE_DISCONNECTED ? TW_ALERT_WARNING
                                                                                : TW_ALERT_ERROR;
        }
        tw_alert_say(e, "run %s at epoch %llu, step %llu: %s", tw_store_state_name(st),
                     (unsigned long long)run->epoch, (unsigned long long)run->step,
                     run->reason[0] ? run->reason : "no reason given");
    } else if (!bad && rs->bad != TW_STATE_LIVE) {
        tw_store_state was = rs->bad;
        rs->bad = TW_STATE_LIVE;
        tw_alert *e = tw_alert_add_event(a, true, TW_ALERT_STALLED, tw_store_state_name(was),
                                         x->now, run, NULL);
        if (e)
            e->epoch = run->epoch;
        tw_alert_say(e, "run is %s again (was %s)", tw_store_state_name(st),
                     tw_store_state_name(was));
    }
    if (crashed && !rs->crashed) {
        rs->crashed = true;
        tw_alert *e = tw_alert_add_event(a, false, TW_ALERT_STALLED, "vanished", x->now, run, NULL);
        if (e) {
            e->epoch = run->epoch;
            e->step = run->step;
            e->severity = TW_ALERT_ERROR;
        }
        tw_alert_say(e, "run ended without a run-end record at epoch %llu, step %llu (crashed?)",
                     (unsigned long long)run->epoch, (unsigned long long)run->step);
    }
}

/* Sequence gaps that a replay fills this soon are not data loss: a monitor that joins a run
 * receives live records before the publisher's replay of the history. */
#define LOSS_GRACE_SECONDS 3.0

/* dataloss: fires at records the publisher dropped (once per run: they stay counted), or at
 * sequence gaps that last LOSS_GRACE_SECONDS (asking the engine to evaluate again when that
 * time comes); clears when only gaps were lost and a replay has filled them all (the monitor
 * asks for one when it fell behind: refill.h), and may fire again at later gaps. */
static void
eval_dataloss(const tw_alert_ctx *x)
{
    tw_alerts *a = x->a;
    tw_alert_run_slot *rs = x->rs;
    const tw_store_run *run = x->run;
    uint64_t gaps = run->counters.gaps, drops = run->counters.drops;
    if (rs->loss_fired) {
        if (gaps + drops > 0)
            return;
        rs->loss_fired = false;
        rs->loss_since = 0;
        tw_alert *e = tw_alert_add_event(a, true, TW_ALERT_DATALOSS, "dataloss", x->now, run, NULL);
        if (e)
            e->epoch = run->epoch;
        tw_alert_say(e, "a replay brought the missing epoch values back");
        return;
    }
    if (gaps + drops == 0) {
        rs->loss_since = 0;
        return;
    }
    if (drops == 0) { /* only gaps: they must last past the grace period */
        if (rs->loss_since == 0)
            rs->loss_since = x->now;
        if (x->now - rs->loss_since < LOSS_GRACE_SECONDS) {
            if (rs->loss_since + LOSS_GRACE_SECONDS < a->recheck)
                a->recheck = rs->loss_since + LOSS_GRACE_SECONDS;
            return;
        }
    }
    rs->loss_fired = true;
    tw_alert *e = tw_alert_add_event(a, false, TW_ALERT_DATALOSS, "dataloss", x->now, run, NULL);
    if (e) {
        e->epoch = run->epoch;
        e->step = run->step;
    }
    char steps[200] = "";
    if (tw_store_dropped_text(run, steps + 2, sizeof steps - 2))
        memcpy(steps, "; ", 2);
    tw_alert_say(e,
                 "data lost: %llu records missing (sequence gaps), %llu dropped by the publisher%s",
                 (unsigned long long)gaps, (unsigned long long)drops, steps);
}

/* ------------------------------------------------------------------------------------------ */
/* The table                                                                                    */

/* One row per rule, in tw_alert_rule order (the order the engine evaluates a scope's rules
 * in). To add a rule: its value in tw_alert_rule (alerts.h), its row here and its function
 * above, its parameters in alert_config.c's table. */
const tw_alert_rule_def tw_alert_rules[TW_ALERT_N_RULES] = {
    [TW_ALERT_OVERFITTING] = {"overfitting", true, TW_ALERT_WARNING, TW_ALERT_PER_EPOCH,
                              eval_overfitting},
    [TW_ALERT_GL] = {"gl", false, TW_ALERT_WARNING, TW_ALERT_PER_EPOCH, eval_gl},
    [TW_ALERT_PQ] = {"pq", false, TW_ALERT_WARNING, TW_ALERT_PER_EPOCH, eval_pq},
    [TW_ALERT_UP] = {"up", false, TW_ALERT_WARNING, TW_ALERT_PER_EPOCH, eval_up},
    [TW_ALERT_PATIENCE] = {"patience", false, TW_ALERT_WARNING, TW_ALERT_PER_EPOCH, eval_patience},
    [TW_ALERT_NONFINITE] = {"nonfinite", true, TW_ALERT_ERROR, TW_ALERT_PER_SERIES, eval_nonfinite},
    [TW_ALERT_STALLED] = {"stalled", true, TW_ALERT_WARNING, TW_ALERT_PER_RUN, eval_stalled},
    [TW_ALERT_DATALOSS] = {"dataloss", true, TW_ALERT_WARNING, TW_ALERT_PER_RUN, eval_dataloss},
};

/* The rule's name (its row's), NULL when out of range. */
const char *
tw_alert_rule_name(tw_alert_rule rule)
{
    return (unsigned)rule < TW_ALERT_N_RULES ? tw_alert_rules[rule].name : NULL;
}
