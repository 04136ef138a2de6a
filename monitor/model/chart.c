/* chart.c - the chart rasterizer: decimation, ticks, dots, axes and cells (see chart.h). */
#include "chart.h"
#include "reserve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES  256    /* series one render takes (bounds the scratch memory) */
#define ROW_LIMIT   1e6    /* dot rows are clamped to +-this before clipping */
#define COORD_LIMIT 1e9    /* and all dot coordinates of a segment to +-this */
#define SPAN_MIN    1e-250 /* a data range narrower than this is treated as a single value */
#define RANGE_MAX   1e300  /* data ranges are clamped to +-this, so spans stay finite */
#define ROBUST_LO   0.05   /* quantiles of the column extremes a robust y range spans */
#define ROBUST_HI   0.95
#define PAD         0.05 /* an auto y range is widened by this fraction on each side */
#define Y_TICKS     6    /* at most this many y ticks */
#define X_TICKS     10   /* at most this many x ticks */

/* Mark priorities in a cell (higher wins). */
#define PRI_INF        1
#define PRI_MARK(kind) ((kind) == TW_CHART_MARK_ALERT ? 4 : (kind) == TW_CHART_MARK_BEST ? 3 : 2)

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

/* Running state of a decimation. */
typedef struct dstate {
    bool pending; /* a non-drawable point since the last drawable one */
    bool log_y;
} dstate;

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

/* ----------------------------------------------------------------------------------------- */
/* Small helpers                                                                               */

/* The i-th double of an array whose elements are `stride` bytes apart. */
static inline double
at(const double *p, size_t i, size_t stride)
{
    return *(const double *)(const void *)((const char *)p + i * stride);
}

/* Whether y can be drawn: not NaN, and positive with log-y (+Inf clamps to the top). */
static inline bool
drawable(double v, bool log_y)
{
    return log_y ? v > 0 : !isnan(v);
}

static double
clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 10^e, exact for the integers where that is possible (better than pow for negative e). */
static double
pow10i(int e)
{
    return e >= 0 ? pow(10.0, e) : 1.0 / pow(10.0, -e);
}

/* ----------------------------------------------------------------------------------------- */
/* Decimation                                                                                  */

static void
col_init(tw_chart_column *c)
{
    c->n = 0;
    c->first = c->last = NAN;
    c->min = c->max = NAN;
    c->flags = 0;
}

/* Adds one point's y to a column, in order. */
static inline void
col_add(tw_chart_column *c, double v, dstate *st)
{
    if (!drawable(v, st->log_y)) {
        st->pending = true;
        return;
    }
    if (c->n == 0) {
        c->first = v;
        if (st->pending)
            c->flags |= TW_CHART_COL_BREAK;
    }
    st->pending = false;
    c->last = v;
    c->n++;
    if (isfinite(v)) {
        if (!(v >= c->min))
            c->min = v;
        if (!(v <= c->max))
            c->max = v;
    } else {
        c->flags |= v > 0 ? TW_CHART_COL_PINF : TW_CHART_COL_NINF;
    }
}

/* Adds a run of `count` drawable finite points, first and last y given, min and max known. */
static inline void
col_add_run(tw_chart_column *c, double first, double last, double mn, double mx, size_t count,
            dstate *st)
{
    if (c->n == 0) {
        c->first = first;
        if (st->pending)
            c->flags |= TW_CHART_COL_BREAK;
    }
    st->pending = false;
    c->last = last;
    c->n += count;
    if (!(mn >= c->min))
        c->min = mn;
    if (!(mx <= c->max))
        c->max = mx;
}

/* Adds points i0..i1-1 to a column: one pass for min/max and a finiteness check, and a
 * point-by-point pass only when the run holds something not drawable or not finite. */
static void
scan_range(tw_chart_column *c, const double *y, size_t stride, size_t i0, size_t i1, dstate *st)
{
    if (i1 <= i0)
        return;
    if (i1 - i0 >= 8) {
        double mn0 = INFINITY, mn1 = INFINITY, mx0 = -INFINITY, mx1 = -INFINITY;
        double bad0 = 0.0, bad1 = 0.0;
        size_t i = i0;
        if (stride == sizeof(double)) {
            for (; i + 2 <= i1; i += 2) {
                double a = y[i], b = y[i + 1];
                mn0 = a < mn0 ? a : mn0;
                mn1 = b < mn1 ? b : mn1;
                mx0 = a > mx0 ? a : mx0;
                mx1 = b > mx1 ? b : mx1;
                bad0 += a - a;
                bad1 += b - b;
            }
        }
        for (; i < i1; i++) {
            double a = at(y, i, stride);
            mn0 = a < mn0 ? a : mn0;
            mx0 = a > mx0 ? a : mx0;
            bad0 += a - a;
        }
        double mn = mn1 < mn0 ? mn1 : mn0, mx = mx1 > mx0 ? mx1 : mx0;
        if (bad0 + bad1 == 0.0 && (!st->log_y || mn > 0)) {
            col_add_run(c, at(y, i0, stride), at(y, i1 - 1, stride), mn, mx, i1 - i0, st);
            return;
        }
    }
    for (size_t i = i0; i < i1; i++)
        col_add(c, at(y, i, stride), st);
}

/* The first index in lo..hi-1 whose x is >= t (hi when none). */
static size_t
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

/* Decimates a point series into ncols columns of width xu from xlo (column c centred on
 * xlo + c * xu), and finds the drawable neighbours just outside, for lines that leave the
 * plot. */
static void
decimate_points(const tw_chart_series *s, double xlo, double xu, size_t ncols, bool log_y,
                tw_chart_column *cols, sinfo *si)
{
    size_t stride = s->stride ? s->stride : sizeof(double);
    dstate st = {false, log_y};
    for (size_t c = 0; c < ncols; c++)
        col_init(&cols[c]);
    si->has_l = si->has_r = false;
    if (s->n == 0 || !s->x || !s->y)
        return;
    size_t i0 = lower_bound(s->x, stride, 0, s->n, xlo - 0.5 * xu);
    if (i0 > 0) {
        double y = at(s->y, i0 - 1, stride);
        if (drawable(y, log_y)) {
            si->has_l = true;
            si->lx = (at(s->x, i0 - 1, stride) - xlo) / xu;
            si->ly = y;
        } else {
            st.pending = true;
        }
    }
    size_t start = i0;
    for (size_t c = 0; c < ncols; c++) {
        size_t end = lower_bound(s->x, stride, 0, s->n, xlo + ((double)c + 0.5) * xu);
        if (end < start)
            end = start; /* x out of order: keep the ranges sane */
        scan_range(&cols[c], s->y, stride, start, end, &st);
        start = end;
    }
    if (start < s->n && !st.pending) {
        double y = at(s->y, start, stride);
        if (drawable(y, log_y)) {
            si->has_r = true;
            si->rx = (at(s->x, start, stride) - xlo) / xu;
            si->ry = y;
        }
    }
}

