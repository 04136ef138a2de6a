/* chart_frame.c - the chart's frame, in the update path: the selected metric of the visible
 * runs turned into chart series, held ranges, and rasterized into the view's chart grid. */
#include "view_state.h"
#include "xmap.h"

#include "reserve.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Alert markers drawn per series, at most. */
#define MAX_ALERT_MARKS 8

/* Splits drawn per run in the per-epoch chart, their line styles, and the bits or-ed into
 * the run's color: training solid and bold (TW_VIEW_COLOR_MAIN), validation dotted and dim,
 * test dotted. */
static const tw_split splits[] = {TW_SPLIT_TRAIN, TW_SPLIT_VAL, TW_SPLIT_TEST};
static const unsigned split_style[] = {TW_CHART_SOLID, TW_CHART_DOTTED | TW_CHART_DIM,
                                       TW_CHART_DOTTED};
static const unsigned split_color[] = {TW_VIEW_COLOR_MAIN, 0, 0};
#define N_SPLITS 3

/* Where a restart mark at epoch e goes: between epochs e - 1 and e. */
static double
restart_x(const tw_view_xmap *m, const tw_store_series *const *ser, const tw_store_mark *mk)
{
    if (m->axis == TW_XAXIS_TIME)
        return mk->time - m->origin;
    if (m->axis == TW_XAXIS_EPOCH)
        return (double)mk->epoch - (m->step_mode ? 1.0 : 0.5);
    return mk->epoch > 1 ? tw_view_xmap_epoch_end(m, ser, mk->epoch - 1) : 0;
}

/* The runs the chart draws: listed and not hidden, the cursor's run last (on top). */
static size_t
charted_runs(tw_view *v)
{
    size_t k = 0;
    const tw_view_row *cur = NULL;

    if (!tw_reserve((void **)&v->chart_rows, &v->cap_chart_rows, v->runs_list.n + 1,
                    sizeof *v->chart_rows))
        return 0;
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_view_row *row = &v->rows[i];
        if (row->hidden)
            continue;
        if (i == v->runs_list.sel)
            cur = row;
        else
            v->chart_rows[k++] = *row;
    }
    if (cur)
        v->chart_rows[k++] = *cur;
    return k;
}

/* Room for every series, point, bucket and mark the frame may need. Returns 0 or -ENOMEM. */
static int
reserve_frame(tw_view *v, size_t nruns)
{
    size_t nser = 0, ndbl = 0, nbuck = 0, nmark = 0;

    for (size_t i = 0; i < nruns; i++) {
        const tw_store_run *run = v->chart_rows[i].run;
        for (int k = 0; k < N_SPLITS; k++) {
            const tw_store_series *se = tw_store_find_series(run, v->metric, splits[k]);
            if (!se)
                continue;
            nser += 2;
            ndbl += (se->n_points + 1) * 4; /* x, y, smoothed y, standard errors */
            nbuck += se->n_used;
            nmark += 2 + MAX_ALERT_MARKS;
        }
        nmark += run->n_marks;
    }
    if (!tw_reserve((void **)&v->series, &v->cap_series, nser + 1, sizeof *v->series) ||
        !tw_reserve((void **)&v->xy, &v->cap_xy, ndbl + 1, sizeof *v->xy) ||
        !tw_reserve((void **)&v->buckets, &v->cap_buckets, nbuck + 1, sizeof *v->buckets) ||
        !tw_reserve((void **)&v->marks, &v->cap_marks, nmark + 1, sizeof *v->marks))
        return -ENOMEM;
    return 0;
}

/* The frame's fill state: next free slots of the scratch arrays. */
typedef struct frame {
    size_t nser, ndbl, nbuck, nmark;
} frame;

/* Adds '!' markers at the epochs where alerts fired (and have not cleared since) on series
 * `se` of run `run_id`, newest first, at most MAX_ALERT_MARKS; x[i] are the points' x. */
static void
add_alert_marks(tw_view *v, frame *f, const char *run_id, const tw_store_series *se,
                const double *x)
{
    size_t n = v->alerts ? tw_alerts_count(v->alerts) : 0, added = 0;
    for (size_t i = n; i-- > 0 && added < MAX_ALERT_MARKS;) {
        const tw_alert *e = tw_alerts_at(v->alerts, i);
        if (e->cleared || !e->epoch || e->split != se->split || strcmp(e->run, run_id) != 0 ||
            strcmp(e->metric, se->name) != 0)
            continue;
        const tw_store_point *p = tw_store_series_point(se, e->epoch);
        if (!p)
            continue;
        tw_chart_marker *mk = &v->marks[f->nmark++];
        mk->x = x[p - se->points];
        mk->y = NAN;
        mk->kind = TW_CHART_MARK_ALERT;
        added++;
    }
}

