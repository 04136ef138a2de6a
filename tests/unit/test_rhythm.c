/* test_rhythm.c - the rhythm of a training loop's records (publisher/rhythm.h), from given
 * times: bursts and the gap between them, records within a burst, gaps out of range, push
 * times from a clock that jumped, when a burst is a slow one's, and when the thread looks at
 * its ring with and without a rhythm. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>

#include "rhythm.h"

#define WALL0 1.7e9 /* the wall clock (s) when the monotonic one reads 0 */

/* Whether a time (ms) is x, to a microsecond (wall-clock seconds near 1.7e9 carry ~0.2 us). */
static bool
near(double t, double x)
{
    return fabs(t - x) < 1e-3;
}

/* A pass at monotonic ms `now` that found records pushed at monotonic ms first .. last. */
static bool
pass(tw_rhythm *r, int64_t now, double first, double last)
{
    double wall = WALL0 + (double)now / 1000.0;
    return tw_rhythm_note(r, now, wall, WALL0 + first / 1000.0, WALL0 + last / 1000.0);
}

/* Bursts every 100 ms, each found a few ms after its push and in two passes: the rhythm is
 * the gap between the bursts' first records, not between passes or finds. */
static void
test_bursts_make_a_rhythm(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    pass(&r, 1005, 1000, 1000.2);
    assert_int_equal(tw_rhythm_next(&r), 0); /* one burst: no rhythm yet */
    pass(&r, 1006, 1000.3, 1000.5);          /* the same burst, a second pass */
    assert_int_equal(tw_rhythm_next(&r), 0);
    pass(&r, 1117, 1100, 1100.4); /* found 17 ms late: the push time counts */
    assert_true(near(r.period, 100));
    assert_int_equal(tw_rhythm_next(&r), 1200);
    pass(&r, 1201, 1199.5, 1199.9);
    assert_int_equal(tw_rhythm_next(&r), 1299); /* the newest gap, 99.5 ms */
}

/* A continuous stream (a record every 2 ms) is one long burst: no rhythm; after a quiet
 * 10 ms or more the next record begins a burst. */
static void
test_stream_is_one_burst(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    for (int t = 1000; t < 2000; t += 2)
        pass(&r, t + 5, t, t);
    assert_int_equal(tw_rhythm_next(&r), 0);
    assert_true(near(r.burst, 1000)); /* begun by its first record */
    pass(&r, 2520, 2500, 2501);       /* 502 ms after the last record: a burst 1500 after it */
    assert_true(near(r.period, 1500));
    pass(&r, 2530, 2509, 2509); /* 8 ms after the last: the same burst */
    assert_true(near(r.burst, 2500));
}

/* Gaps under TW_RHYTHM_MIN_MS are within a burst; gaps over TW_RHYTHM_MAX_MS are no rhythm
 * (a pause, then training again). */
static void
test_gaps_out_of_range(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    pass(&r, 1000, 1000, 1000);
    pass(&r, 1000 + TW_RHYTHM_MAX_MS + 1000, 1000 + TW_RHYTHM_MAX_MS + 1000,
         1000 + TW_RHYTHM_MAX_MS + 1000);
    assert_int_equal(tw_rhythm_next(&r), 0);
    pass(&r, 2000 + TW_RHYTHM_MAX_MS + 1000, 2000 + TW_RHYTHM_MAX_MS + 1000,
         2000 + TW_RHYTHM_MAX_MS + 1000);
    assert_true(near(r.period, 1000)); /* a step a second again */
}

/* Push times the caller gave (an hour old), or from a wall clock that jumped (in the
 * future): taken back at most TW_RHYTHM_MAX_MS, never after now. */
static void
test_clock_jumps(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    pass(&r, 100000, 100000 - 3600e3, 100000 - 3600e3);
    assert_true(near(r.burst, 100000.0 - TW_RHYTHM_MAX_MS));
    pass(&r, 200000, 200000 + 5000, 200000 + 5000);
    assert_true(near(r.burst, 200000));
    assert_true(near(r.last, 200000));
}

/* A burst is a slow one's (goes out once drained) from its start until the next is due, for
 * rhythms of TW_RHYTHM_FLUSH_MS or slower only, once its last record is TW_RHYTHM_SETTLE_MS
 * old (a loop that pushes its metrics 50 us apart is still pushing). */
