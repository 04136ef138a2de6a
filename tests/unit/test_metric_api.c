/* test_metric_api.c - metric lifecycle, options validation, errors, state access, names, merge. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "metric_testutil.h"

/* ---- what each kind is ----------------------------------------------------------------- */

typedef struct kind_info {
    tw_metric_kind kind;
    const char *name;
    size_t state_size; /* with default options */
    bool values_api;   /* Mean and Sum take tw_metric_update_values */
    bool sparse;       /* y_true holds n labels */
    bool uses_threshold, uses_k, uses_auc;
} kind_info;

static const kind_info kinds[] = {
    {TW_METRIC_MEAN, "mean", 4, true, false, false, false, false},
    {TW_METRIC_SUM, "sum", 1, true, false, false, false, false},
    {TW_METRIC_ACCURACY, "accuracy", 2, false, false, false, false, false},
    {TW_METRIC_BINARY_ACCURACY, "binary_accuracy", 2, false, false, true, false, false},
    {TW_METRIC_CATEGORICAL_ACCURACY, "categorical_accuracy", 2, false, false, false, false, false},
    {TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, "sparse_categorical_accuracy", 2, false, true, false,
     false, false},
    {TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, "top_k_categorical_accuracy", 2, false, false, false,
     true, false},
    {TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, "sparse_top_k_categorical_accuracy", 2, false,
     true, false, true, false},
    {TW_METRIC_MEAN_SQUARED_ERROR, "mean_squared_error", 4, false, false, false, false, false},
    {TW_METRIC_ROOT_MEAN_SQUARED_ERROR, "root_mean_squared_error", 4, false, false, false, false,
     false},
    {TW_METRIC_MEAN_ABSOLUTE_ERROR, "mean_absolute_error", 4, false, false, false, false, false},
    {TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR, "mean_absolute_percentage_error", 4, false, false,
     false, false, false},
    {TW_METRIC_BINARY_CROSSENTROPY, "binary_crossentropy", 4, false, false, false, false, false},
    {TW_METRIC_CATEGORICAL_CROSSENTROPY, "categorical_crossentropy", 4, false, false, false, false,
     false},
    {TW_METRIC_PRECISION, "precision", 2, false, false, true, false, false},
    {TW_METRIC_RECALL, "recall", 2, false, false, true, false, false},
    {TW_METRIC_AUC, "auc", 2 * 200 + 2, false, false, false, false, true},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The kinds added in 0.2 (their tests are in test_metric_ext*.c): names only. */
static const struct {
    tw_metric_kind kind;
    const char *name;
} new_kinds[] = {
    {TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, "sparse_categorical_crossentropy"},
    {TW_METRIC_KL_DIVERGENCE, "kl_divergence"},
    {TW_METRIC_POISSON, "poisson"},
    {TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR, "mean_squared_logarithmic_error"},
    {TW_METRIC_LOG_COSH_ERROR, "log_cosh_error"},
    {TW_METRIC_COSINE_SIMILARITY, "cosine_similarity"},
    {TW_METRIC_R2_SCORE, "r2_score"},
    {TW_METRIC_TRUE_POSITIVES, "true_positives"},
    {TW_METRIC_FALSE_POSITIVES, "false_positives"},
    {TW_METRIC_TRUE_NEGATIVES, "true_negatives"},
    {TW_METRIC_FALSE_NEGATIVES, "false_negatives"},
    {TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "sensitivity_at_specificity"},
    {TW_METRIC_SPECIFICITY_AT_SENSITIVITY, "specificity_at_sensitivity"},
    {TW_METRIC_PRECISION_AT_RECALL, "precision_at_recall"},
    {TW_METRIC_RECALL_AT_PRECISION, "recall_at_precision"},
    {TW_METRIC_HINGE, "hinge"},
    {TW_METRIC_SQUARED_HINGE, "squared_hinge"},
    {TW_METRIC_CATEGORICAL_HINGE, "categorical_hinge"},
    {TW_METRIC_F_BETA_SCORE, "f_beta_score"},
    {TW_METRIC_F1_SCORE, "f1_score"},
    {TW_METRIC_IOU, "io_u"},
    {TW_METRIC_BINARY_IOU, "binary_io_u"},
    {TW_METRIC_MEAN_IOU, "mean_io_u"},
    {TW_METRIC_ONE_HOT_IOU, "one_hot_io_u"},
    {TW_METRIC_ONE_HOT_MEAN_IOU, "one_hot_mean_io_u"},
    {TW_METRIC_PEARSON_CORRELATION, "pearson_correlation"},
    {TW_METRIC_CONCORDANCE_CORRELATION, "concordance_correlation"},
    {TW_METRIC_CUSTOM, "custom"},
};

#define NNEW (sizeof(new_kinds) / sizeof(new_kinds[0]))

/* ---- shared data for the every-kind tests: 6 samples of 3 values ------------------------ */

#define GN 6
#define GD 3

static const float g_pred[GN * GD] = {
    0.1f,  0.7f,  0.2f,  /* */
    0.6f,  0.3f,  0.1f,  /* */
    0.25f, 0.25f, 0.5f,  /* */
    0.9f,  0.05f, 0.05f, /* */
    0.2f,  0.2f,  0.6f,  /* */
    0.4f,  0.45f, 0.15f,
};
static const float g_onehot[GN * GD] = {
    0, 1, 0, /* */
    1, 0, 0, /* */
    0, 0, 1, /* */
    0, 1, 0, /* */
    0, 0, 1, /* */
    1, 0, 0,
};
static const float g_labels[GN] = {1, 0, 2, 1, 2, 0};
/* per-sample weights including zero and a negative weight */
static const float g_weights[GN] = {1.0f, 0.5f, 0.0f, -1.0f, 2.0f, 3.0f};

/* Feeds rows [from, to) of the shared data into m, with or without the weights. */
static int
feed_rows(tw_metric *m, const kind_info *ki, size_t from, size_t to, bool weighted)
{
    const float *w = weighted ? g_weights + from : NULL;
    size_t n = to - from;
    if (ki->values_api)
        return tw_metric_update_values(m, g_pred + from * GD, w, n, GD);
    const float *yt = ki->sparse ? g_labels + from : g_onehot + from * GD;
    return tw_metric_update_state(m, yt, g_pred + from * GD, w, n, GD);
}

static const kind_info *
info_of(void **state)
{
    return (const kind_info *)*state;
}

/* ---- version and defaults --------------------------------------------------------------- */

static void
test_version(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", TW_VERSION_MAJOR, TW_VERSION_MINOR, TW_VERSION_PATCH);
    assert_non_null(tw_version());
    assert_string_equal(tw_version(), want);
    assert_string_equal(tw_version(), "0.2.0");
}

static void
test_defaults(void **state)
{
    (void)state;
    tw_metric_options o = tw_metric_defaults();
    assert_true(o.threshold == 0.5);
    assert_int_equal(o.k, 5);
    assert_int_equal(o.num_thresholds, 200);
    assert_int_equal(o.curve, TW_AUC_ROC);
    assert_int_equal(o.summation, TW_AUC_INTERPOLATION);
}

/* ---- creation ------------------------------------------------------------------------- */

/* Every kind can be made with NULL options; it starts with a zero state and result 0. */
static void
test_new_every_kind(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKINDS; i++) {
        tw_metric *m = tw_metric_new(kinds[i].kind, NULL);
        assert_non_null(m);
        assert_int_equal(tw_metric_kind_of(m), kinds[i].kind);
        assert_int_equal(tw_metric_state_size(m), kinds[i].state_size);
        assert_int_equal(tw_metric_state_size_for(kinds[i].kind, NULL), kinds[i].state_size);
        assert_state_zero(m);
        assert_true(tw_metric_result(m) == 0.0);

        tw_metric_options o = tw_metric_options_of(m);
        tw_metric_options d = tw_metric_defaults();
        assert_true(o.threshold == d.threshold);
        assert_int_equal(o.k, d.k);
        assert_int_equal(o.num_thresholds, d.num_thresholds);
        assert_int_equal(o.curve, d.curve);
        assert_int_equal(o.summation, d.summation);

        /* explicit default options give the same metric */
        tw_metric *m2 = tw_metric_new(kinds[i].kind, &d);
        assert_non_null(m2);
        assert_int_equal(tw_metric_state_size(m2), kinds[i].state_size);
        tw_metric_destroy(&m2);
        tw_metric_destroy(&m);
        assert_null(m);
    }
}

