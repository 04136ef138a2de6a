/* alerts.h - alert rules over the store: overfitting, Prechelt's GL/PQ/UP, patience, and more.
 *
 * Design note. The rules are pure functions of the store (no curses, no I/O, no global state).
 * An engine (tw_alerts) is fed the store when data arrived or the clock ticked
 * (tw_alerts_eval) and keeps, per run, per metric and per rule, whether the condition holds,
 * so that a condition fires once when it starts to hold and clears once when it stops; each
 * transition is appended to the engine's list of events, which the UI and headless code read.
 *
 * Epoch rules read the final, finite per-epoch values of each validation series whose goal is
 * known (declared, else inferred from the kind and name), in epoch order, with the training
 * series of the same name where the rule needs it. "Worse" and "better" follow the goal; for
 * a metric to maximise, the generalization loss is the relative drop from the best,
 * GL = 100 (E_opt - E) / |E_opt|, and training progress is P_k = 1000 (k max / sum - 1),
 * so both are >= 0 as for a metric to minimise (GL = 100 (E / E_opt - 1), P_k = 1000
 * (sum / (k min) - 1), Prechelt 1998). Strips are counted over the values seen: the n-th
 * value ends a strip when n is a multiple of k. A restart that replaces epochs already
 * evaluated does not re-evaluate them.
 *
 * Rules (name: parameters, defaults):
 *   overfitting: k = 3, min_delta = 0, z = 0.1, floor = 0.5, samples = 10, slope = 6. Fires
 *       at epoch t when the best validation value is at least k epochs old, each of the last k
 *       values is worse than it by more than min_delta and beyond the noise (its excess d is
 *       more than floor % of the best, more than z standard errors of the value when it has
 *       one, and for the binomial kinds at least `samples` samples: d p (1 - p) / SE^2 >=
 *       samples), the value at t is worse than at t - k, the least-squares slope of the last
 *       `slope` values (all of them when fewer) points the worse way (slope = 0: no such
 *       test), and the training value at t is better than at t - k. Clears when validation
 *       makes a new best (by more than min_delta). On.
 *       doc/alerts.md has the definitions and how the defaults were tuned.
 *   gl: alpha = 5. Fires while GL(t) > alpha.
 *   pq: alpha = 0.5, k = 5. At a strip's end: fires while GL(t) / P_k(t) > alpha.
 *   up: s = 3, k = 5. At a strip's end: fires while validation was worse than k values earlier
 *       at the end of each of the last s strips.
 *   patience: patience = 5, min_delta = 0, baseline = none, start_from_epoch = 0. Keras's
 *       EarlyStopping: values of epochs <= start_from_epoch are skipped; a value improves on
 *       the best when better by more than |min_delta| (the first value always does); the wait
 *       counts values since the last improvement that also beat the baseline; fires while
 *       wait >= patience, clears at such an improvement.
 *   nonfinite: any NaN or +-Inf in any metric (per step or per epoch), once per series. On.
 *   stalled: a run stalled or vanished (the store's clocks: 3 and 10 heartbeats, or its
 *       process gone), failed, or ended without a run-end record; clears when it is live
 *       again. On.
 *   dataloss: records the publisher reported dropped (at once), or sequence gaps that last
 *   3 s (a replay fills the gaps a late joiner sees first), once per run. On.
 *
 * Events are kept up to TW_ALERTS_MAX_EVENTS; later ones are counted, not kept. Not
 * thread-safe: one thread owns an engine. */
#ifndef TW_ALERTS_H
#define TW_ALERTS_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_ALERTS_MAX_EVENTS 4096u
#define TW_ALERT_TEXT_MAX    256 /* a sentence, NUL included */

typedef enum tw_alert_rule {
    TW_ALERT_OVERFITTING = 0,
    TW_ALERT_GL,
    TW_ALERT_PQ,
    TW_ALERT_UP,
    TW_ALERT_PATIENCE,
    TW_ALERT_NONFINITE,
    TW_ALERT_STALLED,
    TW_ALERT_DATALOSS,
    TW_ALERT_N_RULES
} tw_alert_rule;

