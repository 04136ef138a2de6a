/* headless.c - JSON lines: decoded records, finalized epoch values, alerts, links (headless.h). */
#define _GNU_SOURCE
#include "headless.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 65536 /* metric declarations remembered (names of later updates) */

/* A metric id's name and split, for one publisher incarnation. */
typedef struct name_entry {
    char run[TW_WIRE_MAX_NAME + 1];
    uint64_t incarnation;
    uint32_t rank, id;
    char name[TW_WIRE_MAX_NAME + 1];
    tw_split split;
    int kind;
    tw_metric_options options;
} name_entry;

/* An epoch value already written. */
typedef struct written {
    const tw_store_series *series;
    uint64_t epoch;
    bool final;
    double value; /* what was written */
} written;

struct tw_jsonl {
    FILE *out;
    tw_json json; /* the line being written */
    name_entry *names;
    size_t n_names;
    written *done;
    size_t n_done, cap_done;
};

tw_jsonl *
tw_jsonl_new(FILE *out)
{
    tw_jsonl *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->out = out;
    tw_json_init(&j->json);
    j->names = calloc(MAX_NAMES, sizeof(*j->names));
    if (!j->names) {
        free(j);
        errno = ENOMEM;
        return NULL;
    }
    return j;
}

void
tw_jsonl_destroy(tw_jsonl **jp)
{
    if (!jp || !*jp)
        return;
    tw_json_fini(&(*jp)->json);
    free((*jp)->names);
    free((*jp)->done);
    free(*jp);
    *jp = NULL;
}

static const char *const type_names[] = {
    [TW_REC_RUN] = "run",
    [TW_REC_METRIC] = "metric",
    [TW_REC_UPDATE] = "update",
    [TW_REC_EPOCH] = "epoch",
    [TW_REC_EPOCH_END] = "epoch_end",
    [TW_REC_HEARTBEAT] = "heartbeat",
    [TW_REC_RUN_END] = "run_end",
    [TW_REC_DROPS] = "drops",
};

static const name_entry *
find_name(const tw_jsonl *j, const tw_wire_header *h, uint32_t id)
{
    for (size_t i = j->n_names; i-- > 0;) {
        const name_entry *e = &j->names[i];
        if (e->id == id && e->rank == h->rank && e->incarnation == h->incarnation &&
            strcmp(e->run, h->run) == 0)
            return e;
    }
    return NULL;
}

/* Remembers a METRIC record's name, split, kind and options for the updates that follow. */
static void
remember_metric(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r)
{
    if (find_name(j, h, r->metric_id) || j->n_names >= MAX_NAMES)
        return;
    name_entry *e = &j->names[j->n_names++];
    snprintf(e->run, sizeof e->run, "%s", h->run);
    e->incarnation = h->incarnation;
    e->rank = h->rank;
    e->id = r->metric_id;
    snprintf(e->name, sizeof e->name, "%s", r->name);
    e->split = r->split;
    e->kind = r->kind;
    e->options = r->options;
}

/* The members every record has: type, run, inc, rank, world, seq (the object is opened). */
static void
record_envelope(tw_json *o, const tw_wire_header *h, const tw_wire_record *r)
{
    char inc[24];
    snprintf(inc, sizeof inc, "%016llx", (unsigned long long)h->incarnation);
    tw_json_object_begin(o, NULL);
    tw_json_string(o, "type", type_names[r->type]);
    tw_json_string(o, "run", h->run);
    tw_json_string(o, "inc", inc);
    tw_json_u64(o, "rank", h->rank);
    tw_json_u64(o, "world", h->world);
    tw_json_u64(o, "seq", r->seq);
}

/* RUN: name, host, program, pid, start, epochs, steps_per_epoch, params (numbers as numbers,
 * non-finite ones and texts as strings). */
static void
record_run(tw_json *o, const tw_wire_record *r)
{
    tw_json_string(o, "name", r->name);
    tw_json_string(o, "host", r->host);
    tw_json_string(o, "program", r->program);
    tw_json_u64(o, "pid", r->pid);
    tw_json_double(o, "start", r->time);
    tw_json_u64(o, "epochs", r->planned_epochs);
    tw_json_u64(o, "steps_per_epoch", r->steps_per_epoch);
    tw_json_object_begin(o, "params");
    for (uint32_t i = 0; i < r->n_params; i++) {
        if (r->params[i].is_number && isfinite(r->params[i].number))
            tw_json_double(o, r->params[i].key, r->params[i].number);
        else
            tw_json_string(o, r->params[i].key, r->params[i].text);
    }
    tw_json_object_end(o);
}

