/* view_panels.c - the view's text panels: title, legend, metric and run lists, progress, help. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "view_impl.h"

#include "input.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Widest hyperparameter column of the runs table, and longest run name column. */
#define PARAM_COL_MAX 12
#define NAME_COL_MAX  24
/* Cells of the progress bar: at least, at most. */
#define BAR_MIN 10
#define BAR_MAX 40
/* The runs table's counters column: records/gaps/drops. */
#define COUNTERS_W 15

/* ------------------------------------------------------------------------------------------ */
/* Text helpers                                                                                */

void
tw_view_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!size)
        return;
    va_start(ap, fmt);
    if (vsnprintf(buf, size, fmt, ap) < 0)
        buf[0] = '\0';
    va_end(ap);
}

void
tw_view_fmt_value(char *buf, size_t size, bool has, double value)
{
    if (!has) {
        tw_view_fmt(buf, size, "-");
        return;
    }
    if (isnan(value)) {
        tw_view_fmt(buf, size, "nan");
        return;
    }
    if (isinf(value)) {
        tw_view_fmt(buf, size, value > 0 ? "inf" : "-inf");
        return;
    }
    tw_view_fmt(buf, size, "%.4g", value);
    if (strlen(buf) > 8)
        tw_view_fmt(buf, size, "%.3g", value);
    if (strlen(buf) > 8)
        tw_view_fmt(buf, size, "%.1e", value);
}

