/* bench_monitor_rss.c - the real monitor's memory against run length: its RSS after 10 k, 1 M
 * and 10 M steps of 10 metrics, beside what keeping every point would cost.
 *
 * A publisher process (a child of this one, libtrainwatch, tcp on loopback) trains 10 tracked
 * Means, one update each a step, an epoch every 1000 steps, paced at BENCH_RSS_RATE steps/s
 * (default 100 000: 1 M records/s). The real trainwatch binary (argv[1]) watches it on a
 * 120 x 40 pseudo-terminal (the UI: store, chart, level of detail, alerts), or with
 * BENCH_RSS_HEADLESS=1 as `trainwatch --once` (the store alone, and its counters printed at the
 * end). At each checkpoint the publisher pauses; once the monitor has gone idle (it has taken
 * everything in: its CPU time stops moving) its VmRSS and VmHWM are read from /proc, and the
 * publisher goes on. Nothing may be lost: the publisher's counters (dropped in the ring,
 * refused by a full subscriber queue) are printed and summed. BENCH_RSS_STEPS (default
 * 10 000 000) shortens the run; the checkpoints past it are skipped. Exit status 0 even when
 * a target is missed: the figures are the result. BENCH_RSS_EPOCH_STEPS (default 1000) sets the
 * epoch length: the store keeps every epoch's exact value, so its memory grows with epochs
 * (not steps). */
#define _GNU_SOURCE
#include "trainwatch.h"

#include "bench_proc.h"
#include "bench_summary.h"

#include <stdarg.h>
#include <sys/stat.h>

#define N_METRICS    10
#define PACE_EVERY   250  /* steps between two looks at the clock */
#define IDLE_SECONDS 0.5  /* the monitor is idle when its CPU time moved less than ... */
#define IDLE_CPU     0.02 /* ... this many seconds over IDLE_SECONDS */
#define IDLE_MAX     60.0 /* seconds to wait for it at most */
#define POINT_BYTES  16.0 /* one (x, y) point as two doubles */
#define FLAT_BYTES   1e6  /* growth that still counts as flat: allocator and library noise */

static unsigned long long steps_per_ep = 1000; /* BENCH_RSS_EPOCH_STEPS */
static const unsigned long long checkpoints[] = {10000ULL, 1000000ULL, 10000000ULL};
#define N_CHECK (sizeof checkpoints / sizeof checkpoints[0])

/* Writes a line to fd (one write: lines are short). */
__attribute__((format(printf, 2, 3))) static void
say(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, buf, (size_t)n) != n)
        _exit(3);
}

/* Waits for one byte from fd (the parent's "go on"). */
static void
wait_go(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
}

/* The publisher process: trains `steps` steps at `rate` steps/s, pausing at each checkpoint
 * until told to go on. Tells the parent its endpoint ("E"), each checkpoint ("C step active
 * seconds") and its counters at the end ("S ..."). */
static int
publisher_main(int out, int in, unsigned long long steps, double rate)
{
    static const char *const names[N_METRICS] = {"loss", "accuracy", "precision", "recall", "f1",
                                                 "mse",  "mae",      "grad_norm", "lr",     "tput"};
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "tcp://127.0.0.1:0";
    o.run_name = "bench-rss";
    o.log_dir = "off";
    tw_publisher *pub = tw_publisher_new(&o);
    tw_metric *m[N_METRICS];
    if (!pub)
        return 1;
    tw_publisher_set_plan(pub, (unsigned long)(steps / steps_per_ep), steps_per_ep);
    for (int k = 0; k < N_METRICS; k++) {
        m[k] = tw_metric_new(TW_METRIC_MEAN, NULL);
        if (!m[k] || tw_publisher_track(pub, m[k], names[k], TW_SPLIT_TRAIN) < 0)
            return 1;
    }
    say(out, "E %s\n", tw_publisher_endpoint(pub));
    wait_go(in);

    size_t next = 0;
    double t0 = tw_clock_mono(), paused = 0;
    for (unsigned long long s = 1; s <= steps; s++) {
        double x = (double)s / steps_per_ep;
        for (int k = 0; k < N_METRICS; k++)
            tw_metric_update_scalar(m[k], (1.0 + k) * exp(-x / (40.0 + k)) + 0.01 * (double)(s % 7),
                                    1.0);
        tw_publisher_step(pub);
        if (s % steps_per_ep == 0)
            tw_publisher_epoch_end(pub);
        if (s % PACE_EVERY == 0)
            bench_sleep_until(t0 + paused + (double)s / rate);
        if (next < N_CHECK && s == checkpoints[next]) {
            double p0 = tw_clock_mono();
            say(out, "C %llu %.3f\n", s, p0 - t0 - paused);
            wait_go(in);
            paused += tw_clock_mono() - p0;
            next++;
        }
    }
    double active = tw_clock_mono() - t0 - paused;
    tw_publisher_stats st = tw_publisher_get_stats(pub);
    say(out, "S %llu %llu %llu %llu %llu %.3f\n", st.records, st.dropped, st.sent, st.send_drops,
        st.messages, active);
    wait_go(in);
    tw_publisher_destroy(&pub);
    for (int k = 0; k < N_METRICS; k++)
        tw_metric_destroy(&m[k]);
    return 0;
}

