/* cli.h - the trainwatch command line: options into a struct, --help, their validation. */
#ifndef TW_CLI_H
#define TW_CLI_H

#include "alerts.h"
#include "source.h"
#include "view.h"

#include <stdbool.h>
#include <stdio.h>

#define TW_CLI_MAX_LISTEN 16 /* --listen endpoints, at most */

/* What the program does with what it gathers. */
typedef enum tw_cli_mode {
    TW_CLI_UI = 0, /* the terminal UI */
    TW_CLI_ONCE,   /* --once (or stdout not a terminal): a table, then exit */
    TW_CLI_JSONL,  /* --jsonl: JSON lines */
    TW_CLI_CHECK   /* --check: the alerts that fired, exit 1 when any did */
} tw_cli_mode;

/* The options of one invocation. Strings point into argv or the environment (borrowed). */
typedef struct tw_cli_options {
    tw_cli_mode mode;
    bool until_end;         /* --until-end */
    double wait_seconds;    /* --wait (default 2) */
    bool check_json;        /* --check --jsonl */
    bool check_active;      /* --check=active: exit 1 only for an alert active at the end */
    bool bell;              /* --bell */
    const char *on_alert;   /* --on-alert CMD, or NULL */
    tw_alert_config alerts; /* the defaults changed by --alert and --no-alert */
    tw_view_options view;   /* --metric, --filter, --ascii, --no-color,
                               --no-mouse */
    const char *listen[TW_CLI_MAX_LISTEN];
    int n_listen;
    tw_source_security security; /* --key, --server-key, --insecure and their env variables */
    char **sources;              /* the SOURCE arguments */
    int n_sources;
    int out_errno;  /* the errno of a failed write of --help or --version, for the exit status */
    int read_ahead; /* TRAINWATCH_READ_AHEAD: 1 or 0; -1 (unset): on with two cores or more */
} tw_cli_options;

/* The options of `trainwatch` alone: the UI, --wait 2, the default alert rules. */
tw_cli_options tw_cli_defaults(void);

/* Parses argv (argv[0] is the program; getopt's state is reset first, so it may be called
 * again) into *o, then reads TRAINWATCH_CURVE_SECRET, TRAINWATCH_CURVE_SERVER and
 * TRAINWATCH_INSECURE for what the options left unset, and TRAINWATCH_READ_AHEAD. stdout_tty
 * chooses --once when no output is asked for. Returns -1 when the program should run;
 * otherwise the exit status, the text printed: 0 after --help (usage on stdout) or --version,
 * 2 for a bad option, a bad value, options that exclude each other or a TRAINWATCH_INSECURE
 * or TRAINWATCH_READ_AHEAD that is neither 1 nor 0 (a message on stderr naming it). */
int tw_cli_parse(tw_cli_options *o, int argc, char **argv, bool stdout_tty);

/* TRAINWATCH_READ_AHEAD into *on: 1 or 0; unset or empty, *on unchanged. Returns -1, or 2 for
 * another value (a message on stderr naming it). For tw_cli_parse and `trainwatch export`. */
int tw_cli_read_ahead_env(int *on);

/* Prints the --help text to out. Returns 0, or the errno of a write that failed (a buffer
 * flushed on the way may fail before the end, when errno still says why). */
int tw_cli_usage(FILE *out);

/* The long options getopt is given, ending with a row of NULL name (a static table): what
 * `trainwatch completion` offers. An option's val is its short letter where it has one. */
struct option;
const struct option *tw_cli_long_options(void);

#endif
