/* publisher.c - the publisher's API on the training thread: create, track, step, epoch end.
 *
 * The hot path is track_notify (called by every update of a tracked metric) and
 * tw_publisher_step: a ring push and a counter. Everything that can block or allocate runs
 * at creation, at tw_publisher_track / the first gauge of a name, at epoch end (once an
 * epoch), or on the background thread (publisher_thread.c). */
#define _GNU_SOURCE
#include "logdir.h"
#include "metric_impl.h"
#include "publisher_impl.h"
#include "registry.h"
#include "sigmask.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define SNDHWM_MESSAGES 1000

static void track_notify(tw_metric_hook *h, const tw_metric *m);
static void track_detach(tw_metric_hook *h);

void
tw_publisher_diag(const tw_publisher *p, tw_log_level level, int err, const char *fmt, ...)
{
    if (!p->on_diag)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->on_diag(p->diag_ctx, level, err, msg);
}

/* Registers the run in the runtime directory, after removing entries of dead processes. */
static int
register_run(tw_publisher *p, const char *base)
{
    tw_registry_scan(p->cfg.runtime_dir, true, NULL, NULL);
    tw_registry_entry e;
    memset(&e, 0, sizeof e);
    e.pid = (long)getpid();
    snprintf(e.run, sizeof e.run, "%s", p->cfg.run_id);
    snprintf(e.name, sizeof e.name, "%s", p->cfg.name);
    e.rank = p->cfg.rank;
    e.world = p->cfg.world;
    snprintf(e.endpoint, sizeof e.endpoint, "%s", p->endpoint);
    snprintf(e.program, sizeof e.program, "%s", p->cfg.program);
    snprintf(e.host, sizeof e.host, "%s", p->cfg.host);
    e.start = p->cfg.start_time;
    e.incarnation = p->cfg.incarnation;
    /* the run log, absolute: a monitor that finds this run reads the logs of its earlier
     * incarnations beside it (a restart from a checkpoint shows its whole run) */
    if (p->log_path[0] && !realpath(p->log_path, e.log))
        e.log[0] = '\0';
    return tw_registry_write(p->cfg.runtime_dir, base, &e, p->registry_path,
                             sizeof p->registry_path);
}

/* Sets the endpoint to the socket base.sock in cfg.runtime_dir. Returns false when the path
 * would not fit an ipc socket path (tw_endpoint_runtime_dir leaves room for it). */
static bool
set_ipc_endpoint(tw_publisher *p, const char *base)
{
    int n = snprintf(p->cfg.endpoint, sizeof p->cfg.endpoint, "ipc://%.3900s/%.60s.sock",
                     p->cfg.runtime_dir, base);
    return n > 0 && (size_t)n - 6 < 108;
}

/* When the runtime directory cannot be used: a private directory of this publisher's (not
 * registered, so monitors need the endpoint), else inproc (nobody can connect; the run log
 * still records the run). Training never stops for it. why: the refusal, for the message. */
static void
fall_back_unregistered(tw_publisher *p, const char *base, const char *why)
{
    p->cfg.registered = false;
    p->private_dir = tw_endpoint_private_dir(p->cfg.runtime_dir, sizeof p->cfg.runtime_dir) == 0;
    if (p->private_dir && set_ipc_endpoint(p, base)) {
        tw_publisher_diag(p, TW_LOG_WARNING, 0,
                          "%s: publishing without the registry of live runs, on %s (watch it "
                          "with: trainwatch %s)",
                          why, p->cfg.endpoint, p->cfg.endpoint);
        return;
    }
    snprintf(p->cfg.endpoint, sizeof p->cfg.endpoint, "inproc://trainwatch-%s", base);
    tw_publisher_diag(p, TW_LOG_WARNING, 0,
                      "%s, and no private directory can be made: not publishing to monitors "
                      "(the run log still records the run; or set TRAINWATCH_ENDPOINT)",
                      why);
}

/* Chooses the default ipc endpoint in the runtime directory (the run is registered later),
 * or a fallback that publishes unregistered; never fails. */
