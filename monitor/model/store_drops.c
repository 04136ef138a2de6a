/* store_drops.c - the steps a run's publishers dropped per-step records in (GAP records): how
 * many, the first and last, and the ranges themselves (bounded), so that the per-step chart
 * breaks its line where values are missing instead of drawing across them. */
#include "store_impl.h"

#include <stdio.h>
#include <string.h>

/* Ranges kept per run; past it, the two nearest neighbours merge (the cover only grows). */
#define MAX_DROP_RANGES 64

/* Merges range i with range i + 1. */
static void
merge_next(run *rn, uint32_t i)
{
    tw_store_range *d = rn->drops;
    if (d[i + 1].to > d[i].to)
        d[i].to = d[i + 1].to;
    memmove(d + i + 1, d + i + 2, (rn->n_drops - i - 2) * sizeof *d);
    rn->n_drops--;
}

void
tw_store_run_add_drop(tw_store *s, run *rn, uint64_t from, uint64_t to)
{
    tw_store_run *p = &rn->pub;
    if (p->dropped_ranges++ == 0 || from < p->dropped_first)
        p->dropped_first = from;
    if (to > p->dropped_last)
        p->dropped_last = to;
    if (!rn->drops) {
        rn->drops = tw_store_mem_calloc(s, NULL, MAX_DROP_RANGES + 1, sizeof *rn->drops);
        if (!rn->drops)
            return; /* the counts above stand; the chart just does not break there */
    }
    uint32_t i = 0; /* sorted by from: insert, then merge what touches */
    while (i < rn->n_drops && rn->drops[i].from < from)
        i++;
    memmove(rn->drops + i + 1, rn->drops + i, (rn->n_drops - i) * sizeof *rn->drops);
    rn->drops[i] = (tw_store_range){from, to};
    rn->n_drops++;
    if (i > 0 && rn->drops[i - 1].to >= (from ? from - 1 : 0))
        merge_next(rn, --i);
    while (i + 1 < rn->n_drops &&
           rn->drops[i + 1].from <=
               (rn->drops[i].to == UINT64_MAX ? UINT64_MAX : rn->drops[i].to + 1))
        merge_next(rn, i);
    if (rn->n_drops > MAX_DROP_RANGES) {
        uint32_t best = 0;
        for (uint32_t k = 1; k + 1 < rn->n_drops; k++)
            if (rn->drops[k + 1].from - rn->drops[k].to <
                rn->drops[best + 1].from - rn->drops[best].to)
                best = k;
        merge_next(rn, best);
    }
}

bool
tw_store_run_dropped_within(const tw_store_run *p, uint64_t lo, uint64_t hi)
{
    const run *rn = (const run *)p;
    if (!p || lo > hi)
        return false;
    for (uint32_t i = 0; i < rn->n_drops; i++)
        if (rn->drops[i].from <= hi && rn->drops[i].to >= lo)
            return true;
    return false;
}

void
tw_store_run_free_drops(tw_store *s, run *rn)
{
    tw_store_mem_free(s, NULL, rn->drops, rn->drops ? MAX_DROP_RANGES + 1 : 0, sizeof *rn->drops);
    rn->drops = NULL;
    rn->n_drops = 0;
}

size_t
tw_store_dropped_text(const tw_store_run *p, char *buf, size_t size)
{
    if (!buf || size == 0)
        return 0;
    buf[0] = '\0';
    if (!p || !p->counters.dropped_steps)
        return 0;
    unsigned long long n = p->counters.dropped_steps, first = p->dropped_first,
                       last = p->dropped_last;
    char where[96];
    if (first == last)
        snprintf(where, sizeof where, "step %llu", first);
    else
        snprintf(where, sizeof where, "steps %llu-%llu", first, last);
    if (p->dropped_ranges > 1)
        snprintf(where + strlen(where), sizeof where - strlen(where), ", %lu ranges",
                 (unsigned long)p->dropped_ranges);
    snprintf(buf, size,
             "per-step values dropped by the publisher in %llu step%s (%s; epoch values exact)", n,
             n == 1 ? "" : "s", where);
    return strlen(buf);
}
