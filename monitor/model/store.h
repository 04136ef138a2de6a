/* store.h - the monitor's model: runs, ranks, metric series, epoch points and per-step buckets.
 *
 * Design note. The store is fed decoded wire records (tw_store_ingest) and the clock
 * (tw_store_tick); it never does I/O, never draws, and holds no global state. It keeps:
 *
 *   run (h->run) -> ranks 0..world-1 -> incarnations (one per process start)
 *   run -> series (one per metric name + split) -> epoch points + per-step buckets
 *
 * Epoch values are exact (DESIGN.md section 2): the value of a metric for an epoch is the
 * kind's formula (the library's tw_metric code) applied to the element-wise sum, over ranks,
 * of each rank's EPOCH state; a gauge takes the latest rank's value instead. A point is
 * partial until every rank of the world has closed the epoch (EPOCH_END) or ended, then final.
 * The live value of the open epoch is the same sum over each rank's latest UPDATE state.
 *
 * Per-step values are the formula applied to the difference of two consecutive cumulative
 * UPDATE states of a rank (the first of an epoch: the state itself), placed at the later
 * step; a gauge's per-step value is its value. They go, from every rank, into a fixed number
 * of buckets per series: bucket i covers steps [origin + i * width, origin + (i+1) * width);
 * when a step falls outside, adjacent pairs merge and the width doubles (min of mins, max of
 * maxes, sums add), so memory per series is constant and extremes are never lost. Each
 * sample is also smoothed with TensorBoard's debiased EMA, once per weight, before it is
 * bucketed; the EMA runs per rank (in arrival order), so with ranks in lockstep the bucket's
 * smoothed mean is the EMA of the ranks' mean.
 *
 * Duplicates: publishers replay their history with the original sequence numbers. Each
 * rank-incarnation keeps the set of seqs received as a sorted interval list of at most
 * tw_store_options.seq_intervals entries; past that, the smallest holes are filled (holes
 * at or below the latest replay mark first), so a record whose seq fell into a filled hole
 * is afterwards taken for a duplicate: an UPDATE arriving that late is lost (resolution
 * only), while METRIC, EPOCH and EPOCH_END records, which are idempotent, are re-applied
 * whenever they come, so a replay still repairs them. Gaps are the seqs below the highest
 * seen that never arrived, except those at or below a replay's replay_through mark (left out
 * of the replay on purpose); holes filled by coarsening stay counted as gaps.
 *
 * Restarts: a new incarnation of a rank (ordered by its RUN record's start time, else its
 * first record's time) supersedes the older ones: its EPOCH states replace theirs for the
 * same epoch numbers (a final point being replaced starts over as partial), its rank state
 * starts afresh, and the run gets a restart mark at its first epoch. Per-step buckets keep
 * the samples of every incarnation.
 *
 * Reading: the structs below are the store's own, read-only for callers, valid until the
 * next call that changes the store (ingest, tick, mark_*). Runs and series keep their
 * addresses for the store's life; arrays (points, buckets, ranks, marks) may move. What
 * became final since a reader last looked: tw_store_finals_since, with the reader's cursor.
 * Not thread-safe: one thread owns a store. */
#ifndef TW_STORE_H
#define TW_STORE_H

#include "trainwatch.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Smoothing weights: index 0 is off (the raw values), then TensorBoard's EMA weights. */
#define TW_STORE_N_SMOOTH 4
#define TW_STORE_SMOOTH_WEIGHTS                                                                    \
    {                                                                                              \
        0.0, 0.6, 0.9, 0.99                                                                        \
    }

/* Largest world size accepted; records claiming more are counted and skipped. */
#define TW_STORE_MAX_WORLD 65536u
/* Largest metric id accepted in a METRIC declaration; larger ones are counted and skipped. */
#define TW_STORE_MAX_METRIC_ID 65535u
#define TW_STORE_MAX_PARTS     32u /* component series of one vector metric ("f1[0]" ...) */

/* What a run or rank is doing. */
typedef enum tw_store_state {
    TW_STATE_LIVE = 0,        /* records arrive */
    TW_STATE_STALLED = 1,     /* no record for more than stall_beats heartbeats */
    TW_STATE_VANISHED = 2,    /* no record for more than vanish_beats heartbeats, or the
                                 source saw the process gone; no run-end */
    TW_STATE_ENDED = 3,       /* run-end ok or interrupted, or a run log that ended without one */
    TW_STATE_FAILED = 4,      /* a run-end with status failed */
    TW_STATE_DISCONNECTED = 5 /* the connection that carried it is down (the network, not
                                 the process); the monitor reconnects by itself */
} tw_store_state;

