/* bench_summary.h - the one machine-readable line each benchmark figure ends in.
 *
 * Besides its detail, every bench prints one line per headline figure:
 *
 *   SUMMARY <TAB> name <TAB> figure <TAB> unit <TAB> target <TAB> ratio <TAB> status <TAB> spread
 *
 * ratio is oriented so that > 1 is better (figure / target for "at least" targets, target /
 * figure for "at most" ones), or "-" when there is no target or the target is 0; status is
 * met, missed or info (no target: a reference figure). spread is "min..max" of the repeated
 * runs the median figure comes from, or "-". `./dev bench` collects these lines from every
 * bench into one table. */
#ifndef TW_BENCH_SUMMARY_H
#define TW_BENCH_SUMMARY_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* The ways a figure can be judged against its target. */
typedef enum bench_goal {
    BENCH_INFO,     /* no target */
    BENCH_AT_LEAST, /* figure >= target */
    BENCH_AT_MOST,  /* figure <= target */
} bench_goal;

/* Orders two doubles (for qsort). */
static inline int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts n repeated measurements ascending, for their median, quantiles and spread. */
static inline void
bench_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
}

/* Formats a figure with about 4 significant digits and no exponent for ordinary magnitudes. */
static inline void
bench_fmt(char *out, size_t size, double v)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(out, size, "-");
    else if (a == 0 || (a >= 1e-3 && a < 1e15))
        snprintf(out, size, a >= 1000 || a == 0 ? "%.0f" : "%.4g", v);
    else
        snprintf(out, size, "%.3g", v);
}

/* Prints the SUMMARY line of one figure. target_text is what the table shows as the target
 * (e.g. "<= 1 us"); target is its value in the figure's unit (ignored for BENCH_INFO). lo and
 * hi are the spread of the repeated runs (NAN: none). */
static inline void
bench_summary(const char *name, double figure, const char *unit, bench_goal goal, double target,
              const char *target_text, double lo, double hi)
{
    char fig[32], ratio[32] = "-", spread[72] = "-", a[32], b[32];
    const char *status = "info";
    bench_fmt(fig, sizeof fig, figure);
    if (goal != BENCH_INFO) {
        bool met = goal == BENCH_AT_LEAST ? figure >= target : figure <= target;
        status = met ? "met" : "missed";
        double r = NAN;
        if (goal == BENCH_AT_LEAST && target > 0)
            r = figure / target;
        else if (goal == BENCH_AT_MOST && figure > 0 && target > 0)
            r = target / figure;
        if (!isnan(r))
            snprintf(ratio, sizeof ratio, "%.2f", r);
    }
    if (!isnan(lo) && !isnan(hi)) {
        bench_fmt(a, sizeof a, lo);
        bench_fmt(b, sizeof b, hi);
        snprintf(spread, sizeof spread, "%s..%s", a, b);
    }
    printf("SUMMARY\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, fig, unit,
           goal == BENCH_INFO ? "-" : target_text, ratio, status, spread);
    fflush(stdout);
}

#endif