static void
setup_default_endpoint(tw_publisher *p)
{
    char err[1024];
    char base[64];
    snprintf(base, sizeof base, "%ld-%08llx", (long)getpid(),
             (unsigned long long)(p->cfg.incarnation & 0xffffffffu));
    int rc =
        tw_endpoint_runtime_dir(p->cfg.runtime_dir, sizeof p->cfg.runtime_dir, err, sizeof err);
    if (rc != 0) {
        fall_back_unregistered(p, base, err);
        return;
    }
    if (err[0]) /* XDG_RUNTIME_DIR was not usable: /tmp/trainwatch-UID instead */
        tw_publisher_diag(p, TW_LOG_WARNING, 0, "%s", err);
    if (!set_ipc_endpoint(p, base))
        fall_back_unregistered(p, base, "the runtime directory is too long for an ipc path");
}

/* Creates and binds (or connects) the XPUB socket. */
static int
open_socket(tw_publisher *p, void *ctx)
{
    if (ctx) {
        p->zctx = ctx;
    } else {
        p->zctx = zmq_ctx_new();
        if (!p->zctx)
            return -ENOMEM;
        p->own_ctx = true;
    }
    p->sock = zmq_socket(p->zctx, ZMQ_XPUB);
    if (!p->sock)
        return -errno;
    int one = 1, hwm = SNDHWM_MESSAGES, linger = p->cfg.linger_ms, zero = 0;
    int64_t maxmsg = 4096; /* subscribers only send subscriptions */
    zmq_setsockopt(p->sock, ZMQ_XPUB_VERBOSE, &one, sizeof one);
    zmq_setsockopt(p->sock, ZMQ_XPUB_NODROP, &one, sizeof one); /* see publisher_thread.c */
    zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(p->sock, ZMQ_SNDTIMEO, &zero, sizeof zero);
    zmq_setsockopt(p->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (p->cfg.curve != TW_CURVE_NONE) {
        int server = p->cfg.curve == TW_CURVE_SERVER;
        int crc = zmq_setsockopt(p->sock, ZMQ_CURVE_SERVER, &server, sizeof server);
        if (crc == 0 && !server)
            crc = zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, p->cfg.curve_server.z85,
                                 TW_CURVE_KEY_LEN);
        if (crc == 0)
            crc = zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, p->cfg.curve_secret.z85,
                                 TW_CURVE_KEY_LEN);
        if (crc == 0 && !server)
            crc = zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, p->cfg.curve_public.z85,
                                 TW_CURVE_KEY_LEN);
        if (crc != 0) {
            int e = errno;
            tw_publisher_diag(p, TW_LOG_ERROR, e, "cannot use CURVE keys: %s", zmq_strerror(e));
            return -e;
        }
    }
    int v6 = tw_endpoint_ipv6(p->cfg.endpoint);
    zmq_setsockopt(p->sock, ZMQ_IPV6, &v6, sizeof v6);
    int rc =
        p->cfg.connect ? zmq_connect(p->sock, p->cfg.endpoint) : zmq_bind(p->sock, p->cfg.endpoint);
    if (rc != 0) {
        int e = errno;
        tw_publisher_diag(p, TW_LOG_ERROR, e, "cannot %s %s: %s",
                          p->cfg.connect ? "connect to" : "bind", p->cfg.endpoint, zmq_strerror(e));
        return -e;
    }
    if (p->cfg.insecure_exposed)
        tw_publisher_diag(p, TW_LOG_WARNING, 0,
                          "publishing in clear on %s (insecure allowed): anyone who can reach "
                          "it can read the run and send it subscriptions; use a CURVE key "
                          "(trainwatch keygen) on untrusted networks",
                          p->cfg.endpoint);
    size_t len = sizeof p->endpoint;
    if (p->cfg.connect || zmq_getsockopt(p->sock, ZMQ_LAST_ENDPOINT, p->endpoint, &len) != 0)
        snprintf(p->endpoint, sizeof p->endpoint, "%s", p->cfg.endpoint);
    return 0;
}

