/* reserve.h - growing a heap array to hold n elements (the model's and the view's scratch
 * arrays: chart columns, frame series, alert values). Header-only; included by .c files. */
#ifndef TW_RESERVE_H
#define TW_RESERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Grows the array *p (capacity *cap elements of `size` bytes, > 0) to hold at least n
 * elements: nothing to do when n <= *cap, else the capacity doubles from 64 (or from *cap)
 * until it holds n, and *p is realloc'ed. Returns true on success; false when n * size would
 * not fit a size_t or realloc fails, with *p and *cap unchanged (the old array still valid,
 * still owned by the caller). The new elements are not initialised. Not thread-safe on one
 * array. */
static inline bool
tw_reserve(void **p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return true;
    if (size == 0 || n > SIZE_MAX / size)
        return false;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c = c > SIZE_MAX / 2 ? n : c * 2;
    if (c > SIZE_MAX / size)
        c = n; /* doubling overshot what fits: exactly n does */
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

#endif
