/* headless.c - JSON lines: decoded records, finalized epoch values, alerts, links (headless.h). */
#define _GNU_SOURCE
#include "headless.h"
#include "keyhash.h"
#include "out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The declarations: a hash of (run, incarnation, rank, metric id) -> name, split, kind and
 * options, open addressing, linear probing, grown at half full. The first declaration of a
 * key wins (as a replay repeats it). A record's "value" comes from one scratch tw_metric,
 * made again only when the kind or options change: memory never follows how many metrics
 * a peer declares (an AUC's state can be megabytes). */
typedef struct name_entry {
    char *run; /* NULL: an empty slot */
    uint64_t incarnation;
    uint32_t rank, id;
    char *name;
    tw_split split;
    int kind;
    tw_metric_options *options; /* NULL: the defaults and no arguments (most metrics); else
                                   its own copy, followed by the Keras arguments (entry_args) */
} name_entry;

/* The declared Keras arguments of e ("" for none): they follow its options. */
static const char *
entry_args(const name_entry *e)
{
    return e->options ? (const char *)(e->options + 1) : "";
}

/* An epoch value already written: a hash of (series, epoch), as names. */
typedef struct written {
    const tw_store_series *series; /* NULL: an empty slot */
    uint64_t epoch;
    bool final;
    double value; /* what was written */
} written;

/* A final drained from the store, waiting to be written in store order (order: run index << 32
 * | series index). */
typedef struct pending {
    uint64_t order, epoch;
    const tw_store_run *run;
    const tw_store_series *series;
} pending;

struct tw_jsonl {
    FILE *out;
    tw_json json; /* the line being written */

    tw_metric *scratch; /* of scratch_kind and scratch_options, or NULL */
    int scratch_kind;
    tw_metric_options scratch_options;
    char scratch_args[TW_WIRE_MAX_ARGS + 1];

    name_entry *names; /* cap_names slots (a power of two, or 0) */
    uint64_t seed;     /* of the names' and the written values' hashes */
    size_t n_names, cap_names;
    uint64_t names_dropped;

    written *done; /* cap_done slots (a power of two, or 0) */
    size_t n_done, cap_done;

    uint64_t cursor; /* the next final of the store to read */
    uint64_t lost;   /* the store's tw_store_finals_lost at the last pass */
    pending *batch;
    size_t n_batch, cap_batch;
};

tw_jsonl *
tw_jsonl_new(FILE *out)
{
    tw_jsonl *j = calloc(1, sizeof(*j));
    if (!j) {
        errno = ENOMEM;
        return NULL;
    }
    j->out = out;
    j->seed = tw_keyhash_seed();
    tw_json_init(&j->json);
    return j;
}

void
tw_jsonl_destroy(tw_jsonl **jp)
{
    if (!jp || !*jp)
        return;
    tw_jsonl *j = *jp;
    for (size_t i = 0; i < j->cap_names; i++) {
        free(j->names[i].run);
        free(j->names[i].name);
        free(j->names[i].options);
    }
    tw_metric_destroy(&j->scratch);
    free(j->names);
    free(j->done);
    free(j->batch);
    tw_json_fini(&j->json);
    free(j);
    *jp = NULL;
}

uint64_t
tw_jsonl_names_dropped(const tw_jsonl *j)
{
    return j ? j->names_dropped : 0;
}

uint64_t
tw_jsonl_finals_read(const tw_jsonl *j)
{
    return j ? j->cursor : 0;
}

size_t
tw_jsonl_bytes(const tw_jsonl *j)
{
    if (!j)
        return 0;
    size_t n = sizeof(*j) + j->cap_names * sizeof(name_entry) + j->cap_done * sizeof(written) +
               j->cap_batch * sizeof(pending);
    for (size_t i = 0; i < j->cap_names; i++)
        if (j->names[i].run)
            n += strlen(j->names[i].run) + strlen(j->names[i].name) + 2 +
                 (j->names[i].options
                      ? sizeof(tw_metric_options) + strlen(entry_args(&j->names[i])) + 1
                      : 0);
    return n;
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
    [TW_REC_GAP] = "gap",
};

/* The slot of (run, incarnation, rank, id) in names: its entry, or the empty slot where it
 * would go. cap_names must be non-zero. */
static name_entry *
name_slot(const tw_jsonl *j, const char *run, uint64_t incarnation, uint32_t rank, uint32_t id)
{
    size_t mask = j->cap_names - 1;
    uint64_t hash = tw_keyhash(j->seed, run, incarnation, ((uint64_t)rank << 32) | id);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        name_entry *e = &j->names[i];
        if (!e->run || (e->id == id && e->rank == rank && e->incarnation == incarnation &&
                        strcmp(e->run, run) == 0))
            return e;
    }
}