/* METRIC: id, metric, split, kind, n. */
static void
record_metric(tw_json *o, const tw_wire_record *r)
{
    tw_json_u64(o, "id", r->metric_id);
    tw_json_string(o, "metric", r->name);
    tw_json_string(o, "split", tw_wire_split_name(r->split));
    tw_json_string(o, "kind",
                   r->kind == TW_WIRE_KIND_GAUGE ? "gauge"
                                                 : tw_metric_kind_name((tw_metric_kind)r->kind));
    tw_json_u64(o, "n", r->state_len);
}

/* UPDATE and EPOCH: id, metric and split (when declared), epoch, step, time, value (this
 * rank's result, when declared), state. */
static void
record_values(tw_json *o, const name_entry *e, const tw_wire_record *r)
{
    tw_json_u64(o, "id", r->metric_id);
    if (e) {
        tw_json_string(o, "metric", e->name);
        tw_json_string(o, "split", tw_wire_split_name(e->split));
    }
    tw_json_u64(o, "epoch", r->epoch);
    tw_json_u64(o, "step", r->step);
    tw_json_double(o, "time", r->time);
    if (e && e->kind == TW_WIRE_KIND_GAUGE) {
        tw_json_double(o, "value", r->state[0]);
    } else if (e) {
        tw_metric *m = tw_metric_new((tw_metric_kind)e->kind, &e->options);
        if (m && tw_metric_set_state(m, r->state, r->state_len) == 0)
            tw_json_double(o, "value", tw_metric_result(m));
        tw_metric_destroy(&m);
    }
    tw_json_array_begin(o, "state");
    for (uint32_t i = 0; i < r->state_len; i++)
        tw_json_double(o, NULL, r->state[i]);
    tw_json_array_end(o);
}

/* EPOCH_END, HEARTBEAT, RUN_END, DROPS: their few fields, then time. */
static void
record_marker(tw_json *o, const tw_wire_record *r)
{
    switch (r->type) {
    case TW_REC_EPOCH_END:
        tw_json_u64(o, "epoch", r->epoch);
        tw_json_u64(o, "step", r->step);
        tw_json_u64(o, "metrics", r->metrics);
        break;
    case TW_REC_HEARTBEAT:
        tw_json_u64(o, "epoch", r->epoch);
        tw_json_u64(o, "step", r->step);
        tw_json_u64(o, "interval_ms", r->interval_ms);
        break;
    case TW_REC_RUN_END:
        tw_json_string(o, "status", tw_wire_status_name(r->status));
        break;
    case TW_REC_DROPS:
        tw_json_u64(o, "dropped", r->dropped);
        break;
    default:
        break;
    }
    tw_json_double(o, "time", r->time);
}

void
tw_jsonl_record(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r)
{
    tw_json *o = &j->json;
    if (r->type == TW_REC_METRIC)
        remember_metric(j, h, r);
    record_envelope(o, h, r);
    switch (r->type) {
    case TW_REC_RUN:
        record_run(o, r);
        break;
    case TW_REC_METRIC:
        record_metric(o, r);
        break;
    case TW_REC_UPDATE:
    case TW_REC_EPOCH:
        record_values(o, find_name(j, h, r->metric_id), r);
        break;
    default:
        record_marker(o, r);
        break;
    }
    tw_json_object_end(o);
    tw_json_line(o, j->out);
}

/* The state of (series, epoch) in the written list: 0 never, 1 partial, 2 final, 3 final but
 * with another value than `value` (a restarted run replaced the epoch: write it again). */
static int
written_state(const tw_jsonl *j, const tw_store_series *s, uint64_t epoch, double value)
{
    for (size_t i = j->n_done; i-- > 0;)
        if (j->done[i].series == s && j->done[i].epoch == epoch) {
            const written *w = &j->done[i];
            bool same = w->value == value || (isnan(w->value) && isnan(value));
            return !w->final ? 1 : (same ? 2 : 3);
        }
    return 0;
}

