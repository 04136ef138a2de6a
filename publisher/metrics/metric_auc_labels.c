/* metric_auc_labels.c - AUC's remaining Keras arguments: multi_label (one curve per label,
 * averaged, or weighted by label_weights), label_weights on the flattened elements, and
 * explicit thresholds.
 *
 * State, L labels (1 without multi_label) and T thresholds: L blocks of AUC's layout
 * [tp[T], fp[T], positives, negatives], label l's block from column l. Explicit thresholds
 * t_1..t_n (sorted) become [-1e-7, t_1, .., t_n, 1 + 1e-7] (T = n + 2); evenly spaced ones take
 * the bucket update as Keras does, the others the direct test p > t in float32, unclipped. */
#include "metric_impl.h"

#include <math.h>

bool
tw_metric_auc_is_ext(const tw_metric_options *o, const tw_metric_ext *x)
{
    (void)o;
    return x->multi_label || x->n_label_weights > 0 || x->thresholds_given;
}

void
tw_metric_auc_explicit(tw_metric_options *o, tw_metric_ext *x)
{
    const int T = x->n_thresholds + 2;
    o->num_thresholds = T;
    bool even = T >= 3;
    for (int i = 0; even && i < T; i++) {
        const double t = i == 0 ? 0.0 : i == T - 1 ? 1.0 : x->thresholds[i - 1];
        const double want = (double)((float)i / (float)(T - 1));
        even = fabs(t - want) <= 1e-7 + 1e-5 * fabs(want);
    }
    x->auc_direct = !even;
}

size_t
tw_metric_auc_ext_state_size(const tw_metric_options *o, const tw_metric_ext *x)
{
    size_t labels = x->multi_label ? (size_t)x->num_labels : 1;
    return labels * (2 * (size_t)o->num_thresholds + 2);
}

/* The direct test at explicit thresholds, columns [j0, j1) into one block. */
static void
direct_update(tw_metric *m, double *state, const float *y_true, const float *y_pred,
              const float *sample_weight, size_t n, size_t d, size_t j0, size_t j1,
              const double *col_w)
{
    const tw_metric_ext *x = m->ext;
    const size_t T = (size_t)m->opts.num_thresholds;
    float t[TW_OPT_MAX_LIST + 2];
    t[0] = -1e-7f;
    for (size_t k = 1; k + 1 < T; k++)
        t[k] = (float)x->thresholds[k - 1];
    t[T - 1] = 1.0f + 1e-7f;
    double *tp = state, *fp = state + T;
    for (size_t i = 0; i < n; i++) {
        const double row_w = sample_weight ? sample_weight[i] : 1.0;
        for (size_t j = j0; j < j1; j++) {
            const double w = col_w ? row_w * col_w[j] : row_w;
            const bool label = y_true[i * d + j] != 0.0f;
            const float yp = y_pred[i * d + j];
            const float p = x->from_logits ? 1.0f / (1.0f + expf(-yp)) : yp;
            if (isnan(p)) {
                tp[0] += NAN;
                continue;
            }
            double *c = label ? tp : fp;
            for (size_t k = 0; k < T && p > t[k]; k++)
                c[k] += w; /* thresholds are sorted: p is above a prefix of them */
            state[label ? 2 * T : 2 * T + 1] += w;
        }
    }
}

static void
update_block(tw_metric *m, double *state, const float *yt, const float *yp, const float *w,
             size_t n, size_t d, size_t j0, size_t j1, const double *col_w)
{
    if (m->ext->auc_direct)
        direct_update(m, state, yt, yp, w, n, d, j0, j1, col_w);
    else
        tw_metric_auc_update_block(m, state, yt, yp, w, n, d, j0, j1, col_w);
}

int
tw_metric_auc_ext_update(tw_metric *m, const float *y_true, const float *y_pred,
                         const float *sample_weight, size_t n, size_t d)
{
    const tw_metric_ext *x = m->ext;
    if ((x->multi_label && d != (size_t)x->num_labels) ||
        (!x->multi_label && x->n_label_weights > 0 && d != (size_t)x->n_label_weights))
        return -1;
    if (!x->multi_label) {
        update_block(m, m->state, y_true, y_pred, sample_weight, n, d, 0, d,
                     x->n_label_weights > 0 ? x->label_weights : NULL);
        return 0;
    }
    const size_t block = 2 * (size_t)m->opts.num_thresholds + 2;
    for (size_t l = 0; l < d; l++)
        update_block(m, m->state + l * block, y_true, y_pred, sample_weight, n, d, l, l + 1, NULL);
    return 0;
}

/* multi_label: the labels' areas averaged, or weighted by label_weights (divide_no_nan). */
double
tw_metric_auc_ext_result(const tw_metric *m)
{
    const tw_metric_ext *x = m->ext;
    if (!x->multi_label)
        return tw_metric_auc_area(m, m->state);
    const size_t block = 2 * (size_t)m->opts.num_thresholds + 2;
    double sum = 0.0, wsum = 0.0;
    for (size_t l = 0; l < (size_t)x->num_labels; l++) {
        const double a = tw_metric_auc_area(m, m->state + l * block);
        const double w = x->n_label_weights > 0 ? x->label_weights[l] : 1.0;
        sum += w * a;
        wsum += w;
    }
    return x->n_label_weights > 0 ? tw_divide_no_nan(sum, wsum) : sum / (double)x->num_labels;
}
