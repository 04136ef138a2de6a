/* test_metric_accuracy.c - Accuracy, Binary, Categorical, SparseCategorical, TopK, SparseTopK. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include "metric_testutil.h"

static tw_metric *
new_with_threshold(tw_metric_kind kind, double threshold)
{
    tw_metric_options o = tw_metric_defaults();
    o.threshold = threshold;
    return tw_test_new(kind, &o);
}

static tw_metric *
new_with_k(tw_metric_kind kind, int k)
{
    tw_metric_options o = tw_metric_defaults();
    o.k = k;
    return tw_test_new(kind, &o);
}

/* ---- Accuracy ------------------------------------------------------------------------------ */

/* Keras AccuracyTest: y_true [1,2,3,4], y_pred [0,2,3,4]: 0.75; weights [1,1,0,0]: 0.5. */
static void
test_accuracy_keras(void **state)
{
    (void)state;
    const float yt[4] = {1, 2, 3, 4}, yp[4] = {0, 2, 3, 4}, w[4] = {1, 1, 0, 0};
    tw_metric *m = tw_test_new(TW_METRIC_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 1), 0);
    assert_state(m, 3.0, 4.0);
    assert_close(tw_metric_result(m), 0.75, TOL_EXACT);
    check_both_paths(TW_METRIC_ACCURACY, NULL, yt, yp, 4, 1, 3.0, 4.0);
    tw_metric *mw = tw_test_new(TW_METRIC_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(mw, yt, yp, w, 4, 1), 0);
    assert_state(mw, 1.0, 2.0);
    assert_close(tw_metric_result(mw), 0.5, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* Elementwise matches, then each row's mean is one sample. */
static void
test_accuracy_rows(void **state)
{
    (void)state;
    const float yt[4] = {1, 2, 3, 4}, yp[4] = {1, 0, 3, 4};
    tw_metric *m = tw_test_new(TW_METRIC_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 2, 2), 0);
    assert_state(m, 1.5, 2.0); /* row means 0.5 and 1 */
    assert_close(tw_metric_result(m), 0.75, TOL_EXACT);

    const float w[2] = {2, 1};
    tw_metric *mw = tw_test_new(TW_METRIC_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(mw, yt, yp, w, 2, 2), 0);
    assert_state(mw, 2.0, 3.0); /* 2 * 0.5 + 1 * 1 over 3 */
    assert_close(tw_metric_result(mw), 2.0 / 3.0, TOL_EXACT);

    /* a negative weight: -1 * 0.5 + 3 * 1 = 2.5 over 2 */
    const float wn[2] = {-1, 3};
    assert_int_equal(tw_metric_update_state(mw, yt, yp, wn, 2, 2), 0);
    assert_state(mw, 4.5, 5.0);
    assert_close(tw_metric_result(mw), 0.9, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* Exact float equality; NaN equals nothing (a 0, not a NaN result). */
static void
test_accuracy_exact_equality(void **state)
{
    (void)state;
    const float yt[4] = {0.1f, 0.3f, NAN, -2.0f};
    const float yp[4] = {0.1f, nextafterf(0.3f, 1.0f), NAN, -2.0f};
    tw_metric *m = tw_test_new(TW_METRIC_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 1), 0);
    assert_state(m, 2.0, 4.0);
    assert_close(tw_metric_result(m), 0.5, TOL_EXACT);
    check_both_paths(TW_METRIC_ACCURACY, NULL, yt, yp, 4, 1, 2.0, 4.0);
    check_both_paths(TW_METRIC_ACCURACY, NULL, yt, yp, 1, 4, 0.5, 1.0);
    tw_metric_destroy(&m);
}

/* ---- BinaryAccuracy ------------------------------------------------------------------------ */

/* Keras BinaryAccuracyTest.test_unweighted / test_weighted: 0.75 and 0.5. */
static void
test_binary_accuracy_keras(void **state)
{
    (void)state;
    const float yt[4] = {1, 1, 0, 0}, yp[4] = {0.98f, 1, 0, 0.6f}, w[4] = {1, 0, 0, 1};
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 1), 0);
    assert_state(m, 3.0, 4.0);
    assert_close(tw_metric_result(m), 0.75, TOL_EXACT);
    check_both_paths(TW_METRIC_BINARY_ACCURACY, NULL, yt, yp, 4, 1, 3.0, 4.0);
    tw_metric *mw = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(mw, yt, yp, w, 4, 1), 0);
    assert_state(mw, 1.0, 2.0);
    assert_close(tw_metric_result(mw), 0.5, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* Keras BinaryAccuracyTest.test_threshold: 0.3 gives 1.0, 0.9 gives 0.75. */
static void
test_binary_accuracy_threshold(void **state)
{
    (void)state;
    const float yt[4] = {1, 1, 0, 0}, yp[4] = {0.98f, 0.5f, 0.1f, 0.2f};
    tw_metric *m1 = new_with_threshold(TW_METRIC_BINARY_ACCURACY, 0.3);
    tw_metric *m2 = new_with_threshold(TW_METRIC_BINARY_ACCURACY, 0.9);
    assert_int_equal(tw_metric_update_state(m1, yt, yp, NULL, 4, 1), 0);
    assert_int_equal(tw_metric_update_state(m2, yt, yp, NULL, 4, 1), 0);
    assert_close(tw_metric_result(m1), 1.0, TOL_EXACT);
    assert_close(tw_metric_result(m2), 0.75, TOL_EXACT);
    tw_metric_options o = tw_metric_defaults();
    o.threshold = 0.3;
    check_both_paths(TW_METRIC_BINARY_ACCURACY, &o, yt, yp, 4, 1, 4.0, 4.0);
    o.threshold = 0.9;
    check_both_paths(TW_METRIC_BINARY_ACCURACY, &o, yt, yp, 4, 1, 3.0, 4.0);
    tw_metric_destroy(&m1);
    tw_metric_destroy(&m2);
}

/* The comparison is strict (y_pred == threshold predicts 0), and y_true is compared exactly
 * with 0 and 1 (0.5, 2 and -1 never match). */
static void
test_binary_accuracy_strict_and_exact(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    const float yt[3] = {0, 0, 1}, yp[3] = {0.5f, 0.5f, 0.5f};
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 3, 1), 0);
    assert_state(m, 2.0, 3.0); /* 0.5 predicts 0: the two zeros match, the one does not */
    check_both_paths(TW_METRIC_BINARY_ACCURACY, NULL, yt, yp, 3, 1, 2.0, 3.0);
    check_both_paths(TW_METRIC_BINARY_ACCURACY, NULL, yt, yp, 1, 3, 2.0 / 3.0, 1.0);

    tw_metric *e = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    const float yt2[5] = {0.5f, 2, -1, 1, 0.5f}, yp2[5] = {0.9f, 0.9f, 0.1f, 0.9f, 0.1f};
    assert_int_equal(tw_metric_update_state(e, yt2, yp2, NULL, 5, 1), 0);
    assert_state(e, 1.0, 5.0);
    assert_close(tw_metric_result(e), 0.2, TOL_EXACT);
    check_both_paths(TW_METRIC_BINARY_ACCURACY, NULL, yt2, yp2, 5, 1, 1.0, 5.0);

    /* NaN > threshold is false: a NaN prediction predicts 0 */
    tw_metric *n = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    const float yt3[2] = {0, 1}, yp3[2] = {NAN, NAN};
    assert_int_equal(tw_metric_update_state(n, yt3, yp3, NULL, 2, 1), 0);
    assert_state(n, 1.0, 2.0);
    check_both_paths(TW_METRIC_BINARY_ACCURACY, NULL, yt3, yp3, 2, 1, 1.0, 2.0);
    tw_metric_destroy(&m);
    tw_metric_destroy(&e);
    tw_metric_destroy(&n);
}

