/* study.c - studies and trials over the store's runs, and the sweep scatter (study.h). */
#include "study.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"running", "complete", "pruned", "failed"};

const char *
tw_trial_state_name(tw_trial_state state)
{
    if ((unsigned)state >= sizeof state_names / sizeof state_names[0])
        return "?";
    return state_names[state];
}

static const tw_wire_param *
find_param(const tw_store_run *run, const char *key)
{
    for (uint32_t i = 0; i < run->n_params; i++)
        if (strcmp(run->params[i].key, key) == 0)
            return &run->params[i];
    return NULL;
}

/* The text of a text parameter, or NULL. */
static const char *
param_text(const tw_store_run *run, const char *key)
{
    const tw_wire_param *p = find_param(run, key);
    return p && !p->is_number && p->text[0] ? p->text : NULL;
}

const char *
tw_study_of(const tw_store_run *run)
{
    return run ? param_text(run, TW_STUDY_KEY) : NULL;
}

bool
tw_study_reserved_key(const char *key)
{
    return strcmp(key, TW_STUDY_KEY) == 0 || strcmp(key, TW_STUDY_KEY_TRIAL) == 0 ||
           strcmp(key, TW_STUDY_KEY_STATE) == 0 || strcmp(key, TW_STUDY_KEY_OBJ) == 0;
}

tw_trial_state
tw_study_trial_state(const tw_store_run *run)
{
    const char *t = param_text(run, TW_STUDY_KEY_STATE);
    const tw_store_rank *r0;

    for (int i = TW_TRIAL_COMPLETE; t && i <= TW_TRIAL_FAILED; i++)
        if (strcmp(t, state_names[i]) == 0)
            return (tw_trial_state)i;
    switch (run->state) {
    case TW_STATE_ENDED:
        r0 = tw_store_run_rank(run, 0);
        return r0 && r0->ended && r0->end_status == TW_RUN_INTERRUPTED ? TW_TRIAL_PRUNED
                                                                       : TW_TRIAL_COMPLETE;
    case TW_STATE_FAILED:
    case TW_STATE_VANISHED:
        return TW_TRIAL_FAILED;
    default:
        return TW_TRIAL_RUNNING;
    }
}

void
tw_study_trial_of(const tw_store_run *run, const char *fallback, tw_study_trial *t)
{
    const tw_wire_param *num = find_param(run, TW_STUDY_KEY_TRIAL);
    const char *metric = param_text(run, TW_STUDY_KEY_OBJ);
    const tw_store_series *val, *tr;

    memset(t, 0, sizeof *t);
    t->run = run;
    t->number =
        num && num->is_number && isfinite(num->number) && num->number >= 0 && num->number < 1e15
            ? (long)num->number
            : -1;
    t->state = tw_study_trial_state(run);
    t->goal = TW_GOAL_MIN;
    if (!metric)
        metric = fallback;
    if (!metric)
        return;
    val = tw_store_find_series(run, metric, TW_SPLIT_VAL);
    tr = tw_store_find_series(run, metric, TW_SPLIT_TRAIN);
    t->series = val && (val->has_best || !tr || !tr->has_best) ? val : tr;
    if (!t->series)
        return;
    if (t->series->goal == TW_GOAL_MAX)
        t->goal = TW_GOAL_MAX;
    t->has_best = t->series->has_best && !isnan(t->series->best_value);
    t->best = t->series->best_value;
    t->best_epoch = t->series->best_epoch;
}

/* The leaderboard's tiers: trials that ran their course (or still run), then pruned ones
 * (their best is from a shortened training), then failed ones. */
static int
tier(tw_trial_state state)
{
    return state == TW_TRIAL_PRUNED ? 1 : state == TW_TRIAL_FAILED ? 2 : 0;
}

int
tw_study_trial_cmp(const void *pa, const void *pb)
{
    const tw_study_trial *a = pa, *b = pb;

    if (tier(a->state) != tier(b->state))
        return tier(a->state) < tier(b->state) ? -1 : 1;
    if (a->has_best != b->has_best)
        return a->has_best ? -1 : 1;
    if (a->has_best && a->best != b->best) {
        bool less = a->best < b->best;
        return (a->goal == TW_GOAL_MAX ? !less : less) ? -1 : 1;
    }
    if (a->number != b->number)
        return a->number < b->number ? -1 : 1;
    return strcmp(a->run->id, b->run->id);
}

long
tw_study_collect(const tw_store *s, const char *study, const char *fallback,
                 tw_study_trial **trials, size_t *cap)
{
    size_t n = 0, runs;

    if (!s || !study || !trials || !cap)
        return -EINVAL;
    runs = tw_store_run_count(s);
    for (size_t i = 0; i < runs; i++) {
        const tw_store_run *run = tw_store_run_at(s, i);
        const char *name = tw_study_of(run);
        if (!name || strcmp(name, study) != 0)
            continue;
        if (n == *cap) {
            size_t c = *cap ? *cap * 2 : 16;
            tw_study_trial *p = realloc(*trials, c * sizeof *p);
            if (!p)
                return -ENOMEM;
            *trials = p;
            *cap = c;
        }
        tw_study_trial_of(run, fallback, &(*trials)[n++]);
    }
    if (n > 1)
        qsort(*trials, n, sizeof **trials, tw_study_trial_cmp);
    return (long)n;
}

const char *
tw_study_at(const tw_store *s, size_t i)
{
    size_t runs = tw_store_run_count(s), k = 0;

    for (size_t r = 0; r < runs; r++) {
        const char *name = tw_study_of(tw_store_run_at(s, r));
        bool seen = false;
        if (!name)
            continue;
        for (size_t q = 0; q < r && !seen; q++) {
            const char *other = tw_study_of(tw_store_run_at(s, q));
            seen = other && strcmp(other, name) == 0;
        }
        if (!seen && k++ == i)
            return name;
    }
    return NULL;
}

size_t
tw_study_param_keys(const tw_study_trial *trials, size_t n, const char **keys, size_t cap)
{
    size_t k = 0, total = 0;

    for (size_t i = 0; i < n; i++) {
        const tw_store_run *run = trials[i].run;
        for (uint32_t p = 0; p < run->n_params; p++) {
            const char *key = run->params[p].key;
            bool seen = tw_study_reserved_key(key);
            for (size_t j = 0; j < i && !seen; j++)
                seen = find_param(trials[j].run, key) != NULL;
            for (uint32_t q = 0; q < p && !seen; q++)
                seen = strcmp(run->params[q].key, key) == 0;
            if (seen)
                continue;
            if (k < cap)
                keys[k++] = key;
            total++;
        }
    }
    return total;
}

bool
tw_study_param_number(const tw_store_run *run, const char *key, double *x)
{
    const tw_wire_param *p = find_param(run, key);
    char *end;

    if (!p)
        return false;
    if (p->is_number) {
        *x = p->number;
        return isfinite(*x);
    }
    *x = strtod(p->text, &end);
    return end != p->text && *end == '\0' && isfinite(*x);
}