static void
expect_new_einval(tw_metric_kind kind, const tw_metric_options *opts, const char *what)
{
    errno = 0;
    tw_metric *m = tw_metric_new(kind, opts);
    if (m != NULL) {
        print_error("tw_metric_new(%d, %s) should fail\n", (int)kind, what);
        tw_metric_destroy(&m);
        fail();
    }
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tw_metric_state_size_for(kind, opts), 0);
}

static void
expect_new_ok(tw_metric_kind kind, const tw_metric_options *opts, const char *what)
{
    tw_metric *m = tw_metric_new(kind, opts);
    if (m == NULL) {
        print_error("tw_metric_new(%d, %s) should succeed\n", (int)kind, what);
        fail();
    }
    assert_int_not_equal(tw_metric_state_size_for(kind, opts), 0);
    assert_int_equal(tw_metric_state_size_for(kind, opts), tw_metric_state_size(m));
    tw_metric_destroy(&m);
}

static void
test_new_unknown_kind(void **state)
{
    (void)state;
    expect_new_einval((tw_metric_kind)0, NULL, "kind 0");
    expect_new_einval((tw_metric_kind)TW_METRIC_KIND_END, NULL, "kind END");
    expect_new_einval((tw_metric_kind)(TW_METRIC_KIND_END + 1), NULL, "kind END+1");
    expect_new_einval((tw_metric_kind)-1, NULL, "kind -1");
    expect_new_einval((tw_metric_kind)1000, NULL, "kind 1000");
}

static void
test_options_k(void **state)
{
    (void)state;
    const tw_metric_kind topk[] = {TW_METRIC_TOP_K_CATEGORICAL_ACCURACY,
                                   TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY};
    for (size_t i = 0; i < 2; i++) {
        tw_metric_options o = tw_metric_defaults();
        o.k = 0;
        expect_new_einval(topk[i], &o, "k = 0");
        o.k = -1;
        expect_new_einval(topk[i], &o, "k = -1");
        o.k = INT_MIN;
        expect_new_einval(topk[i], &o, "k = INT_MIN");
        o.k = 1;
        expect_new_ok(topk[i], &o, "k = 1");
        o.k = 1000;
        expect_new_ok(topk[i], &o, "k = 1000");

        o.k = 3;
        tw_metric *m = tw_test_new(topk[i], &o);
        assert_int_equal(tw_metric_options_of(m).k, 3);
        tw_metric_destroy(&m);
    }
}

static void
test_options_num_thresholds(void **state)
{
    (void)state;
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = 1;
    expect_new_einval(TW_METRIC_AUC, &o, "num_thresholds = 1");
    o.num_thresholds = 0;
    expect_new_einval(TW_METRIC_AUC, &o, "num_thresholds = 0");
    o.num_thresholds = -3;
    expect_new_einval(TW_METRIC_AUC, &o, "num_thresholds = -3");
    o.num_thresholds = TW_AUC_MAX_THRESHOLDS + 1;
    expect_new_einval(TW_METRIC_AUC, &o, "num_thresholds = MAX + 1");
    o.num_thresholds = INT_MAX;
    expect_new_einval(TW_METRIC_AUC, &o, "num_thresholds = INT_MAX");

    o.num_thresholds = 2;
    expect_new_ok(TW_METRIC_AUC, &o, "num_thresholds = 2");
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_AUC, &o), 6);
    o.num_thresholds = 3;
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_AUC, &o), 8);
    o.num_thresholds = TW_AUC_MAX_THRESHOLDS;
    expect_new_ok(TW_METRIC_AUC, &o, "num_thresholds = MAX");
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_AUC, &o), 2 * TW_AUC_MAX_THRESHOLDS + 2);
}

