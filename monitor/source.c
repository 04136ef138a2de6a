/* source.c - live endpoints, the run registry and run logs as one stream of records (the
 * socket monitor's link events: source_links.c). */
#define _GNU_SOURCE
#include "source_impl.h"

#include "clock.h"
#include "cpus.h"
#include "errtext.h"
#include "keepalive.h"
#include "registry.h"
#include "zmq_load.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* Limits. The tables below grow on demand (doubling from TABLE_FIRST entries) up to these;
 * nothing is allocated for a kind of source that is not used. */
#define MAX_ENDPOINTS  4096 /* endpoints connected to; more are refused (-EMFILE) */
#define RESCAN_SECONDS 1.0
#define TABLE_FIRST    8 /* entries of a table's first allocation */
/* Reconnection (see source.h); a dead path is seen by TCP keepalive (keepalive.h). */
#define RECONNECT_IVL_MS  100   /* steady, no backoff: a publisher that starts after the */
#define RECONNECT_MAX_MS  0     /* monitor, or a path restored, is joined within 0.1 s */
#define LINGER_RUNNING_MS 60000 /* what an ended connection had queued waits this long */
#define LINK_EVENTS                                                                                \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |                           \
     ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |                        \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* Grows a table by doubling (TABLE_FIRST entries at first); the contract is in source_impl.h. */
void *
tw_sources_table_grow(void *table, size_t *cap, size_t n, size_t size, size_t max)
{
    if (n < *cap)
        return table;
    if (n >= max) {
        errno = EMFILE;
        return NULL;
    }
    size_t want = *cap ? *cap * 2 : TABLE_FIRST;
    if (want > max)
        want = max;
    char *t = realloc(table, want * size);
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    memset(t + *cap * size, 0, (want - *cap) * size);
    *cap = want;
    return t;
}

/* Decoder callback: forwards to the user's callback with the record's origin (its kind, and
 * the connection of a live message). */
int
tw_sources_deliver(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    tw_sources *s = ctx;
    s->stats.records++;
    if (s->current_log && r->type == TW_REC_RUN_END)
        s->current_log->saw_end = true;
    if (s->current_log && r->type == TW_REC_HEARTBEAT && r->interval_ms > 0)
        s->current_log->hb = r->interval_ms / 1000.0; /* its growth window follows it */
    tw_source_origin o = {.kind = s->current_log ? TW_SOURCE_LOG : TW_SOURCE_LIVE,
                          .link = s->current_log ? 0 : s->current_link,
                          .now = s->now,
                          .wall = s->current_log ? 0 : s->wall};
    return s->cb.record ? s->cb.record(s->cb.ctx, &o, h, r) : 0;
}

int
tw_sources_deliver_states(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n)
{
    tw_sources *s = ctx;
    s->stats.records += n;
    tw_source_origin o = {.kind = TW_SOURCE_LOG, .now = s->now}; /* (run logs' only) */
    return s->cb.records(s->cb.ctx, &o, h, r, n);
}

/* The ZeroMQ side, made when a first endpoint is connected or bound (net_open): the context,
 * the SUB socket and its connection monitor. A monitor of run logs alone never loads ZeroMQ
 * (zmq_load.h): no context, no I/O threads, none of its libraries mapped. */
