/* test_source.c - the monitor's sources (monitor/source.h) over real files and sockets: a run
 * log read to its end, a directory of run logs, a live publisher on ipc, refused specs. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runlog.h"
#include "source.h"
#include "trainwatch.h"
#include "wire.h"
#include "tmpdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* What the callbacks saw. */
typedef struct seen {
    uint64_t records, by_type[16], live, log;
    uint64_t live_linked, log_linked; /* records whose origin named a connection */
    uint64_t last_link;
    uint64_t epoch_ends, max_epoch;
    int rejected, problems;
    char rejected_where[4096], rejected_what[512];
    char problem_where[4096], problem_what[512];
    int links_up;
    int downs;                 /* links told down */
    uint64_t run_ends_at_down; /* RUN_END records delivered when the last one was */
    uint64_t down_link;        /* the connection the last one named */
    double down_at;            /* monotonic */
    char run[TW_WIRE_MAX_NAME + 1];
} seen;

static double mono(void);

static int
on_record(void *ctx, const tw_source_origin *o, const tw_wire_header *h, const tw_wire_record *r)
{
    seen *s = ctx;
    s->records++;
    if (r->type < 16)
        s->by_type[r->type]++;
    if (o->kind == TW_SOURCE_LIVE)
        s->live++;
    else
        s->log++;
    if (o->link) {
        s->last_link = o->link;
        if (o->kind == TW_SOURCE_LIVE)
            s->live_linked++;
        else
            s->log_linked++;
    }
    if (r->type == TW_REC_EPOCH_END && r->epoch > s->max_epoch)
        s->max_epoch = r->epoch;
    snprintf(s->run, sizeof s->run, "%s", h->run);
    return 0;
}

static void
on_rejected(void *ctx, const char *where, int err, const char *what)
{
    seen *s = ctx;
    s->rejected++;
    snprintf(s->rejected_where, sizeof s->rejected_where, "%s", where);
    snprintf(s->rejected_what, sizeof s->rejected_what, "%s", what);
}

static void
on_problem(void *ctx, const char *where, const char *what)
{
    seen *s = ctx;
    s->problems++;
    snprintf(s->problem_where, sizeof s->problem_where, "%s", where);
    snprintf(s->problem_what, sizeof s->problem_what, "%s", what);
}

static void
on_link(void *ctx, const tw_source_link *l)
{
    seen *s = ctx;
    if (l->state == TW_LINK_UP)
        s->links_up++;
    if (l->state == TW_LINK_DOWN) {
        s->downs++;
        s->run_ends_at_down = s->by_type[TW_REC_RUN_END];
        s->down_link = l->link;
        s->down_at = mono();
    }
}

static tw_sources *
sources_new(seen *s)
{
    memset(s, 0, sizeof(*s));
    tw_source_callbacks cb = {.record = on_record,
                              .rejected = on_rejected,
                              .problem = on_problem,
                              .link = on_link,
                              .ctx = s};
    tw_sources *src = tw_sources_new(&cb);
    assert_non_null(src);
    return src;
}

static double
mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Processes (polling the sockets) until done(s) or ms have passed; returns whether done. */
static bool
pump(tw_sources *src, seen *s, bool (*done)(const seen *), int ms)
{
    double end = mono() + ms / 1000.0;
    while (!done(s) && mono() < end) {
        zmq_pollitem_t items[] = {{tw_sources_socket(src), 0, ZMQ_POLLIN, 0},
                                  {tw_sources_event_socket(src), 0, ZMQ_POLLIN, 0}};
        if (!tw_sources_log_pending(src))
            zmq_poll(items, 2, 20);
        assert_true(tw_sources_process(src, 64, mono()) >= 0);
    }
    return done(s);
}

/* Counts the frames and records of a run log by reading it directly, not through the sources. */
static void
count_log(const char *path, uint64_t *frames, uint64_t *records)
{
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    tw_wire_decoder *dec = tw_wire_decoder_new();
    assert_non_null(dec);
    const uint8_t *payload;
    size_t len;
    *frames = 0;
    while (tw_runlog_reader_next(r, &payload, &len) == TW_RUNLOG_FRAME) {
        (*frames)++;
        assert_int_equal(tw_wire_decode(dec, payload, len, NULL, NULL), 0);
    }
    *records = tw_wire_decoder_stats(dec).records;
    tw_runlog_reader_close(&r);
    tw_wire_decoder_destroy(&dec);
}