typedef enum tw_alert_severity {
    TW_ALERT_INFO = 0, /* a condition cleared */
    TW_ALERT_WARNING = 1,
    TW_ALERT_ERROR = 2 /* non-finite values, a vanished or failed run */
} tw_alert_severity;

/* Which rules are on, and their parameters (see the design note). */
/* Parameter limits, checked by the parser and by tw_alert_config_check. */
#define TW_ALERT_MAX_K        1000u    /* overfitting k, pq k (strip), up s and k */
#define TW_ALERT_MAX_PATIENCE 1000000u /* patience */

typedef struct tw_alert_config {
    bool on[TW_ALERT_N_RULES];
    uint32_t overfit_k;
    double overfit_min_delta;
    double overfit_z;       /* standard errors the excess over the best must pass */
    double overfit_floor;   /* percent of the best the excess must pass */
    double overfit_samples; /* samples a count metric's excess must reach */
    uint32_t overfit_slope; /* latest values whose least-squares slope must point worse; 0: off */
    double gl_alpha;
    double pq_alpha;
    uint32_t pq_k;
    uint32_t up_s, up_k;
    uint32_t patience;
    double patience_min_delta;
    bool has_baseline;
    double baseline;
    uint64_t start_from_epoch;
} tw_alert_config;

/* One event: a condition that fired or cleared. */
typedef struct tw_alert {
    uint64_t id; /* 1, 2, ... in order */
    bool cleared;
    tw_alert_rule rule;
    const char *name; /* static: the rule's name, or for stalled the state ("vanished") */
    tw_alert_severity severity;
    double time; /* the `now` of the evaluation */
    char run[TW_WIRE_MAX_NAME + 1];
    char metric[TW_WIRE_MAX_NAME + 1]; /* "" for run-wide rules (stalled, dataloss) */
    tw_split split;
    uint64_t epoch; /* the epoch it fired or cleared at; 0: none */
    uint64_t step;  /* nonfinite: the step; else 0 */
    bool has_best;
    uint64_t best_epoch;
    double best_value;
    bool has_value; /* value is the metric's value at epoch (for nonfinite it is NaN or
                       +-Inf when the kind is known); false: none (value is NaN) */
    double value;
    char text[TW_ALERT_TEXT_MAX];
} tw_alert;

/* Rule names: "overfitting", "gl", "pq", "up", "patience", "nonfinite", "stalled",
 * "dataloss"; NULL when out of range. */
const char *tw_alert_rule_name(tw_alert_rule rule);

/* The i-th parameter that --alert takes (i from 0), with its rule in *rule; NULL past the
 * last. Rules' parameters come in a row, in the order error messages list them. */
const char *tw_alert_param_key(size_t i, tw_alert_rule *rule);

/* The defaults: overfitting (k = 3), nonfinite, stalled and dataloss on; the others off. */
tw_alert_config tw_alert_defaults(void);

/* Applies one rule spec: "RULE[,key=value...]" turns RULE on and sets its parameters (what
 * --alert takes); with enable false, "RULE" turns it off (--no-alert). Returns 0, or -EINVAL
 * with a sentence in err (truncated to errlen) that starts with the rule ("pq: k=0: expected
 * an integer from 1 to 1000", "'foo': unknown rule (rules: ...)") and does not name the
 * option: the caller prefixes it. c is then unchanged. Names also accepted: "overfit",
 * "nan", "vanished", "drops". */
int tw_alert_config_parse(tw_alert_config *c, const char *arg, bool enable, char *err,
                          size_t errlen);

