/* metric.c - tw_metric lifecycle, argument checks, result(), merge and state access.
 *
 * The kernels that turn a batch into sufficient statistics live in metric_rows.c (the
 * mean-wrapped kinds), metric_confusion.c (precision, recall) and metric_auc.c. This file
 * validates every argument before any of them runs, so a rejected call never changes state. */
#include "metric_impl.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[TW_METRIC_KIND_END] = {
    [TW_METRIC_MEAN] = "mean",
    [TW_METRIC_SUM] = "sum",
    [TW_METRIC_ACCURACY] = "accuracy",
    [TW_METRIC_BINARY_ACCURACY] = "binary_accuracy",
    [TW_METRIC_CATEGORICAL_ACCURACY] = "categorical_accuracy",
    [TW_METRIC_SPARSE_CATEGORICAL_ACCURACY] = "sparse_categorical_accuracy",
    [TW_METRIC_TOP_K_CATEGORICAL_ACCURACY] = "top_k_categorical_accuracy",
    [TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY] = "sparse_top_k_categorical_accuracy",
    [TW_METRIC_MEAN_SQUARED_ERROR] = "mean_squared_error",
    [TW_METRIC_ROOT_MEAN_SQUARED_ERROR] = "root_mean_squared_error",
    [TW_METRIC_MEAN_ABSOLUTE_ERROR] = "mean_absolute_error",
    [TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR] = "mean_absolute_percentage_error",
    [TW_METRIC_BINARY_CROSSENTROPY] = "binary_crossentropy",
    [TW_METRIC_CATEGORICAL_CROSSENTROPY] = "categorical_crossentropy",
    [TW_METRIC_PRECISION] = "precision",
    [TW_METRIC_RECALL] = "recall",
    [TW_METRIC_AUC] = "auc",
    [TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY] = "sparse_categorical_crossentropy",
    [TW_METRIC_KL_DIVERGENCE] = "kl_divergence",
    [TW_METRIC_POISSON] = "poisson",
    [TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR] = "mean_squared_logarithmic_error",
    [TW_METRIC_LOG_COSH_ERROR] = "log_cosh_error",
    [TW_METRIC_COSINE_SIMILARITY] = "cosine_similarity",
    [TW_METRIC_R2_SCORE] = "r2_score",
    [TW_METRIC_TRUE_POSITIVES] = "true_positives",
    [TW_METRIC_FALSE_POSITIVES] = "false_positives",
    [TW_METRIC_TRUE_NEGATIVES] = "true_negatives",
    [TW_METRIC_FALSE_NEGATIVES] = "false_negatives",
    [TW_METRIC_SENSITIVITY_AT_SPECIFICITY] = "sensitivity_at_specificity",
    [TW_METRIC_SPECIFICITY_AT_SENSITIVITY] = "specificity_at_sensitivity",
    [TW_METRIC_PRECISION_AT_RECALL] = "precision_at_recall",
    [TW_METRIC_RECALL_AT_PRECISION] = "recall_at_precision",
    [TW_METRIC_HINGE] = "hinge",
    [TW_METRIC_SQUARED_HINGE] = "squared_hinge",
    [TW_METRIC_CATEGORICAL_HINGE] = "categorical_hinge",
    [TW_METRIC_F_BETA_SCORE] = "f_beta_score",
    [TW_METRIC_F1_SCORE] = "f1_score",
    [TW_METRIC_IOU] = "io_u",
    [TW_METRIC_BINARY_IOU] = "binary_io_u",
    [TW_METRIC_MEAN_IOU] = "mean_io_u",
    [TW_METRIC_ONE_HOT_IOU] = "one_hot_io_u",
    [TW_METRIC_ONE_HOT_MEAN_IOU] = "one_hot_mean_io_u",
    [TW_METRIC_PEARSON_CORRELATION] = "pearson_correlation",
    [TW_METRIC_CONCORDANCE_CORRELATION] = "concordance_correlation",
    [TW_METRIC_CUSTOM] = "custom",
};

#define TW_STR_(x) #x
#define TW_STR(x)  TW_STR_(x)

const char *
tw_version(void)
{
    return TW_STR(TW_VERSION_MAJOR) "." TW_STR(TW_VERSION_MINOR) "." TW_STR(TW_VERSION_PATCH);
}

