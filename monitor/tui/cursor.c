/* cursor.c - the chart cursor, in the update path: the epoch (or step) it stands on, its
 * screen column, and the readout of every charted run there (train and val values with their
 * standard errors, the distance from the run's best, the step or epoch and the wall time). */
#include "draw.h"
#include "xmap.h"

#include <math.h>
#include <string.h>

static const tw_split splits[TW_VIEW_N_SPLITS] = {TW_SPLIT_TRAIN, TW_SPLIT_VAL, TW_SPLIT_TEST};

/* Readout columns: run, train, val, delta from best, step (or epoch), time. */
enum { COL_RUN, COL_TRAIN, COL_VAL, COL_DELTA, COL_WHERE, COL_TIME, N_COLS };
#define CELL 48

typedef char row_cells[N_COLS][CELL];

/* The run's train, val and test series of the charted metric. */
static void
run_series(const tw_view *v, const tw_store_run *run, const tw_store_series **ser)
{
    for (int k = 0; k < TW_VIEW_N_SPLITS; k++)
        ser[k] = tw_store_find_series(run, v->metric, splits[k]);
}

/* The series a run's per-step line is drawn from (as chart_frame.c chooses it), or NULL. */
static const tw_store_series *
step_series(const tw_store_series *const *ser)
{
    const tw_store_series *st = ser[0] && ser[0]->samples ? ser[0] : ser[1];
    return st && st->samples && st->n_used ? st : NULL;
}

/* Dot columns per cell of the last render. */
static int
dots_per_cell(const tw_view *v)
{
    return v->braille ? 2 : 1;
}

/* The screen column of x in the last render, or -1 outside the plot (the rasterizer's own
 * mapping: x to the nearest dot column). */
int
tw_view_chart_x_col(const tw_view *v, const tw_chart_layout *l, double x)
{
    int dpc = dots_per_cell(v), wd = l->plot_width * dpc;
    double d;

    if (!isfinite(x) || !(l->x_hi > l->x_lo) || wd < 2)
        return -1;
    d = round((x - l->x_lo) / (l->x_hi - l->x_lo) * (wd - 1));
    if (d < 0 || d > wd - 1)
        return -1;
    return v->g.chart.x + l->plot_col + (int)d / dpc;
}

/* The x at the middle of screen column col of the last render. */
double
tw_view_chart_col_x(const tw_view *v, const tw_chart_layout *l, int col)
{
    int dpc = dots_per_cell(v), wd = l->plot_width * dpc;
    double d = (double)(col - v->g.chart.x - l->plot_col) * dpc + (dpc - 1) / 2.0;

    return l->x_lo + d / (wd > 1 ? wd - 1 : 1) * (l->x_hi - l->x_lo);
}

/* The epochs (steps) the charted runs span: [*lo, *hi]; false when there is nothing. */
static bool
span(const tw_view *v, uint64_t *lo, uint64_t *hi)
{
    *lo = UINT64_MAX;
    *hi = 0;
    for (size_t i = 0; i < v->chart_runs; i++) {
        const tw_store_series *ser[TW_VIEW_N_SPLITS], *st;
        run_series(v, v->chart_rows[i].run, ser);
        if (v->step_mode && (st = step_series(ser))) {
            uint64_t a = tw_store_bucket_step(st, 0);
            *lo = a < *lo ? a : *lo;
            *hi = st->last_sample_step > *hi ? st->last_sample_step : *hi;
        }
        for (int k = 0; k < TW_VIEW_N_SPLITS && !v->step_mode; k++) {
            const tw_store_series *se = ser[k];
            if (se && se->n_points && se->points[0].epoch < *lo)
                *lo = se->points[0].epoch;
            if (se && se->has_latest && se->latest_epoch > *hi)
                *hi = se->latest_epoch;
            if (se && se->has_latest && se->latest_epoch < *lo)
                *lo = se->latest_epoch;
        }
    }
    return *lo <= *hi;
}

