/* bench_trainer.c - what trainwatch costs a real training loop: the example trainer's epoch time
 * with publishing off, on with no monitor, and on with a stopped monitor.
 *
 * Runs examples/train_mlp (found beside the monitor given as argv[1]: BUILD/monitor/trainwatch
 * -> BUILD/examples/train_mlp; or argv[2]) with --epochs 30 and TRAINWATCH_LOG_DIR=off, in
 * three cases measured alternately (A B C A B C ...):
 *   (A) off: TRAINWATCH_ENDPOINT is invalid, so the trainer prints "not publishing" and trains
 *       without a publisher (every tw_publisher_* call is a no-op on NULL);
 *   (B) on, no monitor: it publishes on a tcp endpoint nobody subscribes to;
 *   (C) on, stopped monitor: a ZeroMQ SUB in a forked child (4 KB receive buffer) connects,
 *       and stops itself with SIGSTOP on the first message it gets, so the rest of the run
 *       publishes into a subscriber that reads nothing.
 * The epoch time is taken from the trainer's own per-epoch lines (read through a pipe, each
 * timestamped as it arrives): (time of the last - time of the first) / (epochs - 1), so that
 * process start and the publisher's bounded drain at exit are not in it; the exit delay (last
 * epoch line to process exit) is printed beside it. The overhead is the median over rounds of
 * each round's B / A (and C / A) epoch-time ratio, with its min..max. */
#define _GNU_SOURCE
#include "bench_summary.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define EPOCHS 30
#define ROUNDS 21
#define PORT_B 47331
#define PORT_C 47332

enum { OFF, ON_NO_MONITOR, ON_STOPPED_MONITOR, N_CASES };
static const char *const case_names[N_CASES] = {"(A) off", "(B) on, no monitor",
                                                "(C) on, stopped monitor"};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
median(const double *v, int n, double *lo, double *hi)
{
    double s[ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *s);
    bench_sort(s, (size_t)n);
    *lo = s[0];
    *hi = s[n - 1];
    return s[n / 2];
}

/* Child: a subscriber that stops itself on the first message of each run, and after SIGCONT
 * drains what is left of that run before waiting for the next. */
static void
stopping_subscriber(const char *endpoint)
{
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_SUB);
    int one = 1, small = 4096, quiet_ms = 150;
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_RCVBUF, &small, sizeof small);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(s, endpoint);
    static char buf[1 << 16];
    for (;;) {
        if (zmq_recv(s, buf, sizeof buf, 0) < 0)
            continue;
        raise(SIGSTOP);
        /* continued: the run is over; drain until it has been quiet for a while */
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &quiet_ms, sizeof quiet_ms);
        while (zmq_recv(s, buf, sizeof buf, 0) >= 0)
            ;
        int forever = -1;
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &forever, sizeof forever);
    }
}

typedef struct result {
    double epoch_s; /* per epoch, from the epoch lines */
    double exit_s;  /* last epoch line to exit */
    int epochs_seen;
    int status;
} result;

/* Runs the trainer once with the given endpoint; timestamps its epoch lines. */
static result
run_trainer(const char *trainer, const char *endpoint)
{
    result r = {0, 0, 0, -1};
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid < 0)
        exit(1);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        int null = open("/dev/null", 1);
        if (null >= 0)
            dup2(null, 2); /* (A) says "not publishing"; that is the point */
        setenv("TRAINWATCH_LOG_DIR", "off", 1);
        setenv("TRAINWATCH_ENDPOINT", endpoint, 1);
        char epochs[16];
        snprintf(epochs, sizeof epochs, "%d", EPOCHS);
        execl(trainer, trainer, "--epochs", epochs, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[1024];
    double first = 0, last = 0;
    while (fgets(line, sizeof line, in)) {
        double t = now_s();
        if (strncmp(line, "epoch ", 6) == 0) {
            if (r.epochs_seen++ == 0)
                first = t;
            last = t;
        }
    }
    fclose(in);
    waitpid(pid, &r.status, 0);
    r.exit_s = now_s() - last;
    if (r.epochs_seen > 1)
        r.epoch_s = (last - first) / (r.epochs_seen - 1);
    return r;
}

