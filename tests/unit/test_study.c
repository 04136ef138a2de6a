/* test_study.c - studies over the store (monitor/model/study.c): which runs are trials, their
 * states and best values, the leaderboard order, and the sweep scatter's rasterization. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"
#include "study.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One trial of `study` (NULL: a run of no study) ingested as run `id`: a validation loss
 * (a gauge, goal min) with the given epoch values, then a run-end with `status` when ended;
 * `state` the trial_state parameter (NULL: none). */
static void
add_trial(tw_store *s, const char *id, const char *study, int number, double lr, int width,
          const char *state, const double *vals, int n, bool ended, tw_run_status status)
{
    tw_wire_header h = {.version = 1, .incarnation = 1, .rank = 0, .world = 1};
    tw_wire_param p[5];
    uint32_t np = 0;
    uint64_t seq = 0;

    snprintf(h.run, sizeof h.run, "%s", id);
    memset(p, 0, sizeof p);
    if (study) {
        snprintf(p[np].key, sizeof p[np].key, "study");
        snprintf(p[np++].text, sizeof p[0].text, "%s", study);
        snprintf(p[np].key, sizeof p[np].key, "trial");
        p[np].is_number = true;
        p[np++].number = number;
    }
    snprintf(p[np].key, sizeof p[np].key, "lr");
    p[np].is_number = true;
    p[np++].number = lr;
    snprintf(p[np].key, sizeof p[np].key, "width");
    snprintf(p[np++].text, sizeof p[0].text, "%d", width);
    if (state) {
        snprintf(p[np].key, sizeof p[np].key, "trial_state");
        snprintf(p[np++].text, sizeof p[0].text, "%s", state);
    }
    tw_wire_record run = {
        .type = TW_REC_RUN, .seq = ++seq, .time = 100, .params = p, .n_params = np};
    snprintf(run.name, sizeof run.name, "%s", id);
    assert_int_equal(tw_store_ingest(s, &h, &run, 100), 0);
    tw_wire_record m = {.type = TW_REC_METRIC,
                        .seq = ++seq,
                        .metric_id = 1,
                        .split = TW_SPLIT_VAL,
                        .kind = TW_WIRE_KIND_GAUGE,
                        .goal = TW_GOAL_MIN,
                        .options = tw_metric_defaults(),
                        .state_len = 1};
    snprintf(m.name, sizeof m.name, "loss");
    assert_int_equal(tw_store_ingest(s, &h, &m, 100), 0);
    for (int e = 0; e < n; e++) {
        double st[1] = {vals[e]};
        tw_wire_record ep = {.type = TW_REC_EPOCH,
                             .seq = ++seq,
                             .metric_id = 1,
                             .epoch = (uint64_t)e + 1,
                             .step = 10,
                             .time = 101 + e,
                             .state = st,
                             .state_len = 1};
        assert_int_equal(tw_store_ingest(s, &h, &ep, 101 + e), 0);
        tw_wire_record end = {.type = TW_REC_EPOCH_END,
                              .seq = ++seq,
                              .epoch = (uint64_t)e + 1,
                              .step = 10,
                              .time = 101 + e,
                              .metrics = 1};
        assert_int_equal(tw_store_ingest(s, &h, &end, 101 + e), 0);
    }
    if (ended) {
        tw_wire_record re = {.type = TW_REC_RUN_END, .seq = ++seq, .time = 120, .status = status};
        assert_int_equal(tw_store_ingest(s, &h, &re, 120), 0);
    }
}

static tw_store *
sample_study(void)
{
    tw_store *s = tw_store_new(NULL);
    const double a[] = {0.9, 0.5, 0.6}, b[] = {0.8, 0.3}, c[] = {1.2}, d[] = {0.7, 0.4};
    assert_non_null(s);
    add_trial(s, "digits/trial-0", "digits", 0, 1e-3, 32, "complete", a, 3, true, TW_RUN_OK);
    add_trial(s, "other", NULL, 0, 0.1, 8, NULL, d, 2, true, TW_RUN_OK);
    add_trial(s, "digits/trial-1", "digits", 1, 1e-1, 64, "complete", b, 2, true, TW_RUN_OK);
    /* no trial_state: ended interrupted reads as pruned */
    add_trial(s, "digits/trial-2", "digits", 2, 3e-4, 16, NULL, c, 1, true, TW_RUN_INTERRUPTED);
    add_trial(s, "digits/trial-3", "digits", 3, 1e-2, 32, "running", NULL, 0, false, TW_RUN_OK);
    add_trial(s, "mnist/trial-0", "mnist", 0, 1e-2, 32, "failed", d, 2, true, TW_RUN_FAILED);
    return s;
}

