/* grid.c - the grid of every metric, in the update path: the cards' geometry on the terminal
 * (TensorBoard's card grid: as many columns as keep each card readable), the page that holds
 * the selected metric, and each card's chart, rendered by the chart's own frame. */
#include "draw.h"
#include "reserve.h"

#include <string.h>

/* The smallest card: a title line over a chart the rasterizer accepts, wide enough to read. */
#define CARD_MIN_W 26
#define CARD_MIN_H (TW_CHART_MIN_HEIGHT + 2)

/* Columns and rows of cards for n metrics in a w x h area: the layout whose cards are the
 * largest (cells count twice as wide as tall), fewest pages first. */
static void
card_layout(size_t n, int w, int h, int *cols, int *rows)
{
    int best_c = 1, best_r = 1;
    double best = -1;

    for (int c = 1; c <= (int)n && c <= w / CARD_MIN_W; c++) {
        int r = (int)((n + (size_t)c - 1) / (size_t)c);
        if (r > h / CARD_MIN_H)
            r = h / CARD_MIN_H; /* more pages */
        if (r < 1)
            r = 1;
        size_t fits = (size_t)c * (size_t)r;
        double cw = (double)w / c, ch = (double)h / r;
        double score = (fits >= n ? 1e6 : (double)fits * 1e3) + (cw / 2 < ch ? cw / 2 : ch);
        if (score > best) {
            best = score;
            best_c = c;
            best_r = r;
        }
    }
    *cols = best_c;
    *rows = best_r;
}

/* The title's values of a card: the latest train and val of the runs cursor's run. */
static void
card_values(const tw_view *v, const char *metric, char *buf, size_t size)
{
    const tw_store_run *run = tw_view_cursor_run(v);
    const tw_store_series *t = run ? tw_store_find_series(run, metric, TW_SPLIT_TRAIN) : NULL;
    const tw_store_series *va = run ? tw_store_find_series(run, metric, TW_SPLIT_VAL) : NULL;
    char a[24], b[24];

    tw_view_fmt_value(a, sizeof a, t && t->has_latest, t ? t->latest_value : 0);
    tw_view_fmt_value(b, sizeof b, va && va->has_latest, va ? va->latest_value : 0);
    tw_view_fmt(buf, size, "%s  val %s", a, b);
}

/* Renders card c's metric into its own chart, through the chart's frame: the view's chart,
 * metric and held ranges stand in for the card's during the call. */
static void
card_frame(tw_view *v, const tw_store *s, tw_view_card *c)
{
    tw_chart *main_chart = v->chart;
    tw_view_hold hold = v->hold;
    char metric[TW_VIEW_NAME];
    tw_rect r = {c->r.y + 1, c->r.x, c->r.h - 1, c->r.w};

    memcpy(metric, v->metric, sizeof metric);
    snprintf(v->metric, sizeof v->metric, "%s", v->metrics.v[c->metric].s);
    v->chart = c->chart;
    v->hold = c->hold;
    tw_view_chart_frame(v, s, r);
    c->hold = v->hold;
    v->hold = hold;
    c->status = v->chart_status;
    c->runs = v->chart_runs;
    c->series = v->chart_series;
    card_values(v, v->metric, c->values, sizeof c->values);
    v->chart = main_chart;
    memcpy(v->metric, metric, sizeof metric);
}

/* Room for n cards, each with a chart (kept between frames). Returns false when out of
 * memory. */
static bool
reserve_cards(tw_view *v, size_t n)
{
    if (!tw_reserve((void **)&v->cards, &v->cap_cards, n, sizeof *v->cards))
        return false;
    while (v->n_charts < n) {
        tw_view_card *c = &v->cards[v->n_charts];
        memset(c, 0, sizeof *c);
        if (!(c->chart = tw_chart_new()))
            return false;
        v->n_charts++;
    }
    return true;
}

void
tw_view_grid_frame(tw_view *v, const tw_store *s)
{
    tw_rect g = v->g.grid;
    int cols, rows;
    size_t per_page, first, n;
    tw_view_chart_status main_status = v->chart_status;

    v->n_cards = 0;
    if (!g.h || !g.w || v->metrics.n == 0)
        return;
    card_layout(v->metrics.n, g.w, g.h, &cols, &rows);
    while (cols * rows > TW_VIEW_GRID_MAX) { /* a huge terminal: pages of at most that many */
        if (rows > 1)
            rows--;
        else
            cols--;
    }
    per_page = (size_t)cols * (size_t)rows;
    v->grid_cols = (size_t)cols;
    v->grid_per_page = per_page;
    v->grid_pages = (v->metrics.n + per_page - 1) / per_page;
    v->grid_page = v->metrics_list.sel / per_page;
    first = v->grid_page * per_page;
    n = v->metrics.n - first < per_page ? v->metrics.n - first : per_page;
    if (!reserve_cards(v, n))
        return;
    for (size_t i = 0; i < n; i++) {
        tw_view_card *c = &v->cards[i];
        int col = (int)(i % (size_t)cols), row = (int)(i / (size_t)cols);
        int x0 = g.x + g.w * col / cols, x1 = g.x + g.w * (col + 1) / cols;
        int y0 = g.y + g.h * row / rows, y1 = g.y + g.h * (row + 1) / rows;
        c->r = (tw_rect){y0, x0, y1 - y0, x1 - x0 - (col + 1 < cols ? 1 : 0)};
        c->metric = first + i;
        card_frame(v, s, c);
    }
    v->n_cards = n;
    v->chart_status = main_status;
}

void
tw_view_grid_free(tw_view *v)
{
    for (size_t i = 0; i < v->n_charts; i++)
        tw_chart_destroy(&v->cards[i].chart);
    free(v->cards);
    v->cards = NULL;
    v->n_cards = v->n_charts = v->cap_cards = 0;
}
