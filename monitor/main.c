/* main.c - the trainwatch program: the one event loop, its timers, signals, exit status. */
#define _GNU_SOURCE
#include "alerts.h"
#include "cli.h"
#include "clock.h"
#include "delay.h"
#include "headless.h"
#include "hooks.h"
#include "json.h"
#include "keygen.h"
#include "links.h"
#include "relay.h"
#include "source.h"
#include "store.h"
#include "summary.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH         256  /* messages (and log frames) per loop pass */
#define FRAME_SECONDS 0.1  /* at most ~10 redraws a second */
#define TICK_SECONDS  0.25 /* time-based store states, while a run can still change by time */
#define TRIM_SECONDS  1.0  /* memory freed after a backlog goes back, at most this often */

/* Process-wide signal flags, and the pipe that wakes the loop's poll when a signal comes: the
 * only global state of the program (STYLE.md rule 6). */
static volatile sig_atomic_t got_quit_signal;
static volatile sig_atomic_t got_resize;
static int wake_pipe[2] = {-1, -1};

typedef struct app {
    const tw_cli_options *o;
    tw_store *store;
    tw_sources *sources;
    tw_view *view;
    tw_jsonl *jsonl;
    tw_alerts *alerts;
    tw_delay *delay;      /* the delivery delay of live updates (--once, the help screen) */
    tw_links *links;      /* which connection carried which rank */
    tw_hooks *hooks;      /* --on-alert, or NULL */
    bool store_error;     /* out of memory in the store or the alerts */
    size_t alerts_seen;   /* events handled (printed, passed to --on-alert, rung) */
    bool notice;          /* a new notice for the view: redraw */
    size_t link_failures; /* peers whose handshake failed (authentication, protocol) */
} app;

