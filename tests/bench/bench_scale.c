/* bench_scale.c - one monitor, one run of 64 ranks: 64 publisher processes x 50 metrics x 10
 * updates a second. Drops (target 0), the monitor's CPU, and the delay from update_* to the
 * value being in the monitor's store (p50, p99).
 *
 * The real trainwatch binary (argv[1]) listens on a loopback tcp port; 64 publisher processes
 * (children of this one, libtrainwatch, rank 0..63 of world 64, one run) connect to it
 * (">tcp://...") and each updates 50 tracked Means and steps 10 times a second, an epoch every
 * 100 steps. Two phases, each with fresh processes: the monitor headless (`--once`: the store
 * alone; at the end it prints its counters and the delay histogram's p50 and p99, which this
 * bench reads), then the monitor's UI on a 200 x 60 pseudo-terminal (what a user runs: the
 * store, the chart, the alerts, 10 frames a second). The monitor's CPU is its utime + stime
 * from /proc over BENCH_SCALE_SECONDS (default 20) after a 3 s warm-up. Drops are the
 * publishers' (records dropped at their rings, messages refused by a full queue) plus the
 * monitor's gaps and publisher-reported drops. Exit status 0 even when a target is missed. */
#define _GNU_SOURCE
#include "trainwatch.h"

#include "bench_proc.h"
#include "bench_summary.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define RANKS          64
#define N_METRICS      50
#define STEP_HZ        10
#define STEPS_PER_EP   100
#define WARMUP_SECONDS 3.0

static volatile sig_atomic_t stop_training;

static void
on_term(int sig)
{
    (void)sig;
    stop_training = 1;
}

/* One rank: trains at STEP_HZ until SIGTERM, then writes its counters to `out` (one short
 * line: atomic on a pipe). */
static int
rank_main(int rank, const char *endpoint, int out)
{
    tw_publisher_options o = tw_publisher_defaults();
    tw_metric *m[N_METRICS];
    o.endpoint = endpoint;
    o.run_name = "bench-scale";
    o.log_dir = "off";
    o.rank = rank;
    o.world_size = RANKS;
    tw_publisher *pub = tw_publisher_new(&o);
    if (!pub)
        return 1;
    for (int k = 0; k < N_METRICS; k++) {
        char name[32];
        snprintf(name, sizeof name, "metric%02d", k);
        m[k] = tw_metric_new(TW_METRIC_MEAN, NULL);
        if (!m[k] || tw_publisher_track(pub, m[k], name, TW_SPLIT_TRAIN) < 0)
            return 1;
    }
    double t0 = tw_clock_mono();
    for (unsigned long long s = 1; !stop_training; s++) {
        bench_sleep_until(t0 + (double)s / STEP_HZ);
        for (int k = 0; k < N_METRICS; k++)
            tw_metric_update_scalar(m[k], (1.0 + k) / (1.0 + 0.01 * (double)s) + 0.001 * rank, 1.0);
        tw_publisher_step(pub);
        if (s % STEPS_PER_EP == 0)
            tw_publisher_epoch_end(pub);
    }
    tw_publisher_stats st = tw_publisher_get_stats(pub);
    char buf[256];
    int n = snprintf(buf, sizeof buf, "S %d %llu %llu %llu %llu\n", rank, st.records, st.dropped,
                     st.send_drops, st.sent);
    tw_publisher_destroy(&pub);
    for (int k = 0; k < N_METRICS; k++)
        tw_metric_destroy(&m[k]);
    return write(out, buf, (size_t)n) == n ? 0 : 1;
}

/* A loopback tcp port free right now (bound and released), or 0. */
static int
free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* What one phase measured. */
typedef struct phase {
    double cpu_pct;           /* the monitor's CPU, % of one core */
    double seconds;           /* the window it was measured over */
    unsigned long long recs;  /* records the publishers produced */
    unsigned long long sent;  /* records they sent */
    unsigned long long drops; /* publishers' ring drops + refused messages */
    unsigned long long mon_records, mon_gaps, mon_drops, delay_n;
    double p50_ms, p99_ms;
    int ranks_reported;
} phase;

