/* test_metric_stderr.c - tw_metric_stderr and the moments in the state, against values
 * computed by hand (the sums are written out beside each case). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>

#include "metric_testutil.h"

/* Mean of [1, 3, 5, 7]: total 16, count 4, sumsq 1 + 9 + 25 + 49 = 84, values 4;
 * sum of squared deviations 84 - 16^2 / 4 = 20, SE^2 = 20 / (3 * 4) = s^2 / n. */
static void
test_mean_unit_weights(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7};
    assert_int_equal(tw_metric_update_values(m, v, NULL, 4, 1), 0);
    assert_state(m, 16.0, 4.0, 84.0, 4.0);
    assert_close(tw_metric_stderr(m), sqrt(20.0 / 12.0), TOL_DOUBLE);
    tw_metric_destroy(&m);
}

/* Weights [1, 1, 0, 0]: the two values of weight 0 are masked out (not counted in B):
 * total 4, W 2, sumsq 1 + 9 = 10, B 2; SS = 10 - 16 / 2 = 2, SE^2 = 2 / (1 * 2) = 1. */
static void
test_mean_zero_weights(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7}, w[4] = {1, 1, 0, 0};
    assert_int_equal(tw_metric_update_values(m, v, w, 4, 1), 0);
    assert_state(m, 4.0, 2.0, 10.0, 2.0);
    assert_close(tw_metric_stderr(m), 1.0, TOL_DOUBLE);
    tw_metric_destroy(&m);
}

/* Batch means weighted by batch size: (2, 10) and (4, 30). total 140, W 40, m 3.5,
 * sumsq 4 * 10 + 16 * 30 = 520, B 2; SS = 520 - 140^2 / 40 = 30, SE^2 = 30 / (1 * 40). */
static void
test_mean_batch_means(void **state)
{
    (void)state;
    tw_metric *m = tw_test_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_metric_update_scalar(m, 2.0, 10.0), 0);
    /* B = 1: no standard error */
    assert_true(isnan(tw_metric_stderr(m)));
    assert_int_equal(tw_metric_update_scalar(m, 4.0, 30.0), 0);
    assert_state(m, 140.0, 40.0, 520.0, 2.0);
    assert_close(tw_metric_stderr(m), sqrt(0.75), TOL_DOUBLE);
    /* a call of weight 0 adds nothing, not even to B */
    assert_int_equal(tw_metric_update_scalar(m, 100.0, 0.0), 0);
    assert_state(m, 140.0, 40.0, 520.0, 2.0);
    /* equal values: SE 0, not NaN */
    tw_metric *c = tw_test_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_metric_update_scalar(c, 0.5, 8.0), 0);
    assert_int_equal(tw_metric_update_scalar(c, 0.5, 8.0), 0);
    assert_true(tw_metric_stderr(c) == 0.0);
    tw_metric_destroy(&c);
    tw_metric_destroy(&m);
}

/* Two ranks' halves merged by addition give the whole's state and so its SE. */
static void
test_mean_merged_ranks(void **state)
{
    (void)state;
    tw_metric *a = tw_test_new(TW_METRIC_MEAN, NULL), *b = tw_test_new(TW_METRIC_MEAN, NULL);
    const float va[2] = {1, 3}, vb[2] = {5, 7};
    assert_int_equal(tw_metric_update_values(a, va, NULL, 2, 1), 0);
    assert_int_equal(tw_metric_update_values(b, vb, NULL, 2, 1), 0);
    /* each rank alone: [1, 3] has s^2 = 2, SE = 1 */
    assert_close(tw_metric_stderr(a), 1.0, TOL_DOUBLE);
    assert_int_equal(tw_metric_merge_state(a, b), 0);
    assert_state(a, 16.0, 4.0, 84.0, 4.0);
    assert_close(tw_metric_stderr(a), sqrt(20.0 / 12.0), TOL_DOUBLE);
    tw_metric_destroy(&a);
    tw_metric_destroy(&b);
}

