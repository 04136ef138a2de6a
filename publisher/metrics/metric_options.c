/* metric_options.c - Keras's constructor arguments as a string: the strict parser behind
 * tw_metric_new_opts() and the canonical form tw_metric_options_string() gives back.
 *
 * Syntax: "key=value,key=value"; spaces around tokens are ignored. A value is a number (C
 * syntax, finite), true/false, None, a name (bare or in quotes: macro, "ROC") or a list
 * [v,v,...] of numbers. Limits: TW_METRIC_OPTIONS_MAX bytes, TW_OPT_MAX_LIST list entries,
 * names of at most 31 bytes, each key at most once. Every key is checked against the kind's
 * Keras class: a key the class does not take is refused, naming the kind. */
#include "cnum.h"
#include "metric_impl.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 31

typedef enum { V_NUM, V_BOOL, V_NONE, V_NAME, V_LIST } vtype;

typedef struct pval {
    vtype type;
    double num;
    bool b;
    char name[NAME_MAX_LEN + 1];
    int n;
    double list[TW_OPT_MAX_LIST];
} pval;

typedef enum {
    K_THRESHOLD,
    K_THRESHOLDS,
    K_TOP_K,
    K_CLASS_ID,
    K_K,
    K_NUM_THRESHOLDS,
    K_CURVE,
    K_SUMMATION,
    K_MULTI_LABEL,
    K_NUM_LABELS,
    K_LABEL_WEIGHTS,
    K_FROM_LOGITS,
    K_LABEL_SMOOTHING,
    K_AXIS,
    K_BETA,
    K_AVERAGE,
    K_NUM_CLASSES,
    K_TARGET_CLASS_IDS,
    K_IGNORE_CLASS,
    K_SPARSE_Y_TRUE,
    K_SPARSE_Y_PRED,
    K_VALUE,
    K_CLASS_AGGREGATION,
    K_NUM_REGRESSORS,
    K_FROM_SORTED_IDS,
    K_NUM_OUTPUTS,
    K_ALPHA,
    K_GAMMA,
    K_APPLY_CLASS_BALANCING,
    K_DELTA,
    K_SLOTS,
    K_EXPR,
    K_COUNT
} key_id;

static const char *const key_names[K_COUNT] = {
    [K_THRESHOLD] = "threshold",
    [K_THRESHOLDS] = "thresholds",
    [K_TOP_K] = "top_k",
    [K_CLASS_ID] = "class_id",
    [K_K] = "k",
    [K_NUM_THRESHOLDS] = "num_thresholds",
    [K_CURVE] = "curve",
    [K_SUMMATION] = "summation_method",
    [K_MULTI_LABEL] = "multi_label",
    [K_NUM_LABELS] = "num_labels",
    [K_LABEL_WEIGHTS] = "label_weights",
    [K_FROM_LOGITS] = "from_logits",
    [K_LABEL_SMOOTHING] = "label_smoothing",
    [K_AXIS] = "axis",
    [K_BETA] = "beta",
    [K_AVERAGE] = "average",
    [K_NUM_CLASSES] = "num_classes",
    [K_TARGET_CLASS_IDS] = "target_class_ids",
    [K_IGNORE_CLASS] = "ignore_class",
    [K_SPARSE_Y_TRUE] = "sparse_y_true",
    [K_SPARSE_Y_PRED] = "sparse_y_pred",
    [K_VALUE] = "value",
    [K_CLASS_AGGREGATION] = "class_aggregation",
    [K_NUM_REGRESSORS] = "num_regressors",
    [K_FROM_SORTED_IDS] = "from_sorted_ids",
    [K_NUM_OUTPUTS] = "num_outputs",
    [K_ALPHA] = "alpha",
    [K_GAMMA] = "gamma",
    [K_APPLY_CLASS_BALANCING] = "apply_class_balancing",
    [K_DELTA] = "delta",
    [K_SLOTS] = "slots",
    [K_EXPR] = "expr",
};

