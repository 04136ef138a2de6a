/* bench_publisher.c - what publishing costs the training thread, and how much gets through.
 *
 * Latency: p50 / p99 / p99.9 of one tw_metric_update_scalar + tw_publisher_step on a tracked
 * Mean, timed one call at a time (the clock's own cost, measured alike, is printed beside
 * it), with (a) no subscriber, (b) a subscriber process that keeps up (it decodes every
 * message), (c) the same subscriber stopped with SIGSTOP; beside a bare zmq_send of one
 * encoded update and a CSV line written with fprintf + fflush. The cases run interleaved in
 * rounds (a b c a b c ...) so that machine noise touches them alike.
 *
 * Throughput: records per second through to the subscriber at a paced 1.2 M records/s for
 * 2 s, with the ring's and ZeroMQ's drops; then unpaced, as fast as the loop can go.
 *
 * Idle: how often the publisher's background thread wakes when the training thread publishes
 * nothing (its voluntary context switches from /proc, over 3 s from 1.5 s after some training:
 * it is idle once its ring has been empty for a second, publisher/rhythm.h's
 * TW_LOOK_IDLE_AFTER_MS; the second before, it still looks every 20 ms): it should sleep
 * between its looks at the ring (every 250 ms) and its heartbeat, not poll. */
#define _GNU_SOURCE
#include "trainwatch.h"
#include "wire.h"

#include "bench_proc.h"
#include "bench_summary.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define CALLS  200000
#define ROUNDS 3

static double
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct pct {
    double p50, p99, p999;
} pct;

static pct
percentiles(double *v, size_t n)
{
    bench_sort(v, n);
    return (pct){v[n / 2], v[(size_t)(n * 0.99)], v[(size_t)(n * 0.999)]};
}

/* ---- the subscriber process ------------------------------------------------------------ */

typedef struct counts {
    unsigned long long updates, messages, rejected;
} counts;

static int
count_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    counts *c = ctx;
    if (r->type == TW_REC_UPDATE && h->replay_through == 0) /* live ones: a replay repeats */
        c->updates++;
    return r->type == TW_REC_RUN_END ? 1 : 0;
}

/* Child: subscribes, decodes everything, and at the run end writes its counts to `fd`. */
static void
subscriber_main(const char *endpoint, int fd)
{
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(s, endpoint);
    tw_wire_decoder *d = tw_wire_decoder_new();
    uint8_t *buf = malloc(TW_WIRE_MAX_MESSAGE);
    counts c = {0};
    for (;;) {
        int n = zmq_recv(s, buf, TW_WIRE_MAX_MESSAGE, 0);
        if (n < 0)
            continue;
        c.messages++;
        int rc = tw_wire_decode(d, buf, (size_t)n, count_record, &c);
        if (rc == 1) {
            if (write(fd, &c, sizeof c) != (ssize_t)sizeof c)
                _exit(1);
            c = (counts){0};
            /* keep listening: the next publisher may come */
        } else if (rc < 0) {
            c.rejected++;
        }
    }
}

typedef struct child {
    pid_t pid;
    int fd;
} child;

static child
spawn_subscriber(const char *endpoint)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        subscriber_main(endpoint, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    return (child){pid, fds[0]};
}

/* ---- latency cases --------------------------------------------------------------------- */

typedef enum mode { NO_SUB, SUB_KEEPS_UP, SUB_STOPPED, BARE_ZMQ, CSV_FFLUSH, N_MODES } mode;

static const char *const mode_names[N_MODES] = {
    "(a) publish, no subscriber",      "(b) publish, subscriber keeps up",
    "(c) publish, subscriber stopped", "bare zmq_send of one update",
    "fprintf + fflush of a CSV line",
};

/* Times CALLS single calls of the case into out[] (nanoseconds each). */
static void
run_publisher_case(mode m, const char *endpoint_for_sub, child *sub, double *out)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = endpoint_for_sub;
    o.log_dir = "off";
    o.run_name = "bench";
    tw_publisher *p = tw_publisher_new(&o);
    if (!p) {
        perror("tw_publisher_new");
        exit(1);
    }
    if (m != NO_SUB)
        usleep(300 * 1000); /* let the subscriber connect */
    if (m == SUB_STOPPED)
        kill(sub->pid, SIGSTOP);
    tw_metric *loss = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, loss, "loss", TW_SPLIT_TRAIN);
    for (int i = 0; i < CALLS; i++) {
        double t0 = now_ns();
        tw_metric_update_scalar(loss, 0.5, 32);
        tw_publisher_step(p);
        out[i] = now_ns() - t0;
        if ((i & 1023) == 1023)
            usleep(200); /* a training step is not only logging: let the ring drain */
    }
    tw_publisher_epoch_end(p);
    if (m == SUB_STOPPED)
        kill(sub->pid, SIGCONT);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&loss);
    if (m != NO_SUB) {
        counts c;
        if (read(sub->fd, &c, sizeof c) != (ssize_t)sizeof c)
            exit(1);
    }
}

