/* metric_fn.c - tw_metric_fn: Keras's 23 stateless metric functions, one value per sample
 * (per element for binary_accuracy), as keras.metrics.<name>(y_true, y_pred, **options)
 * returns them. The values are the metric kernels' own per-sample values; the focal
 * crossentropies and huber, which exist only as functions, are here. */
#include "metric_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define EPS 1e-7f

typedef struct fn_entry {
    const char *name;
    int kind;    /* the metric kind whose per-sample value it is, or a TW_FN_* pseudo kind */
    bool sparse; /* y_true holds n labels */
} fn_entry;

static const fn_entry fns[] = {
    {"binary_accuracy", TW_METRIC_BINARY_ACCURACY, false},
    {"categorical_accuracy", TW_METRIC_CATEGORICAL_ACCURACY, false},
    {"sparse_categorical_accuracy", TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, true},
    {"top_k_categorical_accuracy", TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, false},
    {"sparse_top_k_categorical_accuracy", TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, true},
    {"binary_crossentropy", TW_FN_BINARY_CROSSENTROPY, false},
    {"categorical_crossentropy", TW_METRIC_CATEGORICAL_CROSSENTROPY, false},
    {"sparse_categorical_crossentropy", TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, true},
    {"binary_focal_crossentropy", TW_FN_BINARY_FOCAL_CROSSENTROPY, false},
    {"categorical_focal_crossentropy", TW_FN_CATEGORICAL_FOCAL_CROSSENTROPY, false},
    {"kl_divergence", TW_METRIC_KL_DIVERGENCE, false},
    {"poisson", TW_METRIC_POISSON, false},
    {"hinge", TW_METRIC_HINGE, false},
    {"squared_hinge", TW_METRIC_SQUARED_HINGE, false},
    {"categorical_hinge", TW_METRIC_CATEGORICAL_HINGE, false},
    {"huber", TW_FN_HUBER, false},
    {"log_cosh", TW_METRIC_LOG_COSH_ERROR, false},
    {"mean_absolute_error", TW_METRIC_MEAN_ABSOLUTE_ERROR, false},
    {"mean_absolute_percentage_error", TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR, false},
    {"mean_squared_error", TW_METRIC_MEAN_SQUARED_ERROR, false},
    {"mean_squared_logarithmic_error", TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR, false},
    {"pearson_correlation", TW_METRIC_PEARSON_CORRELATION, false},
    {"concordance_correlation", TW_METRIC_CONCORDANCE_CORRELATION, false},
};

static const fn_entry *
fn_of(const char *name)
{
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(fns[i].name, name) == 0)
            return &fns[i];
    return NULL;
}

static float
sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* binary_focal_crossentropy: mean over the row of (1 - p_t)^gamma · bce, times the class
 * balance alpha / 1 - alpha when asked. */
static double
binary_focal(const tw_metric_ext *x, const float *yt, const float *yp, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = yt[j];
        if (x->label_smoothing != 0.0)
            t = t * (1.0 - x->label_smoothing) + 0.5 * x->label_smoothing;
        float pf = x->from_logits ? sigmoidf(yp[j]) : yp[j];
        float c = pf < EPS ? EPS : (pf > 1.0f - EPS ? 1.0f - EPS : pf);
        double bce = -(t * log((double)c) + (1.0 - t) * log((double)(1.0f - c)));
        double p = pf, p_t = t * p + (1.0 - t) * (1.0 - p);
        double v = pow(1.0 - p_t, x->gamma) * bce;
        if (x->apply_class_balancing)
            v *= t * x->alpha + (1.0 - t) * (1.0 - x->alpha);
        s += v;
    }
    return s / (double)d;
}

/* categorical_focal_crossentropy: sum over the row of alpha (1 - p)^gamma · -y log p, with p
 * the renormalised, clipped prediction (softmax first with from_logits). */
static double
categorical_focal(const tw_metric_ext *x, const float *yt, const float *yp, size_t d)
{
    double mx = -INFINITY, z = 0.0, sum = 0.0;
    if (x->from_logits) {
        for (size_t j = 0; j < d; j++)
            mx = fmax(mx, yp[j]);
        for (size_t j = 0; j < d; j++)
            z += exp((double)yp[j] - mx);
    }
    for (size_t j = 0; j < d; j++)
        sum += x->from_logits ? exp((double)yp[j] - mx) / z : yp[j];
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = yt[j];
        if (x->label_smoothing != 0.0)
            t = t * (1.0 - x->label_smoothing) + x->label_smoothing / (double)d;
        double p = (x->from_logits ? exp((double)yp[j] - mx) / z : yp[j]) / sum;
        p = fmin(fmax(p, (double)EPS), 1.0 - (double)EPS);
        s += x->alpha * pow(1.0 - p, x->gamma) * (-t * log(p));
    }
    return s;
}

