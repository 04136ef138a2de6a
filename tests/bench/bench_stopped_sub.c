/* bench_stopped_sub.c - a publisher process's memory while its subscriber, the real monitor, is
 * stopped (SIGSTOP): it must stay bounded (issue 6 section 3).
 *
 * A publisher process (a child of this one, libtrainwatch, tcp on loopback) trains at full
 * speed, unpaced: 10 tracked Means updated every step, an epoch every 1 M steps
 * (BENCH_STOPPED_EPOCH_STEPS: the publisher keeps every epoch's final states for late joiners,
 * so at full speed and short epochs its memory grows with the epochs, whatever the
 * subscribers do). Two cases of the same length, each a fresh process: (A) no subscriber;
 * (B) the real trainwatch binary (argv[1], `--once`, output thrown away) subscribed, then
 * stopped with SIGSTOP after a warm-up. The publisher's VmRSS is read from /proc every 0.5 s
 * for BENCH_STOPPED_SECONDS (default 15) after the warm-up. Printed: the RSS before, the
 * highest, the plateau (median of the last third), the growth over the second half, and the
 * publisher's counters (records dropped at its ring, messages refused by the stopped
 * subscriber's full queue). Exit status 0 even when a target is missed. */
#define _GNU_SOURCE
#include "trainwatch.h"

#include "bench_proc.h"
#include "bench_summary.h"

#include <sys/stat.h>

#define N_METRICS      10
#define WARMUP_SECONDS 2.0
#define SAMPLE_SECONDS 0.5
#define MAX_SAMPLES    1200
#define PLATEAU_MB     1.0 /* growth over the second half of the stop that still counts as flat */

static unsigned long long steps_per_ep = 1000000; /* BENCH_STOPPED_EPOCH_STEPS */
static volatile sig_atomic_t stop_training;

static void
on_term(int sig)
{
    (void)sig;
    stop_training = 1;
}

/* The publisher process: trains until SIGTERM, then writes its counters to `out`. */
static int
publisher_main(int out)
{
    tw_publisher_options o = tw_publisher_defaults();
    tw_metric *m[N_METRICS];
    char buf[512];
    o.endpoint = "tcp://127.0.0.1:0";
    o.run_name = "bench-stopped-sub";
    o.log_dir = "off";
    tw_publisher *pub = tw_publisher_new(&o);
    if (!pub)
        return 1;
    for (int k = 0; k < N_METRICS; k++) {
        char name[32];
        snprintf(name, sizeof name, "metric%d", k);
        m[k] = tw_metric_new(TW_METRIC_MEAN, NULL);
        if (!m[k] || tw_publisher_track(pub, m[k], name, TW_SPLIT_TRAIN) < 0)
            return 1;
    }
    int n = snprintf(buf, sizeof buf, "E %s\n", tw_publisher_endpoint(pub));
    if (write(out, buf, (size_t)n) != n)
        return 1;
    unsigned long long s = 0;
    while (!stop_training) {
        s++;
        for (int k = 0; k < N_METRICS; k++)
            tw_metric_update_scalar(m[k], 1.0 / (1.0 + (double)(s % 1000)) + k, 1.0);
        tw_publisher_step(pub);
        if (s % steps_per_ep == 0)
            tw_publisher_epoch_end(pub);
    }
    tw_publisher_stats st = tw_publisher_get_stats(pub);
    n = snprintf(buf, sizeof buf, "S %llu %llu %llu %llu %llu %llu\n", s, st.records, st.dropped,
                 st.sent, st.send_drops, st.messages);
    if (write(out, buf, (size_t)n) != n)
        return 1;
    tw_publisher_destroy(&pub);
    for (int k = 0; k < N_METRICS; k++)
        tw_metric_destroy(&m[k]);
    return 0;
}

/* What one case measured (MB). */
typedef struct result {
    double start, before, max, plateau, growth, hwm;
    unsigned long long steps, st[5];
    int status;
} result;

/* Runs one case: a publisher process, with the monitor subscribed and then stopped or with no
 * subscriber, sampled for `seconds` after the warm-up. */
