/* metric_fbeta.c - FBetaScore and F1Score as Keras 3: per-class tp, fp, fn and support
 * ("intermediate_weights"), or their totals with average=micro.
 *
 * State, C classes: [tp[C], fp[C], fn[C], support[C]]; micro: [tp, fp, fn, support]. A
 * prediction is positive when y_pred > threshold, or with threshold None when it is its row's
 * largest value and |y_pred| > 1e-9; y_true is used as a number (tp += w·pred·y). Result:
 * precision and recall with epsilon 1e-7, F = (1 + β²)·P·R / (β²·P + R + ε), then None: the
 * vector, micro/macro: the mean, weighted: weighted by support / (Σ support + ε). */
#include "metric_impl.h"

#include <math.h>

#define EPS 1e-7

size_t
tw_metric_fbeta_state_size(const tw_metric_ext *x)
{
    return x->average == TW_AVG_MICRO ? 4 : 4 * (size_t)x->num_classes;
}

int
tw_metric_fbeta_update(tw_metric *m, const float *y_true, const float *y_pred,
                       const float *sample_weight, size_t n, size_t d)
{
    const size_t C = (size_t)m->ext->num_classes;
    if (d != C)
        return -1;
    const bool micro = m->ext->average == TW_AVG_MICRO;
    const size_t L = micro ? 1 : C;
    double *tp = m->state, *fp = tp + L, *fn = fp + L, *sup = fn + L;
    const double thr = m->ext->f_threshold;
    const float tf = (float)thr;
    for (size_t i = 0; i < n; i++) {
        const double w = sample_weight ? sample_weight[i] : 1.0;
        const float *yt = y_true + i * d, *yp = y_pred + i * d;
        float mx = yp[0];
        for (size_t j = 1; j < d; j++)
            mx = fmaxf(mx, yp[j]);
        for (size_t j = 0; j < d; j++) {
            const double p = isnan(thr) ? (yp[j] >= mx && fabsf(yp[j]) > 1e-9f) : yp[j] > tf;
            const double y = yt[j];
            const size_t c = micro ? 0 : j;
            tp[c] += w * p * y;
            fp[c] += w * p * (1.0 - y);
            fn[c] += w * (1.0 - p) * y;
            sup[c] += w * y;
        }
    }
    return 0;
}

int
tw_metric_fbeta_result(const tw_metric *m, double *out, size_t cap)
{
    const tw_avg avg = m->ext->average;
    const size_t L = avg == TW_AVG_MICRO ? 1 : (size_t)m->ext->num_classes;
    const double *tp = m->state, *fp = tp + L, *fn = fp + L, *sup = fn + L;
    const double b2 = m->ext->beta * m->ext->beta;
    double total_support = 0.0, mean = 0.0, weighted = 0.0;
    for (size_t c = 0; c < L; c++)
        total_support += sup[c];
    for (size_t c = 0; c < L; c++) {
        const double p = tp[c] / (tp[c] + fp[c] + EPS), r = tp[c] / (tp[c] + fn[c] + EPS);
        const double f = (1.0 + b2) * (p * r) / (b2 * p + r + EPS);
        if (avg == TW_AVG_NONE && c < cap)
            out[c] = f;
        mean += f / (double)L;
        weighted += f * sup[c] / (total_support + EPS);
    }
    if (avg == TW_AVG_NONE)
        return (int)L;
    if (cap > 0)
        out[0] = avg == TW_AVG_WEIGHTED ? weighted : mean;
    return 1;
}