/* The name errors give a kind: its own, or the function's for the pseudo kinds. */
static const char *
kind_label(tw_metric_kind kind)
{
    static const char *const fn[] = {"binary_crossentropy", "binary_focal_crossentropy",
                                     "categorical_focal_crossentropy", "huber"};
    if ((int)kind >= TW_FN_BINARY_CROSSENTROPY && (int)kind < TW_FN_END)
        return fn[(int)kind - TW_FN_BINARY_CROSSENTROPY];
    return tw_metric_kind_name(kind);
}

/* Writes a printf-free message: the kind's name, ": ", then the pieces (NULL-terminated). */
static int
fail(char *err, size_t cap, tw_metric_kind kind, ...)
{
    if (err && cap > 0) {
        size_t at = 0;
        const char *kn = kind_label(kind);
        const char *head[2] = {kn ? kn : "metric", ": "};
        for (int i = 0; i < 2; i++)
            for (const char *p = head[i]; *p && at + 1 < cap; p++)
                err[at++] = *p;
        va_list ap;
        va_start(ap, kind);
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
            for (; *s && at + 1 < cap; s++)
                err[at++] = *s;
        va_end(ap);
        err[at] = '\0';
    }
    return -EINVAL;
}

static bool
is_confusion(tw_metric_kind k)
{
    return k == TW_METRIC_PRECISION || k == TW_METRIC_RECALL || k == TW_METRIC_TRUE_POSITIVES ||
           k == TW_METRIC_FALSE_POSITIVES || k == TW_METRIC_TRUE_NEGATIVES ||
           k == TW_METRIC_FALSE_NEGATIVES;
}

/* Whether kind's Keras class takes the argument. */
static bool
takes(tw_metric_kind k, key_id key)
{
    switch (key) {
    case K_THRESHOLD:
        return k == TW_METRIC_BINARY_ACCURACY || tw_kind_is_fbeta(k) || k == TW_METRIC_BINARY_IOU;
    case K_THRESHOLDS:
        return is_confusion(k) || k == TW_METRIC_AUC;
    case K_TOP_K:
        return k == TW_METRIC_PRECISION || k == TW_METRIC_RECALL;
    case K_CLASS_ID:
        return k == TW_METRIC_PRECISION || k == TW_METRIC_RECALL || tw_kind_is_at(k);
    case K_K:
        return k == TW_METRIC_TOP_K_CATEGORICAL_ACCURACY ||
               k == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
    case K_NUM_THRESHOLDS:
        return k == TW_METRIC_AUC || tw_kind_is_at(k);
    case K_CURVE:
    case K_SUMMATION:
    case K_MULTI_LABEL:
    case K_NUM_LABELS:
    case K_LABEL_WEIGHTS:
        return k == TW_METRIC_AUC;
    case K_ALPHA:
    case K_GAMMA:
        return (int)k == TW_FN_BINARY_FOCAL_CROSSENTROPY ||
               (int)k == TW_FN_CATEGORICAL_FOCAL_CROSSENTROPY;
    case K_APPLY_CLASS_BALANCING:
        return (int)k == TW_FN_BINARY_FOCAL_CROSSENTROPY;
    case K_DELTA:
        return (int)k == TW_FN_HUBER;
    case K_SLOTS:
    case K_EXPR:
        return k == TW_METRIC_CUSTOM;
    case K_FROM_LOGITS:
    case K_LABEL_SMOOTHING:
        if ((int)k >= TW_FN_BINARY_CROSSENTROPY && (int)k <= TW_FN_CATEGORICAL_FOCAL_CROSSENTROPY)
            return true;
        if (key == K_LABEL_SMOOTHING)
            return k == TW_METRIC_BINARY_CROSSENTROPY || k == TW_METRIC_CATEGORICAL_CROSSENTROPY;
        return k == TW_METRIC_AUC || k == TW_METRIC_BINARY_CROSSENTROPY ||
               k == TW_METRIC_CATEGORICAL_CROSSENTROPY ||
               k == TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY;
    case K_AXIS:
        return k == TW_METRIC_CATEGORICAL_CROSSENTROPY ||
               ((int)k >= TW_FN_BINARY_CROSSENTROPY &&
                (int)k <= TW_FN_CATEGORICAL_FOCAL_CROSSENTROPY) ||
               k == TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY || k == TW_METRIC_COSINE_SIMILARITY ||
               k == TW_METRIC_PEARSON_CORRELATION || k == TW_METRIC_CONCORDANCE_CORRELATION ||
               (tw_kind_is_iou(k) && k != TW_METRIC_BINARY_IOU);
    case K_BETA:
        return k == TW_METRIC_F_BETA_SCORE;
    case K_AVERAGE:
        return tw_kind_is_fbeta(k);
    case K_NUM_CLASSES:
        return tw_kind_is_fbeta(k) || (tw_kind_is_iou(k) && k != TW_METRIC_BINARY_IOU);
    case K_TARGET_CLASS_IDS:
        return k == TW_METRIC_IOU || k == TW_METRIC_BINARY_IOU || k == TW_METRIC_ONE_HOT_IOU;
    case K_IGNORE_CLASS:
        return (tw_kind_is_iou(k) && k != TW_METRIC_BINARY_IOU) ||
               k == TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY;
    case K_SPARSE_Y_TRUE:
        return k == TW_METRIC_IOU || k == TW_METRIC_MEAN_IOU;
    case K_SPARSE_Y_PRED:
        return tw_kind_is_iou(k) && k != TW_METRIC_BINARY_IOU;
    case K_VALUE:
        return tw_kind_is_at(k);
    case K_CLASS_AGGREGATION:
    case K_NUM_REGRESSORS:
    case K_NUM_OUTPUTS:
        return k == TW_METRIC_R2_SCORE;
    case K_FROM_SORTED_IDS:
        return k == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
    default:
        return false;
    }
}

