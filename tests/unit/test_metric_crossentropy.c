/* test_metric_crossentropy.c - BinaryCrossentropy, CategoricalCrossentropy (float32 clipping). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>

#include "metric_testutil.h"

/* Expected values below were worked out in float32 (numpy) from reference section 3:
 * p = clip(y_pred, 1e-7f, 1 - 1e-7f) in float32, so -log(p) at the lower bound is 16.118095
 * and -log(1 - p) at the upper bound is -log(2^-23) = 15.942385; -log of the upper bound
 * itself is -log(1 - 2^-23) = 1.1920929e-7. */
#define LOWER_CLIP_LOSS 16.11809539794922
#define UPPER_CLIP_LOSS 15.942385152878742
#define UPPER_CLIP_SELF 1.1920929e-7

/* ---- BinaryCrossentropy ------------------------------------------------------------------ */

static const float bce_yt[4] = {1, 0, 1, 0};
static const float bce_yp[4] = {1, 1, 1, 0};

/* Keras BinaryCrossentropyTest.test_unweighted: 3.9855 (double clipping would give 4.0295). */
static void
test_bce_keras_unweighted(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, bce_yt, bce_yp, NULL, 2, 2), 0);
    assert_close(tw_metric_result(m), 3.9855, TOL_LITERAL);
    /* rows: (1.19e-7 + 15.942385) / 2 = 7.9711924 and (1.19e-7 + 1e-7) / 2 */
    assert_close(tw_metric_result(m), 3.98559623956681, TOL_EXACT);
    assert_close(tw_metric_state(m)[0], 7.97119247913362, TOL_EXACT);
    assert_close(tw_metric_state(m)[1], 2.0, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Keras BinaryCrossentropyTest.test_weighted: weights [1.5, 2]: 3.4162. */
static void
test_bce_keras_weighted(void **state)
{
    (void)state;
    const float w[2] = {1.5f, 2.0f};
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, bce_yt, bce_yp, w, 2, 2), 0);
    assert_close(tw_metric_result(m), 3.4162, TOL_LITERAL);
    assert_close(tw_metric_result(m), 3.4162253652300234, TOL_EXACT);
    assert_close(tw_metric_state(m)[1], 3.5, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* The float32 clip bounds, one element each. */
static void
test_bce_clip_bounds(void **state)
{
    (void)state;
    const float one[1] = {1}, zero[1] = {0};
    tw_metric *lo = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(lo, one, zero, NULL, 1, 1), 0);
    assert_close(tw_metric_result(lo), LOWER_CLIP_LOSS, TOL_EXACT);

    tw_metric *hi = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(hi, zero, one, NULL, 1, 1), 0);
    assert_close(tw_metric_result(hi), UPPER_CLIP_LOSS, TOL_EXACT); /* not 16.118 */

    /* y = 1, p = 1: -log(1 - 2^-23), tiny but not 1e-7 (double clipping) and not 0 */
    tw_metric *self = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(self, one, one, NULL, 1, 1), 0);
    assert_close(tw_metric_result(self), UPPER_CLIP_SELF, 0.0, 1e-3);

    /* predictions outside [0, 1] are clipped: [1.5, 1.5, -0.5] vs [1, 0, 1] */
    tw_metric *out = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    const float yt[3] = {1, 0, 1}, yp[3] = {1.5f, 1.5f, -0.5f};
    assert_int_equal(tw_metric_update_state(out, yt, yp, NULL, 1, 3), 0);
    assert_close(tw_metric_result(out), 10.6868257522583, TOL_EXACT);
    tw_metric_destroy(&lo);
    tw_metric_destroy(&hi);
    tw_metric_destroy(&self);
    tw_metric_destroy(&out);
}

/* -[y log p + (1 - y) log(1 - p)], mean over the row, by hand. */
static void
test_bce_hand(void **state)
{
    (void)state;
    /* -log 0.8 = 0.2231436, -log 0.6 = 0.5108256: mean 0.3669845 */
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    const float yt[2] = {1, 0}, yp[2] = {0.8f, 0.4f};
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 1, 2), 0);
    assert_close(tw_metric_result(m), 0.3669845461845398, TOL_EXACT);

    /* soft label 0.3, p 0.6: 0.3 * 0.5108256 + 0.7 * 0.9162907 = 0.7946513 */
    tw_metric *s = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    const float ys[1] = {0.3f}, ps[1] = {0.6f};
    assert_int_equal(tw_metric_update_state(s, ys, ps, NULL, 1, 1), 0);
    assert_close(tw_metric_result(s), 0.7946512699127197, TOL_EXACT);

    /* streaming the two: (0.3669845 + 0.7946513) / 2 */
    assert_int_equal(tw_metric_update_state(m, ys, ps, NULL, 1, 1), 0);
    assert_state(m, 0.3669845461845398 + 0.7946512699127197, 2.0);
    tw_metric_reset_state(m);
    assert_state(m, 0.0, 0.0);
    assert_true(tw_metric_result(m) == 0.0);
    tw_metric_destroy(&m);
    tw_metric_destroy(&s);
}

