/* metric_options_format.c - the canonical options string of a metric (tw_metric_options_string):
 * Keras's names in a fixed order, only the arguments that differ from the kind's defaults
 * (and the required ones), numbers in their shortest decimal that reads back exactly.
 *
 * The metrics layer does no stdio, so numbers are written here by hand: an integer as is, a
 * fraction with the fewest decimals that strtod reads back to the same double, and anything
 * else (tiny or huge) as an exact C hex float. */
#include "cnum.h"
#include "metric_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    char *buf;
    size_t cap, len;
    bool overflow;
} out;

static void
put(out *o, const char *s)
{
    for (; *s; s++) {
        if (o->len + 1 >= o->cap) {
            o->overflow = true;
            return;
        }
        o->buf[o->len++] = *s;
    }
    o->buf[o->len] = '\0';
}

/* Writes |r| (< 1e18) with `decimals` digits after the point, after a '-' when neg. */
static void
fixed(char *s, bool neg, uint64_t r, int decimals)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + r % 10);
        r /= 10;
    } while (r);
    while (n <= decimals)
        digits[n++] = '0';
    size_t at = 0;
    if (neg)
        s[at++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        s[at++] = digits[i];
        if (i == decimals && decimals > 0)
            s[at++] = '.';
    }
    s[at] = '\0';
}

