/* test_publisher_wake.c - the publisher's background thread sleeps until there is work: an
 * idle publisher wakes a few times a second (counted from /proc, not timed), a busy one a few
 * times per burst of records, and whatever the training thread hands over (a record, an
 * epoch, a parameter, destroy) wakes it at once, long before its next timer. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "clock.h"
#include "trainwatch.h"
#include "wire.h"
#include "tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

/* The voluntary context switches of this process's thread named "trainwatch-pub" (the
 * publisher's background thread: each is a sleep it woke from), or -1 when there is none. */
static long
publisher_thread_wakes(void)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    long wakes = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], line[256] = "";
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool ours = fgets(line, sizeof line, f) && strcmp(line, "trainwatch-pub\n") == 0;
        fclose(f);
        if (!ours)
            continue;
        assert_int_equal(wakes, -1); /* one publisher at a time in this test */
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0)
                wakes = strtol(line + 24, NULL, 10);
        fclose(f);
    }
    closedir(d);
    return wakes;
}

/* ---- a subscriber that notes which record types arrived -------------------------------- */

typedef struct sub {
    void *ctx, *sock;
    tw_wire_decoder *dec;
    size_t count[TW_REC_GAP + 1]; /* records seen, by type */
    uint64_t last_update_step;
} sub;

static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    (void)h;
    sub *s = ctx;
    if ((size_t)r->type < sizeof s->count / sizeof s->count[0])
        s->count[r->type]++;
    if (r->type == TW_REC_UPDATE)
        s->last_update_step = r->step;
    return 0;
}

static void
sub_open(sub *s, const char *endpoint)
{
    memset(s, 0, sizeof *s);
    s->ctx = zmq_ctx_new();
    s->sock = zmq_socket(s->ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "", 0), 0);
    assert_int_equal(zmq_connect(s->sock, endpoint), 0);
    s->dec = tw_wire_decoder_new();
    assert_non_null(s->dec);
}

/* Receives until `*counter` exceeds `above` or `ms` pass; returns the seconds it took (or more
 * than ms / 1000 when it never did). */
static double
sub_wait(sub *s, const size_t *counter, size_t above, int ms)
{
    static uint8_t buf[TW_WIRE_MAX_MESSAGE];
    double t0 = tw_clock_mono();
    while (*counter <= above && tw_clock_mono() - t0 < ms / 1000.0) {
        zmq_pollitem_t it = {.socket = s->sock, .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 10);
        int n;
        while ((n = zmq_recv(s->sock, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0)
            assert_int_equal(tw_wire_decode(s->dec, buf, (size_t)n, on_record, s), 0);
    }
    return *counter > above ? tw_clock_mono() - t0 : ms / 1000.0 + 1;
}

static void
sub_close(sub *s)
{
    zmq_close(s->sock);
    zmq_ctx_term(s->ctx);
    tw_wire_decoder_destroy(&s->dec);
}

/* A publisher on a loopback port with a subscriber connected to it; log_dir NULL: none. */
static tw_publisher *
publisher_with_sub(int heartbeat_ms, const char *log_dir, sub *s)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "tcp://127.0.0.1:*";
    o.run_name = "wake";
    o.log_dir = log_dir ? log_dir : "off";
    o.heartbeat_ms = heartbeat_ms;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    sub_open(s, tw_publisher_endpoint(p));
    return p;
}

/* Wakes of the publisher's thread over `seconds` of doing nothing. */
static double
idle_wakes_per_second(double seconds)
{
    long w0 = publisher_thread_wakes();
    assert_true(w0 >= 0);
    usleep((useconds_t)(seconds * 1e6));
    long w1 = publisher_thread_wakes();
    return (double)(w1 - w0) / seconds;
}

/* Some training, then nothing: a publisher at the default heartbeat (1 s) wakes for its
 * heartbeats, not every few milliseconds (it used to poll every 5 ms: about 200 a second). */
static void
test_idle_wakes_rarely(void **state)
{
    (void)state;
    sub s;
    tw_publisher *p = publisher_with_sub(1000, NULL, &s);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    for (int i = 0; i < 20; i++) {
        tw_metric_update_scalar(m, 0.5, 1);
        tw_publisher_step(p);
    }
    tw_publisher_epoch_end(p);
    assert_true(sub_wait(&s, &s.count[TW_REC_EPOCH_END], 0, 5000) < 5);
    usleep(200 * 1000); /* the last message's batch window is over */
    double rate = idle_wakes_per_second(3.0);
    print_message("idle publisher thread: %.1f wakes a second (heartbeat 1 s, no run log)\n", rate);
    assert_true(rate <= 3.0);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);
    sub_close(&s);
}

/* The same with a run log: its group commit (once a second) wakes the thread too, and its
 * fdatasync may block it, but still a few times a second. */
