/* store_impl.h - the store's private layout and the functions its files share; included only
 * by monitor/model/store*.c. Not a public header: callers use store.h. */
#ifndef TW_STORE_IMPL_H
#define TW_STORE_IMPL_H

#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Private structures                                                                          */

#define N_EMA     (TW_STORE_N_SMOOTH - 1)
#define RATE_RING 32u  /* (time, step) samples for the step rate */
#define RATE_GAP  0.25 /* seconds between rate samples */
#define RATE_WIN  5.0  /* seconds the rate looks back */

typedef struct seq_iv {
    uint64_t lo, hi;
} seq_iv;

/* The seqs a rank-incarnation has received: sorted, disjoint, non-adjacent intervals. */
typedef struct seqset {
    seq_iv *iv;
    uint32_t n, alloc;
    uint64_t highest; /* highest seq received */
    uint64_t excused; /* latest replay_through: missing seqs up to it are not gaps */
    uint64_t gaps;
} seqset;

struct series;
struct inc;

/* A metric as one rank-incarnation declared it: its per-rank streaming state. */
typedef struct mslot {
    struct series *series;
    struct inc *inc;
    uint32_t id;    /* its metric id in the incarnation */
    double *prev;   /* the previous UPDATE state processed (for per-step differences) */
    double *latest; /* the highest-seq UPDATE state (for the live value) */
    uint64_t prev_seq, prev_epoch;
    uint64_t latest_seq, latest_epoch, latest_step;
    double latest_time;
    bool has_prev, has_latest;
    struct mslot *next_part; /* the slot of the metric's next component series, or NULL */
    /* TensorBoard's debiased EMA, one per non-zero weight */
    double ema_last[N_EMA], ema_pow[N_EMA];
    double ema_first;
    uint64_t ema_n;
    bool ema_constant;
    bool ema_plain; /* not constant and every ema_pow 0: each smoothed value is its EMA */
} mslot;

/* One incarnation (process start) of a rank. */
typedef struct inc {
    uint64_t id;
    uint32_t rank;
    uint32_t slot;  /* its rank's slot in the run (rank.slot) */
    uint64_t order; /* arrival order in the store, a tie-break */
    double start;   /* RUN's start time, else the earliest record time; 0: unknown */
    bool start_from_run;
    seqset seen;
    tw_store_counters c;
    uint64_t epoch, step, closed_through, first_epoch;
    uint64_t last_close_epoch, last_close_step;
    double last_heard, last_time, hb;
    tw_run_status status;
    bool ended, vanished;
    bool conflict;     /* counted in rank_conflicts: it overlapped another of its rank */
    double first_time; /* publisher time of its earliest timed record; 0: none yet */
    bool disconnected; /* the connection of its records is down (tw_store_set_connected) */
    double down_since; /* monitor clock when it went down */
    mslot **map;       /* its declared metrics, sorted by metric id (map_len of map_cap): held
                          by what was declared, never by the ids a peer chose */
    uint32_t map_len, map_cap;
} inc;

/* A rank that was heard. Ranks are sparse: a run holds only the ranks it received records of,
 * whatever world it claims; per-rank arrays (a series' cur, a point's slots and states) are
 * indexed by slot, the order in which ranks were first heard, and sized by the run's
 * cap_ranks. */
typedef struct rank {
    tw_store_rank pub;
    uint32_t slot;
    inc **incs;
    uint32_t n_incs, cap_incs;
    inc *cur; /* the newest */
} rank;

/* A rank's part of an epoch point. */
typedef struct pslot {
    const inc *inc; /* NULL: none */
    double time;
    uint64_t step;
} pslot;

typedef struct ppriv {
    pslot *slots;   /* cap_ranks, by slot */
    double *states; /* cap_ranks * state_len while partial, by slot; NULL once final */
    double *sum;    /* state_len: the merged state (gauge: [value]) */
} ppriv;

