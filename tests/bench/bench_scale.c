/* bench_scale.c - one monitor, one run of 256 ranks through 4 relays: 256 publisher processes
 * x 50 metrics x 10 updates a second. Drops (target 0), the monitor's CPU (target <= 25 % of a
 * core), the delay from update_* to the value being in the monitor's store (p50, p99; target
 * p99 <= 50 ms), the CPU of the publishers and the relays, and how often a rank's threads
 * wake (voluntary context switches from /proc: its publisher thread's, and all of its threads'
 * together; information).
 *
 * BENCH_SCALE_RELAYS (default 4) real `trainwatch relay` processes each bind an IN and an OUT
 * loopback tcp port; BENCH_SCALE_RANKS (default 256) publisher processes (children of this
 * one, libtrainwatch, rank 0..N-1 of world N, one run) connect to the relays' INs in turn
 * (">tcp://..."), and the real trainwatch binary (argv[1]) connects to every OUT. With
 * BENCH_SCALE_RELAYS=0 the monitor listens (--listen) and the ranks connect to it directly.
 * Each rank updates 50 tracked Means and steps 10 times a second, an epoch every 100 steps.
 * Two phases, each with fresh processes: the monitor headless (`--once`: the store
 * alone; at the end it prints its counters and the delay histogram's p50 and p99, which this
 * bench reads), then the monitor's UI on a 200 x 60 pseudo-terminal (what a user runs: the
 * store, the chart, the alerts, up to 5 frames a second). The monitor's CPU is its utime + stime
 * from /proc over BENCH_SCALE_SECONDS (default 20) after a 3 s warm-up (the ranks start,
 * connect and declare their metrics; they all begin stepping at its end, together, as
 * data-parallel ranks do, so that the delay histogram holds live updates of the steady
 * stream, not the start's backlog) and 1 s of stepping. The ranks step until 1 s past the
 * window and then wait to be stopped: the histogram holds no step taken while the others tear
 * down. Drops are the
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

#define MAX_RANKS      1024
#define MAX_RELAYS     16
#define N_METRICS      50
#define STEP_HZ        10
#define STEPS_PER_EP   100
#define WARMUP_SECONDS 3.0 /* the ranks start, connect and declare; then they step */
#define STEADY_SECONDS 1.0 /* of stepping before the measured window */

static volatile sig_atomic_t stop_training;
static int n_ranks = 256, n_relays = 4;

static void
on_term(int sig)
{
    (void)sig;
    stop_training = 1;
}

/* One rank: trains at STEP_HZ from `go` until `end` (monotonic seconds), waits for SIGTERM,
 * then writes its counters to `out` (one short line: atomic on a pipe). Its last step comes
 * before the bench stops anything, so the delay histogram holds the steady stream only: a
 * step taken after SIGTERM went out while 256 processes tore down their sockets on 2 cores,
 * 130-160 ms late, 0.5 % of a 20 s window's updates. */
static int
rank_main(int rank, const char *endpoint, int out, double go, double end)
{
    tw_publisher_options o = tw_publisher_defaults();
    tw_metric *m[N_METRICS];
    o.endpoint = endpoint;
    o.run_name = "bench-scale";
    o.log_dir = "off";
    o.rank = rank;
    o.world_size = n_ranks;
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
    double t0 = go; /* every rank steps from the same instant, as data-parallel ranks do */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    for (unsigned long long s = 1; !stop_training && t0 + (double)s / STEP_HZ < end; s++) {
        bench_sleep_until(t0 + (double)s / STEP_HZ);
        for (int k = 0; k < N_METRICS; k++)
            tw_metric_update_scalar(m[k], (1.0 + k) / (1.0 + 0.01 * (double)s) + 0.001 * rank, 1.0);
        tw_publisher_step(pub);
        if (s % STEPS_PER_EP == 0)
            tw_publisher_epoch_end(pub);
    }
    pthread_sigmask(SIG_BLOCK, &term, &old); /* (the publisher's threads block it) */
    while (!stop_training)
        sigsuspend(&old);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
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
    double pub_pct;           /* every publisher process's CPU together, % of one core */
    double relay_pct;         /* every relay's CPU together, % of one core */
    double pub_thread_wakes;  /* wakes a second of a rank's publisher thread (mean over ranks) */
    double rank_wakes;        /* wakes a second of all of a rank's threads (mean over ranks) */
    double seconds;           /* the window it was measured over */
    unsigned long long recs;  /* records the publishers produced */
    unsigned long long sent;  /* records they sent */
    unsigned long long drops; /* publishers' ring drops + refused messages */
    unsigned long long mon_records, mon_gaps, mon_drops, delay_n;
    double p50_ms, p99_ms;
    int ranks_reported;
} phase;

