/* test_publisher.c - the publisher over real ZeroMQ sockets: round trips, late join, drops,
 * bounded shutdown, run log, endpoints and environment. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "registry.h"
#include "runlog.h"
#include "trainwatch.h"
#include "wire.h"
#include "tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* |a - b| <= eps, printing both on failure (cmocka 1.1 has no double comparison). */
#define assert_double_equal(a, b, eps)                                                             \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                                    \
    } while (0)

/* ---- a subscriber that decodes everything it receives ---------------------------------- */

#define MAX_SEEN 400000

typedef struct seen_rec {
    tw_record_type type;
    uint64_t seq, epoch, step;
    uint32_t metric_id, metrics, n_params;
    int kind;
    tw_split split;
    tw_run_status status;
    uint64_t dropped;
    char name[TW_WIRE_MAX_NAME + 1];
    double state[4];
    uint32_t state_len;
    double result; /* the metric value of an EPOCH state, via the library */
    char param0[TW_WIRE_MAX_NAME + 1];
} seen_rec;

typedef struct sub {
    void *ctx, *sock;
    bool own_ctx;
    tw_wire_decoder *dec;
    seen_rec *recs;
    size_t n;
    uint8_t *seen_seq; /* dedupe by seq (one publisher per test) */
    size_t seen_cap;
    uint64_t duplicates;
    uint64_t max_replay_through; /* the highest replay mark seen */
    tw_wire_header header;
    int kinds[64]; /* metric id -> kind, from declarations */
    tw_metric_options opts[64];
    uint64_t updates;    /* UPDATE records, also those past MAX_SEEN */
    uint64_t epoch_recs; /* EPOCH records, also those past MAX_SEEN */
    uint64_t drops;      /* the highest DROPS count */
    bool drops_then_end; /* a RUN_END came after the highest DROPS */
} sub;

static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    sub *s = ctx;
    s->header = *h;
    if (h->replay_through > s->max_replay_through)
        s->max_replay_through = h->replay_through;
    if (r->seq < s->seen_cap) {
        if (s->seen_seq[r->seq]) {
            s->duplicates++;
            return 0;
        }
        s->seen_seq[r->seq] = 1;
    }
    if (r->type == TW_REC_UPDATE)
        s->updates++;
    if (r->type == TW_REC_EPOCH)
        s->epoch_recs++;
    if (r->type == TW_REC_DROPS && r->dropped > s->drops) {
        s->drops = r->dropped;
        s->drops_then_end = false;
    }
    if (r->type == TW_REC_RUN_END)
        s->drops_then_end = true;
    if (s->n == MAX_SEEN)
        return 0;
    seen_rec *o = &s->recs[s->n++];
    memset(o, 0, sizeof(*o));
    o->type = r->type;
    o->seq = r->seq;
    o->epoch = r->epoch;
    o->step = r->step;
    o->metric_id = r->metric_id;
    o->metrics = r->metrics;
    o->kind = r->kind;
    o->split = r->split;
    o->status = r->status;
    o->dropped = r->dropped;
    o->n_params = r->n_params;
    snprintf(o->name, sizeof o->name, "%s", r->name);
    if (r->type == TW_REC_RUN && r->n_params > 0)
        snprintf(o->param0, sizeof o->param0, "%s", r->params[0].key);
    if (r->type == TW_REC_METRIC && r->metric_id < 64) {
        s->kinds[r->metric_id] = r->kind;
        s->opts[r->metric_id] = r->options;
    }
    o->state_len = r->state_len;
    if ((r->type == TW_REC_UPDATE || r->type == TW_REC_EPOCH) && r->state) {
        for (uint32_t i = 0; i < r->state_len && i < 4; i++)
            o->state[i] = r->state[i];
        int kind = r->metric_id < 64 ? s->kinds[r->metric_id] : 0;
        if (kind == TW_WIRE_KIND_GAUGE) {
            o->result = r->state[0];
        } else if (kind > 0) {
            tw_metric *m = tw_metric_new((tw_metric_kind)kind, &s->opts[r->metric_id]);
            if (m && tw_metric_set_state(m, r->state, r->state_len) == 0)
                o->result = tw_metric_result(m);
            tw_metric_destroy(&m);
        }
    }
    return 0;
}

static void
sub_open(sub *s, void *ctx, const char *endpoint)
{
    memset(s, 0, sizeof(*s));
    s->own_ctx = ctx == NULL;
    s->ctx = ctx ? ctx : zmq_ctx_new();
    s->sock = zmq_socket(s->ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(s->sock, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "", 0), 0);
    assert_int_equal(zmq_connect(s->sock, endpoint), 0);
    s->dec = tw_wire_decoder_new();
    s->recs = calloc(MAX_SEEN, sizeof(seen_rec));
    s->seen_cap = 4 * MAX_SEEN;
    s->seen_seq = calloc(s->seen_cap, 1);
    assert_non_null(s->dec);
    assert_non_null(s->recs);
    assert_non_null(s->seen_seq);
}

/* Receives for up to ms milliseconds, or until a RUN_END arrives when until_end. */
static void
sub_pump(sub *s, int ms, bool until_end)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint8_t *buf = malloc(TW_WIRE_MAX_MESSAGE);
    assert_non_null(buf);
    for (;;) {
        zmq_pollitem_t it = {.socket = s->sock, .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 20);
        for (;;) {
            int n = zmq_recv(s->sock, buf, TW_WIRE_MAX_MESSAGE, ZMQ_DONTWAIT);
            if (n < 0)
                break;
            assert_int_equal(tw_wire_decode(s->dec, buf, (size_t)n, on_record, s), 0);
        }
        if (until_end)
            for (size_t i = 0; i < s->n; i++)
                if (s->recs[i].type == TW_REC_RUN_END) {
                    free(buf);
                    return;
                }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
            break;
    }
    free(buf);
}

static void
sub_close(sub *s)
{
    zmq_close(s->sock);
    if (s->own_ctx)
        zmq_ctx_term(s->ctx);
    tw_wire_decoder_destroy(&s->dec);
    free(s->recs);
    free(s->seen_seq);
}

static size_t
count_type(const sub *s, tw_record_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->recs[i].type == type;
    return n;
}

/* The EPOCH record of metric id `id` for `epoch`, or NULL. */
static const seen_rec *
find_epoch(const sub *s, uint32_t id, uint64_t epoch)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].type == TW_REC_EPOCH && s->recs[i].metric_id == id &&
            s->recs[i].epoch == epoch)
            return &s->recs[i];
    return NULL;
}

static double
mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- diagnostics capture --------------------------------------------------------------- */

typedef struct diag_log {
    char last[1024];
    char first_error[1024]; /* the first TW_LOG_ERROR message, "" for none */
    int count;
    int last_err;
} diag_log;

static void
capture_diag(void *ctx, tw_log_level level, int err, const char *message)
{
    diag_log *d = ctx;
    if (level == TW_LOG_ERROR && !d->first_error[0])
        snprintf(d->first_error, sizeof d->first_error, "%s", message);
    snprintf(d->last, sizeof d->last, "%s", message);
    d->last_err = err;
    d->count++;
}