/* Decimates a bucket series: the line through the buckets' middles into cols, the envelope
 * into band (lo, hi per column; NAN when none). */
static void
decimate_buckets(const tw_chart_series *s, double xlo, double xu, size_t ncols, bool log_y,
                 tw_chart_column *cols, double *band, sinfo *si)
{
    dstate st = {false, log_y};
    for (size_t c = 0; c < ncols; c++) {
        col_init(&cols[c]);
        band[2 * c] = band[2 * c + 1] = NAN;
    }
    si->has_l = si->has_r = false;
    si->band = true;
    double last = (double)ncols - 0.5;
    for (size_t i = 0; i < s->n_buckets; i++) {
        const tw_chart_bucket *b = &s->buckets[i];
        double pos = ((b->x_lo + b->x_hi) * 0.5 - xlo) / xu;
        if (!isfinite(pos))
            continue;
        if (pos < -0.5) {
            si->has_l = drawable(b->mean, log_y);
            si->lx = pos;
            si->ly = b->mean;
            st.pending = !si->has_l;
        } else if (pos >= last) {
            if (!st.pending && drawable(b->mean, log_y)) {
                si->has_r = true;
                si->rx = pos;
                si->ry = b->mean;
            }
        } else {
            col_add(&cols[(size_t)(pos + 0.5)], b->mean, &st);
        }
        /* The envelope over every column the bucket touches. */
        double p0 = (b->x_lo - xlo) / xu + 0.5, p1 = (b->x_hi - xlo) / xu + 0.5;
        if (!(p1 >= 0) || !(p0 < (double)ncols) || isnan(b->min) || isnan(b->max))
            continue;
        size_t c0 = p0 > 0 ? (size_t)p0 : 0;
        size_t c1 = p1 < last ? (size_t)p1 : ncols - 1;
        double lo = b->min < b->max ? b->min : b->max, hi = b->min < b->max ? b->max : b->min;
        for (size_t c = c0; c <= c1; c++) {
            if (!(lo >= band[2 * c]))
                band[2 * c] = lo;
            if (!(hi <= band[2 * c + 1]))
                band[2 * c + 1] = hi;
        }
        if (pos >= last)
            break;
    }
}

/* Decimates a point series into ncols dot columns over [x_lo, x_hi]. */
int
tw_chart_decimate(const tw_chart_series *s, double x_lo, double x_hi, size_t ncols, bool log_y,
                  tw_chart_column *cols)
{
    if (!s || !cols || ncols < 2 || !isfinite(x_lo) || !isfinite(x_hi) || !(x_lo < x_hi) ||
        (s->n > 0 && (!s->x || !s->y)))
        return -EINVAL;
    sinfo si;
    decimate_points(s, x_lo, (x_hi - x_lo) / (double)(ncols - 1), ncols, log_y, cols, &si);
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* Ticks and labels                                                                            */

/* Constant tables. */
static const double nice_mantissas[3] = {1, 2, 5};
static const double time_steps[] = {1,   2,   5,    10,   15,   30,    60,    120,  300,
                                    600, 900, 1800, 3600, 7200, 10800, 21600, 43200};
static const double unit_values[] = {1e12, 1e9, 1e6, 1e3};
static const char *const unit_names[] = {"T", "G", "M", "k"};

/* Writes the multiples of step = m / 10^-e (m * 10^e) in [lo, hi] to ticks; returns their
 * number, or max + 1 when there would be more than max. */
static int
multiples(double lo, double hi, double m, int e, int max, double *ticks, int cap)
{
    double step = m * pow10i(e);
    double a = ceil(lo / step - 1e-9), b = floor(hi / step + 1e-9);
    if (!(b - a + 1 <= (double)max) || fabs(a) > 0x1p52 || fabs(b) > 0x1p52)
        return max + 1; /* too many, or beyond where i++ counts */
    int n = 0;
    for (double i = a; i <= b; i++) {
        if (n < cap)
            ticks[n] = e >= 0 ? i * m * pow10i(e) : i * m / pow10i(-e);
        n++;
    }
    return n;
}

/* Nice linear ticks. */
int
tw_chart_ticks(double lo, double hi, int max_ticks, bool integer, double *ticks, int cap,
               double *step)
{
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo) || lo > hi || max_ticks < 1 ||
        (cap > 0 && !ticks))
        return 0;
    if (!((hi - lo) / max_ticks > 1e-300)) { /* a single value, or too fine to step through */
        if (integer && lo != floor(lo))
            return 0;
        if (cap > 0)
            ticks[0] = lo;
        return 1;
    }
    int e = (int)floor(log10((hi - lo) / max_ticks)) - 1;
    for (int k = 0; k < 60; k++) {
        double m = nice_mantissas[k % 3];
        int ee = e + k / 3;
        if (integer && ee < 0)
            continue;
        int n = multiples(lo, hi, m, ee, max_ticks, ticks, cap);
        if (n <= max_ticks) {
            if (step)
                *step = m * pow10i(ee);
            return n;
        }
    }
    return 0;
}

/* Powers of ten in [lo, hi], or nice linear ticks when fewer than two fit. */
int
tw_chart_log_ticks(double lo, double hi, int max_ticks, double *ticks, int cap, double *step)
{
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || !(lo > 0) || lo > hi || max_ticks < 1 ||
        (cap > 0 && !ticks))
        return 0;
    int dlo = (int)ceil(log10(lo) - 1e-9), dhi = (int)floor(log10(hi) + 1e-9);
    if (dhi - dlo + 1 < 2 || max_ticks < 2)
        return tw_chart_ticks(lo, hi, max_ticks, false, ticks, cap, step);
    for (int k = 1;; k++) {
        /* Decades that are multiples of k. */
        int a = (int)ceil((double)dlo / k), b = (int)floor((double)dhi / k);
        if (b - a + 1 > max_ticks)
            continue;
        int n = 0;
        for (int d = a; d <= b; d++) {
            if (n < cap)
                ticks[n] = pow10i(d * k);
            n++;
        }
        return n;
    }
}

