/* main.c - the trainwatch program: the one event loop, its timers, signals, exit status. */
#define _GNU_SOURCE
#include "app.h"
#include "clock.h"
#include "completion.h"
#include "export.h"
#include "keygen.h"
#include "out.h"
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH            256  /* messages (and log frames) per loop pass */
#define FRAME_SECONDS    0.1  /* at most ~10 redraws a second after a key, a resize, a notice */
#define DATA_SECONDS     0.2  /* ... and 5 when only the data changed (a stream's frames) */
#define TICK_SECONDS     0.25 /* time-based store states, while a run can still change by time */
#define TRIM_SECONDS     1.0  /* memory freed after a backlog goes back, at most this often */
#define PROGRESS_SECONDS 5.0  /* headless: how far the run logs are read, on stderr, this often */

/* Process-wide signal flags, and the pipe that wakes the loop's poll when a signal comes: the
 * only global state of the program (STYLE.md rule 6). */
static volatile sig_atomic_t got_quit_signal;
static volatile sig_atomic_t got_resize;
static int wake_pipe[2] = {-1, -1};

/* The loop's timers and what it remembers from one pass to the next (monotonic seconds). */
typedef struct loop_state {
    double start, last_frame, last_tick, last_trim, last_progress;
    uint64_t read_msgs;     /* live messages read so far */
    uint64_t drawn_changes; /* the store's change counter when last drawn */
    size_t drawn_alerts;
    int delivered;                /* records of the last pass */
    bool dirty, settled, backlog; /* a redraw is due; logs read to their end; a backlog read */
    int full;                     /* passes in a row that read a full batch of live messages */
    bool urgent;                  /* the redraw is for the person (a key, a resize), not data */
    bool keys;                    /* the terminal has input (or may have: the first pass) */
    bool hold;                    /* UI: the sockets are left unread until the frame is due */
    bool reading_logs;            /* the run logs had input waiting after the last batch */
    bool caught_up;               /* ... and now have none: drawn at once, not when paced */
} loop_state;

static void
on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGWINCH)
        got_resize = 1;
    else if (sig != SIGCHLD) /* a --on-alert command ended: only wake the loop to reap it */
        got_quit_signal = sig;
    if (wake_pipe[1] >= 0) {
        ssize_t w = write(wake_pipe[1], "", 1);
        (void)w;
    }
    errno = saved;
}

/* Signals become loop events: flags, and a byte in wake_pipe that ends the poll. */
static void
install_signals(bool children)
{
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        wake_pipe[0] = wake_pipe[1] = -1; /* then a signal ends the poll by EINTR alone */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL); /* Ctrl-\: the terminal is restored, as after Ctrl-C */
    sigaction(SIGWINCH, &sa, NULL);
    if (children) {
        sa.sa_flags = SA_RESTART | SA_NOCLDSTOP; /* no EINTR in the middle of output */
        sigaction(SIGCHLD, &sa, NULL);
    }
}

/* Empties the wake pipe after the poll. */
static void
drain_wake_pipe(void)
{
    char buf[64];
    while (wake_pipe[0] >= 0 && read(wake_pipe[0], buf, sizeof buf) > 0)
        ;
}

/* One batch from the sources, then the logs settled and a backlog's memory trimmed. Returns
 * -1 to go on, or the exit status (1: reading failed, or out of memory). */
static int
read_sources(tw_app *a, loop_state *ls, double now)
{
    ls->delivered = tw_sources_process(a->sources, BATCH, now);
    tw_store_settle(a->store); /* the live values of the batch's series, merged once */
    if (ls->delivered < 0) {
        fprintf(stderr, "trainwatch: reading sources: %s\n", strerror(-ls->delivered));
        return 1;
    }
    if (a->store_error) {
        if (a->view)
            tw_view_destroy(&a->view);
        fprintf(stderr, "trainwatch: out of memory\n");
        return 1;
    }
    tw_app_settle_logs(a, &ls->settled);
    bool pending = tw_sources_log_pending(a->sources);
    ls->caught_up |= ls->reading_logs && !pending; /* the logs' backlog is read: show it */
    ls->reading_logs = pending;
    /* A backlog (full batches of messages) is buffered by ZeroMQ on the heap: once it is
     * read, the freed memory goes back to the system (at most once a second). */
    uint64_t msgs = tw_sources_stats(a->sources).messages;
    bool full = msgs - ls->read_msgs >= BATCH;
    ls->full = full ? ls->full + 1 : 0;
    ls->read_msgs = msgs;
    if (full) {
        ls->backlog = true;
    } else if (ls->backlog && now - ls->last_trim >= TRIM_SECONDS) {
        malloc_trim(0);
        ls->backlog = false;
        ls->last_trim = now;
    }
    return -1;
}

