/* chart_plot.c - the plot area: series as dots on a sub-cell grid (braille 2 x 4, ASCII 1 x 3),
 * lines by Bresenham clipped to the plot, envelopes and marks, composed into cells (see
 * chart.h, steps 4 and 5). */
#include "chart_impl.h"
#include "reserve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COORD_LIMIT 1e9 /* all dot coordinates of a segment are clamped to +-this */

/* Mark priorities in a cell (higher wins). */
#define PRI_INF        1
#define PRI_MARK(kind) ((kind) == TW_CHART_MARK_ALERT ? 4 : (kind) == TW_CHART_MARK_BEST ? 3 : 2)

/* Braille dot bits by (column, row) within a cell. */
static const uint8_t braille_bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

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

/* Draws the error bars of a point series into the envelope layer (dim, under the lines): a
 * vertical run of dots in the dot column of each point in the visible x range. */
static void
draw_errbars(tw_chart *c, const tw_chart_series *s)
{
    if (!s->err || (s->buckets && s->n_buckets) || !s->x || !s->y)
        return;
    size_t stride = s->stride ? s->stride : sizeof(double);
    for (size_t i = 0; i < s->n; i++) {
        double y = at(s->y, i, stride), e = at(s->err, i, stride);
        double pos = (at(s->x, i, stride) - c->xlo) / c->xu;
        if (!isfinite(y) || !(e > 0) || !isfinite(e) || !(pos >= -0.5 && pos < c->wd - 0.5))
            continue;
        double top = row_of(c, y + e), bot = row_of(c, y - e);
        if (top > c->hd - 1 || bot < 0)
            continue; /* entirely outside */
        int x = dot_col(c, pos);
        for (int r = (int)lround(clampd(top, 0, c->hd - 1));
             r <= (int)lround(clampd(bot, 0, c->hd - 1)); r++) {
            pcell *p = &c->pc[(size_t)(r / c->dpr) * (size_t)c->plot_w + (size_t)(x / c->dpc)];
            p->band |= c->utf8 ? braille_bit[x % 2][r % 4] : (uint8_t)(1u << (r % 3));
            p->band_color = s->color;
        }
    }
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

/* The braille character with dot bits `bits`. */
static uint32_t
braille(uint8_t bits)
{
    return 0x2800u + bits;
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
                o->glyph = (unsigned char)p->over;
                o->color = p->over_color;
                o->flags = TW_CHART_CELL_BOLD;
            } else if (p->line) {
                o->glyph =
                    c->utf8 ? braille(p->line) : (unsigned char)ascii_line(p->line, p->dotted);
                o->color = p->line_color;
                o->flags = p->line_flags;
            } else if (p->band) {
                o->glyph = c->utf8 ? braille(p->band) : '~'; /* not ':', a dotted line's */
                o->color = p->band_color;
                o->flags = TW_CHART_CELL_DIM | TW_CHART_CELL_BAND;
            } else if (p->rule) {
                o->glyph = c->utf8 ? 0x2502 : '|';
                o->color = p->rule_color;
                o->flags = TW_CHART_CELL_DIM;
            }
        }
}

/* Draws the series and their marks on the plot and composes it into the cells (see
 * chart_impl.h). */
int
tw_chart_plot(tw_chart *c, const tw_chart_series *ss, size_t ns)
{
    size_t npc = (size_t)c->plot_w * (size_t)c->plot_h;
    if (!tw_reserve((void **)&c->pc, &c->pc_cap, npc, sizeof(pcell)))
        return -ENOMEM;
    memset(c->pc, 0, npc * sizeof(pcell));
    size_t wd = (size_t)c->wd;
    for (size_t s = 0; s < ns; s++) {
        c->color = ss[s].color;
        c->lflags = (ss[s].style & TW_CHART_DIM) ? TW_CHART_CELL_DIM : 0;
        c->dotted = (ss[s].style & TW_CHART_DOTTED) != 0;
        c->pattern = 0;
        draw_errbars(c, &ss[s]);
        draw_series(c, c->cols + s * wd, c->band + s * wd * 2, &c->si[s]);
    }
    for (size_t s = 0; s < ns; s++)
        draw_marks(c, &ss[s]);
    compose(c);
    return 0;
}
