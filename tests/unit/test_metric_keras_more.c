/* test_metric_keras_more.c - the 27 kinds added in 0.2, against Keras 3's own examples (the
 * values its docstrings and tests give), several batches, weights, reset, options, merging
 * halves, and the -EINVAL paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>

#include "metric_testutil.h"

/* A metric from options that must be accepted. */
static tw_metric *
make(tw_metric_kind kind, const char *opts)
{
    char err[256];
    if (tw_metric_options_check(kind, opts, err, sizeof err) != 0)
        fail_msg("%s: %s refused: %s", tw_metric_kind_name(kind), opts ? opts : "(null)", err);
    tw_metric *m = tw_metric_new_opts(kind, opts);
    assert_non_null(m);
    return m;
}

/* Keras: m(y_true, y_pred) then m.result(), once unweighted and once (after reset) weighted. */
static void
keras_case(tw_metric_kind kind, const char *opts, const float *yt, const float *yp, size_t n,
           size_t d, const float *w, double unweighted, double weighted, double atol)
{
    tw_metric *m = make(kind, opts);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, n, d), 0);
    assert_close(tw_metric_result(m), unweighted, atol, 1e-6);
    if (w) {
        tw_metric_reset_state(m);
        assert_int_equal(tw_metric_update_state(m, yt, yp, w, n, d), 0);
        assert_close(tw_metric_result(m), weighted, atol, 1e-6);
    }
    tw_metric_destroy(&m);
}

/* The docstring batch of the loss-like metrics: [[0, 1], [0, 0]] against [[1, 1], [0, 0]]
 * (Poisson, MSLE, LogCosh) or [[0.6, 0.4], [0.4, 0.6]] (KLD, the hinges), weights [1, 0]. */
static const float yt_01[4] = {0, 1, 0, 0};
static const float yp_11[4] = {1, 1, 0, 0};
static const float yp_64[4] = {0.6f, 0.4f, 0.4f, 0.6f};
static const float w_10[2] = {1, 0};

static void
test_losses_keras_docstrings(void **state)
{
    (void)state;
    keras_case(TW_METRIC_KL_DIVERGENCE, NULL, yt_01, yp_64, 2, 2, w_10, 0.45814306, 0.9162892,
               1e-6);
    keras_case(TW_METRIC_POISSON, NULL, yt_01, yp_11, 2, 2, w_10, 0.49999997, 0.99999994, 1e-6);
    keras_case(TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR, NULL, yt_01, yp_11, 2, 2, w_10, 0.12011322,
               0.24022643, 1e-6);
    keras_case(TW_METRIC_LOG_COSH_ERROR, NULL, yt_01, yp_11, 2, 2, w_10, 0.10844523, 0.21689045,
               1e-6);
    keras_case(TW_METRIC_HINGE, NULL, yt_01, yp_64, 2, 2, w_10, 1.3, 1.1, 1e-6);
    keras_case(TW_METRIC_SQUARED_HINGE, NULL, yt_01, yp_64, 2, 2, w_10, 1.86, 1.46, 1e-6);
    keras_case(TW_METRIC_CATEGORICAL_HINGE, NULL, yt_01, yp_64, 2, 2, w_10, 1.4, 1.2, 1e-6);

    const float cyt[4] = {0, 1, 1, 1}, cyp[4] = {1, 0, 1, 1}, cw[2] = {0.3f, 0.7f};
    keras_case(TW_METRIC_COSINE_SIMILARITY, NULL, cyt, cyp, 2, 2, cw, 0.49999997, 0.6999999, 1e-6);
    keras_case(TW_METRIC_COSINE_SIMILARITY, "axis=-1", cyt, cyp, 2, 2, NULL, 0.49999997, 0, 1e-6);

    const float slabels[2] = {1, 2}, sp[6] = {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f};
    keras_case(TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, slabels, sp, 2, 3, cw, 1.1769392,
               1.6271976, 1e-5);
}

/* Hand-worked: hinge labels that are not all 0/1 are used as they are (-1/1 here), while a
 * batch of 0/1 labels is mapped to -1/1 first. */
static void
test_hinge_label_rule(void **state)
{
    (void)state;
    const float yt[2] = {-1, 1}, yp[2] = {0.5f, 0.5f};
    /* max(1 - (-1)(0.5), 0) = 1.5, max(1 - 0.5, 0) = 0.5: mean 1 */
    keras_case(TW_METRIC_HINGE, NULL, yt, yp, 2, 1, NULL, 1.0, 0, 1e-9);
    const float yt01[2] = {0, 1};
    keras_case(TW_METRIC_HINGE, NULL, yt01, yp, 2, 1, NULL, 1.0, 0, 1e-9);
}

