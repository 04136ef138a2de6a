/* test_metric_auc.c - AUC: thresholds, buckets, ROC, PR and PRGAIN with each summation, random
 * check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "metric_testutil.h"

static tw_metric *
new_auc(int T, tw_auc_curve curve, tw_auc_summation summation)
{
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = T;
    o.curve = curve;
    o.summation = summation;
    return tw_test_new(TW_METRIC_AUC, &o);
}

/* The AUC of one batch with the given options. */
static double
auc_of(int T, tw_auc_curve curve, tw_auc_summation summation, const float *yt, const float *yp,
       const float *w, size_t n, size_t d)
{
    tw_metric *m = new_auc(T, curve, summation);
    assert_int_equal(tw_metric_update_state(m, yt, yp, w, n, d), 0);
    double r = tw_metric_result(m);
    tw_metric_destroy(&m);
    return r;
}

/* ---- threshold construction and buckets, seen through the state ------------------------- */

/* One sample with prediction p, positive or negative, must count exactly at the thresholds
 * marked 1 in `above` (that is, p > t_i after clipping p to [0, 1]). */
static void
check_bucket(int T, float p, const int *above, const char *file, int line)
{
    for (int label = 0; label < 2; label++) {
        tw_metric *m = new_auc(T, TW_AUC_ROC, TW_AUC_INTERPOLATION);
        const float yt[1] = {(float)label}, yp[1] = {p};
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 1, 1), 0);
        double want[2 * 8 + 2] = {0};
        assert_true(T <= 8);
        for (int i = 0; i < T; i++)
            want[(label ? 0 : T) + i] = above[i];
        want[2 * T] = label;
        want[2 * T + 1] = 1 - label;
        if (tw_metric_state_size(m) == (size_t)(2 * T + 2)) {
            const double *s = tw_metric_state(m);
            for (int i = 0; i < 2 * T + 2; i++) {
                if (s[i] != want[i]) {
                    print_error("T=%d p=%.9g label %d: state[%d] = %g, expected %g\n", T, (double)p,
                                label, i, s[i], want[i]);
                    _fail(file, line);
                }
            }
        } else {
            print_error("state size %zu for T=%d\n", tw_metric_state_size(m), T);
            _fail(file, line);
        }
        tw_metric_destroy(&m);
    }
}
#define CHECK_BUCKET(T, p, ...)                                                                    \
    do {                                                                                           \
        const int above_[] = {__VA_ARGS__};                                                        \
        check_bucket((T), (p), above_, __FILE__, __LINE__);                                        \
    } while (0)

/* T = 3: thresholds [-1e-7, 0.5, 1 + 1e-7]. */
static void
test_thresholds_t3(void **state)
{
    (void)state;
    CHECK_BUCKET(3, 0.0f, 1, 0, 0);
    CHECK_BUCKET(3, 0.3f, 1, 0, 0);
    CHECK_BUCKET(3, 0.5f, 1, 0, 0); /* 0.5 is not above 0.5 */
    CHECK_BUCKET(3, nextafterf(0.5f, 1.0f), 1, 1, 0);
    CHECK_BUCKET(3, 0.9f, 1, 1, 0);
    CHECK_BUCKET(3, 1.0f, 1, 1, 0); /* nothing is above 1 + 1e-7 */
    /* outside [0, 1]: clipped first */
    CHECK_BUCKET(3, -0.5f, 1, 0, 0);
    CHECK_BUCKET(3, -1e-6f, 1, 0, 0);
    CHECK_BUCKET(3, 1.5f, 1, 1, 0);
    CHECK_BUCKET(3, 1e30f, 1, 1, 0);
}

/* T = 5: thresholds [-1e-7, 0.25, 0.5, 0.75, 1 + 1e-7]. */
static void
test_thresholds_t5(void **state)
{
    (void)state;
    CHECK_BUCKET(5, 0.0f, 1, 0, 0, 0, 0);
    CHECK_BUCKET(5, 0.25f, 1, 0, 0, 0, 0);
    CHECK_BUCKET(5, nextafterf(0.25f, 1.0f), 1, 1, 0, 0, 0);
    CHECK_BUCKET(5, 0.3f, 1, 1, 0, 0, 0);
    CHECK_BUCKET(5, 0.5f, 1, 1, 0, 0, 0);
    CHECK_BUCKET(5, 0.75f, 1, 1, 1, 0, 0);
    CHECK_BUCKET(5, 0.76f, 1, 1, 1, 1, 0);
    CHECK_BUCKET(5, 1.0f, 1, 1, 1, 1, 0);
    CHECK_BUCKET(5, -3.0f, 1, 0, 0, 0, 0);
    CHECK_BUCKET(5, 7.0f, 1, 1, 1, 1, 0);
}

