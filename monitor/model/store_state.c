/* store_state.c - what runs and ranks are doing at a given time: live, stalled, vanished,
 * disconnected, ended or failed, with the reason; lagging epochs; the clock and the sources'
 * reports (process gone, connection up or down, run log read to its end). */
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

/* Computes rank and run states at `now`; true when anything visible changed. */
bool
tw_store_run_update_state(tw_store *s, run *rn, double now)
{
    bool changed = false;
    uint32_t known = 0, ended = 0;
    int failed = -1, vanished = -1, stalled = -1, interrupted = -1, no_end = -1, cut = -1,
        lost = -1;
    bool gone = false;
    double vanished_after = 0, stalled_after = 0;
    for (uint32_t r = 0; r < rn->pub.world; r++) {
        rank *rk = &rn->ranks[r];
        const inc *c = rk->cur;
        if (!c)
            continue;
        known++;
        double hb = c->hb > 0 ? c->hb : s->o.default_heartbeat;
        tw_store_state st;
        if (c->ended) {
            st = c->status == TW_RUN_FAILED ? TW_STATE_FAILED : TW_STATE_ENDED;
            if (c->status == TW_RUN_INTERRUPTED && interrupted < 0)
                interrupted = (int)r;
        } else if (rn->pub.is_static) {
            st = TW_STATE_ENDED;
            if (no_end < 0)
                no_end = (int)r;
        } else if (c->vanished) {
            st = TW_STATE_VANISHED;
        } else if (c->disconnected && now - c->down_since <= s->o.link_grace) {
            st = TW_STATE_DISCONNECTED; /* silence explained: neither stalled nor vanished */
        } else if (c->disconnected) {
            st = TW_STATE_VANISHED; /* down too long: the process may be gone */
            if (lost < 0)
                lost = (int)r;
        } else if (now - c->last_heard > s->o.vanish_beats * hb) {
            st = TW_STATE_VANISHED;
        } else if (now - c->last_heard > s->o.stall_beats * hb) {
            st = TW_STATE_STALLED;
        } else {
            st = TW_STATE_LIVE;
        }
        if (st == TW_STATE_FAILED && failed < 0)
            failed = (int)r;
        if (st == TW_STATE_VANISHED && vanished < 0) {
            vanished = (int)r;
            gone = c->vanished;
            vanished_after = s->o.vanish_beats * hb;
        }
        if (st == TW_STATE_DISCONNECTED && cut < 0)
            cut = (int)r;
        if (st == TW_STATE_STALLED && stalled < 0) {
            stalled = (int)r;
            stalled_after = s->o.stall_beats * hb;
        }
        if (st == TW_STATE_ENDED || st == TW_STATE_FAILED)
            ended++;
        if (st != rk->pub.state) {
            rk->pub.state = st;
            changed = true;
        }
    }
    tw_store_state st = TW_STATE_LIVE;
    char reason[sizeof rn->pub.reason] = "";
    if (failed >= 0) {
        st = TW_STATE_FAILED;
        snprintf(reason, sizeof reason, "rank %d reported a failure", failed);
    } else if (known > 0 && ended == known) {
        st = TW_STATE_ENDED;
        if (no_end >= 0)
            snprintf(reason, sizeof reason, "ended without a run-end record (crashed?)");
        else if (interrupted >= 0)
            snprintf(reason, sizeof reason, "interrupted (rank %d)", interrupted);
    } else if (vanished >= 0) {
        st = TW_STATE_VANISHED;
        if (gone)
            snprintf(reason, sizeof reason, "rank %d vanished: its process is gone", vanished);
        else if (vanished == lost)
            snprintf(reason, sizeof reason,
                     "rank %d vanished: its connection has been down for over %.0f s", vanished,
                     s->o.link_grace);
        else
            snprintf(reason, sizeof reason, "rank %d vanished: no record for over %.0f s", vanished,
                     vanished_after);
    } else if (cut >= 0) {
        st = TW_STATE_DISCONNECTED;
        snprintf(reason, sizeof reason,
                 "rank %d disconnected: its network connection is down, reconnecting", cut);
    } else if (stalled >= 0) {
        st = TW_STATE_STALLED;
        snprintf(reason, sizeof reason, "rank %d stalled: no record for over %.1f s", stalled,
                 stalled_after);
    }
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
    if (!rn || r >= rn->pub.world)
        return -ENOENT;
    rank *rk = &rn->ranks[r];
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

int
tw_store_set_link(tw_store *s, const tw_wire_header *h, uint64_t link, double now)
{
    if (!s || !h || !link)
        return -EINVAL;
    run *rn = tw_store_run_lookup(s, h->run);
    if (!rn || h->rank >= rn->pub.world)
        return -ENOENT;
    rank *rk = &rn->ranks[h->rank];
    for (uint32_t k = 0; k < rk->n_incs; k++) {
        inc *c = rk->incs[k];
        if (c->id != h->incarnation)
            continue;
        if (c->link == link)
            return 0;
        c->link = link;
        if (c->disconnected) {
            c->disconnected = false;
            s->changes++;
            tw_store_run_update_state(s, rn, now);
        }
        return 0;
    }
    return -ENOENT;
}

size_t
tw_store_link_down(tw_store *s, uint64_t link, double now)
{
    size_t marked = 0;
    for (size_t i = 0; s && link && i < s->n_runs; i++) {
        run *rn = s->runs[i];
        bool any = false;
        for (uint32_t r = 0; r < rn->pub.world; r++) {
            rank *rk = &rn->ranks[r];
            for (uint32_t k = 0; k < rk->n_incs; k++) {
                inc *c = rk->incs[k];
                if (c->link != link || c->disconnected || c->ended)
                    continue;
                c->disconnected = true;
                c->down_since = now;
                any = true;
                marked++;
            }
        }
        if (any) {
            s->changes++;
            tw_store_run_update_state(s, rn, now);
        }
    }
    return marked;
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
    for (uint32_t r = 0; r < p->world; r++) {
        if (tw_store_rank_closed(rn, r, epoch))
            continue;
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