/* --- the lexer ---------------------------------------------------------------------------- */

typedef struct lexer {
    const char *p;
} lexer;

static void
skip_space(lexer *lx)
{
    while (*lx->p == ' ' || *lx->p == '\t')
        lx->p++;
}

static bool
is_name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* A name of at most NAME_MAX_LEN bytes, bare or quoted with ' or ". */
static bool
read_name(lexer *lx, char *out)
{
    char quote = (*lx->p == '\'' || *lx->p == '"') ? *lx->p++ : 0;
    size_t n = 0;
    while (is_name_char(*lx->p, n == 0)) {
        if (n == NAME_MAX_LEN)
            return false;
        out[n++] = *lx->p++;
    }
    out[n] = '\0';
    if (quote && *lx->p++ != quote)
        return false;
    return n > 0;
}

/* A finite number in C syntax (decimal, or hex as the canonical form writes numbers that
 * have no short decimal; never inf or nan). */
static bool
read_number(lexer *lx, double *out)
{
    const char *s = lx->p;
    if ((s[0] == '-' || s[0] == '+') && !(s[1] == '.' || (s[1] >= '0' && s[1] <= '9')))
        return false;
    char *end;
    errno = 0;
    double v = tw_cnum_strtod(s, &end);
    if (end == s || !isfinite(v))
        return false;
    lx->p = end;
    *out = v;
    return true;
}

static bool
read_scalar(lexer *lx, pval *v)
{
    char c = *lx->p;
    if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
        v->type = V_NUM;
        return read_number(lx, &v->num);
    }
    if (!read_name(lx, v->name))
        return false;
    v->type = V_NAME;
    if (strcmp(v->name, "true") == 0 || strcmp(v->name, "True") == 0)
        v->type = V_BOOL, v->b = true;
    else if (strcmp(v->name, "false") == 0 || strcmp(v->name, "False") == 0)
        v->type = V_BOOL, v->b = false;
    else if (strcmp(v->name, "None") == 0 || strcmp(v->name, "none") == 0)
        v->type = V_NONE;
    return true;
}

/* A list of at most TW_OPT_MAX_LIST numbers: "[" [num ("," num)*] "]". */
static const char *
read_list(lexer *lx, pval *v)
{
    lx->p++; /* '[' */
    v->type = V_LIST;
    v->n = 0;
    skip_space(lx);
    if (*lx->p == ']') {
        lx->p++;
        return NULL;
    }
    for (;;) {
        skip_space(lx);
        if (v->n == TW_OPT_MAX_LIST)
            return "a list holds at most 256 values";
        if (!read_number(lx, &v->list[v->n++]))
            return "a list holds finite numbers";
        skip_space(lx);
        if (*lx->p == ']') {
            lx->p++;
            return NULL;
        }
        if (*lx->p++ != ',')
            return "a list is [a,b,c]";
    }
}

