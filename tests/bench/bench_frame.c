/* bench_frame.c - bytes the monitor writes to its terminal per frame while data streams in,
 * and while nothing changes.
 *
 * The real trainwatch binary (argv[1]) runs on a pseudo-terminal of 200 x 60 (posix_openpt),
 * given as SOURCE the tcp endpoint of a publisher that lives in this process. The publisher
 * feeds 8 tracked metrics, each updated 1000 times a second (one step a millisecond, an epoch
 * every 1000 steps), for a warm-up (connection, first full paint; not counted), then for the
 * measured active phase, then stops updating (it stays alive and keeps its heartbeats) for
 * the idle phase. A reader thread counts the bytes the monitor writes, by phase; a frame is a
 * burst of output after a quiet gap (ncurses writes a frame in one doupdate). Printed: bytes
 * per second, frames per second, bytes per frame, and idle bytes, beside the targets
 * (<= 1 KB per incremental frame; 0 bytes when idle). Exit status 0 even when a target is
 * missed: the figures are the result. With BENCH_FRAME_DUMP=PREFIX set, the bytes of each
 * phase also go to PREFIX.active, PREFIX.idle, ... (frames apart by a NUL byte) to see what a
 * frame rewrites. */
#define _GNU_SOURCE
#include "trainwatch.h"

#include "bench_proc.h"
#include "bench_summary.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define COLS           200
#define ROWS           60
#define N_METRICS      8
#define STEP_HZ        1000 /* updates of each metric a second */
#define STEPS_PER_EP   1000
#define WARMUP_SECONDS 3.0
#define ACTIVE_SECONDS 5.0
#define SETTLE_SECONDS 0.5 /* after the last update: the frame showing it may still come */
#define IDLE_SECONDS   5.0
#define FRAME_GAP                                                                                  \
    0.02 /* seconds of silence that end a burst (the monitor's frames are                          \
            0.1 s apart) */
#define TARGET_FRAME 1024.0

enum { PH_WARMUP, PH_ACTIVE, PH_SETTLE, PH_IDLE, PH_DONE, PH_N };
static const char *const phase_names[PH_N] = {"warm-up", "active", "settle", "idle", "done"};

/* What the reader thread counts, per phase. */
typedef struct counts {
    atomic_int phase;
    atomic_bool stop;
    int fd;
    unsigned long long bytes[PH_N];
    unsigned long long frames[PH_N];
    double phase_start[PH_N];
    FILE *dump[PH_N];
    unsigned long long burst[4096]; /* sizes of the active phase's frames */
    size_t n_burst;
} counts;

/* Reads the pty master until told to stop, counting bytes and bursts by phase. */
static void *
reader(void *arg)
{
    counts *c = arg;
    char buf[65536];
    double last = 0;

    while (!atomic_load(&c->stop)) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        ssize_t n;
        int ph;

        if (poll(&p, 1, 50) <= 0)
            continue;
        n = read(c->fd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            break; /* the monitor is gone (EIO) */
        }
        ph = atomic_load(&c->phase);
        c->bytes[ph] += (unsigned long long)n;
        if (ph == PH_ACTIVE) {
            if (tw_clock_mono() - last > FRAME_GAP &&
                c->n_burst < sizeof c->burst / sizeof c->burst[0])
                c->burst[c->n_burst++] = 0;
            if (c->n_burst)
                c->burst[c->n_burst - 1] += (unsigned long long)n;
        }
        if (c->dump[ph] && tw_clock_mono() - last > FRAME_GAP && c->frames[ph])
            fputc('\0', c->dump[ph]); /* frames apart: a NUL byte, which ncurses never writes */
        if (c->dump[ph])
            fwrite(buf, 1, (size_t)n, c->dump[ph]);
        if (tw_clock_mono() - last > FRAME_GAP)
            c->frames[ph]++;
        last = tw_clock_mono();
    }
    return NULL;
}

static int
cmp_ull(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return (x > y) - (x < y);
}

