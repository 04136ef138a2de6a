/* test_history.c - a track's per-step history (publisher/history.h): decimated when full,
 * keeping the newest point; its pages touched a phase ahead of its writes, never a written
 * point; and the phases spread the page faults of lockstep ranks over the steps (checked with
 * mincore, on real anonymous memory as calloc gives a history). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A history as calloc makes a large one: fresh anonymous pages, the array 16 bytes in (the
 * allocator's header), so that points straddle pages. */
typedef struct hist {
    char *map, *base;
    size_t len, size, cap, n, touched, ahead;
} hist;

static void
hist_open(hist *h, size_t size, size_t cap, size_t ahead)
{
    h->size = size;
    h->cap = cap;
    h->ahead = ahead;
    h->n = h->touched = 0;
    h->len = 16 + size * cap;
    h->map = mmap(NULL, h->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(h->map != MAP_FAILED);
    h->base = h->map + 16;
}

static void
hist_close(hist *h)
{
    munmap(h->map, h->len);
}

/* Writes the history's next point as the publisher does, its bytes all (v % 251) + 1; returns
 * where it went. */
static char *
hist_write(hist *h, size_t v)
{
    char *pt = tw_history_next(h->base, h->size, h->cap, &h->n, h->ahead, &h->touched);
    memset(pt, (int)(v % 251) + 1, h->size);
    return pt;
}

/* Whether point i holds value v's bytes. */
static bool
holds(const hist *h, size_t i, size_t v)
{
    for (size_t b = 0; b < h->size; b++)
        if ((unsigned char)h->base[i * h->size + b] != v % 251 + 1)
            return false;
    return true;
}

/* How many of the mapping's pages are in memory. */
static size_t
resident(const hist *h, bool *page_in, size_t max_pages)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (h->len + pg - 1) / pg, count = 0;
    unsigned char vec[4096];
    assert_true(n <= sizeof vec && n <= max_pages);
    assert_int_equal(mincore(h->map, h->len, vec), 0);
    for (size_t i = 0; i < n; i++) {
        if (page_in)
            page_in[i] = vec[i] & 1;
        count += vec[i] & 1;
    }
    return count;
}

/* A phase is 1 .. points per page, and differs between tracks and between processes. */
static void
test_ahead_range_and_spread(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 48, 64, 72, 4096, 10000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t per_page = sizes[k] < TW_HISTORY_PAGE ? TW_HISTORY_PAGE / sizes[k] : 1;
        for (size_t i = 0; i < 200; i++) {
            size_t a = tw_history_ahead(0x1234 + k, i, sizes[k]);
            assert_true(a >= 1 && a <= per_page);
        }
    }
    /* 50 tracks of one process: most phases differ */
    bool seen[65] = {false};
    size_t distinct = 0;
    for (size_t i = 0; i < 50; i++) {
        size_t a = tw_history_ahead(0xfeedface12345678ull, i, 64);
        distinct += !seen[a];
        seen[a] = true;
    }
    assert_true(distinct >= 25);
    /* one track across 6400 processes (seeds): every phase about as often */
    size_t count[65] = {0};
    for (uint64_t seed = 1; seed <= 6400; seed++)
        count[tw_history_ahead(seed * 0x2545f4914f6cdd1dull, 0, 64)]++;
    for (size_t a = 1; a <= 64; a++)
        assert_true(count[a] >= 50 && count[a] <= 150); /* 100 each, expected */
}

/* Touches run exactly `ahead` points past the write, up to the end, and never change a written
 * point; the pages past the touched ones stay out of memory. */
static void
test_touch_runs_ahead(void **state)
{
    (void)state;
    const size_t sizes[] = {64, 48, 72, 200};
    const size_t aheads[] = {1, 17, 64, 5000};
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (size_t j = 0; j < sizeof aheads / sizeof aheads[0]; j++) {
            hist h;
            hist_open(&h, sizes[k], 700, aheads[j]);
            bool in[512];
            for (size_t n = 0; n < h.cap; n++) {
                assert_ptr_equal(hist_write(&h, n), h.base + n * h.size);
                size_t want = n + 1 + h.ahead < h.cap ? n + 1 + h.ahead : h.cap;
                assert_int_equal(h.touched, want);
                if (n % 37 != 0 && n != h.cap - 1)
                    continue;
                resident(&h, in, 512);
                size_t end = 16 + h.touched * h.size; /* bytes of the mapping touched */
                for (size_t p = 0; p * pg < h.len; p++) {
                    if (p * pg < 16 + n * h.size + h.size) /* holds written bytes */
                        assert_true(in[p]);
                    else if ((p + 1) * pg <= end) /* wholly within the touched points */
                        assert_true(in[p]);
                    else if (p * pg >= end) /* wholly past them */
                        assert_false(in[p]);
                }
            }
            for (size_t n = 0; n < h.cap; n++) /* every point as written */
                assert_true(holds(&h, n, n));
            /* full: every other point is kept, the newest too, and nothing more is touched */
            assert_ptr_equal(hist_write(&h, h.cap), h.base + h.cap / 2 * h.size);
            assert_int_equal(h.n, h.cap / 2 + 1);
            assert_int_equal(h.touched, h.cap);
            for (size_t i = 0; i < h.cap / 2; i++)
                assert_true(holds(&h, i, 2 * i + 1));
            assert_true(holds(&h, h.cap / 2, h.cap));
            hist_close(&h);
        }
}

#define RANKS  8
#define TRACKS 50
#define STEPS  192

/* The pages that come into memory at each of STEPS steps of RANKS x TRACKS histories filled in
 * lockstep: the most at any one step. */
static size_t
most_faults_in_a_step(bool phased)
{
    static hist h[RANKS * TRACKS];
    size_t before = 0, most = 0;
    for (size_t r = 0; r < RANKS; r++)
        for (size_t t = 0; t < TRACKS; t++) {
            size_t ahead = phased ? tw_history_ahead(0x9e37 * (r + 1), t, 64) : 1;
            hist_open(&h[r * TRACKS + t], 64, 2048, ahead);
        }
    for (size_t n = 0; n < STEPS; n++) {
        size_t now = 0;
        for (size_t i = 0; i < RANKS * TRACKS; i++) {
            hist_write(&h[i], n);
            now += resident(&h[i], NULL, 64);
        }
        if (n > 0 && now - before > most) /* the first step faults every history's first page */
            most = now - before;
        before = now;
    }
    for (size_t i = 0; i < RANKS * TRACKS; i++)
        hist_close(&h[i]);
    return most;
}

/* 8 ranks x 50 tracks stepping together: without phases every history faults its next page at
 * the same step (400 faults in one step of 64); with them, a few at every step. */
static void
test_faults_spread_over_steps(void **state)
{
    (void)state;
    size_t together = most_faults_in_a_step(false), spread = most_faults_in_a_step(true);
    print_message("most pages faulted in one step: %zu in lockstep, %zu with phases\n", together,
                  spread);
    assert_true(together >= RANKS * TRACKS);
    assert_true(spread <= RANKS * TRACKS / 16); /* 6.25 a step on average */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ahead_range_and_spread),
        cmocka_unit_test(test_touch_runs_ahead),
        cmocka_unit_test(test_faults_spread_over_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