static void
test_idle_wakes_rarely_with_log(void **state)
{
    (void)state;
    sub s;
    tw_publisher *p = publisher_with_sub(1000, tmp_root, &s);
    tw_publisher_step(p);
    assert_true(sub_wait(&s, &s.count[TW_REC_RUN], 0, 5000) < 5);
    usleep(200 * 1000);
    double rate = idle_wakes_per_second(3.0);
    print_message("idle publisher thread: %.1f wakes a second (heartbeat 1 s, run log)\n", rate);
    assert_true(rate <= 8.0);
    tw_publisher_destroy(&p);
    sub_close(&s);
}

/* Bursts of 50 updates ten times a second (a step of a trainer with 50 metrics): a handful of
 * wakes per burst (the first record, the batch window's end), not one per record nor one
 * every few milliseconds. */
static void
test_busy_wakes_per_burst(void **state)
{
    (void)state;
    enum { METRICS = 50, BURSTS = 20 };
    sub s;
    tw_publisher *p = publisher_with_sub(1000, NULL, &s);
    tw_metric *m[METRICS];
    for (int k = 0; k < METRICS; k++) {
        char name[32];
        snprintf(name, sizeof name, "m%02d", k);
        m[k] = tw_metric_new(TW_METRIC_MEAN, NULL);
        assert_int_equal(tw_publisher_track(p, m[k], name, TW_SPLIT_TRAIN), 0);
    }
    tw_publisher_step(p);
    assert_true(sub_wait(&s, &s.count[TW_REC_METRIC], METRICS - 1, 5000) < 5);
    usleep(200 * 1000);
    long w0 = publisher_thread_wakes();
    double t0 = tw_clock_mono();
    for (int b = 1; b <= BURSTS; b++) {
        while (tw_clock_mono() < t0 + b * 0.1)
            usleep(1000);
        for (int k = 0; k < METRICS; k++)
            tw_metric_update_scalar(m[k], 1.0 + k, 1);
        tw_publisher_step(p);
    }
    usleep(100 * 1000);
    long wakes = publisher_thread_wakes() - w0;
    print_message("%ld wakes of the publisher thread for %d bursts of %d records\n", wakes, BURSTS,
                  METRICS);
    assert_true(wakes <= 5 * BURSTS);
    assert_true(sub_wait(&s, &s.count[TW_REC_UPDATE], METRICS * BURSTS - 1, 5000) < 5);
    tw_publisher_destroy(&p);
    for (int k = 0; k < METRICS; k++)
        tw_metric_destroy(&m[k]);
    sub_close(&s);
}

/* With a heartbeat a minute away the sleeping thread has no timer to wake it: a record, an
 * epoch end, a parameter and destroy each reach it at once (seconds here are generous; without
 * the wake-up they would wait for the heartbeat). */
static void
test_handover_wakes_sleeper(void **state)
{
    (void)state;
    sub s;
    tw_publisher *p = publisher_with_sub(60 * 1000, NULL, &s);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    usleep(300 * 1000);   /* the subscriber connects */
    tw_publisher_step(p); /* announces the run: the first step wakes the thread */
    assert_true(sub_wait(&s, &s.count[TW_REC_METRIC], 0, 5000) < 5);
    for (int round = 1; round <= 3; round++) {
        usleep(300 * 1000); /* asleep again */
        size_t before = s.count[TW_REC_UPDATE];
        tw_metric_update_scalar(m, 0.5, 1);
        tw_publisher_step(p);
        assert_true(sub_wait(&s, &s.count[TW_REC_UPDATE], before, 3000) < 3);
        assert_int_equal(s.last_update_step, round); /* updated before the step */
    }
    usleep(300 * 1000);
    assert_int_equal(tw_publisher_epoch_end(p), 0);
    assert_true(sub_wait(&s, &s.count[TW_REC_EPOCH_END], 0, 3000) < 3);
    usleep(300 * 1000);
    size_t runs = s.count[TW_REC_RUN];
    assert_int_equal(tw_publisher_set_param(p, "optimizer", "adam"), 0);
    assert_true(sub_wait(&s, &s.count[TW_REC_RUN], runs, 3000) < 3);
    usleep(300 * 1000);
    double t0 = tw_clock_mono();
    tw_publisher_destroy(&p);
    assert_true(tw_clock_mono() - t0 < 3.0); /* its drain and linger are bounded below a second */
    assert_true(sub_wait(&s, &s.count[TW_REC_RUN_END], 0, 3000) < 3);
    assert_int_equal(s.count[TW_REC_HEARTBEAT], 0); /* nothing here came from the timer */
    tw_metric_destroy(&m);
    sub_close(&s);
}

static int
group_setup(void **state)
{
    (void)state;
    return tmpdir_make("wake", true);
}

static int
group_teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_wakes_rarely),
        cmocka_unit_test(test_idle_wakes_rarely_with_log),
        cmocka_unit_test(test_busy_wakes_per_burst),
        cmocka_unit_test(test_handover_wakes_sleeper),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
