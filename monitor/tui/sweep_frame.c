/* sweep_frame.c - the sweep view's frame, in the update path: the study, its trials, the
 * hyperparameter on x, the scatter and its tick labels (sweep.h). */
#include "sweep.h"

#include "chart.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The metric a trial without an `objective` parameter is ranked by: the selected one. */

void
tw_sweep_frame_destroy(tw_sweep_frame **pf)
{
    tw_sweep_frame *f = pf ? *pf : NULL;

    if (!f)
        return;
    tw_scatter_free(&f->sc);
    free(f->t);
    free(f->pts);
    free(f->keys);
    free(f);
    *pf = NULL;
}

/* The study shown: the runs cursor's, else the first listed run's, else the store's first. */
static const char *
pick_study(const tw_view *v, const tw_store *s)
{
    const tw_store_run *cur = tw_view_cursor_run(v);
    const char *name = tw_study_of(cur);

    for (size_t i = 0; !name && i < v->runs_list.n; i++)
        name = tw_study_of(v->rows[i].run);
    return name ? name : tw_study_at(s, 0);
}

/* Whether key is worth an axis: numeric in some trial, with two different values (or only one
 * trial). */
static bool
plottable(const tw_sweep_frame *f, size_t n, const char *key)
{
    double first = NAN, x;
    bool any = false;

    for (size_t i = 0; i < n; i++) {
        if (!tw_study_param_number(f->t[i].run, key, &x))
            continue;
        if (any && x != first)
            return true;
        first = any ? first : x;
        any = true;
    }
    return any && n == 1;
}

/* The plottable hyperparameters into f->keys; returns how many, or -ENOMEM. */
static long
param_keys(tw_sweep_frame *f, size_t n)
{
    size_t total = tw_study_param_keys(f->t, n, NULL, 0), k = 0;

    if (total > f->cap_keys) {
        const char **p = realloc(f->keys, total * sizeof *p);
        if (!p)
            return -ENOMEM;
        f->keys = p;
        f->cap_keys = total;
    }
    tw_study_param_keys(f->t, n, f->keys, total);
    for (size_t i = 0; i < total; i++)
        if (plottable(f, n, f->keys[i]))
            f->keys[k++] = f->keys[i];
    return (long)k;
}

/* The points: each trial with a best and a number for the parameter. */
static int
points(tw_sweep_frame *f, size_t n, const char *key)
{
    if (n > f->cap_pts) {
        tw_scatter_point *p = realloc(f->pts, n * sizeof *p);
        if (!p)
            return -ENOMEM;
        f->pts = p;
        f->cap_pts = n;
    }
    f->plotted = f->pruned = f->failed = 0;
    for (size_t i = 0; i < n; i++) {
        const tw_study_trial *t = &f->t[i];
        double x;
        if (!t->has_best || !tw_study_param_number(t->run, key, &x))
            continue;
        tw_scatter_point *p = &f->pts[f->plotted++];
        p->x = x;
        p->y = t->best;
        p->pruned = t->state == TW_TRIAL_PRUNED || t->state == TW_TRIAL_FAILED;
        p->best = i == 0 && !p->pruned; /* the leaderboard's first */
        f->pruned += t->state == TW_TRIAL_PRUNED;
        f->failed += t->state == TW_TRIAL_FAILED;
    }
    return 0;
}

/* Tick labels of one axis over [lo, hi] (log10 positions with log), at positions 0..cells-1
 * (y: from the top, so hi is row 0). */
static int
ticks(tw_sweep_tick *out, double lo, double hi, int cells, bool log, bool y)
{
    double t[TW_SWEEP_TICKS], step = 0;
    int max = y ? (cells + 2) / 3 : cells / 10, n;

    max = max < 2 ? 2 : max > TW_SWEEP_TICKS ? TW_SWEEP_TICKS : max;
    n = log ? tw_chart_log_ticks(lo, hi, max, t, TW_SWEEP_TICKS, &step)
            : tw_chart_ticks(lo, hi, max, false, t, TW_SWEEP_TICKS, &step);
    for (int i = 0; i < n; i++) {
        double a = log ? log10(t[i]) : t[i], l = log ? log10(lo) : lo, h = log ? log10(hi) : hi;
        double frac = h > l ? (a - l) / (h - l) : 0;
        out[i].pos = (int)lround(frac * (cells - 1));
        if (y)
            out[i].pos = cells - 1 - out[i].pos;
        tw_chart_format_tick(out[i].text, sizeof out[i].text, t[i], log && step == 0 ? t[i] : step);
    }
    return n;
}

