/* test_vmath.c - vmath.h's float log and exp against glibc's logf and expf:
 * a sweep of every 509th float (all signs and exponents: zeros, denormals, normals, inf,
 * NaN) and every float of the ranges where the metrics call them, within 1 ulp (an
 * exhaustive run over all 2^32 floats found 1 ulp at most for each), and the special values
 * one by one; tw_vlogcoshf against log(cosh(x)) computed in double, within a stated bound,
 * and at its special values. The values are computed a block at a time in a plain loop, the way the
 * metric kernels call them, so that an optimised build checks the vectorised code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmath.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define MAX_ULP 1.0
#define BLOCK   1024

enum fn { LOG, EXP };

/* Distance from got to want in units of want's last place (denormals: 2^-149). A NaN wants
 * a NaN and an infinity (or an exact zero's sign aside, any exact value) wants itself; a
 * mismatch there is infinitely far. */
static double
ulps(float got, float want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got) ? 0.0 : INFINITY;
    if (isinf(want) || isinf(got))
        return got == want ? 0.0 : INFINITY;
    int e = want == 0.0f ? -149 : ilogbf(want) - 23;
    return fabs((double)got - (double)want) / ldexp(1.0, e < -149 ? -149 : e);
}

static float
libm(enum fn f, float x)
{
    return f == LOG ? logf(x) : expf(x);
}

/* out[i] = f(in[i]) for a block, each function's loop on its own so that it vectorises. */
static void
apply(enum fn f, const float *in, float *out, size_t n)
{
    if (f == LOG)
        for (size_t i = 0; i < n; i++)
            out[i] = tw_vlogf(in[i]);
    else
        for (size_t i = 0; i < n; i++)
            out[i] = tw_vexpf(in[i]);
}

/* The worst error of f over the float bit patterns first, first + step, ... <= last; fails
 * at the first value over MAX_ULP. */
static double
sweep(enum fn f, uint32_t first, uint32_t last, uint32_t step)
{
    static const char *const name[] = {"log", "exp"};
    float in[BLOCK], out[BLOCK];
    double worst = 0.0;
    uint64_t b = first;
    while (b <= last) {
        size_t n = 0;
        for (; n < BLOCK && b <= last; n++, b += step) {
            uint32_t u = (uint32_t)b;
            memcpy(&in[n], &u, sizeof u);
        }
        apply(f, in, out, n);
        for (size_t i = 0; i < n; i++) {
            double e = ulps(out[i], libm(f, in[i]));
            if (e > MAX_ULP)
                fail_msg("%s(%a) = %a, libm %a: %.1f ulp", name[f], (double)in[i], (double)out[i],
                         (double)libm(f, in[i]), e);
            worst = e > worst ? e : worst;
        }
    }
    return worst;
}

static uint32_t
bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void
test_sweep_all_floats(void **state)
{
    (void)state;
    for (enum fn f = LOG; f <= EXP; f++)
        assert_true(sweep(f, 0, UINT32_MAX, 509) <= MAX_ULP);
}

/* Where the metrics use them, densely: every float of the binade either side of 1 for log
 * (where the reduction changes), every 61st of [1e-7, 1e7] (MSLE, Poisson and KLD take logs
 * there), exp of [-4, 0), and every float at exp's denormal and overflow edges. */
static void
test_dense_ranges(void **state)
{
    (void)state;
    assert_true(sweep(LOG, bits(0.5f), bits(2.0f), 1) <= MAX_ULP);
    assert_true(sweep(LOG, bits(1e-7f), bits(1e7f), 61) <= MAX_ULP);
    assert_true(sweep(EXP, bits(-0x1p-12f), bits(-4.0f), 13) <= MAX_ULP);
    assert_true(sweep(EXP, bits(-87.0f), bits(-110.0f), 1) <= MAX_ULP);
    assert_true(sweep(EXP, bits(88.0f), bits(89.0f), 1) <= MAX_ULP);
}