/* The loop's timers and what it remembers from one pass to the next (monotonic seconds). */
typedef struct loop_state {
    double start, last_frame, last_tick, last_trim;
    uint64_t read_msgs;     /* live messages read so far */
    uint64_t drawn_changes; /* the store's change counter when last drawn */
    size_t drawn_alerts;
    int delivered;                /* records of the last pass */
    bool dirty, settled, backlog; /* a redraw is due; logs read to their end; a backlog read */
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
    sigaction(SIGWINCH, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
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

/* Store callbacks from the sources. */
static int
on_record(void *ctx, const tw_source_origin *o, const tw_wire_header *h, const tw_wire_record *r)
{
    app *a = ctx;
    if (a->jsonl)
        tw_jsonl_record(a->jsonl, h, r);
    double now = tw_clock_wall();
    int rc = tw_store_ingest(a->store, h, r, now);
    if (rc == -ENOMEM)
        a->store_error = true;
    /* the delivery delay of live updates only: a run log's or a replay's times are old */
    if (rc == 0 && o->kind == TW_SOURCE_LIVE && r->type == TW_REC_UPDATE && h->replay_through == 0)
        tw_delay_add(a->delay, now, r->time);
    /* the rank is connected over this link (again); out of memory, the next record retries */
    if (o->link)
        tw_links_record(a->links, h, o->link, now);
    return 0;
}

static void
on_rejected(void *ctx, const char *where, int err, const char *what)
{
    app *a = ctx;
    tw_store_count_rejected(a->store, 1);
    if (a->o->mode != TW_CLI_UI)
        fprintf(stderr, "trainwatch: %s: %s (%s)\n", where, what, strerror(-err));
}

static void
on_vanished(void *ctx, const char *run, uint32_t rank, uint64_t incarnation)
{
    app *a = ctx;
    tw_store_mark_vanished(a->store, run, rank, incarnation, tw_clock_wall());
}

/* A link changed: runs carried by a lost connection are disconnected; problems and
 * recoveries are told (stderr and JSON lines in headless modes, the title bar in the UI). */
static void
on_link(void *ctx, const tw_source_link *l)
{
    app *a = ctx;
    if (l->state == TW_LINK_DOWN || (l->accepted && l->link))
        tw_links_down(a->links, l->link, tw_clock_wall());
    if (l->accepted && l->link)
        return; /* one publisher's connection to --listen ended: its ranks say so */
    bool problem = l->state == TW_LINK_AUTH_FAILED || l->state == TW_LINK_FAILED;
    bool recovered =
        l->state == TW_LINK_UP && l->previous != TW_LINK_CONNECTING && l->previous != TW_LINK_UP;
    if (problem && l->state != l->previous)
        a->link_failures++;
    if (recovered && (l->previous == TW_LINK_AUTH_FAILED || l->previous == TW_LINK_FAILED) &&
        a->link_failures > 0)
        a->link_failures--;
    if (!problem && !recovered && !l->link)
        return;
    char msg[320];
    snprintf(msg, sizeof msg, "%s: %s", l->address, recovered ? "connected again" : l->detail);
    if (a->view) {
        if (problem)
            tw_view_set_link_problem(a->view, msg);
        else if (recovered)
            tw_view_set_link_problem(a->view, NULL);
        a->notice = true;
        return;
    }
    fprintf(stderr, "trainwatch: %s\n", msg);
    if (a->jsonl)
        tw_link_print_json(stdout, l->address, tw_link_state_name(l->state), l->detail);
}

/* A failing --on-alert command, or skipped alerts: on the alerts line, or on stderr. */
static void
on_hook_report(void *ctx, const char *msg)
{
    app *a = ctx;
    if (a->view) {
        tw_view_set_notice(a->view, msg);
        a->notice = true;
    } else {
        fprintf(stderr, "trainwatch: %s\n", msg);
    }
}

/* True when runs were seen and every one of them has ended (or failed). */
static bool
all_runs_ended(const tw_store *s)
{
    size_t n = tw_store_run_count(s);
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        tw_store_state st = tw_store_run_at(s, i)->state;
        if (st != TW_STATE_ENDED && st != TW_STATE_FAILED)
            return false;
    }
    return true;
}

/* Marks the runs read only from logs as static once the logs are read to their end. */
static void
settle_logs(app *a, bool *settled)
{
    if (*settled || tw_sources_log_pending(a->sources))
        return;
    *settled = true;
    tw_source_stats st = tw_sources_stats(a->sources);
    if (st.endpoints > 0)
        return; /* live sources may still speak for these runs */
    for (size_t i = 0; i < tw_store_run_count(a->store); i++)
        tw_store_mark_static(a->store, tw_store_run_at(a->store, i)->id, tw_clock_wall());
}

/* Passes alert event e to the --on-alert command as one JSON line. */
static void
run_hook(app *a, const tw_alert *e, double now)
{
    tw_json j;
    tw_json_init(&j);
    tw_alert_to_json(&j, e);
    tw_hooks_run(a->hooks, tw_json_text(&j), tw_json_len(&j), now);
    tw_json_fini(&j);
}

/* Evaluates the alert rules and handles the new events: printed (--check, --jsonl), passed to
 * --on-alert, the bell. */
static void
handle_alerts(app *a, double now)
{
    if (tw_alerts_eval(a->alerts, a->store, tw_clock_wall()) == -ENOMEM)
        a->store_error = true;
    bool rang = false;
    for (; a->alerts_seen < tw_alerts_count(a->alerts); a->alerts_seen++) {
        const tw_alert *e = tw_alerts_at(a->alerts, a->alerts_seen);
        if (a->o->mode == TW_CLI_CHECK)
            tw_alert_print(stdout, e, a->o->check_json);
        else if (a->o->mode == TW_CLI_JSONL)
            tw_alert_print(stdout, e, true);
        if (e->cleared)
            continue;
        if (a->hooks)
            run_hook(a, e, now);
        if (a->o->bell && a->view && !rang) {
            /* BEL moves no cursor, so writing it beside ncurses is harmless */
            ssize_t w = write(STDOUT_FILENO, "\a", 1);
            (void)w;
            rang = true;
        }
    }
    if (a->hooks)
        tw_hooks_reap(a->hooks, now, !a->view);
}

/* True when every run seen has ended, failed or vanished (--check --until-end). */
static bool
all_runs_done(const tw_store *s)
{
    size_t n = tw_store_run_count(s);
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        tw_store_state st = tw_store_run_at(s, i)->state;
        if (st != TW_STATE_ENDED && st != TW_STATE_FAILED && st != TW_STATE_VANISHED)
            return false;
    }
    return true;
}

