/* ring.c - allocation of the single-producer single-consumer record ring (ring.h). */
#include "ring.h"

#include <errno.h>
#include <string.h>

int
tw_ring_init(tw_ring *r, uint64_t capacity)
{
    uint64_t cap = 2;
    while (cap < capacity && cap < (UINT64_C(1) << 40))
        cap <<= 1;
    memset(r, 0, sizeof(*r));
    r->recs = aligned_alloc(64, cap * sizeof(tw_ring_rec));
    if (!r->recs)
        return -ENOMEM;
    memset(r->recs, 0, cap * sizeof(tw_ring_rec));
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void
tw_ring_fini(tw_ring *r)
{
    free(r->recs);
    r->recs = NULL;
}