static void
run_bare_zmq(double *out)
{
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_PUB);
    zmq_bind(s, "tcp://127.0.0.1:*");
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.version = 1, .run = "bench", .incarnation = 1, .rank = 0, .world = 1};
    double state[2] = {16.0, 32.0};
    tw_wire_record r = {.type = TW_REC_UPDATE,
                        .seq = 1,
                        .metric_id = 0,
                        .epoch = 1,
                        .step = 1,
                        .time = 1.7e9,
                        .state_len = 2,
                        .state = state};
    tw_wire_encoder_begin(e, &h);
    tw_wire_encoder_add(e, &r);
    const uint8_t *data;
    size_t len;
    tw_wire_encoder_finish(e, &data, &len);
    for (int i = 0; i < CALLS; i++) {
        double t0 = now_ns();
        zmq_send(s, data, len, ZMQ_DONTWAIT);
        out[i] = now_ns() - t0;
    }
    tw_wire_encoder_destroy(&e);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

static void
run_csv(double *out)
{
    char path[] = "/tmp/tw-bench-csv-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < CALLS; i++) {
        double t0 = now_ns();
        fprintf(f, "%d,%d,%.6f\n", 1, i, 0.5);
        fflush(f);
        out[i] = now_ns() - t0;
    }
    fclose(f);
    unlink(path);
}

/* ---- throughput ------------------------------------------------------------------------- */

static void
throughput(const char *endpoint, child *sub, double rate, double seconds)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = endpoint;
    o.log_dir = "off";
    o.run_name = "bench-throughput";
    tw_publisher *p = tw_publisher_new(&o);
    usleep(300 * 1000);
    tw_metric *loss = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, loss, "loss", TW_SPLIT_TRAIN);
    unsigned long long n = 0;
    double t0 = now_ns(), end = t0 + seconds * 1e9;
    for (;;) {
        double t = now_ns();
        if (t >= end)
            break;
        /* paced: catch up to rate * elapsed, in small bursts */
        unsigned long long due = rate > 0 ? (unsigned long long)((t - t0) * 1e-9 * rate) : n + 64;
        for (; n < due; n++) {
            tw_metric_update_scalar(loss, 0.5, 32);
            tw_publisher_step(p);
        }
    }
    double produce_s = (now_ns() - t0) * 1e-9;
    tw_publisher_stats before = tw_publisher_get_stats(p);
    double d0 = now_ns();
    tw_publisher_destroy(&p);
    counts c;
    if (read(sub->fd, &c, sizeof c) != (ssize_t)sizeof c)
        exit(1);
    double total_s = produce_s + (now_ns() - d0) * 1e-9;
    printf("  %-22s produced %9llu in %.2f s (%5.2f M/s), received %9llu (%5.2f M/s end to "
           "end), ring drops %llu, zmq drops %llu msgs%s\n",
           rate > 0 ? "paced 1.2 M records/s" : "unpaced", n, produce_s, n / produce_s / 1e6,
           c.updates, c.updates / total_s / 1e6, before.dropped, before.send_drops,
           rate > 0 ? (c.updates == n ? "  -> nothing dropped" : "  -> DROPPED") : "");
    if (rate > 0) {
        bench_summary("publisher paced 1.2 M/s, end to end", c.updates / total_s / 1e6, "M rec/s",
                      BENCH_AT_LEAST, 1.0, ">= 1 M/s", NAN, NAN);
        bench_summary("publisher paced 1.2 M/s, records lost", (double)(n - c.updates), "records",
                      BENCH_AT_MOST, 0, "0", NAN, NAN);
    } else {
        bench_summary("publisher unpaced, produced", n / produce_s / 1e6, "M rec/s", BENCH_INFO, 0,
                      "-", NAN, NAN);
    }
    tw_metric_destroy(&loss);
}

/* ---- an idle publisher -------------------------------------------------------------------- */

