/* metric_ext.c - the entry points of the kinds added in 0.2 and of Keras arguments beyond
 * tw_metric_options: tw_metric_new_opts, tw_metric_options_string, tw_metric_result_vector,
 * and the dispatch of state size, update and result to each family's file. */
#include "metric_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Precision or Recall with a threshold list, top_k or class_id. */
static bool
pr_ext(tw_metric_kind k, const tw_metric_ext *x)
{
    return (k == TW_METRIC_PRECISION || k == TW_METRIC_RECALL) &&
           (x->n_thresholds > 1 || x->top_k || x->class_id >= 0);
}

void
tw_metric_ext_defaults(tw_metric_kind kind, tw_metric_options *o, tw_metric_ext *ext)
{
    *o = tw_metric_defaults();
    memset(ext, 0, sizeof *ext);
    ext->class_id = -1;
    ext->beta = 1.0;
    ext->f_threshold = NAN;
    ext->num_outputs = 1;
    ext->alpha = 0.25;
    ext->gamma = 2.0;
    ext->delta = 1.0;
    ext->sparse_y_true =
        kind == TW_METRIC_IOU || kind == TW_METRIC_MEAN_IOU || kind == TW_METRIC_BINARY_IOU;
    ext->sparse_y_pred = ext->sparse_y_true;
    if (kind == TW_METRIC_BINARY_IOU) {
        ext->num_classes = 2;
        ext->n_targets = 2;
        ext->target_class_ids[1] = 1;
    }
}

size_t
tw_metric_ext_state_size(tw_metric_kind kind, const tw_metric_options *o, const tw_metric_ext *x)
{
    size_t T = x->n_thresholds > 1 ? (size_t)x->n_thresholds : 1;
    if (kind == TW_METRIC_AUC && tw_metric_auc_is_ext(o, x))
        return tw_metric_auc_ext_state_size(o, x);
    if (pr_ext(kind, x))
        return 2 * T;
    if (tw_kind_is_counts(kind))
        return T;
    if (tw_metric_is_ext_rows(kind))
        return 4; /* [total, count, sumsq, values] */
    if (kind == TW_METRIC_R2_SCORE)
        return tw_metric_r2_state_size(x);
    if (tw_kind_is_at(kind))
        return o->num_thresholds >= 1 && o->num_thresholds <= TW_AUC_MAX_THRESHOLDS
                   ? 2 * (size_t)o->num_thresholds + 2
                   : 0;
    if (tw_kind_is_fbeta(kind))
        return x->num_classes > 0 ? tw_metric_fbeta_state_size(x) : 0;
    if (tw_kind_is_iou(kind))
        return x->num_classes > 0 ? tw_metric_iou_state_size(x) : 0;
    if (kind == TW_METRIC_CUSTOM)
        return x->n_prog > 0 ? (size_t)x->n_slots : 0;
    return 0;
}

bool
tw_metric_uses_ext_kernel(const tw_metric *m)
{
    return m->kind >= TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY || pr_ext(m->kind, m->ext) ||
           (m->kind == TW_METRIC_AUC && tw_metric_auc_is_ext(&m->opts, m->ext));
}

int
tw_metric_ext_update(tw_metric *m, const float *y_true, const float *y_pred,
                     const float *sample_weight, size_t n, size_t d)
{
    int rc;
    if (m->kind == TW_METRIC_CUSTOM)
        rc = -1; /* its slots take tw_metric_update_slots */
    else if (m->kind == TW_METRIC_AUC)
        rc = tw_metric_auc_ext_update(m, y_true, y_pred, sample_weight, n, d);
    else if (tw_metric_is_ext_rows(m->kind))
        rc = tw_metric_ext_rows_update(m, y_true, y_pred, sample_weight, n, d);
    else if (m->kind == TW_METRIC_R2_SCORE)
        rc = tw_metric_r2_update(m, y_true, y_pred, sample_weight, n, d);
    else if (tw_kind_is_at(m->kind))
        rc = tw_metric_at_update(m, y_true, y_pred, sample_weight, n, d);
    else if (tw_kind_is_fbeta(m->kind))
        rc = tw_metric_fbeta_update(m, y_true, y_pred, sample_weight, n, d);
    else if (tw_kind_is_iou(m->kind))
        rc = tw_metric_iou_update(m, y_true, y_pred, sample_weight, n, d);
    else
        rc = tw_metric_counts_update(m, y_true, y_pred, sample_weight, n, d);
    return rc ? -EINVAL : 0;
}

