/* pane_runs.c - the runs table pane: one row a run, varying parameters, the cursor run's
 * details. */
#include "panes.h"

#include <string.h>

/* Widest hyperparameter column of the runs table, and longest run name column. */
#define PARAM_COL_MAX 12
#define NAME_COL_MAX  24
/* The runs table's counters column: records/gaps/drops. */
#define COUNTERS_W 15

static const char *const sort_names[] = {"arrival", "best", "name"};

/* The width a parameter column needs (key and values), at most PARAM_COL_MAX. */
static int
param_width(const tw_view *v, const char *key)
{
    int w = tw_view_text_cols(key);

    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        const tw_wire_param *p = run ? tw_view_find_param(run, key) : NULL;
        char buf[TW_WIRE_MAX_TEXT + 1];
        if (!p)
            continue;
        tw_view_param_text(p, buf, sizeof buf);
        if (tw_view_text_cols(buf) > w)
            w = tw_view_text_cols(buf);
    }
    return w > PARAM_COL_MAX ? PARAM_COL_MAX : w;
}

/* The runs table's columns: name and state widths, the parameter columns that fit and
 * whether the counters column does. */
typedef struct {
    int name_w, state_w;
    int pw[64], npc;
    bool counters;
} run_columns;

/* The identity line of the cursor's run: its label, its id when that differs, host and pid. */
static void
draw_run_identity(const tw_view *v, const tw_store_run *run, int y, int x, int w)
{
    char buf[512];
    short pair;
    attr_t a = tw_view_run_attr(v, tw_view_run_color(v, run), &pair);
    int col = tw_view_put(y, x, w, a | A_BOLD, pair, tw_view_run_label(run));

    if (strcmp(run->id, tw_view_run_label(run)) != 0) {
        tw_view_fmt(buf, sizeof buf, " (%s)", run->id);
        col += tw_view_put(y, x + col, w - col, A_DIM, 0, buf);
    }
    tw_view_fmt(buf, sizeof buf, "  %s%s%llu %s", run->host, run->host[0] ? ":" : "pid ",
                (unsigned long long)run->pid, run->program);
    if (run->pid || run->host[0])
        tw_view_put(y, x + col, w - col, A_DIM, 0, buf);
}

/* Detail lines of the cursor's run: identity, progress, counters, reason, every parameter.
 * Returns the rows used (at most h). */
