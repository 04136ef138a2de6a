/* chart.h - the chart rasterizer: curves, per-step envelopes, axes and markers into cells.
 *
 * Design note. The chart knows nothing of curses, runs or names: it turns series of numbers
 * into a grid of cells (a UTF-8 glyph, a color index, dim/bold flags) that the view copies to
 * the terminal, and that tests print as text. A frame goes:
 *
 *   1. layout: y labels on the left, an axis column, the plot, an x axis row and a label row;
 *   2. decimation: each series becomes, per dot column of the plot, the first, last, min and
 *      max of its points (M4), so extremes always show and a frame costs O(columns), not
 *      O(points), in drawing (decimation itself reads every visible point once: the
 *      monitor's series are bounded by the store's per-step buckets, 1024 by default);
 *   3. the y range, from the columns of the visible x range (optionally outlier-robust);
 *   4. dots on a sub-cell grid (braille: 2 x 4 per cell; ASCII: 1 x 3), line segments
 *      between consecutive columns by Bresenham, clipped to the plot;
 *   5. cells: per-step envelopes lowest (dim; '~' in ASCII), then lines (a cell shows the union of
 * the line dots in it, in the color of the last series drawn there), then marks.
 *
 * Non-finite values: NaN breaks a line; +Inf and -Inf clamp to the top and bottom edge and
 * put a '^' or 'v' there; with log-y, y <= 0 is a gap too. Auto ranges ignore all of them.
 * The chart is not thread-safe; distinct tw_chart objects may be used from distinct threads. */
#ifndef TW_CHART_H
#define TW_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits. A chart is at most TW_CHART_MAX_DIM cells wide and high; below the minimum size
 * tw_chart_render returns -ERANGE (the view says "too small"). */
#define TW_CHART_MAX_DIM    4096
#define TW_CHART_MIN_WIDTH  12
#define TW_CHART_MIN_HEIGHT 5
#define TW_CHART_LABEL_MAX  16 /* bytes of a formatted tick label, NUL included */

/* What the x values are; chooses the tick steps and the label format. */
typedef enum tw_chart_xkind {
    TW_CHART_X_EPOCH = 0, /* integers; ticks are whole epochs */
    TW_CHART_X_STEP,      /* numbers; ticks formatted compactly (12k) */
    TW_CHART_X_TIME,      /* seconds since some origin; ticks are durations (90s -> 1m30s) */
} tw_chart_xkind;

/* Style bits of a series. SOLID: every dot of the line. DOTTED: every other dot along the
 * line (in ASCII: every other cell of a flat line, and ':' where it climbs). DIM: its cells
 * get TW_CHART_CELL_DIM. */
#define TW_CHART_SOLID  0u
#define TW_CHART_DOTTED 1u
#define TW_CHART_DIM    2u

/* Marks drawn over the lines (ASCII glyphs in both modes). */
typedef enum tw_chart_mark {
    TW_CHART_MARK_LIVE = 1, /* 'o': the live point of the current epoch */
    TW_CHART_MARK_BEST,     /* '*': the best epoch */
    TW_CHART_MARK_ALERT,    /* '!': where an alert fired */
    TW_CHART_MARK_RESTART,  /* a restart: a dim vertical rule under the lines */
} tw_chart_mark;

/* A mark at x. y NAN: on the series, at the value of its point with the nearest x (for a
 * bucket series, the line value of the bucket holding x). When that value is not drawable the
 * mark sits on the bottom row (+Inf: top row). Marks outside the visible x range are not
 * drawn. Among marks in one cell: ALERT over BEST over LIVE; later marks over earlier ones. */
typedef struct tw_chart_marker {
    double x;
    double y;
    tw_chart_mark kind;
} tw_chart_marker;

/* One bucket of per-step data: the steps [x_lo, x_hi] had values in [min, max]; `mean` is the
 * value the line goes through at the bucket's middle: the mean, or a smoothed mean the caller
 * computed (tw_chart_smooth). Buckets are sorted by x and do not overlap. */
typedef struct tw_chart_bucket {
    double x_lo, x_hi;
    double min, max;
    double mean;
} tw_chart_bucket;

/* One series. Either points (x, y, n) or buckets (buckets, n_buckets); when both are given
 * the buckets are drawn and the points ignored.
 *
 * Points: x finite and non-decreasing (points out of order draw wrongly but safely); y any
 * double. `stride` is the distance in bytes from one x (and one y) to the next: 0 means
 * sizeof(double), so separate arrays need nothing and an array of {x, y} structs passes
 * &p[0].x, &p[0].y, sizeof p[0].
 *
 * color: a small index the view maps to a curses color pair (0 is the axes' color). */
