/* publisher_thread.c - the publisher's background thread: drain, encode, send, log, replay.
 *
 * One loop: announce the run and new metrics, drain the ring (up to the position of the next
 * closed epoch, then that epoch's final states), send heartbeats and drop reports when due,
 * replay the history to new subscribers, commit the run log, and sleep when there was nothing
 * to do. Records are batched into messages (emit.h); every message is sent
 * without blocking and appended to the run log. Replays are sent but not logged.
 *
 * Sleeping. The thread sleeps in poll(2) on the socket's descriptor (subscriptions) and the
 * wake-up descriptor (wake.h) until its next timer: the next heartbeat, the end of the batch
 * window, a replay's turn, the run log's next commit, and, with no message in progress, its next
 * look at the ring. A push never wakes it (no system call, DESIGN section 4): it looks at the ring
 * on a schedule that follows the stream (rhythm.h), TW_LOOK_MIN_MS after it found records, doubling
 * to TW_LOOK_BUSY_MS while the ring stays empty, TW_LOOK_IDLE_MS once it has been empty for
 * TW_LOOK_IDLE_AFTER_MS; a slower step is looked at when due; a step of 40 ms to 1 s rings it
 * (once, when asked). Hand-overs that are not ring records (an epoch closed, a metric or
 * parameter added, the first step, destroy) ring it too. A message in progress waits out its
 * batch window (BATCH_MS from its first record, MESSAGE_GAP_MS from the last message), or, for
 * a step of 40 ms or slower, until its burst has settled. An idle publisher so wakes 5 times a
 * second (it polled every 5 ms: 200), one of 10 steps a second twice a step.
 *
 * Losses are never silent. The socket is XPUB_NODROP, so a send fails (EAGAIN) when a
 * subscriber's queue is full instead of dropping quietly. A live message that fails is
 * counted in send_drops, then sent again with dropping allowed, so that one stalled
 * subscriber does not starve the others (libzmq 4.3 refuses a NODROP send when any matching
 * queue is full); that write marks the stalled queue inactive, and later sends skip it until
 * it reads again. Its subscriber sees the gap in the sequence numbers, and asks for a replay
 * by subscribing again (trainwatch: monitor/model/refill.h). A replay message that
 * fails aborts the replay, which is sent again whole later: a replay is complete or retried,
 * never partial under its replay_through mark.
 *
 * Replays are rate-limited per publisher. A replay goes to every subscriber, and anyone who
 * can reach the socket can subscribe, so a storm of short-lived subscribers would otherwise
 * make the trainer encode and send its whole history once per subscription (doc/protocol.md,
 * "Replays"). The limit is a token bucket (as GCRA: one deadline, replay_retry): REPLAY_BURST
 * replays may start at once, then one per gap of REPLAY_GAP_MIN_MS, which grows to
 * REPLAY_DUTY times the last replay's duration (replays then take at most about
 * 1/REPLAY_DUTY of the thread) up to REPLAY_GAP_MAX_MS. Subscribers arriving while a replay
 * waits share it. So monitors get the history at once when few subscribe (a few started
 * together, or one after another), and within REPLAY_GAP_MAX_MS in a storm. At shutdown the
 * ring is drained until a deadline; records left are counted as dropped and reported before
 * RUN_END. */
#define _GNU_SOURCE
#include "emit.h"
#include "publisher_impl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* A run log commit that failed (the data stays due) is tried again after this. */
#define COMMIT_RETRY_MS 100
/* A live message waits this long after its first record for more (the batch window), and at
 * least until MESSAGE_GAP_MS after the last one: a burst after a quiet spell goes out 5 ms after
 * it began, a steady stream as one message every 10 ms. So records are coalesced into few
 * messages, and SNDHWM (in messages) covers ten seconds of a stopped subscriber. */
#define BATCH_MS          5
#define MESSAGE_GAP_MS    10
#define REPLAY_BURST      8    /* replays that may start back to back */
#define REPLAY_GAP_MIN_MS 250  /* then between the starts of two replays, at least */
#define REPLAY_GAP_MAX_MS 1000 /* ... and at most (the late-join promise under a storm) */
#define REPLAY_DUTY       10   /* the gap is at least this many times the last replay's time */
#define REPLAY_RETRY_MS   100  /* a replay that met a full queue is tried again after this */
/* how far before the bucket's deadline a replay may start: the burst */
#define REPLAY_TOLERANCE_MS ((REPLAY_BURST - 1) * REPLAY_GAP_MIN_MS)
#define DESTROY_BUDGET_MS   900 /* destroy's drain and linger together, when linger allows */
#define MIN_DRAIN_MS        100

