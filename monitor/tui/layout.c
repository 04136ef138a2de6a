/* layout.c - the view's geometry: every rectangle from the terminal size and the view state. */
#include "view_state.h"

#include <curses.h>
#include <string.h>

/* The smallest chart the layout keeps before it drops optional lines. */
#define MIN_CHART_ROWS TW_CHART_MIN_HEIGHT
/* Lines of the alerts panel (key a), its title included. */
#define ALERTS_PANEL_ROWS 5

/* A rectangle; negative sizes become 0 (not shown). */
static tw_rect
rect(int y, int x, int h, int w)
{
    tw_rect r = {y, x, h > 0 ? h : 0, w > 0 ? w : 0};
    return r;
}

int
tw_view_runs_page(int h, int *detail_h)
{
    int dh = h >= 14 ? 5 : h >= 9 ? 3 : 0;
    int avail = h - 1 - (h >= 4 ? 1 : 0) - (dh ? dh + 1 : 0);

    if (avail < 1) {
        dh = 0;
        avail = h - 1 - (h >= 4 ? 1 : 0);
    }
    if (detail_h)
        *detail_h = dh;
    return avail;
}

int
tw_view_metrics_page(int h)
{
    return h - 1 - (h >= 4 ? 1 : 0);
}

/* The lists take their panes from the geometry: a pane too small to list anything shows no
 * entries (and the runs pane keeps rows for the cursor run's details). */
static void
lists_geometry(tw_view *v)
{
    tw_rect m = v->g.metrics, r = v->g.runs;
    bool mshow = m.h >= 2 && m.w >= 10, rshow = r.h >= 2 && r.w >= 10;

    tw_list_set_geometry(&v->metrics_list, m, mshow ? tw_view_metrics_page(m.h) : 0);
    tw_list_set_geometry(&v->runs_list, r, rshow ? tw_view_runs_page(r.h, NULL) : 0);
}

/* The metrics and runs lists: beside the chart when wide, in its place when narrow and one
 * of them has the focus. Rows [top, bottom) are theirs; the chart is main_w wide. */
static void
side_lists(tw_view *v, int top, int bottom, int main_w, int side_w)
{
    tw_view_geometry *g = &v->g;
    int cols = g->cols;

    if (g->wide) {
        /* The metrics list as tall as its entries (title, header, one a metric), at most
         * two fifths; the runs list takes the rest. */
        int h = bottom - top, mh = (int)v->metrics.n + 3;
        if (mh > h * 2 / 5)
            mh = h * 2 / 5;
        if (mh < 4)
            mh = 4;
        g->metrics_n = v->metrics.n;
        g->side = rect(top, main_w + 1, h, side_w);
        g->metrics = rect(top, main_w + 1, mh, side_w);
        g->runs = rect(top + mh, main_w + 1, h - mh, side_w);
    } else if (v->focus == TW_FOCUS_METRICS || v->focus == TW_FOCUS_RUNS) {
        /* Narrow: the focused list takes the chart's place (legend line included). */
        tw_rect pane = rect(top, 0, bottom - top, cols);
        if (v->focus == TW_FOCUS_METRICS)
            g->metrics = pane;
        else
            g->runs = pane;
        g->legend = rect(0, 0, 0, 0);
        g->chart = rect(0, 0, 0, 0);
    }
}

void
tw_view_layout(tw_view *v)
{
    tw_view_geometry *g = &v->g;
    int rows, cols, top, bottom, avail, side_w, main_w, alerts_h;
    bool want_progress, want_metric_line, want_legend, want_alerts, was_wide;

    getmaxyx(stdscr, rows, cols);
    was_wide = g->wide;
    memset(g, 0, sizeof *g);
    g->rows = rows;
    g->cols = cols;
    if (cols < TW_VIEW_MIN_COLS || rows < TW_VIEW_MIN_ROWS) {
        g->too_small = true;
        lists_geometry(v);
        return;
    }
    g->wide = cols >= TW_VIEW_WIDE_COLS;
    if (was_wide && !g->wide)
        v->focus = TW_FOCUS_CHART; /* narrowed: the chart stays in view */
    g->title = rect(0, 0, 1, cols);
    g->help = rect(rows - 1, 0, 1, cols);
    top = 1;
    bottom = rows - 1; /* rows [top, bottom) are left */
    avail = bottom - top;
    alerts_h = v->alerts_panel ? ALERTS_PANEL_ROWS : 1;

    /* Optional lines by priority, each only while the chart keeps its minimum height. */
    want_progress = avail - 1 >= MIN_CHART_ROWS;
    avail -= want_progress;
    want_metric_line = !g->wide && !v->grid && avail - 1 >= MIN_CHART_ROWS;
    avail -= want_metric_line;
    want_legend = !v->grid && avail - 1 >= MIN_CHART_ROWS;
    avail -= want_legend;
    want_alerts = avail - alerts_h >= MIN_CHART_ROWS;
    if (!want_alerts && alerts_h > 1 && avail - 1 >= MIN_CHART_ROWS) {
        alerts_h = 1;
        want_alerts = true;
    }
    avail -= want_alerts ? alerts_h : 0;

    if (want_alerts) {
        bottom -= alerts_h;
        g->alerts = rect(bottom, 0, alerts_h, cols);
    }
    if (want_progress) {
        bottom -= 1;
        g->progress = rect(bottom, 0, 1, cols);
    }
    if (want_metric_line) {
        bottom -= 1;
        g->metric_line = rect(bottom, 0, 1, cols);
    }

    if (v->grid) { /* the grid of every metric takes the body, full width */
        g->grid = rect(top, 0, bottom - top, cols);
        lists_geometry(v);
        return;
    }
    side_w = 0;
    if (g->wide) {
        /* Very wide terminals give the runs table room for its parameter columns. */
        side_w = cols * (cols >= 160 ? 40 : 32) / 100;
        if (side_w < 36)
            side_w = 36;
        if (side_w > 96)
            side_w = 96;
    }
    main_w = g->wide ? cols - side_w - 1 : cols;
    if (want_legend) {
        g->legend = rect(top, 0, 1, main_w);
        g->chart = rect(top + 1, 0, bottom - top - 1, main_w);
    } else {
        g->chart = rect(top, 0, bottom - top, main_w);
    }
    side_lists(v, top, bottom, main_w, side_w);
    lists_geometry(v);
}
