/* metric_thresholds.c - the confusion counts at a list of thresholds (TruePositives,
 * FalsePositives, TrueNegatives, FalseNegatives; Precision and Recall with a list, top_k or
 * class_id) and the X-at-Y kinds' search over AUC-style bucketed thresholds.
 *
 * Counts, T thresholds: TP/FP/TN/FN [count[T]]; Precision [tp[T], fp[T]]; Recall
 * [tp[T], fn[T]]. Every element is a decision: label = y_true != 0, positive = y_pred > t,
 * compared in float32 (Keras casts both). top_k keeps a row's k largest (ties to the lower
 * index) and sets the rest to -1e10 before class_id slices one column. The X-at-Y kinds keep
 * AUC's layout [tp[T], fp[T], positives, negatives] and its bucket update (metric_auc.c). */
#include "metric_impl.h"

#include <math.h>

#define NEG_INF -1e10f

/* The metric's thresholds in float32; returns how many. */
static size_t
thresholds_of(const tw_metric *m, float *t)
{
    const tw_metric_ext *x = m->ext;
    if (x->n_thresholds > 1) {
        for (int i = 0; i < x->n_thresholds; i++)
            t[i] = (float)x->thresholds[i];
        return (size_t)x->n_thresholds;
    }
    t[0] = (x->top_k && !x->thresholds_given) ? NEG_INF : (float)m->opts.threshold;
    return 1;
}

/* Whether element j of a row survives top_k: fewer than k elements rank above it, where a
 * larger value, or an equal one at a lower index, ranks above. */
static bool
in_top_k(const float *row, size_t d, size_t j, size_t k)
{
    size_t above = 0;
    for (size_t c = 0; c < d && above < k; c++)
        above += row[c] > row[j] || (row[c] == row[j] && c < j);
    return above < k;
}

/* What each (label, positive) pair adds to the first and second counters of the kind's state,
 * indexed label * 2 + positive. */
static void
tables(tw_metric_kind kind, double a[4], double b[4])
{
    for (int i = 0; i < 4; i++)
        a[i] = b[i] = 0.0;
    switch (kind) {
    case TW_METRIC_TRUE_POSITIVES:
        a[3] = 1.0;
        break;
    case TW_METRIC_FALSE_POSITIVES:
        a[1] = 1.0;
        break;
    case TW_METRIC_TRUE_NEGATIVES:
        a[0] = 1.0;
        break;
    case TW_METRIC_FALSE_NEGATIVES:
        a[2] = 1.0;
        break;
    case TW_METRIC_PRECISION: /* [tp, fp] */
        a[3] = 1.0, b[1] = 1.0;
        break;
    default: /* Recall [tp, fn] */
        a[3] = 1.0, b[2] = 1.0;
        break;
    }
}

int
tw_metric_counts_update(tw_metric *m, const float *y_true, const float *y_pred,
                        const float *sample_weight, size_t n, size_t d)
{
    const tw_metric_ext *x = m->ext;
    float t[TW_OPT_MAX_LIST];
    const size_t T = thresholds_of(m, t);
    if (x->class_id >= 0 && (size_t)x->class_id >= d)
        return -1;
    double ta[4], tb[4], a[TW_OPT_MAX_LIST] = {0}, b[TW_OPT_MAX_LIST] = {0};
    tables(m->kind, ta, tb);
    const bool two = m->kind == TW_METRIC_PRECISION || m->kind == TW_METRIC_RECALL;
    /* Without top_k or class_id every element is a decision: one flat loop. */
    const bool flat = !x->top_k && x->class_id < 0;
    const size_t rows = flat ? n * d : n, cols = flat ? 1 : d;
    const size_t j0 = x->class_id >= 0 ? (size_t)x->class_id : 0;
    const size_t j1 = x->class_id >= 0 ? j0 + 1 : cols;
    for (size_t i = 0; i < rows; i++) {
        const double w = sample_weight ? sample_weight[flat ? i / d : i] : 1.0;
        const float *yt = y_true + i * cols, *yp = y_pred + i * cols;
        for (size_t j = j0; j < j1; j++) {
            const int label = yt[j] != 0.0f;
            float p = yp[j];
            if (x->top_k && !in_top_k(yp, d, j, (size_t)x->top_k))
                p = NEG_INF;
            for (size_t k = 0; k < T; k++) {
                const int idx = label * 2 + (p > t[k]);
                a[k] += w * ta[idx];
                if (two)
                    b[k] += w * tb[idx];
            }
        }
    }
    for (size_t k = 0; k < T; k++) {
        m->state[k] += a[k];
        if (two)
            m->state[T + k] += b[k];
    }
    return 0;
}

int
tw_metric_counts_result(const tw_metric *m, double *out, size_t cap)
{
    float t[TW_OPT_MAX_LIST];
    const size_t T = thresholds_of(m, t);
    const bool ratio = m->kind == TW_METRIC_PRECISION || m->kind == TW_METRIC_RECALL;
    for (size_t k = 0; k < T && k < cap; k++) {
        const double a = m->state[k];
        out[k] = ratio ? tw_divide_no_nan(a, a + m->state[T + k]) : a;
    }
    return (int)T;
}

int
tw_metric_at_update(tw_metric *m, const float *y_true, const float *y_pred,
                    const float *sample_weight, size_t n, size_t d)
{
    const int c = m->ext->class_id;
    if (c >= 0 && (size_t)c >= d)
        return -1;
    const size_t j0 = c >= 0 ? (size_t)c : 0, j1 = c >= 0 ? (size_t)c + 1 : d;
    if (m->opts.num_thresholds == 1) { /* Keras: the one threshold 0.5, compared directly */
        for (size_t i = 0; i < n; i++)
            for (size_t j = j0; j < j1; j++) {
                const double w = sample_weight ? sample_weight[i] : 1.0;
                const bool label = y_true[i * d + j] != 0.0f, pos = y_pred[i * d + j] > 0.5f;
                m->state[label ? 0 : 1] += pos ? w : 0.0; /* tp[0], fp[0] */
                m->state[label ? 2 : 3] += w;             /* positives, negatives */
            }
        return 0;
    }
    tw_metric_auc_update_cols(m, y_true, y_pred, sample_weight, n, d, j0, j1);
    return 0;
}

/* Keras's _find_max_under_constraint: the largest dependent rate over the thresholds whose
 * constrained rate is >= value; 0 when there is none. */
double
tw_metric_at_result(const tw_metric *m)
{
    const size_t T = (size_t)m->opts.num_thresholds;
    const double *tp = m->state, *fp = m->state + T;
    const double pos = m->state[2 * T], neg = m->state[2 * T + 1];
    double best = 0.0;
    for (size_t i = 0; i < T; i++) {
        const double fn = pos - tp[i], tn = neg - fp[i];
        const double sens = tw_divide_no_nan(tp[i], tp[i] + fn);
        const double spec = tw_divide_no_nan(tn, tn + fp[i]);
        const double prec = tw_divide_no_nan(tp[i], tp[i] + fp[i]);
        double constrained, dependent;
        switch (m->kind) {
        case TW_METRIC_SENSITIVITY_AT_SPECIFICITY:
            constrained = spec, dependent = sens;
            break;
        case TW_METRIC_SPECIFICITY_AT_SENSITIVITY:
            constrained = sens, dependent = spec;
            break;
        case TW_METRIC_PRECISION_AT_RECALL:
            constrained = sens, dependent = prec;
            break;
        default: /* recall at precision */
            constrained = prec, dependent = sens;
            break;
        }
        if (constrained >= m->ext->value && dependent > best)
            best = dependent;
    }
    return best;
}