/* The standard errors of the n values of `se` that add_epoch_series took (its points, then
 * its live value when n says so) into e, when the validation bars are on (key E) and `se` is
 * a validation series; NULL otherwise. */
static const double *
epoch_errbars(const tw_view *v, frame *f, const tw_store_series *se, size_t n)
{
    if (!v->errbars || se->split != TW_SPLIT_VAL)
        return NULL;
    double *e = v->xy + f->ndbl;
    f->ndbl += se->n_points + 1;
    for (size_t i = 0; i < n; i++)
        e[i] = i < se->n_points ? se->points[i].value_se : se->live_se;
    return e;
}

/* Adds the per-epoch line of one split (its raw line dimmed under a smoothed one when
 * smoothing is on; the validation points' standard-error bars under the raw values when
 * they are on), with the live and best marks. */
static void
add_epoch_series(tw_view *v, frame *f, const tw_view_xmap *m, const char *run_id,
                 const tw_store_series *se, int color, unsigned style, bool best_here)
{
    double *x = v->xy + f->ndbl, *y, *ys;
    size_t n = 0, mark0 = f->nmark;
    bool live_mark = false;
    double live_x = NAN;
    tw_chart_series *cs;

    y = x + se->n_points + 1;
    for (size_t i = 0; i < se->n_points; i++) {
        const tw_store_point *p = &se->points[i];
        x[n] = tw_view_xmap_point(m, p->epoch, p->step, p->time);
        y[n] = p->value;
        n++;
    }
    if (se->has_live &&
        (se->n_points == 0 || se->live_epoch > se->points[se->n_points - 1].epoch)) {
        x[n] = tw_view_xmap_point(m, se->live_epoch, se->live_step, se->live_time);
        y[n] = se->live_value;
        live_x = x[n];
        live_mark = true;
        n++;
    } else if (se->n_points && !se->points[se->n_points - 1].final) {
        live_x = x[n - 1];
        live_mark = true;
    }
    f->ndbl += (se->n_points + 1) * 2;
    if (n == 0)
        return;

    if (live_mark) {
        tw_chart_marker *mk = &v->marks[f->nmark++];
        mk->x = live_x;
        mk->y = NAN;
        mk->kind = TW_CHART_MARK_LIVE;
    }
    const tw_store_point *best =
        best_here && se->has_best ? tw_store_series_point(se, se->best_epoch) : NULL;
    if (best) {
        tw_chart_marker *mk = &v->marks[f->nmark++];
        mk->x = x[best - se->points];
        mk->y = NAN;
        mk->kind = TW_CHART_MARK_BEST;
    }
    add_alert_marks(v, f, run_id, se, x);

    const double *err = epoch_errbars(v, f, se, n);
    ys = y;
    if (v->smooth > 0 && n > 1) {
        /* The raw line, dim, under its smoothed version. */
        cs = &v->series[f->nser++];
        memset(cs, 0, sizeof *cs);
        cs->x = x;
        cs->y = y;
        cs->n = n;
        cs->color = (uint8_t)((unsigned)color & ~TW_VIEW_COLOR_MAIN); /* dim, never bold */
        cs->style = style | TW_CHART_DIM;
        cs->err = err;
        err = NULL;
        ys = v->xy + f->ndbl;
        f->ndbl += se->n_points + 1;
        tw_chart_smooth(y, ys, n, tw_store_smooth_weight(v->smooth));
    }
    cs = &v->series[f->nser++];
    memset(cs, 0, sizeof *cs);
    cs->x = x;
    cs->y = ys;
    cs->n = n;
    cs->color = (uint8_t)color;
    cs->style = style;
    cs->markers = v->marks + mark0;
    cs->n_markers = f->nmark - mark0;
    cs->err = err;
}

/* Adds the per-step buckets of a series: envelope (when on) and the (smoothed) mean line. The
 * line breaks (a NaN bucket) across empty buckets where the run's publishers dropped per-step
 * records (GAP), rather than draw across values that are missing; across empty buckets
 * without a GAP (values logged sparsely) it goes on. At most one break per run of empty
 * buckets, so the buckets still fit the series' n_used. */
