/* alerts.c - the alert engine: walks the store, runs the rules of alert_rules.c's table, and
 * keeps the list of fired and cleared events (see alerts.h for the design note). */
#include "alerts_impl.h"
#include "reserve.h"

#include <errno.h>
#include <math.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* The engine                                                                                   */

/* A new engine with config c (NULL: the defaults); NULL with errno ENOMEM. */
tw_alerts *
tw_alerts_new(const tw_alert_config *c)
{
    if (c && tw_alert_config_check(c, NULL, 0) != 0) {
        errno = EINVAL;
        return NULL;
    }
    tw_alerts *a = calloc(1, sizeof(*a));
    if (!a) {
        errno = ENOMEM;
        return NULL;
    }
    a->c = c ? *c : tw_alert_defaults();
    a->next_id = 1;
    return a;
}

/* Frees the engine; NULL-safe, sets *ap to NULL. */
void
tw_alerts_destroy(tw_alerts **ap)
{
    if (!ap || !*ap)
        return;
    tw_alerts *a = *ap;
    for (size_t i = 0; i < a->n_runs; i++)
        free(a->runs[i].series);
    free(a->runs);
    free(a->events);
    free(a->v);
    free(a->tr);
    free(a->se);
    free(a->ep);
    free(a);
    *ap = NULL;
}

/* The engine's config (owned by the engine). */
const tw_alert_config *
tw_alerts_config(const tw_alerts *a)
{
    return &a->c;
}

/* See alerts_impl.h. */
tw_alert *
tw_alert_add_event(tw_alerts *a, bool cleared, tw_alert_rule rule, const char *name, double now,
                   const tw_store_run *run, const tw_store_series *s)
{
    if (!cleared)
        a->fired++;
    if (cleared && a->active > 0)
        a->active--;
    else if (!cleared)
        a->active++;
    uint64_t id = a->next_id++;
    if (a->n_events >= TW_ALERTS_MAX_EVENTS) {
        a->lost++;
        return NULL;
    }
    if (a->n_events == a->cap_events) {
        size_t cap = a->cap_events ? 2 * a->cap_events : 32;
        tw_alert *ne = realloc(a->events, cap * sizeof(*ne));
        if (!ne) {
            a->lost++;
            return NULL;
        }
        a->events = ne;
        a->cap_events = cap;
    }
    tw_alert *e = &a->events[a->n_events++];
    memset(e, 0, sizeof *e);
    e->id = id;
    e->cleared = cleared;
    e->rule = rule;
    e->name = name;
    e->severity = cleared ? TW_ALERT_INFO : tw_alert_rules[rule].severity;
    e->time = now;
    e->value = NAN;
    snprintf(e->run, sizeof e->run, "%s", run->id);
    if (s) {
        snprintf(e->metric, sizeof e->metric, "%s", s->name);
        e->split = s->split;
    }
    return e;
}

/* See alerts_impl.h. */
void
tw_alert_say(tw_alert *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
}

/* Makes sure the run and series slots exist. */
static int
grow_slots(tw_alerts *a, const tw_store *s)
{
    size_t nr = tw_store_run_count(s);
    if (nr > a->n_runs) {
        tw_alert_run_slot *r = realloc(a->runs, nr * sizeof(*r));
        if (!r)
            return -ENOMEM;
        memset(r + a->n_runs, 0, (nr - a->n_runs) * sizeof(*r));
        a->runs = r;
        a->n_runs = nr;
    }
    for (size_t i = 0; i < nr; i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        tw_alert_run_slot *rs = &a->runs[i];
        if (run->n_series > rs->n_series) {
            tw_alert_series_slot *ss = realloc(rs->series, run->n_series * sizeof(*ss));
            if (!ss)
                return -ENOMEM;
            memset(ss + rs->n_series, 0, (run->n_series - rs->n_series) * sizeof(*ss));
            rs->series = ss;
            rs->n_series = run->n_series;
        }
    }
    return 0;
}