/* Runs a publisher for `epochs` epochs of 20 steps of one mean metric, logging into log_dir
 * (NULL: no log) and publishing on endpoint (NULL: the default, in tmp_root). Returns it still
 * open when keep, else destroys it (its run log then ends with RUN_END) and returns NULL. */
static tw_publisher *
run_publisher(const char *name, const char *endpoint, const char *log_dir, int epochs, bool keep)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.run_name = name;
    o.endpoint = endpoint;
    o.log_dir = log_dir ? log_dir : "off";
    o.heartbeat_ms = 100;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_non_null(m);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    for (int e = 1; e <= epochs; e++) {
        for (int i = 0; i < 20; i++) {
            tw_metric_update_scalar(m, 1.0 / (e + i), 1);
            tw_publisher_step(p);
        }
        tw_publisher_epoch_end(p);
    }
    if (!keep)
        tw_publisher_destroy(&p);
    tw_metric_destroy(&m); /* the publisher keeps the history */
    return p;
}

static int
setup_tmp(void **state)
{
    (void)state;
    return tmpdir_make("source", true);
}

static int
teardown_tmp(void **state)
{
    (void)state;
    return tmpdir_remove();
}

static bool
never(const seen *s)
{
    (void)s;
    return false;
}

/* A run log file: read to its end in bounded batches, every record delivered as a LOG record;
 * then nothing more will come. */
static void
test_log_file(void **state)
{
    (void)state;
    const char *path = TW_GOLDEN_DIR "/run/golden-mlp.twlog";
    uint64_t frames, records;
    count_log(path, &frames, &records);
    assert_true(frames > 1);
    seen s;
    tw_sources *src = sources_new(&s);
    char err[512] = "";
    assert_int_equal(tw_sources_add(src, path, err, sizeof err), 0);
    assert_int_equal(tw_sources_add(src, path, err, sizeof err), 0); /* twice: once */
    assert_true(tw_sources_log_pending(src));
    assert_false(tw_sources_exhausted(src));
    /* a budget of one frame per call: it takes as many calls as there are frames */
    uint64_t calls = 0;
    while (tw_sources_log_pending(src)) {
        assert_true(tw_sources_process(src, 1, 0.0) >= 0);
        calls++;
        assert_true(calls <= frames + 1);
    }
    tw_source_stats st = tw_sources_stats(src);
    assert_int_equal(st.frames, frames);
    assert_int_equal(st.records, records);
    assert_int_equal(st.logs, 1);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.messages, 0);
    assert_int_equal(s.records, records);
    assert_int_equal(s.log, records);
    assert_int_equal(s.log_linked, 0); /* a run log names no connection */
    assert_int_equal(s.live, 0);
    assert_int_equal(s.by_type[TW_REC_RUN_END], 1);
    assert_true(s.by_type[TW_REC_EPOCH_END] >= 1);
    assert_int_equal(s.rejected, 0);
    assert_true(tw_sources_exhausted(src));
    /* later passes, a rescan included, read nothing again */
    assert_int_equal(tw_sources_process(src, 64, 10.0), 0);
    assert_int_equal(tw_sources_stats(src).records, records);
    tw_sources_destroy(&src);
    assert_null(src);
    tw_sources_destroy(&src); /* NULL-safe */
}

/* A directory: every *.twlog in it is read, other files ignored, an unreadable log reported
 * without stopping the others, and a log that appears later is picked up at a rescan. */
static void
test_log_directory(void **state)
{
    (void)state;
    char dir[512], other[512];
    snprintf(dir, sizeof dir, "%s/logs", tmp_root);
    snprintf(other, sizeof other, "%s/later", tmp_root);
    run_publisher("dir-a", "inproc://dir-a", dir, 2, false);
    run_publisher("dir-b", "inproc://dir-b", dir, 3, false);
    char path[600];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a run log\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/broken.twlog", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("garbage, not a run log at all", f);
    fclose(f);

    seen s;
    tw_sources *src = sources_new(&s);
    char err[512] = "";
    assert_int_equal(tw_sources_add(src, dir, err, sizeof err), 0);
    assert_int_equal(tw_sources_stats(src).logs, 3);
    while (tw_sources_log_pending(src))
        assert_true(tw_sources_process(src, 16, 0.0) >= 0);
    assert_int_equal(s.by_type[TW_REC_RUN_END], 2);
    assert_int_equal(s.by_type[TW_REC_EPOCH_END], 5);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.problems, 1); /* broken.twlog, by name: a log, not a message */
    assert_int_equal(s.rejected, 0);
    assert_non_null(strstr(s.problem_where, "broken.twlog"));
    assert_non_null(strstr(s.problem_what, "not a trainwatch run log"));
    assert_true(tw_sources_exhausted(src));

    /* a third run's log, written into the directory afterwards: found at the next rescan */
    run_publisher("dir-c", "inproc://dir-c", other, 4, false);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mv %s/*.twlog %s/", other, dir);
    assert_int_equal(system(cmd), 0);
    assert_true(tw_sources_process(src, 16, 100.0) >= 0); /* a second has passed */
    while (tw_sources_log_pending(src))
        assert_true(tw_sources_process(src, 16, 100.0) >= 0);
    assert_int_equal(tw_sources_stats(src).logs, 4);
    assert_int_equal(s.by_type[TW_REC_RUN_END], 3);
    assert_int_equal(s.by_type[TW_REC_EPOCH_END], 9);
    tw_sources_destroy(&src);
}

