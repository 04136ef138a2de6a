/* test_metric_reduction.c - Mean and Sum: update_values (d >= 1), update_scalar, weights. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>

#include "metric_testutil.h"

/* Keras MeanTest.test_unweighted: Mean()([1, 3, 5, 7]) = 4. */
static void
test_mean_unweighted(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7};
    assert_int_equal(tw_metric_update_values(m, v, NULL, 4, 1), 0);
    assert_state(m, 16.0, 4.0);
    assert_close(tw_metric_result(m), 4.0, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Keras MeanTest.test_weighted: weights [1, 1, 0, 0] give (1 + 3) / 2 = 2. */
static void
test_mean_weighted(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7}, w[4] = {1, 1, 0, 0};
    assert_int_equal(tw_metric_update_values(m, v, w, 4, 1), 0);
    assert_state(m, 4.0, 2.0);
    assert_close(tw_metric_result(m), 2.0, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Keras MeanTest.test_weighted_negative_weights: [-1, -1, 0, 0] give -4 / -2 = 2. */
static void
test_mean_negative_weights(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7}, w[4] = {-1, -1, 0, 0};
    assert_int_equal(tw_metric_update_values(m, v, w, 4, 1), 0);
    assert_state(m, -4.0, -2.0);
    assert_close(tw_metric_result(m), 2.0, TOL_EXACT);

    /* mixed signs: 2*1 + (-0.5)*3 + 1*5 = 5.5 over 2 - 0.5 + 1 = 2.5 -> 2.2 */
    tw_metric *m2 = tw_test_new(TW_METRIC_MEAN, NULL);
    const float w2[3] = {2, -0.5f, 1};
    assert_int_equal(tw_metric_update_values(m2, v, w2, 3, 1), 0);
    assert_state(m2, 5.5, 2.5);
    assert_close(tw_metric_result(m2), 2.2, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&m2);
}

/* Values of shape (n, d) without weights: each row is one sample, the mean of its values. */
static void
test_mean_rows(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7};
    assert_int_equal(tw_metric_update_values(m, v, NULL, 2, 2), 0);
    /* row means 2 and 6: total 8, count 2 (not 16 / 4) */
    assert_state(m, 8.0, 2.0);
    assert_close(tw_metric_result(m), 4.0, TOL_EXACT);

    tw_metric *m3 = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v3[6] = {1, 2, 3, 10, 20, 30};
    assert_int_equal(tw_metric_update_values(m3, v3, NULL, 2, 3), 0);
    assert_state(m3, 22.0, 2.0); /* row means 2 and 20 */
    assert_close(tw_metric_result(m3), 11.0, TOL_EXACT);

    /* one row of 4 values counts once */
    assert_int_equal(tw_metric_update_values(m3, v, NULL, 1, 4), 0);
    assert_state(m3, 26.0, 3.0);
    assert_close(tw_metric_result(m3), 26.0 / 3.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&m3);
}

/* (n,) weights on (n, d) values: sum_i w_i * mean_j v_ij / sum_i w_i. */
static void
test_mean_rows_weighted(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7}, w[2] = {1, 0.5f};
    assert_int_equal(tw_metric_update_values(m, v, w, 2, 2), 0);
    /* 1 * 2 + 0.5 * 6 = 5 over 1.5 */
    assert_state(m, 5.0, 1.5);
    assert_close(tw_metric_result(m), 10.0 / 3.0, TOL_EXACT);

    /* zero weight on the second row: only the first row counts */
    tw_metric *m2 = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v2[6] = {1, 2, 6, 100, 200, 300}, w2[2] = {2, 0};
    assert_int_equal(tw_metric_update_values(m2, v2, w2, 2, 3), 0);
    assert_state(m2, 6.0, 2.0);
    assert_close(tw_metric_result(m2), 3.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&m2);
}

/* Samples are pooled by count across batches, not averaged per batch. */
static void
test_mean_streaming(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float a[2] = {1, 3}, b[3] = {5, 7, 9};
    assert_int_equal(tw_metric_update_values(m, a, NULL, 2, 1), 0);
    assert_close(tw_metric_result(m), 2.0, TOL_EXACT);
    assert_int_equal(tw_metric_update_values(m, b, NULL, 3, 1), 0);
    assert_state(m, 25.0, 5.0);
    assert_close(tw_metric_result(m), 5.0, TOL_EXACT); /* not (2 + 7) / 2 = 4.5 */

    /* tf-keras's Mean()(100) then update_state([1, 5]): 106 / 3 */
    tw_metric *k = tw_test_new(TW_METRIC_MEAN, NULL);
    const float hundred[1] = {100}, c[2] = {1, 5};
    assert_int_equal(tw_metric_update_values(k, hundred, NULL, 1, 1), 0);
    assert_close(tw_metric_result(k), 100.0, TOL_EXACT);
    assert_int_equal(tw_metric_update_values(k, c, NULL, 2, 1), 0);
    assert_state(k, 106.0, 3.0);
    assert_close(tw_metric_result(k), 106.0 / 3.0, TOL_EXACT);
    tw_metric_reset_state(k);
    assert_state(k, 0.0, 0.0);
    assert_true(tw_metric_result(k) == 0.0);
    assert_int_equal(tw_metric_update_values(k, c, NULL, 2, 1), 0);
    assert_close(tw_metric_result(k), 3.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&k);
}