/* MSE of errors 1, 1, 4 (squared 1, 1, 16): total 18, W 3, sumsq 1 + 1 + 256 = 258, B 3;
 * SS = 258 - 18^2 / 3 = 150, SE^2 = 150 / (2 * 3) = 25. The fast path (unweighted) and the
 * weighted path agree. RMSE by the delta method: 5 / (2 sqrt(6)). */
static void
test_mse_rmse(void **state)
{
    (void)state;
    const float yt[3] = {0, 0, 0}, yp[3] = {1, 1, 4}, w[3] = {1, 1, 1};
    tw_metric *fast = tw_test_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
    tw_metric *slow = tw_test_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
    tw_metric *rmse = tw_test_new(TW_METRIC_ROOT_MEAN_SQUARED_ERROR, NULL);
    assert_int_equal(tw_metric_update_state(fast, yt, yp, NULL, 3, 1), 0);
    assert_int_equal(tw_metric_update_state(slow, yt, yp, w, 3, 1), 0);
    assert_int_equal(tw_metric_update_state(rmse, yt, yp, NULL, 3, 1), 0);
    assert_state(fast, 18.0, 3.0, 258.0, 3.0);
    assert_state(slow, 18.0, 3.0, 258.0, 3.0);
    assert_close(tw_metric_stderr(fast), 5.0, TOL_DOUBLE);
    assert_close(tw_metric_stderr(slow), 5.0, TOL_DOUBLE);
    assert_close(tw_metric_stderr(rmse), 5.0 / (2.0 * sqrt(6.0)), TOL_DOUBLE);
    /* all errors 0: the RMSE's SE is 0 */
    assert_int_equal(tw_metric_set_state(rmse, (const double[]){0, 3, 0, 3}, 4), 0);
    assert_true(tw_metric_stderr(rmse) == 0.0);
    tw_metric_destroy(&fast);
    tw_metric_destroy(&slow);
    tw_metric_destroy(&rmse);
}

/* Binomial: 3 hits of 4 (p 0.75): sqrt(0.75 * 0.25 / 4); weighted [3, 1, 1, 1] on hits
 * [1, 0, 1, 0]: p = 4 / 6, N = 6; p = 0 and p = 1 give 0; no samples give NaN. */
static void
test_accuracy_binomial(void **state)
{
    (void)state;
    const float yt[4] = {1, 1, 0, 0}, yp[4] = {0.9f, 0.2f, 0.1f, 0.8f};
    const float yp_hit[4] = {0.9f, 0.8f, 0.1f, 0.2f}, w[4] = {3, 1, 1, 1};
    tw_metric *m = tw_test_new(TW_METRIC_BINARY_ACCURACY, NULL);
    assert_true(isnan(tw_metric_stderr(m))); /* N = 0 */
    assert_int_equal(tw_metric_update_state(m, yt, yp, w, 4, 1), 0);
    assert_state(m, 4.0, 6.0);
    assert_close(tw_metric_stderr(m), sqrt((4.0 / 6.0) * (2.0 / 6.0) / 6.0), TOL_DOUBLE);
    tw_metric_reset_state(m);
    const float yp3[4] = {0.9f, 0.8f, 0.1f, 0.8f};
    assert_int_equal(tw_metric_update_state(m, yt, yp3, NULL, 4, 1), 0);
    assert_close(tw_metric_stderr(m), sqrt(0.75 * 0.25 / 4.0), TOL_DOUBLE);
    tw_metric_reset_state(m);
    assert_int_equal(tw_metric_update_state(m, yt, yp_hit, NULL, 4, 1), 0);
    assert_true(tw_metric_result(m) == 1.0);
    assert_true(tw_metric_stderr(m) == 0.0); /* p = 1 */
    tw_metric_reset_state(m);
    const float yp_miss[4] = {0.1f, 0.2f, 0.9f, 0.8f};
    assert_int_equal(tw_metric_update_state(m, yt, yp_miss, NULL, 4, 1), 0);
    assert_true(tw_metric_result(m) == 0.0);
    assert_true(tw_metric_stderr(m) == 0.0); /* p = 0 */
    tw_metric_destroy(&m);

    /* every accuracy kind uses the counts of its state */
    tw_metric *s = tw_test_new(TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, NULL);
    assert_int_equal(tw_metric_set_state(s, (const double[]){30, 40}, 2), 0);
    assert_close(tw_metric_stderr(s), sqrt(0.75 * 0.25 / 40.0), TOL_DOUBLE);
    tw_metric_destroy(&s);
}