static void
test_options_curve_summation(void **state)
{
    (void)state;
    tw_metric_options o = tw_metric_defaults();
    o.curve = (tw_auc_curve)3;
    expect_new_einval(TW_METRIC_AUC, &o, "curve = 3");
    o.curve = (tw_auc_curve)-1;
    expect_new_einval(TW_METRIC_AUC, &o, "curve = -1");
    o.curve = TW_AUC_PR;
    expect_new_ok(TW_METRIC_AUC, &o, "curve = PR");

    o = tw_metric_defaults();
    o.summation = (tw_auc_summation)3;
    expect_new_einval(TW_METRIC_AUC, &o, "summation = 3");
    o.summation = (tw_auc_summation)-1;
    expect_new_einval(TW_METRIC_AUC, &o, "summation = -1");
    o.summation = TW_AUC_MINORING;
    expect_new_ok(TW_METRIC_AUC, &o, "summation = minoring");
    o.summation = TW_AUC_MAJORING;
    expect_new_ok(TW_METRIC_AUC, &o, "summation = majoring");

    o.num_thresholds = 7;
    o.curve = TW_AUC_PR;
    o.summation = TW_AUC_MAJORING;
    tw_metric *m = tw_test_new(TW_METRIC_AUC, &o);
    tw_metric_options got = tw_metric_options_of(m);
    assert_int_equal(got.num_thresholds, 7);
    assert_int_equal(got.curve, TW_AUC_PR);
    assert_int_equal(got.summation, TW_AUC_MAJORING);
    assert_int_equal(tw_metric_state_size(m), 16);
    tw_metric_destroy(&m);
}

static void
test_options_threshold(void **state)
{
    (void)state;
    const tw_metric_kind pr[] = {TW_METRIC_PRECISION, TW_METRIC_RECALL};
    for (size_t i = 0; i < 2; i++) {
        tw_metric_options o = tw_metric_defaults();
        o.threshold = -0.001;
        expect_new_einval(pr[i], &o, "threshold = -0.001");
        o.threshold = 1.001;
        expect_new_einval(pr[i], &o, "threshold = 1.001");
        o.threshold = -1.0;
        expect_new_einval(pr[i], &o, "threshold = -1");
        o.threshold = NAN;
        expect_new_einval(pr[i], &o, "threshold = NaN");
        o.threshold = INFINITY;
        expect_new_einval(pr[i], &o, "threshold = inf");
        o.threshold = 0.0;
        expect_new_ok(pr[i], &o, "threshold = 0");
        o.threshold = 1.0;
        expect_new_ok(pr[i], &o, "threshold = 1");
        o.threshold = 0.25;
        tw_metric *m = tw_test_new(pr[i], &o);
        assert_true(tw_metric_options_of(m).threshold == 0.25);
        tw_metric_destroy(&m);
    }

    tw_metric_options o = tw_metric_defaults();
    o.threshold = NAN;
    expect_new_einval(TW_METRIC_BINARY_ACCURACY, &o, "threshold = NaN");
    o.threshold = INFINITY;
    expect_new_einval(TW_METRIC_BINARY_ACCURACY, &o, "threshold = inf");
    o.threshold = -INFINITY;
    expect_new_einval(TW_METRIC_BINARY_ACCURACY, &o, "threshold = -inf");
    /* BinaryAccuracy needs [0, 1] too (Keras 3 rejects thresholds outside (0, 1)) */
    o.threshold = 0.0;
    expect_new_ok(TW_METRIC_BINARY_ACCURACY, &o, "threshold = 0");
    o.threshold = 1.0;
    expect_new_ok(TW_METRIC_BINARY_ACCURACY, &o, "threshold = 1");
    o.threshold = -3.0;
    expect_new_einval(TW_METRIC_BINARY_ACCURACY, &o, "threshold = -3");
    o.threshold = 7.5;
    expect_new_einval(TW_METRIC_BINARY_ACCURACY, &o, "threshold = 7.5");
}

/* Fields a kind does not use are ignored, however bad they are. */
static void
test_options_unused_fields_ignored(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKINDS; i++) {
        tw_metric_options o = tw_metric_defaults();
        if (!kinds[i].uses_threshold)
            o.threshold = NAN;
        if (!kinds[i].uses_k)
            o.k = 0;
        if (!kinds[i].uses_auc) {
            o.num_thresholds = 0;
            o.curve = (tw_auc_curve)99;
            o.summation = (tw_auc_summation)99;
        }
        tw_metric *m = tw_metric_new(kinds[i].kind, &o);
        if (m == NULL) {
            print_error("%s rejected options it does not use\n", kinds[i].name);
            fail();
        }
        assert_int_equal(tw_metric_state_size(m), kinds[i].state_size);
        assert_int_equal(tw_metric_state_size_for(kinds[i].kind, &o), kinds[i].state_size);
        tw_metric_destroy(&m);
    }
}

static void
test_state_size_for(void **state)
{
    (void)state;
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_SUM, NULL), 1);
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_MEAN, NULL), 4);
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_ACCURACY, NULL), 2);
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_PRECISION, NULL), 2);
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_RECALL, NULL), 2);
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_AUC, NULL), 402);
    assert_int_equal(tw_metric_state_size_for((tw_metric_kind)0, NULL), 0);
    assert_int_equal(tw_metric_state_size_for((tw_metric_kind)TW_METRIC_KIND_END, NULL), 0);
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = 5;
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_AUC, &o), 12);
    o.num_thresholds = 1;
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_AUC, &o), 0);
    o = tw_metric_defaults();
    o.k = 0;
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, &o), 0);
    o = tw_metric_defaults();
    o.threshold = 2.0;
    assert_int_equal(tw_metric_state_size_for(TW_METRIC_PRECISION, &o), 0);
}