/* divide_no_nan: a count of exactly 0 gives 0, whatever the total. */
static void
test_mean_divide_no_nan(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    assert_true(tw_metric_result(m) == 0.0);
    const float v[2] = {5, 3}, w[2] = {1, -1}, z[2] = {0, 0};
    assert_int_equal(tw_metric_update_values(m, v, z, 2, 1), 0);
    assert_state(m, 0.0, 0.0);
    assert_true(tw_metric_result(m) == 0.0);
    assert_int_equal(tw_metric_update_values(m, v, w, 2, 1), 0);
    assert_state(m, 2.0, 0.0); /* total 5 - 3, count 1 - 1 */
    assert_true(tw_metric_result(m) == 0.0);
    assert_int_equal(tw_metric_update_scalar(m, 7.0, 0.0), 0);
    assert_state(m, 2.0, 0.0);
    assert_true(tw_metric_result(m) == 0.0);
    tw_metric_destroy(&m);
}

/* update_scalar adds value * weight to the total and weight to the count. */
static void
test_mean_update_scalar(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_metric_update_scalar(m, 2.5, 4.0), 0); /* a batch loss of 4 samples */
    assert_state(m, 10.0, 4.0);
    assert_close(tw_metric_result(m), 2.5, TOL_EXACT);
    assert_int_equal(tw_metric_update_scalar(m, 1.0, 1.0), 0);
    assert_state(m, 11.0, 5.0);
    assert_close(tw_metric_result(m), 2.2, TOL_EXACT);
    /* a custom metric's own (total, count) fed as (total / count, count) */
    assert_int_equal(tw_metric_update_scalar(m, 9.0 / 5.0, 5.0), 0);
    assert_state(m, 20.0, 10.0);
    assert_close(tw_metric_result(m), 2.0, TOL_EXACT);
    /* mixing with update_values */
    const float v[2] = {4, 8};
    assert_int_equal(tw_metric_update_values(m, v, NULL, 2, 1), 0);
    assert_state(m, 32.0, 12.0);
    assert_close(tw_metric_result(m), 32.0 / 12.0, TOL_EXACT);
    /* a negative weight takes away */
    assert_int_equal(tw_metric_update_scalar(m, 4.0, -2.0), 0);
    assert_state(m, 24.0, 10.0);
    assert_close(tw_metric_result(m), 2.4, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* tf-keras's base_metric_test.test_mean_with_sample_weight, fed as Keras 3 does it (reference
 * section 2, DIVERGENCE): a scalar weight on a vector makes the batch one sample of weight w,
 * which this API spells tw_metric_update_scalar(batch mean, w). Keras 3 gives 11.3317; the
 * tf-keras value 10.45 (N samples of weight w) is not the target. */
