/* test_chart.c - the chart rasterizer: golden text renders, ticks, labels, decimation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "chart.h"
#include "reserve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Golden files live in golden/chart/ under the working directory (meson runs the test in
 * tests/), or in the directory given as the first argument. TW_UPDATE_GOLDEN=1 rewrites them. */
static const char *golden_dir = "golden/chart";

/* ------------------------------------------------------------------------------------------ */
/* Golden renders                                                                               */

static char *
read_file_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k;
    while ((k = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (cap - len < 2) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
    }
    fclose(f);
    s[len] = '\0';
    return s;
}

/* Renders the series in braille and in ASCII and compares each with its golden file
 * (NAME_braille.txt, NAME_ascii.txt): the glyphs, a blank line, then the attribute plane. */
static void
check_golden(const char *name, tw_chart_spec spec, const tw_chart_series *s, size_t n)
{
    const bool update = getenv("TW_UPDATE_GOLDEN") && strcmp(getenv("TW_UPDATE_GOLDEN"), "1") == 0;
    for (int mode = 0; mode < 2; mode++) {
        spec.utf8 = mode == 0;
        tw_chart *c = tw_chart_new();
        assert_non_null(c);
        assert_int_equal(tw_chart_render(c, &spec, s, n), 0);
        char *got = tw_chart_text(c, true);
        assert_non_null(got);
        char path[512];
        snprintf(path, sizeof path, "%s/%s_%s.txt", golden_dir, name,
                 mode == 0 ? "braille" : "ascii");
        if (update) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            fputs(got, f);
            fclose(f);
        } else {
            char *want = read_file_all(path);
            if (!want)
                fail_msg("cannot read %s (TW_UPDATE_GOLDEN=1 writes it)", path);
            if (strcmp(want, got) != 0) {
                fprintf(stderr, "%s differs; expected:\n%s\ngot:\n%s\n", path, want, got);
                free(want);
                fail_msg("golden mismatch: %s", path);
            }
            free(want);
        }
        free(got);
        tw_chart_destroy(&c);
        assert_null(c);
    }
}

static tw_chart_spec
spec_of(int w, int h)
{
    tw_chart_spec sp = tw_chart_defaults();
    sp.width = w;
    sp.height = h;
    return sp;
}

static tw_chart_series
points(const double *x, const double *y, size_t n, int color, unsigned style)
{
    tw_chart_series s;
    memset(&s, 0, sizeof s);
    s.x = x;
    s.y = y;
    s.n = n;
    s.color = (uint8_t)color;
    s.style = style;
    return s;
}

/* A falling training loss and a U-shaped validation loss, epochs 1..n. */
static void
train_val(double *ep, double *tr, double *va, int n)
{
    for (int i = 0; i < n; i++) {
        ep[i] = i + 1;
        tr[i] = 2.2 * exp(-i / 4.0) + 0.15;
        va[i] = 0.55 + 0.005 * (i - 10) * (i - 10) + 0.9 * exp(-i / 2.5);
    }
}

static void
golden_train_val(void **state)
{
    (void)state;
    double ep[20], tr[20], va[20];
    train_val(ep, tr, va, 20);
    tw_chart_series s[2] = {points(ep, tr, 20, 1, TW_CHART_SOLID),
                            points(ep, va, 20, 1, TW_CHART_DOTTED)};
    check_golden("train_val", spec_of(60, 16), s, 2);
}

static void
golden_log_y(void **state)
{
    (void)state;
    double ep[30], tr[30], va[30];
    for (int i = 0; i < 30; i++) {
        ep[i] = i;
        tr[i] = 8.0 * pow(0.7, i);         /* 8 down to 2e-4: four decades */
        va[i] = 9.0 * pow(0.72, i) + 2e-3; /* levels off at 2e-3 */
    }
    tr[12] = 0; /* y <= 0 cannot be drawn on a log axis: a gap */
    tr[13] = -1;
    tw_chart_series s[2] = {points(ep, tr, 30, 1, TW_CHART_SOLID),
                            points(ep, va, 30, 2, TW_CHART_DOTTED)};
    tw_chart_spec sp = spec_of(60, 16);
    sp.log_y = true;
    check_golden("log_y", sp, s, 2);
}

static void
golden_several(void **state)
{
    (void)state;
    enum { N = 25 };
    double ep[N], a[N], b[N], c[N], d[N];
    for (int i = 0; i < N; i++) {
        ep[i] = i + 1;
        a[i] = 0.95 - 0.6 * exp(-i / 5.0); /* accuracy climbing */
        b[i] = 0.90 - 0.55 * exp(-i / 8.0);
        c[i] = 0.5 + 0.3 * sin(i / 3.0); /* oscillating */
        d[i] = 0.2 + 0.02 * i;           /* straight line */
    }
    tw_chart_series s[5] = {
        points(ep, a, N, 1, TW_CHART_SOLID), points(ep, b, N, 2, TW_CHART_SOLID),
        points(ep, c, N, 3, TW_CHART_SOLID), points(ep, d, N, 4, TW_CHART_SOLID),
        points(NULL, NULL, 0, 5, TW_CHART_SOLID)}; /* an empty series */
    check_golden("several", spec_of(60, 16), s, 5);
}

