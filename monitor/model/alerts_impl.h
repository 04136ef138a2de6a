/* alerts_impl.h - the alert engine's internals, shared by alerts.c (the engine),
 * alert_rules.c (the rule table and each rule's evaluation) and alert_config.c (the --alert
 * parser). Not a public header: nothing outside monitor/model includes it.
 *
 * Design note. A rule is one row of tw_alert_rules (alert_rules.c): its name, whether it is
 * on by default, the severity of its fired events, its scope and its evaluation function.
 * The engine (tw_alerts_eval) walks the store and, for each scope, calls the function of every
 * rule of that scope that is on, in table order: per series (each series, before its epoch
 * rules), per epoch (each new final value of a validation series, with the engine's scratch
 * arrays filled) and per run (after the run's series). A function reads and updates its own
 * part of the slots below and reports transitions with tw_alert_add_event and tw_alert_say.
 * A rule's parameters are rows of the parameter table in alert_config.c. */
#ifndef TW_ALERTS_IMPL_H
#define TW_ALERTS_IMPL_H

#include "alerts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The epoch rules, in the order of a series slot's arrays. */
#define TW_ALERT_N_EPOCH_RULES 5 /* overfitting, gl, pq, up, patience: TW_ALERT_OVERFITTING.. */

/* Per-series state. */
typedef struct tw_alert_series_slot {
    size_t done;       /* values processed */
    tw_goal goal_seen; /* the series' goal when last evaluated: a goal declared later (another
                          rank, a restart) makes its final values evaluable without new ones */
    bool dirty;        /* final values arrived since its last evaluation (the store's finals) */
    bool active[TW_ALERT_N_EPOCH_RULES];
    /* overfitting: the best so far (beyond min_delta) */
    size_t of_best;
    /* patience: Keras's state */
    bool p_has_best;
    double p_best;
    uint64_t p_best_epoch;
    uint64_t p_wait;
    bool nonfinite_fired;
} tw_alert_series_slot;

/* Per-run state. */
typedef struct tw_alert_run_slot {
    tw_alert_series_slot *series;
    size_t n_series;
    tw_store_state bad; /* the state that fired (LIVE: none) */
    bool crashed;       /* fired "ended without a run-end record" */
    bool loss_fired;
    double loss_since; /* when sequence gaps were first seen, 0: none */
} tw_alert_run_slot;

struct tw_alerts {
    tw_alert_config c;
    tw_alert_run_slot *runs;
    size_t n_runs;
    tw_alert *events;
    size_t n_events, cap_events;
    uint64_t next_id, fired, lost;
    size_t acked; /* events before this index are acknowledged */
    size_t active;
    uint64_t seen_changes;
    bool evaluated;
    /* the store's finals read so far (they mark series slots dirty); every validation series
     * is evaluated when rescan is set (the first time, after finals were lost or let go,
     * after -ENOMEM) */
    uint64_t finals_cursor, finals_lost;
    bool rescan;
    double recheck; /* evaluate again at this time even without new data (INFINITY: no) */
    /* scratch arrays of one series' values */
    double *v, *tr, *se; /* se: the values' standard errors (NaN: none) */
    uint64_t *ep;
    size_t cap_vals;
};

/* What a rule's evaluation function sees. */
typedef struct tw_alert_ctx {
    tw_alerts *a;
    const tw_store_run *run;
    tw_alert_run_slot *rs;
    /* per series and per epoch: the series and its slot; NULL per run */
    const tw_store_series *s;
    tw_alert_series_slot *ss;
    /* per epoch: the training series of the same name (or NULL), and the index of the value
     * in the engine's scratch arrays (a->v, a->tr, a->ep hold s's final finite values) */
    const tw_store_series *train;
    size_t i;
    double now;
} tw_alert_ctx;

/* When a rule is evaluated. */
typedef enum tw_alert_scope {
    TW_ALERT_PER_SERIES, /* every series, each evaluation */
    TW_ALERT_PER_EPOCH,  /* each new final value of a validation series with a known goal */
    TW_ALERT_PER_RUN     /* every run, after its series */
} tw_alert_scope;

/* One rule: a row of tw_alert_rules. */
typedef struct tw_alert_rule_def {
    const char *name;
    bool on_by_default;
    tw_alert_severity severity; /* of a fired event (its function may set another) */
    tw_alert_scope scope;
    void (*eval)(const tw_alert_ctx *x);
} tw_alert_rule_def;

/* The rules, indexed by tw_alert_rule (alert_rules.c). */
extern const tw_alert_rule_def tw_alert_rules[TW_ALERT_N_RULES];

/* Appends an event of rule `rule` (named `name`, a static string) about run and, unless
 * NULL, series s at time now, with the rule's severity (TW_ALERT_INFO when cleared), and
 * counts it as fired or cleared. Returns the event for the caller to fill, or NULL when it is
 * not kept (counted as lost: past TW_ALERTS_MAX_EVENTS, or memory ran out); the counts are
 * updated either way. (alerts.c) */
tw_alert *tw_alert_add_event(tw_alerts *a, bool cleared, tw_alert_rule rule, const char *name,
                             double now, const tw_store_run *run, const tw_store_series *s);

/* Writes the event's sentence (truncated to TW_ALERT_TEXT_MAX); does nothing when e is NULL.
 * (alerts.c) */
__attribute__((format(printf, 2, 3))) void tw_alert_say(tw_alert *e, const char *fmt, ...);

/* Whether a is worse (better) than b by more than md for the goal. */
static inline bool
worse(double a, double b, double md, tw_goal goal)
{
    return goal == TW_GOAL_MAX ? a < b - md : a > b + md;
}

static inline bool
better(double a, double b, double md, tw_goal goal)
{
    return goal == TW_GOAL_MAX ? a > b + md : a < b - md;
}

/* The split as the word alert texts and JSON use. */
static inline const char *
split_word(tw_split split)
{
    return split == TW_SPLIT_VAL ? "val" : split == TW_SPLIT_TEST ? "test" : "train";
}

#endif
