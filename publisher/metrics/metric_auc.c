/* metric_auc.c - AUC (ROC, PR and PRGAIN) with Keras's thresholds, bucket update and summations.
 *
 * Thresholds: t_0 = -1e-7, t_i = i / (T - 1) for 0 < i < T - 1, t_{T-1} = 1 + 1e-7. Every
 * prediction p, clipped to [0, 1] in float32, falls in bucket b = max(ceil(p * (T - 1)) - 1, 0)
 * and is "above" thresholds 0..b: the same as the strict test p > t_i. The update builds a
 * histogram of positive and negative weight per bucket (O(n)) and adds its suffix sums to tp
 * and fp (O(T)). fn and tn are derived from the totals. The state layout is in trainwatch.h. */
#include "metric_impl.h"

#include <math.h>
#include <string.h>

void
tw_metric_auc_update(tw_metric *m, const float *y_true, const float *y_pred,
                     const float *sample_weight, size_t n, size_t d)
{
    tw_metric_auc_update_cols(m, y_true, y_pred, sample_weight, n, d, 0, d);
}

void
tw_metric_auc_update_cols(tw_metric *m, const float *y_true, const float *y_pred,
                          const float *sample_weight, size_t n, size_t d, size_t j0, size_t j1)
{
    tw_metric_auc_update_block(m, m->state, y_true, y_pred, sample_weight, n, d, j0, j1, NULL);
}

void
tw_metric_auc_update_block(tw_metric *m, double *state, const float *y_true, const float *y_pred,
                           const float *sample_weight, size_t n, size_t d, size_t j0, size_t j1,
                           const double *col_w)
{
    const bool logits = m->ext->from_logits;
    const size_t T = (size_t)m->opts.num_thresholds;
    const float scale = (float)(T - 1);
    double *pos_hist = m->scratch, *neg_hist = m->scratch + T;
    double *tp = state, *fp = state + T;
    double positives = 0.0, negatives = 0.0, poison = 0.0;

    memset(m->scratch, 0, 2 * T * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        const double row_w = sample_weight ? sample_weight[i] : 1.0;
        const float *yt = y_true + i * d, *yp = y_pred + i * d;
        for (size_t j = j0; j < j1; j++) {
            const bool label = yt[j] != 0.0f;
            const float p = logits ? 1.0f / (1.0f + expf(-yp[j])) : yp[j];
            const double w = col_w ? row_w * col_w[j] : row_w;
            if (isnan(p)) {
                poison = NAN; /* a NaN prediction makes the AUC NaN */
                continue;
            }
            const float c = p < 0.0f ? 0.0f : (p > 1.0f ? 1.0f : p);
            const float b = ceilf(c * scale) - 1.0f;
            const size_t bucket = b > 0.0f ? (size_t)b : 0;
            if (label) {
                pos_hist[bucket] += w;
                positives += w;
            } else {
                neg_hist[bucket] += w;
                negatives += w;
            }
        }
    }
    double tp_run = 0.0, fp_run = 0.0;
    for (size_t i = T; i-- > 0;) {
        tp_run += pos_hist[i];
        fp_run += neg_hist[i];
        tp[i] += tp_run;
        fp[i] += fp_run;
    }
    tp[0] += poison;
    state[2 * T] += positives;
    state[2 * T + 1] += negatives;
}

static double
height(tw_auc_summation s, double y0, double y1)
{
    switch (s) {
    case TW_AUC_MINORING:
        return fmin(y0, y1);
    case TW_AUC_MAJORING:
        return fmax(y0, y1);
    default:
        return (y0 + y1) / 2.0;
    }
}

/* PR-AUC by Davis & Goadrich's interpolation: TP and P = TP + FP vary linearly inside a
 * segment; precision is integrated in closed form. */
static double
pr_interpolated(const double *tp, const double *fp, double positives, size_t T)
{
    double auc = 0.0;
    for (size_t i = 0; i + 1 < T; i++) {
        const double p_a = tp[i] + fp[i], p_b = tp[i + 1] + fp[i + 1];
        const double dtp = tp[i] - tp[i + 1];
        const double dp = p_a - p_b;
        const double slope = tw_divide_no_nan(dtp, fmax(dp, 0.0));
        const double intercept = tp[i + 1] - slope * p_b;
        const double ratio = (p_a > 0.0 && p_b > 0.0) ? p_a / p_b : 1.0;
        const double fn_b = positives - tp[i + 1];
        auc +=
            tw_divide_no_nan(slope * (dtp + intercept * log(ratio)), fmax(tp[i + 1] + fn_b, 0.0));
    }
    return auc;
}

/* One point of the curve at a threshold: ROC (fpr, recall), PR (recall, precision), or PRGAIN
 * (recall gain, precision gain) as Keras 3 computes them: with s = P / N (divide_no_nan),
 * rg = 1 - s * fn / tp and pg = 1 - s * fp / tp (divide_no_nan), then rg = 0 and pg = 1 where
 * tp == 0, and rg clipped below at 0 (pg is not clipped). A NaN stays NaN. */
static void
curve_point(tw_auc_curve curve, double tp, double fp, double positives, double negatives, double *x,
            double *y)
{
    const double fn = positives - tp, tn = negatives - fp;
    if (curve == TW_AUC_ROC) {
        *x = tw_divide_no_nan(fp, fp + tn);
        *y = tw_divide_no_nan(tp, tp + fn);
    } else if (curve == TW_AUC_PR) {
        *x = tw_divide_no_nan(tp, tp + fn);
        *y = tw_divide_no_nan(tp, tp + fp);
    } else {
        const double scale = tw_divide_no_nan(tp + fn, tn + fp);
        double rg = 1.0 - scale * tw_divide_no_nan(fn, tp);
        double pg = 1.0 - scale * tw_divide_no_nan(fp, tp);
        if (tp == 0.0)
            rg = 0.0, pg = 1.0;
        *x = rg < 0.0 ? 0.0 : rg; /* not fmax: a NaN recall gain stays NaN */
        *y = pg;
    }
}

double
tw_metric_auc_result(const tw_metric *m)
{
    return tw_metric_auc_area(m, m->state);
}

double
tw_metric_auc_area(const tw_metric *m, const double *state)
{
    const size_t T = (size_t)m->opts.num_thresholds;
    const double *tp = state, *fp = state + T;
    const double positives = state[2 * T], negatives = state[2 * T + 1];

    if (m->opts.curve == TW_AUC_PR && m->opts.summation == TW_AUC_INTERPOLATION)
        return pr_interpolated(tp, fp, positives, T);

    double auc = 0.0, x_prev = 0.0, y_prev = 0.0;
    for (size_t i = 0; i < T; i++) {
        double x, y;
        curve_point(m->opts.curve, tp[i], fp[i], positives, negatives, &x, &y);
        if (i > 0)
            auc += (x_prev - x) * height(m->opts.summation, y_prev, y);
        x_prev = x;
        y_prev = y;
    }
    return auc;
}
