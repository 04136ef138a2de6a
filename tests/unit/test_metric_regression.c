/* test_metric_regression.c - MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MAPE. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>

#include "metric_testutil.h"

/* The Keras regression test batch: 4 samples of 5 values, and its weights. */
static const float k_yt[20] = {
    0, 1, 0, 1, 0, /* */
    0, 0, 1, 1, 1, /* */
    1, 1, 1, 1, 0, /* */
    0, 0, 0, 0, 1,
};
static const float k_yp[20] = {
    0, 0, 1, 1, 0, /* errors: 2 of 5 -> 0.4 */
    1, 1, 1, 1, 1, /* 2 of 5 -> 0.4 */
    0, 1, 0, 1, 0, /* 2 of 5 -> 0.4 */
    1, 1, 1, 1, 1, /* 4 of 5 -> 0.8 */
};
static const float k_w[4] = {1.0f, 1.5f, 2.0f, 2.5f};

/* Keras MeanSquaredErrorTest / MeanAbsoluteErrorTest: 0.5 and, weighted, 0.54285. With 0/1
 * data squared and absolute errors agree: rows 0.4, 0.4, 0.4, 0.8; weighted
 * (0.4 + 0.6 + 0.8 + 2.0) / 7 = 3.8 / 7. */
static void
test_mse_mae_keras(void **state)
{
    (void)state;
    const tw_metric_kind ks[2] = {TW_METRIC_MEAN_SQUARED_ERROR, TW_METRIC_MEAN_ABSOLUTE_ERROR};
    for (int i = 0; i < 2; i++) {
        tw_metric *m = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, NULL, 4, 5), 0);
        assert_state(m, 2.0, 4.0);
        assert_close(tw_metric_result(m), 0.5, 1e-5, 0.0);
        assert_close(tw_metric_result(m), 0.5, TOL_EXACT);

        tw_metric *mw = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(mw, k_yt, k_yp, k_w, 4, 5), 0);
        assert_state(mw, 3.8, 7.0);
        assert_close(tw_metric_result(mw), 0.54285, 1e-5, 0.0);
        assert_close(tw_metric_result(mw), 3.8 / 7.0, TOL_EXACT);

        /* streaming: the weighted batch on top of the unweighted one */
        assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, k_w, 4, 5), 0);
        assert_state(m, 5.8, 11.0);
        assert_close(tw_metric_result(m), 5.8 / 11.0, TOL_EXACT);
        tw_metric_reset_state(m);
        assert_state(m, 0.0, 0.0);
        assert_true(tw_metric_result(m) == 0.0);
        tw_metric_destroy(&m);
        tw_metric_destroy(&mw);
    }
}

/* Squared and absolute errors differ: rows [[0,0],[1,1]] vs [[1,3],[1,2]]. */
static void
test_mse_mae_rows(void **state)
{
    (void)state;
    const float yt[4] = {0, 0, 1, 1}, yp[4] = {1, 3, 1, 2}, w[2] = {0.5f, 2};
    tw_metric *mse = tw_test_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
    tw_metric *mae = tw_test_new(TW_METRIC_MEAN_ABSOLUTE_ERROR, NULL);
    assert_int_equal(tw_metric_update_state(mse, yt, yp, w, 2, 2), 0);
    assert_int_equal(tw_metric_update_state(mae, yt, yp, w, 2, 2), 0);
    /* MSE rows (1 + 9) / 2 = 5 and (0 + 1) / 2 = 0.5: 0.5 * 5 + 2 * 0.5 = 3.5 over 2.5 */
    assert_state(mse, 3.5, 2.5);
    assert_close(tw_metric_result(mse), 1.4, TOL_EXACT);
    /* MAE rows (1 + 3) / 2 = 2 and 0.5: 0.5 * 2 + 2 * 0.5 = 2 over 2.5 */
    assert_state(mae, 2.0, 2.5);
    assert_close(tw_metric_result(mae), 0.8, TOL_EXACT);

    /* weights that sum to 0: divide_no_nan gives 0 */
    const float wz[2] = {-1, 1};
    tw_metric *z = tw_test_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
    assert_int_equal(tw_metric_update_state(z, yt, yp, wz, 2, 2), 0);
    assert_state(z, -4.5, 0.0);
    assert_true(tw_metric_result(z) == 0.0);
    tw_metric_destroy(&mse);
    tw_metric_destroy(&mae);
    tw_metric_destroy(&z);
}

