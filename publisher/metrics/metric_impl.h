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

/* Keras arguments beyond tw_metric_options, parsed by metric_options.c. Limits: a list holds
 * at most TW_OPT_MAX_LIST entries; num_classes is at most TW_OPT_MAX_CLASSES (the IoU kinds':
 * TW_OPT_MAX_IOU_CLASSES, their state being C * C doubles), num_outputs at most TW_OPT_MAX_CLASSES.
 */
#define TW_OPT_MAX_LIST        256
#define TW_OPT_MAX_CLASSES     1024
#define TW_OPT_MAX_IOU_CLASSES 400 /* C * C doubles within the wire's TW_WIRE_MAX_STATE */

/* Custom metrics (metric_custom.c): limits, and one operation of a compiled expression. */
#define TW_CUSTOM_MAX_SLOTS 64
#define TW_CUSTOM_MAX_EXPR  1024
#define TW_CUSTOM_MAX_OPS   256
#define TW_CUSTOM_MAX_DEPTH 64

typedef struct tw_custom_op {
    unsigned char op, slot;
    double num;
} tw_custom_op;

typedef enum { TW_AVG_NONE, TW_AVG_MICRO, TW_AVG_MACRO, TW_AVG_WEIGHTED } tw_avg;
typedef enum { TW_R2_UNIFORM, TW_R2_VARIANCE, TW_R2_RAW } tw_r2_aggregation;

typedef struct tw_metric_ext {
    int n_thresholds;                   /* confusion kinds: > 1 for a list (else opts.threshold) */
    bool thresholds_given;              /* Precision, Recall: with top_k and none given, -1e10 */
    double thresholds[TW_OPT_MAX_LIST]; /* sorted as given, each in [0, 1] */
    int top_k;                          /* Precision, Recall: 0 for None */
    int class_id;                       /* Precision, Recall, X-at-Y: -1 for None */
    bool from_logits;                   /* crossentropies, AUC */
    double label_smoothing;             /* BCE, CCE */
    bool from_sorted_ids;               /* SparseTopKCategoricalAccuracy */
    double beta;                        /* F-beta (1 for F1) */
    tw_avg average;                     /* F-beta, F1 */
    double f_threshold;                 /* F-beta, F1: NaN for None */
    int num_classes;                    /* F-beta, F1, the IoU kinds; 0: not given */
    int n_targets;                      /* IoU, BinaryIoU, OneHotIoU: target_class_ids */
    int target_class_ids[TW_OPT_MAX_LIST];
    bool has_ignore_class; /* IoU kinds, SparseCategoricalCrossentropy */
    int ignore_class;
    bool sparse_y_true, sparse_y_pred; /* IoU kinds */
    double value;                      /* X-at-Y: the constraint (specificity, recall, ...) */
    tw_r2_aggregation class_aggregation;
    int num_regressors;
    int num_outputs; /* R2 */
    /* the functions' own arguments (tw_metric_fn) */
    double alpha, gamma;        /* focal crossentropies: 0.25, 2 */
    bool apply_class_balancing; /* binary focal crossentropy */
    double delta;               /* huber: 1 */
    /* custom metrics: slot names, the expression (spaces removed) and its program */
    bool multi_label; /* AUC: one curve per label (num_labels of them), averaged */
    int num_labels;   /* AUC with multi_label */
    int n_label_weights;
    double label_weights[TW_OPT_MAX_LIST];
    bool auc_direct; /* AUC's explicit thresholds are not evenly spaced: p > t_i directly */
    int n_slots, n_prog;
    char slot_names[TW_CUSTOM_MAX_SLOTS][32];
    char expr[TW_CUSTOM_MAX_EXPR + 1];
    tw_custom_op prog[TW_CUSTOM_MAX_OPS];
} tw_metric_ext;

/* Compiles x->expr over x's slot names into x->prog; NULL, or the reason it cannot. */
const char *tw_metric_custom_compile(tw_metric_ext *x);

/* Reads a quoted expression at *p into x->expr, canonical (spaces dropped but one between two
 * words); moves *p past the closing quote. NULL, or the reason it cannot. */
const char *tw_metric_custom_read_expr(const char **p, tw_metric_ext *x);

/* A custom metric's value: its expression over its state. */
double tw_metric_custom_eval(const tw_metric *m);

/* Pseudo kinds for the options of Keras's functions that no metric class has (tw_metric_fn):
 * tw_metric_options_parse takes them as kinds. */
enum {
    TW_FN_BINARY_CROSSENTROPY = 1000, /* binary_crossentropy's axis beside the metric's */
    TW_FN_BINARY_FOCAL_CROSSENTROPY,
    TW_FN_CATEGORICAL_FOCAL_CROSSENTROPY,
    TW_FN_HUBER,
    TW_FN_END
};

/* Keras's defaults for `kind` in ext, and in *o tw_metric_defaults(). */
void tw_metric_ext_defaults(tw_metric_kind kind, tw_metric_options *o, tw_metric_ext *ext);

