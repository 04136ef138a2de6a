/* bench_chart.c - chart frame time (tw_chart_render: decimation, y range, dots, cells) for 8
 * curves at 200 x 60 cells, beside the target.
 *
 * DESIGN.md's target: a frame renders in <= 5 ms for 8 curves at 200 x 60. The headline cases
 * are 8 curves of STORE_POINTS points, what the monitor draws at most: a series' per-step
 * values are the store's buckets, 1024 per series by default (tw_store_defaults). Every frame
 * reads every visible point once. For scale, the same render over 8 curves of 1 M points
 * (64 MB of y values, more than the monitor ever hands the chart) is printed as information.
 * Each figure is the median of the repetitions, with the min..max spread. */
#include "clock.h"
#include "chart.h"

#include "bench_summary.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N_SERIES     8
#define STORE_POINTS 1024u    /* tw_store_defaults().buckets: the points of a monitor series */
#define BIG_POINTS   1000000u /* the information case */
#define REPS         31
#define TARGET_MS    5.0

/* Times `reps` renders of the series; writes the sorted times (ms) to ms[]. */
static int
time_frames(tw_chart *c, const tw_chart_spec *sp, const tw_chart_series *s, int reps, double *ms)
{
    for (int r = 0; r < reps; r++) {
        double t0 = tw_clock_mono();
        int rc = tw_chart_render(c, sp, s, N_SERIES);
        ms[r] = (tw_clock_mono() - t0) * 1e3;
        if (rc != 0)
            return rc;
    }
    bench_sort(ms, (size_t)reps);
    return 0;
}

static void
report(const char *what, const double *ms, int reps, bool target)
{
    double med = ms[reps / 2];
    printf("%-46s %9.3f ms %8.3f..%-8.3f ms %10s%s\n", what, med, ms[0], ms[reps - 1],
           target ? "<= 5 ms" : "-", target && med > TARGET_MS ? "  MISSED" : "");
    char name[96];
    snprintf(name, sizeof name, "chart 8 curves @200x60, %s", what);
    bench_summary(name, med, "ms", target ? BENCH_AT_MOST : BENCH_INFO, TARGET_MS, "<= 5 ms", ms[0],
                  ms[reps - 1]);
}

/* Fills x (0, 1, ...) and N_SERIES decaying noisy curves of n points; false when out of memory. */
static bool
make_curves(size_t n, double **x, double *y[N_SERIES], tw_chart_series s[N_SERIES])
{
    if (!(*x = malloc(n * sizeof(double))))
        return false;
    for (size_t i = 0; i < n; i++)
        (*x)[i] = (double)i;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    double scale = (double)n / 1e6; /* the same shapes whatever n */
    for (int k = 0; k < N_SERIES; k++) {
        if (!(y[k] = malloc(n * sizeof(double))))
            return false;
        for (size_t i = 0; i < n; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            double noise = (double)(rng >> 11) / 9007199254740992.0 - 0.5;
            y[k][i] = (1.0 + k * 0.3) * exp(-(double)i / ((150000.0 + 40000.0 * k) * scale)) + 0.1 +
                      0.05 * noise;
        }
        s[k] = (tw_chart_series){.x = *x,
                                 .y = y[k],
                                 .n = n,
                                 .color = (uint8_t)(k % 8 + 1),
                                 .style = k % 2 ? TW_CHART_DOTTED : TW_CHART_SOLID};
    }
    return true;
}

static void
free_curves(double *x, double *y[N_SERIES])
{
    for (int k = 0; k < N_SERIES; k++)
        free(y[k]);
    free(x);
}

int
main(void)
{
    double *x = NULL, *y[N_SERIES] = {0};
    tw_chart_series s[N_SERIES];
    tw_chart *c = tw_chart_new();
    if (!c || !make_curves(STORE_POINTS, &x, y, s))
        return 1;
    tw_chart_spec sp = tw_chart_defaults();
    sp.width = 200;
    sp.height = 60;
    sp.xkind = TW_CHART_X_STEP;
    double ms[REPS];

    printf("chart frame, %d curves x %u points (the store's buckets per series), %dx%d cells, "
           "%d repetitions\n",
           N_SERIES, STORE_POINTS, sp.width, sp.height, REPS);
    printf("%-46s %12s %22s %10s\n", "case", "median", "spread (min..max)", "target");
    sp.utf8 = true;
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("1024 points, braille", ms, REPS, true);
    sp.utf8 = false;
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("1024 points, ASCII", ms, REPS, true);
    sp.utf8 = true;
    sp.y_robust = true;
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("1024 points, braille, robust y range", ms, REPS, true);
    sp.y_robust = false;
    sp.x_min = STORE_POINTS * 0.9; /* zoomed on the last 10 % */
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("1024 points, braille, last 10 % of x", ms, REPS, true);
    sp.x_min = NAN;
    free_curves(x, y);

    /* For scale: 1 M points per curve, every point read (not a case the monitor produces). */
    if (!make_curves(BIG_POINTS, &x, y, s))
        return 1;
    if (time_frames(c, &sp, s, 7, ms) != 0)
        return 1;
    report("1 M points, braille (information)", ms, 7, false);
    free_curves(x, y);
    tw_chart_destroy(&c);
    return 0;
}
