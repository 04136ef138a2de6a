/* store_delay.c - the delivery delay histogram: how long live UPDATE records took from the
 * publisher to the store, in fixed log-scale buckets. */
#include "store_impl.h"

#include <math.h>

#define DELAY_PER_DOUBLING 4.0
#define DELAY_UNIT         1e-6 /* seconds: the top of bucket 0 */

void
tw_store_count_delay(tw_store *s, double now, double record_time)
{
    if (!s || !isfinite(now) || !isfinite(record_time))
        return;
    double d = (now - record_time) / DELAY_UNIT;
    size_t i = 0;
    if (d >= 1.0) {
        double b = 1.0 + floor(DELAY_PER_DOUBLING * log2(d));
        i = b >= TW_STORE_DELAY_BUCKETS - 1 ? TW_STORE_DELAY_BUCKETS - 1 : (size_t)b;
    }
    s->delay[i]++;
    s->delay_n++;
}

double
tw_store_delay_quantile(const tw_store *s, double q)
{
    if (!s || s->delay_n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    /* the rank of the quantile, 1-based: the first bucket whose running count reaches it */
    uint64_t want = (uint64_t)ceil(q * (double)s->delay_n);
    uint64_t seen = 0;
    size_t i = 0;
    if (want == 0)
        want = 1;
    for (; i < TW_STORE_DELAY_BUCKETS - 1; i++) {
        seen += s->delay[i];
        if (seen >= want)
            break;
    }
    return i == 0 ? 0.0 : DELAY_UNIT * exp2(((double)i - 0.5) / DELAY_PER_DOUBLING);
}

uint64_t
tw_store_delay_count(const tw_store *s)
{
    return s ? s->delay_n : 0;
}