static int
setup_tmp(void **state)
{
    (void)state;
    return tmpdir_make("pub", true);
}

static int
teardown_tmp(void **state)
{
    (void)state;
    return tmpdir_remove();
}

static tw_publisher_options
tcp_options(const char *log_dir)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "tcp://127.0.0.1:*";
    o.run_name = "test-run";
    o.log_dir = log_dir ? log_dir : "off";
    o.heartbeat_ms = 100;
    return o;
}

/* A publisher with options o, and s subscribed to it (pumped for ms: the subscription has
 * reached the publisher). */
static tw_publisher *
publisher_with_sub(const tw_publisher_options *o, sub *s, int ms)
{
    tw_publisher *p = tw_publisher_new(o);
    assert_non_null(p);
    sub_open(s, NULL, tw_publisher_endpoint(p));
    sub_pump(s, ms, false);
    return p;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Three epochs of three metrics over tcp: every record arrives, in sequence, and each
 * epoch's final state gives the value computed locally. */
static void
test_round_trip_tcp(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.heartbeat_ms = 1000; /* heartbeats sent before the subscription would be gaps */
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    assert_non_null(strstr(tw_publisher_endpoint(p), "tcp://127.0.0.1:"));

    tw_metric *loss = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_metric *acc = tw_metric_new(TW_METRIC_BINARY_ACCURACY, NULL);
    tw_metric *val = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_set_param_number(p, "lr", 0.01), 0);
    assert_int_equal(tw_publisher_set_param(p, "optimizer", "sgd"), 0);
    assert_int_equal(tw_publisher_track(p, loss, "loss", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_publisher_track(p, acc, "accuracy", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_publisher_track(p, val, "loss", TW_SPLIT_VAL), 0);
    assert_int_equal(tw_publisher_track(p, loss, "again", TW_SPLIT_TRAIN), -EINVAL);

    double expect_loss[4], expect_acc[4], expect_val[4];
    const float yt[4] = {1, 0, 1, 0};
    for (int epoch = 1; epoch <= 3; epoch++) {
        for (int step = 0; step < 10; step++) {
            assert_int_equal(tw_metric_update_scalar(loss, 1.0 / (epoch + step), 32), 0);
            const float yp[4] = {0.9f, 0.2f, step % 2 ? 0.7f : 0.3f, 0.6f};
            assert_int_equal(tw_metric_update_state(acc, yt, yp, NULL, 4, 1), 0);
            assert_int_equal(tw_publisher_step(p), 0);
        }
        if (epoch != 2) /* val is left out of epoch 2 */
            tw_metric_update_scalar(val, 0.5 * epoch, 100);
        expect_loss[epoch] = tw_metric_result(loss);
        expect_acc[epoch] = tw_metric_result(acc);
        expect_val[epoch] = tw_metric_result(val);
        assert_int_equal(tw_publisher_epoch(p), (unsigned long)epoch);
        assert_int_equal(tw_publisher_epoch_end(p), 0);
        assert_true(tw_metric_result(loss) == 0.0); /* reset, as Keras does */
    }
    assert_int_equal(tw_publisher_set_status(p, TW_RUN_FAILED), 0);
    tw_publisher_stats st = tw_publisher_get_stats(p);
    assert_int_equal(st.records, 3 * 10 * 2 + 2);
    char id[TW_WIRE_MAX_NAME + 1];
    snprintf(id, sizeof id, "%s", tw_publisher_run_id(p));
    assert_string_equal(tw_publisher_run_name(p), "test-run");
    tw_publisher_destroy(&p);
    assert_null(p);
    sub_pump(&s, 3000, true);

    /* the envelope carries the launch's id; the RUN record the name */
    assert_string_equal(s.header.run, id);
    assert_string_not_equal(id, "test-run");
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].type == TW_REC_RUN)
            assert_string_equal(s.recs[i].name, "test-run");
    assert_int_equal(s.header.world, 1);
    assert_true(count_type(&s, TW_REC_RUN) >= 1);
    assert_int_equal(count_type(&s, TW_REC_METRIC), 3);
    assert_int_equal(count_type(&s, TW_REC_UPDATE), 3 * 10 * 2 + 2);
    assert_int_equal(count_type(&s, TW_REC_EPOCH_END), 3);
    assert_int_equal(count_type(&s, TW_REC_EPOCH), 3 + 3 + 2);
    for (uint64_t e = 1; e <= 3; e++) {
        const seen_rec *r = find_epoch(&s, 0, e);
        assert_non_null(r);
        assert_double_equal(r->result, expect_loss[e], 1e-12);
        r = find_epoch(&s, 1, e);
        assert_non_null(r);
        assert_double_equal(r->result, expect_acc[e], 1e-12);
        r = find_epoch(&s, 2, e);
        if (e == 2) {
            assert_null(r);
        } else {
            assert_non_null(r);
            assert_double_equal(r->result, expect_val[e], 1e-12);
        }
    }
    /* step (doc/protocol.md, UPDATE): the 0-based index of the step in progress. The first
     * update, before any tw_publisher_step, is step 0; the last of epoch 1's ten is step 9;
     * epoch 1's EPOCH_END says 10 steps were done. */
    uint64_t first_step = UINT64_MAX, last_e1 = 0, end_e1 = 0;
    for (size_t i = 0; i < s.n; i++) {
        const seen_rec *r = &s.recs[i];
        if (r->type == TW_REC_UPDATE && first_step == UINT64_MAX)
            first_step = r->step;
        if (r->type == TW_REC_UPDATE && r->epoch == 1 && r->metric_id == 0 && r->step > last_e1)
            last_e1 = r->step;
        if (r->type == TW_REC_EPOCH_END && r->epoch == 1)
            end_e1 = r->step;
    }
    assert_int_equal(first_step, 0);
    assert_int_equal(last_e1, 9);
    assert_int_equal(end_e1, 10);
    /* Sequence numbers: 1..N with no gap, the run end last. */
    uint64_t max_seq = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].seq > max_seq)
            max_seq = s.recs[i].seq;
    assert_int_equal(max_seq, s.n);
    const seen_rec *end = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].type == TW_REC_RUN_END)
            end = &s.recs[i];
    assert_non_null(end);
    assert_int_equal(end->status, TW_RUN_FAILED);
    assert_int_equal(end->seq, max_seq);
    /* The parameters travelled with the run. */
    bool params = false;
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].type == TW_REC_RUN && s.recs[i].n_params == 2)
            params = true;
    assert_true(params);

    sub_close(&s);
    tw_metric_destroy(&loss);
    tw_metric_destroy(&acc);
    tw_metric_destroy(&val);
}