typedef struct tw_chart_series {
    const double *x, *y;
    size_t n;
    size_t stride;
    const tw_chart_bucket *buckets;
    size_t n_buckets;
    uint8_t color;
    unsigned style; /* TW_CHART_SOLID, or TW_CHART_DOTTED | TW_CHART_DIM bits */
    const tw_chart_marker *markers;
    size_t n_markers;
    const double *err; /* points only, NULL: none. Per point (strided as y), the half-height
                          of an error bar drawn dim under the lines from y - err to y + err
                          at the point's x (a standard error); not finite or <= 0: no bar.
                          Bars are clipped to the plot and do not widen the auto y range. */
} tw_chart_series;

/* What to draw. Start from tw_chart_defaults() and change fields. */
typedef struct tw_chart_spec {
    int width, height;    /* cells of the whole chart, axes included; default 80 x 24 */
    bool utf8;            /* braille dots and box-drawing axes; false: ASCII; default true */
    tw_chart_xkind xkind; /* default TW_CHART_X_EPOCH */
    double x_min, x_max;  /* visible x range; NAN (the default): from the data. Zoom to the
                             last N epochs with x_min = last - N and x_max NAN */
    bool log_y;           /* log10 y axis; y <= 0 is not drawn; default false */
    double y_min, y_max;  /* NAN (the default): from the data in the visible x range */
    bool y_robust;        /* auto y range ignores outliers: the 5th..95th percentile of the
                             column extremes, like TensorBoard's "ignore outliers"; default
                             false */
    const char *x_label;  /* NULL (default): "epoch", "step" or "time" from xkind */
} tw_chart_spec;

/* One cell of the grid. glyph is a Unicode code point: ' ' when empty, a braille character
 * U+2800..U+28FF, a box-drawing character or ASCII (only ASCII when the chart is not UTF-8),
 * so that the view writes it as a wide character as it is; tw_chart_text encodes it as UTF-8.
 * color is the series' color index, 0 for axes and labels; flags are TW_CHART_CELL_* bits. */
#define TW_CHART_CELL_DIM  1u
#define TW_CHART_CELL_BOLD 2u
#define TW_CHART_CELL_BAND 4u /* a per-step envelope's cell (also DIM): the view may shade it */
typedef struct tw_chart_cell {
    uint32_t glyph;
    uint8_t color;
    uint8_t flags;
} tw_chart_cell;

/* Where things landed in the last render, for the view (cursor read-outs, legend placement).
 * plot_*: the plot area in cells (0-based, from the chart's top-left). x_lo..x_hi and
 * y_lo..y_hi: the data range the plot spans, left to right and bottom to top (y in data units
 * also with log-y). */
typedef struct tw_chart_layout {
    int width, height;
    int plot_col, plot_row, plot_width, plot_height;
    double x_lo, x_hi, y_lo, y_hi;
    bool log_y;
} tw_chart_layout;

/* One dot column of a decimated point series (see tw_chart_decimate). Flags: PINF, NINF: a
 * +Inf (-Inf, linear y only) among the column's points, so the line reaches the top (bottom)
 * edge; BREAK: a gap (NaN, or y <= 0 with log-y) lies between the previous drawable point of
 * the series and this column's first. */
#define TW_CHART_COL_PINF  1u
#define TW_CHART_COL_NINF  2u
#define TW_CHART_COL_BREAK 4u
typedef struct tw_chart_column {
    size_t n;           /* drawable points in the column; 0: nothing to draw */
    double first, last; /* y of the first and last drawable points, in order (may be +-Inf) */
    double min, max;    /* smallest and largest finite drawable y; NAN when none is finite */
    unsigned flags;     /* TW_CHART_COL_* */
} tw_chart_column;

typedef struct tw_chart tw_chart;

/* The default spec: 80 x 24, UTF-8, epoch x axis, auto ranges, linear y. */
tw_chart_spec tw_chart_defaults(void);

/* A chart with no grid yet. Returns NULL when out of memory. Destroy with tw_chart_destroy. */
tw_chart *tw_chart_new(void);

/* Frees the chart and its grid and sets *chart to NULL. NULL-safe. */
void tw_chart_destroy(tw_chart **chart);

/* Renders n series (drawn in order: later series over earlier ones) into the chart's grid of
 * spec->width x spec->height cells. The chart keeps its buffers between calls, so a steady
 * frame allocates nothing. series may be NULL when n is 0; empty series draw nothing; with no
 * drawable data the chart shows axes over a default range. Reads the series only during the
 * call. Returns 0; -EINVAL for a NULL chart or spec, a size above TW_CHART_MAX_DIM or a
 * series with n > 0 and no x or y; -ERANGE when the size is below the minimum (the grid is
 * then blank, of the requested size); -ENOMEM. */
