/* ring.h - a lock-free single-producer single-consumer ring of fixed-size records.
 *
 * Design note. The training thread (the only producer) pushes; the publisher's background
 * thread (the only consumer) pops. head and tail only grow (64-bit: they never wrap in
 * practice); slot i lives at i & mask. The producer publishes a record with a release store
 * of head; the consumer frees slots with a release store of tail. Each side caches the other's
 * index and reloads it only when the ring looks full (or empty), so a push is a store of the
 * record plus one release store: no syscall, no lock, no allocation. A push into a full ring
 * fails (the caller counts the drop); it never waits. */
#ifndef TW_RING_H
#define TW_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Inline state a record carries; larger states travel through the track's snapshot. */
#define TW_RING_INLINE_STATE 4

typedef enum tw_ring_kind {
    TW_RING_UPDATE = 1, /* a metric's cumulative state (inline) */
    TW_RING_SNAPSHOT,   /* a large state changed: read the track's snapshot */
    TW_RING_GAP,        /* records the full ring dropped: step is the first step that lost
                           one, epoch the last, state[0] how many records (track: 0) */
} tw_ring_kind;

/* One record: 64 bytes, a cache line. */
typedef struct tw_ring_rec {
    uint32_t kind;  /* tw_ring_kind */
    uint32_t track; /* index of the tracked metric */
    uint64_t epoch;
    uint64_t step;
    double time;
    double state[TW_RING_INLINE_STATE];
} tw_ring_rec;

typedef struct tw_ring {
    alignas(64) _Atomic uint64_t head; /* written by the producer */
    uint64_t tail_cache;               /* producer's copy of tail */
    uint64_t gap_from, gap_to, gap_n;  /* producer: dropped since the last GAP record */
    alignas(64) _Atomic uint64_t tail; /* written by the consumer */
    uint64_t head_cache;               /* consumer's copy of head */
    alignas(64) uint64_t mask;
    tw_ring_rec *recs;
} tw_ring;

/* Initialises a ring of at least `capacity` records (rounded up to a power of two, at least
 * 2). Returns 0 or -ENOMEM. */
int tw_ring_init(tw_ring *r, uint64_t capacity);
void tw_ring_fini(tw_ring *r);

/* Producer: a slot to fill, or NULL when the ring is full. Fill it, then tw_ring_commit. */
static inline tw_ring_rec *
tw_ring_reserve(tw_ring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - r->tail_cache > r->mask) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h - r->tail_cache > r->mask)
            return NULL;
    }
    return &r->recs[h & r->mask];
}

/* Producer: publishes the slot tw_ring_reserve returned. */
static inline void
tw_ring_commit(tw_ring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

/* Producer: tw_ring_reserve for a record of training step `step`, keeping account of what a
 * full ring drops. A drop returns NULL and widens the pending gap (steps gap_from to gap_to,
 * gap_n records); the first reserve that finds room again first commits a TW_RING_GAP record
 * of it, so the consumer learns, in order, exactly which steps lost records. */
static inline tw_ring_rec *
tw_ring_reserve_step(tw_ring *r, uint64_t step)
{
    tw_ring_rec *rec = tw_ring_reserve(r);
    if (rec && r->gap_n) {
        *rec = (tw_ring_rec){.kind = TW_RING_GAP, .step = r->gap_from, .epoch = r->gap_to};
        rec->state[0] = (double)r->gap_n; /* exact below 2^53 records */
        tw_ring_commit(r);
        r->gap_n = 0;
        rec = tw_ring_reserve(r);
    }
    if (!rec) {
        if (r->gap_n++ == 0)
            r->gap_from = step;
        r->gap_to = step;
    }
    return rec;
}

/* Consumer: the number of records ready, at most up to position `limit` (UINT64_MAX: all). */
static inline uint64_t
tw_ring_ready(tw_ring *r, uint64_t limit)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t end = r->head_cache < limit ? r->head_cache : limit;
    return end > t ? end - t : 0;
}

/* Consumer: the i-th ready record (i < tw_ring_ready). */
static inline const tw_ring_rec *
tw_ring_peek(const tw_ring *r, uint64_t i)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    return &r->recs[(t + i) & r->mask];
}

/* Consumer: frees the first n ready records. */
static inline void
tw_ring_release(tw_ring *r, uint64_t n)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, t + n, memory_order_release);
}

/* Position one past the last record pushed so far (the producer's view). */
static inline uint64_t
tw_ring_head(tw_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_relaxed);
}

#endif
