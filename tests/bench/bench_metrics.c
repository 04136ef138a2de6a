/* bench_metrics.c - predictions per second of the metric kernels, beside DESIGN.md's targets.
 *
 * Each kind is fed the same 1 M predictions (d = 1, or d = 10 for CategoricalAccuracy) in one
 * update_state call, repeated; the figure is the median of the repetitions and the spread is
 * the min..max. Kinds are measured round-robin (A B C D A B C D ...) so that machine noise
 * touches them alike. */
#include "clock.h"
#include "trainwatch.h"

#include "bench_summary.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N_PRED 1000000u
#define REPS   21

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float
uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)(rng_state >> 40) / (float)(1u << 24);
}

struct bench {
    const char *name;
    tw_metric_kind kind;
    const char *opts; /* Keras arguments (tw_metric_new_opts), NULL: defaults */
    size_t d;
    double target; /* predictions per second; 0: no target */
    tw_metric *m;
    double rates[REPS];
};

int
main(void)
{
    float *yt = malloc(N_PRED * 10 * sizeof(float));
    float *yp = malloc(N_PRED * 10 * sizeof(float));
    if (!yt || !yp)
        return 1;
    for (size_t i = 0; i < N_PRED * 10; i++) {
        yp[i] = uniform();
        yt[i] = uniform() < yp[i] ? 1.0f : 0.0f;
    }
    struct bench b[] = {
        {"BinaryAccuracy", TW_METRIC_BINARY_ACCURACY, NULL, 1, 500e6, NULL, {0}},
        {"MeanSquaredError", TW_METRIC_MEAN_SQUARED_ERROR, NULL, 1, 500e6, NULL, {0}},
        {"CategoricalAccuracy (d=10)", TW_METRIC_CATEGORICAL_ACCURACY, NULL, 10, 0, NULL, {0}},
        {"AUC (200 thresholds)", TW_METRIC_AUC, NULL, 1, 100e6, NULL, {0}},
        /* the kinds added in 0.2: elementwise ones against 500 M/s, confusion ones 100 M/s */
        {"Hinge", TW_METRIC_HINGE, NULL, 1, 500e6, NULL, {0}},
        {"SquaredHinge", TW_METRIC_SQUARED_HINGE, NULL, 1, 500e6, NULL, {0}},
        {"Poisson", TW_METRIC_POISSON, NULL, 1, 500e6, NULL, {0}},
        {"KLDivergence", TW_METRIC_KL_DIVERGENCE, NULL, 1, 500e6, NULL, {0}},
        {"MeanSquaredLogarithmicError",
         TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR,
         NULL,
         1,
         500e6,
         NULL,
         {0}},
        {"LogCoshError", TW_METRIC_LOG_COSH_ERROR, NULL, 1, 500e6, NULL, {0}},
        {"CosineSimilarity (d=10)", TW_METRIC_COSINE_SIMILARITY, NULL, 10, 0, NULL, {0}},
        {"PearsonCorrelation (d=10)", TW_METRIC_PEARSON_CORRELATION, NULL, 10, 0, NULL, {0}},
        {"TruePositives", TW_METRIC_TRUE_POSITIVES, NULL, 1, 100e6, NULL, {0}},
        {"Precision (3 thresholds)",
         TW_METRIC_PRECISION,
         "thresholds=[0.3,0.5,0.7]",
         1,
         100e6,
         NULL,
         {0}},
        {"SensitivityAtSpecificity",
         TW_METRIC_SENSITIVITY_AT_SPECIFICITY,
         "value=0.5",
         1,
         100e6,
         NULL,
         {0}},
        {"F1Score (d=10)",
         TW_METRIC_F1_SCORE,
         "num_classes=10,threshold=0.5",
         10,
         100e6,
         NULL,
         {0}},
        {"BinaryIoU", TW_METRIC_BINARY_IOU, NULL, 1, 100e6, NULL, {0}},
        {"OneHotMeanIoU (d=10)",
         TW_METRIC_ONE_HOT_MEAN_IOU,
         "num_classes=10",
         10,
         100e6,
         NULL,
         {0}},
        {"R2Score", TW_METRIC_R2_SCORE, NULL, 1, 500e6, NULL, {0}},
    };
    const size_t nb = sizeof(b) / sizeof(b[0]);
    for (size_t k = 0; k < nb; k++)
        if (!(b[k].m = tw_metric_new_opts(b[k].kind, b[k].opts)))
            return 1;

    for (int r = 0; r < REPS; r++)
        for (size_t k = 0; k < nb; k++) {
            size_t n = N_PRED / b[k].d; /* 1 M predictions = n samples of d scores */
            double t0 = tw_clock_mono();
            tw_metric_update_state(b[k].m, yt, yp, NULL, n, b[k].d);
            double dt = tw_clock_mono() - t0;
            b[k].rates[r] = (double)N_PRED / dt;
        }

    printf("metric update_state, 1 M predictions a call, %d repetitions, one core\n", REPS);
    printf("%-28s %14s %22s %12s %8s\n", "kind", "median pred/s", "spread (min..max)", "target",
           "ratio");
    for (size_t k = 0; k < nb; k++) {
        bench_sort(b[k].rates, REPS);
        double med = b[k].rates[REPS / 2];
        char target[32] = "-", ratio[32] = "-";
        if (b[k].target > 0) {
            snprintf(target, sizeof target, ">= %.0f M", b[k].target / 1e6);
            snprintf(ratio, sizeof ratio, "%.2fx", med / b[k].target);
        }
        printf("%-28s %12.0f M %9.0f..%-9.0f M %12s %8s%s\n", b[k].name, med / 1e6,
               b[k].rates[0] / 1e6, b[k].rates[REPS - 1] / 1e6, target, ratio,
               b[k].target > 0 && med < b[k].target ? "  MISSED" : "");
        char name[64];
        snprintf(name, sizeof name, "metric %s", b[k].name);
        bench_summary(name, med / 1e6, "M pred/s", b[k].target > 0 ? BENCH_AT_LEAST : BENCH_INFO,
                      b[k].target / 1e6, target, b[k].rates[0] / 1e6, b[k].rates[REPS - 1] / 1e6);
        /* Keep the results alive so nothing is optimised away. */
        if (tw_metric_result(b[k].m) < -1.0)
            puts("impossible");
        tw_metric_destroy(&b[k].m);
    }
    free(yt);
    free(yp);
    return 0;
}
