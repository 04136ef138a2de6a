/* app.c - the program's parts wired together: the records from the sources into the store,
 * --jsonl and the links; the alerts to stdout, --on-alert and the bell; link news to the
 * view or stderr; what is printed at the end. main.c's loop drives it. */
#define _GNU_SOURCE
#include "app.h"

#include "clock.h"
#include "out.h"
#include "summary.h"
#include "terminal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Whether the record's run passes -f/--filter in a headless mode (the UI filters what it
 * shows, and can change its filter): its id or its name (a RUN record) matches. The store
 * then holds only runs that passed, so a run it knows passes. */
static bool
run_accepted(const tw_app *a, const tw_wire_header *h, const tw_wire_record *r)
{
    if (!a->has_filter || tw_store_find_run(a->store, h->run))
        return true;
    return regexec(&a->filter, h->run, 0, NULL, 0) == 0 ||
           (r->type == TW_REC_RUN && regexec(&a->filter, r->name, 0, NULL, 0) == 0);
}

/* Store callbacks from the sources. */
static int
on_record(void *ctx, const tw_source_origin *o, const tw_wire_header *h, const tw_wire_record *r)
{
    tw_app *a = ctx;
    if (!run_accepted(a, h, r))
        return 0; /* another run: --once, --check and --jsonl leave it out */
    if (a->jsonl) {
        tw_jsonl_record(a->jsonl, h, r);
        tw_app_note_output(a);
    }
    double now = o->now; /* the store's durations: immune to wall-clock steps; one a message */
    int rc = tw_store_ingest(a->store, h, r, now);
    if (rc == -ENOMEM)
        a->store_error = true;
    /* the delivery delay of live updates only: a run log's or a replay's times are old */
    if (rc == 0 && o->kind == TW_SOURCE_LIVE && r->type == TW_REC_UPDATE && h->replay_through == 0)
        tw_delay_add(a->delay, o->wall, r->time); /* both wall */
    /* the rank is connected over this link (again); out of memory, the next record retries */
    if (o->link)
        tw_links_record(a->links, h, o->link, now);
    return 0;
}

/* A batch of a run log's UPDATE and EPOCH records of one envelope: into the store at once,
 * or one by one through on_record when each is written out (--jsonl). */
static int
on_records(void *ctx, const tw_source_origin *o, const tw_wire_header *h,
           const tw_wire_state_rec *r, size_t n)
{
    tw_app *a = ctx;
    if (a->jsonl) {
        for (size_t i = 0; i < n; i++) {
            tw_wire_record_of(&a->batch_rec, &r[i]);
            on_record(ctx, o, h, &a->batch_rec);
        }
        return 0;
    }
    if (!run_accepted(a, h, &a->batch_rec)) /* by the envelope alone: a batch holds no RUN */
        return 0;
    if (tw_store_ingest_states(a->store, h, r, n, o->now) == -ENOMEM)
        a->store_error = true;
    return 0;
}

static void
on_rejected(void *ctx, const char *where, int err, const char *what)
{
    tw_app *a = ctx;
    tw_store_count_rejected(a->store, 1);
    if (what && a->view && err == -EPROTO) { /* the UI would show nothing, and not say why */
        char msg[640];
        snprintf(msg, sizeof msg, "%s: written by a newer trainwatch (unsupported version)", where);
        tw_view_set_link_problem(a->view, msg); /* the title bar, and where runs would be */
        a->notice = true;
    } else if (what && a->o->mode != TW_CLI_UI) {
        tw_out_error("%s: %s (%s)", where, what, strerror(-err));
    }
}

/* A source that cannot be read: on stderr, or the UI's title bar (as a link's problem). */
static void
on_problem(void *ctx, const char *where, const char *what)
{
    tw_app *a = ctx;
    char msg[640];
    snprintf(msg, sizeof msg, "%s: %s", where, what);
    if (a->view) {
        tw_view_set_link_problem(a->view, msg);
        a->notice = true;
    } else {
        tw_out_error("%s", msg);
    }
}

static void
on_vanished(void *ctx, const char *run, uint32_t rank, uint64_t incarnation)
{
    tw_app *a = ctx;
    tw_store_mark_vanished(a->store, run, rank, incarnation, tw_clock_mono());
}

/* A link changed: runs carried by a lost connection are disconnected; problems and
 * recoveries are told (stderr and JSON lines in headless modes, the title bar in the UI). */