/* "live", "stalled", "vanished", "ended", "failed", "disconnected"; NULL when out of range. */
const char *tw_store_state_name(tw_store_state state);

/* Whether a run or rank in this state may still send data (live, stalled or disconnected),
 * as opposed to being over (ended, failed or vanished). */
bool tw_store_state_open(tw_store_state state);

typedef struct tw_store_options {
    uint32_t buckets;         /* per-step buckets per series, fixed; even, 16..1 << 20;
                                 default 1024 */
    uint32_t seq_intervals;   /* seq intervals kept per rank-incarnation; 8..1 << 20;
                                 default 256 */
    double stall_beats;       /* silent heartbeats before stalled; default 3 */
    double vanish_beats;      /* silent heartbeats before vanished; default 10 */
    double default_heartbeat; /* seconds, until a HEARTBEAT says; default 1 */
    double link_grace;        /* seconds a rank whose connection is down stays "disconnected"
                                 before it is called vanished (a remote process that died
                                 closes its connection too); default 60 */
    double lag_seconds;       /* an epoch some ranks closed and others not for this long
                                 names its laggards (tw_store_run.lag_epoch); default 10 */
    /* Limits: memory follows what was received (ranks are held sparsely, whatever world a
     * peer claims), and these bound how much that can be. Records beyond them are refused
     * and counted (tw_store_over). */
    uint32_t max_runs;   /* runs (run ids); default 1024, 1..1 << 20 */
    uint32_t max_ranks;  /* ranks heard per run; default 16384, 1..TW_STORE_MAX_WORLD */
    uint32_t max_series; /* metrics (name x split) per run; default 4096, 1..1 << 20 */
    bool general_path;   /* every record through the general path, none through the shortcut
                            for the usual UPDATE (for the test that compares the two); default
                            false */
} tw_store_options;

/* Records refused because a limit of tw_store_options was reached. */
typedef struct tw_store_over {
    uint64_t runs;   /* records of a new run when max_runs runs were held */
    uint64_t ranks;  /* records of a new rank of a run holding max_ranks ranks */
    uint64_t series; /* declarations of a new metric of a run holding max_series */
} tw_store_over;

/* The counters of a run (sums over its ranks) or of a rank (sums over its incarnations). */
typedef struct tw_store_counters {
    uint64_t records;        /* records accepted (duplicates and heartbeats not included) */
    uint64_t heartbeats;     /* heartbeats accepted (kept apart: an idle run changes nothing
                                visible, so an idle monitor redraws nothing) */
    uint64_t duplicates;     /* records already received, ignored */
    uint64_t gaps;           /* seqs below the highest that never arrived (not replay-excused) */
    uint64_t drops;          /* records the publisher reported dropped (latest DROPS) */
    uint64_t dropped_steps;  /* steps whose per-step records the publisher dropped (GAP
                                records: their ranges' lengths) */
    uint64_t undeclared;     /* UPDATE / EPOCH before (or without) their metric's
                                declaration: not taken, and their seq is not marked received,
                                so the replay that brings the declaration brings them again */
    uint64_t bad_state;      /* states whose length differs from the declaration */
    uint64_t bad_decl;       /* declarations refused: bad kind/length, id too large, or
                                disagreeing with the same name + split (kind, options, n);
                                and each state of a metric whose arguments the library
                                will not make one of (a canonical form too long) */
    uint64_t world_changes;  /* records whose world size differed from the run's: refused,
                                never merged into it (a run's world is fixed by its first) */
    uint64_t bad_rank;       /* records with rank >= world or world > TW_STORE_MAX_WORLD */
    uint64_t rank_conflicts; /* incarnations that sent while another process of the same rank
                                did (two processes claiming one rank): reported, never summed:
                                only the rank's newest incarnation is in its values */
} tw_store_counters;