static void
golden_empty(void **state)
{
    (void)state;
    tw_chart_series s[2] = {points(NULL, NULL, 0, 1, TW_CHART_SOLID),
                            points(NULL, NULL, 0, 2, TW_CHART_DOTTED)};
    check_golden("empty", spec_of(40, 10), s, 2);

    /* No series at all gives the same chart. */
    tw_chart_spec sp = spec_of(40, 10);
    tw_chart *c1 = tw_chart_new(), *c2 = tw_chart_new();
    assert_int_equal(tw_chart_render(c1, &sp, s, 2), 0);
    assert_int_equal(tw_chart_render(c2, &sp, NULL, 0), 0);
    char *t1 = tw_chart_text(c1, true), *t2 = tw_chart_text(c2, true);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    tw_chart_destroy(&c1);
    tw_chart_destroy(&c2);
}

static void
golden_one_point(void **state)
{
    (void)state;
    double x = 3, y = 0.42;
    tw_chart_series s = points(&x, &y, 1, 1, TW_CHART_SOLID);
    check_golden("one_point", spec_of(40, 10), &s, 1);
}

static void
golden_nonfinite(void **state)
{
    (void)state;
    enum { N = 20 };
    double ep[N], y[N];
    for (int i = 0; i < N; i++) {
        ep[i] = i + 1;
        y[i] = 1.0 + 0.5 * cos(i / 3.0);
    }
    y[4] = NAN; /* a gap */
    y[5] = NAN;
    y[9] = INFINITY;   /* to the top edge, marked ^ */
    y[14] = -INFINITY; /* to the bottom edge, marked v */
    tw_chart_series s = points(ep, y, N, 1, TW_CHART_SOLID);
    check_golden("nonfinite", spec_of(60, 14), &s, 1);
}

static void
golden_constant(void **state)
{
    (void)state;
    double ep[10], y[10];
    for (int i = 0; i < 10; i++) {
        ep[i] = i;
        y[i] = 0.5;
    }
    tw_chart_series s = points(ep, y, 10, 1, TW_CHART_SOLID);
    check_golden("constant", spec_of(40, 10), &s, 1);
}

/* Per-step data: 120 buckets of 100 steps, noisy values falling, the band their min/max and the
 * line the TensorBoard-smoothed bucket means. */
static void
golden_envelope(void **state)
{
    (void)state;
    enum { NB = 120 };
    tw_chart_bucket b[NB];
    double mean[NB], sm[NB];
    uint64_t r = 0x243f6a8885a308d3ull;
    for (int i = 0; i < NB; i++) {
        double base = 2.0 * exp(-i / 30.0) + 0.3;
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        double noise = (double)(r >> 11) / 9007199254740992.0; /* [0, 1) */
        b[i].x_lo = i * 100;
        b[i].x_hi = i * 100 + 99;
        b[i].min = base * (0.75 - 0.1 * noise);
        b[i].max = base * (1.25 + 0.2 * noise);
        mean[i] = base * (0.95 + 0.1 * noise);
    }
    assert_int_equal(tw_chart_smooth(mean, sm, NB, 0.6), 0);
    for (int i = 0; i < NB; i++)
        b[i].mean = sm[i];
    tw_chart_series s;
    memset(&s, 0, sizeof s);
    s.buckets = b;
    s.n_buckets = NB;
    s.color = 2;
    tw_chart_spec sp = spec_of(60, 16);
    sp.xkind = TW_CHART_X_STEP;
    check_golden("envelope", sp, &s, 1);
}

/* The validation loss of train_val with +-SE bars (dim, under the dotted line), growing with
 * the epoch; NaN and 0 draw none. */
static void
golden_errbars(void **state)
{
    (void)state;
    double ep[20], tr[20], va[20], se[20];
    train_val(ep, tr, va, 20);
    for (int i = 0; i < 20; i++)
        se[i] = 0.01 * (i + 1);
    se[3] = NAN;
    se[4] = 0;
    tw_chart_series s[2] = {points(ep, tr, 20, 1, TW_CHART_SOLID),
                            points(ep, va, 20, 2, TW_CHART_DOTTED)};
    s[1].err = se;
    check_golden("errbars", spec_of(60, 16), s, 2);
    /* the bars are what differs from the same chart without them: dim cells of color 2 */
    tw_chart *with = tw_chart_new(), *without = tw_chart_new();
    tw_chart_spec sp = spec_of(60, 16);
    assert_int_equal(tw_chart_render(with, &sp, s, 2), 0);
    s[1].err = NULL;
    assert_int_equal(tw_chart_render(without, &sp, s, 2), 0);
    const tw_chart_cell *a = tw_chart_cells(with, NULL, NULL),
                        *b = tw_chart_cells(without, NULL, NULL);
    int bars = 0;
    for (int i = 0; i < 60 * 16; i++)
        if (a[i].glyph != b[i].glyph || a[i].flags != b[i].flags) {
            assert_int_equal(a[i].color, 2);
            assert_true(a[i].flags & TW_CHART_CELL_DIM);
            bars++;
        }
    assert_true(bars > 20);
    tw_chart_destroy(&with);
    tw_chart_destroy(&without);
}

