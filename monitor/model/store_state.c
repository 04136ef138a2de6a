/* store_state.c - what runs and ranks are doing at a given time: live, stalled, vanished,
 * disconnected, ended or failed, with the reason; lagging epochs; the clock and the sources'
 * reports (process gone, a rank's connection up or down, run log read to its end). */
#include "store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *
tw_store_state_name(tw_store_state state)
{
    static const char *const names[] = {"live",  "stalled", "vanished",
                                        "ended", "failed",  "disconnected"};
    if ((unsigned)state >= sizeof names / sizeof names[0])
        return NULL;
    return names[state];
}

/* See store.h. */
bool
tw_store_state_open(tw_store_state state)
{
    return state == TW_STATE_LIVE || state == TW_STATE_STALLED || state == TW_STATE_DISCONNECTED;
}

/* The oldest epoch of a multi-rank run that has been partial for over lag_seconds at `now`
 * (0: none). Partial points are the newest few of each series: each is scanned from its end
 * to its last final point. */
static uint64_t
run_lag_epoch(const tw_store *s, const run *rn, double now)
{
    uint64_t lag = 0;
    if (rn->pub.world < 2 || tw_store_run_ended(rn) || rn->pub.is_static)
        return 0;
    for (size_t k = 0; k < rn->pub.n_series; k++) {
        const tw_store_series *se = &rn->series[k]->pub;
        for (size_t i = se->n_points; i-- > 0 && !se->points[i].final;) {
            const tw_store_point *p = &se->points[i];
            if ((p->ranks_in > 0 || p->ranks_closed > 0) &&
                now - p->first_seen > s->o.lag_seconds && (lag == 0 || p->epoch < lag))
                lag = p->epoch;
        }
    }
    return lag;
}

/* What the ranks of a run are doing, as run_update_state gathers it: how many are known and
 * ended, and the first rank (-1: none) in each state that names the run's reason. */
typedef struct state_tally {
    uint32_t known, ended;
    int failed, vanished, stalled, interrupted, no_end, cut, lost;
    bool gone;             /* the first vanished rank's process was seen gone */
    double vanished_after; /* seconds of silence that made it vanished */
    double stalled_after;  /* seconds of silence that made the first stalled rank stalled */
} state_tally;

/* The state of incarnation c (rank r's newest) at `now`; notes in t the first rank that
 * was interrupted, ended without a run-end, or lost its connection for too long. */
static tw_store_state
rank_state(const tw_store *s, const run *rn, const inc *c, uint32_t r, double now, state_tally *t)
{
    double hb = c->hb > 0 ? c->hb : s->o.default_heartbeat;
    if (c->ended) {
        if (c->status == TW_RUN_INTERRUPTED && t->interrupted < 0)
            t->interrupted = (int)r;
        return c->status == TW_RUN_FAILED ? TW_STATE_FAILED : TW_STATE_ENDED;
    }
    if (rn->pub.is_static) {
        if (t->no_end < 0)
            t->no_end = (int)r;
        return TW_STATE_ENDED;
    }
    if (c->vanished)
        return TW_STATE_VANISHED;
    if (c->disconnected && now - c->down_since <= s->o.link_grace)
        return TW_STATE_DISCONNECTED; /* silence explained: neither stalled nor vanished */
    if (c->disconnected) {
        if (t->lost < 0)
            t->lost = (int)r; /* down too long: the process may be gone */
        return TW_STATE_VANISHED;
    }
    if (now - c->last_heard > s->o.vanish_beats * hb)
        return TW_STATE_VANISHED;
    if (now - c->last_heard > s->o.stall_beats * hb)
        return TW_STATE_STALLED;
    return TW_STATE_LIVE;
}

/* Counts rank r (incarnation c) in state st into t. */
static void
tally_rank(const tw_store *s, state_tally *t, const inc *c, uint32_t r, tw_store_state st)
{
    double hb = c->hb > 0 ? c->hb : s->o.default_heartbeat;
    t->known++;
    if (st == TW_STATE_FAILED && t->failed < 0)
        t->failed = (int)r;
    if (st == TW_STATE_VANISHED && t->vanished < 0) {
        t->vanished = (int)r;
        t->gone = c->vanished;
        t->vanished_after = s->o.vanish_beats * hb;
    }
    if (st == TW_STATE_DISCONNECTED && t->cut < 0)
        t->cut = (int)r;
    if (st == TW_STATE_STALLED && t->stalled < 0) {
        t->stalled = (int)r;
        t->stalled_after = s->o.stall_beats * hb;
    }
    if (st == TW_STATE_ENDED || st == TW_STATE_FAILED)
        t->ended++;
}

/* The run's state from its ranks' tally, and the sentence naming why in reason ("" when
 * live or ended normally). */