static void
test_sparse_ce_logits_and_ignore(void **state)
{
    (void)state;
    /* from_logits: -log_softmax; logits [0, ln 3] give p = [1/4, 3/4]: -log(3/4) */
    const float label[1] = {1}, logits[2] = {0.0f, (float)log(3.0)};
    keras_case(TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, "from_logits=true", label, logits, 1, 2,
               NULL, -log(0.75), 0, 1e-6);
    /* ignore_class: the ignored sample adds 0 and counts once unweighted, not when weighted */
    const float labels[2] = {1, -1}, p[4] = {0.25f, 0.75f, 0.5f, 0.5f}, w[2] = {1, 1};
    tw_metric *m = make(TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, "ignore_class=-1");
    assert_int_equal(tw_metric_update_state(m, labels, p, NULL, 2, 2), 0);
    assert_state(m, -log(0.75), 2.0);
    tw_metric_reset_state(m);
    assert_int_equal(tw_metric_update_state(m, labels, p, w, 2, 2), 0);
    assert_state(m, -log(0.75), 1.0);
    /* without ignore_class, -1 is not a label */
    tw_metric *strict = make(TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, NULL);
    assert_int_equal(tw_metric_update_state(strict, labels, p, NULL, 2, 2), -EINVAL);
    assert_state(strict, 0.0, 0.0);
    tw_metric_destroy(&strict);
    tw_metric_destroy(&m);
}

static void
test_correlations_keras_docstrings(void **state)
{
    (void)state;
    const float yt[6] = {0, 1, 0.5f, 1, 1, 0.2f}, yp[6] = {0.1f, 0.9f, 0.5f, 1, 0.9f, 0.2f};
    keras_case(TW_METRIC_PEARSON_CORRELATION, NULL, yt, yp, 2, 3, NULL, 0.9966996338993913, 0,
               1e-6);
    keras_case(TW_METRIC_CONCORDANCE_CORRELATION, NULL, yt, yp, 2, 3, NULL, 0.9816320385426076, 0,
               1e-6);
    /* per row, not over the data set: a batch of the two rows one by one gives the same mean */
    tw_metric *m = make(TW_METRIC_PEARSON_CORRELATION, NULL);
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 1, 3), 0);
    assert_int_equal(tw_metric_update_state(m, yt + 3, yp + 3, NULL, 1, 3), 0);
    assert_close(tw_metric_result(m), 0.9966996338993913, 1e-6, 1e-6);
    tw_metric_destroy(&m);
    /* a constant row has no standard deviation: NaN, as Keras */
    const float flat[2] = {1, 1}, any[2] = {0, 1};
    keras_case(TW_METRIC_PEARSON_CORRELATION, NULL, flat, any, 1, 2, NULL, NAN, 0, 0);
}