/* The store's clock, the epoch values for --jsonl, the alerts. */
static void
keep_time(tw_app *a, loop_state *ls, double now)
{
    if (now - ls->last_tick >= TICK_SECONDS) {
        tw_store_tick(a->store, now);         /* monotonic: the store's durations */
        tw_app_refill(a, now, ls->full >= 2); /* one: a frame's worth of a busy stream */
        ls->last_tick = now;
    }
    tw_app_after_data(a, now);
}

/* How long after the last frame the next may be drawn: soon for the person, less often for
 * the data alone (a live curve reads as well at 5 frames a second, at half the CPU). */
static double
frame_interval(const loop_state *ls)
{
    return ls->urgent ? FRAME_SECONDS : DATA_SECONDS;
}

/* The terminal UI's pass: resize, keys, and a redraw when something changed and a frame is
 * due. Returns -1 to go on, or 0 when the user quit. */
static int
update_screen(tw_app *a, loop_state *ls, double now)
{
    if (got_resize) {
        got_resize = 0;
        tw_view_resize(a->view);
        ls->dirty = ls->urgent = true;
    }
    int flags = 0;
    if (ls->keys) /* a read(2) a pass otherwise, whatever woke the loop */
        flags = tw_view_read_keys(a->view);
    ls->keys = false;
    if (flags & TW_VIEW_QUIT)
        return 0;
    if (flags & TW_VIEW_ACK)
        tw_alerts_ack(a->alerts);
    if (flags & (TW_VIEW_REDRAW | TW_VIEW_PAUSE | TW_VIEW_ACK) || a->notice)
        ls->dirty = ls->urgent = true;
    a->notice = false;
    if (tw_store_changes(a->store) != ls->drawn_changes ||
        tw_alerts_count(a->alerts) != ls->drawn_alerts)
        ls->dirty = true;
    bool at_once = ls->caught_up; /* once, whether or not anything changed */
    ls->caught_up = false;
    if (ls->dirty && (at_once || now - ls->last_frame >= frame_interval(ls))) {
        tw_view_draw(a->view, a->store);
        ls->drawn_changes = tw_store_changes(a->store);
        ls->drawn_alerts = tw_alerts_count(a->alerts);
        ls->last_frame = now;
        ls->dirty = ls->urgent = false;
    }
    return -1;
}

/* Whether --once and --check stop at the --wait deadline. */
static bool
has_deadline(const tw_app *a)
{
    return !a->o->until_end && (a->o->mode == TW_CLI_ONCE || a->o->mode == TW_CLI_CHECK);
}

/* Whether a headless mode is done: never before the run logs are read to their end (whatever
 * --wait says); then every run ended (--until-end), nothing live is left, or the --wait
 * deadline passed. */
static bool
headless_done(const tw_app *a, const loop_state *ls, double now)
{
    if (tw_sources_log_pending(a->sources))
        return false;
    if (a->o->until_end)
        return tw_app_runs_done(a, a->o->mode == TW_CLI_CHECK);
    return (ls->settled && tw_sources_exhausted(a->sources)) ||
           (has_deadline(a) && now - ls->start >= a->o->wait_seconds);
}

/* Until when the UI leaves the data sockets unread (monotonic seconds; 0: it reads them now):
 * while a redraw is due but not yet, and for DATA_SECONDS after a frame, what arrives waits in
 * ZeroMQ's queue (up to its RCVHWM of 1000 messages a connection) and is read in one pass when
 * the next frame may be drawn: at a slow stream a wakeup a frame, not one a message. The
 * headless modes read at once (the delivery delay they report is the transport's). */