static const name_entry *
find_name(const tw_jsonl *j, const tw_wire_header *h, uint32_t id)
{
    if (!j->cap_names)
        return NULL;
    const name_entry *e = name_slot(j, h->run, h->incarnation, h->rank, id);
    return e->run ? e : NULL;
}

/* Doubles the names table (from 0: 64 slots). Returns false when out of memory. */
static bool
grow_names(tw_jsonl *j)
{
    size_t cap = j->cap_names ? 2 * j->cap_names : 64;
    name_entry *old = j->names, *nn = calloc(cap, sizeof(*nn));
    if (!nn)
        return false;
    size_t old_cap = j->cap_names;
    j->names = nn;
    j->cap_names = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].run)
            *name_slot(j, old[i].run, old[i].incarnation, old[i].rank, old[i].id) = old[i];
    }
    free(old);
    return true;
}

/* Remembers a METRIC record's name, split, kind and options for the updates that follow. Past
 * TW_JSONL_MAX_NAMES (or out of memory) it is counted instead. */
static void
remember_metric(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r)
{
    if (find_name(j, h, r->metric_id))
        return;
    if (j->n_names >= TW_JSONL_MAX_NAMES ||
        (2 * (j->n_names + 1) > j->cap_names && !grow_names(j))) {
        j->names_dropped++;
        return;
    }
    name_entry e = {.incarnation = h->incarnation,
                    .rank = h->rank,
                    .id = r->metric_id,
                    .split = r->split,
                    .kind = r->kind};
    tw_metric_options defaults = tw_metric_defaults();
    bool own = !tw_wire_options_equal(&r->options, &defaults);
    e.run = strdup(h->run);
    e.name = strdup(r->name);
    own = own || r->args[0];
    size_t args_len = strlen(r->args) + 1;
    e.options = own ? malloc(sizeof *e.options + args_len) : NULL;
    if (!e.run || !e.name || (own && !e.options)) {
        free(e.run);
        free(e.name);
        free(e.options);
        j->names_dropped++;
        return;
    }
    if (own) {
        *e.options = r->options;
        memcpy((char *)(e.options + 1), r->args, args_len);
    }
    *name_slot(j, h->run, h->incarnation, h->rank, r->metric_id) = e;
    j->n_names++;
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
    if (r->args[0])
        tw_json_string(o, "args", r->args);
    tw_json_u64(o, "n", r->state_len);
}

/* A metric of e's kind and options for computing a result (the scratch one, made again
 * when they differ from the last), or NULL when the library refuses them or memory ran out
 * (tried again at the next record). */
static tw_metric *
scratch_for(tw_jsonl *j, const name_entry *e)
{
    tw_metric_options o = e->options ? *e->options : tw_metric_defaults();
    const char *args = entry_args(e);
    if (j->scratch && j->scratch_kind == e->kind &&
        tw_wire_options_equal(&j->scratch_options, &o) && strcmp(j->scratch_args, args) == 0)
        return j->scratch;
    tw_metric_destroy(&j->scratch);
    j->scratch = tw_wire_metric_new(e->kind, &o, args);
    snprintf(j->scratch_args, sizeof j->scratch_args, "%s", args);
    j->scratch_kind = e->kind;
    j->scratch_options = o;
    return j->scratch;
}

/* UPDATE and EPOCH: id, metric and split (when declared), epoch, step, time, value (this
 * rank's result, when declared), state. */