/* A subscriber that joins after five epochs receives all five. */
static void
test_late_join_ipc(void **state)
{
    (void)state;
    tw_publisher_options o = tw_publisher_defaults();
    o.run_name = "late";
    o.log_dir = "off";
    tw_publisher *p = tw_publisher_new(&o); /* the default: ipc in XDG_RUNTIME_DIR */
    assert_non_null(p);
    char expect[512];
    snprintf(expect, sizeof expect, "ipc://%s/trainwatch/", tmp_root);
    assert_memory_equal(tw_publisher_endpoint(p), expect, strlen(expect));

    /* Registered: a .run file naming the endpoint, in a directory of mode 0700. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/trainwatch", tmp_root);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int runs = 0;
    struct dirent *e;
    char regpath[1024] = "";
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".run")) {
            runs++;
            snprintf(regpath, sizeof regpath, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    assert_int_equal(runs, 1);
    FILE *f = fopen(regpath, "r");
    assert_non_null(f);
    char text[2048] = "";
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = '\0';
    fclose(f);
    assert_non_null(strstr(text, tw_publisher_endpoint(p)));
    assert_non_null(strstr(text, "name=late\n"));
    char idline[TW_WIRE_MAX_NAME + 8];
    snprintf(idline, sizeof idline, "run=%s\n", tw_publisher_run_id(p));
    assert_non_null(strstr(text, idline));

    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
    double expect_v[6];
    for (int epoch = 1; epoch <= 5; epoch++) {
        for (int i = 0; i < 50; i++) {
            tw_metric_update_scalar(m, epoch * 10 + i, 1);
            tw_publisher_step(p);
        }
        expect_v[epoch] = tw_metric_result(m);
        tw_publisher_epoch_end(p);
    }
    usleep(100 * 1000); /* history is in the publisher, no subscriber yet */
    sub s;
    sub_open(&s, NULL, tw_publisher_endpoint(p));
    sub_pump(&s, 1000, false);
    for (uint64_t ep = 1; ep <= 5; ep++) {
        const seen_rec *r = find_epoch(&s, 0, ep);
        assert_non_null(r);
        assert_double_equal(r->result, expect_v[ep], 1e-12);
    }
    assert_int_equal(count_type(&s, TW_REC_EPOCH_END), 5);
    assert_int_equal(count_type(&s, TW_REC_METRIC), 1);
    assert_true(count_type(&s, TW_REC_UPDATE) >= 250 / 2); /* decimated at most by half */
    assert_true(tw_publisher_get_stats(p).replays >= 1);
    /* The replay says how far it reaches: every record sent before it (> 250 updates). */
    assert_true(s.max_replay_through >= 250 + 5 * 2);
    tw_publisher_destroy(&p);
    /* Unregistered on exit. */
    assert_int_not_equal(access(regpath, F_OK), 0);
    sub_close(&s);
    tw_metric_destroy(&m);
}

/* inproc needs the subscriber's context. */
static void
test_round_trip_inproc(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "inproc://tw-test";
    o.zmq_context = ctx;
    o.log_dir = "off";
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    sub s;
    sub_open(&s, ctx, "inproc://tw-test");
    sub_pump(&s, 200, false);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_VAL);
    tw_metric_update_scalar(m, 2.5, 4);
    tw_publisher_epoch_end(p);
    tw_publisher_destroy(&p);
    sub_pump(&s, 3000, true);
    const seen_rec *r = find_epoch(&s, 0, 1);
    assert_non_null(r);
    assert_double_equal(r->result, 2.5, 0);
    assert_int_equal(r->state_len, 4); /* [total, count, sumsq, values] */
    assert_double_equal(r->state[1], 4.0, 0);
    assert_double_equal(r->state[2], 2.5 * 2.5 * 4, 0);
    assert_double_equal(r->state[3], 1.0, 0);
    sub_close(&s);
    zmq_ctx_term(ctx);
    tw_metric_destroy(&m);
}

/* A ring too small for a burst: received updates + counted drops == produced, exactly,
 * and the drop count reaches subscribers. */
static void
test_overflow_counts_exactly(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.ring_capacity = 64;
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
    const int n = 200000;
    for (int i = 0; i < n; i++)
        tw_metric_update_scalar(m, i, 1);
    tw_publisher_epoch_end(p);
    tw_publisher_stats st = tw_publisher_get_stats(p);
    assert_int_equal(st.records, (unsigned long long)n);
    assert_true(st.dropped > 0); /* 200 000 into 64 slots */
    tw_publisher_destroy(&p);
    sub_pump(&s, 5000, true);
    size_t updates = count_type(&s, TW_REC_UPDATE);
    assert_int_equal(updates + st.dropped, (size_t)n);
    uint64_t reported = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].type == TW_REC_DROPS && s.recs[i].dropped > reported)
            reported = s.recs[i].dropped;
    assert_int_equal(reported, st.dropped);
    /* The epoch's final state is never dropped. */
    const seen_rec *r = find_epoch(&s, 0, 1);
    assert_non_null(r);
    assert_double_equal(r->result, (n - 1) / 2.0, 1e-9);
    sub_close(&s);
    tw_metric_destroy(&m);
}

/* A subscriber process that connects, then is stopped with SIGSTOP before it reads. */
static pid_t
stopped_subscriber(const char *endpoint)
{
    pid_t pid = fork();
    if (pid == 0) {
        void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_SUB);
        int hwm = 1, rcvbuf = 4096;
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(sock, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0);
        zmq_connect(sock, endpoint);
        usleep(300 * 1000); /* connected and subscribed (its I/O thread stops too) */
        raise(SIGSTOP);     /* stalled from here on, connection open */
        _exit(0);
    }
    int status;
    waitpid(pid, &status, WUNTRACED); /* wait until it is stopped */
    return pid;
}

/* The training thread never waits and destroy returns within 1 s: with no subscriber, and
 * with a subscriber process stopped by SIGSTOP. */
static void
test_destroy_bounded(void **state)
{
    (void)state;
    for (int stalled = 0; stalled <= 1; stalled++) {
        tw_publisher_options o = tcp_options(NULL);
        tw_publisher *p = tw_publisher_new(&o);
        assert_non_null(p);
        pid_t child = stalled ? stopped_subscriber(tw_publisher_endpoint(p)) : 0;
        tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
        tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
        double t0 = mono_seconds();
        for (int i = 0; i < 300000; i++) {
            tw_metric_update_scalar(m, i, 1);
            tw_publisher_step(p);
            if (i % 1000 == 999)
                usleep(100); /* like a training step: the ring drains, the socket fills */
        }
        double train = mono_seconds() - t0;
        tw_publisher_stats st = tw_publisher_get_stats(p);
        t0 = mono_seconds();
        tw_publisher_destroy(&p);
        double took = mono_seconds() - t0;
        print_message("stalled=%d: 300k updates in %.3f s, %llu messages sent, %llu refused "
                      "by ZeroMQ, destroy in %.3f s\n",
                      stalled, train, st.messages, st.send_drops, took);
        assert_true(took < 1.0);
        assert_true(train < 300 * 0.0001 + 2.0); /* sleeps + never waited on the network */
        if (stalled) {
            assert_true(st.replays >= 1); /* the stopped process had subscribed */
            assert_true(st.messages > 0);
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
        }
        tw_metric_destroy(&m);
    }
}

