/* cli.c - the trainwatch command line: options into a struct, --help, validation (cli.h). */
#define _GNU_SOURCE
#include "cli.h"

#include "trainwatch.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "trainwatch" /* the name in messages, whatever argv[0] is */

/* Long options without a short one. */
enum {
    OPT_ASCII = 1000,
    OPT_NO_COLOR,
    OPT_NO_MOUSE,
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
    {"no-mouse", no_argument, NULL, OPT_NO_MOUSE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"check", optional_argument, NULL, 'c'},
    {"alert", required_argument, NULL, OPT_ALERT},
    {"no-alert", required_argument, NULL, OPT_NO_ALERT},
    {"bell", no_argument, NULL, OPT_BELL},
    {"on-alert", required_argument, NULL, OPT_ON_ALERT},
    {"key", required_argument, NULL, 'k'},
    {"server-key", required_argument, NULL, 's'},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {NULL, 0, NULL, 0},
};

/* The output flags, before they become a mode. */
typedef struct outputs {
    bool once, jsonl, check;
} outputs;

/* The --help text after the options: the subcommands, defaults, exit status. Returns 0 or the
 * errno of a failed write. */
static int
usage_tail(FILE *out)
{
    int rc = fprintf(
        out,
        "\n"
        "Subcommands:\n"
        "  %s keygen NAME  write a CURVE key pair: NAME.key (secret, mode 0600) and\n"
        "                          NAME.pub (public); see --key, --server-key\n"
        "  %s completion bash|zsh  print the bash or zsh completion script (meson\n"
        "                          install installs both; or: source <(trainwatch completion "
        "bash))\n"
        "\n"
        "When standard output is not a terminal, --once is used unless --jsonl is given.\n"
        "Keys in the terminal UI: press ? for help, q to quit.\n"
        "To forward the runs of a node to monitors elsewhere: trainwatch relay --help.\n"
        "To write run logs' epoch values as CSV, JSON lines or an SVG figure:\n"
        "trainwatch export --help.\n"
        "Environment: TRAINWATCH_CURVE_SECRET, TRAINWATCH_CURVE_SERVER and\n"
        "TRAINWATCH_INSECURE (--key, --server-key, --insecure), TRAINWATCH_READ_AHEAD\n"
        "(0: read run logs on one thread; 1: a second thread reads ahead),\n"
        "XDG_RUNTIME_DIR (where live runs are found), TERM, LANG; see man trainwatch.\n"
        "Exit status: 0 done, 1 a runtime error, 2 bad options or sources; with --check:\n"
        "0 no alert fired, 1 at least one fired, 2 an error (--check=active: 0 none still\n"
        "active at the end, 1 one is). --once and --check exit 2 when a connection failed\n"
        "its handshake (a wrong key) and no run was seen. Stopped by signal N (Ctrl-C, Ctrl-\\,\n"
        "SIGTERM, SIGHUP): 128+N.\n",
        "trainwatch", "trainwatch");
    return rc < 0 ? errno : 0;
}

int
tw_cli_usage(FILE *out)
{
    int rc = fprintf(
        out,
        "usage: %s [OPTIONS] [SOURCE...]\n"
        "\n"
        "Watch training runs live: per-epoch and per-step curves of the metrics that\n"
        "libtrainwatch publishers stream, merged exactly over data-parallel ranks.\n"
        "\n"
        "SOURCE is an endpoint (tcp://HOST:PORT, ipc://PATH), a run-log file (*.twlog) or a\n"
        "directory of run logs (followed while they grow). With no SOURCE and no --listen,\n"
        "every live run of this user on this host is shown, and new runs as they start.\n"
        "Every launch is a run of its own (its run id); runs that share a name are shown\n"
        "apart (NAME, NAME #2); only a resumed launch continues an earlier run.\n"
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
        "  -c, --check[=active]   like --once (with --until-end: until the runs end), print\n"
        "                         the alerts that fired (JSON lines with --jsonl); exit 1\n"
        "                         when at least one fired (even if it cleared), 0 when none\n"
        "                         did; --check=active: exit 1 when one is still active at\n"
        "                         the end, 0 when none is\n"
        "      --alert RULE[,KEY=VALUE...]  turn an alert rule on and set its parameters;\n"
        "                         repeatable. Rules: overfitting (k, min_delta, z, floor,\n"
        "                         samples, slope), gl (alpha), pq (alpha, k), up (s, k),\n"
        "                         patience (patience, min_delta, baseline, start_from_epoch),\n"
        "                         nonfinite, stalled, dataloss. On by default: overfitting (k=3,\n"
        "                         z=0.1, floor=0.5, samples=10, slope=6), nonfinite, stalled,\n"
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
        "  -f, --filter REGEX     only runs whose name or id matches (extended, no case;\n"
        "                         --once, --check and --jsonl too)\n"
        "      --ascii            draw with ASCII even when the locale is UTF-8\n"
        "      --no-color         draw without colors\n"
        "      --no-mouse         leave the mouse to the terminal (no clicks, no wheel zoom)\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n",
        "trainwatch");
    int e = rc < 0 ? errno : 0, e2 = usage_tail(out);
    return e ? e : e2;
}