static void
add_step_series(tw_view *v, frame *f, const tw_view_xmap *m, const tw_store_run *run,
                const tw_store_series *se, int color, bool live)
{
    tw_chart_bucket *b = v->buckets + f->nbuck;
    size_t n = 0, mark0 = f->nmark;
    double prev_hi = -INFINITY;
    uint64_t empty_from = 0; /* the first step of the empty buckets since the last one drawn */
    bool after_empty = false;
    tw_chart_series *cs;

    for (uint32_t i = 0; i < se->n_used; i++) {
        const tw_store_bucket *sb = &se->buckets[i];
        double lo_step = (double)tw_store_bucket_step(se, i);
        double hi_step = lo_step + (double)(se->bucket_width ? se->bucket_width - 1 : 0);
        tw_chart_bucket *cb = &b[n];

        if (sb->count == 0) {
            if (!after_empty && n > 0)
                empty_from = tw_store_bucket_step(se, i);
            after_empty = n > 0;
            continue;
        }
        if (after_empty &&
            tw_store_run_dropped_within(run, empty_from, tw_store_bucket_step(se, i) - 1)) {
            cb->x_lo = cb->x_hi = prev_hi;
            cb->min = cb->max = cb->mean = NAN;
            cb = &b[++n];
        }
        after_empty = false;
        cb->x_lo = tw_view_xmap_step(m, lo_step, sb->t_min);
        cb->x_hi = tw_view_xmap_step(m, hi_step, sb->t_max);
        if (cb->x_lo < prev_hi) /* out-of-order clocks: keep buckets apart */
            cb->x_lo = prev_hi;
        if (cb->x_hi < cb->x_lo)
            cb->x_hi = cb->x_lo;
        prev_hi = cb->x_hi;
        cb->mean = tw_store_bucket_smoothed(sb, v->smooth);
        if (sb->count > sb->nonfinite && v->envelope) {
            cb->min = sb->min;
            cb->max = sb->max;
        } else {
            cb->min = cb->max = cb->mean;
        }
        n++;
    }
    f->nbuck += n;
    if (n == 0)
        return;
    if (live) {
        tw_chart_marker *mk = &v->marks[f->nmark++];
        mk->x = b[n - 1].x_hi;
        mk->y = NAN;
        mk->kind = TW_CHART_MARK_LIVE;
    }
    cs = &v->series[f->nser++];
    memset(cs, 0, sizeof *cs);
    cs->buckets = b;
    cs->n_buckets = n;
    cs->color = (uint8_t)color;
    cs->style = TW_CHART_SOLID;
    cs->markers = v->marks + mark0;
    cs->n_markers = f->nmark - mark0;
}

/* Adds the run's restart rules to the last series added (whose marks are the newest: they
 * do not depend on y, so any series of the run will do). */
static void
add_restarts(tw_view *v, frame *f, const tw_view_xmap *m, const tw_store_run *run,
             const tw_store_series *const *ser, size_t first_series)
{
    tw_chart_series *cs;

    if (!run->n_marks || f->nser <= first_series)
        return;
    cs = &v->series[f->nser - 1];
    for (size_t i = 0; i < run->n_marks; i++) {
        tw_chart_marker *mk = &v->marks[f->nmark];
        mk->x = restart_x(m, ser, &run->marks[i]);
        mk->y = NAN;
        mk->kind = TW_CHART_MARK_RESTART;
        if (isfinite(mk->x)) {
            f->nmark++;
            cs->n_markers++;
        }
    }
}

/* The extent of the series: x over every point, y over the values at x >= x_from. */
typedef struct extent {
    double x_lo, x_hi, y_lo, y_hi;
} extent;

static void
widen(extent *e, double x, double y, double x_from)
{
    if (!isfinite(x))
        return;
    e->x_lo = fmin(e->x_lo, x);
    e->x_hi = fmax(e->x_hi, x);
    if (x < x_from || !isfinite(y))
        return;
    e->y_lo = fmin(e->y_lo, y);
    e->y_hi = fmax(e->y_hi, y);
}

static extent
data_extent(const tw_chart_series *ss, size_t n, double x_from)
{
    extent e = {INFINITY, -INFINITY, INFINITY, -INFINITY};

    for (size_t k = 0; k < n; k++) {
        const tw_chart_series *cs = &ss[k];
        for (size_t i = 0; cs->buckets && i < cs->n_buckets; i++) {
            const tw_chart_bucket *b = &cs->buckets[i];
            widen(&e, b->x_lo, b->min, x_from);
            widen(&e, b->x_hi, b->max, x_from);
            widen(&e, b->x_hi, b->mean, x_from);
        }
        for (size_t i = 0; !cs->buckets && i < cs->n; i++)
            widen(&e, cs->x[i], cs->y[i], x_from);
    }
    return e;
}

