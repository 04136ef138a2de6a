/* bench_chart.c - chart frame time for 8 curves of 1 M points at 200 x 60, beside the target.
 *
 * DESIGN.md's target: a frame renders in <= 5 ms for 8 curves of 1 M points each at 200 x 60.
 * Reading 8 M y values alone takes longer than that on most machines (64 MB of memory), so the
 * monitor keeps a tw_chart_lod per series, updated as points arrive; the frame figure is with
 * those, and the cost of keeping them (per appended point) is printed beside it, as is a frame
 * without them. Each figure is the median of the repetitions, with the min..max spread. */
#include "chart.h"

#include "bench_summary.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N_SERIES  8
#define N_POINTS  1000000u
#define REPS      31
#define TARGET_MS 5.0

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times `reps` renders of the series; writes the sorted times (ms) to ms[]. */
static int
time_frames(tw_chart *c, const tw_chart_spec *sp, const tw_chart_series *s, int reps, double *ms)
{
    for (int r = 0; r < reps; r++) {
        double t0 = now_seconds();
        int rc = tw_chart_render(c, sp, s, N_SERIES);
        ms[r] = (now_seconds() - t0) * 1e3;
        if (rc != 0)
            return rc;
    }
    qsort(ms, (size_t)reps, sizeof(double), cmp_double);
    return 0;
}

static void
report(const char *what, const double *ms, int reps, bool target)
{
    double med = ms[reps / 2];
    printf("%-40s %9.3f ms %8.3f..%-8.3f ms %10s%s\n", what, med, ms[0], ms[reps - 1],
           target ? "<= 5 ms" : "-", target && med > TARGET_MS ? "  MISSED" : "");
    char name[96];
    snprintf(name, sizeof name, "chart 8x1M @200x60, %s", what);
    bench_summary(name, med, "ms", target ? BENCH_AT_MOST : BENCH_INFO, TARGET_MS, "<= 5 ms", ms[0],
                  ms[reps - 1]);
}

int
main(void)
{
    double *x = malloc(N_POINTS * sizeof(double));
    double *y[N_SERIES];
    tw_chart_lod *lod[N_SERIES];
    tw_chart_series s[N_SERIES] = {{0}};
    if (!x)
        return 1;
    for (size_t i = 0; i < N_POINTS; i++)
        x[i] = (double)i;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < N_SERIES; k++) {
        if (!(y[k] = malloc(N_POINTS * sizeof(double))) || !(lod[k] = tw_chart_lod_new()))
            return 1;
        for (size_t i = 0; i < N_POINTS; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            double noise = (double)(rng >> 11) / 9007199254740992.0 - 0.5;
            y[k][i] =
                (1.0 + k * 0.3) * exp(-(double)i / (150000.0 + 40000.0 * k)) + 0.1 + 0.05 * noise;
        }
        s[k].x = x;
        s[k].y = y[k];
        s[k].n = N_POINTS;
        s[k].color = (uint8_t)(k % 8 + 1);
        s[k].style = k % 2 ? TW_CHART_DOTTED : TW_CHART_SOLID;
    }

    /* Keeping the lods: once over all the points, then as points arrive 1000 at a time. */
    double t0 = now_seconds();
    for (int k = 0; k < N_SERIES; k++)
        if (tw_chart_lod_update(lod[k], x, y[k], N_POINTS - 100000, 0) != 0)
            return 1;
    double build = now_seconds() - t0;
    t0 = now_seconds();
    for (size_t n = N_POINTS - 100000; n <= N_POINTS; n += 1000)
        for (int k = 0; k < N_SERIES; k++)
            if (tw_chart_lod_update(lod[k], x, y[k], n, 0) != 0)
                return 1;
    double append = now_seconds() - t0;

    tw_chart *c = tw_chart_new();
    if (!c)
        return 1;
    tw_chart_spec sp = tw_chart_defaults();
    sp.width = 200;
    sp.height = 60;
    sp.xkind = TW_CHART_X_STEP;
    double ms[REPS];

    printf("chart frame, %d curves x %u points, %dx%d cells, %d repetitions\n", N_SERIES, N_POINTS,
           sp.width, sp.height, REPS);
    printf("%-40s %12s %22s %10s\n", "case", "median", "spread (min..max)", "target");
    for (int k = 0; k < N_SERIES; k++)
        s[k].lod = lod[k];
    sp.utf8 = true;
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("braille, with lod", ms, REPS, true);
    sp.utf8 = false;
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("ASCII, with lod", ms, REPS, true);
    sp.utf8 = true;
    sp.y_robust = true;
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("braille, with lod, robust y range", ms, REPS, true);
    sp.y_robust = false;
    sp.x_min = N_POINTS * 0.9; /* zoomed on the last 10 % */
    if (time_frames(c, &sp, s, REPS, ms) != 0)
        return 1;
    report("braille, with lod, last 10 % of x", ms, REPS, true);
    sp.x_min = NAN;
    for (int k = 0; k < N_SERIES; k++)
        s[k].lod = NULL;
    if (time_frames(c, &sp, s, 7, ms) != 0)
        return 1;
    report("braille, no lod (every point read)", ms, 7, false);

    printf("lod upkeep: %.2f ns/point building, %.2f ns/point appending 1000 at a time\n",
           build * 1e9 / (N_SERIES * (N_POINTS - 100000.0)), append * 1e9 / (N_SERIES * 100000.0));

    tw_chart_destroy(&c);
    for (int k = 0; k < N_SERIES; k++) {
        tw_chart_lod_destroy(&lod[k]);
        free(y[k]);
    }
    free(x);
    return 0;
}
