/* store_run.c - runs, ranks and incarnations: lookup and creation, growing the world, picking a
 * rank's newest incarnation, restart marks, position and step rate, teardown. */
#include "store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
tw_store_run_ended(const run *rn)
{
    if (rn->pub.is_static)
        return true;
    uint32_t known = 0;
    for (uint32_t k = 0; k < rn->n_ranks; k++) {
        const inc *c = rn->ranks[k]->cur;
        if (!c)
            continue;
        if (!c->ended)
            return false;
        known++;
    }
    return known > 0;
}

static void
rate_reset(run *rn)
{
    rn->rate_n = 0;
    rn->rate_head = 0;
    rn->pub.steps_per_sec = 0;
}

/* A new latest step of the run at publisher time t. */
void
tw_store_rate_push(run *rn, double t, uint64_t step)
{
    if (t <= 0)
        return;
    if (rn->rate_n) {
        uint32_t last = (rn->rate_head + RATE_RING - 1) % RATE_RING;
        if (t < rn->rate_t[last] + RATE_GAP)
            return;
    }
    rn->rate_t[rn->rate_head] = t;
    rn->rate_s[rn->rate_head] = step;
    rn->rate_head = (rn->rate_head + 1) % RATE_RING;
    if (rn->rate_n < RATE_RING)
        rn->rate_n++;
    /* the oldest sample within the window */
    for (uint32_t k = rn->rate_n; k-- > 1;) {
        uint32_t i = (rn->rate_head + RATE_RING - 1 - k) % RATE_RING;
        if (rn->rate_t[i] >= t - RATE_WIN && rn->rate_t[i] < t && rn->rate_s[i] <= step) {
            rn->pub.steps_per_sec = (double)(step - rn->rate_s[i]) / (t - rn->rate_t[i]);
            return;
        }
    }
}

/* Refreshes a rank's public view from its newest incarnation. */
void
tw_store_rank_refresh(rank *rk, double default_hb)
{
    const inc *c = rk->cur;
    if (!c)
        return;
    tw_store_rank *p = &rk->pub;
    p->heard = true;
    p->incarnation = c->id;
    p->incarnations = rk->n_incs;
    p->last_heard = c->last_heard;
    p->last_time = c->last_time;
    p->epoch = c->epoch;
    p->step = c->step;
    p->closed_epoch = c->closed_through;
    p->ended = c->ended;
    p->end_status = c->status;
    p->heartbeat_interval = c->hb > 0 ? c->hb : default_hb;
}

/* Rebuilds the run's restart marks (the first epoch of every incarnation but each rank's
 * oldest) and the points' restart flags. Returns 0 or -ENOMEM. */
int
tw_store_marks_rebuild(tw_store *s, run *rn)
{
    size_t n = 0, cap = 0;
    tw_store_mark *m = NULL;
    for (uint32_t r = 0; r < rn->n_ranks; r++) {
        rank *rk = rn->ranks[r];
        if (rk->n_incs < 2)
            continue;
        const inc *oldest = rk->incs[0];
        for (uint32_t k = 1; k < rk->n_incs; k++)
            if (inc_newer(oldest, rk->incs[k]))
                oldest = rk->incs[k];
        for (uint32_t k = 0; k < rk->n_incs; k++) {
            const inc *c = rk->incs[k];
            if (c == oldest || c->first_epoch == 0)
                continue;
            size_t j = 0;
            while (j < n && m[j].epoch != c->first_epoch)
                j++;
            if (j < n) {
                if (c->start > 0 && (m[j].time == 0 || c->start < m[j].time))
                    m[j].time = c->start;
                continue;
            }
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 4;
                tw_store_mark *nm = realloc(m, nc * sizeof(*nm));
                if (!nm) {
                    free(m);
                    return -ENOMEM;
                }
                m = nm;
                cap = nc;
            }
            m[n++] = (tw_store_mark){c->first_epoch, c->start};
        }
    }
    /* sort by epoch (few marks: insertion sort) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && m[j - 1].epoch > m[j].epoch; j--) {
            tw_store_mark t = m[j];
            m[j] = m[j - 1];
            m[j - 1] = t;
        }
    if (n == rn->pub.n_marks && (n == 0 || memcmp(m, rn->marks, n * sizeof(*m)) == 0)) {
        free(m);
        return 0;
    }
    if (n > rn->cap_marks) {
        tw_store_mark *nm = tw_store_mem_resize(s, NULL, rn->marks, rn->cap_marks, n, sizeof(*nm));
        if (!nm) {
            free(m);
            return -ENOMEM;
        }
        rn->marks = nm;
        rn->cap_marks = n;
    }
    if (n)
        memcpy(rn->marks, m, n * sizeof(*m));
    free(m);
    rn->pub.marks = rn->marks;
    rn->pub.n_marks = n;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        series *se = rn->series[k];
        for (size_t i = 0; i < se->pub.n_points; i++)
            se->points[i].restart = tw_store_run_has_mark(rn, se->points[i].epoch);
    }
    s->changes++;
    return 0;
}

/* The run's epoch and step over the newest incarnations. */
static void
run_position(run *rn)
{
    uint64_t e = 0, st = 0;
    for (uint32_t k = 0; k < rn->n_ranks; k++) {
        const inc *c = rn->ranks[k]->cur;
        if (!c)
            continue;
        if (c->epoch > e)
            e = c->epoch;
        if (c->step > st)
            st = c->step;
    }
    rn->pub.epoch = e;
    rn->pub.step = st;
}