/* One rank's view, from its newest incarnation (counters: summed over its incarnations). */
typedef struct tw_store_rank {
    uint32_t rank;
    bool heard;                 /* any record received */
    uint64_t incarnation;       /* the newest incarnation's id */
    uint32_t incarnations;      /* how many were seen */
    double last_heard;          /* monitor clock (`now`) of the newest incarnation's last record */
    double last_time;           /* publisher clock of that record */
    uint64_t epoch;             /* the open epoch (1-based; 0: unknown) */
    uint64_t step;              /* the latest step */
    uint64_t closed_epoch;      /* the highest epoch closed (EPOCH_END) by this incarnation */
    bool ended;                 /* a RUN_END arrived */
    tw_run_status end_status;   /* its status, when ended */
    tw_store_state state;       /* live / stalled / vanished / ended / failed */
    double heartbeat_interval;  /* seconds (the publisher's, else the default) */
    tw_store_counters counters; /* records, duplicates, gaps, drops, anomalies */
    bool claimed_twice;         /* two processes sent as this rank at the same time */
} tw_store_rank;

/* A restart: a new incarnation of some rank began at `epoch` (its first epoch) at `time`. */
typedef struct tw_store_mark {
    uint64_t epoch;
    double time;
} tw_store_mark;

/* One epoch of a series. */
typedef struct tw_store_point {
    uint64_t epoch;
    double value;          /* merged over the ranks in */
    double value_se;       /* its standard error, from the merged state (tw_metric_stderr);
                              NaN where undefined (gauges, Sum, PR-AUC, old states) */
    double time;           /* the latest contributing EPOCH record's time (publisher clock) */
    uint64_t step;         /* the highest contributing step */
    uint32_t ranks_in;     /* ranks whose EPOCH state is in the value */
    uint32_t ranks_closed; /* ranks that closed the epoch (or ended) */
    bool final;            /* every rank of the world closed it (or ended) */
    bool restart;          /* a restart mark is at this epoch */
    bool listed;           /* it has had an entry in the finals (a later one is "again") */
    double first_seen;     /* monitor clock when the point appeared */
} tw_store_point;

/* A bucket of per-step samples. min, max, sum and the smoothed sums are over the finite
 * samples; count includes the non-finite ones (NaN, +-Inf), also counted in nonfinite. */
typedef struct tw_store_bucket {
    double min, max, sum;
    double smooth[TW_STORE_N_SMOOTH - 1]; /* sums of the smoothed values, weights 1.. */
    double t_min, t_max;                  /* time range of the samples (publisher clock) */
    uint32_t count, nonfinite;
} tw_store_bucket;

/* A metric of a run: name + split. */
typedef struct tw_store_series {
    char name[TW_WIRE_MAX_NAME + 1];
    tw_split split;
    int kind; /* a tw_metric_kind, or TW_WIRE_KIND_GAUGE */
    tw_metric_options options;
    const char *args; /* the metric's Keras arguments as declared ("" for none), owned */
    int component;    /* -1: the metric's value; i >= 0: value i of its vector result (a
                         series "name[i]" the store adds for each class of F1 with
                         average=None, each threshold of a list, ...; at most
                         TW_STORE_MAX_PARTS) */
    uint32_t state_len;
    tw_goal goal;       /* declared, else inferred from the name and kind */
    bool goal_declared; /* goal came from the declaration */

    const tw_store_point *points; /* sorted by epoch */
    size_t n_points;

    bool has_live;       /* an UPDATE was received */
    uint64_t live_epoch; /* the newest epoch with UPDATEs */
    double live_value;   /* merged over the ranks whose latest UPDATE is in live_epoch */
    double live_se;      /* its standard error (NaN where undefined) */
    uint32_t live_ranks;
    uint64_t live_step;
    double live_time;

    bool has_best; /* over final points with a finite value, by goal; never for unknown */
    double best_value;
    double best_se; /* the best point's value_se */
    uint64_t best_epoch;

    bool has_latest; /* the newest of: the last point, the live value of a later epoch */
    double latest_value;
    double latest_se; /* the standard error of latest_value (NaN where undefined) */
    uint64_t latest_epoch;

    const tw_store_bucket *buckets; /* bucket_count entries, the first n_used in use; NULL
                                       before the series' first per-step sample */
    uint32_t bucket_count;
    uint32_t n_used;
    uint64_t bucket_origin; /* bucket i covers [origin + i * width, origin + (i+1) * width) */
    uint64_t bucket_width;
    uint64_t samples;   /* per-step samples so far */
    uint64_t nonfinite; /* of which non-finite */
    double last_sample; /* the latest sample's value, and its step */
    uint64_t last_sample_step;
} tw_store_series;