/* Grows the four parallel scratch arrays (values, train values, standard errors, epochs) to n
 * elements; they share one capacity. 0, or -ENOMEM with cap_vals unchanged (arrays already
 * grown stay valid). */
static int
reserve_vals(tw_alerts *a, size_t n)
{
    size_t cap_v = a->cap_vals, cap_tr = a->cap_vals, cap_se = a->cap_vals, cap_ep = a->cap_vals;
    if (!tw_reserve((void **)&a->v, &cap_v, n, sizeof *a->v) ||
        !tw_reserve((void **)&a->tr, &cap_tr, n, sizeof *a->tr) ||
        !tw_reserve((void **)&a->se, &cap_se, n, sizeof *a->se) ||
        !tw_reserve((void **)&a->ep, &cap_ep, n, sizeof *a->ep))
        return -ENOMEM;
    a->cap_vals = cap_v; /* the same growth from the same capacity: all four agree */
    return 0;
}

/* The final value of `train` at `epoch` (NaN when none); *k is a cursor (points sorted). */
static double
train_at(const tw_store_series *train, uint64_t epoch, size_t *k)
{
    if (!train)
        return NAN;
    while (*k < train->n_points && train->points[*k].epoch < epoch)
        (*k)++;
    if (*k < train->n_points && train->points[*k].epoch == epoch && train->points[*k].final)
        return train->points[*k].value;
    return NAN;
}

/* Fills a->v, a->tr, a->ep with the final finite values of val (and train at those epochs).
 * Returns how many, or -ENOMEM. */
static long
gather(tw_alerts *a, const tw_store_series *val, const tw_store_series *train)
{
    if (reserve_vals(a, val->n_points + 1) != 0)
        return -ENOMEM;
    size_t n = 0, k = 0;
    for (size_t i = 0; i < val->n_points; i++) {
        const tw_store_point *p = &val->points[i];
        if (!p->final || !isfinite(p->value))
            continue;
        a->v[n] = p->value;
        a->se[n] = p->value_se;
        a->ep[n] = p->epoch;
        a->tr[n] = train_at(train, p->epoch, &k);
        n++;
    }
    return (long)n;
}

/* Marks the validation series that got final values since the last evaluation (the store's
 * finals from this engine's cursor; the slots exist: grow_slots ran). Sets a->rescan when
 * some finals were lost or let go before this engine read them. */
static void
collect_dirty(tw_alerts *a, const tw_store *s)
{
    tw_store_final f[64];
    size_t n;
    if (tw_store_finals_lost(s) != a->finals_lost || a->finals_cursor < tw_store_finals_first(s)) {
        a->finals_lost = tw_store_finals_lost(s);
        a->rescan = true; /* entries this reader did not see */
    }
    while ((n = tw_store_finals_since(s, &a->finals_cursor, f, 64)) > 0)
        for (size_t i = 0; i < n; i++)
            if (f[i].series->split == TW_SPLIT_VAL && f[i].run_index < a->n_runs &&
                f[i].series_index < a->runs[f[i].run_index].n_series)
                a->runs[f[i].run_index].series[f[i].series_index].dirty = true;
}

/* Calls the evaluation of every rule of the scope that is on, in table order. */
static void
eval_scope(const tw_alert_ctx *x, tw_alert_scope scope)
{
    for (int r = 0; r < TW_ALERT_N_RULES; r++)
        if (tw_alert_rules[r].scope == scope && x->a->c.on[r])
            tw_alert_rules[r].eval(x);
}

/* Evaluates the rules over the store at time now: see alerts.h. Returns how many events
 * were added, -EINVAL or -ENOMEM. */
