/* pane_help.c - the help screen (key ?) and the "terminal too small" message. */
#include "panes.h"

#include "input.h"

#include <string.h>

/* Lines after the key list: what the keys do not say by themselves. */
static const char *const notes[] = {
    "Chart: training bold and solid, validation dim and dotted, test dotted, o the live",
    "  epoch, * the best epoch, | a restart. No colors: runs differ by underline, italic.",
    "  E: +-1 standard error bars on validation points (from the state merged over ranks).",
    "Per-step chart (m): min..max envelope (faint; ~ in ASCII) under the bold mean line",
    "  smoothed by z (TensorBoard's debiased EMA); validation epochs dim, dotted.",
    "x-axis time: time since each run started. Pause (p) freezes the picture against new data.",
    "Cursor (c): each visible run's train and val (+- SE), delta from its best, step and",
    "  time; at the right edge it follows the newest epoch.",
    "Mouse: click a run, a metric or the chart; the wheel zooms around the pointer; middle",
    "  or right click resets. --no-mouse leaves it to the terminal.",
    "Runs: sorted by arrival, best value of the selected metric, or name (s); the filter (/)",
    "  keeps runs whose name matches; Space hides a run from the chart, o shows only it.",
};

void
tw_view_draw_help(const tw_view *v)
{
    size_t n, nn = sizeof notes / sizeof notes[0];
    const tw_binding *b = tw_input_bindings(&n);
    int rows = v->g.rows, cols = v->g.cols, y = 2, lw = 11, shown = 0, room, ncols, per_col;
    int colw, k = 0;

    for (size_t i = 0; i < n; i++)
        shown += b[i].help != NULL;
    /* Title, blank line, keys, blank line, notes when they fit, footer. */
    tw_view_put(0, 1, cols - 1, A_BOLD, 0, "trainwatch keys");
    room = rows - y - 1;
    ncols = 1;
    if (shown > room || (cols >= 100 && shown + 1 + (int)nn > room))
        ncols = 2;
    per_col = (shown + ncols - 1) / ncols;
    colw = (cols - 1) / ncols;
    for (size_t i = 0; i < n; i++) {
        int c, r, x;
        if (!b[i].help)
            continue;
        c = k / per_col;
        r = k % per_col;
        k++;
        x = 1 + c * colw;
        if (y + r >= rows - 1)
            continue;
        tw_view_put(y + r, x, lw, A_BOLD, 0, b[i].label);
        tw_view_put(y + r, x + lw, colw - lw - 1, A_NORMAL, 0, b[i].help);
    }
    y += per_col + 1;
    if (y + (int)nn <= rows - 1)
        for (size_t i = 0; i < nn; i++)
            tw_view_put(y++, 1, cols - 1, A_DIM, 0, notes[i]);
    if (tw_delay_count(v->delay) && y < rows - 2) {
        char buf[160];
        tw_view_fmt(buf, sizeof buf,
                    "Delay from update_* to this monitor, live updates: p50 %.3g ms, p99 %.3g ms "
                    "(%llu)",
                    tw_delay_quantile(v->delay, 0.5) * 1e3, tw_delay_quantile(v->delay, 0.99) * 1e3,
                    (unsigned long long)tw_delay_count(v->delay));
        tw_view_put(rows - 2, 1, cols - 1, A_DIM, 0, buf);
    }
    tw_view_put(rows - 1, 1, cols - 2, A_REVERSE, 0, " any key closes this help ");
}

void
tw_view_draw_too_small(const tw_view *v)
{
    char msg[96];
    int w = v->g.cols, h = v->g.rows, len, x;

    tw_view_fmt(msg, sizeof msg, "terminal too small (%dx%d, need %dx%d)", w, h, TW_VIEW_MIN_COLS,
                TW_VIEW_MIN_ROWS);
    if ((int)strlen(msg) > w)
        tw_view_fmt(msg, sizeof msg, "too small %dx%d", w, h);
    if ((int)strlen(msg) > w)
        tw_view_fmt(msg, sizeof msg, "%dx%d", w, h);
    len = (int)strlen(msg);
    if (len > w)
        len = w;
    x = (w - len) / 2;
    /* The bottom-right cell cannot be written without scrolling: keep off it. */
    if (h == 1 && x + len >= w)
        len = w - x - 1;
    if (len > 0)
        tw_view_put(h / 2, x, len, A_BOLD, 0, msg);
}