/* A run. */
typedef struct tw_store_run {
    char id[TW_WIRE_MAX_NAME + 1]; /* the key: the envelope's run */
    char name[TW_WIRE_MAX_NAME + 1];
    char label[TW_WIRE_MAX_NAME + 16]; /* the name told apart from earlier runs of the same
                                          name: "name", "name #2", ...; "" before a RUN */
    char host[TW_WIRE_MAX_NAME + 1];
    char program[TW_WIRE_MAX_NAME + 1];
    uint64_t pid;
    double start_time; /* 0: no RUN record yet */
    const tw_wire_param *params;
    uint32_t n_params;
    uint64_t planned_epochs;          /* 0: unknown */
    uint64_t steps_per_epoch;         /* announced; 0: unknown */
    uint64_t steps_per_epoch_learned; /* from the last completed epoch; 0: unknown */
    uint32_t world;

    tw_store_state state;
    char reason[96]; /* why (names the rank), or "" */
    bool is_static;  /* read from a run log that ended */
    tw_store_counters counters;
    uint64_t dropped_first, dropped_last; /* the first and last step of any GAP range (the
                                             steps missing from the per-step view are in
                                             between); valid when counters.dropped_steps */
    uint32_t dropped_ranges;              /* GAP records: ranges of missing steps */
    uint64_t epoch, step; /* the open epoch and latest step, over the newest incarnations */
    double steps_per_sec; /* over the last few seconds (publisher clock); 0: unknown */
    double last_heard;    /* monitor clock of its latest record */
    uint64_t lag_epoch;   /* the oldest epoch that has been partial (closed by some ranks, not
                             all; the run not ended) for over lag_seconds; 0: none.
                             tw_store_epoch_laggards names the ranks it waits for */

    const tw_store_mark *marks; /* restart marks, by epoch */
    size_t n_marks;
    size_t n_series;
} tw_store_run;

typedef struct tw_store tw_store;

/* What the limits refused so far (zeros for NULL). */
tw_store_over tw_store_over_limits(const tw_store *s);

/* The default options. */
tw_store_options tw_store_defaults(void);

/* A new, empty store (opts NULL: the defaults). NULL with errno EINVAL for options out of
 * range, ENOMEM. Free with tw_store_destroy(). */
tw_store *tw_store_new(const tw_store_options *opts);

/* Frees the store and everything it holds; NULL-safe, sets *s to NULL. */
void tw_store_destroy(tw_store **s);

/* Ingests one decoded record (a tw_wire_record_fn can call it as is) at monitor time `now`
 * (seconds, monotonic clock: the store measures only local durations with it, never a time
 * of day, so a wall clock stepping back cannot hold a state). Returns 0 when applied; -EALREADY for
 * a duplicate (counted); -ENOENT for an UPDATE/EPOCH of an undeclared metric id, -EBADMSG for a
 * state of the wrong length or a refused declaration, -ERANGE for a bad rank or world (all counted
 * on the run and skipped); -EINVAL for NULL arguments; -ENOMEM (the record is lost, the store stays
 * consistent). Never allocates for UPDATE records of a declared metric but its first (the series'
 * buckets). */
int tw_store_ingest(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, double now);

/* Ingests the n UPDATE and EPOCH records of one envelope (a tw_wire_batch_fn's), in order,
 * exactly as n calls of tw_store_ingest would: the usual ones (an UPDATE of a declared metric
 * from the incarnation placed last, its seq the next, its rank live) with the envelope placed
 * and the rank refreshed once, the others one by one. Returns 0, -EINVAL for NULL arguments,
 * or -ENOMEM when a record was lost for memory; every other outcome is counted as
 * tw_store_ingest counts it. */
int tw_store_ingest_states(tw_store *s, const tw_wire_header *h, const tw_wire_state_rec *r,
                           size_t n, double now);

/* Updates time-based states (stalled, vanished) at `now`. Returns true when anything visible
 * changed. */
bool tw_store_tick(tw_store *s, double now);

/* Counts messages a source rejected before they reached the store (not attributable to a
 * run). */
void tw_store_count_rejected(tw_store *s, uint64_t n);

/* The source saw the process of (run, rank, incarnation) gone: that rank is vanished (unless
 * it ended). Returns 0, -ENOENT when unknown, -EINVAL for NULL. */
int tw_store_mark_vanished(tw_store *s, const char *run, uint32_t rank, uint64_t incarnation,
                           double now);