/* Threshold 0 for logits and a negative threshold. */
static void
test_binary_accuracy_logits(void **state)
{
    (void)state;
    tw_metric *m = new_with_threshold(TW_METRIC_BINARY_ACCURACY, 0.0);
    const float yt[4] = {0, 0, 1, 1}, yp[4] = {-1, 0, 0.1f, 3};
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 1), 0);
    assert_state(m, 4.0, 4.0);
    assert_close(tw_metric_result(m), 1.0, TOL_EXACT);
    tw_metric_options o = tw_metric_defaults();
    o.threshold = 0.0;
    check_both_paths(TW_METRIC_BINARY_ACCURACY, &o, yt, yp, 4, 1, 4.0, 4.0);
    tw_metric_destroy(&m);
}

/* Rows of 3 decisions: the row mean, then per-sample weights. */
static void
test_binary_accuracy_rows(void **state)
{
    (void)state;
    const float yt[6] = {1, 0, 1, 0, 0, 0};
    const float yp[6] = {0.7f, 0.2f, 0.4f, 0.6f, 0.7f, 0.5f};
    const float w[2] = {3, 1.5f};
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, w, 2, 3), 0);
    /* row 0: [yes, yes, no] = 2/3; row 1: [no, no, yes] = 1/3 */
    assert_state(m, 3.0 * 2.0 / 3.0 + 1.5 / 3.0, 4.5);
    assert_close(tw_metric_result(m), 2.5 / 4.5, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* ---- CategoricalAccuracy ------------------------------------------------------------------- */

static const float cat_yt[6] = {0, 0, 1, 0, 1, 0};
static const float cat_yp[6] = {0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0};

/* Keras CategoricalAccuracyTest: 0.5; weights [0.7, 0.3]: 0.3. */
static void
test_categorical_keras(void **state)
{
    (void)state;
    const float w[2] = {0.7f, 0.3f};
    tw_metric *m = tw_test_new(TW_METRIC_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, cat_yt, cat_yp, NULL, 2, 3), 0);
    assert_state(m, 1.0, 2.0);
    assert_close(tw_metric_result(m), 0.5, TOL_EXACT);
    tw_metric *mw = tw_test_new(TW_METRIC_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(mw, cat_yt, cat_yp, w, 2, 3), 0);
    assert_state(mw, 0.3, 1.0);
    assert_close(tw_metric_result(mw), 0.3, TOL_EXACT);

    /* streaming: one more correct sample gives 2 / 3 */
    const float yt2[3] = {1, 0, 0}, yp2[3] = {0.5f, 0.2f, 0.3f};
    assert_int_equal(tw_metric_update_state(m, yt2, yp2, NULL, 1, 3), 0);
    assert_state(m, 2.0, 3.0);
    assert_close(tw_metric_result(m), 2.0 / 3.0, TOL_EXACT);
    tw_metric_reset_state(m);
    assert_state(m, 0.0, 0.0);
    assert_int_equal(tw_metric_update_state(m, yt2, yp2, NULL, 1, 3), 0);
    assert_close(tw_metric_result(m), 1.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* argmax ties go to the first index, in y_pred and in y_true. */
static void
test_categorical_ties(void **state)
{
    (void)state;
    const float yt[15] = {
        0,    1,    0, /* pred argmax 0 (tie with 1) != 1 */
        1,    0,    0, /* pred argmax 0 == 0 */
        0.5f, 0.5f, 0, /* true argmax 0 (tie) != pred 1 */
        0.5f, 0.5f, 0, /* true argmax 0 == pred 0 */
        0,    0,    1, /* pred all equal: argmax 0 != 2 */
    };
    const float yp[15] = {
        0.4f, 0.4f, 0.2f, /* */
        0.4f, 0.4f, 0.2f, /* */
        0.1f, 0.8f, 0.1f, /* */
        0.8f, 0.1f, 0.1f, /* */
        0.3f, 0.3f, 0.3f,
    };
    tw_metric *m = tw_test_new(TW_METRIC_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 5, 3), 0);
    assert_state(m, 2.0, 5.0);
    assert_close(tw_metric_result(m), 0.4, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* ---- SparseCategoricalAccuracy ------------------------------------------------------------- */

/* Keras SparseCategoricalAccuracyTest: labels [2, 1]: 0.5; weights [0.7, 0.3]: 0.3. */
static void
test_sparse_categorical_keras(void **state)
{
    (void)state;
    const float yt[2] = {2, 1}, yp[6] = {0.1f, 0.6f, 0.3f, 0.05f, 0.95f, 0};
    const float w[2] = {0.7f, 0.3f};
    tw_metric *m = tw_test_new(TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 2, 3), 0);
    assert_state(m, 1.0, 2.0);
    assert_close(tw_metric_result(m), 0.5, TOL_EXACT);
    tw_metric *mw = tw_test_new(TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(mw, yt, yp, w, 2, 3), 0);
    assert_state(mw, 0.3, 1.0);
    assert_close(tw_metric_result(mw), 0.3, TOL_EXACT);

    /* Keras test_squeeze_y_true: labels [0, 1, 2] on a near-diagonal: 1.0, streamed on */
    const float yt3[3] = {0, 1, 2};
    const float yp3[9] = {0.9f, 0.05f, 0.05f, 0.05f, 0.9f, 0.05f, 0.05f, 0.05f, 0.9f};
    tw_metric *d = tw_test_new(TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(d, yt3, yp3, NULL, 3, 3), 0);
    assert_close(tw_metric_result(d), 1.0, TOL_EXACT);
    assert_int_equal(tw_metric_update_state(d, yt, yp, NULL, 2, 3), 0);
    assert_state(d, 4.0, 5.0);
    assert_close(tw_metric_result(d), 0.8, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
    tw_metric_destroy(&d);
}

static void
test_sparse_categorical_ties(void **state)
{
    (void)state;
    const float yt[4] = {1, 0, 2, 1};
    const float yp[12] = {
        0.3f, 0.3f, 0.3f, /* argmax 0 != 1 */
        0.3f, 0.3f, 0.3f, /* argmax 0 == 0 */
        0.1f, 0.5f, 0.5f, /* argmax 1 != 2 */
        0.1f, 0.5f, 0.5f, /* argmax 1 == 1 */
    };
    tw_metric *m = tw_test_new(TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 3), 0);
    assert_state(m, 2.0, 4.0);
    tw_metric_destroy(&m);
}

/* A label that is not an integer in [0, d) is -EINVAL, even when earlier rows were valid, and
 * the state stays as it was. */
static void
check_bad_labels(tw_metric_kind kind)
{
    tw_metric *m = tw_test_new(kind, NULL);
    const float yp[9] = {0.1f, 0.6f, 0.3f, 0.2f, 0.2f, 0.6f, 0.5f, 0.3f, 0.2f};
    const float good[3] = {1, 2, 0}, w[3] = {1, 2, 3};
    assert_int_equal(tw_metric_update_state(m, good, yp, w, 3, 3), 0);
    size_t len;
    double *before = tw_test_state_copy(m, &len);
    const float bad[] = {-1.0f, 3.0f, 0.5f, 2.5f, -0.5f, NAN, INFINITY, -INFINITY, 1e10f, 4.0f};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const float labels[3] = {1, 0, bad[i]}; /* the bad label comes last */
        int rc = tw_metric_update_state(m, labels, yp, w, 3, 3);
        if (rc != -EINVAL)
            print_error("label %g: rc %d\n", (double)bad[i], rc);
        assert_int_equal(rc, -EINVAL);
        assert_state_unchanged(m, before, len);
        const float first[3] = {bad[i], 0, 1}; /* and first */
        assert_int_equal(tw_metric_update_state(m, first, yp, NULL, 3, 3), -EINVAL);
        assert_state_unchanged(m, before, len);
    }
    /* with d == 1 only label 0 is valid */
    const float one[1] = {1}, zero[1] = {0}, p[1] = {0.5f};
    assert_int_equal(tw_metric_update_state(m, one, p, NULL, 1, 1), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_update_state(m, zero, p, NULL, 1, 1), 0);
    free(before);
    tw_metric_destroy(&m);
}

static void
test_sparse_categorical_bad_labels(void **state)
{
    (void)state;
    check_bad_labels(TW_METRIC_SPARSE_CATEGORICAL_ACCURACY);
}

/* ---- TopKCategoricalAccuracy --------------------------------------------------------------- */

/* Keras TopKCategoricalAccuracyTest with k = 1: 0.5; weights [0.7, 0.3]: 0.3. */
static void
test_top_k_keras(void **state)
{
    (void)state;
    const float w[2] = {0.7f, 0.3f};
    tw_metric *m = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 1);
    assert_int_equal(tw_metric_update_state(m, cat_yt, cat_yp, NULL, 2, 3), 0);
    assert_state(m, 1.0, 2.0);
    assert_close(tw_metric_result(m), 0.5, TOL_EXACT);
    tw_metric *mw = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 1);
    assert_int_equal(tw_metric_update_state(mw, cat_yt, cat_yp, w, 2, 3), 0);
    assert_close(tw_metric_result(mw), 0.3, TOL_EXACT);

    /* k = 2: the first sample's target (0.8) is second best: both hit */
    tw_metric *m2 = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(m2, cat_yt, cat_yp, w, 2, 3), 0);
    assert_state(m2, 1.0, 1.0);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
    tw_metric_destroy(&m2);
}

