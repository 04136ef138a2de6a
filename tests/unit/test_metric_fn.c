/* test_metric_fn.c - tw_metric_fn, Keras's stateless metric functions: Keras's docstring
 * values and hand-worked ones, options, per-element binary_accuracy, -EINVAL paths, and a
 * function's values fed to a Mean giving the metric's value (the custom-metric path). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>

#include "metric_testutil.h"

/* fn(y_true, y_pred) over n samples of d values gives want[0 .. count). */
static void
check(const char *name, const char *opts, const float *yt, const float *yp, size_t n, size_t d,
      const double *want, int count, double atol)
{
    double out[16];
    int rc = tw_metric_fn(name, opts, yt, yp, n, d, out);
    if (rc != count)
        fail_msg("%s: returned %d, expected %d", name, rc, count);
    for (int i = 0; i < count; i++)
        if (!tw_test_close(out[i], want[i], atol, 1e-5))
            fail_msg("%s(%s)[%d] = %.9g, expected %.9g", name, opts ? opts : "", i, out[i],
                     want[i]);
}

static const float yt_01[4] = {0, 1, 0, 0}, yp_64[4] = {0.6f, 0.4f, 0.4f, 0.6f};

static void
test_keras_docstrings(void **state)
{
    (void)state;
    const float ba_t[4] = {1, 1, 0, 0}, ba_p[4] = {1, 1, 0, 0.6f};
    check("binary_accuracy", NULL, ba_t, ba_p, 2, 2, (double[]){1, 1, 1, 0}, 4, 0);
    check("binary_accuracy", "threshold=0.7", ba_t, ba_p, 4, 1, (double[]){1, 1, 1, 1}, 4, 0);
    const float ca_t[6] = {0, 0, 1, 0, 1, 0}, ca_p[6] = {0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0};
    check("categorical_accuracy", NULL, ca_t, ca_p, 2, 3, (double[]){0, 1}, 2, 0);
    const float labels[2] = {2, 1};
    check("sparse_categorical_accuracy", NULL, labels, ca_p, 2, 3, (double[]){0, 1}, 2, 0);
    check("top_k_categorical_accuracy", "k=3", ca_t, ca_p, 2, 3, (double[]){1, 1}, 2, 0);
    check("top_k_categorical_accuracy", "k=1", ca_t, ca_p, 2, 3, (double[]){0, 1}, 2, 0);
    check("sparse_top_k_categorical_accuracy", "k=3", labels, ca_p, 2, 3, (double[]){1, 1}, 2, 0);
    check("binary_crossentropy", NULL, yt_01, yp_64, 2, 2, (double[]){0.916291, 0.7135582}, 2,
          1e-5);
    const float cc_t[6] = {0, 1, 0, 0, 0, 1}, cc_p[6] = {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f};
    check("categorical_crossentropy", NULL, cc_t, cc_p, 2, 3, (double[]){0.0512933, 2.3025851}, 2,
          1e-5);
    const float sl[2] = {1, 2};
    check("sparse_categorical_crossentropy", NULL, sl, cc_p, 2, 3, (double[]){0.0512933, 2.3025851},
          2, 1e-5);
    check("binary_focal_crossentropy", "gamma=2", yt_01, yp_64, 2, 2, (double[]){0.330, 0.206}, 2,
          1e-3);
    check("huber", NULL, yt_01, yp_64, 2, 2, (double[]){0.18, 0.13}, 2, 1e-6);
    const float yp_11[4] = {1, 1, 0, 0};
    check("log_cosh", NULL, yt_01, yp_11, 2, 2, (double[]){0.21689, 0}, 2, 1e-5);
    check("kl_divergence", NULL, yt_01, yp_64, 2, 2, (double[]){0.916291, 0}, 2, 1e-5);
    const float pt[6] = {0, 1, 0.5f, 1, 1, 0.2f}, pp[6] = {0.1f, 0.9f, 0.5f, 1, 0.9f, 0.2f};
    check("pearson_correlation", NULL, pt, pp, 2, 3, (double[]){1.0, 0.99339927}, 2, 1e-5);
    check("concordance_correlation", NULL, pt, pp, 2, 3, (double[]){0.97560976, 0.98765432}, 2,
          1e-5);
}