/* The epoch (step) of the top run whose x is nearest to x. */
static uint64_t
nearest(const tw_view *v, double x, uint64_t fallback)
{
    const tw_store_run *run = v->chart_rows[v->chart_runs - 1].run;
    const tw_store_series *ser[TW_VIEW_N_SPLITS], *st;
    tw_view_xmap m;
    double best = INFINITY;
    uint64_t at = fallback;

    run_series(v, run, ser);
    tw_view_xmap_init(&m, v, run, ser);
    if (v->step_mode && (st = step_series(ser))) {
        for (uint32_t i = 0; i < st->n_used; i++) {
            const tw_store_bucket *b = &st->buckets[i];
            uint64_t s0 = tw_store_bucket_step(st, i), s = s0 + st->bucket_width / 2;
            double d = fabs(tw_view_xmap_step(&m, (double)s, b->t_max) - x);
            if (b->count && d < best) {
                best = d;
                at = s;
            }
        }
        return at;
    }
    for (int k = 0; k < TW_VIEW_N_SPLITS; k++)
        for (size_t i = 0; ser[k] && i < ser[k]->n_points; i++) {
            const tw_store_point *p = &ser[k]->points[i];
            double d = fabs(tw_view_xmap_point(&m, p->epoch, p->step, p->time) - x);
            if (d < best) {
                best = d;
                at = p->epoch;
            }
        }
    return at;
}

/* One split's value at an epoch: its point, else the live value of that epoch. */
typedef struct value {
    bool has;
    double v, se, time;
    uint64_t epoch, step;
} value;

static value
epoch_value(const tw_store_series *se, uint64_t epoch)
{
    value o = {false, NAN, NAN, NAN, epoch, 0};
    const tw_store_point *p = se ? tw_store_series_point(se, epoch) : NULL;

    if (p) {
        o = (value){true, p->value, p->value_se, p->time, epoch, p->step};
    } else if (se && se->has_live && se->live_epoch == epoch) {
        o = (value){true, se->live_value, se->live_se, se->live_time, epoch, se->live_step};
    }
    return o;
}

/* The newest point of a series at or before `step` (the validation value a per-step cursor
 * reads). */
static value
point_before_step(const tw_store_series *se, uint64_t step)
{
    value o = {false, NAN, NAN, NAN, 0, 0};

    for (size_t i = se ? se->n_points : 0; i-- > 0;)
        if (se->points[i].step <= step) {
            const tw_store_point *p = &se->points[i];
            return (value){true, p->value, p->value_se, p->time, p->epoch, p->step};
        }
    return o;
}

/* The per-step line's value at `step`: the (smoothed) mean of the bucket holding it. */
static value
step_value(const tw_view *v, const tw_store_series *st, uint64_t step)
{
    value o = {false, NAN, NAN, NAN, 0, step};
    uint64_t origin;

    if (!st || !st->bucket_width)
        return o;
    origin = tw_store_bucket_step(st, 0);
    if (step < origin || (step - origin) / st->bucket_width >= st->n_used)
        return o;
    const tw_store_bucket *b = &st->buckets[(step - origin) / st->bucket_width];
    if (!b->count)
        return o;
    o.has = true;
    o.v = tw_store_bucket_smoothed(b, v->smooth);
    o.time = b->t_max;
    return o;
}

/* A value with its standard error when it has one: "0.4911±0.0031". */
static void
fmt_value(const tw_view *v, char *buf, const value *x)
{
    char num[24];

    if (!x->has) {
        tw_view_fmt(buf, CELL, "-");
        return;
    }
    tw_chart_format_tick(num, sizeof num, x->v, 0);
    if (isfinite(x->se) && isfinite(x->v))
        tw_view_fmt(buf, CELL, "%s%s%.2g", num, tw_view_glyph(v, "\u00b1", "+-"), x->se);
    else
        tw_view_fmt(buf, CELL, "%s", num);
}