static void
test_mean_keras3_scalar_weight(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    /* m(100, sample_weight=0.5) */
    assert_int_equal(tw_metric_update_scalar(m, 100.0, 0.5), 0);
    assert_state(m, 50.0, 0.5);
    assert_close(tw_metric_result(m), 100.0, TOL_EXACT);
    /* m([1, 5], sample_weight=[1, 0.2]) */
    const float v15[2] = {1, 5}, w[2] = {1, 0.2f};
    assert_int_equal(tw_metric_update_values(m, v15, w, 2, 1), 0);
    assert_state(m, 52.0, 1.7);
    assert_close(tw_metric_result(m), 52.0 / 1.7, TOL_EXACT);
    /* m([1, 2], sample_weight=0.5): Keras 3 adds mean([1, 2]) * 0.5 and a count of 0.5 */
    assert_int_equal(tw_metric_update_scalar(m, 1.5, 0.5), 0);
    assert_state(m, 52.75, 2.2);
    /* m([1, 5], sample_weight=[[1], [0.2]]) and m([[1], [5]], sample_weight=[1, 0.2]) */
    assert_int_equal(tw_metric_update_values(m, v15, w, 2, 1), 0);
    assert_int_equal(tw_metric_update_values(m, v15, w, 2, 1), 0);
    assert_state(m, 56.75, 4.6);
    /* m([[[1, 2], [3, 2], [0.5, 4]]], sample_weight=[0.5]): one sample of 6 values, mean
     * 12.5 / 6, times 0.5 */
    const float v6[6] = {1, 2, 3, 2, 0.5f, 4}, w1[1] = {0.5f};
    assert_int_equal(tw_metric_update_values(m, v6, w1, 1, 6), 0);
    assert_state(m, 56.75 + 12.5 / 12.0, 5.1);
    assert_close(tw_metric_result(m), 11.3317, TOL_LITERAL);
    assert_close(tw_metric_result(m), (56.75 + 12.5 / 12.0) / 5.1, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Non-finite values propagate: a NaN value makes the result NaN. */
static void
test_mean_nan(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[3] = {1, NAN, 3};
    assert_int_equal(tw_metric_update_values(m, v, NULL, 3, 1), 0);
    assert_true(isnan(tw_metric_result(m)));
    const float ok[2] = {1, 2};
    assert_int_equal(tw_metric_update_values(m, ok, NULL, 2, 1), 0);
    assert_true(isnan(tw_metric_result(m)));
    tw_metric_reset_state(m);
    assert_true(tw_metric_result(m) == 0.0);

    /* NaN inside a row of d values */
    assert_int_equal(tw_metric_update_values(m, v, NULL, 1, 3), 0);
    assert_true(isnan(tw_metric_result(m)));
    tw_metric_reset_state(m);

    assert_int_equal(tw_metric_update_scalar(m, NAN, 1.0), 0);
    assert_true(isnan(tw_metric_result(m)));

    tw_metric *s = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_update_values(s, v, NULL, 3, 1), 0);
    assert_true(isnan(tw_metric_result(s)));

    tw_metric *inf = tw_test_new(TW_METRIC_MEAN, NULL);
    const float vi[2] = {INFINITY, 1};
    assert_int_equal(tw_metric_update_values(inf, vi, NULL, 2, 1), 0);
    assert_true(isinf(tw_metric_result(inf)) && tw_metric_result(inf) > 0);
    tw_metric_destroy(&m);
    tw_metric_destroy(&s);
    tw_metric_destroy(&inf);
}

/* Keras SumTest.test_unweighted / test_weighted: 16 and 4. */
static void
test_sum_keras(void **state)
{
    (void)state;
    const float v[4] = {1, 3, 5, 7}, w[4] = {1, 1, 0, 0};
    tw_metric *m = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_update_values(m, v, NULL, 4, 1), 0);
    assert_state(m, 16.0);
    assert_close(tw_metric_result(m), 16.0, TOL_EXACT);
    tw_metric *mw = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_update_values(mw, v, w, 4, 1), 0);
    assert_state(mw, 4.0);
    assert_close(tw_metric_result(mw), 4.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* Sum over (n, d): sum_i w_i * sum_j v_ij. */
static void
test_sum_rows(void **state)
{
    (void)state;
    const float v[4] = {1, 3, 5, 7};
    tw_metric *m = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_update_values(m, v, NULL, 2, 2), 0);
    assert_state(m, 16.0); /* row sums, not row means */
    const float w[2] = {0.5f, 2};
    assert_int_equal(tw_metric_update_values(m, v, w, 2, 2), 0);
    assert_state(m, 16.0 + 0.5 * 4 + 2 * 12); /* 42 */
    const float wz[2] = {1, 0};
    assert_int_equal(tw_metric_update_values(m, v, wz, 2, 2), 0);
    assert_state(m, 46.0);
    const float wn[2] = {-1, -0.25f};
    assert_int_equal(tw_metric_update_values(m, v, wn, 2, 2), 0);
    assert_state(m, 46.0 - 4.0 - 3.0);
    assert_close(tw_metric_result(m), 39.0, TOL_EXACT);
    tw_metric_destroy(&m);
}

static void
test_sum_update_scalar(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_update_scalar(m, 3.0, 2.0), 0);
    assert_state(m, 6.0);
    assert_int_equal(tw_metric_update_scalar(m, 1.5, -2.0), 0);
    assert_state(m, 3.0);
    assert_int_equal(tw_metric_update_scalar(m, 100.0, 0.0), 0);
    assert_state(m, 3.0);
    /* Keras 3 scalar weight on a vector: Sum gives the same as broadcasting */
    const float v[2] = {1, 2};
    assert_int_equal(tw_metric_update_scalar(m, 1.0 + 2.0, 0.5), 0);
    tw_metric *b = tw_test_new(TW_METRIC_SUM, NULL);
    const float w[2] = {0.5f, 0.5f};
    assert_int_equal(tw_metric_update_values(b, v, w, 2, 1), 0);
    assert_close(tw_metric_result(m), 3.0 + tw_metric_result(b), TOL_EXACT);
    assert_close(tw_metric_result(m), 4.5, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&b);
}

