/* metric_confusion.c - Precision and Recall at one threshold, as Keras's confusion metrics.
 *
 * Every element of an (n, d) batch is one binary decision: the label is positive when y_true
 * is nonzero (Keras casts it to bool), the prediction is positive when y_pred > threshold
 * (strict, in float32). The sample's weight applies to each of its d elements. */
#include "metric_impl.h"

void
tw_metric_accumulate_confusion(tw_metric *m, const float *y_true, const float *y_pred,
                               const float *sample_weight, size_t n, size_t d)
{
    const float t = m->threshold_f;
    const bool precision = m->kind == TW_METRIC_PRECISION;
    double tp = 0.0, other = 0.0; /* other: fp for precision, fn for recall */
    for (size_t i = 0; i < n; i++) {
        double w = sample_weight ? sample_weight[i] : 1.0;
        const float *yt = y_true + i * d, *yp = y_pred + i * d;
        for (size_t j = 0; j < d; j++) {
            bool label = yt[j] != 0.0f; /* NaN is true, as bool(NaN) */
            bool pred = yp[j] > t;
            if (label && pred)
                tp += w;
            else if (precision ? (!label && pred) : (label && !pred))
                other += w;
        }
    }
    m->state[0] += tp;
    m->state[1] += other;
}