/* Precision [tp 18, fp 2]: p 0.9, N 20. Recall [tp 18, fn 10]: p 18/28, N 28. */
static void
test_precision_recall(void **state)
{
    (void)state;
    tw_metric *p = tw_test_new(TW_METRIC_PRECISION, NULL);
    tw_metric *r = tw_test_new(TW_METRIC_RECALL, NULL);
    assert_true(isnan(tw_metric_stderr(p)));
    assert_int_equal(tw_metric_set_state(p, (const double[]){18, 2}, 2), 0);
    assert_int_equal(tw_metric_set_state(r, (const double[]){18, 10}, 2), 0);
    assert_close(tw_metric_stderr(p), sqrt(0.9 * 0.1 / 20.0), TOL_DOUBLE);
    assert_close(tw_metric_stderr(r), sqrt((18.0 / 28.0) * (10.0 / 28.0) / 28.0), TOL_DOUBLE);
    tw_metric_destroy(&p);
    tw_metric_destroy(&r);
}

/* ROC AUC with T = 3 (thresholds -1e-7, 0.5, 1 + 1e-7): positives at 0.9 x3 and 0.2,
 * negatives at 0.2 x3 and 0.9: points (1, 1), (0.25, 0.75), (0, 0), area 0.75, P = N = 4.
 * Hanley & McNeil: Q1 = 0.75 / 1.25 = 0.6, Q2 = 2 * 0.5625 / 1.75;
 * SE^2 = (0.75 * 0.25 + 3 (Q1 - 0.5625) + 3 (Q2 - 0.5625)) / 16. */
static void
test_auc_hanley_mcneil(void **state)
{
    (void)state;
    tw_metric_options o = tw_metric_defaults();
    o.num_thresholds = 3;
    tw_metric *m = tw_test_new(TW_METRIC_AUC, &o);
    const float yt[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    const float yp[8] = {0.9f, 0.9f, 0.9f, 0.2f, 0.2f, 0.2f, 0.2f, 0.9f};
    assert_true(isnan(tw_metric_stderr(m))); /* no positives, no negatives */
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 8, 1), 0);
    assert_close(tw_metric_result(m), 0.75, TOL_DOUBLE);
    double q1 = 0.6, q2 = 2.0 * 0.5625 / 1.75;
    double want = sqrt((0.75 * 0.25 + 3.0 * (q1 - 0.5625) + 3.0 * (q2 - 0.5625)) / 16.0);
    assert_close(tw_metric_stderr(m), want, TOL_DOUBLE);
    assert_close(want, 0.1838938940957918, TOL_DOUBLE);
    tw_metric_destroy(&m);

    /* only positives: undefined */
    tw_metric *pos = tw_test_new(TW_METRIC_AUC, &o);
    assert_int_equal(tw_metric_update_state(pos, yt, yp, NULL, 4, 1), 0);
    assert_true(isnan(tw_metric_stderr(pos)));
    tw_metric_destroy(&pos);

    /* PR-AUC: none */
    o.curve = TW_AUC_PR;
    tw_metric *pr = tw_test_new(TW_METRIC_AUC, &o);
    assert_int_equal(tw_metric_update_state(pr, yt, yp, NULL, 8, 1), 0);
    assert_true(isnan(tw_metric_stderr(pr)));
    tw_metric_destroy(&pr);
}

/* Sum, NULL and non-finite states have none; trainwatch 0.1's [total, count] state of a
 * kind with moments is accepted by set_state and add_state, keeps its value and has no SE. */
