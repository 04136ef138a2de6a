/* pane_chart.c - the chart pane: the rasterized grid copied to the screen, or why there is
 * none. */
#include "panes.h"

#include <string.h>

/* Shows a one-line message in the middle of r. */
static void
message(tw_rect r, const char *text)
{
    int n = (int)strlen(text);
    int x = r.x + (r.w > n ? (r.w - n) / 2 : 0);
    tw_view_put(r.y + r.h / 2, x, r.w, A_DIM, 0, text);
}

/* A chart cell's glyph as one wide character of width 1 ('?' when it is not one). */
static wchar_t
cell_wc(const char *glyph)
{
    mbstate_t st;
    wchar_t wc;
    size_t k;

    if ((unsigned char)glyph[0] < 0x80)
        return (wchar_t)glyph[0];
    memset(&st, 0, sizeof st);
    k = mbrtowc(&wc, glyph, strlen(glyph), &st);
    return k == (size_t)-1 || k == (size_t)-2 || k == 0 || wcwidth(wc) != 1 ? L'?' : wc;
}

/* Copies the rendered grid to the screen at r: each row's runs of non-blank cells as strings
 * of wide cells (mvwadd_wchnstr copies them as they are: several times cheaper than a
 * character at a time through ncurses's multibyte path). */
static void
blit(const tw_view *v, tw_rect r)
{
    enum { RUN = 256 };
    int cw, ch, w;
    const tw_chart_cell *cells = tw_chart_cells(v->chart, &cw, &ch);
    cchar_t run[RUN];

    if (!cells)
        return;
    w = cw < r.w ? cw : r.w;
    for (int y = 0; y < ch && y < r.h; y++) {
        const tw_chart_cell *row = &cells[(size_t)y * (size_t)cw];
        int x = 0;
        while (x < w) {
            int x0, n = 0;
            while (x < w && (!row[x].glyph[0] || strcmp(row[x].glyph, " ") == 0))
                x++;
            for (x0 = x; x < w && n < RUN && row[x].glyph[0] && strcmp(row[x].glyph, " ") != 0;
                 x++) {
                wchar_t wc[2] = {cell_wc(row[x].glyph), L'\0'};
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
tw_view_draw_chart(const tw_view *v, tw_rect r)
{
    switch (v->chart_status) {
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
    blit(v, r);
    if (v->chart_runs == 0)
        message(r,
                v->runs_list.n ? "every run is hidden: Space or o shows them" : "no run matches");
    else if (v->chart_series == 0)
        message(r, v->step_mode ? "no per-step data for this metric yet"
                                : "no data for this metric yet");
}
