/* test_store_keras.c - the store merges ranks of the metrics declared with Keras arguments
 * ("args" on the wire) exactly: the merged value is the value of one metric fed every rank's
 * data; a redeclaration with other arguments, or arguments that disagree with the state
 * length, is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"
#include "trainwatch.h"
#include "wire.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct rank_sim {
    tw_wire_header h;
    uint64_t seq;
} rank_sim;

static int
declare(tw_store *s, rank_sim *p, uint32_t id, const char *name, int kind, const char *args,
        uint32_t state_len)
{
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .seq = ++p->seq,
                        .metric_id = id,
                        .split = TW_SPLIT_VAL,
                        .kind = kind,
                        .options = tw_metric_defaults(),
                        .state_len = state_len};
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.args, sizeof r.args, "%s", args);
    return tw_store_ingest(s, &p->h, &r, 1000.0);
}

static int
epoch_state(tw_store *s, rank_sim *p, uint32_t id, const tw_metric *m)
{
    tw_wire_record r = {.type = TW_REC_EPOCH,
                        .seq = ++p->seq,
                        .metric_id = id,
                        .epoch = 1,
                        .step = 10,
                        .time = 1001.0,
                        .state = tw_metric_state(m),
                        .state_len = (uint32_t)tw_metric_state_size(m)};
    return tw_store_ingest(s, &p->h, &r, 1001.0);
}

static int
epoch_end(tw_store *s, rank_sim *p, uint32_t metrics)
{
    tw_wire_record r = {.type = TW_REC_EPOCH_END,
                        .seq = ++p->seq,
                        .epoch = 1,
                        .step = 10,
                        .time = 1001.0,
                        .metrics = metrics};
    return tw_store_ingest(s, &p->h, &r, 1001.0);
}

/* Rank 0 of the one-rank run "job". */
static rank_sim
job_rank(void)
{
    rank_sim p = {.h = {.version = 1, .incarnation = 3, .rank = 0, .world = 1}};
    snprintf(p.h.run, sizeof p.h.run, "job");
    return p;
}

static void
test_ranks_of_new_kinds_merge_exactly(void **state)
{
    (void)state;
    static const struct {
        tw_metric_kind kind;
        const char *name, *args;
    } decl[] = {
        {TW_METRIC_F1_SCORE, "f1", "num_classes=3,average=macro"},
        {TW_METRIC_MEAN_IOU, "miou", "num_classes=3,sparse_y_true=false,sparse_y_pred=false"},
        {TW_METRIC_PRECISION, "p_top2", "top_k=2"},
        {TW_METRIC_AUC, "auc_prg", "num_thresholds=11,curve=PRGAIN,summation_method=minoring"},
    };
    enum { ND = 4, RANKS = 3, N = 6, D = 3 };
    tw_store *s = tw_store_new(NULL);
    assert_non_null(s);
    tw_metric *single[ND], *per_rank[RANKS][ND];
    for (int k = 0; k < ND; k++)
        single[k] = tw_metric_new_opts(decl[k].kind, decl[k].args);
    double rank_mean[ND] = {0};
    for (uint32_t r = 0; r < RANKS; r++) {
        rank_sim p = {.h = {.version = 1, .incarnation = 7 + r, .rank = r, .world = RANKS}};
        snprintf(p.h.run, sizeof p.h.run, "job");
        float yt[N * D], yp[N * D];
        const size_t n = 2 + 2 * r; /* ranks of different sizes and skill */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < D; j++) {
                yt[i * D + j] = (float)(j == (i * (r + 1)) % D);
                yp[i * D + j] = (float)((i * 5 + j * 3 + r * 7) % 10) / 10.0f;
            }
        for (int k = 0; k < ND; k++) {
            tw_metric *m = per_rank[r][k] = tw_metric_new_opts(decl[k].kind, decl[k].args);
            assert_non_null(m);
            assert_int_equal(declare(s, &p, (uint32_t)k, decl[k].name, decl[k].kind,
                                     tw_metric_options_string(m),
                                     (uint32_t)tw_metric_state_size(m)),
                             0);
            assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, n, D), 0);
            assert_int_equal(tw_metric_update_state(single[k], yt, yp, NULL, n, D), 0);
            rank_mean[k] += tw_metric_result(m) / RANKS;
            assert_int_equal(epoch_state(s, &p, (uint32_t)k, m), 0);
        }
        assert_int_equal(epoch_end(s, &p, ND), 0);
        /* the same name with other arguments is another metric: refused */
        if (r == 0) {
            assert_int_equal(
                declare(s, &p, 9, "f1", TW_METRIC_F1_SCORE, "num_classes=3,average=weighted", 12),
                -EBADMSG);
            /* arguments that give another state length: refused */
            assert_int_equal(declare(s, &p, 10, "f1b", TW_METRIC_F1_SCORE, "num_classes=4", 12),
                             -EBADMSG);
            assert_int_equal(declare(s, &p, 11, "bad", TW_METRIC_F1_SCORE, "num_classes=x", 12),
                             -EBADMSG);
        }
    }
    const tw_store_run *rn = tw_store_find_run(s, "job");
    assert_non_null(rn);
    for (int k = 0; k < ND; k++) {
        const tw_store_series *se = tw_store_find_series(rn, decl[k].name, TW_SPLIT_VAL);
        assert_non_null(se);
        assert_string_equal(se->args, tw_metric_options_string(single[k]));
        assert_int_equal(se->n_points, 1);
        assert_true(se->points[0].final);
        double want = tw_metric_result(single[k]);
        if (fabs(se->points[0].value - want) > 1e-12)
            fail_msg("%s: merged %.15g, one metric over all data %.15g", decl[k].name,
                     se->points[0].value, want);
        assert_true(fabs(rank_mean[k] - want) > 1e-6); /* not a mean of the ranks' values */
        assert_int_equal(se->goal, TW_GOAL_MAX);       /* inferred from the kind's name */
        for (uint32_t r = 0; r < RANKS; r++)
            tw_metric_destroy(&per_rank[r][k]);
        tw_metric_destroy(&single[k]);
    }
    tw_store_destroy(&s);
}