static void
golden_markers(void **state)
{
    (void)state;
    double ep[20], tr[20], va[20];
    train_val(ep, tr, va, 20);
    /* The val curve is lowest at epoch 11 (best), an overfitting alert at 16, the run restarted
     * at epoch 8, and the live point of epoch 21 is running at 0.95. */
    tw_chart_marker mt[1] = {{21, 0.19, TW_CHART_MARK_LIVE}};
    tw_chart_marker mv[4] = {{8, NAN, TW_CHART_MARK_RESTART},
                             {11, NAN, TW_CHART_MARK_BEST},
                             {16, NAN, TW_CHART_MARK_ALERT},
                             {21, 0.95, TW_CHART_MARK_LIVE}};
    tw_chart_series s[2] = {points(ep, tr, 20, 1, TW_CHART_SOLID),
                            points(ep, va, 20, 1, TW_CHART_DOTTED)};
    s[0].markers = mt;
    s[0].n_markers = 1;
    s[1].markers = mv;
    s[1].n_markers = 4;
    tw_chart_spec sp = spec_of(60, 16);
    sp.x_max = 21;
    check_golden("markers", sp, s, 2);
}

/* Zoomed in on epochs 3.5..12 and y 0..1.2: the lines come in from the left edge, leave the
 * top and come back, clipped where they cross the plot's edges. */
static void
golden_zoom(void **state)
{
    (void)state;
    double ep[30], tr[30], va[30];
    train_val(ep, tr, va, 30);
    tw_chart_series s[2] = {points(ep, tr, 30, 1, TW_CHART_SOLID),
                            points(ep, va, 30, 2, TW_CHART_DOTTED)};
    tw_chart_spec sp = spec_of(60, 14);
    sp.x_min = 3.5;
    sp.x_max = 12;
    sp.y_min = 0;
    sp.y_max = 1.2;
    check_golden("zoom", sp, s, 2);
}

/* A wall-time axis (seconds) over two and a half hours: durations as ticks. */
static void
golden_walltime(void **state)
{
    (void)state;
    enum { N = 50 };
    double t[N], y[N];
    for (int i = 0; i < N; i++) {
        t[i] = i * 180.0;
        y[i] = 0.9 - 0.5 * exp(-i / 10.0);
    }
    tw_chart_series s = points(t, y, N, 3, TW_CHART_SOLID);
    tw_chart_spec sp = spec_of(60, 12);
    sp.xkind = TW_CHART_X_TIME;
    check_golden("walltime", sp, &s, 1);
}

/* One spike among small values: the robust range keeps the curve readable and lets the spike
 * leave the plot. */
