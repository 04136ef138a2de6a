/* pane_grid.c - the grid of every metric: each card's title (the metric, the latest values,
 * reversed for the selected one) over its chart, from the grid's frame (grid.c). */
#include "panes.h"

void
tw_view_draw_grid(const tw_view *v)
{
    for (size_t i = 0; i < v->n_cards; i++) {
        const tw_view_card *c = &v->cards[i];
        bool sel = c->metric == v->metrics_list.sel;
        tw_rect chart = {c->r.y + 1, c->r.x, c->r.h - 1, c->r.w};
        int x;

        tw_view_fill(c->r.y, c->r.x, c->r.w, sel ? A_REVERSE : A_NORMAL, 0);
        x = tw_view_put(c->r.y, c->r.x + 1, c->r.w - 1, (sel ? A_REVERSE : 0) | A_BOLD, 0,
                        v->metrics.v[c->metric].s);
        if (x + 3 < c->r.w)
            tw_view_put_right(c->r.y, c->r.x + x + 2, c->r.w - x - 3, sel ? A_REVERSE : A_DIM, 0,
                              c->values);
        tw_view_draw_a_chart(v, c->chart, c->status, c->runs, c->series, chart);
    }
}
