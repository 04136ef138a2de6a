/* history.c - the first touches of a track's per-step history (history.h). */
#include "history.h"

#include <string.h>

size_t
tw_history_ahead(uint64_t seed, size_t index, size_t point_size)
{
    size_t per_page = point_size && point_size < TW_HISTORY_PAGE ? TW_HISTORY_PAGE / point_size : 1;
    uint64_t x = seed + 0x9e3779b97f4a7c15ull * (index + 1); /* splitmix64's finaliser */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return 1 + (size_t)(x % per_page);
}

void
tw_history_touch(void *base, size_t point_size, size_t cap, size_t n, size_t ahead, size_t *touched)
{
    if (n >= cap)
        return;
    size_t from = *touched > n ? *touched : n;
    size_t to = ahead <= cap - n - 1 ? n + 1 + ahead : cap;
    if (from >= to)
        return;
    char *b = base, *end = b + to * point_size;
    for (char *a = b + from * point_size; a < end;) {
        *(volatile char *)a = 0; /* a point not yet written: it is zero already */
        uintptr_t next = ((uintptr_t)a / TW_HISTORY_PAGE + 1) * TW_HISTORY_PAGE;
        a += next - (uintptr_t)a;
    }
    *touched = to;
}

void *
tw_history_next(void *base, size_t point_size, size_t cap, size_t *n, size_t ahead, size_t *touched)
{
    char *b = base;
    if (*n >= cap) {
        for (size_t i = 0; i < cap / 2; i++)
            memcpy(b + i * point_size, b + (2 * i + 1) * point_size, point_size);
        *n = cap / 2;
    }
    tw_history_touch(base, point_size, cap, *n, ahead, touched);
    return b + (*n)++ * point_size;
}
