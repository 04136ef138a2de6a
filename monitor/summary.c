/* summary.c - the --once table of runs and metrics, and the --check count line (summary.h).
 * Names are sanitised and cut by display columns (out.h). */
#include "summary.h"

#include "out.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

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
tw_summary_print(FILE *out, const tw_store *st, const tw_delay *delay)
{
    size_t runs = tw_store_run_count(st);
    if (runs == 0) /* what could not be decoded is still said below */
        fprintf(out, "no runs seen\n");
    else
        fprintf(out, "%-28s %-12s %6s %9s  %-20s %-5s %12s   %-9s %12s %6s\n", "run", "status",
                "epoch", "step", "metric", "split", "latest", "stderr", "best", "at");
    for (size_t ri = 0; ri < runs; ri++) {
        const tw_store_run *run = tw_store_run_at(st, ri);
        /* a run by its name ("name #2" for the second run of a name), its id below */
        const char *label = run->label[0] ? run->label : run->id;
        if (run->n_series == 0) {
            tw_out_cell(out, label, 28);
            fprintf(out, " %-12s %6llu %9llu  (no metrics)\n", tw_store_state_name(run->state),
                    (unsigned long long)run->epoch, (unsigned long long)run->step);
        }
        for (size_t si = 0; si < run->n_series; si++) {
            const tw_store_series *s = tw_store_run_series(run, si);
            char latest[32], se[32], best[32], at[24];
            fmt_value(latest, sizeof latest, s->has_latest, s->latest_value);
            bool has_se = s->has_latest && isfinite(s->latest_se);
            if (has_se)
                snprintf(se, sizeof se, "%.3g", s->latest_se);
            else
                se[0] = '\0';
            fmt_value(best, sizeof best, s->has_best, s->best_value);
            if (s->has_best)
                snprintf(at, sizeof at, "%llu", (unsigned long long)s->best_epoch);
            else
                snprintf(at, sizeof at, "-");
            tw_out_cell(out, label, 28);
            fprintf(out, " %-12s %6llu %9llu  ", tw_store_state_name(run->state),
                    (unsigned long long)run->epoch, (unsigned long long)run->step);
            tw_out_cell(out, s->name, 20);
            fprintf(out, " %-5s %12s %s %-9s %12s %6s\n", tw_wire_split_name(s->split), latest,
                    has_se ? "\u00b1" : " ", se, best, at);
        }
        char line[1024];
        if (strcmp(label, run->id) != 0) {
            snprintf(line, sizeof line, "  %s: run id %s", label, run->id);
            tw_out_line(out, line);
        }
        if (run->counters.gaps || run->counters.drops || run->reason[0]) {
            snprintf(
                line, sizeof line,
                "  %s: %llu records, %llu gaps, %llu dropped by the publisher%s%s", label,
                (unsigned long long)run->counters.records, (unsigned long long)run->counters.gaps,
                (unsigned long long)run->counters.drops, run->reason[0] ? "; " : "", run->reason);
            tw_out_line(out, line);
        }
        if (tw_store_dropped_text(run, line, sizeof line)) {
            char said[1200];
            snprintf(said, sizeof said, "  %s: %s", label, line);
            tw_out_line(out, said);
        }
        char lag[160];
        if (tw_store_lag_text(run, lag, sizeof lag)) {
            snprintf(line, sizeof line, "  %s: %s", label, lag);
            tw_out_line(out, line);
        }
    }
    tw_summary_studies(out, st);
    if (tw_delay_count(delay))
        fprintf(out, "delay from update to monitor: p50 %.3g ms, p99 %.3g ms (%llu live updates)\n",
                tw_delay_quantile(delay, 0.5) * 1e3, tw_delay_quantile(delay, 0.99) * 1e3,
                (unsigned long long)tw_delay_count(delay));
    if (tw_store_rejected(st))
        fprintf(out, "%llu messages could not be decoded and were dropped\n",
                (unsigned long long)tw_store_rejected(st));
    tw_store_over ov = tw_store_over_limits(st);
    if (ov.runs + ov.ranks + ov.series)
        fprintf(out,
                "%llu records refused over the monitor's limits (%llu of new runs past %u runs, "
                "%llu of new ranks, %llu new metrics)\n",
                (unsigned long long)(ov.runs + ov.ranks + ov.series), (unsigned long long)ov.runs,
                tw_store_defaults().max_runs, (unsigned long long)ov.ranks,
                (unsigned long long)ov.series);
}

void
tw_check_summary_print(FILE *out, const tw_alerts *a, const tw_store *st)
{
    uint64_t fired = tw_alerts_fired(a);
    size_t runs = tw_store_run_count(st);
    fprintf(out, "%llu alert%s fired, %zu still active, in %zu run%s\n", (unsigned long long)fired,
            fired == 1 ? "" : "s", tw_alerts_active(a), runs, runs == 1 ? "" : "s");
}