/* The _normal variants give the general functions' value, bit for bit, on their domains:
 * log of [2^-126, FLT_MAX], exp of [-87, 88]. */
static void
test_normal_variants(void **state)
{
    (void)state;
    const struct {
        enum fn f;
        uint32_t from, to; /* bit patterns, every 101st between */
    } ranges[] = {
        {LOG, bits(0x1p-126f), bits(FLT_MAX)},
        {EXP, bits(0.0f), bits(88.0f)},
        {EXP, bits(-0.0f), bits(-87.0f)},
    };
    float in[BLOCK], a[BLOCK], b[BLOCK];
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        const enum fn f = ranges[r].f;
        for (uint64_t x = ranges[r].from; x <= ranges[r].to;) {
            size_t n = 0;
            for (; n < BLOCK && x <= ranges[r].to; n++, x += 101) {
                uint32_t u = (uint32_t)x;
                memcpy(&in[n], &u, sizeof u);
            }
            apply(f, in, a, n);
            for (size_t i = 0; i < n; i++)
                b[i] = f == LOG ? tw_vlogf_normal(in[i]) : tw_vexpf_normal(in[i]);
            for (size_t i = 0; i < n; i++)
                if (bits(a[i]) != bits(b[i]))
                    fail_msg("function %d at %a: %a, its _normal variant %a", (int)f, (double)in[i],
                             (double)a[i], (double)b[i]);
        }
    }
}

/* The values libm gives at the edges, exactly. */
static void
test_special_values(void **state)
{
    (void)state;
    const float eps = 1e-7f, dmin = 0x1p-149f;
    assert_true(tw_vlogf(0.0f) == -INFINITY && tw_vlogf(-0.0f) == -INFINITY);
    assert_true(isnan(tw_vlogf(-1.0f)) && isnan(tw_vlogf(-dmin)) && isnan(tw_vlogf(-INFINITY)));
    assert_true(tw_vlogf(INFINITY) == INFINITY && isnan(tw_vlogf(NAN)));
    assert_true(tw_vlogf(1.0f) == 0.0f);
    assert_true(ulps(tw_vlogf(dmin), logf(dmin)) <= MAX_ULP);
    assert_true(ulps(tw_vlogf(eps), logf(eps)) <= MAX_ULP);
    assert_true(ulps(tw_vlogf(0x1p-127f), logf(0x1p-127f)) <= MAX_ULP);
    assert_true(ulps(tw_vlogf(3.4e38f), logf(3.4e38f)) <= MAX_ULP);

    assert_true(tw_vexpf(0.0f) == 1.0f && tw_vexpf(-0.0f) == 1.0f);
    assert_true(tw_vexpf(-INFINITY) == 0.0f && tw_vexpf(-200.0f) == 0.0f);
    assert_true(tw_vexpf(INFINITY) == INFINITY && tw_vexpf(89.0f) == INFINITY);
    assert_true(tw_vexpf(1e30f) == INFINITY && isnan(tw_vexpf(NAN)));
    assert_true(ulps(tw_vexpf(-103.0f), expf(-103.0f)) <= MAX_ULP); /* a denormal */
    assert_true(ulps(tw_vexpf(88.7f), expf(88.7f)) <= MAX_ULP);
}

/* log(cosh(x)) in double with libm (cosh overflows a double beyond 710: there it is
 * |x| - log 2 to double precision). */
static double
logcosh_ref(float x)
{
    const double a = fabs((double)x);
    return a < 700.0 ? log(cosh(a)) : a - log(2.0);
}

/* tw_vlogcoshf's bound: within LOGCOSH_TOL (7e-8 + 2^-23 |x|) of log(cosh(x)) for finite
 * x, |x| <= 2^126 (Keras's formula in float32 with glibc's expf and log1pf: 1.3 of it at
 * worst, the rounding of its sums; tw_vlogcoshf 1.39 over every 7th float of [-256, 256]).
 * Every `step`th float from `first` to `last` (bit patterns), both signs, a block at a time. */