/* One run's readout cells at the cursor. */
static void
run_cells(const tw_view *v, const tw_view_row *row, row_cells c)
{
    const tw_store_series *ser[TW_VIEW_N_SPLITS];
    const tw_store_series *b = tw_view_best_series(row->run, v->metric);
    tw_view_xmap m;
    value tr, va, *ref;
    char num[24];

    run_series(v, row->run, ser);
    tw_view_xmap_init(&m, v, row->run, ser);
    if (v->step_mode) {
        tr = step_value(v, step_series(ser), v->cursor.step);
        va = point_before_step(ser[1], v->cursor.step);
        if (step_series(ser) == ser[1]) /* no training series: the per-step line is val's */
            tr = (value){false, NAN, NAN, NAN, 0, 0};
    } else {
        tr = epoch_value(ser[0], v->cursor.epoch);
        va = epoch_value(ser[1], v->cursor.epoch);
    }
    tw_view_ellipsize(v, c[COL_RUN], CELL, tw_view_run_label(row->run), 16);
    fmt_value(v, c[COL_TRAIN], &tr);
    fmt_value(v, c[COL_VAL], &va);
    ref = b && b == ser[0] ? &tr : &va;
    if (b && b->has_best && ref->has && isfinite(ref->v)) {
        tw_chart_format_tick(num, sizeof num, ref->v - b->best_value, 0);
        tw_view_fmt(c[COL_DELTA], CELL, "%s%s", ref->v - b->best_value >= 0 ? "+" : "", num);
    } else {
        tw_view_fmt(c[COL_DELTA], CELL, "-");
    }
    /* Where and when: the training value's (per step: its bucket's), else validation's; per
     * step, the epoch the cursor's step falls in. */
    ref = tr.has ? &tr : &va;
    uint64_t where = ref->step;
    if (v->step_mode)
        where = m.spe > 0 ? (uint64_t)ceil((double)v->cursor.step / m.spe) : va.epoch;
    if (ref->has && where)
        tw_view_fmt(c[COL_WHERE], CELL, "%llu", (unsigned long long)where);
    else
        tw_view_fmt(c[COL_WHERE], CELL, "-");
    if (ref->has && isfinite(ref->time))
        tw_view_fmt_duration(c[COL_TIME], CELL, ref->time - m.origin);
    else
        tw_view_fmt(c[COL_TIME], CELL, "-");
}

/* Appends cell s to line, padded to w columns (left-aligned for the run, else right). */
static void
pad_cell(char *line, size_t size, const char *s, int w, bool left)
{
    size_t len = strlen(line);
    int n = w - tw_view_text_cols(s);

    tw_view_fmt(line + len, size - len, "%s%*s%s", left ? s : "", n > 0 ? n : 0, "", left ? "" : s);
}

/* Lays the cells out as aligned lines of the readout (the header first), at most `avail`
 * columns wide: the columns that do not fit are left out from the right (time, then the step
 * or epoch, then the delta), the values kept. */
static void
readout_lines(tw_view *v, row_cells *cells, size_t n, size_t more, int avail)
{
    int w[N_COLS] = {0}, ncols = N_COLS, total = 0;

    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < N_COLS; k++) {
            int cw = tw_view_text_cols(cells[i][k]);
            w[k] = cw > w[k] ? cw : w[k];
        }
    for (int k = 0; k < N_COLS; k++)
        total += w[k] + (k ? 2 : 0);
    while (total > avail && ncols > COL_DELTA) {
        ncols--;
        total -= w[ncols] + 2;
    }
    for (size_t i = 0; i < n; i++) {
        char *line = v->cursor.lines[i];
        line[0] = '\0';
        for (int k = 0; k < ncols; k++) {
            pad_cell(line, TW_VIEW_READOUT_LINE, cells[i][k], w[k], k == COL_RUN);
            if (k + 1 < ncols)
                pad_cell(line, TW_VIEW_READOUT_LINE, "", 2, true);
        }
    }
    v->cursor.n_lines = n;
    if (more) {
        tw_view_fmt(v->cursor.lines[n], TW_VIEW_READOUT_LINE, "+ %zu more run%s", more,
                    more == 1 ? "" : "s");
        v->cursor.colors[n] = 0;
        v->cursor.n_lines++;
    }
}

