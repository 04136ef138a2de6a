/* chart.c - the chart object and its frames: the x and y ranges, a frame's steps from the
 * layout to the cells, and the grid as text (see chart.h; chart_impl.h names the other files). */
#include "chart_impl.h"
#include "reserve.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 256    /* series one render takes (bounds the scratch memory) */
#define SPAN_MIN   1e-250 /* a data range narrower than this is treated as a single value */
#define RANGE_MAX  1e300  /* data ranges are clamped to +-this, so spans stay finite */
#define ROBUST_LO  0.05   /* quantiles of the column extremes a robust y range spans */
#define ROBUST_HI  0.95
#define PAD        0.05 /* an auto y range is widened by this fraction on each side */

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

/* What the y range is built from: the data's extent and the spec's limits. */
typedef struct yspan {
    double lo, hi;       /* in data units */
    bool fix_lo, fix_hi; /* set by the spec: not padded */
    bool data_nonneg;    /* lo, before ordering and padding, is >= 0 */
} yspan;

/* The extent of the decimated columns (and envelopes) of all series: the min and max of their
 * finite values (positive with log-y), or with sp->y_robust the ROBUST_LO..ROBUST_HI quantiles
 * of each column's extremes. *lo > *hi when no value counts. 0 or -ENOMEM. */
static int
y_extent(tw_chart *c, const tw_chart_spec *sp, size_t ns, double *lo_out, double *hi_out)
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
    *lo_out = a;
    *hi_out = b;
    return 0;
}

/* The unpadded y range from the data's extent a..b: the spec's limits where set (positive with
 * log-y), ordered, a unit (log-y: a decade) beside a lone finite end, 0..1 (1..10) when there
 * is none, clamped to +-RANGE_MAX. */
static yspan
y_limits(const tw_chart *c, const tw_chart_spec *sp, double a, double b)
{
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
    yspan y = {clampd(a, -RANGE_MAX, RANGE_MAX), clampd(b, -RANGE_MAX, RANGE_MAX), fix_lo, fix_hi,
               data_nonneg};
    return y;
}

/* Pads y by PAD of its span on each end the spec did not fix (a linear range of non-negative
 * data not below 0), or widens a single value, into c->tlo..thi (log10 of y with log-y). */
static void
y_pad(tw_chart *c, const yspan *y)
{
    double a = y->lo, b = y->hi;
    if (c->log_y) {
        double la = log10(a), lb = log10(b);
        if (lb - la < 1e-9) {
            la -= 0.05;
            lb += 0.05;
        } else {
            double pad = PAD * (lb - la);
            la -= y->fix_lo ? 0 : pad;
            lb += y->fix_hi ? 0 : pad;
        }
        c->tlo = la;
        c->thi = lb;
        return;
    }
    if (!(b - a > 1e-12 * fmax(fabs(a), fabs(b))) || b - a < SPAN_MIN) {
        double d = fmax(fabs(a) * 0.1, 1e-9);
        a -= d;
        b += d;
    } else {
        double pad = PAD * (b - a);
        if (!y->fix_lo)
            a = y->data_nonneg && a - pad < 0 ? 0 : a - pad;
        if (!y->fix_hi)
            b += pad;
    }
    c->tlo = a;
    c->thi = b;
}

/* The y range from the decimated columns (and envelopes) of all series, in c->tlo..thi. 0 or
 * -ENOMEM. */
