/* svg.c - a figure of curves as SVG text (see svg.h): axes, ticks, paths, markers, legend. */
#include "svg.h"

#include "chart.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lines' colors: Tableau 10, as the UI's 256-colour palette approximates it. */
static const char *const palette[TW_SVG_COLORS] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

#define MAX_TICKS 12

/* A growing text. */
typedef struct buf {
    char *s;
    size_t len, cap;
    bool failed;
} buf;

__attribute__((format(printf, 2, 3))) static void
put(buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* Text as XML character data: markup escaped, bad UTF-8 as U+FFFD, and what the terminal
 * refuses (controls, bidirectional controls, invisible format characters: text.h) dropped. */
static void
put_text(buf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");

    while (*s) {
        unsigned long cp;
        size_t n = tw_text_utf8(s, &cp);
        if (n == 0) {
            put(b, "\xef\xbf\xbd");
            s++;
        } else if (tw_text_refused_cp(cp)) {
            s += n;
        } else if (*s == '&' || *s == '<' || *s == '>' || *s == '"' || *s == '\'') {
            put(b, "&#%d;", *s);
            s++;
        } else {
            put(b, "%.*s", (int)n, (const char *)s);
            s += n;
        }
    }
}

/* The figure's geometry and ranges. */
typedef struct frame {
    double left, top, w, h; /* the plot area, in pixels */
    double x_lo, x_hi, y_lo, y_hi;
    bool log_y;
    double xt[MAX_TICKS], yt[MAX_TICKS], xstep, ystep;
    int nxt, nyt;
} frame;

/* Values beyond this magnitude are not drawn (as the chart clamps them): ranges stay finite. */
#define VALUE_MAX 1e300

static bool
drawable(const frame *f, double y)
{
    return isfinite(y) && fabs(y) <= VALUE_MAX && (!f->log_y || y > 0);
}

static bool
x_ok(double x)
{
    return isfinite(x) && fabs(x) <= VALUE_MAX;
}

/* A range that maps: finite, lo < hi with a finite span (and lo > 0 for a log axis); else one
 * opened around lo. */
static void
sane_range(double *lo, double *hi, bool log)
{
    double c, d;

    if (isfinite(*lo) && isfinite(*hi) && *hi > *lo && isfinite(*hi - *lo) && (!log || *lo > 0))
        return;
    if (log) {
        *lo = 0.1;
        *hi = 10;
        return;
    }
    c = isfinite(*lo) ? *lo : 0;
    d = fmax(1, fabs(c) * 1e-6);
    *lo = c - d;
    *hi = c + d;
}

static double
px(const frame *f, double x)
{
    return f->left + (x - f->x_lo) / (f->x_hi - f->x_lo) * f->w;
}

static double
py(const frame *f, double y)
{
    double t = f->log_y ? (log10(y) - log10(f->y_lo)) / (log10(f->y_hi) - log10(f->y_lo))
                        : (y - f->y_lo) / (f->y_hi - f->y_lo);
    return f->top + f->h - t * f->h;
}

/* The data's extent; false when no point is drawable. */
static bool
extent(frame *f, const tw_svg_line *lines, size_t n)
{
    f->x_lo = f->y_lo = INFINITY;
    f->x_hi = f->y_hi = -INFINITY;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < lines[k].n; i++) {
            double x = lines[k].x[i], y = lines[k].y[i];
            if (!x_ok(x) || !drawable(f, y))
                continue;
            f->x_lo = fmin(f->x_lo, x);
            f->x_hi = fmax(f->x_hi, x);
            f->y_lo = fmin(f->y_lo, y);
            f->y_hi = fmax(f->y_hi, y);
        }
    return f->x_lo <= f->x_hi;
}

/* Ranges and ticks: x the data's, y widened to the enclosing ticks; a flat or empty range
 * is opened around its value. */