void
tw_view_fmt_duration(char *buf, size_t size, double sec)
{
    long s;

    if (!isfinite(sec) || sec < 0 || sec > 1e9) {
        tw_view_fmt(buf, size, "?");
        return;
    }
    /* Tenths below ten seconds, so that a short wait does not read "0s". */
    if (round(sec * 10) < 100) {
        tw_view_fmt(buf, size, "%.1fs", round(sec * 10) / 10);
        return;
    }
    s = lround(sec);
    if (s < 60)
        tw_view_fmt(buf, size, "%lds", s);
    else if (s < 3600)
        tw_view_fmt(buf, size, "%ldm%02lds", s / 60, s % 60);
    else if (s < 86400)
        tw_view_fmt(buf, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else
        tw_view_fmt(buf, size, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

int
tw_view_put_wc(int y, int x, attr_t attr, short pair, wchar_t wc)
{
    wchar_t str[2] = {wc, L'\0'};
    cchar_t cc;

    if (setcchar(&cc, str, attr, pair, NULL) != OK)
        return ERR;
    return mvwadd_wch(stdscr, y, x, &cc);
}

int
tw_view_put(int y, int x, int w, attr_t attr, short pair, const char *s)
{
    mbstate_t st;
    size_t len;
    int col = 0;

    if (w <= 0 || y < 0 || x < 0 || !s)
        return 0;
    memset(&st, 0, sizeof st);
    len = strlen(s);
    while (len > 0 && col < w) {
        wchar_t wc;
        size_t k;
        int cw;

        /* Characters go to ncurses as wide characters, decoded once here (printable ASCII
         * without a call): its own multibyte path costs several times as much. */
        if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) {
            wc = (wchar_t)*s;
            k = 1;
            cw = 1;
        } else {
            k = mbrtowc(&wc, s, len, &st);
            if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
                /* Not a character of this locale: one '?' per byte. */
                memset(&st, 0, sizeof st);
                wc = L'?';
                k = 1;
            }
            cw = wcwidth(wc);
            if (cw < 0) {
                wc = L'?';
                cw = 1;
            }
        }
        if (col + cw > w)
            break;
        tw_view_put_wc(y, x + col, attr, pair, wc);
        col += cw;
        s += k;
        len -= k;
    }
    return col;
}

/* Writes s right-aligned in the w columns that end at x + w. */
static void
put_right(int y, int x, int w, attr_t attr, short pair, const char *s)
{
    int n = (int)strlen(s);
    if (n > w)
        n = w;
    tw_view_put(y, x + w - n, n, attr, pair, s);
}

/* Columns of a UTF-8 string, one a character (names are not expected to hold wide ones). */
static int
text_cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Byte offset of character `chars` in s (or its end). */
static size_t
char_offset(const char *s, int chars)
{
    size_t i = 0;
    for (; s[i] && chars >= 0; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && chars-- == 0)
            break;
    return i;
}

/* s shortened to w columns by cutting out its middle ("resnet1...lr0.01": run names differ
 * at either end). */
static void
ellipsize(const tw_view *v, char *out, size_t size, const char *s, int w)
{
    int n = text_cols(s), tail, head;
    size_t ho, to;

    if (n <= w || w < 3) {
        tw_view_fmt(out, size, "%s", s);
        return;
    }
    tail = (w - 1) / 2;
    head = w - 1 - tail;
    ho = char_offset(s, head);
    to = char_offset(s, n - tail);
    tw_view_fmt(out, size, "%.*s%s%s", (int)ho, s, v->utf8 ? "\xe2\x80\xa6" : "~", s + to);
}

/* Fills w cells of row y from x with blanks in attr. */
static void
fill(int y, int x, int w, attr_t attr, short pair)
{
    wattr_set(stdscr, attr, pair, NULL);
    for (int i = 0; i < w; i++)
        mvwaddch(stdscr, y, x + i, ' ');
    wattr_set(stdscr, A_NORMAL, 0, NULL);
}

/* The glyph for UTF-8 terminals or its ASCII stand-in. */
static const char *
glyph(const tw_view *v, const char *utf8, const char *ascii)
{
    return v->utf8 ? utf8 : ascii;
}

/* The attributes (and *pair) of a run's color, with the monochrome fallback. */
static attr_t
run_attr(const tw_view *v, int color, short *pair)
{
    attr_t a;
    tw_view_cell_attr(v, color, 0, &a, pair);
    return a;
}

/* ------------------------------------------------------------------------------------------ */
/* Model look-ups                                                                              */

/* The series whose best value ranks a run for `metric`: validation when it has a best,
 * else training, else whichever exists (NULL when none). */
static const tw_store_series *
best_series(const tw_store_run *run, const char *metric)
{
    const tw_store_series *val = tw_store_find_series(run, metric, TW_SPLIT_VAL);
    const tw_store_series *tr = tw_store_find_series(run, metric, TW_SPLIT_TRAIN);

    if (val && val->has_best)
        return val;
    if (tr && tr->has_best)
        return tr;
    return val ? val : tr;
}

/* Row orders for qsort; the arrival index breaks ties, so equal keys keep arrival order. */
static int
cmp_order(const tw_view_row *a, const tw_view_row *b)
{
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Best value first (runs without one last), then arrival. */
static int
cmp_best(const void *pa, const void *pb)
{
    const tw_view_row *a = pa, *b = pb;

    if (a->has_key != b->has_key)
        return a->has_key ? -1 : 1;
    if (a->has_key && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return cmp_order(a, b);
}

/* By name, then arrival. */
static int
cmp_label(const void *pa, const void *pb)
{
    const tw_view_row *a = pa, *b = pb;
    int c = strcmp(tw_view_run_label(a->run), tw_view_run_label(b->run));
    return c ? c : cmp_order(a, b);
}

/* Arrival order. */
static int
cmp_arrival(const void *pa, const void *pb)
{
    return cmp_order(pa, pb);
}

/* The run under the runs cursor (NULL when there is none). */
static const tw_store_run *
cursor_run(const tw_view *v, const tw_store *s)
{
    (void)s;
    if (v->runs_list.n == 0 || v->runs_list.sel >= v->runs_list.n)
        return NULL;
    return v->rows[v->runs_list.sel].run;
}

void
tw_view_sync(tw_view *v, const tw_store *s)
{
    size_t nr, k = 0;
    long i;

    v->metrics.n = 0;
    v->max_epoch = 0;
    if (!s) {
        tw_list_set_count(&v->metrics_list, 0);
        tw_list_set_count(&v->runs_list, 0);
        return;
    }
    nr = tw_store_run_count(s);
    if (nr > v->cap_rows) {
        tw_view_row *p = realloc(v->rows, nr * sizeof *p);
        if (!p)
            return;
        v->rows = p;
        v->cap_rows = nr;
    }
    for (size_t r = 0; r < nr; r++) {
        const tw_store_run *run = tw_store_run_at(s, r);
        tw_view_row *row;

        if (!run || !tw_view_run_matches(v, run))
            continue;
        row = &v->rows[k++];
        snprintf(row->id, sizeof row->id, "%s", run->id);
        row->run = run;
        row->order = r;
        row->color = (int)(r % TW_VIEW_RUN_COLORS) + 1;
        row->hidden = tw_view_run_hidden(v, run->id);
        for (size_t j = 0; j < run->n_series; j++) {
            const tw_store_series *se = tw_store_run_series(run, j);
            if (se && tw_view_names_find(&v->metrics, se->name) < 0)
                tw_view_names_push(&v->metrics, se->name);
        }
        if (!row->hidden && run->epoch > v->max_epoch)
            v->max_epoch = run->epoch;
    }

    /* The selected metric, by name; the first one when it is gone or none was chosen. */
    i = tw_view_names_find(&v->metrics, v->metric);
    if (i < 0 && v->metrics.n > 0) {
        i = 0;
        snprintf(v->metric, sizeof v->metric, "%s", v->metrics.v[0].s);
    }
    tw_list_set_count(&v->metrics_list, v->metrics.n);
    tw_list_select(&v->metrics_list, i < 0 ? 0 : (size_t)i);

    for (size_t a = 0; a < k; a++) {
        tw_view_row *row = &v->rows[a];
        const tw_store_series *b = best_series(row->run, v->metric);
        row->has_key = b && b->has_best && !isnan(b->best_value);
        row->key = row->has_key ? (b->goal == TW_GOAL_MAX ? -b->best_value : b->best_value) : 0;
    }
    if (k > 0) /* row_info is NULL until the first run arrives */
        qsort(v->rows, k, sizeof *v->rows,
              v->sort == TW_SORT_BEST   ? cmp_best
              : v->sort == TW_SORT_NAME ? cmp_label
                                        : cmp_arrival);
    /* The runs cursor follows its run through re-sorts; stays in place when it is gone. */
    tw_list_set_count(&v->runs_list, k);
    i = -1;
    for (size_t a = 0; a < k && i < 0; a++)
        if (strcmp(v->rows[a].id, v->cursor_run) == 0)
            i = (long)a;
    if (i >= 0)
        tw_list_select(&v->runs_list, (size_t)i);
    else if (k > 0)
        snprintf(v->cursor_run, sizeof v->cursor_run, "%s", v->rows[v->runs_list.sel].id);
}

/* ------------------------------------------------------------------------------------------ */
/* Title                                                                                       */

static const char *const xaxis_names[] = {"epoch", "step", "time"};
static const char *const sort_names[] = {"arrival", "best", "name"};

void
tw_view_draw_title(tw_view *v, const tw_store *s)
{
    tw_rect r = v->g.title;
    attr_t bar = v->color ? A_NORMAL : A_REVERSE;
    short pair = v->color ? TW_PAIR_TITLE : 0;
    const char *sep = glyph(v, " \xe2\x94\x82 ", " | ");
    char buf[512], right[96];
    size_t n = s ? tw_store_run_count(s) : 0, live = 0;
    int x, rw;

    if (!r.w)
        return;
    for (size_t i = 0; i < n; i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        if (run && (run->state == TW_STATE_LIVE || run->state == TW_STATE_STALLED ||
                    run->state == TW_STATE_DISCONNECTED))
            live++;
    }
    tw_view_fmt(right, sizeof right, "%zu run%s, %zu live ", n, n == 1 ? "" : "s", live);

    fill(r.y, r.x, r.w, bar, pair);
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
        put_right(r.y, r.x, r.w, bar, pair, right);
}

/* ------------------------------------------------------------------------------------------ */
/* Legend                                                                                      */

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
        w += (i ? 2 : 0) + (k[i].sample ? text_cols(k[i].sample) + 1 : 0) + text_cols(k[i].word);
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
tw_view_draw_legend(tw_view *v, const tw_store *s, tw_rect r)
{
    /* Samples drawn as the chart draws the lines: the main line bold and solid, validation
     * dim and dotted; the run swatches in each run's main-line attributes. */
    const char *solid = glyph(v, "\xe2\x94\x81\xe2\x94\x81", "==");
    const char *dotted = glyph(v, "\xe2\x94\x84\xe2\x94\x84", "..");
    key_piece key[4];
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
        ellipsize(v, label, sizeof label, tw_view_run_label(run), 20);
        names_w += 3 + text_cols(label) + 2;
    }
    key[0] = (key_piece){solid, A_BOLD, v->step_mode ? (v->smooth ? "smoothed" : "mean") : "train"};
    key[1] = (key_piece){dotted, A_DIM, "val"};
    if (v->step_mode) {
        key[2] = (key_piece){glyph(v, "\xe2\xa3\xbf", "|"), A_DIM, "min..max"};
        nk = v->envelope ? 3 : 2;
    } else {
        key[2] = (key_piece){NULL, A_NORMAL, "o live"};
        key[3] = (key_piece){NULL, A_NORMAL, "* best"};
        nk = 4;
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
        ellipsize(v, label, sizeof label, tw_view_run_label(run), 20);
        need = 3 + text_cols(label) + 2;
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

/* ------------------------------------------------------------------------------------------ */
/* Metrics                                                                                     */

/* Latest train / val and best (with its epoch) of `metric` in run, formatted. */
static void
metric_values(const tw_store_run *run, const char *metric, char *tr, char *va, char *best,
              size_t size)
{
    const tw_store_series *t = run ? tw_store_find_series(run, metric, TW_SPLIT_TRAIN) : NULL;
    const tw_store_series *vs = run ? tw_store_find_series(run, metric, TW_SPLIT_VAL) : NULL;
    const tw_store_series *b = run ? best_series(run, metric) : NULL;
    char num[32];

    tw_view_fmt_value(tr, size, t && t->has_latest, t ? t->latest_value : 0);
    tw_view_fmt_value(va, size, vs && vs->has_latest, vs ? vs->latest_value : 0);
    if (b && b->has_best) {
        tw_view_fmt_value(num, sizeof num, true, b->best_value);
        tw_view_fmt(best, size, "%s@%llu", num, (unsigned long long)b->best_epoch);
    } else {
        tw_view_fmt(best, size, "-");
    }
}

/* The header of a list pane: its title, reversed when it has the focus. */
static void
pane_title(tw_rect r, bool focused, const char *title, const char *extra)
{
    attr_t a = focused ? A_REVERSE | A_BOLD : A_BOLD;
    int x;

    fill(r.y, r.x, r.w, focused ? A_REVERSE : A_NORMAL, 0);
    x = tw_view_put(r.y, r.x, r.w, a, 0, title);
    if (extra && x + 2 < r.w)
        tw_view_put(r.y, r.x + x + 1, r.w - x - 1, focused ? A_REVERSE : A_DIM, 0, extra);
}

void
tw_view_draw_metrics(tw_view *v, const tw_store *s, tw_rect r)
{
    const tw_store_run *run = cursor_run(v, s);
    bool focused = v->focus != TW_FOCUS_RUNS;
    /* Columns: '>' name train val best@ep (best three wider, for its "@epoch"). */
    int vw = (r.w - 14) / 3, nw, y = r.y;
    char extra[160];

    if (r.h < 2 || r.w < 10)
        return;
    if (vw > 10)
        vw = 10;
    if (vw < 7)
        vw = 7;
    nw = r.w - 3 * vw - 7;
    /* The names come first: value columns give up width (down to 7) for the longest name. */
    int longest = 0;
    for (size_t i = 0; i < v->metrics.n; i++) {
        int len = (int)strlen(v->metrics.v[i].s);
        longest = len > longest ? len : longest;
    }
    if (longest > 16)
        longest = 16;
    while (nw < longest && vw > 7) {
        vw--;
        nw = r.w - 3 * vw - 7;
    }
    if (nw < 4)
        nw = 4;
    tw_view_fmt(extra, sizeof extra, "of %s%s", run ? tw_view_run_label(run) : "-",
                focused && !v->g.wide ? "  (Tab: runs)" : "");
    pane_title(tw_rect_row(r, 0), focused, " METRICS", extra);
    y++;
    if (r.h >= 4) {
        char hdr[64];
        tw_view_put(y, r.x + 1, nw, A_DIM, 0, "name");
        tw_view_fmt(hdr, sizeof hdr, "%*s %*s %*s", vw, "train", vw, "val", vw + 3, "best@ep");
        put_right(y, r.x, r.w - 1, A_DIM, 0, hdr);
        y++;
    }
    if (v->metrics.n == 0) {
        tw_view_put(y, r.x + 1, r.w - 1, A_DIM, 0, "no metrics yet");
        return;
    }
    for (size_t i = v->metrics_list.top; i < v->metrics.n && y < r.y + r.h; i++, y++) {
        char tr[32], va[32], best[48], line[160];
        bool cur = i == v->metrics_list.sel;
        attr_t a = cur ? (focused ? A_REVERSE : A_BOLD) : A_NORMAL;

        metric_values(run, v->metrics.v[i].s, tr, va, best, sizeof tr);
        if (cur)
            fill(y, r.x, r.w, a, 0);
        tw_view_put(y, r.x, 1, a, 0, cur ? ">" : " ");
        ellipsize(v, line, sizeof line, v->metrics.v[i].s, nw);
        tw_view_put(y, r.x + 1, nw, a, 0, line);
        tw_view_fmt(line, sizeof line, "%*s %*s %*s", vw, tr, vw, va, vw + 3, best);
        put_right(y, r.x, r.w - 1, a, 0, line);
    }
}

void
tw_view_draw_metric_line(tw_view *v, const tw_store *s, tw_rect r)
{
    const tw_store_run *run = cursor_run(v, s);
    char tr[32], va[32], best[48], buf[256];
    int x;

    if (!r.w)
        return;
    if (v->metrics.n == 0) {
        tw_view_put(r.y, r.x, r.w, A_DIM, 0, "no metrics yet");
        return;
    }
    metric_values(run, v->metric, tr, va, best, sizeof tr);
    x = tw_view_put(r.y, r.x, r.w, A_BOLD, 0, v->metric);
    tw_view_fmt(buf, sizeof buf, " [%zu/%zu]", v->metrics_list.sel + 1, v->metrics.n);
    x += tw_view_put(r.y, r.x + x, r.w - x, A_DIM, 0, buf);
    tw_view_fmt(buf, sizeof buf, "  train %s  val %s  best %s", tr, va, best);
    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, buf);
    if (run) {
        short pair;
        attr_t a = run_attr(v, tw_view_run_color(v, run), &pair);
        x += tw_view_put(r.y, r.x + x, r.w - x, A_DIM, 0, "  of ");
        tw_view_put(r.y, r.x + x, r.w - x, a, pair, tw_view_run_label(run));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Runs                                                                                        */

/* A parameter's value as text. */
static void
param_text(const tw_wire_param *p, char *buf, size_t size)
{
    if (p->is_number)
        tw_view_fmt(buf, size, "%.4g", p->number);
    else
        tw_view_fmt(buf, size, "%s", p->text);
}

/* The run's parameter called key, or NULL. */
static const tw_wire_param *
find_param(const tw_store_run *run, const char *key)
{
    for (uint32_t i = 0; i < run->n_params; i++)
        if (strcmp(run->params[i].key, key) == 0)
            return &run->params[i];
    return NULL;
}

/* Collects into keys the hyperparameters worth a column: those whose value differs between
 * the listed runs (all of them when one run is listed), in first-seen order. `seen` is
 * scratch. Each key is compared once over the runs: O(runs x keys). */
static void
varying_params(tw_view *v, tw_view_names *keys, tw_view_names *seen)
{
    keys->n = 0;
    seen->n = 0;
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        for (uint32_t p = 0; p < run->n_params; p++) {
            const char *key = run->params[p].key;
            char a[TW_WIRE_MAX_TEXT + 1], b[TW_WIRE_MAX_TEXT + 1];
            bool varies = v->runs_list.n == 1 || i > 0; /* runs before this one lack the key */

            if (tw_view_names_find(seen, key) >= 0)
                continue;
            tw_view_names_push(seen, key);
            param_text(&run->params[p], a, sizeof a);
            for (size_t j = i + 1; j < v->runs_list.n && !varies; j++) {
                const tw_wire_param *q = find_param(v->rows[j].run, key);
                if (!q) {
                    varies = true;
                    break;
                }
                param_text(q, b, sizeof b);
                varies = strcmp(a, b) != 0;
            }
            if (varies)
                tw_view_names_push(keys, key);
        }
    }
}

/* The width a parameter column needs (key and values), at most PARAM_COL_MAX. */
static int
param_width(tw_view *v, const char *key)
{
    int w = (int)strlen(key);

    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        const tw_wire_param *p = run ? find_param(run, key) : NULL;
        char buf[TW_WIRE_MAX_TEXT + 1];
        if (!p)
            continue;
        param_text(p, buf, sizeof buf);
        if ((int)strlen(buf) > w)
            w = (int)strlen(buf);
    }
    return w > PARAM_COL_MAX ? PARAM_COL_MAX : w;
}

/* The color pair of a run state: live green, stalled and disconnected yellow, vanished and
 * failed red. */
static short
state_pair(const tw_view *v, tw_store_state st)
{
    if (!v->color)
        return 0;
    switch (st) {
    case TW_STATE_LIVE:
        return TW_PAIR_GOOD;
    case TW_STATE_STALLED:
    case TW_STATE_DISCONNECTED:
        return 2; /* the yellow run pair */
    case TW_STATE_VANISHED:
    case TW_STATE_FAILED:
        return TW_PAIR_ERROR;
    case TW_STATE_ENDED:
        break;
    }
    return 0;
}

/* Detail lines of the cursor's run: identity, progress, counters, reason, every parameter.
 * Returns the rows used (at most h). */
static int
draw_run_detail(tw_view *v, const tw_store_run *run, int y, int x, int w, int h)
{
    const tw_store_counters *c = &run->counters;
    char buf[512];
    int row = 0, col;

    if (h <= 0)
        return 0;
    {
        short pair;
        attr_t a = run_attr(v, tw_view_run_color(v, run), &pair);
        col = tw_view_put(y, x, w, a | A_BOLD, pair, tw_view_run_label(run));
        if (strcmp(run->id, tw_view_run_label(run)) != 0) {
            tw_view_fmt(buf, sizeof buf, " (%s)", run->id);
            col += tw_view_put(y, x + col, w - col, A_DIM, 0, buf);
        }
        tw_view_fmt(buf, sizeof buf, "  %s%s%llu %s", run->host, run->host[0] ? ":" : "pid ",
                    (unsigned long long)run->pid, run->program);
        if (run->pid || run->host[0])
            tw_view_put(y, x + col, w - col, A_DIM, 0, buf);
        row++;
    }
    if (row < h) {
        char pe[32] = "", spe[48] = "";
        if (run->planned_epochs)
            tw_view_fmt(pe, sizeof pe, "/%llu", (unsigned long long)run->planned_epochs);
        if (run->steps_per_epoch || run->steps_per_epoch_learned)
            tw_view_fmt(spe, sizeof spe, "  %llu steps/ep",
                        (unsigned long long)(run->steps_per_epoch ? run->steps_per_epoch
                                                                  : run->steps_per_epoch_learned));
        tw_view_fmt(buf, sizeof buf, "epoch %llu%s  step %llu%s  world %u",
                    (unsigned long long)run->epoch, pe, (unsigned long long)run->step, spe,
                    run->world);
        tw_view_put(y + row++, x, w, A_NORMAL, 0, buf);
    }
    if (row < h) {
        tw_view_fmt(buf, sizeof buf, "records %llu  gaps %llu  drops %llu  dup %llu",
                    (unsigned long long)c->records, (unsigned long long)c->gaps,
                    (unsigned long long)c->drops, (unsigned long long)c->duplicates);
        /* undeclared records are not "bad": a late joiner gets some before the replay */
        if (c->bad_state + c->bad_decl + c->bad_rank)
            tw_view_fmt(buf + strlen(buf), sizeof buf - strlen(buf), "  bad %llu",
                        (unsigned long long)(c->bad_state + c->bad_decl + c->bad_rank));
        tw_view_put(y + row++, x, w, c->gaps || c->drops ? A_BOLD : A_NORMAL, 0, buf);
    }
    if (row < h && run->reason[0]) {
        tw_view_fmt(buf, sizeof buf, "%s: %s", tw_store_state_name(run->state), run->reason);
        tw_view_put(y + row++, x, w, A_NORMAL, state_pair(v, run->state), buf);
    }
    if (row < h && run->n_marks) {
        size_t len;
        tw_view_fmt(buf, sizeof buf, "restarted at epoch%s", run->n_marks > 1 ? "s" : "");
        for (size_t i = 0; i < run->n_marks && (len = strlen(buf)) < sizeof buf - 24; i++)
            tw_view_fmt(buf + len, sizeof buf - len, "%s %llu", i ? "," : "",
                        (unsigned long long)run->marks[i].epoch);
        len = strlen(buf);
        tw_view_fmt(buf + len, sizeof buf - len, " (%s on the chart)",
                    glyph(v, "\xe2\x94\x82", "|"));
        tw_view_put(y + row++, x, w, A_NORMAL, 0, buf);
    }
    if (row < h && tw_store_lag_text(run, buf, sizeof buf))
        tw_view_put(y + row++, x, w, A_BOLD, state_pair(v, TW_STATE_STALLED), buf);
    /* Every parameter, wrapped over the remaining rows. */
    col = 0;
    if (row < h && run->n_params) {
        col = tw_view_put(y + row, x, w, A_DIM, 0, "params ");
        for (uint32_t p = 0; p < run->n_params; p++) {
            char val[TW_WIRE_MAX_TEXT + 1];
            int need;
            param_text(&run->params[p], val, sizeof val);
            tw_view_fmt(buf, sizeof buf, "%s=%s ", run->params[p].key, val);
            need = (int)strlen(buf);
            if (col + need > w && col > 0) {
                if (++row >= h)
                    break;
                col = 2;
            }
            col += tw_view_put(y + row, x + col, w - col, A_NORMAL, 0, buf);
        }
        row++;
    }
    return row < h ? row : h;
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

void
tw_view_draw_runs(tw_view *v, const tw_store *s, tw_rect r)
{
    bool focused = v->focus == TW_FOCUS_RUNS;
    tw_view_names *keys = &v->param_keys;
    int pw[64], npc = 0, name_w = 0, used, y = r.y, detail_h, page, avail;
    bool counters;
    char extra[192], buf[256];
    const tw_store_run *cur = cursor_run(v, s);

    if (r.h < 2 || r.w < 10 || !s)
        return;
    tw_view_fmt(extra, sizeof extra, "%zu of %zu  sort: %s%s%s", v->runs_list.n,
                tw_store_run_count(s), sort_names[v->sort],
                v->sort == TW_SORT_BEST && v->metric[0] ? " " : "",
                v->sort == TW_SORT_BEST ? v->metric : "");
    pane_title(tw_rect_row(r, 0), focused, " RUNS", extra);
    y++;
    if (v->runs_list.n == 0) {
        tw_view_put(y, r.x + 1, r.w - 1, A_DIM, 0,
                    v->has_filter ? "no run matches the filter" : "no runs yet");
        return;
    }

    /* Columns: mark, name, state, best@ep, then varying parameters and counters as fit. */
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        int n = run ? text_cols(tw_view_run_label(run)) + 1 : 0;
        if (n > name_w)
            name_w = n;
    }
    if (name_w > NAME_COL_MAX)
        name_w = NAME_COL_MAX;
    if (name_w < 6)
        name_w = 6;
    /* The state column fits the longest state shown ("disconnected" widens it). */
    int state_w = 8;
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        int n = run ? (int)strlen(tw_store_state_name(run->state)) : 0;
        if (n > state_w)
            state_w = n;
    }
    used = 2 + state_w + 1 + 11; /* mark, " state   ", " best@ep" */
    if (used + name_w > r.w)
        name_w = r.w - used > 4 ? r.w - used : 4;
    used += name_w;
    varying_params(v, keys, &v->param_seen);
    /* The counters column goes in when it leaves room for one parameter (or there is none). */
    counters = used + COUNTERS_W + (keys->n ? param_width(v, keys->v[0].s) + 1 : 0) <= r.w;
    if (counters)
        used += COUNTERS_W;
    for (size_t k = 0; k < keys->n && npc < 64; k++) {
        int w = param_width(v, keys->v[k].s);
        if (used + w + 1 > r.w)
            break;
        pw[npc++] = w;
        used += w + 1;
    }

    avail = tw_view_runs_page(r.h, &detail_h);
    if (r.h >= 4) {
        int x = r.x + 2;
        tw_view_put(y, x, name_w, A_DIM, 0, "run");
        x += name_w;
        tw_view_put(y, x + 1, state_w, A_DIM, 0, "state");
        x += state_w + 1;
        put_right(y, x, 11, A_DIM, 0, "best@ep");
        x += 11;
        for (int k = 0; k < npc; k++) {
            put_right(y, x, pw[k] + 1, A_DIM, 0, keys->v[k].s);
            x += pw[k] + 1;
        }
        if (counters)
            put_right(y, x, COUNTERS_W, A_DIM, 0, "rec/gap/drop");
        y++;
    }
    page = avail;
    for (size_t i = v->runs_list.top; i < v->runs_list.n && y < r.y + 1 + (r.h >= 4) + avail;
         i++, y++) {
        const tw_store_run *run = v->rows[i].run;
        const tw_store_series *b;
        bool is_cur = i == v->runs_list.sel, hidden;
        attr_t a = is_cur ? (focused ? A_REVERSE : A_BOLD) : A_NORMAL;
        short pair;
        attr_t ra;
        char num[32];
        int x = r.x;

        if (!run)
            continue;
        hidden = v->rows[i].hidden;
        if (is_cur)
            fill(y, r.x, r.w, a, 0);
        /* The swatch in the attributes of the run's chart line (reversed on the cursor). */
        ra = tw_view_run_line_attr(v, v->rows[i].color, &pair);
        if (hidden)
            tw_view_put(y, x, 2, a | A_DIM, 0, glyph(v, "\xe2\x96\xa1 ", "- "));
        else
            tw_view_put(y, x, 2, focused && is_cur ? a | A_BOLD : ra, focused && is_cur ? 0 : pair,
                        glyph(v, "\xe2\x96\xa0 ", "# "));
        x += 2;
        ellipsize(v, buf, sizeof buf, tw_view_run_label(run), name_w - 1);
        tw_view_put(y, x, name_w, a | (hidden ? A_DIM : 0), 0, buf);
        x += name_w;
        if (run->lag_epoch && run->state == TW_STATE_LIVE) /* live, but an epoch waits */
            tw_view_put(y, x + 1, state_w, a,
                        is_cur && focused ? 0 : state_pair(v, TW_STATE_STALLED), "lagging");
        else
            tw_view_put(y, x + 1, state_w, a, is_cur && focused ? 0 : state_pair(v, run->state),
                        tw_store_state_name(run->state));
        x += state_w + 1;
        b = best_series(run, v->metric);
        if (b && b->has_best) {
            tw_view_fmt_value(num, sizeof num, true, b->best_value);
            tw_view_fmt(buf, sizeof buf, "%s@%llu", num, (unsigned long long)b->best_epoch);
        } else {
            tw_view_fmt(buf, sizeof buf, "-");
        }
        put_right(y, x, 11, a, 0, buf);
        x += 11;
        for (int k = 0; k < npc; k++) {
            const tw_wire_param *p = find_param(run, keys->v[k].s);
            char val[TW_WIRE_MAX_TEXT + 1];
            if (p)
                param_text(p, val, sizeof val);
            else
                tw_view_fmt(val, sizeof val, "-");
            val[pw[k]] = '\0';
            put_right(y, x, pw[k] + 1, a, 0, val);
            x += pw[k] + 1;
        }
        if (counters) {
            tw_view_fmt(
                buf, sizeof buf, "%llu/%llu/%llu", (unsigned long long)run->counters.records,
                (unsigned long long)run->counters.gaps, (unsigned long long)run->counters.drops);
            put_right(y, x, COUNTERS_W,
                      a | (run->counters.gaps || run->counters.drops ? A_BOLD : 0), 0, buf);
        }
    }
    if (detail_h && cur) {
        int dy = r.y + r.h - detail_h;
        wattr_set(stdscr, A_DIM, 0, NULL);
        mvwhline(stdscr, dy - 1, r.x, ACS_HLINE, r.w);
        wattr_set(stdscr, A_NORMAL, 0, NULL);
        draw_run_detail(v, cur, dy, r.x + 1, r.w - 1, detail_h);
    }
    if (v->runs_list.n > (size_t)page) {
        /* Scrolled: say which rows show. */
        size_t last = v->runs_list.top + (size_t)page;
        tw_view_fmt(buf, sizeof buf, "%zu of %zu  rows %zu-%zu  sort: %s%s%s", v->runs_list.n,
                    tw_store_run_count(s), v->runs_list.top + 1,
                    last < v->runs_list.n ? last : v->runs_list.n, sort_names[v->sort],
                    v->sort == TW_SORT_BEST && v->metric[0] ? " " : "",
                    v->sort == TW_SORT_BEST ? v->metric : "");
        pane_title(tw_rect_row(r, 0), focused, " RUNS", buf);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Progress                                                                                    */

/* The step at which the run's epoch e began: the highest step of epoch e - 1 in any of its
 * series, else (e - 1) * steps per epoch; false when unknown. */
static bool
epoch_start_step(const tw_store_run *run, uint64_t e, uint64_t spe, uint64_t *out)
{
    bool found = false;

    *out = 0;
    if (e <= 1)
        return true;
    for (size_t i = 0; i < run->n_series; i++) {
        const tw_store_series *se = tw_store_run_series(run, i);
        for (size_t k = se ? se->n_points : 0; k-- > 0;) {
            if (se->points[k].epoch == e - 1) {
                if (!found || se->points[k].step > *out)
                    *out = se->points[k].step;
                found = true;
            }
            if (se->points[k].epoch < e - 1)
                break;
        }
    }
    if (!found && spe) {
        *out = (e - 1) * spe;
        found = true;
    }
    return found;
}

/* A bar of w cells filled to fraction f, eighth-cell precise in UTF-8. */
static void
draw_bar(tw_view *v, int y, int x, int w, double f, short pair)
{
    static const char *const eighths[] = {"",
                                          "\xe2\x96\x8f",
                                          "\xe2\x96\x8e",
                                          "\xe2\x96\x8d",
                                          "\xe2\x96\x8c",
                                          "\xe2\x96\x8b",
                                          "\xe2\x96\x8a",
                                          "\xe2\x96\x89"};
    int units, full, part;

    if (w <= 0)
        return;
    if (!(f >= 0))
        f = 0;
    if (f > 1)
        f = 1;
    units = (int)(f * w * 8 + 0.5);
    full = units / 8;
    part = units % 8;
    for (int i = 0; i < w; i++) {
        if (i < full)
            tw_view_put(y, x + i, 1, A_BOLD, pair, glyph(v, "\xe2\x96\x88", "#"));
        else if (i == full && part && v->utf8)
            tw_view_put(y, x + i, 1, A_BOLD, pair, eighths[part]);
        else
            tw_view_put(y, x + i, 1, A_DIM, 0, glyph(v, "\xe2\x96\x91", "."));
    }
}

void
tw_view_draw_progress(tw_view *v, const tw_store *s, tw_rect r)
{
    const tw_store_run *run = cursor_run(v, s);
    uint64_t spe, start = 0, in = 0;
    bool known;
    char head[160], tail[256], pieces[4][64];
    short pair;
    attr_t ra;
    int x, bw;
    bool epoch_eta = false;

    if (!r.w)
        return;
    if (!run && v->link_problem[0]) {
        tw_view_put(r.y, r.x, r.w, A_BOLD, state_pair(v, TW_STATE_FAILED), v->link_problem);
        return;
    }
    if (!run) {
        tw_view_put(r.y, r.x, r.w, A_DIM, 0,
                    s && tw_store_run_count(s)
                        ? "no run selected"
                        : "waiting for runs (live runs of this user are found by themselves)");
        return;
    }
    ra = run_attr(v, tw_view_run_color(v, run), &pair);
    x = tw_view_put(r.y, r.x, r.w, ra | A_BOLD, pair, tw_view_run_label(run));
    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, "  ");
    if (run->state == TW_STATE_ENDED || run->state == TW_STATE_FAILED ||
        run->state == TW_STATE_VANISHED) {
        tw_view_fmt(head, sizeof head, "%s at epoch %llu, step %llu%s%s",
                    tw_store_state_name(run->state), (unsigned long long)run->epoch,
                    (unsigned long long)run->step, run->reason[0] ? ": " : "", run->reason);
        tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, state_pair(v, run->state), head);
        return;
    }
    if (run->epoch == 0) {
        tw_view_put(r.y, r.x + x, r.w - x, A_DIM, 0, "starting");
        return;
    }
    spe = run->steps_per_epoch ? run->steps_per_epoch : run->steps_per_epoch_learned;
    known = epoch_start_step(run, run->epoch, spe, &start);
    if (known && run->step >= start)
        in = run->step - start;
    if (run->planned_epochs)
        tw_view_fmt(head, sizeof head, "epoch %llu/%llu ", (unsigned long long)run->epoch,
                    (unsigned long long)run->planned_epochs);
    else
        tw_view_fmt(head, sizeof head, "epoch %llu ", (unsigned long long)run->epoch);

    /* The tail's pieces by priority; each goes in only while the bar keeps BAR_MIN cells. */
    pieces[0][0] = pieces[1][0] = pieces[2][0] = pieces[3][0] = '\0';
    if (spe && known)
        tw_view_fmt(pieces[0], sizeof pieces[0], " %llu/%llu steps", (unsigned long long)in,
                    (unsigned long long)spe);
    else if (known)
        tw_view_fmt(pieces[0], sizeof pieces[0], " step %llu (epoch length not known yet)",
                    (unsigned long long)in);
    else
        tw_view_fmt(pieces[0], sizeof pieces[0], " step %llu", (unsigned long long)run->step);
    /* ETAs from the step rate (wall clock, so it includes validation and other pauses): the
     * steps left in this epoch, then with the plan known those of the epochs still to come. */
    if (spe && known && run->steps_per_sec > 0) {
        double left = in < spe ? (double)(spe - in) : 0;
        char d[24];
        tw_view_fmt_duration(d, sizeof d, left / run->steps_per_sec);
        tw_view_fmt(pieces[1], sizeof pieces[1], "  epoch ETA %s", d);
        if (run->planned_epochs > run->epoch) {
            left += (double)(run->planned_epochs - run->epoch) * (double)spe;
            tw_view_fmt_duration(d, sizeof d, left / run->steps_per_sec);
            tw_view_fmt(pieces[2], sizeof pieces[2], "run ETA %s", d);
        }
    }
    if (run->steps_per_sec > 0)
        tw_view_fmt(pieces[3], sizeof pieces[3], "  %.3g step/s", run->steps_per_sec);

    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, head);
    if (run->state == TW_STATE_STALLED)
        x += tw_view_put(r.y, r.x + x, r.w - x, A_BOLD, v->color ? 2 : 0, "STALLED ");
    else if (run->state == TW_STATE_DISCONNECTED)
        x += tw_view_put(r.y, r.x + x, r.w - x, A_BOLD, v->color ? 2 : 0, "DISCONNECTED ");
    tail[0] = '\0';
    for (int i = 0; i < 4; i++) {
        int room = r.w - x - (spe && known ? BAR_MIN : 0);
        /* The run's ETA joins the epoch's when that one is shown: "epoch ETA 1.2s · run ETA". */
        const char *sep = i != 2 ? "" : epoch_eta ? glyph(v, " \xc2\xb7 ", ", ") : "  ";
        if (pieces[i][0] && text_cols(tail) + text_cols(sep) + text_cols(pieces[i]) <= room) {
            tw_view_fmt(tail + strlen(tail), sizeof tail - strlen(tail), "%s%s", sep, pieces[i]);
            epoch_eta = epoch_eta || i == 1;
        }
        if (i == 0 && !tail[0])
            tw_view_fmt(tail, sizeof tail, "%s", pieces[0]); /* clipped, but said */
    }
    bw = r.w - x - text_cols(tail);
    if (bw > BAR_MAX)
        bw = BAR_MAX;
    if (spe && known && bw >= 3) {
        draw_bar(v, r.y, r.x + x, bw, (double)in / (double)spe, v->color ? pair : 0);
        x += bw;
    }
    tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, tail);
}