/* k >= d: every target is a hit (default k = 5 with 3 classes). */
static void
test_top_k_large_k(void **state)
{
    (void)state;
    const float yt[6] = {1, 0, 0, 0, 0, 1}, yp[6] = {0, 0.5f, 0.5f, 0.9f, 0.1f, 0};
    tw_metric *m = tw_test_new(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 2, 3), 0);
    assert_state(m, 2.0, 2.0);
    tw_metric *m3 = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 3);
    assert_int_equal(tw_metric_update_state(m3, yt, yp, NULL, 2, 3), 0);
    assert_state(m3, 2.0, 2.0);
    tw_metric *m2 = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(m2, yt, yp, NULL, 2, 3), 0);
    assert_state(m2, 0.0, 2.0); /* both targets are strictly below two other scores */
    tw_metric_destroy(&m);
    tw_metric_destroy(&m3);
    tw_metric_destroy(&m2);
}

/* Target in the top k iff fewer than k scores are strictly greater than its score. */
static const float tie_yp[20] = {
    0.5f, 0.5f, 0.5f, 0.1f,  /* target 2: 0 greater -> hit */
    0.5f, 0.5f, 0.5f, 0.1f,  /* target 3: 3 greater -> miss */
    0.2f, 0.3f, 0.3f, 0.1f,  /* target 0: 2 greater -> miss */
    0.2f, 0.3f, 0.3f, 0.4f,  /* target 1: 1 greater (a tie with index 2 is in) -> hit */
    0.1f, 0.9f, 0.8f, 0.85f, /* target 3: 1 greater -> hit */
};
static const float tie_labels[5] = {2, 3, 0, 1, 3};