/* Runs of a study are its trials, in leaderboard order: best first, no best after, pruned
 * trials after those. */
static void
test_collect_sorted(void **state)
{
    (void)state;
    tw_store *s = sample_study();
    tw_study_trial *t = NULL;
    size_t cap = 0;
    long n = tw_study_collect(s, "digits", "loss", &t, &cap);
    assert_int_equal(n, 4);
    assert_string_equal(t[0].run->id, "digits/trial-1");
    assert_true(t[0].has_best);
    assert_true(t[0].best == 0.3);
    assert_int_equal(t[0].best_epoch, 2);
    assert_int_equal(t[0].state, TW_TRIAL_COMPLETE);
    assert_string_equal(t[1].run->id, "digits/trial-0");
    assert_true(t[1].best == 0.5);
    assert_string_equal(t[2].run->id, "digits/trial-3"); /* running, no best yet */
    assert_false(t[2].has_best);
    assert_int_equal(t[2].state, TW_TRIAL_RUNNING);
    assert_string_equal(t[3].run->id, "digits/trial-2"); /* pruned: after the others */
    assert_int_equal(t[3].state, TW_TRIAL_PRUNED);
    assert_int_equal(t[3].number, 2);
    assert_true(t[3].has_best);
    assert_int_equal(tw_study_collect(s, "mnist", "loss", &t, &cap), 1);
    assert_int_equal(t[0].state, TW_TRIAL_FAILED);
    assert_int_equal(tw_study_collect(s, "none", NULL, &t, &cap), 0);
    free(t);
    tw_store_destroy(&s);
}

/* Studies in order of their first trial; reserved keys are not hyperparameters. */
static void
test_grouping(void **state)
{
    (void)state;
    tw_store *s = sample_study();
    tw_study_trial *t = NULL;
    size_t cap = 0;
    const char *keys[8];

    assert_string_equal(tw_study_at(s, 0), "digits");
    assert_string_equal(tw_study_at(s, 1), "mnist");
    assert_null(tw_study_at(s, 2));
    assert_null(tw_study_of(tw_store_find_run(s, "other")));
    long n = tw_study_collect(s, "digits", "loss", &t, &cap);
    assert_int_equal(tw_study_param_keys(t, (size_t)n, keys, 8), 2);
    assert_string_equal(keys[0], "lr");
    assert_string_equal(keys[1], "width");
    double x;
    assert_true(tw_study_param_number(t[0].run, "width", &x)); /* text that is a number */
    assert_true(x == 64);
    assert_true(tw_study_reserved_key("trial_state"));
    assert_false(tw_study_reserved_key("lr"));
    free(t);
    tw_store_destroy(&s);
}

/* A study maximising sorts the other way. */
static void
test_sort_max(void **state)
{
    (void)state;
    tw_study_trial t[4] = {{.number = 0, .has_best = true, .best = 0.8, .goal = TW_GOAL_MAX},
                           {.number = 1, .has_best = false, .goal = TW_GOAL_MAX},
                           {.number = 2, .has_best = true, .best = 0.9, .goal = TW_GOAL_MAX},
                           {.number = 3,
                            .has_best = true,
                            .best = 0.95,
                            .goal = TW_GOAL_MAX,
                            .state = TW_TRIAL_FAILED}};
    qsort(t, 4, sizeof t[0], tw_study_trial_cmp);
    assert_int_equal(t[0].number, 2);
    assert_int_equal(t[1].number, 0);
    assert_int_equal(t[2].number, 1);
    assert_int_equal(t[3].number, 3);
}

