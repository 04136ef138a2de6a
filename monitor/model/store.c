/* store.c - the store object: options, construction and teardown, memory accounting, store-wide
 * counters and the runs table (the design note is in store.h; the private layout in
 * store_impl.h). */
#include "store_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Memory, with accounting                                                                     */

void *
tw_store_mem_calloc(tw_store *s, size_t *owner, size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p) {
        s->bytes += n * size;
        if (owner)
            *owner += n * size;
    }
    return p;
}

/* Grows (or shrinks) an array from old_n to new_n elements, zeroing the new ones. */
void *
tw_store_mem_resize(tw_store *s, size_t *owner, void *p, size_t old_n, size_t new_n, size_t size)
{
    if (size && new_n > (size_t)-1 / size)
        return NULL;
    void *q = realloc(p, new_n ? new_n * size : 1);
    if (!q)
        return NULL;
    if (new_n > old_n)
        memset((char *)q + old_n * size, 0, (new_n - old_n) * size);
    s->bytes = s->bytes - old_n * size + new_n * size;
    if (owner)
        *owner = *owner - old_n * size + new_n * size;
    return q;
}

void
tw_store_mem_free(tw_store *s, size_t *owner, void *p, size_t n, size_t size)
{
    if (!p)
        return;
    free(p);
    s->bytes -= n * size;
    if (owner)
        *owner -= n * size;
}

/* ------------------------------------------------------------------------------------------ */
/* The store                                                                                   */

tw_store_options
tw_store_defaults(void)
{
    return (tw_store_options){.buckets = 1024,
                              .seq_intervals = 256,
                              .stall_beats = 3.0,
                              .vanish_beats = 10.0,
                              .default_heartbeat = 1.0,
                              .link_grace = 60.0,
                              .lag_seconds = 10.0,
                              .max_runs = 1024,
                              .max_ranks = 16384,
                              .max_series = 4096};
}

tw_store *
tw_store_new(const tw_store_options *opts)
{
    tw_store_options o = opts ? *opts : tw_store_defaults();
    if (o.buckets < 16 || o.buckets > (1u << 20) || o.buckets % 2 || o.seq_intervals < 8 ||
        o.seq_intervals > (1u << 20) || !(o.stall_beats > 0) ||
        !(o.vanish_beats >= o.stall_beats) || !(o.default_heartbeat > 0) ||
        !isfinite(o.vanish_beats) || !isfinite(o.default_heartbeat) || !(o.lag_seconds > 0) ||
        !isfinite(o.lag_seconds) || !(o.link_grace > 0) || !isfinite(o.link_grace) ||
        o.max_runs < 1 || o.max_runs > (1u << 20) || o.max_ranks < 1 ||
        o.max_ranks > TW_STORE_MAX_WORLD || o.max_series < 1 || o.max_series > (1u << 20)) {
        errno = EINVAL;
        return NULL;
    }
    tw_store *s = calloc(1, sizeof(*s));
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->o = o;
    s->bytes = sizeof(*s);
    const double w[TW_STORE_N_SMOOTH] = TW_STORE_SMOOTH_WEIGHTS;
    memcpy(s->weights, w, sizeof w);
    s->hole_keys = tw_store_mem_calloc(s, NULL, o.seq_intervals + 1, sizeof(uint64_t));
    s->hole_sorted = tw_store_mem_calloc(s, NULL, o.seq_intervals + 1, sizeof(uint64_t));
    if (!s->hole_keys || !s->hole_sorted) {
        tw_store_destroy(&s);
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

void
tw_store_destroy(tw_store **sp)
{
    if (!sp || !*sp)
        return;
    tw_store *s = *sp;
    for (size_t i = 0; i < s->n_runs; i++)
        tw_store_run_free(s, s->runs[i]);
    free(s->runs);
    free(s->aliases);
    free(s->hole_keys);
    free(s->hole_sorted);
    free(s->finals);
    free(s);
    *sp = NULL;
}

void
tw_store_count_rejected(tw_store *s, uint64_t n)
{
    if (!s || !n)
        return;
    s->rejected += n;
    s->changes++;
}

void
tw_store_settle(tw_store *s)
{
    if (!s || !s->n_live_dirty)
        return;
    for (size_t i = 0; i < s->n_runs; i++) {
        run *rn = s->runs[i];
        for (size_t k = 0; k < rn->pub.n_series; k++) {
            series *se = rn->series[k];
            if (se->live_dirty) {
                se->live_dirty = false;
                tw_store_series_live(se);
            }
        }
    }
    s->n_live_dirty = 0;
}

void
tw_store_defer_live(tw_store *s, bool on)
{
    if (!s)
        return;
    if (!on)
        tw_store_settle(s);
    s->defer_live = on;
}

uint64_t
tw_store_changes(const tw_store *s)
{
    return s ? s->changes : 0;
}

tw_store_over
tw_store_over_limits(const tw_store *s)
{
    tw_store_over z = {0};
    return s ? s->over : z;
}

uint64_t
tw_store_rejected(const tw_store *s)
{
    return s ? s->rejected : 0;
}

size_t
tw_store_bytes(const tw_store *s)
{
    return s ? s->bytes : 0;
}

size_t
tw_store_run_count(const tw_store *s)
{
    return s ? s->n_runs : 0;
}

const tw_store_run *
tw_store_run_at(const tw_store *s, size_t i)
{
    return s && i < s->n_runs ? &s->runs[i]->pub : NULL;
}

const tw_store_run *
tw_store_find_run(const tw_store *s, const char *id)
{
    if (!s || !id)
        return NULL;
    const run *rn = tw_store_run_lookup(s, id);
    return rn ? &rn->pub : NULL;
}