static bool
kind_is_valid(tw_metric_kind kind)
{
    return kind >= TW_METRIC_MEAN && kind < TW_METRIC_KIND_END;
}

static bool
kind_is_reduction(tw_metric_kind kind)
{
    return kind == TW_METRIC_MEAN || kind == TW_METRIC_SUM;
}

static bool
kind_is_sparse(tw_metric_kind kind)
{
    return kind == TW_METRIC_SPARSE_CATEGORICAL_ACCURACY ||
           kind == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
}

tw_metric_options
tw_metric_defaults(void)
{
    tw_metric_options o = {
        .threshold = 0.5,
        .k = 5,
        .num_thresholds = 200,
        .curve = TW_AUC_ROC,
        .summation = TW_AUC_INTERPOLATION,
    };
    return o;
}

/* Checks the options `kind` uses; the others are ignored. */
static bool
options_are_valid(tw_metric_kind kind, const tw_metric_options *o)
{
    if (tw_kind_uses_threshold(kind))
        return o->threshold >= 0.0 && o->threshold <= 1.0; /* false for NaN */
    if (tw_kind_uses_k(kind))
        return o->k >= 1;
    if (kind == TW_METRIC_AUC)
        return o->num_thresholds >= 2 && o->num_thresholds <= TW_AUC_MAX_THRESHOLDS &&
               (o->curve == TW_AUC_ROC || o->curve == TW_AUC_PR || o->curve == TW_AUC_PRGAIN) &&
               (o->summation == TW_AUC_INTERPOLATION || o->summation == TW_AUC_MINORING ||
                o->summation == TW_AUC_MAJORING);
    return true;
}

static size_t
state_size(tw_metric_kind kind, const tw_metric_options *o, const tw_metric_ext *x)
{
    size_t ext = tw_metric_ext_state_size(kind, o, x);
    if (ext || kind >= TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY)
        return ext; /* 0: options the kind cannot take */
    switch (kind) {
    case TW_METRIC_SUM:
        return 1;
    case TW_METRIC_AUC:
        return 2 * (size_t)o->num_thresholds + 2;
    default:
        if (tw_kind_has_moments(kind))
            return 4;
        return 2;
    }
}

size_t
tw_metric_state_size_for(tw_metric_kind kind, const tw_metric_options *opts)
{
    tw_metric_options o = opts ? *opts : tw_metric_defaults(), unused;
    tw_metric_ext x;
    if (!kind_is_valid(kind) || !options_are_valid(kind, &o))
        return 0;
    tw_metric_ext_defaults(kind, &unused, &x);
    return state_size(kind, &o, &x);
}

tw_metric *
tw_metric_new(tw_metric_kind kind, const tw_metric_options *opts)
{
    tw_metric_options o = opts ? *opts : tw_metric_defaults(), unused;
    tw_metric_ext x;
    if (!kind_is_valid(kind) || !options_are_valid(kind, &o)) {
        errno = EINVAL;
        return NULL;
    }
    tw_metric_ext_defaults(kind, &unused, &x);
    return tw_metric_create(kind, &o, &x);
}

/* The metric, its state, its scratch, its ext and its options string in one allocation. */
tw_metric *
tw_metric_create(tw_metric_kind kind, const tw_metric_options *o, const tw_metric_ext *x)
{
    char optstr[TW_METRIC_OPTIONS_MAX + 1];
    int slen = tw_metric_options_format(kind, o, x, optstr, sizeof optstr);
    size_t len = state_size(kind, o, x);
    if (slen < 0 || len == 0) {
        errno = EINVAL;
        return NULL;
    }
    bool bucketed = kind == TW_METRIC_AUC || (kind >= TW_METRIC_SENSITIVITY_AT_SPECIFICITY &&
                                              kind <= TW_METRIC_RECALL_AT_PRECISION);
    size_t scratch = bucketed ? 2 * (size_t)o->num_thresholds : 0;
    size_t doubles = len + scratch;
    size_t align = _Alignof(tw_metric); /* (metric_impl.h) */
    size_t size =
        sizeof(tw_metric) + doubles * sizeof(double) + sizeof(tw_metric_ext) + (size_t)slen + 1;
    size = (size + align - 1) / align * align;
    tw_metric *m = aligned_alloc(align, size);
    if (m)
        memset(m, 0, size);
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    tw_metric_ext *ext = (tw_metric_ext *)(m->state + doubles);
    *ext = *x;
    memcpy((char *)(ext + 1), optstr, (size_t)slen + 1);
    m->kind = kind;
    m->opts = *o;
    m->ext = ext;
    m->optstr = (const char *)(ext + 1);
    m->row_ext = tw_metric_row_has_ext(m);
    m->threshold_f = (float)o->threshold;
    m->len = len;
    m->scratch = scratch ? m->state + len : NULL;
    m->ratio = kind != TW_METRIC_AUC && !tw_metric_uses_ext_kernel(m); /* (fixed: as kind) */
    return m;
}

