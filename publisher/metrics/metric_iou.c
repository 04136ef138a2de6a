/* metric_iou.c - IoU, BinaryIoU, MeanIoU, OneHotIoU and OneHotMeanIoU as Keras 3: a weighted
 * confusion matrix over classes, and the mean IoU of the target classes.
 *
 * State, C classes: cm[C * C], row = true class, column = predicted class. Labels are read
 * as Keras does (cast to an integer, toward zero); a sparse side holds n labels when the
 * other side is dense (one row of d scores per sample, argmax taken) and n·d labels when both
 * are sparse. BinaryIoU predicts class 1 when y_pred >= threshold. A pair whose true label is
 * ignore_class is skipped (Keras gives it weight 0). A label outside [0, C) is -EINVAL.
 * Result: IoU_c = tp_c / (row_c + col_c − tp_c + ε) over the target classes (all for the
 * mean kinds), summed and divided by the number of them with a denominator > 1e-9, + ε. */
#include "metric_impl.h"

#include <math.h>

#define EPS 1e-7

size_t
tw_metric_iou_state_size(const tw_metric_ext *x)
{
    return (size_t)x->num_classes * (size_t)x->num_classes;
}

/* A label as Keras casts it to int32: toward zero; -1 when not representable. */
static long
label_of(float v)
{
    if (!(v > -2147483648.0f && v < 2147483648.0f))
        return -1;
    return (long)v;
}

/* The (true, predicted) class of element e of sample i; false when a label is not valid. */
static bool
pair_of(const tw_metric *m, const float *y_true, const float *y_pred, size_t i, size_t e, size_t d,
        long *t, long *p)
{
    const tw_metric_ext *x = m->ext;
    const bool both_sparse = x->sparse_y_true && x->sparse_y_pred;
    if (m->kind == TW_METRIC_BINARY_IOU) {
        *t = label_of(y_true[i * d + e]);
        *p = y_pred[i * d + e] >= (float)m->opts.threshold;
        return true;
    }
    if (x->sparse_y_true)
        *t = label_of(y_true[both_sparse ? i * d + e : i]);
    else
        *t = (long)tw_argmax(y_true + i * d, d);
    if (x->sparse_y_pred)
        *p = label_of(y_pred[both_sparse ? i * d + e : i]);
    else
        *p = (long)tw_argmax(y_pred + i * d, d);
    return true;
}

int
tw_metric_iou_update(tw_metric *m, const float *y_true, const float *y_pred,
                     const float *sample_weight, size_t n, size_t d)
{
    const tw_metric_ext *x = m->ext;
    const long C = x->num_classes;
    const bool per_element =
        m->kind == TW_METRIC_BINARY_IOU || (x->sparse_y_true && x->sparse_y_pred);
    const size_t per = per_element ? d : 1;
    /* Check every label first: a refused batch changes nothing. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++)
            for (size_t e = 0; e < per; e++) {
                long t, p;
                pair_of(m, y_true, y_pred, i, e, d, &t, &p);
                if (x->has_ignore_class && t == x->ignore_class)
                    continue;
                if (t < 0 || t >= C || p < 0 || p >= C)
                    return -1;
                if (pass == 1)
                    m->state[t * C + p] += sample_weight ? sample_weight[i] : 1.0;
            }
    return 0;
}

double
tw_metric_iou_result(const tw_metric *m)
{
    const tw_metric_ext *x = m->ext;
    const size_t C = (size_t)x->num_classes;
    const bool all = m->kind == TW_METRIC_MEAN_IOU || m->kind == TW_METRIC_ONE_HOT_MEAN_IOU;
    const size_t targets = all ? C : (size_t)x->n_targets;
    double sum = 0.0, valid = 0.0;
    for (size_t k = 0; k < targets; k++) {
        const size_t c = all ? k : (size_t)x->target_class_ids[k];
        double row = 0.0, col = 0.0;
        for (size_t j = 0; j < C; j++) {
            row += m->state[c * C + j];
            col += m->state[j * C + c];
        }
        const double tp = m->state[c * C + c], den = row + col - tp;
        valid += den > 1e-9;
        sum += tp / (den + EPS);
    }
    return sum / (valid + EPS);
}
