/* summary_study.c - the --once leaderboard of each study: its trials, best first, with their
 * state, best value, its epoch and their hyperparameters (summary.h). */
#include "summary.h"

#include "out.h"
#include "study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hyperparameter columns printed at most, and their width. */
#define MAX_KEYS 16
#define KEY_W    12

/* What a trial's run calls its objective, else the metric the leaderboard ranks by. */
#define FALLBACK_METRIC "loss"

/* The study's header line: name, trial counts by state, what it ranks by. */
static void
print_header(FILE *out, const char *study, const tw_study_trial *t, size_t n)
{
    size_t count[4] = {0};
    char line[512];
    const tw_store_series *se = NULL;

    for (size_t i = 0; i < n; i++) {
        count[t[i].state < 4 ? t[i].state : 0]++;
        if (!se && t[i].series)
            se = t[i].series;
    }
    snprintf(line, sizeof line,
             "study %s: %zu trial%s (%zu complete, %zu pruned, %zu failed, %zu running)%s%s%s%s%s",
             study, n, n == 1 ? "" : "s", count[TW_TRIAL_COMPLETE], count[TW_TRIAL_PRUNED],
             count[TW_TRIAL_FAILED], count[TW_TRIAL_RUNNING], se ? ", best " : "",
             se ? se->name : "", se ? " (" : "", se ? tw_wire_split_name(se->split) : "",
             se ? (se->goal == TW_GOAL_MAX ? ", max)" : ", min)") : "");
    tw_out_line(out, line);
}

/* The text of a trial's parameter `key` ("-" when it has none). */
static void
param_text(const tw_store_run *run, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "-");
    for (uint32_t q = 0; q < run->n_params; q++) {
        const tw_wire_param *p = &run->params[q];
        if (strcmp(p->key, key) != 0)
            continue;
        if (p->is_number)
            snprintf(buf, size, "%.4g", p->number);
        else
            snprintf(buf, size, "%s", p->text);
        return;
    }
}

/* Keeps in keys[] those whose value differs between the trials (all with one trial); prints
 * the others on one line, "same in every trial: batch_size=64". Returns the count kept. */
static size_t
varying_keys(FILE *out, const tw_study_trial *t, size_t n, const char **keys, size_t nk)
{
    char line[1024] = "  same in every trial:", a[TW_WIRE_MAX_TEXT + 1], b[TW_WIRE_MAX_TEXT + 1];
    size_t kept = 0, len = strlen(line);
    bool same_any = false;

    for (size_t k = 0; k < nk; k++) {
        bool varies = n == 1;
        param_text(t[0].run, keys[k], a, sizeof a);
        for (size_t i = 1; i < n && !varies; i++) {
            param_text(t[i].run, keys[k], b, sizeof b);
            varies = strcmp(a, b) != 0;
        }
        if (varies) {
            keys[kept++] = keys[k];
        } else if (len + strlen(keys[k]) + strlen(a) + 3 < sizeof line) {
            len += (size_t)snprintf(line + len, sizeof line - len, " %s=%s", keys[k], a);
            same_any = true;
        }
    }
    if (same_any)
        tw_out_line(out, line);
    return kept;
}

/* One study's table. */
static void
print_study(FILE *out, const char *study, const tw_study_trial *t, size_t n)
{
    const char *keys[MAX_KEYS];
    size_t nk = tw_study_param_keys(t, n, keys, MAX_KEYS);

    nk = nk > MAX_KEYS ? MAX_KEYS : nk;
    fprintf(out, "\n");
    print_header(out, study, t, n);
    nk = varying_keys(out, t, n, keys, nk);
    fprintf(out, "  %4s %-5s %-9s %12s %6s", "rank", "trial", "state", "best", "epoch");
    for (size_t k = 0; k < nk; k++) {
        fputc(' ', out);
        tw_out_cell(out, keys[k], k + 1 < nk ? KEY_W : (int)strlen(keys[k]));
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        char num[24] = "-", best[32] = "-", ep[24] = "-";
        if (t[i].number >= 0)
            snprintf(num, sizeof num, "%ld", t[i].number);
        if (t[i].has_best) {
            snprintf(best, sizeof best, "%.6g", t[i].best);
            snprintf(ep, sizeof ep, "%llu", (unsigned long long)t[i].best_epoch);
        }
        fprintf(out, "  %4zu %-5s %-9s %12s %6s", i + 1, num, tw_trial_state_name(t[i].state), best,
                ep);
        for (size_t k = 0; k < nk; k++) {
            char val[TW_WIRE_MAX_TEXT + 1];
            param_text(t[i].run, keys[k], val, sizeof val);
            fputc(' ', out);
            tw_out_cell(out, val, k + 1 < nk ? KEY_W : (int)strlen(val));
        }
        fputc('\n', out);
    }
}

void
tw_summary_studies(FILE *out, const tw_store *st)
{
    tw_study_trial *t = NULL;
    size_t cap = 0;
    const char *study;

    for (size_t i = 0; (study = tw_study_at(st, i)) != NULL; i++) {
        long n = tw_study_collect(st, study, FALLBACK_METRIC, &t, &cap);
        if (n < 0) {
            tw_out_error("out of memory for the leaderboard of study %s", study);
            break;
        }
        print_study(out, study, t, (size_t)n);
    }
    free(t);
}
