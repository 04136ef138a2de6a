/* export.c - `trainwatch export`: the epoch values of run logs as CSV or JSON lines, or one
 * metric of them as an SVG figure. */
#include "export.h"

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "out.h"
#include "source.h"
#include "store.h"
#include "svg.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frames read per batch while loading. */
#define BATCH 4096

typedef struct export_opts {
    tw_export_format fmt;
    const char *metric; /* NULL: every metric (svg: the first one) */
    const char *out;    /* NULL: stdout */
    char **sources;
    int n_sources;
    int read_ahead; /* TRAINWATCH_READ_AHEAD, or -1: the sources' default */
} export_opts;

static void
usage(FILE *out)
{
    fputs("usage: trainwatch export [--format csv|jsonl|svg] [--metric NAME] [--out FILE] "
          "SOURCE...\n"
          "Writes every epoch value of the runs in SOURCE (run logs, *.twlog, or directories\n"
          "of them) as CSV or JSON lines, or one metric of every run as an SVG figure.\n"
          "\n"
          "  -f, --format FORMAT  csv (default), jsonl or svg\n"
          "  -m, --metric NAME    only this metric (svg: the one drawn; default: the first)\n"
          "  -o, --out FILE       write to FILE instead of standard output\n"
          "  -h, --help           this text\n"
          "\n"
          "CSV and JSON lines have one row a value: run (the run's name), run_id, metric,\n"
          "split, epoch, step, time (seconds since 1970, the publisher's clock), value,\n"
          "stderr (empty or null where undefined), ranks. The SVG has a line per run and\n"
          "split (train solid, val dashed), the best epochs marked, axes and a legend.\n",
          out);
}

/* Parses the subcommand's arguments. Returns -1 to go on, else the exit status. */
static int
parse(export_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"metric", required_argument, NULL, 'm'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;

    memset(o, 0, sizeof *o);
    o->read_ahead = -1;
    argv[0] = (char *)"trainwatch export"; /* for getopt's messages */
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:m:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "csv") == 0)
                o->fmt = TW_EXPORT_CSV;
            else if (strcmp(optarg, "jsonl") == 0)
                o->fmt = TW_EXPORT_JSONL;
            else if (strcmp(optarg, "svg") == 0)
                o->fmt = TW_EXPORT_SVG;
            else {
                tw_out_error("export: unknown format '%s' (csv, jsonl or svg)", optarg);
                return 2;
            }
            break;
        case 'm':
            o->metric = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    o->sources = argv + optind;
    o->n_sources = argc - optind;
    if (o->n_sources < 1) {
        tw_out_error("export: no SOURCE: give run logs or directories");
        usage(stderr);
        return 2;
    }
    return tw_cli_read_ahead_env(&o->read_ahead);
}

/* The sources' records go into the store. */
static int
on_record(void *ctx, const tw_source_origin *o, const tw_wire_header *h, const tw_wire_record *r)
{
    tw_store_ingest(ctx, h, r, o->now);
    return 0;
}

static void
on_rejected(void *ctx, const char *where, int err, const char *what)
{
    (void)ctx;
    tw_out_error("export: %s: %s", where, what ? what : strerror(-err));
}

static void
on_problem(void *ctx, const char *where, const char *what)
{
    (void)ctx;
    tw_out_error("export: %s: %s", where, what);
}

/* Reads every source to its end into s, and marks the runs static (every epoch final).
 * Returns 0, or 1 with the message printed. */
static int
load(tw_store *s, const export_opts *o)
{
    tw_source_callbacks cb = {
        .record = on_record, .rejected = on_rejected, .problem = on_problem, .ctx = s};
    tw_sources *src = tw_sources_new(&cb);
    char err[512];
    int rc = 0;

    if (!src) {
        tw_out_error("export: %s", strerror(errno));
        return 1;
    }
    if (o->read_ahead >= 0)
        tw_sources_set_read_ahead(src, o->read_ahead);
    for (int i = 0; i < o->n_sources && rc == 0; i++) {
        const char *spec = o->sources[i];
        if (strstr(spec, "://")) {
            tw_out_error("export: %s: export reads run logs and directories, not live endpoints",
                         spec);
            rc = 1;
        } else if (tw_sources_add(src, spec, err, sizeof err) < 0) {
            tw_out_error("export: %s", err);
            rc = 1;
        }
    }
    while (rc == 0) {
        int n = tw_sources_process(src, BATCH, tw_clock_mono());
        if (n < 0) {
            tw_out_error("export: reading: %s", strerror(-n));
            rc = 1;
        } else if (n == 0 && !tw_sources_log_pending(src)) {
            break;
        }
    }
    tw_sources_destroy(&src);
    for (size_t i = 0; rc == 0 && i < tw_store_run_count(s); i++)
        tw_store_mark_static(s, tw_store_run_at(s, i)->id, tw_clock_mono());
    return rc;
}

/* A CSV field: quoted when it holds a comma, a quote or a blank at either end; control bytes
 * (which a terminal would obey) become '?'. */
static void
csv_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    bool quote = n && (strpbrk(s, ",\"") || s[0] == ' ' || s[n - 1] == ' ');

    if (quote)
        fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"')
            fputs("\"\"", f);
        else
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
    }
    if (quote)
        fputc('"', f);
}

