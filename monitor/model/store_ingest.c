/* store_ingest.c - tw_store_ingest: checks a record's envelope and seq, then hands it to the
 * function for its type (RUN, METRIC, UPDATE, EPOCH, EPOCH_END, HEARTBEAT, RUN_END, DROPS). */
#include "store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Looks up a declared metric; NULL (counted) when undeclared. */
static mslot *
metric_of(run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    mslot *m = tw_store_inc_metric(c, r->metric_id);
    if (m)
        return m;
    BUMP(rn, rk, c, undeclared, 1);
    return NULL;
}

/* Finds the series a declaration names, checking that it agrees (kind, options, arguments,
 * state length), or creates it. NULL with *rc set when it disagrees or memory ran out. */
static series *
series_for(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, int *rc)
{
    series *se = (series *)tw_store_find_series(&rn->pub, r->name, r->split);
    if (se) {
        if (se->pub.kind != r->kind || se->pub.state_len != r->state_len ||
            !tw_wire_options_equal(&se->pub.options, &r->options) ||
            strcmp(se->pub.args, r->args) != 0) {
            BUMP(rn, rk, c, bad_decl, 1);
            *rc = -EBADMSG;
            return NULL;
        }
        if (!se->pub.goal_declared && r->goal != TW_GOAL_UNKNOWN) {
            se->pub.goal_declared = true;
            se->pub.goal = r->goal;
            tw_store_series_best_all(se);
        }
    } else {
        if (rn->pub.n_series >= s->o.max_series) {
            s->over.series++;
            s->changes++;
            *rc = -ENOSPC;
            return NULL;
        }
        if (rn->pub.n_series == rn->cap_series) {
            size_t cap = rn->cap_series ? 2 * rn->cap_series : 8;
            series **a =
                tw_store_mem_resize(s, NULL, rn->series, rn->cap_series, cap, sizeof(series *));
            if (!a) {
                *rc = -ENOMEM;
                return NULL;
            }
            rn->series = a;
            rn->cap_series = cap;
        }
        se = tw_store_series_new(s, rn, r);
        if (!se) {
            *rc = -ENOMEM;
            return NULL;
        }
        se->index = (uint32_t)rn->pub.n_series;
        rn->series[rn->pub.n_series++] = se;
    }
    *rc = 0;
    return se;
}

/* A metric whose result is a vector of 2 .. TW_STORE_MAX_PARTS values (F1 with average=None,
 * a threshold list, ...) also gets one series per value, "name[i]", whose slots follow m's:
 * the records of the metric update them all. Best effort: a name too long, or taken by
 * another metric, leaves the metric without them. */
static void
add_parts(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, mslot *m)
{
    if (r->kind == TW_WIRE_KIND_GAUGE)
        return;
    /* a metric of its own to count the values: the series' scratch metric waits for the first
     * state (a declaration costs a peer no memory that stays) */
    tw_metric *probe = tw_wire_metric_new(r->kind, &r->options, r->args);
    int n = probe ? tw_metric_result_vector(probe, NULL, 0) : 0;
    tw_metric_destroy(&probe);
    if (n < 2 || n > (int)TW_STORE_MAX_PARTS)
        return;
    tw_wire_record part = *r;
    for (int i = 0; i < n; i++) {
        int len = snprintf(part.name, sizeof part.name, "%s[%d]", r->name, i);
        if (len < 0 || (size_t)len >= sizeof part.name)
            break;
        /* the name is the user's own metric (or another's value): no blame on the peer */
        const tw_store_series *taken = tw_store_find_series(&rn->pub, part.name, part.split);
        if (taken && taken->component != i)
            break;
        int rc;
        series *ps = series_for(s, rn, rk, c, &part, &rc);
        if (!ps)
            break;
        ps->pub.component = i;
        mslot *slot = tw_store_slot_new(s, ps, c);
        if (!slot)
            break;
        m->next_part = slot;
        m = slot;
        if (rk->cur == c)
            ps->cur[c->slot] = slot;
    }
}

