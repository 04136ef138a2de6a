/* bench_runlog.c - run-log bytes per scalar update, and the monitor's load of a written log.
 *
 *   bench_runlog TRAINWATCH [STEPS_SIZE]
 *
 * 1. Size: a real publisher (run log on, its socket unwatched) with 20 tracked Means updated
 *    once per step for STEPS_SIZE steps (env BENCH_RUNLOG_STEPS, default 1 000 000), an epoch
 *    every 1000 steps, paced so that its ring drops nothing (the pacing is checked: the figure
 *    is refused if a record was dropped). Figure: the log's bytes / (20 x steps).
 * 2. Load: a second log of 20 Means x 50 000 steps (1 M updates), then the real
 *    `TRAINWATCH --once LOG` run 5 times as users run it (a thread reads the log ahead on a
 *    machine of two cores or more) and 5 times on one core (TRAINWATCH_READ_AHEAD=0), the two
 *    alternating. The first's wall time (process start to exit) is the figure for "--once <=
 *    100 ms"; 1 M records over the second's CPU time (user + system, from wait4: steadier than
 *    wall time on a shared machine) the figure for ">= 10 M records/s decoded and merged on
 *    one core". The time to the UI's first frame is not measured here (the UI reads the same
 *    log through the same decoder and store first).
 *    The same log converted to format version 2 (the format before this one: every frame
 *    read and written again, tw_runlog_writer_open_version) is read 5 times on one core,
 *    alternating with 5 more of the version-3 log: its size and CPU against version 3's, in
 *    the same run (information: "the before"). Both are also run once under valgrind's
 *    callgrind (unless BENCH_RUNLOG_NO_COUNT is set, or valgrind is missing): the instructions
 *    per record, a count that the machine's load does not change (information).
 * 3. The UI's load to the first frame that shows it all: the real `TRAINWATCH LOG` (that log)
 *    on a 160 x 45 pseudo-terminal, RUNS times. What it writes is read as it comes, each burst
 *    of output timed; afterwards the bytes up to each burst's end are replayed into a real
 *    terminal emulator (tmux) until its screen shows the run ended at its last epoch and step
 *    (the whole log read: the UI draws a frame after its first batch of frames, and one as soon
 *    as it has read a backlog). Figure: the time from the fork to that burst's end, the
 *    program's start and the terminal's initialisation included. Without tmux, no figure.
 * 4. The same load of a log of mixed kinds (information): of the 20 metrics a third are Means
 *    (4 doubles of state), a third Sums (1) and a third gauges (1, a learning rate), their
 *    records interleaved, so that a record's layout differs from the one before it.
 * The values are a noisy decaying loss as a float32 would give it (a real trainer's loss). */
#define _GNU_SOURCE
#include "bench_proc.h"
#include "bench_summary.h"
#include "runlog.h"
#include "trainwatch.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define METRICS     20
#define EPOCH_STEPS 1000
#define RUNS        5

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Writes a log of METRICS Means (mixed: Means, Sums and gauges in turn) x steps into dir; its
 * path into path. Returns the records dropped (the figure is only good at 0), or -1 on error. */