/* Time ticks: steps that read as whole seconds, minutes, hours or days. */
int
tw_chart_time_ticks(double lo, double hi, int max_ticks, double *ticks, int cap, double *step)
{
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || lo > hi || max_ticks < 1 || (cap > 0 && !ticks))
        return 0;
    if (lo == hi || (hi - lo) / max_ticks < 1)
        return tw_chart_ticks(lo, hi, max_ticks, false, ticks, cap, step);
    for (size_t k = 0; k < sizeof time_steps / sizeof time_steps[0]; k++) {
        int n = multiples(lo, hi, time_steps[k], 0, max_ticks, ticks, cap);
        if (n <= max_ticks) {
            if (step)
                *step = time_steps[k];
            return n;
        }
    }
    /* Whole days: nice numbers of days. */
    int n = tw_chart_ticks(lo / 86400, hi / 86400, max_ticks, true, ticks, cap, step);
    for (int i = 0; i < n && i < cap; i++)
        ticks[i] *= 86400;
    if (step)
        *step *= 86400;
    return n;
}

/* Decimal places that show step exactly (at most 12). */
static int
decimals_of(double step)
{
    step = fabs(step);
    if (!(step > 0) || !isfinite(step))
        return 0;
    for (int d = 0; d < 12; d++) {
        double s = step * pow10i(d);
        if (fabs(s - round(s)) <= 1e-6 * s)
            return d;
    }
    return 12;
}

/* "%.*f" of a >= 0, trailing zeros (and a trailing point) removed, then suffix. Returns the
 * length, or -1 when it did not fit. */
