/* metric_regression.c - the mean-wrapped kinds added in 0.2 (losses as metrics, hinges,
 * cosine similarity, per-row correlations), and the old rows' extra Keras arguments
 * (from_logits, label_smoothing, from_sorted_ids), each one value per sample as Keras 3's
 * function for it, accumulated into [total, count] as Keras's MeanMetricWrapper does. */
#include "metric_impl.h"
#include "vmath.h"

#include <float.h>
#include <math.h>

#define EPS 1e-7f

bool
tw_metric_is_ext_rows(tw_metric_kind k)
{
    return (k >= TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY && k <= TW_METRIC_COSINE_SIMILARITY) ||
           (k >= TW_METRIC_HINGE && k <= TW_METRIC_CATEGORICAL_HINGE) ||
           k == TW_METRIC_PEARSON_CORRELATION || k == TW_METRIC_CONCORDANCE_CORRELATION;
}

static float
clipf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v); /* NaN passes through */
}

/* fmaxf(v, lo) for lo > 0 (a NaN v gives lo) as a select, which vectorises; fmaxf does not. */
static inline float
maxf(float v, float lo)
{
    return v > lo ? v : lo;
}

/* -log(softmax(logits))[j] for every j is logsumexp - logit; returns logsumexp. */
static double
logsumexp(const float *x, size_t d)
{
    double mx = -INFINITY;
    for (size_t j = 0; j < d; j++)
        mx = fmax(mx, x[j]);
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += exp((double)x[j] - mx);
    return mx + log(s);
}

/* Categorical crossentropy against a target row (tv(j)) given by one-hot `label` (>= 0) or
 * by yt (smoothed by ls): -sum t_j log p_j, p = clip(y / sum y) or log_softmax. */
static double
cce(const float *yt, long label, const float *yp, size_t d, bool logits, double ls)
{
    double lse = logits ? logsumexp(yp, d) : 0.0;
    float sum = 0.0f;
    if (!logits)
        for (size_t j = 0; j < d; j++)
            sum += yp[j];
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = label >= 0 ? (double)((size_t)label == j) : (double)yt[j];
        if (ls != 0.0)
            t = t * (1.0 - ls) + ls / (double)d;
        if (t == 0.0)
            continue;
        double lp = logits ? (double)yp[j] - lse : log((double)clipf(yp[j] / sum, EPS, 1.0f - EPS));
        s += t * lp;
    }
    return -s;
}

static double
bce(const float *yt, const float *yp, size_t d, bool logits, double ls)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = yt[j];
        if (ls != 0.0)
            t = t * (1.0 - ls) + 0.5 * ls;
        if (logits) {
            double x = yp[j];
            s += fmax(x, 0.0) - x * t + log1p(exp(-fabs(x)));
        } else {
            float p = clipf(yp[j], EPS, 1.0f - EPS), q = 1.0f - p;
            s -= t * log((double)p) + (1.0 - t) * log((double)q);
        }
    }
    return s / (double)d;
}

bool
tw_metric_row_has_ext(const tw_metric *m)
{
    return m->ext->from_logits || m->ext->label_smoothing != 0.0 || m->ext->from_sorted_ids;
}

double
tw_metric_row_ext(const tw_metric *m, const float *yt, const float *yp, size_t d)
{
    const tw_metric_ext *x = m->ext;
    switch (m->kind) {
    case TW_METRIC_BINARY_CROSSENTROPY:
        return bce(yt, yp, d, x->from_logits, x->label_smoothing);
    case TW_METRIC_CATEGORICAL_CROSSENTROPY:
        return cce(yt, -1, yp, d, x->from_logits, x->label_smoothing);
    default: { /* sparse top-k, from_sorted_ids: the label among the first k ids */
        size_t k = (size_t)m->opts.k < d ? (size_t)m->opts.k : d;
        for (size_t j = 0; j < k; j++)
            if (yp[j] == yt[0])
                return 1.0;
        return 0.0;
    }
    }
}

static double
mean_std(const float *v, size_t d, double *std)
{
    double mu = 0.0, var = 0.0;
    for (size_t j = 0; j < d; j++)
        mu += v[j];
    mu /= (double)d;
    for (size_t j = 0; j < d; j++)
        var += ((double)v[j] - mu) * ((double)v[j] - mu);
    *std = sqrt(var / (double)d);
    return mu;
}