/* T = 2: only the two end points; every prediction counts at t_0 only. */
static void
test_thresholds_t2(void **state)
{
    (void)state;
    CHECK_BUCKET(2, 0.0f, 1, 0);
    CHECK_BUCKET(2, 0.5f, 1, 0);
    CHECK_BUCKET(2, 1.0f, 1, 0);
    /* both classes present: tpr = [1, 0], fpr = [1, 0] -> ROC 0.5 */
    const float yt[4] = {0, 0, 1, 1}, yp[4] = {0, 0.5f, 0.3f, 0.9f};
    assert_close(auc_of(2, TW_AUC_ROC, TW_AUC_INTERPOLATION, yt, yp, NULL, 4, 1), 0.5, TOL_EXACT);
}

/* ---- the Keras AUCTest example (T = 3): y_pred [0, .5, .3, .9], y_true [0, 0, 1, 1] ------- */

static const float k_yp[4] = {0, 0.5f, 0.3f, 0.9f};
static const float k_yt[4] = {0, 0, 1, 1};
static const float k_w[4] = {1, 2, 3, 4};

/* tp = [2, 1, 0], fp = [2, 0, 0]; recall [1, .5, 0], fpr [1, 0, 0]: ROC 0.75. */
static void
test_keras_unweighted(void **state)
{
    (void)state;
    tw_metric *m = new_auc(3, TW_AUC_ROC, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, NULL, 4, 1), 0);
    assert_state(m, 2, 1, 0, 2, 0, 0, 2, 2);
    assert_close(tw_metric_result(m), 0.75, TOL_EXACT);
    tw_metric_destroy(&m);

    /* minoring min(1, .5) * 1 = 0.5; majoring 1 */
    assert_close(auc_of(3, TW_AUC_ROC, TW_AUC_MINORING, k_yt, k_yp, NULL, 4, 1), 0.5, TOL_EXACT);
    assert_close(auc_of(3, TW_AUC_ROC, TW_AUC_MAJORING, k_yt, k_yp, NULL, 4, 1), 1.0, TOL_EXACT);
    /* PR: precision [.5, 1, 0], recall [1, .5, 0]: minoring .5 * .5 + .5 * 0 = 0.25,
     * majoring .5 * 1 + .5 * 1 = 1; interpolation: P = [4, 1, 0], slope [1/3, 1],
     * intercept [2/3, 0], ratio [4, 1]: ((1/3)(1 + (2/3) ln 4) + 1) / 2 = 0.8206994 */
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_MINORING, k_yt, k_yp, NULL, 4, 1), 0.25, TOL_EXACT);
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_MAJORING, k_yt, k_yp, NULL, 4, 1), 1.0, TOL_EXACT);
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_INTERPOLATION, k_yt, k_yp, NULL, 4, 1),
                 0.8206993734577657, TOL_EXACT);
}

/* Keras test_unweighted_all_correct: AUC()(y_true, y_true) = 1 with the default options. */
static void
test_keras_all_correct(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_AUC, NULL);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yt, NULL, 4, 1), 0);
    assert_close(tw_metric_result(m), 1.0, TOL_EXACT);
    const double *s = tw_metric_state(m);
    assert_true(s[0] == 2 && s[198] == 2 && s[199] == 0);   /* tp */
    assert_true(s[200] == 2 && s[201] == 0 && s[399] == 0); /* fp */
    assert_true(s[400] == 2 && s[401] == 2);                /* positives, negatives */
    tw_metric_destroy(&m);
}