/* The axes' scales: x on log10 when its values are positive and span more than a decade
 * (tw_scatter_want_log); y on log10 when the view's log-y is on (key l) and every best value
 * is positive, its points then turned into log10. Returns 0 or -ENOMEM. */
static int
choose_logs(tw_sweep_frame *f, bool want_log_y, bool *log_x)
{
    double *xs = malloc((f->plotted ? f->plotted : 1) * sizeof *xs);

    if (!xs)
        return -ENOMEM;
    f->log_y = want_log_y && f->plotted > 0;
    for (size_t i = 0; i < f->plotted; i++) {
        xs[i] = f->pts[i].x;
        f->log_y = f->log_y && f->pts[i].y > 0;
    }
    *log_x = tw_scatter_want_log(xs, f->plotted);
    free(xs);
    for (size_t i = 0; f->log_y && i < f->plotted; i++)
        f->pts[i].y = log10(f->pts[i].y);
    return 0;
}

/* The header's texts: what is ranked, the best trial. */
static void
describe(tw_sweep_frame *f, size_t n)
{
    const tw_study_trial *b = n ? &f->t[0] : NULL;
    const tw_store_series *se = NULL;

    for (size_t i = 0; i < n && !se; i++)
        se = f->t[i].series;
    snprintf(f->objective, sizeof f->objective, "%s (%s, %s)", se ? se->name : "?",
             se ? tw_wire_split_name(se->split) : "?",
             se && se->goal == TW_GOAL_MAX ? "max" : "min");
    f->best[0] = '\0';
    if (b && b->has_best)
        snprintf(f->best, sizeof f->best, "best: trial %ld %.4g@%llu", b->number, b->best,
                 (unsigned long long)b->best_epoch);
}

void
tw_view_sweep_frame(tw_view *v, const tw_store *s, tw_rect r)
{
    tw_sweep_frame *f = v->sweep_frame;
    const char *study;
    long n, nk;

    if (!f && !(f = v->sweep_frame = calloc(1, sizeof *f)))
        return;
    f->message = NULL;
    f->n_xt = f->n_yt = 0;
    f->trials = f->plotted = f->pruned = f->failed = f->n_params = 0;
    f->log_y = false;
    f->param[0] = f->study[0] = f->best[0] = f->objective[0] = '\0';
    f->plot =
        (tw_rect){.y = r.y, .x = r.x + TW_SWEEP_YLAB_W, .h = r.h - 1, .w = r.w - TW_SWEEP_YLAB_W};
    if (!(study = pick_study(v, s))) {
        f->message = "no study: runs with a `study` parameter (trainwatch.optuna) make one";
        return;
    }
    snprintf(f->study, sizeof f->study, "%s", study);
    n = tw_study_collect(s, study, v->metric, &f->t, &f->cap_t);
    nk = n < 0 ? n : param_keys(f, (size_t)n);
    if (n < 0 || nk < 0) {
        f->message = "out of memory";
        return;
    }
    f->trials = (size_t)n;
    describe(f, (size_t)n);
    if (nk == 0) {
        f->message = "no numeric hyperparameter to plot against";
        return;
    }
    f->n_params = (size_t)nk;
    f->param_index = v->sweep_param % (size_t)nk;
    snprintf(f->param, sizeof f->param, "%s", f->keys[f->param_index]);
    if (f->plot.w < 8 || f->plot.h < 3) {
        f->message = "(no room for the sweep view)";
        return;
    }
    if (points(f, (size_t)n, f->param) != 0) {
        f->message = "out of memory";
        return;
    }
    bool log_x;
    if (choose_logs(f, v->log_y, &log_x) != 0 ||
        tw_scatter_render(&f->sc, f->pts, f->plotted, f->plot.w, f->plot.h, v->braille, log_x) !=
            0) {
        f->message = "out of memory";
        return;
    }
    if (f->log_y) { /* the scatter's y range back in data units, for the ticks */
        f->sc.y_lo = pow(10, f->sc.y_lo);
        f->sc.y_hi = pow(10, f->sc.y_hi);
    }
    if (f->plotted == 0) {
        f->message = "no trial has a best value yet";
        return;
    }
    f->n_xt = ticks(f->xt, f->sc.x_lo, f->sc.x_hi, f->plot.w, log_x, false);
    f->n_yt = ticks(f->yt, f->sc.y_lo, f->sc.y_hi, f->plot.h, f->log_y, true);
}