static void
ranges(frame *f, const tw_svg_line *lines, size_t n)
{
    if (!extent(f, lines, n)) {
        f->x_lo = 0;
        f->x_hi = 1;
        f->y_lo = f->log_y ? 0.1 : 0;
        f->y_hi = 1;
    }
    if (!(f->x_hi > f->x_lo))
        f->x_hi = f->x_lo + 1;
    sane_range(&f->x_lo, &f->x_hi, false);
    if (!(f->y_hi > f->y_lo)) {
        double d = f->y_lo != 0 ? fabs(f->y_lo) * 0.1 : 1;
        f->y_lo = f->log_y ? f->y_lo / 2 : f->y_lo - d;
        f->y_hi = f->log_y ? f->y_hi * 2 : f->y_hi + d;
    }
    sane_range(&f->y_lo, &f->y_hi, f->log_y);
    if (f->log_y) {
        f->y_lo = pow(10, floor(log10(f->y_lo)));
        f->y_hi = pow(10, ceil(log10(f->y_hi)));
        sane_range(&f->y_lo, &f->y_hi, true);
        f->nyt = tw_chart_log_ticks(f->y_lo, f->y_hi, 8, f->yt, MAX_TICKS, &f->ystep);
    } else {
        double step = 0;
        if (tw_chart_ticks(f->y_lo, f->y_hi, 6, false, f->yt, MAX_TICKS, &step) > 0 && step > 0) {
            /* widened to the enclosing ticks, when that stays a range */
            double lo = floor(f->y_lo / step + 1e-9) * step,
                   hi = ceil(f->y_hi / step - 1e-9) * step;
            if (isfinite(lo) && isfinite(hi) && hi > lo) {
                f->y_lo = lo;
                f->y_hi = hi;
            }
        }
        f->nyt = tw_chart_ticks(f->y_lo, f->y_hi, 6, false, f->yt, MAX_TICKS, &f->ystep);
    }
    f->nxt = tw_chart_ticks(f->x_lo, f->x_hi, 8, false, f->xt, MAX_TICKS, &f->xstep);
}

/* The frame, grid lines, ticks and labels. */
static void
axes(buf *b, const frame *f, const tw_svg_spec *sp)
{
    char num[TW_CHART_LABEL_MAX];

    put(b, "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#333\">\n");
    for (int i = 0; i < f->nyt; i++) {
        double y = py(f, f->yt[i]);
        tw_chart_format_tick(num, sizeof num, f->yt[i], f->ystep > 0 ? f->ystep : f->yt[i]);
        put(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e5e5e5\"/>\n",
            f->left, y, f->left + f->w, y);
        put(b,
            "<text class=\"ytick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" "
            "dominant-baseline=\"middle\">%s</text>\n",
            f->left - 6, y, num);
    }
    for (int i = 0; i < f->nxt; i++) {
        double x = px(f, f->xt[i]);
        tw_chart_format_tick(num, sizeof num, f->xt[i], f->xstep);
        put(b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e5e5e5\"/>\n", x,
            f->top, x, f->top + f->h);
        put(b, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", x,
            f->top + f->h + 16, num);
    }
    put(b,
        "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
        "stroke=\"#333\"/>\n",
        f->left, f->top, f->w, f->h);
    put(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", f->left + f->w / 2,
        f->top + f->h + 36);
    put_text(b, sp->x_label ? sp->x_label : "epoch");
    put(b, "</text>\n");
    if (sp->y_label) {
        put(b,
            "<text x=\"14\" y=\"%.2f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.2f)\">",
            f->top + f->h / 2, f->top + f->h / 2);
        put_text(b, sp->y_label);
        put(b, "</text>\n");
    }
    if (sp->title) {
        put(b, "<text x=\"%.2f\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">",
            f->left + f->w / 2);
        put_text(b, sp->title);
        put(b, "</text>\n");
    }
    put(b, "</g>\n");
}