/* ---- NULL handling ------------------------------------------------------------------------ */

static void
test_null_metric(void **state)
{
    (void)state;
    const float v[2] = {1, 2};
    assert_int_equal(tw_metric_kind_of(NULL), 0);
    assert_int_equal(tw_metric_state_size(NULL), 0);
    assert_null(tw_metric_state(NULL));
    assert_true(isnan(tw_metric_result(NULL)));
    tw_metric_reset_state(NULL);
    tw_metric_options o = tw_metric_options_of(NULL);
    tw_metric_options d = tw_metric_defaults();
    assert_true(o.threshold == d.threshold);
    assert_int_equal(o.k, d.k);
    assert_int_equal(o.num_thresholds, d.num_thresholds);
    assert_int_equal(o.curve, d.curve);
    assert_int_equal(o.summation, d.summation);

    assert_int_equal(tw_metric_update_state(NULL, v, v, NULL, 2, 1), -EINVAL);
    assert_int_equal(tw_metric_update_values(NULL, v, NULL, 2, 1), -EINVAL);
    assert_int_equal(tw_metric_update_scalar(NULL, 1.0, 1.0), -EINVAL);
    assert_int_equal(tw_metric_add_state(NULL, (const double[]){1.0}, 1), -EINVAL);
    assert_int_equal(tw_metric_set_state(NULL, (const double[]){1.0}, 1), -EINVAL);
}

static void
test_destroy(void **state)
{
    (void)state;
    tw_metric_destroy(NULL);
    tw_metric *m = NULL;
    tw_metric_destroy(&m);
    assert_null(m);
    m = tw_test_new(TW_METRIC_AUC, NULL);
    tw_metric_destroy(&m);
    assert_null(m);
    tw_metric_destroy(&m); /* twice is fine: the pointer is NULL now */
    assert_null(m);
}

/* ---- names ------------------------------------------------------------------------------- */

static void
test_kind_names(void **state)
{
    (void)state;
    assert_int_equal(NKINDS + NNEW, TW_METRIC_KIND_END - TW_METRIC_MEAN);
    for (size_t i = 0; i < NNEW; i++) {
        assert_int_equal(new_kinds[i].kind, TW_METRIC_AUC + 1 + (int)i); /* appended in order */
        assert_string_equal(tw_metric_kind_name(new_kinds[i].kind), new_kinds[i].name);
        assert_int_equal(tw_metric_kind_from_name(new_kinds[i].name), new_kinds[i].kind);
    }
    /* the obvious spellings too */
    assert_int_equal(tw_metric_kind_from_name("iou"), TW_METRIC_IOU);
    assert_int_equal(tw_metric_kind_from_name("mean_iou"), TW_METRIC_MEAN_IOU);
    assert_int_equal(tw_metric_kind_from_name("one_hot_mean_iou"), TW_METRIC_ONE_HOT_MEAN_IOU);
    for (size_t i = 0; i < NKINDS; i++) {
        const char *name = tw_metric_kind_name(kinds[i].kind);
        assert_non_null(name);
        assert_string_equal(name, kinds[i].name);
        assert_int_equal(tw_metric_kind_from_name(kinds[i].name), kinds[i].kind);
        assert_int_equal(tw_metric_kind_from_name(name), kinds[i].kind);
    }
    /* every enum value is covered by the table above */
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++) {
        const char *name = tw_metric_kind_name((tw_metric_kind)k);
        assert_non_null(name);
        assert_int_equal(tw_metric_kind_from_name(name), k);
    }
    assert_null(tw_metric_kind_name((tw_metric_kind)0));
    assert_null(tw_metric_kind_name((tw_metric_kind)TW_METRIC_KIND_END));
    assert_null(tw_metric_kind_name((tw_metric_kind)-1));

    assert_int_equal(tw_metric_kind_from_name(NULL), 0);
    assert_int_equal(tw_metric_kind_from_name(""), 0);
    assert_int_equal(tw_metric_kind_from_name("mse"), 0);
    assert_int_equal(tw_metric_kind_from_name("Mean"), 0);
    assert_int_equal(tw_metric_kind_from_name("auc "), 0);
    assert_int_equal(tw_metric_kind_from_name("au"), 0);
    assert_int_equal(tw_metric_kind_from_name("aucx"), 0);
    assert_int_equal(tw_metric_kind_from_name("mean_squared"), 0);
}

/* ---- state access ---------------------------------------------------------------------- */