/* Makes the newest incarnation of rank rk its current one; re-points the series. */
void
tw_store_rank_reselect(tw_store *s, run *rn, rank *rk)
{
    uint32_t r = rk->slot;
    inc *best = NULL;
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (!best || inc_newer(rk->incs[k], best))
            best = rk->incs[k];
    if (best == rk->cur)
        return;
    rk->cur = best;
    rn->closed_gen++; /* (tw_store_run_closed) */
    for (size_t k = 0; k < rn->pub.n_series; k++)
        rn->series[k]->cur[r] = NULL;
    for (uint32_t k = 0; k < best->map_len; k++)
        for (mslot *m = best->map[k]; m; m = m->next_part) /* the metric, its components */
            m->series->cur[r] = m;
    for (size_t k = 0; k < rn->pub.n_series; k++)
        tw_store_series_live(rn->series[k]);
    tw_store_rank_refresh(rk, s->o.default_heartbeat);
    run_position(rn);
    rate_reset(rn);
    tw_store_run_check_points(s, rn);
    s->changes++;
}

run *
tw_store_run_lookup(const tw_store *s, const char *id)
{
    if (s->last && strcmp(s->last->pub.id, id) == 0)
        return s->last;
    for (size_t i = 0; i < s->n_runs; i++)
        if (strcmp(s->runs[i]->pub.id, id) == 0)
            return s->runs[i];
    for (size_t i = 0; i < s->n_aliases; i++)
        if (strcmp(s->aliases[i].id, id) == 0)
            return s->aliases[i].rn;
    return NULL;
}

/* Makes id an alias of run rn. 0 or -ENOMEM. */
static int
alias_add(tw_store *s, const char *id, run *rn)
{
    if (s->n_aliases == s->cap_aliases) {
        size_t cap = s->cap_aliases ? 2 * s->cap_aliases : 4;
        alias *a = tw_store_mem_resize(s, NULL, s->aliases, s->cap_aliases, cap, sizeof(alias));
        if (!a)
            return -ENOMEM;
        s->aliases = a;
        s->cap_aliases = cap;
    }
    copy_str(s->aliases[s->n_aliases].id, sizeof s->aliases[0].id, id);
    s->aliases[s->n_aliases++].rn = rn;
    s->changes++;
    return 0;
}

/* Whether run rn has h's incarnation. */
static bool
has_inc(const run *rn, const tw_wire_header *h)
{
    const rank *rk = tw_store_rank_find(rn, h->rank);
    for (uint32_t k = 0; rk && k < rk->n_incs; k++)
        if (rk->incs[k]->id == h->incarnation)
            return true;
    return false;
}

/* Whether h's new incarnation, first heard at publisher time t, is a later launch that got run
 * rn's id (doc/protocol.md §5.1): its rank already had an incarnation in rn, and every rank rn
 * heard had ended (RUN_END) before t. A process killed without a RUN_END and started again is
 * a restart; a rank first heard after the others ended (ranks that never overlap) is one of
 * them. */
static bool
after_the_end(const run *rn, const tw_wire_header *h, double t)
{
    const rank *rk = tw_store_rank_find(rn, h->rank);
    if (t <= 0 || !rk || !rk->cur)
        return false;
    for (uint32_t k = 0; k < rn->n_ranks; k++) {
        const inc *c = rn->ranks[k]->cur;
        if (c && (!c->ended || c->last_time >= t))
            return false;
    }
    return true;
}