/* ------------------------------------------------------------------------------------------ */
/* Alerts and key help                                                                         */

/* The pair and attributes of an alert event: errors red, warnings bold, cleared dim. */
static void
alert_attr(const tw_view *v, const tw_alert *e, bool fresh, attr_t *attr, short *pair)
{
    *pair = 0;
    *attr = A_NORMAL;
    if (e->cleared) {
        *attr = A_DIM;
        return;
    }
    if (e->severity == TW_ALERT_ERROR && v->color)
        *pair = TW_PAIR_ERROR;
    if (fresh || !v->color)
        *attr = A_BOLD;
}

/* "GL 4.2%  P5 12.3" of the selected metric of the run under the cursor, or "". */
static void
gl_pk_text(const tw_view *v, const tw_store *s, char *buf, size_t len)
{
    buf[0] = '\0';
    const tw_store_run *run = v->cursor_run[0] ? tw_store_find_run(s, v->cursor_run) : NULL;
    double gl, pk;
    if (!run || !v->alerts || tw_alerts_gl_pk(v->alerts, run, v->metric, &gl, &pk) != 0)
        return;
    char g[24] = "-", p[24] = "-";
    if (isfinite(gl))
        snprintf(g, sizeof g, "%.1f%%", gl);
    if (isfinite(pk))
        snprintf(p, sizeof p, "%.3g", pk);
    snprintf(buf, len, "GL %s  P%u %s", g, (unsigned)tw_alerts_config(v->alerts)->pq_k, p);
}