/* Tells the tracking publisher, if any, that the state changed. */
static inline void
notify(tw_metric *m)
{
    if (m->track)
        m->track->notify(m->track, m);
}

void
tw_metric_destroy(tw_metric **m)
{
    if (!m || !*m)
        return;
    if ((*m)->track)
        (*m)->track->detach((*m)->track);
    free(*m);
    *m = NULL;
}

void
tw_metric_reset_silently(tw_metric *m)
{
    memset(m->state, 0, m->len * sizeof(double));
}

void
tw_metric_reset_state(tw_metric *m)
{
    if (!m)
        return;
    tw_metric_reset_silently(m);
    notify(m);
}

/* Sparse labels must be integers in [0, d): checked before anything is accumulated. */
static bool
labels_are_valid(const float *labels, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        float l = labels[i];
        if (!(l >= 0.0f && l < (float)d) || l != floorf(l))
            return false;
        if ((size_t)l >= d) /* (float)d may round up for huge d */
            return false;
    }
    return true;
}

int
tw_metric_update_state(tw_metric *m, const float *y_true, const float *y_pred,
                       const float *sample_weight, size_t n, size_t d)
{
    if (!m || !y_true || !y_pred || d == 0 || tw_size_mul_overflows(n, d) ||
        kind_is_reduction(m->kind))
        return -EINVAL;
    if (kind_is_sparse(m->kind) &&
        !labels_are_valid(y_true, n, m->ext->from_sorted_ids ? SIZE_MAX : d))
        return -EINVAL; /* from_sorted_ids: y_pred holds k ids, a label is any class id */
    if (n == 0)
        return 0;
    if (tw_metric_uses_ext_kernel(m)) {
        int rc = tw_metric_ext_update(m, y_true, y_pred, sample_weight, n, d);
        if (rc)
            return rc;
        notify(m);
        return 0;
    }
    switch (m->kind) {
    case TW_METRIC_PRECISION:
    case TW_METRIC_RECALL:
        tw_metric_accumulate_confusion(m, y_true, y_pred, sample_weight, n, d);
        break;
    case TW_METRIC_AUC:
        tw_metric_auc_update(m, y_true, y_pred, sample_weight, n, d);
        break;
    default:
        tw_metric_accumulate_rows(m, y_true, y_pred, sample_weight, n, d);
        break;
    }
    notify(m);
    return 0;
}

int
tw_metric_update_values(tw_metric *m, const float *values, const float *sample_weight, size_t n,
                        size_t d)
{
    if (!m || !values || d == 0 || tw_size_mul_overflows(n, d) || !kind_is_reduction(m->kind))
        return -EINVAL;
    double total = 0.0, count = 0.0, squares = 0.0, kept = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *row = values + i * d;
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += row[j];
        double v = m->kind == TW_METRIC_MEAN ? s / (double)d : s;
        double w = sample_weight ? sample_weight[i] : 1.0;
        total += sample_weight ? v * w : v;
        count += w;
        squares += sample_weight ? v * v * w : v * v;
        kept += w != 0.0; /* a value of weight 0 is masked out */
    }
    m->state[0] += total;
    if (m->kind == TW_METRIC_MEAN) {
        m->state[1] += count;
        m->state[2] += squares;
        m->state[3] += kept;
    }
    notify(m);
    return 0;
}

int
tw_metric_update_scalar(tw_metric *m, double value, double weight)
{
    if (!m || !kind_is_reduction(m->kind))
        return -EINVAL;
    m->state[0] += value * weight;
    if (m->kind == TW_METRIC_MEAN) {
        m->state[1] += weight;
        m->state[2] += value * value * weight;
        m->state[3] += weight != 0.0;
    }
    notify(m);
    return 0;
}