/* True while some run can still change state by time alone (stalled, vanished, ...): the
 * store is then ticked. Runs that ended or failed cannot. */
static bool
runs_need_tick(const tw_store *s)
{
    for (size_t i = 0; i < tw_store_run_count(s); i++) {
        tw_store_state st = tw_store_run_at(s, i)->state;
        if (st != TW_STATE_ENDED && st != TW_STATE_FAILED)
            return true;
    }
    return false;
}

/* One batch from the sources, then the logs settled and a backlog's memory trimmed. Returns
 * -1 to go on, or the exit status (1: reading failed, or out of memory). */
static int
read_sources(app *a, loop_state *ls, double now)
{
    ls->delivered = tw_sources_process(a->sources, BATCH, now);
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
    settle_logs(a, &ls->settled);
    /* A backlog (full batches of messages) is buffered by ZeroMQ on the heap: once it is
     * read, the freed memory goes back to the system (at most once a second). */
    uint64_t msgs = tw_sources_stats(a->sources).messages;
    bool full = msgs - ls->read_msgs >= BATCH;
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
keep_time(app *a, loop_state *ls, double now)
{
    if (now - ls->last_tick >= TICK_SECONDS) {
        tw_store_tick(a->store, tw_clock_wall());
        ls->last_tick = now;
    }
    if (a->jsonl)
        tw_jsonl_epochs(a->jsonl, a->store, false);
    handle_alerts(a, now);
    /* the finals both readers have read are let go: memory follows the unread, not the run */
    uint64_t read = tw_alerts_finals_read(a->alerts);
    if (a->jsonl && tw_jsonl_finals_read(a->jsonl) < read)
        read = tw_jsonl_finals_read(a->jsonl);
    tw_store_finals_trim(a->store, read);
}

/* The terminal UI's pass: resize, keys, and a redraw when something changed and a frame is
 * due. Returns -1 to go on, or 0 when the user quit. */
static int
update_screen(app *a, loop_state *ls, double now)
{
    if (got_resize) {
        got_resize = 0;
        tw_view_resize(a->view);
        ls->dirty = true;
    }
    int flags = tw_view_read_keys(a->view);
    if (flags & TW_VIEW_QUIT)
        return 0;
    if (flags & TW_VIEW_ACK)
        tw_alerts_ack(a->alerts);
    if (flags & (TW_VIEW_REDRAW | TW_VIEW_PAUSE | TW_VIEW_ACK) || a->notice)
        ls->dirty = true;
    a->notice = false;
    if (tw_store_changes(a->store) != ls->drawn_changes ||
        tw_alerts_count(a->alerts) != ls->drawn_alerts)
        ls->dirty = true;
    if (ls->dirty && now - ls->last_frame >= FRAME_SECONDS) {
        tw_view_draw(a->view, a->store);
        ls->drawn_changes = tw_store_changes(a->store);
        ls->drawn_alerts = tw_alerts_count(a->alerts);
        ls->last_frame = now;
        ls->dirty = false;
    }
    return -1;
}

/* Whether --once and --check stop at the --wait deadline. */
static bool
has_deadline(const app *a)
{
    return !a->o->until_end && (a->o->mode == TW_CLI_ONCE || a->o->mode == TW_CLI_CHECK);
}

/* Whether a headless mode is done: every run ended (--until-end), the logs read to their end
 * with nothing live, or the --wait deadline passed. */
static bool
headless_done(const app *a, const loop_state *ls, double now)
{
    if (a->o->until_end)
        return a->o->mode == TW_CLI_CHECK ? all_runs_done(a->store) : all_runs_ended(a->store);
    return (ls->settled && tw_sources_exhausted(a->sources)) ||
           (has_deadline(a) && now - ls->start >= a->o->wait_seconds);
}

/* How long the poll may sleep (ms; -1: until input or a signal): until the nearest timer,
 * 0 when input is already waiting in the logs or the last batch was full. */
static long
poll_timeout(const app *a, const loop_state *ls, double now)
{
    if (ls->delivered >= BATCH || tw_sources_log_pending(a->sources))
        return 0;
    double due = tw_sources_next_due(a->sources); /* rescans, logs that may grow */
    if (a->view && ls->dirty)
        due = fmin(due, ls->last_frame + FRAME_SECONDS);
    if (runs_need_tick(a->store))
        due = fmin(due, ls->last_tick + TICK_SECONDS);
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

/* Sleeps until input (sockets, the terminal), a signal (the wake pipe) or the nearest timer. */
static void
wait_for_input(const app *a, const loop_state *ls)
{
    zmq_pollitem_t items[4] = {
        {.socket = tw_sources_socket(a->sources), .events = ZMQ_POLLIN},
        {.socket = tw_sources_event_socket(a->sources), .events = ZMQ_POLLIN},
        {.socket = NULL, .fd = wake_pipe[0], .events = ZMQ_POLLIN},
        {.socket = NULL, .fd = a->view ? tw_view_input_fd(a->view) : -1, .events = ZMQ_POLLIN},
    };
    int n = wake_pipe[0] >= 0 ? 3 : 2;
    if (a->view)
        items[n++] = items[3];
    zmq_poll(items, n, poll_timeout(a, ls, tw_clock_mono())); /* now: after this pass's work */
    drain_wake_pipe();
}

/* The one loop. Returns the exit status. */
static int
run_loop(app *a)
{
    loop_state ls = {.start = tw_clock_mono(), .drawn_changes = UINT64_MAX, .dirty = true};
    for (;;) {
        if (got_quit_signal)
            return a->o->mode == TW_CLI_UI ? 0 : 128 + got_quit_signal;
        double now = tw_clock_mono();
        int status = read_sources(a, &ls, now);
        if (status >= 0)
            return status;
        keep_time(a, &ls, now);
        if (a->o->mode == TW_CLI_UI) {
            if ((status = update_screen(a, &ls, now)) >= 0)
                return status;
        } else if (headless_done(a, &ls, now)) {
            return 0;
        }
        wait_for_input(a, &ls);
    }
}

/* Says why --once or --check saw nothing: the peers whose handshake failed. */
static void
print_link_failures(const app *a)
{
    for (size_t i = 0; i < tw_sources_peer_count(a->sources); i++) {
        const char *addr, *detail;
        tw_link_state st = tw_sources_peer(a->sources, i, &addr, &detail);
        if (st == TW_LINK_AUTH_FAILED || st == TW_LINK_FAILED)
            fprintf(stderr, "trainwatch: %s: %s; no data received\n", addr, detail);
    }
}

/* After the loop: the terminal restored, the --once table, the last alerts, the --check
 * verdict, the last epoch values. Returns the exit status. */
static int
finish(app *a, int status)
{
    tw_view_destroy(&a->view); /* the terminal is restored before anything is printed */
    tw_cli_mode mode = a->o->mode;
    if (mode == TW_CLI_ONCE)
        tw_summary_print(stdout, a->store, a->delay);
    if (status == 0)
        handle_alerts(a, tw_clock_mono());
    if ((mode == TW_CLI_ONCE || mode == TW_CLI_CHECK) && status == 0 && a->link_failures > 0 &&
        tw_store_run_count(a->store) == 0) {
        /* Nothing came, and a handshake failed: that is why; an empty table would hide it. */
        print_link_failures(a);
        status = 2;
    } else if (mode == TW_CLI_CHECK && status == 0) {
        if (!a->o->check_json)
            tw_check_summary_print(stdout, a->alerts, a->store);
        status = tw_alerts_fired(a->alerts) ? 1 : 0;
    } else if (mode == TW_CLI_CHECK && status == 1) {
        status = 2;
    }
    if (a->jsonl)
        tw_jsonl_epochs(a->jsonl, a->store, true);
    return status;
}

/* Adds the sources: the security settings, --listen endpoints, SOURCE arguments, or the
 * registry when there are neither. Returns -1, or 2 with the message printed. */
static int
add_sources(app *a)
{
    const tw_cli_options *o = a->o;
    char err[1024];
    if (tw_sources_set_security(a->sources, &o->security, err, sizeof err) != 0)
        goto fail;
    for (int i = 0; i < o->n_listen; i++) {
        if (tw_sources_listen(a->sources, o->listen[i], err, sizeof err) != 0)
            goto fail;
        if (err[0])
            fprintf(stderr, "trainwatch: %s\n", err); /* a warning */
    }
    for (int i = 0; i < o->n_sources; i++)
        if (tw_sources_add(a->sources, o->sources[i], err, sizeof err) != 0)
            goto fail;
    if (o->n_sources == 0 && o->n_listen == 0 &&
        tw_sources_discover(a->sources, err, sizeof err) != 0)
        goto fail;
    return -1;
fail:
    fprintf(stderr, "trainwatch: %s\n", err);
    return 2;
}

/* Creates the model, the sources and the output of a's mode. Returns -1 when the loop can
 * run, else the exit status (the message printed). */
static int
open_app(app *a)
{
    a->store = tw_store_new(NULL);
    a->alerts = tw_alerts_new(&a->o->alerts);
    a->delay = tw_delay_new();
    a->links = a->store ? tw_links_new(a->store) : NULL;
    tw_source_callbacks cb = {.record = on_record,
                              .rejected = on_rejected,
                              .vanished = on_vanished,
                              .link = on_link,
                              .ctx = a};
    a->sources = tw_sources_new(&cb);
    if (a->o->on_alert)
        a->hooks = tw_hooks_new(a->o->on_alert, a->o->mode == TW_CLI_UI, on_hook_report, a);
    if (!a->store || !a->sources || !a->alerts || !a->delay || !a->links ||
        (a->o->on_alert && !a->hooks)) {
        fprintf(stderr, "trainwatch: cannot start: %s\n", strerror(errno));
        return 1;
    }
    int status = add_sources(a);
    if (status >= 0)
        return status;
    if (a->o->mode == TW_CLI_JSONL && !(a->jsonl = tw_jsonl_new(stdout)))
        return 1;
    if (a->o->mode == TW_CLI_UI && !(a->view = tw_view_new(&a->o->view))) {
        fprintf(stderr, "trainwatch: cannot use this terminal (%s); try --once or --jsonl\n",
                strerror(errno));
        return 1;
    }
    tw_view_set_alerts(a->view, a->alerts);
    tw_view_set_delay(a->view, a->delay);
    return -1;
}

/* Frees everything; --on-alert commands still running get a second to finish first, so
 * that a failure is reported. */
static void
close_app(app *a)
{
    tw_view_destroy(&a->view);
    if (a->hooks)
        tw_hooks_drain(a->hooks, 1.0);
    tw_hooks_destroy(&a->hooks);
    tw_jsonl_destroy(&a->jsonl);
    tw_alerts_destroy(&a->alerts);
    tw_sources_destroy(&a->sources);
    tw_links_destroy(&a->links);
    tw_store_destroy(&a->store);
    tw_delay_destroy(&a->delay);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "relay") == 0)
        return tw_relay_main(argc - 1, argv + 1);
    setlocale(LC_ALL, "");
    if (argc > 1 && strcmp(argv[1], "keygen") == 0) /* subcommands, before the options */
        return tw_keygen_main(argc, argv);
    tw_cli_options o;
    int status = tw_cli_parse(&o, argc, argv, isatty(STDOUT_FILENO));
    if (status >= 0)
        return status;
    install_signals(o.on_alert != NULL);
    app a = {.o = &o};
    status = open_app(&a);
    if (status < 0)
        status = finish(&a, run_loop(&a));
    close_app(&a);
    return status;
}
