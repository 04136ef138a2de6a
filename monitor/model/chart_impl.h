/* chart_impl.h - the chart's private layout and the functions its files share; included only
 * by monitor/model/chart*.c. Not a public header: callers use chart.h.
 *
 * The files: chart.c (the object, the x and y ranges, a frame's steps, the grid as text),
 * chart_decimate.c (columns of first/last/min/max per series), chart_plot.c (dots, lines and
 * marks of the plot, composed into cells), chart_axes.c (axis lines, tick placement and
 * labels), chart_ticks.c (nice, log and time ticks; tick and duration labels), chart_smooth.c
 * (the debiased EMA). */
#ifndef TW_CHART_IMPL_H
#define TW_CHART_IMPL_H

#include "chart.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROW_LIMIT 1e6 /* dot rows are clamped to +-this before clipping */

/* ----------------------------------------------------------------------------------------- */
/* Private structures                                                                          */

/* One plot cell while drawing. */
typedef struct pcell {
    uint8_t line, band; /* dots of lines and of envelopes */
    uint8_t line_color, line_flags, band_color;
    uint8_t over_pri, over_color, rule_color;
    char over;   /* a mark's glyph when over_pri > 0 */
    bool rule;   /* a restart rule passes here */
    bool dotted; /* the last line drawn here is dotted */
} pcell;

/* What decimation found about one series beyond its columns. */
typedef struct sinfo {
    bool has_l, has_r; /* a drawable point left (right) of the visible range to connect to */
    double lx, ly, rx, ry;
    bool band; /* the series has an envelope */
} sinfo;

struct tw_chart {
    tw_chart_spec spec;
    bool rendered;
    int w, h;
    tw_chart_cell *cells;
    size_t cells_cap;
    pcell *pc;
    size_t pc_cap;
    tw_chart_column *cols;
    size_t cols_cap;
    double *band; /* per series and column: lo, hi */
    size_t band_cap;
    sinfo *si;
    size_t si_cap;
    double *vals; /* robust range scratch */
    size_t vals_cap;
    tw_chart_layout layout;
    int last_lw; /* y label width of the last frame: the first guess for this one */
    /* Geometry of the frame being drawn. */
    bool utf8, log_y;
    int dpc, dpr; /* dots per cell across and down */
    int wd, hd;   /* dots of the plot */
    int plot_w, plot_h, plot_col;
    double xlo, xhi, xu; /* x range; x per dot column */
    double tlo, thi;     /* y range, log10 with log-y */
    /* The series being drawn. */
    unsigned pattern;
    bool dotted;
    uint8_t color, lflags;
};

/* Y or x ticks placed on the grid, with their labels. */
typedef struct axis_ticks {
    int n;
    double v[16];
    int pos[16]; /* cell row (y) or column (x) */
    char label[16][TW_CHART_LABEL_MAX];
} axis_ticks;

/* ----------------------------------------------------------------------------------------- */
/* Small helpers                                                                               */

/* The i-th double of an array whose elements are `stride` bytes apart. */
static inline double
at(const double *p, size_t i, size_t stride)
{
    return *(const double *)(const void *)((const char *)p + i * stride);
}

/* v clamped to [lo, hi] (NaN stays NaN). */
static inline double
clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The first index in lo..hi-1 whose x is >= t (hi when none). */
static inline size_t
lower_bound(const double *x, size_t stride, size_t lo, size_t hi, double t)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at(x, mid, stride) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The grid cell at (row, col); both inside the grid. */
static inline tw_chart_cell *
cell(tw_chart *c, int row, int col)
{
    return &c->cells[(size_t)row * (size_t)c->w + (size_t)col];
}

/* y in data units to a dot row (0 at the top); infinities go to the edges. */
static inline double
row_of(const tw_chart *c, double v)
{
    if (v == INFINITY)
        return 0;
    if (v == -INFINITY || isnan(v) || (c->log_y && !(v > 0)))
        return c->hd - 1;
    double t = c->log_y ? log10(v) : v;
    double r = (c->thi - t) / (c->thi - c->tlo) * (c->hd - 1);
    return clampd(r, -ROW_LIMIT, ROW_LIMIT);
}

/* The dot column nearest to position pos (in dot columns), inside the plot. */
static inline int
dot_col(const tw_chart *c, double pos)
{
    return (int)lround(clampd(pos, 0, c->wd - 1));
}

/* ----------------------------------------------------------------------------------------- */
/* Functions the chart's files share                                                           */

/* None is thread-safe on one chart; none checks its arguments (tw_chart_render does). */

/* chart_decimate.c: decimates every series at the plot width c->wd over c->xlo + k * c->xu
 * into c->cols, c->band and c->si (grown as needed; ns * c->wd columns each). 0, or -ENOMEM
 * (then they hold no frame). */
int tw_chart_decimate_all(tw_chart *c, const tw_chart_series *ss, size_t ns);

/* chart_plot.c: draws the decimated series (envelopes, lines, then every series' marks) on
 * the plot's dot grid, and copies the plot into the cells at c->plot_col. Needs the frame's
 * geometry, y range and decimation. 0, or -ENOMEM (the plot scratch could not grow). */
int tw_chart_plot(tw_chart *c, const tw_chart_series *ss, size_t ns);

/* chart_axes.c: the y ticks of the frame's y range that fall on distinct plot rows, with
 * their rows and labels, in *t; returns the widest label's length (at least 1). */
int tw_chart_y_ticks(tw_chart *c, axis_ticks *t);
/* Draws the axis lines, the y ticks yt, x ticks that fit with their labels, and the x axis'
 * name (sp->x_label, else from sp->xkind) into the cells around the plot. */
void tw_chart_axes(tw_chart *c, const tw_chart_spec *sp, const axis_ticks *yt);

#endif