/* Weights [1, 2, 3, 4]: tp = [7, 4, 0], fp = [3, 0, 0], fn = [0, 3, 7], tn = [0, 3, 3]. */
static void
test_keras_weighted(void **state)
{
    (void)state;
    tw_metric *m = new_auc(3, TW_AUC_ROC, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, k_w, 4, 1), 0);
    assert_state(m, 7, 4, 0, 3, 0, 0, 7, 3);
    /* test_weighted_roc_interpolation: (1 + 4/7) / 2 = 11/14, Keras literal 0.7855 */
    assert_close(tw_metric_result(m), 0.7855, TOL_LITERAL);
    assert_close(tw_metric_result(m), 11.0 / 14.0, TOL_EXACT);
    tw_metric_destroy(&m);

    /* test_weighted_roc_majoring: max(1, 4/7) * 1 = 1 */
    assert_close(auc_of(3, TW_AUC_ROC, TW_AUC_MAJORING, k_yt, k_yp, k_w, 4, 1), 1.0, TOL_EXACT);
    /* test_weighted_roc_minoring: min(1, 4/7) * 1 = 0.571 */
    double rmin = auc_of(3, TW_AUC_ROC, TW_AUC_MINORING, k_yt, k_yp, k_w, 4, 1);
    assert_close(rmin, 0.571, TOL_LITERAL);
    assert_close(rmin, 4.0 / 7.0, TOL_EXACT);
    /* test_weighted_pr_majoring: 3/7 * max(.7, 1) + 4/7 * max(1, 0) = 1 */
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_MAJORING, k_yt, k_yp, k_w, 4, 1), 1.0, TOL_EXACT);
    /* test_weighted_pr_minoring: 3/7 * min(.7, 1) + 4/7 * min(1, 0) = 0.3 */
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_MINORING, k_yt, k_yp, k_w, 4, 1), 0.3, TOL_EXACT);
    /* test_weighted_pr_interpolation: [0.5 (3 + 2 ln 2.5) + 1 * 4] / 7 = 0.916613 (reference
     * worked example; the Keras test's own rounded literal is 2.416/7 + 4/7) */
    double pr = auc_of(3, TW_AUC_PR, TW_AUC_INTERPOLATION, k_yt, k_yp, k_w, 4, 1);
    assert_close(pr, 0.916613, TOL_EXACT);
    assert_close(pr, 2.416 / 7 + 4.0 / 7, TOL_LITERAL);
    assert_close(pr, 0.9166129616963079, TOL_EXACT);
}

/* test_weighted_pr_interpolation_negative_weights: all-negative weights give PR 0, because
 * the denominator is max(tp + fn, 0) = 0. ROC rates are ratios of negatives. */
static void
test_keras_negative_weights(void **state)
{
    (void)state;
    const float w[4] = {-1, -2, -3, -4};
    tw_metric *m = new_auc(3, TW_AUC_PR, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, w, 4, 1), 0);
    assert_state(m, -7, -4, 0, -3, 0, 0, -7, -3);
    assert_close(tw_metric_result(m), 0.0, TOL_EXACT);
    tw_metric_destroy(&m);
    assert_close(auc_of(3, TW_AUC_ROC, TW_AUC_INTERPOLATION, k_yt, k_yp, w, 4, 1), 11.0 / 14.0,
                 TOL_EXACT);

    /* A segment with a nonzero slope and a negative total positive weight: a positive of
     * weight -1 and a negative of weight 3, both at 0.9. tp = [-1, -1, 0], fp = [3, 3, 0],
     * P = [2, 2, 0]; segment 1: dTP = -1, dP = 2, slope -0.5, intercept 0, ratio 1:
     * -0.5 * -1 = 0.5 over max(tp + fn, 0) = max(-1, 0) = 0 -> divide_no_nan gives 0. */
    const float yt2[2] = {1, 0}, yp2[2] = {0.9f, 0.9f}, w2[2] = {-1, 3};
    tw_metric *n = new_auc(3, TW_AUC_PR, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(n, yt2, yp2, w2, 2, 1), 0);
    assert_state(n, -1, -1, 0, 3, 3, 0, -1, 3);
    assert_close(tw_metric_result(n), 0.0, TOL_EXACT);
    tw_metric_destroy(&n);
}

/* T = 5, the MultiAUCTest column: tp = [7,7,4,4,0], fp = [3,2,0,0,0] with weights. */
static void
test_t5_example(void **state)
{
    (void)state;
    tw_metric *m = new_auc(5, TW_AUC_ROC, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, NULL, 4, 1), 0);
    assert_state(m, 2, 2, 1, 1, 0, 2, 1, 0, 0, 0, 2, 2);
    /* tpr [1,1,.5,.5,0], fpr [1,.5,0,0,0]: .5 * 1 + .5 * .75 = 0.875 */
    assert_close(tw_metric_result(m), 0.875, TOL_EXACT);
    tw_metric_reset_state(m);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, k_w, 4, 1), 0);
    assert_state(m, 7, 7, 4, 4, 0, 3, 2, 0, 0, 0, 7, 3);
    /* tpr [1,1,4/7,4/7,0], fpr [1,2/3,0,0,0]: 1/3 * 1 + 2/3 * (1 + 4/7) / 2 = 6/7 */
    assert_close(tw_metric_result(m), 6.0 / 7.0, TOL_EXACT);
    tw_metric_destroy(&m);
    /* minoring 1/3 + 2/3 * 4/7 = 5/7; majoring 1/3 + 2/3 = 1 */
    assert_close(auc_of(5, TW_AUC_ROC, TW_AUC_MINORING, k_yt, k_yp, k_w, 4, 1), 5.0 / 7.0,
                 TOL_EXACT);
    assert_close(auc_of(5, TW_AUC_ROC, TW_AUC_MAJORING, k_yt, k_yp, k_w, 4, 1), 1.0, TOL_EXACT);
    /* PR: precision [.7, 7/9, 1, 1, 0], recall [1, 1, 4/7, 4/7, 0]:
     * minoring 3/7 * 7/9 + 4/7 * 0 = 1/3; majoring 3/7 * 1 + 4/7 * 1 = 1 */
    assert_close(auc_of(5, TW_AUC_PR, TW_AUC_MINORING, k_yt, k_yp, k_w, 4, 1), 1.0 / 3.0,
                 TOL_EXACT);
    assert_close(auc_of(5, TW_AUC_PR, TW_AUC_MAJORING, k_yt, k_yp, k_w, 4, 1), 1.0, TOL_EXACT);
    /* interpolation: P = [10, 9, 4, 4, 0]; segment 1: slope 3/5, intercept 4 - .6 * 4 = 1.6,
     * ratio 9/4; segment 3: slope 1, intercept 0, ratio 1; segments 0, 2: dTP = 0.
     * [0.6 (3 + 1.6 ln 2.25) + 4] / 7 = 0.9397847 */
    assert_close(auc_of(5, TW_AUC_PR, TW_AUC_INTERPOLATION, k_yt, k_yp, k_w, 4, 1),
                 0.9397847153668109, TOL_EXACT);
}