/* slots=[name,name,...]: names of at most 31 bytes, unique, not a function's name. */
static const char *
read_slots(lexer *lx, tw_metric_ext *x)
{
    static const char *const reserved[] = {"sqrt", "log", "exp", "min", "max"};
    if (*lx->p++ != '[')
        return "a list of names [a,b,c]";
    for (;;) {
        skip_space(lx);
        if (x->n_slots == TW_CUSTOM_MAX_SLOTS)
            return "at most 64 slots";
        char *name = x->slot_names[x->n_slots];
        if (!read_name(lx, name))
            return "names are [A-Za-z_][A-Za-z0-9_]*, at most 31 bytes";
        for (int i = 0; i < x->n_slots; i++)
            if (strcmp(x->slot_names[i], name) == 0)
                return "a slot name given twice";
        for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
            if (strcmp(reserved[i], name) == 0)
                return "a slot cannot be named after a function";
        x->n_slots++;
        skip_space(lx);
        if (*lx->p == ']') {
            lx->p++;
            return NULL;
        }
        if (*lx->p++ != ',')
            return "a list of names [a,b,c]";
    }
}

/* --- values to fields --------------------------------------------------------------------- */

static bool
is_int(const pval *v, double lo, double hi)
{
    return v->type == V_NUM && v->num == floor(v->num) && v->num >= lo && v->num <= hi;
}

static bool
list_sorted_unit(const pval *v)
{
    for (int i = 0; i < v->n; i++)
        if (!(v->list[i] >= 0.0 && v->list[i] <= 1.0))
            return false;
    return true;
}

/* thresholds= for the confusion kinds: a number or a list, each in [0, 1]. */
static int
set_thresholds(tw_metric_kind kind, const pval *v, tw_metric_options *o, tw_metric_ext *x,
               char *err, size_t cap)
{
    if (v->type == V_NONE)
        return 0;
    if (kind == TW_METRIC_AUC) { /* a list (or one number) in [0, 1], sorted here */
        if (v->type == V_NUM ? !(v->num >= 0.0 && v->num <= 1.0)
                             : (v->type != V_LIST || v->n == 0 || !list_sorted_unit(v)))
            return fail(err, cap, kind, "thresholds must be a non-empty list in [0, 1]", NULL);
        x->n_thresholds = v->type == V_NUM ? 1 : v->n;
        for (int i = 0; i < x->n_thresholds; i++) { /* insertion sort: at most 256 */
            double t = v->type == V_NUM ? v->num : v->list[i];
            int k = i;
            for (; k > 0 && x->thresholds[k - 1] > t; k--)
                x->thresholds[k] = x->thresholds[k - 1];
            x->thresholds[k] = t;
        }
        x->thresholds_given = true;
        return 0;
    }
    x->thresholds_given = true;
    if (v->type == V_NUM) {
        if (!(v->num >= 0.0 && v->num <= 1.0))
            return fail(err, cap, kind, "thresholds must be in [0, 1]", NULL);
        o->threshold = v->num;
        return 0;
    }
    if (v->type != V_LIST || v->n == 0 || !list_sorted_unit(v))
        return fail(err, cap, kind, "thresholds must be a number or a non-empty list in [0, 1]",
                    NULL);
    if (v->n == 1) {
        o->threshold = v->list[0];
        return 0;
    }
    x->n_thresholds = v->n;
    memcpy(x->thresholds, v->list, (size_t)v->n * sizeof(double));
    return 0;
}

static int
set_target_ids(tw_metric_kind kind, const pval *v, tw_metric_ext *x, char *err, size_t cap)
{
    if (v->type != V_LIST || v->n == 0)
        return fail(err, cap, kind, "target_class_ids must be a non-empty list of class ids", NULL);
    for (int i = 0; i < v->n; i++) {
        if (!(v->list[i] >= 0 && v->list[i] < TW_OPT_MAX_CLASSES) ||
            v->list[i] != floor(v->list[i]))
            return fail(err, cap, kind, "target_class_ids must be integers in [0, num_classes)",
                        NULL);
        x->target_class_ids[i] = (int)v->list[i];
    }
    x->n_targets = v->n;
    return 0;
}

