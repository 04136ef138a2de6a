/* metric_testutil.h - helpers shared by the metric tests: tolerant comparisons, state copies. */
#ifndef METRIC_TESTUTIL_H
#define METRIC_TESTUTIL_H

/* Include after <cmocka.h> and "trainwatch.h". Static inline functions only. */

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Keras's assertAllClose tolerances: |got - want| <= atol + rtol * |want|. */
#define TOL_EXACT 1e-6, 1e-6
/* For Keras literals that are rounded to about 3-4 digits. */
#define TOL_LITERAL 1e-3, 0.0
/* For identities that hold up to double rounding (streaming, merging). */
#define TOL_DOUBLE 1e-10, 1e-10

/* True when got is within atol + rtol * |want| of want. A NaN want needs a NaN got; an
 * infinite want needs the same infinity. */
static inline int
tw_test_close(double got, double want, double atol, double rtol)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    double diff = got > want ? got - want : want - got;
    double mag = want < 0 ? -want : want;
    return diff <= atol + rtol * mag; /* false for a NaN got */
}

static inline void
tw_test_assert_close(double got, double want, double atol, double rtol, const char *expr,
                     const char *file, int line)
{
    if (!tw_test_close(got, want, atol, rtol)) {
        print_error("%s = %.12g, expected %.12g (atol %g, rtol %g, diff %.3g)\n", expr, got, want,
                    atol, rtol, got - want);
        _fail(file, line);
    }
}

/* assert_close(got, want, atol, rtol) or assert_close(got, want, TOL_EXACT). */
#define assert_close(got, ...) tw_test_assert_close_v((got), #got, __FILE__, __LINE__, __VA_ARGS__)

static inline void
tw_test_assert_close_v(double got, const char *expr, const char *file, int line, double want,
                       double atol, double rtol)
{
    tw_test_assert_close(got, want, atol, rtol, expr, file, line);
}

/* True for the kinds whose state is [total, count, sumsq, values]. */
static inline bool
tw_test_has_moments(tw_metric_kind k)
{
    switch (k) {
    case TW_METRIC_MEAN:
    case TW_METRIC_MEAN_SQUARED_ERROR:
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR:
    case TW_METRIC_MEAN_ABSOLUTE_ERROR:
    case TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR:
    case TW_METRIC_BINARY_CROSSENTROPY:
    case TW_METRIC_CATEGORICAL_CROSSENTROPY:
    case TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY:
    case TW_METRIC_KL_DIVERGENCE:
    case TW_METRIC_POISSON:
    case TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR:
    case TW_METRIC_LOG_COSH_ERROR:
    case TW_METRIC_COSINE_SIMILARITY:
    case TW_METRIC_HINGE:
    case TW_METRIC_SQUARED_HINGE:
    case TW_METRIC_CATEGORICAL_HINGE:
    case TW_METRIC_PEARSON_CORRELATION:
    case TW_METRIC_CONCORDANCE_CORRELATION:
        return true;
    default:
        return false;
    }
}

/* Compares the metric's whole state with `want` (len doubles), element by element. For the
 * kinds with moments, two wanted doubles are [total, count] and the state must have its four
 * (the moments, sumsq and values, are checked by test_metric_stderr.c). */
static inline void
tw_test_assert_state(const tw_metric *m, const double *want, size_t len, double atol, double rtol,
                     const char *file, int line)
{
    size_t have = tw_metric_state_size(m);
    if (len == 2 && have == 4 && tw_test_has_moments(tw_metric_kind_of(m)))
        have = 2;
    if (have != len) {
        print_error("state size %zu, expected %zu\n", have, len);
        _fail(file, line);
        return;
    }
    const double *s = tw_metric_state(m);
    if (s == NULL) {
        print_error("tw_metric_state() returned NULL\n");
        _fail(file, line);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (!tw_test_close(s[i], want[i], atol, rtol)) {
            print_error("state[%zu] = %.12g, expected %.12g (atol %g, rtol %g)\n", i, s[i], want[i],
                        atol, rtol);
            _fail(file, line);
            return;
        }
    }
}

/* assert_state(m, v0, v1, ...): the state is these doubles (within TOL_EXACT). */
#define assert_state(m, ...)                                                                       \
    do {                                                                                           \
        const double want_[] = {__VA_ARGS__};                                                      \
        tw_test_assert_state((m), want_, sizeof(want_) / sizeof(want_[0]), 1e-6, 1e-6, __FILE__,   \
                             __LINE__);                                                            \
    } while (0)