static int
put_fixed(char *buf, size_t size, bool neg, double a, int dec, const char *suffix)
{
    char tmp[64];
    int len = snprintf(tmp, sizeof tmp, "%.*f", dec, a);
    if (len < 0 || (size_t)len >= sizeof tmp)
        return -1;
    if (strchr(tmp, '.')) {
        while (len > 0 && tmp[len - 1] == '0')
            tmp[--len] = '\0';
        if (len > 0 && tmp[len - 1] == '.')
            tmp[--len] = '\0';
    }
    if (strcmp(tmp, "0") == 0)
        neg = false;
    int n = snprintf(buf, size, "%s%s%s", neg ? "-" : "", tmp, suffix);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* m e exp with `dec` mantissa decimals at most, zeros removed: 1.5e-3. */
static int
put_exp(char *buf, size_t size, bool neg, double a, int dec)
{
    int ex = (int)floor(log10(a));
    double m = a / pow10i(ex);
    if (dec > 6)
        dec = 6;
    if (dec < 0)
        dec = 0;
    /* Rounding may carry the mantissa to 10. */
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.*f", dec, m);
    if (atof(tmp) >= 10) {
        ex++;
        m /= 10;
    } else if (atof(tmp) < 1 && m > 0) {
        ex--;
        m *= 10;
    }
    char suffix[16];
    snprintf(suffix, sizeof suffix, "e%d", ex);
    return put_fixed(buf, size, neg, m, dec, suffix);
}

/* Formats a tick value compactly. */
int
tw_chart_format_tick(char *buf, size_t size, double v, double step)
{
    if (!buf || size == 0)
        return -EINVAL;
    buf[0] = '\0';
    int n;
    if (isnan(v))
        n = snprintf(buf, size, "nan");
    else if (isinf(v))
        n = snprintf(buf, size, v > 0 ? "inf" : "-inf");
    else
        n = -2;
    if (n != -2)
        return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
    bool readout = !(step > 0) || !isfinite(step);
    bool neg = v < 0;
    double a = fabs(v);
    if (a == 0 || (!readout && a < step * 1e-6))
        return put_fixed(buf, size, false, 0, 0, "") < 0 ? 0 : 1;
    if (readout) {
        int ex = (int)floor(log10(a));
        if (a >= 1e-3 && a < 1e3) {
            n = put_fixed(buf, size, neg, a, ex < 3 ? 3 - ex : 0, "");
            if (n >= 0)
                return n;
        }
        step = pow10i(ex - 3); /* four significant digits */
    }
    if (a < 1e15) {
        for (size_t k = 0; k < sizeof unit_values / sizeof unit_values[0]; k++) {
            if (a < unit_values[k])
                continue;
            int d = decimals_of(step / unit_values[k]);
            if (d <= 2) {
                n = put_fixed(buf, size, neg, a / unit_values[k], d, unit_names[k]);
                if (n >= 0)
                    return n;
            }
            break;
        }
        int d = decimals_of(step);
        if (d <= 3 && a >= 1e-3) {
            n = put_fixed(buf, size, neg, a, d, "");
            if (n >= 0)
                return n;
        }
    }
    int ex = (int)floor(log10(a));
    n = put_exp(buf, size, neg, a, decimals_of(step / pow10i(ex)));
    if (n < 0) {
        n = snprintf(buf, size, "%.0e", v);
        n = n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
    }
    return n;
}

/* Formats a duration: 45s, 1m30s, 2h, 1d6h, 0.5s. */
int
tw_chart_format_duration(char *buf, size_t size, double seconds, double step)
{
    if (!buf || size == 0)
        return -EINVAL;
    if (!isfinite(seconds))
        return tw_chart_format_tick(buf, size, seconds, step);
    bool neg = seconds < 0;
    double a = fabs(seconds);
    if (step > 0 && step < 1) {
        int n = put_fixed(buf, size, neg, a, decimals_of(step), "s");
        return n < 0 ? 0 : n;
    }
    if (a > 1e15)
        return tw_chart_format_tick(buf, size, seconds, step);
    long long s = llround(a);
    if (s == 0)
        return snprintf(buf, size, "0") < 0 ? 0 : 1;
    long long part[4] = {s / 86400, s / 3600 % 24, s / 60 % 60, s % 60};
    const char unit[4] = {'d', 'h', 'm', 's'};
    char tmp[64];
    size_t len = 0;
    if (neg)
        tmp[len++] = '-';
    for (int k = 0; k < 4; k++) {
        if (part[k] == 0)
            continue;
        int w = snprintf(tmp + len, sizeof tmp - len, "%lld%c", part[k], unit[k]);
        if (w < 0 || (size_t)w >= sizeof tmp - len)
            break;
        len += (size_t)w;
    }
    tmp[len] = '\0';
    int n = snprintf(buf, size, "%s", tmp);
    return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
}

/* ----------------------------------------------------------------------------------------- */
/* Smoothing                                                                                   */

/* TensorBoard's debiased EMA. */
int
tw_chart_smooth(const double *y, double *out, size_t n, double w)
{
    if ((n > 0 && (!y || !out)) || isnan(w))
        return -EINVAL;
    w = clampd(w, 0.0, 0.999);
    bool constant = true;
    double c = NAN;
    for (size_t i = 0; i < n && constant; i++) {
        if (!isfinite(y[i]))
            continue;
        if (isnan(c))
            c = y[i];
        else if (y[i] != c)
            constant = false;
    }
    double last = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        if (constant || !isfinite(v)) {
            out[i] = v;
            continue;
        }
        last = last * w + (1 - w) * v;
        k++;
        double debias = 1 - pow(w, (double)k);
        out[i] = debias > 0 ? last / debias : v;
    }
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* The chart object                                                                            */

/* The defaults. */
tw_chart_spec
tw_chart_defaults(void)
{
    tw_chart_spec s;
    memset(&s, 0, sizeof s);
    s.width = 80;
    s.height = 24;
    s.utf8 = true;
    s.xkind = TW_CHART_X_EPOCH;
    s.x_min = s.x_max = NAN;
    s.y_min = s.y_max = NAN;
    return s;
}

/* A chart with no grid. */
tw_chart *
tw_chart_new(void)
{
    tw_chart *c = calloc(1, sizeof *c);
    if (c)
        c->last_lw = 5;
    return c;
}

/* Frees the chart. */
void
tw_chart_destroy(tw_chart **chart)
{
    if (!chart || !*chart)
        return;
    tw_chart *c = *chart;
    free(c->cells);
    free(c->pc);
    free(c->cols);
    free(c->band);
    free(c->si);
    free(c->vals);
    free(c);
    *chart = NULL;
}

/* The grid. */
const tw_chart_cell *
tw_chart_cells(const tw_chart *chart, int *width, int *height)
{
    if (width)
        *width = chart && chart->rendered ? chart->w : 0;
    if (height)
        *height = chart && chart->rendered ? chart->h : 0;
    return chart && chart->rendered ? chart->cells : NULL;
}

/* The layout. */
int
tw_chart_get_layout(const tw_chart *chart, tw_chart_layout *out)
{
    if (!chart || !out || !chart->rendered)
        return -EINVAL;
    *out = chart->layout;
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* Cells                                                                                       */

static tw_chart_cell *
cell(tw_chart *c, int row, int col)
{
    return &c->cells[(size_t)row * (size_t)c->w + (size_t)col];
}

static void
put_glyph(tw_chart *c, int row, int col, const char *g, uint8_t color, uint8_t flags)
{
    if (row < 0 || row >= c->h || col < 0 || col >= c->w)
        return;
    tw_chart_cell *p = cell(c, row, col);
    snprintf(p->glyph, sizeof p->glyph, "%s", g);
    p->color = color;
    p->flags = flags;
}

/* ASCII text at (row, col), clipped to the chart. */
static void
put_text(tw_chart *c, int row, int col, const char *s)
{
    for (; *s; s++, col++) {
        char g[2] = {*s, '\0'};
        put_glyph(c, row, col, g, 0, 0);
    }
}

/* Whether cells row, col0..col1-1 hold only blanks. */
static bool
blank_span(tw_chart *c, int row, int col0, int col1)
{
    if (col0 < 0 || col1 > c->w)
        return false;
    for (int k = col0; k < col1; k++)
        if (strcmp(cell(c, row, k)->glyph, " ") != 0)
            return false;
    return true;
}

/* ----------------------------------------------------------------------------------------- */
/* Dots                                                                                        */

/* Braille dot bits by (column, row) within a cell. */
static const uint8_t braille_bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

/* y in data units to a dot row (0 at the top); infinities go to the edges. */
static double
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
static int
dot_col(const tw_chart *c, double pos)
{
    return (int)lround(clampd(pos, 0, c->wd - 1));
}

/* Sets one line dot of the series being drawn (dotted lines skip every other dot). */
static void
line_dot(tw_chart *c, int x, int y)
{
    if (x < 0 || x >= c->wd || y < 0 || y >= c->hd)
        return;
    if (c->dotted && (c->pattern++ & 1u))
        return;
    pcell *p = &c->pc[(size_t)(y / c->dpr) * (size_t)c->plot_w + (size_t)(x / c->dpc)];
    p->line |= c->utf8 ? braille_bit[x % 2][y % 4] : (uint8_t)(1u << (y % 3));
    p->line_color = c->color;
    p->line_flags = c->lflags;
    p->dotted = c->dotted;
}

/* Clips the segment to the plot's dot box (Liang-Barsky); false when nothing is left. */
static bool
clip(const tw_chart *c, double *x0, double *y0, double *x1, double *y1)
{
    double t0 = 0, t1 = 1, dx = *x1 - *x0, dy = *y1 - *y0;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {*x0, (c->wd - 1) - *x0, *y0, (c->hd - 1) - *y0};
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] < 0)
                return false;
            continue;
        }
        double r = q[k] / p[k];
        if (p[k] < 0) {
            if (r > t1)
                return false;
            if (r > t0)
                t0 = r;
        } else {
            if (r < t0)
                return false;
            if (r < t1)
                t1 = r;
        }
    }
    double ax = *x0 + t0 * dx, ay = *y0 + t0 * dy, bx = *x0 + t1 * dx, by = *y0 + t1 * dy;
    *x0 = ax;
    *y0 = ay;
    *x1 = bx;
    *y1 = by;
    return true;
}

/* A line from (x0, y0) to (x1, y1) in dots, clipped, by Bresenham. With skip, the start dot
 * is left out (it ends the previous segment) unless clipping moved the start. */