/* (n, d) input is flattened; the row's weight applies to each of its elements. */
static void
test_rows_flattened(void **state)
{
    (void)state;
    const float yp[4] = {0, 0.5f, 0.3f, 0.9f}, yt[4] = {0, 0, 1, 1}, w[2] = {1, 2};
    tw_metric *m = new_auc(3, TW_AUC_ROC, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, yt, yp, w, 2, 2), 0);
    /* element weights [1, 1, 2, 2]: tp = [4, 2, 0], fp = [2, 0, 0] */
    assert_state(m, 4, 2, 0, 2, 0, 0, 4, 2);
    assert_close(tw_metric_result(m), 0.75, TOL_EXACT);
    tw_metric_destroy(&m);
    /* PR interpolation: P = [6, 2, 0], slope [.5, 1], intercept [1, 0], ratio [3, 1]:
     * [.5 (2 + ln 3) + 2] / 4 = 0.8873265 */
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_INTERPOLATION, yt, yp, w, 2, 2), 0.8873265360835138,
                 TOL_EXACT);
}

/* y_true is cast to bool: any nonzero label is a positive. */
static void
test_label_cast(void **state)
{
    (void)state;
    const float yt[4] = {0, 0, 7, -0.5f};
    tw_metric *m = new_auc(3, TW_AUC_ROC, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, yt, k_yp, k_w, 4, 1), 0);
    assert_state(m, 7, 4, 0, 3, 0, 0, 7, 3);
    tw_metric_destroy(&m);
}

/* No data: every rate is 0, so every AUC is 0. */
static void
test_no_data(void **state)
{
    (void)state;
    const tw_auc_curve curves[2] = {TW_AUC_ROC, TW_AUC_PR};
    const tw_auc_summation sums[3] = {TW_AUC_INTERPOLATION, TW_AUC_MINORING, TW_AUC_MAJORING};
    for (int c = 0; c < 2; c++) {
        for (int s = 0; s < 3; s++) {
            tw_metric *m = new_auc(200, curves[c], sums[s]);
            assert_true(tw_metric_result(m) == 0.0);
            /* zero weights are no data either */
            const float z[4] = {0, 0, 0, 0};
            assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, z, 4, 1), 0);
            assert_state_zero(m);
            assert_true(tw_metric_result(m) == 0.0);
            tw_metric_destroy(&m);
            tw_metric *d = tw_test_new(TW_METRIC_AUC, NULL);
            assert_true(tw_metric_result(d) == 0.0);
            tw_metric_destroy(&d);
        }
    }
}

/* Only positives: fpr is 0 everywhere, so ROC is 0; PR sees precision 1 then 0. */
static void
test_only_positives(void **state)
{
    (void)state;
    const float yt[2] = {1, 1}, yp[2] = {0.2f, 0.7f};
    /* tp = [2, 1, 0], fp = 0 */
    assert_close(auc_of(3, TW_AUC_ROC, TW_AUC_INTERPOLATION, yt, yp, NULL, 2, 1), 0.0, TOL_EXACT);
    /* PR: precision [1, 1, 0], recall [1, .5, 0]: interpolation 1, minoring .5, majoring 1 */
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_INTERPOLATION, yt, yp, NULL, 2, 1), 1.0, TOL_EXACT);
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_MINORING, yt, yp, NULL, 2, 1), 0.5, TOL_EXACT);
    assert_close(auc_of(3, TW_AUC_PR, TW_AUC_MAJORING, yt, yp, NULL, 2, 1), 1.0, TOL_EXACT);
}