/* Starts one `trainwatch relay` from IN (bound: the ranks connect into it) to OUT (bound: the
 * monitor connects to it). Returns its pid or -1. */
static pid_t
spawn_relay(const char *exe, int in_port, int out_port)
{
    char in[64], out[64];
    snprintf(in, sizeof in, "tcp://127.0.0.1:%d", in_port);
    snprintf(out, sizeof out, "tcp://127.0.0.1:%d", out_port);
    pid_t pid = fork();
    if (pid == 0) {
        char *av[] = {(char *)exe, "relay", "--quiet", in, out, NULL};
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
        }
        execv(exe, av);
        _exit(127);
    }
    return pid;
}

/* The CPU seconds of n processes together (those that cannot be read count 0). */
static double
cpu_of(const pid_t *pids, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double c = bench_proc_cpu(pids[i]);
        sum += isfinite(c) ? c : 0;
    }
    return sum;
}

/* The wake-ups of n processes together, of their threads named `name` (NULL: all); NAN when
 * none could be read. */
static double
wakes_of(const pid_t *pids, int n, const char *name)
{
    double sum = 0;
    int read = 0;
    for (int i = 0; i < n; i++) {
        long w = bench_proc_wakes(pids[i], name);
        if (w >= 0) {
            sum += (double)w;
            read++;
        }
    }
    return read ? sum : NAN;
}

/* The monitor's command line: headless (--once) or its UI, over the relays' OUTs or, without
 * relays, listening on `listen`. Fills av (room for MAX_RELAYS + 8) from the strings in eps. */
static void
monitor_argv(char **av, const char *exe, bool headless, char eps[][64], int n_eps,
             const char *listen)
{
    int n = 0;
    av[n++] = (char *)exe;
    if (headless) {
        av[n++] = "--once";
        av[n++] = "--wait";
        av[n++] = "86400";
    }
    if (n_eps == 0) {
        av[n++] = "--listen";
        av[n++] = (char *)listen;
    }
    for (int i = 0; i < n_eps; i++)
        av[n++] = eps[i];
    av[n] = NULL;
}

/* Reads the ranks' counter lines from f into ph. */
static void
read_rank_stats(FILE *f, phase *ph)
{
    char line[256];
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
}

/* Reads the headless monitor's --once output (its counters and delay line) into ph. */
static void
read_monitor_output(FILE *f, phase *ph)
{
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "bench-scale ", 12) == 0)
            continue; /* the table's 50 rows */
        printf("  monitor: %s", line);
        sscanf(line, " bench-scale: %llu records, %llu gaps, %llu dropped", &ph->mon_records,
               &ph->mon_gaps, &ph->mon_drops);
        sscanf(line, "delay from update to monitor: p50 %lf ms, p99 %lf ms (%llu", &ph->p50_ms,
               &ph->p99_ms, &ph->delay_n);
    }
}

/* The processes of one phase. */
typedef struct procs {
    pid_t mon, ranks[MAX_RANKS], relays[MAX_RELAYS];
} procs;

/* Starts the ranks, each connecting to `eps[r % n_eps]`; their counters go to out. */
static void
start_ranks(procs *pr, char eps[][80], int n_eps, const char *rundir, int out, int closing,
            double go, double end)
{
    for (int r = 0; r < n_ranks; r++) {
        pr->ranks[r] = fork();
        if (pr->ranks[r] == 0) {
            struct sigaction sa = {.sa_handler = on_term};
            sigemptyset(&sa.sa_mask);
            sigaction(SIGTERM, &sa, NULL);
            close(closing);
            setenv("XDG_RUNTIME_DIR", rundir, 1);
            _exit(rank_main(r, eps[r % n_eps], out, go, end));
        }
    }
}

/* Runs one phase: the relays, the monitor (headless or UI), the ranks for the window, then
 * stops them. */
