/* store_finals.c - the store's finals: every epoch value that became final, numbered, kept
 * for readers that each hold a cursor (the contract is in store.h). */
#include "store_impl.h"

#include <string.h>

void
tw_store_finals_push(tw_store *s, const series *se, const tw_store_point *pt, bool again)
{
    if (s->n_finals == s->cap_finals) {
        size_t cap = s->cap_finals ? 2 * s->cap_finals : 64;
        tw_store_final *f = tw_store_mem_resize(s, NULL, s->finals, s->cap_finals, cap, sizeof(*f));
        if (!f) {
            s->finals_lost++;
            return;
        }
        s->finals = f;
        s->cap_finals = cap;
    }
    s->finals[s->n_finals] = (tw_store_final){.seq = s->n_finals,
                                              .run = &se->run->pub,
                                              .series = &se->pub,
                                              .epoch = pt->epoch,
                                              .value = pt->value,
                                              .ranks_in = pt->ranks_in,
                                              .again = again};
    s->n_finals++;
}

uint64_t
tw_store_finals(const tw_store *s)
{
    return s ? s->n_finals : 0;
}

size_t
tw_store_finals_since(const tw_store *s, uint64_t *cursor, tw_store_final *out, size_t max)
{
    if (!s || !cursor || !out || *cursor >= s->n_finals)
        return 0;
    size_t n = s->n_finals - (size_t)*cursor;
    if (n > max)
        n = max;
    memcpy(out, &s->finals[*cursor], n * sizeof(*out));
    *cursor += n;
    return n;
}

uint64_t
tw_store_finals_lost(const tw_store *s)
{
    return s ? s->finals_lost : 0;
}