/* huber: mean over the row of ½e² where |e| <= delta, else delta·|e| - ½delta². */
static double
huber(const tw_metric_ext *x, const float *yt, const float *yp, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double e = (double)yp[j] - yt[j], a = fabs(e);
        s += a <= x->delta ? 0.5 * e * e : x->delta * a - 0.5 * x->delta * x->delta;
    }
    return s / (double)d;
}

/* Sparse labels: integers in [0, d), or the ignore_class. */
static bool
labels_valid(const tw_metric_ext *x, const float *l, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        if (x->has_ignore_class && l[i] == (float)x->ignore_class)
            continue;
        if (!(l[i] >= 0.0f && l[i] < (float)d) || l[i] != floorf(l[i]) || (size_t)l[i] >= d)
            return false;
    }
    return true;
}

/* One value per sample into out, with m the metric of the function's kind. */
static void
per_sample(const fn_entry *f, const tw_metric *m, const float *y_true, const float *y_pred,
           size_t n, size_t d, double *out)
{
    const tw_metric_ext *x = m->ext;
    const bool binary = (f->kind == TW_METRIC_HINGE || f->kind == TW_METRIC_SQUARED_HINGE) &&
                        tw_metric_labels_binary(y_true, n * d);
    const size_t stride = f->sparse ? 1 : d;
    for (size_t i = 0; i < n; i++) {
        const float *yt = y_true + i * stride, *yp = y_pred + i * d;
        switch (f->kind) {
        case TW_FN_BINARY_FOCAL_CROSSENTROPY:
            out[i] = binary_focal(x, yt, yp, d);
            break;
        case TW_FN_CATEGORICAL_FOCAL_CROSSENTROPY:
            out[i] = categorical_focal(x, yt, yp, d);
            break;
        case TW_FN_HUBER:
            out[i] = huber(x, yt, yp, d);
            break;
        default:
            if (f->sparse && x->has_ignore_class && yt[0] == (float)x->ignore_class)
                out[i] = 0.0; /* Keras masks the ignored sample's value to 0 */
            else if (m->kind >= TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY)
                out[i] = tw_metric_ext_row_value(m, yt, yp, d, binary);
            else
                out[i] = tw_metric_row_value(m, yt, yp, d);
            break;
        }
    }
}

int
tw_metric_fn(const char *name, const char *options, const float *y_true, const float *y_pred,
             size_t n, size_t d, double *out)
{
    const fn_entry *f = name ? fn_of(name) : NULL;
    if (!f || !y_true || !y_pred || !out || d == 0 || tw_size_mul_overflows(n, d))
        return -EINVAL;
    tw_metric_options o;
    tw_metric_ext x;
    if (tw_metric_options_parse((tw_metric_kind)f->kind, options, &o, &x, NULL, 0) != 0)
        return -EINVAL;
    if (f->sparse && !labels_valid(&x, y_true, n, d))
        return -EINVAL;
    if (f->kind == TW_METRIC_BINARY_ACCURACY) { /* per element, as Keras returns it */
        const float t = (float)o.threshold;
        for (size_t i = 0; i < n * d; i++)
            out[i] = y_true[i] == (y_pred[i] > t ? 1.0f : 0.0f);
        return (int)(n * d > (size_t)0x7fffffff ? 0x7fffffff : n * d);
    }
    /* The kind's metric carries the options to the per-sample kernels; the pseudo kinds
     * only need them in x, and BCE's function is the metric's with an axis. */
    int kind = f->kind == TW_FN_BINARY_CROSSENTROPY   ? TW_METRIC_BINARY_CROSSENTROPY
               : f->kind >= TW_FN_BINARY_CROSSENTROPY ? TW_METRIC_MEAN
                                                      : f->kind;
    tw_metric *m = tw_metric_create((tw_metric_kind)kind, &o, &x);
    if (!m)
        return -errno;
    per_sample(f, m, y_true, y_pred, n, d, out);
    tw_metric_destroy(&m);
    return (int)(n > (size_t)0x7fffffff ? 0x7fffffff : n);
}