static void
line(tw_chart *c, double fx0, double fy0, double fx1, double fy1, bool skip)
{
    if (isnan(fx0) || isnan(fy0) || isnan(fx1) || isnan(fy1))
        return;
    /* Far-away ends (a neighbour far outside a zoomed range) are pulled in, so that the
     * clipping arithmetic stays finite; the visible part hardly moves. */
    fx0 = clampd(fx0, -COORD_LIMIT, COORD_LIMIT);
    fx1 = clampd(fx1, -COORD_LIMIT, COORD_LIMIT);
    fy0 = clampd(fy0, -COORD_LIMIT, COORD_LIMIT);
    fy1 = clampd(fy1, -COORD_LIMIT, COORD_LIMIT);
    double ox = fx0, oy = fy0;
    if (!clip(c, &fx0, &fy0, &fx1, &fy1))
        return;
    int x0 = (int)lround(fx0), y0 = (int)lround(fy0), x1 = (int)lround(fx1), y1 = (int)lround(fy1);
    skip = skip && fx0 == ox && fy0 == oy;
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        if (!skip)
            line_dot(c, x0, y0);
        skip = false;
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* A mark glyph over plot cell (row, col) when its priority is at least the one there. */
static void
mark_cell(tw_chart *c, int row, int col, char g, uint8_t color, int pri)
{
    if (row < 0 || row >= c->plot_h || col < 0 || col >= c->plot_w)
        return;
    pcell *p = &c->pc[(size_t)row * (size_t)c->plot_w + (size_t)col];
    if (pri < p->over_pri)
        return;
    p->over = g;
    p->over_pri = (uint8_t)pri;
    p->over_color = color;
}

/* Draws one decimated series: envelope, then the line column by column. */
static void
draw_series(tw_chart *c, const tw_chart_column *cols, const double *band, const sinfo *si)
{
    if (si->band) {
        for (int x = 0; x < c->wd; x++) {
            double lo = band[2 * x], hi = band[2 * x + 1];
            if (isnan(lo) || isnan(hi) || (c->log_y && !(hi > 0)))
                continue;
            double r0 = clampd(row_of(c, hi), 0, c->hd - 1);
            double r1 = clampd(row_of(c, lo), 0, c->hd - 1);
            if (row_of(c, hi) > c->hd - 1 || row_of(c, lo) < 0)
                continue; /* entirely outside */
            for (int y = (int)lround(r0); y <= (int)lround(r1); y++) {
                pcell *p = &c->pc[(size_t)(y / c->dpr) * (size_t)c->plot_w + (size_t)(x / c->dpc)];
                p->band |= c->utf8 ? braille_bit[x % 2][y % 4] : (uint8_t)(1u << (y % 3));
                p->band_color = c->color;
            }
        }
    }
    bool have = si->has_l;
    double px = si->lx, py = have ? row_of(c, si->ly) : 0;
    for (int x = 0; x < c->wd; x++) {
        const tw_chart_column *k = &cols[x];
        if (k->n == 0)
            continue;
        double yf = row_of(c, k->first);
        if (have && !(k->flags & TW_CHART_COL_BREAK))
            line(c, px, py, x, yf, true);
        else
            line(c, x, yf, x, yf, false);
        /* The column's extent: first, last, min, max and the edges for infinities. */
        double top = yf < row_of(c, k->last) ? yf : row_of(c, k->last);
        double bot = yf > row_of(c, k->last) ? yf : row_of(c, k->last);
        if (!isnan(k->max) && row_of(c, k->max) < top)
            top = row_of(c, k->max);
        if (!isnan(k->min) && row_of(c, k->min) > bot)
            bot = row_of(c, k->min);
        if (k->flags & TW_CHART_COL_PINF)
            top = 0;
        if (k->flags & TW_CHART_COL_NINF)
            bot = c->hd - 1;
        if (bot > top) {
            double from = yf - top < bot - yf ? top : bot; /* walk away from first */
            line(c, x, yf, x, from, true);
            line(c, x, from, x, from == top ? bot : top, true);
        }
        if (k->flags & TW_CHART_COL_PINF)
            mark_cell(c, 0, x / c->dpc, '^', c->color, PRI_INF);
        if (k->flags & TW_CHART_COL_NINF)
            mark_cell(c, c->plot_h - 1, x / c->dpc, 'v', c->color, PRI_INF);
        have = true;
        px = x;
        py = row_of(c, k->last);
    }
    if (have && si->has_r)
        line(c, px, py, si->rx, row_of(c, si->ry), true);
}

/* The y of series s nearest to x (for marks without a y). */
static double
value_at(const tw_chart_series *s, double x)
{
    if (s->buckets && s->n_buckets > 0) {
        size_t best = 0;
        double bd = INFINITY;
        for (size_t i = 0; i < s->n_buckets; i++) {
            const tw_chart_bucket *b = &s->buckets[i];
            if (x >= b->x_lo && x <= b->x_hi)
                return b->mean;
            double d = fabs((b->x_lo + b->x_hi) * 0.5 - x);
            if (d < bd) {
                bd = d;
                best = i;
            }
        }
        return s->buckets[best].mean;
    }
    if (s->n == 0 || !s->x || !s->y)
        return NAN;
    size_t stride = s->stride ? s->stride : sizeof(double);
    size_t i = lower_bound(s->x, stride, 0, s->n, x);
    if (i == s->n || (i > 0 && fabs(at(s->x, i - 1, stride) - x) <= fabs(at(s->x, i, stride) - x)))
        i--;
    return at(s->y, i, stride);
}

/* Draws a series' marks. */
static void
draw_marks(tw_chart *c, const tw_chart_series *s)
{
    for (size_t i = 0; i < s->n_markers; i++) {
        const tw_chart_marker *m = &s->markers[i];
        double pos = (m->x - c->xlo) / c->xu;
        if (!(pos >= -0.5 && pos < c->wd - 0.5))
            continue;
        int col = dot_col(c, pos) / c->dpc;
        if (m->kind == TW_CHART_MARK_RESTART) {
            for (int r = 0; r < c->plot_h; r++) {
                pcell *p = &c->pc[(size_t)r * (size_t)c->plot_w + (size_t)col];
                p->rule = true;
                p->rule_color = s->color;
            }
            continue;
        }
        double y = isnan(m->y) ? value_at(s, m->x) : m->y;
        int row = (int)lround(clampd(row_of(c, y), 0, c->hd - 1)) / c->dpr;
        char g = m->kind == TW_CHART_MARK_ALERT ? '!' : m->kind == TW_CHART_MARK_BEST ? '*' : 'o';
        mark_cell(c, row, col, g, s->color, PRI_MARK(m->kind));
    }
}

/* UTF-8 of the braille character with dot bits `bits`. */
static void
braille(char out[5], uint8_t bits)
{
    unsigned cp = 0x2800u + bits;
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    out[3] = '\0';
}

/* The ASCII glyph of a line cell's sub-row bits (1 top, 2 middle, 4 bottom). */
static char
ascii_line(uint8_t bits, bool dotted)
{
    switch (bits) {
    case 1:
        return '\'';
    case 2:
        return '-';
    case 4:
        return '.';
    default:
        return dotted ? ':' : '|';
    }
}

/* Copies the plot cells into the grid. */
static void
compose(tw_chart *c)
{
    for (int r = 0; r < c->plot_h; r++)
        for (int k = 0; k < c->plot_w; k++) {
            const pcell *p = &c->pc[(size_t)r * (size_t)c->plot_w + (size_t)k];
            tw_chart_cell *o = cell(c, r, c->plot_col + k);
            if (p->over_pri) {
                o->glyph[0] = p->over;
                o->glyph[1] = '\0';
                o->color = p->over_color;
                o->flags = TW_CHART_CELL_BOLD;
            } else if (p->line) {
                if (c->utf8) {
                    braille(o->glyph, p->line);
                } else {
                    o->glyph[0] = ascii_line(p->line, p->dotted);
                    o->glyph[1] = '\0';
                }
                o->color = p->line_color;
                o->flags = p->line_flags;
            } else if (p->band) {
                if (c->utf8) {
                    braille(o->glyph, p->band);
                } else {
                    o->glyph[0] = ':';
                    o->glyph[1] = '\0';
                }
                o->color = p->band_color;
                o->flags = TW_CHART_CELL_DIM;
            } else if (p->rule) {
                snprintf(o->glyph, sizeof o->glyph, "%s", c->utf8 ? "\u2502" : "|");
                o->color = p->rule_color;
                o->flags = TW_CHART_CELL_DIM;
            }
        }
}

/* ----------------------------------------------------------------------------------------- */
/* Ranges                                                                                      */

/* The x range: the spec's, or the data's extent. */
static void
x_range(const tw_chart_spec *sp, const tw_chart_series *ss, size_t n, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const tw_chart_series *s = &ss[i];
        if (s->buckets) {
            for (size_t k = 0; k < s->n_buckets; k++)
                if (isfinite(s->buckets[k].x_lo)) {
                    a = fmin(a, s->buckets[k].x_lo);
                    break;
                }
            for (size_t k = s->n_buckets; k-- > 0;)
                if (isfinite(s->buckets[k].x_hi)) {
                    b = fmax(b, s->buckets[k].x_hi);
                    break;
                }
            continue;
        }
        size_t stride = s->stride ? s->stride : sizeof(double);
        for (size_t k = 0; k < s->n; k++)
            if (isfinite(at(s->x, k, stride))) {
                a = fmin(a, at(s->x, k, stride));
                break;
            }
        for (size_t k = s->n; k-- > 0;)
            if (isfinite(at(s->x, k, stride))) {
                b = fmax(b, at(s->x, k, stride));
                break;
            }
    }
    if (isfinite(sp->x_min))
        a = sp->x_min;
    if (isfinite(sp->x_max))
        b = sp->x_max;
    if (!(a <= b)) {
        if (isfinite(a) && isfinite(b)) {
            double t = a;
            a = b;
            b = t;
        } else if (isfinite(a)) {
            b = a + 1;
        } else if (isfinite(b)) {
            a = b - 1;
        } else {
            a = 0;
            b = 1;
        }
    }
    a = clampd(a, -RANGE_MAX, RANGE_MAX);
    b = clampd(b, -RANGE_MAX, RANGE_MAX);
    if (!(b - a > 1e-12 * fmax(fabs(a), fabs(b))) || b - a < SPAN_MIN) {
        double d = fmax(0.5, fabs(a) * 1e-9);
        a -= d;
        b += d;
    }
    *lo = a;
    *hi = b;
}

