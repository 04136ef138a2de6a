/* pane_chart.c - the chart pane: the rasterized grid copied to the screen, or why there is
 * none. */
#include "panes.h"

#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#ifndef __STDC_ISO_10646__
#error "the chart's cells are ISO 10646 code points, written as wchar_t as they are"
#endif

/* Shows a one-line message in the middle of r. */
static void
message(tw_rect r, const char *text)
{
    int n = (int)strlen(text);
    int x = r.x + (r.w > n ? (r.w - n) / 2 : 0);
    tw_view_put(r.y + r.h / 2, x, r.w, A_DIM, 0, text);
}

/* Whether a cell shows nothing (never written, or a blank). */
static bool
blank(const tw_chart_cell *c)
{
    return c->glyph == 0 || c->glyph == ' ';
}

/* Copies the rendered grid to the screen at r: each row's runs of non-blank cells as strings
 * of wide cells (mvwadd_wchnstr copies them as they are: several times cheaper than a
 * character at a time through ncurses's multibyte path). */
static void
blit(const tw_view *v, const tw_chart *chart, tw_rect r)
{
    enum { RUN = 256 };
    int cw, ch, w;
    const tw_chart_cell *cells = tw_chart_cells(chart, &cw, &ch);
    cchar_t run[RUN];

    if (!cells)
        return;
    w = cw < r.w ? cw : r.w;
    for (int y = 0; y < ch && y < r.h; y++) {
        const tw_chart_cell *row = &cells[(size_t)y * (size_t)cw];
        int x = 0;
        while (x < w) {
            int x0, n = 0;
            while (x < w && blank(&row[x]))
                x++;
            for (x0 = x; x < w && n < RUN && !blank(&row[x]); x++) {
                wchar_t wc[2] = {(wchar_t)row[x].glyph, L'\0'};
                attr_t a;
                short pair;

                tw_view_cell_attr(v, row[x].color, row[x].flags, &a, &pair);
                if (setcchar(&run[n], wc, a, pair, NULL) == OK)
                    n++;
            }
            if (n > 0)
                mvwadd_wchnstr(stdscr, r.y + y, r.x + x0, run, n);
        }
    }
}

void
tw_view_draw_a_chart(const tw_view *v, const tw_chart *chart, tw_view_chart_status status,
                     size_t runs, size_t series, tw_rect r)
{
    switch (status) {
    case TW_VIEW_CHART_NONE:
        return;
    case TW_VIEW_CHART_NO_ROOM:
        message(r, "(no room for the chart)");
        return;
    case TW_VIEW_CHART_WAITING:
        message(r, "waiting for runs...");
        return;
    case TW_VIEW_CHART_NO_METRIC:
        message(r, "no metrics yet");
        return;
    case TW_VIEW_CHART_NO_MEMORY:
        message(r, "out of memory");
        return;
    case TW_VIEW_CHART_FAILED:
        message(r, "chart failed");
        return;
    case TW_VIEW_CHART_GRID:
        break;
    }
    blit(v, chart, r);
    if (chart == v->chart)
        tw_view_draw_cursor(v, r);
    if (runs == 0)
        message(r,
                v->runs_list.n ? "every run is hidden: Space or o shows them" : "no run matches");
    else if (series == 0)
        message(r, v->step_mode ? "no per-step data for this metric yet"
                                : "no data for this metric yet");
}

void
tw_view_draw_chart(const tw_view *v, tw_rect r)
{
    tw_view_draw_a_chart(v, v->chart, v->chart_status, v->chart_runs, v->chart_series, r);
}