/* F1 with average=None is one series per class too, "f1[i]": merged over the ranks, each is
 * the class's F1 of one metric over all the data; the metric's own value is their mean. */
static void
test_vector_metric_has_a_series_per_class(void **state)
{
    (void)state;
    const char *args = "num_classes=3,threshold=0.5";
    tw_store *s = tw_store_new(NULL);
    tw_metric *single = tw_metric_new_opts(TW_METRIC_F1_SCORE, args);
    for (uint32_t r = 0; r < 2; r++) {
        rank_sim p = {.h = {.version = 1, .incarnation = 3 + r, .rank = r, .world = 2}};
        snprintf(p.h.run, sizeof p.h.run, "job");
        tw_metric *m = tw_metric_new_opts(TW_METRIC_F1_SCORE, args);
        assert_int_equal(
            declare(s, &p, 0, "f1", TW_METRIC_F1_SCORE, tw_metric_options_string(m), 12), 0);
        float yt[12], yp[12];
        for (int i = 0; i < 12; i++) {
            yt[i] = (float)((i + (int)r) % 3 == 0);
            yp[i] = (float)((i * 7 + (int)r * 5) % 10) / 10.0f;
        }
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 3), 0);
        assert_int_equal(tw_metric_update_state(single, yt, yp, NULL, 4, 3), 0);
        assert_int_equal(epoch_state(s, &p, 0, m), 0);
        assert_int_equal(epoch_end(s, &p, 1), 0);
        tw_metric_destroy(&m);
    }
    const tw_store_run *rn = tw_store_find_run(s, "job");
    double want[3];
    assert_int_equal(tw_metric_result_vector(single, want, 3), 3);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "f1[%d]", i);
        const tw_store_series *se = tw_store_find_series(rn, name, TW_SPLIT_VAL);
        assert_non_null(se);
        assert_int_equal(se->component, i);
        assert_int_equal(se->n_points, 1);
        assert_true(se->points[0].final);
        assert_true(fabs(se->points[0].value - want[i]) < 1e-12);
    }
    assert_null(tw_store_find_series(rn, "f1[3]", TW_SPLIT_VAL));
    const tw_store_series *all = tw_store_find_series(rn, "f1", TW_SPLIT_VAL);
    assert_int_equal(all->component, -1);
    assert_true(fabs(all->points[0].value - (want[0] + want[1] + want[2]) / 3) < 1e-12);
    /* a scalar metric has no component series */
    assert_null(tw_store_find_series(rn, "f1[0][0]", TW_SPLIT_VAL));
    tw_metric_destroy(&single);
    tw_store_destroy(&s);
}

/* One value of a vector metric ("precision[i]", a threshold each) has no standard error of
 * its own: never the whole metric's. Precision with several thresholds has none either since
 * tw_metric_stderr stopped reading tp[0], tp[1] as tp, fp; against that library the
 * components showed its binomial. */
static void
test_vector_component_has_no_se(void **state)
{
    (void)state;
    tw_store *s = tw_store_new(NULL);
    rank_sim p = job_rank();
    tw_metric *m = tw_metric_new_opts(TW_METRIC_PRECISION, "thresholds=[0.3,0.7]");
    assert_int_equal(declare(s, &p, 0, "precision", TW_METRIC_PRECISION,
                             tw_metric_options_string(m), (uint32_t)tw_metric_state_size(m)),
                     0);
    const float yt[6] = {1, 0, 1, 1, 0, 1}, yp[6] = {0.9f, 0.4f, 0.2f, 0.8f, 0.6f, 0.5f};
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 6, 1), 0);
    assert_int_equal(epoch_state(s, &p, 0, m), 0);
    assert_int_equal(epoch_end(s, &p, 1), 0);
    const tw_store_run *rn = tw_store_find_run(s, "job");
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "precision[%d]", i);
        const tw_store_series *se = tw_store_find_series(rn, name, TW_SPLIT_VAL);
        assert_non_null(se);
        assert_int_equal(se->n_points, 1);
        assert_true(isfinite(se->points[0].value));
        assert_true(isnan(se->points[0].value_se));
    }
    tw_metric_destroy(&m);
    tw_store_destroy(&s);
}

