/* keyhash.h - the keyed hash of the program's tables whose keys come from the network (run
 * id, incarnation, rank, metric id): seeded per table at random, so that a peer cannot
 * precompute keys that all land in one chain of a linear-probing table. */
#ifndef TW_KEYHASH_H
#define TW_KEYHASH_H

#include <stdint.h>
#include <sys/random.h>
#include <time.h>

/* A 64-bit mix (splitmix64's finalizer). */
static inline uint64_t
tw_keyhash_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A fresh seed: from getrandom, else from the clock and the address of a local. */
static inline uint64_t
tw_keyhash_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (long)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = tw_keyhash_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                              (uint64_t)(uintptr_t)&seed);
    }
    return seed;
}

/* The hash of (s, a, b) under seed: FNV-1a over the string from a seeded basis, the two
 * numbers mixed in. */
static inline uint64_t
tw_keyhash(uint64_t seed, const char *s, uint64_t a, uint64_t b)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return tw_keyhash_mix(h ^ tw_keyhash_mix(a ^ seed) ^ tw_keyhash_mix(b + seed));
}

#endif