static int
net_open(tw_sources *s, const char *what, char *err, size_t errlen)
{
    if (s->sub)
        return 0;
    char why[512];
    if (tw_zmq_load(why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", what, why);
        return -ELIBACC;
    }
    if (!s->zctx && !(s->zctx = zmq_ctx_new()))
        goto fail;
    void *sub = zmq_socket(s->zctx, ZMQ_SUB);
    if (!sub)
        goto fail;
    int64_t maxmsg = TW_WIRE_MAX_MESSAGE;
    int zero = 0, hwm = 1000;
    int rivl = RECONNECT_IVL_MS, rmax = RECONNECT_MAX_MS;
    zmq_setsockopt(sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    /* While it runs the socket lingers: a connection that ends (a trainer that exits, a peer
     * dropped for an oversized message) hands over what it had queued and the loop has not
     * read yet, instead of dropping it with the connection. At close it lingers no more. */
    int linger = LINGER_RUNNING_MS;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    tw_keepalive_set(sub); /* no ZeroMQ heartbeats: keepalive.h says why */
    zmq_setsockopt(sub, ZMQ_RECONNECT_IVL, &rivl, sizeof rivl);
    zmq_setsockopt(sub, ZMQ_RECONNECT_IVL_MAX, &rmax, sizeof rmax);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    /* The monitor's name is unique per tw_sources (several may share a process). */
    char name[64];
    snprintf(name, sizeof name, "inproc://tw-links-%p", (void *)s);
    void *events = NULL;
    if (zmq_socket_monitor(sub, name, LINK_EVENTS) != 0 ||
        !(events = zmq_socket(s->zctx, ZMQ_PAIR)) || zmq_connect(events, name) != 0) {
        int e = errno;
        if (events)
            zmq_close(events);
        zmq_socket_monitor(sub, NULL, 0);
        zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(sub);
        errno = e;
        goto fail;
    }
    zmq_setsockopt(events, ZMQ_LINGER, &zero, sizeof zero);
    s->sub = sub;
    s->events = events;
    return 0;
fail:;
    int e = errno ? errno : ENOMEM;
    snprintf(err, errlen, "%s: cannot open a ZeroMQ socket: %s", what, zmq_strerror(e));
    return -e;
}

tw_sources *
tw_sources_new(const tw_source_callbacks *cb)
{
    tw_sources *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cb = *cb;
    s->last_scan = -1e9;
    s->read_ahead = tw_cpus_usable() >= 2; /* affinity and cgroup quota (cpus.h) */
    s->dec = tw_wire_decoder_new();
    if (!s->dec) {
        tw_sources_destroy(&s);
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

void
tw_sources_destroy(tw_sources **sp)
{
    if (!sp || !*sp)
        return;
    tw_sources *s = *sp;
    if (s->sub)
        zmq_socket_monitor(s->sub, NULL, 0);
    if (s->events)
        zmq_close(s->events);
    if (s->sub) {
        int zero = 0; /* nothing to wait for at exit */
        zmq_setsockopt(s->sub, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(s->sub);
    }
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    for (size_t i = 0; i < s->n_endpoints; i++)
        free(s->endpoints[i]);
    for (size_t i = 0; i < s->n_logs; i++) {
        tw_log_ahead_stop(&s->logs[i].ahead); /* before its reader */
        tw_runlog_reader_close(&s->logs[i].reader);
        free(s->logs[i].path);
    }
    for (size_t i = 0; i < s->n_dirs; i++)
        free(s->dirs[i]);
    for (size_t i = 0; i < s->n_sibling_wait; i++)
        free(s->sibling_wait[i]);
    free(s->endpoints);
    free(s->logs);
    free(s->peers);
    free(s->conns);
    tw_wire_decoder_destroy(&s->dec);
    free(s);
    *sp = NULL;
}

/* Sets the socket's options for the next connect or bind (ZeroMQ copies them at that
 * moment): IPv6 for an IPv6 address; CURVE for tcp when keys are set, else none. Returns 0 or
 * -1 (errno). */
static int
set_security(tw_sources *s, const char *endpoint, bool bind)
{
    bool tcp = strncmp(endpoint, "tcp://", 6) == 0;
    int zero = 0, one = 1, v6 = tw_endpoint_ipv6(endpoint);
    if (zmq_setsockopt(s->sub, ZMQ_IPV6, &v6, sizeof v6) != 0)
        return -1;
    if (!tcp || (bind && !s->have_secret) || (!bind && !s->have_server))
        return zmq_setsockopt(s->sub, ZMQ_CURVE_SERVER, &zero, sizeof zero); /* NULL mechanism */
    if (bind)
        return zmq_setsockopt(s->sub, ZMQ_CURVE_SERVER, &one, sizeof one) ||
               zmq_setsockopt(s->sub, ZMQ_CURVE_SECRETKEY, s->secret.z85, TW_CURVE_KEY_LEN);
    return zmq_setsockopt(s->sub, ZMQ_CURVE_SERVER, &zero, sizeof zero) ||
           zmq_setsockopt(s->sub, ZMQ_CURVE_SERVERKEY, s->server.z85, TW_CURVE_KEY_LEN) ||
           zmq_setsockopt(s->sub, ZMQ_CURVE_PUBLICKEY, s->public.z85, TW_CURVE_KEY_LEN) ||
           zmq_setsockopt(s->sub, ZMQ_CURVE_SECRETKEY, s->secret.z85, TW_CURVE_KEY_LEN);
}

int
tw_sources_set_security(tw_sources *s, const tw_source_security *sec, char *err, size_t errlen)
{
    int rc;
    s->have_secret = s->have_server = false;
    s->insecure = sec->insecure;
    char why[512];
    if ((sec->secret_key || sec->server_key) && tw_zmq_load(why, sizeof why) != 0) {
        snprintf(err, errlen, "CURVE keys: %s", why);
        return -ELIBACC;
    }
    if (sec->secret_key) {
        if ((rc = tw_curve_key_load(sec->secret_key, true, &s->secret, "--key", err, errlen)) != 0)
            return rc;
        if (tw_curve_public_of(&s->secret, &s->public) != 0) {
            snprintf(err, errlen, "--key: not a usable secret key");
            return -EINVAL;
        }
        s->have_secret = true;
    }
    if (sec->server_key) {
        if ((rc = tw_curve_key_load(sec->server_key, false, &s->server, "--server-key", err,
                                    errlen)) != 0)
            return rc;
        if (!s->have_secret && tw_curve_keypair(&s->public, &s->secret) != 0) {
            snprintf(err, errlen, "cannot make a CURVE key pair: this libzmq has no CURVE");
            return -ENOTSUP;
        }
        s->have_server = true;
    }
    return 0;
}

/* Connects to an endpoint once (a second add of the same endpoint is a no-op). */
static int
connect_endpoint(tw_sources *s, const char *endpoint, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_endpoints; i++)
        if (strcmp(s->endpoints[i], endpoint) == 0)
            return 0;
    char **eps = tw_sources_table_grow(s->endpoints, &s->cap_endpoints, s->n_endpoints,
                                       sizeof(*s->endpoints), MAX_ENDPOINTS);
    if (!eps && errno == EMFILE) {
        snprintf(err, errlen, "too many endpoints (at most %d)", MAX_ENDPOINTS);
        return -EMFILE;
    }
    if (!eps)
        return -ENOMEM;
    s->endpoints = eps;
    char what[TW_ENDPOINT_PATH_MAX + 32];
    snprintf(what, sizeof what, "cannot connect to %s", endpoint);
    int rc = net_open(s, what, err, errlen);
    if (rc != 0)
        return rc;
    if (set_security(s, endpoint, false) != 0 || zmq_connect(s->sub, endpoint) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(e));
        return -e;
    }
    s->endpoints[s->n_endpoints] = strdup(endpoint);
    if (!s->endpoints[s->n_endpoints])
        return -ENOMEM;
    s->n_endpoints++;
    s->stats.endpoints++;
    return 0;
}

int
tw_sources_add(tw_sources *s, const char *spec, char *err, size_t errlen)
{
    if (strncmp(spec, "tcp://", 6) == 0 || strncmp(spec, "ipc://", 6) == 0 ||
        strncmp(spec, "inproc://", 9) == 0) {
        char ep[TW_ENDPOINT_PATH_MAX];
        bool connect;
        int rc = tw_endpoint_parse(spec, ep, sizeof ep, &connect, err, errlen);
        if (rc != 0)
            return rc;
        if (strncmp(ep, "tcp://", 6) == 0 && (strstr(ep, ":*") || strstr(ep, "://*"))) {
            snprintf(err, errlen, "endpoint '%s': a monitor connects to a HOST:PORT", spec);
            return -EINVAL;
        }
        return connect_endpoint(s, ep, err, errlen);
    }
    if (strstr(spec, "://")) {
        snprintf(err, errlen,
                 "'%s': unknown endpoint scheme (expected tcp://HOST:PORT or ipc://PATH)", spec);
        return -EINVAL;
    }
    struct stat st;
    if (stat(spec, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", spec, strerror(e));
        return -e;
    }
    if (S_ISDIR(st.st_mode)) {
        if (s->n_dirs == sizeof s->dirs / sizeof *s->dirs) {
            snprintf(err, errlen, "too many directories");
            return -EMFILE;
        }
        int rc = tw_sources_scan_dir(s, spec, err, errlen);
        if (rc != 0)
            return rc;
        if (!(s->dirs[s->n_dirs] = strdup(spec)))
            return -ENOMEM;
        s->n_dirs++;
        return 0;
    }
    return tw_sources_add_log(s, spec, true, err, errlen);
}

int
tw_sources_listen(tw_sources *s, const char *endpoint, char *err, size_t errlen)
{
    char ep[TW_ENDPOINT_PATH_MAX];
    bool connect;
    int rc = tw_endpoint_parse(endpoint, ep, sizeof ep, &connect, err, errlen);
    if (rc != 0)
        return rc;
    if (connect)
        return tw_errtext(err, errlen,
                          "--listen '%s': a monitor listens on (binds) an endpoint; '>' "
                          "(connect) is for publishers, and a monitor connects to the "
                          "endpoints given as sources",
                          endpoint);
    err[0] = '\0';
    bool exposed = tw_curve_endpoint_exposed(ep);
    if (exposed && !s->have_secret && !s->insecure) {
        snprintf(err, errlen,
                 "refusing to listen in clear on %s, beyond this host: give a key (--key "
                 "NAME.key, from 'trainwatch keygen NAME'), listen on a loopback address, or "
                 "allow it with --insecure",
                 ep);
        return -EACCES;
    }
    char what[TW_ENDPOINT_PATH_MAX + 32];
    snprintf(what, sizeof what, "cannot listen on %s", ep);
    if ((rc = net_open(s, what, err, errlen)) != 0)
        return rc;
    if (set_security(s, ep, true) != 0 || zmq_bind(s->sub, ep) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on %s: %s", ep, zmq_strerror(e));
        return -e;
    }
    s->stats.endpoints++;
    if (exposed && !s->have_secret)
        snprintf(err, errlen,
                 "warning: listening in clear on %s (--insecure): anyone who can reach it can "
                 "read and forge what publishers send",
                 ep);
    return 0;
}

/* Registry callback: connect to live runs (and read their earlier incarnations' logs), report
 * vanished ones. */
static int
on_entry(void *ctx, const tw_registry_entry *e)
{
    tw_sources *s = ctx;
    if (!e->alive) {
        if (s->cb.vanished)
            s->cb.vanished(s->cb.ctx, e->run, e->rank, e->incarnation);
        return 0;
    }
    char err[512];
    size_t known = s->n_endpoints;
    if (connect_endpoint(s, e->endpoint, err, sizeof err) != 0 && s->cb.problem)
        s->cb.problem(s->cb.ctx, e->path, err);
    else /* found now, or its log had no message yet when it was */
        tw_sources_siblings(s, e, s->n_endpoints > known);
    return 0;
}

int
tw_sources_discover(tw_sources *s, char *err, size_t errlen)
{
    int rc = tw_endpoint_runtime_dir(s->runtime_dir, sizeof s->runtime_dir, err, errlen);
    if (rc != 0)
        return rc;
    s->discover = true;
    s->stats.endpoints++; /* the registry counts as a live source */
    tw_registry_scan(s->runtime_dir, false, on_entry, s);
    return 0;
}

void *
tw_sources_socket(const tw_sources *s)
{
    return s->sub;
}

bool
tw_sources_ask_replay(tw_sources *s)
{
    if (!s->sub || zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, "", 0) != 0)
        return false;
    s->stats.replay_asks++;
    return true;
}

void *
tw_sources_event_socket(const tw_sources *s)
{
    return s->events;
}

/* Reads up to budget messages from the socket, the connection monitor's events first (a
 * message's connection is known before the message); returns the records delivered. */
static int
read_socket(tw_sources *s, int budget, double now)
{
    int delivered = 0;
    tw_sources_read_link_events(s, now);
    zmq_msg_t m;
    zmq_msg_init(&m);
    bool drained = false;
    for (int i = 0; i < budget; i++) {
        int n = zmq_msg_recv(&m, s->sub, ZMQ_DONTWAIT);
        if (n < 0) {
            drained = errno == EAGAIN;
            break;
        }
        s->stats.messages++;
        uint64_t before = s->stats.records;
        s->current_link = tw_sources_message_link(s, &m);
        s->now = tw_clock_mono(); /* once a message, not a record */
        s->wall = tw_clock_wall();
        int rc = tw_wire_decode(s->dec, zmq_msg_data(&m), zmq_msg_size(&m), tw_sources_deliver, s);
        s->current_link = 0;
        delivered += (int)(s->stats.records - before);
        if (rc < 0) {
            s->stats.rejected++;
            if (s->cb.rejected)
                s->cb.rejected(s->cb.ctx, "network", rc,
                               rc == -EPROTO ? "a message from a newer trainwatch (its protocol "
                                               "version is not supported)"
                                             : "a message that does not decode");
        }
    }
    zmq_msg_close(&m);
    tw_sources_links_settle(s, drained, now); /* closed connections, their messages read */
    return delivered;
}

int
tw_sources_process(tw_sources *s, int budget, double now)
{
    int delivered = s->sub ? read_socket(s, budget, now) : 0; /* (none: no endpoint yet) */
    if (now - s->last_scan >= RESCAN_SECONDS) {
        s->last_scan = now;
        char err[512];
        for (size_t i = 0; i < s->n_dirs; i++)
            tw_sources_scan_dir(s, s->dirs[i], err, sizeof err);
        tw_sources_rescan_logs(s); /* growth, and which writers are alive */
        if (s->discover)
            tw_registry_scan(s->runtime_dir, false, on_entry, s);
    }
    delivered += tw_sources_read_logs(s, budget);
    return delivered;
}

bool
tw_sources_exhausted(const tw_sources *s)
{
    return s->stats.endpoints == 0 && !tw_sources_log_pending(s) && !tw_sources_logs_live(s);
}

double
tw_sources_next_due(const tw_sources *s)
{
    bool growing = false; /* a log without its run-end record may still grow */
    for (size_t i = 0; i < s->n_logs && !growing; i++)
        growing = !s->logs[i].finished;
    if (s->n_dirs > 0 || s->discover || growing)
        return s->last_scan + RESCAN_SECONDS;
    return INFINITY;
}

tw_source_stats
tw_sources_stats(const tw_sources *s)
{
    return s->stats;
}