static int
set_name(tw_metric_kind kind, key_id key, const pval *v, tw_metric_options *o, tw_metric_ext *x,
         char *err, size_t cap)
{
    const char *s = v->type == V_NAME ? v->name : v->type == V_NONE ? "None" : "";
    switch (key) {
    case K_CURVE:
        for (int i = TW_AUC_ROC; i <= TW_AUC_PRGAIN; i++)
            if (strcmp(s, tw_auc_curve_name(i)) == 0)
                return o->curve = (tw_auc_curve)i, 0;
        return fail(err, cap, kind, "curve must be ROC, PR or PRGAIN", NULL);
    case K_SUMMATION:
        if (strcmp(s, "interpolation") == 0)
            o->summation = TW_AUC_INTERPOLATION;
        else if (strcmp(s, "minoring") == 0)
            o->summation = TW_AUC_MINORING;
        else if (strcmp(s, "majoring") == 0)
            o->summation = TW_AUC_MAJORING;
        else
            return fail(err, cap, kind,
                        "summation_method must be interpolation, minoring or majoring", NULL);
        return 0;
    case K_AVERAGE: {
        static const char *const avg[] = {"None", "micro", "macro", "weighted"};
        for (int i = 0; i < 4; i++)
            if (strcmp(s, avg[i]) == 0) {
                x->average = (tw_avg)i;
                return 0;
            }
        return fail(err, cap, kind, "average must be None, micro, macro or weighted", NULL);
    }
    default: { /* K_CLASS_AGGREGATION */
        static const char *const agg[] = {"uniform_average", "variance_weighted_average", "None"};
        for (int i = 0; i < 3; i++)
            if (strcmp(s, agg[i]) == 0) {
                x->class_aggregation = (tw_r2_aggregation)i;
                return 0;
            }
        return fail(err, cap, kind,
                    "class_aggregation must be uniform_average, variance_weighted_average or None",
                    NULL);
    }
    }
}

static int
set_bool(tw_metric_kind kind, key_id key, const pval *v, tw_metric_ext *x, char *err, size_t cap)
{
    if (v->type != V_BOOL)
        return fail(err, cap, kind, key_names[key], " must be true or false", NULL);
    switch (key) {
    case K_MULTI_LABEL:
        x->multi_label = v->b;
        return 0;
    case K_FROM_LOGITS:
        x->from_logits = v->b;
        return 0;
    case K_SPARSE_Y_TRUE:
        x->sparse_y_true = v->b;
        return 0;
    case K_SPARSE_Y_PRED:
        x->sparse_y_pred = v->b;
        return 0;
    case K_APPLY_CLASS_BALANCING:
        x->apply_class_balancing = v->b;
        return 0;
    default: /* K_FROM_SORTED_IDS */
        x->from_sorted_ids = v->b;
        return 0;
    }
}