static int
run_phase(const char *exe, bool headless, double seconds, phase *ph)
{
    char rundir[] = "/tmp/tw-bench-scale-XXXXXX", listen[80], outs[MAX_RELAYS][64];
    char conns[MAX_RELAYS][80];
    char *av[MAX_RELAYS + 8];
    int out_pipe[2], stats_pipe[2], master = -1, n_in = n_relays ? n_relays : 1;
    procs *pr = calloc(1, sizeof *pr);
    bench_drain drain;

    memset(ph, 0, sizeof *ph);
    ph->p50_ms = ph->p99_ms = NAN;
    if (!pr || !mkdtemp(rundir) || pipe2(out_pipe, O_CLOEXEC) || pipe2(stats_pipe, O_CLOEXEC))
        return -1;
    for (int i = 0; i < n_in; i++) {
        int in_port = free_port(), out_port = free_port();
        if (!in_port || !out_port)
            return -1;
        snprintf(conns[i], sizeof conns[i], ">tcp://127.0.0.1:%d", in_port);
        snprintf(outs[i], sizeof outs[i], "tcp://127.0.0.1:%d", out_port);
        if (n_relays && (pr->relays[i] = spawn_relay(exe, in_port, out_port)) < 0)
            return -1;
    }
    snprintf(listen, sizeof listen, "%.70s", conns[0] + 1); /* no relay: the monitor binds it */
    if (n_relays)
        usleep(300000); /* the relays bind */
    monitor_argv(av, exe, headless, outs, n_relays, listen);
    if (headless) {
        pr->mon = bench_spawn_headless(av, rundir, out_pipe[1]);
    } else {
        pr->mon = bench_spawn_pty(av, rundir, 200, 60, &master);
        if (pr->mon < 0 || bench_drain_start(&drain, master) != 0)
            return -1;
    }
    close(out_pipe[1]);
    usleep(500000); /* the monitor binds or connects */
    double go = tw_clock_mono() + WARMUP_SECONDS;
    double end = go + STEADY_SECONDS + seconds + STEADY_SECONDS; /* past the window */
    start_ranks(pr, conns, n_in, rundir, stats_pipe[1], stats_pipe[0], go, end);
    close(stats_pipe[1]);
    bench_sleep_until(go + STEADY_SECONDS);
    double c0 = bench_proc_cpu(pr->mon), t0 = tw_clock_mono();
    double p0 = cpu_of(pr->ranks, n_ranks), r0 = cpu_of(pr->relays, n_relays);
    double tw0 = wakes_of(pr->ranks, n_ranks, "trainwatch-pub");
    double w0 = wakes_of(pr->ranks, n_ranks, NULL);
    bench_sleep_until(t0 + seconds);
    double c1 = bench_proc_cpu(pr->mon), t1 = tw_clock_mono();
    double p1 = cpu_of(pr->ranks, n_ranks), r1 = cpu_of(pr->relays, n_relays);
    double tw1 = wakes_of(pr->ranks, n_ranks, "trainwatch-pub");
    double w1 = wakes_of(pr->ranks, n_ranks, NULL);
    ph->seconds = t1 - t0;
    ph->pub_thread_wakes = (tw1 - tw0) / (t1 - t0) / n_ranks;
    ph->rank_wakes = (w1 - w0) / (t1 - t0) / n_ranks;
    ph->cpu_pct = (c1 - c0) / (t1 - t0) * 100;
    ph->pub_pct = (p1 - p0) / (t1 - t0) * 100;
    ph->relay_pct = (r1 - r0) / (t1 - t0) * 100;

    bench_sleep_until(end + STEADY_SECONDS); /* the last step is in */
    for (int r = 0; r < n_ranks; r++)
        kill(pr->ranks[r], SIGTERM);
    FILE *f = fdopen(stats_pipe[0], "r");
    read_rank_stats(f, ph);
    if (f)
        fclose(f);
    for (int r = 0; r < n_ranks; r++)
        bench_reap(pr->ranks[r], 5);
    usleep(1000000); /* the run-ends arrive */

    if (headless) {
        kill(pr->mon, SIGTERM); /* --once prints its table, counters and delay on the way out */
        f = fdopen(out_pipe[0], "r");
        read_monitor_output(f, ph);
        if (f)
            fclose(f);
        bench_reap(pr->mon, 5);
    } else {
        close(out_pipe[0]);
        bench_quit_pty(pr->mon, master, &drain);
    }
    for (int i = 0; i < n_relays; i++) {
        kill(pr->relays[i], SIGTERM);
        bench_reap(pr->relays[i], 5);
    }
    rmdir(rundir);
    free(pr);
    return 0;
}

/* The name of a figure: "scale RxMx10/s via N relays: what". */
typedef struct fig_name {
    char s[160];
} fig_name;