int
tw_metric_update_slots(tw_metric *m, const double *values, size_t n)
{
    if (!m || !values || m->kind != TW_METRIC_CUSTOM || n != m->len)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        m->state[i] += values[i];
    notify(m);
    return 0;
}

/* The result of state s for the kinds whose result is a ratio of its first two doubles (all
 * but AUC and the kinds of the extended kernels). */
static inline double
ratio_result(tw_metric_kind kind, const double *s)
{
    switch (kind) {
    case TW_METRIC_SUM:
        return s[0];
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR:
        return sqrt(tw_divide_no_nan(s[0], s[1]));
    case TW_METRIC_PRECISION: /* [tp, fp] */
    case TW_METRIC_RECALL:    /* [tp, fn] */
        return tw_divide_no_nan(s[0], s[0] + s[1]);
    default:
        return tw_divide_no_nan(s[0], s[1]);
    }
}

double
tw_metric_result(const tw_metric *m)
{
    if (!m)
        return NAN;
    if (tw_metric_uses_ext_kernel(m))
        return tw_metric_ext_result(m);
    if (m->kind == TW_METRIC_AUC)
        return tw_metric_auc_result(m);
    return ratio_result(m->kind, m->state);
}

double
tw_metric_result_of(tw_metric *m, const double *state, size_t len)
{
    if (!m || !state)
        return NAN;
    if (m->ratio &&
        (len == m->len || (len == TW_METRIC_LEGACY_LEN && tw_kind_has_moments(m->kind))))
        return ratio_result(m->kind, state); /* state is not copied: m is left as it was */
    if (tw_metric_set_state(m, state, len) != 0)
        return NAN;
    return tw_metric_result(m);
}

/* The binomial standard error of k successes in n trials (weights): sqrt(p (1 - p) / n) with
 * p = k / n; NaN when n is not positive or a number is not finite. */
static double
se_binomial(double k, double n)
{
    if (!(n > 0.0) || !isfinite(k) || !isfinite(n))
        return NAN;
    double p = k / n;
    double v = p * (1.0 - p) / n;
    return v > 0.0 ? sqrt(v) : 0.0; /* p = 0 or 1 (or a little past it by weights): 0 */
}

/* The standard error of a weighted mean from [total, count, sumsq, values]:
 * sqrt((sumsq - W m^2) / ((B - 1) W)); NaN for B < 2, W <= 0 or non-finite moments. */
static double
se_mean(const double *s)
{
    double w = s[1], b = s[3];
    if (!(w > 0.0) || !(b >= 2.0) || !isfinite(s[0]) || !isfinite(s[2]) || !isfinite(w))
        return NAN;
    double ss = s[2] - s[0] * s[0] / w; /* sum of w (x - m)^2 */
    return ss > 0.0 ? sqrt(ss / ((b - 1.0) * w)) : 0.0;
}

/* Hanley & McNeil (1982): the standard error of a ROC AUC `a` from np positives and nn
 * negatives; NaN when either is not positive. */
static double
se_hanley_mcneil(double a, double np, double nn)
{
    if (!(np > 0.0) || !(nn > 0.0) || !isfinite(a) || !isfinite(np) || !isfinite(nn))
        return NAN;
    double q1 = a / (2.0 - a), q2 = 2.0 * a * a / (1.0 + a);
    double v = (a * (1.0 - a) + (np - 1.0) * (q1 - a * a) + (nn - 1.0) * (q2 - a * a)) / (np * nn);
    return v > 0.0 ? sqrt(v) : 0.0;
}