static void
test_undefined_and_legacy(void **state)
{
    (void)state;
    tw_metric *sum = tw_test_new(TW_METRIC_SUM, NULL);
    assert_int_equal(tw_metric_update_scalar(sum, 3.0, 1.0), 0);
    assert_true(isnan(tw_metric_stderr(sum)));
    assert_true(isnan(tw_metric_stderr(NULL)));
    tw_metric_destroy(&sum);

    tw_metric *m = tw_test_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_set_state(m, (const double[]){1, 2, 3, 4}, 4), 0);
    assert_false(isnan(tw_metric_stderr(m)));
    assert_int_equal(tw_metric_set_state(m, (const double[]){16, 4}, 2), 0);
    assert_state(m, 16.0, 4.0, 0.0, 0.0);
    assert_close(tw_metric_result(m), 4.0, TOL_EXACT);
    assert_true(isnan(tw_metric_stderr(m)));
    /* 3 doubles are neither layout */
    assert_int_equal(tw_metric_set_state(m, (const double[]){1, 2, 3}, 3), -EINVAL);
    /* adding an old state: the value is exact, the moments unknown until reset */
    tw_metric *mean = tw_test_new(TW_METRIC_MEAN, NULL);
    const float v[4] = {1, 3, 5, 7};
    assert_int_equal(tw_metric_update_values(mean, v, NULL, 4, 1), 0);
    assert_int_equal(tw_metric_add_state(mean, (const double[]){4, 1}, 2), 0);
    assert_close(tw_metric_result(mean), 4.0, TOL_EXACT);
    assert_true(isnan(tw_metric_stderr(mean)));
    tw_metric_reset_state(mean);
    assert_int_equal(tw_metric_update_values(mean, v, NULL, 4, 1), 0);
    assert_close(tw_metric_stderr(mean), sqrt(20.0 / 12.0), TOL_DOUBLE);
    /* a NaN loss: no SE */
    assert_int_equal(tw_metric_update_scalar(mean, NAN, 1.0), 0);
    assert_true(isnan(tw_metric_stderr(mean)));
    tw_metric_destroy(&mean);
    tw_metric_destroy(&m);
}

/* The SE of n per-sample values v with weights w (NULL: 1), as doc/metrics.md defines it:
 * SE^2 = (sum w v^2 - W m^2) / ((B - 1) W). */
static double
se_of(const double *v, const double *w, size_t n)
{
    double W = 0.0, S = 0.0, Q = 0.0, B = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        W += wi, S += wi * v[i], Q += wi * v[i] * v[i], B += wi != 0.0;
    }
    double m = S / W;
    return sqrt((Q - W * m * m) / ((B - 1.0) * W));
}

/* The mean-wrapped kinds added in 0.2 carry the moments: their SE is the SE of the mean of
 * their per-sample values (each read as the result of that sample alone), unweighted (the
 * elementwise kinds' fast path) and weighted (the row path), and the SE of two merged halves
 * is the whole's. Poisson is worked by hand too. */
