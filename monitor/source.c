/* source.c - live endpoints, the run registry and run logs as one stream of records. */
#define _GNU_SOURCE
#include "source.h"

#include "config.h"
#include "registry.h"
#include "runlog.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define MAX_ENDPOINTS  4096
#define MAX_LOGS       4096
#define RESCAN_SECONDS 1.0

typedef struct log_source {
    char path[4096];
    tw_runlog_reader *reader;
    bool at_end;   /* END or TORN last time: wait for growth */
    bool finished; /* read its run-end record, or corrupt: never read again */
    bool saw_end;  /* a RUN_END record came through */
} log_source;

struct tw_sources {
    tw_source_callbacks cb;
    void *zctx, *sub;
    tw_wire_decoder *dec;
    uint8_t *buf; /* one message, TW_WIRE_MAX_MESSAGE bytes */
    char *endpoints[MAX_ENDPOINTS];
    size_t n_endpoints;
    log_source *logs;
    size_t n_logs;
    char *dirs[64];
    size_t n_dirs;
    bool discover;
    char runtime_dir[TW_CONFIG_PATH_MAX];
    double last_scan;
    tw_source_stats stats;
    /* The log being decoded, for the record callback's kind and run-end tracking. */
    log_source *current_log;
};

/* Decoder callback: forwards to the user's callback with the source kind. */
static int
deliver(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    tw_sources *s = ctx;
    s->stats.records++;
    if (s->current_log && r->type == TW_REC_RUN_END)
        s->current_log->saw_end = true;
    return s->cb.record
               ? s->cb.record(s->cb.ctx, s->current_log ? TW_SOURCE_LOG : TW_SOURCE_LIVE, h, r)
               : 0;
}

tw_sources *
tw_sources_new(const tw_source_callbacks *cb)
{
    tw_sources *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cb = *cb;
    s->last_scan = -1e9;
    s->zctx = zmq_ctx_new();
    s->dec = tw_wire_decoder_new();
    s->buf = malloc(TW_WIRE_MAX_MESSAGE);
    if (!s->zctx || !s->dec || !s->buf)
        goto fail;
    s->sub = zmq_socket(s->zctx, ZMQ_SUB);
    if (!s->sub)
        goto fail;
    int64_t maxmsg = TW_WIRE_MAX_MESSAGE;
    int zero = 0, hwm = 1000, ivl = 1000, timeout = 3000;
    zmq_setsockopt(s->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s->sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->sub, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(s->sub, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, "", 0);
    return s;
fail:
    tw_sources_destroy(&s);
    errno = ENOMEM;
    return NULL;
}

void
tw_sources_destroy(tw_sources **sp)
{
    if (!sp || !*sp)
        return;
    tw_sources *s = *sp;
    if (s->sub)
        zmq_close(s->sub);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    for (size_t i = 0; i < s->n_endpoints; i++)
        free(s->endpoints[i]);
    for (size_t i = 0; i < s->n_logs; i++)
        tw_runlog_reader_close(&s->logs[i].reader);
    for (size_t i = 0; i < s->n_dirs; i++)
        free(s->dirs[i]);
    free(s->logs);
    free(s->buf);
    tw_wire_decoder_destroy(&s->dec);
    free(s);
    *sp = NULL;
}

/* Connects to an endpoint once (a second add of the same endpoint is a no-op). */
static int
connect_endpoint(tw_sources *s, const char *endpoint, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_endpoints; i++)
        if (strcmp(s->endpoints[i], endpoint) == 0)
            return 0;
    if (s->n_endpoints == MAX_ENDPOINTS) {
        snprintf(err, errlen, "too many endpoints (at most %d)", MAX_ENDPOINTS);
        return -EMFILE;
    }
    if (zmq_connect(s->sub, endpoint) != 0) {
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

/* Adds a run-log file once. */
static int
add_log(tw_sources *s, const char *path, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_logs; i++)
        if (strcmp(s->logs[i].path, path) == 0)
            return 0;
    if (s->n_logs == MAX_LOGS) {
        snprintf(err, errlen, "too many run logs (at most %d)", MAX_LOGS);
        return -EMFILE;
    }
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    if (!r) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return -e;
    }
    if (!s->logs && !(s->logs = calloc(MAX_LOGS, sizeof(*s->logs)))) {
        tw_runlog_reader_close(&r);
        return -ENOMEM;
    }
    log_source *l = &s->logs[s->n_logs++];
    memset(l, 0, sizeof(*l));
    snprintf(l->path, sizeof l->path, "%s", path);
    l->reader = r;
    s->stats.logs++;
    return 0;
}

static bool
has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Adds every *.twlog in a directory (again at each rescan: new files are picked up). */
static int
scan_dir(tw_sources *s, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        snprintf(err, errlen, "cannot read directory %s: %s", dir, strerror(e));
        return -e;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && rc == 0) {
        if (!has_suffix(de->d_name, ".twlog"))
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
            continue;
        char e2[512];
        rc = add_log(s, path, e2, sizeof e2);
        if (rc == -EMFILE) {
            snprintf(err, errlen, "%s", e2);
        } else if (rc != 0) {
            if (s->cb.rejected)
                s->cb.rejected(s->cb.ctx, path, rc, e2);
            rc = 0; /* one unreadable file does not stop the others */
        }
    }
    closedir(d);
    return rc;
}

