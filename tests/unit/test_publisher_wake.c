/* test_publisher_wake.c - the publisher's background thread sleeps until there is work: an
 * idle publisher wakes a few times a second (counted from /proc, not timed), a busy one a few
 * times per burst of records; a record reaches it at its next look at the ring, and what the
 * training thread hands over besides (an epoch, a parameter, destroy) wakes it, long before
 * its next timer; and pushing a record makes no system call, the publisher asleep or not. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "clock.h"
#include "trainwatch.h"
#include "wire.h"
#include "threadmask.h"
#include "tmpdir.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
/* The seccomp check runs in plain builds: a sanitizer's runtime makes system calls of its own
 * in the checked thread (ASan's sigaltstack at its exit, for one). */
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define CHECK_SYSCALLS 1
#endif
#ifdef CHECK_SYSCALLS
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

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
    double delay_ms[4096]; /* of the first updates: from their push to their arrival here */
    size_t n_delays;
    double gauge_delay_ms[256]; /* the same for the first gauges' (a state of 1 double) */
    size_t n_gauge_delays;
} sub;

static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    (void)h;
    sub *s = ctx;
    if ((size_t)r->type < sizeof s->count / sizeof s->count[0])
        s->count[r->type]++;
    if (r->type == TW_REC_UPDATE) {
        s->last_update_step = r->step;
        double ms = (tw_clock_wall() - r->time) * 1e3;
        if (r->state_len == 1) {
            if (s->n_gauge_delays < sizeof s->gauge_delay_ms / sizeof s->gauge_delay_ms[0])
                s->gauge_delay_ms[s->n_gauge_delays++] = ms;
        } else if (s->n_delays < sizeof s->delay_ms / sizeof s->delay_ms[0]) {
            s->delay_ms[s->n_delays++] = ms;
        }
    }
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