static int
on_metric(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    if (r->metric_id > TW_STORE_MAX_METRIC_ID ||
        !tw_wire_state_len_ok(r->kind, &r->options, r->args, r->state_len) ||
        r->split > TW_SPLIT_TEST || !r->name[0]) {
        BUMP(rn, rk, c, bad_decl, 1);
        return -EBADMSG;
    }
    const mslot *known = tw_store_inc_metric(c, r->metric_id);
    if (known) {
        const series *se = known->series;
        if (strcmp(se->pub.name, r->name) == 0 && se->pub.split == r->split)
            return 0; /* declared again (a replay): nothing new */
        BUMP(rn, rk, c, bad_decl, 1);
        return -EBADMSG;
    }
    int rc;
    series *se = series_for(s, rn, rk, c, r, &rc);
    if (!se)
        return rc;
    mslot *m = tw_store_slot_new(s, se, c);
    if (!m)
        return -ENOMEM;
    m->id = r->metric_id;
    if (tw_store_inc_metric_add(s, c, m) != 0) {
        tw_store_mem_free(s, &se->bytes, m, 1, sizeof(mslot));
        return -ENOMEM;
    }
    if (rk->cur == c)
        se->cur[c->slot] = m;
    add_parts(s, rn, rk, c, r, m);
    return 0;
}

/* UPDATE: a metric's cumulative state, into its series and its component series. */
static int
on_update(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    mslot *m = metric_of(rn, rk, c, r);
    tw_wire_state_rec x = tw_store_state_rec(r);
    return m ? tw_store_update_metric(s, rn, rk, c, &x, m) : -ENOENT;
}

/* EPOCH into one slot's series. */
static int
epoch_slot(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, double now,
           bool *changed, mslot *m)
{
    series *se = m->series;
    uint32_t len = se->pub.state_len, rr = c->slot;
    if (r->state_len != len || !r->state) {
        BUMP(rn, rk, c, bad_state, 1);
        return -EBADMSG;
    }
    int ready = tw_store_series_ready_counted(s, rn, rk, c, se);
    if (ready)
        return ready;
    bool found;
    size_t i = tw_store_point_find(se, r->epoch, &found);
    if (!found) {
        int rc = tw_store_point_insert(s, se, i, r->epoch, now);
        if (rc)
            return rc;
    }
    tw_store_point *pt = &se->points[i];
    ppriv *q = &se->pp[i];
    pslot *sl = &q->slots[rr];
    if (sl->inc && sl->inc != c) {
        if (!inc_newer(c, sl->inc))
            return 0; /* an older incarnation: superseded */
        if (pt->final) {
            int rc = tw_store_point_reset(s, se, i);
            if (rc)
                return rc;
            tw_store_series_best_all(se);
        }
    }
    if (pt->final) {
        if (sl->inc == c)
            return 0;                            /* already in */
        tw_store_point_add_late(s, se, i, c, r); /* a late rank of a final point */
    } else {
        double *dst = &q->states[(size_t)rr * len];
        if (sl->inc == c && sl->time == r->time && sl->step == r->step &&
            memcmp(dst, r->state, len * sizeof(double)) == 0) {
            tw_store_point_check(s, se, i);
            return 0; /* the same again */
        }
        memcpy(dst, r->state, len * sizeof(double));
        sl->inc = c;
        sl->time = r->time;
        sl->step = r->step;
        tw_store_point_recompute(se, i);
        tw_store_point_check(s, se, i);
    }
    tw_store_series_latest(se);
    *changed = true;
    return 0;
}

/* EPOCH: a rank's final state of an epoch, into the metric's series and its component
 * series. Idempotent. Sets *changed. */
static int
on_epoch(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, double now, bool *changed)
{
    mslot *m = metric_of(rn, rk, c, r);
    if (!m)
        return -ENOENT;
    int rc = 0;
    for (; m && rc == 0; m = m->next_part)
        rc = epoch_slot(s, rn, rk, c, r, now, changed, m);
    return rc;
}

static void
on_epoch_end(tw_store *s, run *rn, inc *c, const tw_wire_record *r, bool *changed)
{
    uint64_t e = r->epoch;
    if (e > c->closed_through) {
        c->closed_through = e;
        rn->closed_gen++; /* (tw_store_run_closed) */
        *changed = true;
    }
    /* steps per epoch, learned from consecutive closes of one incarnation */
    uint64_t learned = 0;
    if (c->last_close_epoch && c->last_close_epoch + 1 == e && r->step > c->last_close_step)
        learned = r->step - c->last_close_step;
    else if (e == 1 && r->step > 0)
        learned = r->step;
    if (e > c->last_close_epoch) {
        c->last_close_epoch = e;
        c->last_close_step = r->step;
    }
    if (learned && e >= rn->learned_epoch && rn->pub.steps_per_epoch_learned != learned) {
        rn->pub.steps_per_epoch_learned = learned;
        rn->learned_epoch = e;
        *changed = true;
    }
    *changed |= tw_store_run_check_points(s, rn);
}