static void
test_top_k_ties(void **state)
{
    (void)state;
    float yt[20] = {0};
    for (int i = 0; i < 5; i++)
        yt[i * 4 + (int)tie_labels[i]] = 1;
    tw_metric *m = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(m, yt, tie_yp, NULL, 5, 4), 0);
    assert_state(m, 3.0, 5.0);
    assert_close(tw_metric_result(m), 0.6, TOL_EXACT);

    /* k = 1: only row 0 (nothing strictly greater) hits */
    tw_metric *m1 = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 1);
    assert_int_equal(tw_metric_update_state(m1, yt, tie_yp, NULL, 5, 4), 0);
    assert_state(m1, 1.0, 5.0);
    /* k = 3: row 1 still misses (3 greater), every other row hits */
    tw_metric *m3 = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 3);
    assert_int_equal(tw_metric_update_state(m3, yt, tie_yp, NULL, 5, 4), 0);
    assert_state(m3, 4.0, 5.0);
    /* weights: row i weighs i + 1 -> hits 1 + 4 + 5 for k = 2 */
    const float w[5] = {1, 2, 3, 4, 5};
    tw_metric *mw = new_with_k(TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(mw, yt, tie_yp, w, 5, 4), 0);
    assert_state(mw, 10.0, 15.0);
    tw_metric_destroy(&m);
    tw_metric_destroy(&m1);
    tw_metric_destroy(&m3);
    tw_metric_destroy(&mw);
}

