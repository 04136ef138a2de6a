/* headless.c - JSON lines and the --once summary table (headless.h). */
#define _GNU_SOURCE
#include "headless.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_NAMES 65536

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
    free((*jp)->names);
    free((*jp)->done);
    free(*jp);
    *jp = NULL;
}

void
tw_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* Writes ,"key":number (null and a "nonfinite" note when it is not finite). */
static void
json_number(FILE *out, const char *key, double v)
{
    if (isfinite(v))
        fprintf(out, ",\"%s\":%.17g", key, v);
    else
        fprintf(out, ",\"%s\":null,\"%s_nonfinite\":\"%s\"", key, key,
                isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
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

void
tw_jsonl_record(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r)
{
    FILE *o = j->out;
    if (r->type == TW_REC_METRIC && !find_name(j, h, r->metric_id) && j->n_names < MAX_NAMES) {
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
    fprintf(o, "{\"type\":\"%s\",\"run\":", type_names[r->type]);
    tw_json_string(o, h->run);
    fprintf(o, ",\"inc\":\"%016llx\",\"rank\":%u,\"world\":%u,\"seq\":%llu",
            (unsigned long long)h->incarnation, h->rank, h->world, (unsigned long long)r->seq);
    switch (r->type) {
    case TW_REC_RUN:
        fputs(",\"name\":", o);
        tw_json_string(o, r->name);
        fputs(",\"host\":", o);
        tw_json_string(o, r->host);
        fputs(",\"program\":", o);
        tw_json_string(o, r->program);
        fprintf(o, ",\"pid\":%llu", (unsigned long long)r->pid);
        json_number(o, "start", r->time);
        fprintf(o, ",\"epochs\":%llu,\"steps_per_epoch\":%llu,\"params\":{",
                (unsigned long long)r->planned_epochs, (unsigned long long)r->steps_per_epoch);
        for (uint32_t i = 0; i < r->n_params; i++) {
            if (i)
                fputc(',', o);
            tw_json_string(o, r->params[i].key);
            fputc(':', o);
            if (r->params[i].is_number && isfinite(r->params[i].number))
                fprintf(o, "%.17g", r->params[i].number);
            else
                tw_json_string(o, r->params[i].text);
        }
        fputc('}', o);
        break;
    case TW_REC_METRIC:
        fprintf(o, ",\"id\":%u,\"metric\":", r->metric_id);
        tw_json_string(o, r->name);
        fprintf(o, ",\"split\":\"%s\",\"kind\":\"%s\",\"n\":%u", tw_wire_split_name(r->split),
                r->kind == TW_WIRE_KIND_GAUGE ? "gauge"
                                              : tw_metric_kind_name((tw_metric_kind)r->kind),
                r->state_len);
        break;
    case TW_REC_UPDATE:
    case TW_REC_EPOCH: {
        const name_entry *e = find_name(j, h, r->metric_id);
        fprintf(o, ",\"id\":%u", r->metric_id);
        if (e) {
            fputs(",\"metric\":", o);
            tw_json_string(o, e->name);
            fprintf(o, ",\"split\":\"%s\"", tw_wire_split_name(e->split));
        }
        fprintf(o, ",\"epoch\":%llu,\"step\":%llu", (unsigned long long)r->epoch,
                (unsigned long long)r->step);
        json_number(o, "time", r->time);
        if (e && e->kind == TW_WIRE_KIND_GAUGE) {
            json_number(o, "value", r->state[0]);
        } else if (e) {
            tw_metric *m = tw_metric_new((tw_metric_kind)e->kind, &e->options);
            if (m && tw_metric_set_state(m, r->state, r->state_len) == 0)
                json_number(o, "value", tw_metric_result(m));
            tw_metric_destroy(&m);
        }
        fputs(",\"state\":[", o);
        for (uint32_t i = 0; i < r->state_len; i++) {
            if (i)
                fputc(',', o);
            if (isfinite(r->state[i]))
                fprintf(o, "%.17g", r->state[i]);
            else
                fputs("null", o);
        }
        fputc(']', o);
        break;
    }
    case TW_REC_EPOCH_END:
        fprintf(o, ",\"epoch\":%llu,\"step\":%llu,\"metrics\":%u", (unsigned long long)r->epoch,
                (unsigned long long)r->step, r->metrics);
        json_number(o, "time", r->time);
        break;
    case TW_REC_HEARTBEAT:
        fprintf(o, ",\"epoch\":%llu,\"step\":%llu,\"interval_ms\":%u", (unsigned long long)r->epoch,
                (unsigned long long)r->step, r->interval_ms);
        json_number(o, "time", r->time);
        break;
    case TW_REC_RUN_END:
        fprintf(o, ",\"status\":\"%s\"", tw_wire_status_name(r->status));
        json_number(o, "time", r->time);
        break;
    case TW_REC_DROPS:
        fprintf(o, ",\"dropped\":%llu", (unsigned long long)r->dropped);
        json_number(o, "time", r->time);
        break;
    }
    fputs("}\n", o);
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
    FILE *o = j->out;
    for (size_t ri = 0; ri < tw_store_run_count(st); ri++) {
        const tw_store_run *run = tw_store_run_at(st, ri);
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *s = tw_store_run_series(run, si);
            for (size_t k = 0; k < s->n_points; k++) {
                const tw_store_point *p = &s->points[k];
                int was = written_state(j, s, p->epoch, p->value);
                if (was == 2 || (!p->final && (!flush_partial || was == 1 || was == 3)))
                    continue;
                fputs("{\"type\":\"epoch_value\",\"run\":", o);
                tw_json_string(o, run->id);
                fputs(",\"metric\":", o);
                tw_json_string(o, s->name);
                fprintf(o, ",\"split\":\"%s\",\"epoch\":%llu", tw_wire_split_name(s->split),
                        (unsigned long long)p->epoch);
                json_number(o, "value", p->value);
                fprintf(o, ",\"ranks\":%u,\"world\":%u,\"final\":%s}\n", p->ranks_in, run->world,
                        p->final ? "true" : "false");
                mark_written(j, s, p->epoch, p->final, p->value);
            }
        }
    }
    fflush(o);
}

/* Formats a value compactly into buf ("-" when there is none). */
static const char *
fmt_value(char *buf, size_t len, bool has, double v)
{
    if (!has)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.6g", v);
    return buf;
}

void
tw_summary_print(FILE *out, const tw_store *st, double now)
{
    (void)now;
    size_t runs = tw_store_run_count(st);
    if (runs == 0) {
        fprintf(out, "no runs seen\n");
        return;
    }
    fprintf(out, "%-28s %-12s %6s %9s  %-20s %-5s %12s %12s %6s\n", "run", "status", "epoch",
            "step", "metric", "split", "latest", "best", "at");
    for (size_t ri = 0; ri < runs; ri++) {
        const tw_store_run *run = tw_store_run_at(st, ri);
        if (run->n_series == 0)
            fprintf(out, "%-28.28s %-12s %6llu %9llu  (no metrics)\n", run->id,
                    tw_store_state_name(run->state), (unsigned long long)run->epoch,
                    (unsigned long long)run->step);
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *s = tw_store_run_series(run, si);
            char latest[32], best[32], at[24];
            fmt_value(latest, sizeof latest, s->has_latest, s->latest_value);
            fmt_value(best, sizeof best, s->has_best, s->best_value);
            if (s->has_best)
                snprintf(at, sizeof at, "%llu", (unsigned long long)s->best_epoch);
            else
                snprintf(at, sizeof at, "-");
            fprintf(out, "%-28.28s %-12s %6llu %9llu  %-20.20s %-5s %12s %12s %6s\n", run->id,
                    tw_store_state_name(run->state), (unsigned long long)run->epoch,
                    (unsigned long long)run->step, s->name, tw_wire_split_name(s->split), latest,
                    best, at);
        }
        if (run->counters.gaps || run->counters.drops || run->reason[0])
            fprintf(out, "  %s: %llu records, %llu gaps, %llu dropped by the publisher%s%s\n",
                    run->id, (unsigned long long)run->counters.records,
                    (unsigned long long)run->counters.gaps, (unsigned long long)run->counters.drops,
                    run->reason[0] ? "; " : "", run->reason);
        char lag[160];
        if (tw_store_lag_text(run, lag, sizeof lag))
            fprintf(out, "  %s: %s\n", run->id, lag);
    }
    if (tw_store_delay_count(st))
        fprintf(out, "delay from update to monitor: p50 %.3g ms, p99 %.3g ms (%llu live updates)\n",
                tw_store_delay_quantile(st, 0.5) * 1e3, tw_store_delay_quantile(st, 0.99) * 1e3,
                (unsigned long long)tw_store_delay_count(st));
    if (tw_store_rejected(st))
        fprintf(out, "%llu messages could not be decoded and were dropped\n",
                (unsigned long long)tw_store_rejected(st));
}

void
tw_alert_print(FILE *out, const tw_alert *e, bool json)
{
    if (json) {
        char buf[2048];
        size_t n = tw_alert_json(e, buf, sizeof buf);
        if (n < sizeof buf)
            fprintf(out, "%s\n", buf);
        fflush(out);
        return;
    }
    char line[TW_ALERT_TEXT_MAX + 4 * TW_WIRE_MAX_NAME];
    tw_alert_format(e, line, sizeof line);
    fprintf(out, "%s\n", line);
    fflush(out);
}