void
tw_view_draw_alerts(tw_view *v, const tw_store *s, tw_rect r)
{
    if (!r.w)
        return;
    size_t n = v->alerts ? tw_alerts_count(v->alerts) : 0;
    size_t unacked = v->alerts ? tw_alerts_unacked(v->alerts) : 0;
    size_t active = v->alerts ? tw_alerts_active(v->alerts) : 0;
    char glpk[64], line[TW_ALERT_TEXT_MAX + 4 * TW_WIRE_MAX_NAME];
    gl_pk_text(v, s, glpk, sizeof glpk);
    if (v->notice[0]) /* a notice (a failing --on-alert command) takes the right side */
        snprintf(glpk, sizeof glpk, "%.63s", v->notice);
    int right = glpk[0] ? (int)strlen(glpk) + 2 : 0;
    if (right >= r.w / 2)
        right = 0;
    if (r.h > 1) {
        char title[96];
        snprintf(title, sizeof title, " ALERTS  %llu fired, %zu active, %zu new",
                 (unsigned long long)(v->alerts ? tw_alerts_fired(v->alerts) : 0), active, unacked);
        pane_title(tw_rect_row(r, 0), false, title, "(a closes, A acknowledges)");
        if (n == 0)
            tw_view_put(r.y + 1, r.x + 1, r.w - 1, A_DIM, 0, "no alerts");
        /* newest first */
        for (int row = 1; row < r.h && (size_t)row <= n; row++) {
            size_t i = n - (size_t)row;
            const tw_alert *e = tw_alerts_at(v->alerts, i);
            attr_t attr;
            short pair;
            alert_attr(v, e, i >= n - unacked, &attr, &pair);
            tw_alert_format(e, line, sizeof line);
            tw_view_put(r.y + row, r.x + 1, r.w - 1, attr, pair, line);
        }
        if (right)
            tw_view_put(r.y, r.x + r.w - right, right, A_NORMAL, 0, glpk);
        return;
    }
    if (n == 0) {
        tw_view_put(r.y, r.x, r.w - right, A_DIM, 0, "no alerts");
    } else {
        const tw_alert *e = tw_alerts_at(v->alerts, n - 1);
        attr_t attr;
        short pair;
        alert_attr(v, e, unacked > 0, &attr, &pair);
        char head[64];
        int x = 0;
        if (unacked) {
            snprintf(head, sizeof head, "%zu new ", unacked);
            x += tw_view_put(r.y, r.x, r.w - right, A_REVERSE | A_BOLD,
                             v->color ? TW_PAIR_ERROR : 0, head);
        }
        snprintf(head, sizeof head, "%zu active ", active);
        x += tw_view_put(r.y, r.x + x, r.w - right - x, A_DIM, 0, head);
        tw_alert_format(e, line, sizeof line);
        tw_view_put(r.y, r.x + x, r.w - right - x, attr, pair, line);
    }
    if (right)
        tw_view_put(r.y, r.x + r.w - right + 2, right - 2, A_NORMAL, 0, glpk);
}

void
tw_view_draw_keyhelp(tw_view *v, tw_rect r)
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
