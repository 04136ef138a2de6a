/* store_finals.c - the store's finals: every epoch value that became final, numbered, kept
 * for readers that each hold a cursor until they let them go (the contract is in store.h). */
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
    s->finals[s->n_finals] = (tw_store_final){.seq = s->finals_first + s->n_finals,
                                              .run = &se->run->pub,
                                              .series = &se->pub,
                                              .epoch = pt->epoch,
                                              .value = pt->value,
                                              .ranks_in = pt->ranks_in,
                                              .run_index = se->run->index,
                                              .series_index = se->index,
                                              .again = again};
    s->n_finals++;
}

uint64_t
tw_store_finals(const tw_store *s)
{
    return s ? s->finals_first + s->n_finals : 0;
}

uint64_t
tw_store_finals_first(const tw_store *s)
{
    return s ? s->finals_first : 0;
}

size_t
tw_store_finals_since(const tw_store *s, uint64_t *cursor, tw_store_final *out, size_t max)
{
    if (!s || !cursor || !out || *cursor >= tw_store_finals(s))
        return 0;
    if (*cursor < s->finals_first)
        *cursor = s->finals_first; /* those were let go */
    size_t at = (size_t)(*cursor - s->finals_first), n = s->n_finals - at;
    if (n > max)
        n = max;
    memcpy(out, &s->finals[at], n * sizeof(*out));
    *cursor += n;
    return n;
}

void
tw_store_finals_trim(tw_store *s, uint64_t upto)
{
    if (!s)
        return;
    if (upto > tw_store_finals(s))
        upto = tw_store_finals(s);
    if (upto > s->finals_mark)
        s->finals_mark = upto;
    size_t drop = (size_t)(s->finals_mark - s->finals_first);
    if (drop == 0 || 2 * drop < s->n_finals)
        return; /* compacting costs the entries kept: wait until they are at most as many */
    memmove(s->finals, s->finals + drop, (s->n_finals - drop) * sizeof(*s->finals));
    s->n_finals -= drop;
    s->finals_first += drop;
    if (s->cap_finals > 256 && s->n_finals < s->cap_finals / 4) { /* give memory back */
        size_t cap = s->cap_finals / 2;
        tw_store_final *f = tw_store_mem_resize(s, NULL, s->finals, s->cap_finals, cap, sizeof(*f));
        if (f) {
            s->finals = f;
            s->cap_finals = cap;
        }
    }
}

uint64_t
tw_store_finals_lost(const tw_store *s)
{
    return s ? s->finals_lost : 0;
}