typedef struct series {
    tw_store_series pub;
    struct run *run;
    uint32_t index; /* in run->series */
    tw_store_point *points;
    ppriv *pp;
    size_t cap_points, n_partial;
    tw_store_bucket *buckets;
    uint32_t bucket_shift; /* log2(pub.bucket_width): a power of two, 1 then doubled */
    mslot **cur;           /* cap_ranks, by slot: each rank's newest incarnation's, or NULL */
    tw_metric *scratch;    /* NULL for gauges */
    double *tmp;           /* state_len */
    size_t bytes;
    bool live_dirty; /* updated since its live value was merged (tw_store_defer_live) */
} series;

/* Steps from..to (inclusive). */
typedef struct tw_store_range {
    uint64_t from, to;
} tw_store_range;

typedef struct run {
    tw_store_run pub;
    uint32_t index; /* in the store's runs */
    tw_wire_param *params;
    rank **ranks;    /* the ranks heard, by slot (n_ranks of cap_ranks) */
    uint32_t *order; /* their slots in rank order (n_ranks of cap_ranks) */
    uint32_t n_ranks, cap_ranks;
    series **series;
    size_t cap_series;
    tw_store_mark *marks;
    size_t cap_marks;
    bool have_run, run_from_rank0;
    char join[TW_WIRE_MAX_NAME + 1]; /* it resumes a run of this name not seen yet: the first
                                        such run that arrives joins it (store_run.c) */
    double newest_start;             /* the latest RUN start of its incarnations */
    double heard_ended_at; /* monitor time every rank heard had ended while ranks of the world
                              were never heard (0: not so): the grace for late ranks runs */
    uint64_t learned_epoch;
    tw_store_range *drops; /* the GAP ranges, sorted, disjoint, at most 64 (store_drops.c);
                              allocated at the first */
    uint32_t n_drops;
    double rate_t[RATE_RING];
    uint64_t rate_s[RATE_RING];
    uint32_t rate_n, rate_head;
    /* How many ranks closed an epoch (tw_store_run_closed), kept for the epochs last asked
     * while closed_gen stays: it moves whenever a rank's close, end or incarnation or the ranks
     * heard change. Without it, each of 256 ranks' 50 EPOCH records and each EPOCH_END counted
     * every rank: 10 M checks an epoch. The sanitizer builds check it against a recount
     * (TW_SELFCHECK). */
    uint64_t closed_gen;
    struct {
        uint64_t gen, epoch;
        uint32_t count;
    } closed_memo[4];
    uint32_t closed_memo_next;
} run;

/* Another run id whose records go to run rn: a resumed launch (envelope "join") and the run
 * it continues. */
typedef struct alias {
    char id[TW_WIRE_MAX_NAME + 1];
    run *rn;
} alias;