static void
test_r2(void **state)
{
    (void)state;
    const float yt[3] = {1, 4, 3}, yp[3] = {2, 4, 4};
    keras_case(TW_METRIC_R2_SCORE, NULL, yt, yp, 3, 1, NULL, 0.57142854, 0, 1e-6);
    /* Hand-worked, weights [1, 2, 1]: Σw = 4, Σwy = 12, Σwy² = 42, total = 42 - 12·3 = 6,
     * residual = 1 + 0 + 1 = 2: 1 - 2/6 */
    const float w[3] = {1, 2, 1};
    keras_case(TW_METRIC_R2_SCORE, NULL, yt, yp, 3, 1, w, 0.57142854, 1.0 - 2.0 / 6.0, 1e-6);
    /* adjusted, num_regressors=1, n = 3: 1 - (1 - r2)(n - 1)/(n - p - 1) */
    double r2 = 1.0 - 4.0 / 7.0 * 0.0 - 3.0 / 7.0; /* 4/7 */
    keras_case(TW_METRIC_R2_SCORE, "num_regressors=1", yt, yp, 3, 1, NULL,
               1.0 - (1.0 - r2) * 2.0 / 1.0, 0, 1e-6);
    /* p >= n - 1: Keras falls back to the plain score */
    keras_case(TW_METRIC_R2_SCORE, "num_regressors=2", yt, yp, 3, 1, NULL, r2, 0, 1e-6);

    /* two outputs: raw scores, uniform and variance-weighted averages */
    const float yt2[6] = {1, 0, 4, 2, 3, 4}, yp2[6] = {2, 0, 4, 2, 4, 3};
    /* output 0 as above (total 14/3, res 2: 4/7); output 1: mean 2, total 8, res 1: 7/8 */
    tw_metric *raw = make(TW_METRIC_R2_SCORE, "num_outputs=2,class_aggregation=None");
    assert_int_equal(tw_metric_update_state(raw, yt2, yp2, NULL, 3, 2), 0);
    double v[2];
    assert_int_equal(tw_metric_result_vector(raw, v, 2), 2);
    assert_close(v[0], 4.0 / 7.0, 1e-9, 1e-9);
    assert_close(v[1], 7.0 / 8.0, 1e-9, 1e-9);
    tw_metric_destroy(&raw);
    keras_case(TW_METRIC_R2_SCORE, "num_outputs=2", yt2, yp2, 3, 2, NULL,
               (4.0 / 7.0 + 7.0 / 8.0) / 2, 0, 1e-9);
    keras_case(TW_METRIC_R2_SCORE, "num_outputs=2,class_aggregation=variance_weighted_average", yt2,
               yp2, 3, 2, NULL, (14.0 / 3 * 4.0 / 7.0 + 8.0 * 7.0 / 8.0) / (14.0 / 3 + 8.0), 0,
               1e-9);
    /* outputs other than declared: -EINVAL */
    tw_metric *m = make(TW_METRIC_R2_SCORE, NULL);
    assert_int_equal(tw_metric_update_state(m, yt2, yp2, NULL, 3, 2), -EINVAL);
    tw_metric_destroy(&m);
}

static void
test_counts_keras_docstrings(void **state)
{
    (void)state;
    const float w[4] = {0, 0, 1, 0};
    const float a_t[4] = {0, 1, 1, 1}, a_p[4] = {1, 0, 1, 1};
    keras_case(TW_METRIC_TRUE_POSITIVES, NULL, a_t, a_p, 4, 1, w, 2.0, 1.0, 1e-9);
    const float b_t[4] = {0, 1, 0, 0}, b_p[4] = {0, 0, 1, 1};
    keras_case(TW_METRIC_FALSE_POSITIVES, NULL, b_t, b_p, 4, 1, w, 2.0, 1.0, 1e-9);
    const float c_t[4] = {0, 1, 0, 0}, c_p[4] = {1, 1, 0, 0};
    keras_case(TW_METRIC_TRUE_NEGATIVES, NULL, c_t, c_p, 4, 1, w, 2.0, 1.0, 1e-9);
    const float d_t[4] = {0, 1, 1, 1}, d_p[4] = {0, 1, 0, 0};
    keras_case(TW_METRIC_FALSE_NEGATIVES, NULL, d_t, d_p, 4, 1, w, 2.0, 1.0, 1e-9);

    /* Keras's test_unweighted_with_thresholds: one value per threshold */
    const float yt[8] = {0, 1, 1, 0, 1, 0, 1, 0},
                yp[8] = {0.1f, 0.9f, 0.6f, 0.7f, 0.3f, 0.2f, 0.8f, 0.5f};
    tw_metric *tp = make(TW_METRIC_TRUE_POSITIVES, "thresholds=[0.15,0.5,0.85]");
    assert_int_equal(tw_metric_update_state(tp, yt, yp, NULL, 8, 1), 0);
    double v[3];
    assert_int_equal(tw_metric_result_vector(tp, v, 3), 3);
    assert_close(v[0], 4, 1e-9, 0);                         /* .9 .6 .3 .8 */
    assert_close(v[1], 3, 1e-9, 0);                         /* .9 .6 .8 */
    assert_close(v[2], 1, 1e-9, 0);                         /* .9 */
    assert_int_equal(tw_metric_result_vector(tp, v, 1), 3); /* cap below: still the count */
    assert_close(tw_metric_result(tp), 8.0 / 3.0, 1e-9, 0); /* the mean of a vector */
    tw_metric_destroy(&tp);
}