/* When the message in progress is to go out (monotonic ms; see BATCH_MS). */
static int64_t
batch_due(const tw_publisher *p)
{
    int64_t window = p->batch_started + BATCH_MS, gap = p->last_message + MESSAGE_GAP_MS;
    return window > gap ? window : gap;
}

static void
run_record(tw_publisher *p, tw_wire_record *r)
{
    memset(r, 0, sizeof(*r));
    r->type = TW_REC_RUN;
    r->seq = p->run_seq;
    r->time = p->cfg.start_time;
    snprintf(r->name, sizeof r->name, "%s", p->cfg.name);
    snprintf(r->host, sizeof r->host, "%s", p->cfg.host);
    snprintf(r->program, sizeof r->program, "%s", p->cfg.program);
    r->pid = (uint64_t)getpid();
    r->planned_epochs = p->bg_planned_epochs;
    r->steps_per_epoch = p->bg_steps_per_epoch;
    r->n_params = p->bg_n_params;
    r->params = p->bg_params;
}

/* Announces the run again when its parameters or plan changed. */
static void
sync_run(tw_publisher *p)
{
    bool dirty;
    pthread_mutex_lock(&p->lock);
    dirty = p->run_dirty;
    if (dirty) {
        memcpy(p->bg_params, p->params, p->n_params * sizeof(tw_wire_param));
        p->bg_n_params = p->n_params;
        p->bg_planned_epochs = p->planned_epochs;
        p->bg_steps_per_epoch = p->steps_per_epoch;
        p->run_dirty = false;
    }
    pthread_mutex_unlock(&p->lock);
    if (!dirty)
        return;
    tw_wire_record r;
    run_record(p, &r);
    p->run_seq = tw_emit(p, &r, false);
}

static void
metric_record(const tw_track *t, tw_wire_record *r)
{
    memset(r, 0, sizeof(*r));
    r->type = TW_REC_METRIC;
    r->seq = t->decl_seq;
    r->metric_id = t->id;
    snprintf(r->name, sizeof r->name, "%s", t->name);
    r->split = t->split;
    r->kind = t->kind;
    r->options = t->opts;
    snprintf(r->args, sizeof r->args, "%s", t->args);
    r->state_len = t->state_len;
    r->goal = t->goal;
}

/* Declares the tracks created since the last pass: those from n_declared on (tracks are
 * declared in the order they were created, so a pass touches no track declared before). */
static void
sync_tracks(tw_publisher *p)
{
    uint32_t n = atomic_load_explicit(&p->n_tracks, memory_order_acquire);
    while (p->n_declared < n) {
        tw_track *t = p->tracks[p->n_declared++];
        tw_wire_record r;
        metric_record(t, &r);
        t->decl_seq = tw_emit(p, &r, false);
        t->declared = true;
    }
}

/* Keeps an update for replays: a small state's in a decimated per-step history (whose last
 * point is the last update), a large state's last one. */
static void
remember_update(tw_publisher *p, tw_track *t, const tw_wire_state *r)
{
    if (t->large) {
        t->has_last = true;
        t->last_seq = r->seq;
        t->last_epoch = r->epoch;
        t->last_step = r->step;
        t->last_time = r->time;
        memcpy(t->last_state, r->state, t->state_len * sizeof(double));
        return;
    }
    tw_step_point *sp = tw_history_next(&t->hist);
    sp->seq = r->seq;
    sp->epoch = r->epoch;
    sp->step = r->step;
    sp->time = r->time;
    memcpy(sp->state, r->state, t->state_len * sizeof(double));
}

/* Reads a large state's snapshot and its sequence number; false if it changed under us four
 * times in a row. */
static bool
read_snapshot(tw_track *t, double *state, uint64_t *seq, uint64_t *epoch, uint64_t *step,
              double *time)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        uint64_t s0 = atomic_load_explicit(&t->snap_seq, memory_order_acquire);
        if (s0 & 1)
            continue;
        *epoch = atomic_load_explicit(&t->snap_epoch, memory_order_relaxed);
        *step = atomic_load_explicit(&t->snap_step, memory_order_relaxed);
        uint64_t bits = atomic_load_explicit(&t->snap_time, memory_order_relaxed);
        memcpy(time, &bits, sizeof bits);
        for (uint32_t i = 0; i < t->state_len; i++) {
            bits = atomic_load_explicit(&t->snap[i], memory_order_relaxed);
            memcpy(&state[i], &bits, sizeof bits);
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&t->snap_seq, memory_order_relaxed) == s0) {
            *seq = s0;
            return true;
        }
    }
    return false;
}

