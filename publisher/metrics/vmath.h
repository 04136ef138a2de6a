/* vmath.h - float log, exp and log cosh without branches or calls, so that a loop
 * over them vectorises (SSE2 is enough; libm's logf/expf/log1pf are calls gcc cannot
 * vectorise).
 *
 * The elementwise metric kernels (metric_regression.c) call these per element. They are
 * Cephes's single-precision algorithms (S. L. Moshier): an exponent/mantissa split with
 * the mantissa in [sqrt(1/2), sqrt(2)) and a degree-8 polynomial for log, a Cody-Waite
 * reduction by ln 2 in two parts and a degree-5 polynomial for exp, both evaluated by
 * Estrin's scheme (a dependent chain half as long as Horner's, which the loops were bound
 * by). The special cases are selects, not
 * branches, and give what libm gives: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf,
 * exp(-inf) = 0, exp(x > ~88.72) = inf, NaN in NaN out; denormal arguments and results are
 * handled (log scales a denormal by 2^23, exp builds 2^n from two normal halves). The
 * _normal variants leave the special cases out, for callers that know their arguments
 * avoid them: the same values, a third fewer operations. LogCoshError's log cosh has its
 * own log1p, of [0, 1] only (no exponent split, no special cases): see tw_vlogcoshf.
 *
 * Accuracy: within 1 ulp of glibc's logf and expf for every one of the 2^32 floats
 * (checked exhaustively once; tests/unit/test_vmath.c sweeps every 509th float and the
 * ranges the metrics use densely). Loops over them vectorise with gcc -O3 and
 * -fno-trapping-math (meson.build's vmath_args). Pure arithmetic, no state: safe from any
 * thread. */
