/* rhythm.h - the rhythm of a training loop's records, seen by the publisher's thread.
 *
 * A training loop pushes its updates in bursts, one a step: fifty metrics every 0.1 s, or a
 * few every 5 s. The records carry the time they were pushed, so the thread can tell when the
 * last burst began (its first record pushed TW_RHYTHM_MIN_MS or more after the record before
 * it) and the gap from the burst before (the rhythm, when within TW_RHYTHM_MIN_MS ..
 * TW_RHYTHM_MAX_MS). publisher_thread.c uses it twice:
 * - a burst of a rhythm of TW_RHYTHM_FLUSH_MS or slower goes out once the ring is drained and
 *   the burst has settled (nothing more is due before the next step), without waiting out a
 *   batch window;
 * - a rhythm slower than TW_LOOK_IDLE_AFTER_MS (steps that take seconds) is looked at when
 *   its next burst is due (tw_rhythm_look): such a step reaches the thread within
 *   milliseconds of its push instead of up to TW_LOOK_IDLE_MS later.
 * - a rhythm of TW_RHYTHM_FLUSH_MS .. TW_LOOK_IDLE_AFTER_MS of one burst a loop's step
 *   (tw_publisher_step) is not looked at between bursts: the thread, its ring empty, asks the
 *   training thread to ring it at its next step (one write, by the first step after the ask,
 *   never for a push) and sleeps until then, with a backstop (tw_rhythm_step_backstop). At 256
 *   ranks of 10 steps a second that is 11 wakes a second instead of 61, and a third less CPU.
 *   Records that come without a step (found by the backstop), spread over TW_RHYTHM_MIN_MS
 *   (pushed after a step: they waited for the next one) or well before the step that rang
 *   pause it for TW_RHYTHM_RING_PAUSE bursts: the usual looks find them. A ring that finds
 *   nothing (the step came before its records) makes the thread look instead of asking again.
 * Other rhythms keep the thread's usual looks at the ring: at 256 ranks stepping together
 * (bench_scale), looks at the burst's time, every rank's at once, made the delay's p99 worse
 * (120 ms against 36-43 ms; doc/performance.md).
 * Pure: times are given, never read; one thread. */
#ifndef TW_RHYTHM_H
#define TW_RHYTHM_H

#include <stdbool.h>
#include <stdint.h>

/* The thread's looks at the ring: at most this delay is added to a record's way out in a
 * steady stream, and after an idle second, the longer one; a slow rhythm's first look comes
 * TW_LOOK_EARLY_MS before its burst is due, once the ring has been quiet TW_LOOK_QUIET_MS. */
#define TW_LOOK_MIN_MS        5
#define TW_LOOK_BUSY_MS       20
#define TW_LOOK_IDLE_MS       250
#define TW_LOOK_IDLE_AFTER_MS 1000
#define TW_LOOK_EARLY_MS      1
#define TW_LOOK_QUIET_MS      60

#define TW_RHYTHM_MIN_MS     10    /* a gap shorter than this is within a burst: no rhythm */
#define TW_RHYTHM_MAX_MS     60000 /* a gap longer than a minute is no rhythm either */
#define TW_RHYTHM_FLUSH_MS   40    /* bursts this far apart or more go out when drained */
#define TW_RHYTHM_SETTLE_MS  1     /* ... once their last record is this old */
#define TW_RHYTHM_RING_PAUSE 8     /* bursts without the step's ring after one that missed it */

typedef struct tw_rhythm {
    bool seen;     /* a record was seen: burst and last are set */
    double burst;  /* monotonic ms: when the last burst's first record was pushed */
    double period; /* ms from the burst before to it; 0: no rhythm */
    double last;   /* monotonic ms: when the last record seen was pushed */
    uint64_t step; /* the loop's step count at the last burst noted by tw_rhythm_note_step */
    bool stepped;  /* it had moved by one since the burst before: a burst a step */
    int paused;    /* bursts left before the step may ring again */
} tw_rhythm;

