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
        {"BinaryAccuracy", TW_METRIC_BINARY_ACCURACY, 1, 500e6, NULL, {0}},
        {"MeanSquaredError", TW_METRIC_MEAN_SQUARED_ERROR, 1, 500e6, NULL, {0}},
        {"CategoricalAccuracy (d=10)", TW_METRIC_CATEGORICAL_ACCURACY, 10, 0, NULL, {0}},
        {"AUC (200 thresholds)", TW_METRIC_AUC, 1, 100e6, NULL, {0}},
    };
    const size_t nb = sizeof(b) / sizeof(b[0]);
    for (size_t k = 0; k < nb; k++)
        if (!(b[k].m = tw_metric_new(b[k].kind, NULL)))
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