int tw_chart_render(tw_chart *chart, const tw_chart_spec *spec, const tw_chart_series *series,
                    size_t n);

/* The grid of the last render, row-major (row * width + col), owned by the chart and valid
 * until the next render or destroy. Sets *width and *height (either may be NULL; 0 when there
 * is no grid). NULL before the first render and after one that failed with -EINVAL or
 * -ENOMEM; after -ERANGE, the blank grid. */
const tw_chart_cell *tw_chart_cells(const tw_chart *chart, int *width, int *height);

/* The layout of the last render. Returns 0, or -EINVAL when nothing was rendered. */
int tw_chart_get_layout(const tw_chart *chart, tw_chart_layout *out);

/* The grid as text: one line a row, '\n'-terminated, trailing blanks removed. With attrs, a
 * blank line then an attribute plane follows, one character a cell: ' ' for an empty cell,
 * '.' for color 0, the digit of colors 1..9 ('+' above 9), as a lowercase letter when dim
 * (a = 1, ..., i = 9; '-' for color 0) and an uppercase one when bold ('#' for color 0). Returns a
 * string the caller frees, or NULL (nothing rendered, or out of memory). For golden tests and
 * --once. */
char *tw_chart_text(const tw_chart *chart, bool attrs);

/* ----------------------------------------------------------------------------------------- */
/* Building blocks, exposed for the view and for tests                                        */

/* Decimates the point series s (its buckets are ignored) into ncols >= 2 dot columns centred
 * on x_lo + c * (x_hi - x_lo) / (ncols - 1): column c holds the points nearest to its centre.
 * Points outside the columns are ignored. log_y makes y <= 0 a gap.
 * Returns 0, or -EINVAL (NULL arguments, ncols < 2, x_lo >= x_hi or not finite). */
int tw_chart_decimate(const tw_chart_series *s, double x_lo, double x_hi, size_t ncols, bool log_y,
                      tw_chart_column *cols);

/* "Nice" ticks: the multiples of the smallest step of the form {1, 2, 5} x 10^k (integer:
 * at least 1) that puts at most max_ticks ticks in [lo, hi]. Writes up to cap ticks to
 * ticks[] and the step to *step (may be NULL). Returns the number of ticks (0 when lo > hi,
 * either is not finite or max_ticks < 1; lo == hi gives lo alone if it is a multiple). */
int tw_chart_ticks(double lo, double hi, int max_ticks, bool integer, double *ticks, int cap,
                   double *step);

/* Ticks for a log10 axis over [lo, hi] (data units, 0 < lo <= hi): powers of ten, every k-th
 * decade when more than max_ticks would fit; when fewer than two powers of ten fall inside,
 * nice linear ticks instead. Returns the number of ticks, written as for tw_chart_ticks; *step
 * is 0 for powers of ten (format each with step = itself) or the linear step. */
int tw_chart_log_ticks(double lo, double hi, int max_ticks, double *ticks, int cap, double *step);

/* Time ticks over [lo, hi] seconds: steps of 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min,
 * 1, 2, 3, 6, 12 h, then whole days (and {1, 2, 5} x 10^k below a second). As
 * tw_chart_ticks otherwise. */
int tw_chart_time_ticks(double lo, double hi, int max_ticks, double *ticks, int cap, double *step);

/* Formats tick value v of an axis whose ticks are `step` apart, compactly and with just the
 * digits that tell ticks apart: 0, 0.25, 1.5, 12k, 2.5M, 1.5e-3, -40. step <= 0: about four
 * significant digits (for read-outs). Non-finite: "nan", "inf", "-inf". Writes at most size
 * bytes, NUL included. Returns the length that was written, or -EINVAL (NULL buf, size 0). */
int tw_chart_format_tick(char *buf, size_t size, double v, double step);

/* Formats a duration tick in seconds as 45s, 1m30s, 2h, 1h30m, 3d, 0.5s (step: the tick
 * spacing, which bounds the precision). Returns as tw_chart_format_tick. */
int tw_chart_format_duration(char *buf, size_t size, double seconds, double step);

/* TensorBoard's debiased exponential moving average of y[0..n-1] into out[] (may be y):
 * weight w in [0, 0.999] (clamped), for each finite y: last = last * w + (1 - w) * y, k += 1,
 * out = last / (1 - w^k); non-finite values pass through unchanged and do not advance k; a
 * series whose finite values are all equal is copied unchanged. Returns 0 or -EINVAL. */
int tw_chart_smooth(const double *y, double *out, size_t n, double w);

#endif /* TW_CHART_H */