static void
record_values(tw_jsonl *j, tw_json *o, const name_entry *e, const tw_wire_record *r)
{
    tw_metric *m;
    tw_json_u64(o, "id", r->metric_id);
    if (e) {
        tw_json_string(o, "metric", e->name);
        tw_json_string(o, "split", tw_wire_split_name(e->split));
    }
    tw_json_u64(o, "epoch", r->epoch);
    tw_json_u64(o, "step", r->step);
    tw_json_double(o, "time", r->time);
    if (e && e->kind == TW_WIRE_KIND_GAUGE) {
        if (r->state_len > 0)
            tw_json_double(o, "value", r->state[0]);
    } else if (e && (m = scratch_for(j, e)) &&
               tw_metric_set_state(m, r->state, r->state_len) == 0) {
        tw_json_double(o, "value", tw_metric_result(m));
    }
    tw_json_array_begin(o, "state");
    for (uint32_t i = 0; i < r->state_len; i++)
        tw_json_double(o, NULL, r->state[i]);
    tw_json_array_end(o);
}

/* EPOCH_END, HEARTBEAT, RUN_END, DROPS, GAP: their few fields, then time. */
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
    case TW_REC_GAP: /* per-step records of steps step..to that the publisher dropped */
        tw_json_u64(o, "step", r->step);
        tw_json_u64(o, "to", r->to_step);
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
        record_values(j, o, find_name(j, h, r->metric_id), r);
        break;
    default:
        record_marker(o, r);
        break;
    }
    tw_json_object_end(o);
    tw_json_line(o, j->out);
}

/* The slot of (series, epoch) in done: its entry, or the empty slot where it would go.
 * cap_done must be non-zero. */
static written *
written_slot(const tw_jsonl *j, const tw_store_series *s, uint64_t epoch)
{
    size_t mask = j->cap_done - 1;
    for (size_t i = tw_keyhash_mix((uint64_t)(uintptr_t)s ^ tw_keyhash_mix(epoch ^ j->seed)) & mask;
         ; i = (i + 1) & mask) {
        written *w = &j->done[i];
        if (!w->series || (w->series == s && w->epoch == epoch))
            return w;
    }
}

/* The state of (series, epoch) in done: 0 never written, 1 partial, 2 final, 3 final but with
 * another value than `value` (a restarted run or a late rank changed it: write it again). */
static int
written_state(const tw_jsonl *j, const tw_store_series *s, uint64_t epoch, double value)
{
    if (!j->cap_done)
        return 0;
    const written *w = written_slot(j, s, epoch);
    if (!w->series)
        return 0;
    bool same = w->value == value || (isnan(w->value) && isnan(value));
    return !w->final ? 1 : (same ? 2 : 3);
}

/* Records what was written for (series, epoch). Out of memory, it is not recorded (and may be
 * written again). */
static void
mark_written(tw_jsonl *j, const tw_store_series *s, uint64_t epoch, bool final, double value)
{
    if (2 * (j->n_done + 1) > j->cap_done) {
        size_t cap = j->cap_done ? 2 * j->cap_done : 256, old_cap = j->cap_done;
        written *old = j->done, *nd = calloc(cap, sizeof(*nd));
        if (!nd)
            return;
        j->done = nd;
        j->cap_done = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].series)
                *written_slot(j, old[i].series, old[i].epoch) = old[i];
        free(old);
    }
    written *w = written_slot(j, s, epoch);
    if (!w->series)
        j->n_done++;
    *w = (written){s, epoch, final, value};
}

/* Writes point p of series s of run as an epoch_value line, unless the rules say it was
 * written already: a final value once, again only when its value changed; with
 * flush_partial, a partial point never written, once, with "final": false. */