static void
test_slow_burst(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    pass(&r, 1001, 1000, 1000);
    pass(&r, 1101, 1100, 1100.3);
    assert_int_equal(tw_rhythm_slow_burst_settles(&r, 1101), 1102);
    assert_false(tw_rhythm_slow_burst_done(&r, 1101)); /* pushed 0.7 ms ago */
    assert_true(tw_rhythm_slow_burst_done(&r, 1102));
    pass(&r, 1150, 1149.5, 1149.5); /* a straggler 49 ms on: a new burst, 49.5 ms after */
    assert_true(tw_rhythm_slow_burst_done(&r, 1151));
    assert_false(tw_rhythm_slow_burst_done(&r, 1199)); /* the next burst is due: late, or over */
    assert_int_equal(tw_rhythm_slow_burst_settles(&r, 1199), 0);
    tw_rhythm fast = {0};
    pass(&fast, 1001, 1000, 1000);
    pass(&fast, 1021, 1020, 1020);
    assert_int_equal(tw_rhythm_next(&fast), 1040);
    assert_false(tw_rhythm_slow_burst_done(&fast, 1022)); /* 20 ms apart: batched as before */
    tw_rhythm none = {0};
    assert_false(tw_rhythm_slow_burst_done(&none, 1005));
    assert_int_equal(tw_rhythm_slow_burst_settles(&none, 1005), 0);
}

/* The looks at an empty ring without a rhythm: 5, 10, 20, 20 ... ms apart after records, up
 * to 250 ms once nothing came for a second. */
static void
test_looks_without_rhythm(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    int poll = 0;
    int64_t now = 10000, found = 10000;
    int64_t want[] = {5, 10, 20, 20, 20};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t at = tw_rhythm_look(&r, now, found, &poll);
        assert_int_equal(at - now, want[i]);
        now = at;
    }
    now = found + TW_LOOK_IDLE_AFTER_MS; /* an idle second */
    int64_t idle[] = {20, 40, 80, 160, 250, 250};
    for (size_t i = 0; i < sizeof idle / sizeof idle[0]; i++) {
        int64_t at = tw_rhythm_look(&r, now, found, &poll);
        assert_int_equal(at - now, idle[i]);
        now = at;
    }
}

/* A step every 1.5 s: after its burst the usual looks (a straggler pushed 30 ms after it is
 * seen within 20 ms), then, the ring quiet for TW_LOOK_QUIET_MS, looks 250 ms apart at most
 * that land 1 ms before the next burst is due, then 1, 2, 4 ... ms on, at most 20 ms apart in
 * the second after its time (not 250). A step every 0.1 s keeps the usual looks. */
static void
test_looks_at_a_slow_rhythm(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    pass(&r, 1002, 1000, 1000);
    pass(&r, 2502, 2500, 2500);
    int poll = TW_LOOK_MIN_MS; /* records were just found */
    int64_t now = 2502;
    int64_t busy[] = {5, 10, 20, 20};
    for (size_t i = 0; i < sizeof busy / sizeof busy[0]; i++) {
        int64_t at = tw_rhythm_look(&r, now, 2502, &poll);
        assert_int_equal(at - now, busy[i]); /* a straggler at 2530 is found at 2537 */
        now = at;
    }
    assert_int_equal(now, 2557);
    assert_int_equal(tw_rhythm_look(&r, now, 2502, &poll) - now, 20); /* not quiet for 60 ms */
    now = 2577;
    int64_t quiet[] = {2827, 3077, 3327, 3577, 3827, 4000 - TW_LOOK_EARLY_MS};
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        now = tw_rhythm_look(&r, now, 2502, &poll);
        assert_int_equal(now, quiet[i]);
    }
    int64_t want[] = {1, 2, 4, 8, 16, 20, 20};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t at = tw_rhythm_look(&r, now, 2502, &poll);
        assert_int_equal(at - now, want[i]);
        now = at;
    }
    assert_int_equal(tw_rhythm_look(&r, 4900, 2502, &poll) - 4900, 20); /* late, in its second */
    poll = 20;
    assert_int_equal(tw_rhythm_look(&r, 5100, 2502, &poll) - 5100, 20); /* past it: idle */
    assert_int_equal(poll, 40);

    tw_rhythm fast = {0};
    pass(&fast, 1002, 1000, 1000);
    pass(&fast, 1102, 1100, 1100);
    poll = TW_LOOK_MIN_MS;
    assert_int_equal(tw_rhythm_look(&fast, 1103, 1102, &poll), 1108);
    assert_int_equal(tw_rhythm_look(&fast, 1180, 1102, &poll), 1190); /* no jump to 1199 */
}

/* A pass of the step-ring bookkeeping: records pushed at first .. last (monotonic ms), found at
 * `now` with the loop at step `step`, the thread having asked for the ring or not, rung by a
 * step taken at `rang` ms (< 0: none). */