int
tw_sources_add(tw_sources *s, const char *spec, char *err, size_t errlen)
{
    if (strncmp(spec, "tcp://", 6) == 0 || strncmp(spec, "ipc://", 6) == 0 ||
        strncmp(spec, "inproc://", 9) == 0) {
        char ep[TW_CONFIG_PATH_MAX];
        bool connect;
        int rc = tw_config_parse_endpoint(spec, ep, sizeof ep, &connect, err, errlen);
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
        int rc = scan_dir(s, spec, err, errlen);
        if (rc != 0)
            return rc;
        if (!(s->dirs[s->n_dirs] = strdup(spec)))
            return -ENOMEM;
        s->n_dirs++;
        return 0;
    }
    return add_log(s, spec, err, errlen);
}

int
tw_sources_listen(tw_sources *s, const char *endpoint, char *err, size_t errlen)
{
    char ep[TW_CONFIG_PATH_MAX];
    bool connect;
    int rc = tw_config_parse_endpoint(endpoint, ep, sizeof ep, &connect, err, errlen);
    if (rc != 0)
        return rc;
    if (zmq_bind(s->sub, ep) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on %s: %s", ep, zmq_strerror(e));
        return -e;
    }
    s->stats.endpoints++;
    return 0;
}

/* Registry callback: connect to live runs, report vanished ones. */
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
    if (connect_endpoint(s, e->endpoint, err, sizeof err) != 0 && s->cb.rejected)
        s->cb.rejected(s->cb.ctx, e->path, -EINVAL, err);
    return 0;
}

int
tw_sources_discover(tw_sources *s, char *err, size_t errlen)
{
    int rc = tw_config_runtime_dir(s->runtime_dir, sizeof s->runtime_dir, err, errlen);
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

/* Reads up to budget frames from the logs that have data. */
static int
read_logs(tw_sources *s, int budget)
{
    int delivered = 0;
    for (size_t i = 0; i < s->n_logs && budget > 0; i++) {
        log_source *l = &s->logs[i];
        while (!l->finished && !l->at_end && budget > 0) {
            const uint8_t *payload;
            size_t len;
            int rc = tw_runlog_reader_next(l->reader, &payload, &len);
            if (rc == TW_RUNLOG_FRAME) {
                budget--;
                s->stats.frames++;
                s->current_log = l;
                uint64_t before = s->stats.records;
                int drc = tw_wire_decode(s->dec, payload, len, deliver, s);
                s->current_log = NULL;
                delivered += (int)(s->stats.records - before);
                if (drc < 0) {
                    s->stats.rejected++;
                    if (s->cb.rejected)
                        s->cb.rejected(s->cb.ctx, l->path, drc, "a frame that does not decode");
                }
                if (l->saw_end)
                    l->finished = true;
            } else if (rc == TW_RUNLOG_END || rc == TW_RUNLOG_TORN) {
                l->at_end = true;
            } else {
                l->finished = true;
                if (s->cb.rejected)
                    s->cb.rejected(s->cb.ctx, l->path, rc < 0 ? rc : -EBADMSG,
                                   rc < 0 ? strerror(-rc) : tw_runlog_reader_error(l->reader));
            }
        }
    }
    return delivered;
}

int
tw_sources_process(tw_sources *s, int budget, double now)
{
    int delivered = 0;
    for (int i = 0; i < budget; i++) {
        int n = zmq_recv(s->sub, s->buf, TW_WIRE_MAX_MESSAGE, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        s->stats.messages++;
        uint64_t before = s->stats.records;
        int rc = tw_wire_decode(s->dec, s->buf, (size_t)n, deliver, s);
        delivered += (int)(s->stats.records - before);
        if (rc < 0) {
            s->stats.rejected++;
            if (s->cb.rejected)
                s->cb.rejected(s->cb.ctx, "network", rc, "a message that does not decode");
        }
    }
    if (now - s->last_scan >= RESCAN_SECONDS) {
        s->last_scan = now;
        for (size_t i = 0; i < s->n_logs; i++)
            s->logs[i].at_end = false; /* look for growth */
        char err[512];
        for (size_t i = 0; i < s->n_dirs; i++)
            scan_dir(s, s->dirs[i], err, sizeof err);
        if (s->discover)
            tw_registry_scan(s->runtime_dir, false, on_entry, s);
    }
    delivered += read_logs(s, budget);
    return delivered;
}

bool
tw_sources_exhausted(const tw_sources *s)
{
    if (s->stats.endpoints > 0)
        return false;
    for (size_t i = 0; i < s->n_logs; i++)
        if (!s->logs[i].finished && !s->logs[i].at_end)
            return false;
    return true;
}

bool
tw_sources_log_pending(const tw_sources *s)
{
    for (size_t i = 0; i < s->n_logs; i++)
        if (!s->logs[i].finished && !s->logs[i].at_end)
            return true;
    return false;
}

tw_source_stats
tw_sources_stats(const tw_sources *s)
{
    return s->stats;
}