/* The monotonic ms by which the final drain must end, once destroy has begun: destroy's
 * budget minus the linger that follows it, and at least MIN_DRAIN_MS. */
static int64_t
stop_deadline(const tw_publisher *p)
{
    int64_t budget = DESTROY_BUDGET_MS - p->cfg.linger_ms;
    return tw_clock_mono_ms() + (budget > MIN_DRAIN_MS ? budget : MIN_DRAIN_MS);
}

/* Encodes ring records up to ring position `limit`; returns how many were processed. Once
 * destroy has begun, *deadline is set (monotonic ms; INT64_MAX: not yet), and past it the
 * rest up to `limit` is released unsent and counted as lost. */
/* Sends (and logs) which steps lost records at the full ring: a GAP record. */
static void
emit_gap(tw_publisher *p, const tw_ring_rec *rr)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_GAP;
    r.time = tw_clock_wall();
    r.step = rr->step;
    r.to_step = rr->epoch;
    r.dropped = (uint64_t)rr->state[0];
    tw_emit(p, &r, false);
}

static uint64_t
drain(tw_publisher *p, uint64_t limit, int64_t *deadline)
{
    uint64_t ready = tw_ring_ready(&p->ring, limit);
    if (ready == 0)
        return 0;
    uint32_t n_tracks = atomic_load_explicit(&p->n_tracks, memory_order_acquire);
    tw_wire_state r = {.type = TW_REC_UPDATE};
    for (uint64_t i = 0; i < ready; i++) {
        if ((i & 1023) == 0 && i > 0) {
            if (*deadline == INT64_MAX && atomic_load_explicit(&p->stopping, memory_order_relaxed))
                *deadline = stop_deadline(p);
            if (*deadline != INT64_MAX && tw_clock_mono_ms() >= *deadline) {
                uint64_t left = 0; /* records, not the GAPs among them (counted as dropped) */
                for (uint64_t j = i; j < ready; j++)
                    left += tw_ring_peek(&p->ring, j)->kind != TW_RING_GAP;
                atomic_fetch_add_explicit(&p->lost, left, memory_order_relaxed);
                break;
            }
        }
        const tw_ring_rec *rr = tw_ring_peek(&p->ring, i);
        if (rr->kind == TW_RING_GAP) {
            emit_gap(p, rr);
            continue;
        }
        if (rr->track >= n_tracks) /* published before its record: reload */
            n_tracks = atomic_load_explicit(&p->n_tracks, memory_order_acquire);
        tw_track *t = p->tracks[rr->track];
        if (!t->declared)
            sync_tracks(p);
        r.metric_id = t->id;
        r.state_len = t->state_len;
        if (rr->kind == TW_RING_SNAPSHOT) {
            /* The snapshot holds the newest state, not the one of this record. It stands for
             * this record only while it is of the record's epoch (a later epoch's state must
             * not go out before this epoch's end; the epoch's final covers it), and it goes
             * out once however many records point at it. */
            uint64_t seq;
            if (!read_snapshot(t, p->scratch, &seq, &r.epoch, &r.step, &r.time))
                continue; /* being rewritten: a newer snapshot record follows */
            if (r.epoch != rr->epoch || seq == t->snap_sent)
                continue;
            t->snap_sent = seq;
            r.state = p->scratch;
        } else {
            r.epoch = rr->epoch;
            r.step = rr->step;
            r.time = rr->time;
            r.state = rr->state;
        }
        if (p->pass_first_time == 0)
            p->pass_first_time = r.time;
        p->pass_last_time = r.time;
        tw_emit_state(p, &r, false);
        remember_update(p, t, &r);
    }
    tw_ring_release(&p->ring, ready);
    return ready;
}

/* An UPDATE or EPOCH record of track t (seq 0: the next live one, given by tw_emit_state). */
static tw_wire_state
state_record(tw_record_type type, const tw_track *t, uint64_t seq, uint64_t epoch, uint64_t step,
             double time, const double *state)
{
    return (tw_wire_state){.type = type,
                           .seq = seq,
                           .metric_id = t->id,
                           .epoch = epoch,
                           .step = step,
                           .time = time,
                           .state_len = t->state_len,
                           .state = state};
}