tw_cli_options
tw_cli_defaults(void)
{
    return (tw_cli_options){
        .mode = TW_CLI_UI, .wait_seconds = 2.0, .alerts = tw_alert_defaults(), .read_ahead = -1};
}

/* -f/--filter REGEX: an extended regular expression, checked now (every mode applies it).
 * Returns -1, or 2 with the message printed. */
static int
parse_filter(tw_cli_options *o, const char *arg)
{
    regex_t re;
    int rc = regcomp(&re, arg, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &re, why, sizeof why);
        fprintf(stderr, "%s: --filter '%s': %s\n", PROG, arg, why);
        return 2;
    }
    regfree(&re);
    o->view.filter = arg;
    return -1;
}

/* --wait SECONDS: 0 to 86400, in decimal digits with at most one point ("2", "0.5"): not
 * empty, no sign, space, exponent or hex (strtod alone takes "" as 0 and "0x10" as 16).
 * Returns -1, or 2 with the message printed. */
static int
parse_wait(tw_cli_options *o, const char *arg)
{
    size_t digits = strspn(arg, "0123456789"), frac = 0;
    if (arg[digits] == '.')
        frac = strspn(arg + digits + 1, "0123456789");
    bool plain = digits + frac > 0 && arg[digits + (arg[digits] == '.') + frac] == '\0';
    char *end;
    errno = 0;
    o->wait_seconds = plain ? strtod(arg, &end) : -1;
    if (!plain || errno || *end || !isfinite(o->wait_seconds) || o->wait_seconds < 0 ||
        o->wait_seconds > 86400) {
        fprintf(stderr, "%s: --wait '%s': expected seconds between 0 and 86400\n", PROG, arg);
        return 2;
    }
    return -1;
}

/* Options that set what the program watches and how it reacts. Returns -1 when c was
 * applied (or is not one of them: *known false), else the exit status. */