/* Every record sent is in the run log, which reads back cleanly. */
static void
test_run_log(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/runs", tmp_root);
    tw_publisher_options o = tcp_options(dir);
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    char path[1024];
    snprintf(path, sizeof path, "%s", tw_publisher_log_path(p));
    assert_memory_equal(path, dir, strlen(dir));
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
    for (int e = 1; e <= 4; e++) {
        for (int i = 0; i < 100; i++) {
            tw_metric_update_scalar(m, e + i, 1);
            tw_publisher_step(p);
        }
        tw_publisher_epoch_end(p);
    }
    tw_publisher_destroy(&p);

    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    sub s;
    memset(&s, 0, sizeof s);
    s.dec = tw_wire_decoder_new();
    s.recs = calloc(MAX_SEEN, sizeof(seen_rec));
    s.seen_cap = MAX_SEEN;
    s.seen_seq = calloc(s.seen_cap, 1);
    const uint8_t *payload;
    size_t len;
    int rc;
    while ((rc = tw_runlog_reader_next(r, &payload, &len)) == TW_RUNLOG_FRAME)
        assert_int_equal(tw_wire_decode(s.dec, payload, len, on_record, &s), 0);
    assert_int_equal(rc, TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    assert_int_equal(s.duplicates, 0);
    assert_int_equal(count_type(&s, TW_REC_UPDATE), 400);
    assert_int_equal(count_type(&s, TW_REC_EPOCH), 4);
    assert_int_equal(count_type(&s, TW_REC_RUN_END), 1);
    uint64_t max_seq = 0;
    for (size_t i = 0; i < s.n; i++)
        max_seq = s.recs[i].seq > max_seq ? s.recs[i].seq : max_seq;
    assert_int_equal(max_seq, s.n); /* nothing missing */
    tw_wire_decoder_destroy(&s.dec);
    free(s.recs);
    free(s.seen_seq);
    tw_metric_destroy(&m);
}

/* A run named "." or ".." (TRAINWATCH_RUN=.) writes a visible run log, not a hidden one. */
static void
test_dot_run_name_log(void **state)
{
    (void)state;
    const char *names[] = {".", "..", ".secret"};
    for (size_t i = 0; i < 3; i++) {
        tw_publisher_options o = tcp_options(tmp_root);
        o.run_name = names[i];
        tw_publisher *p = tw_publisher_new(&o);
        assert_non_null(p);
        assert_string_equal(tw_publisher_run_name(p), names[i]); /* the name itself is kept */
        const char *path = tw_publisher_log_path(p), *base = strrchr(path, '/');
        assert_non_null(base);
        if (base[1] == '.')
            fail_msg("run '%s' logs to a hidden file: %s", names[i], path);
        assert_int_equal(base[1], '_');
        tw_publisher_destroy(&p);
    }
}

/* A log directory that cannot be created is reported; training goes on. */
static void
test_unwritable_log_dir(void **state)
{
    (void)state;
    char file[512], dir[600];
    snprintf(file, sizeof file, "%s/plain-file", tmp_root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/runs", file); /* under a regular file: ENOTDIR */
    diag_log d = {0};
    tw_publisher_options o = tcp_options(dir);
    o.on_diag = capture_diag;
    o.diag_ctx = &d;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    assert_true(d.count >= 1);
    assert_non_null(strstr(d.last, "run log"));
    assert_string_equal(tw_publisher_log_path(p), "");
    assert_true(tw_publisher_get_stats(p).log_errors >= 1);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_metric_update_scalar(m, 1, 1), 0);
    assert_int_equal(tw_publisher_epoch_end(p), 0);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);
}

static size_t read_log(const char *path, sub *s);
static void free_log(sub *s);

/* A run log that cannot grow (the file size limit: what a full disk does to a writer, without
 * needing root to fill a filesystem): the failure is reported once, counted, and training and
 * the live stream go on with nothing lost; the log holds whole frames only and reads back
 * cleanly up to where it stopped. */
static void
test_log_write_fails(void **state)
{
    (void)state;
    /* the limit leaves room for a few frames of updates (a Mean's state is 4 doubles; the
     * frames are compressed: ~20 bytes an update) */
    enum { LIMIT = 8 * 1024, EPOCHS = 10, STEPS = 200 };
    char dir[512];
    snprintf(dir, sizeof dir, "%s/full", tmp_root);
    diag_log d = {0};
    tw_publisher_options o = tcp_options(dir);
    o.on_diag = capture_diag;
    o.diag_ctx = &d;
    o.heartbeat_ms = 1000;
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = LIMIT;
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of a signal */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    char path[1024];
    snprintf(path, sizeof path, "%s", tw_publisher_log_path(p));
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    for (int e = 1; e <= EPOCHS; e++) {
        for (int i = 0; i < STEPS; i++) {
            assert_int_equal(tw_metric_update_scalar(m, e + i, 1), 0);
            assert_int_equal(tw_publisher_step(p), 0);
        }
        assert_int_equal(tw_publisher_epoch_end(p), 0);
        sub_pump(&s, 20, false);
    }
    tw_publisher_stats st = tw_publisher_get_stats(p);
    tw_publisher_destroy(&p);
    sub_pump(&s, 2000, true);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);

    print_message("log limit %d bytes: %llu frames written, %llu failed; diag: %s\n", LIMIT,
                  st.log_frames, st.log_errors, d.first_error);
    assert_true(st.log_errors >= 1);
    assert_true(st.log_frames >= 1);
    assert_non_null(strstr(d.first_error, "write failed"));
    assert_non_null(strstr(d.first_error, strerror(EFBIG)));
    assert_non_null(strstr(d.first_error, path));
    assert_int_equal(st.dropped, 0);
    /* the live stream has everything */
    assert_int_equal(count_type(&s, TW_REC_UPDATE), EPOCHS * STEPS);
    assert_int_equal(count_type(&s, TW_REC_EPOCH), EPOCHS);
    assert_int_equal(count_type(&s, TW_REC_RUN_END), 1);
    sub_close(&s);

    /* the log: whole frames up to the limit, read back cleanly, a prefix of the stream */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size <= LIMIT);
    sub l;
    /* every frame counted as written is there (destroy's final drain may add one after st) */
    assert_true(read_log(path, &l) >= st.log_frames);
    assert_true(count_type(&l, TW_REC_UPDATE) > 0);
    assert_true(count_type(&l, TW_REC_UPDATE) < EPOCHS * STEPS);
    assert_int_equal(l.duplicates, 0);
    free_log(&l);
    tw_metric_destroy(&m);
}