/* Streaming, merge of halves, reset. */
static void
test_streaming_merge_reset(void **state)
{
    (void)state;
    tw_metric *whole = new_auc(5, TW_AUC_PR, TW_AUC_INTERPOLATION);
    tw_metric *parts = new_auc(5, TW_AUC_PR, TW_AUC_INTERPOLATION);
    tw_metric *a = new_auc(5, TW_AUC_PR, TW_AUC_INTERPOLATION);
    tw_metric *b = new_auc(5, TW_AUC_PR, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(whole, k_yt, k_yp, k_w, 4, 1), 0);
    assert_int_equal(tw_metric_update_state(parts, k_yt, k_yp, k_w, 1, 1), 0);
    assert_int_equal(tw_metric_update_state(parts, k_yt + 1, k_yp + 1, k_w + 1, 3, 1), 0);
    assert_int_equal(tw_metric_update_state(a, k_yt, k_yp, k_w, 2, 1), 0);
    assert_int_equal(tw_metric_update_state(b, k_yt + 2, k_yp + 2, k_w + 2, 2, 1), 0);
    assert_same_state(parts, whole);
    assert_int_equal(tw_metric_merge_state(a, b), 0);
    assert_same_state(a, whole);
    assert_close(tw_metric_result(a), 0.9397847153668109, TOL_EXACT);
    tw_metric_reset_state(a);
    assert_state_zero(a);
    assert_true(tw_metric_result(a) == 0.0);
    assert_int_equal(tw_metric_state_size(a), 12);
    tw_metric_destroy(&whole);
    tw_metric_destroy(&parts);
    tw_metric_destroy(&a);
    tw_metric_destroy(&b);
}

/* ---- PRGAIN: Keras 3's precision gain / recall gain ------------------------------------- */

/* T = 5 (thresholds -1e-7, .25, .5, .75, 1 + 1e-7), two weighted batches. P = 5, N = 4.5,
 * s = P / N = 10/9; tp = [5, 5, 4, 2, 0], fp = [4.5, 3.5, 2.5, 0.5, 0], fn = [0, 0, 1, 3, 5].
 * rg = 1 - s fn / tp = [1, 1, 13/18, -2/3 -> 0, (tp = 0) 0];
 * pg = 1 - s fp / tp = [0, 2/9, 11/36, 13/18, (tp = 0) 1].
 * interpolation: 5/18 (2/9 + 11/36) / 2 + 13/18 (11/36 + 13/18) / 2 = 576/1296 = 4/9;
 * minoring: 5/18 * 2/9 + 13/18 * 11/36 = 61/216; majoring: 5/18 * 11/36 + 13/18 * 13/18 =
 * 131/216. */
static const float g_yt_a[] = {1, 1, 0, 0, 1}, g_yp_a[] = {0.9f, 0.6f, 0.3f, 0.1f, 0.4f};
static const float g_w_a[] = {1, 2, 1, 1, 1};
static const float g_yt_b[] = {0, 1, 0}, g_yp_b[] = {0.8f, 0.95f, 0.55f}, g_w_b[] = {0.5f, 1, 2};

static tw_metric *
prgain_two_batches(const char *options)
{
    tw_metric *m = tw_metric_new_opts(TW_METRIC_AUC, options);
    assert_non_null(m);
    assert_int_equal(tw_metric_update_state(m, g_yt_a, g_yp_a, g_w_a, 5, 1), 0);
    assert_int_equal(tw_metric_update_state(m, g_yt_b, g_yp_b, g_w_b, 3, 1), 0);
    return m;
}

static void
test_prgain_summations(void **state)
{
    (void)state;
    static const char *const opts[] = {
        "num_thresholds=5,curve=PRGAIN",
        "num_thresholds=5,curve=PRGAIN,summation_method=minoring",
        "num_thresholds=5,curve=PRGAIN,summation_method=majoring",
    };
    const double want[] = {4.0 / 9.0, 61.0 / 216.0, 131.0 / 216.0};
    for (int i = 0; i < 3; i++) {
        tw_metric *m = prgain_two_batches(opts[i]);
        assert_string_equal(tw_metric_options_string(m), opts[i]);
        assert_close(tw_metric_result(m), want[i], TOL_EXACT);
        assert_true(isnan(tw_metric_stderr(m))); /* no standard error, like PR */
        tw_metric_destroy(&m);
    }
    /* The same through tw_metric_options. */
    tw_metric *m = new_auc(5, TW_AUC_PRGAIN, TW_AUC_INTERPOLATION);
    assert_int_equal(tw_metric_update_state(m, g_yt_a, g_yp_a, g_w_a, 5, 1), 0);
    assert_int_equal(tw_metric_update_state(m, g_yt_b, g_yp_b, g_w_b, 3, 1), 0);
    assert_close(tw_metric_result(m), 4.0 / 9.0, TOL_EXACT);
    assert_string_equal(tw_metric_options_string(m), "num_thresholds=5,curve=PRGAIN");
    tw_metric_destroy(&m);
}