/* GL of the last of n values (n >= 1): 100 (v[n-1] / min - 1) for TW_GOAL_MIN, 100 (max -
 * v[n-1]) / |max| for TW_GOAL_MAX, over v[0..n-1]; 0 when equal to the best, +Inf when the
 * best is 0 and the last is worse; NaN when n is 0, a value is not finite or the goal is
 * unknown. */
double tw_alert_gl(const double *v, size_t n, tw_goal goal);

/* P_k over the last k of n training values: 1000 (sum / (k min) - 1) for TW_GOAL_MIN,
 * 1000 (k max / sum - 1) for TW_GOAL_MAX; NaN when n < k, k < 1, a value is not finite or the
 * goal is unknown; +Inf when the denominator is 0 and the numerator is not. */
double tw_alert_pk(const double *tr, size_t n, uint32_t k, tw_goal goal);

typedef struct tw_alerts tw_alerts;

/* Checks a configuration built by hand (the parser only ever makes valid ones): every
 * parameter within the range its --alert key accepts. Returns 0, or -EINVAL with a sentence
 * in err naming the first parameter out of range. */
int tw_alert_config_check(const tw_alert_config *c, char *err, size_t errlen);

/* A new engine with config c (copied; NULL: the defaults). NULL with errno EINVAL when c
 * fails tw_alert_config_check (a k of 0 would divide by zero, one over TW_ALERT_MAX_K would
 * overrun the rules' windows), or ENOMEM. */
tw_alerts *tw_alerts_new(const tw_alert_config *c);

/* Frees the engine; NULL-safe, sets *a to NULL. */
void tw_alerts_destroy(tw_alerts **a);

/* The engine's config. */
const tw_alert_config *tw_alerts_config(const tw_alerts *a);

/* Evaluates every rule over the store at monitor time `now` (seconds, wall clock): call it
 * after data arrived and after tw_store_tick. Returns how many events were added, or -ENOMEM
 * (the engine stays consistent; the evaluation is retried on the next call). Cheap when the
 * store did not change. */
int tw_alerts_eval(tw_alerts *a, const tw_store *s, double now);

/* Events: how many are kept, and the i-th (NULL when out of range); valid until the next
 * tw_alerts_eval. */
size_t tw_alerts_count(const tw_alerts *a);
const tw_alert *tw_alerts_at(const tw_alerts *a, size_t i);

/* Events that fired (cleared ones not counted), including those not kept. */
uint64_t tw_alerts_fired(const tw_alerts *a);

/* The store's finals (tw_store_finals_since) the engine has read: the owner of the store may
 * trim those before it (tw_store_finals_trim) once every other reader has read them too. */
uint64_t tw_alerts_finals_read(const tw_alerts *a);

/* The time (the clock of tw_alerts_eval's `now`) at which an evaluation would find something
 * due without new data (a data-loss gap that has lasted its grace period), or INFINITY:
 * the caller's loop sleeps no longer than that. */
double tw_alerts_next_due(const tw_alerts *a);
/* Events not kept (past TW_ALERTS_MAX_EVENTS). */
uint64_t tw_alerts_lost(const tw_alerts *a);
/* Conditions that hold now. */
size_t tw_alerts_active(const tw_alerts *a);

/* Fired events not yet acknowledged; tw_alerts_ack acknowledges every event so far. */
size_t tw_alerts_unacked(const tw_alerts *a);
void tw_alerts_ack(tw_alerts *a);

/* Live GL and P_k (the pq rule's k) of the validation series named `name` of a run, from its
 * final values (P_k from the training series of that name). Each is NaN when it cannot be
 * computed. Returns 0, -ENOENT when the run has no such validation series, -EINVAL. */
int tw_alerts_gl_pk(const tw_alerts *a, const tw_store_run *run, const char *name, double *gl,
                    double *pk);

/* Writes the event as one line of text into buf ("12:03:04 RUN loss/val epoch 15 overfitting
 * fired: SENTENCE", no newline). Returns what snprintf returns. */
int tw_alert_format(const tw_alert *e, char *buf, size_t len);

#endif