/* Opens the run log <dir>/<run>-r<rank>-<incarnation>.twlog; failure is reported, not fatal. */
static void
open_log(tw_publisher *p)
{
    if (p->cfg.log_off)
        return;
    char run[TW_ENDPOINT_NAME_MAX];
    snprintf(run, sizeof run, "%s", p->cfg.name);
    tw_endpoint_sanitize(run);
    char name[TW_ENDPOINT_NAME_MAX + 40];
    int n = tw_runlog_file_name(name, sizeof name, run, p->cfg.rank, p->cfg.incarnation);
    if (n >= 0)
        n = snprintf(p->log_path, sizeof p->log_path, "%s/%s", p->cfg.log_dir, name);
    if (n < 0 || (size_t)n >= sizeof p->log_path) {
        tw_publisher_diag(p, TW_LOG_ERROR, ENAMETOOLONG, "run-log path is too long");
        p->log_path[0] = '\0';
        return;
    }
    char why[1024], warn[512];
    if (tw_logdir_prepare(p->cfg.log_dir, (unsigned)p->cfg.log_mode, warn, sizeof warn, why,
                          sizeof why) != 0) {
        tw_publisher_diag(p, TW_LOG_ERROR, EACCES, "%s; training goes on without a run log", why);
        atomic_fetch_add(&p->log_errors, 1);
        p->log_path[0] = '\0';
        return;
    }
    if (warn[0])
        tw_publisher_diag(p, TW_LOG_WARNING, 0, "%s: other users may replace the run logs", warn);
    p->log = tw_runlog_writer_open_compressed(p->log_path, 1000, (unsigned)p->cfg.log_mode, 1);
    if (!p->log) {
        int e = errno;
        tw_publisher_diag(p, TW_LOG_ERROR, e,
                          "cannot create run log %s: %s; training goes on without it", p->log_path,
                          strerror(e));
        atomic_fetch_add(&p->log_errors, 1);
        p->log_path[0] = '\0';
    }
}

static void free_publisher(tw_publisher *p);

tw_publisher *
tw_publisher_new(const tw_publisher_options *opts)
{
    tw_publisher_options o = opts ? *opts : tw_publisher_defaults();
    tw_publisher *p = calloc(1, sizeof(*p));
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->on_diag = o.on_diag;
    p->diag_ctx = o.diag_ctx;
    pthread_mutex_init(&p->lock, NULL);
    p->wake = (tw_wake){.rfd = -1, .wfd = -1}; /* closed until opened below */
    p->owner = getpid();
    p->epoch = 1;
    atomic_store(&p->a_epoch, 1);

    char err[512];
    int rc = tw_config_resolve(&p->cfg, &o, err, sizeof err);
    if (rc != 0) {
        tw_publisher_diag(p, TW_LOG_ERROR, -rc, "%s", err);
        goto fail;
    }
    if (p->cfg.note[0])
        tw_publisher_diag(p, TW_LOG_WARNING, EINVAL, "%s", p->cfg.note);
    if (p->cfg.registered)
        setup_default_endpoint(p);
    rc = -ENOMEM;
    if (tw_ring_init(&p->ring, p->cfg.ring_capacity) != 0 || !(p->enc = tw_wire_encoder_new()) ||
        !(p->scratch = calloc(TW_WIRE_MAX_STATE, sizeof(double))))
        goto fail;
    if ((rc = tw_wake_init(&p->wake)) != 0) {
        tw_publisher_diag(p, TW_LOG_ERROR, -rc, "cannot open the publisher thread's wake-up");
        goto fail;
    }
    if ((rc = open_socket(p, o.zmq_context)) != 0)
        goto fail;
    open_log(p); /* before registering: the registry names the log */
    if (p->cfg.registered) {
        char base[64];
        snprintf(base, sizeof base, "%ld-%08llx", (long)getpid(),
                 (unsigned long long)(p->cfg.incarnation & 0xffffffffu));
        int e = register_run(p, base);
        if (e != 0)
            tw_publisher_diag(p, TW_LOG_WARNING, -e,
                              "cannot register the run in %s (%s): monitors will need the "
                              "endpoint %s",
                              p->cfg.runtime_dir, strerror(-e), p->endpoint);
    }

    p->header.version = TW_WIRE_VERSION;
    snprintf(p->header.run, sizeof p->header.run, "%s", p->cfg.run_id);
    p->header.incarnation = p->cfg.incarnation;
    p->header.rank = p->cfg.rank;
    p->header.world = p->cfg.world;
    p->run_dirty = true;

    sigset_t mask, old; /* the process's signals go to the application's threads (sigmask.h) */
    tw_sigmask_thread(&mask);
    pthread_sigmask(SIG_SETMASK, &mask, &old);
    rc = -pthread_create(&p->thread, NULL, tw_publisher_thread, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        tw_publisher_diag(p, TW_LOG_ERROR, -rc, "cannot start the publisher thread");
        goto fail;
    }
    p->thread_started = true;
    return p;

fail:
    free_publisher(p);
    errno = rc < 0 ? -rc : EINVAL;
    return NULL;
}