struct tw_store {
    tw_store_options o;
    run **runs;
    size_t n_runs, cap_runs;
    alias *aliases;
    size_t n_aliases, cap_aliases;
    tw_store_over over; /* records refused over the limits */
    run *last;
    uint64_t changes, rejected, inc_order;
    size_t bytes;
    uint64_t *hole_keys, *hole_sorted; /* seq_intervals + 1 each */
    double weights[TW_STORE_N_SMOOTH];
    tw_store_final *finals; /* the finals from seq finals_first on (store.h); n_finals of
                               cap_finals */
    size_t n_finals, cap_finals;
    uint64_t finals_first; /* seq of finals[0]: what tw_store_finals_trim let go is before */
    uint64_t finals_mark;  /* trimmed up to here (compacted when half the array is behind) */
    uint64_t finals_lost;  /* entries not kept for want of memory */
    bool defer_live;       /* live values merged at tw_store_settle, not at every update */
    size_t n_live_dirty;   /* series with live_dirty set */
    struct {               /* the last envelope ingest_locate placed, and where (store_ingest.c) */
        bool ok;
        uint32_t rank_no, world;
        size_t run_len; /* of run_id */
        uint64_t incarnation;
        run *rn;
        rank *rk;
        inc *c;
        char run_id[TW_WIRE_MAX_NAME + 1], join[TW_WIRE_MAX_NAME + 1];
    } hot;
    tw_wire_record batch_rec; /* tw_store_ingest_states: a record of a batch, the general way
                                 (zero but for the fields an UPDATE or EPOCH sets) */
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static inline void
copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline bool
is_gauge(const series *se)
{
    return se->pub.kind == TW_WIRE_KIND_GAUGE;
}

/* Whether the series is a Mean's with the state [total, count, sumsq, values] (doc/metrics.md),
 * whose value mean_value gives. */
static inline bool
is_mean4(const series *se)
{
    return se->pub.kind == TW_METRIC_MEAN && se->pub.state_len == 4 && se->pub.component < 0;
}

/* A Mean's value of its state: tw_metric_result_of's total / count, 0 for a count of 0
 * (metric.c: ratio_result), without the call, nor the division's latency for the usual count
 * of 1 (x / 1 is x, but for a NaN's bits: a signalling NaN's on x86, any NaN's where division
 * gives the default NaN; a NaN either way). */
static inline double
mean_value(const double *state)
{
    double c = state[1];
    return c == 1.0 ? state[0] : c == 0.0 ? 0.0 : state[0] / c;
}

/* The value of a state of a vector metric's series "name[i]": that part of its result. */
double tw_store_part_value(series *se, const double *state);

/* The value of a state with the series' kind (the library's formula); inline where it is
 * called, without a frame (a vector metric's part, which needs one, is a call). */
static inline __attribute__((always_inline)) double
state_value(series *se, const double *state)
{
    if (is_gauge(se))
        return state[0];
    if (se->pub.component >= 0)
        return tw_store_part_value(se, state);
    if (is_mean4(se))
        return mean_value(state);
    return tw_metric_result_of(se->scratch, state, se->pub.state_len);
}

/* The standard error of a state with the series' kind (tw_metric_stderr); NaN for gauges and
 * for one value of a vector metric ("name[i]": the metric's SE is not that value's). */
static inline double
state_se(series *se, const double *state)
{
    if (is_gauge(se) || se->pub.component >= 0)
        return (double)NAN;
    tw_metric_set_state(se->scratch, state, se->pub.state_len);
    return tw_metric_stderr(se->scratch);
}

/* True when incarnation a is newer than b. */
static inline bool
inc_newer(const inc *a, const inc *b)
{
    if (a->start > 0 && b->start > 0 && a->start != b->start)
        return a->start > b->start;
    if ((a->start > 0) != (b->start > 0))
        return a->start == 0; /* no time yet: it just appeared */
    return a->order > b->order;
}

static inline bool
goal_better(tw_goal g, double v, uint64_t e, double best, uint64_t best_e)
{
    if (g == TW_GOAL_MIN)
        return v < best || (v == best && e < best_e);
    if (g == TW_GOAL_MAX)
        return v > best || (v == best && e < best_e);
    return false;
}

/* Adds d (possibly negative) to a counter of the incarnation, its rank and its run. */
#define BUMP(rn, rk, ic, field, d)                                                                 \
    do {                                                                                           \
        uint64_t bump_d_ = (uint64_t)(d);                                                          \
        (ic)->c.field += bump_d_;                                                                  \
        (rk)->pub.counters.field += bump_d_;                                                       \
        (rn)->pub.counters.field += bump_d_;                                                       \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Functions the store's files share                                                          */

/* Like the store, none of them is thread-safe; none checks its arguments for NULL (the public
 * functions do). */

/* store.c: memory, with accounting. Every byte is counted in s->bytes and, when owner is not
 * NULL, in *owner (a series' bytes). calloc: NULL on overflow or ENOMEM. resize: grows or
 * shrinks an array from old_n to new_n elements, zeroing the new ones; NULL (p untouched)
 * on failure. free: NULL-safe; n and size must be those it was allocated with. */
/* A GAP record's range: its first and last step and the ranges, kept for the chart
 * (store_drops.c); the caller counts its steps (counters.dropped_steps). */
void tw_store_run_add_drop(tw_store *s, run *rn, uint64_t from, uint64_t to);
void tw_store_run_free_drops(tw_store *s, run *rn);

void *tw_store_mem_calloc(tw_store *s, size_t *owner, size_t n, size_t size);
void *tw_store_mem_resize(tw_store *s, size_t *owner, void *p, size_t old_n, size_t new_n,
                          size_t size);
void tw_store_mem_free(tw_store *s, size_t *owner, void *p, size_t n, size_t size);

/* Whether seq is the one after the highest received, which ends the last interval: the usual
 * case. It is then not contained, and tw_store_seq_insert would only extend that interval
 * (no gap, the highest moved): seq_append. */
static inline bool
seq_is_next(const seqset *q, uint64_t seq)
{
    return q->n && q->iv[q->n - 1].hi == q->highest && seq == q->highest + 1 && seq != 0;
}

static inline void
seq_append(seqset *q, uint64_t seq)
{
    q->iv[q->n - 1].hi = seq;
    q->highest = seq;
}

/* store_run.c: a RUN record's identity and parameters into run rn (rank 0's preferred; the
 * start time is the earliest); relabels the runs of its old and new names. Sets *changed.
 * 0 or -ENOMEM. */
int tw_store_run_identity(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r,
                          bool *changed);

/* store_seq.c: true when seq was received (or fell into a hole filled by coarsening). */
bool tw_store_seq_contains(const seqset *q, uint64_t seq);
/* A replay stands for every seq up to r: those that never came stop counting as gaps. */
void tw_store_seq_excuse(seqset *q, uint64_t r);
/* Records seq (not yet contained) as received, counting gaps. 0, or -ENOMEM (unchanged). */
int tw_store_seq_insert(tw_store *s, seqset *q, uint64_t seq);

/* store_series.c: a new series for METRIC record r in run rn (NULL on ENOMEM), and its
 * teardown (cap_ranks: the run's rn->cap_ranks, by which the series' per-rank arrays, its
 * current slots and each point's slots and states, were sized). */
series *tw_store_series_new(tw_store *s, run *rn, const tw_wire_record *r);
void tw_store_series_free(tw_store *s, series *se, uint32_t cap_ranks);
/* A new per-rank slot of series se for incarnation c; NULL on ENOMEM. */
mslot *tw_store_slot_new(tw_store *s, series *se, inc *c);
/* What is sized by the declared state length, allocated at the first state received rather
 * than at the declaration: the series' scratch metric and buffer, a slot's prev and latest
 * states. 0, -ENOMEM, or -EINVAL when the library will not make the series' metric from its
 * declared arguments (the caller counts that as a refused declaration). */
int tw_store_series_ready(tw_store *s, series *se);
int tw_store_slot_ready(tw_store *s, mslot *m);
/* Recomputes the series' latest value (the last point, or a later live value). */
void tw_store_series_latest(series *se);
/* Recomputes the live value from each rank's current slot, then the latest. */
void tw_store_series_live(series *se);
/* The best final value: over every point (all), or updated with one point just final (one). */
void tw_store_series_best_all(series *se);
void tw_store_series_best_one(series *se, const tw_store_point *pt);

/* The k-th heard rank in rank order (k < n_ranks). */
static inline rank *
rank_nth(const run *rn, uint32_t k)
{
    return rn->ranks[rn->order[k]];
}

/* store_points.c: the index of epoch e's point, or where it would go (*found false). */
size_t tw_store_point_find(const series *se, uint64_t e, bool *found);
/* Inserts an empty partial point for epoch e at index i; 0 or -ENOMEM (unchanged). */
int tw_store_point_insert(tw_store *s, series *se, size_t i, uint64_t e, double now);
/* Recomputes a partial point's value, time, step and ranks_in from its ranks' states. */
void tw_store_point_recompute(series *se, size_t i);
/* Starts point i over as partial with no rank in (a newer incarnation replaces it); 0 or
 * -ENOMEM. */
int tw_store_point_reset(tw_store *s, series *se, size_t i);
/* Makes point i final when every rank of the world closed it or ended; true when it
 * changed. */
bool tw_store_point_check(tw_store *s, series *se, size_t i);
/* Checks every partial point of the run's series; true when any changed. */
bool tw_store_run_check_points(tw_store *s, run *rn);
/* Adds the EPOCH state of record r, from incarnation c of a rank not in final point i yet,
 * to the point's value (a late rank), and appends the new value to the finals. */
void tw_store_point_add_late(tw_store *s, series *se, size_t i, const inc *c,
                             const tw_wire_record *r);
/* True when the run has a restart mark at epoch e. */
bool tw_store_run_has_mark(const run *rn, uint64_t e);
/* True when rank rk's newest incarnation closed epoch e or ended. */
bool tw_store_rank_closed(const rank *rk, uint64_t e);

/* How many of the run's ranks closed epoch e (tw_store_rank_closed), memoized (closed_gen). */
uint32_t tw_store_run_closed(run *rn, uint64_t e);

/* store_run.c: the metric id's slot in incarnation c (NULL: not declared); binary search. */
mslot *tw_store_inc_metric_search(const inc *c, uint32_t id);
/* The metric id's slot in incarnation c (NULL: not declared). Publishers number their metrics
 * densely from 0 or 1: the slot at the id (or one below) is usually it, which saves the
 * search its pointer chases, and the call (a record looks its metric up). */
static inline mslot *
tw_store_inc_metric(const inc *c, uint32_t id)
{
    if (id < c->map_len && c->map[id]->id == id)
        return c->map[id];
    if (id - 1 < c->map_len && c->map[id - 1]->id == id)
        return c->map[id - 1];
    return tw_store_inc_metric_search(c, id);
}
/* Adds slot m (m->id not declared yet in c) in id order. 0 or -ENOMEM. */
int tw_store_inc_metric_add(tw_store *s, inc *c, mslot *m);

/* store_run.c: the run with this id (NULL: none), or it created with `world` ranks, none of
 * them heard yet (NULL on ENOMEM); get makes it the store's last-used run. */
run *tw_store_run_lookup(const tw_store *s, const char *id);
run *tw_store_run_get(tw_store *s, const char *id, uint32_t world);
/* The run that records of header h (first record r) go to when h's run id is new: the run it
 * resumes (h->join names it), or a run waiting to be joined by this one (r a RUN record of a
 * name some run resumes, started before it), with the same world; the new id becomes its
 * alias. NULL: none (h's run is a run of its own; with a join, it waits). -ENOMEM: *err. */
run *tw_store_run_join(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, int *err);
/* The run that records of header h (record r) go to when h's run id is run rn's: rn, or when
 * h's incarnation is a later launch that got the same id (rn ended before it started, §5.1 of
 * doc/protocol.md) the run "ID~2" (~3, ...) of that launch. NULL when that run is new: its id
 * is then in id (idlen bytes; "" otherwise). */
run *tw_store_run_relaunch(tw_store *s, run *rn, const tw_wire_header *h, const tw_wire_record *r,
                           char *id, size_t idlen);
/* Frees the run and everything it holds. */
void tw_store_run_free(tw_store *s, run *rn);
/* True when the run is static or every rank heard of has ended (and one was). */
bool tw_store_run_ended(const run *rn);
/* Rank r of the run (NULL: never heard); binary search. */
rank *tw_store_rank_find(const run *rn, uint32_t r);
/* Rank r, created when new (growing the run's per-rank arrays); NULL on ENOMEM or when the
 * run holds max_ranks ranks already (*full true, counted by the caller). */
rank *tw_store_rank_get(tw_store *s, run *rn, uint32_t r, bool *full);
/* Incarnation `id` of rank rk, created if new (*created true); NULL on ENOMEM. */
inc *tw_store_inc_get(tw_store *s, run *rn, rank *rk, uint64_t id, bool *created);
/* Makes the newest incarnation of rank rk its current one and re-points the series at it. */
void tw_store_rank_reselect(tw_store *s, run *rn, rank *rk);
/* Refreshes the rank's public view from its current incarnation. */
void tw_store_rank_refresh(rank *rk, double default_hb);
/* Rebuilds the run's restart marks and the points' restart flags; 0 or -ENOMEM. */
int tw_store_marks_rebuild(tw_store *s, run *rn);
/* A new latest step of the run at publisher time t: updates steps_per_sec. */
void tw_store_rate_push(run *rn, double t, uint64_t step);

/* store_state.c: computes the run's and its ranks' states, reason and lag_epoch at `now`;
 * true when anything visible changed (then s->changes was bumped). */
bool tw_store_run_update_state(tw_store *s, run *rn, double now);

/* store_finals.c: appends point pt of series se to the store's finals (again: the point
 * had an entry before). Never fails: on ENOMEM the entry is counted in finals_lost. */
void tw_store_finals_push(tw_store *s, const series *se, const tw_store_point *pt, bool again);

/* store_series.c's tw_store_series_ready for a series a record of incarnation c needs: a
 * declaration it refuses (-EINVAL) counted as bad and told as -EBADMSG. */
static inline int
tw_store_series_ready_counted(tw_store *s, run *rn, rank *rk, inc *c, series *se)
{
    int rc = tw_store_series_ready(s, se);
    if (rc == -EINVAL) {
        BUMP(rn, rk, c, bad_decl, 1);
        return -EBADMSG;
    }
    return rc;
}

/* store_update.c: UPDATE record r of the declared metric m into its series and its component
 * series (0, -EBADMSG for a state of the wrong length (counted), -ENOMEM). */
int tw_store_update_metric(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_state_rec *r,
                           mslot *m);

/* store_update.c: the usual record (an UPDATE of a declared metric from the incarnation placed
 * last, the next seq, its rank's only incarnation and live) ingested the short way, *rc its
 * result; false, having done nothing, for any other record. */
bool tw_store_ingest_usual(tw_store *s, const tw_wire_header *h, const tw_wire_record *r,
                           double now, int *rc);

/* The fields of an UPDATE or EPOCH record r, as a batch gives them. */
static inline tw_wire_state_rec
tw_store_state_rec(const tw_wire_record *r)
{
    return (tw_wire_state_rec){r->state, r->seq,       r->epoch,     r->step,
                               r->time,  r->metric_id, r->state_len, (uint8_t)r->type};
}

/* Whether header h is the one ingest_locate (store_ingest.c) placed last (s->hot). Its target is
 * then the same: once an incarnation is placed, ingest_locate is a function of the header alone
 * (runs, ranks and incarnations are never removed, a run's world never changes, a run id found once
 * is found again, and an incarnation is looked for in the runs it may be in before a new one is
 * made), so every record of a message but the first skips the search. */
static inline bool
tw_store_hot_is(const tw_store *s, const tw_wire_header *h)
{
    if (!s->hot.ok || h->incarnation != s->hot.incarnation || h->rank != s->hot.rank_no ||
        h->world != s->hot.world || h->join[0] != s->hot.join[0] ||
        (h->join[0] && strcmp(h->join, s->hot.join) != 0))
        return false;
    /* the id's bytes and its NUL, 8 at a time (no call: this is once a record) */
    size_t n = s->hot.run_len + 1, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, h->run + i, 8);
        memcpy(&b, s->hot.run_id + i, 8);
        if (a != b)
            return false;
    }
    for (; i < n; i++)
        if (h->run[i] != s->hot.run_id[i])
            return false;
    return true;
}

/* Tracks an incarnation's epoch, step and first epoch from a record of that type, epoch, step
 * and time (not from heartbeats: one may be sent before the program resumed at a later epoch,
 * tw_publisher_resume). */
static inline void
tw_store_track_at(tw_store *s, run *rn, rank *rk, inc *c, int type, uint64_t e, uint64_t step,
                  double time)
{
    if (e == 0)
        return;
    if (type != TW_REC_HEARTBEAT && (c->first_epoch == 0 || e < c->first_epoch)) {
        c->first_epoch = e;
        if (rk->n_incs > 1)
            tw_store_marks_rebuild(s, rn);
    }
    if (type != TW_REC_EPOCH && e > c->epoch)
        c->epoch = e;
    if (step > c->step)
        c->step = step;
    if (rk->cur == c) {
        if (c->epoch > rn->pub.epoch)
            rn->pub.epoch = c->epoch;
        if (c->step > rn->pub.step) {
            rn->pub.step = c->step;
            tw_store_rate_push(rn, time, c->step);
        }
    }
}

#endif
