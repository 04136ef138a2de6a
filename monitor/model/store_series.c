/* store_series.c - a run's metric series: creation and teardown, the goal inferred from a
 * name, and the derived values (live value of the open epoch, latest, best). */
#include "store_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

tw_goal
tw_store_infer_goal(const char *name, int kind)
{
    static const char *const min_words[] = {"loss", "error", "crossentropy", "mse",    "mae",
                                            "mape", "hinge", "divergence",   "poisson"};
    static const char *const max_words[] = {
        "accuracy", "auc", "precision",  "recall",      "io_u",        "iou",        "f1",
        "f_beta",   "r2",  "similarity", "correlation", "sensitivity", "specificity"};
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

void
tw_store_series_free(tw_store *s, series *se, uint32_t cap_ranks)
{
    uint32_t len = se->pub.state_len;
    for (size_t i = 0; i < se->pub.n_points; i++) {
        tw_store_mem_free(s, NULL, se->pp[i].slots, cap_ranks, sizeof(pslot));
        if (se->pp[i].states)
            tw_store_mem_free(s, NULL, se->pp[i].states, (size_t)cap_ranks * len, sizeof(double));
        tw_store_mem_free(s, NULL, se->pp[i].sum, len, sizeof(double));
    }
    tw_store_mem_free(s, NULL, se->points, se->cap_points, sizeof(tw_store_point));
    tw_store_mem_free(s, NULL, se->pp, se->cap_points, sizeof(ppriv));
    tw_store_mem_free(s, NULL, se->buckets, se->pub.bucket_count, sizeof(tw_store_bucket));
    tw_store_mem_free(s, NULL, se->cur, cap_ranks, sizeof(mslot *));
    tw_store_mem_free(s, NULL, se->tmp, len, sizeof(double));
    if (se->pub.args)
        tw_store_mem_free(s, NULL, (void *)se->pub.args, strlen(se->pub.args) + 1, 1);
    if (se->scratch) {
        s->bytes -= 2 * len * sizeof(double) + 64;
        tw_metric_destroy(&se->scratch);
    }
    tw_store_mem_free(s, NULL, se, 1, sizeof(series));
}

series *
tw_store_series_new(tw_store *s, run *rn, const tw_wire_record *r)
{
    size_t bytes = 0;
    series *se = tw_store_mem_calloc(s, &bytes, 1, sizeof(series));
    if (!se)
        return NULL;
    se->bytes = bytes;
    se->run = rn;
    tw_store_series *p = &se->pub;
    copy_str(p->name, sizeof p->name, r->name);
    p->split = r->split;
    p->kind = r->kind;
    p->options = r->options;
    p->component = -1;
    size_t args_len = strlen(r->args) + 1;
    char *args = tw_store_mem_calloc(s, &se->bytes, args_len, 1);
    if (args)
        memcpy(args, r->args, args_len);
    p->args = args;
    p->state_len = r->state_len;
    p->goal_declared = r->goal != TW_GOAL_UNKNOWN;
    p->goal = p->goal_declared ? r->goal : tw_store_infer_goal(r->name, r->kind);
    p->bucket_count = s->o.buckets;
    p->bucket_width = 1;
    se->bucket_shift = 0;
    se->cur = tw_store_mem_calloc(s, &se->bytes, rn->cap_ranks, sizeof(mslot *));
    /* what is sized by the declared state length (up to 200002 doubles for an AUC) waits for
     * the first state: a declaration alone costs a peer nothing (tw_store_series_ready) */
    p->buckets = se->buckets;
    if (!se->cur || !args) {
        tw_store_series_free(s, se, rn->cap_ranks);
        return NULL;
    }
    return se;
}

int
tw_store_series_ready(tw_store *s, series *se)
{
    uint32_t len = se->pub.state_len;
    if (!se->tmp && !(se->tmp = tw_store_mem_calloc(s, &se->bytes, len, sizeof(double))))
        return -ENOMEM;
    if (!is_gauge(se) && !se->scratch) {
        se->scratch = tw_wire_metric_new(se->pub.kind, &se->pub.options, se->pub.args);
        if (!se->scratch) /* EINVAL: arguments the library refuses (a canonical form too long) */
            return errno == ENOMEM ? -ENOMEM : -EINVAL;
        s->bytes += 2 * len * sizeof(double) + 64; /* approximately */
        se->bytes += 2 * len * sizeof(double) + 64;
    }
    return 0;
}

int
tw_store_slot_ready(tw_store *s, mslot *m)
{
    series *se = m->series;
    uint32_t len = se->pub.state_len;
    if (!m->prev && !(m->prev = tw_store_mem_calloc(s, &se->bytes, len, sizeof(double))))
        return -ENOMEM;
    if (!m->latest && !(m->latest = tw_store_mem_calloc(s, &se->bytes, len, sizeof(double))))
        return -ENOMEM;
    return 0;
}

mslot *
tw_store_slot_new(tw_store *s, series *se, inc *c)
{
    mslot *m = tw_store_mem_calloc(s, &se->bytes, 1, sizeof(mslot));
    if (!m)
        return NULL;
    m->series = se; /* prev and latest: at its first UPDATE (tw_store_slot_ready) */
    m->inc = c;
    for (int k = 0; k < N_EMA; k++)
        m->ema_pow[k] = 1.0;
    return m;
}

void
tw_store_series_latest(series *se)
{
    tw_store_series *p = &se->pub;
    if (p->n_points) {
        const tw_store_point *last = &se->points[p->n_points - 1];
        p->has_latest = true;
        p->latest_value = last->value;
        p->latest_se = last->value_se;
        p->latest_epoch = last->epoch;
    }
    if (p->has_live && (!p->n_points || p->live_epoch > p->latest_epoch)) {
        p->has_latest = true;
        p->latest_value = p->live_value;
        p->latest_se = p->live_se;
        p->latest_epoch = p->live_epoch;
    }
}

double
tw_store_part_value(series *se, const double *state)
{
    double v[TW_STORE_MAX_PARTS];
    tw_metric_set_state(se->scratch, state, se->pub.state_len);
    int n = tw_metric_result_vector(se->scratch, v, TW_STORE_MAX_PARTS);
    return se->pub.component < n ? v[se->pub.component] : NAN;
}

/* The live value: the sum over ranks of each rank's latest UPDATE state in the newest epoch
 * any rank has updated (gauges: the latest rank's value). */
void
tw_store_series_live(series *se)
{
    tw_store_series *p = &se->pub;
    const run *rn = se->run;
    uint32_t len = p->state_len;
    uint64_t e = 0;
    bool any = false;
    for (uint32_t k = 0; k < rn->n_ranks; k++) {
        const mslot *m = se->cur[rn->order[k]];
        if (m && m->has_latest && (!any || m->latest_epoch > e)) {
            e = m->latest_epoch;
            any = true;
        }
    }
    p->has_live = any;
    if (!any) {
        tw_store_series_latest(se);
        return;
    }
    uint32_t n = 0;
    uint64_t step = 0;
    double time = 0, gauge = 0;
    if (!is_gauge(se))
        memset(se->tmp, 0, len * sizeof(double));
    for (uint32_t k = 0; k < rn->n_ranks; k++) { /* in rank order: sums do not depend on arrival */
        const mslot *m = se->cur[rn->order[k]];
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
    p->live_se = state_se(se, se->tmp);
    tw_store_series_latest(se);
}

void
tw_store_series_best_all(series *se)
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
            p->best_se = pt->value_se;
            p->best_epoch = pt->epoch;
        }
    }
}

void
tw_store_series_best_one(series *se, const tw_store_point *pt)
{
    tw_store_series *p = &se->pub;
    if (p->goal == TW_GOAL_UNKNOWN || !pt->final || !isfinite(pt->value))
        return;
    if (!p->has_best || goal_better(p->goal, pt->value, pt->epoch, p->best_value, p->best_epoch)) {
        p->has_best = true;
        p->best_value = pt->value;
        p->best_se = pt->value_se;
        p->best_epoch = pt->epoch;
    }
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
tw_store_series_bytes(const tw_store_series *p)
{
    return p ? ((const series *)p)->bytes : 0;
}