/* Notes the records a pass found: the push times (wall seconds) of its first and last,
 * seen at monotonic ms `now` when the wall clock read `wall`. A push time is taken at most
 * TW_RHYTHM_MAX_MS back and never after now (a wall clock that jumped makes no rhythm for a
 * burst or two). Returns whether they began a new burst. */
bool tw_rhythm_note(tw_rhythm *r, int64_t now, double wall, double first, double last);

/* Notes, after tw_rhythm_note (whose result is `burst`), the loop's step count `step` at the
 * pass that found records pushed at first .. last (wall seconds), whether the thread had asked
 * for the step's ring before that pass (`asked`) and when the step that rang it was taken
 * (`rang`, wall seconds; 0: no step rang). A new burst one step after the last one keeps the
 * ring (bursts every N steps never take it: the steps between would ring for nothing). These
 * pause the ring for TW_RHYTHM_RING_PAUSE bursts: records found while the thread waited for the
 * ring but not by it (pushed without a step), records spread over TW_RHYTHM_MIN_MS or more
 * (some pushed after the step before: they waited for this one), and records pushed
 * TW_RHYTHM_MIN_MS or more before the step that rang (a loop that steps first and then pushes,
 * found a whole step later). */
void tw_rhythm_note_step(tw_rhythm *r, bool burst, uint64_t step, bool asked, double rang,
                         double first, double last);

/* Whether the thread, its ring empty, asks for the next step's ring and sleeps until it (or
 * until tw_rhythm_step_backstop): a rhythm of TW_RHYTHM_FLUSH_MS .. TW_LOOK_IDLE_AFTER_MS of
 * a burst a step, not paused. */
bool tw_rhythm_step_rings(const tw_rhythm *r);

/* When the thread that asked for the step's ring looks at its ring anyway (monotonic ms, after
 * now): TW_LOOK_BUSY_MS after the next burst is due, or TW_LOOK_IDLE_MS on when that is past
 * (the loop stopped stepping: an evaluation, a pause). */
int64_t tw_rhythm_step_backstop(const tw_rhythm *r, int64_t now);

/* When the next burst is due (monotonic ms), or 0 without a rhythm. */
int64_t tw_rhythm_next(const tw_rhythm *r);

/* Whether, at `now`, the records found since the last burst began are that burst of a rhythm
 * of TW_RHYTHM_FLUSH_MS or slower, and it has settled: its last record was pushed
 * TW_RHYTHM_SETTLE_MS ago or more (a loop that pushes its metrics a little apart, as Python
 * does, is still pushing). Nothing more is then due before the next burst. */
bool tw_rhythm_slow_burst_done(const tw_rhythm *r, int64_t now);

/* When the burst in progress of a slow rhythm settles (monotonic ms), or 0 when there is none
 * at `now`: a message waiting for it goes out then, not at its batch window's end. */
int64_t tw_rhythm_slow_burst_settles(const tw_rhythm *r, int64_t now);

/* When the thread looks at its ring next (monotonic ms), the ring empty at `now` and its last
 * records found at `last_record`: *poll_ms after now (TW_LOOK_MIN_MS at first; the caller sets
 * it so when it finds records), which doubles to TW_LOOK_BUSY_MS, or to TW_LOOK_IDLE_MS once
 * nothing came for TW_LOOK_IDLE_AFTER_MS (and no burst was due in that time). A rhythm slower
 * than TW_LOOK_IDLE_AFTER_MS, once nothing came for TW_LOOK_QUIET_MS (stragglers of the last
 * burst are looked for as before), is looked at TW_LOOK_EARLY_MS before its next burst, in
 * steps of TW_LOOK_IDLE_MS at most (a late record waits no longer than without a rhythm), and
 * then 1, 2, 4 ... ms apart. */
int64_t tw_rhythm_look(const tw_rhythm *r, int64_t now, int64_t last_record, int *poll_ms);

#endif