static void
test_sum_streaming_reset(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_SUM, NULL);
    const float a[3] = {1, 2, 3}, b[2] = {-4, 10};
    assert_int_equal(tw_metric_update_values(m, a, NULL, 3, 1), 0);
    assert_close(tw_metric_result(m), 6.0, TOL_EXACT);
    assert_int_equal(tw_metric_update_values(m, b, NULL, 1, 2), 0);
    assert_close(tw_metric_result(m), 12.0, TOL_EXACT);
    tw_metric_reset_state(m);
    assert_state(m, 0.0);
    assert_true(tw_metric_result(m) == 0.0);
    assert_int_equal(tw_metric_update_values(m, b, NULL, 2, 1), 0);
    assert_close(tw_metric_result(m), 6.0, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Merging halves equals the whole, for batches fed through both update calls. */
static void
test_merge_halves(void **state)
{
    (void)state;
    const tw_metric_kind ks[2] = {TW_METRIC_MEAN, TW_METRIC_SUM};
    const float v[8] = {1, 2, 3, 4, 5, 6, 7, 8}, w[4] = {1, 0, -2, 0.5f};
    for (int i = 0; i < 2; i++) {
        tw_metric *whole = tw_test_new(ks[i], NULL);
        tw_metric *a = tw_test_new(ks[i], NULL);
        tw_metric *b = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_values(whole, v, w, 4, 2), 0);
        assert_int_equal(tw_metric_update_scalar(whole, 3.0, 2.0), 0);
        assert_int_equal(tw_metric_update_values(a, v, w, 2, 2), 0);
        assert_int_equal(tw_metric_update_values(b, v + 4, w + 2, 2, 2), 0);
        assert_int_equal(tw_metric_update_scalar(b, 3.0, 2.0), 0);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_same_state(a, whole);
        if (ks[i] == TW_METRIC_MEAN) {
            /* 1*1.5 + 0 - 2*5.5 + 0.5*7.5 + 6 = 0.25 over 1 + 0 - 2 + 0.5 + 2 = 1.5 */
            assert_state(whole, 0.25, 1.5);
            assert_close(tw_metric_result(a), 0.25 / 1.5, TOL_EXACT);
        } else {
            /* 1*3 + 0 - 2*11 + 0.5*15 + 6 = -5.5 */
            assert_state(whole, -5.5);
            assert_close(tw_metric_result(a), -5.5, TOL_EXACT);
        }
        tw_metric_destroy(&whole);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
}

/* -EINVAL for the wrong call, NULL arrays, d == 0, n*d overflow: state unchanged. */
static void
test_errors(void **state)
{
    (void)state;
    const tw_metric_kind ks[2] = {TW_METRIC_MEAN, TW_METRIC_SUM};
    const float v[4] = {1, 2, 3, 4}, w[2] = {1, 2};
    for (int i = 0; i < 2; i++) {
        tw_metric *m = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_values(m, v, w, 2, 2), 0);
        size_t len;
        double *before = tw_test_state_copy(m, &len);
        assert_int_equal(tw_metric_update_state(m, v, v, NULL, 4, 1), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, NULL, NULL, 4, 1), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, v, NULL, 4, 0), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, v, w, SIZE_MAX / 2 + 1, 2), -EINVAL);
        assert_state_unchanged(m, before, len);
        assert_int_equal(tw_metric_update_values(m, v, NULL, 3, SIZE_MAX / 2), -EINVAL);
        assert_state_unchanged(m, before, len);
        free(before);
        tw_metric_destroy(&m);
    }
    tw_metric *acc = tw_test_new(TW_METRIC_ACCURACY, NULL);
    assert_int_equal(tw_metric_update_scalar(acc, 1.0, 1.0), -EINVAL);
    assert_int_equal(tw_metric_update_values(acc, v, NULL, 4, 1), -EINVAL);
    assert_state(acc, 0.0, 0.0);
    tw_metric_destroy(&acc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_unweighted),
        cmocka_unit_test(test_mean_weighted),
        cmocka_unit_test(test_mean_negative_weights),
        cmocka_unit_test(test_mean_rows),
        cmocka_unit_test(test_mean_rows_weighted),
        cmocka_unit_test(test_mean_streaming),
        cmocka_unit_test(test_mean_divide_no_nan),
        cmocka_unit_test(test_mean_update_scalar),
        cmocka_unit_test(test_mean_keras3_scalar_weight),
        cmocka_unit_test(test_mean_nan),
        cmocka_unit_test(test_sum_keras),
        cmocka_unit_test(test_sum_rows),
        cmocka_unit_test(test_sum_update_scalar),
        cmocka_unit_test(test_sum_streaming_reset),
        cmocka_unit_test(test_merge_halves),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