int
tw_alerts_eval(tw_alerts *a, const tw_store *s, double now)
{
    if (!a || !s)
        return -EINVAL;
    uint64_t changes = tw_store_changes(s);
    if (a->evaluated && changes == a->seen_changes && now < a->recheck)
        return 0;
    a->recheck = INFINITY;
    if (!a->evaluated)
        a->rescan = true;
    if (grow_slots(a, s) != 0)
        return -ENOMEM;
    collect_dirty(a, s);
    size_t before = a->next_id;
    for (size_t ri = 0; ri < tw_store_run_count(s); ri++) {
        const tw_store_run *run = tw_store_run_at(s, ri);
        tw_alert_ctx x = {.a = a, .run = run, .rs = &a->runs[ri], .now = now};
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *val = tw_store_run_series(run, si);
            tw_alert_series_slot *ss = &x.rs->series[si];
            x.s = val;
            x.ss = ss;
            x.train = NULL;
            eval_scope(&x, TW_ALERT_PER_SERIES);
            bool goal_changed = ss->goal_seen != val->goal;
            ss->goal_seen = val->goal;
            if (val->split != TW_SPLIT_VAL || val->goal == TW_GOAL_UNKNOWN ||
                (!goal_changed && !ss->dirty && !a->rescan))
                continue; /* per epoch: only series with new final values, or a new goal */
            x.train = tw_store_find_series(run, val->name, TW_SPLIT_TRAIN);
            long n = gather(a, val, x.train);
            if (n < 0) {
                a->rescan = true;
                return -ENOMEM;
            }
            for (x.i = ss->done; x.i < (size_t)n; x.i++)
                eval_scope(&x, TW_ALERT_PER_EPOCH);
            if ((size_t)n > ss->done)
                ss->done = (size_t)n;
            ss->dirty = false;
        }
        x.s = x.train = NULL;
        x.ss = NULL;
        eval_scope(&x, TW_ALERT_PER_RUN);
    }
    a->seen_changes = changes;
    a->evaluated = true;
    a->rescan = false;
    return (int)(a->next_id - before);
}

/* The store's finals this engine has read: see alerts.h. */
uint64_t
tw_alerts_finals_read(const tw_alerts *a)
{
    return a ? a->finals_cursor : 0;
}

/* When the engine wants to be evaluated again without new data: see alerts.h. */
double
tw_alerts_next_due(const tw_alerts *a)
{
    return a && a->evaluated ? a->recheck : INFINITY;
}

/* How many events are kept. */
size_t
tw_alerts_count(const tw_alerts *a)
{
    return a->n_events;
}

/* The i-th event kept, NULL when out of range; valid until the next tw_alerts_eval. */
const tw_alert *
tw_alerts_at(const tw_alerts *a, size_t i)
{
    return i < a->n_events ? &a->events[i] : NULL;
}

/* Events that fired, including those not kept. */
uint64_t
tw_alerts_fired(const tw_alerts *a)
{
    return a->fired;
}

/* Events not kept. */
uint64_t
tw_alerts_lost(const tw_alerts *a)
{
    return a->lost;
}

/* Conditions that hold now. */
size_t
tw_alerts_active(const tw_alerts *a)
{
    return a->active;
}

/* Fired events not yet acknowledged. */
size_t
tw_alerts_unacked(const tw_alerts *a)
{
    size_t n = 0;
    for (size_t i = a->acked; i < a->n_events; i++)
        if (!a->events[i].cleared)
            n++;
    return n;
}

/* Acknowledges every event so far. */
void
tw_alerts_ack(tw_alerts *a)
{
    a->acked = a->n_events;
}

/* Writes the event as one line of text: see alerts.h. Returns what snprintf returns. */
int
tw_alert_format(const tw_alert *e, const char *run_label, char *buf, size_t len)
{
    char when[32] = "?";
    time_t t = (time_t)e->time;
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%H:%M:%S", &tm);
    char where[2 * TW_WIRE_MAX_NAME + 16] = "";
    if (e->metric[0])
        snprintf(where, sizeof where, " %s/%s", e->metric, tw_wire_split_name(e->split));
    char ep[32] = "";
    if (e->epoch)
        snprintf(ep, sizeof ep, " epoch %llu", (unsigned long long)e->epoch);
    return snprintf(buf, len, "%s %s%s%s %s %s: %s", when, run_label ? run_label : e->run, where,
                    ep, e->name, e->cleared ? "cleared" : "fired", e->text);
}