static fig_name
fig(const char *what)
{
    fig_name f;
    char via[32] = "";
    if (n_relays)
        snprintf(via, sizeof via, " via %d relays", n_relays);
    snprintf(f.s, sizeof f.s, "scale %dx%dx%d/s%s: %s", n_ranks, N_METRICS, STEP_HZ, via, what);
    return f;
}

int
main(int argc, char **argv)
{
    double seconds = (double)bench_env_long("BENCH_SCALE_SECONDS", 20, 2);
    phase h, u;
    char ranks_text[16];

    n_ranks = (int)bench_env_long("BENCH_SCALE_RANKS", 256, 1);
    n_relays = (int)bench_env_long("BENCH_SCALE_RELAYS", 4, 0);
    if (n_ranks > MAX_RANKS)
        n_ranks = MAX_RANKS;
    if (n_relays > MAX_RELAYS)
        n_relays = MAX_RELAYS;
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRAINWATCH\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    printf(
        "bench_scale: %d publisher processes (one run, world %d) x %d Means x %d updates/s "
        "into one trainwatch (tcp loopback, %d relays%s), %.0f s measured after %.0f s + %.0f s\n",
        n_ranks, n_ranks, N_METRICS, STEP_HZ, n_relays, n_relays ? "" : ": --listen", seconds,
        WARMUP_SECONDS, STEADY_SECONDS);
    fflush(stdout);
    if (run_phase(argv[1], true, seconds, &h) != 0 || run_phase(argv[1], false, seconds, &u) != 0) {
        fprintf(stderr, "bench_scale: cannot start a phase\n");
        return 1;
    }
    const phase *ps[2] = {&h, &u};
    for (int i = 0; i < 2; i++)
        printf("  %-9s monitor CPU %.1f %% of a core over %.1f s; publishers %.1f %%, relays "
               "%.1f %%; %d ranks: %llu records produced, %llu sent, %llu dropped or refused\n",
               i ? "UI:" : "headless:", ps[i]->cpu_pct, ps[i]->seconds, ps[i]->pub_pct,
               ps[i]->relay_pct, ps[i]->ranks_reported, ps[i]->recs, ps[i]->sent, ps[i]->drops);
    printf("  headless monitor: delay update_* -> store p50 %.3g ms, p99 %.3g ms over %llu live "
           "updates; gaps %llu, publisher-reported drops %llu\n",
           h.p50_ms, h.p99_ms, h.delay_n, h.mon_gaps, h.mon_drops);
    printf("  a rank wakes %.1f times a second, its publisher thread %.1f (headless phase; "
           "%d steps a second)\n",
           h.rank_wakes, h.pub_thread_wakes, STEP_HZ);

    snprintf(ranks_text, sizeof ranks_text, "%d", n_ranks);
    bench_summary(fig("drops (publishers + monitor gaps)").s,
                  (double)(h.drops + u.drops + h.mon_gaps + h.mon_drops), "drops", BENCH_AT_MOST, 0,
                  "0", NAN, NAN);
    bench_summary(fig("ranks that reported").s, (double)(h.ranks_reported), "ranks", BENCH_AT_LEAST,
                  n_ranks, ranks_text, NAN, NAN);
    bench_summary(fig("monitor CPU, UI").s, u.cpu_pct, "% core", BENCH_AT_MOST, 25, "<= 25 %", NAN,
                  NAN);
    bench_summary(fig("monitor CPU, headless").s, h.cpu_pct, "% core", BENCH_AT_MOST, 25, "<= 25 %",
                  NAN, NAN);
    bench_summary(fig("delay update -> store, p50").s, h.p50_ms, "ms", BENCH_INFO, 0, "-", NAN,
                  NAN);
    bench_summary(fig("delay update -> store, p99").s, h.p99_ms, "ms", BENCH_AT_MOST, 50,
                  "<= 50 ms", NAN, NAN);
    bench_summary(fig("publishers' CPU, all together").s, h.pub_pct, "% core", BENCH_INFO, 0, "-",
                  NAN, NAN);
    bench_summary(fig("relays' CPU, all together").s, h.relay_pct, "% core", BENCH_INFO, 0, "-",
                  NAN, NAN);
    bench_summary(fig("a rank's threads, wake-ups").s, h.rank_wakes, "/s", BENCH_INFO, 0, "-", NAN,
                  NAN);
    bench_summary(fig("a rank's publisher thread, wake-ups").s, h.pub_thread_wakes, "/s",
                  BENCH_INFO, 0, "-", NAN, NAN);
    return 0;
}
