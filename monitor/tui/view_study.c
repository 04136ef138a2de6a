/* view_study.c - the runs table's grouping by study, in the update path: a study's trials
 * are listed together and ranked as its leaderboard (view_state.h). */
#include "study.h"
#include "view_state.h"

#include <math.h>
#include <string.h>

bool
tw_view_study_key(const char *key)
{
    return tw_study_reserved_key(key);
}

/* The place of a study among the listed rows' studies, from 1 (in the order the rows arrived
 * in the store, so a study keeps its place as its trials re-sort). */
static size_t
study_group(const tw_view *v, size_t k, const char *study)
{
    size_t group = 0, best_order = (size_t)-1;

    /* the study's first run by arrival, then how many other studies began before it */
    for (size_t i = 0; i < k; i++) {
        const char *o = tw_study_of(v->rows[i].run);
        if (o && strcmp(o, study) == 0 && v->rows[i].order < best_order)
            best_order = v->rows[i].order;
    }
    for (size_t i = 0; i < k; i++) {
        const char *o = tw_study_of(v->rows[i].run);
        if (!o || strcmp(o, study) == 0 || v->rows[i].order >= best_order)
            continue;
        bool first = true; /* count each other study once: at its first run */
        for (size_t j = 0; j < k && first; j++) {
            const char *p = tw_study_of(v->rows[j].run);
            first = !(p && strcmp(p, o) == 0 && v->rows[j].order < v->rows[i].order);
        }
        group += first;
    }
    return group + 1;
}

void
tw_view_study_rows(tw_view *v, const tw_store *s, size_t k)
{
    (void)s;
    for (size_t i = 0; i < k; i++) {
        tw_view_row *row = &v->rows[i];
        const char *study = tw_study_of(row->run);
        tw_study_trial t;

        row->group = 0;
        row->tier = 0;
        if (!study)
            continue;
        row->group = study_group(v, k, study);
        tw_study_trial_of(row->run, v->metric, &t);
        row->tier = t.state == TW_TRIAL_PRUNED ? 1 : t.state == TW_TRIAL_FAILED ? 2 : 0;
        row->has_key = t.has_best;
        row->key = t.has_best ? (t.goal == TW_GOAL_MAX ? -t.best : t.best) : 0;
    }
}

const char *
tw_view_trial_state_text(const tw_store_run *run)
{
    tw_trial_state st;

    if (!tw_study_of(run) || tw_store_state_open(run->state))
        return NULL;
    st = tw_study_trial_state(run);
    return st == TW_TRIAL_RUNNING ? NULL : tw_trial_state_name(st);
}