/* Makes the directory tmp_root/name (its path in dir) holding n copies of the golden run
 * log, and counts the frames and records of one. */
static void
golden_copies(const char *name, int n, char *dir, size_t dirlen, uint64_t *frames,
              uint64_t *records)
{
    const char *golden = TW_GOLDEN_DIR "/run/golden-mlp.twlog";
    count_log(golden, frames, records);
    snprintf(dir, dirlen, "%s/%s", tmp_root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    for (int i = 0; i < n; i++) {
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s/copy-%02d.twlog'", golden, dir, i);
        assert_int_equal(system(cmd), 0);
    }
}

/* Many logs: the table of logs grows past its first allocations, every log stays intact. */
static void
test_many_logs(void **state)
{
    (void)state;
    enum { N = 37 };
    uint64_t frames, records;
    char dir[512];
    golden_copies("many", N, dir, sizeof dir, &frames, &records);
    seen s;
    tw_sources *src = sources_new(&s);
    char err[512] = "";
    assert_int_equal(tw_sources_add(src, dir, err, sizeof err), 0);
    while (tw_sources_log_pending(src))
        assert_true(tw_sources_process(src, 7, 0.0) >= 0);
    tw_source_stats st = tw_sources_stats(src);
    assert_int_equal(st.logs, N);
    assert_int_equal(st.frames, N * frames);
    assert_int_equal(s.records, N * records);
    assert_int_equal(s.by_type[TW_REC_RUN_END], N);
    assert_int_equal(s.rejected, 0);
    tw_sources_destroy(&src);
}

/* More logs than descriptors: a log is open only while it is read, so a directory of many
 * logs reads whole under a low RLIMIT_NOFILE; a FIFO among them is reported once, not at
 * every rescan, and not counted as a message that failed to decode. */
static void
test_logs_beyond_descriptors(void **state)
{
    (void)state;
    enum { N = 80 };
    uint64_t frames, records;
    char dir[512], path[600];
    golden_copies("beyond", N, dir, sizeof dir, &frames, &records);
    snprintf(path, sizeof path, "%s/fifo.twlog", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    seen s;
    tw_sources *src = sources_new(&s);
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 40; /* the zmq context's and the test's own, and a few more */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    char err[512] = "";
    int rc = tw_sources_add(src, dir, err, sizeof err);
    for (double t = 0; rc == 0 && t < 5; t += 1.5) /* rescans too */
        while (tw_sources_log_pending(src) || t == 0) {
            assert_true(tw_sources_process(src, 7, t) >= 0);
            if (!tw_sources_log_pending(src))
                break;
        }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(rc, 0);
    tw_source_stats st = tw_sources_stats(src);
    assert_int_equal(st.logs, N + 1);
    assert_int_equal(st.frames, N * frames);
    assert_int_equal(s.records, N * records);
    assert_int_equal(s.by_type[TW_REC_RUN_END], N);
    assert_int_equal(s.rejected, 0);
    assert_int_equal(s.problems, 1); /* the FIFO, once */
    assert_non_null(strstr(s.problem_where, "fifo.twlog"));
    tw_sources_destroy(&src);
}

static bool
three_epochs(const seen *s)
{
    return s->max_epoch >= 3;
}

static bool
run_ended(const seen *s)
{
    return s->by_type[TW_REC_RUN_END] >= 1;
}

/* A live publisher on ipc: the subscription reaches it, its epochs reach the record callback
 * as LIVE records, the link is reported up, and a late joiner gets the history replayed. */
static void
test_ipc_publisher(void **state)
{
    (void)state;
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s/live.sock", tmp_root);
    seen late;
    tw_sources *late_src = sources_new(&late);
    tw_publisher *p = run_publisher("live", ep, NULL, 0, true);
    seen s;
    tw_sources *src = sources_new(&s);
    char err[512] = "";
    assert_int_equal(tw_sources_add(src, ep, err, sizeof err), 0);
    assert_false(tw_sources_exhausted(src)); /* a live source: more may come */
    pump(src, &s, never, 300);               /* the subscription reaches the publisher */
    assert_true(s.links_up >= 1);
    assert_int_equal(tw_sources_peer_count(src), 1);
    const char *addr, *detail;
    assert_int_equal(tw_sources_peer(src, 0, &addr, &detail), TW_LINK_UP);
    assert_string_equal(addr, ep);

    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "acc", TW_SPLIT_VAL), 0);
    for (int e = 1; e <= 3; e++) {
        for (int i = 0; i < 10; i++) {
            tw_metric_update_scalar(m, i, 1);
            tw_publisher_step(p);
        }
        tw_publisher_epoch_end(p);
    }
    assert_true(pump(src, &s, three_epochs, 5000));
    assert_true(s.live > 0);
    assert_int_equal(s.log, 0);
    assert_true(s.live_linked > 0); /* the origin names the connection of live records */
    assert_string_equal(s.run, tw_publisher_run_id(p)); /* the launch's id, not the name */
    assert_true(s.by_type[TW_REC_METRIC] >= 1);
    assert_true(s.by_type[TW_REC_EPOCH] >= 3);
    tw_source_stats st = tw_sources_stats(src);
    assert_true(st.messages >= 1);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.endpoints, 1);

    /* late join: a second monitor connecting now still gets epochs 1-3 */
    assert_int_equal(tw_sources_add(late_src, ep, err, sizeof err), 0);
    assert_true(pump(late_src, &late, three_epochs, 5000));
    assert_true(late.by_type[TW_REC_EPOCH] >= 3);

    tw_publisher_destroy(&p);
    assert_true(pump(src, &s, run_ended, 5000));
    tw_metric_destroy(&m);
    tw_sources_destroy(&src);
    tw_sources_destroy(&late_src);
}

