/* publisher_impl.h - the publisher's shared state: what the training thread writes, what the
 * background thread owns, and the few things they hand over.
 *
 * Design note. Ownership is by thread, so that the training thread's hot path needs no lock:
 *   - training thread: the step and epoch counters, each track's metric pointer and "updated
 *     this epoch" flag, the producer side of the ring, the large-state snapshots (seqlock);
 *   - background thread: the socket, the encoder, the run log, sequence numbers, and each
 *     track's history (epoch finals, decimated per-step points, last update) for replays;
 *   - handed over: new tracks (published by a release store of n_tracks; a track is
 *     immutable once published except for the fields named above), ring records, and under
 *     `lock` (never taken on the hot path) closed epochs, hyperparameters and the status.
 * The background thread sleeps when it has nothing to do (publisher_thread.c) and looks at the
 * ring on its own schedule: a push makes no system call. The training thread rings `wake` only
 * for the rare hand-overs that are not ring records (an epoch closed, a metric, a parameter,
 * the first step, destroy). */
#ifndef TW_PUBLISHER_IMPL_H
#define TW_PUBLISHER_IMPL_H

#include "clock.h"
#include "config.h"
#include "history.h"
#include "metric_impl.h"
#include "ring.h"
#include "runlog.h"
#include "trainwatch.h"
#include "rhythm.h"
#include "wake.h"
#include "wire.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define TW_MAX_TRACKS 1024
#define TW_MAX_PARAMS TW_WIRE_MAX_PARAMS
/* A large state is copied into its snapshot at most this often (seconds). */
#define TW_SNAPSHOT_INTERVAL 0.02

/* A per-step point of a small state, kept for replays. */
typedef struct tw_step_point {
    uint64_t seq, epoch, step;
    double time;
    double state[TW_RING_INLINE_STATE];
} tw_step_point;

/* A metric's final state of one epoch, kept for replays. */
typedef struct tw_epoch_final {
    uint64_t seq, epoch, step;
    double time;
    double *state;
} tw_epoch_final;

/* A tracked metric. What an update touches comes first, in two cache lines (the track is
 * allocated 64-aligned): the hook and the ring record's fields, which the training thread and
 * then the background thread read, in the first; the background thread's history in the
 * second. The rest is touched when a track is declared, at epochs and in replays. At 256
 * ranks on one host the processes evict each other's memory between steps, so that each line
 * an update touches is a miss on both threads (doc/performance.md, "The 256 ranks'
 * publishers"). */
typedef struct tw_track {
    /* Every update. */
    tw_metric_hook hook; /* first: the metric calls back through it */
    struct tw_publisher *pub;
    uint32_t id;          /* immutable once published */
    uint32_t state_len;   /* immutable once published */
    bool large;           /* state_len > TW_RING_INLINE_STATE: travels through the snapshot */
    bool updated;         /* training thread: updated in the current epoch */
    bool declared;        /* background thread */
    tw_step_point *steps; /* small states only: per-step history (hist.n points) */
    _Alignas(64) tw_history hist; /* over steps: decimated when full (history.h) */

    /* Immutable once published. */
    char name[TW_WIRE_MAX_NAME + 1];
    tw_split split;
    int kind; /* tw_metric_kind or TW_WIRE_KIND_GAUGE */
    tw_goal goal;
    tw_metric_options opts;
    char *args; /* the metric's Keras arguments (tw_metric_options_string), owned */

    /* Training thread. */
    tw_metric *metric; /* NULL once the metric is destroyed, or for a gauge */
    double gauge_value;
    double last_snapshot; /* time of the last snapshot copy */

    /* Snapshot of a large state: written by the training thread under a sequence lock
     * (odd while writing), read by the background thread, which retries on a change. */
    _Atomic uint64_t snap_seq;
    _Atomic uint64_t snap_epoch, snap_step, snap_time; /* time: the double's bits */
    _Atomic uint64_t *snap;                            /* state_len doubles' bits */

    /* Background thread. */
    uint64_t decl_seq;
    uint64_t snap_sent; /* snap_seq of the last snapshot sent (0: none) */
    bool has_last;      /* large states only: the last update, for replays of the live epoch
                           (a small state's is the history's last point) */
    uint64_t last_seq, last_epoch, last_step;
    double last_time;
    double *last_state;
    tw_epoch_final *finals;
    size_t n_finals, cap_finals;
} tw_track;

_Static_assert(offsetof(tw_track, steps) + sizeof(tw_step_point *) <= 64 &&
                   offsetof(tw_track, hist) == 64 && sizeof(tw_history) <= 64,
               "an update's fields of a track fill its first two cache lines");

/* An epoch closed by the training thread, waiting for the background thread. */
typedef struct tw_epoch_node {
    struct tw_epoch_node *next;
    uint64_t ring_pos; /* ring records before this position belong before the epoch end */
    uint64_t epoch, step;
    double time;
    uint32_t n;
    uint32_t *tracks;
    double **states;
} tw_epoch_node;