/* Receives until the monotonic time `until` (s), waking as soon as a message comes. */
static void
sub_read_until(sub *s, double until)
{
    static uint8_t buf[TW_WIRE_MAX_MESSAGE];
    double now;
    while ((now = tw_clock_mono()) < until) {
        zmq_pollitem_t it = {.socket = s->sock, .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, (long)ceil((until - now) * 1e3));
        int n;
        while ((n = zmq_recv(s->sock, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0)
            assert_int_equal(tw_wire_decode(s->dec, buf, (size_t)n, on_record, s), 0);
    }
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

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    usleep(1200 *
           1000); /* a second without records: the thread looks at the ring 4 times a second */
    double rate = idle_wakes_per_second(3.0);
    print_message("idle publisher thread: %.1f wakes a second (heartbeat 1 s, no run log)\n", rate);
    assert_true(rate <= 8.0); /* heartbeats, and four looks a second at an idle ring */
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
    usleep(1200 * 1000);
    double rate = idle_wakes_per_second(3.0);
    print_message("idle publisher thread: %.1f wakes a second (heartbeat 1 s, run log)\n", rate);
    assert_true(rate <= 12.0);
    tw_publisher_destroy(&p);
    sub_close(&s);
}

/* A trainer with 50 metrics: bursts of 50 updates every period_ms, the subscriber reading
 * between them. Returns the publisher thread's wakes from the end of burst `from` to the end;
 * prints them and the delay from push to arrival (measured, not asserted: the delay at scale
 * is bench_scale's). */
/* How a loop pushes a step's records: its 50 metrics, then tw_publisher_step (the usual
 * way); the step first; or the metrics, the step and, 30 ms on, a gauge (a learning rate
 * logged after the step). */
enum order { UPDATES_THEN_STEP, STEP_FIRST, STRAGGLER, STEP_WORK_UPDATES };

/* What wakes_in_bursts saw after its first `from` bursts. */
typedef struct burst_stats {
    long wakes;          /* of the publisher thread */
    long idle_wakes;     /* of the publisher thread in the second after the last step */
    double idle_cpu;     /* seconds of CPU the process used in that second */
    double p50_ms;       /* push to arrival, the metrics' records */
    double gauge_p50_ms; /* the same, the gauges' (STRAGGLER) */
} burst_stats;

/* `bursts` steps of 50 metrics, period_ms apart, pushed in `order`, to a subscriber. */
static burst_stats
wakes_in_bursts(int bursts, int period_ms, int from, enum order order)
{
    enum { METRICS = 50 };
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
    double t0 = tw_clock_mono(), period = period_ms / 1000.0;
    for (int b = 1; b <= bursts; b++) {
        sub_read_until(&s, t0 + b * period);
        if (b == from + 1) { /* the burst `from` has gone out: count from here */
            s.n_delays = s.n_gauge_delays = 0;
            w0 = publisher_thread_wakes();
        }
        if (order == STEP_FIRST || order == STEP_WORK_UPDATES)
            tw_publisher_step(p);
        if (order == STEP_WORK_UPDATES) /* the step first, then 20 ms of work, then its values */
            sub_read_until(&s, tw_clock_mono() + 0.02);
        for (int k = 0; k < METRICS; k++)
            tw_metric_update_scalar(m[k], 1.0 + k, 1);
        if (order != STEP_FIRST && order != STEP_WORK_UPDATES)
            tw_publisher_step(p);
        if (order == STRAGGLER) {
            sub_read_until(&s, tw_clock_mono() + 0.03);
            assert_int_equal(tw_publisher_gauge(p, "lr", TW_SPLIT_TRAIN, 0.1 / b), 0);
        }
    }
    sub_read_until(&s, t0 + bursts * period + 0.1);
    burst_stats st = {.wakes = publisher_thread_wakes() - w0};
    long w1 = publisher_thread_wakes(); /* the loop stops stepping (an evaluation, a pause) */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    sub_read_until(&s, tw_clock_mono() + 1.0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    st.idle_wakes = publisher_thread_wakes() - w1;
    st.idle_cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
    assert_true(sub_wait(&s, &s.count[TW_REC_UPDATE],
                         (METRICS + (order == STRAGGLER)) * (size_t)bursts - 1, 5000) < 5);
    qsort(s.delay_ms, s.n_delays, sizeof s.delay_ms[0], cmp_double);
    qsort(s.gauge_delay_ms, s.n_gauge_delays, sizeof s.gauge_delay_ms[0], cmp_double);
    st.p50_ms = s.delay_ms[s.n_delays / 2];
    st.gauge_p50_ms = s.n_gauge_delays ? s.gauge_delay_ms[s.n_gauge_delays / 2] : 0;
    print_message("%ld wakes of the publisher thread for %d bursts of %d records, %d ms apart "
                  "(order %d); push to arrival p50 %.2f ms, max %.2f ms; gauges' p50 %.2f ms; "
                  "%ld wakes and %.3f s of CPU in the second after\n",
                  st.wakes, bursts - from, METRICS, period_ms, (int)order, st.p50_ms,
                  s.delay_ms[s.n_delays - 1], st.gauge_p50_ms, st.idle_wakes, st.idle_cpu);
    tw_publisher_destroy(&p);
    for (int k = 0; k < METRICS; k++)
        tw_metric_destroy(&m[k]);
    sub_close(&s);
    return st;
}

/* Ten steps a second, each its metrics then tw_publisher_step: once the thread has the rhythm
 * it sleeps until the next step rings it (rhythm.h), about one wake a step with its
 * heartbeats; its looks at the ring 5, 10, 20, 20 ... ms apart after the records were about
 * six a step (127 for these 20 steps). The records still go out at once. */
static void
test_busy_wakes_per_burst(void **state)
{
    (void)state;
    burst_stats st = wakes_in_bursts(20, 100, 0, UPDATES_THEN_STEP);
    assert_true(st.wakes <= 4 * 20); /* (a pause, 8 bursts of looks, costs ~30 more) */
    assert_true(st.p50_ms < 10);
    /* steps that stop: it looks 250 ms apart (20 ms apart for a second after a pause), and
     * does not spin (a spin makes no wake-up: its CPU tells) */
    assert_true(st.idle_wakes <= 60 && st.idle_cpu < 0.2);
}

/* A loop that steps first and then pushes: a step's ring would find its records pushed a
 * whole step before, so the ring pauses (rhythm.h) and the thread looks at the ring as
 * before; at most a burst in 16 waits for the next step. */
static void
test_step_first_not_held(void **state)
{
    (void)state;
    burst_stats st = wakes_in_bursts(20, 100, 2, STEP_FIRST);
    assert_true(st.p50_ms < 40);
}

/* A loop that steps, works 20 ms and then pushes the step's values: the step's ring finds
 * nothing, so the thread looks for them (p50 ~10 ms) rather than sleeping until its backstop
 * (~20 ms) or the next step's ring (~80 ms: the bound is for that). */
static void
test_step_then_work_not_held(void **state)
{
    (void)state;
    burst_stats st = wakes_in_bursts(20, 100, 2, STEP_WORK_UPDATES);
    assert_true(st.p50_ms < 30);
}

/* Steps 2 ms apart and 20 gauges logged every 50th (log_every_n_steps): the bursts are 100 ms
 * apart but not a step apart, so no step rings the thread (each of the 49 steps between would
 * ring it for nothing: 500 wake-ups a second, a system call a step on the training thread). */
static void
test_every_n_steps_not_rung(void **state)
{
    (void)state;
    sub s;
    tw_publisher *p = publisher_with_sub(1000, NULL, &s);
    tw_publisher_step(p);
    usleep(200 * 1000);
    double t0 = tw_clock_mono();
    long w0 = 0;
    for (int i = 1; i <= 1500; i++) { /* 3 s */
        if (i == 500)
            w0 = publisher_thread_wakes(); /* the rhythm learned: count the last 2 s */
        if (i % 50 == 0)
            for (int k = 0; k < 20; k++) {
                char name[16];
                snprintf(name, sizeof name, "g%02d", k);
                assert_int_equal(tw_publisher_gauge(p, name, TW_SPLIT_TRAIN, i + k), 0);
            }
        tw_publisher_step(p);
        sub_read_until(&s, t0 + i * 0.002);
    }
    long wakes = publisher_thread_wakes() - w0;
    print_message("%ld wakes of the publisher thread in 2 s of steps 2 ms apart, records every "
                  "50th\n",
                  wakes);
    assert_true(wakes < 2 * 90); /* the looks: ~60 a second (a ring a step: ~120) */
    assert_true(s.count[TW_REC_UPDATE] > 0);
    tw_publisher_destroy(&p);
    sub_close(&s);
}

/* A gauge logged 30 ms after the step: it would wait for the next step's ring (~70 ms); the
 * ring pauses, and the thread's looks find it within ~20 ms. */
static void
test_straggler_not_held(void **state)
{
    (void)state;
    burst_stats st = wakes_in_bursts(20, 100, 2, STRAGGLER);
    assert_true(st.gauge_p50_ms < 40);
    assert_true(st.p50_ms < 40);
}

/* A step every 1.5 s (a large model): once the thread has the rhythm (two bursts) and the
 * ring has been quiet a moment, it looks 250 ms apart at most, landing just before the next
 * burst is due: about 10 wakes a step with its heartbeats (~1.5 ms from push to arrival). Its
 * looks 5 to 20 ms apart for the second after the records, then 250 ms apart, were 116 for
 * the 3 steps, the records waiting ~117 ms. */
static void
test_slow_rhythm_looked_at_when_due(void **state)
{
    (void)state;
    assert_true(wakes_in_bursts(5, 1500, 2, UPDATES_THEN_STEP).wakes <= 20 * 3);
}

/* With a heartbeat a minute away the sleeping thread has no timer to wake it for them: a
 * record (at its next look at the ring), an epoch end, a parameter and destroy (the wake-up)
 * each reach it within a second (seconds here are generous). */
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

/* A loop that only updates (no step, no epoch end) and a heartbeat an hour away: its first
 * record announces the run, and its records go out, found at the thread's looks at the ring
 * (no wake-up comes for them; the track's declaration rang it before any record). */
static void
test_updates_alone_go_out(void **state)
{
    (void)state;
    sub s;
    tw_publisher *p = publisher_with_sub(3600 * 1000, NULL, &s);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    usleep(500 * 1000); /* the thread has seen the track (no record yet) and sleeps */
    tw_metric_update_scalar(m, 0.5, 1);
    assert_true(sub_wait(&s, &s.count[TW_REC_UPDATE], 0, 3000) < 3);
    assert_int_equal(s.count[TW_REC_RUN] > 0, 1);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);
    sub_close(&s);
}

#ifdef CHECK_SYSCALLS
/* The training thread of test_push_makes_no_syscall: under a seccomp filter that kills the
 * process (SIGSYS) at any system call but those of a thread's exit, it updates and steps while
 * the publisher thread sleeps, each time the main thread says so (atomics, spinning: a sleep
 * would be a system call). */
typedef struct trainer {
    tw_publisher *p;
    tw_metric *m;
    atomic_int go, done; /* rounds asked for, rounds done; done = -1: no filter */
} trainer;

static void *
filtered_trainer(void *arg)
{
    trainer *t = arg;
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigprocmask, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        atomic_store(&t->done, -1);
        return NULL;
    }
    for (int round = 1; round <= 3; round++) {
        while (atomic_load(&t->go) < round)
            ;
        tw_metric_update_scalar(t->m, 0.5 * round, 1);
        tw_publisher_step(t->p);
        atomic_store(&t->done, round);
    }
    return NULL;
}

/* DESIGN section 4: a push makes no system call, even the first after the publisher thread
 * fell asleep (it is not woken for it: it finds the record at its next look at the ring). The
 * records still reach the subscriber. */
static void
test_push_makes_no_syscall(void **state)
{
    (void)state;
    sub s;
    tw_publisher *p = publisher_with_sub(60 * 1000, NULL, &s);
    trainer t = {.p = p, .m = tw_metric_new(TW_METRIC_MEAN, NULL)};
    assert_int_equal(tw_publisher_track(p, t.m, "loss", TW_SPLIT_TRAIN), 0);
    usleep(300 * 1000);
    tw_publisher_step(p); /* the first step rings the wake-up (once a run): before the filter */
    assert_true(sub_wait(&s, &s.count[TW_REC_METRIC], 0, 5000) < 5);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, filtered_trainer, &t), 0);
    for (int round = 1; round <= 3; round++) {
        usleep(1500 * 1000); /* the publisher thread asleep, and past its idle second */
        size_t before = s.count[TW_REC_UPDATE];
        atomic_store(&t.go, round);
        while (atomic_load(&t.done) != round && atomic_load(&t.done) != -1)
            usleep(1000);
        if (atomic_load(&t.done) == -1)
            break;
        assert_true(sub_wait(&s, &s.count[TW_REC_UPDATE], before, 3000) < 3);
    }
    pthread_join(th, NULL);
    if (atomic_load(&t.done) == -1)
        print_message("seccomp filters are not available here: not checked\n");
    else
        assert_int_equal(atomic_load(&t.done), 3);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&t.m);
    sub_close(&s);
}
#endif