/* Whether the records of (run, rank, incarnation) have a live connection behind them, at
 * `now`; which connection carries what is the program's business (monitor/links.h). Not
 * connected: the rank is disconnected, neither stalled nor vanished however silent, for
 * link_grace seconds from `now`, then vanished ("its connection has been down for over
 * N s"); an ended rank is left as it is. Connected again: it is judged by its records as
 * before. Cheap when nothing changes. Returns 1 when the rank changed, 0 when it was so
 * already (or ended), -ENOENT when unknown, -EINVAL for NULL. */
int tw_store_set_connected(tw_store *s, const char *run, uint32_t rank, uint64_t incarnation,
                           bool connected, double now);

/* The run's records came from a run log read to its end, with no live publisher behind it:
 * ranks without a run-end are ended ("ended without a run-end record (crashed?)") and every
 * epoch is final. A later non-duplicate record of the run makes it live again. Returns 0,
 * -ENOENT when unknown, -EINVAL for NULL. */
int tw_store_mark_static(tw_store *s, const char *run, double now);

/* Whether the live value of a series (the merged running state of the current epoch over its
 * ranks) is recomputed at every update it gets (off, the default: readers see it at once) or
 * once, when tw_store_settle is called (on: a program that ingests a batch of records and
 * then reads calls tw_store_settle between the two). The merge costs O(ranks) per series, so
 * at every update it is O(ranks^2) per step of a run; once per batch it is O(ranks). Turning
 * it off settles. */
void tw_store_defer_live(tw_store *s, bool on);

/* Recomputes the live values of the series that got updates since the last settle (nothing
 * when none did, or when deferral is off). NULL-safe. */
void tw_store_settle(tw_store *s);

/* Store-wide counters and sizes. */
uint64_t tw_store_changes(const tw_store *s); /* bumped on every visible change */
uint64_t tw_store_rejected(const tw_store *s);
size_t tw_store_bytes(const tw_store *s); /* heap bytes the store holds */

/* Finals: every epoch value that became final, in the order it did, for a consumer that
 * wants each once without rescanning the points (a --jsonl writer, a logger).
 *
 * An entry is appended when a point becomes final (every rank of the world closed the epoch
 * or ended, or the run ended or was marked static), and again when a final point's value is
 * redone: a rank's EPOCH state that arrives after the point was final is added to it, or a
 * newer incarnation's state replaced the point (it went back to partial, no entry for that)
 * and the point became final once more. Such a later entry has `again` set; its value
 * supersedes the earlier one's for that run, series and epoch. One store call that finalizes
 * several points (an EPOCH_END, tw_store_tick, tw_store_mark_static) appends them by run,
 * then series in declaration order, then epoch ascending.
 *
 * Entries are numbered 0, 1, 2, ... (seq) with no holes. The store keeps them (about 48 bytes
 * each, counted in tw_store_bytes) until its owner, who knows every reader, lets go of those
 * all readers have read (tw_store_finals_trim); without a trim a reader can start from 0 at
 * any time. If memory runs out an entry is not kept (the point is final all the same) and
 * tw_store_finals_lost counts it. */
typedef struct tw_store_final {
    uint64_t seq;                  /* its number: the cursor value that reads it first */
    const tw_store_run *run;       /* the store's own; valid for the store's life */
    const tw_store_series *series; /* idem; the point itself: tw_store_point via its epoch */
    uint64_t epoch;
    double value;      /* the point's value at that moment (NaN and +-Inf pass through) */
    uint32_t ranks_in; /* ranks whose EPOCH state is in the value */
    uint32_t run_index, series_index; /* the series' place: tw_store_run_at(s, run_index),
                                         tw_store_run_series(run, series_index) (runs and
                                         series are only ever appended) */
    bool again;                       /* the epoch had an entry before: this value supersedes it */
} tw_store_final;

/* How many finals there are so far: the seq the next one will get. 0 for NULL. */
uint64_t tw_store_finals(const tw_store *s);

/* The seq of the oldest final still kept (0 until a trim lets some go): a reader whose cursor
 * is below it has missed entries and should rescan the points. 0 for NULL. */
uint64_t tw_store_finals_first(const tw_store *s);

/* Lets go of the finals before seq `upto` (every reader has read them): memory follows what
 * is still unread, not the run's length. Entries are dropped in batches (when at least as
 * many as those kept), so tw_store_finals_first may stay below upto for a while. */
void tw_store_finals_trim(tw_store *s, uint64_t upto);