/* One line as one path ("M x y L x y ...": a gap starts a new M). */
static void
path(buf *b, const frame *f, const tw_svg_line *l)
{
    const char *color = palette[(unsigned)l->color % TW_SVG_COLORS];
    bool pen = false;

    put(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s d=\"", color,
        l->dashed ? " stroke-dasharray=\"6 4\"" : "");
    for (size_t i = 0; i < l->n; i++) {
        if (!x_ok(l->x[i]) || !drawable(f, l->y[i])) {
            pen = false;
            continue;
        }
        put(b, "%s%.2f %.2f", pen ? " L" : (i ? " M" : "M"), px(f, l->x[i]), py(f, l->y[i]));
        pen = true;
    }
    put(b, "\"/>\n");
    if (l->has_best && x_ok(l->best_x) && drawable(f, l->best_y))
        put(b,
            "<circle class=\"best\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\" "
            "stroke=\"#fff\"/>\n",
            px(f, l->best_x), py(f, l->best_y), color);
}

/* The legend, at the plot's top right: a line sample and the label per entry. */
static void
legend(buf *b, const frame *f, const tw_svg_line *lines, size_t n)
{
    double y = f->top + 14;

    put(b, "<g class=\"legend\" font-family=\"sans-serif\" font-size=\"12\">\n");
    for (size_t k = 0; k < n; k++) {
        const tw_svg_line *l = &lines[k];
        if (!l->label)
            continue;
        put(b,
            "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
            "stroke-width=\"1.8\"%s/>\n",
            f->left + f->w + 10, y, f->left + f->w + 34, y,
            palette[(unsigned)l->color % TW_SVG_COLORS],
            l->dashed ? " stroke-dasharray=\"6 4\"" : "");
        put(b, "<text x=\"%.2f\" y=\"%.2f\" dominant-baseline=\"middle\">", f->left + f->w + 40, y);
        put_text(b, l->label);
        put(b, "</text>\n");
        y += 18;
    }
    put(b, "</g>\n");
}

/* Whether the lines can be drawn (see tw_svg_render). */
static bool
valid(const tw_svg_spec *sp, const tw_svg_line *lines, size_t n)
{
    size_t total = 0;

    if (!sp || (n && !lines))
        return false;
    for (size_t k = 0; k < n; k++) {
        if (lines[k].n && (!lines[k].x || !lines[k].y))
            return false;
        total += lines[k].n;
        if (lines[k].n > TW_SVG_MAX_POINTS || total > TW_SVG_MAX_POINTS)
            return false;
    }
    return true;
}

char *
tw_svg_render(const tw_svg_spec *sp, const tw_svg_line *lines, size_t n, size_t *len)
{
    buf b = {NULL, 0, 0, false};
    frame f;
    int width, height;
    bool any_label = false;

    if (!valid(sp, lines, n)) {
        errno = EINVAL;
        return NULL;
    }
    width = sp->width > 0 ? sp->width : 720;
    height = sp->height > 0 ? sp->height : 450;
    for (size_t k = 0; k < n; k++)
        any_label |= lines[k].label != NULL;
    memset(&f, 0, sizeof f);
    f.log_y = sp->log_y;
    f.left = 64;
    f.top = sp->title ? 34 : 14;
    f.w = width - f.left - (any_label ? 190 : 16);
    f.h = height - f.top - 48;
    if (f.w < 40)
        f.w = 40;
    if (f.h < 40)
        f.h = 40;
    ranges(&f, lines, n);

    put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    put(&b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\">\n",
        width, height, width, height);
    put(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    axes(&b, &f, sp);
    put(&b, "<g class=\"lines\">\n");
    for (size_t k = 0; k < n; k++)
        path(&b, &f, &lines[k]);
    put(&b, "</g>\n");
    legend(&b, &f, lines, n);
    put(&b, "</svg>\n");
    if (b.failed) {
        free(b.s);
        errno = ENOMEM;
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.s;
}
