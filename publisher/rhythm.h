/* rhythm.h - the rhythm of a training loop's records, seen by the publisher's thread.
 *
 * A training loop pushes its updates in bursts, one a step: fifty metrics every 0.1 s, or a
 * few every 5 s. The records carry the time they were pushed, so the thread can tell when the
 * last burst began (its first record pushed TW_RHYTHM_MIN_MS or more after the record before
 * it) and the gap from the burst before (the rhythm, when within TW_RHYTHM_MIN_MS ..
 * TW_RHYTHM_MAX_MS). publisher_thread.c uses it twice:
 * - a burst of a rhythm of TW_RHYTHM_FLUSH_MS or slower goes out once the ring is drained
 *   (nothing more is due before the next step), without waiting out a batch window;
 * - a rhythm slower than TW_LOOK_IDLE_AFTER_MS (steps that take seconds) is looked at when
 *   its next burst is due (tw_rhythm_look), instead of every TW_LOOK_IDLE_MS: such a step
 *   reaches the thread within milliseconds, at a few wake-ups a step.
 * Faster rhythms keep the thread's usual looks at the ring: at 256 ranks stepping together
 * (bench_scale), looks at the burst's time, every rank's at once, made the delay's p99 worse
 * (120 ms against 36-43 ms; doc/performance.md).
 * Pure: times are given, never read; one thread. */
#ifndef TW_RHYTHM_H
#define TW_RHYTHM_H

#include <stdbool.h>
#include <stdint.h>

/* The thread's looks at the ring: at most this delay is added to a record's way out in a
 * steady stream, and after an idle second, the longer one; a slow rhythm's first look comes
 * TW_LOOK_EARLY_MS before its burst is due. */
#define TW_LOOK_MIN_MS        5
#define TW_LOOK_BUSY_MS       20
#define TW_LOOK_IDLE_MS       250
#define TW_LOOK_IDLE_AFTER_MS 1000
#define TW_LOOK_EARLY_MS      1

#define TW_RHYTHM_MIN_MS   10    /* a gap shorter than this is within a burst: no rhythm */
#define TW_RHYTHM_MAX_MS   60000 /* a gap longer than a minute is no rhythm either */
#define TW_RHYTHM_FLUSH_MS 40    /* bursts this far apart or more go out when drained */

typedef struct tw_rhythm {
    double burst;  /* monotonic ms: when the last burst's first record was pushed; 0: none */
    double period; /* ms from the burst before to it; 0: no rhythm */
    double last;   /* monotonic ms: when the last record seen was pushed; 0: none */
} tw_rhythm;

/* Notes the records a pass found: the push times (wall seconds) of its first and last,
 * seen at monotonic ms `now` when the wall clock read `wall`. A push time is taken at most
 * TW_RHYTHM_MAX_MS back (a time the caller gave, or a clock that jumped, makes no rhythm),
 * and never after now. */
void tw_rhythm_note(tw_rhythm *r, int64_t now, double wall, double first, double last);

/* When the next burst is due (monotonic ms), or 0 without a rhythm. */
int64_t tw_rhythm_next(const tw_rhythm *r);

/* Whether, at `now`, the records found since the last burst began are that burst of a rhythm
 * of TW_RHYTHM_FLUSH_MS or slower (so nothing more is due before the next burst). */
bool tw_rhythm_in_slow_burst(const tw_rhythm *r, int64_t now);

/* When the thread looks at its ring next (monotonic ms), the ring empty at `now` and its last
 * records found at `last_record`: *poll_ms after now (TW_LOOK_MIN_MS at first; the caller sets
 * it so when it finds records), which doubles to TW_LOOK_BUSY_MS, or to TW_LOOK_IDLE_MS once
 * nothing came for TW_LOOK_IDLE_AFTER_MS (and no burst was due in that time); but a rhythm
 * slower than TW_LOOK_IDLE_AFTER_MS is looked at TW_LOOK_EARLY_MS before its next burst, and
 * then 1, 2, 4 ... ms apart. */
int64_t tw_rhythm_look(const tw_rhythm *r, int64_t now, int64_t last_record, int *poll_ms);

#endif
