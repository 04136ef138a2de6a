/* hooks.h - the --on-alert process manager: runs `sh -c CMD` per alert, rate-limited, reaped.
 *
 * Each alert that fires is handed to a new `/bin/sh -c CMD` as one line of JSON on its
 * standard input (written into a pipe at once: the command never makes the monitor wait).
 * At most TW_HOOKS_MAX commands run at a time and one starts every TW_HOOKS_SECONDS; an alert
 * that finds no room is counted as skipped, and the count is told once the rate limit has
 * passed, or when the monitor ends. Finished commands are reaped without waiting; one that
 * failed (a non-zero status, a signal) is told through the report callback. Commands run with
 * SIGPIPE at its default. The caller ignores SIGPIPE, as the monitor does: a command that
 * exits without reading its input makes the write fail with EPIPE, not kill the caller. */
#ifndef TW_HOOKS_H
#define TW_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TW_HOOKS_MAX     4   /* commands running at once, at most */
#define TW_HOOKS_SECONDS 2.0 /* a command starts at most once per this many seconds */

/* Told a sentence about a command that failed, or about skipped alerts. */
typedef void tw_hooks_report_fn(void *ctx, const char *msg);

typedef struct tw_hooks tw_hooks;

/* A manager for `sh -c cmd` (cmd borrowed: it must outlive the manager). With quiet, the
 * commands' standard output and error go to /dev/null (the terminal UI owns the screen);
 * else their standard output goes to the monitor's standard error (its standard output is
 * for its own results). report (may be NULL) is called with ctx. NULL with errno ENOMEM. */
tw_hooks *tw_hooks_new(const char *cmd, bool quiet, tw_hooks_report_fn *report, void *ctx);

/* Frees the manager; commands still running are left to run (never waited for here).
 * NULL-safe; sets *h to NULL. */
void tw_hooks_destroy(tw_hooks **h);

/* Starts the command with json (len bytes; a newline is added) on its standard input, at
 * monotonic time now. Returns 0 when started; -EAGAIN when the rate limit or the number of
 * running commands refused it, or a negative errno when the pipe or the fork failed (both
 * counted as skipped). */
int tw_hooks_run(tw_hooks *h, const char *json, size_t len, double now);

/* Reaps the commands that finished (never waits) and reports those that failed; then, when
 * alerts were skipped since the last report and the rate limit has passed at now, reports
 * "N alerts not passed to --on-alert (at most one every 2 s)" once (only when report_skipped:
 * the count is forgotten otherwise, as the UI does not show it). */
void tw_hooks_reap(tw_hooks *h, double now, bool report_skipped);

/* How many commands run now (not yet reaped). */
int tw_hooks_running(const tw_hooks *h);

/* The monotonic time at which tw_hooks_reap has a skipped count to report, or INFINITY. (A
 * command's end is not a timer: the caller learns it from SIGCHLD.) */
double tw_hooks_next_due(const tw_hooks *h);

/* Gives running commands up to `seconds` to finish, reaping and reporting them (at exit, so
 * that a failure is told). */
void tw_hooks_drain(tw_hooks *h, double seconds);

/* Reports the alerts skipped and not reported yet, now, whatever the rate limit says (at
 * exit: the wait for the next report would never end). */
void tw_hooks_report_skipped(tw_hooks *h);

#endif
