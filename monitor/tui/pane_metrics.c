/* pane_metrics.c - the metrics list pane and, on narrow terminals, the selected metric's line. */
#include "panes.h"

#include <math.h>
#include <string.h>

/* Latest train / val, the val value's standard error ("±0.0089", "" when undefined) and best
 * (with its epoch) of `metric` in run, formatted. */
static void
metric_values(const tw_view *v, const tw_store_run *run, const char *metric, char *tr, char *va,
              char *se, char *best, size_t size)
{
    const tw_store_series *t = run ? tw_store_find_series(run, metric, TW_SPLIT_TRAIN) : NULL;
    const tw_store_series *vs = run ? tw_store_find_series(run, metric, TW_SPLIT_VAL) : NULL;
    const tw_store_series *b = run ? tw_view_best_series(run, metric) : NULL;
    char num[32];

    tw_view_fmt_value(tr, size, t && t->has_latest, t ? t->latest_value : 0);
    tw_view_fmt_value(va, size, vs && vs->has_latest, vs ? vs->latest_value : 0);
    se[0] = '\0';
    if (vs && vs->has_latest && isfinite(vs->latest_se))
        tw_view_fmt(se, size, "%s%.2g", tw_view_glyph(v, "\u00b1", "+-"), vs->latest_se);
    if (b && b->has_best) {
        tw_view_fmt_value(num, sizeof num, true, b->best_value);
        tw_view_fmt(best, size, "%s@%llu", num, (unsigned long long)b->best_epoch);
    } else {
        tw_view_fmt(best, size, "-");
    }
}

void
tw_view_draw_metrics(const tw_view *v, const tw_store *s, tw_rect r)
{
    const tw_store_run *run = tw_view_cursor_run(v);
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
        int len = tw_view_text_cols(v->metrics.v[i].s);
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
    /* the val value's standard error, when the names keep their room */
    int sw = 8;
    bool show_se = nw - (sw + 1) >= (longest > 8 ? longest : 8);
    if (show_se)
        nw -= sw + 1;
    tw_view_fmt(extra, sizeof extra, "of %s%s", run ? tw_view_run_label(run) : "-",
                focused && !v->g.wide ? "  (Tab: runs)" : "");
    tw_view_pane_title(tw_rect_row(r, 0), focused, " METRICS", extra);
    y++;
    if (r.h >= 4) {
        char hdr[64];
        tw_view_put(y, r.x + 1, nw, A_DIM, 0, "name");
        if (show_se)
            tw_view_fmt(hdr, sizeof hdr, "%*s %*s %-*s %*s", vw, "train", vw, "val", sw, "", vw + 3,
                        "best@ep");
        else
            tw_view_fmt(hdr, sizeof hdr, "%*s %*s %*s", vw, "train", vw, "val", vw + 3, "best@ep");
        tw_view_put_right(y, r.x, r.w - 1, A_DIM, 0, hdr);
        y++;
    }
    if (v->metrics.n == 0) {
        tw_view_put(y, r.x + 1, r.w - 1, A_DIM, 0, "no metrics yet");
        return;
    }
    for (size_t i = v->metrics_list.top; i < v->metrics.n && y < r.y + r.h; i++, y++) {
        char tr[32], va[32], se[32], best[48], line[160];
        bool cur = i == v->metrics_list.sel;
        attr_t a = cur ? (focused ? A_REVERSE : A_BOLD) : A_NORMAL;

        metric_values(v, run, v->metrics.v[i].s, tr, va, se, best, sizeof tr);
        if (cur)
            tw_view_fill(y, r.x, r.w, a, 0);
        tw_view_put(y, r.x, 1, a, 0, cur ? ">" : " ");
        tw_view_ellipsize(v, line, sizeof line, v->metrics.v[i].s, nw);
        tw_view_put(y, r.x + 1, nw, a, 0, line);
        if (show_se) /* "±" is two bytes and one column: pad by columns */
            tw_view_fmt(line, sizeof line, "%*s %*s %s%*s %*s", vw, tr, vw, va, se,
                        sw - tw_view_text_cols(se), "", vw + 3, best);
        else
            tw_view_fmt(line, sizeof line, "%*s %*s %*s", vw, tr, vw, va, vw + 3, best);
        tw_view_put_right(y, r.x, r.w - 1, a, 0, line);
    }
}

void
tw_view_draw_metric_line(const tw_view *v, const tw_store *s, tw_rect r)
{
    const tw_store_run *run = tw_view_cursor_run(v);
    char tr[32], va[32], se[32], best[48], buf[256];
    int x;

    if (!r.w)
        return;
    if (v->metrics.n == 0) {
        tw_view_put(r.y, r.x, r.w, A_DIM, 0, "no metrics yet");
        return;
    }
    metric_values(v, run, v->metric, tr, va, se, best, sizeof tr);
    x = tw_view_put(r.y, r.x, r.w, A_BOLD, 0, v->metric);
    tw_view_fmt(buf, sizeof buf, " [%zu/%zu]", v->metrics_list.sel + 1, v->metrics.n);
    x += tw_view_put(r.y, r.x + x, r.w - x, A_DIM, 0, buf);
    tw_view_fmt(buf, sizeof buf, "  train %s  val %s%s  best %s", tr, va, se, best);
    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, buf);
    if (run) {
        short pair;
        attr_t a = tw_view_run_attr(v, tw_view_run_color(v, run), &pair);
        x += tw_view_put(r.y, r.x + x, r.w - x, A_DIM, 0, "  of ");
        tw_view_put(r.y, r.x + x, r.w - x, a, pair, tw_view_run_label(run));
    }
}