/* Runs one phase: the monitor (headless or UI), 64 ranks for the window, then stops them. */
static int
run_phase(const char *exe, bool headless, double seconds, phase *ph)
{
    char rundir[] = "/tmp/tw-bench-scale-XXXXXX", listen[64], connect[80], line[1024];
    int port = free_port(), out_pipe[2], stats_pipe[2], master = -1;
    pid_t mon, ranks[RANKS];
    bench_drain drain;

    memset(ph, 0, sizeof *ph);
    ph->p50_ms = ph->p99_ms = NAN;
    if (!port || !mkdtemp(rundir) || pipe2(out_pipe, O_CLOEXEC) || pipe2(stats_pipe, O_CLOEXEC))
        return -1;
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", port);
    snprintf(connect, sizeof connect, ">%s", listen);
    if (headless) {
        char *av[] = {(char *)exe, "--once", "--wait", "86400", "--listen", listen, NULL};
        mon = bench_spawn_headless(av, rundir, out_pipe[1]);
    } else {
        char *av[] = {(char *)exe, "--listen", listen, NULL};
        mon = bench_spawn_pty(av, rundir, 200, 60, &master);
        if (mon < 0 || bench_drain_start(&drain, master) != 0)
            return -1;
    }
    close(out_pipe[1]);
    usleep(500000); /* the monitor binds */
    for (int r = 0; r < RANKS; r++) {
        ranks[r] = fork();
        if (ranks[r] == 0) {
            struct sigaction sa = {.sa_handler = on_term};
            sigemptyset(&sa.sa_mask);
            sigaction(SIGTERM, &sa, NULL);
            close(stats_pipe[0]);
            close(out_pipe[0]);
            setenv("XDG_RUNTIME_DIR", rundir, 1);
            _exit(rank_main(r, connect, stats_pipe[1]));
        }
    }
    close(stats_pipe[1]);
    usleep((useconds_t)(WARMUP_SECONDS * 1e6));
    double c0 = bench_proc_cpu(mon), t0 = tw_clock_mono();
    bench_sleep_until(t0 + seconds);
    double c1 = bench_proc_cpu(mon), t1 = tw_clock_mono();
    ph->seconds = t1 - t0;
    ph->cpu_pct = (c1 - c0) / (t1 - t0) * 100;

    for (int r = 0; r < RANKS; r++)
        kill(ranks[r], SIGTERM);
    FILE *f = fdopen(stats_pipe[0], "r");
    while (f && fgets(line, sizeof line, f)) {
        int rank;
        unsigned long long rec, drop, refused, sent;
        if (sscanf(line, "S %d %llu %llu %llu %llu", &rank, &rec, &drop, &refused, &sent) == 5) {
            ph->recs += rec;
            ph->drops += drop + refused;
            ph->sent += sent;
            ph->ranks_reported++;
        }
    }
    if (f)
        fclose(f);
    for (int r = 0; r < RANKS; r++)
        bench_reap(ranks[r], 5);
    usleep(1000000); /* the run-ends arrive */

    if (headless) {
        kill(mon, SIGTERM); /* --once prints its table, counters and delay on the way out */
        f = fdopen(out_pipe[0], "r");
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "bench-scale ", 12) == 0)
                continue; /* the table's 50 rows */
            printf("  monitor: %s", line);
            sscanf(line, " bench-scale: %llu records, %llu gaps, %llu dropped", &ph->mon_records,
                   &ph->mon_gaps, &ph->mon_drops);
            sscanf(line, "delay from update to monitor: p50 %lf ms, p99 %lf ms (%llu", &ph->p50_ms,
                   &ph->p99_ms, &ph->delay_n);
        }
        if (f)
            fclose(f);
        bench_reap(mon, 5);
    } else {
        close(out_pipe[0]);
        bench_quit_pty(mon, master, &drain);
    }
    rmdir(rundir);
    return 0;
}

int
main(int argc, char **argv)
{
    double seconds = (double)bench_env_long("BENCH_SCALE_SECONDS", 20, 2);
    phase h, u;

    if (argc < 2) {
        fprintf(stderr, "usage: %s TRAINWATCH\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    printf("bench_scale: %d publisher processes (one run, world %d) x %d Means x %d updates/s "
           "into one trainwatch --listen (tcp loopback), %.0f s measured after %.0f s\n",
           RANKS, RANKS, N_METRICS, STEP_HZ, seconds, WARMUP_SECONDS);
    fflush(stdout);
    if (run_phase(argv[1], true, seconds, &h) != 0 || run_phase(argv[1], false, seconds, &u) != 0) {
        fprintf(stderr, "bench_scale: cannot start a phase\n");
        return 1;
    }
    const phase *ps[2] = {&h, &u};
    for (int i = 0; i < 2; i++)
        printf("  %-9s monitor CPU %.1f %% of a core over %.1f s; %d ranks: %llu records "
               "produced, %llu sent, %llu dropped or refused\n",
               i ? "UI:" : "headless:", ps[i]->cpu_pct, ps[i]->seconds, ps[i]->ranks_reported,
               ps[i]->recs, ps[i]->sent, ps[i]->drops);
    printf("  headless monitor: delay update_* -> store p50 %.3g ms, p99 %.3g ms over %llu live "
           "updates; gaps %llu, publisher-reported drops %llu\n",
           h.p50_ms, h.p99_ms, h.delay_n, h.mon_gaps, h.mon_drops);

    bench_summary("scale 64x50x10/s: drops (publishers + monitor gaps)",
                  (double)(h.drops + u.drops + h.mon_gaps + h.mon_drops), "drops", BENCH_AT_MOST, 0,
                  "0", NAN, NAN);
    bench_summary("scale 64x50x10/s: ranks that reported", (double)(h.ranks_reported), "ranks",
                  BENCH_AT_LEAST, RANKS, "64", NAN, NAN);
    bench_summary("scale 64x50x10/s: monitor CPU, UI", u.cpu_pct, "% core", BENCH_INFO, 0, "-", NAN,
                  NAN);
    bench_summary("scale 64x50x10/s: monitor CPU, headless", h.cpu_pct, "% core", BENCH_INFO, 0,
                  "-", NAN, NAN);
    bench_summary("scale 64x50x10/s: delay update -> store, p50", h.p50_ms, "ms", BENCH_INFO, 0,
                  "-", NAN, NAN);
    bench_summary("scale 64x50x10/s: delay update -> store, p99", h.p99_ms, "ms", BENCH_INFO, 0,
                  "-", NAN, NAN);
    return 0;
}