/* Applies a record again that was already received: only the idempotent types do anything
 * (so that what coarsening of the seq set hid is still repaired by a replay). */
static void
reapply(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r, double now)
{
    bool changed = false;
    switch (r->type) {
    case TW_REC_METRIC:
        on_metric(s, rn, rk, c, r);
        break;
    case TW_REC_EPOCH:
        if (tw_store_inc_metric(c, r->metric_id) && r->epoch >= 1)
            on_epoch(s, rn, rk, c, r, now, &changed);
        break;
    case TW_REC_EPOCH_END:
        if (r->epoch >= 1)
            on_epoch_end(s, rn, c, r, &changed);
        break;
    default:
        break;
    }
}

/* tw_store_track_at from record r. */
static inline void
track_position(tw_store *s, run *rn, rank *rk, inc *c, const tw_wire_record *r)
{
    tw_store_track_at(s, rn, rk, c, (int)r->type, r->epoch, r->step, r->time);
}

/* Where a record goes: its run, rank and incarnation (created: by this record). */
typedef struct target {
    run *rn;
    rank *rk;
    inc *c;
    bool created;
} target;

/* Remembers header h, just placed at t, as s->hot. */
static void
hot_set(tw_store *s, const tw_wire_header *h, const target *t)
{
    s->hot.run_len = strnlen(h->run, sizeof h->run);
    s->hot.ok = s->hot.run_len < sizeof s->hot.run_id &&
                strnlen(h->join, sizeof h->join) < sizeof s->hot.join;
    if (!s->hot.ok)
        return;
    s->hot.rank_no = h->rank;
    s->hot.world = h->world;
    s->hot.incarnation = h->incarnation;
    s->hot.rn = t->rn;
    s->hot.rk = t->rk;
    s->hot.c = t->c;
    copy_str(s->hot.run_id, sizeof s->hot.run_id, h->run);
    copy_str(s->hot.join, sizeof s->hot.join, h->join);
}

/* Finds (or creates) the run, rank and incarnation of header h (first record r): a new run
 * id is a run of its own unless it resumes one (tw_store_run_join); a launch that started
 * after the run of its id ended is another run (tw_store_run_relaunch). Records whose world
 * differs from the run's are not merged into it: counted (world_changes) and refused. 0,
 * -ERANGE for a bad rank or world (counted), -ENOMEM. */
static int
ingest_locate(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, target *t)
{
    if (tw_store_hot_is(s, h)) {
        *t = (target){s->hot.rn, s->hot.rk, s->hot.c, false};
        s->last = t->rn;
        return 0;
    }
    uint32_t world = h->world >= 1 && h->world <= TW_STORE_MAX_WORLD ? h->world : 1;
    char later[TW_WIRE_MAX_NAME + 1] = "";
    run *rn = tw_store_run_lookup(s, h->run);
    int rc = 0;
    if (rn && !h->join[0])
        rn = tw_store_run_relaunch(s, rn, h, r, later, sizeof later);
    else if (!rn && world == h->world)
        rn = tw_store_run_join(s, h, r, &rc);
    if (rc)
        return rc;
    bool fresh = !rn;
    if (!rn && s->n_runs >= s->o.max_runs) {
        s->over.runs++;
        s->changes++;
        return -ENOSPC;
    }
    if (!rn && !(rn = tw_store_run_get(s, later[0] ? later : h->run, world)))
        return -ENOMEM;
    s->last = rn;
    if (fresh && h->join[0])
        copy_str(rn->join, sizeof rn->join, h->join);
    if (h->world == 0 || h->world > TW_STORE_MAX_WORLD || h->rank >= h->world) {
        rn->pub.counters.bad_rank++;
        s->changes++;
        return -ERANGE;
    }
    if (h->world != rn->pub.world) {
        rn->pub.counters.world_changes++;
        s->changes++;
        return -ERANGE;
    }
    bool full;
    rank *rk = tw_store_rank_get(s, rn, h->rank, &full);
    if (!rk && full) {
        s->over.ranks++;
        s->changes++;
        return -ENOSPC;
    }
    inc *c = rk ? tw_store_inc_get(s, rn, rk, h->incarnation, &t->created) : NULL;
    if (!c)
        return -ENOMEM;
    *t = (target){rn, rk, c, t->created};
    hot_set(s, h, t);
    return 0;
}