static void
epoch_value(tw_jsonl *j, const tw_store_run *run, const tw_store_series *s, const tw_store_point *p,
            bool flush_partial)
{
    int was = written_state(j, s, p->epoch, p->value);
    if (was == 2 || (!p->final && (!flush_partial || was == 1 || was == 3)))
        return;
    tw_json *o = &j->json;
    tw_json_object_begin(o, NULL);
    tw_json_string(o, "type", "epoch_value");
    tw_json_string(o, "run", run->id);
    tw_json_string(o, "metric", s->name);
    tw_json_string(o, "split", tw_wire_split_name(s->split));
    tw_json_u64(o, "epoch", p->epoch);
    tw_json_double(o, "value", p->value);
    if (isnan(p->value_se))
        tw_json_null(o, "stderr"); /* undefined: Sum, PR-AUC, a gauge, an old state */
    else
        tw_json_double(o, "stderr", p->value_se);
    tw_json_u64(o, "ranks", p->ranks_in);
    tw_json_u64(o, "world", run->world);
    tw_json_bool(o, "final", p->final);
    tw_json_object_end(o);
    tw_json_line(o, j->out);
    mark_written(j, s, p->epoch, p->final, p->value);
}

/* Every point of every series of the store, in store order (runs, series, epochs): the
 * flush at exit, and the fallback when the store lost finals for want of memory. */
static void
scan_all(tw_jsonl *j, const tw_store *st, bool flush_partial)
{
    for (size_t ri = 0; ri < tw_store_run_count(st); ri++) {
        const tw_store_run *run = tw_store_run_at(st, ri);
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *s = tw_store_run_series(run, si);
            for (size_t k = 0; k < s->n_points; k++)
                epoch_value(j, run, s, &s->points[k], flush_partial);
        }
    }
}

/* Store order (run, series), then epoch ascending. */
static int
pending_cmp(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->epoch > y->epoch) - (x->epoch < y->epoch);
}

/* Reads the finals the store appended since the cursor into batch. Returns false when out of
 * memory (the batch is incomplete). */
static bool
drain_finals(tw_jsonl *j, const tw_store *st)
{
    tw_store_final f[256];
    size_t n;
    while ((n = tw_store_finals_since(st, &j->cursor, f, sizeof f / sizeof f[0])) > 0) {
        if (j->n_batch + n > j->cap_batch) {
            size_t cap = j->cap_batch ? 2 * j->cap_batch : 256;
            while (cap < j->n_batch + n)
                cap *= 2;
            pending *nb = realloc(j->batch, cap * sizeof(*nb));
            if (!nb)
                return false;
            j->batch = nb;
            j->cap_batch = cap;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t order = (uint64_t)f[i].run_index << 32 | f[i].series_index;
            j->batch[j->n_batch++] = (pending){order, f[i].epoch, f[i].run, f[i].series};
        }
    }
    return true;
}

void
tw_jsonl_epochs(tw_jsonl *j, const tw_store *st, bool flush_partial)
{
    j->n_batch = 0;
    uint64_t lost = tw_store_finals_lost(st);
    if (flush_partial || lost != j->lost || j->cursor < tw_store_finals_first(st) ||
        !drain_finals(j, st)) {
        /* the whole store, as every pass did before the finals cursor: at exit (partial
         * points interleave with the final ones in store order), or when finals are missing */
        j->cursor = tw_store_finals(st);
        j->lost = lost;
        scan_all(j, st, flush_partial);
        fflush(j->out);
        return;
    }
    /* the points that became final (or changed while final) since the last pass, written as
     * the scan of the whole store would: in store order, each with its current value, and
     * only while it is final (a point that went back to partial gets a final again later) */
    if (j->n_batch > 1)
        qsort(j->batch, j->n_batch, sizeof(pending), pending_cmp);
    for (size_t i = 0; i < j->n_batch; i++) {
        const pending *q = &j->batch[i];
        const tw_store_point *p = tw_store_series_point(q->series, q->epoch);
        if (p && p->final)
            epoch_value(j, q->run, q->series, p, false);
    }
    j->n_batch = 0;
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
    if (e->has_value) /* a non-finite one as null and "value_nonfinite" (json.h) */
        tw_json_double(o, "value", e->value);
    if (e->has_best) {
        tw_json_u64(o, "best_epoch", e->best_epoch);
        tw_json_double(o, "best_value", e->best_value);
    }
    tw_json_string(o, "text", e->text);
    tw_json_object_end(o);
}

void
tw_alert_print(FILE *out, const tw_alert *e, const char *run_label, bool json)
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
    tw_alert_format(e, run_label, line, sizeof line);
    tw_out_line(out, line); /* names from the wire: sanitised */
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