double
tw_metric_stderr(const tw_metric *m)
{
    if (!m)
        return NAN;
    const double *s = m->state;
    switch (m->kind) {
    case TW_METRIC_ACCURACY: /* [correct, count] */
    case TW_METRIC_BINARY_ACCURACY:
    case TW_METRIC_CATEGORICAL_ACCURACY:
    case TW_METRIC_SPARSE_CATEGORICAL_ACCURACY:
    case TW_METRIC_TOP_K_CATEGORICAL_ACCURACY:
    case TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY:
        return se_binomial(s[0], s[1]);
    case TW_METRIC_PRECISION: /* [tp, fp]; with several thresholds [tp[T], fp[T]], a vector */
    case TW_METRIC_RECALL:    /* [tp, fn] */
        return m->ext->n_thresholds > 1 ? NAN : se_binomial(s[0], s[0] + s[1]);
    case TW_METRIC_AUC: { /* multi_label: one curve per label, its SE is not the first's */
        if (m->opts.curve != TW_AUC_ROC || m->ext->multi_label)
            return NAN;
        size_t t = (size_t)m->opts.num_thresholds;
        return se_hanley_mcneil(tw_metric_result(m), s[2 * t], s[2 * t + 1]);
    }
    case TW_METRIC_ROOT_MEAN_SQUARED_ERROR: { /* the delta method: se(mse) / (2 rmse) */
        double se = se_mean(s), rmse = sqrt(tw_divide_no_nan(s[0], s[1]));
        if (se == 0.0)
            return 0.0;
        return rmse > 0.0 ? se / (2.0 * rmse) : NAN;
    }
    default: /* Sum, the kinds added in 0.2 and custom metrics: none (yet) */
        return tw_kind_has_moments(m->kind) ? se_mean(s) : NAN;
    }
}

/* Same kind, and the same value for every option the kind uses. */
static bool
compatible(const tw_metric *a, const tw_metric *b)
{
    if (a->kind != b->kind || a->len != b->len || strcmp(a->optstr, b->optstr) != 0)
        return false;
    if (tw_kind_uses_threshold(a->kind) && a->threshold_f != b->threshold_f)
        return false;
    if (tw_kind_uses_k(a->kind) && a->opts.k != b->opts.k)
        return false;
    if (a->kind == TW_METRIC_AUC &&
        (a->opts.num_thresholds != b->opts.num_thresholds || a->opts.curve != b->opts.curve ||
         a->opts.summation != b->opts.summation))
        return false;
    return true;
}

int
tw_metric_merge_state(tw_metric *into, const tw_metric *from)
{
    if (!into || !from || !compatible(into, from))
        return -EINVAL;
    return tw_metric_add_state(into, from->state, from->len);
}

tw_metric_kind
tw_metric_kind_of(const tw_metric *m)
{
    return m ? m->kind : (tw_metric_kind)0;
}

tw_metric_options
tw_metric_options_of(const tw_metric *m)
{
    return m ? m->opts : tw_metric_defaults();
}

size_t
tw_metric_state_size(const tw_metric *m)
{
    return m ? m->len : 0;
}

const double *
tw_metric_state(const tw_metric *m)
{
    return m ? m->state : NULL;
}

int
tw_metric_add_state(tw_metric *m, const double *state, size_t len)
{
    bool legacy = m && tw_kind_has_moments(m->kind) && len == TW_METRIC_LEGACY_LEN;
    if (!m || !state || (len != m->len && !legacy))
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        m->state[i] += state[i];
    if (legacy)
        m->state[2] = NAN; /* moments unknown from here on: no standard error until reset */
    notify(m);
    return 0;
}

int
tw_metric_set_state(tw_metric *m, const double *state, size_t len)
{
    bool legacy = m && tw_kind_has_moments(m->kind) && len == TW_METRIC_LEGACY_LEN;
    if (!m || !state || (len != m->len && !legacy))
        return -EINVAL;
    if (len <= 4) { /* most states (a Mean's 4): no call; through t, as memmove, for overlap */
        double t[4];
        for (size_t i = 0; i < 4; i++)
            if (i < len)
                t[i] = state[i];
        for (size_t i = 0; i < 4; i++)
            if (i < len)
                m->state[i] = t[i];
    } else {
        memmove(m->state, state, len * sizeof(double));
    }
    if (legacy)
        memset(m->state + len, 0, (m->len - len) * sizeof(double));
    notify(m);
    return 0;
}

const char *
tw_metric_kind_name(tw_metric_kind kind)
{
    return kind_is_valid(kind) ? kind_names[kind] : NULL;
}

tw_metric_kind
tw_metric_kind_from_name(const char *name)
{
    if (!name)
        return (tw_metric_kind)0;
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++)
        if (strcmp(kind_names[k], name) == 0)
            return (tw_metric_kind)k;
    return tw_metric_kind_from_alias(name);
}