static void
test_state_layout(void **state)
{
    (void)state;
    /* Sum: [total] */
    tw_metric *sum = tw_test_new(TW_METRIC_SUM, NULL);
    const float v[4] = {1, 3, 5, 7};
    assert_int_equal(tw_metric_update_values(sum, v, NULL, 4, 1), 0);
    assert_state(sum, 16.0);

    /* Mean: [total, count] */
    tw_metric *mean = tw_test_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_metric_update_values(mean, v, NULL, 4, 1), 0);
    assert_state(mean, 16.0, 4.0);

    /* a mean-wrapped kind: [total, count]; MAE of |[1,3]-[0,0]| per row mean 2, one row */
    tw_metric *mae = tw_test_new(TW_METRIC_MEAN_ABSOLUTE_ERROR, NULL);
    const float yt[2] = {0, 0}, yp[2] = {1, 3}, w1[1] = {2.0f};
    assert_int_equal(tw_metric_update_state(mae, yt, yp, w1, 1, 2), 0);
    assert_state(mae, 4.0, 2.0);

    /* Precision [tp, fp], Recall [tp, fn]: labels [1,1,0,0,1], predictions > 0.5 at 0,2 */
    const float lab[5] = {1, 1, 0, 0, 1}, pred[5] = {0.9f, 0.1f, 0.8f, 0.2f, 0.4f};
    tw_metric *p = tw_test_new(TW_METRIC_PRECISION, NULL);
    tw_metric *r = tw_test_new(TW_METRIC_RECALL, NULL);
    assert_int_equal(tw_metric_update_state(p, lab, pred, NULL, 5, 1), 0);
    assert_int_equal(tw_metric_update_state(r, lab, pred, NULL, 5, 1), 0);
    assert_state(p, 1.0, 1.0); /* tp: index 0; fp: index 2 */
    assert_state(r, 1.0, 2.0); /* tp: index 0; fn: indexes 1, 4 */

    /* AUC, T = 3 (thresholds -1e-7, 0.5, 1+1e-7): [tp0,tp1,tp2, fp0,fp1,fp2, pos, neg] */
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = 3;
    tw_metric *auc = tw_test_new(TW_METRIC_AUC, &o);
    assert_int_equal(tw_metric_update_state(auc, lab, pred, NULL, 5, 1), 0);
    /* positives p = .9, .1, .4 -> tp = [3, 1, 0]; negatives .8, .2 -> fp = [2, 1, 0] */
    assert_state(auc, 3, 1, 0, 2, 1, 0, 3, 2);

    tw_metric_destroy(&sum);
    tw_metric_destroy(&mean);
    tw_metric_destroy(&mae);
    tw_metric_destroy(&p);
    tw_metric_destroy(&r);
    tw_metric_destroy(&auc);
}

static void
test_set_and_add_state(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_metric_set_state(m, (const double[]){6.0, 3.0}, 2), 0);
    assert_state(m, 6.0, 3.0);
    assert_close(tw_metric_result(m), 2.0, TOL_EXACT);
    assert_int_equal(tw_metric_add_state(m, (const double[]){4.0, 2.0}, 2), 0);
    assert_state(m, 10.0, 5.0);
    assert_close(tw_metric_result(m), 2.0, TOL_EXACT);
    assert_int_equal(tw_metric_add_state(m, (const double[]){5.0, 0.0}, 2), 0);
    assert_close(tw_metric_result(m), 3.0, TOL_EXACT);
    assert_int_equal(tw_metric_set_state(m, (const double[]){7.0, 0.0}, 2), 0);
    assert_true(tw_metric_result(m) == 0.0); /* divide_no_nan */

    /* -EINVAL leaves the state alone: wrong length, NULL array */
    size_t len;
    double *before = tw_test_state_copy(m, &len);
    const double three[3] = {1, 2, 3};
    assert_int_equal(tw_metric_set_state(m, three, 3), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_set_state(m, three, 1), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_set_state(m, three, 0), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_add_state(m, three, 3), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_add_state(m, three, 1), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_set_state(m, NULL, 2), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_add_state(m, NULL, 2), -EINVAL);
    assert_state_unchanged(m, before, len);
    free(before);
    tw_metric_destroy(&m);

    /* results straight from a state, one per layout */
    m = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_set_state(m, (const double[]){-2.5}, 1), 0);
    assert_close(tw_metric_result(m), -2.5, TOL_EXACT);
    assert_int_equal(tw_metric_add_state(m, (const double[]){4.0}, 1), 0);
    assert_close(tw_metric_result(m), 1.5, TOL_EXACT);
    tw_metric_destroy(&m);

    m = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    assert_int_equal(tw_metric_set_state(m, (const double[]){18.0, 2.0}, 2), 0);
    assert_close(tw_metric_result(m), 3.0, TOL_EXACT); /* sqrt(18 / 2) */
    tw_metric_destroy(&m);

    m = tw_test_new(TW_METRIC_PRECISION, NULL);
    assert_int_equal(tw_metric_set_state(m, (const double[]){3.0, 1.0}, 2), 0);
    assert_close(tw_metric_result(m), 0.75, TOL_EXACT); /* tp / (tp + fp) */
    tw_metric_destroy(&m);

    m = tw_test_new(TW_METRIC_RECALL, NULL);
    assert_int_equal(tw_metric_set_state(m, (const double[]){1.0, 3.0}, 2), 0);
    assert_close(tw_metric_result(m), 0.25, TOL_EXACT); /* tp / (tp + fn) */
    tw_metric_destroy(&m);

    /* AUC T = 3 from the Keras weighted example state: ROC = (1 + 4/7) / 2 */
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = 3;
    m = tw_test_new(TW_METRIC_AUC, &o);
    const double auc_state[8] = {7, 4, 0, 3, 0, 0, 7, 3};
    assert_int_equal(tw_metric_set_state(m, auc_state, 8), 0);
    assert_close(tw_metric_result(m), 11.0 / 14.0, TOL_EXACT);
    assert_int_equal(tw_metric_set_state(m, auc_state, 402), -EINVAL);
    tw_metric_destroy(&m);
}

/* ---- merging ----------------------------------------------------------------------------- */

static void
expect_merge_einval(tw_metric *into, const tw_metric *from)
{
    size_t la = 0, lb = 0;
    double *a = into ? tw_test_state_copy(into, &la) : NULL;
    double *b = from ? tw_test_state_copy(from, &lb) : NULL;
    assert_int_equal(tw_metric_merge_state(into, from), -EINVAL);
    if (into)
        assert_state_unchanged(into, a, la);
    if (from)
        assert_state_unchanged(from, b, lb);
    free(a);
    free(b);
}