/* Parses an options string for `kind` into *o and *ext (defaults first). Returns 0, or
 * -EINVAL with the reason in err (cap bytes, may be NULL). */
int tw_metric_options_parse(tw_metric_kind kind, const char *str, tw_metric_options *o,
                            tw_metric_ext *ext, char *err, size_t cap);

/* Writes the canonical options string of (kind, o, ext) into buf (cap bytes); returns its
 * length, or -1 when it does not fit. */
int tw_metric_options_format(tw_metric_kind kind, const tw_metric_options *o,
                             const tw_metric_ext *ext, char *buf, size_t cap);

/* Creates a metric from parsed options (checked by the caller). NULL with errno set. */
tw_metric *tw_metric_create(tw_metric_kind kind, const tw_metric_options *o,
                            const tw_metric_ext *ext);

/* State size of the kinds added in 0.2 (0 for the others and for invalid options). */
size_t tw_metric_ext_state_size(tw_metric_kind kind, const tw_metric_options *o,
                                const tw_metric_ext *ext);

/* The state size an options string gives `kind`, 0 when it is invalid. Allocates nothing. */
size_t tw_metric_state_size_opts(tw_metric_kind kind, const char *options);

/* True for the kinds added in 0.2 and for the old kinds with options only the string form
 * sets (their update and result go through metric_ext.c). */
bool tw_metric_uses_ext_kernel(const tw_metric *m);

/* The 0.2 kernels (metric_ext.c dispatches to the kind's file). Arguments validated, except
 * what only the kind can check (labels in range): -EINVAL then, state unchanged. */
int tw_metric_ext_update(tw_metric *m, const float *y_true, const float *y_pred,
                         const float *sample_weight, size_t n, size_t d);
double tw_metric_ext_result(const tw_metric *m);
int tw_metric_ext_result_vector(const tw_metric *m, double *out, size_t cap);

/* Allocated 64-aligned (tw_metric_create): what a scalar update touches, the kind, the track
 * and a small state, is then in one cache line, the second. */
struct tw_metric {
    tw_metric_options opts;
    const tw_metric_ext *ext; /* Keras arguments beyond opts; in the same allocation */
    const char *optstr;       /* canonical options string; in the same allocation */
    bool row_ext;             /* the rows take tw_metric_row_ext (tw_metric_row_has_ext) */
    bool ratio;               /* its result is ratio_result of its state (metric.c) */
    float threshold_f;        /* opts.threshold rounded to float32, as Keras compares */
    double *scratch;          /* AUC only: 2 * num_thresholds doubles, else NULL */
    _Alignas(64) tw_metric_kind kind;
    size_t len;            /* doubles in state */
    tw_metric_hook *track; /* the publisher track following this metric, or NULL */
    double state[];        /* len doubles, then the scratch when there is one */
};

_Static_assert(offsetof(struct tw_metric, kind) == 64 &&
                   offsetof(struct tw_metric, state) + 4 * sizeof(double) <= 128,
               "a Mean's kind, track and state share a cache line");

/* Keras's name of an AUC curve. */
static inline const char *
tw_auc_curve_name(int curve)
{
    return curve == TW_AUC_PRGAIN ? "PRGAIN" : curve == TW_AUC_PR ? "PR" : "ROC";
}

/* divide_no_nan: 0 when b == 0 exactly, else a / b. */
static inline double
tw_divide_no_nan(double a, double b)
{
    return b == 0.0 ? 0.0 : a / b;
}

/* The families of the kinds added in 0.2. */
static inline bool
tw_kind_is_counts(int k)
{
    return k >= TW_METRIC_TRUE_POSITIVES && k <= TW_METRIC_FALSE_NEGATIVES;
}

static inline bool
tw_kind_is_at(int k)
{
    return k >= TW_METRIC_SENSITIVITY_AT_SPECIFICITY && k <= TW_METRIC_RECALL_AT_PRECISION;
}

static inline bool
tw_kind_is_iou(int k)
{
    return k >= TW_METRIC_IOU && k <= TW_METRIC_ONE_HOT_MEAN_IOU;
}

static inline bool
tw_kind_is_fbeta(int k)
{
    return k == TW_METRIC_F_BETA_SCORE || k == TW_METRIC_F1_SCORE;
}