/* The goal a metric's kind implies (losses and errors down, the rest up). */
static tw_goal
goal_of_kind(int kind)
{
    switch (kind) {
    case TW_METRIC_MEAN:
    case TW_METRIC_SUM:
    case TW_WIRE_KIND_GAUGE:
    case TW_METRIC_TRUE_POSITIVES: /* Keras gives the counts no direction */
    case TW_METRIC_FALSE_POSITIVES:
    case TW_METRIC_TRUE_NEGATIVES:
    case TW_METRIC_FALSE_NEGATIVES:
    case TW_METRIC_CUSTOM: /* the user says, with the name */
        return TW_GOAL_UNKNOWN;
    case TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY:
    case TW_METRIC_KL_DIVERGENCE:
    case TW_METRIC_POISSON:
    case TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR:
    case TW_METRIC_LOG_COSH_ERROR:
    case TW_METRIC_HINGE:
    case TW_METRIC_SQUARED_HINGE:
    case TW_METRIC_CATEGORICAL_HINGE:
    case TW_METRIC_MEAN_SQUARED_ERROR:
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR:
    case TW_METRIC_MEAN_ABSOLUTE_ERROR:
    case TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR:
    case TW_METRIC_BINARY_CROSSENTROPY:
    case TW_METRIC_CATEGORICAL_CROSSENTROPY:
        return TW_GOAL_MIN;
    default:
        return TW_GOAL_MAX;
    }
}

/* Creates and publishes a track. Returns it, or NULL with *rc set. */
static tw_track *
add_track(tw_publisher *p, const char *name, tw_split split, int kind, tw_metric_options opts,
          const char *args, uint32_t state_len, int *rc)
{
    uint32_t n = atomic_load_explicit(&p->n_tracks, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++)
        if (p->tracks[i]->split == split && strcmp(p->tracks[i]->name, name) == 0) {
            *rc = -EINVAL; /* the same name and split twice */
            return NULL;
        }
    if (n == TW_MAX_TRACKS) {
        *rc = -EINVAL;
        return NULL;
    }
    tw_track *t = aligned_alloc(_Alignof(tw_track), sizeof(*t)); /* (publisher_impl.h) */
    if (t)
        memset(t, 0, sizeof(*t));
    if (!t) {
        *rc = -ENOMEM;
        return NULL;
    }
    t->hook.notify = track_notify;
    t->hook.detach = track_detach;
    t->id = n;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->split = split;
    t->kind = kind;
    t->goal = goal_of_kind(kind);
    t->opts = opts;
    t->state_len = state_len;
    t->large = state_len > TW_RING_INLINE_STATE;
    t->pub = p;
    t->last_snapshot = -1.0;
    t->args = strdup(args);
    if (t->large) {
        t->last_state = calloc(state_len, sizeof(double));
        t->snap = calloc(state_len, sizeof(*t->snap));
    }
    if (!t->args || (t->large && (!t->last_state || !t->snap))) {
        free(t->args);
        free(t->last_state);
        free(t->snap);
        free(t);
        *rc = -ENOMEM;
        return NULL;
    }
    if (!t->large) {
        t->steps = calloc((size_t)p->cfg.step_history, sizeof(*t->steps));
        if (!t->steps) {
            free(t->args);
            free(t);
            *rc = -ENOMEM;
            return NULL;
        }
        tw_history_init(&t->hist, t->steps, sizeof(*t->steps), (size_t)p->cfg.step_history,
                        p->cfg.incarnation, n);
    }
    p->tracks[n] = t;
    atomic_store_explicit(&p->n_tracks, n + 1, memory_order_release);
    tw_wake_post(&p->wake); /* the thread declares it */
    *rc = 0;
    return t;
}

/* Whether two metrics' options mean the same (field by field: no padding compared). */
static bool
same_options(const tw_metric_options *a, const tw_metric_options *b)
{
    return a->threshold == b->threshold && a->k == b->k && a->num_thresholds == b->num_thresholds &&
           a->curve == b->curve && a->summation == b->summation;
}

