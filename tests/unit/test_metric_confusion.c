/* test_metric_confusion.c - Precision and Recall: strict thresholds, weights, divide_no_nan. */
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

/* Runs one batch through a new Precision and a new Recall with `threshold` and checks both
 * states: Precision [tp, fp], Recall [tp, fn]. */
static void
check_pr(double threshold, const float *yt, const float *yp, const float *w, size_t n, size_t d,
         double tp, double fp, double fn, const char *file, int line)
{
    tw_metric *p = new_with_threshold(TW_METRIC_PRECISION, threshold);
    tw_metric *r = new_with_threshold(TW_METRIC_RECALL, threshold);
    assert_int_equal(tw_metric_update_state(p, yt, yp, w, n, d), 0);
    assert_int_equal(tw_metric_update_state(r, yt, yp, w, n, d), 0);
    const double pw[2] = {tp, fp}, rw[2] = {tp, fn};
    tw_test_assert_state(p, pw, 2, 1e-9, 1e-9, file, line);
    tw_test_assert_state(r, rw, 2, 1e-9, 1e-9, file, line);
    double want_p = tp + fp == 0.0 ? 0.0 : tp / (tp + fp);
    double want_r = tp + fn == 0.0 ? 0.0 : tp / (tp + fn);
    tw_test_assert_close(tw_metric_result(p), want_p, 1e-6, 1e-6, "precision", file, line);
    tw_test_assert_close(tw_metric_result(r), want_r, 1e-6, 1e-6, "recall", file, line);
    tw_metric_destroy(&p);
    tw_metric_destroy(&r);
}
#define CHECK_PR(threshold, yt, yp, w, n, d, tp, fp, fn)                                           \
    check_pr((threshold), (yt), (yp), (w), (n), (d), (tp), (fp), (fn), __FILE__, __LINE__)

/* Keras PrecisionTest.test_unweighted / RecallTest.test_unweighted: 0.5 and 0.5. */
static void
test_keras_unweighted(void **state)
{
    (void)state;
    const float yp[4] = {1, 0, 1, 0}, yt[4] = {0, 1, 1, 0};
    tw_metric *p = tw_test_new(TW_METRIC_PRECISION, NULL);
    tw_metric *r = tw_test_new(TW_METRIC_RECALL, NULL);
    assert_int_equal(tw_metric_update_state(p, yt, yp, NULL, 4, 1), 0);
    assert_int_equal(tw_metric_update_state(r, yt, yp, NULL, 4, 1), 0);
    assert_close(tw_metric_result(p), 0.5, TOL_EXACT);
    assert_close(tw_metric_result(r), 0.5, TOL_EXACT);
    assert_state(p, 1.0, 1.0);
    assert_state(r, 1.0, 1.0);
    /* the same batch as one sample of 4 decisions */
    CHECK_PR(0.5, yt, yp, NULL, 1, 4, 1, 1, 1);
    tw_metric_destroy(&p);
    tw_metric_destroy(&r);
}