/* Two metrics have the same state (same size, element-wise within TOL_DOUBLE). */
static inline void
tw_test_assert_same_state(const tw_metric *a, const tw_metric *b, double atol, double rtol,
                          const char *file, int line)
{
    size_t n = tw_metric_state_size(b);
    const double *sb = tw_metric_state(b);
    if (sb == NULL || n == 0) {
        print_error("reference metric has no state\n");
        _fail(file, line);
        return;
    }
    tw_test_assert_state(a, sb, n, atol, rtol, file, line);
}
#define assert_same_state(a, b)                                                                    \
    tw_test_assert_same_state((a), (b), 1e-10, 1e-10, __FILE__, __LINE__)

/* A heap copy of the metric's state (caller frees), for "state unchanged" checks. */
static inline double *
tw_test_state_copy(const tw_metric *m, size_t *len)
{
    *len = tw_metric_state_size(m);
    double *copy = malloc((*len + 1) * sizeof(double));
    assert_non_null(copy);
    const double *s = tw_metric_state(m);
    assert_non_null(s);
    memcpy(copy, s, *len * sizeof(double));
    return copy;
}

/* The state is bit-for-bit what `copy` holds. */
static inline void
tw_test_assert_state_unchanged(const tw_metric *m, const double *copy, size_t len, const char *file,
                               int line)
{
    if (tw_metric_state_size(m) != len) {
        print_error("state size changed from %zu to %zu\n", len, tw_metric_state_size(m));
        _fail(file, line);
        return;
    }
    const double *s = tw_metric_state(m);
    for (size_t i = 0; i < len; i++) {
        if (memcmp(&s[i], &copy[i], sizeof(double)) != 0) {
            print_error("state[%zu] changed from %.12g to %.12g\n", i, copy[i], s[i]);
            _fail(file, line);
            return;
        }
    }
}
#define assert_state_unchanged(m, copy, len)                                                       \
    tw_test_assert_state_unchanged((m), (copy), (len), __FILE__, __LINE__)

/* Every state element is exactly zero. */
static inline void
tw_test_assert_state_zero(const tw_metric *m, const char *file, int line)
{
    size_t n = tw_metric_state_size(m);
    const double *s = tw_metric_state(m);
    if (n == 0 || s == NULL) {
        print_error("metric has no state\n");
        _fail(file, line);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] != 0.0) {
            print_error("state[%zu] = %.12g, expected 0\n", i, s[i]);
            _fail(file, line);
            return;
        }
    }
}
#define assert_state_zero(m) tw_test_assert_state_zero((m), __FILE__, __LINE__)

/* Creates a metric that must exist. */
static inline tw_metric *
tw_test_new(tw_metric_kind kind, const tw_metric_options *opts)
{
    tw_metric *m = tw_metric_new(kind, opts);
    assert_non_null(m);
    return m;
}

/* Feeds one batch into two new metrics of `kind`, once without weights and once with weights
 * of 1 (an implementation may take different code paths for the two), and checks that both
 * states are `want` (len doubles, within TOL_EXACT). */
static inline void
tw_test_check_both_paths(tw_metric_kind kind, const tw_metric_options *opts, const float *yt,
                         const float *yp, size_t n, size_t d, const double *want, size_t len,
                         const char *file, int line)
{
    float *ones = malloc((n + 1) * sizeof(float));
    assert_non_null(ones);
    for (size_t i = 0; i < n; i++)
        ones[i] = 1.0f;
    for (int weighted = 0; weighted < 2; weighted++) {
        tw_metric *m = tw_metric_new(kind, opts);
        assert_non_null(m);
        int rc = tw_metric_update_state(m, yt, yp, weighted ? ones : NULL, n, d);
        if (rc != 0) {
            print_error("update_state returned %d (%s weights)\n", rc, weighted ? "unit" : "no");
            _fail(file, line);
        }
        const double *st = tw_metric_state(m);
        bool same = st != NULL && tw_metric_state_size(m) == len;
        for (size_t i = 0; same && i < len; i++)
            same = tw_test_close(st[i], want[i], 1e-6, 1e-6);
        if (!same)
            print_error("state mismatch %s weights:\n", weighted ? "with unit" : "without");
        tw_test_assert_state(m, want, len, 1e-6, 1e-6, file, line);
        tw_metric_destroy(&m);
    }
    free(ones);
}

/* check_both_paths(kind, opts, yt, yp, n, d, state...) */
#define check_both_paths(kind, opts, yt, yp, n, d, ...)                                            \
    do {                                                                                           \
        const double want_[] = {__VA_ARGS__};                                                      \
        tw_test_check_both_paths((kind), (opts), (yt), (yp), (n), (d), want_,                      \
                                 sizeof(want_) / sizeof(want_[0]), __FILE__, __LINE__);            \
    } while (0)

/* A small deterministic generator (xorshift64*), for reproducible random inputs. */
static inline uint64_t
tw_test_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Uniform integer in [0, n). */
static inline unsigned
tw_test_rand_below(uint64_t *s, unsigned n)
{
    return (unsigned)((tw_test_rand(s) >> 33) % n);
}

#endif /* METRIC_TESTUTIL_H */