static bool
link_up(const seen *s)
{
    return s->links_up >= 1;
}

/* Waits until the sources' socket monitor has an event to read (the publisher's close). */
static void
await_event(tw_sources *src)
{
    zmq_pollitem_t item = {tw_sources_event_socket(src), 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 5000), 1);
    usleep(100 * 1000); /* its messages are all queued before it (one I/O thread) */
}

/* A publisher that ends while the monitor is not reading leaves its records (RUN_END last)
 * queued, and the DISCONNECTED event of its connection: read one message at a time, the
 * records all come first, on that connection, and only then is the connection told down. */
static void
test_close_after_queued(void **state)
{
    (void)state;
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s/close.sock", tmp_root);
    tw_publisher *p = run_publisher("close", ep, NULL, 0, true);
    seen s;
    tw_sources *src = sources_new(&s);
    char err[512] = "";
    assert_int_equal(tw_sources_add(src, ep, err, sizeof err), 0);
    assert_true(pump(src, &s, link_up, 5000));
    pump(src, &s, never, 200); /* the subscription reaches the publisher */
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "acc", TW_SPLIT_VAL), 0);
    for (int e = 1; e <= 5; e++) {
        for (int i = 0; i < 300; i++) {
            tw_metric_update_scalar(m, i, 1);
            tw_publisher_step(p);
        }
        tw_publisher_epoch_end(p);
        usleep(10 * 1000); /* a few messages */
    }
    tw_publisher_destroy(&p); /* RUN_END, then the socket closes */
    await_event(src);
    assert_int_equal(s.downs, 0);
    uint64_t before = s.records;
    for (double end = mono() + 5; s.downs == 0 && mono() < end;)
        assert_true(tw_sources_process(src, 1, mono()) >= 0); /* one message a call */
    assert_int_equal(s.downs, 1);
    assert_true(s.records - before > 5); /* the epochs and their records were still queued */
    assert_int_equal(s.run_ends_at_down, 1);
    assert_int_equal(s.live_linked, s.live); /* every record on its connection, closed or not */
    assert_int_equal(s.down_link, s.last_link);
    tw_metric_destroy(&m);
    tw_sources_destroy(&src);
}