/* ---- SparseTopKCategoricalAccuracy --------------------------------------------------------- */

static void
test_sparse_top_k_keras(void **state)
{
    (void)state;
    const float yt[2] = {2, 1}, yp[6] = {0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0};
    const float w[2] = {0.7f, 0.3f};
    tw_metric *m = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 1);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 2, 3), 0);
    assert_state(m, 1.0, 2.0);
    assert_close(tw_metric_result(m), 0.5, TOL_EXACT);
    tw_metric *mw = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 1);
    assert_int_equal(tw_metric_update_state(mw, yt, yp, w, 2, 3), 0);
    assert_close(tw_metric_result(mw), 0.3, TOL_EXACT);
    tw_metric *m2 = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(m2, yt, yp, NULL, 2, 3), 0);
    assert_close(tw_metric_result(m2), 1.0, TOL_EXACT);
    /* default k = 5 >= 3 classes: every label hits */
    tw_metric *m5 = tw_test_new(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, NULL);
    const float worst[2] = {0, 2};
    assert_int_equal(tw_metric_update_state(m5, worst, yp, NULL, 2, 3), 0);
    assert_state(m5, 2.0, 2.0);

    /* streaming and reset */
    assert_int_equal(tw_metric_update_state(m, worst, yp, NULL, 2, 3), 0);
    assert_state(m, 1.0, 4.0);
    tw_metric_reset_state(m);
    assert_state(m, 0.0, 0.0);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
    tw_metric_destroy(&m2);
    tw_metric_destroy(&m5);
}

