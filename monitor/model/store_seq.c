/* store_seq.c - the seqs a rank-incarnation has received: duplicates, gaps, replay marks, and
 * the bounded interval list that coarsens by filling its smallest holes. */
#include "store_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Index of the first interval with lo > seq. */
static uint32_t
seq_upper(const seqset *q, uint64_t seq)
{
    uint32_t lo = 0, hi = q->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (q->iv[mid].lo > seq)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

bool
tw_store_seq_contains(const seqset *q, uint64_t seq)
{
    if (q->n == 0)
        return false;
    const seq_iv *last = &q->iv[q->n - 1];
    if (seq > last->hi)
        return false;
    if (seq >= last->lo)
        return true;
    uint32_t p = seq_upper(q, seq);
    return p > 0 && q->iv[p - 1].hi >= seq;
}

/* Seqs in [lo, hi] received (or filled by coarsening). */
static uint64_t
seq_covered(const seqset *q, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < q->n; i++) {
        uint64_t a = q->iv[i].lo > lo ? q->iv[i].lo : lo;
        uint64_t b = q->iv[i].hi < hi ? q->iv[i].hi : hi;
        if (a <= b)
            n += b - a + 1;
    }
    return n;
}

/* A replay stands for every seq up to r: those that never came are not gaps. */
void
tw_store_seq_excuse(seqset *q, uint64_t r)
{
    if (r <= q->excused)
        return;
    uint64_t lo = q->excused + 1, hi = r < q->highest ? r : q->highest;
    if (lo <= hi) {
        uint64_t missing = (hi - lo + 1) - seq_covered(q, lo, hi);
        q->gaps -= missing < q->gaps ? missing : q->gaps;
    }
    q->excused = r;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Halves the interval list by filling its smallest holes, holes at or below the replay mark
 * first (they cost nothing: their seqs are excused anyway). */
static void
seq_coarsen(tw_store *s, seqset *q)
{
    uint32_t holes = q->n - 1;
    for (uint32_t i = 0; i < holes; i++) {
        uint64_t size = q->iv[i + 1].lo - q->iv[i].hi - 1;
        if (size > (UINT64_MAX >> 1))
            size = UINT64_MAX >> 1;
        bool above = q->iv[i + 1].lo - 1 > q->excused;
        s->hole_keys[i] = (above ? (UINT64_C(1) << 63) : 0) | size;
    }
    memcpy(s->hole_sorted, s->hole_keys, holes * sizeof(uint64_t));
    qsort(s->hole_sorted, holes, sizeof(uint64_t), cmp_u64);
    uint32_t merge = q->n - s->o.seq_intervals / 2; /* holes to fill */
    uint64_t threshold = s->hole_sorted[merge - 1];
    uint32_t out = 1, merged = 0;
    for (uint32_t i = 1; i < q->n; i++) {
        if (merged < merge && s->hole_keys[i - 1] <= threshold) {
            q->iv[out - 1].hi = q->iv[i].hi;
            merged++;
        } else {
            q->iv[out++] = q->iv[i];
        }
    }
    q->n = out;
}

/* Records seq as received (it was not). Returns 0 or -ENOMEM (nothing changed). */
int
tw_store_seq_insert(tw_store *s, seqset *q, uint64_t seq)
{
    uint32_t n = q->n;
    if (n && seq == q->iv[n - 1].hi + 1) {
        q->iv[n - 1].hi = seq; /* the usual case: the next one */
    } else {
        uint32_t p = seq_upper(q, seq);
        bool jl = p > 0 && q->iv[p - 1].hi + 1 == seq;
        bool jr = p < n && q->iv[p].lo == seq + 1;
        if (jl && jr) {
            q->iv[p - 1].hi = q->iv[p].hi;
            memmove(&q->iv[p], &q->iv[p + 1], (n - p - 1) * sizeof(seq_iv));
            q->n--;
        } else if (jl) {
            q->iv[p - 1].hi = seq;
        } else if (jr) {
            q->iv[p].lo = seq;
        } else {
            if (n == q->alloc) {
                uint32_t na = q->alloc ? 2 * q->alloc : 8;
                if (na > s->o.seq_intervals + 1)
                    na = s->o.seq_intervals + 1;
                seq_iv *iv = tw_store_mem_resize(s, NULL, q->iv, q->alloc, na, sizeof(seq_iv));
                if (!iv)
                    return -ENOMEM;
                q->iv = iv;
                q->alloc = na;
            }
            memmove(&q->iv[p + 1], &q->iv[p], (n - p) * sizeof(seq_iv));
            q->iv[p] = (seq_iv){seq, seq};
            q->n++;
            if (q->n > s->o.seq_intervals)
                seq_coarsen(s, q);
        }
    }
    if (seq > q->highest) {
        uint64_t from = q->highest > q->excused ? q->highest : q->excused;
        if (seq - 1 > from)
            q->gaps += seq - 1 - from;
        q->highest = seq;
    } else if (seq > q->excused && q->gaps > 0) {
        q->gaps--; /* a late arrival */
    }
    return 0;
}