/* First index of the largest value (Keras/numpy argmax tie rule). */
static inline size_t
tw_argmax(const float *v, size_t d)
{
    size_t best = 0;
    for (size_t j = 1; j < d; j++)
        if (v[j] > v[best])
            best = j;
    return best;
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
 * for a standard error: [total, count, sumsq, values] (Mean, the errors, RMSE, the
 * crossentropies, and the mean-wrapped kinds added in 0.2: KL divergence, Poisson, MSLE,
 * log-cosh, cosine similarity, the hinges, Pearson and concordance correlation). The
 * accuracies are means too, of hits, but their standard error comes from the counts alone
 * (binomial), so their state stays [total, count]. */
static inline bool
tw_kind_has_moments(int kind)
{
    switch (kind) {
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

/* The same over the columns [j0, j1) of each row only (class_id slices one). */
void tw_metric_auc_update_cols(tw_metric *m, const float *y_true, const float *y_pred,
                               const float *sample_weight, size_t n, size_t d, size_t j0,
                               size_t j1);

/* The same into the block `state` ([tp[T], fp[T], positives, negatives]), a sample's weight
 * times col_w[j] for its element j when col_w is not NULL (AUC's label_weights). */
void tw_metric_auc_update_block(tw_metric *m, double *state, const float *y_true,
                                const float *y_pred, const float *sample_weight, size_t n, size_t d,
                                size_t j0, size_t j1, const double *col_w);

/* AUC's area of one block of state (one label's with multi_label). */
double tw_metric_auc_area(const tw_metric *m, const double *state);

/* AUC with multi_label, label_weights or explicit thresholds (metric_auc_labels.c). */
bool tw_metric_auc_is_ext(const tw_metric_options *o, const tw_metric_ext *x);
size_t tw_metric_auc_ext_state_size(const tw_metric_options *o, const tw_metric_ext *x);
int tw_metric_auc_ext_update(tw_metric *m, const float *y_true, const float *y_pred,
                             const float *sample_weight, size_t n, size_t d);
double tw_metric_auc_ext_result(const tw_metric *m);

/* Explicit thresholds in x: T = n + 2 in o, and whether they need the direct test (not evenly
 * spaced, by Keras's test: [0, t.., 1] within 1e-7 + 1e-5·|t| of i / (T - 1)). */
void tw_metric_auc_explicit(tw_metric_options *o, tw_metric_ext *x);

/* AUC: the area from the state, with the metric's curve and summation. */
double tw_metric_auc_result(const tw_metric *m);

/* Mean-wrapped kinds added in 0.2 (metric_regression.c): the per-sample value of a row, in
 * the rows' own layout (yt: the label when the kind is sparse); and whether a kind is one. */
bool tw_metric_is_ext_rows(tw_metric_kind kind);
int tw_metric_ext_rows_update(tw_metric *m, const float *y_true, const float *y_pred,
                              const float *sample_weight, size_t n, size_t d);

/* The old mean-wrapped kinds' rows under options only the string form sets (from_logits,
 * label_smoothing, from_sorted_ids); metric_rows.c calls it when tw_metric_row_has_ext(). */
bool tw_metric_row_has_ext(const tw_metric *m);
double tw_metric_row_ext(const tw_metric *m, const float *yt, const float *yp, size_t d);

/* R2Score (metric_r2.c): state [num_samples, sum[o], squared_sum[o], residual[o], count[o]]. */
size_t tw_metric_r2_state_size(const tw_metric_ext *x);
int tw_metric_r2_update(tw_metric *m, const float *y_true, const float *y_pred,
                        const float *sample_weight, size_t n, size_t d);
int tw_metric_r2_result(const tw_metric *m, double *out, size_t cap);

/* The confusion counts at thresholds (metric_thresholds.c). */
int tw_metric_counts_update(tw_metric *m, const float *y_true, const float *y_pred,
                            const float *sample_weight, size_t n, size_t d);
int tw_metric_counts_result(const tw_metric *m, double *out, size_t cap);
int tw_metric_at_update(tw_metric *m, const float *y_true, const float *y_pred,
                        const float *sample_weight, size_t n, size_t d);
double tw_metric_at_result(const tw_metric *m);

/* F-beta and F1 (metric_fbeta.c). */
size_t tw_metric_fbeta_state_size(const tw_metric_ext *x);
int tw_metric_fbeta_update(tw_metric *m, const float *y_true, const float *y_pred,
                           const float *sample_weight, size_t n, size_t d);
int tw_metric_fbeta_result(const tw_metric *m, double *out, size_t cap);

/* The IoU kinds (metric_iou.c). */
size_t tw_metric_iou_state_size(const tw_metric_ext *x);
int tw_metric_iou_update(tw_metric *m, const float *y_true, const float *y_pred,
                         const float *sample_weight, size_t n, size_t d);
double tw_metric_iou_result(const tw_metric *m);

/* The kind named by the obvious spelling of an IoU kind's name ("iou", "mean_iou", ...);
 * 0 when there is none. (Keras's short aliases, "mse", are the Python binding's.) */
tw_metric_kind tw_metric_kind_from_alias(const char *name);

/* The per-sample value of row i of an old mean-wrapped kind (metric_rows.c), for
 * tw_metric_fn. */
double tw_metric_row_value(const tw_metric *m, const float *yt, const float *yp, size_t d);

/* The per-sample value of a row of a 0.2 mean-wrapped kind (metric_regression.c); `binary`:
 * the hinge kinds' batch holds only 0/1 labels. And the batch check itself. */
double tw_metric_ext_row_value(const tw_metric *m, const float *yt, const float *yp, size_t d,
                               bool binary);
bool tw_metric_labels_binary(const float *yt, size_t len);

/* Resets the state without telling the publisher (epoch end resets what it just sent). */
void tw_metric_reset_silently(tw_metric *m);

#endif
