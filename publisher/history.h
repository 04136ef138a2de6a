/* history.h - a track's per-step history: decimated when full, and its first touches spread
 * over the steps.
 *
 * Design note. A track's history (publisher_impl.h: 2048 points of 64 bytes by default) is
 * allocated zeroed and untouched, so its pages come into memory as the points are first
 * written: a page fault every 64 steps. Data-parallel ranks step in lockstep, so they fill
 * their histories in lockstep too, and every track of every rank on a host faulted at the same
 * step: at 256 ranks x 50 metrics (bench_scale) 12 800 faults in one step of 64, about 100 ms
 * of CPU on 2 cores, which held that whole step's delivery back by some 55 ms and made it the
 * delay's p99 (doc/performance.md). So each track touches its history `ahead` points before its
 * writes reach them, a phase drawn per track and per process: the faults of a host's tracks
 * spread evenly over the steps. The memory in use and the number of faults stay the same (a
 * track's touched pages run at most one page ahead of its writes). */
#ifndef TW_HISTORY_H
#define TW_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define TW_HISTORY_PAGE 4096 /* bytes; where pages are larger, some touches find theirs in */

/* The phase of track `index`: 1 .. TW_HISTORY_PAGE / point_size points (at least 1), from a
 * seed that differs between processes (the publisher's incarnation). */
size_t tw_history_ahead(uint64_t seed, size_t index, size_t point_size);

/* The next point of the history `base` (*n of cap points of point_size bytes, cap even):
 * when it is full, every other point is dropped first, so that the older history grows
 * sparser and is never lost whole (the newest point is kept), and *n becomes cap / 2; the
 * pages ahead are touched (tw_history_touch). Returns the point to write; *n counts it. */
void *tw_history_next(void *base, size_t point_size, size_t cap, size_t *n, size_t ahead,
                      size_t *touched);

/* Before point n of the history `base` (cap points of point_size bytes) is written: writes a
 * zero byte where each page begins among points [*touched, min(n + 1 + ahead, cap)), and at
 * the first of them, then advances *touched to that end. Points at or past *touched must never
 * have been written (they are zero): the caller writes points in order, n <= *touched, and
 * starts with *touched = 0. */
void tw_history_touch(void *base, size_t point_size, size_t cap, size_t n, size_t ahead,
                      size_t *touched);

#endif