static void
test_sparse_top_k_ties(void **state)
{
    (void)state;
    tw_metric *m = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(m, tie_labels, tie_yp, NULL, 5, 4), 0);
    assert_state(m, 3.0, 5.0);
    tw_metric *m1 = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 1);
    assert_int_equal(tw_metric_update_state(m1, tie_labels, tie_yp, NULL, 5, 4), 0);
    assert_state(m1, 1.0, 5.0);
    tw_metric *m3 = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 3);
    assert_int_equal(tw_metric_update_state(m3, tie_labels, tie_yp, NULL, 5, 4), 0);
    assert_state(m3, 4.0, 5.0);
    /* zero and negative weights: k = 2 hits rows 0, 3, 4 */
    const float w[5] = {0, 5, 1, -1, 2};
    tw_metric *mw = new_with_k(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 2);
    assert_int_equal(tw_metric_update_state(mw, tie_labels, tie_yp, w, 5, 4), 0);
    assert_state(mw, 0.0 - 1.0 + 2.0, 7.0);
    assert_close(tw_metric_result(mw), 1.0 / 7.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&m1);
    tw_metric_destroy(&m3);
    tw_metric_destroy(&mw);
}

static void
test_sparse_top_k_bad_labels(void **state)
{
    (void)state;
    check_bad_labels(TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY);
}

/* Merge of halves equals the whole, for each accuracy kind, on the tie data. */
static void
test_merge_halves(void **state)
{
    (void)state;
    const tw_metric_kind ks[6] = {
        TW_METRIC_ACCURACY,
        TW_METRIC_BINARY_ACCURACY,
        TW_METRIC_CATEGORICAL_ACCURACY,
        TW_METRIC_SPARSE_CATEGORICAL_ACCURACY,
        TW_METRIC_TOP_K_CATEGORICAL_ACCURACY,
        TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY,
    };
    float yt[20] = {0};
    for (int i = 0; i < 5; i++)
        yt[i * 4 + (int)tie_labels[i]] = 1;
    const float w[5] = {1, 0.5f, 0, -2, 3};
    for (int i = 0; i < 6; i++) {
        tw_metric_options o = tw_metric_defaults();
        o.k = 2;
        bool sparse = ks[i] == TW_METRIC_SPARSE_CATEGORICAL_ACCURACY ||
                      ks[i] == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
        const float *t = sparse ? tie_labels : yt;
        size_t tstride = sparse ? 1 : 4;
        tw_metric *whole = tw_test_new(ks[i], &o);
        tw_metric *a = tw_test_new(ks[i], &o);
        tw_metric *b = tw_test_new(ks[i], &o);
        assert_int_equal(tw_metric_update_state(whole, t, tie_yp, w, 5, 4), 0);
        assert_int_equal(tw_metric_update_state(a, t, tie_yp, w, 2, 4), 0);
        assert_int_equal(tw_metric_update_state(b, t + 2 * tstride, tie_yp + 8, w + 2, 3, 4), 0);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_same_state(a, whole);
        assert_close(tw_metric_state(whole)[1], 2.5, TOL_EXACT); /* the weights' sum */
        tw_metric_destroy(&whole);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_keras),
        cmocka_unit_test(test_accuracy_rows),
        cmocka_unit_test(test_accuracy_exact_equality),
        cmocka_unit_test(test_binary_accuracy_keras),
        cmocka_unit_test(test_binary_accuracy_threshold),
        cmocka_unit_test(test_binary_accuracy_strict_and_exact),
        cmocka_unit_test(test_binary_accuracy_logits),
        cmocka_unit_test(test_binary_accuracy_rows),
        cmocka_unit_test(test_categorical_keras),
        cmocka_unit_test(test_categorical_ties),
        cmocka_unit_test(test_sparse_categorical_keras),
        cmocka_unit_test(test_sparse_categorical_ties),
        cmocka_unit_test(test_sparse_categorical_bad_labels),
        cmocka_unit_test(test_top_k_keras),
        cmocka_unit_test(test_top_k_large_k),
        cmocka_unit_test(test_top_k_ties),
        cmocka_unit_test(test_sparse_top_k_keras),
        cmocka_unit_test(test_sparse_top_k_ties),
        cmocka_unit_test(test_sparse_top_k_bad_labels),
        cmocka_unit_test(test_merge_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