static void
test_se_new_mean_kinds(void **state)
{
    (void)state;
    static const tw_metric_kind kinds[] = {TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY,
                                           TW_METRIC_KL_DIVERGENCE,
                                           TW_METRIC_POISSON,
                                           TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR,
                                           TW_METRIC_LOG_COSH_ERROR,
                                           TW_METRIC_COSINE_SIMILARITY,
                                           TW_METRIC_HINGE,
                                           TW_METRIC_SQUARED_HINGE,
                                           TW_METRIC_CATEGORICAL_HINGE,
                                           TW_METRIC_PEARSON_CORRELATION,
                                           TW_METRIC_CONCORDANCE_CORRELATION};
    enum { N = 6 };
    const double w[N] = {1.0, 2.0, 0.5, 0.0, 3.0, 1.0};
    const float wf[N] = {1.0f, 2.0f, 0.5f, 0.0f, 3.0f, 1.0f};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        /* d = 1 for the elementwise kinds (their fast path), 3 for the row kinds */
        bool sparse = kinds[k] == TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY;
        bool rows = sparse || kinds[k] == TW_METRIC_COSINE_SIMILARITY ||
                    kinds[k] == TW_METRIC_CATEGORICAL_HINGE ||
                    kinds[k] == TW_METRIC_PEARSON_CORRELATION ||
                    kinds[k] == TW_METRIC_CONCORDANCE_CORRELATION;
        size_t d = rows ? 3 : 1, tstride = sparse ? 1 : d;
        float yt[N * 3], yp[N * 3];
        for (size_t i = 0; i < N * d; i++) {
            /* never a batch of only 0s and 1s: the hinges map those to -1 and 1 */
            yt[i] = sparse ? (float)(i % 3) : (float)((i * 7 + 1) % 5) / 4.0f + 0.1f;
            yp[i] = (float)((i * 5 + 2) % 7 + 1) / 8.0f;
        }
        double v[N];
        for (size_t i = 0; i < N; i++) {
            tw_metric *one = tw_metric_new(kinds[k], NULL);
            assert_int_equal(tw_metric_update_state(one, yt + i * tstride, yp + i * d, NULL, 1, d),
                             0);
            v[i] = tw_metric_result(one);
            tw_metric_destroy(&one);
        }
        tw_metric *m = tw_metric_new(kinds[k], NULL);
        assert_int_equal(tw_metric_state_size(m), 4);
        assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, N, d), 0);
        if (!tw_test_close(tw_metric_stderr(m), se_of(v, NULL, N), 1e-12, 1e-9))
            fail_msg("%s: SE %.12g, expected %.12g", tw_metric_kind_name(kinds[k]),
                     tw_metric_stderr(m), se_of(v, NULL, N));
        tw_metric_reset_state(m);
        assert_int_equal(tw_metric_update_state(m, yt, yp, wf, N, d), 0);
        if (!tw_test_close(tw_metric_stderr(m), se_of(v, w, N), 1e-12, 1e-9))
            fail_msg("%s weighted: SE %.12g, expected %.12g", tw_metric_kind_name(kinds[k]),
                     tw_metric_stderr(m), se_of(v, w, N));
        assert_close(tw_metric_state(m)[3], 5.0, TOL_EXACT); /* the weight-0 sample: no value */
        /* two halves merged: the whole's SE */
        tw_metric *a = tw_metric_new(kinds[k], NULL), *b = tw_metric_new(kinds[k], NULL);
        assert_int_equal(tw_metric_update_state(a, yt, yp, wf, 2, d), 0);
        assert_int_equal(tw_metric_update_state(b, yt + 2 * tstride, yp + 2 * d, wf + 2, N - 2, d),
                         0);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_close(tw_metric_stderr(a), tw_metric_stderr(m), TOL_DOUBLE);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
        tw_metric_destroy(&m);
    }
    /* Poisson by hand: y_true [1, 2, 0, 3], y_pred [1, 1, 2, 2]: p - t log(p + 1e-7) is 1, 1,
     * 2 and 2 - 3 log 2 (to float32); SE = sqrt(s^2 / 4). */
    const float pt[4] = {1, 2, 0, 3}, pp[4] = {1, 1, 2, 2};
    double pv[4] = {1.0, 1.0, 2.0, 2.0 - 3.0 * log(2.0)};
    tw_metric *po = tw_metric_new(TW_METRIC_POISSON, NULL);
    assert_int_equal(tw_metric_update_state(po, pt, pp, NULL, 4, 1), 0);
    double mean = (pv[0] + pv[1] + pv[2] + pv[3]) / 4.0, ss = 0.0;
    for (int i = 0; i < 4; i++)
        ss += (pv[i] - mean) * (pv[i] - mean);
    assert_close(tw_metric_stderr(po), sqrt(ss / 3.0 / 4.0), 1e-6, 1e-6);
    assert_close(tw_metric_stderr(po), 0.4246, 1e-4, 0.0); /* s^2 = 2.16361 / 3 */
    /* one sample: no SE */
    tw_metric_reset_state(po);
    assert_int_equal(tw_metric_update_state(po, pt, pp, NULL, 1, 1), 0);
    assert_true(isnan(tw_metric_stderr(po)));
    tw_metric_destroy(&po);
}

