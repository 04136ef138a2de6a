/* metric_r2.c - R2Score as Keras 3: per-output weighted sums, coefficient of determination,
 * class_aggregation and the adjusted score with num_regressors.
 *
 * State, O outputs: [num_samples, sum[O], squared_sum[O], residual[O], count[O]] where
 * sum = Σ w·y, squared_sum = Σ w·y², residual = Σ w·(y − ŷ)², count = Σ w per output and
 * num_samples counts the elements of y_true (Keras adds ops.size(y_true)). */
#include "metric_impl.h"

#include <math.h>

size_t
tw_metric_r2_state_size(const tw_metric_ext *x)
{
    return 1 + 4 * (size_t)x->num_outputs;
}

int
tw_metric_r2_update(tw_metric *m, const float *y_true, const float *y_pred,
                    const float *sample_weight, size_t n, size_t d)
{
    const size_t O = (size_t)m->ext->num_outputs;
    if (d != O)
        return -1; /* Keras: (batch, output_dim) with the declared outputs */
    double *sum = m->state + 1, *sq = sum + O, *res = sq + O, *cnt = res + O;
    if (O == 1) { /* one output: the sums in registers */
        double s1 = 0.0, s2 = 0.0, r = 0.0, c = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double w = sample_weight ? sample_weight[i] : 1.0;
            const double y = y_true[i], e = y - (double)y_pred[i];
            s1 += w * y;
            s2 += w * y * y;
            r += w * e * e;
            c += w;
        }
        sum[0] += s1, sq[0] += s2, res[0] += r, cnt[0] += c;
        m->state[0] += (double)n;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const double w = sample_weight ? sample_weight[i] : 1.0;
        for (size_t j = 0; j < O; j++) {
            const double y = y_true[i * O + j], e = y - (double)y_pred[i * O + j];
            sum[j] += w * y;
            sq[j] += w * y * y;
            res[j] += w * e * e;
            cnt[j] += w;
        }
    }
    m->state[0] += (double)(n * d);
    return 0;
}

/* Raw scores per output into out (O values); returns the aggregated score. */
static double
scores(const tw_metric *m, double *raw)
{
    const size_t O = (size_t)m->ext->num_outputs;
    const double *sum = m->state + 1, *sq = sum + O, *res = sq + O, *cnt = res + O;
    double mean_raw = 0.0, weighted = 0.0, weights = 0.0;
    for (size_t j = 0; j < O; j++) {
        const double total = sq[j] - sum[j] * (sum[j] / cnt[j]);
        double r = 1.0 - res[j] / total;
        if (isinf(r))
            r = 0.0; /* Keras: where(isinf(raw), 0, raw); NaN stays */
        raw[j] = r;
        mean_raw += r;
        weighted += total * r;
        weights += total;
    }
    return m->ext->class_aggregation == TW_R2_VARIANCE ? weighted / weights : mean_raw / (double)O;
}

/* The adjusted score; Keras falls back to the plain one when p >= n - 1. */
static double
adjust(const tw_metric *m, double r2)
{
    const double n = m->state[0], p = m->ext->num_regressors;
    if (p == 0 || p >= n - 1)
        return r2;
    return 1.0 - (1.0 - r2) * (n - 1.0) / (n - p - 1.0);
}

int
tw_metric_r2_result(const tw_metric *m, double *out, size_t cap)
{
    const size_t O = (size_t)m->ext->num_outputs;
    double raw[TW_OPT_MAX_CLASSES];
    double agg = adjust(m, scores(m, raw));
    if (m->ext->class_aggregation != TW_R2_RAW) {
        if (cap > 0)
            out[0] = agg;
        return 1;
    }
    for (size_t j = 0; j < O && j < cap; j++)
        out[j] = adjust(m, raw[j]);
    return (int)O;
}