/* Checks the record's seq against the incarnation's seq set and counts it: 0 when it is new
 * (now marked received); -EALREADY for a duplicate (re-applied when idempotent); -ENOENT for
 * a state of an undeclared metric (not marked); -ENOMEM. */
static int
ingest_seq(tw_store *s, const target *t, const tw_wire_header *h, const tw_wire_record *r,
           double now)
{
    run *rn = t->rn;
    rank *rk = t->rk;
    inc *c = t->c;
    uint64_t gaps0 = c->seen.gaps;
    uint64_t rt = h->replay_through;
    if (rt > c->seen.excused)
        tw_store_seq_excuse(&c->seen, rt);
    bool next = seq_is_next(&c->seen, r->seq); /* (inline: not contained, appended below) */
    if (r->seq && !next && tw_store_seq_contains(&c->seen, r->seq)) {
        if (c->seen.gaps != gaps0)
            BUMP(rn, rk, c, gaps, c->seen.gaps - gaps0);
        BUMP(rn, rk, c, duplicates, 1);
        reapply(s, rn, rk, c, r, now);
        if (rk->cur == c)
            tw_store_rank_refresh(rk, s->o.default_heartbeat);
        s->changes++;
        return -EALREADY;
    }
    /* A state of a metric not declared yet is not taken (nor its seq marked as received): a
     * monitor joining a run gets live records before the publisher's replay, which brings
     * the declaration and these same records again. Never declared, its seq stays a gap. */
    if ((r->type == TW_REC_UPDATE || r->type == TW_REC_EPOCH) && r->seq &&
        !tw_store_inc_metric(c, r->metric_id)) {
        if (c->seen.gaps != gaps0) /* the message's replay mark excused some */
            BUMP(rn, rk, c, gaps, c->seen.gaps - gaps0);
        BUMP(rn, rk, c, undeclared, 1);
        return -ENOENT;
    }
    if (next)
        seq_append(&c->seen, r->seq);
    else if (r->seq && tw_store_seq_insert(s, &c->seen, r->seq) != 0)
        return -ENOMEM;
    if (c->seen.gaps != gaps0)
        BUMP(rn, rk, c, gaps, c->seen.gaps - gaps0);
    if (r->type == TW_REC_HEARTBEAT)
        BUMP(rn, rk, c, heartbeats, 1);
    else
        BUMP(rn, rk, c, records, 1);
    return 0;
}

/* Two incarnations of one rank that sent over the same span of publisher time for longer
 * than this are two processes claiming the rank, not a restart (the old process is gone
 * before the new one starts; the margin covers clocks of different hosts). */
#define CLAIM_OVERLAP 2.0

/* Checks incarnation c, just heard at publisher time tm, against the rank's others: one whose
 * records span the same time is another process claiming the rank. Both are counted once
 * (rank_conflicts) and the rank is marked; their states are never summed (the store only
 * ever merges a rank's newest incarnation). */
static void
check_claims(tw_store *s, const target *t, double tm)
{
    inc *c = t->c;
    if (c->first_time == 0 || tm < c->first_time)
        c->first_time = tm;
    for (uint32_t k = 0; k < t->rk->n_incs; k++) {
        inc *d = t->rk->incs[k];
        if (d == c || d->first_time == 0 || (c->conflict && d->conflict))
            continue;
        double lo = c->first_time > d->first_time ? c->first_time : d->first_time;
        double hi = c->last_time < d->last_time ? c->last_time : d->last_time;
        if (hi - lo <= CLAIM_OVERLAP)
            continue;
        if (!c->conflict)
            BUMP(t->rn, t->rk, c, rank_conflicts, 1);
        if (!d->conflict)
            BUMP(t->rn, t->rk, d, rank_conflicts, 1);
        c->conflict = d->conflict = true;
        t->rk->pub.claimed_twice = true;
        s->changes++;
    }
}

/* Notes that the incarnation was heard at `now` (and at the record's time, which may make it
 * older than thought); a new incarnation is weighed against the rank's others. Returns true
 * when the run's and ranks' states must be recomputed. */