/* The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= s > 0. */
static double
nice_up(double s)
{
    static const double m[] = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    double p = pow(10, floor(log10(s)));

    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i] * p >= s * (1 - 1e-12))
            return m[i] * p;
    return 10 * p;
}

/* What the chart draws, as a number: a new key drops the held ranges. */
static uint64_t
chart_key(const tw_view *v, size_t nruns)
{
    uint64_t h = 1469598103934665603ull;
    uint64_t parts[] = {(uint64_t)v->xaxis,     v->step_mode,           v->zoom, v->log_y,
                        (uint64_t)v->g.chart.w, (uint64_t)v->g.chart.h, nruns};

    for (const char *c = v->metric; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        h = (h ^ parts[i]) * 1099511628211ull;
    for (size_t i = 0; i < nruns; i++)
        h = (h ^ (uint64_t)(uintptr_t)v->chart_rows[i].run) * 1099511628211ull;
    return h;
}

/* Ranges that hold still while the data moves a little. Without them the live value (the
 * lowest point of a falling loss) or a new epoch would rescale the chart, and so rewrite every
 * cell of it, each frame. y (linear only; log-y and flat data are left to the chart): the
 * extent of the values at x >= x_from, widened to multiples of a fifth of its order of
 * magnitude, with a tenth of room on either side while a run is live; kept while the values
 * fit in it and fill at least half of it. x, while a run is live: from the data's start to a
 * nice span a fifth longer than the data's, kept until the data reaches its end. A finished
 * chart gets the data's own extent. */
static void
stable_ranges(tw_view *v, size_t nser, size_t nruns, double x_from, bool live, tw_chart_spec *spec)
{
    extent e = data_extent(v->series, nser, x_from);
    uint64_t key = chart_key(v, nruns);
    bool same = v->hold.key == key;
    double lo, hi, g;

    v->hold.key = key;
    if (!same)
        v->hold.x_lo = v->hold.x_hi = v->hold.y_lo = v->hold.y_hi = NAN;

    lo = isfinite(x_from) ? x_from : e.x_lo;
    if (live && isfinite(lo) && e.x_hi > lo) {
        if (!(same && v->hold.x_lo == lo && v->hold.x_hi >= e.x_hi))
            v->hold.x_hi = lo + nice_up((e.x_hi - lo) * 1.2);
        v->hold.x_lo = lo;
        spec->x_max = v->hold.x_hi;
    } else {
        v->hold.x_lo = v->hold.x_hi = NAN;
    }

    if (v->log_y || !isfinite(e.y_lo) || !isfinite(e.y_hi) || !(e.y_hi > e.y_lo)) {
        v->hold.y_lo = v->hold.y_hi = NAN;
        return;
    }
    if (!(same && e.y_lo >= v->hold.y_lo && e.y_hi <= v->hold.y_hi &&
          e.y_hi - e.y_lo >= 0.5 * (v->hold.y_hi - v->hold.y_lo))) {
        lo = e.y_lo;
        hi = e.y_hi;
        if (live) { /* room to move, but not past 0 or 1 that the values do not cross */
            lo -= (e.y_hi - e.y_lo) / 10;
            hi += (e.y_hi - e.y_lo) / 10;
            if (e.y_lo >= 0 && lo < 0)
                lo = 0;
            if (e.y_lo >= 0 && e.y_hi <= 1 && hi > 1)
                hi = 1;
        }
        g = pow(10, floor(log10(hi - lo))) / 5;
        if (!(g > 0) || !isfinite(g)) {
            v->hold.y_lo = v->hold.y_hi = NAN;
            return;
        }
        v->hold.y_lo = floor(lo / g) * g;
        v->hold.y_hi = ceil(hi / g) * g;
    }
    spec->y_min = v->hold.y_lo;
    spec->y_max = v->hold.y_hi;
}

/* The wheel's zoom (mouse.c), when on: its x range, and y from what that shows. */
static void
wheel_zoom(const tw_view *v, tw_chart_spec *spec)
{
    if (!v->xwin.on)
        return;
    spec->x_min = v->xwin.lo;
    spec->x_max = v->xwin.hi;
    spec->y_min = spec->y_max = NAN;
}

/* Adds one run's series of the selected metric: per step, the batches' buckets and the
 * validation epochs over them; per epoch, a line a split, the best mark on the split that
 * ranks the run. */
static void
add_run_series(tw_view *v, frame *f, const tw_view_xmap *m, const tw_store_run *run,
               const tw_store_series *const *ser, int color)
{
    if (v->step_mode) {
        /* Training batches (validation's when there is no training series), and the
         * validation epochs over them, dotted. */
        const tw_store_series *st = ser[0] && ser[0]->samples ? ser[0] : ser[1];
        if (st && st->samples)
            add_step_series(v, f, m, run, st, (int)((unsigned)color | TW_VIEW_COLOR_MAIN),
                            tw_store_state_open(run->state));
        if (ser[1] && st != ser[1])
            add_epoch_series(v, f, m, run->id, ser[1], color, split_style[1], false);
    } else {
        const tw_store_series *best = NULL;
        if (ser[1] && ser[1]->has_best)
            best = ser[1];
        else if (ser[0] && ser[0]->has_best)
            best = ser[0];
        for (int k = 0; k < N_SPLITS; k++)
            if (ser[k])
                add_epoch_series(v, f, m, run->id, ser[k], (int)((unsigned)color | split_color[k]),
                                 split_style[k], ser[k] == best);
    }
}

void
tw_view_chart_frame(tw_view *v, const tw_store *s, tw_rect r)
{
    tw_chart_spec spec = tw_chart_defaults();
    frame f = {0, 0, 0, 0};
    size_t nruns;
    double zoom_lo = INFINITY;
    bool live = false;
    int rc;

    v->chart_runs = v->chart_series = 0;
    if (r.w < TW_CHART_MIN_WIDTH || r.h < TW_CHART_MIN_HEIGHT) {
        v->chart_status = TW_VIEW_CHART_NO_ROOM;
        return;
    }
    if (!s || tw_store_run_count(s) == 0) {
        v->chart_status = TW_VIEW_CHART_WAITING;
        return;
    }
    if (!v->metric[0]) {
        v->chart_status = TW_VIEW_CHART_NO_METRIC;
        return;
    }
    nruns = charted_runs(v);
    if (reserve_frame(v, nruns) < 0) {
        v->chart_status = TW_VIEW_CHART_NO_MEMORY;
        return;
    }

    for (size_t i = 0; i < nruns; i++) {
        const tw_store_run *run = v->chart_rows[i].run;
        const tw_store_series *ser[N_SPLITS];
        int color = v->chart_rows[i].color;
        size_t first = f.nser;
        tw_view_xmap m;

        for (int k = 0; k < N_SPLITS; k++)
            ser[k] = tw_store_find_series(run, v->metric, splits[k]);
        tw_view_xmap_init(&m, v, run, ser);
        live |= tw_store_state_open(run->state);

        add_run_series(v, &f, &m, run, ser, color);
        add_restarts(v, &f, &m, run, ser, first);

        if (v->zoom && v->max_epoch > v->zoom) {
            double zx = tw_view_xmap_epoch_end(&m, ser, v->max_epoch - v->zoom);
            if (isfinite(zx) && zx < zoom_lo)
                zoom_lo = zx;
        }
    }

    spec.width = r.w;
    spec.height = r.h;
    spec.utf8 = v->braille;
    spec.log_y = v->log_y;
    switch (v->xaxis) {
    case TW_XAXIS_EPOCH:
        spec.xkind = TW_CHART_X_EPOCH;
        break;
    case TW_XAXIS_STEP:
        spec.xkind = TW_CHART_X_STEP;
        break;
    case TW_XAXIS_TIME:
        spec.xkind = TW_CHART_X_TIME;
        break;
    }
    if (isfinite(zoom_lo))
        spec.x_min = zoom_lo;
    stable_ranges(v, f.nser, nruns, isfinite(zoom_lo) ? zoom_lo : -INFINITY, live, &spec);
    wheel_zoom(v, &spec);

    rc = tw_chart_render(v->chart, &spec, v->series, f.nser);
    v->chart_status = rc == -ERANGE ? TW_VIEW_CHART_NO_ROOM
                      : rc < 0      ? TW_VIEW_CHART_FAILED
                                    : TW_VIEW_CHART_GRID;
    v->chart_runs = nruns;
    v->chart_series = f.nser;
}
