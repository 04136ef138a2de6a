/* test_history.c - a track's per-step history (publisher/history.h): decimated when full,
 * keeping the newest point; its pages touched a phase ahead of its writes, never a written
 * point; and the phases spread the page faults and the compactions of lockstep ranks over the
 * steps (checked with mincore, on real anonymous memory as calloc gives a history). */
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

/* A history as calloc makes a large one: fresh anonymous pages (small ones: huge pages would
 * bring in 2 MB at the first touch), the array 16 bytes in (the allocator's header), so that
 * points straddle pages. */
typedef struct hist {
    char *map;
    size_t len;
    tw_history h;
} hist;

/* Opens a history of cap points of size bytes; full_cap: compacted only when all cap are
 * held (no phase), lockstep: touched 1 point ahead (no phase) as well. */
static void
hist_open(hist *x, size_t size, size_t cap, uint64_t seed, size_t index, bool full_cap,
          bool lockstep)
{
    x->len = 16 + size * cap;
    x->map = mmap(NULL, x->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(x->map != MAP_FAILED);
    (void)madvise(x->map, x->len, MADV_NOHUGEPAGE);
    if (lockstep) { /* set up by hand: what the history did before its phases */
        x->h = (tw_history){.base = x->map + 16, .size = size, .cap = cap, .ahead = 1};
        tw_history_touch(&x->h, 0);
    } else {
        tw_history_init(&x->h, x->map + 16, size, cap, seed, index);
    }
    if (full_cap || lockstep)
        x->h.full = cap & ~(size_t)1;
}

static void
hist_close(hist *x)
{
    munmap(x->map, x->len);
}

/* Writes the history's next point as the publisher does, its bytes all (v % 251) + 1; returns
 * where it went. */
static char *
hist_write(hist *x, size_t v)
{
    char *pt = tw_history_next(&x->h);
    memset(pt, (int)(v % 251) + 1, x->h.size);
    return pt;
}

/* Whether point i holds value v's bytes. */
static bool
holds(const hist *x, size_t i, size_t v)
{
    const char *b = x->h.base;
    for (size_t k = 0; k < x->h.size; k++)
        if ((unsigned char)b[i * x->h.size + k] != v % 251 + 1)
            return false;
    return true;
}

/* How many of the mapping's pages are in memory; page_in (room for max_pages) gets which. */
static size_t
resident(const hist *x, bool *page_in, size_t max_pages)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (x->len + pg - 1) / pg, count = 0;
    unsigned char vec[4096];
    assert_true(n <= sizeof vec && n <= max_pages);
    assert_int_equal(mincore(x->map, x->len, vec), 0);
    for (size_t i = 0; i < n; i++) {
        if (page_in)
            page_in[i] = vec[i] & 1;
        count += vec[i] & 1;
    }
    return count;
}

/* The phases: ahead is 1 .. points per page, full even and over 3/4 of cap; both differ
 * between tracks and between processes, each value about as often. */
static void
test_phases(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 48, 64, 72, 4096, 10000}, caps[] = {2, 3, 16, 17, 2048};
    static char buf[2048 * 10000];
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            if (sizes[k] * caps[c] > sizeof buf)
                continue;
            size_t per_page = sizes[k] < TW_HISTORY_PAGE ? TW_HISTORY_PAGE / sizes[k] : 1;
            for (size_t i = 0; i < 50; i++) {
                tw_history h;
                memset(buf, 0, sizes[k] * caps[c]);
                tw_history_init(&h, buf, sizes[k], caps[c], 0x1234 + k, i);
                assert_true(h.ahead >= 1 && h.ahead <= per_page);
                assert_true(h.full % 2 == 0 && h.full <= caps[c] && h.full >= 2);
                assert_true(4 * h.full > 3 * (caps[c] & ~(size_t)1));
                assert_int_equal(h.n, 0);
                assert_int_equal(h.touched, h.ahead + 1 < caps[c] ? h.ahead + 1 : caps[c]);
            }
        }
    size_t ahead[65] = {0}, full[2049] = {0}, distinct = 0;
    for (size_t i = 0; i < 50; i++) { /* 50 tracks of one process */
        tw_history h;
        tw_history_init(&h, buf, 64, 2048, 0xfeedface12345678ull, i);
        distinct += ahead[h.ahead]++ == 0;
    }
    assert_true(distinct >= 25);
    memset(ahead, 0, sizeof ahead);
    for (uint64_t seed = 1; seed <= 25600; seed++) { /* one track across processes */
        tw_history h;
        tw_history_init(&h, buf, 64, 2048, seed * 0x2545f4914f6cdd1dull, 0);
        ahead[h.ahead]++;
        full[h.full]++;
    }
    for (size_t a = 1; a <= 64; a++)
        assert_true(ahead[a] >= 300 && ahead[a] <= 500); /* 400 each, expected */
    for (size_t f = 1538; f <= 2048; f += 2)
        assert_true(full[f] >= 50 && full[f] <= 150); /* 100 each, expected */
}

/* Touches run exactly `ahead` points past the write, up to the end, and never change a written
 * point; the pages past the touched ones stay out of memory. Full, every other point goes. */