static int
cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Quantile q of sorted v[0..n-1], interpolated (as d3.quantile). */
static double
quantile(const double *v, size_t n, double q)
{
    double p = (double)(n - 1) * q;
    size_t i = (size_t)p;
    return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * (p - (double)i) : v[n - 1];
}

/* The y range from the decimated columns (and envelopes) of all series, in c->tlo..thi. */
static int
y_range(tw_chart *c, const tw_chart_spec *sp, size_t ns)
{
    size_t wd = (size_t)c->wd;
    double a = INFINITY, b = -INFINITY;
    size_t nv = 0;
    if (sp->y_robust && !tw_reserve((void **)&c->vals, &c->vals_cap, ns * wd * 2, sizeof(double)))
        return -ENOMEM;
    for (size_t s = 0; s < ns; s++)
        for (size_t x = 0; x < wd; x++) {
            double v[4] = {c->cols[s * wd + x].min, c->cols[s * wd + x].max, NAN, NAN};
            if (c->si[s].band) {
                v[2] = c->band[(s * wd + x) * 2];
                v[3] = c->band[(s * wd + x) * 2 + 1];
            }
            double lo = INFINITY, hi = -INFINITY;
            for (int k = 0; k < 4; k++)
                if (isfinite(v[k]) && (!c->log_y || v[k] > 0)) {
                    lo = fmin(lo, v[k]);
                    hi = fmax(hi, v[k]);
                }
            if (lo > hi)
                continue;
            a = fmin(a, lo);
            b = fmax(b, hi);
            if (sp->y_robust) {
                c->vals[nv++] = lo;
                c->vals[nv++] = hi;
            }
        }
    if (sp->y_robust && nv >= 2) {
        qsort(c->vals, nv, sizeof(double), cmp_double);
        a = quantile(c->vals, nv, ROBUST_LO);
        b = quantile(c->vals, nv, ROBUST_HI);
    }
    bool fix_lo = isfinite(sp->y_min) && (!c->log_y || sp->y_min > 0);
    bool fix_hi = isfinite(sp->y_max) && (!c->log_y || sp->y_max > 0);
    if (fix_lo)
        a = sp->y_min;
    if (fix_hi)
        b = sp->y_max;
    bool data_nonneg = a >= 0;
    if (!(a <= b)) {
        if (isfinite(a) && isfinite(b)) {
            double t = a;
            a = b;
            b = t;
        } else if (isfinite(a)) {
            b = c->log_y ? a * 10 : a + 1;
        } else if (isfinite(b)) {
            a = c->log_y ? b / 10 : b - 1;
        } else {
            a = c->log_y ? 1 : 0;
            b = c->log_y ? 10 : 1;
        }
    }
    a = clampd(a, -RANGE_MAX, RANGE_MAX);
    b = clampd(b, -RANGE_MAX, RANGE_MAX);
    if (c->log_y) {
        double la = log10(a), lb = log10(b);
        if (lb - la < 1e-9) {
            la -= 0.05;
            lb += 0.05;
        } else {
            double pad = PAD * (lb - la);
            la -= fix_lo ? 0 : pad;
            lb += fix_hi ? 0 : pad;
        }
        c->tlo = la;
        c->thi = lb;
        return 0;
    }
    if (!(b - a > 1e-12 * fmax(fabs(a), fabs(b))) || b - a < SPAN_MIN) {
        double d = fmax(fabs(a) * 0.1, 1e-9);
        a -= d;
        b += d;
    } else {
        double pad = PAD * (b - a);
        if (!fix_lo)
            a = data_nonneg && a - pad < 0 ? 0 : a - pad;
        if (!fix_hi)
            b += pad;
    }
    c->tlo = a;
    c->thi = b;
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* Axes                                                                                        */

typedef struct ticks {
    int n;
    double v[16];
    int pos[16]; /* cell row (y) or column (x) */
    char label[16][TW_CHART_LABEL_MAX];
} ticks;

/* Y ticks for plot height h rows, their rows and labels; returns the widest label. */
static int
y_ticks(tw_chart *c, ticks *t)
{
    double lo = c->log_y ? pow(10, c->tlo) : c->tlo, hi = c->log_y ? pow(10, c->thi) : c->thi;
    int max = c->plot_h / 2 + 1;
    if (max > Y_TICKS)
        max = Y_TICKS;
    for (; max >= 1; max--) {
        double step = 0;
        int n = c->log_y ? tw_chart_log_ticks(lo, hi, max, t->v, 16, &step)
                         : tw_chart_ticks(lo, hi, max, false, t->v, 16, &step);
        if (n > 16)
            n = 16;
        bool ok = true;
        t->n = 0;
        for (int i = 0; i < n; i++) {
            double r = row_of(c, t->v[i]);
            if (r < -0.5 || r > c->hd - 0.5)
                continue;
            int row = (int)lround(r) / c->dpr;
            if (t->n > 0 && row == t->pos[t->n - 1])
                ok = false;
            t->v[t->n] = t->v[i];
            t->pos[t->n] = row;
            tw_chart_format_tick(t->label[t->n], TW_CHART_LABEL_MAX, t->v[i],
                                 step > 0 ? step : t->v[i]);
            t->n++;
        }
        if (ok)
            break;
    }
    int w = 1;
    for (int i = 0; i < t->n; i++)
        if ((int)strlen(t->label[i]) > w)
            w = (int)strlen(t->label[i]);
    return w;
}

/* X ticks that fit on the label row with two blanks between labels; t->pos holds the tick's
 * cell column and start[] where its label begins. */
static void
x_ticks(tw_chart *c, tw_chart_xkind kind, ticks *t, int *start)
{
    int max = c->plot_w / 10 + 1;
    if (max > X_TICKS)
        max = X_TICKS;
    for (; max >= 1; max--) {
        double step = 0, v[16];
        int n = kind == TW_CHART_X_TIME ? tw_chart_time_ticks(c->xlo, c->xhi, max, v, 16, &step)
                                        : tw_chart_ticks(c->xlo, c->xhi, max, true, v, 16, &step);
        if (n > 16)
            n = 16;
        bool ok = true;
        int prev_end = -2;
        t->n = 0;
        for (int i = 0; i < n; i++) {
            double pos = (v[i] - c->xlo) / c->xu;
            if (!(pos >= -0.5 && pos < c->wd - 0.5))
                continue;
            char *l = t->label[t->n];
            if (kind == TW_CHART_X_TIME)
                tw_chart_format_duration(l, TW_CHART_LABEL_MAX, v[i], step);
            else
                tw_chart_format_tick(l, TW_CHART_LABEL_MAX, v[i], step);
            int len = (int)strlen(l);
            int col = c->plot_col + dot_col(c, pos) / c->dpc;
            int s = col - (len - 1) / 2;
            if (s + len > c->w)
                s = c->w - len;
            if (s < 0)
                s = 0;
            if (s < prev_end + 2)
                ok = false;
            prev_end = s + len;
            t->v[t->n] = v[i];
            t->pos[t->n] = col;
            start[t->n] = s;
            t->n++;
        }
        if (ok)
            break;
    }
}

/* Axes, ticks and labels around the plot. */
static void
draw_axes(tw_chart *c, const ticks *yt, const ticks *xt, const int *xstart, const char *name)
{
    int ax = c->plot_col - 1, ay = c->plot_h;
    const char *vbar = c->utf8 ? "\u2502" : "|", *hbar = c->utf8 ? "\u2500" : "-";
    for (int r = 0; r < c->plot_h; r++)
        put_glyph(c, r, ax, vbar, 0, 0);
    for (int k = c->plot_col; k < c->w; k++)
        put_glyph(c, ay, k, hbar, 0, 0);
    put_glyph(c, ay, ax, c->utf8 ? "\u2514" : "+", 0, 0);
    for (int i = 0; i < yt->n; i++) {
        put_glyph(c, yt->pos[i], ax, c->utf8 ? "\u2524" : "+", 0, 0);
        put_text(c, yt->pos[i], ax - (int)strlen(yt->label[i]), yt->label[i]);
    }
    for (int i = 0; i < xt->n; i++) {
        put_glyph(c, ay, xt->pos[i], c->utf8 ? "\u252c" : "+", 0, 0);
        put_text(c, ay + 1, xstart[i], xt->label[i]);
    }
    /* The axis name: at the right end of the label row, else at its left end. */
    int len = (int)strlen(name);
    if (blank_span(c, ay + 1, c->w - len - 2, c->w))
        put_text(c, ay + 1, c->w - len, name);
    else if (blank_span(c, ay + 1, 0, len + 2))
        put_text(c, ay + 1, 0, name);
}

/* Checks the series; 0 or -EINVAL. */
static int
check_series(const tw_chart_series *ss, size_t n)
{
    if (n > 0 && !ss)
        return -EINVAL;
    if (n > MAX_SERIES)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        const tw_chart_series *s = &ss[i];
        if (s->n_buckets > 0 && !s->buckets)
            return -EINVAL;
        if (!s->buckets && s->n > 0 && (!s->x || !s->y))
            return -EINVAL;
        if (s->n_markers > 0 && !s->markers)
            return -EINVAL;
    }
    return 0;
}