/* An EPOCH_END record kept for replays. */
typedef struct tw_epoch_end {
    uint64_t seq, epoch, step;
    double time;
    uint32_t metrics;
} tw_epoch_end;

struct tw_publisher {
    tw_config cfg;
    tw_diag_fn on_diag;
    void *diag_ctx;
    void *zctx;
    bool own_ctx;
    void *sock;
    char endpoint[TW_ENDPOINT_PATH_MAX];
    char registry_path[TW_ENDPOINT_PATH_MAX];
    char log_path[TW_ENDPOINT_PATH_MAX];
    bool private_dir; /* cfg.runtime_dir is a private fallback directory of this publisher's */
    tw_runlog_writer *log;
    tw_ring ring;
    tw_wake wake; /* rung when the thread sleeps and has work: a first record, an epoch, ... */
    pthread_t thread;
    bool thread_started;
    pid_t owner; /* the process that created it: a forked child's copy touches nothing of it */
    _Atomic bool stopping;

    /* Training thread (mirrored into atomics for the heartbeat). */
    uint64_t step, epoch;
    _Atomic uint64_t a_step, a_epoch;
    _Atomic bool ring_at_step; /* the thread sleeps until the next step rings it (rhythm.h) */
    _Atomic double rang_at;    /* wall seconds of the step that rang it */
    _Atomic uint64_t records, dropped;

    tw_track *tracks[TW_MAX_TRACKS];
    _Atomic uint32_t n_tracks;

    /* Under lock. */
    pthread_mutex_t lock;
    tw_epoch_node *epochs_head, *epochs_tail;
    tw_wire_param params[TW_MAX_PARAMS];
    uint32_t n_params;
    uint64_t planned_epochs, steps_per_epoch;
    bool run_dirty; /* params or plan changed: announce the run again */
    tw_run_status status;
    bool announced; /* the thread sent its first message: the identity is fixed */
    bool resumed;   /* tw_publisher_resume: the envelope names the run it joins */

    /* Background thread. */
    tw_wire_encoder *enc;
    tw_wire_header header;
    uint64_t seq;
    uint64_t run_seq;
    int64_t batch_started; /* monotonic ms when the message in progress got its first record */
    int64_t last_message;  /* monotonic ms when the last live message went out */
    int64_t last_record;   /* monotonic ms when the thread last found ring records */
    int ring_poll_ms;      /* how long it sleeps before it looks at the ring again */
    tw_rhythm rhythm;      /* of the records drained (rhythm.h) */
    double pass_first_time, pass_last_time; /* push times of a pass's records; 0: none */
    bool asked, look;    /* it asked for the step's ring before this pass; look, not ask, next */
    double rang;         /* when the step that rang it was taken (wall seconds); 0: none */
    uint32_t n_declared; /* tracks 0 .. n_declared - 1 are declared */
    tw_wire_param bg_params[TW_MAX_PARAMS];
    uint32_t bg_n_params;
    uint64_t bg_planned_epochs, bg_steps_per_epoch;
    tw_epoch_end *epoch_ends;
    size_t n_epoch_ends, cap_epoch_ends;
    uint64_t drops_reported, drops_seq;
    double drops_time;
    int last_log_error;
    double *scratch;      /* TW_WIRE_MAX_STATE doubles: a large state read from a snapshot */
    bool replay_pending;  /* a subscriber is waiting for a replay, or one failed */
    int64_t replay_retry; /* monotonic ms: the replay rate limit's deadline (GCRA) */
    bool replay_failed;   /* the current replay attempt hit a full queue */
    int sock_fd;          /* the socket's ZMQ_FD: readable when its events may have changed */
    bool sub_check; /* the next pass reads the socket: a subscription may wait (sleep_until) */
    bool encode_error_told; /* an encoder failure was reported through on_diag */
    bool send_drop_told;    /* a refused send was reported through on_diag */

    /* Counters, readable from any thread. */
    _Atomic uint64_t sent, send_drops, messages, replays, log_frames, log_errors;
    _Atomic uint64_t lost; /* background thread: records it could not encode or drain in time */
};

/* Background thread body (publisher_thread.c). */
void *tw_publisher_thread(void *arg);

/* Sends a diagnostic to the callback, if any. Thread-safe as the callback is. */
__attribute__((format(printf, 4, 5))) void
tw_publisher_diag(const struct tw_publisher *p, tw_log_level level, int err, const char *fmt, ...);

/* Frees a closed epoch's node and its states. NULL-safe. */
void tw_publisher_free_epoch_node(tw_epoch_node *e);

/* Whether a metric name or parameter key may be used: 1..TW_WIRE_MAX_NAME bytes, no control
 * character (as run names). */
static inline bool
tw_publisher_name_ok(const char *s)
{
    return s && *s && strlen(s) <= TW_WIRE_MAX_NAME && !tw_config_has_control(s);
}

#endif
