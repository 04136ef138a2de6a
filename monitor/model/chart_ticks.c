/* chart_ticks.c - tick values and labels: nice linear, log and time ticks, compact tick
 * numbers (12k, 1.5e-3) and durations (1m30s); pure functions of their arguments. */
#include "chart_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Constant tables. */
static const double nice_mantissas[3] = {1, 2, 5};
static const double time_steps[] = {1,   2,   5,    10,   15,   30,    60,    120,  300,
                                    600, 900, 1800, 3600, 7200, 10800, 21600, 43200};
static const double unit_values[] = {1e12, 1e9, 1e6, 1e3};
static const char *const unit_names[] = {"T", "G", "M", "k"};

/* 10^e, exact for the integers where that is possible (better than pow for negative e). */
static double
pow10i(int e)
{
    return e >= 0 ? pow(10.0, e) : e >= -300 ? 1.0 / pow(10.0, -e) : pow(10.0, e);
}

/* a / 10^ex, also where 10^ex underflows (a subnormal a: ex down to -324). */
static double
mantissa(double a, int ex)
{
    return ex < -290 ? a * 1e300 / pow10i(ex + 300) : a / pow10i(ex);
}

/* Writes the multiples of step = m / 10^-e (m * 10^e) in [lo, hi] to ticks; returns their
 * number, or max + 1 when there would be more than max. */
static int
multiples(double lo, double hi, double m, int e, int max, double *ticks, int cap)
{
    double step = m * pow10i(e);
    double a = ceil(lo / step - 1e-9), b = floor(hi / step + 1e-9);
    if (!(b - a + 1 <= (double)max) || fabs(a) > 0x1p52 || fabs(b) > 0x1p52)
        return max + 1; /* too many, or beyond where i++ counts */
    int n = 0;
    for (double i = a; i <= b; i++) {
        if (n < cap)
            ticks[n] = e >= 0 ? i * m * pow10i(e) : i * m / pow10i(-e);
        n++;
    }
    return n;
}

/* Nice linear ticks. */
int
tw_chart_ticks(double lo, double hi, int max_ticks, bool integer, double *ticks, int cap,
               double *step)
{
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo) || lo > hi || max_ticks < 1 ||
        (cap > 0 && !ticks))
        return 0;
    if (!((hi - lo) / max_ticks > 1e-300)) { /* a single value, or too fine to step through */
        if (integer && lo != floor(lo))
            return 0;
        if (cap > 0)
            ticks[0] = lo;
        return 1;
    }
    int e = (int)floor(log10((hi - lo) / max_ticks)) - 1;
    for (int k = 0; k < 60; k++) {
        double m = nice_mantissas[k % 3];
        int ee = e + k / 3;
        if (integer && ee < 0)
            continue;
        int n = multiples(lo, hi, m, ee, max_ticks, ticks, cap);
        if (n <= max_ticks) {
            if (step)
                *step = m * pow10i(ee);
            return n;
        }
    }
    return 0;
}

/* Powers of ten in [lo, hi], or nice linear ticks when fewer than two fit. */
int
tw_chart_log_ticks(double lo, double hi, int max_ticks, double *ticks, int cap, double *step)
{
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || !(lo > 0) || lo > hi || max_ticks < 1 ||
        (cap > 0 && !ticks))
        return 0;
    int dlo = (int)ceil(log10(lo) - 1e-9), dhi = (int)floor(log10(hi) + 1e-9);
    if (dhi - dlo + 1 < 2 || max_ticks < 2)
        return tw_chart_ticks(lo, hi, max_ticks, false, ticks, cap, step);
    for (int k = 1;; k++) {
        /* Decades that are multiples of k. */
        int a = (int)ceil((double)dlo / k), b = (int)floor((double)dhi / k);
        if (b - a + 1 > max_ticks)
            continue;
        int n = 0;
        for (int d = a; d <= b; d++) {
            if (n < cap)
                ticks[n] = pow10i(d * k);
            n++;
        }
        return n;
    }
}

/* Time ticks: steps that read as whole seconds, minutes, hours or days. */
int
tw_chart_time_ticks(double lo, double hi, int max_ticks, double *ticks, int cap, double *step)
{
    if (step)
        *step = 0;
    if (!isfinite(lo) || !isfinite(hi) || lo > hi || max_ticks < 1 || (cap > 0 && !ticks))
        return 0;
    if (lo == hi || (hi - lo) / max_ticks < 1)
        return tw_chart_ticks(lo, hi, max_ticks, false, ticks, cap, step);
    for (size_t k = 0; k < sizeof time_steps / sizeof time_steps[0]; k++) {
        int n = multiples(lo, hi, time_steps[k], 0, max_ticks, ticks, cap);
        if (n <= max_ticks) {
            if (step)
                *step = time_steps[k];
            return n;
        }
    }
    /* Whole days: nice numbers of days. */
    int n = tw_chart_ticks(lo / 86400, hi / 86400, max_ticks, true, ticks, cap, step);
    for (int i = 0; i < n && i < cap; i++)
        ticks[i] *= 86400;
    if (step)
        *step *= 86400;
    return n;
}