/* The publisher's thread blocks the signals the process may be sent, so they reach the
 * application's threads (a loop in sigsuspend or sigwait sees them, and a handler does not run
 * on the library's thread), but not those of a fault (its crash handlers still run); the
 * caller's own mask is as it was. */
static void
test_thread_signal_mask(void **state)
{
    (void)state;
    sigset_t before, after;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
    assert_int_equal(sigismember(&before, SIGUSR1), 0); /* the thread would inherit it */
    sub s;
    tw_publisher *p = publisher_with_sub(1000, NULL, &s);
    unsigned long long blocked = 0;
    for (int i = 0; i < 200 && !thread_blocked("trainwatch-pub", &blocked); i++)
        usleep(5000); /* (it names itself when it starts) */
    assert_true(thread_blocked("trainwatch-pub", &blocked));
    const int taken[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
                         SIGUSR2, SIGWINCH, SIGCHLD, SIGALRM, SIGPIPE};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        assert_true(mask_has(blocked, taken[i]));
    const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        assert_false(mask_has(blocked, faults[i]));
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
    for (int sig = 1; sig < 32; sig++)
        assert_int_equal(sigismember(&after, sig), sigismember(&before, sig));
    tw_publisher_destroy(&p);
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
        cmocka_unit_test(test_step_first_not_held),
        cmocka_unit_test(test_straggler_not_held),
        cmocka_unit_test(test_step_then_work_not_held),
        cmocka_unit_test(test_every_n_steps_not_rung),
        cmocka_unit_test(test_slow_rhythm_looked_at_when_due),
        cmocka_unit_test(test_handover_wakes_sleeper),
        cmocka_unit_test(test_updates_alone_go_out),
        cmocka_unit_test(test_thread_signal_mask),
#ifdef CHECK_SYSCALLS
        cmocka_unit_test(test_push_makes_no_syscall),
#endif
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
