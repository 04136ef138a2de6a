/* test_ring.c - the publisher's single-producer single-consumer record ring (publisher/ring.h):
 * capacity, order, a full ring, wrap-around, and two threads at once (also run under TSan). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

/* Records the stress test moves from one thread to the other (fewer would not interleave). */
#define STRESS_RECORDS  200000
#define STRESS_CAPACITY 64

/* Pushes one numbered record; false when the ring is full (the record is dropped). */
static bool
push(tw_ring *r, uint64_t n)
{
    tw_ring_rec *rec = tw_ring_reserve(r);
    if (!rec)
        return false;
    rec->kind = TW_RING_UPDATE;
    rec->track = (uint32_t)(n % 7);
    rec->step = n;
    rec->epoch = n / 10;
    for (int i = 0; i < TW_RING_INLINE_STATE; i++)
        rec->state[i] = (double)n * (i + 1);
    tw_ring_commit(r);
    return true;
}

/* Checks that rec is the record push(n) wrote, every field of it. */
static void
check_rec(const tw_ring_rec *rec, uint64_t n)
{
    assert_int_equal(rec->kind, TW_RING_UPDATE);
    assert_int_equal(rec->track, n % 7);
    assert_int_equal(rec->step, n);
    assert_int_equal(rec->epoch, n / 10);
    for (int i = 0; i < TW_RING_INLINE_STATE; i++)
        assert_true(rec->state[i] == (double)n * (i + 1));
}

/* Pops every ready record, checking they continue the sequence from *next. */
static uint64_t
drain(tw_ring *r, uint64_t *next)
{
    uint64_t n = tw_ring_ready(r, UINT64_MAX);
    for (uint64_t i = 0; i < n; i++)
        check_rec(tw_ring_peek(r, i), (*next)++);
    tw_ring_release(r, n);
    return n;
}

/* A capacity rounds up to a power of two, at least 2; the records start zeroed. */
static void
test_capacity_rounding(void **state)
{
    (void)state;
    static const uint64_t asked[][2] = {{0, 2}, {1, 2},       {2, 2},       {3, 4},      {4, 4},
                                        {5, 8}, {1000, 1024}, {1024, 1024}, {1025, 2048}};
    for (size_t i = 0; i < sizeof asked / sizeof *asked; i++) {
        tw_ring r;
        assert_int_equal(tw_ring_init(&r, asked[i][0]), 0);
        assert_int_equal(r.mask + 1, asked[i][1]);
        assert_int_equal(tw_ring_head(&r), 0);
        assert_int_equal(tw_ring_ready(&r, UINT64_MAX), 0);
        for (uint64_t k = 0; k <= r.mask; k++)
            assert_int_equal(r.recs[k].step, 0);
        /* exactly that many pushes fit */
        uint64_t fit = 0;
        while (push(&r, fit))
            fit++;
        assert_int_equal(fit, asked[i][1]);
        tw_ring_fini(&r);
        assert_null(r.recs);
    }
}

/* Records come out in the order they went in; ready honours its limit. */
static void
test_push_pop_order(void **state)
{
    (void)state;
    tw_ring r;
    assert_int_equal(tw_ring_init(&r, 16), 0);
    for (uint64_t n = 0; n < 10; n++)
        assert_true(push(&r, n));
    assert_int_equal(tw_ring_head(&r), 10);
    assert_int_equal(tw_ring_ready(&r, UINT64_MAX), 10);
    assert_int_equal(tw_ring_ready(&r, 4), 4); /* up to position 4 only */
    for (uint64_t i = 0; i < 4; i++)
        check_rec(tw_ring_peek(&r, i), i);
    tw_ring_release(&r, 4);
    assert_int_equal(tw_ring_ready(&r, 4), 0); /* the limit is a position, not a count */
    assert_int_equal(tw_ring_ready(&r, UINT64_MAX), 6);
    uint64_t next = 4;
    assert_int_equal(drain(&r, &next), 6);
    assert_int_equal(next, 10);
    assert_int_equal(tw_ring_ready(&r, UINT64_MAX), 0);
    tw_ring_fini(&r);
}

/* A full ring refuses the push without waiting or overwriting; the caller counts the drops,
 * and once the consumer frees slots pushes succeed again. */
static void
test_full_ring_drops(void **state)
{
    (void)state;
    tw_ring r;
    assert_int_equal(tw_ring_init(&r, 8), 0);
    uint64_t dropped = 0, pushed = 0;
    for (uint64_t n = 0; n < 20; n++) {
        if (push(&r, pushed))
            pushed++;
        else
            dropped++;
    }
    assert_int_equal(pushed, 8);
    assert_int_equal(dropped, 12);
    assert_null(tw_ring_reserve(&r));
    /* the first eight are intact: nothing overwrote them */
    assert_int_equal(tw_ring_ready(&r, UINT64_MAX), 8);
    for (uint64_t i = 0; i < 8; i++)
        check_rec(tw_ring_peek(&r, i), i);
    tw_ring_release(&r, 3); /* three slots free: three pushes fit, the fourth drops */
    for (uint64_t n = 8; n < 11; n++)
        assert_true(push(&r, n));
    assert_false(push(&r, 11));
    uint64_t next = 3;
    assert_int_equal(drain(&r, &next), 8);
    assert_int_equal(next, 11);
    tw_ring_fini(&r);
}

/* Positions keep growing while slots wrap around the mask many times over. */
static void
test_wrap_around(void **state)
{
    (void)state;
    tw_ring r;
    assert_int_equal(tw_ring_init(&r, 4), 0);
    uint64_t in = 0, out = 0;
    for (int round = 0; round < 1000; round++) {
        int k = 1 + round % 4; /* batches of 1 to 4: every offset into the ring */
        for (int i = 0; i < k; i++)
            assert_true(push(&r, in++));
        assert_int_equal(drain(&r, &out), (uint64_t)k);
    }
    assert_int_equal(in, out);
    assert_int_equal(tw_ring_head(&r), in);
    assert_true(in > 100 * (r.mask + 1));
    tw_ring_fini(&r);
}

static void *
producer(void *arg)
{
    tw_ring *r = arg;
    for (uint64_t n = 0; n < STRESS_RECORDS;)
        if (push(r, n))
            n++;
        else
            sched_yield(); /* full: let the consumer run (the publisher would count a drop) */
    return NULL;
}

/* Two threads: the producer pushes numbered records, retrying when the ring is full; the
 * consumer sees every one, in order, whole. */
static void
test_spsc_stress(void **state)
{
    (void)state;
    tw_ring r;
    assert_int_equal(tw_ring_init(&r, STRESS_CAPACITY), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
    uint64_t next = 0;
    while (next < STRESS_RECORDS) {
        uint64_t n = tw_ring_ready(&r, UINT64_MAX);
        if (n == 0) {
            sched_yield();
            continue;
        }
        assert_true(n <= r.mask + 1);
        for (uint64_t i = 0; i < n; i++) {
            const tw_ring_rec *rec = tw_ring_peek(&r, i);
            if (rec->step != next) /* fail_msg only off the hot path */
                fail_msg("record %llu where %llu was due", (unsigned long long)rec->step,
                         (unsigned long long)next);
            check_rec(rec, next++);
        }
        tw_ring_release(&r, n);
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(next, STRESS_RECORDS);
    assert_int_equal(tw_ring_ready(&r, UINT64_MAX), 0);
    assert_int_equal(tw_ring_head(&r), STRESS_RECORDS);
    tw_ring_fini(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_rounding), cmocka_unit_test(test_push_pop_order),
        cmocka_unit_test(test_full_ring_drops),   cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_spsc_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