static double
hold_until(const tw_app *a, const loop_state *ls)
{
    if (!a->view || ls->delivered >= BATCH || ls->last_frame <= 0)
        return 0;
    return ls->last_frame + (ls->dirty ? frame_interval(ls) : DATA_SECONDS);
}

/* How long the poll may sleep (ms; -1: until input or a signal): until the nearest timer,
 * 0 when input is already waiting in the logs or the last batch was full. */
static long
poll_timeout(const tw_app *a, const loop_state *ls, double now)
{
    if (ls->delivered >= BATCH || tw_sources_log_pending(a->sources))
        return 0;
    double due = tw_sources_next_due(a->sources); /* rescans, logs that may grow */
    double hold = hold_until(a, ls);
    if (a->view && ls->dirty)
        due = fmin(due, ls->last_frame + frame_interval(ls));
    if (hold > now)
        due = fmin(due, hold);     /* the sockets are read then */
    if (tw_app_runs_may_change(a)) /* a tick due while the sockets are held waits for them */
        due = fmin(due, fmax(ls->last_tick + TICK_SECONDS, hold));
    if (has_deadline(a))
        due = fmin(due, ls->start + a->o->wait_seconds);
    if (ls->backlog)
        due = fmin(due, ls->last_trim + TRIM_SECONDS);
    if (a->hooks)
        due = fmin(due, tw_hooks_next_due(a->hooks));
    double recheck = tw_alerts_next_due(a->alerts); /* wall clock, as the alerts are fed */
    if (isfinite(recheck))
        due = fmin(due, now + (recheck - tw_clock_wall()));
    if (isinf(due))
        return -1;
    return (long)fmin(fmax(0, ceil((due - now) * 1000)), 3600 * 1000);
}

/* zmq_poll, or poll(2) when no item is a ZeroMQ socket (none made yet: a monitor of run logs
 * alone never loads ZeroMQ, zmq_load.h). */
static void
poll_items(zmq_pollitem_t *items, int n, long timeout)
{
    bool sockets = false;
    for (int i = 0; i < n; i++)
        sockets |= items[i].socket != NULL;
    if (sockets) {
        zmq_poll(items, n, timeout);
        return;
    }
    struct pollfd fds[4];
    n = n < 4 ? n : 4;
    for (int i = 0; i < n; i++) /* (a negative fd, an absent socket's: left out by poll) */
        fds[i] = (struct pollfd){.fd = items[i].fd, .events = POLLIN};
    int got = poll(fds, (nfds_t)n, (int)timeout); /* (timeout: -1 or at most an hour) */
    for (int i = 0; i < n; i++) {                 /* zmq_poll's revents of a descriptor */
        short r = got > 0 ? fds[i].revents : 0;
        items[i].revents = (short)((r & POLLIN ? ZMQ_POLLIN : 0) |
                                   (r & ~(POLLIN | POLLOUT | POLLPRI) ? ZMQ_POLLERR : 0));
    }
}

/* Sleeps until input (sockets, the terminal), a signal (the wake pipe) or the nearest timer. */
static void
wait_for_input(const tw_app *a, loop_state *ls)
{
    zmq_pollitem_t items[4] = {
        {.socket = tw_sources_socket(a->sources), .fd = -1, .events = ZMQ_POLLIN},
        {.socket = tw_sources_event_socket(a->sources), .fd = -1, .events = ZMQ_POLLIN},
        {.socket = NULL, .fd = wake_pipe[0], .events = ZMQ_POLLIN},
        {.socket = NULL, .fd = a->view ? tw_view_input_fd(a->view) : -1, .events = ZMQ_POLLIN},
    };
    double now = tw_clock_mono();                /* after this pass's work */
    int first = now < hold_until(a, ls) ? 1 : 0; /* the data socket is left out */
    int n = wake_pipe[0] >= 0 ? 3 : 2;
    if (a->view)
        items[n++] = items[3];
    poll_items(items + first, n - first, poll_timeout(a, ls, now));
    ls->keys = a->view && (items[n - 1].revents & (ZMQ_POLLIN | ZMQ_POLLERR));
    if (got_resize)
        ls->keys = true; /* ncurses may hold a key from before the resize */
    drain_wake_pipe();
}