/* Fills r as an EPOCH_END record. */
static void
epoch_end_record(tw_wire_record *r, uint64_t seq, uint64_t epoch, uint64_t step, double time,
                 uint32_t metrics)
{
    memset(r, 0, sizeof(*r));
    r->type = TW_REC_EPOCH_END;
    r->seq = seq;
    r->epoch = epoch;
    r->step = step;
    r->time = time;
    r->metrics = metrics;
}

/* Publishes a closed epoch: each metric's final state, then the epoch end. Takes e. */
static void
publish_epoch(tw_publisher *p, tw_epoch_node *e)
{
    sync_tracks(p);
    for (uint32_t i = 0; i < e->n; i++) {
        tw_track *t = p->tracks[e->tracks[i]];
        tw_wire_state r =
            state_record(TW_REC_EPOCH, t, 0, e->epoch, e->step, e->time, e->states[i]);
        tw_emit_state(p, &r, false);
        if (t->n_finals == t->cap_finals) {
            size_t cap = t->cap_finals ? 2 * t->cap_finals : 16;
            tw_epoch_final *nf = realloc(t->finals, cap * sizeof(*nf));
            if (!nf)
                continue; /* kept out of replays, but sent and logged */
            t->finals = nf;
            t->cap_finals = cap;
        }
        t->finals[t->n_finals++] = (tw_epoch_final){.seq = r.seq,
                                                    .epoch = e->epoch,
                                                    .step = e->step,
                                                    .time = e->time,
                                                    .state = e->states[i]};
        e->states[i] = NULL; /* now owned by the track */
    }
    tw_wire_record r;
    epoch_end_record(&r, 0, e->epoch, e->step, e->time, e->n);
    tw_emit(p, &r, false);
    if (p->n_epoch_ends == p->cap_epoch_ends) {
        size_t cap = p->cap_epoch_ends ? 2 * p->cap_epoch_ends : 16;
        tw_epoch_end *ne = realloc(p->epoch_ends, cap * sizeof(*ne));
        if (ne) {
            p->epoch_ends = ne;
            p->cap_epoch_ends = cap;
        }
    }
    if (p->n_epoch_ends < p->cap_epoch_ends)
        p->epoch_ends[p->n_epoch_ends++] = (tw_epoch_end){
            .seq = r.seq, .epoch = e->epoch, .step = e->step, .time = e->time, .metrics = e->n};
    tw_publisher_free_epoch_node(e);
}

/* Drains the ring and the closed epochs in order (drain's deadline applies). Returns the
 * records processed. */
static uint64_t
drain_all(tw_publisher *p, int64_t *deadline)
{
    uint64_t done = 0;
    for (;;) {
        /* The head is read before the queue: when the queue is empty, every record up to this
         * head was pushed before any epoch the training thread may close from now on. */
        uint64_t head = atomic_load_explicit(&p->ring.head, memory_order_acquire);
        pthread_mutex_lock(&p->lock);
        tw_epoch_node *e = p->epochs_head;
        if (e) {
            p->epochs_head = e->next;
            if (!p->epochs_head)
                p->epochs_tail = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        if (!e)
            return done + drain(p, head, deadline);
        done += drain(p, e->ring_pos, deadline);
        publish_epoch(p, e);
        done++;
    }
}

static void
heartbeat(tw_publisher *p)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_HEARTBEAT;
    r.time = tw_clock_wall();
    r.step = atomic_load_explicit(&p->a_step, memory_order_relaxed);
    r.epoch = atomic_load_explicit(&p->a_epoch, memory_order_relaxed);
    r.interval_ms = (uint32_t)p->cfg.heartbeat_ms;
    tw_emit(p, &r, false);
}

/* Reports drops when the count grew since the last report. */
static void
report_drops(tw_publisher *p)
{
    uint64_t d = atomic_load_explicit(&p->dropped, memory_order_relaxed) +
                 atomic_load_explicit(&p->lost, memory_order_relaxed);
    if (d == p->drops_reported)
        return;
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_DROPS;
    r.time = tw_clock_wall();
    r.dropped = d;
    p->drops_seq = tw_emit(p, &r, false);
    p->drops_reported = d;
    p->drops_time = r.time;
}