/* Keras MeanAbsolutePercentageErrorTest: 35e7, weighted 40e7 (y_true = 0 divides by 1e-7). */
static void
test_mape_keras(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR, NULL);
    assert_int_equal(tw_metric_update_state(m, k_yt, k_yp, NULL, 4, 5), 0);
    assert_close(tw_metric_result(m), 35e7, 1e-5, 1e-6);
    assert_close(tw_metric_state(m)[0], 14e8, 0.0, 1e-6);
    assert_close(tw_metric_state(m)[1], 4.0, TOL_EXACT);
    tw_metric *mw = tw_test_new(TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR, NULL);
    assert_int_equal(tw_metric_update_state(mw, k_yt, k_yp, k_w, 4, 5), 0);
    assert_close(tw_metric_result(mw), 40e7, 1e-5, 1e-6);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* 100 * mean |y_true - y_pred| / max(|y_true|, 1e-7), worked by hand. */
static void
test_mape_hand(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR, NULL);
    const float yt[2] = {2, -4}, yp[2] = {1, -2}; /* 1/2 and 2/4 */
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 1, 2), 0);
    assert_state(m, 50.0, 1.0);
    const float yt2[2] = {1, 0}, yp2[2] = {1.5f, 1e-7f}; /* 0.5 and 1e-7 / 1e-7 = 1 */
    const float w2[1] = {2};
    assert_int_equal(tw_metric_update_state(m, yt2, yp2, w2, 1, 2), 0);
    assert_state(m, 50.0 + 2 * 75.0, 3.0);
    const float zero[1] = {0};
    assert_int_equal(tw_metric_update_state(m, zero, zero, NULL, 1, 1), 0);
    assert_state(m, 200.0, 4.0);
    assert_close(tw_metric_result(m), 50.0, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Keras RootMeanSquaredErrorTest: sqrt(6) and, weighted, sqrt(13). */
static void
test_rmse_keras(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    const float yt[3] = {2, 4, 6}, yp[3] = {1, 3, 2};
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 3, 1), 0);
    assert_state(m, 18.0, 3.0);                                      /* squared errors 1, 1, 16 */
    assert_close(tw_metric_result(m), 2.449489742783178, TOL_EXACT); /* sqrt(6) */
    check_both_paths(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL, yt, yp, 3, 1, 18.0, 3.0);
    /* MSE keeps the same state (one value per sample when d == 1) */
    check_both_paths(TW_METRIC_MEAN_SQUARED_ERROR, NULL, yt, yp, 3, 1, 18.0, 3.0);
    check_both_paths(TW_METRIC_MEAN_ABSOLUTE_ERROR, NULL, yt, yp, 3, 1, 6.0, 3.0);
    /* 100 * (1/2 + 1/4 + 4/6) */
    check_both_paths(TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR, NULL, yt, yp, 3, 1,
                     100.0 * (0.5 + 0.25 + 4.0 / 6.0), 3.0);

    tw_metric *mw = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    const float yt2[4] = {2, 4, 6, 8}, yp2[4] = {1, 3, 2, 3}, w[4] = {0, 1, 0, 1};
    assert_int_equal(tw_metric_update_state(mw, yt2, yp2, w, 4, 1), 0);
    assert_state(mw, 26.0, 2.0);                                      /* 1 + 25 over 2 */
    assert_close(tw_metric_result(mw), 3.605551275463989, TOL_EXACT); /* sqrt(13) */
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* The square root of the streaming weighted mean: not a mean of per-batch RMSEs. */
static void
test_rmse_streaming(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    const float yt[3] = {2, 4, 6}, yp[3] = {1, 3, 2}, z[1] = {0};
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 3, 1), 0);
    assert_int_equal(tw_metric_update_state(m, z, z, NULL, 1, 1), 0);
    assert_state(m, 18.0, 4.0);
    assert_close(tw_metric_result(m), 2.1213203435596424, TOL_EXACT); /* sqrt(4.5) */
    tw_metric_reset_state(m);
    assert_state(m, 0.0, 0.0);
    assert_true(tw_metric_result(m) == 0.0); /* sqrt(0) */
    tw_metric_destroy(&m);
}