/* Ranks: each batch in its own metric, merged, equals both batches in one. */
static void
test_prgain_merge(void **state)
{
    (void)state;
    const char *o = "num_thresholds=5,curve=PRGAIN,summation_method=minoring";
    tw_metric *whole = prgain_two_batches(o);
    tw_metric *a = tw_metric_new_opts(TW_METRIC_AUC, o), *b = tw_metric_new_opts(TW_METRIC_AUC, o);
    tw_metric *pr = tw_metric_new_opts(TW_METRIC_AUC, "num_thresholds=5,curve=PR");
    assert_int_equal(tw_metric_update_state(a, g_yt_a, g_yp_a, g_w_a, 5, 1), 0);
    assert_int_equal(tw_metric_update_state(b, g_yt_b, g_yp_b, g_w_b, 3, 1), 0);
    assert_int_equal(tw_metric_merge_state(a, b), 0);
    assert_same_state(a, whole);
    assert_close(tw_metric_result(a), 61.0 / 216.0, TOL_EXACT);
    assert_int_equal(tw_metric_merge_state(pr, a), -EINVAL); /* another curve */
    tw_metric_destroy(&whole);
    tw_metric_destroy(&a);
    tw_metric_destroy(&b);
    tw_metric_destroy(&pr);
}

/* Keras's special cases. T = 3 (-1e-7, .5, 1 + 1e-7).
 * Unweighted, yt {0, 0, 1, 1, 1, 0, 1}, yp {0, .5, .3, .9, .7, .8, .1}: P = 4, N = 3, s = 4/3,
 * tp = [4, 2, 0], fp = [3, 1, 0]; rg = [1, 1 - 4/3 -> 0, 0], pg = [0, 1/3, 1]: 1 * (0 + 1/3) / 2
 * = 1/6. Only positives (s = P / 0 = 0): rg = [1, 1, 0], pg = 1: area 1. No data: 0. A NaN
 * prediction: NaN. */
static void
test_prgain_special_cases(void **state)
{
    (void)state;
    const float yt[] = {0, 0, 1, 1, 1, 0, 1}, yp[] = {0, 0.5f, 0.3f, 0.9f, 0.7f, 0.8f, 0.1f};
    assert_close(auc_of(3, TW_AUC_PRGAIN, TW_AUC_INTERPOLATION, yt, yp, NULL, 7, 1), 1.0 / 6.0,
                 TOL_EXACT);
    assert_close(auc_of(3, TW_AUC_PRGAIN, TW_AUC_MAJORING, yt, yp, NULL, 7, 1), 1.0 / 3.0,
                 TOL_EXACT);
    assert_true(auc_of(3, TW_AUC_PRGAIN, TW_AUC_MINORING, yt, yp, NULL, 7, 1) == 0.0);
    const float pos[] = {1, 1}, pos_p[] = {0.2f, 0.7f};
    assert_close(auc_of(3, TW_AUC_PRGAIN, TW_AUC_INTERPOLATION, pos, pos_p, NULL, 2, 1), 1.0,
                 TOL_EXACT);
    tw_metric *m = new_auc(3, TW_AUC_PRGAIN, TW_AUC_INTERPOLATION);
    assert_true(tw_metric_result(m) == 0.0);
    tw_metric_destroy(&m);
    const float nan_p[] = {NAN, 0.7f};
    assert_true(isnan(auc_of(3, TW_AUC_PRGAIN, TW_AUC_INTERPOLATION, pos, nan_p, NULL, 2, 1)));
}

/* multi_label: column 0 the case above (1/6), column 1 the same predictions all positive
 * (tp = [7, 3, 0], s = 0: rg = [1, 1, 0], pg = 1: area 1). Mean 7/12; label_weights [1, 3]:
 * (1/6 + 3) / 4 = 19/24. */
static void
test_prgain_multi_label(void **state)
{
    (void)state;
    const float p[] = {0, 0.5f, 0.3f, 0.9f, 0.7f, 0.8f, 0.1f}, t[] = {0, 0, 1, 1, 1, 0, 1};
    float yt[14], yp[14];
    for (int i = 0; i < 7; i++)
        yt[2 * i] = t[i], yt[2 * i + 1] = 1, yp[2 * i] = yp[2 * i + 1] = p[i];
    static const char *const opts[] = {
        "num_thresholds=3,curve=PRGAIN,multi_label=true,num_labels=2",
        "num_thresholds=3,curve=PRGAIN,multi_label=true,num_labels=2,label_weights=[1,3]",
    };
    const double want[] = {7.0 / 12.0, 19.0 / 24.0};
    for (int i = 0; i < 2; i++) {
        tw_metric *m = tw_metric_new_opts(TW_METRIC_AUC, opts[i]);
        assert_non_null(m);
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 7, 2), 0);
        assert_close(tw_metric_result(m), want[i], TOL_EXACT);
        tw_metric_destroy(&m);
    }
}

