/* chart_decimate.c - decimation: each series into columns of first/last/min/max (M4) per dot
 * column of the plot, bucket series into their line and envelope (see chart.h, step 2). */
#include "chart_impl.h"
#include "reserve.h"

#include <errno.h>
#include <math.h>

/* Running state of a decimation. */
typedef struct dstate {
    bool pending; /* a non-drawable point since the last drawable one */
    bool log_y;
} dstate;

/* Whether y can be drawn: not NaN, and positive with log-y (+Inf clamps to the top). */
static inline bool
drawable(double v, bool log_y)
{
    return log_y ? v > 0 : !isnan(v);
}

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

/* Decimates every series at the current plot width (see chart_impl.h). */
int
tw_chart_decimate_all(tw_chart *c, const tw_chart_series *ss, size_t ns)
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