/* Where the cursor stands: a click placed, else kept in the span, following its right end
 * when it is there. */
static void
place(tw_view *v, const tw_chart_layout *l)
{
    uint64_t lo, hi, *at = v->step_mode ? &v->cursor.step : &v->cursor.epoch;

    if (!span(v, &lo, &hi)) {
        v->cursor.follow = true;
        return;
    }
    if (v->cursor.click_col >= 0)
        *at = nearest(v, tw_view_chart_col_x(v, l, v->cursor.click_col), *at);
    v->cursor.click_col = -1;
    if (v->cursor.follow || *at > hi)
        *at = hi - (v->cursor.back < hi ? v->cursor.back : hi);
    v->cursor.back = 0;
    if (*at < lo)
        *at = lo;
    v->cursor.follow = *at >= hi;
    v->cursor.stride = 1;
    if (v->step_mode && l->plot_width > 0 && hi > lo)
        v->cursor.stride = (hi - lo) / (uint64_t)l->plot_width + 1;
}

/* The cursor's screen column: at the top run's x of the cursor's epoch (step). */
static int
cursor_col(const tw_view *v, const tw_chart_layout *l)
{
    const tw_store_run *run = v->chart_rows[v->chart_runs - 1].run;
    const tw_store_series *ser[TW_VIEW_N_SPLITS];
    tw_view_xmap m;

    run_series(v, run, ser);
    tw_view_xmap_init(&m, v, run, ser);
    if (v->step_mode) {
        value sv = step_value(v, step_series(ser), v->cursor.step);
        return tw_view_chart_x_col(v, l, tw_view_xmap_step(&m, (double)v->cursor.step, sv.time));
    }
    return tw_view_chart_x_col(v, l, tw_view_xmap_epoch_end(&m, ser, v->cursor.epoch));
}

void
tw_view_cursor_frame(tw_view *v)
{
    row_cells cells[TW_VIEW_READOUT_RUNS + 1];
    tw_chart_layout l;
    size_t n = 1, more = 0;

    v->cursor.n_lines = 0;
    v->cursor.col = -1;
    if (!v->cursor.on || v->chart_status != TW_VIEW_CHART_GRID || v->chart_runs == 0 ||
        tw_chart_get_layout(v->chart, &l) < 0) {
        v->cursor.click_col = -1;
        return;
    }
    place(v, &l);
    v->cursor.col = cursor_col(v, &l);
    v->cursor.plot_row = v->g.chart.y + l.plot_row;
    v->cursor.plot_h = l.plot_height;
    v->cursor.plot_x = v->g.chart.x + l.plot_col;
    v->cursor.plot_w = l.plot_width;

    memset(cells, 0, sizeof cells);
    tw_view_fmt(cells[0][COL_RUN], CELL, "%s %llu%s", v->step_mode ? "step" : "epoch",
                (unsigned long long)(v->step_mode ? v->cursor.step : v->cursor.epoch),
                v->cursor.col < 0 ? " (off)" : "");
    tw_view_fmt(cells[0][COL_TRAIN], CELL, "train");
    tw_view_fmt(cells[0][COL_VAL], CELL, "val");
    tw_view_fmt(cells[0][COL_DELTA], CELL, "%sbest", tw_view_glyph(v, "\u0394", "d"));
    tw_view_fmt(cells[0][COL_WHERE], CELL, v->step_mode ? "epoch" : "step");
    tw_view_fmt(cells[0][COL_TIME], CELL, "time");
    v->cursor.colors[0] = 0;
    /* The runs in list order (the chart draws the selected one last). */
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_view_row *row = &v->rows[i];
        if (row->hidden)
            continue;
        if (n > TW_VIEW_READOUT_RUNS) {
            more++;
            continue;
        }
        run_cells(v, row, cells[n]);
        v->cursor.colors[n] = row->color;
        n++;
    }
    readout_lines(v, cells, n, more, l.plot_width - 2); /* the run's swatch beside */
}