/* The X-at-Y docstring batches. */
static void
test_at_keras_docstrings(void **state)
{
    (void)state;
    const float yt[5] = {0, 0, 0, 1, 1}, yp[5] = {0, 0.3f, 0.8f, 0.3f, 0.8f};
    const float w1[5] = {1, 1, 2, 2, 1}, w2[5] = {1, 1, 2, 2, 2}, w3[5] = {2, 2, 2, 1, 1};
    keras_case(TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "value=0.5", yt, yp, 5, 1, w1, 0.5, 0.333333,
               1e-5);
    keras_case(TW_METRIC_SPECIFICITY_AT_SENSITIVITY, "sensitivity=0.5", yt, yp, 5, 1, w2,
               0.66666667, 0.5, 1e-5);
    keras_case(TW_METRIC_PRECISION_AT_RECALL, "recall=0.5", yt, yp, 5, 1, w3, 0.5, 0.33333333,
               1e-5);
    const float rt[4] = {0, 0, 1, 1}, rp[4] = {0, 0.5f, 0.3f, 0.9f}, rw[4] = {1, 0, 0, 1};
    keras_case(TW_METRIC_RECALL_AT_PRECISION, "precision=0.8", rt, rp, 4, 1, rw, 0.5, 1.0, 1e-5);
    /* class_id slices one column: the same batch as column 1 of (5, 2) */
    float yt2[10], yp2[10];
    for (int i = 0; i < 5; i++) {
        yt2[2 * i] = 1 - yt[i], yt2[2 * i + 1] = yt[i];
        yp2[2 * i] = 0.5f, yp2[2 * i + 1] = yp[i];
    }
    keras_case(TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "value=0.5,class_id=1", yt2, yp2, 5, 2, w1,
               0.5, 0.333333, 1e-5);
    /* num_thresholds=1: Keras's one threshold 0.5, compared directly: at .8 only: sensitivity
     * 1/2, specificity 2/3 */
    keras_case(TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "value=0.5,num_thresholds=1", yt, yp, 5, 1,
               NULL, 0.5, 0, 1e-9);
    keras_case(TW_METRIC_SPECIFICITY_AT_SENSITIVITY, "value=0.6,num_thresholds=1", yt, yp, 5, 1,
               NULL, 0.0, 0, 1e-9);
    /* no threshold reaches the constraint: 0 */
    const float none_t[2] = {1, 1}, none_p[2] = {0.9f, 0.9f};
    keras_case(TW_METRIC_RECALL_AT_PRECISION, "value=1", none_t + 0, none_p, 1, 1, NULL, 1.0, 0,
               1e-9);
    const float neg_t[2] = {0, 0};
    keras_case(TW_METRIC_RECALL_AT_PRECISION, "value=1", neg_t, none_p, 2, 1, NULL, 0.0, 0, 1e-9);
}

static void
test_precision_recall_new_options(void **state)
{
    (void)state;
    /* top_k=1: only each row's largest is positive (threshold -1e10) */
    const float yt[6] = {0, 1, 1, 1, 0, 0}, yp[6] = {0.2f, 0.9f, 0.1f, 0.5f, 0.7f, 0.6f};
    tw_metric *p = make(TW_METRIC_PRECISION, "top_k=1");
    assert_int_equal(tw_metric_update_state(p, yt, yp, NULL, 2, 3), 0);
    assert_close(tw_metric_result(p), 0.5, 1e-9, 0); /* .9 hit, .7 miss */
    tw_metric_destroy(&p);
    /* class_id=2: the last column only: labels [1, 0], predictions [.1, .6] */
    tw_metric *r = make(TW_METRIC_RECALL, "class_id=2");
    assert_int_equal(tw_metric_update_state(r, yt, yp, NULL, 2, 3), 0);
    assert_close(tw_metric_result(r), 0.0, 1e-9, 0);
    tw_metric_destroy(&r);
    /* a threshold list gives a vector */
    tw_metric *pl = make(TW_METRIC_PRECISION, "thresholds=[0.05,0.65]");
    assert_int_equal(tw_metric_update_state(pl, yt, yp, NULL, 2, 3), 0);
    double v[2];
    assert_int_equal(tw_metric_result_vector(pl, v, 2), 2);
    assert_close(v[0], 3.0 / 6.0, 1e-9, 0);
    assert_close(v[1], 1.0 / 2.0, 1e-9, 0); /* .9 and .7 */
    assert_int_equal(tw_metric_state_size(pl), 4);
    /* class_id beyond d: -EINVAL */
    tw_metric *bad = make(TW_METRIC_PRECISION, "class_id=5");
    assert_int_equal(tw_metric_update_state(bad, yt, yp, NULL, 2, 3), -EINVAL);
    tw_metric_destroy(&bad);
    tw_metric_destroy(&pl);
}