/* Vector results: every value; scalar ones: one. */
static int
ext_vector(const tw_metric *m, double *out, size_t cap)
{
    if (m->kind == TW_METRIC_CUSTOM || m->kind == TW_METRIC_AUC) {
        if (cap > 0)
            out[0] =
                m->kind == TW_METRIC_AUC ? tw_metric_auc_ext_result(m) : tw_metric_custom_eval(m);
        return 1;
    }
    if (tw_metric_is_ext_rows(m->kind)) {
        if (cap > 0)
            out[0] = tw_divide_no_nan(m->state[0], m->state[1]);
        return 1;
    }
    if (m->kind == TW_METRIC_R2_SCORE)
        return tw_metric_r2_result(m, out, cap);
    if (tw_kind_is_fbeta(m->kind))
        return tw_metric_fbeta_result(m, out, cap);
    if (tw_kind_is_at(m->kind) || tw_kind_is_iou(m->kind)) {
        if (cap > 0)
            out[0] = tw_kind_is_at(m->kind) ? tw_metric_at_result(m) : tw_metric_iou_result(m);
        return 1;
    }
    return tw_metric_counts_result(m, out, cap);
}

/* A vector result's scalar is the mean of its values (F1's macro average for average=None). */
double
tw_metric_ext_result(const tw_metric *m)
{
    double v[TW_OPT_MAX_CLASSES];
    int n = ext_vector(m, v, TW_OPT_MAX_CLASSES);
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return n == 1 ? v[0] : s / n;
}

int
tw_metric_result_vector(const tw_metric *m, double *out, size_t cap)
{
    if (!m || (!out && cap > 0))
        return -EINVAL;
    if (tw_metric_uses_ext_kernel(m))
        return ext_vector(m, out, cap);
    if (cap > 0)
        out[0] = tw_metric_result(m);
    return 1;
}

tw_metric *
tw_metric_new_opts(tw_metric_kind kind, const char *options)
{
    tw_metric_options o;
    tw_metric_ext x;
    if (tw_metric_options_parse(kind, options, &o, &x, NULL, 0) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return tw_metric_create(kind, &o, &x);
}

size_t
tw_metric_state_size_opts(tw_metric_kind kind, const char *options)
{
    tw_metric_options o;
    tw_metric_ext x;
    if (tw_metric_options_parse(kind, options, &o, &x, NULL, 0) != 0)
        return 0;
    size_t n = tw_metric_ext_state_size(kind, &o, &x);
    return n ? n : tw_metric_state_size_for(kind, &o);
}

const char *
tw_metric_options_string(const tw_metric *m)
{
    return m ? m->optstr : NULL;
}

tw_metric_kind
tw_metric_kind_from_alias(const char *name)
{
    static const struct {
        const char *alias;
        tw_metric_kind kind;
    } aliases[] = {
        {"iou", TW_METRIC_IOU},
        {"binary_iou", TW_METRIC_BINARY_IOU},
        {"mean_iou", TW_METRIC_MEAN_IOU},
        {"one_hot_iou", TW_METRIC_ONE_HOT_IOU},
        {"one_hot_mean_iou", TW_METRIC_ONE_HOT_MEAN_IOU},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(aliases[i].alias, name) == 0)
            return aliases[i].kind;
    return (tw_metric_kind)0;
}