static void
on_link(void *ctx, const tw_source_link *l)
{
    tw_app *a = ctx;
    size_t carried = 0, lost = 0;
    if (l->state == TW_LINK_DOWN || (l->accepted && l->link)) {
        carried = tw_links_carried(a->links, l->link);
        lost = tw_links_down(a->links, l->link, tw_clock_mono());
    }
    if (l->accepted && l->link)
        return; /* one publisher's connection to --listen ended: its ranks say so */
    /* Every rank it carried had ended (the sources tell a close after the records it left
     * queued): the publisher closed it at its end, nothing was lost. */
    const char *detail = l->state == TW_LINK_DOWN && carried > 0 && lost == 0
                             ? "disconnected after the end of its run; reconnecting"
                             : l->detail;
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
    snprintf(msg, sizeof msg, "%s: %s", l->address, recovered ? "connected again" : detail);
    if (a->view) {
        if (problem)
            tw_view_set_link_problem(a->view, msg);
        else if (recovered)
            tw_view_set_link_problem(a->view, NULL);
        a->notice = true;
        return;
    }
    tw_out_error("%s", msg);
    if (a->jsonl)
        tw_link_print_json(stdout, l->address, tw_link_state_name(l->state), detail);
    tw_app_note_output(a);
}

/* A sentence for the person: on the notice line, or on stderr. */
static void
report(tw_app *a, const char *msg)
{
    if (a->view) {
        tw_view_set_notice(a->view, msg);
        a->notice = true;
    } else {
        tw_out_error("%s", msg);
    }
}

/* A failing --on-alert command, or skipped alerts. */
static void
on_hook_report(void *ctx, const char *msg)
{
    report(ctx, msg);
}

/* The records missing (sequence gaps) from the live ranks' newest processes, which a replay
 * can still bring; *late: records of a rank that has not ended still arrive (heard within two
 * heartbeats and a second, at `now`), but they are older than that (by its clock against
 * ours, at `wall`): a backlog on its way (a slow path, a relay's queue), from a process that
 * may have exited since, whatever state the rank is shown in. */
static uint64_t
missing_records(const tw_store *s, double now, double wall, bool *late)
{
    uint64_t n = 0;
    *late = false;
    for (size_t i = 0; i < tw_store_run_count(s); i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        if (run->is_static)
            continue;
        for (uint32_t k = 0; k < tw_store_run_ranks_heard(run); k++) {
            const tw_store_rank *rk = tw_store_run_rank_heard(run, k);
            double recent = 2 * rk->heartbeat_interval + 1;
            if (rk->ended)
                continue;
            *late |= now - rk->last_heard < recent && wall - rk->last_time > recent;
            if (rk->state == TW_STATE_LIVE)
                n += tw_store_run_rank_missing(run, k);
        }
    }
    return n;
}

void
tw_app_refill(tw_app *a, double now, bool behind)
{
    if (tw_sources_stats(a->sources).endpoints == 0)
        return; /* run logs only: nobody to ask */
    bool late;
    uint64_t missing = missing_records(a->store, now, tw_clock_wall(), &late);
    if (behind || late || tw_sources_log_pending(a->sources)) {
        tw_refill_hold(&a->refill, missing, now);
        return;
    }
    if (!tw_refill_note(&a->refill, missing, now) || !tw_sources_ask_replay(a->sources))
        return;
    char msg[160];
    snprintf(msg, sizeof msg,
             "%llu records missed (this monitor fell behind): asked the publishers for a "
             "replay",
             (unsigned long long)missing);
    report(a, msg);
}

/* Counts the runs seen, and those in a state that is over (ended, failed; vanished too when
 * vanished_over). */
static size_t
runs_over(const tw_store *s, bool vanished_over, size_t *seen)
{
    size_t over = 0;
    *seen = tw_store_run_count(s);
    for (size_t i = 0; i < *seen; i++) {
        tw_store_state st = tw_store_run_at(s, i)->state;
        over += st == TW_STATE_ENDED || st == TW_STATE_FAILED ||
                (vanished_over && st == TW_STATE_VANISHED);
    }
    return over;
}

bool
tw_app_runs_done(const tw_app *a, bool vanished_done)
{
    size_t seen, over = runs_over(a->store, vanished_done, &seen);
    return seen > 0 && over == seen;
}

bool
tw_app_runs_may_change(const tw_app *a)
{
    size_t seen, over = runs_over(a->store, false, &seen);
    return over < seen;
}

