/* delay.c - the delivery delay histogram of live updates, in fixed log-scale buckets
 * (delay.h). */
#include "delay.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define DELAY_PER_DOUBLING 16.0
#define DELAY_UNIT         1e-6 /* seconds: the top of bucket 0 */

struct tw_delay {
    uint64_t bucket[TW_DELAY_BUCKETS];
    uint64_t n;
};

tw_delay *
tw_delay_new(void)
{
    tw_delay *d = calloc(1, sizeof(*d));
    if (!d)
        errno = ENOMEM;
    return d;
}

void
tw_delay_destroy(tw_delay **d)
{
    if (!d || !*d)
        return;
    free(*d);
    *d = NULL;
}

void
tw_delay_add(tw_delay *d, double now, double record_time)
{
    if (!d || !isfinite(now) || !isfinite(record_time))
        return;
    double x = (now - record_time) / DELAY_UNIT;
    size_t i = 0;
    if (x >= 1.0) {
        double b = 1.0 + floor(DELAY_PER_DOUBLING * log2(x));
        i = b >= TW_DELAY_BUCKETS - 1 ? TW_DELAY_BUCKETS - 1 : (size_t)b;
    }
    d->bucket[i]++;
    d->n++;
}

double
tw_delay_quantile(const tw_delay *d, double q)
{
    if (!d || d->n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    /* the rank of the quantile, 1-based: the first bucket whose running count reaches it */
    uint64_t want = (uint64_t)ceil(q * (double)d->n);
    uint64_t seen = 0;
    size_t i = 0;
    if (want == 0)
        want = 1;
    for (; i < TW_DELAY_BUCKETS - 1; i++) {
        seen += d->bucket[i];
        if (seen >= want)
            break;
    }
    return i == 0 ? 0.0 : DELAY_UNIT * exp2(((double)i - 0.5) / DELAY_PER_DOUBLING);
}

uint64_t
tw_delay_count(const tw_delay *d)
{
    return d ? d->n : 0;
}