/* F1Score / FBetaScore docstrings (threshold=0.5, average None: one value per class). */
static void
test_fbeta_keras_docstrings(void **state)
{
    (void)state;
    const float yt[9] = {1, 1, 1, 1, 0, 0, 1, 1, 0};
    const float yp[9] = {0.2f, 0.6f, 0.7f, 0.2f, 0.6f, 0.6f, 0.6f, 0.8f, 0.0f};
    double v[3];
    tw_metric *f1 = make(TW_METRIC_F1_SCORE, "num_classes=3,threshold=0.5");
    assert_int_equal(tw_metric_update_state(f1, yt, yp, NULL, 3, 3), 0);
    assert_int_equal(tw_metric_result_vector(f1, v, 3), 3);
    assert_close(v[0], 0.5, 1e-6, 1e-6);
    assert_close(v[1], 0.8, 1e-6, 1e-6);
    assert_close(v[2], 0.6666667, 1e-6, 1e-6);
    tw_metric_destroy(&f1);
    tw_metric *fb = make(TW_METRIC_F_BETA_SCORE, "num_classes=3,beta=2.0,threshold=0.5");
    assert_int_equal(tw_metric_update_state(fb, yt, yp, NULL, 3, 3), 0);
    assert_int_equal(tw_metric_result_vector(fb, v, 3), 3);
    assert_close(v[0], 0.3846154, 1e-6, 1e-6);
    assert_close(v[1], 0.90909094, 1e-6, 1e-6);
    assert_close(v[2], 0.8333334, 1e-6, 1e-6);
    tw_metric_destroy(&fb);
    /* averages, hand-worked from the per-class counts: tp [1,2,1], fp [0,1,1], fn [2,0,0] */
    keras_case(TW_METRIC_F1_SCORE, "num_classes=3,threshold=0.5,average=macro", yt, yp, 3, 3, NULL,
               (0.5 + 0.8 + 2.0 / 3.0) / 3.0, 0, 1e-6);
    /* support [3, 2, 1] */
    keras_case(TW_METRIC_F1_SCORE, "num_classes=3,threshold=0.5,average=weighted", yt, yp, 3, 3,
               NULL, (3 * 0.5 + 2 * 0.8 + 2.0 / 3.0) / 6.0, 0, 1e-6);
    /* micro: tp 4, fp 2, fn 2: P = R = 2/3 */
    keras_case(TW_METRIC_F1_SCORE, "num_classes=3,threshold=0.5,average=micro", yt, yp, 3, 3, NULL,
               2.0 / 3.0, 0, 1e-6);
    /* threshold None: each row's largest (ties included) is positive: rows pick 2, {1,2}, 1:
     * tp [0, 1, 1] fp [0, 1, 1] fn [3, 1, 0] */
    tw_metric *top = make(TW_METRIC_F1_SCORE, "num_classes=3");
    assert_int_equal(tw_metric_update_state(top, yt, yp, NULL, 3, 3), 0);
    assert_int_equal(tw_metric_result_vector(top, v, 3), 3);
    assert_close(v[0], 0.0, 1e-6, 0);
    assert_close(v[1], 0.5, 1e-6, 1e-6);
    assert_close(v[2], 2.0 / 3.0, 1e-6, 1e-6);
    /* wrong number of classes: -EINVAL */
    assert_int_equal(tw_metric_update_state(top, yt, yp, NULL, 1, 9), -EINVAL);
    tw_metric_destroy(&top);
}

