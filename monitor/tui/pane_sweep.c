/* pane_sweep.c - the sweep view's pane: the study's header on the legend line, the scatter
 * of each trial's best value against a hyperparameter with its tick labels (sweep.h). */
#include "panes.h"
#include "sweep.h"

#include <string.h>

/* The header: study, what is ranked, the hyperparameter and its key, the marks, the best. */
static void
draw_head(const tw_view *v, const tw_sweep_frame *f, tw_rect head)
{
    char buf[768];
    int col;

    if (head.h <= 0)
        return;
    tw_view_fmt(buf, sizeof buf, "study %s", f->study[0] ? f->study : "-");
    col = tw_view_put(head.y, head.x, head.w, A_BOLD, 0, buf);
    tw_view_fmt(buf, sizeof buf, "  %zu trial%s  %s%s vs %s%s%s", f->trials,
                f->trials == 1 ? "" : "s", f->objective, f->log_y ? " (log)" : "",
                f->param[0] ? f->param : "-", f->sc.log_x && f->param[0] ? " (log)" : "",
                f->n_params > 1 ? " [h]" : "");
    col += tw_view_put(head.y, head.x + col, head.w - col, A_NORMAL, 0, buf);
    char failed[32] = "";
    if (f->failed)
        tw_view_fmt(failed, sizeof failed, ", %zu failed", f->failed);
    tw_view_fmt(buf, sizeof buf, "  %s %zu pruned%s  %s %s", tw_view_glyph(v, "\xc3\x97", "x"),
                f->pruned, failed, tw_view_glyph(v, "\xe2\x97\x8f", "*"),
                f->best[0] ? f->best : "best");
    tw_view_put(head.y, head.x + col, head.w - col, A_DIM, 0, buf);
}

/* The attributes of a scatter cell by what fell in it. */
static attr_t
cell_attr(const tw_view *v, unsigned flags, short *pair)
{
    *pair = 0;
    if (flags & TW_SCATTER_BEST) {
        *pair = v->color ? TW_PAIR_GOOD : 0;
        return A_BOLD;
    }
    if (!(flags & TW_SCATTER_COMPLETE)) {
        *pair = v->color ? TW_PAIR_ERROR : 0;
        return A_DIM;
    }
    return A_BOLD;
}

/* The cells, the best trial's cell as a filled circle over its dots, the axes' labels. */
static void
draw_plot(const tw_view *v, const tw_sweep_frame *f)
{
    const tw_rect p = f->plot;

    for (int y = 0; y < f->sc.h && y < p.h; y++)
        for (int x = 0; x < f->sc.w && x < p.w; x++) {
            size_t c = (size_t)y * (size_t)f->sc.w + (size_t)x;
            short pair;
            if (!f->sc.glyph[c])
                continue;
            attr_t a = cell_attr(v, f->sc.flags[c], &pair);
            wchar_t wc = (wchar_t)f->sc.glyph[c];
            if (f->sc.flags[c] & TW_SCATTER_BEST)
                wc = v->braille ? L'\x25cf' : L'*';
            tw_view_put_wc(p.y + y, p.x + x, a, pair, wc);
        }
    for (int i = 0; i < f->n_yt; i++)
        tw_view_put_right(p.y + f->yt[i].pos, p.x - TW_SWEEP_YLAB_W, TW_SWEEP_YLAB_W - 1, A_DIM, 0,
                          f->yt[i].text);
    for (int y = 0; y < p.h; y++)
        tw_view_put(p.y + y, p.x - 1, 1, A_DIM, 0, tw_view_glyph(v, "\xe2\x94\x82", "|"));
    int last = -1;
    for (int i = 0; i < f->n_xt; i++) {
        int len = tw_view_text_cols(f->xt[i].text), x = f->xt[i].pos - len / 2;
        x = x < 0 ? 0 : x + len > p.w ? p.w - len : x;
        if (x <= last)
            continue;
        tw_view_put(p.y + p.h, p.x + x, len, A_DIM, 0, f->xt[i].text);
        last = x + len;
    }
}

void
tw_view_draw_sweep(const tw_view *v, tw_rect head, tw_rect r)
{
    const tw_sweep_frame *f = v->sweep_frame;

    if (!f) {
        tw_view_put(r.y + r.h / 2, r.x, r.w, A_DIM, 0, "sweep view: out of memory");
        return;
    }
    draw_head(v, f, head);
    if (f->n_yt || f->n_xt || !f->message)
        draw_plot(v, f);
    if (f->message) {
        int n = tw_view_text_cols(f->message);
        tw_view_put(r.y + r.h / 2, r.x + (r.w > n ? (r.w - n) / 2 : 0), r.w, A_DIM, 0, f->message);
    }
}