static long long
write_log(const char *dir, long steps, bool mixed, char *path, size_t pathlen)
{
    tw_publisher_options o = tw_publisher_defaults();
    char ep[512];
    snprintf(ep, sizeof ep, "ipc://%s/sock", dir);
    o.endpoint = ep;
    o.log_dir = dir;
    o.run_name = "bench";
    o.ring_capacity = 1 << 20;
    tw_publisher *p = tw_publisher_new(&o);
    if (!p)
        return -1;
    tw_metric *m[METRICS];
    for (int i = 0; i < METRICS; i++) {
        char name[32];
        snprintf(name, sizeof name, "loss%02d", i);
        m[i] = tw_metric_new(mixed && i % 3 == 1 ? TW_METRIC_SUM : TW_METRIC_MEAN, NULL);
        if (!mixed || i % 3 != 2)
            tw_publisher_track(p, m[i], name, i % 2 ? TW_SPLIT_VAL : TW_SPLIT_TRAIN);
    }
    uint64_t rng = 88172645463325252ull;
    double t0 = now_s();
    for (long s = 0; s < steps; s++) {
        for (int i = 0; i < METRICS; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            double noise = (double)(rng >> 11) / 9007199254740992.0 - 0.5;
            float v = (float)(2.0 * exp(-(double)s / 2e5) * (1 + 0.1 * i) + 0.05 * noise);
            if (mixed && i % 3 == 2) {
                char name[32];
                snprintf(name, sizeof name, "lr%02d", i);
                tw_publisher_gauge(p, name, TW_SPLIT_TRAIN, v * 1e-3);
            } else {
                tw_metric_update_values(m[i], &v, NULL, 1, 1);
            }
        }
        tw_publisher_step(p);
        if ((s + 1) % EPOCH_STEPS == 0)
            tw_publisher_epoch_end(p);
        /* pace at ~400 k updates/s: the publisher's thread keeps up with that on a busy core */
        if ((s + 1) % 1000 == 0) {
            double due = t0 + (double)(s + 1) * METRICS / 4e5;
            double d = due - now_s();
            if (d > 0) {
                struct timespec ts = {0, (long)(d * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    tw_publisher_stats st = tw_publisher_get_stats(p);
    snprintf(path, pathlen, "%s", tw_publisher_log_path(p));
    for (int i = 0; i < METRICS; i++)
        tw_metric_destroy(&m[i]);
    tw_publisher_destroy(&p);
    return (long long)st.dropped;
}

static long long
file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Runs `trainwatch --once path` with its output to /dev/null, on one core when one_core
 * (TRAINWATCH_READ_AHEAD=0); its wall time in ms, or NAN; its CPU time (user + system) in ms
 * into *cpu. */
static double
time_once(const char *tw, const char *path, bool one_core, double *cpu)
{
    fflush(stdout);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        if (one_core)
            setenv("TRAINWATCH_READ_AHEAD", "0", 1);
        else
            unsetenv("TRAINWATCH_READ_AHEAD");
        execl(tw, tw, "--once", path, (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    *cpu = NAN;
    if (pid < 0 || wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 2)
        return NAN;
    double wall = (now_s() - t0) * 1e3;
    *cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-3;
    return wall;
}

/* The instructions `tw --once path` executes on one core, as valgrind's callgrind counts
 * them (the same count for the same binary and log, however loaded the machine is); NAN when
 * valgrind is not there or the count is not found. */
static double
instructions_once(const char *tw, const char *path)
{
    int fd[2];
    if (pipe(fd) != 0)
        return NAN;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        dup2(fd[1], 2);
        close(fd[0]);
        setenv("TRAINWATCH_READ_AHEAD", "0", 1);
        execlp("valgrind", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", tw,
               "--once", path, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        return NAN;
    }
    FILE *f = fdopen(fd[0], "r");
    char line[512];
    double n = NAN;
    while (f && fgets(line, sizeof line, f)) {
        const char *c = strstr(line, "Collected : ");
        if (c)
            n = strtod(c + 12, NULL);
    }
    if (f)
        fclose(f);
    else
        close(fd[0]);
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 2)
        return NAN;
    return n;
}

/* The times of RUNS runs of `tw --once` one way: wall ms, CPU ms, M records per CPU second. */
typedef struct runs {
    double t[RUNS], cpu[RUNS], rate[RUNS];
} runs;

static void
print_runs(runs *r, const char *how)
{
    bench_sort(r->t, RUNS);
    bench_sort(r->cpu, RUNS);
    bench_sort(r->rate, RUNS);
    printf("  %s: median %.1f ms (%.1f..%.1f), CPU %.1f ms (%.1f..%.1f)\n", how, r->t[RUNS / 2],
           r->t[0], r->t[RUNS - 1], r->cpu[RUNS / 2], r->cpu[0], r->cpu[RUNS - 1]);
}

/* Runs `tw --once path` RUNS times as users run it (*as) and RUNS times on one core (*one),
 * alternating, and prints the times of both, sorted. */
static void
load_runs(const char *tw, const char *path, long long dropped, const char *what, runs *as,
          runs *one)
{
    for (int i = 0; i < 2 * RUNS; i++) {
        runs *r = i % 2 ? one : as;
        r->t[i / 2] = time_once(tw, path, i % 2, &r->cpu[i / 2]);
        r->rate[i / 2] = 1e6 / r->cpu[i / 2] / 1e3; /* M records per CPU second */
    }
    printf("--once on 20 x 50 000 steps%s (%lld bytes, %lld dropped):\n", what, file_size(path),
           dropped);
    print_runs(as, "as run (read ahead by a thread on 2+ cores)");
    print_runs(one, "on one core (TRAINWATCH_READ_AHEAD=0)    ");
}

/* Runs the shell command fmt..., its output to /dev/null; its exit status (-1: not run). */
static int
sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd - 16)
        return -1;
    strcat(cmd, " >/dev/null 2>&1");
    fflush(stdout);
    int st = system(cmd);
    return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* The output of the shell command cmd (at most cap - 1 bytes, NUL-terminated) into out. */
static void
output_of(const char *cmd, char *out, size_t cap)
{
    size_t got = 0;
    FILE *p = popen(cmd, "r");
    while (p && got < cap - 1) {
        size_t k = fread(out + got, 1, cap - 1 - got, p);
        if (k == 0)
            break;
        got += k;
    }
    if (p)
        pclose(p);
    out[got] = '\0';
}

/* Whether the bytes a terminal was sent, buf[0..n), show `text` on a 160 x 45 screen: replayed
 * into a session of tmux server sock (a real terminal emulator), its screen captured once tmux
 * has taken them all (a pane title set after them, which tmux reads in order). */
static bool
replay_shows(const char *sock, const char *dir, const uint8_t *buf, size_t n, const char *text)
{
    static char screen[1 << 16];
    char file[1100], cmd[2600];
    snprintf(file, sizeof file, "%s/replay.bytes", dir);
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0)
        return false;
    if (sh("tmux -L %s new-session -d -s replay -x 160 -y 45 \"cat '%s'; printf "
           "'\\033]2;replayed\\033\\\\'; sleep 60\"",
           sock, file) != 0)
        return false;
    snprintf(cmd, sizeof cmd, "tmux -L %s display-message -p -t replay '#{pane_title}'", sock);
    bool taken = false;
    for (double t0 = now_s(); !taken && now_s() - t0 < 10;) {
        output_of(cmd, screen, sizeof screen);
        taken = strncmp(screen, "replayed", 8) == 0;
    }
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t replay 2>/dev/null", sock);
    output_of(cmd, screen, sizeof screen);
    sh("tmux -L %s kill-session -t replay", sock);
    return taken && strstr(screen, text) != NULL;
}

/* Item 3, once: starts `tw path` on a 160 x 45 pseudo-terminal and reads what it writes, each
 * burst's end timed, until it has been quiet for 0.5 s (20 s at most); then replays the bytes
 * up to each burst's end into tmux. Returns the ms from the start to the end of the first
 * burst after which the screen shows `done`, or NAN. */
static double
first_frame(const char *tw, const char *path, const char *done, const char *sock, const char *dir)
{
    char *const av[] = {(char *)tw, (char *)path, NULL};
    size_t cap = 1 << 22, len = 0, n_b = 0, ends[64];
    double at[64], last = 0, t0 = now_s(), t = 0;
    uint8_t *buf = malloc(cap);
    int m;
    pid_t pid = buf ? bench_spawn_pty(av, dir, 160, 45, &m) : -1;
    if (pid < 0) {
        free(buf);
        return NAN;
    }
    while (len < cap && t < 20e3 && !(len && t - last > 500)) {
        struct pollfd pf = {.fd = m, .events = POLLIN};
        int r = poll(&pf, 1, 50);
        t = (now_s() - t0) * 1e3;
        if (r <= 0)
            continue;
        ssize_t k = read(m, buf + len, cap - len);
        if (k <= 0)
            break; /* it exited */
        len += (size_t)k;
        if (n_b == 0 || (t - last > 3 && n_b < 64))
            n_b++; /* a new burst: 3 ms or more after the last bytes */
        ends[n_b - 1] = len;
        at[n_b - 1] = last = t;
    }
    if (write(m, "q", 1) != 1)
        kill(pid, SIGTERM);
    bench_reap(pid, 5);
    close(m);
    double ms = NAN;
    for (size_t i = 0; i < n_b && isnan(ms); i++)
        if (replay_shows(sock, dir, buf, ends[i], done))
            ms = at[i];
    free(buf);
    return ms;
}

/* Item 3: RUNS times first_frame; those that gave a figure sorted into t. Returns how many
 * did, or -1 without tmux. */
static int
first_frames(const char *tw, const char *path, const char *done, double *t)
{
    char sock[64], dir[] = "/tmp/bench_runlog_ui.XXXXXX";
    snprintf(sock, sizeof sock, "bench-runlog-%d", (int)getpid());
    if (!mkdtemp(dir))
        return -1;
    int n = sh("tmux -L %s -f /dev/null new-session -d -s idle 'sleep 600'", sock) == 0 ? 0 : -1;
    for (int i = 0; n >= 0 && i < RUNS; i++) {
        double ms = first_frame(tw, path, done, sock, dir);
        if (!isnan(ms))
            t[n++] = ms;
    }
    sh("tmux -L %s kill-server", sock);
    sh("rm -rf '%s'", dir);
    if (n > 0)
        bench_sort(t, (size_t)n);
    return n;
}

/* Writes the frames of the log at src into a new log dst of format `version` (zstd level 1).
 * Returns 0, or -1 when a frame could not be read or written. */
static int
convert(const char *src, const char *dst, unsigned version)
{
    tw_runlog_reader *r = tw_runlog_reader_open(src);
    tw_runlog_writer *w = tw_runlog_writer_open_version(dst, 1000, 0600, 1, version);
    const uint8_t *p;
    size_t n;
    int rc = r && w ? 0 : -1;
    while (rc == 0 && tw_runlog_reader_next(r, &p, &n) == TW_RUNLOG_FRAME)
        rc = tw_runlog_writer_append(w, p, n) == 0 ? 0 : -1;
    if (w && tw_runlog_writer_close(&w) != 0)
        rc = -1;
    tw_runlog_reader_close(&r);
    return rc;
}

/* The log at path (format 3) against the same log in format version 2, on one core, RUNS
 * times each, alternating: the sizes, the CPU times, and version 3's CPU as a share of 2's. */
static void
against_version2(const char *tw, const char *dir, const char *path)
{
    char v2[1100];
    snprintf(v2, sizeof v2, "%s/version2.twlog", dir);
    if (convert(path, v2, 2) != 0) {
        fprintf(stderr, "bench_runlog: could not write the log in format version 2\n");
        return;
    }
    runs a, b;
    for (int i = 0; i < 2 * RUNS; i++) {
        runs *r = i % 2 ? &b : &a;
        r->t[i / 2] = time_once(tw, i % 2 ? v2 : path, true, &r->cpu[i / 2]);
        r->rate[i / 2] = 1e6 / r->cpu[i / 2] / 1e3;
    }
    long long s3 = file_size(path), s2 = file_size(v2);
    printf("the same log in format version 2 (%lld bytes; version 3: %lld, %.1f %% fewer):\n", s2,
           s3, 100.0 * (1.0 - (double)s3 / (double)s2));
    print_runs(&a, "version 3, one core, alternating");
    print_runs(&b, "version 2, one core, alternating");
    bench_summary("--once on 1 M records, format version 2 (before): per CPU second, one core",
                  b.rate[RUNS / 2], "M rec/s", BENCH_INFO, NAN, "-", b.rate[0], b.rate[RUNS - 1]);
    bench_summary("--once on 1 M records: CPU of format 3 / format 2, one core",
                  a.cpu[RUNS / 2] / b.cpu[RUNS / 2], "x", BENCH_INFO, NAN, "-", NAN, NAN);
    bench_summary("run log bytes, format 3 / format 2 (the same log)", (double)s3 / (double)s2, "x",
                  BENCH_INFO, NAN, "-", NAN, NAN);
    if (getenv("BENCH_RUNLOG_NO_COUNT"))
        return;
    double i3 = instructions_once(tw, path), i2 = instructions_once(tw, v2);
    if (isnan(i3) || isnan(i2)) {
        printf("instructions: not counted (valgrind missing or failed)\n");
        return;
    }
    printf("instructions (valgrind --tool=callgrind, one core): version 3 %.0f, version 2 %.0f\n",
           i3, i2);
    bench_summary("--once on 1 M records: instructions per record, one core (callgrind)", i3 / 1e6,
                  "instr", BENCH_INFO, NAN, "-", NAN, NAN);
    bench_summary("--once on 1 M records, format version 2: instructions per record (callgrind)",
                  i2 / 1e6, "instr", BENCH_INFO, NAN, "-", NAN, NAN);
}

static void
remove_dir(const char *dir)
{
    if (getenv("BENCH_RUNLOG_KEEP")) {
        printf("kept %s (BENCH_RUNLOG_KEEP)\n", dir);
        return;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_runlog: could not remove %s\n", dir);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRAINWATCH [STEPS_SIZE]\n", argv[0]);
        return 2;
    }
    const char *env = getenv("BENCH_RUNLOG_STEPS");
    long steps = argc > 2 ? atol(argv[2]) : env ? atol(env) : 1000000;
    char dir[] = "/tmp/bench_runlog.XXXXXX", path[1024];
    if (!mkdtemp(dir))
        return 1;

    long long dropped = write_log(dir, steps, false, path, sizeof path);
    long long bytes = file_size(path);
    double per = (double)bytes / ((double)METRICS * (double)steps);
    printf("run log: %d Means x %ld steps: %lld bytes, %.2f bytes per update (%lld dropped)\n",
           METRICS, steps, bytes, per, dropped);
    char name[96];
    snprintf(name, sizeof name, "run log bytes per scalar update, 20 x %ld steps", steps);
    if (dropped == 0 && bytes > 0)
        bench_summary(name, per, "bytes", BENCH_AT_MOST, 16, "<= 16", NAN, NAN);
    else
        fprintf(stderr, "bench_runlog: %lld records dropped: no size figure\n", dropped);
    remove_dir(dir);

    if (!mkdtemp(strcpy(dir, "/tmp/bench_runlog.XXXXXX")))
        return 1;
    dropped = write_log(dir, 50000, false, path, sizeof path);
    runs as, one;
    load_runs(argv[1], path, dropped, "", &as, &one);
    bench_summary("--once on a run log of 20 x 50 000 steps (1 M records)", as.t[RUNS / 2], "ms",
                  BENCH_AT_MOST, 100, "<= 100 ms", as.t[0], as.t[RUNS - 1]);
    bench_summary("--once on 1 M records: decoded and merged per CPU second, one core",
                  one.rate[RUNS / 2], "M rec/s", BENCH_AT_LEAST, 10, ">= 10 M/s", one.rate[0],
                  one.rate[RUNS - 1]);
    against_version2(argv[1], dir, path);
    double ff[RUNS];
    int nf = first_frames(argv[1], path, "ended at epoch 50, step 50000", ff);
    if (nf > 0) {
        printf("the UI on a 160 x 45 terminal, start to the frame that shows the whole log: median "
               "%.1f ms (%.1f..%.1f) of %d runs (of %d)\n",
               ff[nf / 2], ff[0], ff[nf - 1], nf, RUNS);
        bench_summary("UI on 1 M records: start to the frame that shows them", ff[nf / 2], "ms",
                      BENCH_AT_MOST, 100, "<= 100 ms", ff[0], ff[nf - 1]);
    } else {
        printf("the UI's first frame: not measured (%s)\n",
               nf < 0 ? "tmux is missing" : "no frame replayed showed the whole log");
    }
    remove_dir(dir);

    if (!mkdtemp(strcpy(dir, "/tmp/bench_runlog.XXXXXX")))
        return 1;
    dropped = write_log(dir, 50000, true, path, sizeof path);
    load_runs(argv[1], path, dropped, " of Means, Sums and gauges", &as, &one);
    bench_summary("--once on 1 M records of mixed kinds: per CPU second, one core",
                  one.rate[RUNS / 2], "M rec/s", BENCH_INFO, NAN, "-", one.rate[0],
                  one.rate[RUNS - 1]);
    remove_dir(dir);
    return 0;
}
