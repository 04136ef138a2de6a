/* main.c - the trainwatch program: options, the one event loop, signals, exit status. */
#define _GNU_SOURCE
#include "alerts.h"
#include "clock.h"
#include "curve.h"
#include "headless.h"
#include "relay.h"
#include "source.h"
#include "store.h"
#include "trainwatch.h"
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH         256  /* messages (and log frames) per loop pass */
#define FRAME_SECONDS 0.1  /* at most ~10 redraws a second */
#define TICK_SECONDS  0.25 /* time-based store states */
#define MAX_LISTEN    16
#define HOOK_SECONDS  2.0 /* --on-alert runs at most once per HOOK_SECONDS */
#define MAX_HOOKS     4   /* --on-alert commands running at once, at most */

/* Process-wide signal flags: the only global state of the program (STYLE.md rule 6). */
static volatile sig_atomic_t got_quit_signal;
static volatile sig_atomic_t got_resize;

typedef enum mode { MODE_UI, MODE_ONCE, MODE_JSONL, MODE_CHECK } mode;

typedef struct app {
    mode mode;
    bool until_end;
    double wait_seconds;
    tw_store *store;
    tw_sources *sources;
    tw_view *view;
    tw_jsonl *jsonl;
    bool store_error;
    tw_alerts *alerts;
    size_t alerts_seen;     /* events handled (printed, passed to --on-alert, rung) */
    bool check_json;        /* --check --jsonl */
    bool bell;              /* --bell */
    const char *on_alert;   /* --on-alert CMD, or NULL */
    double last_hook;       /* monotonic time of the last --on-alert run */
    uint64_t hook_skipped;  /* alerts not passed to it (rate limit), reported */
    uint64_t hook_reported; /* hook_skipped when last reported */
    pid_t hooks[MAX_HOOKS]; /* running commands (0: free) */
    bool notice;            /* a new notice for the view: redraw */
    size_t link_failures;   /* peers whose handshake failed (authentication, protocol) */
} app;

static void
on_signal(int sig)
{
    if (sig == SIGWINCH)
        got_resize = 1;
    else
        got_quit_signal = sig;
}

static void
usage(FILE *out, const char *prog)
{
    fprintf(
        out,
        "usage: %s [OPTIONS] [SOURCE...]\n"
        "\n"
        "Watch training runs live: per-epoch and per-step curves of the metrics that\n"
        "libtrainwatch publishers stream, merged exactly over data-parallel ranks.\n"
        "\n"
        "SOURCE is an endpoint (tcp://HOST:PORT, ipc://PATH), a run-log file (*.twlog) or a\n"
        "directory of run logs (followed while they grow). With no SOURCE and no --listen,\n"
        "every live run of this user on this host is shown, and new runs as they start.\n"
        "\n"
        "Options:\n"
        "  -l, --listen ENDPOINT  bind ENDPOINT so that publishers connect to it (they set\n"
        "                         TRAINWATCH_ENDPOINT='>tcp://HOST:PORT'); repeatable\n"
        "  -1, --once             gather for --wait seconds, print a table of runs and\n"
        "                         metrics (latest, best and its epoch) and exit\n"
        "  -w, --wait SECONDS     how long --once gathers (default 2)\n"
        "  -j, --jsonl            print every decoded record and every finalized epoch value\n"
        "                         as one JSON object a line (format: trainwatch(1))\n"
        "  -u, --until-end        keep going until every run seen has ended\n"
        "  -c, --check            like --once (with --until-end: until the runs end), print\n"
        "                         the alerts that fired (JSON lines with --jsonl); exit 1\n"
        "                         when at least one fired, 0 when none did\n"
        "      --alert RULE[,KEY=VALUE...]  turn an alert rule on and set its parameters;\n"
        "                         repeatable. Rules: overfitting (k, min_delta), gl (alpha),\n"
        "                         pq (alpha, k), up (s, k), patience (patience, min_delta,\n"
        "                         baseline, start_from_epoch), nonfinite, stalled, dataloss.\n"
        "                         On by default: overfitting (k=3), nonfinite, stalled,\n"
        "                         dataloss. Example: --alert patience,patience=5,min_delta=1e-3\n"
        "      --no-alert RULE    turn a rule off\n"
        "      --bell             ring the terminal bell on a new alert\n"
        "      --on-alert CMD     run 'sh -c CMD' for each new alert, the alert as one JSON\n"
        "                         object on its standard input (at most one every 2 s)\n"
        "  -k, --key FILE         this monitor's CURVE secret key (NAME.key from\n"
        "                         'trainwatch keygen'; env TRAINWATCH_CURVE_SECRET): --listen\n"
        "                         on tcp is then encrypted, publishers connect with NAME.pub\n"
        "  -s, --server-key FILE  the publishers' CURVE public key (NAME.pub; env\n"
        "                         TRAINWATCH_CURVE_SERVER): tcp endpoints are then connected\n"
        "                         to with encryption, and a wrong key is reported\n"
        "      --insecure         allow --listen in clear beyond loopback (a warning is\n"
        "                         printed; env TRAINWATCH_INSECURE=1)\n"
        "  -m, --metric NAME      select this metric first\n"
        "  -f, --filter REGEX     show only runs whose name matches (extended, no case)\n"
        "      --ascii            draw with ASCII even when the locale is UTF-8\n"
        "      --no-color         draw without colors\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n"
        "\n"
        "\n"
        "Subcommands:\n"
        "  %s keygen NAME  write a CURVE key pair: NAME.key (secret, mode 0600) and\n"
        "                          NAME.pub (public); see --key, --server-key\n"
        "\n"
        "When standard output is not a terminal, --once is used unless --jsonl is given.\n"
        "Keys in the terminal UI: press ? for help, q to quit.\n"
        "To forward the runs of a node to monitors elsewhere: trainwatch relay --help.\n"
        "Exit status: 0 done, 1 a runtime error, 2 bad options or sources; with --check:\n"
        "0 no alert fired, 1 at least one fired, 2 an error. --once and --check exit 2 when\n"
        "a connection failed its handshake (a wrong key) and no run was seen.\n",
        prog, prog);
}

