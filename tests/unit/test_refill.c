/* test_refill.c - when the monitor asks the publishers for their history again
 * (monitor/model/refill.h): not for a gap that fills by itself within a second, then at
 * doubling intervals while records stay missing, no more after the tries unless more went
 * missing, not while held, and afresh once nothing is missing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "refill.h"

/* The times (0.25 s ticks from t0, up to t1) at which a policy noting `missing` asks. */
static int
asks(tw_refill *r, uint64_t missing, double t0, double t1, double *at, int max)
{
    int n = 0;
    for (double t = t0; t <= t1 + 1e-9; t += 0.25)
        if (tw_refill_note(r, missing, t) && n < max)
            at[n++] = t;
    return n;
}

/* Nothing missing: never. A gap filled within REFILL_FIRST_S: never. */
static void
test_no_ask(void **state)
{
    (void)state;
    tw_refill r;
    tw_refill_init(&r);
    double at[8];
    assert_int_equal(asks(&r, 0, 0, 100, at, 8), 0);
    assert_int_equal(asks(&r, 40, 100, 100.75, at, 8), 0); /* seen at 100, due at 101 */
    assert_int_equal(asks(&r, 0, 101, 101, at, 8), 0);     /* filled by the joiner's replay */
    assert_int_equal(asks(&r, 40, 101.25, 102, at, 8), 0); /* a new gap waits a second again */
    assert_int_equal(asks(&r, 40, 102.25, 102.25, at, 8), 1);
}

/* A gap that stays: asked after 1 s, then 2, 4, 8 and 16 s later, then no more. */
static void
test_backoff(void **state)
{
    (void)state;
    tw_refill r;
    tw_refill_init(&r);
    double at[8];
    int n = asks(&r, 100, 10, 200, at, 8);
    assert_int_equal(n, REFILL_TRIES);
    const double want[] = {11, 13, 17, 25, 41};
    for (int i = 0; i < n; i++)
        assert_float_equal(at[i], want[i], 1e-9);
}

/* After the tries, a gap that shrinks or stays asks no more; one that grows past the fewest
 * missing since the last request (new losses) asks again, a second after they were seen at
 * the earliest and at most every REFILL_MAX_WAIT_S; once nothing is missing the policy starts
 * afresh. */
static void
test_new_losses(void **state)
{
    (void)state;
    tw_refill r;
    tw_refill_init(&r);
    double at[8];
    assert_int_equal(asks(&r, 100, 0, 60, at, 8), REFILL_TRIES); /* the last at 31 */
    assert_int_equal(asks(&r, 100, 60.25, 100, at, 8), 0);
    assert_int_equal(asks(&r, 101, 100.25, 101, at, 8), 0); /* more: a second from seen */
    assert_int_equal(asks(&r, 101, 101.25, 101.25, at, 8), 1);
    assert_int_equal(asks(&r, 101, 101.5, 200, at, 8), 0);     /* ... not again for the same */
    assert_int_equal(asks(&r, 102, 200.25, 201.25, at, 8), 1); /* growing: */
    assert_int_equal(asks(&r, 103, 201.5, 217, at, 8), 0);     /* every 16 s at most */
    assert_int_equal(asks(&r, 104, 217.25, 240, at, 8), 1);
    assert_float_equal(at[0], 201.25 + REFILL_MAX_WAIT_S, 1e-9);
    assert_int_equal(asks(&r, 0, 240.25, 240.25, at, 8), 0);
    assert_int_equal(asks(&r, 5, 241, 243, at, 8), 1); /* afresh: 1 s, then 2 s */
    assert_float_equal(at[0], 242, 1e-9);
}

/* The floor follows the count down: a replay that filled all but 1 of 3000 missing records,
 * then 2000 lost anew, asks again (2001 is below 3000, above 1). */
static void
test_floor(void **state)
{
    (void)state;
    tw_refill r;
    tw_refill_init(&r);
    double at[8];
    assert_int_equal(asks(&r, 3000, 0, 1, at, 8), 1);
    assert_int_equal(asks(&r, 1, 1.25, 100, at, 8), REFILL_TRIES - 1); /* the stuck one */
    assert_int_equal(asks(&r, 1, 100.25, 200, at, 8), 0);
    assert_int_equal(asks(&r, 2001, 200.25, 201.25, at, 8), 1);
    assert_float_equal(at[0], 201.25, 1e-9);
    /* new losses filled by themselves before their request was due (a run that starts, and
     * its own replay): none */
    assert_int_equal(asks(&r, 1, 201.5, 210, at, 8), 0);
    assert_int_equal(asks(&r, 50, 210.25, 210.5, at, 8), 0);
    assert_int_equal(asks(&r, 1, 210.75, 240, at, 8), 0);
    assert_int_equal(asks(&r, 40, 240.25, 241.25, at, 8), 1); /* but real ones: asked */
}

/* Held (the caller is behind): nothing is asked, and the request comes a second after the
 * last hold; a hold with nothing missing starts afresh. */
static void
test_hold(void **state)
{
    (void)state;
    tw_refill r;
    tw_refill_init(&r);
    double at[8];
    for (double t = 0; t <= 10; t += 0.25)
        tw_refill_hold(&r, 50, t);
    assert_int_equal(asks(&r, 50, 10.25, 10.75, at, 8), 0);
    assert_int_equal(asks(&r, 50, 11, 11, at, 8), 1);
    tw_refill_hold(&r, 0, 11.25);
    assert_int_equal(asks(&r, 50, 11.5, 12.25, at, 8), 0); /* a new gap: its own second */
    assert_int_equal(asks(&r, 50, 12.5, 12.5, at, 8), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_ask),     cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_new_losses), cmocka_unit_test(test_floor),
        cmocka_unit_test(test_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
