/* pane_bars.c - the one-line panes: the title bar, the legend, the key help and the filter
 * prompt. */
#include "panes.h"

#include "input.h"

#include <string.h>

static const char *const xaxis_names[] = {"epoch", "step", "time"};

void
tw_view_draw_title(const tw_view *v, const tw_store *s)
{
    tw_rect r = v->g.title;
    attr_t bar = v->color ? A_NORMAL : A_REVERSE;
    short pair = v->color ? TW_PAIR_TITLE : 0;
    const char *sep = tw_view_glyph(v, " \xe2\x94\x82 ", " | ");
    char buf[512], right[96];
    size_t n = s ? tw_store_run_count(s) : 0, live = 0;
    int x, rw;

    if (!r.w)
        return;
    for (size_t i = 0; i < n; i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        if (run && tw_store_state_open(run->state))
            live++;
    }
    tw_view_fmt(right, sizeof right, "%zu run%s, %zu live ", n, n == 1 ? "" : "s", live);

    tw_view_fill(r.y, r.x, r.w, bar, pair);
    x = tw_view_put(r.y, r.x, r.w, bar | A_BOLD, pair, " trainwatch");
    tw_view_fmt(buf, sizeof buf, "%s%s%s%s%sx:%s", sep, v->metric[0] ? v->metric : "(no metric)",
                sep, v->step_mode ? "per step" : "per epoch", sep, xaxis_names[v->xaxis]);
    x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, buf);
    if (v->smooth > 0) {
        tw_view_fmt(buf, sizeof buf, "%ssmooth %g", sep, tw_store_smooth_weight(v->smooth));
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, buf);
    }
    if (v->log_y) {
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, sep);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, "log-y");
    }
    if (v->zoom) {
        tw_view_fmt(buf, sizeof buf, "%slast %llu ep", sep, (unsigned long long)v->zoom);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, buf);
    }
    if (v->xwin.on) { /* the wheel's zoom */
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, sep);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, "zoomed");
    }
    if (v->grid) {
        tw_view_fmt(buf, sizeof buf, "%sgrid %zu/%zu", sep, v->grid_page + 1,
                    v->grid_pages ? v->grid_pages : 1);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, buf);
    }
    if (v->filter_err[0]) {
        tw_view_fmt(buf, sizeof buf, "%sbad filter /%s/: %s", sep, v->filter, v->filter_err);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar | A_BOLD, pair, buf);
    } else if (v->has_filter) {
        tw_view_fmt(buf, sizeof buf, "%s/%s/", sep, v->filter);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, buf);
    }
    if (v->link_problem[0]) {
        tw_view_fmt(buf, sizeof buf, "%s%s", sep, v->link_problem);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar | A_BOLD, pair, buf);
    }
    if (v->paused) {
        tw_view_fmt(buf, sizeof buf, "%s", sep);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar, pair, buf);
        x += tw_view_put(r.y, r.x + x, r.w - x, bar | A_BOLD, pair, "PAUSED");
    }
    rw = (int)strlen(right);
    if (x + 2 + rw <= r.w)
        tw_view_put_right(r.y, r.x, r.w, bar, pair, right);
}

/* One piece of the legend's style key: a line sample drawn as that line is, and its word. */
typedef struct key_piece {
    const char *sample; /* NULL: the word alone */
    attr_t attr;
    const char *word;
} key_piece;

/* Columns the key pieces take, two blanks between pieces. */
static int
key_width(const key_piece *k, int n)
{
    int w = 0;

    for (int i = 0; i < n; i++)
        w += (i ? 2 : 0) + (k[i].sample ? tw_view_text_cols(k[i].sample) + 1 : 0) +
             tw_view_text_cols(k[i].word);
    return w;
}

/* Draws the key pieces from x; returns the columns used. */
static int
draw_key(int y, int x, int w, const key_piece *k, int n)
{
    int c = 0;

    for (int i = 0; i < n && c < w; i++) {
        if (i)
            c += tw_view_put(y, x + c, w - c, A_NORMAL, 0, "  ");
        if (k[i].sample) {
            c += tw_view_put(y, x + c, w - c, k[i].attr, 0, k[i].sample);
            c += tw_view_put(y, x + c, w - c, A_NORMAL, 0, " ");
        }
        c += tw_view_put(y, x + c, w - c, A_DIM, 0, k[i].word);
    }
    return c;
}