static void
idle_wakes(void)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "tcp://127.0.0.1:*";
    o.log_dir = "off";
    o.run_name = "bench-idle";
    o.heartbeat_ms = 1000; /* the default */
    tw_publisher *p = tw_publisher_new(&o);
    if (!p) {
        perror("tw_publisher_new");
        exit(1);
    }
    tw_metric *loss = tw_metric_new(TW_METRIC_MEAN, NULL);
    tw_publisher_track(p, loss, "loss", TW_SPLIT_TRAIN);
    for (int i = 0; i < 1000; i++) {
        tw_metric_update_scalar(loss, 0.5, 32);
        tw_publisher_step(p);
    }
    tw_publisher_epoch_end(p);
    usleep(1500 * 1000); /* what it had to send is sent, and its ring idle for over 1 s */
    const double seconds = 3.0;
    long w0 = bench_proc_wakes(getpid(), "trainwatch-pub");
    usleep((useconds_t)(seconds * 1e6));
    long w1 = bench_proc_wakes(getpid(), "trainwatch-pub");
    double rate = w0 >= 0 && w1 >= 0 ? (double)(w1 - w0) / seconds : NAN;
    printf("idle publisher (heartbeat %d ms, no run log): its thread wakes %.1f times a second\n",
           o.heartbeat_ms, rate);
    bench_summary("publisher thread idle, wake-ups", rate, "/s", BENCH_AT_MOST, 5, "<= 5 /s", NAN,
                  NAN);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&loss);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* Calibrate the timer's own cost. */
    double *samples = malloc(CALLS * sizeof(double));
    double *all[N_MODES];
    for (int m = 0; m < N_MODES; m++)
        all[m] = malloc((size_t)CALLS * ROUNDS * sizeof(double));
    for (int i = 0; i < CALLS; i++) {
        double t0 = now_ns();
        samples[i] = now_ns() - t0;
    }
    pct timer = percentiles(samples, CALLS);

    const char *endpoint = "tcp://127.0.0.1:47311";
    child sub = spawn_subscriber(endpoint);
    for (int round = 0; round < ROUNDS; round++) {
        for (int m = 0; m < N_MODES; m++) {
            double *out = all[m] + (size_t)round * CALLS;
            switch ((mode)m) {
            case NO_SUB:
                run_publisher_case(NO_SUB, "tcp://127.0.0.1:47312", &sub, out);
                break;
            case SUB_KEEPS_UP:
            case SUB_STOPPED:
                run_publisher_case((mode)m, endpoint, &sub, out);
                break;
            case BARE_ZMQ:
                run_bare_zmq(out);
                break;
            default:
                run_csv(out);
                break;
            }
        }
    }
    printf("training-thread cost of one call, %d calls x %d interleaved rounds, ns "
           "(timer overhead p50 %.0f ns, included)\n",
           CALLS, ROUNDS, timer.p50);
    printf("  %-36s %8s %8s %8s   %s\n", "case", "p50", "p99", "p99.9", "target");
    static const char *const short_names[N_MODES] = {
        "publish, no subscriber", "publish, subscriber keeps up", "publish, subscriber stopped",
        "bare zmq_send", "fprintf+fflush CSV line"};
    double p50_all[N_MODES];
    for (int m = 0; m < N_MODES; m++) {
        /* the spread: each round's own percentiles, min..max */
        double lo50 = INFINITY, hi50 = -INFINITY, lo99 = INFINITY, hi99 = -INFINITY;
        for (int round = 0; round < ROUNDS; round++) {
            pct r = percentiles(all[m] + (size_t)round * CALLS, CALLS);
            lo50 = r.p50 < lo50 ? r.p50 : lo50;
            hi50 = r.p50 > hi50 ? r.p50 : hi50;
            lo99 = r.p99 < lo99 ? r.p99 : lo99;
            hi99 = r.p99 > hi99 ? r.p99 : hi99;
        }
        pct q = percentiles(all[m], (size_t)CALLS * ROUNDS);
        p50_all[m] = q.p50;
        char name[96];
        bool pub = m <= SUB_STOPPED;
        snprintf(name, sizeof name, "%s, p50", short_names[m]);
        bench_summary(name, q.p50, "ns", pub ? BENCH_AT_MOST : BENCH_INFO, 100, "<= 100 ns", lo50,
                      hi50);
        snprintf(name, sizeof name, "%s, p99", short_names[m]);
        bench_summary(name, q.p99, "ns", pub ? BENCH_AT_MOST : BENCH_INFO, 1000, "<= 1000 ns", lo99,
                      hi99);
        snprintf(name, sizeof name, "%s, p99.9", short_names[m]);
        bench_summary(name, q.p999, "ns", BENCH_INFO, 0, "-", NAN, NAN);
        bool is_pub = m <= SUB_STOPPED;
        printf("  %-36s %8.0f %8.0f %8.0f   %s\n", mode_names[m], q.p50, q.p99, q.p999,
               is_pub ? (q.p50 <= 100 && q.p99 <= 1000 ? "p50<=100 p99<=1000: met"
                                                       : "p50<=100 p99<=1000: MISSED")
                      : "(reference)");
    }
    bench_summary("publish (a) p50 / bare zmq_send p50", p50_all[NO_SUB] / p50_all[BARE_ZMQ], "x",
                  BENCH_INFO, 0, "-", NAN, NAN);
    bench_summary("publish (a) p50 / CSV fprintf+fflush p50", p50_all[NO_SUB] / p50_all[CSV_FFLUSH],
                  "x", BENCH_INFO, 0, "-", NAN, NAN);
    printf("records through to a decoding subscriber process (target >= 1 M/s, none dropped)\n");
    throughput(endpoint, &sub, 1.2e6, 2.0);
    throughput(endpoint, &sub, 0, 2.0);
    idle_wakes();

    kill(sub.pid, SIGKILL);
    waitpid(sub.pid, NULL, 0);
    for (int m = 0; m < N_MODES; m++)
        free(all[m]);
    free(samples);
    return 0;
}