static tw_store_state
run_state(const tw_store *s, const state_tally *t, char *reason, size_t size)
{
    reason[0] = '\0';
    if (t->failed >= 0) {
        snprintf(reason, size, "rank %d reported a failure", t->failed);
        return TW_STATE_FAILED;
    }
    if (t->known > 0 && t->ended == t->known) {
        if (t->no_end >= 0)
            snprintf(reason, size, "ended without a run-end record (crashed?)");
        else if (t->interrupted >= 0)
            snprintf(reason, size, "interrupted (rank %d)", t->interrupted);
        return TW_STATE_ENDED;
    }
    if (t->vanished >= 0) {
        if (t->gone)
            snprintf(reason, size, "rank %d vanished: its process is gone", t->vanished);
        else if (t->vanished == t->lost)
            snprintf(reason, size, "rank %d vanished: its connection has been down for over %.0f s",
                     t->vanished, s->o.link_grace);
        else
            snprintf(reason, size, "rank %d vanished: no record for over %.0f s", t->vanished,
                     t->vanished_after);
        return TW_STATE_VANISHED;
    }
    if (t->cut >= 0) {
        snprintf(reason, size, "rank %d disconnected: its network connection is down, reconnecting",
                 t->cut);
        return TW_STATE_DISCONNECTED;
    }
    if (t->stalled >= 0) {
        snprintf(reason, size, "rank %d stalled: no record for over %.1f s", t->stalled,
                 t->stalled_after);
        return TW_STATE_STALLED;
    }
    return TW_STATE_LIVE;
}

/* A run whose every heard rank ended while ranks of its world were never heard is not over
 * yet: those may still start (a launcher starts ranks at different times, and a publisher
 * announces itself at its first activity). It stays live, waiting for them, for stall_beats
 * default heartbeats; then it ended without them. Returns the run's state. */
static tw_store_state
unheard_ranks(const tw_store *s, run *rn, const state_tally *t, tw_store_state st, char *reason,
              size_t size, double now)
{
    if (st != TW_STATE_ENDED || rn->pub.is_static || rn->n_ranks >= rn->pub.world ||
        t->known == 0) {
        rn->heard_ended_at = 0;
        return st;
    }
    if (rn->heard_ended_at == 0)
        rn->heard_ended_at = now;
    uint32_t missing = rn->pub.world - rn->n_ranks;
    if (now - rn->heard_ended_at <= s->o.stall_beats * s->o.default_heartbeat) {
        snprintf(reason, size, "waiting for %u rank%s never heard", missing,
                 missing == 1 ? "" : "s");
        return TW_STATE_LIVE;
    }
    snprintf(reason, size, "ended without %u rank%s of its world (never heard)", missing,
             missing == 1 ? "" : "s");
    return TW_STATE_ENDED;
}

/* Adds "rank R claimed by two processes" to the reason when a rank was (the first such). */
static void
claims_reason(const run *rn, char *reason, size_t size)
{
    for (uint32_t k = 0; k < rn->n_ranks; k++) {
        const rank *rk = rank_nth(rn, k);
        if (!rk->pub.claimed_twice)
            continue;
        size_t n = strlen(reason);
        snprintf(reason + n, size - n, "%srank %u claimed by two processes (not summed)",
                 n ? "; " : "", rk->pub.rank);
        return;
    }
}

/* Computes rank and run states at `now`; true when anything visible changed. */
bool
tw_store_run_update_state(tw_store *s, run *rn, double now)
{
    bool changed = false;
    state_tally t = {.failed = -1,
                     .vanished = -1,
                     .stalled = -1,
                     .interrupted = -1,
                     .no_end = -1,
                     .cut = -1,
                     .lost = -1};
    for (uint32_t k = 0; k < rn->n_ranks; k++) { /* rank order: the reason names the lowest */
        rank *rk = rank_nth(rn, k);
        uint32_t r = rk->pub.rank;
        const inc *c = rk->cur;
        if (!c)
            continue;
        tw_store_state st = rank_state(s, rn, c, r, now, &t);
        tally_rank(s, &t, c, r, st);
        if (st != rk->pub.state) {
            rk->pub.state = st;
            changed = true;
        }
    }
    char reason[sizeof rn->pub.reason] = "";
    tw_store_state st = run_state(s, &t, reason, sizeof reason);
    st = unheard_ranks(s, rn, &t, st, reason, sizeof reason, now);
    claims_reason(rn, reason, sizeof reason);
    if (st != rn->pub.state || strcmp(reason, rn->pub.reason) != 0) {
        rn->pub.state = st;
        memcpy(rn->pub.reason, reason, sizeof reason);
        changed = true;
    }
    if (tw_store_run_ended(rn))
        changed |= tw_store_run_check_points(s, rn);
    uint64_t lag = run_lag_epoch(s, rn, now);
    if (lag != rn->pub.lag_epoch) {
        rn->pub.lag_epoch = lag;
        changed = true;
    }
    if (changed)
        s->changes++;
    return changed;
}

