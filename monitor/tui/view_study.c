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

void
tw_view_study_rows(tw_view *v, const tw_store *s, size_t k)
{
    size_t studies = 0;

    (void)s;
    /* The rows are still in arrival order here (the sync sorts them after): a study's group
     * is its place among the studies by their first trial, so it keeps its place as its
     * trials re-sort. O(k^2) string compares at worst, for k listed runs. */
    for (size_t i = 0; i < k; i++) {
        tw_view_row *row = &v->rows[i];
        const char *study = tw_study_of(row->run);
        tw_study_trial t;

        row->group = 0;
        row->tier = 0;
        if (!study)
            continue;
        for (size_t j = i; j-- > 0 && !row->group;) {
            const char *o = tw_study_of(v->rows[j].run);
            if (o && strcmp(o, study) == 0)
                row->group = v->rows[j].group;
        }
        if (!row->group)
            row->group = ++studies;
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
