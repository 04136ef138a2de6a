/* pane_alerts.c - the alerts line, or the alerts panel (key a). */
#include "panes.h"

#include <stdio.h>
#include <string.h>

/* The name the alert's run is listed under ("train #2"); its id when it is not listed. */
static const char *
run_label(const tw_view *v, const tw_alert *e)
{
    for (size_t i = 0; i < v->runs_list.n; i++)
        if (v->rows[i].run && strcmp(v->rows[i].id, e->run) == 0)
            return tw_view_run_label(v->rows[i].run);
    return NULL;
}

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

void
tw_view_draw_alerts(const tw_view *v, tw_rect r)
{
    if (!r.w)
        return;
    size_t n = v->alerts ? tw_alerts_count(v->alerts) : 0;
    size_t unacked = v->alerts ? tw_alerts_unacked(v->alerts) : 0;
    size_t active = v->alerts ? tw_alerts_active(v->alerts) : 0;
    char glpk[64], line[TW_ALERT_TEXT_MAX + 4 * TW_WIRE_MAX_NAME];
    snprintf(glpk, sizeof glpk, "%s", v->glpk);
    if (v->notice[0]) /* a notice (a failing --on-alert command) takes the right side */
        tw_view_ellipsize(v, glpk, sizeof glpk, v->notice, 63); /* by columns */
    int right = glpk[0] ? tw_view_text_cols(glpk) + 2 : 0;
    if (right >= r.w / 2)
        right = 0;
    if (r.h > 1) {
        char title[96];
        snprintf(title, sizeof title, " ALERTS  %llu fired, %zu active, %zu new",
                 (unsigned long long)(v->alerts ? tw_alerts_fired(v->alerts) : 0), active, unacked);
        tw_view_pane_title(tw_rect_row(r, 0), false, title, "(a closes, A acknowledges)");
        if (n == 0)
            tw_view_put(r.y + 1, r.x + 1, r.w - 1, A_DIM, 0, "no alerts");
        /* newest first */
        for (int row = 1; row < r.h && (size_t)row <= n; row++) {
            size_t i = n - (size_t)row;
            const tw_alert *e = tw_alerts_at(v->alerts, i);
            attr_t attr;
            short pair;
            alert_attr(v, e, i >= n - unacked, &attr, &pair);
            tw_alert_format(e, run_label(v, e), line, sizeof line);
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
        tw_alert_format(e, run_label(v, e), line, sizeof line);
        tw_view_put(r.y, r.x + x, r.w - right - x, attr, pair, line);
    }
    if (right)
        tw_view_put(r.y, r.x + r.w - right + 2, right - 2, A_NORMAL, 0, glpk);
}
