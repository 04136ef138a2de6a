/* bench_latejoin.c - how long a monitor that joins late takes to have the whole history.
 *
 * A publisher in this process (libtrainwatch, tcp on loopback) trains 10 tracked Means for E
 * epochs of 100 steps (E = 100 and 1000), then idles (heartbeats only). The real monitor
 * (argv[1]) is then started with `--jsonl ENDPOINT`, fresh each time; the figure is the time
 * from its start (fork) to the line of the last epoch's final value of the last metric on its
 * standard output: process start, connection, the publisher's replay of every epoch and the
 * per-step history (step_history, 2048 points a metric), decoding and merging. Repeated 5
 * times for each E; the median is printed beside DESIGN's target (full history within 1 s of
 * connecting). Exit status 0 even when the target is missed. */
#define _GNU_SOURCE
#include "trainwatch.h"

#include "bench_proc.h"
#include "bench_summary.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define METRICS 10
#define STEPS   100
#define REPEATS 5

/* Seconds from starting the monitor to the line that holds `needle` (NAN: not within 10 s). */
static double
join_seconds(const char *tw, const char *endpoint, const char *rundir, const char *needle)
{
    int fds[2];
    if (pipe(fds) != 0)
        return NAN;
    char *argv[] = {(char *)tw, (char *)"--jsonl", (char *)endpoint, NULL};
    double t0 = tw_clock_mono();
    pid_t pid = bench_spawn_headless(argv, rundir, fds[1]);
    close(fds[1]);
    double took = NAN;
    static char buf[1 << 20];
    size_t have = 0;
    while (pid > 0 && tw_clock_mono() - t0 < 10 && isnan(took)) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(fds[0], buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        if (strstr(buf, needle))
            took = tw_clock_mono() - t0;
        /* keep the unfinished last line only */
        char *nl = strrchr(buf, '\n');
        if (nl) {
            size_t rest = have - (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, rest);
            have = rest;
        }
    }
    close(fds[0]);
    if (pid > 0) {
        kill(pid, SIGTERM);
        bench_reap(pid, 2.0);
    }
    return took;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_latejoin TRAINWATCH\n");
        return 2;
    }
    char rundir[] = "/tmp/tw-bench-latejoin-XXXXXX";
    if (!mkdtemp(rundir)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("XDG_RUNTIME_DIR", rundir, 1);
    setenv("TRAINWATCH_LOG_DIR", "off", 1);
    static const long epochs[] = {100, 1000};
    printf("bench_latejoin: a monitor started after E epochs of 10 metrics x %d steps "
           "(history: every epoch, 2048 steps a metric), %d starts each\n",
           STEPS, REPEATS);
    for (size_t k = 0; k < sizeof epochs / sizeof epochs[0]; k++) {
        tw_publisher_options o = tw_publisher_defaults();
        o.endpoint = "tcp://127.0.0.1:*";
        o.run_name = "latejoin";
        tw_publisher *p = tw_publisher_new(&o);
        if (!p) {
            perror("tw_publisher_new");
            return 1;
        }
        tw_metric *m[METRICS];
        for (int i = 0; i < METRICS; i++) {
            char name[16];
            snprintf(name, sizeof name, "m%d", i);
            m[i] = tw_metric_new(TW_METRIC_MEAN, NULL);
            tw_publisher_track(p, m[i], name, TW_SPLIT_TRAIN);
        }
        for (long e = 1; e <= epochs[k]; e++) {
            for (int s = 0; s < STEPS; s++) {
                for (int i = 0; i < METRICS; i++)
                    tw_metric_update_scalar(m[i], 1.0 / (double)(e + s + i), 1);
                tw_publisher_step(p);
            }
            tw_publisher_epoch_end(p);
            if (e % 5 == 0) /* let the background thread keep up: nothing dropped */
                bench_sleep_until(tw_clock_mono() + 0.004);
        }
        bench_sleep_until(tw_clock_mono() + 0.5);
        tw_publisher_stats st = tw_publisher_get_stats(p);
        char needle[96];
        snprintf(needle, sizeof needle, "\"metric\":\"m%d\",\"split\":\"train\",\"epoch\":%ld,",
                 METRICS - 1, epochs[k]);
        double t[REPEATS];
        int n = 0;
        for (int r = 0; r < REPEATS; r++) {
            double s = join_seconds(argv[1], tw_publisher_endpoint(p), rundir, needle);
            if (!isnan(s))
                t[n++] = s;
        }
        bench_sort(t, (size_t)n);
        double med = n ? t[n / 2] : NAN;
        printf("  %5ld epochs (%llu records published, %llu dropped): the last epoch on the "
               "monitor's output after %.0f ms (median of %d; %.0f..%.0f ms)\n",
               epochs[k], st.records, st.dropped, med * 1e3, n, n ? t[0] * 1e3 : NAN,
               n ? t[n - 1] * 1e3 : NAN);
        char label[96];
        snprintf(label, sizeof label, "late join: full history, %ld epochs x 10 metrics",
                 epochs[k]);
        bench_summary(label, med * 1e3, "ms", BENCH_AT_MOST, 1000, "<= 1 s", n ? t[0] * 1e3 : NAN,
                      n ? t[n - 1] * 1e3 : NAN);
        tw_publisher_destroy(&p);
        for (int i = 0; i < METRICS; i++)
            tw_metric_destroy(&m[i]);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", rundir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_latejoin: could not remove %s\n", rundir);
    return 0;
}
