/* delay.h - the delivery delay of live updates: how long records took from the publisher's
 * update_* call to the monitor, as a fixed histogram of log-scale buckets.
 *
 * Design note. A transport statistic, not a fact about the runs: the program owns one and
 * counts into it what it knows to be live (not run-log frames, not replays); the --once
 * summary and the help screen show its quantiles. TW_DELAY_BUCKETS buckets, 16 per doubling:
 * bucket 0 holds delays below 1 us (and negative ones, from clocks apart across hosts),
 * bucket i >= 1 holds [2^((i-1)/16), 2^(i/16)) us, the last one everything from about an
 * hour; so a quantile is exact to within 2.2 % (4 KB; with 4 per doubling it was 9 %, too
 * coarse to tell 46 ms from 55 against a 50 ms target). Counting never allocates. Not
 * thread-safe. */
#ifndef TW_DELAY_H
#define TW_DELAY_H

#include <stdint.h>

#define TW_DELAY_BUCKETS 512

typedef struct tw_delay tw_delay;

/* A new, empty histogram. NULL with errno ENOMEM. Free with tw_delay_destroy(). */
tw_delay *tw_delay_new(void);

/* Frees the histogram; NULL-safe, sets *d to NULL. */
void tw_delay_destroy(tw_delay **d);

/* Counts the delay of one record: from `record_time` (the record's time, publisher wall
 * clock, seconds) to `now` (monitor wall clock). Not counted when either is not finite, or
 * d is NULL. */
void tw_delay_add(tw_delay *d, double now, double record_time);

/* The q-quantile (0 <= q <= 1) of the delays counted, in seconds: the geometric middle of the
 * bucket it falls in (0 for bucket 0); NaN when none was counted, q is out of range or d is
 * NULL. */
double tw_delay_quantile(const tw_delay *d, double q);

/* How many delays were counted; 0 for NULL. */
uint64_t tw_delay_count(const tw_delay *d);

#endif