/* Each element is a decision; the row's weight applies to all of its elements. */
static void
test_row_weights(void **state)
{
    (void)state;
    const float yp[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    const float yt[8] = {0, 1, 1, 0, 1, 0, 1, 1};
    const float w[2] = {1, 4};
    /* row 0: fp (idx 0), fn (idx 1), tp (idx 2); row 1: tp (0), tp (2), fn (3), each x4 */
    CHECK_PR(0.5, yt, yp, w, 2, 4, 1 + 8, 1, 1 + 4);
    tw_metric *p = tw_test_new(TW_METRIC_PRECISION, NULL);
    tw_metric *r = tw_test_new(TW_METRIC_RECALL, NULL);
    assert_int_equal(tw_metric_update_state(p, yt, yp, w, 2, 4), 0);
    assert_int_equal(tw_metric_update_state(r, yt, yp, w, 2, 4), 0);
    assert_close(tw_metric_result(p), 0.9, TOL_EXACT);
    assert_close(tw_metric_result(r), 9.0 / 14.0, TOL_EXACT);
    /* streaming: the same batch again doubles the state, not the result */
    assert_int_equal(tw_metric_update_state(p, yt, yp, w, 2, 4), 0);
    assert_int_equal(tw_metric_update_state(r, yt, yp, w, 2, 4), 0);
    assert_state(p, 18.0, 2.0);
    assert_state(r, 18.0, 10.0);
    assert_close(tw_metric_result(p), 0.9, TOL_EXACT);
    /* then an unweighted batch with one more false positive */
    const float yt1[1] = {0}, yp1[1] = {0.7f};
    assert_int_equal(tw_metric_update_state(p, yt1, yp1, NULL, 1, 1), 0);
    assert_state(p, 18.0, 3.0);
    assert_close(tw_metric_result(p), 18.0 / 21.0, TOL_EXACT);
    tw_metric_reset_state(p);
    assert_state(p, 0.0, 0.0);
    assert_true(tw_metric_result(p) == 0.0);
    tw_metric_destroy(&p);
    tw_metric_destroy(&r);
}

/* divide_no_nan: no predicted positives -> precision 0; no positives -> recall 0. */
static void
test_divide_no_nan(void **state)
{
    (void)state;
    const float z[4] = {0, 0, 0, 0};
    CHECK_PR(0.5, z, z, NULL, 4, 1, 0, 0, 0);
    tw_metric *p = tw_test_new(TW_METRIC_PRECISION, NULL);
    tw_metric *r = tw_test_new(TW_METRIC_RECALL, NULL);
    assert_true(tw_metric_result(p) == 0.0);
    assert_true(tw_metric_result(r) == 0.0);
    assert_int_equal(tw_metric_update_state(p, z, z, NULL, 4, 1), 0);
    assert_int_equal(tw_metric_update_state(r, z, z, NULL, 4, 1), 0);
    assert_true(tw_metric_result(p) == 0.0);
    assert_true(tw_metric_result(r) == 0.0);

    /* recall with only negatives, some predicted positive: tp + fn = 0 */
    const float yp[2] = {0.9f, 0.1f};
    CHECK_PR(0.5, z, yp, NULL, 2, 1, 0, 1, 0);

    /* tp + fp = 0 through weights [1, -1]: precision 0, not a division by zero */
    const float yt2[2] = {1, 0}, yp2[2] = {0.9f, 0.9f}, w2[2] = {1, -1};
    CHECK_PR(0.5, yt2, yp2, w2, 2, 1, 1, -1, 0);
    /* tp + fn = 0 through weights [2, -2]: recall 0 */
    const float yt3[2] = {1, 1}, yp3[2] = {0.9f, 0.1f}, w3[2] = {2, -2};
    CHECK_PR(0.5, yt3, yp3, w3, 2, 1, 2, 0, -2);
    tw_metric_destroy(&p);
    tw_metric_destroy(&r);
}

/* A prediction is positive iff y_pred > threshold (strict). */
static void
test_strict_threshold(void **state)
{
    (void)state;
    const float one2[2] = {1, 1};
    const float at[2] = {0.5f, nextafterf(0.5f, 1.0f)};
    CHECK_PR(0.5, one2, at, NULL, 2, 1, 1, 0, 1);

    /* threshold 0: 0 is not positive, 1e-9 is */
    const float yt0[3] = {1, 0, 1}, yp0[3] = {0, 1e-9f, 1e-9f};
    CHECK_PR(0.0, yt0, yp0, NULL, 3, 1, 1, 1, 1);

    /* threshold 1: 1 is not positive; 1.5 and 2 are (no clipping) */
    const float yt1[3] = {1, 1, 0}, yp1[3] = {1, 1.5f, 2};
    CHECK_PR(1.0, yt1, yp1, NULL, 3, 1, 1, 1, 1);

    /* the threshold is compared in float32: float(0.3) == 0.3f, so 0.3f is not above 0.3,
     * while the next float up is */
    const float yt3[2] = {1, 0}, yp3[2] = {0.3f, nextafterf(0.3f, 1.0f)};
    CHECK_PR(0.3, yt3, yp3, NULL, 2, 1, 0, 1, 1);

    /* a custom threshold moves decisions */
    const float yt4[4] = {1, 0, 1, 0}, yp4[4] = {0.8f, 0.6f, 0.65f, 0.9f};
    CHECK_PR(0.7, yt4, yp4, NULL, 4, 1, 1, 1, 1);
    CHECK_PR(0.5, yt4, yp4, NULL, 4, 1, 2, 2, 0);
}

/* y_true is cast to bool: every nonzero label is a positive. A NaN prediction is not above
 * the threshold. */
static void
test_label_cast_and_nan(void **state)
{
    (void)state;
    const float yt[5] = {0.5f, -1, 2, 0, NAN}, yp[5] = {0.9f, 0.9f, 0.1f, 0.9f, 0.9f};
    CHECK_PR(0.5, yt, yp, NULL, 5, 1, 3, 1, 1);

    const float yt2[2] = {1, 0}, yp2[2] = {NAN, NAN};
    CHECK_PR(0.5, yt2, yp2, NULL, 2, 1, 0, 0, 1);
}

/* Zero and negative weights are accepted as they are. */
static void
test_zero_negative_weights(void **state)
{
    (void)state;
    const float yt[4] = {1, 0, 1, 1}, yp[4] = {0.9f, 0.8f, 0.2f, 0.7f}, w[4] = {2, -1, 5, 0};
    /* tp: idx 0 (2) + idx 3 (0); fp: idx 1 (-1); fn: idx 2 (5) */
    CHECK_PR(0.5, yt, yp, w, 4, 1, 2, -1, 5);
    tw_metric *p = tw_test_new(TW_METRIC_PRECISION, NULL);
    assert_int_equal(tw_metric_update_state(p, yt, yp, w, 4, 1), 0);
    assert_close(tw_metric_result(p), 2.0, TOL_EXACT); /* 2 / (2 - 1) */
    tw_metric_destroy(&p);
}

/* Keras test_unweighted_all_incorrect: y_true = 1 - y_pred gives 0 for both. */
static void
test_all_incorrect(void **state)
{
    (void)state;
    float yt[100], yp[100];
    uint64_t seed = 42;
    size_t ones = 0;
    for (int i = 0; i < 100; i++) {
        yp[i] = (float)tw_test_rand_below(&seed, 2);
        yt[i] = 1.0f - yp[i];
        ones += yp[i] == 1.0f;
    }
    assert_true(ones > 0 && ones < 100);
    CHECK_PR(0.5, yt, yp, NULL, 100, 1, 0, (double)ones, (double)(100 - ones));
}

/* A randomized batch against a direct count, streamed in uneven pieces and merged. */
static void
test_random_direct(void **state)
{
    (void)state;
    enum { N = 97, D = 5 };
    static float yt[N * D], yp[N * D], w[N];
    static const float wvals[6] = {1, 0.5f, 0, -1, 2.25f, 3};
    static const double thresholds[4] = {0.5, 0.0, 0.35, 1.0};
    uint64_t seed = 7;
    for (size_t i = 0; i < N * D; i++) {
        yt[i] = tw_test_rand_below(&seed, 3) == 0 ? 1.0f : 0.0f;
        /* multiples of 1/16 in [0, 1]: some land exactly on a threshold */
        yp[i] = (float)tw_test_rand_below(&seed, 17) / 16.0f;
    }
    for (size_t i = 0; i < N; i++)
        w[i] = wvals[tw_test_rand_below(&seed, 6)];

    for (int t = 0; t < 4; t++) {
        float th = (float)thresholds[t];
        double tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < N; i++) {
            for (size_t j = 0; j < D; j++) {
                bool pos = yt[i * D + j] != 0.0f, pred = yp[i * D + j] > th;
                tp += pos && pred ? w[i] : 0.0;
                fp += !pos && pred ? w[i] : 0.0;
                fn += pos && !pred ? w[i] : 0.0;
            }
        }
        CHECK_PR(thresholds[t], yt, yp, w, N, D, tp, fp, fn);

        const tw_metric_kind ks[2] = {TW_METRIC_PRECISION, TW_METRIC_RECALL};
        for (int k = 0; k < 2; k++) {
            tw_metric *whole = new_with_threshold(ks[k], thresholds[t]);
            tw_metric *a = new_with_threshold(ks[k], thresholds[t]);
            tw_metric *b = new_with_threshold(ks[k], thresholds[t]);
            assert_int_equal(tw_metric_update_state(whole, yt, yp, w, N, D), 0);
            assert_int_equal(tw_metric_update_state(a, yt, yp, w, 10, D), 0);
            assert_int_equal(tw_metric_update_state(a, yt + 10 * D, yp + 10 * D, w + 10, 30, D), 0);
            assert_int_equal(tw_metric_update_state(b, yt + 40 * D, yp + 40 * D, w + 40, N - 40, D),
                             0);
            assert_int_equal(tw_metric_merge_state(a, b), 0);
            assert_same_state(a, whole);
            tw_metric_destroy(&whole);
            tw_metric_destroy(&a);
            tw_metric_destroy(&b);
        }
    }
}

