/* history.c - a track's per-step history (history.h). */
#include "history.h"

#include <string.h>

/* splitmix64's finaliser: a well-mixed 64-bit value of x. */
static uint64_t
mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void
tw_history_init(tw_history *h, void *base, size_t size, size_t cap, uint64_t seed, size_t index)
{
    uint64_t x = mix(seed + 0x9e3779b97f4a7c15ull * (index + 1));
    size_t per_page = size && size < TW_HISTORY_PAGE ? TW_HISTORY_PAGE / size : 1;
    size_t spread = cap / 8; /* full: cap - 2k, k < cap / 8 */
    *h = (tw_history){.base = base, .size = size, .cap = cap};
    h->ahead = 1 + (size_t)(x % per_page);
    h->full = (cap & ~(size_t)1) - 2 * (spread ? (size_t)(mix(x) % spread) : 0);
    tw_history_touch(h, 0);
}

void
tw_history_touch(tw_history *h, size_t n)
{
    if (n >= h->cap)
        return;
    size_t from = h->touched > n ? h->touched : n;
    size_t to = h->ahead <= h->cap - n - 1 ? n + 1 + h->ahead : h->cap;
    if (from >= to)
        return;
    /* offsets from the page the array begins in, so no pointer goes past the array */
    uintptr_t start = (uintptr_t)h->base, skew = start % TW_HISTORY_PAGE;
    for (size_t off = from * h->size; off < to * h->size;) {
        *(volatile char *)(start + off) = 0; /* a point not yet written: it is zero already */
        off = ((skew + off) / TW_HISTORY_PAGE + 1) * TW_HISTORY_PAGE - skew;
    }
    h->touched = to;
}

void *
tw_history_next(tw_history *h)
{
    char *b = h->base;
    if (h->n >= h->full) {
        for (size_t i = 0; i < h->n / 2; i++)
            memcpy(b + i * h->size, b + (2 * i + 1) * h->size, h->size);
        h->n /= 2;
    }
    tw_history_touch(h, h->n);
    return b + h->n++ * h->size;
}