/* The IoU docstrings. */
static void
test_iou_keras_docstrings(void **state)
{
    (void)state;
    const float yt[4] = {0, 0, 1, 1}, yp[4] = {0, 1, 0, 1}, w[4] = {0.3f, 0.3f, 0.3f, 0.1f};
    keras_case(TW_METRIC_IOU, "num_classes=2,target_class_ids=[0]", yt, yp, 1, 4, NULL, 0.33333334,
               0, 1e-6);
    /* Keras's IoU docstring, weighted: cm [[.3, .3], [.3, .1]], class 0: .3 / .9 */
    keras_case(TW_METRIC_IOU, "num_classes=2,target_class_ids=[0]", yt, yp, 4, 1, w, 0.33333334,
               0.33333334, 1e-6);
    keras_case(TW_METRIC_MEAN_IOU, "num_classes=2", yt, yp, 4, 1, w, 0.33333334, 0.23809525, 1e-6);
    /* Keras's IoU test_weighted: cm [[.2, .3], [.4, .1]], class 1: .1 / (.4 + .5 - .1) */
    const float tw_[4] = {0.2f, 0.3f, 0.4f, 0.1f};
    keras_case(TW_METRIC_IOU, "num_classes=2,target_class_ids=[1]", yt, yp, 4, 1, tw_, 0.33333334,
               0.1 / 0.8, 1e-6);
    const float bt[4] = {0, 1, 0, 1}, bp[4] = {0.1f, 0.2f, 0.4f, 0.7f},
                bw[4] = {0.2f, 0.3f, 0.4f, 0.1f};
    /* weighted, by hand: predictions >= 0.3 are [0, 0, 1, 1]; cm [[.2, .4], [.3, .1]]:
     * (.2 / .9 + .1 / .8) / 2 */
    keras_case(TW_METRIC_BINARY_IOU, "target_class_ids=[0,1],threshold=0.3", bt, bp, 4, 1, bw,
               0.33333334, 0.17361112, 1e-6); /* Keras's docstring value */
    /* the threshold is inclusive: 0.4 >= 0.4 predicts class 1 */
    keras_case(TW_METRIC_BINARY_IOU, "threshold=0.4", bt, bp, 4, 1, NULL,
               (1.0 / 3.0 + 1.0 / 3.0) / 2, 0, 1e-6);
    const float ot[12] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0};
    const float op[12] = {0.2f, 0.3f, 0.5f, 0.1f, 0.2f, 0.7f, 0.5f, 0.3f, 0.1f, 0.1f, 0.4f, 0.5f};
    const float ow[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    tw_metric *m = make(TW_METRIC_ONE_HOT_IOU, "num_classes=3,target_class_ids=[0,2]");
    assert_int_equal(tw_metric_update_state(m, ot, op, ow, 4, 3), 0);
    assert_close(tw_metric_result(m), 0.07142857, 1e-6, 1e-6);
    tw_metric_destroy(&m);
    m = make(TW_METRIC_ONE_HOT_MEAN_IOU, "num_classes=3");
    assert_int_equal(tw_metric_update_state(m, ot, op, ow, 4, 3), 0);
    assert_close(tw_metric_result(m), 0.047619034, 1e-6, 1e-6);
    tw_metric_destroy(&m);
}

static void
test_iou_ignore_and_bad_labels(void **state)
{
    (void)state;
    /* ignore_class=255: the third pair is skipped; the rest is the unweighted docstring case */
    const float yt[5] = {0, 0, 255, 1, 1}, yp[5] = {0, 1, 1, 0, 1};
    tw_metric *m = make(TW_METRIC_MEAN_IOU, "num_classes=2,ignore_class=255");
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 5, 1), 0);
    assert_close(tw_metric_result(m), 1.0 / 3.0, 1e-6, 1e-6);
    tw_metric_destroy(&m);
    /* without it, 255 is out of range: -EINVAL, nothing added */
    m = make(TW_METRIC_MEAN_IOU, "num_classes=2");
    assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, 5, 1), -EINVAL);
    assert_state(m, 0, 0, 0, 0);
    tw_metric_destroy(&m);
    /* sparse y_true, dense y_pred: n labels against n rows of scores (argmax) */
    const float labels[2] = {1, 0}, scores[4] = {0.2f, 0.8f, 0.4f, 0.6f};
    m = make(TW_METRIC_MEAN_IOU, "num_classes=2,sparse_y_pred=false");
    assert_int_equal(tw_metric_update_state(m, labels, scores, NULL, 2, 2), 0);
    assert_state(m, 0, 1, 0, 1); /* (1,1) and (0,1) */
    tw_metric_destroy(&m);
}

/* Every new kind: several batches = one batch, halves merged = whole, reset, -EINVAL. */
typedef struct any_case {
    tw_metric_kind kind;
    const char *opts;
    bool sparse; /* y_true holds n labels */
} any_case;