/* Store callbacks from the sources. */
static int
on_record(void *ctx, tw_source_kind kind, const tw_wire_header *h, const tw_wire_record *r)
{
    app *a = ctx;
    if (a->jsonl)
        tw_jsonl_record(a->jsonl, h, r);
    double now = tw_clock_wall();
    int rc = tw_store_ingest(a->store, h, r, now);
    if (rc == -ENOMEM)
        a->store_error = true;
    /* the delivery delay of live updates only: a run log's or a replay's times are old */
    if (rc == 0 && kind == TW_SOURCE_LIVE && r->type == TW_REC_UPDATE && h->replay_through == 0)
        tw_store_count_delay(a->store, now, r->time);
    uint64_t link = tw_sources_record_link(a->sources);
    if (link) /* the rank is connected over this link (again) */
        tw_store_set_link(a->store, h, link, tw_clock_wall());
    return 0;
}

static void
on_rejected(void *ctx, const char *where, int err, const char *what)
{
    app *a = ctx;
    tw_store_count_rejected(a->store, 1);
    if (a->mode != MODE_UI)
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
        tw_store_link_down(a->store, l->link, tw_clock_wall());
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
    if (a->jsonl) {
        printf("{\"type\":\"link\",\"address\":");
        tw_json_string(stdout, l->address);
        printf(",\"state\":");
        tw_json_string(stdout, tw_link_state_name(l->state));
        printf(",\"detail\":");
        tw_json_string(stdout, l->detail);
        printf("}\n");
        fflush(stdout);
    }
}

/* `trainwatch keygen NAME`: writes NAME.key (secret, 0600) and NAME.pub, never over existing
 * files. Returns the exit status. */