static void
step_pass(tw_rhythm *r, int64_t now, double first, double last, uint64_t step, bool asked,
          double rang)
{
    bool burst = pass(r, now, first, last);
    tw_rhythm_note_step(r, burst, step, asked, rang < 0 ? 0 : WALL0 + rang / 1000.0,
                        WALL0 + first / 1000.0, WALL0 + last / 1000.0);
}

/* The step's ring: a rhythm of 40 ms .. 1 s whose bursts come with steps sleeps until the
 * next step; not without steps, nor for faster or slower rhythms. Records found by the
 * backstop (no step), spread over 10 ms (some pushed after the step before) or pushed 10 ms
 * before the step that rang (the step came first) pause it for TW_RHYTHM_RING_PAUSE bursts. */
static void
test_step_rings(void **state)
{
    (void)state;
    tw_rhythm r = {0};
    step_pass(&r, 1001, 1000, 1000.1, 1, false, -1);
    assert_false(tw_rhythm_step_rings(&r)); /* no rhythm yet */
    step_pass(&r, 1101, 1100, 1100.1, 2, false, -1);
    assert_true(tw_rhythm_step_rings(&r)); /* 100 ms, a step a burst */
    step_pass(&r, 1201, 1200, 1200.1, 3, true, 1200.2);
    assert_true(tw_rhythm_step_rings(&r)); /* rung by the step, just after its records */

    /* the same step count: bursts that do not come with steps */
    tw_rhythm q = r;
    step_pass(&q, 1301, 1300, 1300.1, 3, false, -1);
    assert_false(tw_rhythm_step_rings(&q));

    /* a burst every 2 steps (records logged every N steps): the step between would ring */
    q = r;
    step_pass(&q, 1301, 1300, 1300.1, 5, false, -1);
    assert_false(tw_rhythm_step_rings(&q));

    /* a burst drained in two passes is one burst: the second pass keeps the ring */
    q = r;
    step_pass(&q, 1301, 1300, 1300.1, 4, true, 1300.2);
    step_pass(&q, 1302, 1300.2, 1300.3, 4, false, -1);
    assert_true(tw_rhythm_step_rings(&q));

    /* found by the backstop: a push without a step */
    q = r;
    step_pass(&q, 1321, 1300, 1300.1, 4, true, -1);
    assert_false(tw_rhythm_step_rings(&q));
    for (int i = 1; i <= TW_RHYTHM_RING_PAUSE; i++) {
        assert_false(tw_rhythm_step_rings(&q));
        step_pass(&q, 1301 + 100 * i, 1300 + 100 * i, 1300.1 + 100 * i, 4 + (uint64_t)i, false, -1);
    }
    assert_true(tw_rhythm_step_rings(&q)); /* the pause is over */

    /* a straggler 5 ms after the step before (after the thread took its burst), found with
     * the next burst */
    q = r;
    step_pass(&q, 1301, 1205, 1300.1, 4, true, 1300.2);
    assert_false(tw_rhythm_step_rings(&q));

    /* the step first, its records pushed just after it: found at the next step's ring */
    q = r;
    step_pass(&q, 1301, 1200.5, 1200.6, 4, true, 1300.0);
    assert_false(tw_rhythm_step_rings(&q));

    /* a rung burst found late (a busy machine) is no straggler: the push times count */
    q = r;
    step_pass(&q, 1340, 1300, 1300.1, 4, true, 1300.2);
    assert_true(tw_rhythm_step_rings(&q));

    /* the backstop: 20 ms after the next step is due; 250 ms on once that is past */
    assert_int_equal(tw_rhythm_step_backstop(&r, 1210), 1320);
    assert_int_equal(tw_rhythm_step_backstop(&r, 1400), 1650);

    /* faster (20 ms) and slower (2 s) rhythms keep their looks */
    tw_rhythm f = {0};
    step_pass(&f, 1001, 1000, 1000.1, 1, false, -1);
    step_pass(&f, 1021, 1020, 1020.1, 2, false, -1);
    assert_false(tw_rhythm_step_rings(&f));
    tw_rhythm sl = {0};
    step_pass(&sl, 1001, 1000, 1000.1, 1, false, -1);
    step_pass(&sl, 3001, 3000, 3000.1, 2, false, -1);
    assert_false(tw_rhythm_step_rings(&sl));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bursts_make_a_rhythm),
        cmocka_unit_test(test_stream_is_one_burst),
        cmocka_unit_test(test_gaps_out_of_range),
        cmocka_unit_test(test_clock_jumps),
        cmocka_unit_test(test_slow_burst),
        cmocka_unit_test(test_looks_without_rhythm),
        cmocka_unit_test(test_looks_at_a_slow_rhythm),
        cmocka_unit_test(test_step_rings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
