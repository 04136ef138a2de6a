/* pane_progress.c - the progress line of the cursor's run: epoch, steps, bar, ETAs, rate. */
#include "panes.h"

#include <string.h>

/* Cells of the progress bar: at least, at most. */
#define BAR_MIN 10
#define BAR_MAX 40

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
        const tw_store_point *p = tw_store_series_point(tw_store_run_series(run, i), e - 1);
        if (p && (!found || p->step > *out)) {
            *out = p->step;
            found = true;
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
draw_bar(const tw_view *v, int y, int x, int w, double f, short pair)
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
            tw_view_put(y, x + i, 1, A_BOLD, pair, tw_view_glyph(v, "\xe2\x96\x88", "#"));
        else if (i == full && part && v->utf8)
            tw_view_put(y, x + i, 1, A_BOLD, pair, eighths[part]);
        else
            tw_view_put(y, x + i, 1, A_DIM, 0, tw_view_glyph(v, "\xe2\x96\x91", "."));
    }
}

/* The progress line's tail pieces, by priority: the steps into the epoch, the epoch's ETA,
 * the run's ETA, the step rate; each "" when not known. */
static void
tail_pieces(const tw_store_run *run, uint64_t spe, bool known, uint64_t in, char pieces[4][64])
{
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
}

/* Joins into tail (size bytes) the pieces that fit in room columns, in order of priority;
 * the first always goes in, clipped if it must be. */
static void
join_tail(const tw_view *v, char pieces[4][64], int room, char *tail, size_t size)
{
    bool epoch_eta = false;

    tail[0] = '\0';
    for (int i = 0; i < 4; i++) {
        /* The run's ETA joins the epoch's when that one is shown: "epoch ETA 1.2s · run ETA". */
        const char *sep = i != 2 ? "" : epoch_eta ? tw_view_glyph(v, " \xc2\xb7 ", ", ") : "  ";
        if (pieces[i][0] &&
            tw_view_text_cols(tail) + tw_view_text_cols(sep) + tw_view_text_cols(pieces[i]) <=
                room) {
            tw_view_fmt(tail + strlen(tail), size - strlen(tail), "%s%s", sep, pieces[i]);
            epoch_eta = epoch_eta || i == 1;
        }
        if (i == 0 && !tail[0])
            tw_view_fmt(tail, size, "%s", pieces[0]); /* clipped, but said */
    }
}

void
tw_view_draw_progress(const tw_view *v, const tw_store *s, tw_rect r)
{
    const tw_store_run *run = tw_view_cursor_run(v);
    uint64_t spe, start = 0, in = 0;
    bool known;
    char head[160], tail[256], pieces[4][64];
    short pair;
    attr_t ra;
    int x, bw;

    if (!r.w)
        return;
    if (!run && v->link_problem[0]) {
        tw_view_put(r.y, r.x, r.w, A_BOLD, tw_view_state_pair(v, TW_STATE_FAILED), v->link_problem);
        return;
    }
    if (!run) {
        tw_view_put(r.y, r.x, r.w, A_DIM, 0,
                    s && tw_store_run_count(s)
                        ? "no run selected"
                        : "waiting for runs (live runs of this user are found by themselves)");
        return;
    }
    ra = tw_view_run_attr(v, tw_view_run_color(v, run), &pair);
    x = tw_view_put(r.y, r.x, r.w, ra | A_BOLD, pair, tw_view_run_label(run));
    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, "  ");
    if (!tw_store_state_open(run->state)) {
        tw_view_fmt(head, sizeof head, "%s at epoch %llu, step %llu%s%s",
                    tw_store_state_name(run->state), (unsigned long long)run->epoch,
                    (unsigned long long)run->step, run->reason[0] ? ": " : "", run->reason);
        tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, tw_view_state_pair(v, run->state), head);
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

    tail_pieces(run, spe, known, in, pieces);

    x += tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, head);
    if (run->state == TW_STATE_STALLED)
        x += tw_view_put(r.y, r.x + x, r.w - x, A_BOLD, v->color ? 2 : 0, "STALLED ");
    else if (run->state == TW_STATE_DISCONNECTED)
        x += tw_view_put(r.y, r.x + x, r.w - x, A_BOLD, v->color ? 2 : 0, "DISCONNECTED ");
    /* The tail's pieces by priority; each goes in only while the bar keeps BAR_MIN cells. */
    join_tail(v, pieces, r.w - x - (spe && known ? BAR_MIN : 0), tail, sizeof tail);
    bw = r.w - x - tw_view_text_cols(tail);
    if (bw > BAR_MAX)
        bw = BAR_MAX;
    if (spe && known && bw >= 3) {
        draw_bar(v, r.y, r.x + x, bw, (double)in / (double)spe, v->color ? pair : 0);
        x += bw;
    }
    tw_view_put(r.y, r.x + x, r.w - x, A_NORMAL, 0, tail);
}