static const any_case every[] = {
    {TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, true},
    {TW_METRIC_KL_DIVERGENCE, NULL, false},
    {TW_METRIC_POISSON, NULL, false},
    {TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR, NULL, false},
    {TW_METRIC_LOG_COSH_ERROR, NULL, false},
    {TW_METRIC_COSINE_SIMILARITY, NULL, false},
    {TW_METRIC_R2_SCORE, "num_outputs=4", false},
    {TW_METRIC_TRUE_POSITIVES, "thresholds=[0.3,0.6]", false},
    {TW_METRIC_FALSE_POSITIVES, NULL, false},
    {TW_METRIC_TRUE_NEGATIVES, NULL, false},
    {TW_METRIC_FALSE_NEGATIVES, NULL, false},
    {TW_METRIC_SENSITIVITY_AT_SPECIFICITY, "value=0.5", false},
    {TW_METRIC_SPECIFICITY_AT_SENSITIVITY, "value=0.5", false},
    {TW_METRIC_PRECISION_AT_RECALL, "value=0.5", false},
    {TW_METRIC_RECALL_AT_PRECISION, "value=0.5", false},
    {TW_METRIC_HINGE, NULL, false},
    {TW_METRIC_SQUARED_HINGE, NULL, false},
    {TW_METRIC_CATEGORICAL_HINGE, NULL, false},
    {TW_METRIC_F_BETA_SCORE, "num_classes=4,beta=0.5,average=weighted", false},
    {TW_METRIC_F1_SCORE, "num_classes=4", false},
    {TW_METRIC_IOU, "num_classes=4,target_class_ids=[1,3],sparse_y_true=false,sparse_y_pred=false",
     false},
    {TW_METRIC_BINARY_IOU, NULL, false},
    {TW_METRIC_MEAN_IOU, "num_classes=4,sparse_y_true=false,sparse_y_pred=false", false},
    {TW_METRIC_ONE_HOT_IOU, "num_classes=4,target_class_ids=[0,2]", false},
    {TW_METRIC_ONE_HOT_MEAN_IOU, "num_classes=4", false},
    {TW_METRIC_PEARSON_CORRELATION, NULL, false},
    {TW_METRIC_CONCORDANCE_CORRELATION, NULL, false},
};

#define EN 8
#define ED 4

/* 8 samples of 4 values: binary targets (labels when sparse), scores in (0, 1). */
static void
every_data(float *yt, float *labels, float *yp, float *w)
{
    for (int i = 0; i < EN; i++) {
        labels[i] = (float)((i * 3) % ED);
        w[i] = 0.25f + 0.5f * (float)(i % 3);
        for (int j = 0; j < ED; j++) {
            yt[i * ED + j] = (float)(j == (int)labels[i]);
            yp[i * ED + j] = (float)((i * 7 + j * 5) % 11 + 1) / 12.0f;
        }
    }
}

static void
test_every_kind_streams_merges_resets(void **state)
{
    (void)state;
    float yt[EN * ED], labels[EN], yp[EN * ED], w[EN];
    every_data(yt, labels, yp, w);
    assert_int_equal(sizeof every / sizeof every[0], 27);
    for (size_t c = 0; c < sizeof every / sizeof every[0]; c++) {
        const any_case *k = &every[c];
        const float *t = k->sparse ? labels : yt;
        size_t half = k->sparse ? EN / 2 : EN / 2 * ED;
        tw_metric *whole = make(k->kind, k->opts), *a = make(k->kind, k->opts),
                  *b = make(k->kind, k->opts);
        assert_int_equal(tw_metric_update_state(whole, t, yp, w, EN, ED), 0);
        assert_int_equal(tw_metric_update_state(a, t, yp, w, EN / 2, ED), 0);
        assert_int_equal(
            tw_metric_update_state(b, t + half, yp + EN / 2 * ED, w + EN / 2, EN / 2, ED), 0);
        assert_int_equal(tw_metric_merge_state(a, b), 0);
        assert_same_state(a, whole);
        assert_close(tw_metric_result(a), tw_metric_result(whole), 1e-10, 1e-10);
        /* a second batch into a is the same as two batches into whole */
        assert_int_equal(tw_metric_update_state(a, t, yp, NULL, EN, ED), 0);
        assert_int_equal(tw_metric_update_state(whole, t, yp, NULL, EN, ED), 0);
        assert_same_state(a, whole);
        /* -EINVAL leaves the state as it was */
        size_t len;
        double *copy = tw_test_state_copy(a, &len);
        assert_int_equal(tw_metric_update_state(a, NULL, yp, NULL, EN, ED), -EINVAL);
        assert_int_equal(tw_metric_update_state(a, t, yp, NULL, EN, 0), -EINVAL);
        assert_state_unchanged(a, copy, len);
        free(copy);
        /* reset: the state of a new metric */
        tw_metric_reset_state(a);
        for (size_t i = 0; i < tw_metric_state_size(a); i++)
            assert_true(tw_metric_state(a)[i] == 0.0);
        /* another kind, or other options, do not merge */
        tw_metric *other = tw_metric_new(TW_METRIC_MEAN, NULL);
        assert_int_equal(tw_metric_merge_state(a, other), -EINVAL);
        tw_metric_destroy(&other);
        /* the options string rebuilds the same metric, which merges */
        tw_metric *again = make(k->kind, tw_metric_options_string(whole));
        assert_string_equal(tw_metric_options_string(again), tw_metric_options_string(whole));
        assert_int_equal(tw_metric_merge_state(again, whole), 0);
        assert_same_state(again, whole);
        tw_metric_destroy(&again);
        tw_metric_destroy(&whole);
        tw_metric_destroy(&a);
        tw_metric_destroy(&b);
    }
}

