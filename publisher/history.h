/* history.h - a track's per-step history: decimated when full, and its memory touched and
 * compacted at steps that differ from track to track.
 *
 * Design note. A track's history (publisher_impl.h: up to 2048 points of 64 bytes by default)
 * is allocated zeroed and untouched, so its pages come into memory as the points are first
 * written: a page fault every 64 steps; and when it is full, every other point is dropped, a
 * copy of half of it. Data-parallel ranks step in lockstep, so they fill their histories in
 * lockstep too: every track of every rank on a host faulted at the same step, and would
 * compact at the same step. At 256 ranks x 50 metrics (bench_scale) that was 12 800 faults in
 * one step of 64, about 100 ms of CPU on 2 cores, which held that whole step's delivery back by
 * some 55 ms and made it the delay's p99 (doc/performance.md); the compaction would copy 800 MB
 * in one step. So each track has two phases, drawn per track and per process: its pages are
 * touched `ahead` points (1 .. a page) before its writes reach them, and it compacts when it
 * holds `full` points (cap * 3/4 .. cap, even). The faults and the copies of a host's tracks so
 * spread over the steps. The faults are as many as before, each a little earlier: a track has
 * at most one page more in memory than its points fill. */
#ifndef TW_HISTORY_H
#define TW_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define TW_HISTORY_PAGE 4096 /* bytes; where pages are larger, some touches find theirs in */

typedef struct tw_history {
    void *base;     /* cap points of `size` bytes, zeroed; the caller's */
    size_t size;    /* bytes a point */
    size_t cap;     /* points the array holds (at least 2) */
    size_t n;       /* points in it, oldest first */
    size_t full;    /* it is compacted when a point comes with n == full (even, <= cap) */
    size_t ahead;   /* pages are touched this many points ahead of the writes */
    size_t touched; /* points [0, touched) have been touched: their pages are in memory */
} tw_history;

/* Sets up the history of track `index` over `base` (cap points of `size` bytes, zeroed and
 * never written) from a seed that differs between processes (the publisher's incarnation),
 * and touches its first pages (at track time, not at its first step). */
void tw_history_init(tw_history *h, void *base, size_t size, size_t cap, uint64_t seed,
                     size_t index);

/* The point to write next; h->n counts it. When the history holds `full` points, every other
 * one is dropped first (the oldest first; the newest is kept), so that the older history
 * grows sparser and is never lost whole; the pages ahead are touched (tw_history_touch). */
void *tw_history_next(tw_history *h);

/* Before point n is written: writes a zero byte where each page begins among points
 * [touched, min(n + 1 + ahead, cap)), and at the first of them, then advances touched to that
 * end. Points at or past touched must never have been written (they are zero). */
void tw_history_touch(tw_history *h, size_t n);

#endif