static void
test_merge_rules(void **state)
{
    (void)state;
    const float v[2] = {1, 2};
    tw_metric *mean = tw_test_new(TW_METRIC_MEAN, NULL);
    tw_metric *mean2 = tw_test_new(TW_METRIC_MEAN, NULL);
    tw_metric *sum = tw_test_new(TW_METRIC_SUM, NULL);
    tw_metric *mse = tw_test_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
    assert_int_equal(tw_metric_update_values(mean, v, NULL, 2, 1), 0);
    assert_int_equal(tw_metric_update_values(mean2, v, NULL, 1, 1), 0);
    assert_int_equal(tw_metric_update_values(sum, v, NULL, 2, 1), 0);

    expect_merge_einval(NULL, mean);
    expect_merge_einval(mean, NULL);
    expect_merge_einval(NULL, NULL);
    expect_merge_einval(mean, sum);
    expect_merge_einval(sum, mean);
    expect_merge_einval(mean, mse); /* same layout, different kind */

    assert_int_equal(tw_metric_merge_state(mean, mean2), 0);
    assert_state(mean, 4.0, 3.0);
    assert_state(mean2, 1.0, 1.0); /* from is not changed */

    /* options a kind uses must match */
    tw_metric_options a = tw_metric_defaults(), b = tw_metric_defaults();
    b.threshold = 0.7;
    tw_metric *pa = tw_test_new(TW_METRIC_PRECISION, &a);
    tw_metric *pb = tw_test_new(TW_METRIC_PRECISION, &b);
    expect_merge_einval(pa, pb);
    tw_metric *ra = tw_test_new(TW_METRIC_RECALL, &a);
    tw_metric *rb = tw_test_new(TW_METRIC_RECALL, &b);
    expect_merge_einval(ra, rb);
    expect_merge_einval(pa, ra);
    tw_metric *ba = tw_test_new(TW_METRIC_BINARY_ACCURACY, &a);
    tw_metric *bb = tw_test_new(TW_METRIC_BINARY_ACCURACY, &b);
    expect_merge_einval(ba, bb);

    b = tw_metric_defaults();
    b.k = 3;
    tw_metric *ka = tw_test_new(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, &a);
    tw_metric *kb = tw_test_new(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, &b);
    expect_merge_einval(ka, kb);
    tw_metric *ska = tw_test_new(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, &a);
    tw_metric *skb = tw_test_new(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, &b);
    expect_merge_einval(ska, skb);
    expect_merge_einval(ka, ska);

    b = tw_metric_defaults();
    b.curve = TW_AUC_PR;
    tw_metric *aa = tw_test_new(TW_METRIC_AUC, &a);
    tw_metric *ab = tw_test_new(TW_METRIC_AUC, &b);
    expect_merge_einval(aa, ab);
    b = tw_metric_defaults();
    b.summation = TW_AUC_MAJORING;
    tw_metric *ac = tw_test_new(TW_METRIC_AUC, &b);
    expect_merge_einval(aa, ac);
    b = tw_metric_defaults();
    b.num_thresholds = 201;
    tw_metric *ad = tw_test_new(TW_METRIC_AUC, &b);
    expect_merge_einval(aa, ad);
    expect_merge_einval(ad, aa);

    /* options a kind does not use may differ */
    b = tw_metric_defaults();
    b.threshold = 0.9;
    b.k = 2;
    b.num_thresholds = 10;
    b.curve = TW_AUC_PR;
    b.summation = TW_AUC_MINORING;
    tw_metric *mb = tw_test_new(TW_METRIC_MEAN, &b);
    assert_int_equal(tw_metric_merge_state(mean, mb), 0);
    tw_metric *cat_a = tw_test_new(TW_METRIC_CATEGORICAL_ACCURACY, &a);
    tw_metric *cat_b = tw_test_new(TW_METRIC_CATEGORICAL_ACCURACY, &b);
    assert_int_equal(tw_metric_merge_state(cat_a, cat_b), 0);

    tw_metric_options c = tw_metric_defaults();
    c.k = 1;
    c.num_thresholds = 3;
    c.curve = TW_AUC_PR;
    tw_metric *pc = tw_test_new(TW_METRIC_PRECISION, &c);
    assert_int_equal(tw_metric_merge_state(pa, pc), 0);
    c = tw_metric_defaults();
    c.threshold = 0.1;
    c.k = 1;
    tw_metric *ae = tw_test_new(TW_METRIC_AUC, &c);
    assert_int_equal(tw_metric_merge_state(aa, ae), 0);
    c = tw_metric_defaults();
    c.threshold = 0.1;
    c.num_thresholds = 4;
    tw_metric *kc = tw_test_new(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, &c);
    assert_int_equal(tw_metric_merge_state(ka, kc), 0);

    tw_metric *all[] = {mean, mean2, sum, mse, pa, pb, ra, rb,    ba,    bb, ka, kb,
                        ska,  skb,   aa,  ab,  ac, ad, mb, cat_a, cat_b, pc, ae, kc};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        tw_metric_destroy(&all[i]);
}

/* ---- every kind: streaming, merging, reset, errors ------------------------------------------- */

/* One batch with weights, two batches, and three batches of 2 give the same state. */
static void
test_kind_streaming(void **state)
{
    const kind_info *ki = info_of(state);
    tw_metric *whole = tw_test_new(ki->kind, NULL);
    tw_metric *parts = tw_test_new(ki->kind, NULL);
    tw_metric *thirds = tw_test_new(ki->kind, NULL);
    assert_int_equal(feed_rows(whole, ki, 0, GN, true), 0);
    assert_int_equal(feed_rows(parts, ki, 0, 4, true), 0);
    assert_int_equal(feed_rows(parts, ki, 4, GN, true), 0);
    for (size_t i = 0; i < GN; i += 2)
        assert_int_equal(feed_rows(thirds, ki, i, i + 2, true), 0);

    /* the data moved the state */
    const double *s = tw_metric_state(whole);
    bool nonzero = false;
    for (size_t i = 0; i < tw_metric_state_size(whole); i++)
        nonzero |= s[i] != 0.0;
    assert_true(nonzero);

    assert_same_state(parts, whole);
    assert_same_state(thirds, whole);
    assert_close(tw_metric_result(parts), tw_metric_result(whole), TOL_DOUBLE);

    /* n == 0 is a no-op */
    size_t len;
    double *before = tw_test_state_copy(whole, &len);
    assert_int_equal(feed_rows(whole, ki, 0, 0, true), 0);
    assert_int_equal(feed_rows(whole, ki, 3, 3, false), 0);
    assert_state_unchanged(whole, before, len);
    free(before);

    tw_metric_destroy(&whole);
    tw_metric_destroy(&parts);
    tw_metric_destroy(&thirds);
}