/* Decimal places that show step exactly (at most 12). */
static int
decimals_of(double step)
{
    step = fabs(step);
    if (!(step > 0) || !isfinite(step))
        return 0;
    for (int d = 0; d < 12; d++) {
        double s = step * pow10i(d);
        if (fabs(s - round(s)) <= 1e-6 * s)
            return d;
    }
    return 12;
}

/* "%.*f" of a >= 0, trailing zeros (and a trailing point) removed, then suffix. Returns the
 * length, or -1 when it did not fit. */
static int
put_fixed(char *buf, size_t size, bool neg, double a, int dec, const char *suffix)
{
    char tmp[64];
    int len = snprintf(tmp, sizeof tmp, "%.*f", dec, a);
    if (len < 0 || (size_t)len >= sizeof tmp)
        return -1;
    if (strchr(tmp, '.')) {
        while (len > 0 && tmp[len - 1] == '0')
            tmp[--len] = '\0';
        if (len > 0 && tmp[len - 1] == '.')
            tmp[--len] = '\0';
    }
    if (strcmp(tmp, "0") == 0)
        neg = false;
    int n = snprintf(buf, size, "%s%s%s", neg ? "-" : "", tmp, suffix);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* m e exp with `dec` mantissa decimals at most, zeros removed: 1.5e-3. */
static int
put_exp(char *buf, size_t size, bool neg, double a, int dec)
{
    int ex = (int)floor(log10(a));
    double m = mantissa(a, ex);
    if (dec > 6)
        dec = 6;
    if (dec < 0)
        dec = 0;
    /* Rounding may carry the mantissa to 10. */
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.*f", dec, m);
    if (atof(tmp) >= 10) {
        ex++;
        m /= 10;
    } else if (atof(tmp) < 1 && m > 0) {
        ex--;
        m *= 10;
    }
    char suffix[16];
    snprintf(suffix, sizeof suffix, "e%d", ex);
    return put_fixed(buf, size, neg, m, dec, suffix);
}

/* Formats a tick value compactly. */
int
tw_chart_format_tick(char *buf, size_t size, double v, double step)
{
    if (!buf || size == 0)
        return -EINVAL;
    buf[0] = '\0';
    int n;
    if (isnan(v))
        n = snprintf(buf, size, "nan");
    else if (isinf(v))
        n = snprintf(buf, size, v > 0 ? "inf" : "-inf");
    else
        n = -2;
    if (n != -2)
        return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
    bool readout = !(step > 0) || !isfinite(step);
    bool neg = v < 0;
    double a = fabs(v);
    if (a == 0 || (!readout && a < step * 1e-6))
        return put_fixed(buf, size, false, 0, 0, "") < 0 ? 0 : 1;
    if (readout) {
        int ex = (int)floor(log10(a));
        if (a >= 1e-3 && a < 1e3) {
            n = put_fixed(buf, size, neg, a, ex < 3 ? 3 - ex : 0, "");
            if (n >= 0)
                return n;
        }
        step = pow10i(ex - 3); /* four significant digits */
    }
    if (a < 1e15) {
        for (size_t k = 0; k < sizeof unit_values / sizeof unit_values[0]; k++) {
            if (a < unit_values[k])
                continue;
            int d = decimals_of(step / unit_values[k]);
            if (d <= 2) {
                n = put_fixed(buf, size, neg, a / unit_values[k], d, unit_names[k]);
                if (n >= 0)
                    return n;
            }
            break;
        }
        int d = decimals_of(step);
        if (d <= 3 && a >= 1e-3) {
            n = put_fixed(buf, size, neg, a, d, "");
            if (n >= 0)
                return n;
        }
    }
    int ex = (int)floor(log10(a));
    n = put_exp(buf, size, neg, a, decimals_of(mantissa(step, ex)));
    if (n < 0) {
        n = snprintf(buf, size, "%.0e", v);
        n = n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
    }
    return n;
}

/* Formats a duration: 45s, 1m30s, 2h, 1d6h, 0.5s. */
int
tw_chart_format_duration(char *buf, size_t size, double seconds, double step)
{
    if (!buf || size == 0)
        return -EINVAL;
    if (!isfinite(seconds))
        return tw_chart_format_tick(buf, size, seconds, step);
    bool neg = seconds < 0;
    double a = fabs(seconds);
    if (step > 0 && step < 1) {
        int n = put_fixed(buf, size, neg, a, decimals_of(step), "s");
        return n < 0 ? 0 : n;
    }
    if (a > 1e15)
        return tw_chart_format_tick(buf, size, seconds, step);
    long long s = llround(a);
    if (s == 0)
        return snprintf(buf, size, "0") < 0 ? 0 : 1;
    long long part[4] = {s / 86400, s / 3600 % 24, s / 60 % 60, s % 60};
    const char unit[4] = {'d', 'h', 'm', 's'};
    char tmp[64];
    size_t len = 0;
    if (neg)
        tmp[len++] = '-';
    for (int k = 0; k < 4; k++) {
        if (part[k] == 0)
            continue;
        int w = snprintf(tmp + len, sizeof tmp - len, "%lld%c", part[k], unit[k]);
        if (w < 0 || (size_t)w >= sizeof tmp - len)
            break;
        len += (size_t)w;
    }
    tmp[len] = '\0';
    int n = snprintf(buf, size, "%s", tmp);
    return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
}