/* A custom metric (slots and an expression) merges over the ranks by adding its slots and
 * evaluating the declared expression: not a mean of the ranks' values. */
static void
test_custom_metric_merges_exactly(void **state)
{
    (void)state;
    static const char *const names[] = {"tp", "fp", "fn"};
    const double slots[2][3] = {{9, 1, 0}, {1, 3, 6}};
    tw_store *s = tw_store_new(NULL);
    double mean_of_ranks = 0;
    for (uint32_t r = 0; r < 2; r++) {
        rank_sim p = {.h = {.version = 1, .incarnation = 11 + r, .rank = r, .world = 2}};
        snprintf(p.h.run, sizeof p.h.run, "job");
        tw_metric *m = tw_metric_new_custom(names, 3, "2*tp / (2*tp + fp + fn)");
        assert_int_equal(
            declare(s, &p, 0, "my_f1", TW_METRIC_CUSTOM, tw_metric_options_string(m), 3), 0);
        assert_int_equal(tw_metric_update_slots(m, slots[r], 3), 0);
        mean_of_ranks += tw_metric_result(m) / 2;
        assert_int_equal(epoch_state(s, &p, 0, m), 0);
        assert_int_equal(epoch_end(s, &p, 1), 0);
        tw_metric_destroy(&m);
    }
    const tw_store_series *se =
        tw_store_find_series(tw_store_find_run(s, "job"), "my_f1", TW_SPLIT_VAL);
    assert_non_null(se);
    assert_true(se->points[0].final);
    double want = 2.0 * 10 / (2.0 * 10 + 4 + 6);
    assert_true(fabs(se->points[0].value - want) < 1e-12);
    assert_true(fabs(mean_of_ranks - want) > 1e-3);
    tw_store_destroy(&s);
}

/* A "name[i]" value series whose name is already the user's own metric is skipped quietly:
 * the peer declared nothing wrong. */
static void
test_part_name_taken(void **state)
{
    (void)state;
    tw_store *s = tw_store_new(NULL);
    rank_sim p = job_rank();
    assert_int_equal(declare(s, &p, 0, "precision[0]", TW_METRIC_BINARY_ACCURACY, "", 2), 0);
    tw_metric *m = tw_metric_new_opts(TW_METRIC_PRECISION, "thresholds=[0.3,0.7]");
    assert_int_equal(declare(s, &p, 1, "precision", TW_METRIC_PRECISION,
                             tw_metric_options_string(m), (uint32_t)tw_metric_state_size(m)),
                     0);
    tw_metric_destroy(&m);
    const tw_store_run *rn = tw_store_find_run(s, "job");
    assert_int_equal(rn->counters.bad_decl, 0);
    assert_int_equal(tw_store_find_series(rn, "precision[0]", TW_SPLIT_VAL)->component, -1);
    tw_store_destroy(&s);
}

/* Arguments the library will not make a metric of (a canonical form over
 * TW_METRIC_OPTIONS_MAX) are a refused declaration at the first state, not an out-of-memory. */
static void
test_refused_args(void **state)
{
    (void)state;
    tw_store *s = tw_store_new(NULL);
    rank_sim p = job_rank();
    /* 256 thresholds k e-17: "256e-17" is 7 bytes, its canonical 0.00000000000000256 19 */
    char args[TW_METRIC_OPTIONS_MAX + 1];
    size_t at = (size_t)snprintf(args, sizeof args, "thresholds=[");
    for (int k = 1; k <= 256; k++)
        at += (size_t)snprintf(args + at, sizeof args - at, "%de-17%s", k, k < 256 ? "," : "]");
    assert_true(at < sizeof args);
    errno = 0;
    assert_null(tw_metric_new_opts(TW_METRIC_PRECISION, args));
    assert_int_equal(errno, EINVAL);
    assert_int_equal(declare(s, &p, 2, "long", TW_METRIC_PRECISION, args, 512), 0);
    static double st[512];
    tw_wire_record r = {.type = TW_REC_EPOCH,
                        .seq = ++p.seq,
                        .metric_id = 2,
                        .epoch = 1,
                        .step = 10,
                        .time = 1001.0,
                        .state = st,
                        .state_len = 512};
    assert_int_equal(tw_store_ingest(s, &p.h, &r, 1001.0), -EBADMSG);
    assert_int_equal(tw_store_find_run(s, "job")->counters.bad_decl, 1);
    tw_store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_of_new_kinds_merge_exactly),
        cmocka_unit_test(test_vector_metric_has_a_series_per_class),
        cmocka_unit_test(test_vector_component_has_no_se),
        cmocka_unit_test(test_part_name_taken),
        cmocka_unit_test(test_refused_args),
        cmocka_unit_test(test_custom_metric_merges_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