/* Pearson along the row: mean of the standardised products; a constant row gives NaN (0/0),
 * as Keras. */
static double
pearson(const float *yt, const float *yp, size_t d)
{
    double st, sp, mt = mean_std(yt, d, &st), mp = mean_std(yp, d, &sp), s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += (((double)yt[j] - mt) / st) * (((double)yp[j] - mp) / sp);
    return s / (double)d;
}

/* Keras 3's concordance, to the letter: its covariance term centres y_true on y_pred's
 * mean, and the denominator has epsilon. */
static double
concordance(const float *yt, const float *yp, size_t d)
{
    double st, sp, mt = mean_std(yt, d, &st), mp = mean_std(yp, d, &sp), s = 0.0;
    double norm = st * st + sp * sp + (mt - mp) * (mt - mp) + (double)EPS;
    for (size_t j = 0; j < d; j++)
        s += 2.0 * ((double)yt[j] - mp) * ((double)yp[j] - mp) / norm;
    return s / (double)d;
}

/* l2-normalised dot product; Keras's normalize caps 1/norm at 1/epsilon. */
static double
cosine(const float *yt, const float *yp, size_t d)
{
    double st = 0.0, sp = 0.0, dot = 0.0;
    for (size_t j = 0; j < d; j++) {
        st += (double)yt[j] * yt[j];
        sp += (double)yp[j] * yp[j];
        dot += (double)yt[j] * yp[j];
    }
    return dot * fmin(1.0 / sqrt(st), 1.0 / (double)EPS) * fmin(1.0 / sqrt(sp), 1.0 / (double)EPS);
}

static double
categorical_hinge(const float *yt, const float *yp, size_t d)
{
    double pos = 0.0, neg = -INFINITY;
    for (size_t j = 0; j < d; j++) {
        pos += (double)yt[j] * yp[j];
        neg = fmax(neg, (1.0 - yt[j]) * (double)yp[j]);
    }
    return fmax(neg - pos + 1.0, 0.0);
}

/* One element of the elementwise kinds, in float32 as Keras computes it (x = y_true,
 * y = y_pred); `binary` maps hinge labels 0/1 to -1/1. `plain`: the caller knows that the
 * logarithms' arguments are positive, normal and finite (plain_args), and the logarithms
 * skip their special cases: the same values, fewer operations. */
static inline float
element(tw_metric_kind kind, float t, float p, bool binary, bool plain)
{
    switch (kind) {
    case TW_METRIC_KL_DIVERGENCE: {
        float ct = clipf(t, EPS, 1.0f), cp = clipf(p, EPS, 1.0f);
        return ct * (plain ? tw_vlogf_normal(ct / cp) : tw_vlogf(ct / cp));
    }
    case TW_METRIC_POISSON:
        return p - t * (plain ? tw_vlogf_normal(p + EPS) : tw_vlogf(p + EPS));
    case TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR: {
        float a = maxf(p, EPS) + 1.0f, b = maxf(t, EPS) + 1.0f;
        float e = plain ? tw_vlogf_normal(a) - tw_vlogf_normal(b) : tw_vlogf(a) - tw_vlogf(b);
        return e * e;
    }
    case TW_METRIC_HINGE:
    case TW_METRIC_SQUARED_HINGE: {
        float h = 1.0f - (binary ? 2.0f * t - 1.0f : t) * p;
        h = h < 0.0f ? 0.0f : h; /* max(h, 0), NaN propagating as Keras's maximum */
        return kind == TW_METRIC_SQUARED_HINGE ? h * h : h;
    }
    default: /* log_cosh of x = y_pred - y_true: x + softplus(-2x) - log 2 (no special cases) */
        return tw_vlogcoshf(p - t);
    }
}

/* True when element(kind, t, p) may take the plain logarithms: KLD clips both into
 * [EPS, 1] (only NaN escapes), Poisson's p + EPS must be positive and normal, MSLE's
 * max(v, EPS) + 1 is at least 1 (only inf escapes); LogCosh has no special cases. */
static inline bool
plain_args(tw_metric_kind kind, float t, float p)
{
    switch (kind) {
    case TW_METRIC_KL_DIVERGENCE:
        return (t == t) & (p == p);
    case TW_METRIC_POISSON:
        return (p + EPS >= 0x1p-126f) & (p + EPS <= FLT_MAX);
    case TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR:
        return (p != INFINITY) & (t != INFINITY);
    default:
        return true;
    }
}

