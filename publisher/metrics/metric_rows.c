/* metric_rows.c - per-sample kernels of the mean-wrapped metrics (accuracies, errors,
 * crossentropies), accumulated into [total, count] as Keras's MeanMetricWrapper does, and for
 * the errors and crossentropies also into [sumsq, values], the moments of their standard
 * error.
 *
 * Each kind computes one value per sample (a row of d values) following Keras 3's function
 * for it, in float32 where Keras's float32 arithmetic decides the value (comparisons, the
 * crossentropy clip), and sums in double. Unweighted batches of one value per sample, the
 * common case, take loops the compiler vectorises. */
#include "metric_impl.h"

#include <math.h>
#include <stdint.h>

#define TW_EPSILON 1e-7f

/* Keras top-k membership: fewer than k scores strictly greater than the target's. */
static bool
in_top_k(const float *scores, size_t d, size_t target, int k)
{
    if ((size_t)k >= d)
        return true;
    float t = scores[target];
    size_t greater = 0;
    for (size_t j = 0; j < d; j++)
        greater += scores[j] > t;
    return greater < (size_t)k;
}

static double
row_accuracy(const float *yt, const float *yp, size_t d)
{
    size_t hits = 0;
    for (size_t j = 0; j < d; j++)
        hits += yt[j] == yp[j];
    return (double)hits / (double)d;
}

static double
row_binary_accuracy(const float *yt, const float *yp, size_t d, float threshold)
{
    size_t hits = 0;
    for (size_t j = 0; j < d; j++)
        hits += yt[j] == (yp[j] > threshold ? 1.0f : 0.0f);
    return (double)hits / (double)d;
}

static double
row_squared_error(const float *yt, const float *yp, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        float e = yt[j] - yp[j];
        s += (double)(e * e);
    }
    return s / (double)d;
}

static double
row_absolute_error(const float *yt, const float *yp, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += fabsf(yt[j] - yp[j]);
    return s / (double)d;
}

static double
row_absolute_percentage_error(const float *yt, const float *yp, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += fabsf((yt[j] - yp[j]) / fmaxf(fabsf(yt[j]), TW_EPSILON));
    return 100.0 * s / (double)d;
}

/* The clip bounds in float32, as Keras evaluates them: 1 - p at the upper bound is 2^-23. */
static float
clip_probability(float p)
{
    const float lo = TW_EPSILON, hi = 1.0f - TW_EPSILON;
    if (p < lo)
        return lo;
    if (p > hi)
        return hi;
    return p; /* NaN passes through */
}

static double
row_binary_crossentropy(const float *yt, const float *yp, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        float p = clip_probability(yp[j]);
        float q = 1.0f - p;
        s += (double)yt[j] * log((double)p) + (double)(1.0f - yt[j]) * log((double)q);
    }
    return -s / (double)d;
}

static double
row_categorical_crossentropy(const float *yt, const float *yp, size_t d)
{
    float sum = 0.0f;
    for (size_t j = 0; j < d; j++)
        sum += yp[j];
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += (double)yt[j] * log((double)clip_probability(yp[j] / sum));
    return -s;
}

/* The per-sample value of row i. yt points at the row's targets (its label when sparse). */
double
tw_metric_row_value(const tw_metric *m, const float *yt, const float *yp, size_t d)
{
    if (m->row_ext)
        return tw_metric_row_ext(m, yt, yp, d);
    switch (m->kind) {
    case TW_METRIC_ACCURACY:
        return row_accuracy(yt, yp, d);
    case TW_METRIC_BINARY_ACCURACY:
        return row_binary_accuracy(yt, yp, d, m->threshold_f);
    case TW_METRIC_CATEGORICAL_ACCURACY:
        return tw_argmax(yt, d) == tw_argmax(yp, d);
    case TW_METRIC_SPARSE_CATEGORICAL_ACCURACY:
        return (size_t)yt[0] == tw_argmax(yp, d);
    case TW_METRIC_TOP_K_CATEGORICAL_ACCURACY:
        return in_top_k(yp, d, tw_argmax(yt, d), m->opts.k);
    case TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY:
        return in_top_k(yp, d, (size_t)yt[0], m->opts.k);
    case TW_METRIC_MEAN_SQUARED_ERROR:
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR:
        return row_squared_error(yt, yp, d);
    case TW_METRIC_MEAN_ABSOLUTE_ERROR:
        return row_absolute_error(yt, yp, d);
    case TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR:
        return row_absolute_percentage_error(yt, yp, d);
    case TW_METRIC_BINARY_CROSSENTROPY:
        return row_binary_crossentropy(yt, yp, d);
    case TW_METRIC_CATEGORICAL_CROSSENTROPY:
        return row_categorical_crossentropy(yt, yp, d);
    default:
        return NAN; /* not a mean-wrapped kind: unreachable through the public API */
    }
}

/* Unweighted, one value per sample: count hits in integers, which vectorises. */
static bool
fast_path(tw_metric *m, const float *yt, const float *yp, size_t n)
{
    switch (m->kind) {
    case TW_METRIC_BINARY_ACCURACY: {
        const float t = m->threshold_f;
        uint64_t hits = 0;
        for (size_t i = 0; i < n; i++)
            hits += yt[i] == (yp[i] > t ? 1.0f : 0.0f);
        m->state[0] += (double)hits;
        break;
    }
    case TW_METRIC_ACCURACY: {
        uint64_t hits = 0;
        for (size_t i = 0; i < n; i++)
            hits += yt[i] == yp[i];
        m->state[0] += (double)hits;
        break;
    }
    case TW_METRIC_MEAN_SQUARED_ERROR:
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR: {
        /* Four partial sums keep the additions independent. */
        double s[4] = {0.0, 0.0, 0.0, 0.0}, q[4] = {0.0, 0.0, 0.0, 0.0};
        size_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (size_t k = 0; k < 4; k++) {
                float e = yt[i + k] - yp[i + k];
                double v = (double)(e * e);
                s[k] += v;
                q[k] += v * v;
            }
        for (; i < n; i++) {
            float e = yt[i] - yp[i];
            double v = (double)(e * e);
            s[0] += v;
            q[0] += v * v;
        }
        m->state[0] += (s[0] + s[1]) + (s[2] + s[3]);
        m->state[2] += (q[0] + q[1]) + (q[2] + q[3]);
        m->state[3] += (double)n;
        break;
    }
    default:
        return false;
    }
    m->state[1] += (double)n;
    return true;
}

void
tw_metric_accumulate_rows(tw_metric *m, const float *y_true, const float *y_pred,
                          const float *sample_weight, size_t n, size_t d)
{
    if (!sample_weight && d == 1 && fast_path(m, y_true, y_pred, n))
        return;
    const bool sparse = m->kind == TW_METRIC_SPARSE_CATEGORICAL_ACCURACY ||
                        m->kind == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
    const size_t true_stride = sparse ? 1 : d;
    double total = 0.0, count = 0.0, squares = 0.0, values = (double)n;
    for (size_t i = 0; i < n; i++) {
        double v = tw_metric_row_value(m, y_true + i * true_stride, y_pred + i * d, d);
        if (sample_weight) {
            double w = sample_weight[i];
            total += v * w;
            count += w;
            squares += v * v * w;
            values -= w == 0.0; /* a value of weight 0 is masked out, as Keras masks it */
        } else {
            total += v;
            squares += v * v;
        }
    }
    m->state[0] += total;
    m->state[1] += sample_weight ? count : (double)n;
    if (tw_kind_has_moments(m->kind)) {
        m->state[2] += squares;
        m->state[3] += values;
    }
}