#ifndef TW_VMATH_H
#define TW_VMATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* f's bits, and back (memcpy is C's defined way to pun types; it compiles to nothing). */
static inline uint32_t
tw_vmath_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float
tw_vmath_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* u's bits as a signed integer (int32_t is two's complement), which >> shifts
 * arithmetically (in C that is the implementation's choice: checked here). */
_Static_assert((-8 >> 1) == -4, "vmath.h needs >> of a negative int to be arithmetic");
static inline int32_t
tw_vmath_signed(uint32_t u)
{
    int32_t i;
    memcpy(&i, &u, sizeof i);
    return i;
}

/* 2^n as a float, for n in [-126, 127]. */
static inline float
tw_vmath_pow2(int32_t n)
{
    return tw_vmath_float((uint32_t)(n + 127) << 23);
}

/* log(x) - k ln 2, for x positive, normal and finite (anything else gives garbage): k the
 * power of 2 a denormal was scaled by. */
static inline float
tw_vmath_log_core(float x, int32_t k)
{
    /* x = 2^n (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)): offset by sqrt(1/2)'s bits */
    const uint32_t u = tw_vmath_bits(x) - 0x3f3504f3u;
    const int32_t n = (tw_vmath_signed(u) >> 23) - k; /* >> is arithmetic: asserted above */
    const float m = tw_vmath_float((u & 0x7fffffu) + 0x3f3504f3u) - 1.0f;
    const float fn = (float)n, z = m * m;
    /* Cephes's degree-8 polynomial, c0 m^8 + ... + c8, in pairs and powers of m^2
     * (Estrin's scheme): half the dependent chain of Horner's, as many operations */
    const float f0 = m * -2.4999993993e-1f + 3.3333331174e-1f;
    const float f1 = m * -1.6668057665e-1f + 2.0000714765e-1f;
    const float f2 = m * -1.2420140846e-1f + 1.4249322787e-1f;
    const float f3 = m * -1.1514610310e-1f + 1.1676998740e-1f;
    const float p = f0 + z * (f1 + z * (f2 + z * (f3 + z * 7.0376836292e-2f)));
    float y = p * m * z;
    y += fn * -2.12194440e-4f; /* ln 2 = 0.693359375 - 2.12194440e-4, the first part exact */
    y += -0.5f * z;
    return (m + y) + fn * 0.693359375f;
}

/* Natural logarithm of x. */
static inline float
tw_vlogf(float x)
{
    /* Every operation is done unconditionally and the results selected: a conditional
     * floating-point operation (which might trap) keeps gcc from vectorising the loop. */
    const bool sub = x < 0x1p-126f; /* denormal (also 0 and negatives, fixed up below) */
    const float scaled = x * 0x1p23f;
    float r = tw_vmath_log_core(sub ? scaled : x, sub ? 23 : 0);
    r = x == 0.0f ? -INFINITY : r;
    r = x < 0.0f ? NAN : r;
    r = x == INFINITY ? INFINITY : r;
    return x != x ? x + x : r; /* NaN (quieted) */
}

/* tw_vlogf(x) for x known to be positive, normal and finite (2^-126 <= x <= FLT_MAX), the
 * same value without the special cases' selects (a third fewer operations); anything else
 * gives garbage. */
static inline float
tw_vlogf_normal(float x)
{
    return tw_vmath_log_core(x, 0);
}

/* e^x = p 2^n for x in [-104, 89]: returns p; *kbits holds n in its low bits, as
 * 0x4b400000 + n (the float 1.5 * 2^23 + n). */
static inline float
tw_vmath_exp_core(float x, uint32_t *kbits)
{
    /* n by the 1.5 * 2^23 trick (adding it rounds to an integer), exact for |n| < 2^22 */
    const float k = x * 1.44269504088896341f + 0x1.8p23f;
    *kbits = tw_vmath_bits(k);
    const float fn = k - 0x1.8p23f;
    float r = x - fn * 0.693359375f; /* exact: fn has at most 8 bits, the constant 9 */
    r = r + fn * 2.12194440e-4f;
    const float z = r * r;
    /* Cephes's degree-5 polynomial in pairs and powers of r^2, as log's */
    const float a = r * 1.9875691500e-4f + 1.3981999507e-3f;
    const float b = r * 8.3334519073e-3f + 4.1665795894e-2f;
    const float d = r * 1.6666665459e-1f + 5.0000001201e-1f;
    const float p = (a * z + b) * z + d;
    return p * z + r + 1.0f;
}

/* e^x. */
static inline float
tw_vexpf(float x)
{
    /* beyond these the result is inf or 0 anyway; NaN fails both tests and stays */
    float c = x > 89.0f ? 89.0f : x;
    c = c < -104.0f ? -104.0f : c;
    uint32_t kbits;
    const float p = tw_vmath_exp_core(c, &kbits);
    const int32_t n = (int32_t)(kbits & 0x7fffffu) - 0x400000;
    /* 2^n for n in [-150, 129] as two normal halves, so that a denormal or an infinite
     * result is rounded once, by the last multiplication */
    const int32_t h = n / 2;
    return p * tw_vmath_pow2(h) * tw_vmath_pow2(n - h);
}

/* tw_vexpf(x) for x known to be in [-87, 88] (where 2^n is a normal float), the same value
 * without the clamps and with 2^n in one piece; anything else gives garbage. */
static inline float
tw_vexpf_normal(float x)
{
    uint32_t kbits;
    const float p = tw_vmath_exp_core(x, &kbits);
    /* 2^n's bits: n << 23 (0x4b400000 << 23 wraps to 0) plus 1.0f's */
    return p * tw_vmath_float((kbits << 23) + 0x3f800000u);
}

/* log(1 + u) for u in [0, 1], with no exponent to take apart and no special case: 1 + u is
 * 2^k (1 + f) with k = 0, f = u for u <= 1/2 and k = 1, f = (u - 1) / 2 above; then with
 * s = f / (2 + f) = (u - k) / (u + 2 + k) (u - 1 is exact, u + 2 + 1 rounded once),
 * |s| <= 1/5, log(1 + f) = 2 atanh(s) = 2s + s^3 P(s^2), P a degree-2 minimax polynomial in
 * s^2 on [0, 1/25] (fitted for the absolute error: 7.7e-10 with its float coefficients,
 * under the rounding of s). Anything else gives garbage. */
static inline float
tw_vmath_log1p_unit(float u)
{
    /* k (0 or 1) from an all-ones mask's bits, not a select (which gcc turns into two
     * copies of what follows, two divisions included) */
    const uint32_t mask = 0u - (uint32_t)(u > 0.5f);
    const float k = tw_vmath_float(mask & 0x3f800000u);
    const float s = (u - k) / ((u + 2.0f) + k), w = s * s; /* f / (2 + f) */
    const float p = (w * 3.0484831333e-1f + 3.9950397611e-1f) * w + 6.6667050123e-1f;
    return ((s + s) + (s * w) * p) + tw_vmath_float(mask & 0x3f317218u); /* + k ln 2 */
}

/* log(cosh(x)) as Keras computes it, x + softplus(-2x) - log 2, softplus(z) as
 * max(z, 0) + log1p(exp(-|z|)), where exp(-|z|) is in [0, 1]: the exp only for arguments in
 * [-87, 0] (below, log1p(exp) < 2^-125 vanishes beside |z| / 2 > 43 in the sum) and
 * tw_vmath_log1p_unit for its log1p. No special cases to select: NaN, the infinities and
 * overflow come out of the sum as they do from Keras's formula in float32 (NaN in NaN out,
 * +inf gives +inf, -inf NaN, x < -2^127 +inf, as -2x overflows). Within 1.5 (7e-8 +
 * 2^-23 |x|) of log(cosh(x)) for |x| <= 2^126 (tests/unit/test_vmath.c; 1.39 at worst over
 * every 7th float of [-256, 256], Keras's formula with glibc's expf and log1pf 1.30: the
 * rounding of its sums). */
static inline float
tw_vlogcoshf(float x)
{
    const float z = -2.0f * x, a = -fabsf(z);
    const float u = tw_vexpf_normal(a > -87.0f ? a : -87.0f); /* a NaN: -87 */
    return x + ((z > 0.0f ? z : 0.0f) + tw_vmath_log1p_unit(u)) - 0.69314718f;
}

#endif