static int
apply_watch_option(tw_cli_options *o, int c, const char *arg, bool *known)
{
    *known = true;
    switch (c) {
    case 'k':
        o->security.secret_key = arg;
        return -1;
    case 's':
        o->security.server_key = arg;
        return -1;
    case OPT_INSECURE:
        o->security.insecure = true;
        return -1;
    case 'l':
        if (o->n_listen == TW_CLI_MAX_LISTEN) {
            fprintf(stderr, "%s: at most %d --listen endpoints\n", PROG, TW_CLI_MAX_LISTEN);
            return 2;
        }
        o->listen[o->n_listen++] = arg;
        return -1;
    case OPT_ALERT:
    case OPT_NO_ALERT: {
        char err[256];
        if (tw_alert_config_parse(&o->alerts, arg, c == OPT_ALERT, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s %s\n", PROG, c == OPT_ALERT ? "--alert" : "--no-alert", err);
            return 2;
        }
        return -1;
    }
    case OPT_BELL:
        o->bell = true;
        return -1;
    case OPT_ON_ALERT:
        if (!*arg) {
            fprintf(stderr, "%s: --on-alert: expected a command\n", PROG);
            return 2;
        }
        o->on_alert = arg;
        return -1;
    }
    *known = false;
    return -1;
}

/* Options of the output and the view, --help and --version. Returns -1 when applied, else
 * the exit status (an unknown option: 2, getopt has printed why). */
static int
apply_output_option(tw_cli_options *o, outputs *out, int c, const char *arg)
{
    switch (c) {
    case '1':
        out->once = true;
        return -1;
    case 'w':
        return parse_wait(o, arg);
    case 'j':
        out->jsonl = true;
        return -1;
    case 'u':
        o->until_end = true;
        return -1;
    case 'c':
        out->check = true;
        if (arg && strcmp(arg, "active") == 0) {
            o->check_active = true;
        } else if (arg && strcmp(arg, "fired") != 0) {
            fprintf(stderr, "%s: --check=%s: expected --check, --check=fired or --check=active\n",
                    PROG, arg);
            return 2;
        }
        return -1;
    case 'm':
        o->view.metric = arg;
        return -1;
    case 'f':
        return parse_filter(o, arg);
    case OPT_ASCII:
        o->view.ascii = true;
        return -1;
    case OPT_NO_COLOR:
        o->view.no_color = true;
        return -1;
    case OPT_NO_MOUSE:
        o->view.no_mouse = true;
        return -1;
    case 'h':
        o->out_errno = tw_cli_usage(stdout);
        return 0;
    case 'V':
        printf("trainwatch %s\n", tw_version());
        return 0;
    default:
        fprintf(stderr, "Try '%s --help' for more information.\n", PROG);
        return 2;
    }
}

/* The mode from the output flags. Returns -1, or 2 when they exclude each other. */
static int
choose_mode(tw_cli_options *o, const outputs *out, bool stdout_tty)
{
    if (out->once && out->jsonl) {
        fprintf(stderr, "%s: --once and --jsonl are different outputs: choose one\n", PROG);
        return 2;
    }
    if (out->check && out->once) {
        fprintf(stderr, "%s: --check already prints once: choose --check or --once\n", PROG);
        return 2;
    }
    if (out->check) {
        o->mode = TW_CLI_CHECK;
        o->check_json = out->jsonl;
    } else if (out->jsonl)
        o->mode = TW_CLI_JSONL;
    else if (out->once || !stdout_tty)
        o->mode = TW_CLI_ONCE;
    return -1;
}

/* A non-empty environment variable, or NULL. */
static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The environment variable `name` that is 1 or 0, as true or false into *on (unset or empty:
 * *on unchanged). Returns -1, or 2 for another value (the message printed). */
static int
env_switch(const char *name, const char *what, int *on)
{
    const char *v = env(name);
    if (!v)
        return -1;
    if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
        fprintf(stderr, "%s: %s='%s': expected 1 (%s) or 0\n", PROG, name, v, what);
        return 2;
    }
    *on = strcmp(v, "1") == 0;
    return -1;
}

/* The security settings the options left unset, from the environment. Returns -1, or 2 for a
 * TRAINWATCH_INSECURE that is neither 1 nor 0. */
static int
security_from_env(tw_source_security *sec)
{
    if (!sec->secret_key)
        sec->secret_key = env("TRAINWATCH_CURVE_SECRET");
    if (!sec->server_key)
        sec->server_key = env("TRAINWATCH_CURVE_SERVER");
    int insecure = sec->insecure;
    int status = sec->insecure ? -1 : env_switch("TRAINWATCH_INSECURE", "allow", &insecure);
    sec->insecure = insecure;
    return status;
}

int
tw_cli_parse(tw_cli_options *o, int argc, char **argv, bool stdout_tty)
{
    *o = tw_cli_defaults();
    outputs out = {0};
    optind = 0; /* glibc: start afresh (a second parse in one process) */
    int c, status = -1;
    while (status < 0 &&
           (c = getopt_long(argc, argv, "l:1w:jum:f:hVck:s:", longopts, NULL)) != -1) {
        bool known;
        status = apply_watch_option(o, c, optarg, &known);
        if (!known)
            status = apply_output_option(o, &out, c, optarg);
    }
    if (status >= 0)
        return status;
    o->sources = argv + optind;
    o->n_sources = argc - optind;
    if ((status = choose_mode(o, &out, stdout_tty)) >= 0)
        return status;
    if ((status = security_from_env(&o->security)) >= 0)
        return status;
    return tw_cli_read_ahead_env(&o->read_ahead);
}

int
tw_cli_read_ahead_env(int *on)
{
    return env_switch("TRAINWATCH_READ_AHEAD", "read run logs ahead", on);
}

const struct option *
tw_cli_long_options(void)
{
    return longopts;
}