static bool
ingest_heard(tw_store *s, const target *t, const tw_wire_record *r, double now)
{
    run *rn = t->rn;
    inc *c = t->c;
    c->last_heard = now;
    rn->pub.last_heard = now;
    if (r->time > 0 && r->type != TW_REC_RUN) {
        if (r->time > c->last_time)
            c->last_time = r->time;
        check_claims(s, t, r->time);
        if (!c->start_from_run && (c->start == 0 || r->time < c->start)) {
            c->start = r->time;
            if (!t->created)
                tw_store_rank_reselect(s, rn, t->rk);
        }
    }
    bool restate = t->rk->pub.state != TW_STATE_LIVE; /* this rank may come back to life */
    if (rn->pub.is_static) {
        rn->pub.is_static = false; /* a live record after the log: live again */
        restate = true;
    }
    if (t->created) {
        tw_store_rank_reselect(s, rn, t->rk);
        tw_store_marks_rebuild(s, rn);
        restate = true;
    }
    return restate;
}

/* RUN: its start time orders the incarnation among the rank's others; then identity. */
static int
on_run_record(tw_store *s, const target *t, const tw_wire_record *r, bool *changed)
{
    inc *c = t->c;
    if (r->time > t->rn->newest_start)
        t->rn->newest_start = r->time;
    if (r->time > 0 && (!c->start_from_run || c->start != r->time)) {
        c->start = r->time;
        c->start_from_run = true;
        tw_store_rank_reselect(s, t->rn, t->rk);
        tw_store_marks_rebuild(s, t->rn);
    }
    return tw_store_run_identity(s, t->rn, t->rk, c, r, changed);
}

/* Applies a new record by its type. Sets *restate when a rank's state may have changed. */
static int
ingest_apply(tw_store *s, const target *t, const tw_wire_record *r, double now, bool *restate)
{
    run *rn = t->rn;
    rank *rk = t->rk;
    inc *c = t->c;
    bool changed = false;
    bool position = r->epoch >= 1; /* UPDATE, EPOCH and EPOCH_END need an epoch */
    switch (r->type) {
    case TW_REC_RUN:
        return on_run_record(s, t, r, &changed);
    case TW_REC_METRIC:
        return on_metric(s, rn, rk, c, r);
    case TW_REC_UPDATE:
        if (position)
            track_position(s, rn, rk, c, r);
        return position ? on_update(s, rn, rk, c, r) : 0;
    case TW_REC_EPOCH:
        if (position)
            track_position(s, rn, rk, c, r);
        return position ? on_epoch(s, rn, rk, c, r, now, &changed) : 0;
    case TW_REC_EPOCH_END:
        if (position) {
            track_position(s, rn, rk, c, r);
            on_epoch_end(s, rn, c, r, &changed);
        }
        return 0;
    case TW_REC_HEARTBEAT:
        if (r->interval_ms > 0)
            c->hb = r->interval_ms / 1000.0;
        track_position(s, rn, rk, c, r);
        return 0;
    case TW_REC_RUN_END:
        c->ended = true;
        rn->closed_gen++;
        c->status = r->status;
        *restate = true;
        return 0;
    case TW_REC_DROPS:
        if (r->dropped > c->c.drops)
            BUMP(rn, rk, c, drops, r->dropped - c->c.drops);
        return 0;
    case TW_REC_GAP: /* steps step..to_step lost their per-step records (decoder: to >= step) */
        BUMP(rn, rk, c, dropped_steps, /* a range of every step counts them all */
             r->to_step - r->step == UINT64_MAX ? UINT64_MAX : r->to_step - r->step + 1);
        tw_store_run_add_drop(s, rn, r->step, r->to_step);
        return 0;
    default:
        return 0;
    }
}

int
tw_store_ingest(tw_store *s, const tw_wire_header *h, const tw_wire_record *r, double now)
{
    if (!s || !h || !r)
        return -EINVAL;
    int usual_rc;
    if (!s->o.general_path && tw_store_ingest_usual(s, h, r, now, &usual_rc))
        return usual_rc;
    target t = {0};
    int rc = ingest_locate(s, h, r, &t);
    if (rc == 0)
        rc = ingest_seq(s, &t, h, r, now);
    if (rc)
        return rc;
    uint64_t epoch0 = t.rn->pub.epoch, step0 = t.rn->pub.step;
    bool restate = ingest_heard(s, &t, r, now);
    rc = ingest_apply(s, &t, r, now, &restate);
    if (t.rk->cur == t.c)
        tw_store_rank_refresh(t.rk, s->o.default_heartbeat);
    if (restate)
        tw_store_run_update_state(s, t.rn, now);
    /* A heartbeat that moves nothing (an idle run) is not a visible change. */
    if (r->type != TW_REC_HEARTBEAT || restate || t.rn->pub.epoch != epoch0 ||
        t.rn->pub.step != step0)
        s->changes++;
    return rc;
}