/* Worked by hand from the reference's formulas. */
static void
test_hand_worked(void **state)
{
    (void)state;
    /* categorical focal: alpha (1 - p)^gamma (-log p) at the true class: .25·.05²·-log .95 and
     * .25·.9²·-log .1 */
    const float cc_t[6] = {0, 1, 0, 0, 0, 1}, cc_p[6] = {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f};
    check("categorical_focal_crossentropy", NULL, cc_t, cc_p, 2, 3,
          (double[]){0.25 * 0.0025 * -log(0.95), 0.25 * 0.81 * -log(0.1)}, 2, 1e-6);
    /* binary focal with class balancing: weight alpha for y = 1, 1 - alpha for y = 0 */
    const float t1[1] = {1}, p1[1] = {0.25f};
    check("binary_focal_crossentropy", "apply_class_balancing=true,alpha=0.5,gamma=1", t1, p1, 1, 1,
          (double[]){0.5 * 0.75 * -log(0.25)}, 1, 1e-6);
    /* huber beyond delta: delta |e| - delta² / 2 */
    const float h_t[1] = {0}, h_p[1] = {3};
    check("huber", "delta=2", h_t, h_p, 1, 1, (double[]){2 * 3 - 2}, 1, 1e-9);
    /* the regression errors, one row of [1, 2] against [3, 2] */
    const float r_t[2] = {1, 2}, r_p[2] = {3, 2};
    check("mean_squared_error", NULL, r_t, r_p, 1, 2, (double[]){2}, 1, 1e-9);
    check("mean_absolute_error", NULL, r_t, r_p, 1, 2, (double[]){1}, 1, 1e-9);
    check("mean_absolute_percentage_error", NULL, r_t, r_p, 1, 2, (double[]){100}, 1, 1e-6);
    check("mean_squared_logarithmic_error", NULL, r_t, r_p, 1, 2,
          (double[]){pow(log(4.0) - log(2.0), 2) / 2}, 1, 1e-6);
    check("poisson", NULL, r_t, r_p, 1, 2, (double[]){((3 - log(3)) + (2 - 2 * log(2))) / 2}, 1,
          1e-6);
    /* hinge: a batch of 0/1 labels is mapped to -1/1, across the whole batch */
    const float hg_t[2] = {0, 1}, hg_p[2] = {0.5f, 0.5f};
    check("hinge", NULL, hg_t, hg_p, 2, 1, (double[]){1.5, 0.5}, 2, 1e-6);
    check("squared_hinge", NULL, hg_t, hg_p, 2, 1, (double[]){2.25, 0.25}, 2, 1e-6);
    const float ch_t[2] = {0, 1}, ch_p[2] = {0.3f, 0.6f};
    check("categorical_hinge", NULL, ch_t, ch_p, 1, 2, (double[]){1 - 0.6 + 0.3}, 1, 1e-6);
    /* from_logits: logits [0, ln 3] are p = [1/4, 3/4] */
    const float lg[2] = {0, (float)log(3.0)}, one[1] = {1};
    check("sparse_categorical_crossentropy", "from_logits=true", one, lg, 1, 2,
          (double[]){-log(0.75)}, 1, 1e-6);
    const float bt[1] = {1}, bl[1] = {0};
    check("binary_crossentropy", "from_logits=true,axis=-1", bt, bl, 1, 1, (double[]){log(2.0)}, 1,
          1e-6);
}

static void
test_refusals(void **state)
{
    (void)state;
    const float t[2] = {0, 1}, p[2] = {0.5f, 0.5f};
    double out[2] = {7, 7};
    assert_int_equal(tw_metric_fn("no_such_function", NULL, t, p, 1, 2, out), -EINVAL);
    assert_int_equal(tw_metric_fn(NULL, NULL, t, p, 1, 2, out), -EINVAL);
    assert_int_equal(tw_metric_fn("hinge", NULL, NULL, p, 1, 2, out), -EINVAL);
    assert_int_equal(tw_metric_fn("hinge", NULL, t, p, 1, 0, out), -EINVAL);
    assert_int_equal(tw_metric_fn("hinge", NULL, t, p, 1, 2, NULL), -EINVAL);
    assert_int_equal(tw_metric_fn("hinge", "delta=1", t, p, 1, 2, out), -EINVAL);
    assert_int_equal(tw_metric_fn("huber", "delta=-1", t, p, 1, 2, out), -EINVAL);
    assert_int_equal(tw_metric_fn("binary_accuracy", "threshold=2", t, p, 1, 2, out), -EINVAL);
    const float bad[1] = {5};
    assert_int_equal(tw_metric_fn("sparse_categorical_accuracy", NULL, bad, p, 1, 2, out), -EINVAL);
    assert_true(out[0] == 7 && out[1] == 7); /* nothing written */
    assert_int_equal(tw_metric_fn("hinge", NULL, t, p, 0, 2, out), 0);
}

/* A function's per-sample values fed to a Mean give the Keras metric's value: the custom
 * metric path. */
static void
test_values_feed_a_mean(void **state)
{
    (void)state;
    const float yt[6] = {0, 1, 1, 0, 1, 0}, yp[6] = {0.2f, 0.7f, 0.9f, 0.4f, 0.6f, 0.1f};
    double v[3];
    assert_int_equal(tw_metric_fn("poisson", NULL, yt, yp, 3, 2, v), 3);
    tw_metric *mean = tw_metric_new(TW_METRIC_MEAN, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tw_metric_update_scalar(mean, v[i], 1.0), 0);
    tw_metric *poisson = tw_metric_new(TW_METRIC_POISSON, NULL);
    assert_int_equal(tw_metric_update_state(poisson, yt, yp, NULL, 3, 2), 0);
    assert_close(tw_metric_result(mean), tw_metric_result(poisson), 1e-9, 1e-9);
    tw_metric_destroy(&mean);
    tw_metric_destroy(&poisson);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keras_docstrings),
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_values_feed_a_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