/* Copies up to `max` finals, from number *cursor on, into out (the caller's array; the
 * entries' run and series pointers stay the store's), in seq order, and advances *cursor past
 * the last one copied. Start with *cursor = 0 (everything) or tw_store_finals(s) (only what
 * comes next); a reader that keeps its cursor gets each entry exactly once. Returns how many
 * were copied: 0 when there is nothing new, when max is 0, for NULL arguments, or when
 * *cursor is beyond tw_store_finals(s) (then *cursor is left as it is). A cursor below
 * tw_store_finals_first reads from there on. Does not change the store; the entries stay
 * readable by other cursors until a trim. */
size_t tw_store_finals_since(const tw_store *s, uint64_t *cursor, tw_store_final *out, size_t max);

/* Finals not kept for want of memory (0 normally; 0 for NULL). */
uint64_t tw_store_finals_lost(const tw_store *s);

/* The runs, in arrival order: count, and the i-th (NULL when out of range); by id (NULL when
 * unknown). */
size_t tw_store_run_count(const tw_store *s);
const tw_store_run *tw_store_run_at(const tw_store *s, size_t i);
const tw_store_run *tw_store_find_run(const tw_store *s, const char *id);

/* A run's rank i < world (NULL when out of range or never heard: ranks are held sparsely),
 * the ranks heard (how many, and the k-th in rank order, NULL when k is out of range), and
 * its series in declaration order (NULL when out of range); a series by name and split (NULL
 * when none). */
const tw_store_rank *tw_store_run_rank(const tw_store_run *run, uint32_t i);
uint32_t tw_store_run_ranks_heard(const tw_store_run *run);
const tw_store_rank *tw_store_run_rank_heard(const tw_store_run *run, uint32_t k);
/* The records missing from the newest incarnation of the k-th rank heard: its sequence gaps
 * that no replay has excused yet, which a replay may still fill (a rank's earlier processes
 * have exited: theirs it cannot); 0 when k is out of range. */
uint64_t tw_store_run_rank_missing(const tw_store_run *run, uint32_t k);
const tw_store_series *tw_store_run_series(const tw_store_run *run, size_t i);
const tw_store_series *tw_store_find_series(const tw_store_run *run, const char *name,
                                            tw_split split);

/* The point of `epoch` in a series (points are sorted by epoch, one per epoch; binary
 * search), or NULL when it has none. Valid until the next call that changes the store. */
const tw_store_point *tw_store_series_point(const tw_store_series *series, uint64_t epoch);

/* The ranks that have not closed `epoch` (in their newest incarnation, and not ended), in
 * order, up to cap written to ranks; returns how many there are in all. */
size_t tw_store_epoch_laggards(const tw_store_run *run, uint64_t epoch, uint32_t *ranks,
                               size_t cap);

/* A sentence naming what the run's lag_epoch waits for ("epoch 12 is partial: waiting for
 * ranks 3, 7"), at most `size` bytes with its NUL, always terminated; "" when nothing lags.
 * Returns its length. */
size_t tw_store_lag_text(const tw_store_run *run, char *buf, size_t size);

/* A sentence saying which steps lost per-step records at the publisher (GAP records):
 * "per-step values dropped by the publisher in 4200 steps (steps 1200-5400, 3 ranges; epoch
 * values exact)", at most `size` bytes with its NUL, always terminated; "" when none. Returns
 * its length. */
size_t tw_store_dropped_text(const tw_store_run *run, char *buf, size_t size);

/* True when a GAP record of the run said that steps in lo..hi lost per-step records (the
 * ranges kept are a cover: at most 64 per run, the nearest merged beyond that). */
bool tw_store_run_dropped_within(const tw_store_run *run, uint64_t lo, uint64_t hi);

/* Heap bytes of one series (struct, buckets, points, per-rank slots). */
size_t tw_store_series_bytes(const tw_store_series *series);

/* The goal a metric without a declared goal gets from its name and kind (see store.c). */
tw_goal tw_store_infer_goal(const char *name, int kind);

/* Smoothing weight i < TW_STORE_N_SMOOTH (0, 0.6, 0.9, 0.99); NaN when out of range. */
double tw_store_smooth_weight(int i);

/* The mean of a bucket's finite samples (NaN when none), and of their smoothed values with
 * weight i (i = 0: the raw mean). */
double tw_store_bucket_mean(const tw_store_bucket *b);
double tw_store_bucket_smoothed(const tw_store_bucket *b, int i);

/* The lowest step bucket i of a series covers. */
uint64_t tw_store_bucket_step(const tw_store_series *series, uint32_t i);

#endif