/* Bad endpoints and environment values: NULL, EINVAL, and a sentence naming the value. */
static void
test_bad_configuration(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "foo://x", "tcp://127.0.0.1", "tcp://:99999",      ">tcp://:5555", "ipc://",
        "",        "tcp://host:abc",  ">tcp://127.0.0.1:*"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        diag_log d = {0};
        tw_publisher_options o = tw_publisher_defaults();
        o.endpoint = bad[i];
        o.log_dir = "off";
        o.on_diag = capture_diag;
        o.diag_ctx = &d;
        errno = 0;
        tw_publisher *p = tw_publisher_new(&o);
        assert_null(p);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(d.count, 1);
        assert_non_null(strstr(d.last, "endpoint"));
    }
    static const char *const env_bad[][2] = {
        {"TRAINWATCH_ENDPOINT", "bogus"},
        {"RANK", "abc"},
        {"RANK", "-1"},
        {"WORLD_SIZE", "0"},
        {"RANK", "5"},
        {"RANK", "99999999999999"},
    };
    for (size_t i = 0; i < sizeof env_bad / sizeof *env_bad; i++) {
        diag_log d = {0};
        setenv(env_bad[i][0], env_bad[i][1], 1);
        if (strcmp(env_bad[i][1], "5") == 0)
            setenv("WORLD_SIZE", "2", 1);
        tw_publisher_options o = tw_publisher_defaults();
        o.log_dir = "off";
        o.on_diag = capture_diag;
        o.diag_ctx = &d;
        errno = 0;
        tw_publisher *p = tw_publisher_new(&o);
        assert_null(p);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(d.count, 1);
        print_message("%s=%s -> %s\n", env_bad[i][0], env_bad[i][1], d.last);
        unsetenv(env_bad[i][0]);
        unsetenv("WORLD_SIZE");
    }
    /* Options out of range. */
    tw_publisher_options o = tcp_options(NULL);
    o.linger_ms = 5000;
    assert_null(tw_publisher_new(&o));
    o = tcp_options(NULL);
    o.run_name = "";
    assert_null(tw_publisher_new(&o));
    /* API misuse. */
    assert_int_equal(tw_publisher_step(NULL), -EINVAL);
    assert_int_equal(tw_publisher_epoch_end(NULL), -EINVAL);
    assert_int_equal(tw_publisher_track(NULL, NULL, "x", TW_SPLIT_TRAIN), -EINVAL);
    tw_publisher_destroy(NULL);
}

/* Found by fuzz_endpoint: a rank is digits only. strtol took " 1" as a number, so RANK=" 1"
 * was rank 1. (The endpoint's port, digits only too: test_endpoint.c.) */
static void
test_config_integers_are_digits(void **state)
{
    (void)state;
    char err[256];
    static const char *const env_bad[][2] = {{"RANK", " 1"}, {"RANK", "+1"}, {"WORLD_SIZE", " 2"}};
    for (size_t i = 0; i < sizeof env_bad / sizeof *env_bad; i++) {
        setenv(env_bad[i][0], env_bad[i][1], 1);
        tw_config c;
        err[0] = '\0';
        assert_int_equal(tw_config_resolve(&c, NULL, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, env_bad[i][0]));
        unsetenv(env_bad[i][0]);
    }
}

/* Launcher variables: ranks of one job share a run id and report rank and world. */
static void
test_launcher_environment(void **state)
{
    (void)state;
    setenv("TORCHELASTIC_RUN_ID", "job42", 1);
    setenv("RANK", "3", 1);
    setenv("WORLD_SIZE", "4", 1);
    setenv("TRAINWATCH_ENDPOINT", "tcp://127.0.0.1:*", 1);
    setenv("TRAINWATCH_LOG_DIR", "off", 1);
    tw_publisher *a = tw_publisher_new(NULL);
    setenv("RANK", "1", 1);
    tw_publisher *b = tw_publisher_new(NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(tw_publisher_run_id(a), tw_publisher_run_id(b));
    assert_non_null(strstr(tw_publisher_run_id(a), "job42"));
    sub s;
    sub_open(&s, NULL, tw_publisher_endpoint(a));
    sub_pump(&s, 300, false);
    tw_publisher_destroy(&a);
    sub_pump(&s, 2000, true);
    assert_int_equal(s.header.rank, 3);
    assert_int_equal(s.header.world, 4);
    tw_publisher_destroy(&b);
    sub_close(&s);
    unsetenv("TORCHELASTIC_RUN_ID");
    unsetenv("RANK");
    unsetenv("WORLD_SIZE");
    unsetenv("TRAINWATCH_ENDPOINT");
    unsetenv("TRAINWATCH_LOG_DIR");
}

/* Gauges, AUC (a large state), and a tracked metric destroyed before the publisher. */
static void
test_gauge_large_state_and_detach(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    tw_metric *auc = tw_metric_new(TW_METRIC_AUC, NULL);
    tw_metric *gone = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, auc, "auc", TW_SPLIT_VAL);
    tw_publisher_track(p, gone, "gone", TW_SPLIT_TRAIN);
    const float yt[4] = {0, 0, 1, 1}, yp[4] = {0.1f, 0.4f, 0.35f, 0.8f};
    tw_metric_update_state(auc, yt, yp, NULL, 4, 1);
    double expect = tw_metric_result(auc);
    tw_metric_update_scalar(gone, 1, 1);
    assert_int_equal(tw_publisher_gauge(p, "lr", TW_SPLIT_TRAIN, 0.1), 0);
    assert_int_equal(tw_publisher_gauge(p, "lr", TW_SPLIT_TRAIN, 0.05), 0);
    assert_int_equal(tw_publisher_gauge(p, "gone", TW_SPLIT_TRAIN, 1), -EINVAL);
    tw_metric_destroy(&gone); /* untracked; the publisher must not touch it */
    tw_publisher_epoch_end(p);
    tw_publisher_destroy(&p);
    sub_pump(&s, 3000, true);
    const seen_rec *r = find_epoch(&s, 0, 1);
    assert_non_null(r);
    assert_int_equal(r->state_len, 2 * 200 + 2);
    assert_double_equal(r->result, expect, 1e-12);
    assert_double_equal(expect, 0.75, 1e-9);
    assert_null(find_epoch(&s, 1, 1)); /* destroyed before the epoch ended */
    r = find_epoch(&s, 2, 1);
    assert_non_null(r);
    assert_double_equal(r->result, 0.05, 0); /* a gauge's epoch value is its last */
    sub_close(&s);
    tw_metric_destroy(&auc);
}

/* An idle publisher sends a heartbeat every heartbeat_ms, carrying the interval, the epoch
 * and the step; and a run-end on destroy, so a monitor tells an ended run from a vanished one. */
static void
test_heartbeats(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.heartbeat_ms = 100;
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 200);
    for (int i = 0; i < 7; i++)
        tw_publisher_step(p);
    size_t before = count_type(&s, TW_REC_HEARTBEAT);
    sub_pump(&s, 650, false); /* idle: nothing but heartbeats */
    size_t beats = count_type(&s, TW_REC_HEARTBEAT) - before;
    print_message("%zu heartbeats in 650 ms at a 100 ms interval\n", beats);
    assert_true(beats >= 4 && beats <= 8);
    const seen_rec *last = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].type == TW_REC_HEARTBEAT)
            last = &s.recs[i];
    assert_non_null(last);
    assert_int_equal(last->step, 7);
    assert_int_equal(last->epoch, 1);
    assert_int_equal(count_type(&s, TW_REC_RUN_END), 0);
    tw_publisher_destroy(&p);
    sub_pump(&s, 2000, true);
    assert_int_equal(count_type(&s, TW_REC_RUN_END), 1);
    sub_close(&s);
}

