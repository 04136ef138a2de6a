/* rhythm.c - the rhythm of a training loop's records (rhythm.h). */
#include "rhythm.h"

#include <math.h>

/* A push time (wall seconds) as monotonic ms (rhythm.h: within the last TW_RHYTHM_MAX_MS). */
static double
pushed_at(int64_t now, double wall, double time)
{
    double ago = (wall - time) * 1000.0;
    return (double)now - (ago < 0 ? 0 : ago > TW_RHYTHM_MAX_MS ? TW_RHYTHM_MAX_MS : ago);
}

bool
tw_rhythm_note(tw_rhythm *r, int64_t now, double wall, double first, double last)
{
    double f = pushed_at(now, wall, first);
    bool burst = !r->seen || f - r->last >= TW_RHYTHM_MIN_MS;
    if (burst) {
        double gap = f - r->burst;
        r->period = r->seen && gap >= TW_RHYTHM_MIN_MS && gap <= TW_RHYTHM_MAX_MS ? gap : 0;
        r->burst = f;
    }
    r->last = pushed_at(now, wall, last);
    r->seen = true;
    return burst;
}

void
tw_rhythm_note_step(tw_rhythm *r, bool burst, uint64_t step, bool asked, double rang, double first,
                    double last)
{
    bool rung = rang > 0;
    bool spread = (last - first) * 1000.0 >= TW_RHYTHM_MIN_MS;
    bool waited = rung && (rang - last) * 1000.0 >= TW_RHYTHM_MIN_MS;
    if (burst) { /* (a burst drained in two passes is noted once) */
        r->stepped = step == r->step + 1;
        r->step = step;
        if (r->paused > 0)
            r->paused--;
    }
    if ((asked && !rung) || spread || waited)
        r->paused = TW_RHYTHM_RING_PAUSE;
}

bool
tw_rhythm_step_rings(const tw_rhythm *r)
{
    return r->period >= TW_RHYTHM_FLUSH_MS && r->period <= TW_LOOK_IDLE_AFTER_MS && r->stepped &&
           r->paused == 0;
}

int64_t
tw_rhythm_step_backstop(const tw_rhythm *r, int64_t now)
{
    int64_t back = tw_rhythm_next(r) + TW_LOOK_BUSY_MS;
    return back > now ? back : now + TW_LOOK_IDLE_MS;
}

int64_t
tw_rhythm_next(const tw_rhythm *r)
{
    return r->period > 0 ? (int64_t)llround(r->burst + r->period) : 0;
}

int64_t
tw_rhythm_slow_burst_settles(const tw_rhythm *r, int64_t now)
{
    if (r->period < TW_RHYTHM_FLUSH_MS || (double)now >= r->burst + r->period)
        return 0;
    return (int64_t)ceil(r->last) + TW_RHYTHM_SETTLE_MS;
}

bool
tw_rhythm_slow_burst_done(const tw_rhythm *r, int64_t now)
{
    int64_t settles = tw_rhythm_slow_burst_settles(r, now);
    return settles > 0 && now >= settles;
}

int64_t
tw_rhythm_look(const tw_rhythm *r, int64_t now, int64_t last_record, int *poll_ms)
{
    if (*poll_ms <= 0)
        *poll_ms = TW_LOOK_MIN_MS;
    int64_t next = tw_rhythm_next(r);
    if (r->period > TW_LOOK_IDLE_AFTER_MS && next - TW_LOOK_EARLY_MS > now &&
        now - last_record >= TW_LOOK_QUIET_MS) {
        int64_t at = next - TW_LOOK_EARLY_MS;
        if (at > now + TW_LOOK_IDLE_MS)
            return now + TW_LOOK_IDLE_MS;
        *poll_ms = 1; /* after this look, 1, 2, 4 ... ms on */
        return at;
    }
    int64_t at = now + *poll_ms;
    bool idle = now - last_record >= TW_LOOK_IDLE_AFTER_MS &&
                !(next > 0 && now - next < TW_LOOK_IDLE_AFTER_MS);
    int cap = idle ? TW_LOOK_IDLE_MS : TW_LOOK_BUSY_MS;
    *poll_ms = *poll_ms * 2 < cap ? *poll_ms * 2 : cap;
    return at;
}