static void
golden_robust(void **state)
{
    (void)state;
    enum { N = 40 };
    double ep[N], y[N];
    for (int i = 0; i < N; i++) {
        ep[i] = i;
        y[i] = 0.5 + 0.1 * sin(i / 4.0);
    }
    y[17] = 40;
    tw_chart_series s = points(ep, y, N, 1, TW_CHART_SOLID);
    tw_chart_spec sp = spec_of(60, 12);
    sp.y_robust = true;
    check_golden("robust", sp, &s, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Ticks and labels                                                                             */

static void
expect_ticks(int n, const double *got, int want_n, const double *want)
{
    assert_int_equal(n, want_n);
    for (int i = 0; i < n; i++)
        assert_true(fabs(got[i] - want[i]) <= 1e-12 * fmax(1, fabs(want[i])));
}

static void
test_nice_ticks(void **state)
{
    (void)state;
    double t[32], step;
    expect_ticks(tw_chart_ticks(0, 1, 6, false, t, 32, &step), t, 6,
                 (double[]){0, 0.2, 0.4, 0.6, 0.8, 1});
    assert_true(fabs(step - 0.2) < 1e-15);
    expect_ticks(tw_chart_ticks(0.13, 2.37, 6, false, t, 32, &step), t, 4,
                 (double[]){0.5, 1, 1.5, 2});
    expect_ticks(tw_chart_ticks(0, 100, 5, false, t, 32, &step), t, 3, (double[]){0, 50, 100});
    expect_ticks(tw_chart_ticks(-1, 1, 5, false, t, 32, &step), t, 5,
                 (double[]){-1, -0.5, 0, 0.5, 1});
    expect_ticks(tw_chart_ticks(0.001, 0.0052, 6, false, t, 32, &step), t, 5,
                 (double[]){0.001, 0.002, 0.003, 0.004, 0.005});
    expect_ticks(tw_chart_ticks(1234, 98765, 6, false, t, 32, &step), t, 4,
                 (double[]){20000, 40000, 60000, 80000});
    /* Integer axes never step below 1. */
    expect_ticks(tw_chart_ticks(0, 3, 10, true, t, 32, &step), t, 4, (double[]){0, 1, 2, 3});
    expect_ticks(tw_chart_ticks(1.2, 1.8, 6, true, t, 32, &step), t, 0, NULL);
    expect_ticks(tw_chart_ticks(0.5, 1.5, 6, true, t, 32, &step), t, 1, (double[]){1});
    /* Every count is within 1..max for many ranges. */
    for (int k = 0; k < 1000; k++) {
        double lo = (k % 37) * 0.37 - 5, hi = lo + pow(10, (k % 11) - 4) * (1 + k % 7);
        int n = tw_chart_ticks(lo, hi, 6, false, t, 32, &step);
        assert_true(n >= 2 && n <= 6);
        for (int i = 0; i < n; i++)
            assert_true(t[i] >= lo - 1e-9 * (hi - lo) && t[i] <= hi + 1e-9 * (hi - lo));
    }
    /* Bad input, and ranges too wide or too fine to count in. */
    assert_int_equal(tw_chart_ticks(-1e308, 1e308, 6, false, t, 32, &step), 0);
    assert_true(tw_chart_ticks(1e30, 1e30 * (1 + 1e-15), 6, false, t, 32, &step) <= 6);
    assert_true(tw_chart_ticks(0, 1e-320, 6, false, t, 32, &step) <= 6);
    assert_int_equal(tw_chart_ticks(1, 0, 6, false, t, 32, &step), 0);
    assert_int_equal(tw_chart_ticks(NAN, 1, 6, false, t, 32, &step), 0);
    assert_int_equal(tw_chart_ticks(0, INFINITY, 6, false, t, 32, &step), 0);
    assert_int_equal(tw_chart_ticks(0, 1, 0, false, t, 32, &step), 0);
    /* cap bounds the writes, the count is still returned. */
    assert_int_equal(tw_chart_ticks(0, 1, 6, false, t, 2, &step), 6);
}

static void
test_log_ticks(void **state)
{
    (void)state;
    double t[32], step;
    expect_ticks(tw_chart_log_ticks(1e-3, 10, 6, t, 32, &step), t, 5,
                 (double[]){1e-3, 1e-2, 0.1, 1, 10});
    assert_true(step == 0);
    /* 13 decades: every third. */
    expect_ticks(tw_chart_log_ticks(1e-8, 1e4, 6, t, 32, &step), t, 4,
                 (double[]){1e-6, 1e-3, 1, 1e3});
    /* Within one decade: linear nice ticks. */
    expect_ticks(tw_chart_log_ticks(2, 8, 6, t, 32, &step), t, 4, (double[]){2, 4, 6, 8});
    assert_true(step == 2);
    assert_int_equal(tw_chart_log_ticks(0, 10, 6, t, 32, &step), 0);
    assert_int_equal(tw_chart_log_ticks(-1, 10, 6, t, 32, &step), 0);
}

static void
test_time_ticks(void **state)
{
    (void)state;
    double t[32], step;
    expect_ticks(tw_chart_time_ticks(0, 7200, 5, t, 32, &step), t, 5,
                 (double[]){0, 1800, 3600, 5400, 7200});
    expect_ticks(tw_chart_time_ticks(0, 100, 5, t, 32, &step), t, 4, (double[]){0, 30, 60, 90});
    expect_ticks(tw_chart_time_ticks(0, 10 * 86400, 6, t, 32, &step), t, 6,
                 (double[]){0, 2 * 86400.0, 4 * 86400.0, 6 * 86400.0, 8 * 86400.0, 10 * 86400.0});
    expect_ticks(tw_chart_time_ticks(0, 2, 5, t, 32, &step), t, 5, (double[]){0, 0.5, 1, 1.5, 2});
}

static void
expect_tick_label(double v, double step, const char *want)
{
    char buf[TW_CHART_LABEL_MAX];
    int n = tw_chart_format_tick(buf, sizeof buf, v, step);
    if (strcmp(buf, want) != 0)
        fail_msg("format_tick(%.17g, %g) = \"%s\", want \"%s\"", v, step, buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void
test_format_tick(void **state)
{
    (void)state;
    expect_tick_label(0.25, 0.05, "0.25");
    expect_tick_label(0.3, 0.1, "0.3");
    expect_tick_label(0.1 + 0.2, 0.1, "0.3"); /* 0.30000000000000004 */
    expect_tick_label(1.5, 0.5, "1.5");
    expect_tick_label(2, 0.5, "2");
    expect_tick_label(0.0015, 0.0005, "1.5e-3");
    expect_tick_label(0.001, 0.0005, "1e-3");
    expect_tick_label(0.001, 0.001, "0.001");
    expect_tick_label(1e-4, 1e-4, "1e-4");
    expect_tick_label(12000, 2000, "12k");
    expect_tick_label(1500, 500, "1.5k");
    expect_tick_label(500, 500, "500");
    expect_tick_label(2.5e6, 5e5, "2.5M");
    expect_tick_label(1e6, 1e6, "1M");
    expect_tick_label(3e9, 1e9, "3G");
    expect_tick_label(1000.5, 0.5, "1000.5");
    expect_tick_label(-40, 20, "-40");
    expect_tick_label(-0.5, 0.25, "-0.5");
    expect_tick_label(0, 0.1, "0");
    expect_tick_label(-1e-17, 0.1, "0"); /* rounding noise next to zero */
    expect_tick_label(2e20, 1e20, "2e20");
    expect_tick_label(NAN, 1, "nan");
    expect_tick_label(INFINITY, 1, "inf");
    expect_tick_label(-INFINITY, 1, "-inf");
    /* Read-outs: about four significant digits. */
    expect_tick_label(0.5, 0, "0.5");
    expect_tick_label(0.123456, 0, "0.1235");
    expect_tick_label(12346, 0, "12.35k");
    expect_tick_label(0.00012346, 0, "1.235e-4");
    expect_tick_label(3, 0, "3");
    /* Subnormal values: 10^-314 underflows, the mantissa must not. */
    expect_tick_label(5e-315, 1e-315, "5e-315");
    expect_tick_label(5e-315, 0, "5e-315");
    char sub[TW_CHART_LABEL_MAX]; /* deeper, digits are lost, but it stays a number */
    tw_chart_format_tick(sub, sizeof sub, 1.5e-320, 5e-321);
    assert_non_null(strstr(sub, "e-320"));
    assert_null(strstr(sub, "inf"));
    /* Truncation is safe. */
    char small[4];
    assert_true(tw_chart_format_tick(small, sizeof small, 123456.789, 0.001) <= 3);
    assert_true(strlen(small) <= 3);
    assert_int_equal(tw_chart_format_tick(NULL, 4, 1, 1), -EINVAL);
    assert_int_equal(tw_chart_format_tick(small, 0, 1, 1), -EINVAL);
}

static void
expect_duration(double v, double step, const char *want)
{
    char buf[TW_CHART_LABEL_MAX];
    tw_chart_format_duration(buf, sizeof buf, v, step);
    if (strcmp(buf, want) != 0)
        fail_msg("format_duration(%g, %g) = \"%s\", want \"%s\"", v, step, buf, want);
}

static void
test_format_duration(void **state)
{
    (void)state;
    expect_duration(0, 60, "0");
    expect_duration(45, 15, "45s");
    expect_duration(90, 30, "1m30s");
    expect_duration(600, 300, "10m");
    expect_duration(5400, 1800, "1h30m");
    expect_duration(7200, 3600, "2h");
    expect_duration(90000, 3600, "1d1h");
    expect_duration(0.5, 0.5, "0.5s");
    expect_duration(-60, 30, "-1m");
}

static void
test_smooth(void **state)
{
    (void)state;
    double y[5] = {1, 2, NAN, 3, INFINITY}, out[5];
    assert_int_equal(tw_chart_smooth(y, out, 5, 0.6), 0);
    assert_true(fabs(out[0] - 1.0) < 1e-12);
    assert_true(fabs(out[1] - 1.04 / 0.64) < 1e-12);
    assert_true(isnan(out[2]));
    assert_true(fabs(out[3] - 1.824 / 0.784) < 1e-12);
    assert_true(isinf(out[4]));
    /* A constant series comes back unchanged, in place too. */
    double k[4] = {0.1, 0.1, 0.1, 0.1};
    assert_int_equal(tw_chart_smooth(k, k, 4, 0.9), 0);
    for (int i = 0; i < 4; i++)
        assert_true(k[i] == 0.1);
    /* w = 0: the series itself. */
    assert_int_equal(tw_chart_smooth(y, out, 2, 0), 0);
    assert_true(out[0] == 1 && out[1] == 2);
    assert_int_equal(tw_chart_smooth(NULL, out, 2, 0.5), -EINVAL);
    assert_int_equal(tw_chart_smooth(y, out, 2, NAN), -EINVAL);
}

/* ------------------------------------------------------------------------------------------ */
/* Decimation                                                                                   */

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
assert_same_cols(const tw_chart_column *a, const tw_chart_column *b, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        assert_int_equal(a[c].n, b[c].n);
        assert_int_equal(a[c].flags, b[c].flags);
        assert_memory_equal(&a[c].first, &b[c].first, sizeof(double));
        assert_memory_equal(&a[c].last, &b[c].last, sizeof(double));
        assert_memory_equal(&a[c].min, &b[c].min, sizeof(double));
        assert_memory_equal(&a[c].max, &b[c].max, sizeof(double));
    }
}

static void
test_decimate_extremes(void **state)
{
    (void)state;
    enum { N = 1000000, C = 400 };
    double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
    assert_non_null(x);
    assert_non_null(y);
    for (size_t i = 0; i < N; i++) {
        x[i] = (double)i;
        y[i] = sin((double)i / 5000.0);
    }
    y[123457] = 100; /* one spike ... */
    y[765433] = -50; /* ... and one dip among a million points */
    tw_chart_series s = points(x, y, N, 1, 0);
    tw_chart_column cols[C];
    assert_int_equal(tw_chart_decimate(&s, 0, N - 1, C, false, cols), 0);
    double mx = -INFINITY, mn = INFINITY;
    size_t total = 0;
    for (int c = 0; c < C; c++) {
        total += cols[c].n;
        mx = fmax(mx, cols[c].max);
        mn = fmin(mn, cols[c].min);
        assert_true(cols[c].n > 0);
        assert_int_equal(cols[c].flags, 0);
    }
    assert_int_equal(total, N);
    assert_true(mx == 100);
    assert_true(mn == -50);
    /* The spike is in the column whose centre is nearest to its x. */
    size_t cs = (size_t)lround(123457.0 / ((N - 1) / (double)(C - 1)));
    assert_true(cols[cs].max == 100);
    /* The first and last of each column are the points at its edges. */
    assert_true(cols[0].first == y[0]);
    assert_true(cols[C - 1].last == y[N - 1]);

    free(x);
    free(y);
}

/* NaN, infinities and y <= 0 with log-y: an array of {x, y} structs (stride) gives the same
 * columns as separate arrays, over the whole range and over a prefix of the points. */
static void
test_decimate_stride_nonfinite(void **state)
{
    (void)state;
    enum { N = 50000, C = 97 };
    struct xy {
        double x, y;
    } *p = malloc(N * sizeof *p);
    double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
    assert_non_null(p);
    uint64_t r = 12345;
    double xv = 0;
    for (size_t i = 0; i < N; i++) {
        xv += (double)(xorshift(&r) % 3); /* repeated x too */
        uint64_t k = xorshift(&r) % 1000;
        double v = (double)(xorshift(&r) % 10000) / 100.0 - 20.0;
        if (k == 0)
            v = NAN;
        else if (k == 1)
            v = INFINITY;
        else if (k == 2)
            v = -INFINITY;
        else if (i > 20000 && i < 30000)
            v = fabs(v) + 1; /* a stretch that is clean for log-y too */
        p[i].x = x[i] = xv;
        p[i].y = y[i] = v;
    }
    for (int log_y = 0; log_y < 2; log_y++) {
        tw_chart_column raw[C], aos[C];
        tw_chart_series s = points(x, y, N, 1, 0);
        assert_int_equal(tw_chart_decimate(&s, 10, xv - 10, C, log_y, raw), 0);
        tw_chart_series sa = points(&p[0].x, &p[0].y, N, 1, 0);
        sa.stride = sizeof p[0];
        assert_int_equal(tw_chart_decimate(&sa, 10, xv - 10, C, log_y, aos), 0);
        assert_same_cols(raw, aos, C);
        s.n = sa.n = N / 2;
        assert_int_equal(tw_chart_decimate(&s, 10, xv - 10, C, log_y, raw), 0);
        assert_int_equal(tw_chart_decimate(&sa, 10, xv - 10, C, log_y, aos), 0);
        assert_same_cols(raw, aos, C);
    }
    free(p);
    free(x);
    free(y);
}

static void
test_decimate_gaps(void **state)
{
    (void)state;
    double x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {1, NAN, 2, -1, INFINITY, 3};
    tw_chart_series s = points(x, y, 6, 1, 0);
    tw_chart_column c[6];
    assert_int_equal(tw_chart_decimate(&s, 0, 5, 6, false, c), 0);
    assert_int_equal(c[0].n, 1);
    assert_int_equal(c[0].flags, 0);
    assert_int_equal(c[1].n, 0);
    assert_int_equal(c[2].flags, TW_CHART_COL_BREAK); /* after the NaN */
    assert_int_equal(c[3].flags, 0);
    assert_int_equal(c[4].flags, TW_CHART_COL_PINF);
    assert_true(isnan(c[4].min) && c[4].first == INFINITY);
    /* Log-y: -1 is a gap too, and breaks the line before the infinity. */
    assert_int_equal(tw_chart_decimate(&s, 0, 5, 6, true, c), 0);
    assert_int_equal(c[3].n, 0);
    assert_int_equal(c[4].flags, TW_CHART_COL_PINF | TW_CHART_COL_BREAK);
    /* Bad input. */
    assert_int_equal(tw_chart_decimate(&s, 0, 5, 1, false, c), -EINVAL);
    assert_int_equal(tw_chart_decimate(&s, 5, 5, 6, false, c), -EINVAL);
    assert_int_equal(tw_chart_decimate(&s, 0, NAN, 6, false, c), -EINVAL);
    assert_int_equal(tw_chart_decimate(NULL, 0, 5, 6, false, c), -EINVAL);
}

/* ------------------------------------------------------------------------------------------ */
/* The render API                                                                               */

static void
test_render_api(void **state)
{
    (void)state;
    tw_chart *c = tw_chart_new();
    assert_non_null(c);
    assert_null(tw_chart_text(c, false));
    assert_null(tw_chart_cells(c, NULL, NULL));
    tw_chart_layout lay;
    assert_int_equal(tw_chart_get_layout(c, &lay), -EINVAL);
    tw_chart_spec sp = spec_of(40, 10);
    assert_int_equal(tw_chart_render(NULL, &sp, NULL, 0), -EINVAL);
    assert_int_equal(tw_chart_render(c, NULL, NULL, 0), -EINVAL);
    double y = 1;
    tw_chart_series bad = points(NULL, &y, 1, 1, 0);
    assert_int_equal(tw_chart_render(c, &sp, &bad, 1), -EINVAL);
    assert_int_equal(tw_chart_render(c, &sp, NULL, 1), -EINVAL);
    sp.width = TW_CHART_MAX_DIM + 1;
    assert_int_equal(tw_chart_render(c, &sp, NULL, 0), -EINVAL);
    /* Too small: -ERANGE and a blank grid of the size asked. */
    sp = spec_of(8, 3);
    assert_int_equal(tw_chart_render(c, &sp, NULL, 0), -ERANGE);
    int w, h;
    const tw_chart_cell *cells = tw_chart_cells(c, &w, &h);
    assert_non_null(cells);
    assert_int_equal(w, 8);
    assert_int_equal(h, 3);
    for (int i = 0; i < w * h; i++)
        assert_int_equal(cells[i].glyph, ' ');
    /* The layout of a real render. */
    double x[3] = {1, 2, 3}, v[3] = {0.5, 0.25, 0.125};
    tw_chart_series s = points(x, v, 3, 1, 0);
    sp = spec_of(50, 12);
    assert_int_equal(tw_chart_render(c, &sp, &s, 1), 0);
    assert_int_equal(tw_chart_get_layout(c, &lay), 0);
    assert_int_equal(lay.width, 50);
    assert_int_equal(lay.plot_height, 10);
    assert_int_equal(lay.plot_col + lay.plot_width, 50);
    assert_true(lay.x_lo == 1 && lay.x_hi == 3);
    assert_true(lay.y_lo <= 0.125 && lay.y_hi >= 0.5);
    /* Every glyph is a code point the grid may hold: ASCII, box drawing or braille, and
     * there are dots. */
    cells = tw_chart_cells(c, &w, &h);
    int dots = 0;
    for (int i = 0; i < w * h; i++) {
        uint32_t g = cells[i].glyph;
        assert_true((g >= 0x20 && g < 0x7f) || (g >= 0x2500 && g <= 0x257f) ||
                    (g >= 0x2800 && g <= 0x28ff));
        dots += g > 0x2800 && g <= 0x28ff;
    }
    assert_true(dots > 0);
    /* A chart reused after a render with other label widths draws what a new one draws. */
    double ep[20], tr[20], va[20];
    train_val(ep, tr, va, 20);
    tw_chart_series tv[2] = {points(ep, tr, 20, 1, TW_CHART_SOLID),
                             points(ep, va, 20, 1, TW_CHART_DOTTED)};
    double big[3] = {1e-7, 123456.0, 5e-5};
    tw_chart_series other = points(x, big, 3, 1, 0);
    sp = spec_of(60, 16);
    tw_chart *fresh = tw_chart_new();
    assert_int_equal(tw_chart_render(fresh, &sp, tv, 2), 0);
    assert_int_equal(tw_chart_render(c, &sp, &other, 1), 0);
    assert_int_equal(tw_chart_render(c, &sp, tv, 2), 0);
    char *t1 = tw_chart_text(fresh, true), *t2 = tw_chart_text(c, true);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    tw_chart_destroy(&fresh);

    tw_chart_destroy(&c);
    assert_null(c);
    tw_chart_destroy(&c);
    tw_chart_destroy(NULL);
}

/* Random series, ranges and sizes with NaN, infinities, huge and tiny values: no crash, and
 * the grid is always the size asked (run under ASan/UBSan). */
static void
test_render_hostile(void **state)
{
    (void)state;
    static const double specials[] = {NAN,    INFINITY, -INFINITY, 0,       -0.0, 1e308,
                                      -1e308, 1e-308,   5e-324,    -1e-300, 1,    -1};
    tw_chart *c = tw_chart_new();
    uint64_t r = 777;
    enum { N = 300 };
    double x[N], y[N];
    tw_chart_bucket b[N];
    for (int iter = 0; iter < 400; iter++) {
        int n = (int)(xorshift(&r) % N);
        double xv = (double)(xorshift(&r) % 100) - 50;
        for (int i = 0; i < n; i++) {
            xv += (double)(xorshift(&r) % 4) * (iter % 5 == 0 ? 1e300 : 1.0);
            x[i] = xv;
            if (iter % 11 == 0 && xorshift(&r) % 8 == 0)
                x[i] = xorshift(&r) % 2 ? NAN : -xv; /* out of order, or not a number */
            y[i] = xorshift(&r) % 4 == 0 ? specials[xorshift(&r) % 12]
                                         : (double)(xorshift(&r) % 2000) - 1000;
            b[i].x_lo = xv;
            b[i].x_hi = xv + 0.5;
            b[i].min = y[i] - 3;
            b[i].max = xorshift(&r) % 7 == 0 ? specials[xorshift(&r) % 12] : y[i] + 3;
            b[i].mean = y[i];
        }
        tw_chart_marker m[3] = {{x[n > 0 ? n / 2 : 0], NAN, TW_CHART_MARK_BEST},
                                {specials[iter % 12], NAN, TW_CHART_MARK_ALERT},
                                {xv, specials[(iter + 3) % 12], TW_CHART_MARK_RESTART}};
        tw_chart_series s[2] = {points(x, y, (size_t)n, 1, (unsigned)iter & 3u),
                                points(x, y, (size_t)n, 2, 0)};
        s[0].markers = m;
        s[0].n_markers = n > 0 ? 3 : 0;
        if (iter % 3 == 0) {
            s[1].buckets = b;
            s[1].n_buckets = (size_t)n;
        }
        tw_chart_spec sp = spec_of(12 + (int)(xorshift(&r) % 120), 5 + (int)(xorshift(&r) % 40));
        sp.utf8 = iter & 1;
        sp.log_y = (iter & 2) != 0;
        sp.y_robust = (iter & 4) != 0;
        sp.xkind = (tw_chart_xkind)(iter % 3);
        if (iter % 7 == 0) {
            sp.x_min = specials[xorshift(&r) % 12];
            sp.x_max = specials[xorshift(&r) % 12];
            sp.y_min = specials[xorshift(&r) % 12];
            sp.y_max = specials[xorshift(&r) % 12];
        }
        assert_int_equal(tw_chart_render(c, &sp, s, 2), 0);
        int w, h;
        assert_non_null(tw_chart_cells(c, &w, &h));
        assert_int_equal(w, sp.width);
        assert_int_equal(h, sp.height);
        char *t = tw_chart_text(c, true);
        assert_non_null(t);
        free(t);
    }
    tw_chart_destroy(&c);
}

/* tw_reserve (reserve.h, the scratch arrays of the chart, the chart frame and the alerts):
 * grows by doubling from 64, keeps the array when it is big enough, and refuses a size whose
 * bytes would wrap, leaving the array and its capacity as they were. */
static void
test_reserve(void **state)
{
    (void)state;
    double *p = NULL;
    size_t cap = 0;
    assert_true(tw_reserve((void **)&p, &cap, 0, sizeof *p));
    assert_null(p);
    assert_true(tw_reserve((void **)&p, &cap, 1, sizeof *p));
    assert_non_null(p);
    assert_int_equal(cap, 64);
    p[0] = 1.5;
    double *q = p;
    assert_true(tw_reserve((void **)&p, &cap, 64, sizeof *p));
    assert_ptr_equal(p, q);
    assert_true(tw_reserve((void **)&p, &cap, 200, sizeof *p));
    assert_int_equal(cap, 256);
    assert_true(p[0] == 1.5);
    q = p;
    assert_false(tw_reserve((void **)&p, &cap, SIZE_MAX / sizeof *p + 1, sizeof *p));
    assert_false(tw_reserve((void **)&p, &cap, SIZE_MAX, sizeof *p));
    assert_ptr_equal(p, q);
    assert_int_equal(cap, 256);
    free(p);
}

int
main(int argc, char **argv)
{
    if (argc > 1)
        golden_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_train_val),
        cmocka_unit_test(golden_log_y),
        cmocka_unit_test(golden_several),
        cmocka_unit_test(golden_empty),
        cmocka_unit_test(golden_one_point),
        cmocka_unit_test(golden_nonfinite),
        cmocka_unit_test(golden_constant),
        cmocka_unit_test(golden_envelope),
        cmocka_unit_test(golden_errbars),
        cmocka_unit_test(golden_markers),
        cmocka_unit_test(golden_zoom),
        cmocka_unit_test(golden_walltime),
        cmocka_unit_test(golden_robust),
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_log_ticks),
        cmocka_unit_test(test_time_ticks),
        cmocka_unit_test(test_format_tick),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_smooth),
        cmocka_unit_test(test_decimate_extremes),
        cmocka_unit_test(test_decimate_stride_nonfinite),
        cmocka_unit_test(test_decimate_gaps),
        cmocka_unit_test(test_render_api),
        cmocka_unit_test(test_render_hostile),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