/* One paced step: every metric updated, the step published, the epoch closed every
 * STEPS_PER_EP steps. */
static void
train_step(tw_publisher *pub, tw_metric **m, unsigned long long step)
{
    double t = (double)step / STEPS_PER_EP;

    for (int k = 0; k < N_METRICS; k++) {
        double v = (1.0 + k) * exp(-t / (4.0 + k)) + 0.05 * sin((double)step * (0.37 + k));
        tw_metric_update_scalar(m[k], v, 1.0);
    }
    tw_publisher_step(pub);
    if (step % STEPS_PER_EP == 0)
        tw_publisher_epoch_end(pub);
}

int
main(int argc, char **argv)
{
    static const char *const names[N_METRICS] = {"loss", "accuracy", "precision", "recall",
                                                 "mse",  "mae",      "grad_norm", "throughput"};
    tw_publisher_options o = tw_publisher_defaults();
    tw_metric *m[N_METRICS] = {0};
    tw_publisher *pub;
    char rundir[] = "/tmp/tw-bench-frame-XXXXXX";
    counts c;
    pthread_t th;
    pid_t pid;
    int status = 0;
    unsigned long long step = 0;
    double t0, t, active_s, idle_s;

    if (argc < 2) {
        fprintf(stderr, "usage: %s TRAINWATCH\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(rundir)) {
        perror("bench_frame: mkdtemp");
        return 1;
    }
    chmod(rundir, 0700);
    o.endpoint = "tcp://127.0.0.1:0";
    o.run_name = "bench-frame";
    o.log_dir = "off";
    o.heartbeat_ms = 1000;
    pub = tw_publisher_new(&o);
    if (!pub) {
        fprintf(stderr, "bench_frame: publisher: %s\n", strerror(errno));
        return 1;
    }
    tw_publisher_set_plan(pub, 1000, STEPS_PER_EP);
    for (int k = 0; k < N_METRICS; k++) {
        m[k] = tw_metric_new(TW_METRIC_MEAN, NULL);
        if (!m[k] || tw_publisher_track(pub, m[k], names[k], TW_SPLIT_TRAIN) < 0) {
            fprintf(stderr, "bench_frame: cannot track %s\n", names[k]);
            return 1;
        }
    }

    memset(&c, 0, sizeof c);
    if (getenv("BENCH_FRAME_DUMP")) {
        for (int ph = PH_WARMUP; ph < PH_N; ph++) {
            char path[4096];
            snprintf(path, sizeof path, "%s.%s", getenv("BENCH_FRAME_DUMP"), phase_names[ph]);
            c.dump[ph] = fopen(path, "wb");
        }
    }
    char *mon_argv[] = {argv[1], (char *)tw_publisher_endpoint(pub), NULL};
    pid = bench_spawn_pty(mon_argv, rundir, COLS, ROWS, &c.fd);
    if (pid < 0)
        return 1;
    atomic_store(&c.phase, PH_WARMUP);
    if (pthread_create(&th, NULL, reader, &c) != 0) {
        fprintf(stderr, "bench_frame: thread\n");
        kill(pid, SIGTERM);
        return 1;
    }

    /* Warm-up and active phases: one step a millisecond, paced on absolute times. */
    t0 = tw_clock_mono();
    c.phase_start[PH_WARMUP] = t0;
    for (t = t0;; t += 1.0 / STEP_HZ) {
        double now = tw_clock_mono();
        if (atomic_load(&c.phase) == PH_WARMUP && now - t0 >= WARMUP_SECONDS) {
            c.phase_start[PH_ACTIVE] = now;
            atomic_store(&c.phase, PH_ACTIVE);
        }
        if (now - t0 >= WARMUP_SECONDS + ACTIVE_SECONDS)
            break;
        train_step(pub, m, ++step);
        bench_sleep_until(t + 1.0 / STEP_HZ);
    }
    c.phase_start[PH_SETTLE] = tw_clock_mono();
    atomic_store(&c.phase, PH_SETTLE);
    bench_sleep_until(c.phase_start[PH_SETTLE] + SETTLE_SECONDS);
    c.phase_start[PH_IDLE] = tw_clock_mono();
    atomic_store(&c.phase, PH_IDLE);
    bench_sleep_until(c.phase_start[PH_IDLE] + IDLE_SECONDS);
    c.phase_start[PH_DONE] = tw_clock_mono();
    atomic_store(&c.phase, PH_DONE);

    /* q quits the monitor; it restores the terminal (counted under "done"). */
    if (write(c.fd, "q", 1) != 1)
        kill(pid, SIGTERM);
    for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(100000);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    atomic_store(&c.stop, true);
    pthread_join(th, NULL);
    close(c.fd);
    for (int ph = PH_WARMUP; ph < PH_N; ph++)
        if (c.dump[ph])
            fclose(c.dump[ph]);

    active_s = c.phase_start[PH_SETTLE] - c.phase_start[PH_ACTIVE];
    idle_s = c.phase_start[PH_DONE] - c.phase_start[PH_IDLE];
    printf("bench_frame: trainwatch on a %dx%d pty, %d metrics x %d updates/s, %.0f steps "
           "published\n",
           COLS, ROWS, N_METRICS, STEP_HZ, (double)step);
    for (int ph = PH_WARMUP; ph <= PH_DONE; ph++)
        printf("  %-8s %10llu bytes  %5llu frames\n", phase_names[ph], c.bytes[ph], c.frames[ph]);
    {
        double bps = (double)c.bytes[PH_ACTIVE] / active_s;
        double fps = (double)c.frames[PH_ACTIVE] / active_s;
        double bpf = c.frames[PH_ACTIVE] ? (double)c.bytes[PH_ACTIVE] / c.frames[PH_ACTIVE] : 0;
        printf("  streaming: %.0f bytes/s over %.1f s, %.1f frames/s (target ~10)\n", bps, active_s,
               fps);
        double med = 0, p90 = 0, max = 0;
        if (c.n_burst) {
            qsort(c.burst, c.n_burst, sizeof c.burst[0], cmp_ull);
            med = (double)c.burst[c.n_burst / 2];
            p90 = (double)c.burst[c.n_burst * 9 / 10];
            max = (double)c.burst[c.n_burst - 1];
        }
        printf("  per frame: mean %.0f bytes (target <= %.0f)  %s\n", bpf, TARGET_FRAME,
               bpf <= TARGET_FRAME ? "ok" : "MISSED");
        printf("  per frame: median %.0f, p90 %.0f, max %.0f bytes (an epoch end rescales the "
               "x axis: every curve cell moves)\n",
               med, p90, max);
        printf("  idle (%.1f s after a %.1f s settle): %llu bytes (target 0)  %s\n", idle_s,
               SETTLE_SECONDS, c.bytes[PH_IDLE], c.bytes[PH_IDLE] == 0 ? "ok" : "MISSED");
        bench_summary("frame bytes, mean per frame (200x60)", bpf, "bytes", BENCH_AT_MOST,
                      TARGET_FRAME, "<= 1024", NAN, NAN);
        bench_summary("frame bytes, median per frame", med, "bytes", BENCH_AT_MOST, TARGET_FRAME,
                      "<= 1024", NAN, NAN);
        bench_summary("frame bytes, p90 per frame", p90, "bytes", BENCH_INFO, 0, "-", NAN, NAN);
        bench_summary("frame bytes/s while streaming", bps, "bytes/s", BENCH_INFO, 0, "-", NAN,
                      NAN);
        bench_summary("frame bytes while idle (5 s)", (double)c.bytes[PH_IDLE], "bytes",
                      BENCH_AT_MOST, 0, "0", NAN, NAN);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("  note: the monitor exited with status %d\n",
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

    tw_publisher_destroy(&pub);
    for (int k = 0; k < N_METRICS; k++)
        tw_metric_destroy(&m[k]);
    rmdir(rundir);
    return 0;
}
