/* app.h - the program's parts wired together (app.c), for the loop in main.c: the store, the
 * sources, the alerts and their outputs, --jsonl, the links, the delays, the hooks, the view. */
#ifndef TW_APP_H
#define TW_APP_H

#include "alerts.h"
#include "cli.h"
#include "delay.h"
#include "headless.h"
#include "hooks.h"
#include "links.h"
#include "refill.h"
#include "source.h"
#include "store.h"
#include "view.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct tw_app {
    const tw_cli_options *o;
    tw_store *store;
    tw_sources *sources;
    tw_view *view;   /* the terminal UI, or NULL in the headless modes */
    tw_jsonl *jsonl; /* --jsonl, or NULL */
    tw_alerts *alerts;
    tw_delay *delay;      /* the delivery delay of live updates (--once, the help screen) */
    tw_links *links;      /* which connection carried which rank */
    tw_hooks *hooks;      /* --on-alert, or NULL */
    tw_refill refill;     /* when to ask the publishers for the records missing */
    bool store_error;     /* out of memory in the store or the alerts */
    size_t alerts_seen;   /* events handled (printed, passed to --on-alert, rung) */
    bool notice;          /* a new notice for the view: redraw */
    size_t link_failures; /* peers whose handshake failed (authentication, protocol) */
    int out_errno;        /* the first failed write to stdout (0: none) */
    bool has_filter;      /* headless modes with -f/--filter: filter is compiled */
    regex_t filter;
    tw_wire_record batch_rec; /* a batch's record given one by one (on_records): zero but for
                                 the fields an UPDATE or EPOCH sets */
} tw_app;

/* After output to stdout: keeps the errno of its first failed write in a->out_errno (stdio
 * forgets it: a later fflush succeeds on the emptied buffer). */
void tw_app_note_output(tw_app *a);

/* Sets a up for options o (borrowed: they must outlive a): the model, the sources with their
 * callbacks into it, and the output of o's mode. Returns -1 when the loop can run, else the
 * exit status with the message printed. Call tw_app_close in both cases. */
int tw_app_open(tw_app *a, const tw_cli_options *o);

/* Frees everything; --on-alert commands still running get a second to finish first, so that a
 * failure is reported. */
void tw_app_close(tw_app *a);

/* After data arrived: the epoch values for --jsonl, the alert rules and their new events
 * (printed, --on-alert, the bell; now: the loop's monotonic clock), and the store's finals
 * that every reader has read let go. */
void tw_app_after_data(tw_app *a, double now);

/* Evaluates the alert rules and handles the new events (the part of tw_app_after_data that
 * tw_app_finish also needs). */
void tw_app_handle_alerts(tw_app *a, double now);

/* Asks the publishers for their history again when records of live ranks have been missing
 * for a while (refill.h), and says so (the notice line, or standard error). Call it every
 * tick (now: the loop's monotonic clock, as the store's); behind: the sockets are read in a
 * backlog (full batches, one after the other). Nothing is asked while the monitor is behind,
 * a run log is being read, or records still arriving from a rank are old (more than two
 * heartbeats and a second): the replay would queue behind the rest, and a publisher that has
 * exited may still be handing over its last messages, which anything sent to it would reset
 * away (keepalive.h). */
void tw_app_refill(tw_app *a, double now, bool behind);

/* Once every run log is read to its end and no log's writer is alive (its registry entry
 * names a live process), and *settled is not yet, marks the runs static unless a live source
 * may still speak for them; sets *settled. */
void tw_app_settle_logs(tw_app *a, bool *settled);

/* Whether runs were seen and every one is over: ended or failed (vanished too when
 * vanished_done). */
bool tw_app_runs_done(const tw_app *a, bool vanished_done);

/* Whether some run can still change state by time alone (it is not ended or failed): the
 * store is then ticked. */
bool tw_app_runs_may_change(const tw_app *a);

/* After the loop: the terminal restored, the --once table, the last alerts, the --check
 * verdict, the last epoch values. Returns the exit status, from the loop's status. */
int tw_app_finish(tw_app *a, int status);

#endif