/* -EINVAL: NULL arrays, d == 0, overflow, the Mean/Sum calls; the state is unchanged. */
static void
test_errors(void **state)
{
    (void)state;
    const tw_metric_kind ks[2] = {TW_METRIC_PRECISION, TW_METRIC_RECALL};
    const float yt[4] = {1, 0, 1, 1}, yp[4] = {0.9f, 0.8f, 0.2f, 0.7f};
    for (int k = 0; k < 2; k++) {
        tw_metric *m = tw_test_new(ks[k], NULL);
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 1), 0);
        size_t len;
        double *before = tw_test_state_copy(m, &len);
        assert_int_equal(tw_metric_update_state(m, NULL, yp, NULL, 4, 1), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, NULL, NULL, 4, 1), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 4, 0), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, SIZE_MAX / 2 + 1, 2), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, yp, NULL, 4, 1), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_scalar(m, 1.0, 1.0), -EINVAL);
        assert_state_unchanged(m, before, len);
        free(before);
        tw_metric_destroy(&m);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keras_unweighted),
        cmocka_unit_test(test_row_weights),
        cmocka_unit_test(test_divide_no_nan),
        cmocka_unit_test(test_strict_threshold),
        cmocka_unit_test(test_label_cast_and_nan),
        cmocka_unit_test(test_zero_negative_weights),
        cmocka_unit_test(test_all_incorrect),
        cmocka_unit_test(test_random_direct),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