int
tw_publisher_track(tw_publisher *p, tw_metric *m, const char *name, tw_split split)
{
    if (!p || !m || !tw_publisher_name_ok(name) || m->track ||
        (split != TW_SPLIT_TRAIN && split != TW_SPLIT_VAL && split != TW_SPLIT_TEST))
        return -EINVAL;
    /* A name whose metric was destroyed takes a new metric of the same kind: the same track
     * (and id), so the monitor sees one series. */
    uint32_t n = atomic_load_explicit(&p->n_tracks, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++) {
        tw_track *t = p->tracks[i];
        if (t->split != split || strcmp(t->name, name) != 0)
            continue;
        if (t->metric || t->kind == TW_WIRE_KIND_GAUGE || t->kind != (int)m->kind ||
            t->state_len != (uint32_t)m->len || !same_options(&t->opts, &m->opts) ||
            strcmp(t->args, m->optstr) != 0)
            return -EINVAL;
        t->metric = m;
        t->updated = false;
        t->last_snapshot = -1.0;
        m->track = &t->hook;
        return 0;
    }
    int rc;
    tw_track *t = add_track(p, name, split, m->kind, m->opts, m->optstr, (uint32_t)m->len, &rc);
    if (!t)
        return rc;
    t->metric = m;
    m->track = &t->hook;
    return 0;
}

