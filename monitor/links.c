/* links.c - the map from connection ids to the rank-incarnations they carried, telling the
 * store which ranks are connected (links.h). An open-addressing hash table, linear probing,
 * no deletion. */
#include "links.h"
#include "keyhash.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LINKS_FIRST 64 /* slots of the first table; it doubles when half full */

/* A rank-incarnation and the connection its newest live records came over (0: empty slot). */
typedef struct entry {
    char run[TW_WIRE_MAX_NAME + 1];
    uint32_t rank;
    uint64_t incarnation;
    uint64_t link;
} entry;

struct tw_links {
    tw_store *store;
    entry *slots;
    size_t cap, n; /* cap is 0 or a power of two */
    size_t last;   /* the slot of the last record's rank (a message's records share it) */
    uint64_t seed; /* of the hash */
};

tw_links *
tw_links_new(tw_store *store)
{
    if (!store) {
        errno = EINVAL;
        return NULL;
    }
    tw_links *l = calloc(1, sizeof(*l));
    if (!l) {
        errno = ENOMEM;
        return NULL;
    }
    l->store = store;
    l->seed = tw_keyhash_seed();
    return l;
}

void
tw_links_destroy(tw_links **lp)
{
    if (!lp || !*lp)
        return;
    free((*lp)->slots);
    free(*lp);
    *lp = NULL;
}

/* Whether slot e holds the key. */
static bool
key_is(const entry *e, const char *run, uint32_t rank, uint64_t incarnation)
{
    return e->link && e->rank == rank && e->incarnation == incarnation && strcmp(e->run, run) == 0;
}

/* The slot of the key, or of the empty slot where it would go (cap must be non-zero). */
static size_t
find_slot(const entry *slots, size_t cap, uint64_t seed, const char *run, uint32_t rank,
          uint64_t incarnation)
{
    size_t i = (size_t)tw_keyhash(seed, run, rank, incarnation) & (cap - 1);
    while (slots[i].link && !key_is(&slots[i], run, rank, incarnation))
        i = (i + 1) & (cap - 1);
    return i;
}

/* Doubles the table when it is half full. Returns 0 or -ENOMEM (the table as it was). */
static int
grow(tw_links *l)
{
    if (l->cap && 2 * (l->n + 1) <= l->cap)
        return 0;
    size_t cap = l->cap ? 2 * l->cap : LINKS_FIRST;
    entry *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < l->cap; i++) {
        const entry *e = &l->slots[i];
        if (e->link)
            slots[find_slot(slots, cap, l->seed, e->run, e->rank, e->incarnation)] = *e;
    }
    free(l->slots);
    l->slots = slots;
    l->cap = cap;
    l->last = 0;
    return 0;
}

int
tw_links_record(tw_links *l, const tw_wire_header *h, uint64_t link, double now)
{
    if (!l || !h || !link)
        return -EINVAL;
    size_t i = l->last;
    if (!(l->cap && key_is(&l->slots[i], h->run, h->rank, h->incarnation))) {
        if (grow(l) != 0)
            return -ENOMEM;
        i = find_slot(l->slots, l->cap, l->seed, h->run, h->rank, h->incarnation);
    }
    entry *e = &l->slots[i];
    if (e->link == link) {
        l->last = i;
        return 0;
    }
    int rc = tw_store_set_connected(l->store, h->run, h->rank, h->incarnation, true, now);
    if (rc < 0)
        return rc == -ENOENT ? 0 : rc; /* a rank the store does not know: nothing kept */
    if (!e->link) {
        memcpy(e->run, h->run, sizeof e->run);
        e->run[sizeof e->run - 1] = '\0';
        e->rank = h->rank;
        e->incarnation = h->incarnation;
        l->n++;
    }
    e->link = link;
    l->last = i;
    return rc;
}

size_t
tw_links_down(tw_links *l, uint64_t link, double now)
{
    size_t changed = 0;
    for (size_t i = 0; l && link && i < l->cap; i++) {
        const entry *e = &l->slots[i];
        if (e->link == link &&
            tw_store_set_connected(l->store, e->run, e->rank, e->incarnation, false, now) > 0)
            changed++;
    }
    return changed;
}

size_t
tw_links_carried(const tw_links *l, uint64_t link)
{
    size_t n = 0;
    for (size_t i = 0; l && link && i < l->cap; i++)
        n += l->slots[i].link == link;
    return n;
}

size_t
tw_links_count(const tw_links *l)
{
    return l ? l->n : 0;
}