static double
elementwise(tw_metric_kind kind, const float *yt, const float *yp, size_t d, bool binary)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += element(kind, yt[j], yp[j], binary, false);
    return kind == TW_METRIC_KL_DIVERGENCE ? s : s / (double)d;
}

/* The partial sums of the unweighted loop: element i goes to sum i % NSUM, in order. Enough
 * of them that the additions are not one dependent chain (an addition's latency is 4
 * cycles; with AVX2, 8 sums are two chains of 4 lanes each), few enough to stay in SSE2's
 * registers with their squares'. The same order on every clone, so the same values. */
#define NSUM 8

/* acc[j % NSUM] += v[j] and sq[j % NSUM] += v[j]^2 (in double) for a block of b values (the
 * block starts at a multiple of NSUM), in order, the sums in registers: written over
 * k < NSUM, which gcc turns into vector operations on the sums. */
static inline void
sum_block(const float *v, size_t b, double acc[NSUM], double sq[NSUM])
{
    double a[NSUM], s[NSUM];
    for (size_t k = 0; k < NSUM; k++)
        a[k] = acc[k], s[k] = sq[k];
    size_t j = 0;
    for (; j + NSUM <= b; j += NSUM)
        for (size_t k = 0; k < NSUM; k++) {
            const double x = v[j + k];
            a[k] += x;
            s[k] += x * x;
        }
    for (size_t k = 0; k < NSUM; k++)
        acc[k] = a[k], sq[k] = s[k];
    for (; j < b; j++) { /* the last block's tail (in the loop above, gcc vectorises less) */
        const double x = v[j];
        acc[j % NSUM] += x;
        sq[j % NSUM] += x * x;
    }
}