void
tw_view_draw_legend(const tw_view *v, const tw_store *s, tw_rect r)
{
    /* Samples drawn as the chart draws the lines: the main line bold and solid, validation
     * dim and dotted; the run swatches in each run's main-line attributes. */
    const char *solid = tw_view_glyph(v, "\xe2\x94\x81\xe2\x94\x81", "==");
    const char *dotted = tw_view_glyph(v, "\xe2\x94\x84\xe2\x94\x84", "..");
    key_piece key[5];
    char label[TW_VIEW_NAME + 8];
    int x = 0, kw, nk, total = 0, shown = 0, names_w = 0;

    if (!r.w || !s)
        return;
    /* Runs first; the style key goes at the right end when it fits after them. */
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        if (!run || v->rows[i].hidden)
            continue;
        total++;
        tw_view_ellipsize(v, label, sizeof label, tw_view_run_label(run), 20);
        names_w += 3 + tw_view_text_cols(label) + 2;
    }
    key[0] = (key_piece){solid, A_BOLD, v->step_mode ? (v->smooth ? "smoothed" : "mean") : "train"};
    key[1] = (key_piece){dotted, A_DIM, "val"};
    if (v->step_mode) {
        key[2] = (key_piece){tw_view_glyph(v, "\xe2\xa3\xbf", "~"), A_DIM, "min..max"};
        nk = v->envelope ? 3 : 2;
    } else {
        key[2] = (key_piece){NULL, A_NORMAL, "o live"};
        key[3] = (key_piece){NULL, A_NORMAL, "* best"};
        key[4] = (key_piece){tw_view_glyph(v, "\xe2\x94\x82", "|"), A_DIM,
                             tw_view_glyph(v, "\xc2\xb1SE", "+-SE")};
        nk = v->errbars ? 5 : 4;
    }
    kw = key_width(key, nk);
    if (names_w + kw > r.w && !v->step_mode) {
        nk = 2;
        kw = key_width(key, nk);
    }
    if (names_w + kw > r.w)
        kw = 0;

    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        short pair;
        attr_t a;
        int need;

        if (!run || v->rows[i].hidden)
            continue;
        tw_view_ellipsize(v, label, sizeof label, tw_view_run_label(run), 20);
        need = 3 + tw_view_text_cols(label) + 2;
        if (x + need > r.w - kw - (shown + 1 < total ? 9 : 0)) {
            char more[32];
            tw_view_fmt(more, sizeof more, "+%d more", total - shown);
            tw_view_put(r.y, r.x + x, r.w - x - kw, A_DIM, 0, more);
            break;
        }
        a = tw_view_run_line_attr(v, v->rows[i].color, &pair);
        x += tw_view_put(r.y, r.x + x, r.w - x, a, pair, solid);
        x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, " ");
        /* Without colors the name carries the run's underline / italic too. */
        x += tw_view_put(r.y, r.x + x, r.w - x, v->color ? A_NORMAL : a & ~A_BOLD, 0, label);
        x += 2;
        shown++;
    }
    if (total == 0 && v->runs_list.n > 0)
        tw_view_put(r.y, r.x, r.w, A_DIM, 0, "every run hidden (Space or o shows them)");
    if (kw && r.w - kw >= x)
        draw_key(r.y, r.x + r.w - kw, kw, key, nk);
}

void
tw_view_draw_keyhelp(const tw_view *v, tw_rect r)
{
    size_t n;
    const tw_binding *b = tw_input_bindings(&n);
    int x = 0;

    if (!r.w)
        return;
    for (size_t i = 0; i < n; i++) {
        char key[16];
        size_t k = 0;
        int need;

        if (!b[i].brief)
            continue;
        while (b[i].label[k] && b[i].label[k] != ' ' && k + 1 < sizeof key) {
            key[k] = b[i].label[k];
            k++;
        }
        key[k] = '\0';
        need = (int)k + 1 + (int)strlen(b[i].brief) + 2;
        if (x + need > r.w)
            break;
        x += tw_view_put(r.y, r.x + x, r.w - x, A_BOLD | (v->color ? 0 : A_REVERSE), 0, key);
        x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, " ");
        x += tw_view_put(r.y, r.x + x, r.w - x, A_DIM, 0, b[i].brief);
        x += 2;
    }
}

/* The bottom line: the filter prompt while one is open, else the key help. */
void
tw_view_draw_bottom(const tw_view *v)
{
    tw_rect r = v->g.help;
    int x;

    if (!v->prompting && v->message[0]) {
        tw_view_put(r.y, r.x, r.w, A_BOLD, 0, v->message);
        return;
    }
    if (!v->prompting) {
        tw_view_draw_keyhelp(v, r);
        return;
    }
    x = tw_view_put(r.y, r.x, r.w, A_BOLD, 0, "filter: ");
    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, v->prompt);
    if (v->prompt_err[0]) {
        int ex = x + 2;
        tw_view_put(r.y, r.x + ex, r.w - ex, v->color ? A_NORMAL : A_BOLD,
                    v->color ? TW_PAIR_ERROR : 0, v->prompt_err);
    } else if (x + 2 < r.w - 30) {
        tw_view_put(r.y, r.x + r.w - 30, 30, A_DIM, 0, "Enter: keep  Esc: cancel");
    }
    wmove(stdscr, r.y, r.x + (x < r.w ? x : r.w - 1));
}