/* The kinds added in 0.2 that are not means (R2, the counts, the X-at-Y kinds, F-beta, the
 * IoU family) and custom metrics have no standard error (NaN), whatever their state: no
 * binomial read of two slots that mean something else (or of one that is not there); nor
 * Precision with several thresholds or AUC with multi_label. */
static void
test_no_se_for_new_kinds(void **state)
{
    (void)state;
    static const struct {
        tw_metric_kind kind;
        const char *args;
    } cases[] = {
        {TW_METRIC_R2_SCORE, "num_outputs=1"},
        {TW_METRIC_TRUE_POSITIVES, ""},
        {TW_METRIC_FALSE_POSITIVES, ""},
        {TW_METRIC_TRUE_NEGATIVES, ""},
        {TW_METRIC_FALSE_NEGATIVES, ""},
        {TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "value=0.5"},
        {TW_METRIC_SPECIFICITY_AT_SENSITIVITY, "value=0.5"},
        {TW_METRIC_PRECISION_AT_RECALL, "value=0.5"},
        {TW_METRIC_RECALL_AT_PRECISION, "value=0.5"},
        {TW_METRIC_F_BETA_SCORE, "num_classes=2"},
        {TW_METRIC_F1_SCORE, "num_classes=2"},
        {TW_METRIC_IOU, "num_classes=2,target_class_ids=[0]"},
        {TW_METRIC_BINARY_IOU, ""},
        {TW_METRIC_MEAN_IOU, "num_classes=2"},
        {TW_METRIC_ONE_HOT_IOU, "num_classes=2,target_class_ids=[0]"},
        {TW_METRIC_ONE_HOT_MEAN_IOU, "num_classes=2"},
        {TW_METRIC_CUSTOM, "slots=[a,b],expr=\"a/b\""},
        {TW_METRIC_PRECISION, "thresholds=[0.3,0.7]"},
        {TW_METRIC_RECALL, "thresholds=[0.3,0.7]"},
        {TW_METRIC_AUC, "multi_label=true,num_labels=2"},
    };
    double st[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tw_metric *m = tw_metric_new_opts(cases[i].kind, cases[i].args);
        if (!m)
            fail_msg("%s(%s) refused", tw_metric_kind_name(cases[i].kind), cases[i].args);
        size_t n = tw_metric_state_size(m);
        assert_true(n > 0 && n <= sizeof st / sizeof st[0]);
        for (size_t j = 0; j < n; j++)
            st[j] = 3.0 + (double)(j % 5); /* counts, sums and moments alike: all positive */
        assert_int_equal(tw_metric_set_state(m, st, n), 0);
        if (!isnan(tw_metric_stderr(m)))
            fail_msg("%s(%s): stderr %g, expected NaN", tw_metric_kind_name(cases[i].kind),
                     cases[i].args, tw_metric_stderr(m));
        tw_metric_destroy(&m);
    }
    /* Precision with top_k has one threshold: still binomial, 3 of 4 */
    tw_metric *p = tw_metric_new_opts(TW_METRIC_PRECISION, "top_k=1");
    assert_int_equal(tw_metric_set_state(p, (const double[]){3, 1}, 2), 0);
    assert_close(tw_metric_stderr(p), sqrt(0.75 * 0.25 / 4.0), TOL_DOUBLE);
    tw_metric_destroy(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_unit_weights),
        cmocka_unit_test(test_mean_zero_weights),
        cmocka_unit_test(test_mean_batch_means),
        cmocka_unit_test(test_mean_merged_ranks),
        cmocka_unit_test(test_mse_rmse),
        cmocka_unit_test(test_accuracy_binomial),
        cmocka_unit_test(test_precision_recall),
        cmocka_unit_test(test_auc_hanley_mcneil),
        cmocka_unit_test(test_undefined_and_legacy),
        cmocka_unit_test(test_se_new_mean_kinds),
        cmocka_unit_test(test_no_se_for_new_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