static int
draw_run_detail(const tw_view *v, const tw_store_run *run, int y, int x, int w, int h)
{
    const tw_store_counters *c = &run->counters;
    char buf[512];
    int row = 0, col;

    if (h <= 0)
        return 0;
    draw_run_identity(v, run, y, x, w);
    row++;
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
        uint64_t bad = c->bad_state + c->bad_decl + c->bad_rank + c->world_changes;
        if (bad)
            tw_view_fmt(buf + strlen(buf), sizeof buf - strlen(buf), "  bad %llu",
                        (unsigned long long)bad);
        tw_view_put(y + row++, x, w, c->gaps || c->drops ? A_BOLD : A_NORMAL, 0, buf);
    }
    if (row < h && tw_store_dropped_text(run, buf, sizeof buf))
        tw_view_put(y + row++, x, w, A_NORMAL, 0, buf);
    if (row < h && run->reason[0]) {
        tw_view_fmt(buf, sizeof buf, "%s: %s", tw_store_state_name(run->state), run->reason);
        tw_view_put(y + row++, x, w, A_NORMAL, tw_view_state_pair(v, run->state), buf);
    }
    if (row < h && run->n_marks) {
        size_t len;
        tw_view_fmt(buf, sizeof buf, "restarted at epoch%s", run->n_marks > 1 ? "s" : "");
        for (size_t i = 0; i < run->n_marks && (len = strlen(buf)) < sizeof buf - 24; i++)
            tw_view_fmt(buf + len, sizeof buf - len, "%s %llu", i ? "," : "",
                        (unsigned long long)run->marks[i].epoch);
        len = strlen(buf);
        tw_view_fmt(buf + len, sizeof buf - len, " (%s on the chart)",
                    tw_view_glyph(v, "\xe2\x94\x82", "|"));
        tw_view_put(y + row++, x, w, A_NORMAL, 0, buf);
    }
    if (row < h && tw_store_lag_text(run, buf, sizeof buf))
        tw_view_put(y + row++, x, w, A_BOLD, tw_view_state_pair(v, TW_STATE_STALLED), buf);
    /* Every parameter, wrapped over the remaining rows. */
    col = 0;
    if (row < h && run->n_params) {
        col = tw_view_put(y + row, x, w, A_DIM, 0, "params ");
        for (uint32_t p = 0; p < run->n_params; p++) {
            char val[TW_WIRE_MAX_TEXT + 1];
            int need;
            tw_view_param_text(&run->params[p], val, sizeof val);
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

/* The columns of the runs table in width w: mark, name, state, best@ep, then the varying
 * parameters and the counters as fit. */
static void
runs_columns(const tw_view *v, int w, run_columns *c)
{
    const tw_view_names *keys = &v->param_keys;
    int used;

    c->name_w = 0;
    c->npc = 0;
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        int n = run ? tw_view_text_cols(tw_view_run_label(run)) + 1 : 0;
        if (n > c->name_w)
            c->name_w = n;
    }
    if (c->name_w > NAME_COL_MAX)
        c->name_w = NAME_COL_MAX;
    if (c->name_w < 6)
        c->name_w = 6;
    /* The state column fits the longest state shown ("disconnected" widens it). */
    c->state_w = 8;
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        int n = run ? (int)strlen(tw_store_state_name(run->state)) : 0;
        if (n > c->state_w)
            c->state_w = n;
    }
    used = 2 + c->state_w + 1 + 11; /* mark, " state   ", " best@ep" */
    if (used + c->name_w > w)
        c->name_w = w - used > 4 ? w - used : 4;
    used += c->name_w;
    /* The counters column goes in when it leaves room for one parameter (or there is none). */
    c->counters = used + COUNTERS_W + (keys->n ? param_width(v, keys->v[0].s) + 1 : 0) <= w;
    if (c->counters)
        used += COUNTERS_W;
    for (size_t k = 0; k < keys->n && c->npc < 64; k++) {
        int pw = param_width(v, keys->v[k].s);
        if (used + pw + 1 > w)
            break;
        c->pw[c->npc++] = pw;
        used += pw + 1;
    }
}

/* The runs table's header row at (y, x). */
static void
draw_runs_header(const tw_view *v, const run_columns *c, int y, int x)
{
    tw_view_put(y, x, c->name_w, A_DIM, 0, "run");
    x += c->name_w;
    tw_view_put(y, x + 1, c->state_w, A_DIM, 0, "state");
    x += c->state_w + 1;
    tw_view_put_right(y, x, 11, A_DIM, 0, "best@ep");
    x += 11;
    for (int k = 0; k < c->npc; k++) {
        tw_view_put_right(y, x, c->pw[k] + 1, A_DIM, 0, v->param_keys.v[k].s);
        x += c->pw[k] + 1;
    }
    if (c->counters)
        tw_view_put_right(y, x, COUNTERS_W, A_DIM, 0, "rec/gap/drop");
}

/* Row i of the runs table at line y of r: swatch, name, state, best@ep, parameters, counters;
 * the cursor's row highlighted. */