/* Headless modes: while run logs take long to read, how far they are, every few seconds on
 * stderr (standard output keeps only the result). */
static void
report_progress(const tw_app *a, loop_state *ls, double now)
{
    if (a->view || now - ls->last_progress < PROGRESS_SECONDS)
        return;
    ls->last_progress = now;
    uint64_t done, total;
    tw_sources_log_progress(a->sources, &done, &total);
    if (tw_sources_log_pending(a->sources) && total > 0)
        fprintf(stderr, "trainwatch: reading run logs: %.0f of %.0f MB (%.0f %%)\n", done / 1e6,
                total / 1e6, 100.0 * (double)done / (double)total);
}

/* The one loop. Returns the exit status: 128+N when signal N stopped it, in every mode (as a
 * shell reports a process killed by N), so that a UI killed is not taken for one quit. */
static int
run_loop(tw_app *a)
{
    loop_state ls = {.start = tw_clock_mono(),
                     .drawn_changes = UINT64_MAX,
                     .dirty = true,
                     .urgent = true,
                     .keys = true};
    ls.last_progress = ls.start;
    tw_store_defer_live(a->store, true); /* settled after each batch (read_sources) */
    for (;;) {
        if (got_quit_signal)
            return 128 + got_quit_signal;
        double now = tw_clock_mono();
        int status = read_sources(a, &ls, now);
        if (status >= 0)
            return status;
        keep_time(a, &ls, now);
        if (a->o->mode == TW_CLI_UI) {
            if ((status = update_screen(a, &ls, now)) >= 0)
                return status;
        } else if (headless_done(a, &ls, now) || ferror(stdout)) {
            return 0; /* a write error: tw_out_finish (main) tells it */
        } else {
            report_progress(a, &ls, now);
        }
        wait_for_input(a, &ls);
    }
}

/* Gives each closed descriptor of 0-2 /dev/null, so that no socket or log opened later takes
 * its number (output meant for stdout would go into it). */
static void
fill_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0 && null != fd) {
            dup2(null, fd); /* without O_CLOEXEC: --on-alert commands inherit it */
            close(null);
        }
    }
}

/* The program: the subcommands, or the options and the loop. Returns the exit status before
 * standard output is checked. */
static int
run(int argc, char **argv, bool *check, int *out_errno)
{
    if (argc > 1 && strcmp(argv[1], "relay") == 0)
        return tw_relay_main(argc - 1, argv + 1);
    /* The terminal's character set from the environment, but numbers always as C writes
     * them: a decimal comma would break --jsonl, CSV, SVG and options such as --wait 0.5. */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    if (argc > 1 && strcmp(argv[1], "keygen") == 0) /* subcommands, before the options */
        return tw_keygen_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "completion") == 0)
        return tw_completion_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "export") == 0)
        return tw_export_main(argc - 1, argv + 1);
    tw_cli_options o;
    int status = tw_cli_parse(&o, argc, argv, isatty(STDOUT_FILENO));
    if (status >= 0) {
        *out_errno = o.out_errno;
        return status;
    }
    *check = o.mode == TW_CLI_CHECK;
    install_signals(o.on_alert != NULL);
    tw_app a;
    status = tw_app_open(&a, &o);
    if (status < 0) {
        status = run_loop(&a);
        tw_store_defer_live(a.store, false); /* live values as they are at every update */
        status = tw_app_finish(&a, status);
    }
    tw_app_close(&a);
    *out_errno = a.out_errno;
    return status;
}

int
main(int argc, char **argv)
{
    bool out_closed = fcntl(STDOUT_FILENO, F_GETFD) < 0 && errno == EBADF;
    fill_standard_fds();
    if (out_closed) {
        fprintf(stderr, "trainwatch: cannot write standard output: it is closed\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN); /* a write error instead (out.h): EPIPE exits quietly */
    bool check = false;
    int out_errno = 0;
    int status = run(argc, argv, &check, &out_errno);
    return tw_out_finish(status, check ? 2 : 1, out_errno);
}