/* A number that reads back exactly; "nan", "inf", "-inf"; empty when `empty_nan` and NaN. */
static void
csv_double(FILE *f, double v, bool empty_nan)
{
    if (isnan(v))
        fputs(empty_nan ? "" : "nan", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.17g", v);
}

static void
csv_row(FILE *f, const tw_store_run *run, const tw_store_series *se, const tw_store_point *p)
{
    csv_field(f, run->name[0] ? run->name : run->id);
    fputc(',', f);
    csv_field(f, run->id);
    fputc(',', f);
    csv_field(f, se->name);
    fprintf(f, ",%s,%llu,%llu,", tw_wire_split_name(se->split), (unsigned long long)p->epoch,
            (unsigned long long)p->step);
    csv_double(f, p->time, false);
    fputc(',', f);
    csv_double(f, p->value, false);
    fputc(',', f);
    csv_double(f, p->value_se, true);
    fprintf(f, ",%u\n", p->ranks_in);
}

static void
jsonl_row(FILE *f, tw_json *j, const tw_store_run *run, const tw_store_series *se,
          const tw_store_point *p)
{
    tw_json_reset(j);
    tw_json_object_begin(j, NULL);
    tw_json_string(j, "type", "epoch_value");
    tw_json_string(j, "run", run->name[0] ? run->name : run->id);
    tw_json_string(j, "run_id", run->id);
    tw_json_string(j, "metric", se->name);
    tw_json_string(j, "split", tw_wire_split_name(se->split));
    tw_json_u64(j, "epoch", p->epoch);
    tw_json_u64(j, "step", p->step);
    tw_json_double(j, "time", p->time);
    tw_json_double(j, "value", p->value);
    if (isnan(p->value_se))
        tw_json_null(j, "stderr");
    else
        tw_json_double(j, "stderr", p->value_se);
    tw_json_u64(j, "ranks", p->ranks_in);
    tw_json_object_end(j);
    tw_json_line(j, f);
}

/* Every epoch value (of o->metric, when given), in store order. Returns how many. */
static size_t
write_values(FILE *f, const tw_store *s, tw_export_format fmt, const char *metric)
{
    tw_json j;
    size_t rows = 0;

    tw_json_init(&j);
    if (fmt == TW_EXPORT_CSV)
        fputs("run,run_id,metric,split,epoch,step,time,value,stderr,ranks\n", f);
    for (size_t i = 0; i < tw_store_run_count(s); i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        for (size_t k = 0; k < run->n_series; k++) {
            const tw_store_series *se = tw_store_run_series(run, k);
            if (metric && strcmp(se->name, metric) != 0)
                continue;
            for (size_t e = 0; e < se->n_points; e++, rows++) {
                if (fmt == TW_EXPORT_CSV)
                    csv_row(f, run, se, &se->points[e]);
                else
                    jsonl_row(f, &j, run, se, &se->points[e]);
            }
        }
    }
    tw_json_fini(&j);
    return rows;
}

/* The metric an SVG draws: the one asked for, else the first of the first run that has one. */
static const char *
svg_metric(const tw_store *s, const char *want)
{
    for (size_t i = 0; i < tw_store_run_count(s); i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        for (size_t k = 0; k < run->n_series; k++) {
            const tw_store_series *se = tw_store_run_series(run, k);
            if (!want || strcmp(se->name, want) == 0)
                return se->name;
        }
    }
    return NULL;
}

/* The SVG figure of one metric over every run. Returns 0, -ENOENT or -ENOMEM. */
static int
write_svg(FILE *f, const tw_store *s, const char *want)
{
    size_t n = tw_store_run_count(s), len;
    const tw_store_run **runs;
    const char *metric = svg_metric(s, want);
    tw_svg_spec spec = {0};
    char *svg;

    if (!metric)
        return -ENOENT;
    runs = calloc(n + 1, sizeof *runs);
    if (!runs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        runs[i] = tw_store_run_at(s, i);
    spec.title = metric;
    spec.y_label = metric;
    svg = tw_svg_metric_figure(runs, NULL, n, metric, &spec, NULL, NULL, &len);
    free(runs);
    if (!svg)
        return -ENOMEM;
    fwrite(svg, 1, len, f);
    free(svg);
    return 0;
}

int
tw_export_write(FILE *f, const tw_store *s, tw_export_format fmt, const char *metric)
{
    if (!f || !s)
        return -EINVAL;
    if (fmt == TW_EXPORT_SVG)
        return write_svg(f, s, metric);
    return write_values(f, s, fmt, metric) == 0 && metric ? -ENOENT : 0;
}

int
tw_export_main(int argc, char **argv)
{
    export_opts o;
    int status = parse(&o, argc, argv), rc;
    tw_store *s;
    FILE *f;

    if (status >= 0)
        return status;
    s = tw_store_new(NULL);
    if (!s) {
        tw_out_error("export: %s", strerror(errno));
        return 1;
    }
    status = load(s, &o);
    if (status == 0 && tw_store_run_count(s) == 0) {
        tw_out_error("export: no run in the sources");
        status = 1;
    }
    f = status == 0 ? (o.out ? fopen(o.out, "w") : stdout) : NULL;
    if (status == 0 && !f) {
        tw_out_error("export: %s: %s", o.out, strerror(errno));
        status = 1;
    }
    if (status == 0 && (rc = tw_export_write(f, s, o.fmt, o.metric)) < 0) {
        if (rc == -ENOENT)
            tw_out_error("export: no metric %s%s%s in the runs", o.metric ? "'" : "",
                         o.metric ? o.metric : "at all", o.metric ? "'" : "");
        else
            tw_out_error("export: %s", strerror(-rc));
        status = 1;
    }
    if (f && (fflush(f) != 0 || ferror(f)) && status == 0) {
        tw_out_error("export: writing %s: %s", o.out ? o.out : "output", strerror(errno));
        status = 1;
    }
    if (f && f != stdout && fclose(f) != 0 && status == 0)
        status = 1;
    tw_store_destroy(&s);
    return status;
}