/* -EINVAL paths leave the (large) state unchanged. */
static void
test_errors(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_AUC, NULL);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, k_w, 4, 1), 0);
    size_t len;
    double *before = tw_test_state_copy(m, &len);
    assert_int_equal(len, 402);
    assert_int_equal(tw_metric_update_state(m, NULL, k_yp, NULL, 4, 1), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_update_state(m, k_yt, NULL, k_w, 4, 1), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, NULL, 4, 0), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, NULL, SIZE_MAX / 2 + 1, 2), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_update_values(m, k_yp, NULL, 4, 1), -EINVAL);
    assert_state_unchanged(m, before, len);
    assert_int_equal(tw_metric_update_scalar(m, 0.5, 1.0), -EINVAL);
    assert_state_unchanged(m, before, len);
    free(before);
    tw_metric_destroy(&m);
}

/* ---- randomized check against a direct O(n*T) computation -------------------------------- */

static double
dnn(double a, double b)
{
    return b == 0.0 ? 0.0 : a / b;
}

/* AUC from tp/fp/pos/neg by the reference's section 5 formulas. */
static double
direct_auc(int T, const double *tp, const double *fp, double pos, double neg, tw_auc_curve curve,
           tw_auc_summation summation)
{
    double sum = 0.0;
    if (curve == TW_AUC_PR && summation == TW_AUC_INTERPOLATION) {
        for (int i = 0; i + 1 < T; i++) {
            double dtp = tp[i] - tp[i + 1];
            double pa = tp[i] + fp[i], pb = tp[i + 1] + fp[i + 1];
            double dp = pa - pb;
            double slope = dnn(dtp, dp > 0 ? dp : 0);
            double intercept = tp[i + 1] - slope * pb;
            double ratio = pa > 0 && pb > 0 ? dnn(pa, pb) : 1.0;
            double tot = tp[i + 1] + (pos - tp[i + 1]);
            sum += dnn(slope * (dtp + intercept * log(ratio)), tot > 0 ? tot : 0);
        }
        return sum;
    }
    for (int i = 0; i + 1 < T; i++) {
        double x0, x1, y0, y1;
        if (curve == TW_AUC_ROC) {
            x0 = dnn(fp[i], neg);
            x1 = dnn(fp[i + 1], neg);
            y0 = dnn(tp[i], pos);
            y1 = dnn(tp[i + 1], pos);
        } else {
            x0 = dnn(tp[i], pos);
            x1 = dnn(tp[i + 1], pos);
            y0 = dnn(tp[i], tp[i] + fp[i]);
            y1 = dnn(tp[i + 1], tp[i + 1] + fp[i + 1]);
        }
        double h = summation == TW_AUC_INTERPOLATION ? (y0 + y1) / 2
                   : summation == TW_AUC_MINORING    ? (y0 < y1 ? y0 : y1)
                                                     : (y0 > y1 ? y0 : y1);
        sum += (x0 - x1) * h;
    }
    return sum;
}

enum { RN = 2000, RD = 3 };

/* Fills predictions: `grid` > 0 draws multiples of 1/grid in [0, 1] (exact, some on the
 * thresholds); otherwise uniform floats kept away from every threshold i/(T-1), where the
 * bucket rounding and the strict comparison could disagree by an ulp. */
static void
fill_random(uint64_t *seed, int T, int grid, float *yt, float *yp, float *w)
{
    static const float labels[5] = {0, 1, 0, 2, -1}; /* nonzero labels are positives */
    static const float wvals[7] = {1, 0.5f, 0, -1, 2, 3, 1};
    for (size_t i = 0; i < (size_t)RN * RD; i++) {
        yt[i] = labels[tw_test_rand_below(seed, 5)];
        if (grid > 0) {
            yp[i] = (float)tw_test_rand_below(seed, (unsigned)grid + 1) / (float)grid;
        } else {
            for (;;) {
                float p = (float)(tw_test_rand(seed) >> 40) / 16777216.0f;
                double x = (double)p * (T - 1);
                double frac = x - floor(x);
                if (frac > 1e-3 && frac < 1 - 1e-3) {
                    yp[i] = p;
                    break;
                }
            }
        }
    }
    for (size_t i = 0; i < RN; i++)
        w[i] = wvals[tw_test_rand_below(seed, 7)];
}