/* Integer keys: value ranges and None where Keras allows it. */
static int
set_int(tw_metric_kind kind, key_id key, const pval *v, tw_metric_options *o, tw_metric_ext *x,
        char *err, size_t cap)
{
    bool none = v->type == V_NONE;
    switch (key) {
    case K_TOP_K:
        if (none)
            return x->top_k = 0, 0;
        if (!is_int(v, 1, INT_MAX))
            return fail(err, cap, kind, "top_k must be an integer >= 1 or None", NULL);
        return x->top_k = (int)v->num, 0;
    case K_CLASS_ID:
        if (none)
            return x->class_id = -1, 0;
        if (!is_int(v, 0, INT_MAX))
            return fail(err, cap, kind, "class_id must be an integer >= 0 or None", NULL);
        return x->class_id = (int)v->num, 0;
    case K_K:
        if (!is_int(v, 1, INT_MAX))
            return fail(err, cap, kind, "k must be an integer >= 1", NULL);
        return o->k = (int)v->num, 0;
    case K_NUM_THRESHOLDS: /* the X-at-Y kinds take 1: the one threshold 0.5 */
        if (!is_int(v, tw_kind_is_at(kind) ? 1 : 2, TW_AUC_MAX_THRESHOLDS))
            return fail(err, cap, kind,
                        tw_kind_is_at(kind) ? "num_thresholds must be an integer in [1, 100000]"
                                            : "num_thresholds must be an integer in [2, 100000]",
                        NULL);
        return o->num_thresholds = (int)v->num, 0;
    case K_NUM_LABELS:
        if (none)
            return x->num_labels = 0, 0;
        if (!is_int(v, 1, TW_OPT_MAX_CLASSES))
            return fail(err, cap, kind, "num_labels must be an integer in [1, 1024] or None", NULL);
        return x->num_labels = (int)v->num, 0;
    case K_AXIS:
        if (!is_int(v, -1, -1))
            return fail(err, cap, kind, "axis must be -1 (trainwatch reduces the last axis)", NULL);
        return 0;
    case K_NUM_CLASSES:
        if (tw_kind_is_iou(kind) && !is_int(v, 1, TW_OPT_MAX_IOU_CLASSES))
            return fail(err, cap, kind, "num_classes must be an integer in [1, 400]", NULL);
        if (!is_int(v, 1, TW_OPT_MAX_CLASSES))
            return fail(err, cap, kind, "num_classes must be an integer in [1, 1024]", NULL);
        return x->num_classes = (int)v->num, 0;
    case K_IGNORE_CLASS:
        if (none)
            return x->has_ignore_class = false, 0;
        if (!is_int(v, INT_MIN, INT_MAX))
            return fail(err, cap, kind, "ignore_class must be an integer or None", NULL);
        x->has_ignore_class = true;
        return x->ignore_class = (int)v->num, 0;
    case K_NUM_REGRESSORS:
        if (!is_int(v, 0, INT_MAX))
            return fail(err, cap, kind, "num_regressors must be an integer >= 0", NULL);
        return x->num_regressors = (int)v->num, 0;
    default: /* K_NUM_OUTPUTS */
        if (!is_int(v, 1, TW_OPT_MAX_CLASSES))
            return fail(err, cap, kind, "num_outputs must be an integer in [1, 1024]", NULL);
        return x->num_outputs = (int)v->num, 0;
    }
}

/* Float keys. */
static int
set_float(tw_metric_kind kind, key_id key, const pval *v, tw_metric_options *o, tw_metric_ext *x,
          char *err, size_t cap)
{
    switch (key) {
    case K_THRESHOLD:
        if (tw_kind_is_fbeta(kind)) {
            if (v->type == V_NONE)
                return x->f_threshold = NAN, 0;
            if (v->type != V_NUM || !(v->num > 0.0 && v->num <= 1.0))
                return fail(err, cap, kind, "threshold must be None or in (0, 1]", NULL);
            return x->f_threshold = v->num, 0;
        }
        if (v->type != V_NUM || !(v->num >= 0.0 && v->num <= 1.0))
            return fail(err, cap, kind, "threshold must be a number in [0, 1]", NULL);
        return o->threshold = v->num, 0;
    case K_LABEL_SMOOTHING:
        if (v->type != V_NUM || !(v->num >= 0.0 && v->num <= 1.0))
            return fail(err, cap, kind, "label_smoothing must be in [0, 1]", NULL);
        return x->label_smoothing = v->num, 0;
    case K_BETA:
        if (v->type != V_NUM || !(v->num > 0.0))
            return fail(err, cap, kind, "beta must be a number > 0", NULL);
        return x->beta = v->num, 0;
    case K_LABEL_WEIGHTS:
        if (v->type == V_NONE)
            return x->n_label_weights = 0, 0;
        for (int i = 0; v->type == V_LIST && i < v->n; i++)
            if (!(v->list[i] >= 0.0))
                return fail(err, cap, kind, "label_weights must be non-negative", NULL);
        if (v->type != V_LIST || v->n == 0)
            return fail(err, cap, kind, "label_weights must be a list of numbers", NULL);
        memcpy(x->label_weights, v->list, (size_t)v->n * sizeof(double));
        return x->n_label_weights = v->n, 0;
    case K_ALPHA:
    case K_GAMMA:
    case K_DELTA:
        if (v->type != V_NUM || (key != K_ALPHA && v->num < 0.0))
            return fail(err, cap, kind, key_names[key],
                        key == K_ALPHA ? " must be a number" : " must be a number >= 0", NULL);
        *(key == K_ALPHA ? &x->alpha : key == K_GAMMA ? &x->gamma : &x->delta) = v->num;
        return 0;
    default: /* K_VALUE */
        if (v->type != V_NUM || !(v->num >= 0.0 && v->num <= 1.0))
            return fail(err, cap, kind, "value must be in [0, 1]", NULL);
        return x->value = v->num, 0;
    }
}