bool
tw_store_tick(tw_store *s, double now)
{
    if (!s)
        return false;
    bool changed = false;
    for (size_t i = 0; i < s->n_runs; i++)
        changed |= tw_store_run_update_state(s, s->runs[i], now);
    return changed;
}

int
tw_store_mark_vanished(tw_store *s, const char *id, uint32_t r, uint64_t incarnation, double now)
{
    if (!s || !id)
        return -EINVAL;
    run *rn = tw_store_run_lookup(s, id);
    rank *rk = rn ? tw_store_rank_find(rn, r) : NULL;
    if (!rk)
        return -ENOENT;
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (rk->incs[k]->id == incarnation) {
            if (!rk->incs[k]->vanished) {
                rk->incs[k]->vanished = true;
                s->changes++;
            }
            tw_store_run_update_state(s, rn, now);
            return 0;
        }
    return -ENOENT;
}

/* The incarnation `id` of rank r of run rn, or NULL. */
static inc *
rank_inc(const run *rn, uint32_t r, uint64_t id)
{
    const rank *rk = tw_store_rank_find(rn, r);
    if (!rk)
        return NULL;
    for (uint32_t k = 0; k < rk->n_incs; k++)
        if (rk->incs[k]->id == id)
            return rk->incs[k];
    return NULL;
}

int
tw_store_set_connected(tw_store *s, const char *id, uint32_t r, uint64_t incarnation,
                       bool connected, double now)
{
    if (!s || !id)
        return -EINVAL;
    run *rn = tw_store_run_lookup(s, id);
    if (!rn || r >= rn->pub.world)
        return -ENOENT;
    inc *c = rank_inc(rn, r, incarnation);
    if (!c)
        return -ENOENT;
    if (c->disconnected == !connected || (!connected && c->ended))
        return 0;
    c->disconnected = !connected;
    if (!connected)
        c->down_since = now;
    s->changes++;
    tw_store_run_update_state(s, rn, now);
    return 1;
}

int
tw_store_mark_static(tw_store *s, const char *id, double now)
{
    if (!s || !id)
        return -EINVAL;
    run *rn = tw_store_run_lookup(s, id);
    if (!rn)
        return -ENOENT;
    if (!rn->pub.is_static) {
        rn->pub.is_static = true;
        s->changes++;
    }
    tw_store_run_update_state(s, rn, now);
    return 0;
}

size_t
tw_store_epoch_laggards(const tw_store_run *p, uint64_t epoch, uint32_t *ranks, size_t cap)
{
    if (!p)
        return 0;
    const run *rn = (const run *)p;
    size_t n = 0;
    if (tw_store_run_ended(rn))
        return 0;
    /* in rank order: the heard ranks that have not closed it and the ranks never heard (a
     * world of 65536 claimed by one rank costs nothing: past the last heard rank and the
     * caller's capacity the rest is counted, not walked) */
    uint32_t k = 0;
    for (uint32_t r = 0; r < p->world; r++) {
        if (k == rn->n_ranks && (!ranks || n >= cap)) {
            n += p->world - r;
            break;
        }
        const rank *rk = k < rn->n_ranks ? rank_nth(rn, k) : NULL;
        if (rk && rk->pub.rank == r) {
            k++;
            if (tw_store_rank_closed(rk, epoch))
                continue;
        }
        if (ranks && n < cap)
            ranks[n] = r;
        n++;
    }
    return n;
}

size_t
tw_store_lag_text(const tw_store_run *p, char *buf, size_t size)
{
    uint32_t lag[8];
    size_t n, len;
    int k;

    if (!buf || size == 0)
        return 0;
    buf[0] = '\0';
    if (!p || !p->lag_epoch)
        return 0;
    n = tw_store_epoch_laggards(p, p->lag_epoch, lag, sizeof lag / sizeof lag[0]);
    if (n == 0)
        return 0;
    k = snprintf(buf, size, "epoch %llu is partial: waiting for rank%s",
                 (unsigned long long)p->lag_epoch, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < sizeof lag / sizeof lag[0] && k >= 0 && (size_t)k < size; i++)
        k += snprintf(buf + k, size - (size_t)k, "%s %u", i ? "," : "", lag[i]);
    if (n > sizeof lag / sizeof lag[0] && k >= 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, " and %zu more", n - sizeof lag / sizeof lag[0]);
    len = strlen(buf);
    return len;
}