int
main(int argc, char **argv)
{
    char trainer[4096];
    if (argc > 2) {
        snprintf(trainer, sizeof trainer, "%s", argv[2]);
    } else if (argc > 1 && strlen(argv[1]) >= strlen("monitor/trainwatch") &&
               strcmp(argv[1] + strlen(argv[1]) - strlen("monitor/trainwatch"),
                      "monitor/trainwatch") == 0) {
        snprintf(trainer, sizeof trainer, "%.*sexamples/train_mlp",
                 (int)(strlen(argv[1]) - strlen("monitor/trainwatch")), argv[1]);
    } else {
        fprintf(stderr, "usage: %s BUILD/monitor/trainwatch [TRAIN_MLP]\n", argv[0]);
        return 2;
    }
    if (access(trainer, X_OK) != 0) {
        fprintf(stderr, "bench_trainer: %s: %s\n", trainer, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    char ep_b[64], ep_c[64];
    snprintf(ep_b, sizeof ep_b, "tcp://127.0.0.1:%d", PORT_B);
    snprintf(ep_c, sizeof ep_c, "tcp://127.0.0.1:%d", PORT_C);
    const char *endpoints[N_CASES] = {"off:not-an-endpoint", ep_b, ep_c};

    pid_t sub = fork();
    if (sub < 0)
        return 1;
    if (sub == 0) {
        stopping_subscriber(ep_c);
        _exit(0);
    }

    double epoch[N_CASES][ROUNDS], exit_s[N_CASES][ROUNDS], ratio[N_CASES][ROUNDS];
    int stalled = 0, bad = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int c = 0; c < N_CASES; c++) {
            result r = run_trainer(trainer, endpoints[c]);
            if (r.epochs_seen != EPOCHS || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
                bad++;
            epoch[c][round] = r.epoch_s;
            exit_s[c][round] = r.exit_s;
            if (c == ON_STOPPED_MONITOR) {
                int st;
                if (waitpid(sub, &st, WUNTRACED | WNOHANG) == sub && WIFSTOPPED(st))
                    stalled++;
                kill(sub, SIGCONT);
                usleep(200 * 1000); /* its drain */
            }
        }
        for (int c = 0; c < N_CASES; c++)
            ratio[c][round] = epoch[c][round] / epoch[OFF][round];
    }
    kill(sub, SIGKILL);
    waitpid(sub, NULL, 0);

    printf("example trainer (train_mlp --epochs %d, 19 steps an epoch), %d alternating rounds; "
           "the monitor was stopped in %d of %d (C) runs%s\n",
           EPOCHS, ROUNDS, stalled, ROUNDS, bad ? "; SOME RUNS FAILED" : "");
    printf("  %-26s %12s %22s %14s %18s\n", "case", "epoch (ms)", "spread (min..max)", "vs off (%)",
           "exit delay (ms)");
    for (int c = 0; c < N_CASES; c++) {
        double lo, hi, rlo, rhi, elo, ehi;
        double med = median(epoch[c], ROUNDS, &lo, &hi);
        double r = median(ratio[c], ROUNDS, &rlo, &rhi);
        double ex = median(exit_s[c], ROUNDS, &elo, &ehi);
        printf("  %-26s %12.3f %10.3f..%-10.3f %+13.1f%% %18.1f\n", case_names[c], med * 1e3,
               lo * 1e3, hi * 1e3, (r - 1) * 100, ex * 1e3);
        char name[96];
        snprintf(name, sizeof name, "trainer epoch time, %s", case_names[c]);
        bench_summary(name, med * 1e3, "ms", BENCH_INFO, 0, "-", lo * 1e3, hi * 1e3);
        if (c != OFF) {
            snprintf(name, sizeof name, "trainer overhead vs off, %s", case_names[c]);
            bench_summary(name, (r - 1) * 100, "%", BENCH_INFO, 0, "-", (rlo - 1) * 100,
                          (rhi - 1) * 100);
        }
        snprintf(name, sizeof name, "trainer exit delay, %s", case_names[c]);
        bench_summary(name, ex * 1e3, "ms", BENCH_INFO, 0, "-", elo * 1e3, ehi * 1e3);
    }
    return bad ? 1 : 0;
}