/* Pushes an update of track t with `state` into the ring, or counts a drop. */
static inline void
push_update(tw_publisher *p, tw_track *t, const double *state)
{
    atomic_store_explicit(&p->records, atomic_load_explicit(&p->records, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    tw_ring_rec *r = tw_ring_reserve_step(&p->ring, p->step);
    if (!r) {
        atomic_store_explicit(&p->dropped,
                              atomic_load_explicit(&p->dropped, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    r->track = t->id;
    r->epoch = p->epoch;
    r->step = p->step;
    r->time = tw_clock_wall();
    if (t->large) {
        r->kind = TW_RING_SNAPSHOT;
    } else {
        r->kind = TW_RING_UPDATE;
        memcpy(r->state, state, t->state_len * sizeof(double));
    }
    tw_ring_commit(&p->ring); /* no wake-up: the thread looks at the ring (DESIGN section 4) */
}

/* Copies a large state into the track's snapshot under its sequence lock. */
static void
write_snapshot(tw_publisher *p, tw_track *t, const double *state, double now)
{
    uint64_t s = atomic_load_explicit(&t->snap_seq, memory_order_relaxed);
    atomic_store_explicit(&t->snap_seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&t->snap_epoch, p->epoch, memory_order_relaxed);
    atomic_store_explicit(&t->snap_step, p->step, memory_order_relaxed);
    uint64_t bits;
    memcpy(&bits, &now, sizeof bits);
    atomic_store_explicit(&t->snap_time, bits, memory_order_relaxed);
    for (uint32_t i = 0; i < t->state_len; i++) {
        memcpy(&bits, &state[i], sizeof bits);
        atomic_store_explicit(&t->snap[i], bits, memory_order_relaxed);
    }
    atomic_store_explicit(&t->snap_seq, s + 2, memory_order_release);
    t->last_snapshot = now;
}

/* The metric hook: called by every state change of a tracked metric. */
static void
track_notify(tw_metric_hook *h, const tw_metric *m)
{
    tw_track *t = (tw_track *)h;
    tw_publisher *p = t->pub;
    if (!t->updated) /* written once an epoch: the line stays clean for the other thread */
        t->updated = true;
    if (t->large) {
        /* Large states (AUC) are rate-limited: the epoch's final state always goes out. */
        double now = tw_clock_wall();
        if (now - t->last_snapshot < TW_SNAPSHOT_INTERVAL)
            return;
        write_snapshot(p, t, m->state, now);
    }
    push_update(p, t, m->state);
}

/* The metric hook: the tracked metric is being destroyed. */
static void
track_detach(tw_metric_hook *h)
{
    ((tw_track *)h)->metric = NULL;
}

int
tw_publisher_gauge(tw_publisher *p, const char *name, tw_split split, double value)
{
    if (!p || !tw_publisher_name_ok(name) ||
        (split != TW_SPLIT_TRAIN && split != TW_SPLIT_VAL && split != TW_SPLIT_TEST))
        return -EINVAL;
    uint32_t n = atomic_load_explicit(&p->n_tracks, memory_order_relaxed);
    tw_track *t = NULL;
    for (uint32_t i = 0; i < n && !t; i++)
        if (p->tracks[i]->split == split && strcmp(p->tracks[i]->name, name) == 0)
            t = p->tracks[i];
    if (t && t->kind != TW_WIRE_KIND_GAUGE)
        return -EINVAL; /* the name belongs to a metric */
    if (!t) {
        int rc;
        t = add_track(p, name, split, TW_WIRE_KIND_GAUGE, tw_metric_defaults(), "", 1, &rc);
        if (!t)
            return rc;
    }
    t->gauge_value = value;
    t->updated = true;
    push_update(p, t, &value);
    return 0;
}

int
tw_publisher_step(tw_publisher *p)
{
    if (!p)
        return -EINVAL;
    if (p->step >= TW_PUBLISHER_MAX_COUNT)
        return -ERANGE;
    p->step++;
    atomic_store_explicit(&p->a_step, p->step, memory_order_relaxed);
    /* the pushes before this are seen by a thread that asked for the ring after this fence,
     * or it sees the ask here (rhythm.h: the thread of a slow rhythm sleeps until a step) */
    atomic_thread_fence(memory_order_seq_cst);
    bool ring = false;
    if (atomic_load_explicit(&p->ring_at_step, memory_order_relaxed)) {
        atomic_store_explicit(&p->rang_at, tw_clock_wall(), memory_order_relaxed);
        ring = atomic_exchange(&p->ring_at_step, false); /* (publishes rang_at) */
    }
    if (p->step == 1 || ring) /* a first step fixes the run's identity: it may be announced */
        tw_wake_post(&p->wake);
    return 0;
}

unsigned long
tw_publisher_epoch(const tw_publisher *p)
{
    return p ? (unsigned long)p->epoch : 0;
}

int
tw_publisher_resume(tw_publisher *p, unsigned long epoch, unsigned long long step)
{
    if (!p || epoch == 0)
        return -EINVAL;
    if (epoch > TW_PUBLISHER_MAX_COUNT || step > TW_PUBLISHER_MAX_COUNT)
        return -ERANGE;
    if (p->epoch != 1 || p->step != 0 || atomic_load_explicit(&p->records, memory_order_relaxed))
        return -EBUSY;
    pthread_mutex_lock(&p->lock);
    bool late = p->announced;
    if (!late)
        p->resumed = true;
    pthread_mutex_unlock(&p->lock);
    if (late)
        return -EBUSY;
    p->epoch = epoch;
    p->step = step;
    atomic_store_explicit(&p->a_epoch, p->epoch, memory_order_relaxed);
    atomic_store_explicit(&p->a_step, p->step, memory_order_relaxed);
    tw_wake_post(&p->wake); /* the thread may announce the run now */
    return 0;
}

static void
free_epoch_node(tw_epoch_node *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->n; i++)
        free(e->states[i]);
    free(e->states);
    free(e->tracks);
    free(e);
}

int
tw_publisher_epoch_end(tw_publisher *p)
{
    if (!p)
        return -EINVAL;
    if (p->epoch >= TW_PUBLISHER_MAX_COUNT)
        return -ERANGE;
    uint32_t n = atomic_load_explicit(&p->n_tracks, memory_order_relaxed);
    tw_epoch_node *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->tracks = calloc(n ? n : 1, sizeof(*e->tracks));
    e->states = calloc(n ? n : 1, sizeof(*e->states));
    if (!e->tracks || !e->states) {
        free_epoch_node(e);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        tw_track *t = p->tracks[i];
        if (!t->updated || (t->kind != TW_WIRE_KIND_GAUGE && !t->metric))
            continue;
        double *s = malloc(t->state_len * sizeof(double));
        if (!s) {
            free_epoch_node(e);
            return -ENOMEM;
        }
        if (t->kind == TW_WIRE_KIND_GAUGE)
            s[0] = t->gauge_value;
        else
            memcpy(s, t->metric->state, t->state_len * sizeof(double));
        e->tracks[e->n] = t->id;
        e->states[e->n] = s;
        e->n++;
    }
    e->epoch = p->epoch;
    e->step = p->step;
    e->time = tw_clock_wall();
    e->ring_pos = tw_ring_head(&p->ring);

    pthread_mutex_lock(&p->lock);
    if (p->epochs_tail)
        p->epochs_tail->next = e;
    else
        p->epochs_head = e;
    p->epochs_tail = e;
    pthread_mutex_unlock(&p->lock);
    tw_wake_post(&p->wake); /* once an epoch: the thread publishes it without waiting */

    /* Keras resets metrics at each epoch. */
    for (uint32_t i = 0; i < n; i++) {
        tw_track *t = p->tracks[i];
        if (t->updated && t->metric)
            tw_metric_reset_silently(t->metric);
        t->updated = false;
        t->last_snapshot = -1.0;
    }
    p->epoch++;
    atomic_store_explicit(&p->a_epoch, p->epoch, memory_order_relaxed);
    return 0;
}

const char *
tw_publisher_endpoint(const tw_publisher *p)
{
    return p ? p->endpoint : "";
}

const char *
tw_publisher_run_id(const tw_publisher *p)
{
    return p ? p->cfg.run_id : "";
}

const char *
tw_publisher_run_name(const tw_publisher *p)
{
    return p ? p->cfg.name : "";
}

const char *
tw_publisher_log_path(const tw_publisher *p)
{
    return p ? p->log_path : "";
}

tw_publisher_stats
tw_publisher_get_stats(const tw_publisher *p)
{
    tw_publisher_stats s;
    memset(&s, 0, sizeof s);
    if (!p)
        return s;
    tw_publisher *q = (tw_publisher *)p; /* atomics are read, never written */
    s.records = atomic_load(&q->records);
    s.dropped = atomic_load(&q->dropped) + atomic_load(&q->lost);
    s.sent = atomic_load(&q->sent);
    s.send_drops = atomic_load(&q->send_drops);
    s.messages = atomic_load(&q->messages);
    s.replays = atomic_load(&q->replays);
    s.log_frames = atomic_load(&q->log_frames);
    s.log_errors = atomic_load(&q->log_errors);
    return s;
}

static void
free_track(tw_track *t)
{
    if (t->metric)
        t->metric->track = NULL;
    for (size_t i = 0; i < t->n_finals; i++)
        free(t->finals[i].state);
    free(t->finals);
    free(t->steps);
    free(t->args);
    free(t->last_state);
    free(t->snap);
    free(t);
}

/* Frees everything; the thread must be stopped. In a child forked after tw_publisher_new (the
 * owner is another pid) only memory is freed: the registry entry, socket, run log and ZeroMQ
 * context are the parent's (the context's threads do not exist here; closing it could hang). */
static void
free_publisher(tw_publisher *p)
{
    bool child = p->owner && p->owner != getpid();
    uint32_t n = atomic_load(&p->n_tracks);
    for (uint32_t i = 0; i < n; i++)
        free_track(p->tracks[i]);
    while (p->epochs_head) {
        tw_epoch_node *e = p->epochs_head;
        p->epochs_head = e->next;
        free_epoch_node(e);
    }
    if (child) {
        tw_runlog_writer_abandon(&p->log);
    } else {
        if (p->sock)
            zmq_close(p->sock);
        if (p->own_ctx)
            zmq_ctx_term(p->zctx);
        if (p->registry_path[0])
            unlink(p->registry_path);
        if ((p->cfg.registered || p->private_dir) && strncmp(p->cfg.endpoint, "ipc://", 6) == 0)
            unlink(p->cfg.endpoint + 6);
        if (p->private_dir)
            rmdir(p->cfg.runtime_dir);
        tw_runlog_writer_close(&p->log);
    }
    tw_wire_encoder_destroy(&p->enc);
    tw_ring_fini(&p->ring);
    tw_wake_fini(&p->wake); /* a forked child's copy of the descriptors is its own to close */
    free(p->epoch_ends);
    free(p->scratch);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void
tw_publisher_destroy(tw_publisher **pp)
{
    if (!pp || !*pp)
        return;
    tw_publisher *p = *pp;
    if (p->thread_started && p->owner == getpid()) { /* a forked child has no such thread */
        atomic_store(&p->stopping, true);
        tw_wake_post(&p->wake);
        pthread_join(p->thread, NULL);
    }
    free_publisher(p);
    *pp = NULL;
}

void
tw_publisher_free_epoch_node(tw_epoch_node *e)
{
    free_epoch_node(e);
}