/* Marks the runs read only from logs as static once the logs are read to their end. */
void
tw_app_settle_logs(tw_app *a, bool *settled)
{
    if (*settled || tw_sources_log_pending(a->sources) || tw_sources_logs_live(a->sources))
        return; /* more to read, or a writer still at work */
    *settled = true;
    tw_source_stats st = tw_sources_stats(a->sources);
    if (st.endpoints > 0)
        return; /* live sources may still speak for these runs */
    for (size_t i = 0; i < tw_store_run_count(a->store); i++)
        tw_store_mark_static(a->store, tw_store_run_at(a->store, i)->id, tw_clock_mono());
}

/* Passes alert event e to the --on-alert command as one JSON line. */
static void
run_hook(tw_app *a, const tw_alert *e, double now)
{
    tw_json j;
    tw_json_init(&j);
    tw_alert_to_json(&j, e);
    tw_hooks_run(a->hooks, tw_json_text(&j), tw_json_len(&j), now);
    tw_json_fini(&j);
}

/* Evaluates the alert rules and handles the new events: printed (--check, --jsonl), passed to
 * --on-alert, the bell. */
void
tw_app_handle_alerts(tw_app *a, double now)
{
    if (tw_alerts_eval(a->alerts, a->store, tw_clock_wall()) == -ENOMEM)
        a->store_error = true;
    bool rang = false;
    for (; a->alerts_seen < tw_alerts_count(a->alerts); a->alerts_seen++) {
        const tw_alert *e = tw_alerts_at(a->alerts, a->alerts_seen);
        const tw_store_run *run = tw_store_find_run(a->store, e->run);
        const char *label = run && run->label[0] ? run->label : NULL; /* "train #2" */
        if (a->o->mode == TW_CLI_CHECK)
            tw_alert_print(stdout, e, label, a->o->check_json);
        else if (a->o->mode == TW_CLI_JSONL)
            tw_alert_print(stdout, e, NULL, true);
        tw_app_note_output(a);
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

void
tw_app_after_data(tw_app *a, double now)
{
    if (a->jsonl)
        tw_jsonl_epochs(a->jsonl, a->store, false);
    tw_app_note_output(a);
    tw_app_handle_alerts(a, now);
    /* the finals both readers have read are let go: memory follows the unread, not the run */
    uint64_t read = tw_alerts_finals_read(a->alerts);
    if (a->jsonl && tw_jsonl_finals_read(a->jsonl) < read)
        read = tw_jsonl_finals_read(a->jsonl);
    tw_store_finals_trim(a->store, read);
}

/* Says why --once or --check saw nothing: the peers whose handshake failed. */
static void
print_link_failures(const tw_app *a)
{
    for (size_t i = 0; i < tw_sources_peer_count(a->sources); i++) {
        const char *addr, *detail;
        tw_link_state st = tw_sources_peer(a->sources, i, &addr, &detail);
        if (st == TW_LINK_AUTH_FAILED || st == TW_LINK_FAILED)
            tw_out_error("%s: %s; no data received", addr, detail);
    }
}

/* After the loop: the terminal restored, the --once table, the last alerts, the --check
 * verdict, the last epoch values. Returns the exit status. */
int
tw_app_finish(tw_app *a, int status)
{
    tw_view_destroy(&a->view); /* the terminal is restored before anything is printed */
    tw_cli_mode mode = a->o->mode;
    if (mode == TW_CLI_ONCE)
        tw_summary_print(stdout, a->store, a->delay);
    tw_app_note_output(a);
    if (status == 0)
        tw_app_handle_alerts(a, tw_clock_mono());
    if ((mode == TW_CLI_ONCE || mode == TW_CLI_CHECK) && status == 0 && a->link_failures > 0 &&
        tw_store_run_count(a->store) == 0) {
        /* Nothing came, and a handshake failed: that is why; an empty table would hide it. */
        print_link_failures(a);
        status = 2;
    } else if (mode == TW_CLI_CHECK && status == 0) {
        if (!a->o->check_json)
            tw_check_summary_print(stdout, a->alerts, a->store);
        tw_app_note_output(a);
        if (a->o->check_active)
            status = tw_alerts_active(a->alerts) ? 1 : 0;
        else
            status = tw_alerts_fired(a->alerts) ? 1 : 0;
    } else if (mode == TW_CLI_CHECK && status == 1) {
        status = 2;
    }
    if ((status == 0 || (mode == TW_CLI_CHECK && status == 1)) && mode != TW_CLI_UI &&
        tw_sources_unusable(a->sources))
        status = 2; /* a file named on the command line gave nothing usable (told already) */
    if (a->jsonl)
        tw_jsonl_epochs(a->jsonl, a->store, true);
    tw_app_note_output(a);
    return status;
}

/* Adds the sources: the security settings, --listen endpoints, SOURCE arguments, or the
 * registry when there are neither. Returns -1, or 2 with the message printed. */
static int
add_sources(tw_app *a)
{
    const tw_cli_options *o = a->o;
    char err[1024];
    if (tw_sources_set_security(a->sources, &o->security, err, sizeof err) != 0)
        goto fail;
    for (int i = 0; i < o->n_listen; i++) {
        if (tw_sources_listen(a->sources, o->listen[i], err, sizeof err) != 0)
            goto fail;
        if (err[0])
            tw_out_error("%s", err); /* a warning */
    }
    for (int i = 0; i < o->n_sources; i++)
        if (tw_sources_add(a->sources, o->sources[i], err, sizeof err) != 0)
            goto fail;
    if (o->n_sources == 0 && o->n_listen == 0 &&
        tw_sources_discover(a->sources, err, sizeof err) != 0)
        goto fail;
    return -1;
fail:
    tw_out_error("%s", err);
    return 2;
}

/* Creates the model, the sources and the output of a's mode. Returns -1 when the loop can
 * run, else the exit status (the message printed). */
int
tw_app_open(tw_app *a, const tw_cli_options *o)
{
    *a = (tw_app){.o = o};
    tw_refill_init(&a->refill);
    a->store = tw_store_new(NULL);
    a->alerts = tw_alerts_new(&a->o->alerts);
    a->delay = tw_delay_new();
    a->links = a->store ? tw_links_new(a->store) : NULL;
    tw_source_callbacks cb = {.record = on_record,
                              .records = on_records,
                              .rejected = on_rejected,
                              .problem = on_problem,
                              .vanished = on_vanished,
                              .link = on_link,
                              .ctx = a};
    a->sources = tw_sources_new(&cb);
    if (a->sources && a->o->read_ahead >= 0)
        tw_sources_set_read_ahead(a->sources, a->o->read_ahead);
    if (a->o->on_alert)
        a->hooks = tw_hooks_new(a->o->on_alert, a->o->mode == TW_CLI_UI, on_hook_report, a);
    if (!a->store || !a->sources || !a->alerts || !a->delay || !a->links ||
        (a->o->on_alert && !a->hooks)) {
        fprintf(stderr, "trainwatch: cannot start: %s\n", strerror(errno));
        return 1;
    }
    if (a->o->mode != TW_CLI_UI && a->o->view.filter) { /* checked by the options already */
        if (regcomp(&a->filter, a->o->view.filter, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
            return 2;
        a->has_filter = true;
    }
    int status = add_sources(a);
    if (status >= 0)
        return status;
    if (a->o->mode == TW_CLI_JSONL && !(a->jsonl = tw_jsonl_new(stdout)))
        return 1;
    char why[256];
    if (a->o->mode == TW_CLI_UI && tw_terminal_check(why, sizeof why) < 0) {
        fprintf(stderr, "trainwatch: cannot run the terminal UI: %s; try --once or --jsonl\n", why);
        return 1;
    }
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
void
tw_app_close(tw_app *a)
{
    tw_view_destroy(&a->view);
    if (a->hooks) {
        tw_hooks_drain(a->hooks, 1.0);
        tw_hooks_report_skipped(a->hooks); /* on stderr: the view is gone */
    }
    tw_hooks_destroy(&a->hooks);
    tw_jsonl_destroy(&a->jsonl);
    tw_alerts_destroy(&a->alerts);
    tw_sources_destroy(&a->sources);
    tw_links_destroy(&a->links);
    tw_store_destroy(&a->store);
    tw_delay_destroy(&a->delay);
    if (a->has_filter)
        regfree(&a->filter);
    a->has_filter = false;
    fflush(stdout);
    tw_app_note_output(a);
}

void
tw_app_note_output(tw_app *a)
{
    if (a->out_errno == 0 && ferror(stdout))
        a->out_errno = errno ? errno : EIO; /* the failed write was the last call */
}