static void
test_touch_runs_ahead(void **state)
{
    (void)state;
    const size_t sizes[] = {64, 48, 72, 200};
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (uint64_t seed = 1; seed <= 4; seed++) {
            hist x;
            hist_open(&x, sizes[k], 700, seed, k, true, false);
            if (seed == 4)
                x.h.ahead = 5000; /* past the end: all touched at once */
            bool in[512];
            for (size_t n = 0; n < x.h.cap; n++) {
                assert_ptr_equal(hist_write(&x, n), (char *)x.h.base + n * x.h.size);
                size_t want = n + 1 + x.h.ahead < x.h.cap ? n + 1 + x.h.ahead : x.h.cap;
                assert_int_equal(x.h.touched, want);
                if (n % 37 != 0 && n != x.h.cap - 1)
                    continue;
                resident(&x, in, 512);
                size_t end = 16 + x.h.touched * x.h.size; /* bytes of the mapping touched */
                for (size_t p = 0; p * pg < x.len; p++) {
                    if (p * pg < 16 + (n + 1) * x.h.size) /* holds written bytes */
                        assert_true(in[p]);
                    else if ((p + 1) * pg <= end) /* wholly within the touched points */
                        assert_true(in[p]);
                    else if (p * pg >= end) /* wholly past them */
                        assert_false(in[p]);
                }
            }
            for (size_t n = 0; n < x.h.cap; n++) /* every point as written */
                assert_true(holds(&x, n, n));
            /* full: every other point is kept, the newest too, and nothing more is touched */
            assert_ptr_equal(hist_write(&x, x.h.cap), (char *)x.h.base + x.h.cap / 2 * x.h.size);
            assert_int_equal(x.h.n, x.h.cap / 2 + 1);
            assert_int_equal(x.h.touched, x.h.cap);
            for (size_t i = 0; i < x.h.cap / 2; i++)
                assert_true(holds(&x, i, 2 * i + 1));
            assert_true(holds(&x, x.h.cap / 2, x.h.cap));
            hist_close(&x);
        }
}

/* A history that compacts before it is full, again and again: each time the older half of its
 * points is every other one of them, and the newest is always the last written. */
static void
test_compacts_at_its_phase(void **state)
{
    (void)state;
    hist x;
    uint64_t seed = 7;
    do /* a phase that is not the whole array */
        hist_open(&x, 64, 2048, seed, 3, false, false);
    while (x.h.full == 2048 && (hist_close(&x), ++seed));
    size_t full = x.h.full, *val = calloc(2048, sizeof *val), compactions = 0;
    assert_non_null(val);
    for (size_t v = 0; v < 10 * full; v++) {
        size_t before = x.h.n;
        hist_write(&x, v);
        if (x.h.n < before) {
            assert_int_equal(before, full);
            assert_int_equal(x.h.n, full / 2 + 1);
            for (size_t i = 0; i < full / 2; i++)
                val[i] = val[2 * i + 1];
            compactions++;
        }
        val[x.h.n - 1] = v;
        assert_true(x.h.n <= full);
        assert_true(holds(&x, x.h.n - 1, v));
    }
    for (size_t i = 0; i < x.h.n; i++)
        assert_true(holds(&x, i, val[i]));
    assert_true(compactions >= 10);
    free(val);
    hist_close(&x);
}

#define RANKS  8
#define TRACKS 50

/* RANKS x TRACKS histories filled in lockstep for `steps` steps: the most pages that came into
 * memory at one step (*faults) and the most histories compacted at one step (*compactions). */
static void
lockstep(bool phased, size_t steps, size_t *faults, size_t *compactions)
{
    static hist x[RANKS * TRACKS];
    size_t before = 0;
    *faults = *compactions = 0;
    for (size_t r = 0; r < RANKS; r++)
        for (size_t t = 0; t < TRACKS; t++)
            hist_open(&x[r * TRACKS + t], 64, 2048, 0x9e37 * (r + 1), t, false, !phased);
    for (size_t i = 0; i < RANKS * TRACKS; i++) /* the first pages, touched when opened */
        before += resident(&x[i], NULL, 64);
    for (size_t n = 0; n < steps; n++) {
        size_t now = 0, compacted = 0;
        for (size_t i = 0; i < RANKS * TRACKS; i++) {
            size_t held = x[i].h.n;
            hist_write(&x[i], n);
            compacted += x[i].h.n < held;
            if (n < 256)
                now += resident(&x[i], NULL, 64);
        }
        if (n < 256 && now - before > *faults)
            *faults = now - before;
        before = now;
        if (compacted > *compactions)
            *compactions = compacted;
    }
    for (size_t i = 0; i < RANKS * TRACKS; i++)
        hist_close(&x[i]);
}

/* 8 ranks x 50 tracks stepping together: without phases every history faults its next page at
 * the same step (400 faults in one step of 64) and compacts at the same step; with them, a few
 * at every step. */
static void
test_spread_over_steps(void **state)
{
    (void)state;
    size_t faults, compactions, faults_phased, compactions_phased;
    lockstep(false, 4200, &faults, &compactions);
    lockstep(true, 4200, &faults_phased, &compactions_phased);
    print_message("most pages faulted in one step: %zu in lockstep, %zu with phases\n", faults,
                  faults_phased);
    print_message("most histories compacted in one step: %zu in lockstep, %zu with phases\n",
                  compactions, compactions_phased);
    assert_true(faults >= RANKS * TRACKS);
    assert_true(faults_phased <= RANKS * TRACKS / 16); /* 6.25 a step on average */
    assert_int_equal(compactions, RANKS * TRACKS);
    assert_true(compactions_phased <= RANKS * TRACKS / 25); /* 1.6 a step on average */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_touch_runs_ahead),
        cmocka_unit_test(test_compacts_at_its_phase),
        cmocka_unit_test(test_spread_over_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