/* A program resumed from a checkpoint: its records carry the resumed epoch and steps; resume
 * after the run has begun is refused. */
static void
test_resume(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.heartbeat_ms = 1000;
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_publisher_resume(NULL, 5, 400), -EINVAL);
    assert_int_equal(tw_publisher_resume(p, 0, 400), -EINVAL);
    assert_int_equal(tw_publisher_resume(p, 5, 400), 0);
    assert_int_equal(tw_publisher_epoch(p), 5);
    for (int e = 5; e <= 6; e++) {
        for (int i = 0; i < 100; i++) {
            tw_metric_update_scalar(m, 1.0 / (e + i), 1);
            tw_publisher_step(p);
        }
        assert_int_equal(tw_publisher_epoch_end(p), 0);
    }
    assert_int_equal(tw_publisher_resume(p, 9, 0), -EBUSY);
    tw_publisher_destroy(&p);
    sub_pump(&s, 2000, true);
    assert_null(find_epoch(&s, 0, 1));
    const seen_rec *e5 = find_epoch(&s, 0, 5), *e6 = find_epoch(&s, 0, 6);
    assert_non_null(e5);
    assert_non_null(e6);
    assert_int_equal(e5->step, 500);
    assert_int_equal(e6->step, 600);
    uint64_t first_update = 0;
    for (size_t i = 0; i < s.n && !first_update; i++)
        if (s.recs[i].type == TW_REC_UPDATE) {
            assert_int_equal(s.recs[i].epoch, 5);
            first_update = s.recs[i].step;
        }
    assert_int_equal(first_update, 400);
    sub_close(&s);

    /* after a step, or after an update, resume is too late */
    p = tw_publisher_new(&o);
    assert_non_null(p);
    tw_publisher_step(p);
    assert_int_equal(tw_publisher_resume(p, 5, 0), -EBUSY);
    tw_publisher_destroy(&p);
    p = tw_publisher_new(&o);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    tw_metric_update_scalar(m, 1, 1);
    assert_int_equal(tw_publisher_resume(p, 5, 0), -EBUSY);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);
}

/* Epochs, steps and plans stop at TW_PUBLISHER_MAX_COUNT (2^53 - 1) with -ERANGE: resuming
 * near ULONG_MAX wrapped the epoch to 0 two epoch ends later, and its records were lost. */
static void
test_count_limits(void **state)
{
    (void)state;
    const unsigned long max = (unsigned long)TW_PUBLISHER_MAX_COUNT;
    tw_publisher_options o = tcp_options(NULL);
    o.heartbeat_ms = 1000;
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_publisher_resume(p, ULONG_MAX - 1, 0), -ERANGE);
    assert_int_equal(tw_publisher_resume(p, 5, ULLONG_MAX - 1), -ERANGE);
    assert_int_equal(tw_publisher_set_plan(p, (unsigned long)-5, 1), -ERANGE);
    assert_int_equal(tw_publisher_set_plan(p, 10, ULONG_MAX), -ERANGE);
    assert_int_equal(tw_publisher_set_plan(p, max, max), 0);
    assert_int_equal(tw_publisher_resume(p, max - 1, TW_PUBLISHER_MAX_COUNT - 1), 0);
    tw_metric_update_scalar(m, 1.0, 1);
    assert_int_equal(tw_publisher_step(p), 0);
    assert_int_equal(tw_publisher_step(p), -ERANGE);
    assert_int_equal(tw_publisher_epoch_end(p), 0);
    assert_int_equal(tw_publisher_epoch(p), max);
    tw_metric_update_scalar(m, 2.0, 1);
    assert_int_equal(tw_publisher_epoch_end(p), -ERANGE);
    assert_int_equal(tw_publisher_epoch(p), max); /* it stays open, never wraps to 0 */
    assert_int_equal(tw_publisher_epoch_end(p), -ERANGE);
    tw_publisher_stats st = tw_publisher_get_stats(p);
    tw_publisher_destroy(&p);
    assert_int_equal(st.dropped, 0);
    sub_pump(&s, 2000, true);
    const seen_rec *last = find_epoch(&s, 0, max - 1);
    assert_non_null(last);
    assert_int_equal(last->step, TW_PUBLISHER_MAX_COUNT);
    assert_null(find_epoch(&s, 0, 0));
    sub_close(&s);
    tw_metric_destroy(&m);
}

static int
collect_entry(void *ctx, const tw_registry_entry *e)
{
    tw_registry_entry *out = ctx;
    *out = *e;
    return 0;
}

/* Stale registry entries (dead pid) are recognised, and removed by a new publisher; a live
 * publisher's entry names its endpoint and run log. */
static void
test_registry(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/trainwatch", tmp_root);
    mkdir(dir, 0700);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0); /* now a dead pid */
    tw_registry_entry e;
    memset(&e, 0, sizeof e);
    e.pid = child;
    snprintf(e.run, sizeof e.run, "dead-run");
    e.world = 1;
    snprintf(e.endpoint, sizeof e.endpoint, "ipc://%s/stale.sock", dir);
    char path[4096];
    assert_int_equal(tw_registry_write(dir, "stale", &e, path, sizeof path), 0);
    tw_registry_entry got;
    memset(&got, 0, sizeof got);
    assert_int_equal(tw_registry_scan(dir, false, collect_entry, &got), 1);
    assert_string_equal(got.run, "dead-run");
    assert_false(got.alive);

    tw_publisher_options o = tw_publisher_defaults();
    o.run_name = "alive-run";
    char logs[600];
    snprintf(logs, sizeof logs, "%s/reg-logs", tmp_root);
    o.log_dir = logs;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    memset(&got, 0, sizeof got);
    assert_int_equal(tw_registry_scan(dir, false, collect_entry, &got), 1); /* stale gone */
    assert_string_equal(got.run, tw_publisher_run_id(p));
    assert_string_equal(got.name, "alive-run");
    assert_true(got.alive);
    assert_int_equal(got.pid, getpid());
    assert_string_equal(got.endpoint, tw_publisher_endpoint(p));
    char real[4096];
    assert_non_null(realpath(tw_publisher_log_path(p), real)); /* its run log, absolute */
    assert_string_equal(got.log, real);
    tw_publisher_destroy(&p);
    assert_int_equal(tw_registry_scan(dir, false, NULL, NULL), 0);

    /* Parsing hostile entries: test_registry.c. */
}