/* Rows of 3 with weights [2, 0, -0.5]: row losses 0.27977654, 0.27290347, 0.23774926. */
static const float bce_rows_yt[9] = {1, 0, 1, 0, 0, 1, 1, 1, 0};
static const float bce_rows_yp[9] = {0.9f, 0.2f, 0.6f, 0.1f, 0.3f, 0.7f, 0.5f, 0.99f, 0.01f};
static const float rows_w[3] = {2, 0, -0.5f};

static void
test_bce_rows_weighted(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, bce_rows_yt, bce_rows_yp, rows_w, 3, 3), 0);
    assert_close(tw_metric_state(m)[0], 0.4406784549355507, TOL_EXACT);
    assert_close(tw_metric_state(m)[1], 1.5, TOL_EXACT);
    assert_close(tw_metric_result(m), 0.29378563662370044, TOL_EXACT);

    tw_metric *u = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(u, bce_rows_yt, bce_rows_yp, NULL, 3, 3), 0);
    assert_close(tw_metric_result(u), (0.27977654 + 0.27290347 + 0.23774926) / 3.0, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&u);
}

/* ---- CategoricalCrossentropy ------------------------------------------------------------- */

static const float cce_yt[6] = {0, 1, 0, 0, 0, 1};
static const float cce_yp[6] = {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f};

/* Keras CategoricalCrossentropyTest: 1.176, weighted [1.5, 2]: 1.338. Rows: -log 0.95 =
 * 0.0512933 and -log 0.1 = 2.3025851. */
static void
test_cce_keras(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, cce_yt, cce_yp, NULL, 2, 3), 0);
    assert_close(tw_metric_result(m), 1.176, TOL_LITERAL);
    assert_close(tw_metric_result(m), 1.1769392155110836, TOL_EXACT);
    assert_close(tw_metric_state(m)[1], 2.0, TOL_EXACT);

    const float w[2] = {1.5f, 2.0f};
    tw_metric *mw = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(mw, cce_yt, cce_yp, w, 2, 3), 0);
    assert_close(tw_metric_result(mw), 1.338, TOL_LITERAL);
    assert_close(tw_metric_result(mw), 1.3377457740051406, TOL_EXACT);
    assert_close(tw_metric_state(mw)[1], 3.5, TOL_EXACT);
    tw_metric_destroy(&m);
    tw_metric_destroy(&mw);
}

/* y_pred is renormalised to sum 1 along the row before clipping. */
static void
test_cce_renormalise(void **state)
{
    (void)state;
    const float yt[3] = {0, 1, 0}, a[3] = {1, 2, 1}, b[3] = {2, 4, 2}, c[3] = {2, 6, 2};
    tw_metric *m = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, a, NULL, 1, 3), 0);
    assert_close(tw_metric_result(m), 0.6931471824645996, TOL_EXACT); /* -log(2/4) */
    assert_int_equal(tw_metric_update_state(m, yt, b, NULL, 1, 3), 0);
    assert_close(tw_metric_result(m), 0.6931471824645996, TOL_EXACT);
    assert_int_equal(tw_metric_update_state(m, yt, c, NULL, 1, 3), 0);
    /* -log(6/10) = 0.5108256 joins two samples of 0.6931472 */
    assert_state(m, 2 * 0.6931471824645996 + 0.5108255743980408, 3.0);
    tw_metric_destroy(&m);
}

static void
test_cce_clip_bounds(void **state)
{
    (void)state;
    const float yt[2] = {1, 0}, yp[2] = {0, 1};
    tw_metric *lo = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(lo, yt, yp, NULL, 1, 2), 0);
    assert_close(tw_metric_result(lo), LOWER_CLIP_LOSS, TOL_EXACT);

    const float yt2[2] = {0, 1};
    tw_metric *hi = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(hi, yt2, yp, NULL, 1, 2), 0);
    assert_close(tw_metric_result(hi), UPPER_CLIP_SELF, 0.0, 1e-3);
    tw_metric_destroy(&lo);
    tw_metric_destroy(&hi);
}