/* Merging the states of two halves gives the state of the whole; `from` is unchanged. */
static void
test_kind_merge_halves(void **state)
{
    const kind_info *ki = info_of(state);
    for (int weighted = 0; weighted < 2; weighted++) {
        tw_metric *whole = tw_test_new(ki->kind, NULL);
        tw_metric *a = tw_test_new(ki->kind, NULL);
        tw_metric *b = tw_test_new(ki->kind, NULL);
        assert_int_equal(feed_rows(whole, ki, 0, GN, weighted), 0);
        assert_int_equal(feed_rows(a, ki, 0, 3, weighted), 0);
        assert_int_equal(feed_rows(b, ki, 3, GN, weighted), 0);
        size_t len;
        double *bstate = tw_test_state_copy(b, &len);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_same_state(a, whole);
        assert_close(tw_metric_result(a), tw_metric_result(whole), TOL_DOUBLE);
        assert_state_unchanged(b, bstate, len);
        free(bstate);

        /* add_state of the raw halves does the same as merge_state */
        tw_metric *c = tw_test_new(ki->kind, NULL);
        assert_int_equal(feed_rows(c, ki, 0, 3, weighted), 0);
        assert_int_equal(tw_metric_add_state(c, tw_metric_state(b), tw_metric_state_size(b)), 0);
        assert_same_state(c, whole);

        /* set_state copies a state exactly: same result */
        tw_metric *d = tw_test_new(ki->kind, NULL);
        assert_int_equal(
            tw_metric_set_state(d, tw_metric_state(whole), tw_metric_state_size(whole)), 0);
        assert_same_state(d, whole);
        double rw = tw_metric_result(whole), rd = tw_metric_result(d);
        assert_memory_equal(&rw, &rd, sizeof(double));

        tw_metric_destroy(&whole);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
        tw_metric_destroy(&c);
        tw_metric_destroy(&d);
    }
}

/* reset_state gives the state of a new metric, and the metric works again afterwards. */
static void
test_kind_reset(void **state)
{
    const kind_info *ki = info_of(state);
    tw_metric *m = tw_test_new(ki->kind, NULL);
    tw_metric *fresh = tw_test_new(ki->kind, NULL);
    assert_int_equal(feed_rows(m, ki, 0, GN, true), 0);
    tw_metric_reset_state(m);
    assert_state_zero(m);
    assert_true(tw_metric_result(m) == 0.0);
    assert_int_equal(tw_metric_kind_of(m), ki->kind);
    assert_int_equal(feed_rows(m, ki, 1, 4, false), 0);
    assert_int_equal(feed_rows(fresh, ki, 1, 4, false), 0);
    assert_same_state(m, fresh);
    tw_metric_destroy(&m);
    tw_metric_destroy(&fresh);
}

/* Every -EINVAL path of the update calls, each leaving the state as it was. */
static void
test_kind_einval(void **state)
{
    const kind_info *ki = info_of(state);
    tw_metric *m = tw_test_new(ki->kind, NULL);
    assert_int_equal(feed_rows(m, ki, 0, 3, true), 0);
    size_t len;
    double *before = tw_test_state_copy(m, &len);
    const size_t huge = SIZE_MAX / 2 + 1; /* huge * 2 overflows size_t */
    const float *yt = ki->sparse ? g_labels : g_onehot;

    if (ki->values_api) {
        assert_int_equal(tw_metric_update_values(m, NULL, NULL, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, NULL, g_weights, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, g_pred, NULL, 2, 0), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, g_pred, g_weights, huge, 2), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, g_pred, NULL, 2, huge), -EINVAL);
        assert_state_unchanged(m, before, len);
        /* wrong call for the kind */
        assert_int_equal(tw_metric_update_state(m, g_onehot, g_pred, NULL, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, g_onehot, g_pred, g_weights, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        /* update_scalar is the right call: it works */
        assert_int_equal(tw_metric_update_scalar(m, 1.0, 0.0), 0);
    } else {
        assert_int_equal(tw_metric_update_state(m, NULL, g_pred, NULL, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, NULL, NULL, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, NULL, NULL, g_weights, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, g_pred, NULL, 2, 0), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, g_pred, g_weights, huge, 2), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, g_pred, NULL, 2, huge), -EINVAL);
        assert_state_unchanged(m, before, len);
        /* wrong calls for the kind */
        assert_int_equal(tw_metric_update_values(m, g_pred, NULL, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, g_pred, g_weights, 2, GD), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_scalar(m, 1.0, 1.0), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_scalar(m, 0.0, 0.0), -EINVAL);
        assert_state_unchanged(m, before, len);
    }
    free(before);
    tw_metric_destroy(&m);
}