/* Decimates every series at the current plot width. */
static int
decimate_all(tw_chart *c, const tw_chart_series *ss, size_t ns)
{
    size_t wd = (size_t)c->wd;
    if (!tw_reserve((void **)&c->cols, &c->cols_cap, ns * wd, sizeof(tw_chart_column)) ||
        !tw_reserve((void **)&c->band, &c->band_cap, ns * wd * 2, sizeof(double)) ||
        !tw_reserve((void **)&c->si, &c->si_cap, ns, sizeof(sinfo)))
        return -ENOMEM;
    for (size_t s = 0; s < ns; s++) {
        if (ss[s].buckets)
            decimate_buckets(&ss[s], c->xlo, c->xu, wd, c->log_y, c->cols + s * wd,
                             c->band + s * wd * 2, &c->si[s]);
        else
            decimate_points(&ss[s], c->xlo, c->xu, wd, c->log_y, c->cols + s * wd, &c->si[s]);
        if (!ss[s].buckets)
            c->si[s].band = false;
    }
    return 0;
}

/* Renders the series. */
int
tw_chart_render(tw_chart *c, const tw_chart_spec *sp, const tw_chart_series *ss, size_t ns)
{
    if (!c || !sp || sp->width < 1 || sp->height < 1 || sp->width > TW_CHART_MAX_DIM ||
        sp->height > TW_CHART_MAX_DIM)
        return -EINVAL;
    int rc = check_series(ss, ns);
    if (rc < 0)
        return rc;
    c->rendered = false;
    size_t ncells = (size_t)sp->width * (size_t)sp->height;
    if (!tw_reserve((void **)&c->cells, &c->cells_cap, ncells, sizeof(tw_chart_cell)))
        return -ENOMEM;
    c->spec = *sp;
    c->w = sp->width;
    c->h = sp->height;
    for (size_t i = 0; i < ncells; i++) {
        memset(&c->cells[i], 0, sizeof c->cells[i]);
        c->cells[i].glyph[0] = ' ';
    }
    memset(&c->layout, 0, sizeof c->layout);
    c->layout.width = c->w;
    c->layout.height = c->h;
    c->rendered = true;
    if (c->w < TW_CHART_MIN_WIDTH || c->h < TW_CHART_MIN_HEIGHT)
        return -ERANGE;

    c->utf8 = sp->utf8;
    c->log_y = sp->log_y;
    c->dpc = c->utf8 ? 2 : 1;
    c->dpr = c->utf8 ? 4 : 3;
    c->plot_h = c->h - 2;
    c->hd = c->plot_h * c->dpr;
    x_range(sp, ss, ns, &c->xlo, &c->xhi);

    /* The y labels' width sets the plot's width, which sets the columns the y range comes
     * from, which sets the labels: start from last frame's width (so a steady frame decimates
     * once) and go round until the width holds (in practice once more at most). */
    int maxlw = c->w / 3;
    int lw = c->last_lw < 1 ? 1 : c->last_lw > maxlw ? maxlw : c->last_lw;
    ticks yt, xt;
    int xstart[16];
    for (int pass = 0; pass < 4; pass++) {
        c->plot_col = lw + 1;
        c->plot_w = c->w - c->plot_col;
        c->wd = c->plot_w * c->dpc;
        c->xu = (c->xhi - c->xlo) / (c->wd - 1);
        if ((rc = decimate_all(c, ss, ns)) < 0 || (rc = y_range(c, sp, ns)) < 0)
            goto fail;
        int w = y_ticks(c, &yt);
        w = w < 1 ? 1 : w > maxlw ? maxlw : w;
        if (w == lw || pass == 3)
            break; /* after that, labels wider than lw are cut on the left */
        lw = w;
    }
    c->last_lw = lw;

    size_t npc = (size_t)c->plot_w * (size_t)c->plot_h;
    if (!tw_reserve((void **)&c->pc, &c->pc_cap, npc, sizeof(pcell))) {
        rc = -ENOMEM;
        goto fail;
    }
    memset(c->pc, 0, npc * sizeof(pcell));
    size_t wd = (size_t)c->wd;
    for (size_t s = 0; s < ns; s++) {
        c->color = ss[s].color;
        c->lflags = (ss[s].style & TW_CHART_DIM) ? TW_CHART_CELL_DIM : 0;
        c->dotted = (ss[s].style & TW_CHART_DOTTED) != 0;
        c->pattern = 0;
        draw_series(c, c->cols + s * wd, c->band + s * wd * 2, &c->si[s]);
    }
    for (size_t s = 0; s < ns; s++)
        draw_marks(c, &ss[s]);
    compose(c);

    x_ticks(c, sp->xkind, &xt, xstart);
    const char *name = sp->x_label                    ? sp->x_label
                       : sp->xkind == TW_CHART_X_TIME ? "time"
                       : sp->xkind == TW_CHART_X_STEP ? "step"
                                                      : "epoch";
    draw_axes(c, &yt, &xt, xstart, name);

    c->layout.plot_col = c->plot_col;
    c->layout.plot_row = 0;
    c->layout.plot_width = c->plot_w;
    c->layout.plot_height = c->plot_h;
    c->layout.x_lo = c->xlo;
    c->layout.x_hi = c->xhi;
    c->layout.y_lo = c->log_y ? pow(10, c->tlo) : c->tlo;
    c->layout.y_hi = c->log_y ? pow(10, c->thi) : c->thi;
    c->layout.log_y = c->log_y;
    return 0;
fail:
    c->rendered = false;
    return rc;
}

