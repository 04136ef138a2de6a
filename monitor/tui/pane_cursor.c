/* pane_cursor.c - the chart cursor over the chart pane: its column, and the readout the
 * update path formatted (cursor.c), in a box on the side of the chart away from it. */
#include "panes.h"

#include <wchar.h>

/* The cursor's column: a rule through the plot's blank cells, the curves' cells reversed. */
static void
rule(const tw_view *v, tw_rect r)
{
    int cw, ch;
    const tw_chart_cell *cells = tw_chart_cells(v->chart, &cw, &ch);
    int x = v->cursor.col - r.x;

    if (!cells || x < 0 || x >= cw)
        return;
    for (int y = v->cursor.plot_row; y < v->cursor.plot_row + v->cursor.plot_h; y++) {
        const tw_chart_cell *c = &cells[(size_t)(y - r.y) * (size_t)cw + (size_t)x];
        attr_t a;
        short pair;

        if (y - r.y < 0 || y - r.y >= ch)
            continue;
        if (c->glyph == 0 || c->glyph == ' ') {
            tw_view_put_wc(y, v->cursor.col, A_DIM, 0, v->utf8 ? L'\u2502' : L'|');
            continue;
        }
        tw_view_cell_attr(v, c->color, c->flags, &a, &pair);
        tw_view_put_wc(y, v->cursor.col, a | A_REVERSE, pair, (wchar_t)c->glyph);
    }
}

void
tw_view_draw_cursor(const tw_view *v, tw_rect r)
{
    int w = 0, x, y = v->cursor.plot_row;

    if (!v->cursor.on || v->cursor.n_lines == 0)
        return;
    rule(v, r);
    for (size_t i = 0; i < v->cursor.n_lines; i++) {
        int n = tw_view_text_cols(v->cursor.lines[i]) + 2;
        w = n > w ? n : w;
    }
    if (w > v->cursor.plot_w)
        w = v->cursor.plot_w;
    /* Inside the plot, away from the cursor: at the right when it is in the left half. */
    x = v->cursor.col >= 0 && v->cursor.col < v->cursor.plot_x + v->cursor.plot_w / 2
            ? v->cursor.plot_x + v->cursor.plot_w - w
            : v->cursor.plot_x;
    for (size_t i = 0; i < v->cursor.n_lines && y < r.y + r.h; i++, y++) {
        attr_t a = i == 0 ? A_REVERSE : A_NORMAL;
        short pair = 0;

        tw_view_fill(y, x, w, a, 0);
        if (v->cursor.colors[i])
            tw_view_put(y, x, 1, tw_view_run_line_attr(v, v->cursor.colors[i], &pair), pair,
                        tw_view_glyph(v, "\u25a0", "#"));
        tw_view_put(y, x + 2, w - 2, a, 0, v->cursor.lines[i]);
    }
}
