/* test_metric_elementwise.c - the elementwise kinds that take logarithms (KLDivergence,
 * Poisson, MeanSquaredLogarithmicError, LogCoshError) against their Keras formulas computed
 * here in float32 with libm: random batches, and batches with a special value (NaN, +-inf,
 * 0, negative, denormal, huge) in y_true or y_pred, which the unweighted loop must take
 * through its slower block with the special cases. The unweighted loop, the weighted path
 * and the stateless functions (tw_metric_fn) must agree. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <float.h>
#include <math.h>

#include "metric_testutil.h"

#define EPS 1e-7f
#define N   300 /* more than one block of the unweighted loop (256) */

/* One element as Keras computes it, in float32, with libm; *scale: the size of its terms,
 * which a difference of an ulp in a logarithm moves the value by (relative to them). */
static float
reference(tw_metric_kind kind, float t, float p, double *scale)
{
    switch (kind) {
    case TW_METRIC_KL_DIVERGENCE: {
        float ct = t < EPS ? EPS : (t > 1.0f ? 1.0f : t),
              cp = p < EPS ? EPS : (p > 1.0f ? 1.0f : p);
        float v = ct * logf(ct / cp);
        *scale = fabs(v);
        return v;
    }
    case TW_METRIC_POISSON: {
        float l = logf(p + EPS);
        *scale = fabs(p) + fabs(t * l);
        return p - t * l;
    }
    case TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR: {
        float la = logf(fmaxf(p, EPS) + 1.0f), lb = logf(fmaxf(t, EPS) + 1.0f), e = la - lb;
        *scale = 2.0 * ((double)la + lb) * ((double)la + lb);
        return e * e;
    }
    default: {
        float x = p - t, z = -2.0f * x;
        *scale = 2.0 * fabs(x) + 1.0;
        return x + (fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)))) - 0.69314718f;
    }
    }
}

static const tw_metric_kind kinds[] = {TW_METRIC_KL_DIVERGENCE, TW_METRIC_POISSON,
                                       TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR,
                                       TW_METRIC_LOG_COSH_ERROR};
static const char *const fn_names[] = {"kl_divergence", "poisson", "mean_squared_logarithmic_error",
                                       "log_cosh"};

/* Each logarithm within 1 ulp of libm's moves an element by a few float ulp of its terms'
 * size: 1e-6 of it, and 1e-7 absolute. */
#define ATOL 1e-7
#define RTOL 1e-6

/* The batch through the unweighted loop, the weighted path (weights 1) and tw_metric_fn,
 * each against the reference: the total, and every sample's value. */
static void
check_batch(size_t k, const float *yt, const float *yp)
{
    double want = 0.0, tol = 0.0, scale;
    double out[N];
    float ones[N];
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0f;
    assert_int_equal(tw_metric_fn(fn_names[k], NULL, yt, yp, N, 1, out), N);
    for (size_t i = 0; i < N; i++) {
        float r = reference(kinds[k], yt[i], yp[i], &scale);
        double t = ATOL + RTOL * (isfinite(scale) ? scale : 0.0);
        if (!tw_test_close(out[i], r, t, 0.0))
            fail_msg("%s(%a, %a) = %.9g, libm's formula %.9g", fn_names[k], (double)yt[i],
                     (double)yp[i], out[i], (double)r);
        want += r;
        tol += t;
    }
    tw_metric *fast = tw_metric_new(kinds[k], NULL), *slow = tw_metric_new(kinds[k], NULL);
    assert_non_null(fast);
    assert_non_null(slow);
    assert_int_equal(tw_metric_update_state(fast, yt, yp, NULL, N, 1), 0);
    assert_int_equal(tw_metric_update_state(slow, yt, yp, ones, N, 1), 0);
    assert_close(tw_metric_state(fast)[0], want, tol, 0.0);
    assert_close(tw_metric_state(slow)[0], tw_metric_state(fast)[0], TOL_DOUBLE);
    assert_close(tw_metric_state(fast)[1], (double)N, 0.0, 0.0);
    tw_metric_destroy(&fast);
    tw_metric_destroy(&slow);
}

/* y_pred in (0, 1], y_true 0/1 (as the benchmark), then both in (0, 1], then wide values
 * (MSLE and LogCosh see large arguments, Poisson large predictions). */
static void
fill(float *yt, float *yp, int pattern, uint32_t *seed)
{
    for (size_t i = 0; i < N; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        float u = (float)(*seed >> 8) / 16777216.0f + 1e-6f;
        *seed = *seed * 1664525u + 1013904223u;
        float v = (float)(*seed >> 8) / 16777216.0f;
        yp[i] = pattern == 2 ? u * 200.0f - 50.0f : u;
        yt[i] = pattern == 0 ? (float)(v < u) : pattern == 1 ? v : v * 100.0f;
    }
}

static void
test_random_batches(void **state)
{
    (void)state;
    float yt[N], yp[N];
    uint32_t seed = 12345;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int pattern = 0; pattern < 3; pattern++) {
            fill(yt, yp, pattern, &seed);
            check_batch(k, yt, yp);
        }
}

/* One special value in a batch of ordinary ones, in y_true or in y_pred, in the first
 * block or the last: NaN and the infinities propagate as libm's formula has them, the
 * others give its finite values. */
static void
test_special_values(void **state)
{
    (void)state;
    static const float specials[] = {NAN,  INFINITY, -INFINITY, 0.0f,   -0.0f,  -0.5f,
                                     -EPS, 1e-40f,   EPS,       1e-30f, 1e30f,  -1e30f,
                                     1.0f, 2.0f,     -100.0f,   100.0f, FLT_MAX};
    float yt[N], yp[N];
    uint32_t seed = 777;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t s = 0; s < sizeof specials / sizeof specials[0]; s++)
            for (int where = 0; where < 4; where++) {
                fill(yt, yp, 1, &seed);
                size_t at = where < 2 ? 7 : N - 3;
                (where % 2 ? yt : yp)[at] = specials[s];
                check_batch(k, yt, yp);
            }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_batches),
        cmocka_unit_test(test_special_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