static int
apply(tw_metric_kind kind, key_id key, const pval *v, tw_metric_options *o, tw_metric_ext *x,
      char *err, size_t cap)
{
    switch (key) {
    case K_THRESHOLDS:
        return set_thresholds(kind, v, o, x, err, cap);
    case K_TARGET_CLASS_IDS:
        return set_target_ids(kind, v, x, err, cap);
    case K_CURVE:
    case K_SUMMATION:
    case K_AVERAGE:
    case K_CLASS_AGGREGATION:
        return set_name(kind, key, v, o, x, err, cap);
    case K_MULTI_LABEL:
    case K_FROM_LOGITS:
    case K_SPARSE_Y_TRUE:
    case K_SPARSE_Y_PRED:
    case K_FROM_SORTED_IDS:
    case K_APPLY_CLASS_BALANCING:
        return set_bool(kind, key, v, x, err, cap);
    case K_THRESHOLD:
    case K_LABEL_SMOOTHING:
    case K_BETA:
    case K_LABEL_WEIGHTS:
    case K_VALUE:
    case K_ALPHA:
    case K_GAMMA:
    case K_DELTA:
        return set_float(kind, key, v, o, x, err, cap);
    default:
        return set_int(kind, key, v, o, x, err, cap);
    }
}

/* Keras's own names of X-at-Y's constraint and of AUC's summation are accepted too. */
static int
key_of(tw_metric_kind kind, const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(key_names[k], name) == 0)
            return k;
    if (strcmp(name, "summation") == 0)
        return K_SUMMATION;
    static const char *const at_names[] = {"specificity", "sensitivity", "recall", "precision"};
    if (tw_kind_is_at(kind) &&
        strcmp(name, at_names[kind - TW_METRIC_SENSITIVITY_AT_SPECIFICITY]) == 0)
        return K_VALUE;
    return -1;
}

/* Checks what only the whole set of arguments tells (required ones, ids below num_classes). */
static int
check_whole(tw_metric_kind kind, uint32_t given, tw_metric_options *o, tw_metric_ext *x, char *err,
            size_t cap)
{
    if (tw_kind_is_at(kind) && !(given & (1u << K_VALUE)))
        return fail(err, cap, kind, "value (Keras's first argument) is required", NULL);
    if ((tw_kind_is_fbeta(kind) || tw_kind_is_iou(kind)) && x->num_classes == 0)
        return fail(err, cap, kind,
                    "num_classes is required (trainwatch declares the state before the first "
                    "batch)",
                    NULL);
    if (kind == TW_METRIC_AUC) {
        if (x->multi_label && x->num_labels == 0)
            return fail(err, cap, kind,
                        "num_labels is required with multi_label (trainwatch declares the state "
                        "before the first batch)",
                        NULL);
        if (x->multi_label && x->n_label_weights > 0 && x->n_label_weights != x->num_labels)
            return fail(err, cap, kind, "label_weights must have num_labels values", NULL);
        if (!x->multi_label)
            x->num_labels = 0; /* only shapes the multi-label state */
        if (x->thresholds_given)
            tw_metric_auc_explicit(o, x);
        if (x->multi_label && (size_t)x->num_labels * (2 * (size_t)o->num_thresholds + 2) >
                                  2 * (size_t)TW_AUC_MAX_THRESHOLDS + 2)
            return fail(err, cap, kind,
                        "num_labels * (2 * num_thresholds + 2) must be at most 200002 (the "
                        "largest state)",
                        NULL);
    }
    if (kind == TW_METRIC_CUSTOM) {
        const char *why =
            x->n_slots == 0 ? "slots (a list of names) is required" : tw_metric_custom_compile(x);
        if (why)
            return fail(err, cap, kind, why, NULL);
    }
    if ((kind == TW_METRIC_IOU || kind == TW_METRIC_ONE_HOT_IOU) &&
        !(given & (1u << K_TARGET_CLASS_IDS)))
        return fail(err, cap, kind, "target_class_ids is required", NULL);
    for (int i = 0; i < x->n_targets; i++)
        if (x->target_class_ids[i] >= x->num_classes)
            return fail(err, cap, kind, "target_class_ids must be below num_classes", NULL);
    return 0;
}