/* Waits until the monitor's CPU time stops moving (it has taken in what was sent), at most
 * IDLE_MAX seconds; returns the seconds waited. */
static double
wait_idle(pid_t mon)
{
    double t0 = tw_clock_mono(), last = bench_proc_cpu(mon), since = t0;
    while (tw_clock_mono() - t0 < IDLE_MAX) {
        usleep(100000);
        double c = bench_proc_cpu(mon);
        if (isnan(c))
            break;
        if (c - last > IDLE_CPU) {
            last = c;
            since = tw_clock_mono();
        } else if (tw_clock_mono() - since >= IDLE_SECONDS) {
            break;
        }
    }
    return tw_clock_mono() - t0;
}

/* Reads one line from fd (unbuffered, byte by byte: the lines are few). */
static int
read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return 0;
}

static void
fmt_mb(char *buf, size_t size, double bytes)
{
    snprintf(buf, size, "%.1f MB", bytes / 1e6);
}

int
main(int argc, char **argv)
{
    unsigned long long steps = (unsigned long long)bench_env_long("BENCH_RSS_STEPS", 10000000, 1);
    double rate = (double)bench_env_long("BENCH_RSS_RATE", 100000, 1);
    bool headless = bench_env_long("BENCH_RSS_HEADLESS", 0, 0) != 0;
    steps_per_ep = (unsigned long long)bench_env_long("BENCH_RSS_EPOCH_STEPS", 1000, 1);
    char rundir[] = "/tmp/tw-bench-rss-XXXXXX", line[512], endpoint[256];
    int up[2], down[2], out_pipe[2] = {-1, -1}, master = -1;
    bench_drain drain;
    pid_t pub, mon;

    if (argc < 2) {
        fprintf(stderr, "usage: %s TRAINWATCH\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(rundir) || pipe(up) || pipe(down)) {
        perror("bench_monitor_rss");
        return 1;
    }
    pub = fork();
    if (pub == 0) {
        close(up[0]);
        close(down[1]);
        _exit(publisher_main(up[1], down[0], steps, rate));
    }
    close(up[1]);
    close(down[0]);
    if (read_line(up[0], line, sizeof line) || sscanf(line, "E %255s", endpoint) != 1) {
        fprintf(stderr, "bench_monitor_rss: the publisher did not start\n");
        return 1;
    }

    if (headless) {
        char *av[] = {argv[1], "--once", "--wait", "86400", endpoint, NULL};
        if (pipe2(out_pipe, O_CLOEXEC))
            return 1;
        mon = bench_spawn_headless(av, rundir, out_pipe[1]);
        close(out_pipe[1]);
    } else {
        char *av[] = {argv[1], endpoint, NULL};
        mon = bench_spawn_pty(av, rundir, 120, 40, &master);
        if (mon < 0 || bench_drain_start(&drain, master) != 0)
            return 1;
    }
    usleep(1500000); /* the monitor starts, connects and subscribes */
    printf("bench_monitor_rss: trainwatch (%s) watching a publisher process: %d tracked Means, "
           "%llu steps at %.0f steps/s, an epoch every %llu steps\n",
           headless ? "--once, the store alone" : "UI on a 120x40 pty", N_METRICS, steps, rate,
           steps_per_ep);
    printf("  at start: VmRSS %ld kB\n", bench_proc_kb(mon, "VmRSS"));
    if (write(down[1], "g", 1) != 1)
        return 1;

    double rss[N_CHECK], hwm[N_CHECK], active = 0;
    size_t n_check = 0;
    unsigned long long st[5] = {0};
    while (read_line(up[0], line, sizeof line) == 0) {
        unsigned long long s;
        double t;
        if (sscanf(line, "C %llu %lf", &s, &t) == 2) {
            double waited = wait_idle(mon);
            rss[n_check] = (double)bench_proc_kb(mon, "VmRSS") * 1024;
            hwm[n_check] = (double)bench_proc_kb(mon, "VmHWM") * 1024;
            char a[32], b[32], c[32];
            fmt_mb(a, sizeof a, rss[n_check]);
            fmt_mb(b, sizeof b, hwm[n_check]);
            fmt_mb(c, sizeof c, N_METRICS * (double)s * POINT_BYTES);
            printf("  %9llu steps (%.1f s of training, monitor idle after %.1f s): VmRSS %s, "
                   "VmHWM %s; keeping every point: %s\n",
                   s, t, waited, a, b, c);
            fflush(stdout);
            n_check++;
            if (write(down[1], "g", 1) != 1)
                break;
        } else if (sscanf(line, "S %llu %llu %llu %llu %llu %lf", &st[0], &st[1], &st[2], &st[3],
                          &st[4], &active) == 6) {
            wait_idle(mon);
            if (write(down[1], "g", 1) != 1)
                break;
            break;
        }
    }
    int pst = bench_reap(pub, 5);
    printf("  publisher: %llu records produced, %llu dropped in its ring, %llu sent in %llu "
           "messages, %llu messages refused by the monitor's full queue; %.0f steps/s over "
           "%.1f s of training (exit status %d)\n",
           st[0], st[1], st[2], st[4], st[3], active > 0 ? (double)steps / active : 0, active,
           WIFEXITED(pst) ? WEXITSTATUS(pst) : 128 + WTERMSIG(pst));

    if (headless) {
        kill(mon, SIGTERM); /* --once prints its table, counters and delay on the way out */
        FILE *f = fdopen(out_pipe[0], "r");
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "bench-rss ", 10) != 0 || strstr(line, " loss "))
                printf("  monitor: %s", line);
        if (f)
            fclose(f);
        bench_reap(mon, 5);
    } else {
        bench_quit_pty(mon, master, &drain);
    }
    rmdir(rundir);

    const char *mode = headless ? "--once" : "UI";
    for (size_t i = 0; i < n_check; i++) {
        char name[128], every[32];
        fmt_mb(every, sizeof every, N_METRICS * (double)checkpoints[i] * POINT_BYTES);
        snprintf(name, sizeof name, "monitor RSS (%s), %s steps x 10 (every point: %s)", mode,
                 checkpoints[i] == 10000     ? "10 k"
                 : checkpoints[i] == 1000000 ? "1 M"
                                             : "10 M",
                 every);
        bench_summary(name, rss[i] / 1e6, "MB", BENCH_INFO, 0, "-", NAN, NAN);
    }
    if (n_check >= 1)
        bench_summary("monitor VmHWM (peak RSS) over the run", hwm[n_check - 1] / 1e6, "MB",
                      BENCH_INFO, 0, "-", NAN, NAN);
    if (n_check >= 2) {
        char name[128];
        double growth = rss[n_check - 1] - rss[0];
        double epochs = (double)(checkpoints[n_check - 1] - checkpoints[0]) / (double)steps_per_ep;
        snprintf(name, sizeof name, "monitor RSS (%s) growth 10 k -> %s steps, %llu steps/epoch",
                 mode, n_check == 3 ? "10 M" : "1 M", steps_per_ep);
        bench_summary(name, growth / 1e6, "MB", BENCH_AT_MOST, FLAT_BYTES / 1e6, "flat (<= 1 MB)",
                      NAN, NAN);
        /* the store keeps every epoch's exact value: what that costs per epoch and metric */
        if (epochs >= 1)
            bench_summary("monitor RSS growth per epoch per metric", growth / epochs / N_METRICS,
                          "bytes", BENCH_INFO, 0, "-", NAN, NAN);
    }
    bench_summary("monitor RSS bench, drops (ring records + refused msgs)", (double)(st[1] + st[3]),
                  "drops", BENCH_AT_MOST, 0, "0", NAN, NAN);
    bench_summary("monitor RSS bench, steps/s reached", active > 0 ? (double)steps / active : 0,
                  "steps/s", BENCH_INFO, 0, "-", NAN, NAN);
    return 0;
}