static int
keygen(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] == '-' || !argv[2][0]) {
        fprintf(stderr, "usage: trainwatch keygen NAME (writes NAME.key and NAME.pub)\n");
        return 2;
    }
    const char *name = argv[2];
    char path[2][4096];
    tw_curve_key pub, secret;
    if (snprintf(path[0], sizeof path[0], "%s.key", name) >= (int)sizeof path[0] ||
        snprintf(path[1], sizeof path[1], "%s.pub", name) >= (int)sizeof path[1]) {
        fprintf(stderr, "trainwatch keygen: the name is too long\n");
        return 2;
    }
    if (tw_curve_keypair(&pub, &secret) != 0) {
        fprintf(stderr, "trainwatch keygen: this libzmq was built without CURVE\n");
        return 1;
    }
    const char *text[2] = {secret.z85, pub.z85};
    const char *what[2] = {"secret", "public"};
    for (int i = 0; i < 2; i++) {
        int fd = open(path[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, i == 0 ? 0600 : 0644);
        if (fd < 0) {
            int e = errno;
            fprintf(stderr, "trainwatch keygen: cannot create %s: %s%s\n", path[i], strerror(e),
                    e == EEXIST ? " (refusing to overwrite a key)" : "");
            if (i == 1)
                unlink(path[0]);
            return 1;
        }
        char buf[160];
        int n = snprintf(buf, sizeof buf, "# trainwatch CURVE %s key\n%s\n", what[i], text[i]);
        bool ok = write(fd, buf, (size_t)n) == n && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok) {
            fprintf(stderr, "trainwatch keygen: cannot write %s: %s\n", path[i], strerror(errno));
            unlink(path[0]);
            if (i == 1)
                unlink(path[1]);
            return 1;
        }
    }
    memset(&secret, 0, sizeof secret);
    printf(
        "wrote %s (secret key, mode 0600: keep it private) and %s (public key)\n"
        "The side that binds tcp holds %s, the side that connects %s:\n"
        "  publisher binds:  TRAINWATCH_CURVE_SECRET=%s TRAINWATCH_ENDPOINT=tcp://0.0.0.0:PORT\n"
        "                    trainwatch --server-key %s tcp://HOST:PORT\n"
        "  monitor listens:  trainwatch --key %s --listen tcp://0.0.0.0:PORT\n"
        "                    TRAINWATCH_CURVE_SERVER=%s TRAINWATCH_ENDPOINT='>tcp://HOST:PORT'\n",
        path[0], path[1], path[0], path[1], path[0], path[1], path[0], path[1]);
    return 0;
}

/* A non-empty environment variable, or NULL. */
static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
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