/* Reads a run log into s (records in log order); returns the number of frames. */
static size_t
read_log(const char *path, sub *s)
{
    memset(s, 0, sizeof(*s));
    s->dec = tw_wire_decoder_new();
    s->recs = calloc(MAX_SEEN, sizeof(seen_rec));
    s->seen_cap = 4 * MAX_SEEN;
    s->seen_seq = calloc(s->seen_cap, 1);
    assert_non_null(s->recs);
    assert_non_null(s->seen_seq);
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    const uint8_t *payload;
    size_t len, frames = 0;
    int rc;
    while ((rc = tw_runlog_reader_next(r, &payload, &len)) == TW_RUNLOG_FRAME) {
        assert_int_equal(tw_wire_decode(s->dec, payload, len, on_record, s), 0);
        frames++;
    }
    assert_int_equal(rc, TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    return frames;
}

static void
free_log(sub *s)
{
    tw_wire_decoder_destroy(&s->dec);
    free(s->recs);
    free(s->seen_seq);
}

/* A large state (AUC) updated right before and right after each epoch end: no update of
 * epoch N+1 is published before epoch N ends, and no snapshot goes out twice. */
static void
test_large_state_epoch_order(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/runs-order", tmp_root);
    tw_publisher_options o = tcp_options(dir);
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    char path[1024];
    snprintf(path, sizeof path, "%s", tw_publisher_log_path(p));
    tw_metric *loss = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_metric *auc = tw_metric_new(TW_METRIC_AUC, NULL);
    assert_int_equal(tw_publisher_track(p, loss, "loss", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_publisher_track(p, auc, "auc", TW_SPLIT_TRAIN), 0);
    const float yt[4] = {0, 1, 1, 0};
    const int epochs = 20;
    for (int e = 1; e <= epochs; e++) {
        for (int i = 0; i < 50; i++) {
            const float yp[4] = {0.1f, 0.02f * i, 0.6f, 0.3f};
            tw_metric_update_scalar(loss, i, 1);
            tw_metric_update_state(auc, yt, yp, NULL, 4, 1);
            tw_publisher_step(p);
        }
        usleep(25 * 1000); /* past the snapshot interval: the next update takes a snapshot */
        const float last[4] = {0.2f, 0.9f, 0.1f, 0.05f * e};
        tw_metric_update_state(auc, yt, last, NULL, 4, 1);
        tw_publisher_step(p);
        assert_int_equal(tw_publisher_epoch_end(p), 0);
        /* The first update of the next epoch rewrites the snapshot at once. */
        tw_metric_update_state(auc, yt, last, NULL, 4, 1);
        tw_metric_update_scalar(loss, 1, 1);
        tw_publisher_step(p);
    }
    tw_publisher_destroy(&p);

    sub s;
    read_log(path, &s);
    assert_int_equal(count_type(&s, TW_REC_EPOCH_END), epochs);
    uint64_t ended = 0;
    size_t auc_updates = 0;
    for (size_t i = 0; i < s.n; i++) {
        const seen_rec *r = &s.recs[i];
        if (r->type == TW_REC_EPOCH_END)
            ended = r->epoch;
        if (r->type != TW_REC_UPDATE)
            continue;
        if (r->epoch > ended + 1)
            fail_msg("UPDATE of metric %u epoch %llu (seq %llu) before EPOCH_END %llu",
                     r->metric_id, (unsigned long long)r->epoch, (unsigned long long)r->seq,
                     (unsigned long long)ended + 1);
        if (r->epoch <= ended)
            fail_msg("UPDATE of epoch %llu after its end", (unsigned long long)r->epoch);
        if (r->metric_id != 1)
            continue;
        auc_updates++;
        for (size_t k = 0; k < i; k++) {
            const seen_rec *q = &s.recs[k];
            if (q->type == TW_REC_UPDATE && q->metric_id == 1 && q->epoch == r->epoch &&
                q->step == r->step && memcmp(q->state, r->state, sizeof q->state) == 0)
                fail_msg("the AUC snapshot of epoch %llu step %llu went out twice",
                         (unsigned long long)r->epoch, (unsigned long long)r->step);
        }
    }
    assert_true(auc_updates >= (size_t)epochs); /* at least the updates after each sleep */
    free_log(&s);
    tw_metric_destroy(&loss);
    tw_metric_destroy(&auc);
}

/* A subscriber that never reads: its losses are counted (send_drops), and it does not
 * starve a subscriber that reads, which receives every record sent. */
static void
test_stalled_subscriber_counted(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.heartbeat_ms = 3600 * 1000;
    o.ring_capacity = 1 << 20;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    void *ctx = zmq_ctx_new(), *stalled = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 10, rcvbuf = 4096, zero = 0;
    zmq_setsockopt(stalled, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(stalled, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
    zmq_setsockopt(stalled, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(stalled, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(stalled, tw_publisher_endpoint(p)), 0);
    sub s;
    sub_open(&s, ctx, tw_publisher_endpoint(p));
    sub_pump(&s, 300, false);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
    /* Bursts until the stalled queue (1000 messages) and its socket buffers are full and a
     * send is refused; at most 60 s (slow sanitizer builds: under ThreadSanitizer on a busy
     * 2-core machine the publisher once sent only 848 messages in 20 s). */
    int n = 0;
    double t0 = mono_seconds();
    while (tw_publisher_get_stats(p).send_drops == 0 && mono_seconds() - t0 < 60.0) {
        for (int i = 0; i < 50000; i++)
            tw_metric_update_scalar(m, n++, 1);
        usleep(10 * 1000);
    }
    tw_publisher_epoch_end(p);
    tw_publisher_stats st = tw_publisher_get_stats(p);
    tw_publisher_destroy(&p);
    sub_pump(&s, 5000, true);
    print_message("%llu messages, send_drops %llu, ring drops %llu\n", st.messages, st.send_drops,
                  st.dropped);
    assert_true(st.send_drops > 0);
    /* The reading subscriber got every record, or was told it was dropped (the ring was
     * full, or destroy's drain ran out of time). */
    assert_true(s.drops >= st.dropped);
    assert_int_equal(s.updates + s.drops, (uint64_t)n);
    assert_int_equal(s.epoch_recs, 1);
    sub_close(&s);
    zmq_close(stalled);
    zmq_ctx_term(ctx);
    tw_metric_destroy(&m);
}

/* The largest ring, full, with no subscriber: destroy returns within a second, and what it
 * could not send is reported as dropped before the run end. */
static void
test_destroy_full_ring_bounded(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/runs-full", tmp_root);
    tw_publisher_options o = tcp_options(dir);
    o.ring_capacity = 1 << 20;
    o.linger_ms = 500;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    o.ring_capacity = (1 << 20) + 1;
    assert_null(tw_publisher_new(&o)); /* the largest ring */
    char path[1024];
    snprintf(path, sizeof path, "%s", tw_publisher_log_path(p));
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
    const int n = 3 << 20;
    for (int i = 0; i < n; i++)
        tw_metric_update_scalar(m, i, 1);
    tw_publisher_epoch_end(p);
    tw_publisher_stats st = tw_publisher_get_stats(p);
    double t0 = mono_seconds();
    tw_publisher_destroy(&p);
    double took = mono_seconds() - t0;
    print_message("destroy of a full 1M ring in %.3f s\n", took);
    assert_true(took < 1.0);

    sub s;
    read_log(path, &s);
    assert_true(s.drops_then_end);
    assert_true(s.drops >= st.dropped);
    assert_int_equal(s.updates + s.drops, (uint64_t)n); /* every record sent or counted */
    assert_int_equal(s.epoch_recs, 1);                  /* the epoch's final is never dropped */
    free_log(&s);
    tw_metric_destroy(&m);
}

/* An odd step_history: decimation still keeps the newest point before each new one. */
static void
test_step_history_odd(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.step_history = 17;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN);
    const int k = 18; /* one past a full history of 17 */
    for (int i = 1; i <= k; i++) {
        tw_publisher_step(p);
        tw_metric_update_scalar(m, i, 1);
    }
    usleep(100 * 1000); /* drained into the history */
    sub s;
    sub_open(&s, NULL, tw_publisher_endpoint(p));
    sub_pump(&s, 1000, false);
    bool newest = false, before = false;
    for (size_t i = 0; i < s.n; i++)
        if (s.recs[i].type == TW_REC_UPDATE) {
            newest |= s.recs[i].step == (uint64_t)k;
            before |= s.recs[i].step == (uint64_t)k - 1;
        }
    assert_true(newest);
    assert_true(before);
    tw_publisher_destroy(&p);
    sub_close(&s);
    tw_metric_destroy(&m);
}

/* A launcher's job id with a control character never reaches the run id (it is hashed: no
 * line can be injected into the registry); TRAINWATCH_RUN_ID with one is refused, as
 * TRAINWATCH_RUN is. */
static void
test_launcher_run_id_control(void **state)
{
    (void)state;
    static const char *const vars[] = {"TORCHELASTIC_RUN_ID", "PMIX_NAMESPACE",
                                       "OMPI_MCA_ess_base_jobid", "PMI_KVSNAME"};
    for (size_t i = 0; i < 4; i++) {
        setenv(vars[i], "job42\nrank=7", 1);
        tw_publisher_options o = tcp_options(NULL);
        tw_publisher *p = tw_publisher_new(&o);
        assert_non_null(p);
        const char *id = tw_publisher_run_id(p);
        for (const char *c = id; *c; c++)
            assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
        assert_null(strstr(id, "rank=7"));
        tw_publisher_destroy(&p);
        unsetenv(vars[i]);
    }
    setenv("TRAINWATCH_RUN_ID", "job42\nrank=7", 1);
    diag_log d = {0};
    tw_publisher_options o = tcp_options(NULL);
    o.on_diag = capture_diag;
    o.diag_ctx = &d;
    errno = 0;
    assert_null(tw_publisher_new(&o));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(d.last, "TRAINWATCH_RUN_ID"));
    assert_non_null(strstr(d.last, "control characters"));
    unsetenv("TRAINWATCH_RUN_ID");
}

/* Metric and gauge names, parameter keys and text values with a control character (an
 * escape sequence, a newline, DEL) are refused as run names are; UTF-8 is accepted. */
static void
test_names_control(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    static const char *const bad[] = {"loss\033]0;pwned\007", "a\nb", "tab\t", "del\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(tw_publisher_track(p, m, bad[i], TW_SPLIT_TRAIN), -EINVAL);
        assert_int_equal(tw_publisher_gauge(p, bad[i], TW_SPLIT_TRAIN, 1), -EINVAL);
        assert_int_equal(tw_publisher_set_param(p, bad[i], "v"), -EINVAL);
        assert_int_equal(tw_publisher_set_param(p, "k", bad[i]), -EINVAL);
        assert_int_equal(tw_publisher_set_param_number(p, bad[i], 1), -EINVAL);
    }
    assert_int_equal(tw_publisher_track(p, m, "损失", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_publisher_set_param(p, "modèle", "résumé"), 0);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);
}

/* A name whose metric was destroyed can be tracked again: the same series (metric id). */
static void
test_retrack_after_destroy(void **state)
{
    (void)state;
    tw_publisher_options o = tcp_options(NULL);
    o.heartbeat_ms = 1000;
    sub s;
    tw_publisher *p = publisher_with_sub(&o, &s, 300);
    tw_metric *a = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_metric *live = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, a, "loss", TW_SPLIT_VAL), 0);
    assert_int_equal(tw_publisher_track(p, live, "live", TW_SPLIT_VAL), 0);
    tw_metric_update_scalar(a, 1, 1);
    tw_publisher_epoch_end(p);
    tw_metric_destroy(&a);
    tw_metric *b = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_metric *other = tw_metric_new(TW_METRIC_SUM, NULL);
    tw_metric *c = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, other, "loss", TW_SPLIT_VAL), -EINVAL); /* kind */
    assert_int_equal(tw_publisher_track(p, c, "live", TW_SPLIT_VAL), -EINVAL);     /* still live */
    assert_int_equal(tw_publisher_gauge(p, "loss", TW_SPLIT_VAL, 1), -EINVAL);
    assert_int_equal(tw_publisher_track(p, b, "loss", TW_SPLIT_VAL), 0);
    tw_metric_update_scalar(b, 7, 1);
    tw_publisher_epoch_end(p);
    tw_publisher_destroy(&p);
    sub_pump(&s, 3000, true);
    assert_int_equal(count_type(&s, TW_REC_METRIC), 2);
    const seen_rec *r = find_epoch(&s, 0, 2);
    assert_non_null(r);
    assert_double_equal(r->result, 7.0, 0);
    sub_close(&s);
    tw_metric_destroy(&b);
    tw_metric_destroy(&c);
    tw_metric_destroy(&other);
    tw_metric_destroy(&live);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_tcp),
        cmocka_unit_test(test_late_join_ipc),
        cmocka_unit_test(test_round_trip_inproc),
        cmocka_unit_test(test_overflow_counts_exactly),
        cmocka_unit_test(test_destroy_bounded),
        cmocka_unit_test(test_run_log),
        cmocka_unit_test(test_unwritable_log_dir),
        cmocka_unit_test(test_log_write_fails),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_count_limits),
        cmocka_unit_test(test_dot_run_name_log),
        cmocka_unit_test(test_bad_configuration),
        cmocka_unit_test(test_config_integers_are_digits),
        cmocka_unit_test(test_launcher_environment),
        cmocka_unit_test(test_gauge_large_state_and_detach),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_heartbeats),
        cmocka_unit_test(test_large_state_epoch_order),
        cmocka_unit_test(test_stalled_subscriber_counted),
        cmocka_unit_test(test_destroy_full_ring_bounded),
        cmocka_unit_test(test_step_history_odd),
        cmocka_unit_test(test_launcher_run_id_control),
        cmocka_unit_test(test_names_control),
        cmocka_unit_test(test_retrack_after_destroy),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