/* Moves the replay rate limit's deadline after a replay that ran from started to now: by one
 * gap from where it was, or from started if that is past (see the top of this file). A replay
 * that failed at a full queue is tried again REPLAY_RETRY_MS later, not at once. */
static void
replay_schedule(tw_publisher *p, int64_t started, int64_t now)
{
    int64_t gap = REPLAY_DUTY * (now - started);
    gap = gap < REPLAY_GAP_MIN_MS   ? REPLAY_GAP_MIN_MS
          : gap > REPLAY_GAP_MAX_MS ? REPLAY_GAP_MAX_MS
                                    : gap;
    p->replay_retry = (p->replay_retry > started ? p->replay_retry : started) + gap;
    int64_t again = now + REPLAY_RETRY_MS + REPLAY_TOLERANCE_MS;
    if (p->replay_failed && p->replay_retry < again)
        p->replay_retry = again;
}

/* Sends the whole history again, with the original sequence numbers, for new subscribers.
 * When a message of it cannot be sent, the rest is skipped and the replay is marked pending,
 * to be sent again whole. */
static void
replay(tw_publisher *p)
{
    int64_t started = tw_clock_mono_ms();
    tw_emit_flush(p, false);
    p->replay_failed = false;
    p->header.replay_through = p->seq; /* everything sent so far is covered */
    tw_wire_encoder_begin(p->enc, &p->header);
    tw_wire_record r;
    run_record(p, &r);
    tw_emit(p, &r, true);
    uint32_t n = atomic_load_explicit(&p->n_tracks, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        tw_track *t = p->tracks[i];
        if (!t->declared)
            continue;
        metric_record(t, &r);
        tw_emit(p, &r, true);
    }
    size_t next_end = 0;
    for (uint32_t i = 0; i < n; i++) {
        tw_track *t = p->tracks[i];
        for (size_t k = 0; t->declared && k < t->n_finals; k++) {
            const tw_epoch_final *f = &t->finals[k];
            tw_wire_state sr =
                state_record(TW_REC_EPOCH, t, f->seq, f->epoch, f->step, f->time, f->state);
            tw_emit_state(p, &sr, true);
        }
    }
    for (; next_end < p->n_epoch_ends; next_end++) {
        const tw_epoch_end *ee = &p->epoch_ends[next_end];
        epoch_end_record(&r, ee->seq, ee->epoch, ee->step, ee->time, ee->metrics);
        tw_emit(p, &r, true);
    }
    for (uint32_t i = 0; i < n; i++) {
        tw_track *t = p->tracks[i];
        for (size_t k = 0; k < t->hist.n; k++) {
            const tw_step_point *sp = &t->steps[k];
            tw_wire_state sr =
                state_record(TW_REC_UPDATE, t, sp->seq, sp->epoch, sp->step, sp->time, sp->state);
            tw_emit_state(p, &sr, true);
        }
        if (t->has_last && t->large) {
            tw_wire_state sr = state_record(TW_REC_UPDATE, t, t->last_seq, t->last_epoch,
                                            t->last_step, t->last_time, t->last_state);
            tw_emit_state(p, &sr, true);
        }
    }
    if (p->drops_reported) {
        memset(&r, 0, sizeof r);
        r.type = TW_REC_DROPS;
        r.seq = p->drops_seq;
        r.time = p->drops_time;
        r.dropped = p->drops_reported;
        tw_emit(p, &r, true);
    }
    tw_emit_flush(p, true);
    p->header.replay_through = 0;
    tw_wire_encoder_begin(p->enc, &p->header);
    p->replay_pending = p->replay_failed;
    replay_schedule(p, started, tw_clock_mono_ms());
    if (!p->replay_failed)
        atomic_fetch_add_explicit(&p->replays, 1, memory_order_relaxed);
}

/* Whether the socket has a message to read (ZMQ_EVENTS, which re-arms its descriptor). */
static bool
sock_readable(tw_publisher *p)
{
    int events = 0;
    size_t len = sizeof events;
    return zmq_getsockopt(p->sock, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN);
}

/* Reads subscription messages; true when a new subscriber arrived. */
static bool
new_subscribers(tw_publisher *p)
{
    bool any = false;
    uint8_t buf[256];
    for (;;) {
        int n = zmq_recv(p->sock, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        if (n >= 1 && buf[0] == 1)
            any = true;
    }
    return any;
}

static void
run_end(tw_publisher *p)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_RUN_END;
    r.time = tw_clock_wall();
    pthread_mutex_lock(&p->lock);
    r.status = p->status;
    pthread_mutex_unlock(&p->lock);
    tw_emit(p, &r, false);
}