/* Reaps finished --on-alert commands (never waits); reports failing ones. */
static void
reap_hooks(app *a)
{
    for (int i = 0; i < MAX_HOOKS; i++) {
        int st;
        if (a->hooks[i] <= 0 || waitpid(a->hooks[i], &st, WNOHANG) != a->hooks[i])
            continue;
        a->hooks[i] = 0;
        char msg[128] = "";
        if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
            snprintf(msg, sizeof msg, "--on-alert command exited with status %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            snprintf(msg, sizeof msg, "--on-alert command killed by signal %d", WTERMSIG(st));
        if (msg[0] && a->view) {
            tw_view_set_notice(a->view, msg); /* on the alerts line */
            a->notice = true;
        } else if (msg[0])
            fprintf(stderr, "trainwatch: %s\n", msg);
    }
}

/* Runs the --on-alert command with the event as JSON on its standard input, without waiting
 * for it; rate-limited. */
static void
run_hook(app *a, const tw_alert *e, double now)
{
    int slot = -1;
    for (int i = 0; i < MAX_HOOKS && slot < 0; i++)
        if (a->hooks[i] == 0)
            slot = i;
    if (slot < 0 || (a->last_hook > 0 && now - a->last_hook < HOOK_SECONDS)) {
        a->hook_skipped++;
        return;
    }
    char json[2048];
    size_t len = tw_alert_json(e, json, sizeof json - 1);
    if (len >= sizeof json - 1)
        len = strlen(json);
    json[len++] = '\n';
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        a->hook_skipped++;
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        int null = open("/dev/null", O_WRONLY);
        if (a->view && null >= 0) { /* keep the screen clean */
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        } else {
            dup2(STDERR_FILENO, STDOUT_FILENO); /* stdout is for trainwatch's own output */
        }
        execl("/bin/sh", "sh", "-c", a->on_alert, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    if (pid < 0) {
        close(fds[1]);
        a->hook_skipped++;
        return;
    }
    /* At most a few hundred bytes into an empty pipe: below PIPE_BUF, so it cannot block. */
    ssize_t w = write(fds[1], json, len);
    (void)w;
    close(fds[1]);
    a->hooks[slot] = pid;
    a->last_hook = now;
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
        if (a->mode == MODE_CHECK)
            tw_alert_print(stdout, e, a->check_json);
        else if (a->mode == MODE_JSONL)
            tw_alert_print(stdout, e, true);
        if (e->cleared)
            continue;
        if (a->on_alert)
            run_hook(a, e, now);
        if (a->bell && a->view && !rang) {
            /* BEL moves no cursor, so writing it beside ncurses is harmless */
            ssize_t w = write(STDOUT_FILENO, "\a", 1);
            (void)w;
            rang = true;
        }
    }
    if (a->on_alert)
        reap_hooks(a);
    if (a->hook_skipped != a->hook_reported && now - a->last_hook >= HOOK_SECONDS) {
        char msg[128];
        snprintf(msg, sizeof msg, "%llu alerts not passed to --on-alert (at most one every %.0f s)",
                 (unsigned long long)(a->hook_skipped - a->hook_reported), HOOK_SECONDS);
        a->hook_reported = a->hook_skipped;
        if (!a->view)
            fprintf(stderr, "trainwatch: %s\n", msg);
    }
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

/* The one loop. Returns the exit status. */
static int
run_loop(app *a)
{
    double start = tw_clock_mono(), last_frame = 0, last_tick = 0, last_trim = 0;
    uint64_t read_msgs = 0;
    uint64_t drawn_changes = UINT64_MAX;
    size_t drawn_alerts = 0;
    bool dirty = true, settled = false, backlog = false;
    for (;;) {
        if (got_quit_signal)
            return a->mode == MODE_UI ? 0 : 128 + got_quit_signal;
        double now = tw_clock_mono();
        int n = tw_sources_process(a->sources, BATCH, now);
        if (n < 0) {
            fprintf(stderr, "trainwatch: reading sources: %s\n", strerror(-n));
            return 1;
        }
        if (a->store_error) {
            if (a->view)
                tw_view_destroy(&a->view);
            fprintf(stderr, "trainwatch: out of memory\n");
            return 1;
        }
        settle_logs(a, &settled);
        /* A backlog (full batches of messages) is buffered by ZeroMQ on the heap: once it is
         * read, the freed memory goes back to the system (at most once a second). */
        uint64_t msgs = tw_sources_stats(a->sources).messages;
        bool full = msgs - read_msgs >= BATCH;
        read_msgs = msgs;
        if (full) {
            backlog = true;
        } else if (backlog && now - last_trim >= 1.0) {
            malloc_trim(0);
            backlog = false;
            last_trim = now;
        }
        if (now - last_tick >= TICK_SECONDS) {
            tw_store_tick(a->store, tw_clock_wall());
            last_tick = now;
        }
        if (a->jsonl)
            tw_jsonl_epochs(a->jsonl, a->store, false);
        handle_alerts(a, now);

        if (a->mode == MODE_UI) {
            if (got_resize) {
                got_resize = 0;
                tw_view_resize(a->view);
                dirty = true;
            }
            int flags = tw_view_read_keys(a->view);
            if (flags & TW_VIEW_QUIT)
                return 0;
            if (flags & TW_VIEW_ACK)
                tw_alerts_ack(a->alerts);
            if (flags & (TW_VIEW_REDRAW | TW_VIEW_PAUSE | TW_VIEW_ACK) || a->notice)
                dirty = true;
            a->notice = false;
            if (tw_store_changes(a->store) != drawn_changes ||
                tw_alerts_count(a->alerts) != drawn_alerts)
                dirty = true;
            if (dirty && now - last_frame >= FRAME_SECONDS) {
                tw_view_draw(a->view, a->store, tw_clock_wall());
                drawn_changes = tw_store_changes(a->store);
                drawn_alerts = tw_alerts_count(a->alerts);
                last_frame = now;
                dirty = false;
            }
        } else if (a->until_end) {
            if (a->mode == MODE_CHECK ? all_runs_done(a->store) : all_runs_ended(a->store))
                return 0;
        } else if ((settled && tw_sources_exhausted(a->sources)) ||
                   ((a->mode == MODE_ONCE || a->mode == MODE_CHECK) &&
                    now - start >= a->wait_seconds)) {
            return 0;
        }

        /* Wait for input: sooner when logs have frames left or a frame is due. */
        long timeout_ms = 250;
        if (n >= BATCH || tw_sources_log_pending(a->sources))
            timeout_ms = 0;
        else if (a->mode == MODE_UI && dirty)
            timeout_ms = (long)fmax(0, (FRAME_SECONDS - (now - last_frame)) * 1000);
        zmq_pollitem_t items[3] = {
            {.socket = tw_sources_socket(a->sources), .events = ZMQ_POLLIN},
            {.socket = tw_sources_event_socket(a->sources), .events = ZMQ_POLLIN},
            {.socket = NULL, .fd = a->view ? tw_view_input_fd(a->view) : -1, .events = ZMQ_POLLIN},
        };
        zmq_poll(items, a->view ? 3 : 2, timeout_ms);
    }
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "relay") == 0)
        return tw_relay_main(argc - 1, argv + 1);
    setlocale(LC_ALL, "");
    const char *prog = "trainwatch";
    if (argc > 1 && strcmp(argv[1], "keygen") == 0) /* subcommands, before the options */
        return keygen(argc, argv);
    app a = {.mode = MODE_UI, .wait_seconds = 2.0};
    bool once = false, jsonl = false, check = false;
    tw_alert_config ac = tw_alert_defaults();
    tw_view_options vo = {0};
    const char *listen[MAX_LISTEN];
    int n_listen = 0;
    tw_source_security sec = {0};
    enum {
        OPT_ASCII = 1000,
        OPT_NO_COLOR,
        OPT_ALERT,
        OPT_NO_ALERT,
        OPT_BELL,
        OPT_ON_ALERT,
        OPT_INSECURE
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"once", no_argument, NULL, '1'},
        {"wait", required_argument, NULL, 'w'},
        {"jsonl", no_argument, NULL, 'j'},
        {"until-end", no_argument, NULL, 'u'},
        {"metric", required_argument, NULL, 'm'},
        {"filter", required_argument, NULL, 'f'},
        {"ascii", no_argument, NULL, OPT_ASCII},
        {"no-color", no_argument, NULL, OPT_NO_COLOR},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"check", no_argument, NULL, 'c'},
        {"alert", required_argument, NULL, OPT_ALERT},
        {"no-alert", required_argument, NULL, OPT_NO_ALERT},
        {"bell", no_argument, NULL, OPT_BELL},
        {"on-alert", required_argument, NULL, OPT_ON_ALERT},
        {"key", required_argument, NULL, 'k'},
        {"server-key", required_argument, NULL, 's'},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "l:1w:jum:f:hVck:s:", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            sec.secret_key = optarg;
            break;
        case 's':
            sec.server_key = optarg;
            break;
        case OPT_INSECURE:
            sec.insecure = true;
            break;
        case 'l':
            if (n_listen == MAX_LISTEN) {
                fprintf(stderr, "%s: at most %d --listen endpoints\n", prog, MAX_LISTEN);
                return 2;
            }
            listen[n_listen++] = optarg;
            break;
        case '1':
            once = true;
            break;
        case 'w': {
            char *end;
            errno = 0;
            a.wait_seconds = strtod(optarg, &end);
            if (errno || *end || !isfinite(a.wait_seconds) || a.wait_seconds < 0 ||
                a.wait_seconds > 86400) {
                fprintf(stderr, "%s: --wait '%s': expected seconds between 0 and 86400\n", prog,
                        optarg);
                return 2;
            }
            break;
        }
        case 'j':
            jsonl = true;
            break;
        case 'u':
            a.until_end = true;
            break;
        case 'm':
            vo.metric = optarg;
            break;
        case 'f':
            vo.filter = optarg;
            break;
        case OPT_ASCII:
            vo.ascii = true;
            break;
        case OPT_NO_COLOR:
            vo.no_color = true;
            break;
        case 'c':
            check = true;
            break;
        case OPT_ALERT:
        case OPT_NO_ALERT: {
            char err[256];
            if (tw_alert_config_parse(&ac, optarg, c == OPT_ALERT, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", prog, err);
                return 2;
            }
            break;
        }
        case OPT_BELL:
            a.bell = true;
            break;
        case OPT_ON_ALERT:
            if (!*optarg) {
                fprintf(stderr, "%s: --on-alert: expected a command\n", prog);
                return 2;
            }
            a.on_alert = optarg;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        case 'V':
            printf("trainwatch %s\n", tw_version());
            return 0;
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n", prog);
            return 2;
        }
    }
    if (once && jsonl) {
        fprintf(stderr, "%s: --once and --jsonl are different outputs: choose one\n", prog);
        return 2;
    }
    if (check && once) {
        fprintf(stderr, "%s: --check already prints once: choose --check or --once\n", prog);
        return 2;
    }
    if (check) {
        a.mode = MODE_CHECK;
        a.check_json = jsonl;
    } else if (jsonl)
        a.mode = MODE_JSONL;
    else if (once || !isatty(STDOUT_FILENO))
        a.mode = MODE_ONCE;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int status = 2;
    a.store = tw_store_new(NULL);
    a.alerts = tw_alerts_new(&ac);
    tw_source_callbacks cb = {.record = on_record,
                              .rejected = on_rejected,
                              .vanished = on_vanished,
                              .link = on_link,
                              .ctx = &a};
    a.sources = tw_sources_new(&cb);
    if (!a.store || !a.sources || !a.alerts) {
        fprintf(stderr, "%s: cannot start: %s\n", prog, strerror(errno));
        status = 1;
        goto out;
    }
    char err[1024];
    if (!sec.secret_key)
        sec.secret_key = env("TRAINWATCH_CURVE_SECRET");
    if (!sec.server_key)
        sec.server_key = env("TRAINWATCH_CURVE_SERVER");
    if (!sec.insecure && env("TRAINWATCH_INSECURE")) {
        const char *v = env("TRAINWATCH_INSECURE");
        if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
            fprintf(stderr, "%s: TRAINWATCH_INSECURE='%s': expected 1 (allow) or 0\n", prog, v);
            goto out;
        }
        sec.insecure = strcmp(v, "1") == 0;
    }
    if (tw_sources_set_security(a.sources, &sec, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    for (int i = 0; i < n_listen; i++) {
        if (tw_sources_listen(a.sources, listen[i], err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", prog, err);
            goto out;
        }
        if (err[0])
            fprintf(stderr, "%s: %s\n", prog, err); /* a warning */
    }
    for (int i = optind; i < argc; i++)
        if (tw_sources_add(a.sources, argv[i], err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", prog, err);
            goto out;
        }
    if (optind == argc && n_listen == 0 && tw_sources_discover(a.sources, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    if (a.mode == MODE_JSONL && !(a.jsonl = tw_jsonl_new(stdout))) {
        status = 1;
        goto out;
    }
    if (a.mode == MODE_UI && !(a.view = tw_view_new(&vo))) {
        fprintf(stderr, "%s: cannot use this terminal (%s); try --once or --jsonl\n", prog,
                strerror(errno));
        status = 1;
        goto out;
    }
    tw_view_set_alerts(a.view, a.alerts);

    status = run_loop(&a);
    tw_view_destroy(&a.view); /* the terminal is restored before anything is printed */
    if (a.mode == MODE_ONCE)
        tw_summary_print(stdout, a.store, tw_clock_wall());
    if (status == 0)
        handle_alerts(&a, tw_clock_mono());
    if ((a.mode == MODE_ONCE || a.mode == MODE_CHECK) && status == 0 && a.link_failures > 0 &&
        tw_store_run_count(a.store) == 0) {
        /* Nothing came, and a handshake failed: that is why; an empty table would hide it. */
        for (size_t i = 0; i < tw_sources_peer_count(a.sources); i++) {
            const char *addr, *detail;
            tw_link_state st = tw_sources_peer(a.sources, i, &addr, &detail);
            if (st == TW_LINK_AUTH_FAILED || st == TW_LINK_FAILED)
                fprintf(stderr, "%s: %s: %s; no data received\n", prog, addr, detail);
        }
        status = 2;
    } else if (a.mode == MODE_CHECK && status == 0) {
        uint64_t fired = tw_alerts_fired(a.alerts);
        if (!a.check_json)
            printf("%llu alert%s fired, %zu still active, in %zu run%s\n",
                   (unsigned long long)fired, fired == 1 ? "" : "s", tw_alerts_active(a.alerts),
                   tw_store_run_count(a.store), tw_store_run_count(a.store) == 1 ? "" : "s");
        status = fired ? 1 : 0;
    } else if (a.mode == MODE_CHECK && status == 1) {
        status = 2;
    }
    if (a.jsonl)
        tw_jsonl_epochs(a.jsonl, a.store, true);
out:
    tw_view_destroy(&a.view);
    /* Commands still running get a second to finish, so that a failure is reported. */
    for (int i = 0; i < 10 && a.alerts; i++) {
        bool running = false;
        for (int k = 0; k < MAX_HOOKS; k++)
            running |= a.hooks[k] > 0;
        if (!running)
            break;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        reap_hooks(&a);
    }
    tw_jsonl_destroy(&a.jsonl);
    tw_alerts_destroy(&a.alerts);
    tw_sources_destroy(&a.sources);
    tw_store_destroy(&a.store);
    fflush(stdout);
    return status;
}
