/* metric_impl.h - the tw_metric struct and the kernels' entry points, private to the library.
 *
 * A metric is its kind, its options and a vector of double sufficient statistics (the state,
 * whose layout trainwatch.h documents). AUC also owns a scratch histogram of 2 * T doubles so
 * that an update never allocates. */
#ifndef TW_METRIC_IMPL_H
#define TW_METRIC_IMPL_H

#include "trainwatch.h"

#include <stdbool.h>
#include <stddef.h>

/* How a publisher hears about a tracked metric: the first member of its track. Keeps the
 * metric code free of any link dependency on the publisher. */
typedef struct tw_metric_hook {
    void (*notify)(struct tw_metric_hook *h, const struct tw_metric *m); /* state changed */
    void (*detach)(struct tw_metric_hook *h); /* the metric is being destroyed */
} tw_metric_hook;

struct tw_metric {
    tw_metric_kind kind;
    tw_metric_options opts;
    float threshold_f;     /* opts.threshold rounded to float32, as Keras compares */
    size_t len;            /* doubles in state */
    tw_metric_hook *track; /* the publisher track following this metric, or NULL */
    double *scratch;       /* AUC only: 2 * num_thresholds doubles, else NULL */
    double state[];        /* len doubles, then the scratch when there is one */
};

/* divide_no_nan: 0 when b == 0 exactly, else a / b. */
static inline double
tw_divide_no_nan(double a, double b)
{
    return b == 0.0 ? 0.0 : a / b;
}

/* True when the kind uses the threshold option (BinaryAccuracy, Precision, Recall). */
static inline bool
tw_kind_uses_threshold(int kind)
{
    return kind == TW_METRIC_BINARY_ACCURACY || kind == TW_METRIC_PRECISION ||
           kind == TW_METRIC_RECALL;
}

/* True when the kind uses the k option (the top-k kinds). */
static inline bool
tw_kind_uses_k(int kind)
{
    return kind == TW_METRIC_TOP_K_CATEGORICAL_ACCURACY ||
           kind == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
}

/* True when the kind's value is a mean of per-value numbers whose state carries the moments
 * for a standard error: [total, count, sumsq, values] (Mean, the errors, RMSE and the
 * crossentropies). The accuracies are means too, of hits, but their standard error comes from
 * the counts alone (binomial), so their state stays [total, count]. */
static inline bool
tw_kind_has_moments(int kind)
{
    switch (kind) {
    case TW_METRIC_MEAN:
    case TW_METRIC_MEAN_SQUARED_ERROR:
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR:
    case TW_METRIC_MEAN_ABSOLUTE_ERROR:
    case TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR:
    case TW_METRIC_BINARY_CROSSENTROPY:
    case TW_METRIC_CATEGORICAL_CROSSENTROPY:
        return true;
    default:
        return false;
    }
}

/* The state of a kind with moments before they were added (trainwatch 0.1, wire layout 1):
 * [total, count]. tw_metric_set_state accepts it (moments zero: no standard error). */
#define TW_METRIC_LEGACY_LEN 2u

/* True when n * d does not fit in size_t. */
static inline bool
tw_size_mul_overflows(size_t n, size_t d)
{
    return d != 0 && n > (size_t)-1 / d;
}

/* Mean-wrapped kinds: add sum_i w_i * value_i to state[0] and sum_i w_i to state[1], where
 * value_i is the kind's per-sample value of row i; for the kinds with moments also
 * sum_i w_i * value_i^2 to state[2] and n to state[3]. Arguments are already validated (sparse
 * labels included). Never fails. */
void tw_metric_accumulate_rows(tw_metric *m, const float *y_true, const float *y_pred,
                               const float *sample_weight, size_t n, size_t d);

/* Precision and Recall: one binary decision per element. Arguments already validated. */
void tw_metric_accumulate_confusion(tw_metric *m, const float *y_true, const float *y_pred,
                                    const float *sample_weight, size_t n, size_t d);

/* AUC: bucketed update of tp / fp / positives / negatives, O(n * d + T). */
void tw_metric_auc_update(tw_metric *m, const float *y_true, const float *y_pred,
                          const float *sample_weight, size_t n, size_t d);

/* AUC: the area from the state, with the metric's curve and summation. */
double tw_metric_auc_result(const tw_metric *m);

/* Resets the state without telling the publisher (epoch end resets what it just sent). */
void tw_metric_reset_silently(tw_metric *m);

#endif