static void
test_want_log(void **state)
{
    (void)state;
    const double lr[] = {1e-4, 3e-3, 0.05}, width[] = {16, 32, 128}, narrow[] = {0.1, 0.5, 0.9},
                 neg[] = {-1, 100};
    assert_true(tw_scatter_want_log(lr, 3));
    assert_false(tw_scatter_want_log(width, 3)); /* 8x: under a decade */
    assert_false(tw_scatter_want_log(narrow, 3));
    assert_false(tw_scatter_want_log(neg, 2));
    assert_false(tw_scatter_want_log(NULL, 0));
}

/* The grid as text, one line a row, UTF-8; the caller frees it. */
static char *
grid_text(const tw_scatter *sc)
{
    size_t cap = (size_t)sc->w * (size_t)sc->h * 4 + (size_t)sc->h + 1, k = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (int y = 0; y < sc->h; y++) {
        for (int x = 0; x < sc->w; x++) {
            uint32_t g = sc->glyph[(size_t)y * (size_t)sc->w + (size_t)x];
            if (g == 0)
                out[k++] = ' ';
            else if (g < 0x80)
                out[k++] = (char)g;
            else if (g < 0x800) {
                out[k++] = (char)(0xC0 | (g >> 6));
                out[k++] = (char)(0x80 | (g & 0x3F));
            } else {
                out[k++] = (char)(0xE0 | (g >> 12));
                out[k++] = (char)(0x80 | ((g >> 6) & 0x3F));
                out[k++] = (char)(0x80 | (g & 0x3F));
            }
        }
        out[k++] = '\n';
    }
    out[k] = '\0';
    return out;
}

/* ASCII: one mark a cell, extremes in the corners (padded by one cell), log-x spreads decades
 * evenly, pruned trials are 'x'. */
static void
test_scatter_ascii(void **state)
{
    (void)state;
    tw_scatter sc = {0};
    tw_scatter_point p[4] = {{1e-4, 1.0, false, false},
                             {1e-3, 0.5, true, false},
                             {1e-2, 0.25, false, false},
                             {1e-1, 0.0, false, true}};
    assert_int_equal(tw_scatter_render(&sc, p, 4, 8, 6, false, true), 0);
    char *t = grid_text(&sc);
    assert_string_equal(t, "        \n"
                           " o      \n"
                           "   x    \n"
                           "    o   \n"
                           "      o \n"
                           "        \n");
    assert_int_equal(sc.flags[4 * 8 + 6], TW_SCATTER_COMPLETE | TW_SCATTER_BEST);
    assert_true(sc.log_x);
    assert_true(sc.x_lo < 1e-4 && sc.x_hi > 1e-1);
    assert_int_equal(sc.points, 4);
    free(t);
    tw_scatter_free(&sc);
}

/* Braille: two points in one cell share its dots; a pruned point alone is a cross; a point
 * with x <= 0 is left out under log-x. */
static void
test_scatter_braille(void **state)
{
    (void)state;
    tw_scatter sc = {0};
    tw_scatter_point p[4] = {{0.0, 0.0, false, false},
                             {1.0, 1.0, false, false},
                             {1.0, 0.0, true, false},
                             {0.0, 1.0, false, false}};
    assert_int_equal(tw_scatter_render(&sc, p, 4, 3, 2, true, false), 0);
    /* x: 6 dots, 0 on dot 1 and 1 on dot 4 (cell 2); y: 8 dots, 1 on dot 6 (top cell, dot
     * row 1: its upper half lit), 0 on dot 1 (bottom cell, dot row 2: its lower half) */
    char *t = grid_text(&sc);
    assert_string_equal(t, "\xe2\xa0\x9b \xe2\xa0\x9b\n" /* ⠛ ⠛ */
                           "\xe2\xa3\xa4 \xc3\x97\n");   /* ⣤ × */
    free(t);
    assert_int_equal(tw_scatter_render(&sc, p, 4, 3, 2, true, true), 0);
    assert_int_equal(sc.points, 2);
    assert_int_equal(tw_scatter_render(&sc, NULL, 0, 3, 2, true, false), 0);
    assert_int_equal(sc.points, 0);
    assert_int_equal(tw_scatter_render(&sc, p, 4, 0, 2, true, false), -EINVAL);
    tw_scatter_free(&sc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_sorted), cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_sort_max),       cmocka_unit_test(test_want_log),
        cmocka_unit_test(test_scatter_ascii),  cmocka_unit_test(test_scatter_braille),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