/* Soft labels: -(0.5 log 0.25 + 0.5 log 0.75) = 0.8369882. */
static void
test_cce_soft_labels(void **state)
{
    (void)state;
    const float yt[2] = {0.5f, 0.5f}, yp[2] = {0.25f, 0.75f};
    tw_metric *m = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 1, 2), 0);
    assert_close(tw_metric_result(m), 0.8369882106781006, TOL_EXACT);
    tw_metric_destroy(&m);
}

/* Rows 0.6931472, 0.6931472 and 1.0397208 (soft label, renormalised [1, 1, 2]) with weights
 * [1.5, 0, -0.5]: 0.5198604 over 1. */
static void
test_cce_rows_weighted(void **state)
{
    (void)state;
    const float yt[9] = {0, 0, 1, 1, 0, 0, 0.2f, 0.3f, 0.5f};
    const float yp[9] = {0.2f, 0.3f, 0.5f, 0.5f, 0.25f, 0.25f, 1, 1, 2};
    const float w[3] = {1.5f, 0, -0.5f};
    tw_metric *m = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, w, 3, 3), 0);
    assert_close(tw_metric_state(m)[0], 0.5198603868484497, TOL_EXACT);
    assert_close(tw_metric_state(m)[1], 1.0, TOL_EXACT);
    assert_close(tw_metric_result(m), 0.5198603868484497, TOL_EXACT);
    tw_metric_reset_state(m);
    assert_state(m, 0.0, 0.0);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 3, 3), 0);
    assert_close(tw_metric_result(m), (2 * 0.6931471824645996 + 1.0397207736968994) / 3.0,
                 TOL_EXACT);
    tw_metric_destroy(&m);
}

/* A NaN prediction makes the loss, and so the result, NaN (clipping does not hide it). */
static void
test_nan_propagates(void **state)
{
    (void)state;
    const float yt[2] = {1, 0}, yp[2] = {NAN, 0.5f};
    tw_metric *b = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(b, yt, yp, NULL, 1, 2), 0);
    assert_true(isnan(tw_metric_result(b)));
    tw_metric *c = tw_test_new(TW_METRIC_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(c, yt, yp, NULL, 1, 2), 0);
    assert_true(isnan(tw_metric_result(c)));
    /* a NaN label too */
    const float yn[2] = {NAN, 0}, pp[2] = {0.5f, 0.5f};
    tw_metric *bn = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(bn, yn, pp, NULL, 1, 2), 0);
    assert_true(isnan(tw_metric_result(bn)));
    tw_metric_destroy(&b);
    tw_metric_destroy(&c);
    tw_metric_destroy(&bn);
}

/* Merge of halves equals the whole. */
static void
test_merge_halves(void **state)
{
    (void)state;
    const tw_metric_kind ks[2] = {TW_METRIC_BINARY_CROSSENTROPY,
                                  TW_METRIC_CATEGORICAL_CROSSENTROPY};
    for (int i = 0; i < 2; i++) {
        tw_metric *whole = tw_test_new(ks[i], NULL);
        tw_metric *a = tw_test_new(ks[i], NULL);
        tw_metric *b = tw_test_new(ks[i], NULL);
        assert_int_equal(tw_metric_update_state(whole, bce_rows_yt, bce_rows_yp, rows_w, 3, 3), 0);
        assert_int_equal(tw_metric_update_state(a, bce_rows_yt, bce_rows_yp, rows_w, 2, 3), 0);
        assert_int_equal(
            tw_metric_update_state(b, bce_rows_yt + 6, bce_rows_yp + 6, rows_w + 2, 1, 3), 0);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_same_state(a, whole);
        assert_close(tw_metric_state(whole)[1], 1.5, TOL_EXACT);
        tw_metric_destroy(&whole);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bce_keras_unweighted), cmocka_unit_test(test_bce_keras_weighted),
        cmocka_unit_test(test_bce_clip_bounds),      cmocka_unit_test(test_bce_hand),
        cmocka_unit_test(test_bce_rows_weighted),    cmocka_unit_test(test_cce_keras),
        cmocka_unit_test(test_cce_renormalise),      cmocka_unit_test(test_cce_clip_bounds),
        cmocka_unit_test(test_cce_soft_labels),      cmocka_unit_test(test_cce_rows_weighted),
        cmocka_unit_test(test_nan_propagates),       cmocka_unit_test(test_merge_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
