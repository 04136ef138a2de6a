/* chart_axes.c - the axes around the plot: axis lines, y and x ticks placed where their
 * labels fit, the labels, and the x axis' name. */
#include "chart_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define Y_TICKS 6  /* at most this many y ticks */
#define X_TICKS 10 /* at most this many x ticks */

static void
put_glyph(tw_chart *c, int row, int col, uint32_t g, uint8_t color, uint8_t flags)
{
    if (row < 0 || row >= c->h || col < 0 || col >= c->w)
        return;
    tw_chart_cell *p = cell(c, row, col);
    p->glyph = g;
    p->color = color;
    p->flags = flags;
}

/* ASCII text at (row, col), clipped to the chart. */
static void
put_text(tw_chart *c, int row, int col, const char *s)
{
    for (; *s; s++, col++)
        put_glyph(c, row, col, (unsigned char)*s, 0, 0);
}

/* Whether cells row, col0..col1-1 hold only blanks. */
static bool
blank_span(tw_chart *c, int row, int col0, int col1)
{
    if (col0 < 0 || col1 > c->w)
        return false;
    for (int k = col0; k < col1; k++)
        if (cell(c, row, k)->glyph != ' ')
            return false;
    return true;
}

/* Y ticks for plot height h rows, their rows and labels; returns the widest label. */
int
tw_chart_y_ticks(tw_chart *c, axis_ticks *t)
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
x_ticks(tw_chart *c, tw_chart_xkind kind, axis_ticks *t, int *start)
{
    int max = c->plot_w / 10 + 1;
    if (max > X_TICKS)
        max = X_TICKS;
    t->n = 0; /* no ticks when not even one fits */
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
draw_axes(tw_chart *c, const axis_ticks *yt, const axis_ticks *xt, const int *xstart,
          const char *name)
{
    int ax = c->plot_col - 1, ay = c->plot_h;
    uint32_t vbar = c->utf8 ? 0x2502 : '|', hbar = c->utf8 ? 0x2500 : '-';
    for (int r = 0; r < c->plot_h; r++)
        put_glyph(c, r, ax, vbar, 0, 0);
    for (int k = c->plot_col; k < c->w; k++)
        put_glyph(c, ay, k, hbar, 0, 0);
    put_glyph(c, ay, ax, c->utf8 ? 0x2514 : '+', 0, 0);
    for (int i = 0; i < yt->n; i++) {
        put_glyph(c, yt->pos[i], ax, c->utf8 ? 0x2524 : '+', 0, 0);
        put_text(c, yt->pos[i], ax - (int)strlen(yt->label[i]), yt->label[i]);
    }
    for (int i = 0; i < xt->n; i++) {
        put_glyph(c, ay, xt->pos[i], c->utf8 ? 0x252c : '+', 0, 0);
        put_text(c, ay + 1, xstart[i], xt->label[i]);
    }
    /* The axis name: at the right end of the label row, else at its left end. */
    int len = (int)strlen(name);
    if (blank_span(c, ay + 1, c->w - len - 2, c->w))
        put_text(c, ay + 1, c->w - len, name);
    else if (blank_span(c, ay + 1, 0, len + 2))
        put_text(c, ay + 1, 0, name);
}

/* Axes, x ticks and the axis name around the plot (see chart_impl.h). */
void
tw_chart_axes(tw_chart *c, const tw_chart_spec *sp, const axis_ticks *yt)
{
    axis_ticks xt;
    int xstart[16];
    x_ticks(c, sp->xkind, &xt, xstart);
    const char *name = sp->x_label                    ? sp->x_label
                       : sp->xkind == TW_CHART_X_TIME ? "time"
                       : sp->xkind == TW_CHART_X_STEP ? "step"
                                                      : "epoch";
    draw_axes(c, yt, &xt, xstart, name);
}