/* Whether two results are the same: the same bits, or both NaN. */
static bool
same_result(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* tw_metric_result_of(m, state, len) gives what tw_metric_set_state and tw_metric_result give,
 * bit for bit, for every kind (with its default arguments, and some that change how its result
 * is computed: Precision and Recall at several thresholds or top_k, AUC), on states with zero
 * denominators, negative, huge and non-finite numbers; NaN where set_state refuses. */
static void
test_result_of(void **state)
{
    (void)state;
    struct {
        tw_metric_kind kind;
        const char *args;
    } extra[] = {
        {TW_METRIC_PRECISION, "thresholds=[0.3,0.7]"},
        {TW_METRIC_RECALL, "top_k=2"},
        {TW_METRIC_PRECISION, "class_id=1"},
        {TW_METRIC_AUC, "num_thresholds=3"},
        {TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "value=0.5,num_thresholds=3"},
    };
    size_t n_kinds = TW_METRIC_KIND_END - TW_METRIC_MEAN, cases = n_kinds + 5, made = 0;
    uint64_t rng = 12345;
    for (size_t c = 0; c < cases; c++) {
        tw_metric_kind kind =
            c < n_kinds ? (tw_metric_kind)(TW_METRIC_MEAN + c) : extra[c - n_kinds].kind;
        const char *args = c < n_kinds ? NULL : extra[c - n_kinds].args;
        tw_metric *ref = tw_metric_new_opts(kind, args), *scratch = tw_metric_new_opts(kind, args);
        if (!ref) { /* a kind that needs arguments: left to the extra cases */
            assert_null(scratch);
            continue;
        }
        assert_non_null(scratch);
        made++;
        size_t len = tw_metric_state_size(ref);
        double *st = calloc(len, sizeof(double));
        assert_non_null(st);
        for (int round = 0; round < 40; round++) {
            for (size_t i = 0; i < len; i++) {
                rng = rng * 6364136223846793005u + 1442695040888963407u;
                unsigned pick = (unsigned)(rng >> 60);
                double u = (double)(rng >> 11) / 9007199254740992.0;
                st[i] = pick == 0                 ? 0.0
                        : pick == 1               ? -u * 10
                        : pick == 2               ? 1e300
                        : pick == 3 && round > 30 ? NAN
                        : pick == 4 && round > 30 ? INFINITY
                                                  : u * 100;
            }
            if (round % 4 == 0 && len >= 2)
                st[1] = 0.0; /* a zero denominator */
            assert_int_equal(tw_metric_set_state(ref, st, len), 0);
            double want = tw_metric_result(ref), got = tw_metric_result_of(scratch, st, len);
            if (!same_result(want, got))
                fail_msg("%s (%s), round %d: result_of %.17g, set_state + result %.17g",
                         tw_metric_kind_name(kind), args ? args : "defaults", round, got, want);
            /* trainwatch 0.1's [total, count] where set_state takes it, NaN where not */
            bool legacy = tw_metric_set_state(ref, st, 2) == 0;
            got = tw_metric_result_of(scratch, st, 2);
            assert_true(legacy ? same_result(got, tw_metric_result(ref)) : len == 2 || isnan(got));
            assert_true(isnan(tw_metric_result_of(scratch, st, len + 1)));
        }
        assert_true(isnan(tw_metric_result_of(scratch, NULL, len)));
        assert_true(isnan(tw_metric_result_of(NULL, st, len)));
        free(st);
        tw_metric_destroy(&ref);
        tw_metric_destroy(&scratch);
    }
    assert_true(made >= n_kinds / 2); /* most kinds take no arguments */
}

#define KIND_TESTS(fn)                                                                             \
    {#fn "/mean", fn, NULL, NULL, (void *)&kinds[0]},                                              \
        {#fn "/sum", fn, NULL, NULL, (void *)&kinds[1]},                                           \
        {#fn "/accuracy", fn, NULL, NULL, (void *)&kinds[2]},                                      \
        {#fn "/binary_accuracy", fn, NULL, NULL, (void *)&kinds[3]},                               \
        {#fn "/categorical_accuracy", fn, NULL, NULL, (void *)&kinds[4]},                          \
        {#fn "/sparse_categorical_accuracy", fn, NULL, NULL, (void *)&kinds[5]},                   \
        {#fn "/top_k_categorical_accuracy", fn, NULL, NULL, (void *)&kinds[6]},                    \
        {#fn "/sparse_top_k_categorical_accuracy", fn, NULL, NULL, (void *)&kinds[7]},             \
        {#fn "/mean_squared_error", fn, NULL, NULL, (void *)&kinds[8]},                            \
        {#fn "/root_mean_squared_error", fn, NULL, NULL, (void *)&kinds[9]},                       \
        {#fn "/mean_absolute_error", fn, NULL, NULL, (void *)&kinds[10]},                          \
        {#fn "/mean_absolute_percentage_error", fn, NULL, NULL, (void *)&kinds[11]},               \
        {#fn "/binary_crossentropy", fn, NULL, NULL, (void *)&kinds[12]},                          \
        {#fn "/categorical_crossentropy", fn, NULL, NULL, (void *)&kinds[13]},                     \
        {#fn "/precision", fn, NULL, NULL, (void *)&kinds[14]},                                    \
        {#fn "/recall", fn, NULL, NULL, (void *)&kinds[15]},                                       \
    {                                                                                              \
#fn "/auc", fn, NULL, NULL, (void *)&kinds[16]                                             \
    }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_new_every_kind),
        cmocka_unit_test(test_new_unknown_kind),
        cmocka_unit_test(test_options_k),
        cmocka_unit_test(test_options_num_thresholds),
        cmocka_unit_test(test_options_curve_summation),
        cmocka_unit_test(test_options_threshold),
        cmocka_unit_test(test_options_unused_fields_ignored),
        cmocka_unit_test(test_state_size_for),
        cmocka_unit_test(test_null_metric),
        cmocka_unit_test(test_destroy),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_state_layout),
        cmocka_unit_test(test_set_and_add_state),
        cmocka_unit_test(test_merge_rules),
        cmocka_unit_test(test_result_of),
        KIND_TESTS(test_kind_streaming),
        KIND_TESTS(test_kind_merge_halves),
        KIND_TESTS(test_kind_reset),
        KIND_TESTS(test_kind_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