static void
mark_written(tw_jsonl *j, const tw_store_series *s, uint64_t epoch, bool final, double value)
{
    for (size_t i = j->n_done; i-- > 0;)
        if (j->done[i].series == s && j->done[i].epoch == epoch) {
            j->done[i].final = final;
            j->done[i].value = value;
            return;
        }
    if (j->n_done == j->cap_done) {
        size_t cap = j->cap_done ? 2 * j->cap_done : 256;
        written *nd = realloc(j->done, cap * sizeof(*nd));
        if (!nd)
            return;
        j->done = nd;
        j->cap_done = cap;
    }
    j->done[j->n_done++] = (written){s, epoch, final, value};
}

void
tw_jsonl_epochs(tw_jsonl *j, const tw_store *st, bool flush_partial)
{
    tw_json *o = &j->json;
    for (size_t ri = 0; ri < tw_store_run_count(st); ri++) {
        const tw_store_run *run = tw_store_run_at(st, ri);
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *s = tw_store_run_series(run, si);
            for (size_t k = 0; k < s->n_points; k++) {
                const tw_store_point *p = &s->points[k];
                int was = written_state(j, s, p->epoch, p->value);
                if (was == 2 || (!p->final && (!flush_partial || was == 1 || was == 3)))
                    continue;
                tw_json_object_begin(o, NULL);
                tw_json_string(o, "type", "epoch_value");
                tw_json_string(o, "run", run->id);
                tw_json_string(o, "metric", s->name);
                tw_json_string(o, "split", tw_wire_split_name(s->split));
                tw_json_u64(o, "epoch", p->epoch);
                tw_json_double(o, "value", p->value);
                tw_json_u64(o, "ranks", p->ranks_in);
                tw_json_u64(o, "world", run->world);
                tw_json_bool(o, "final", p->final);
                tw_json_object_end(o);
                tw_json_line(o, j->out);
                mark_written(j, s, p->epoch, p->final, p->value);
            }
        }
    }
    fflush(j->out);
}

void
tw_alert_to_json(tw_json *o, const tw_alert *e)
{
    static const char *const severity[] = {"info", "warning", "error"};
    tw_json_object_begin(o, NULL);
    tw_json_string(o, "type", "alert");
    tw_json_u64(o, "id", e->id);
    tw_json_string(o, "event", e->cleared ? "cleared" : "fired");
    tw_json_string(o, "rule", e->name ? e->name : "");
    tw_json_string(o, "severity", severity[e->severity]);
    tw_json_double(o, "time", e->time);
    tw_json_string(o, "run", e->run);
    if (e->metric[0]) {
        tw_json_string(o, "metric", e->metric);
        tw_json_string(o, "split", tw_wire_split_name(e->split));
    }
    if (e->epoch)
        tw_json_u64(o, "epoch", e->epoch);
    if (e->step)
        tw_json_u64(o, "step", e->step);
    if (!isnan(e->value)) /* NaN: no value at that epoch */
        tw_json_double(o, "value", e->value);
    if (e->has_best) {
        tw_json_u64(o, "best_epoch", e->best_epoch);
        tw_json_double(o, "best_value", e->best_value);
    }
    tw_json_string(o, "text", e->text);
    tw_json_object_end(o);
}

void
tw_alert_print(FILE *out, const tw_alert *e, bool json)
{
    if (json) {
        tw_json o;
        tw_json_init(&o);
        tw_alert_to_json(&o, e);
        tw_json_line(&o, out);
        tw_json_fini(&o);
        fflush(out);
        return;
    }
    char line[TW_ALERT_TEXT_MAX + 4 * TW_WIRE_MAX_NAME];
    tw_alert_format(e, line, sizeof line);
    fprintf(out, "%s\n", line);
    fflush(out);
}

void
tw_link_print_json(FILE *out, const char *address, const char *state, const char *detail)
{
    tw_json o;
    tw_json_init(&o);
    tw_json_object_begin(&o, NULL);
    tw_json_string(&o, "type", "link");
    tw_json_string(&o, "address", address);
    tw_json_string(&o, "state", state);
    tw_json_string(&o, "detail", detail);
    tw_json_object_end(&o);
    tw_json_line(&o, out);
    tw_json_fini(&o);
    fflush(out);
}