/* The NSUM partial sums added pairwise, in a fixed order. */
static double
sum_partials(const double p[NSUM])
{
    return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

/* With TW_TARGET_CLONES (meson found target_clones and ifunc), fast_elementwise also in an
 * AVX2 clone, which the loader picks on a CPU that has it: twice the lanes. The values are
 * the same (no fused multiply-adds: meson.build's -ffp-contract=off). */
#ifdef TW_TARGET_CLONES
#define TW_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TW_CLONES
#endif

/* Unweighted, one value per sample, the kind's switch hoisted out of the loop (element() is
 * inlined per kind), a block at a time: whether the block's logarithms can be plain, the
 * elements into a buffer (loops without branches or calls, which gcc vectorises), then the
 * buffer into NSUM partial sums in double and NSUM of the squares, element i into
 * acc[i % NSUM] and sq[i % NSUM] in order (reductions gcc would not vectorise without
 * -ffast-math). */
#define BLOCK 256
#define SUM4(KIND)                                                                                 \
    do {                                                                                           \
        float v[BLOCK];                                                                            \
        for (size_t i = 0; i < n; i += BLOCK) {                                                    \
            const size_t b = n - i < BLOCK ? n - i : BLOCK;                                        \
            unsigned plain = 1;                                                                    \
            for (size_t j = 0; j < b; j++) {                                                       \
                v[j] = element(KIND, yt[i + j], yp[i + j], binary, true);                          \
                plain &= plain_args(KIND, yt[i + j], yp[i + j]);                                   \
            }                                                                                      \
            if (!plain) /* again, with the special cases */                                        \
                for (size_t j = 0; j < b; j++)                                                     \
                    v[j] = element(KIND, yt[i + j], yp[i + j], binary, false);                     \
            sum_block(v, b, acc, sq);                                                              \
        }                                                                                          \
    } while (0)

/* The sum of the n samples' values; their sum of squares in *sumsq. */
TW_CLONES static double
fast_elementwise(tw_metric_kind kind, const float *yt, const float *yp, size_t n, bool binary,
                 double *sumsq)
{
    double acc[NSUM] = {0.0}, sq[NSUM] = {0.0};
    switch (kind) {
    case TW_METRIC_KL_DIVERGENCE:
        SUM4(TW_METRIC_KL_DIVERGENCE);
        break;
    case TW_METRIC_POISSON:
        SUM4(TW_METRIC_POISSON);
        break;
    case TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR:
        SUM4(TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR);
        break;
    case TW_METRIC_HINGE:
        SUM4(TW_METRIC_HINGE);
        break;
    case TW_METRIC_SQUARED_HINGE:
        SUM4(TW_METRIC_SQUARED_HINGE);
        break;
    default:
        SUM4(TW_METRIC_LOG_COSH_ERROR);
        break;
    }
    *sumsq = sum_partials(sq);
    return sum_partials(acc);
}

static bool
is_elementwise(tw_metric_kind k)
{
    return (k >= TW_METRIC_KL_DIVERGENCE && k <= TW_METRIC_LOG_COSH_ERROR) ||
           k == TW_METRIC_HINGE || k == TW_METRIC_SQUARED_HINGE;
}

/* Hinge's labels: a batch of only 0s and 1s is mapped to -1/1 (Keras checks the batch). */
bool
tw_metric_labels_binary(const float *yt, size_t len)
{
    size_t other = 0; /* counted without a branch, so that the loop vectorises */
    for (size_t i = 0; i < len; i++)
        other += (yt[i] != 0.0f) & (yt[i] != 1.0f);
    return other == 0;
}

double
tw_metric_ext_row_value(const tw_metric *m, const float *yt, const float *yp, size_t d, bool binary)
{
    switch (m->kind) {
    case TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY:
        return cce(NULL, (long)yt[0], yp, d, m->ext->from_logits, 0.0);
    case TW_METRIC_COSINE_SIMILARITY:
        return cosine(yt, yp, d);
    case TW_METRIC_CATEGORICAL_HINGE:
        return categorical_hinge(yt, yp, d);
    case TW_METRIC_PEARSON_CORRELATION:
        return pearson(yt, yp, d);
    case TW_METRIC_CONCORDANCE_CORRELATION:
        return concordance(yt, yp, d);
    default:
        return elementwise(m->kind, yt, yp, d, binary);
    }
}

/* SparseCategoricalCrossentropy's labels: integers in [0, d), or ignore_class. */
static bool
scce_labels_valid(const tw_metric *m, const float *yt, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        float l = yt[i];
        if (m->ext->has_ignore_class && l == (float)m->ext->ignore_class)
            continue;
        if (!(l >= 0.0f && l < (float)d) || l != floorf(l) || (size_t)l >= d)
            return false;
    }
    return true;
}

int
tw_metric_ext_rows_update(tw_metric *m, const float *y_true, const float *y_pred,
                          const float *sample_weight, size_t n, size_t d)
{
    const bool sparse = m->kind == TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY;
    if (sparse && !scce_labels_valid(m, y_true, n, d))
        return -1;
    const size_t stride = sparse ? 1 : d;
    const bool binary = (m->kind == TW_METRIC_HINGE || m->kind == TW_METRIC_SQUARED_HINGE) &&
                        tw_metric_labels_binary(y_true, n * d);
    if (!sample_weight && d == 1 && is_elementwise(m->kind)) {
        double sumsq;
        m->state[0] += fast_elementwise(m->kind, y_true, y_pred, n, binary, &sumsq);
        m->state[1] += (double)n;
        m->state[2] += sumsq;
        m->state[3] += (double)n;
        return 0;
    }
    /* [total, count, sumsq, values]: values counts the samples of non-zero weight */
    double total = 0.0, count = 0.0, sumsq = 0.0, values = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *yt = y_true + i * stride;
        double w = sample_weight ? sample_weight[i] : 1.0;
        /* An ignored label adds 0; it still counts when unweighted (a value 0 of weight 1),
         * its weight is 0 when weighted (Keras masks the weights). */
        if (sparse && m->ext->has_ignore_class && yt[0] == (float)m->ext->ignore_class) {
            count += sample_weight ? 0.0 : 1.0;
            values += sample_weight ? 0.0 : 1.0;
            continue;
        }
        double v = tw_metric_ext_row_value(m, yt, y_pred + i * d, d, binary);
        total += sample_weight ? v * w : v;
        sumsq += sample_weight ? v * v * w : v * v;
        count += w;
        values += w != 0.0;
    }
    m->state[0] += total;
    m->state[1] += count;
    m->state[2] += sumsq;
    m->state[3] += values;
    return 0;
}