run *
tw_store_run_relaunch(tw_store *s, run *rn, const tw_wire_header *h, const tw_wire_record *r,
                      char *id, size_t idlen)
{
    enum { LAUNCHES_MAX = 100000 };
    run *found = rn;
    for (unsigned k = 2; found && !has_inc(found, h) && k < LAUNCHES_MAX; k++) {
        snprintf(id, idlen, "%.*s~%u", TW_WIRE_MAX_NAME - 8, h->run, k);
        found = tw_store_run_lookup(s, id);
    }
    id[0] = '\0';
    if (found) /* an incarnation placed already */
        return found;
    for (unsigned k = 2; k < LAUNCHES_MAX && after_the_end(rn, h, r->time); k++) {
        snprintf(id, idlen, "%.*s~%u", TW_WIRE_MAX_NAME - 8, h->run, k);
        if (!(rn = tw_store_run_lookup(s, id)))
            return NULL; /* the first launch after the last one seen: a run of its own, id */
    }
    id[0] = '\0';
    return rn;
}

run *
tw_store_run_join(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, int *err)
{
    run *best = NULL;
    *err = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        run *rn = s->runs[i];
        if (rn->pub.world != h->world)
            continue;
        if (h->join[0]) { /* resumed: the latest earlier run of that name */
            if (rn->have_run && strcmp(rn->pub.name, h->join) == 0 &&
                (!best || rn->newest_start > best->newest_start))
                best = rn;
        } else if (r->type == TW_REC_RUN && rn->join[0] && strcmp(rn->join, r->name) == 0 &&
                   r->time > 0 && r->time < rn->newest_start) {
            best = rn; /* the run that a resumed one, read first, waits for */
            rn->join[0] = '\0';
            break;
        }
    }
    if (best && (*err = alias_add(s, h->run, best)) != 0)
        return NULL;
    return best;
}

run *
tw_store_run_get(tw_store *s, const char *id, uint32_t world)
{
    run *rn = tw_store_run_lookup(s, id);
    if (rn) {
        s->last = rn;
        return rn;
    }
    if (s->n_runs == s->cap_runs) {
        size_t cap = s->cap_runs ? 2 * s->cap_runs : 8;
        run **runs = tw_store_mem_resize(s, NULL, s->runs, s->cap_runs, cap, sizeof(run *));
        if (!runs)
            return NULL;
        s->runs = runs;
        s->cap_runs = cap;
    }
    rn = tw_store_mem_calloc(s, NULL, 1, sizeof(run));
    if (!rn)
        return NULL;
    rn->pub.world = world; /* what it claims: nothing is sized by it */
    copy_str(rn->pub.id, sizeof rn->pub.id, id);
    rn->index = (uint32_t)s->n_runs;
    s->runs[s->n_runs++] = rn;
    s->last = rn;
    s->changes++;
    return rn;
}

