/* study_scatter.c - the sweep view's scatter: trials' best values against a hyperparameter,
 * rasterized into braille or ASCII cells (study.h). */
#include "study.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Braille dot bits by (column 0-1, row 0-3) within a cell (Unicode's dot numbering). */
static const uint8_t dot_bits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

bool
tw_scatter_want_log(const double *x, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || x[i] <= 0)
            return false;
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    return hi / lo > 10.0;
}

void
tw_scatter_free(tw_scatter *sc)
{
    if (!sc)
        return;
    free(sc->glyph);
    free(sc->flags);
    sc->glyph = NULL;
    sc->flags = NULL;
    sc->cap = 0;
}

/* The range of the usable values (x mapped to log10 with log_x); false when none. */
static bool
ranges(const tw_scatter_point *pts, size_t n, bool log_x, double r[4])
{
    bool any = false;

    r[0] = r[2] = INFINITY;
    r[1] = r[3] = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = pts[i].x, y = pts[i].y;
        if (!isfinite(x) || !isfinite(y) || (log_x && x <= 0))
            continue;
        x = log_x ? log10(x) : x;
        r[0] = fmin(r[0], x);
        r[1] = fmax(r[1], x);
        r[2] = fmin(r[2], y);
        r[3] = fmax(r[3], y);
        any = true;
    }
    return any;
}

/* A single value spans itself +- 10 % (+- 1 at 0). */
static void
widen(double *lo, double *hi)
{
    if (*hi - *lo > 0)
        return;
    double m = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1.0;
    *lo -= m;
    *hi += m;
}

static int
grow(tw_scatter *sc, size_t cells)
{
    if (cells <= sc->cap)
        return 0;
    uint32_t *g = realloc(sc->glyph, cells * sizeof *g);
    if (!g)
        return -ENOMEM;
    sc->glyph = g;
    uint8_t *f = realloc(sc->flags, cells);
    if (!f)
        return -ENOMEM;
    sc->flags = f;
    sc->cap = cells;
    return 0;
}

/* The dot of v over `dots` dots: lo on dot 1 and hi on dot dots - 2 (a dot of room on each
 * side, so the extremes do not sit on the frame), to the nearest dot. */
static int
dot(double v, double lo, double hi, int dots)
{
    int i = dots < 4 ? (int)lround((v - lo) / (hi - lo) * (dots - 1))
                     : 1 + (int)lround((v - lo) / (hi - lo) * (dots - 3));
    return i < 0 ? 0 : i >= dots ? dots - 1 : i;
}

/* The values at the first and the last dot, for the axes. */
static void
edges(double *lo, double *hi, int dots)
{
    double s = dots < 4 ? 0 : (*hi - *lo) / (dots - 3);
    *lo -= s;
    *hi += s;
}

/* The glyphs from the dot masks (held in glyph) and the flags. */
static void
finish(tw_scatter *sc, bool braille)
{
    size_t cells = (size_t)sc->w * (size_t)sc->h;

    for (size_t c = 0; c < cells; c++) {
        uint8_t f = sc->flags[c];
        if (!f)
            sc->glyph[c] = 0;
        else if (!(f & TW_SCATTER_COMPLETE))
            sc->glyph[c] = braille ? 0x00D7u : 'x';
        else
            sc->glyph[c] = braille ? 0x2800u + sc->glyph[c] : 'o';
    }
}

int
tw_scatter_render(tw_scatter *sc, const tw_scatter_point *pts, size_t n, int w, int h, bool braille,
                  bool log_x)
{
    double r[4];
    int cw = braille ? 2 : 1, chh = braille ? 4 : 1;

    if (!sc || (n && !pts) || w < 1 || h < 1 || w > 4096 || h > 4096)
        return -EINVAL;
    if (grow(sc, (size_t)w * (size_t)h) != 0)
        return -ENOMEM;
    sc->w = w;
    sc->h = h;
    sc->log_x = log_x;
    sc->points = 0;
    memset(sc->glyph, 0, (size_t)w * (size_t)h * sizeof *sc->glyph);
    memset(sc->flags, 0, (size_t)w * (size_t)h);
    if (!ranges(pts, n, log_x, r)) {
        sc->x_lo = sc->y_lo = 0;
        sc->x_hi = sc->y_hi = 1;
        return 0;
    }
    widen(&r[0], &r[1]);
    widen(&r[2], &r[3]);
    for (size_t i = 0; i < n; i++) {
        double x = pts[i].x, y = pts[i].y;
        if (!isfinite(x) || !isfinite(y) || (log_x && x <= 0))
            continue;
        int dx = dot(log_x ? log10(x) : x, r[0], r[1], w * cw);
        int dy = h * chh - 1 - dot(y, r[2], r[3], h * chh); /* from the top */
        size_t c = (size_t)(dy / chh) * (size_t)w + (size_t)(dx / cw);
        /* a quarter of the cell (2 x 2 dots) around the dot: one dot is hard to see */
        if (braille && !pts[i].pruned)
            for (int yy = dy % chh & ~1; yy <= (dy % chh | 1); yy++)
                sc->glyph[c] |= (uint32_t)(dot_bits[yy][0] | dot_bits[yy][1]);
        sc->flags[c] |= (uint8_t)((pts[i].pruned ? TW_SCATTER_PRUNED : TW_SCATTER_COMPLETE) |
                                  (pts[i].best ? TW_SCATTER_BEST : 0));
        sc->points++;
    }
    finish(sc, braille);
    edges(&r[0], &r[1], w * cw);
    edges(&r[2], &r[3], h * chh);
    sc->x_lo = log_x ? pow(10, r[0]) : r[0];
    sc->x_hi = log_x ? pow(10, r[1]) : r[1];
    sc->y_lo = r[2];
    sc->y_hi = r[3];
    return 0;
}
