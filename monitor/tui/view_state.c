/* view_state.c - the view's state beside the drawing: names, run rows, filter, hidden runs,
 * and tw_view_sync, which rebuilds what the panes show from the store (the update path). */
#include "view_state.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
tw_view_names_push(tw_view_names *a, const char *s)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        tw_view_name *p = realloc(a->v, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        a->v = p;
        a->cap = cap;
    }
    snprintf(a->v[a->n].s, sizeof a->v[a->n].s, "%s", s);
    a->n++;
    return 0;
}

long
tw_view_names_find(const tw_view_names *a, const char *s)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].s, s) == 0)
            return (long)i;
    return -1;
}

/* Removes entry i of a name array, keeping the order. */
void
tw_view_names_remove(tw_view_names *a, size_t i)
{
    if (i >= a->n)
        return;
    memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof a->v[0]);
    a->n--;
}

const char *
tw_view_run_label(const tw_store_run *run)
{
    return run->label[0] ? run->label : run->name[0] ? run->name : run->id;
}

bool
tw_view_run_matches(const tw_view *v, const tw_store_run *run)
{
    if (!v->has_filter)
        return true;
    return regexec(&v->filter_re, tw_view_run_label(run), 0, NULL, 0) == 0 ||
           regexec(&v->filter_re, run->id, 0, NULL, 0) == 0;
}

/* Orders names for qsort and bsearch. */
int
tw_view_names_cmp(const void *a, const void *b)
{
    return strcmp(((const tw_view_name *)a)->s, ((const tw_view_name *)b)->s);
}

bool
tw_view_run_hidden(const tw_view *v, const char *id)
{
    tw_view_name key;

    if (v->hidden.n == 0)
        return false;
    snprintf(key.s, sizeof key.s, "%s", id);
    return bsearch(&key, v->hidden.v, v->hidden.n, sizeof key, tw_view_names_cmp) != NULL;
}

int
tw_view_run_color(const tw_view *v, const tw_store_run *run)
{
    for (size_t i = 0; i < v->runs_list.n; i++)
        if (v->rows[i].run == run)
            return v->rows[i].color;
    return 1;
}

/* Compiles text as the run filter (empty: no filter). On a bad expression the filter is
 * unchanged and err receives regerror's sentence. Returns 0 or -EINVAL. */
int
tw_view_set_filter(tw_view *v, const char *text, char *err, size_t errlen)
{
    regex_t re;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!text || !text[0]) {
        if (v->has_filter)
            regfree(&v->filter_re);
        v->has_filter = false;
        v->filter[0] = '\0';
        return 0;
    }
    rc = regcomp(&re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
        if (err && errlen)
            regerror(rc, &re, err, errlen);
        return -EINVAL;
    }
    if (v->has_filter)
        regfree(&v->filter_re);
    v->filter_re = re;
    v->has_filter = true;
    snprintf(v->filter, sizeof v->filter, "%s", text);
    return 0;
}

/* The series whose best value ranks a run for `metric`: validation when it has a best,
 * else training, else whichever exists (NULL when none). */
const tw_store_series *
tw_view_best_series(const tw_store_run *run, const char *metric)
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

/* Runs of no study first, then each study's trials together (studies in order of arrival),
 * a study's by leaderboard tier (complete and running, pruned, failed). */
static int
cmp_group(const tw_view_row *a, const tw_view_row *b)
{
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->group && a->tier != b->tier)
        return a->tier < b->tier ? -1 : 1;
    return 0;
}

/* Best value first (runs without one last), then arrival. */
static int
cmp_best(const void *pa, const void *pb)
{
    const tw_view_row *a = pa, *b = pb;
    int g = cmp_group(a, b);

    if (g)
        return g;
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
    int g = cmp_group(a, b);
    if (g)
        return g;
    int c = strcmp(tw_view_run_label(a->run), tw_view_run_label(b->run));
    return c ? c : cmp_order(a, b);
}

/* Arrival order; a study's trials by their best value all the same (its leaderboard). */
static int
cmp_arrival(const void *pa, const void *pb)
{
    const tw_view_row *a = pa, *b = pb;
    if (a->group || b->group)
        return cmp_best(pa, pb);
    return cmp_order(pa, pb);
}

/* The run under the runs cursor (NULL when there is none). */
const tw_store_run *
tw_view_cursor_run(const tw_view *v)
{
    if (v->runs_list.n == 0 || v->runs_list.sel >= v->runs_list.n)
        return NULL;
    return v->rows[v->runs_list.sel].run;
}

/* A parameter's value as text. */
void
tw_view_param_text(const tw_wire_param *p, char *buf, size_t size)
{
    if (p->is_number)
        snprintf(buf, size, "%.4g", p->number);
    else
        snprintf(buf, size, "%s", p->text);
}

/* The run's parameter called key, or NULL. */
const tw_wire_param *
tw_view_find_param(const tw_store_run *run, const char *key)
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
varying_params(const tw_view *v, tw_view_names *keys, tw_view_names *seen)
{
    keys->n = 0;
    seen->n = 0;
    for (size_t i = 0; i < v->runs_list.n; i++) {
        const tw_store_run *run = v->rows[i].run;
        for (uint32_t p = 0; p < run->n_params; p++) {
            const char *key = run->params[p].key;
            char a[TW_WIRE_MAX_TEXT + 1], b[TW_WIRE_MAX_TEXT + 1];
            bool varies = v->runs_list.n == 1 || i > 0; /* runs before this one lack the key */

            if (tw_view_names_find(seen, key) >= 0 || tw_view_study_key(key))
                continue;
            tw_view_names_push(seen, key);
            tw_view_param_text(&run->params[p], a, sizeof a);
            for (size_t j = i + 1; j < v->runs_list.n && !varies; j++) {
                const tw_wire_param *q = tw_view_find_param(v->rows[j].run, key);
                if (!q) {
                    varies = true;
                    break;
                }
                tw_view_param_text(q, b, sizeof b);
                varies = strcmp(a, b) != 0;
            }
            if (varies)
                tw_view_names_push(keys, key);
        }
    }
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
        const tw_store_series *b = tw_view_best_series(row->run, v->metric);
        row->has_key = b && b->has_best && !isnan(b->best_value);
        row->key = row->has_key ? (b->goal == TW_GOAL_MAX ? -b->best_value : b->best_value) : 0;
    }
    tw_view_study_rows(v, s, k); /* a study's trials: grouped, ranked by its objective */
    if (k > 0)                   /* row_info is NULL until the first run arrives */
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

    /* What the runs table and the alerts line show beside the rows. */
    varying_params(v, &v->param_keys, &v->param_seen);
    gl_pk_text(v, s, v->glpk, sizeof v->glpk);
}