/* One "key=value" item at lx; the lexer moves past it. */
static int
parse_item(tw_metric_kind kind, lexer *lx, uint32_t *given, pval *v, tw_metric_options *o,
           tw_metric_ext *x, char *err, size_t cap)
{
    char name[NAME_MAX_LEN + 1];
    skip_space(lx);
    if (!read_name(lx, name))
        return fail(err, cap, kind, "expected key=value", NULL);
    int key = key_of(kind, name);
    if (key < 0 || !takes(kind, (key_id)key))
        return fail(err, cap, kind, "no argument named ", name, NULL);
    if (*given & (1u << key))
        return fail(err, cap, kind, name, " given twice", NULL);
    *given |= 1u << key;
    skip_space(lx);
    if (*lx->p++ != '=')
        return fail(err, cap, kind, "expected = after ", name, NULL);
    skip_space(lx);
    if (key == K_SLOTS || key == K_EXPR) {
        const char *why =
            key == K_SLOTS ? read_slots(lx, x) : tw_metric_custom_read_expr(&lx->p, x);
        return why ? fail(err, cap, kind, name, ": ", why, NULL) : 0;
    }
    if (*lx->p == '[') {
        const char *why = read_list(lx, v);
        if (why)
            return fail(err, cap, kind, name, ": ", why, NULL);
    } else if (!read_scalar(lx, v)) {
        return fail(err, cap, kind, "bad value for ", name, NULL);
    }
    if (v->type == V_LIST && key != K_THRESHOLDS && key != K_TARGET_CLASS_IDS &&
        key != K_LABEL_WEIGHTS)
        return fail(err, cap, kind, name, " takes one value, not a list", NULL);
    return apply(kind, (key_id)key, v, o, x, err, cap);
}

int
tw_metric_options_parse(tw_metric_kind kind, const char *str, tw_metric_options *o,
                        tw_metric_ext *x, char *err, size_t cap)
{
    if (!kind_label(kind))
        return fail(err, cap, kind, "unknown kind", NULL);
    tw_metric_ext_defaults(kind, o, x);
    if (!str)
        str = "";
    if (strnlen(str, TW_METRIC_OPTIONS_MAX + 1) > TW_METRIC_OPTIONS_MAX)
        return fail(err, cap, kind, "options longer than TW_METRIC_OPTIONS_MAX", NULL);
    lexer lx = {.p = str};
    uint32_t given = 0;
    pval v;
    skip_space(&lx);
    while (*lx.p) {
        int rc = parse_item(kind, &lx, &given, &v, o, x, err, cap);
        if (rc)
            return rc;
        skip_space(&lx);
        if (*lx.p == ',')
            lx.p++;
        else if (*lx.p)
            return fail(err, cap, kind, "expected , between arguments", NULL);
        else
            break;
        skip_space(&lx);
        if (!*lx.p)
            return fail(err, cap, kind, "trailing ,", NULL);
    }
    return check_whole(kind, given, o, x, err, cap);
}

int
tw_metric_options_check(tw_metric_kind kind, const char *options, char *err, size_t cap)
{
    tw_metric_options o;
    tw_metric_ext x;
    int rc = tw_metric_options_parse(kind, options, &o, &x, err, cap);
    if (rc == 0 && err && cap > 0)
        err[0] = '\0';
    return rc;
}