/* Whether the run may be announced now: its identity is fixed once the training thread has
 * done something that rules out tw_publisher_resume (an update, a step, an epoch end), called
 * it, or stops, and at the latest at the first heartbeat. Until then the thread sends nothing,
 * so that a resumed incarnation's every message names the run it joins. */
static bool
announce(tw_publisher *p, int64_t first_heartbeat)
{
    bool go = atomic_load(&p->stopping) || tw_clock_mono_ms() >= first_heartbeat ||
              atomic_load_explicit(&p->records, memory_order_relaxed) > 0 ||
              atomic_load_explicit(&p->a_step, memory_order_relaxed) > 0;
    pthread_mutex_lock(&p->lock);
    go = go || p->resumed || p->epochs_head;
    if (go) {
        p->announced = true;
        if (p->resumed)
            snprintf(p->header.join, sizeof p->header.join, "%s", p->cfg.name);
    }
    pthread_mutex_unlock(&p->lock);
    return go;
}

/* The earlier of two monotonic times. */
static int64_t
earlier(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The loop's next timer after a pass at `now`: the heartbeat, a pending replay's turn, the run
 * log's next commit (the pass has just committed: one still due now has failed). */
static int64_t
next_timer(tw_publisher *p, int64_t now, int64_t next_heartbeat)
{
    int64_t due = next_heartbeat;
    if (p->replay_pending)
        due = earlier(due, p->replay_retry - REPLAY_TOLERANCE_MS);
    if (p->log) {
        int64_t commit = tw_runlog_writer_commit_due(p->log);
        due = earlier(due, commit > now ? commit : now + COMMIT_RETRY_MS);
    }
    return due;
}

/* Notes the records the pass at `now` drained in the stream's rhythm (rhythm.h). */
static void
note_burst(tw_publisher *p, int64_t now)
{
    double f = p->pass_first_time, l = p->pass_last_time;
    if (f > 0)
        tw_rhythm_note_step(&p->rhythm, tw_rhythm_note(&p->rhythm, now, tw_clock_wall(), f, l),
                            atomic_load(&p->a_step), p->asked, p->rang, f, l);
    p->look |= f == 0 && p->rang > 0; /* a step rang before its records: look for them */
    p->pass_first_time = p->pass_last_time = p->rang = 0; /* the pass after a wake tells */
    p->asked = false;
}

/* Whether the message in progress goes out at `now`, before its batch window ends: it holds
 * the current burst of a slow rhythm, which has settled, and the ring is drained (nothing more
 * is due before the next burst). */
static bool
rhythm_flush(tw_publisher *p, int64_t now)
{
    return tw_rhythm_slow_burst_done(&p->rhythm, now) && tw_wire_encoder_count(p->enc) > 0 &&
           tw_ring_ready(&p->ring, UINT64_MAX) == 0;
}

/* Sleeps until `due` (monotonic ms), a subscription, or a ring of the wake-up. With no message
 * in progress, also until its next look at the ring (none at all when records came in since
 * the last drain); a message in progress sleeps through its batch window. */
static void
sleep_until(tw_publisher *p, int64_t now, int64_t due)
{
    bool ask = false, batch_open = tw_wire_encoder_count(p->enc) > 0;
    if (batch_open) {
        due = earlier(due, batch_due(p));
        int64_t settles = tw_rhythm_slow_burst_settles(&p->rhythm, now);
        if (settles > 0) /* a slow rhythm's burst goes out once it has settled */
            due = earlier(due, settles > now ? settles : now + 1);
    } else {
        ask = !p->look && tw_rhythm_step_rings(&p->rhythm); /* until a step rings (rhythm.h) */
        atomic_store(&p->ring_at_step, ask);
        atomic_thread_fence(memory_order_seq_cst); /* (tw_publisher_step's fence) */
        if (tw_ring_ready(&p->ring, UINT64_MAX) > 0)
            return;
        p->look = false;
        due = earlier(due, ask ? tw_rhythm_step_backstop(&p->rhythm, now)
                               : tw_rhythm_look(&p->rhythm, now, p->last_record, &p->ring_poll_ms));
    }
    int64_t timeout = due - now;
    timeout = timeout < 0 ? 0 : timeout > INT32_MAX ? INT32_MAX : timeout;
    /* zmq_poll's work, in fewer system calls: the socket's events before the sleep (which
     * re-arms its descriptor), and again only when the descriptor woke it */
    p->sub_check = sock_readable(p);
    if (!p->sub_check) {
        struct pollfd fds[2] = {{.fd = p->sock_fd, .events = POLLIN},
                                {.fd = p->wake.rfd, .events = POLLIN}};
        if (poll(fds, 2, (int)timeout) > 0) {
            if (fds[1].revents & POLLIN)
                tw_wake_clear(&p->wake);
            p->sub_check = (fds[0].revents & POLLIN) && sock_readable(p);
        }
    }
    p->asked = ask; /* what this sleep was: the next pass notes it (note_burst) */
    p->rang = ask && !atomic_exchange(&p->ring_at_step, false) /* a step took the ask */
                  ? atomic_load_explicit(&p->rang_at, memory_order_relaxed)
                  : 0;
}

void *
tw_publisher_thread(void *arg)
{
    tw_publisher *p = arg;
    pthread_setname_np(pthread_self(), "trainwatch-pub"); /* top -H; the tests find it so */
    size_t fd_len = sizeof p->sock_fd;
    if (zmq_getsockopt(p->sock, ZMQ_FD, &p->sock_fd, &fd_len) != 0)
        p->sock_fd = -1; /* (cannot happen) poll ignores it: the events are read at each sleep */
    p->sub_check = true;
    int64_t next_heartbeat = tw_clock_mono_ms() + p->cfg.heartbeat_ms;
    int64_t deadline = INT64_MAX;
    while (!announce(p, next_heartbeat)) {
        if (new_subscribers(p)) { /* they get the replay once the run is announced */
            p->replay_pending = true;
            p->replay_retry = 0;
        }
        /* no replay or log before it; the first step rings the wake-up, a first update is
         * found at a look at the ring (and announces the run: no spinning on it) */
        sleep_until(p, tw_clock_mono_ms(), next_heartbeat);
    }
    tw_wire_encoder_begin(p->enc, &p->header);
    tw_emit_nodrop(p, 1);
    p->last_record = tw_clock_mono_ms(); /* the first step just came: look at the ring soon */
    p->ring_poll_ms = TW_LOOK_MIN_MS;

    for (;;) {
        bool stopping = atomic_load(&p->stopping);
        if (stopping && deadline == INT64_MAX)
            deadline = stop_deadline(p); /* destroy is bounded: linger comes after this */
        sync_run(p);
        sync_tracks(p);
        uint64_t done = drain_all(p, &deadline);
        report_drops(p);
        int64_t now = tw_clock_mono_ms();
        note_burst(p, now);
        if (done > 0) {
            p->last_record = now;
            p->ring_poll_ms = TW_LOOK_MIN_MS;
        }
        bool beat_alone = false; /* an idle beat goes out at once: no window to wait out */
        if (now >= next_heartbeat) {
            beat_alone = tw_wire_encoder_count(p->enc) == 0;
            heartbeat(p);
            next_heartbeat = now + p->cfg.heartbeat_ms;
        }
        if (stopping || beat_alone || now >= batch_due(p) || rhythm_flush(p, now))
            tw_emit_flush(p, false);
        if (p->sub_check && new_subscribers(p))
            p->replay_pending = true;
        p->sub_check = true; /* until a sleep finds nothing to read (sleep_until) */
        if (p->replay_pending && now >= p->replay_retry - REPLAY_TOLERANCE_MS)
            replay(p);
        if (p->log)
            tw_runlog_writer_commit(p->log, now, 0);
        if (stopping)
            break;
        if (done == 0)
            sleep_until(p, now, next_timer(p, now, next_heartbeat));
    }
    if (p->ring.gap_n) { /* still full at the end: the training thread has stopped pushing */
        tw_ring_rec last = {.kind = TW_RING_GAP, .step = p->ring.gap_from, .epoch = p->ring.gap_to};
        last.state[0] = (double)p->ring.gap_n;
        emit_gap(p, &last);
    }
    report_drops(p); /* what the deadline left in the ring */
    run_end(p);
    tw_emit_flush(p, false);
    if (p->log)
        tw_runlog_writer_commit(p->log, tw_clock_mono_ms(), 1);
    return NULL;
}