static void
random_check(int T, int grid, uint64_t seed0, bool weighted)
{
    static float yt[RN * RD], yp[RN * RD], w[RN];
    uint64_t seed = seed0;
    fill_random(&seed, T, grid, yt, yp, w);
    const float *wp = weighted ? w : NULL;

    /* thresholds as the reference constructs them, and a direct p > t_i count */
    static float th[1024];
    static double tp[1024], fp[1024];
    assert_true(T <= 1024);
    th[0] = -1e-7f;
    for (int i = 1; i < T - 1; i++)
        th[i] = (float)((double)i / (double)(T - 1));
    th[T - 1] = (float)(1.0 + 1e-7);
    double pos = 0, neg = 0;
    for (int i = 0; i < T; i++)
        tp[i] = fp[i] = 0;
    for (size_t r = 0; r < RN; r++) {
        double wr = wp ? wp[r] : 1.0;
        for (size_t j = 0; j < RD; j++) {
            float y = yt[r * RD + j], p = yp[r * RD + j];
            bool positive = y != 0.0f;
            if (positive)
                pos += wr;
            else
                neg += wr;
            for (int i = 0; i < T; i++) {
                if (p > th[i]) {
                    if (positive)
                        tp[i] += wr;
                    else
                        fp[i] += wr;
                }
            }
        }
    }

    const tw_auc_curve curves[2] = {TW_AUC_ROC, TW_AUC_PR};
    const tw_auc_summation sums[3] = {TW_AUC_INTERPOLATION, TW_AUC_MINORING, TW_AUC_MAJORING};
    for (int c = 0; c < 2; c++) {
        for (int s = 0; s < 3; s++) {
            tw_metric *m = new_auc(T, curves[c], sums[s]);
            /* streamed in uneven batches */
            size_t cut[4] = {0, 1, 777, RN};
            for (int k = 0; k < 3; k++) {
                size_t from = cut[k], n = cut[k + 1] - cut[k];
                assert_int_equal(tw_metric_update_state(m, yt + from * RD, yp + from * RD,
                                                        wp ? wp + from : NULL, n, RD),
                                 0);
            }
            assert_int_equal(tw_metric_state_size(m), (size_t)(2 * T + 2));
            const double *st = tw_metric_state(m);
            for (int i = 0; i < T; i++) {
                if (st[i] != tp[i] || st[T + i] != fp[i]) {
                    print_error("T=%d grid=%d: tp[%d] %g (direct %g), fp[%d] %g (direct %g)\n", T,
                                grid, i, st[i], tp[i], i, st[T + i], fp[i]);
                    fail();
                }
            }
            assert_true(st[2 * T] == pos);
            assert_true(st[2 * T + 1] == neg);
            double want = direct_auc(T, tp, fp, pos, neg, curves[c], sums[s]);
            assert_close(tw_metric_result(m), want, TOL_EXACT);
            if (curves[c] == TW_AUC_ROC && sums[s] == TW_AUC_INTERPOLATION)
                assert_true(want > 0.3 && want < 0.7); /* random scores: about 0.5 */
            tw_metric_destroy(&m);
        }
    }
}

static void
test_random_t200(void **state)
{
    (void)state;
    random_check(200, 0, 0x1234567ULL, false);
    random_check(200, 0, 0x7654321ULL, true);
}

static void
test_random_t257_grid(void **state)
{
    (void)state;
    /* i/256 and k/512 are exact: predictions sit exactly on thresholds and must not count */
    random_check(257, 512, 99, true);
    random_check(257, 512, 100, false);
    random_check(5, 8, 101, true);
}

static void
test_random_small_t(void **state)
{
    (void)state;
    random_check(2, 0, 5, true);
    random_check(3, 0, 6, true);
    random_check(7, 0, 8, true);
    random_check(1000, 0, 9, true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thresholds_t3),
        cmocka_unit_test(test_thresholds_t5),
        cmocka_unit_test(test_thresholds_t2),
        cmocka_unit_test(test_keras_unweighted),
        cmocka_unit_test(test_keras_all_correct),
        cmocka_unit_test(test_keras_weighted),
        cmocka_unit_test(test_keras_negative_weights),
        cmocka_unit_test(test_t5_example),
        cmocka_unit_test(test_rows_flattened),
        cmocka_unit_test(test_label_cast),
        cmocka_unit_test(test_no_data),
        cmocka_unit_test(test_only_positives),
        cmocka_unit_test(test_streaming_merge_reset),
        cmocka_unit_test(test_prgain_summations),
        cmocka_unit_test(test_prgain_merge),
        cmocka_unit_test(test_prgain_special_cases),
        cmocka_unit_test(test_prgain_multi_label),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_random_t200),
        cmocka_unit_test(test_random_t257_grid),
        cmocka_unit_test(test_random_small_t),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