#define LOGCOSH_TOL 1.5
static void
sweep_logcosh(uint32_t first, uint32_t last, uint32_t step)
{
    float in[BLOCK], out[BLOCK];
    for (uint64_t b = first; b <= last;) {
        size_t n = 0;
        for (; n + 1 < BLOCK && b <= last; n += 2, b += step) {
            uint32_t u = (uint32_t)b;
            memcpy(&in[n], &u, sizeof u);
            in[n + 1] = -in[n];
        }
        for (size_t i = 0; i < n; i++)
            out[i] = tw_vlogcoshf(in[i]);
        for (size_t i = 0; i < n; i++) {
            const double want = logcosh_ref(in[i]);
            const double bound = LOGCOSH_TOL * (7e-8 + ldexp(fabs((double)in[i]), -23));
            if (!(fabs(out[i] - want) <= bound))
                fail_msg("logcosh(%a) = %.9g, libm in double %.12g, bound %.3g", (double)in[i],
                         (double)out[i], want, bound);
        }
    }
}

/* Every 257th float up to 2^126, and every 3rd of [1/16, 4], where the sums round most. */
static void
test_logcosh_sweep(void **state)
{
    (void)state;
    sweep_logcosh(0, bits(0x1p126f), 257);
    sweep_logcosh(bits(0.0625f), bits(4.0f), 3);
}

/* The special values come out as from Keras's formula, x + softplus(-2x) - log 2, in float:
 * NaN, +inf, -inf (NaN: -inf + inf), 0, denormals (0: x^2 / 2 underflows), huge. */
static void
test_logcosh_special(void **state)
{
    (void)state;
    const float dmin = 0x1p-149f;
    assert_true(isnan(tw_vlogcoshf(NAN)) && isnan(tw_vlogcoshf(-NAN)));
    assert_true(tw_vlogcoshf(INFINITY) == INFINITY && isnan(tw_vlogcoshf(-INFINITY)));
    assert_true(tw_vlogcoshf(0.0f) == 0.0f && tw_vlogcoshf(-0.0f) == 0.0f);
    assert_true(tw_vlogcoshf(dmin) == 0.0f && tw_vlogcoshf(-dmin) == 0.0f);
    assert_true(tw_vlogcoshf(1e-40f) == 0.0f && tw_vlogcoshf(-1e-40f) == 0.0f);
    assert_true(tw_vlogcoshf(1e30f) == 1e30f && tw_vlogcoshf(-1e30f) == 1e30f);
    assert_true(tw_vlogcoshf(FLT_MAX) == FLT_MAX);
    assert_true(tw_vlogcoshf(-FLT_MAX) == INFINITY); /* -2x overflows, as in Keras's formula */
    assert_true(tw_vlogcoshf(100.0f) == 100.0f - 0.69314718f);
    assert_true(fabs(tw_vlogcoshf(1.0f) - logcosh_ref(1.0f)) <= 1e-7);
}

/* The measure itself: one ulp is one ulp, NaN and infinities only match themselves. */
static void
test_ulps(void **state)
{
    (void)state;
    assert_true(ulps(1.0f, 1.0f) == 0.0);
    assert_true(ulps(nextafterf(1.0f, 2.0f), 1.0f) == 1.0);
    assert_true(ulps(0x1p-149f, 0.0f) == 1.0);
    assert_true(ulps(NAN, 1.0f) == INFINITY && ulps(1.0f, NAN) == INFINITY);
    assert_true(ulps(INFINITY, 3e38f) == INFINITY && ulps(-INFINITY, -INFINITY) == 0.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ulps),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_normal_variants),
        cmocka_unit_test(test_dense_ranges),
        cmocka_unit_test(test_sweep_all_floats),
        cmocka_unit_test(test_logcosh_special),
        cmocka_unit_test(test_logcosh_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