mslot *
tw_store_inc_metric_search(const inc *c, uint32_t id)
{
    uint32_t lo = 0, hi = c->map_len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->map[mid]->id == id)
            return c->map[mid];
        if (c->map[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int
tw_store_inc_metric_add(tw_store *s, inc *c, mslot *m)
{
    if (c->map_len == c->map_cap) {
        uint32_t cap = c->map_cap ? 2 * c->map_cap : 8;
        mslot **map = tw_store_mem_resize(s, NULL, c->map, c->map_cap, cap, sizeof(mslot *));
        if (!map)
            return -ENOMEM;
        c->map = map;
        c->map_cap = cap;
    }
    uint32_t i = c->map_len;
    while (i > 0 && c->map[i - 1]->id > m->id) {
        c->map[i] = c->map[i - 1];
        i--;
    }
    c->map[i] = m;
    c->map_len++;
    return 0;
}

rank *
tw_store_rank_find(const run *rn, uint32_t r)
{
    uint32_t lo = 0, hi = rn->n_ranks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t v = rn->ranks[rn->order[mid]]->pub.rank;
        if (v == r)
            return rn->ranks[rn->order[mid]];
        if (v < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Grows every per-rank array of the run to cap slots: ranks and order, each series' cur and
 * each point's slots (and states while partial). 0 or -ENOMEM (what grew stays grown; the
 * capacity changes only when all did). */
static int
grow_ranks(tw_store *s, run *rn, uint32_t cap)
{
    uint32_t old = rn->cap_ranks;
    rank **rk = tw_store_mem_resize(s, NULL, rn->ranks, old, cap, sizeof(rank *));
    if (!rk)
        return -ENOMEM;
    rn->ranks = rk;
    uint32_t *ord = tw_store_mem_resize(s, NULL, rn->order, old, cap, sizeof(uint32_t));
    if (!ord)
        return -ENOMEM;
    rn->order = ord;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        series *se = rn->series[k];
        uint32_t len = se->pub.state_len;
        mslot **cur = tw_store_mem_resize(s, &se->bytes, se->cur, old, cap, sizeof(mslot *));
        if (!cur)
            return -ENOMEM;
        se->cur = cur;
        for (size_t i = 0; i < se->pub.n_points; i++) {
            ppriv *q = &se->pp[i];
            pslot *sl = tw_store_mem_resize(s, &se->bytes, q->slots, old, cap, sizeof(pslot));
            if (!sl)
                return -ENOMEM;
            q->slots = sl;
            if (q->states) {
                double *st = tw_store_mem_resize(s, &se->bytes, q->states, (size_t)old * len,
                                                 (size_t)cap * len, sizeof(double));
                if (!st)
                    return -ENOMEM;
                q->states = st;
            }
        }
    }
    rn->cap_ranks = cap;
    return 0;
}

rank *
tw_store_rank_get(tw_store *s, run *rn, uint32_t r, bool *full)
{
    *full = false;
    rank *rk = tw_store_rank_find(rn, r);
    if (rk)
        return rk;
    if (rn->n_ranks >= s->o.max_ranks) {
        *full = true;
        return NULL;
    }
    if (rn->n_ranks == rn->cap_ranks) {
        uint32_t cap = rn->cap_ranks ? 2 * rn->cap_ranks : 4;
        if (cap > rn->pub.world)
            cap = rn->pub.world > rn->n_ranks ? rn->pub.world : rn->n_ranks + 1;
        if (grow_ranks(s, rn, cap) != 0)
            return NULL;
    }
    rk = tw_store_mem_calloc(s, NULL, 1, sizeof(rank));
    if (!rk)
        return NULL;
    rk->pub.rank = r;
    rk->slot = rn->n_ranks;
    rn->ranks[rk->slot] = rk;
    uint32_t i = rn->n_ranks;
    while (i > 0 && rn->ranks[rn->order[i - 1]]->pub.rank > r) {
        rn->order[i] = rn->order[i - 1];
        i--;
    }
    rn->order[i] = rk->slot;
    rn->n_ranks++;
    rn->closed_gen++;
    s->changes++;
    return rk;
}

inc *
tw_store_inc_get(tw_store *s, run *rn, rank *rk, uint64_t id, bool *created)
{
    (void)rn;
    *created = false;
    if (rk->cur && rk->cur->id == id)
        return rk->cur;
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (rk->incs[k]->id == id)
            return rk->incs[k];
    if (rk->n_incs == rk->cap_incs) {
        uint32_t cap = rk->cap_incs ? 2 * rk->cap_incs : 2;
        inc **incs = tw_store_mem_resize(s, NULL, rk->incs, rk->cap_incs, cap, sizeof(inc *));
        if (!incs)
            return NULL;
        rk->incs = incs;
        rk->cap_incs = cap;
    }
    inc *c = tw_store_mem_calloc(s, NULL, 1, sizeof(inc));
    if (!c)
        return NULL;
    c->id = id;
    c->rank = rk->pub.rank;
    c->slot = rk->slot;
    c->order = ++s->inc_order;
    rk->incs[rk->n_incs++] = c;
    *created = true;
    return c;
}

void
tw_store_run_free(tw_store *s, run *rn)
{
    for (uint32_t r = 0; r < rn->n_ranks; r++) { /* the slots first: they count in series */
        rank *rk = rn->ranks[r];
        for (uint32_t k = 0; k < rk->n_incs; k++) {
            inc *c = rk->incs[k];
            for (uint32_t id = 0; id < c->map_len; id++) {
                for (mslot *m = c->map[id], *next; m; m = next) {
                    next = m->next_part;
                    series *se = m->series;
                    uint32_t len = se->pub.state_len;
                    tw_store_mem_free(s, &se->bytes, m->prev, len, sizeof(double));
                    tw_store_mem_free(s, &se->bytes, m->latest, len, sizeof(double));
                    tw_store_mem_free(s, &se->bytes, m, 1, sizeof(mslot));
                }
            }
            tw_store_mem_free(s, NULL, c->map, c->map_cap, sizeof(mslot *));
            tw_store_mem_free(s, NULL, c->seen.iv, c->seen.alloc, sizeof(seq_iv));
            tw_store_mem_free(s, NULL, c, 1, sizeof(inc));
        }
        tw_store_mem_free(s, NULL, rk->incs, rk->cap_incs, sizeof(inc *));
        tw_store_mem_free(s, NULL, rk, 1, sizeof(rank));
    }
    for (size_t k = 0; k < rn->pub.n_series; k++)
        tw_store_series_free(s, rn->series[k], rn->cap_ranks);
    tw_store_mem_free(s, NULL, rn->series, rn->cap_series, sizeof(series *));
    tw_store_mem_free(s, NULL, rn->ranks, rn->cap_ranks, sizeof(rank *));
    tw_store_mem_free(s, NULL, rn->order, rn->cap_ranks, sizeof(uint32_t));
    tw_store_mem_free(s, NULL, rn->marks, rn->cap_marks, sizeof(tw_store_mark));
    tw_store_run_free_drops(s, rn);
    tw_store_mem_free(s, NULL, rn->params, rn->pub.n_params, sizeof(tw_wire_param));
    tw_store_mem_free(s, NULL, rn, 1, sizeof(run));
}

const tw_store_rank *
tw_store_run_rank(const tw_store_run *p, uint32_t i)
{
    if (!p || i >= p->world)
        return NULL;
    const rank *rk = tw_store_rank_find((const run *)p, i);
    return rk ? &rk->pub : NULL;
}

uint32_t
tw_store_run_ranks_heard(const tw_store_run *p)
{
    return p ? ((const run *)p)->n_ranks : 0;
}

const tw_store_rank *
tw_store_run_rank_heard(const tw_store_run *p, uint32_t k)
{
    const run *rn = (const run *)p;
    return p && k < rn->n_ranks ? &rank_nth(rn, k)->pub : NULL;
}

uint64_t
tw_store_run_rank_missing(const tw_store_run *p, uint32_t k)
{
    const run *rn = (const run *)p;
    const inc *c = p && k < rn->n_ranks ? rank_nth(rn, k)->cur : NULL;
    return c ? c->seen.gaps : 0;
}

/* The labels of the runs named name: the name, with " #K" on the K-th run of that name
 * (K >= 2) in arrival order (index). Names may repeat; runs never merge by name. Every run of
 * the name is relabelled, as a run that learns its name late (its RUN record after other
 * records, or after later runs') comes before runs already labelled. */
static void
relabel(tw_store *s, const char *name)
{
    if (!name[0])
        return;
    unsigned k = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        tw_store_run *p = &s->runs[i]->pub;
        if (strcmp(p->name, name) != 0)
            continue;
        if (++k == 1)
            copy_str(p->label, sizeof p->label, p->name);
        else
            snprintf(p->label, sizeof p->label, "%s #%u", p->name, k);
    }
}

/* RUN: identity and parameters; see store_impl.h. */
int
tw_store_run_identity(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r,
                      bool *changed)
{
    if (r->time > 0 && (rn->pub.start_time == 0 || r->time < rn->pub.start_time)) {
        rn->pub.start_time = r->time;
        *changed = true;
    }
    bool take = !rn->have_run || c->rank == 0 || !rn->run_from_rank0;
    if (!take || rk->cur != c)
        return 0;
    tw_store_run *p = &rn->pub;
    bool same = rn->have_run && strcmp(p->name, r->name) == 0 && strcmp(p->host, r->host) == 0 &&
                strcmp(p->program, r->program) == 0 && p->pid == r->pid &&
                p->planned_epochs == r->planned_epochs &&
                p->steps_per_epoch == r->steps_per_epoch && p->n_params == r->n_params &&
                (r->n_params == 0 ||
                 memcmp(rn->params, r->params, r->n_params * sizeof(tw_wire_param)) == 0);
    if (same) {
        rn->run_from_rank0 |= c->rank == 0;
        return 0;
    }
    tw_wire_param *params = NULL;
    if (r->n_params) {
        params = tw_store_mem_calloc(s, NULL, r->n_params, sizeof(tw_wire_param));
        if (!params)
            return -ENOMEM;
        memcpy(params, r->params, r->n_params * sizeof(tw_wire_param));
    }
    tw_store_mem_free(s, NULL, rn->params, p->n_params, sizeof(tw_wire_param));
    rn->params = params;
    p->params = params;
    p->n_params = r->n_params;
    char was[sizeof p->name];
    copy_str(was, sizeof was, p->name);
    copy_str(p->name, sizeof p->name, r->name);
    if (strcmp(was, p->name) != 0) {
        p->label[0] = '\0';
        relabel(s, was); /* the runs after it of its old name move up */
        relabel(s, p->name);
    }
    copy_str(p->host, sizeof p->host, r->host);
    copy_str(p->program, sizeof p->program, r->program);
    p->pid = r->pid;
    p->planned_epochs = r->planned_epochs;
    p->steps_per_epoch = r->steps_per_epoch;
    rn->have_run = true;
    rn->run_from_rank0 |= c->rank == 0;
    *changed = true;
    return 0;
}