/* ----------------------------------------------------------------------------------------- */
/* Text                                                                                        */

/* The attribute character of a cell (see tw_chart_text). */
static char
attr_char(const tw_chart_cell *p)
{
    if (strcmp(p->glyph, " ") == 0 && p->color == 0 && p->flags == 0)
        return ' ';
    if (p->color == 0)
        return (p->flags & TW_CHART_CELL_BOLD) ? '#' : (p->flags & TW_CHART_CELL_DIM) ? '-' : '.';
    if (p->color > 9)
        return '+';
    if (p->flags & TW_CHART_CELL_BOLD)
        return (char)('A' + p->color - 1);
    if (p->flags & TW_CHART_CELL_DIM)
        return (char)('a' + p->color - 1);
    return (char)('0' + p->color);
}

/* The grid as text. */
char *
tw_chart_text(const tw_chart *c, bool attrs)
{
    if (!c || !c->rendered)
        return NULL;
    size_t cap = (size_t)c->h * ((size_t)c->w * 4 + 1) + 2;
    if (attrs)
        cap += (size_t)c->h * ((size_t)c->w + 1) + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = 0;
    for (int r = 0; r < c->h; r++) {
        size_t keep = len;
        for (int k = 0; k < c->w; k++) {
            const char *g = c->cells[(size_t)r * (size_t)c->w + (size_t)k].glyph;
            size_t gl = strnlen(g, 4);
            memcpy(out + len, g, gl);
            len += gl;
            if (strcmp(g, " ") != 0)
                keep = len;
        }
        len = keep;
        out[len++] = '\n';
    }
    if (attrs) {
        out[len++] = '\n';
        for (int r = 0; r < c->h; r++) {
            size_t keep = len;
            for (int k = 0; k < c->w; k++) {
                char a = attr_char(&c->cells[(size_t)r * (size_t)c->w + (size_t)k]);
                out[len++] = a;
                if (a != ' ')
                    keep = len;
            }
            len = keep;
            out[len++] = '\n';
        }
    }
    out[len] = '\0';
    return out;
}