static int
y_range(tw_chart *c, const tw_chart_spec *sp, size_t ns)
{
    double a, b;
    int rc = y_extent(c, sp, ns, &a, &b);
    if (rc < 0)
        return rc;
    yspan y = y_limits(c, sp, a, b);
    y_pad(c, &y);
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* Rendering                                                                                   */

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

/* Starts a frame of sp's size: the grid (grown as needed) all blanks, the layout only its
 * size. 0 or -ENOMEM (then nothing is rendered). */
static int
begin_frame(tw_chart *c, const tw_chart_spec *sp)
{
    c->rendered = false;
    size_t ncells = (size_t)sp->width * (size_t)sp->height;
    if (!tw_reserve((void **)&c->cells, &c->cells_cap, ncells, sizeof(tw_chart_cell)))
        return -ENOMEM;
    c->spec = *sp;
    c->w = sp->width;
    c->h = sp->height;
    for (size_t i = 0; i < ncells; i++) {
        memset(&c->cells[i], 0, sizeof c->cells[i]);
        c->cells[i].glyph = ' ';
    }
    memset(&c->layout, 0, sizeof c->layout);
    c->layout.width = c->w;
    c->layout.height = c->h;
    c->rendered = true;
    return 0;
}

/* The frame's geometry that does not depend on the labels' width: dots per cell, the plot's
 * height in cells and dots, and the x range. */
static void
frame_geometry(tw_chart *c, const tw_chart_spec *sp, const tw_chart_series *ss, size_t ns)
{
    c->utf8 = sp->utf8;
    c->log_y = sp->log_y;
    c->dpc = c->utf8 ? 2 : 1;
    c->dpr = c->utf8 ? 4 : 3;
    c->plot_h = c->h - 2;
    c->hd = c->plot_h * c->dpr;
    x_range(sp, ss, ns, &c->xlo, &c->xhi);
}

/* Sets the plot's width, decimates and finds the y range and ticks, in *yt.
 *
 * The y labels' width sets the plot's width, which sets the columns the y range comes from,
 * which sets the labels: start from last frame's width (so a steady frame decimates once) and
 * go round until the width holds (in practice once more at most). 0 or -ENOMEM. */
static int
fit_label_width(tw_chart *c, const tw_chart_spec *sp, const tw_chart_series *ss, size_t ns,
                axis_ticks *yt)
{
    int maxlw = c->w / 3;
    int lw = c->last_lw < 1 ? 1 : c->last_lw > maxlw ? maxlw : c->last_lw;
    int rc;
    for (int pass = 0; pass < 4; pass++) {
        c->plot_col = lw + 1;
        c->plot_w = c->w - c->plot_col;
        c->wd = c->plot_w * c->dpc;
        c->xu = (c->xhi - c->xlo) / (c->wd - 1);
        if ((rc = tw_chart_decimate_all(c, ss, ns)) < 0 || (rc = y_range(c, sp, ns)) < 0)
            return rc;
        int w = tw_chart_y_ticks(c, yt);
        w = w < 1 ? 1 : w > maxlw ? maxlw : w;
        if (w == lw || pass == 3)
            break; /* after that, labels wider than lw are cut on the left */
        lw = w;
    }
    c->last_lw = lw;
    return 0;
}

/* The layout of the frame just drawn. */
static void
set_layout(tw_chart *c)
{
    c->layout.plot_col = c->plot_col;
    c->layout.plot_row = 0;
    c->layout.plot_width = c->plot_w;
    c->layout.plot_height = c->plot_h;
    c->layout.x_lo = c->xlo;
    c->layout.x_hi = c->xhi;
    c->layout.y_lo = c->log_y ? pow(10, c->tlo) : c->tlo;
    c->layout.y_hi = c->log_y ? pow(10, c->thi) : c->thi;
    c->layout.log_y = c->log_y;
}

/* Renders the series (see chart.h): a blank grid, the geometry, the label width with the
 * decimation and the y range, the plot, the axes, the layout. */
int
tw_chart_render(tw_chart *c, const tw_chart_spec *sp, const tw_chart_series *ss, size_t ns)
{
    if (!c || !sp || sp->width < 1 || sp->height < 1 || sp->width > TW_CHART_MAX_DIM ||
        sp->height > TW_CHART_MAX_DIM)
        return -EINVAL;
    int rc = check_series(ss, ns);
    if (rc < 0 || (rc = begin_frame(c, sp)) < 0)
        return rc;
    if (c->w < TW_CHART_MIN_WIDTH || c->h < TW_CHART_MIN_HEIGHT)
        return -ERANGE;
    frame_geometry(c, sp, ss, ns);
    axis_ticks yt;
    if ((rc = fit_label_width(c, sp, ss, ns, &yt)) < 0 || (rc = tw_chart_plot(c, ss, ns)) < 0) {
        c->rendered = false;
        return rc;
    }
    tw_chart_axes(c, sp, &yt);
    set_layout(c);
    return 0;
}

/* ----------------------------------------------------------------------------------------- */
/* Text                                                                                        */

/* Writes code point cp (below U+10000: what cells hold) as UTF-8 at out; returns the bytes. */
static size_t
utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | ((cp >> 12) & 0x0F));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* The attribute character of a cell (see tw_chart_text). */
static char
attr_char(const tw_chart_cell *p)
{
    if (p->glyph == ' ' && p->color == 0 && p->flags == 0)
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
            uint32_t g = c->cells[(size_t)r * (size_t)c->w + (size_t)k].glyph;
            len += utf8_put(out + len, g);
            if (g != ' ')
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