static int
run_case(const char *exe, bool stopped_monitor, double seconds, result *res)
{
    char rundir[] = "/tmp/tw-bench-stopped-XXXXXX", endpoint[256], buf[1024];
    static double rss[MAX_SAMPLES], t[MAX_SAMPLES];
    size_t n = 0;
    int up[2];
    pid_t mon = -1;

    memset(res, 0, sizeof *res);
    if (!mkdtemp(rundir) || pipe(up)) {
        perror("bench_stopped_sub");
        return -1;
    }
    pid_t pub = fork();
    if (pub == 0) {
        struct sigaction sa = {.sa_handler = on_term};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        close(up[0]);
        _exit(publisher_main(up[1]));
    }
    close(up[1]);
    FILE *from_pub = fdopen(up[0], "r");
    if (!from_pub || !fgets(buf, sizeof buf, from_pub) || sscanf(buf, "E %255s", endpoint) != 1) {
        fprintf(stderr, "bench_stopped_sub: the publisher did not start\n");
        return -1;
    }
    if (stopped_monitor) {
        char *av[] = {(char *)exe, "--once", "--wait", "86400", endpoint, NULL};
        mon = bench_spawn_headless(av, rundir, -1);
    }
    res->start = (double)bench_proc_kb(pub, "VmRSS") / 1024;
    usleep((useconds_t)(WARMUP_SECONDS * 1e6));
    res->before = (double)bench_proc_kb(pub, "VmRSS") / 1024;
    if (mon > 0)
        kill(mon, SIGSTOP);
    double t0 = tw_clock_mono();
    for (double next = t0; n < MAX_SAMPLES && next - t0 < seconds; n++) {
        next += SAMPLE_SECONDS;
        bench_sleep_until(next);
        t[n] = tw_clock_mono() - t0;
        rss[n] = (double)bench_proc_kb(pub, "VmRSS") / 1024;
    }
    res->hwm = (double)bench_proc_kb(pub, "VmHWM") / 1024;
    kill(pub, SIGTERM);
    while (fgets(buf, sizeof buf, from_pub))
        if (sscanf(buf, "S %llu %llu %llu %llu %llu %llu", &res->steps, &res->st[0], &res->st[1],
                   &res->st[2], &res->st[3], &res->st[4]) == 6)
            break;
    res->status = bench_reap(pub, 5);
    if (mon > 0) {
        kill(mon, SIGCONT);
        kill(mon, SIGTERM);
        bench_reap(mon, 5);
    }
    fclose(from_pub);
    rmdir(rundir);

    double half = res->before;
    for (size_t i = 0; i < n; i++) {
        if (rss[i] > res->max)
            res->max = rss[i];
        if (t[i] <= seconds / 2)
            half = rss[i];
    }
    size_t third = n / 3 ? n / 3 : 1;
    double tail[MAX_SAMPLES];
    memcpy(tail, rss + n - third, third * sizeof tail[0]);
    bench_sort(tail, third);
    res->plateau = tail[third / 2];
    res->growth = n ? rss[n - 1] - half : 0;
    printf("  (%s) VmRSS every %.1f s:",
           stopped_monitor ? "B, monitor stopped" : "A, no subscriber", SAMPLE_SECONDS);
    for (size_t i = 0; i < n; i++)
        printf("%s%.1f", i % 10 ? " " : "\n    ", rss[i]);
    printf(" MB\n");
    printf("    %.1f MB at its start, %.1f MB after the warm-up, highest %.1f MB (VmHWM %.1f MB), "
           "plateau %.1f MB, growth over the second half %.2f MB\n",
           res->start, res->before, res->max, res->hwm, res->plateau, res->growth);
    printf("    %llu steps, %llu records produced, %llu dropped at its ring (full: the training "
           "thread never waits), %llu sent in %llu messages, %llu messages refused by a full "
           "subscriber queue (exit status %d)\n",
           res->steps, res->st[0], res->st[1], res->st[2], res->st[4], res->st[3],
           WIFEXITED(res->status) ? WEXITSTATUS(res->status) : 128 + WTERMSIG(res->status));
    fflush(stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    double seconds = (double)bench_env_long("BENCH_STOPPED_SECONDS", 15, 2);
    result a, b;

    if (argc < 2) {
        fprintf(stderr, "usage: %s TRAINWATCH\n", argv[0]);
        return 2;
    }
    steps_per_ep = (unsigned long long)bench_env_long("BENCH_STOPPED_EPOCH_STEPS", 1000000, 1);
    signal(SIGPIPE, SIG_IGN);
    printf("bench_stopped_sub: a publisher process training at full speed (%d Means, an epoch "
           "every %llu steps), %.0f s sampled after a %.0f s warm-up\n",
           N_METRICS, steps_per_ep, seconds, WARMUP_SECONDS);
    if (run_case(argv[1], false, seconds, &a) != 0 || run_case(argv[1], true, seconds, &b) != 0)
        return 1;
    bench_summary("publisher RSS, subscriber stopped: before the stop", b.before, "MB", BENCH_INFO,
                  0, "-", NAN, NAN);
    bench_summary("publisher RSS, subscriber stopped: plateau", b.plateau, "MB", BENCH_INFO, 0, "-",
                  NAN, NAN);
    bench_summary("publisher RSS, no subscriber: plateau", a.plateau, "MB", BENCH_INFO, 0, "-", NAN,
                  NAN);
    bench_summary("publisher RSS, subscriber stopped: growth, 2nd half", b.growth, "MB",
                  BENCH_AT_MOST, PLATEAU_MB, "<= 1 MB (bounded)", NAN, NAN);
    return 0;
}
