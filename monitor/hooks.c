/* hooks.c - the --on-alert process manager: spawn, rate limit, reap (hooks.h). */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tw_hooks {
    const char *cmd;
    bool quiet;
    tw_hooks_report_fn *report;
    void *ctx;
    pid_t running[TW_HOOKS_MAX]; /* 0: a free slot */
    double last_run;             /* monotonic time of the last start; 0: none yet */
    uint64_t skipped;            /* alerts not passed to the command */
    uint64_t reported;           /* skipped when last reported */
};

tw_hooks *
tw_hooks_new(const char *cmd, bool quiet, tw_hooks_report_fn *report, void *ctx)
{
    tw_hooks *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->cmd = cmd;
    h->quiet = quiet;
    h->report = report;
    h->ctx = ctx;
    return h;
}

void
tw_hooks_destroy(tw_hooks **hp)
{
    if (!hp || !*hp)
        return;
    free(*hp);
    *hp = NULL;
}

static void
report(const tw_hooks *h, const char *msg)
{
    if (h->report)
        h->report(h->ctx, msg);
}

/* In the child: stdin from the pipe, stdout and stderr as the header says, then sh -c. */
static void
exec_child(const tw_hooks *h, int in)
{
    dup2(in, STDIN_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC); /* the command gets only 0, 1, 2 */
    if (h->quiet && null >= 0) {                        /* keep the screen clean */
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    } else {
        dup2(STDERR_FILENO, STDOUT_FILENO); /* stdout is for trainwatch's own output */
    }
    signal(SIGPIPE, SIG_DFL); /* the monitor ignores it; `yes | head` in CMD must not */
    execl("/bin/sh", "sh", "-c", h->cmd, (char *)NULL);
    _exit(127);
}

int
tw_hooks_run(tw_hooks *h, const char *json, size_t len, double now)
{
    int slot = -1;
    for (int i = 0; i < TW_HOOKS_MAX && slot < 0; i++)
        if (h->running[i] == 0)
            slot = i;
    if (slot < 0 || (h->last_run > 0 && now - h->last_run < TW_HOOKS_SECONDS)) {
        h->skipped++;
        return -EAGAIN;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        h->skipped++;
        return -errno;
    }
    pid_t pid = fork();
    if (pid == 0)
        exec_child(h, fds[0]);
    int err = errno;
    close(fds[0]);
    if (pid < 0) {
        close(fds[1]);
        h->skipped++;
        return -err;
    }
    /* An alert is a few hundred bytes and the pipe empty (64 KiB on Linux): the writes do not
     * block; O_NONBLOCK makes sure of it (a longer text would be cut, never waited for). */
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    struct iovec iov[2] = {{(void *)json, len}, {(void *)"\n", 1}};
    ssize_t w = writev(fds[1], iov, 2);
    (void)w;
    close(fds[1]);
    h->running[slot] = pid;
    h->last_run = now;
    return 0;
}

/* Reaps the finished commands and reports the failed ones. */
static void
reap_children(tw_hooks *h)
{
    for (int i = 0; i < TW_HOOKS_MAX; i++) {
        int st;
        if (h->running[i] <= 0 || waitpid(h->running[i], &st, WNOHANG) != h->running[i])
            continue;
        h->running[i] = 0;
        char msg[128] = "";
        if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
            snprintf(msg, sizeof msg, "--on-alert command exited with status %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            snprintf(msg, sizeof msg, "--on-alert command killed by signal %d", WTERMSIG(st));
        if (msg[0])
            report(h, msg);
    }
}

/* Reports the alerts skipped since the last report. */
static void
report_skipped_now(tw_hooks *h, bool report_skipped)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%llu alerts not passed to --on-alert (at most one every %.0f s)",
             (unsigned long long)(h->skipped - h->reported), TW_HOOKS_SECONDS);
    h->reported = h->skipped;
    if (report_skipped)
        report(h, msg);
}

void
tw_hooks_reap(tw_hooks *h, double now, bool report_skipped)
{
    reap_children(h);
    if (h->skipped != h->reported && now - h->last_run >= TW_HOOKS_SECONDS)
        report_skipped_now(h, report_skipped);
}

int
tw_hooks_running(const tw_hooks *h)
{
    int n = 0;
    for (int i = 0; i < TW_HOOKS_MAX; i++)
        n += h->running[i] > 0;
    return n;
}

double
tw_hooks_next_due(const tw_hooks *h)
{
    return h->skipped != h->reported ? h->last_run + TW_HOOKS_SECONDS : INFINITY;
}

void
tw_hooks_drain(tw_hooks *h, double seconds)
{
    int tenths = (int)(seconds * 10 + 0.5);
    for (int i = 0; i < tenths && tw_hooks_running(h) > 0; i++) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        reap_children(h);
    }
}

void
tw_hooks_report_skipped(tw_hooks *h)
{
    if (h->skipped != h->reported)
        report_skipped_now(h, true);
}