/* A connection that closed is told down TW_LINK_CLOSE_HOLD (2) seconds after its close even
 * when another publisher's messages never let the socket drain: a busy stream does not hold a
 * dead link up. */
static void
test_close_held_at_most(void **state)
{
    (void)state;
    char busy_ep[600], end_ep[600];
    snprintf(busy_ep, sizeof busy_ep, "ipc://%s/busy.sock", tmp_root);
    snprintf(end_ep, sizeof end_ep, "ipc://%s/end.sock", tmp_root);
    tw_publisher *busy = run_publisher("busy", busy_ep, NULL, 0, true);
    tw_publisher *ending = run_publisher("ending", end_ep, NULL, 1, true);
    seen s;
    tw_sources *src = sources_new(&s);
    char err[512] = "";
    assert_int_equal(tw_sources_add(src, busy_ep, err, sizeof err), 0);
    assert_int_equal(tw_sources_add(src, end_ep, err, sizeof err), 0);
    pump(src, &s, never, 500); /* both connected, subscribed, replayed */
    assert_int_equal(s.links_up, 2);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(busy, m, "acc", TW_SPLIT_VAL), 0);
    tw_publisher_destroy(&ending);
    await_event(src);
    double closed = mono(), end = closed + 6;
    bool drained = false;
    while (s.downs == 0 && mono() < end) {
        for (int i = 0; i < 5000; i++) { /* several messages of 1024 records a call */
            tw_metric_update_scalar(m, i, 1);
            tw_publisher_step(busy);
        }
        assert_true(tw_sources_process(src, 1, mono()) >= 0);
        zmq_pollitem_t item = {tw_sources_socket(src), 0, ZMQ_POLLIN, 0};
        drained |= zmq_poll(&item, 1, 0) == 0;
        usleep(2000);
    }
    assert_int_equal(s.downs, 1);
    assert_int_equal(s.run_ends_at_down, 1); /* its own last message was read first */
    if (!drained) /* (a machine too slow to keep the socket full tells it down at once) */
        assert_true(s.down_at - closed >= TW_LINK_CLOSE_HOLD - 0.2);
    assert_true(s.down_at - closed <= TW_LINK_CLOSE_HOLD + 1.5);
    tw_publisher_destroy(&busy);
    tw_metric_destroy(&m);
    tw_sources_destroy(&src);
}

/* Specs that are not sources: -errno and a sentence naming the spec; nothing is added. */
static void
test_bad_specs(void **state)
{
    (void)state;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such.twlog", tmp_root);
    const struct {
        const char *spec;
        int rc;
        const char *says;
    } bad[] = {
        {"udp://host:5", -EINVAL, "unknown endpoint scheme"},
        {"tcp://host", -EINVAL, "expected tcp://HOST:PORT"},
        {"tcp://host:99999", -EINVAL, "port"},
        {"tcp://*:5555", -EINVAL, "a monitor connects to a HOST:PORT"},
        {"tcp://:*", -EINVAL, "a monitor connects to a HOST:PORT"},
        {"ipc://", -EINVAL, "empty"},
        {missing, -ENOENT, "cannot read"},
    };
    seen s;
    tw_sources *src = sources_new(&s);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[512] = "";
        int rc = tw_sources_add(src, bad[i].spec, err, sizeof err);
        if (rc != bad[i].rc || !strstr(err, bad[i].says))
            fail_msg("'%s': %d '%s', expected %d '%s'", bad[i].spec, rc, err, bad[i].rc,
                     bad[i].says);
    }
    tw_source_stats st = tw_sources_stats(src);
    assert_int_equal(st.endpoints + st.logs, 0);
    assert_true(tw_sources_exhausted(src));
    /* a listen spec refused the same way, and tcp beyond loopback in clear without a key */
    char err[512] = "";
    assert_int_equal(tw_sources_listen(src, "udp://x", err, sizeof err), -EINVAL);
    assert_int_equal(tw_sources_listen(src, "tcp://0.0.0.0:*", err, sizeof err), -EACCES);
    assert_non_null(strstr(err, "refusing to listen in clear"));
    tw_sources_destroy(&src);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_file),           cmocka_unit_test(test_log_directory),
        cmocka_unit_test(test_many_logs),          cmocka_unit_test(test_logs_beyond_descriptors),
        cmocka_unit_test(test_ipc_publisher),      cmocka_unit_test(test_close_after_queued),
        cmocka_unit_test(test_close_held_at_most), cmocka_unit_test(test_bad_specs),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
