/* ring.c - allocation of the single-producer single-consumer record ring (ring.h), and the
 * consumer's side of its asymmetric barrier. */
#define _GNU_SOURCE
#include "ring.h"

#include <errno.h>
#include <string.h>
#ifdef __linux__
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Registers the process for membarrier's private expedited command: true when it may be used. */
static bool
heavy_barrier_available(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
           syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

bool
tw_ring_heavy_barrier(tw_ring *r)
{
#if defined(__linux__) && defined(SYS_membarrier)
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return true;
#endif
    /* Never seen (the command was registered). A producer may still push once without its
     * fence: this wait reports failure, so that the consumer does not sleep on it. */
    atomic_store_explicit(&r->light, false, memory_order_relaxed);
    return false;
}

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
    atomic_init(&r->waiting, false);
    atomic_init(&r->light, heavy_barrier_available());
    return 0;
}

void
tw_ring_fini(tw_ring *r)
{
    free(r->recs);
    r->recs = NULL;
}