static void
draw_run_row(const tw_view *v, const run_columns *c, size_t i, int y, tw_rect r)
{
    const tw_store_run *run = v->rows[i].run;
    const tw_store_series *b;
    bool focused = v->focus == TW_FOCUS_RUNS;
    bool is_cur = i == v->runs_list.sel, hidden;
    attr_t a = is_cur ? (focused ? A_REVERSE : A_BOLD) : A_NORMAL;
    short pair;
    attr_t ra;
    char num[32], buf[256];
    int x = r.x;

    if (!run)
        return;
    hidden = v->rows[i].hidden;
    if (is_cur)
        tw_view_fill(y, r.x, r.w, a, 0);
    /* The swatch in the attributes of the run's chart line (reversed on the cursor). */
    ra = tw_view_run_line_attr(v, v->rows[i].color, &pair);
    if (hidden)
        tw_view_put(y, x, 2, a | A_DIM, 0, tw_view_glyph(v, "\xe2\x96\xa1 ", "- "));
    else
        tw_view_put(y, x, 2, focused && is_cur ? a | A_BOLD : ra, focused && is_cur ? 0 : pair,
                    tw_view_glyph(v, "\xe2\x96\xa0 ", "# "));
    x += 2;
    tw_view_ellipsize(v, buf, sizeof buf, tw_view_run_label(run), c->name_w - 1);
    tw_view_put(y, x, c->name_w, a | (hidden ? A_DIM : 0), 0, buf);
    x += c->name_w;
    if (run->lag_epoch && run->state == TW_STATE_LIVE) /* live, but an epoch waits */
        tw_view_put(y, x + 1, c->state_w, a,
                    is_cur && focused ? 0 : tw_view_state_pair(v, TW_STATE_STALLED), "lagging");
    else /* a trial that is over says how: complete, pruned, failed */
        tw_view_put(y, x + 1, c->state_w, a,
                    is_cur && focused ? 0 : tw_view_state_pair(v, run->state),
                    tw_view_trial_state_text(run) ? tw_view_trial_state_text(run)
                                                  : tw_store_state_name(run->state));
    x += c->state_w + 1;
    b = tw_view_best_series(run, v->metric);
    if (b && b->has_best) {
        tw_view_fmt_value(num, sizeof num, true, b->best_value);
        tw_view_fmt(buf, sizeof buf, "%s@%llu", num, (unsigned long long)b->best_epoch);
    } else {
        tw_view_fmt(buf, sizeof buf, "-");
    }
    tw_view_put_right(y, x, 11, a, 0, buf);
    x += 11;
    for (int k = 0; k < c->npc; k++) {
        const tw_wire_param *p = tw_view_find_param(run, v->param_keys.v[k].s);
        char val[TW_WIRE_MAX_TEXT + 1];
        if (p)
            tw_view_param_text(p, val, sizeof val);
        else
            tw_view_fmt(val, sizeof val, "-");
        val[c->pw[k]] = '\0';
        tw_view_put_right(y, x, c->pw[k] + 1, a, 0, val);
        x += c->pw[k] + 1;
    }
    if (c->counters) {
        tw_view_fmt(buf, sizeof buf, "%llu/%llu/%llu", (unsigned long long)run->counters.records,
                    (unsigned long long)run->counters.gaps,
                    (unsigned long long)run->counters.drops);
        tw_view_put_right(y, x, COUNTERS_W,
                          a | (run->counters.gaps || run->counters.drops ? A_BOLD : 0), 0, buf);
    }
}

void
tw_view_draw_runs(const tw_view *v, const tw_store *s, tw_rect r)
{
    bool focused = v->focus == TW_FOCUS_RUNS;
    run_columns c;
    int y = r.y, detail_h, page, avail;
    char extra[192], buf[256];
    const tw_store_run *cur = tw_view_cursor_run(v);

    if (r.h < 2 || r.w < 10 || !s)
        return;
    tw_view_fmt(extra, sizeof extra, "%zu of %zu  sort: %s%s%s", v->runs_list.n,
                tw_store_run_count(s), sort_names[v->sort],
                v->sort == TW_SORT_BEST && v->metric[0] ? " " : "",
                v->sort == TW_SORT_BEST ? v->metric : "");
    tw_view_pane_title(tw_rect_row(r, 0), focused, " RUNS", extra);
    y++;
    if (v->runs_list.n == 0) {
        tw_view_put(y, r.x + 1, r.w - 1, A_DIM, 0,
                    v->has_filter ? "no run matches the filter" : "no runs yet");
        return;
    }

    runs_columns(v, r.w, &c);
    avail = tw_view_runs_page(r.h, &detail_h);
    if (r.h >= 4) {
        draw_runs_header(v, &c, y, r.x + 2);
        y++;
    }
    page = avail;
    for (size_t i = v->runs_list.top; i < v->runs_list.n && y < r.y + 1 + (r.h >= 4) + avail;
         i++, y++)
        draw_run_row(v, &c, i, y, r);
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
        tw_view_pane_title(tw_rect_row(r, 0), focused, " RUNS", buf);
    }
}
