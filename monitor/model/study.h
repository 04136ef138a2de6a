/* study.h - hyperparameter studies in the store: which runs are trials of which study, each
 * trial's state and best value, the leaderboard order, and the sweep scatter's rasterizer.
 *
 * Design note. A study is not a wire concept: a run is a trial of study S when its parameters
 * carry the convention of doc/protocol.md ("Studies and trials"): `study` (text, S), `trial`
 * (number, the trial's number), `trial_state` (text: running, complete, pruned, failed) and,
 * optionally, `objective` (text, the metric name the study optimises). trainwatch.optuna
 * sets them; any publisher may. Every other parameter is a hyperparameter. A trial's best is
 * the best final epoch value of its objective metric (validation, else training; the
 * `fallback` metric when the run names none), by that series' goal. Nothing here allocates
 * but tw_study_collect and tw_scatter_render, which grow the caller's arrays. */
#ifndef TW_STUDY_H
#define TW_STUDY_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The parameter keys of the convention. */
#define TW_STUDY_KEY       "study"
#define TW_STUDY_KEY_TRIAL "trial"
#define TW_STUDY_KEY_STATE "trial_state"
#define TW_STUDY_KEY_OBJ   "objective"

typedef enum tw_trial_state {
    TW_TRIAL_RUNNING = 0,
    TW_TRIAL_COMPLETE,
    TW_TRIAL_PRUNED,
    TW_TRIAL_FAILED
} tw_trial_state;

/* One trial of a study as the store has it now. */
typedef struct tw_study_trial {
    const tw_store_run *run; /* the store's own */
    long number;             /* the `trial` parameter, -1 when absent */
    tw_trial_state state;
    const tw_store_series *series; /* the objective's series, NULL when none */
    bool has_best;
    double best; /* the objective's best final value */
    uint64_t best_epoch;
    tw_goal goal; /* the series' goal (TW_GOAL_MIN when unknown) */
} tw_study_trial;

/* "running", "complete", "pruned", "failed"; "?" when out of range. */
const char *tw_trial_state_name(tw_trial_state state);

/* The study a run is a trial of (its `study` text parameter, non-empty), or NULL. */
const char *tw_study_of(const tw_store_run *run);

/* Whether a parameter key belongs to the convention (not a hyperparameter). */
bool tw_study_reserved_key(const char *key);

/* The trial's state: its `trial_state` parameter when final (complete, pruned, failed),
 * else from the run: live, stalled or disconnected is running; ended interrupted (an early
 * stop) is pruned, ended otherwise complete; failed or vanished is failed. */
tw_trial_state tw_study_trial_state(const tw_store_run *run);

/* Fills *t from a run (any run: number -1 and no best when it carries nothing). */
void tw_study_trial_of(const tw_store_run *run, const char *fallback, tw_study_trial *t);

/* Leaderboard order: complete and running trials, then pruned ones (their best comes from a
 * shortened training), then failed ones; within each, trials with a best first, best to
 * worst by their goal, then by number. For qsort over tw_study_trial. */
int tw_study_trial_cmp(const void *a, const void *b);

/* The trials of `study` in the store, in leaderboard order, into *trials (grown with realloc;
 * *cap its capacity). Returns how many, or -ENOMEM / -EINVAL. */
long tw_study_collect(const tw_store *s, const char *study, const char *fallback,
                      tw_study_trial **trials, size_t *cap);

/* The name of the i-th study of the store (by first arrival of a trial), or NULL past the
 * last. O(runs^2) in the worst case; studies are few. */
const char *tw_study_at(const tw_store *s, size_t i);

/* The hyperparameter keys over the trials (first-seen order, reserved keys left out), up to
 * cap keys written to keys[] (pointers into the runs' parameters, valid as the runs are).
 * Returns how many there are in all. */
size_t tw_study_param_keys(const tw_study_trial *trials, size_t n, const char **keys, size_t cap);

/* A trial's numeric value of a hyperparameter: true and *x when the run has it as a number
 * (or as text that parses fully as one). */
bool tw_study_param_number(const tw_store_run *run, const char *key, double *x);

/* ---- the sweep scatter ---------------------------------------------------------------- */

/* Cell flags of a scatter grid. */
#define TW_SCATTER_COMPLETE 1u /* a point of a trial that was not pruned falls in the cell */
#define TW_SCATTER_PRUNED   2u /* a pruned trial's point falls in it */
#define TW_SCATTER_BEST     4u /* the best trial's point falls in it */

typedef struct tw_scatter_point {
    double x, y;
    bool pruned;
    bool best;
} tw_scatter_point;

/* A rasterized scatter: w x h cells, row 0 at the top; x_lo..x_hi and y_lo..y_hi the ranges
 * the cells span (data units, also with log_x). glyph: 0 for an empty cell, a braille code
 * point (U+2800 + dots: each point lights the 2 x 2 dots of its half of the cell, a single
 * dot being hard to see) for a cell with points of kept trials, or in ASCII 'o'; a cell of
 * pruned trials only gets 'x' (U+00D7 in braille), so pruned trials are told apart without
 * color; flags says what fell in the cell. */
typedef struct tw_scatter {
    int w, h;
    bool log_x;
    double x_lo, x_hi, y_lo, y_hi;
    size_t points; /* the points drawn (finite, positive x with log_x) */
    uint32_t *glyph;
    uint8_t *flags;
    size_t cap;
} tw_scatter;

/* Whether an axis over these values reads better in log10: every value finite and positive,
 * and the largest over the smallest more than 10 (they span more than a decade). */
bool tw_scatter_want_log(const double *x, size_t n);

/* Rasterizes n points into sc at w x h cells (1..4096 each), braille (2 x 4 dots a cell) or
 * ASCII (one point a cell), log_x as given (points with x <= 0 are then left out). The ranges
 * are the points' own, padded by one dot so extremes stay visible; a single value spans
 * itself +- 1 (x 10 with log). Returns 0, -EINVAL, -ENOMEM. */
int tw_scatter_render(tw_scatter *sc, const tw_scatter_point *pts, size_t n, int w, int h,
                      bool braille, bool log_x);

/* Frees the grid's arrays (the struct is the caller's); NULL-safe. */
void tw_scatter_free(tw_scatter *sc);

#endif