/* The unweighted one-value-a-sample loops (four partial sums; one flat loop over the
 * thresholds) give what the general path gives with weights of 1. */
static void
test_fast_paths_agree(void **state)
{
    (void)state;
    static const tw_metric_kind kinds[] = {TW_METRIC_KL_DIVERGENCE,
                                           TW_METRIC_POISSON,
                                           TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR,
                                           TW_METRIC_LOG_COSH_ERROR,
                                           TW_METRIC_HINGE,
                                           TW_METRIC_SQUARED_HINGE,
                                           TW_METRIC_R2_SCORE,
                                           TW_METRIC_TRUE_POSITIVES,
                                           TW_METRIC_TRUE_NEGATIVES};
    enum { N = 103 };
    float yt[N], yp[N], ones[N];
    for (int i = 0; i < N; i++) {
        yt[i] = (float)(i % 3 == 0);
        yp[i] = (float)((i * 37) % 101) / 100.0f;
        ones[i] = 1.0f;
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        tw_metric *fast = make(kinds[k], NULL), *slow = make(kinds[k], NULL);
        assert_int_equal(tw_metric_update_state(fast, yt, yp, NULL, N, 1), 0);
        assert_int_equal(tw_metric_update_state(slow, yt, yp, ones, N, 1), 0);
        assert_same_state(fast, slow);
        assert_true(tw_metric_state(fast)[0] != 0.0);
        tw_metric_destroy(&fast);
        tw_metric_destroy(&slow);
    }
    /* Hinge labels -1/1 are not mapped; with a NaN prediction the value is NaN */
    yp[5] = NAN;
    tw_metric *h = make(TW_METRIC_HINGE, NULL);
    assert_int_equal(tw_metric_update_state(h, yt, yp, NULL, N, 1), 0);
    assert_true(isnan(tw_metric_result(h)));
    tw_metric_destroy(&h);
}

static void
test_other_options_do_not_merge(void **state)
{
    (void)state;
    tw_metric *a = make(TW_METRIC_F1_SCORE, "num_classes=3,average=macro");
    tw_metric *b = make(TW_METRIC_F1_SCORE, "num_classes=3,average=weighted");
    tw_metric *c = make(TW_METRIC_F1_SCORE, "average=macro, num_classes=3");
    assert_int_equal(tw_metric_merge_state(a, b), -EINVAL); /* same size, other average */
    assert_int_equal(tw_metric_merge_state(a, c), 0);       /* the same, spelt otherwise */
    tw_metric_destroy(&a);
    tw_metric_destroy(&b);
    tw_metric_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_losses_keras_docstrings),
        cmocka_unit_test(test_hinge_label_rule),
        cmocka_unit_test(test_sparse_ce_logits_and_ignore),
        cmocka_unit_test(test_correlations_keras_docstrings),
        cmocka_unit_test(test_r2),
        cmocka_unit_test(test_counts_keras_docstrings),
        cmocka_unit_test(test_at_keras_docstrings),
        cmocka_unit_test(test_precision_recall_new_options),
        cmocka_unit_test(test_fbeta_keras_docstrings),
        cmocka_unit_test(test_iou_keras_docstrings),
        cmocka_unit_test(test_iou_ignore_and_bad_labels),
        cmocka_unit_test(test_every_kind_streams_merges_resets),
        cmocka_unit_test(test_fast_paths_agree),
        cmocka_unit_test(test_other_options_do_not_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
