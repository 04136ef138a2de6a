/* bench_proc.h - what the benches that drive real processes share: clocks, the real monitor
 * on a pseudo-terminal, and a process's memory, CPU time and wake-ups from /proc.
 *
 * Header-only (static functions), like bench_summary.h: each bench is one .c file. */
#ifndef TW_BENCH_PROC_H
#define TW_BENCH_PROC_H

#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Sleeps until absolute monotonic time t (seconds). */
static inline void
bench_sleep_until(double t)
{
    struct timespec ts = {.tv_sec = (time_t)t, .tv_nsec = (long)((t - floor(t)) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* A field of /proc/PID/status in kB ("VmRSS", "VmHWM", ...); -1 when unreadable. */
static inline long
bench_proc_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t len = strlen(field);
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kb = strtol(line + len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* CPU seconds (utime + stime) a process has used, from /proc/PID/stat; NaN when unreadable. */
static inline double
bench_proc_cpu(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* fields after the command name, which is in parentheses and may hold spaces */
    char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return NAN;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Wake-ups of process pid's threads: their voluntary context switches (each a sleep, on a
 * poll, a futex, I/O, that the thread woke from), from /proc/PID/task/TID/status; only the
 * threads named `name` (their comm, e.g. "trainwatch-pub") unless NULL. -1 when none could be
 * read. */
static inline long
bench_proc_wakes(pid_t pid, const char *name)
{
    char path[320], line[256];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long sum = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        FILE *f;
        if (name) {
            snprintf(path, sizeof path, "/proc/%d/task/%s/comm", (int)pid, e->d_name);
            if (!(f = fopen(path, "r")))
                continue;
            bool named = fgets(line, sizeof line, f) && strcspn(line, "\n") == strlen(name) &&
                         strncmp(line, name, strlen(name)) == 0;
            fclose(f);
            if (!named)
                continue;
        }
        snprintf(path, sizeof path, "/proc/%d/task/%s/status", (int)pid, e->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0)
                sum = (sum < 0 ? 0 : sum) + strtol(line + 24, NULL, 10);
        fclose(f);
    }
    closedir(d);
    return sum;
}

/* Starts argv[0] (the real monitor) on a new pty of cols x rows with TERM xterm-256color, a
 * UTF-8 locale and XDG_RUNTIME_DIR=rundir (so that no other run of this user is discovered).
 * Returns its pid and the pty master in *master, or -1. */
static inline pid_t
bench_spawn_pty(char *const argv[], const char *rundir, int cols, int rows, int *master)
{
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    const char *slave;
    pid_t pid;

    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(slave = ptsname(m))) {
        perror("bench: pty");
        return -1;
    }
    ioctl(m, TIOCSWINSZ, &ws);
    pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        return -1;
    }
    if (pid == 0) {
        int s;
        setsid();
        s = open(slave, O_RDWR);
        if (s < 0)
            _exit(127);
        ioctl(s, TIOCSCTTY, 0);
        ioctl(s, TIOCSWINSZ, &ws);
        dup2(s, 0);
        dup2(s, 1);
        dup2(s, 2);
        if (s > 2)
            close(s);
        close(m);
        setenv("TERM", "xterm-256color", 1);
        setenv("LANG", "C.UTF-8", 1);
        setenv("LC_ALL", "C.UTF-8", 1);
        setenv("XDG_RUNTIME_DIR", rundir, 1);
        unsetenv("LINES");
        unsetenv("COLUMNS");
        execv(argv[0], argv);
        _exit(127);
    }
    *master = m;
    return pid;
}

/* Starts argv[0] (the real monitor, headless: --once or --jsonl in argv) with its standard
 * output on out_fd (-1: /dev/null) and XDG_RUNTIME_DIR=rundir. Returns its pid, or -1. */
static inline pid_t
bench_spawn_headless(char *const argv[], const char *rundir, int out_fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        setenv("XDG_RUNTIME_DIR", rundir, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* A thread that reads a pty master and throws the bytes away (counting them), so that the
 * monitor never blocks on a full terminal. */
typedef struct bench_drain {
    int fd;
    atomic_bool stop;
    atomic_ullong bytes;
    pthread_t th;
} bench_drain;

static inline void *
bench_drain_main(void *arg)
{
    bench_drain *d = arg;
    char buf[65536];
    while (!atomic_load(&d->stop)) {
        struct pollfd p = {.fd = d->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(d->fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break; /* the monitor is gone (EIO) */
        atomic_fetch_add(&d->bytes, (unsigned long long)n);
    }
    return NULL;
}

static inline int
bench_drain_start(bench_drain *d, int fd)
{
    d->fd = fd;
    atomic_store(&d->stop, false);
    atomic_store(&d->bytes, 0);
    return pthread_create(&d->th, NULL, bench_drain_main, d) == 0 ? 0 : -1;
}

static inline void
bench_drain_stop(bench_drain *d)
{
    atomic_store(&d->stop, true);
    pthread_join(d->th, NULL);
}

/* Waits up to `seconds` for pid to exit, then SIGKILLs it; returns its wait status. */
static inline int
bench_reap(pid_t pid, double seconds)
{
    int status = 0;
    for (double t = tw_clock_mono() + seconds; tw_clock_mono() < t;) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

/* Quits the monitor running on the pty `master` (key q, else SIGTERM), reaps it, stops the
 * drain and closes the pty. */
static inline void
bench_quit_pty(pid_t mon, int master, bench_drain *d)
{
    if (write(master, "q", 1) != 1)
        kill(mon, SIGTERM);
    bench_reap(mon, 5);
    bench_drain_stop(d);
    close(master);
}

/* Reads a long from the environment, or dflt when unset or not a number >= lo. */
static inline long
bench_env_long(const char *name, long dflt, long lo)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    long x = strtol(v, &end, 10);
    return *end || x < lo ? dflt : x;
}

#endif