/* An exact hex float: 0x1.<hex>p<exp>. */
static void
hexfloat(char *s, double v)
{
    int e;
    double f = frexp(fabs(v), &e); /* [0.5, 1) */
    uint64_t bits = (uint64_t)ldexp(f * 2.0 - 1.0, 52);
    size_t at = 0;
    if (v < 0)
        s[at++] = '-';
    memcpy(s + at, "0x1.", 4);
    at += 4;
    for (int i = 12; i >= 0; i--)
        s[at++] = "0123456789abcdef"[(bits >> (4 * i)) & 15];
    while (s[at - 1] == '0')
        at--;
    if (s[at - 1] == '.')
        s[at++] = '0';
    s[at++] = 'p';
    int x = e - 1;
    if (x < 0)
        s[at++] = '-', x = -x;
    char d[8];
    int n = 0;
    do {
        d[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    while (n)
        s[at++] = d[--n];
    s[at] = '\0';
}

static void
put_num(out *o, double v)
{
    char s[48];
    double a = fabs(v);
    for (int k = 0; k <= 17 && a < 1e17; k++) {
        double scaled = nearbyint(a * pow(10.0, k));
        if (scaled >= 1e18)
            break;
        fixed(s, v < 0, (uint64_t)scaled, k);
        if (tw_cnum_strtod(s, NULL) == v) {
            put(o, s);
            return;
        }
    }
    hexfloat(s, v);
    put(o, s);
}

static void
key(out *o, const char *name)
{
    if (o->len)
        put(o, ",");
    put(o, name);
    put(o, "=");
}

static void
put_bool_key(out *o, const char *name, bool v)
{
    key(o, name);
    put(o, v ? "true" : "false");
}

static void
put_num_key(out *o, const char *name, double v)
{
    key(o, name);
    put_num(o, v);
}

static void
put_list(out *o, const char *name, const double *v, int n)
{
    key(o, name);
    put(o, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            put(o, ",");
        put_num(o, v[i]);
    }
    put(o, "]");
}

static void
put_ids(out *o, const char *name, const int *ids, int n)
{
    key(o, name);
    put(o, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            put(o, ",");
        put_num(o, ids[i]);
    }
    put(o, "]");
}

static void
confusion(out *o, tw_metric_kind kind, const tw_metric_options *mo, const tw_metric_ext *x)
{
    bool pr = kind == TW_METRIC_PRECISION || kind == TW_METRIC_RECALL;
    if (x->n_thresholds > 1) {
        put_list(o, "thresholds", x->thresholds, x->n_thresholds);
    } else if (mo->threshold != 0.5 || (pr && x->top_k && x->thresholds_given)) {
        put_num_key(o, "thresholds", mo->threshold);
    }
    if (pr && x->top_k)
        put_num_key(o, "top_k", x->top_k);
    if (pr && x->class_id >= 0)
        put_num_key(o, "class_id", x->class_id);
}

static void
iou(out *o, tw_metric_kind kind, const tw_metric_options *mo, const tw_metric_ext *x)
{
    if (kind == TW_METRIC_BINARY_IOU) {
        if (x->n_targets != 2 || x->target_class_ids[0] != 0 || x->target_class_ids[1] != 1)
            put_ids(o, "target_class_ids", x->target_class_ids, x->n_targets);
        if (mo->threshold != 0.5)
            put_num_key(o, "threshold", mo->threshold);
        return;
    }
    put_num_key(o, "num_classes", x->num_classes);
    if (kind == TW_METRIC_IOU || kind == TW_METRIC_ONE_HOT_IOU)
        put_ids(o, "target_class_ids", x->target_class_ids, x->n_targets);
    if (x->has_ignore_class)
        put_num_key(o, "ignore_class", x->ignore_class);
    bool sparse_default = kind == TW_METRIC_IOU || kind == TW_METRIC_MEAN_IOU;
    if (x->sparse_y_true != sparse_default)
        put_bool_key(o, "sparse_y_true", x->sparse_y_true);
    if (x->sparse_y_pred != sparse_default)
        put_bool_key(o, "sparse_y_pred", x->sparse_y_pred);
}

static void
others(out *o, tw_metric_kind kind, const tw_metric_options *mo, const tw_metric_ext *x)
{
    static const char *const avg[] = {"None", "micro", "macro", "weighted"};
    static const char *const agg[] = {"uniform_average", "variance_weighted_average", "None"};
    static const char *const sum[] = {"interpolation", "minoring", "majoring"};
    switch (kind) {
    case TW_METRIC_BINARY_ACCURACY:
        if (mo->threshold != 0.5)
            put_num_key(o, "threshold", mo->threshold);
        break;
    case TW_METRIC_TOP_K_CATEGORICAL_ACCURACY:
    case TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY:
        if (mo->k != 5)
            put_num_key(o, "k", mo->k);
        if (x->from_sorted_ids)
            put_bool_key(o, "from_sorted_ids", true);
        break;
    case TW_METRIC_AUC:
        if (x->thresholds_given)
            put_list(o, "thresholds", x->thresholds, x->n_thresholds);
        else if (mo->num_thresholds != 200)
            put_num_key(o, "num_thresholds", mo->num_thresholds);
        if (mo->curve != TW_AUC_ROC)
            key(o, "curve"), put(o, tw_auc_curve_name(mo->curve));
        if (mo->summation != TW_AUC_INTERPOLATION)
            key(o, "summation_method"), put(o, sum[mo->summation]);
        if (x->multi_label)
            put_bool_key(o, "multi_label", true), put_num_key(o, "num_labels", x->num_labels);
        if (x->n_label_weights > 0)
            put_list(o, "label_weights", x->label_weights, x->n_label_weights);
        break;
    case TW_METRIC_F_BETA_SCORE:
    case TW_METRIC_F1_SCORE:
        put_num_key(o, "num_classes", x->num_classes);
        if (x->beta != 1.0)
            put_num_key(o, "beta", x->beta);
        if (x->average != TW_AVG_NONE)
            key(o, "average"), put(o, avg[x->average]);
        if (!isnan(x->f_threshold))
            put_num_key(o, "threshold", x->f_threshold);
        break;
    case TW_METRIC_R2_SCORE:
        if (x->class_aggregation != TW_R2_UNIFORM)
            key(o, "class_aggregation"), put(o, agg[x->class_aggregation]);
        if (x->num_regressors)
            put_num_key(o, "num_regressors", x->num_regressors);
        if (x->num_outputs != 1)
            put_num_key(o, "num_outputs", x->num_outputs);
        break;
    default:
        if (kind >= TW_METRIC_SENSITIVITY_AT_SPECIFICITY && kind <= TW_METRIC_RECALL_AT_PRECISION) {
            put_num_key(o, "value", x->value);
            if (mo->num_thresholds != 200)
                put_num_key(o, "num_thresholds", mo->num_thresholds);
            if (x->class_id >= 0)
                put_num_key(o, "class_id", x->class_id);
        }
        break;
    }
}

int
tw_metric_options_format(tw_metric_kind kind, const tw_metric_options *mo, const tw_metric_ext *x,
                         char *buf, size_t cap)
{
    out o = {.buf = buf, .cap = cap, .len = 0, .overflow = cap == 0};
    if (cap)
        buf[0] = '\0';
    if (kind == TW_METRIC_PRECISION || kind == TW_METRIC_RECALL ||
        (kind >= TW_METRIC_TRUE_POSITIVES && kind <= TW_METRIC_FALSE_NEGATIVES))
        confusion(&o, kind, mo, x);
    else if (kind >= TW_METRIC_IOU && kind <= TW_METRIC_ONE_HOT_MEAN_IOU)
        iou(&o, kind, mo, x);
    else
        others(&o, kind, mo, x);
    if (x->from_logits)
        put_bool_key(&o, "from_logits", true);
    if (x->label_smoothing != 0.0)
        put_num_key(&o, "label_smoothing", x->label_smoothing);
    if (kind == TW_METRIC_CUSTOM) {
        key(&o, "slots");
        put(&o, "[");
        for (int i = 0; i < x->n_slots; i++) {
            if (i)
                put(&o, ",");
            put(&o, x->slot_names[i]);
        }
        put(&o, "]");
        key(&o, "expr");
        put(&o, "\"");
        put(&o, x->expr);
        put(&o, "\"");
    }
    if (kind == TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY && x->has_ignore_class)
        put_num_key(&o, "ignore_class", x->ignore_class);
    return o.overflow ? -1 : (int)o.len;
}