/* (n,) weights on (n, d): rows are averaged first. */
static void
test_rmse_rows(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    const float yt[4] = {0, 1, 2, 2}, yp[4] = {1, 1, 0, 4}, w[2] = {1, 3};
    assert_int_equal(tw_metric_update_state(m, yt, yp, w, 2, 2), 0);
    /* rows (1 + 0) / 2 = 0.5 and (4 + 4) / 2 = 4: 0.5 + 12 = 12.5 over 4 */
    assert_state(m, 12.5, 4.0);
    assert_close(tw_metric_result(m), 1.7677669529663689, TOL_EXACT); /* sqrt(3.125) */

    /* zero total weight: sqrt(divide_no_nan) = 0 */
    tw_metric *z = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    const float wz[2] = {3, -3};
    assert_int_equal(tw_metric_update_state(z, yt, yp, wz, 2, 2), 0);
    assert_state(z, -10.5, 0.0);
    assert_true(tw_metric_result(z) == 0.0);

    /* negative weights: -1 * 0.5 + (-0.5) * 4 = -2.5 over -1.5 */
    tw_metric *n = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    const float wn[2] = {-1, -0.5f};
    assert_int_equal(tw_metric_update_state(n, yt, yp, wn, 2, 2), 0);
    assert_state(n, -2.5, -1.5);
    assert_close(tw_metric_result(n), 1.2909944487358056, TOL_EXACT); /* sqrt(5/3) */
    tw_metric_destroy(&m);
    tw_metric_destroy(&z);
    tw_metric_destroy(&n);
}

/* A NaN input makes the result NaN, for every regression kind. */
static void
test_nan_propagates(void **state)
{
    (void)state;
    const tw_metric_kind ks[4] = {TW_METRIC_MEAN_SQUARED_ERROR, TW_METRIC_ROOT_MEAN_SQUARED_ERROR,
                                  TW_METRIC_MEAN_ABSOLUTE_ERROR,
                                  TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR};
    const float yt[4] = {1, 2, 3, 4}, yp[4] = {1, NAN, 3, 4};
    for (int i = 0; i < 4; i++) {
        tw_metric *m = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 2, 2), 0);
        assert_true(isnan(tw_metric_result(m)));
        tw_metric_destroy(&m);
        tw_metric *t = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(t, yp, yt, NULL, 4, 1), 0);
        assert_true(isnan(tw_metric_result(t)));
        tw_metric_destroy(&t);
        /* d == 1, with unit weights */
        const float ones[4] = {1, 1, 1, 1};
        tw_metric *u = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(u, yt, yp, ones, 4, 1), 0);
        assert_true(isnan(tw_metric_result(u)));
        tw_metric_destroy(&u);
    }
}

/* Merge of halves equals the whole, weights with zero and negative entries. */
static void
test_merge_halves(void **state)
{
    (void)state;
    const tw_metric_kind ks[4] = {TW_METRIC_MEAN_SQUARED_ERROR, TW_METRIC_ROOT_MEAN_SQUARED_ERROR,
                                  TW_METRIC_MEAN_ABSOLUTE_ERROR,
                                  TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR};
    const float w[4] = {1, 0, -0.5f, 2};
    for (int i = 0; i < 4; i++) {
        tw_metric *whole = tw_test_new(ks[i], NULL);
        tw_metric *a = tw_test_new(ks[i], NULL);
        tw_metric *b = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(whole, k_yt, k_yp, w, 4, 5), 0);
        assert_int_equal(tw_metric_update_state(a, k_yt, k_yp, w, 1, 5), 0);
        assert_int_equal(tw_metric_update_state(b, k_yt + 5, k_yp + 5, w + 1, 3, 5), 0);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_same_state(a, whole);
        assert_close(tw_metric_state(whole)[1], 2.5, TOL_EXACT);
        tw_metric_destroy(&whole);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mse_mae_keras), cmocka_unit_test(test_mse_mae_rows),
        cmocka_unit_test(test_mape_keras),    cmocka_unit_test(test_mape_hand),
        cmocka_unit_test(test_rmse_keras),    cmocka_unit_test(test_rmse_streaming),
        cmocka_unit_test(test_rmse_rows),     cmocka_unit_test(test_nan_propagates),
        cmocka_unit_test(test_merge_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
