/* test_store.c - the monitor's store: merging ranks, epochs, duplicates, gaps, buckets, states. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* A simulated publisher: one rank-incarnation, numbering its records                          */

#define MAX_STATE 8

/* A record as ingested, kept for replays. */
typedef struct logged {
    tw_wire_header h;
    tw_wire_record r;
    double state[MAX_STATE];
} logged;

typedef struct pubsim {
    tw_store *s;
    tw_wire_header h;
    uint64_t seq;
    double now;
    logged *log; /* when not NULL, every record is appended here */
    size_t *n_log, cap_log;
    const char *name; /* the RUN record's name; NULL: "mlp" */
} pubsim;

static void
ps_init(pubsim *p, tw_store *s, const char *run, uint64_t inc, uint32_t rank, uint32_t world)
{
    memset(p, 0, sizeof *p);
    p->s = s;
    p->h.version = 1;
    snprintf(p->h.run, sizeof p->h.run, "%s", run);
    p->h.incarnation = inc;
    p->h.rank = rank;
    p->h.world = world;
    p->now = 1000.0;
}

/* Numbers the record (unless it has a seq), logs it and ingests it. */
static int
ps_ingest(pubsim *p, tw_wire_record *r)
{
    if (!r->seq)
        r->seq = ++p->seq;
    if (p->log) {
        logged *l = &p->log[(*p->n_log)++];
        l->h = p->h;
        l->r = *r;
        if (r->state) {
            memcpy(l->state, r->state, r->state_len * sizeof(double));
            l->r.state = l->state;
        }
    }
    return tw_store_ingest(p->s, &p->h, r, p->now);
}

static int
ps_run(pubsim *p, double t)
{
    tw_wire_record r = {.type = TW_REC_RUN, .time = t, .pid = 42, .planned_epochs = 10};
    snprintf(r.name, sizeof r.name, "%s", p->name ? p->name : "mlp");
    snprintf(r.host, sizeof r.host, "%s", "gpu1");
    snprintf(r.program, sizeof r.program, "%s", "train");
    tw_wire_param params[2];
    memset(params, 0, sizeof params);
    snprintf(params[0].key, sizeof params[0].key, "lr");
    params[0].is_number = true;
    params[0].number = 0.01;
    snprintf(params[1].key, sizeof params[1].key, "opt");
    snprintf(params[1].text, sizeof params[1].text, "adam");
    r.params = params;
    r.n_params = 2;
    return ps_ingest(p, &r);
}

static int
ps_metric(pubsim *p, uint32_t id, const char *name, tw_split split, int kind, tw_goal goal)
{
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .metric_id = id,
                        .split = split,
                        .kind = kind,
                        .goal = goal,
                        .options = tw_metric_defaults()};
    snprintf(r.name, sizeof r.name, "%s", name);
    /* A Mean is declared in trainwatch 0.1's layout, [total, count] (the streams below are
     * written so, and the store must still merge them); other kinds in their full layout. */
    r.state_len = kind == TW_WIRE_KIND_GAUGE ? 1
                  : kind == TW_METRIC_MEAN
                      ? 2
                      : (uint32_t)tw_metric_state_size_for((tw_metric_kind)kind, NULL);
    return ps_ingest(p, &r);
}

static int
ps_state(pubsim *p, tw_record_type type, uint32_t id, uint64_t epoch, uint64_t step, double t,
         const double *st, uint32_t len)
{
    tw_wire_record r = {.type = type,
                        .metric_id = id,
                        .epoch = epoch,
                        .step = step,
                        .time = t,
                        .state = st,
                        .state_len = len};
    return ps_ingest(p, &r);
}

static int
ps_update(pubsim *p, uint32_t id, uint64_t epoch, uint64_t step, double t, const double *st,
          uint32_t len)
{
    return ps_state(p, TW_REC_UPDATE, id, epoch, step, t, st, len);
}

static int
ps_epoch(pubsim *p, uint32_t id, uint64_t epoch, uint64_t step, double t, const double *st,
         uint32_t len)
{
    return ps_state(p, TW_REC_EPOCH, id, epoch, step, t, st, len);
}

static int
ps_epoch_end(pubsim *p, uint64_t epoch, uint64_t step, double t, uint32_t metrics)
{
    tw_wire_record r = {
        .type = TW_REC_EPOCH_END, .epoch = epoch, .step = step, .time = t, .metrics = metrics};
    return ps_ingest(p, &r);
}

static int
ps_heartbeat(pubsim *p, uint64_t epoch, uint64_t step, double t, uint32_t ms)
{
    tw_wire_record r = {
        .type = TW_REC_HEARTBEAT, .epoch = epoch, .step = step, .time = t, .interval_ms = ms};
    return ps_ingest(p, &r);
}

static int
ps_end(pubsim *p, tw_run_status status, double t)
{
    tw_wire_record r = {.type = TW_REC_RUN_END, .time = t, .status = status};
    return ps_ingest(p, &r);
}

static int
ps_drops(pubsim *p, uint64_t dropped, double t)
{
    tw_wire_record r = {.type = TW_REC_DROPS, .time = t, .dropped = dropped};
    return ps_ingest(p, &r);
}

static tw_store *
new_store(uint32_t buckets)
{
    tw_store_options o = tw_store_defaults();
    if (buckets)
        o.buckets = buckets;
    tw_store *s = tw_store_new(&o);
    assert_non_null(s);
    return s;
}

static const tw_store_series *
series_of(tw_store *s, const char *run, const char *name, tw_split split)
{
    const tw_store_run *rn = tw_store_find_run(s, run);
    assert_non_null(rn);
    const tw_store_series *se = tw_store_find_series(rn, name, split);
    assert_non_null(se);
    return se;
}

static const tw_store_point *
point_of(const tw_store_series *se, uint64_t epoch)
{
    for (size_t i = 0; i < se->n_points; i++)
        if (se->points[i].epoch == epoch)
            return &se->points[i];
    return NULL;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double
uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------------------------------------ */
/* Merging ranks                                                                               */

/* Four ranks with different batch sizes: the merged epoch value is the single-process value
 * (all correct / all samples), not the mean of the ranks' accuracies. */
static void
test_merge_four_ranks(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    tw_metric *single = tw_metric_new(TW_METRIC_BINARY_ACCURACY, NULL);
    tw_metric *single_mse = tw_metric_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
    const size_t batch[4] = {7, 32, 13, 64};
    double rank_values[4], sum_values = 0;
    for (uint32_t r = 0; r < 4; r++) {
        pubsim p;
        ps_init(&p, s, "job", 100 + r, r, 4);
        assert_int_equal(ps_metric(&p, 0, "accuracy", TW_SPLIT_TRAIN, TW_METRIC_BINARY_ACCURACY,
                                   TW_GOAL_UNKNOWN),
                         0);
        assert_int_equal(
            ps_metric(&p, 1, "mse", TW_SPLIT_TRAIN, TW_METRIC_MEAN_SQUARED_ERROR, TW_GOAL_UNKNOWN),
            0);
        tw_metric *m = tw_metric_new(TW_METRIC_BINARY_ACCURACY, NULL);
        tw_metric *e = tw_metric_new(TW_METRIC_MEAN_SQUARED_ERROR, NULL);
        /* each rank is better or worse by a different amount */
        for (int b = 0; b < 5; b++) {
            float yt[64], yp[64];
            for (size_t i = 0; i < batch[r]; i++) {
                yt[i] = uniform() < 0.5 ? 1.0f : 0.0f;
                float noise = (float)uniform() * (0.3f + 0.2f * (float)r);
                yp[i] = yt[i] > 0.5f ? 1.0f - noise : noise;
            }
            assert_int_equal(tw_metric_update_state(m, yt, yp, NULL, batch[r], 1), 0);
            assert_int_equal(tw_metric_update_state(e, yt, yp, NULL, batch[r], 1), 0);
            assert_int_equal(tw_metric_update_state(single, yt, yp, NULL, batch[r], 1), 0);
            assert_int_equal(tw_metric_update_state(single_mse, yt, yp, NULL, batch[r], 1), 0);
        }
        rank_values[r] = tw_metric_result(m);
        sum_values += rank_values[r];
        assert_int_equal(ps_epoch(&p, 0, 1, 5, 10.0, tw_metric_state(m), 2), 0);
        assert_int_equal(ps_epoch(&p, 1, 1, 5, 10.0, tw_metric_state(e), 4), 0);
        assert_int_equal(ps_epoch_end(&p, 1, 5, 10.0, 2), 0);
        tw_metric_destroy(&m);
        tw_metric_destroy(&e);
    }
    const tw_store_series *acc = series_of(s, "job", "accuracy", TW_SPLIT_TRAIN);
    assert_int_equal(acc->n_points, 1);
    assert_true(acc->points[0].final);
    assert_int_equal(acc->points[0].ranks_in, 4);
    double expect = tw_metric_result(single);
    assert_true(acc->points[0].value == expect);                     /* integer counts: exact */
    assert_true(fabs(acc->points[0].value - sum_values / 4) > 1e-6); /* not a mean of means */
    const tw_store_series *mse = series_of(s, "job", "mse", TW_SPLIT_TRAIN);
    assert_true(fabs(mse->points[0].value - tw_metric_result(single_mse)) <=
                1e-12 * tw_metric_result(single_mse));
    assert_int_equal(acc->goal, TW_GOAL_MAX);
    assert_int_equal(mse->goal, TW_GOAL_MIN);
    /* the standard errors come from the merged state: those of the single process */
    assert_true(acc->points[0].value_se == tw_metric_stderr(single));
    assert_true(acc->points[0].value_se > 0);
    double se_mse = tw_metric_stderr(single_mse);
    assert_true(se_mse > 0);
    assert_true(fabs(mse->points[0].value_se - se_mse) <= 1e-9 * se_mse);
    assert_true(mse->latest_se == mse->points[0].value_se);
    assert_true(acc->best_se == acc->points[0].value_se);
    tw_metric_destroy(&single);
    tw_metric_destroy(&single_mse);
    tw_store_destroy(&s);
    assert_null(s);
}

/* A partial epoch shows the ranks that are in; final only when every rank closed it. */
static void
test_final_vs_partial(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[3];
    for (uint32_t r = 0; r < 3; r++) {
        ps_init(&p[r], s, "job", 7 + r, r, 3);
        ps_metric(&p[r], 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    }
    const double s0[2] = {10, 10}, s1[2] = {40, 20};
    assert_int_equal(ps_epoch(&p[0], 0, 1, 10, 5.0, s0, 2), 0);
    assert_int_equal(ps_epoch_end(&p[0], 1, 10, 5.0, 1), 0);
    const tw_store_series *se = series_of(s, "job", "loss", TW_SPLIT_TRAIN);
    const tw_store_point *pt = point_of(se, 1);
    assert_non_null(pt);
    assert_false(pt->final);
    assert_int_equal(pt->ranks_in, 1);
    assert_int_equal(pt->ranks_closed, 1);
    assert_true(pt->value == 1.0);
    assert_false(se->has_best); /* partial points do not count */
    uint32_t lag[4];
    const tw_store_run *rn = tw_store_find_run(s, "job");
    assert_int_equal(tw_store_epoch_laggards(rn, 1, lag, 4), 2);
    assert_int_equal(lag[0], 1);
    assert_int_equal(lag[1], 2);

    /* rank 1's state arrives but it has not closed the epoch: still partial */
    assert_int_equal(ps_epoch(&p[1], 0, 1, 10, 6.0, s1, 2), 0);
    pt = point_of(se, 1);
    assert_false(pt->final);
    assert_int_equal(pt->ranks_in, 2);
    assert_true(pt->value == 50.0 / 30.0);
    assert_int_equal(ps_epoch_end(&p[1], 1, 10, 6.0, 1), 0);
    pt = point_of(se, 1);
    assert_false(pt->final);
    assert_int_equal(pt->ranks_closed, 2);
    assert_int_equal(tw_store_epoch_laggards(rn, 1, lag, 4), 1);
    assert_int_equal(lag[0], 2);

    /* rank 2 closes the epoch without a state for this metric: final, with two ranks in */
    assert_int_equal(ps_epoch_end(&p[2], 1, 10, 7.0, 0), 0);
    pt = point_of(se, 1);
    assert_true(pt->final);
    assert_int_equal(pt->ranks_in, 2);
    assert_int_equal(pt->ranks_closed, 3);
    assert_true(pt->value == 50.0 / 30.0);
    assert_true(isnan(pt->value_se)); /* a state of the old layout has no standard error */
    assert_true(pt->time == 6.0);
    assert_true(se->has_best);
    assert_int_equal(se->best_epoch, 1);
    assert_int_equal(tw_store_epoch_laggards(rn, 1, lag, 4), 0);

    /* epoch 2: every rank has sent its state but one has not closed: partial */
    for (uint32_t r = 0; r < 3; r++)
        ps_epoch(&p[r], 0, 2, 20, 9.0, s1, 2);
    ps_epoch_end(&p[0], 2, 20, 9.0, 1);
    ps_epoch_end(&p[2], 2, 20, 9.0, 1);
    pt = point_of(se, 2);
    assert_int_equal(pt->ranks_in, 3);
    assert_false(pt->final);
    assert_true(se->latest_epoch == 2 && se->latest_value == 2.0);
    ps_epoch_end(&p[1], 2, 20, 9.0, 1);
    assert_true(point_of(se, 2)->final);
    tw_store_destroy(&s);
}

/* An epoch partial for over lag_seconds names the run's lag_epoch, until the laggard closes
 * it; a single-rank run never lags. */
static void
test_lagging_rank(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "lag", 1 + r, r, 2);
        ps_metric(&p[r], 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    }
    const double st[2] = {4, 2};
    ps_epoch(&p[0], 0, 1, 10, 5.0, st, 2);
    ps_epoch_end(&p[0], 1, 10, 5.0, 1); /* at monitor time 1000 */
    const tw_store_run *rn = tw_store_find_run(s, "lag");
    tw_store_tick(s, 1009.0);
    assert_int_equal(rn->lag_epoch, 0); /* not yet lag_seconds (10) */
    p[1].now = 1010.0;
    ps_update(&p[1], 0, 1, 8, 5.5, st, 2); /* rank 1 alive, still in epoch 1 */
    uint64_t before = tw_store_changes(s);
    assert_true(tw_store_tick(s, 1010.5));
    assert_int_equal(rn->lag_epoch, 1);
    assert_true(tw_store_changes(s) > before); /* the view redraws for it */
    uint32_t lag[2];
    assert_int_equal(tw_store_epoch_laggards(rn, rn->lag_epoch, lag, 2), 1);
    assert_int_equal(lag[0], 1);
    char text[64];
    size_t len = tw_store_lag_text(rn, text, sizeof text);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, "epoch 1 is partial: waiting for rank 1");
    assert_int_equal(tw_store_lag_text(rn, text, 12), 11); /* cut, terminated */
    assert_string_equal(text, "epoch 1 is ");
    p[1].now = 1011.0;
    ps_epoch(&p[1], 0, 1, 10, 6.0, st, 2);
    ps_epoch_end(&p[1], 1, 10, 6.0, 1);
    tw_store_tick(s, 1011.5);
    assert_int_equal(rn->lag_epoch, 0);
    assert_int_equal(tw_store_lag_text(rn, text, sizeof text), 0);
    assert_string_equal(text, "");

    /* one rank: an epoch is final as soon as it closes, nothing lags */
    pubsim q;
    ps_init(&q, s, "solo", 9, 0, 1);
    ps_metric(&q, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    ps_epoch(&q, 0, 1, 10, 5.0, st, 2);
    tw_store_tick(s, 1100.0);
    assert_int_equal(tw_store_find_run(s, "solo")->lag_epoch, 0);
    tw_store_destroy(&s);
}

/* Three ranks of run `run` (world 3), each declaring Mean "loss" (training) as metric 3. */
static void
three_ranks(tw_store *s, pubsim p[3], const char *run)
{
    for (uint32_t r = 0; r < 3; r++) {
        ps_init(&p[r], s, run, 1 + r, r, 3);
        ps_metric(&p[r], 3, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    }
}

/* The live value of the open epoch: the sum of each rank's latest cumulative state. */
static void
test_live_value(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[3];
    three_ranks(s, p, "live");
    const double a1[2] = {2, 1}, a2[2] = {6, 3}, b1[2] = {10, 2}, c_old[2] = {100, 1};
    ps_update(&p[2], 3, 1, 5, 1.0, c_old, 2); /* rank 2 still in epoch 1 */
    ps_update(&p[0], 3, 2, 11, 2.0, a1, 2);
    const tw_store_series *se = series_of(s, "live", "loss", TW_SPLIT_TRAIN);
    assert_true(se->has_live);
    assert_int_equal(se->live_epoch, 2);
    assert_int_equal(se->live_ranks, 1);
    assert_true(se->live_value == 2.0);
    ps_update(&p[0], 3, 2, 12, 3.0, a2, 2); /* replaces rank 0's earlier state */
    ps_update(&p[1], 3, 2, 12, 3.0, b1, 2);
    assert_int_equal(se->live_ranks, 2);
    assert_true(se->live_value == 16.0 / 5.0);
    assert_int_equal(se->live_step, 12);
    assert_true(se->has_latest && se->latest_value == 16.0 / 5.0 && se->latest_epoch == 2);
    /* an older record arriving late does not replace the latest */
    tw_wire_record late = {.type = TW_REC_UPDATE,
                           .seq = 1,
                           .metric_id = 3,
                           .epoch = 2,
                           .step = 11,
                           .time = 2.0,
                           .state = a1,
                           .state_len = 2};
    pubsim q;
    ps_init(&q, s, "live", 1, 0, 3);
    assert_int_equal(tw_store_ingest(s, &q.h, &late, 1000.0), -EALREADY);
    tw_wire_record late2 = late;
    late2.seq = 100; /* newest seq of rank 0 */
    double a3[2] = {9, 4};
    late2.state = a3;
    assert_int_equal(tw_store_ingest(s, &q.h, &late2, 1000.0), 0);
    assert_true(se->live_value == 19.0 / 6.0);
    tw_store_destroy(&s);
}

/* Deferred live values (tw_store_defer_live): unchanged until tw_store_settle, then exactly
 * what merging at every update gives; turning deferral off settles. */
static void
test_live_deferred(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[3];
    three_ranks(s, p, "defer");
    const double a1[2] = {2, 1}, a2[2] = {6, 3}, b1[2] = {10, 2}, c1[2] = {1, 1};
    ps_update(&p[0], 3, 1, 11, 2.0, a1, 2);
    const tw_store_series *se = series_of(s, "defer", "loss", TW_SPLIT_TRAIN);
    assert_true(se->has_live && se->live_value == 2.0);
    tw_store_defer_live(s, true);
    ps_update(&p[0], 3, 1, 12, 3.0, a2, 2);
    ps_update(&p[1], 3, 1, 12, 3.0, b1, 2);
    assert_int_equal(se->live_ranks, 1); /* not merged yet */
    assert_true(se->live_value == 2.0);
    tw_store_settle(s);
    assert_int_equal(se->live_ranks, 2);
    assert_true(se->live_value == 16.0 / 5.0);
    assert_int_equal(se->live_step, 12);
    assert_true(se->has_latest && se->latest_value == 16.0 / 5.0);
    tw_store_settle(s); /* nothing new: the same */
    assert_true(se->live_value == 16.0 / 5.0);
    ps_update(&p[2], 3, 1, 12, 3.0, c1, 2);
    tw_store_defer_live(s, false); /* settles */
    assert_int_equal(se->live_ranks, 3);
    assert_true(se->live_value == 17.0 / 6.0);
    tw_store_settle(NULL);
    tw_store_defer_live(NULL, true);
    tw_store_destroy(&s);
}

/* Per-step values: the result of the difference of consecutive cumulative states; the first
 * update of an epoch is the difference from zero. */
static void
test_per_step_differences(void **state)
{
    (void)state;
    tw_store *s = new_store(16);
    pubsim p;
    ps_init(&p, s, "steps", 1, 0, 1);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    const double u1[2] = {4, 2}, u2[2] = {10, 4}, u3[2] = {10, 4}, v1[2] = {1, 1};
    ps_update(&p, 0, 1, 1, 1.0, u1, 2); /* batch mean 2 */
    ps_update(&p, 0, 1, 2, 2.0, u2, 2); /* (10-4)/(4-2) = 3 */
    ps_update(&p, 0, 1, 3, 3.0, u3, 2); /* nothing new: no sample */
    ps_update(&p, 0, 2, 4, 4.0, v1, 2); /* a new epoch: from zero: 1 */
    const tw_store_series *se = series_of(s, "steps", "loss", TW_SPLIT_TRAIN);
    assert_int_equal(se->samples, 3);
    assert_int_equal(se->bucket_width, 1);
    assert_int_equal(se->bucket_origin, 1);
    assert_true(se->buckets[0].count == 1 && se->buckets[0].sum == 2.0);
    assert_true(se->buckets[1].count == 1 && se->buckets[1].sum == 3.0);
    assert_int_equal(se->buckets[2].count, 0);
    assert_true(se->buckets[3].count == 1 && se->buckets[3].sum == 1.0);
    assert_true(se->buckets[1].t_min == 2.0 && se->buckets[1].t_max == 2.0);
    assert_int_equal(tw_store_bucket_step(se, 3), 4);
    assert_true(se->last_sample == 1.0 && se->last_sample_step == 4);
    tw_store_destroy(&s);
}

/* The same with the current Mean's layout, [total, count, sumsq, values] (4 doubles, the
 * update's quick way): the value of each step from the differences; no sample when none of
 * the four moved, one when any one of them did (a batch of weight 0 moves only "values"). */
static void
test_per_step_differences_4(void **state)
{
    (void)state;
    tw_store *s = new_store(16);
    pubsim p;
    ps_init(&p, s, "steps4", 1, 0, 1);
    tw_wire_record decl = {.type = TW_REC_METRIC,
                           .split = TW_SPLIT_TRAIN,
                           .kind = TW_METRIC_MEAN,
                           .options = tw_metric_defaults(),
                           .state_len = 4};
    snprintf(decl.name, sizeof decl.name, "loss");
    assert_int_equal(ps_ingest(&p, &decl), 0);
    static const double u[][4] = {{4, 2, 8, 1},    /* batch mean 2 */
                                  {10, 4, 26, 2},  /* (10-4)/(4-2) = 3 */
                                  {10, 4, 26, 2},  /* nothing new: no sample */
                                  {10, 4, 27, 2},  /* only sumsq moved: a sample, 0/0 = 0 */
                                  {10, 4, 27, 3},  /* only values moved: a sample, 0 */
                                  {13, 5, 36, 4},  /* 3/1 = 3 */
                                  {13, 5, 36, 4}}; /* nothing new */
    for (uint64_t i = 0; i < sizeof u / sizeof u[0]; i++)
        assert_int_equal(ps_update(&p, 0, 1, 1 + i, 1.0 + (double)i, u[i], 4), 0);
    const tw_store_series *se = series_of(s, "steps4", "loss", TW_SPLIT_TRAIN);
    assert_int_equal(se->samples, 5);
    static const uint32_t count[] = {1, 1, 0, 1, 1, 1, 0};
    static const double sum[] = {2, 3, 0, 0, 0, 3, 0};
    for (uint32_t i = 0; i < 7; i++)
        assert_true(se->buckets[i].count == count[i] && se->buckets[i].sum == sum[i]);
    assert_true(se->last_sample == 3.0 && se->last_sample_step == 6);
    tw_store_destroy(&s);
}

/* Samples arriving out of step order (one rank's replay after another's live stream): the
 * buckets extend downwards and coarsen; every sample lands in the bucket covering its step. */
static void
test_buckets_out_of_order(void **state)
{
    (void)state;
    tw_store *s = new_store(16);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "ooo", 1 + r, r, 2);
        ps_metric(&p[r], 0, "lr", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    }
    uint64_t steps[200];
    size_t n = 0;
    for (uint64_t k = 50; k <= 80; k++) {
        double v = (double)k;
        ps_update(&p[1], 0, 1, k, (double)k, &v, 1);
        steps[n++] = k;
    }
    const tw_store_series *se = series_of(s, "ooo", "lr", TW_SPLIT_TRAIN);
    assert_int_equal(se->bucket_origin, 50);
    assert_int_equal(se->bucket_width, 2);
    for (uint64_t k = 1; k <= 80; k++) {
        double v = k == 7 ? -1.0 : (double)k;
        ps_update(&p[0], 0, 1, k, (double)k, &v, 1);
        steps[n++] = k;
    }
    assert_int_equal(se->samples, n);
    assert_true(se->n_used <= 16);
    assert_true(se->bucket_origin <= 1);
    uint32_t want[16] = {0};
    for (size_t i = 0; i < n; i++) {
        uint64_t b = (steps[i] - se->bucket_origin) / se->bucket_width;
        assert_true(b < 16);
        want[b]++;
    }
    double mn = INFINITY, mx = -INFINITY;
    for (uint32_t i = 0; i < 16; i++) {
        assert_int_equal(se->buckets[i].count, want[i]);
        if (se->buckets[i].count) {
            mn = se->buckets[i].min < mn ? se->buckets[i].min : mn;
            mx = se->buckets[i].max > mx ? se->buckets[i].max : mx;
        }
    }
    assert_true(mn == -1.0 && mx == 80.0);
    tw_store_destroy(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* Duplicates, gaps, drops                                                                     */

typedef struct snapshot {
    tw_store_counters run, ranks[2];
    tw_store_point points[16];
    size_t n_points;
    tw_store_bucket buckets[64];
    uint32_t n_used;
    double live, best, latest;
    uint64_t best_epoch, samples, epoch, step, closed[2];
    tw_store_state st;
} snapshot;

static void
take(tw_store *s, snapshot *x)
{
    memset(x, 0, sizeof *x);
    const tw_store_run *rn = tw_store_find_run(s, "rep");
    x->run = rn->counters;
    for (uint32_t r = 0; r < 2; r++) {
        x->ranks[r] = tw_store_run_rank(rn, r)->counters;
        x->closed[r] = tw_store_run_rank(rn, r)->closed_epoch;
    }
    const tw_store_series *se = tw_store_find_series(rn, "loss", TW_SPLIT_TRAIN);
    x->n_points = se->n_points;
    memcpy(x->points, se->points, se->n_points * sizeof(tw_store_point));
    x->n_used = se->n_used;
    memcpy(x->buckets, se->buckets, 64 * sizeof(tw_store_bucket));
    x->live = se->live_value;
    x->best = se->best_value;
    x->best_epoch = se->best_epoch;
    x->latest = se->latest_value;
    x->samples = se->samples;
    x->epoch = rn->epoch;
    x->step = rn->step;
    x->st = rn->state;
}

static void
same_points(const snapshot *a, const snapshot *b)
{
    assert_int_equal(a->n_points, b->n_points);
    for (size_t i = 0; i < a->n_points; i++) {
        assert_int_equal(a->points[i].epoch, b->points[i].epoch);
        assert_true(a->points[i].value == b->points[i].value);
        assert_int_equal(a->points[i].final, b->points[i].final);
        assert_int_equal(a->points[i].ranks_in, b->points[i].ranks_in);
        assert_int_equal(a->points[i].ranks_closed, b->points[i].ranks_closed);
        assert_true(a->points[i].time == b->points[i].time);
    }
}

/* The publisher replays its whole history: ingesting the same records again changes nothing
 * but the duplicate counters. */
static void
test_duplicates_ignored(void **state)
{
    (void)state;
    tw_store *s = new_store(64);
    logged *log = calloc(4096, sizeof(logged));
    size_t n_log = 0;
    assert_non_null(log);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "rep", 50 + r, r, 2);
        p[r].log = log;
        p[r].n_log = &n_log;
        ps_run(&p[r], 1.0);
        ps_metric(&p[r], 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
        ps_heartbeat(&p[r], 1, 0, 1.0, 1000);
    }
    uint64_t step = 0;
    for (uint64_t e = 1; e <= 3; e++) {
        double st[2][2] = {{0, 0}, {0, 0}};
        for (int k = 0; k < 20; k++) {
            step++;
            for (uint32_t r = 0; r < 2; r++) {
                st[r][0] += uniform() * 8;
                st[r][1] += 4 + r;
                ps_update(&p[r], 0, e, step, (double)step, st[r], 2);
            }
        }
        for (uint32_t r = 0; r < 2; r++) {
            ps_epoch(&p[r], 0, e, step, (double)step, st[r], 2);
            if (e < 3 || r == 0)
                ps_epoch_end(&p[r], e, step, (double)step, 1);
        }
    }
    ps_drops(&p[1], 3, 70.0);
    snapshot a, b;
    take(s, &a);
    assert_int_equal(a.run.duplicates, 0);
    assert_int_equal(a.run.records + a.run.heartbeats, n_log);
    assert_int_equal(a.run.drops, 3);
    assert_int_equal(a.n_points, 3);
    assert_false(a.points[2].final); /* rank 1 did not close epoch 3 */
    assert_int_equal(a.samples, 120);

    /* the replay: every record again, with its original seq, in another order (EPOCHs first,
     * as the publisher replays) */
    size_t before = n_log;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < before; i++) {
            const logged *l = &log[i];
            bool epochs = l->r.type == TW_REC_EPOCH || l->r.type == TW_REC_EPOCH_END;
            if (epochs != (pass == 0))
                continue;
            tw_wire_record r = l->r;
            if (r.state)
                r.state = l->state;
            assert_int_equal(tw_store_ingest(s, &l->h, &r, 2000.0), -EALREADY);
        }
    take(s, &b);
    assert_int_equal(b.run.duplicates, before);
    b.run.duplicates = a.run.duplicates;
    assert_memory_equal(&a.run, &b.run, sizeof a.run);
    for (uint32_t r = 0; r < 2; r++) {
        assert_int_not_equal(b.ranks[r].duplicates, 0);
        b.ranks[r].duplicates = 0;
        assert_memory_equal(&a.ranks[r], &b.ranks[r], sizeof a.ranks[r]);
        assert_int_equal(a.closed[r], b.closed[r]);
    }
    same_points(&a, &b);
    assert_int_equal(a.n_used, b.n_used);
    assert_memory_equal(a.buckets, b.buckets, sizeof a.buckets);
    assert_true(a.live == b.live && a.best == b.best && a.latest == b.latest);
    assert_int_equal(a.best_epoch, b.best_epoch);
    assert_int_equal(a.samples, b.samples);
    free(log);
    tw_store_destroy(&s);
}

/* Gaps: seqs below the highest that never came; late arrivals fill them. */
static void
test_gaps(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "gap", 1, 0, 1);
    const uint64_t seqs[] = {1, 2, 5, 6, 10};
    for (size_t i = 0; i < 5; i++) {
        tw_wire_record r = {
            .type = TW_REC_HEARTBEAT, .seq = seqs[i], .epoch = 1, .time = 1.0, .interval_ms = 1000};
        assert_int_equal(ps_ingest(&p, &r), 0);
    }
    const tw_store_run *rn = tw_store_find_run(s, "gap");
    assert_int_equal(rn->counters.gaps, 5); /* 3 4 7 8 9 */
    assert_int_equal(tw_store_run_rank(rn, 0)->counters.gaps, 5);
    tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = 3, .epoch = 1, .time = 1.0};
    assert_int_equal(ps_ingest(&p, &r), 0); /* late, not lost */
    assert_int_equal(rn->counters.gaps, 4);
    r.seq = 3;
    assert_int_equal(ps_ingest(&p, &r), -EALREADY);
    assert_int_equal(rn->counters.gaps, 4);
    assert_int_equal(rn->counters.duplicates, 1);
    assert_int_equal(rn->counters.records, 0); /* heartbeats are counted apart */
    assert_int_equal(rn->counters.heartbeats, 6);
    tw_store_destroy(&s);
}

/* A replay standing for everything up to R: seqs up to R it does not carry were left out on
 * purpose (decimated steps, heartbeats) and are not gaps; later losses still are. */
static void
test_gaps_replay_through(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "rt", 1, 0, 1);
    /* a late joiner: the replay carries seqs 1, 2 and 40 of a publisher at seq 100 */
    p.h.replay_through = 100;
    const uint64_t replayed[] = {1, 2, 40};
    for (size_t i = 0; i < 3; i++) {
        tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = replayed[i], .epoch = 1, .time = 1.0};
        assert_int_equal(ps_ingest(&p, &r), 0);
    }
    const tw_store_run *rn = tw_store_find_run(s, "rt");
    assert_int_equal(rn->counters.gaps, 0);
    /* live again: 101, 102, then 105 (103 and 104 lost) */
    p.h.replay_through = 0;
    const uint64_t live[] = {101, 102, 105};
    for (size_t i = 0; i < 3; i++) {
        tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = live[i], .epoch = 1, .time = 1.0};
        assert_int_equal(ps_ingest(&p, &r), 0);
    }
    assert_int_equal(rn->counters.gaps, 2);
    /* a monitor that saw the live stream first: 1..3 then 8, then a replay up to 8 */
    pubsim q;
    ps_init(&q, s, "rt2", 2, 0, 1);
    const uint64_t first[] = {1, 2, 3, 8};
    for (size_t i = 0; i < 4; i++) {
        tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = first[i], .epoch = 1, .time = 1.0};
        assert_int_equal(ps_ingest(&q, &r), 0);
    }
    const tw_store_run *rn2 = tw_store_find_run(s, "rt2");
    assert_int_equal(rn2->counters.gaps, 4);
    q.h.replay_through = 8;
    tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = 5, .epoch = 1, .time = 1.0};
    assert_int_equal(ps_ingest(&q, &r), 0);
    assert_int_equal(rn2->counters.gaps, 0);
    /* a replay whose first record is a state of a metric not declared (yet, or ever): its mark
     * excuses the gaps all the same, in the counters too */
    pubsim u;
    ps_init(&u, s, "rt3", 3, 0, 1);
    const uint64_t seen3[] = {1, 2, 9};
    for (size_t i = 0; i < 3; i++) {
        tw_wire_record h = {.type = TW_REC_HEARTBEAT, .seq = seen3[i], .epoch = 1, .time = 1.0};
        assert_int_equal(ps_ingest(&u, &h), 0);
    }
    const tw_store_run *rn3 = tw_store_find_run(s, "rt3");
    assert_int_equal(rn3->counters.gaps, 6);
    u.h.replay_through = 9;
    double st[1] = {0.5};
    tw_wire_record up = {.type = TW_REC_UPDATE,
                         .seq = 4,
                         .metric_id = 7,
                         .epoch = 1,
                         .step = 1,
                         .time = 1.0,
                         .state = st,
                         .state_len = 1};
    assert_int_equal(ps_ingest(&u, &up), -ENOENT);
    assert_int_equal(rn3->counters.gaps, 0);
    assert_int_equal(tw_store_run_rank_missing(rn3, 0), 0);
    tw_store_destroy(&s);
}

/* More holes than the seq set keeps: memory stays bounded, gaps stay counted. */
static void
test_seq_set_bounded(void **state)
{
    (void)state;
    tw_store_options o = tw_store_defaults();
    o.seq_intervals = 8;
    tw_store *s = tw_store_new(&o);
    assert_non_null(s);
    pubsim p;
    ps_init(&p, s, "holes", 1, 0, 1);
    size_t bytes0 = 0;
    for (uint64_t i = 1; i <= 1000; i++) {
        tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = 3 * i, .epoch = 1, .time = 1.0};
        assert_int_equal(ps_ingest(&p, &r), 0);
        if (i == 100)
            bytes0 = tw_store_bytes(s);
    }
    const tw_store_run *rn = tw_store_find_run(s, "holes");
    assert_int_equal(rn->counters.gaps, 2000);
    assert_int_equal(tw_store_bytes(s), bytes0);
    /* the newest seqs are still told apart exactly */
    tw_wire_record r = {.type = TW_REC_HEARTBEAT, .seq = 3000, .epoch = 1, .time = 1.0};
    assert_int_equal(ps_ingest(&p, &r), -EALREADY);
    r.seq = 2999;
    assert_int_equal(ps_ingest(&p, &r), 0);
    assert_int_equal(rn->counters.gaps, 1999);
    tw_store_destroy(&s);
}

/* DROPS: cumulative per incarnation (the latest is the total), summed over ranks. */
static void
test_publisher_drops(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[2];
    ps_init(&p[0], s, "drops", 1, 0, 2);
    ps_init(&p[1], s, "drops", 2, 1, 2);
    ps_drops(&p[0], 5, 1.0);
    ps_drops(&p[0], 12, 2.0);
    tw_wire_record old = {.type = TW_REC_DROPS, .seq = 1, .time = 1.0, .dropped = 5};
    assert_int_equal(tw_store_ingest(s, &p[0].h, &old, 1000.0), -EALREADY);
    ps_drops(&p[1], 4, 2.0);
    const tw_store_run *rn = tw_store_find_run(s, "drops");
    assert_int_equal(rn->counters.drops, 16);
    assert_int_equal(tw_store_run_rank(rn, 0)->counters.drops, 12);
    assert_int_equal(tw_store_run_rank(rn, 1)->counters.drops, 4);
    /* a restarted rank 1 counts from zero again: its drops add */
    pubsim q;
    ps_init(&q, s, "drops", 3, 1, 2);
    ps_drops(&q, 2, 3.0);
    assert_int_equal(rn->counters.drops, 18);
    tw_store_count_rejected(s, 3);
    assert_int_equal(tw_store_rejected(s), 3);
    tw_store_destroy(&s);
}

/* GAP: the steps that lost per-step records add up over ranks and incarnations; the run keeps
 * the first and last missing step and the number of ranges, and says them in a sentence. A
 * GAP seen again (a replay, the log and the network) counts once. */
static void
test_publisher_gaps(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[2];
    ps_init(&p[0], s, "gaps", 1, 0, 2);
    ps_init(&p[1], s, "gaps", 2, 1, 2);
    ps_drops(&p[0], 3, 0.5);
    const tw_store_run *rn = tw_store_find_run(s, "gaps");
    assert_non_null(rn);
    char text[256];
    assert_int_equal(tw_store_dropped_text(rn, text, sizeof text), 0); /* drops, no GAP yet */
    assert_string_equal(text, "");

    tw_wire_record g = {
        .type = TW_REC_GAP, .time = 1.0, .step = 1200, .to_step = 1200, .dropped = 3};
    assert_int_equal(ps_ingest(&p[0], &g), 0);
    assert_int_equal(rn->counters.dropped_steps, 1);
    tw_store_dropped_text(rn, text, sizeof text);
    assert_string_equal(text, "per-step values dropped by the publisher in 1 step (step 1200; "
                              "epoch values exact)");
    assert_int_equal(tw_store_ingest(s, &p[0].h, &g, 1000.0), -EALREADY); /* seen again */
    assert_int_equal(rn->counters.dropped_steps, 1);

    tw_wire_record g2 = {
        .type = TW_REC_GAP, .time = 2.0, .step = 5000, .to_step = 5400, .dropped = 401};
    assert_int_equal(ps_ingest(&p[1], &g2), 0);
    tw_wire_record g3 = {
        .type = TW_REC_GAP, .time = 2.0, .step = 900, .to_step = 999, .dropped = 100};
    assert_int_equal(ps_ingest(&p[1], &g3), 0);
    assert_int_equal(rn->counters.dropped_steps, 1 + 401 + 100);
    assert_int_equal(tw_store_run_rank(rn, 1)->counters.dropped_steps, 501);
    assert_int_equal(rn->dropped_first, 900);
    assert_int_equal(rn->dropped_last, 5400);
    assert_int_equal(rn->dropped_ranges, 3);
    tw_store_dropped_text(rn, text, sizeof text);
    assert_string_equal(text, "per-step values dropped by the publisher in 502 steps (steps "
                              "900-5400, 3 ranges; epoch values exact)");
    /* the ranges themselves: 900-999, 1200, 5000-5400 */
    assert_true(tw_store_run_dropped_within(rn, 950, 950));
    assert_true(tw_store_run_dropped_within(rn, 1000, 1200));
    assert_false(tw_store_run_dropped_within(rn, 1000, 1199));
    assert_false(tw_store_run_dropped_within(rn, 1201, 4999));
    assert_true(tw_store_run_dropped_within(rn, 0, UINT64_MAX));
    assert_false(tw_store_run_dropped_within(rn, 5401, UINT64_MAX));
    assert_false(tw_store_run_dropped_within(rn, 960, 950)); /* an empty query */
    /* cut short, always terminated */
    assert_int_equal(tw_store_dropped_text(rn, text, 10), 9);
    assert_string_equal(text, "per-step ");
    /* a range as wide as the steps go does not wrap the count to 0 */
    tw_wire_record wide = {
        .type = TW_REC_GAP, .time = 3.0, .step = 0, .to_step = UINT64_MAX, .dropped = 1};
    pubsim q;
    ps_init(&q, s, "wide", 3, 0, 1);
    assert_int_equal(ps_ingest(&q, &wide), 0);
    assert_int_equal(tw_store_find_run(s, "wide")->counters.dropped_steps, UINT64_MAX);
    tw_store_destroy(&s);
}

/* GAP ranges kept for the chart: touching or overlapping ones merge (whatever order they come
 * in, from any rank); past 64 the two nearest merge, so the kept ranges always cover every
 * dropped step and the steps between far ranges stay uncovered. */
static void
test_gap_ranges(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "ranges", 1, 0, 1);
    const uint64_t r[][2] = {{20, 29}, {0, 9}, {10, 12}, {25, 40}, {100, 100}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        tw_wire_record g = {
            .type = TW_REC_GAP, .time = 1.0, .step = r[i][0], .to_step = r[i][1], .dropped = 1};
        assert_int_equal(ps_ingest(&p, &g), 0);
    }
    const tw_store_run *rn = tw_store_find_run(s, "ranges");
    assert_int_equal(rn->dropped_ranges, 5);              /* as received */
    assert_true(tw_store_run_dropped_within(rn, 11, 11)); /* 0-12 */
    assert_false(tw_store_run_dropped_within(rn, 13, 19));
    assert_true(tw_store_run_dropped_within(rn, 30, 35)); /* 20-40 */
    assert_false(tw_store_run_dropped_within(rn, 41, 99));
    /* 200 ranges 10 steps apart, then one far off: every dropped step stays covered, and the
     * far one stays apart from the rest */
    for (uint64_t k = 0; k < 200; k++) {
        tw_wire_record g = {.type = TW_REC_GAP,
                            .time = 2.0,
                            .step = 1000 + 10 * k,
                            .to_step = 1000 + 10 * k + 4,
                            .dropped = 1};
        assert_int_equal(ps_ingest(&p, &g), 0);
    }
    tw_wire_record far = {
        .type = TW_REC_GAP, .time = 3.0, .step = 1000000, .to_step = 1000000, .dropped = 1};
    assert_int_equal(ps_ingest(&p, &far), 0);
    for (uint64_t k = 0; k < 200; k++)
        assert_true(tw_store_run_dropped_within(rn, 1000 + 10 * k, 1000 + 10 * k));
    assert_true(tw_store_run_dropped_within(rn, 1000000, 1000000));
    assert_false(tw_store_run_dropped_within(rn, 3000, 999999));
    assert_false(tw_store_run_dropped_within(rn, 41, 99));
    tw_store_destroy(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* Buckets and smoothing                                                                       */

/* 10 M steps into 1024 buckets: memory unchanged, extremes exact, sums and counts exact. */
static void
test_bucket_coarsening(void **state)
{
    (void)state;
    tw_store *s = new_store(1024);
    pubsim p;
    ps_init(&p, s, "long", 1, 0, 1);
    ps_metric(&p, 0, "throughput", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    const tw_store_series *se = series_of(s, "long", "throughput", TW_SPLIT_TRAIN);
    const uint64_t n = 10000000;
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    size_t series_bytes = 0, store_bytes = 0;
    tw_wire_record r = {.type = TW_REC_UPDATE, .metric_id = 0, .epoch = 1, .state_len = 1};
    double v;
    r.state = &v;
    for (uint64_t k = 1; k <= n; k++) {
        v = (double)((k * 2654435761u) % 1000u); /* integers: sums are exact */
        if (k == 7777777)
            v = -5; /* the extremes, each at one step */
        if (k == 3)
            v = 5000;
        sum += v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        r.seq = k + 1;
        r.step = k;
        r.time = (double)k;
        assert_int_equal(tw_store_ingest(s, &p.h, &r, 1000.0), 0);
        if (k == 2048) {
            series_bytes = tw_store_series_bytes(se);
            store_bytes = tw_store_bytes(s);
        }
    }
    assert_int_equal(tw_store_series_bytes(se), series_bytes);
    assert_int_equal(tw_store_bytes(s), store_bytes);
    assert_true(se->n_used <= 1024 && se->n_used > 512);
    assert_true(se->bucket_width * 1024 >= n);
    double bsum = 0, bmin = INFINITY, bmax = -INFINITY;
    uint64_t count = 0;
    for (uint32_t i = 0; i < se->n_used; i++) {
        const tw_store_bucket *b = &se->buckets[i];
        count += b->count;
        bsum += b->sum;
        if (b->count) {
            bmin = b->min < bmin ? b->min : bmin;
            bmax = b->max > bmax ? b->max : bmax;
        }
    }
    assert_int_equal(count, n);
    assert_true(bsum == sum);
    assert_true(bmin == -5.0);
    assert_true(bmax == 5000.0);
    /* the bucket holding step 7777777 has the minimum */
    uint32_t i = (uint32_t)((7777777 - se->bucket_origin) / se->bucket_width);
    assert_true(se->buckets[i].min == -5.0);
    assert_true(se->buckets[i].t_min <= 7777777.0 && se->buckets[i].t_max >= 7777777.0);
    tw_store_destroy(&s);
}

/* A direct TensorBoard EMA over the raw sequence, bucketed the same way. */
static void
test_smoothing_matches_tensorboard(void **state)
{
    (void)state;
    tw_store *s = new_store(64);
    pubsim p;
    ps_init(&p, s, "smooth", 1, 0, 1);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    enum { N = 3000 };
    static double raw[N + 1];
    for (int k = 1; k <= N; k++) {
        raw[k] = 2.0 * exp(-k / 800.0) + 0.3 * uniform();
        if (k % 337 == 0)
            raw[k] = NAN;
        if (k == 1001)
            raw[k] = INFINITY;
        ps_update(&p, 0, 1, (uint64_t)k, (double)k, &raw[k], 1);
    }
    const tw_store_series *se = series_of(s, "smooth", "loss", TW_SPLIT_TRAIN);
    assert_true(se->bucket_width > 1);
    assert_int_equal(se->nonfinite, N / 337 + 1);
    for (int w = 0; w < TW_STORE_N_SMOOTH; w++) {
        double weight = tw_store_smooth_weight(w);
        double last = 0, smoothed[N + 1];
        int nacc = 0;
        for (int k = 1; k <= N; k++) {
            if (!isfinite(raw[k])) {
                smoothed[k] = raw[k];
                continue;
            }
            last = last * weight + (1 - weight) * raw[k];
            nacc++;
            smoothed[k] = last / (1 - pow(weight, nacc));
        }
        for (uint32_t i = 0; i < se->n_used; i++) {
            const tw_store_bucket *b = &se->buckets[i];
            uint64_t lo = tw_store_bucket_step(se, i), hi = lo + se->bucket_width;
            double sum = 0;
            uint32_t n = 0, all = 0, nonfinite = 0;
            double mn = INFINITY, mx = -INFINITY;
            for (uint64_t k = lo; k < hi && k <= N; k++) {
                if (k == 0)
                    continue;
                all++;
                if (!isfinite(raw[k])) {
                    nonfinite++;
                    continue;
                }
                sum += smoothed[k];
                n++;
                mn = raw[k] < mn ? raw[k] : mn;
                mx = raw[k] > mx ? raw[k] : mx;
            }
            assert_int_equal(b->count, all);
            assert_int_equal(b->nonfinite, nonfinite);
            double got = tw_store_bucket_smoothed(b, w), want = sum / n;
            assert_true(fabs(got - want) <= 1e-9 * fabs(want));
            assert_true(b->min == mn && b->max == mx); /* NaN and Inf ignored */
        }
    }
    tw_store_destroy(&s);
}

/* Every smoothed sample, one a bucket, exactly as TensorBoard's debiased EMA computes it (w^n
 * multiplied up, last / (1 - w^n)), past the point where 1 - w^n rounds to 1 for every weight
 * (~3 600 samples at 0.99) and past where w^n would be subnormal (~70 600) and zero. */
static void
test_smoothing_exact_long(void **state)
{
    (void)state;
    enum { N = 80000 };
    tw_store *s = new_store(N + 2);
    pubsim p;
    ps_init(&p, s, "long", 1, 0, 1);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    double last[TW_STORE_N_SMOOTH] = {0}, pw[TW_STORE_N_SMOOTH] = {1, 1, 1, 1};
    static double want[N + 1][TW_STORE_N_SMOOTH];
    for (int k = 1; k <= N; k++) {
        double v = 2.0 * exp(-k / 9000.0) + 0.3 * uniform();
        ps_update(&p, 0, 1, (uint64_t)k, (double)k, &v, 1);
        for (int w = 1; w < TW_STORE_N_SMOOTH; w++) {
            double weight = tw_store_smooth_weight(w);
            last[w] = last[w] * weight + (1.0 - weight) * v;
            pw[w] *= weight;
            want[k][w] = last[w] / (1.0 - pw[w]);
        }
    }
    const tw_store_series *se = series_of(s, "long", "loss", TW_SPLIT_TRAIN);
    assert_int_equal(se->bucket_width, 1);
    assert_int_equal(se->samples, N);
    for (uint32_t i = 0; i < se->n_used; i++) {
        const tw_store_bucket *b = &se->buckets[i];
        uint64_t k = tw_store_bucket_step(se, i);
        assert_int_equal(b->count, 1);
        for (int w = 1; w < TW_STORE_N_SMOOTH; w++)
            if (memcmp(&b->smooth[w - 1], &want[k][w], sizeof(double)) != 0)
                fail_msg("step %llu, weight %d: %.17g, want %.17g", (unsigned long long)k, w,
                         b->smooth[w - 1], want[k][w]);
    }
    tw_store_destroy(&s);
}

/* A constant series stays constant whatever the weight. */
static void
test_smoothing_constant(void **state)
{
    (void)state;
    tw_store *s = new_store(16);
    pubsim p;
    ps_init(&p, s, "const", 1, 0, 1);
    ps_metric(&p, 0, "lr", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    const double v = 0.1;
    for (uint64_t k = 1; k <= 100; k++)
        ps_update(&p, 0, 1, k, (double)k, &v, 1);
    const tw_store_series *se = series_of(s, "const", "lr", TW_SPLIT_TRAIN);
    assert_int_equal(se->samples, 100);
    for (uint32_t i = 0; i < se->n_used; i++)
        for (int w = 1; w < TW_STORE_N_SMOOTH; w++) {
            /* summed in the same order as the raw values: equal only if every smoothed value
             * is v exactly */
            const tw_store_bucket *b = &se->buckets[i];
            assert_true(b->smooth[w - 1] == b->sum);
        }
    tw_store_destroy(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* Incarnations, states, anomalies                                                             */

/* A restarted trainer (same run, new incarnation): its epochs replace the old ones of the
 * same numbers, a restart mark sits at its first epoch, and the rank's state starts over. */
static void
test_restart(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim a, b;
    ps_init(&a, s, "rs", 111, 0, 1);
    ps_run(&a, 100.0);
    ps_metric(&a, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    for (uint64_t e = 1; e <= 4; e++) {
        double st[2] = {(double)(10 - e), 1};
        ps_epoch(&a, 0, e, e * 10, 100.0 + (double)e, st, 2);
        ps_epoch_end(&a, e, e * 10, 100.0 + (double)e, 1);
    }
    const tw_store_series *se = series_of(s, "rs", "loss", TW_SPLIT_TRAIN);
    const tw_store_run *rn = tw_store_find_run(s, "rs");
    assert_int_equal(se->n_points, 4);
    assert_true(point_of(se, 3)->final && point_of(se, 3)->value == 7.0);
    assert_int_equal(rn->n_marks, 0);

    /* the trainer crashed and resumed from the checkpoint of epoch 2 */
    ps_init(&b, s, "rs", 222, 0, 1);
    ps_run(&b, 200.0);
    ps_metric(&b, 5, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    const tw_store_rank *rk = tw_store_run_rank(rn, 0);
    assert_int_equal(rk->incarnation, 222);
    assert_int_equal(rk->incarnations, 2);
    assert_int_equal(rk->closed_epoch, 0);
    /* its first heartbeat went out before it called tw_publisher_resume: still epoch 1 */
    ps_heartbeat(&b, 1, 0, 200.5, 1000);
    assert_int_equal(rn->n_marks, 0); /* not a restart at epoch 1 */
    const double u[2] = {1, 1};
    ps_update(&b, 5, 3, 21, 201.0, u, 2);
    assert_int_equal(rn->n_marks, 1);
    assert_int_equal(rn->marks[0].epoch, 3);
    assert_true(rn->marks[0].time == 200.0);
    assert_true(point_of(se, 3)->restart);
    assert_false(point_of(se, 2)->restart);
    assert_int_equal(rn->epoch, 3);

    const double e3[2] = {2, 1};
    ps_epoch(&b, 5, 3, 30, 210.0, e3, 2);
    const tw_store_point *pt = point_of(se, 3);
    assert_false(pt->final); /* replaced, and not closed by the new incarnation yet */
    assert_true(pt->value == 2.0);
    assert_int_equal(pt->ranks_in, 1);
    ps_epoch_end(&b, 3, 30, 210.0, 1);
    pt = point_of(se, 3);
    assert_true(pt->final && pt->value == 2.0);
    assert_true(point_of(se, 2)->final && point_of(se, 2)->value == 8.0); /* kept */
    assert_true(point_of(se, 4)->final && point_of(se, 4)->value == 6.0); /* until replaced */
    assert_int_equal(se->n_points, 4);
    assert_true(se->has_best && se->best_epoch == 3 && se->best_value == 2.0);
    /* a late record of the old incarnation does not undo the replacement */
    const double stale[2] = {0.5, 1};
    tw_wire_record r = {.type = TW_REC_EPOCH,
                        .seq = 1000,
                        .metric_id = 0,
                        .epoch = 3,
                        .step = 30,
                        .time = 103.0,
                        .state = stale,
                        .state_len = 2};
    assert_int_equal(tw_store_ingest(s, &a.h, &r, 1000.0), 0);
    assert_true(point_of(se, 3)->value == 2.0);
    assert_int_equal(tw_store_run_rank(rn, 0)->incarnation, 222);
    tw_store_destroy(&s);
}

/* Stalled after 3 silent heartbeats, vanished after 10, live again when a record comes. */
static void
test_stalled_vanished(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "st", 1, 0, 1);
    p.now = 100.0;
    ps_heartbeat(&p, 1, 0, 50.0, 500);
    const tw_store_run *rn = tw_store_find_run(s, "st");
    assert_int_equal(rn->state, TW_STATE_LIVE);
    assert_false(tw_store_tick(s, 101.0));
    uint64_t c0 = tw_store_changes(s);
    assert_true(tw_store_tick(s, 101.6));
    assert_true(tw_store_changes(s) > c0);
    assert_int_equal(rn->state, TW_STATE_STALLED);
    assert_int_equal(tw_store_run_rank(rn, 0)->state, TW_STATE_STALLED);
    assert_non_null(strstr(rn->reason, "rank 0"));
    assert_false(tw_store_tick(s, 102.0));
    assert_true(tw_store_tick(s, 105.1));
    assert_int_equal(rn->state, TW_STATE_VANISHED);
    p.now = 106.0;
    ps_heartbeat(&p, 1, 5, 56.0, 500);
    assert_int_equal(rn->state, TW_STATE_LIVE);
    assert_string_equal(rn->reason, "");
    /* the source saw the process gone */
    assert_int_equal(tw_store_mark_vanished(s, "st", 0, 1, 106.5), 0);
    assert_int_equal(rn->state, TW_STATE_VANISHED);
    assert_non_null(strstr(rn->reason, "gone"));
    assert_int_equal(tw_store_mark_vanished(s, "st", 0, 99, 106.5), -ENOENT);
    assert_int_equal(tw_store_mark_vanished(s, "nope", 0, 1, 106.5), -ENOENT);
    tw_store_destroy(&s);
}

/* A rank whose connection is down is disconnected: neither stalled nor vanished for
 * link_grace, then vanished saying why; connected again, it is live; a process seen gone or an
 * ended rank is not called disconnected. (Which connection carries which rank: test_links.) */
static void
test_disconnected(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "cut", 1 + r, r, 2);
        p[r].now = 100.0;
        ps_heartbeat(&p[r], 1, 0, 50.0, 500);
    }
    const tw_store_run *rn = tw_store_find_run(s, "cut");
    assert_int_equal(tw_store_set_connected(s, "cut", 0, 1, true, 100.0), 0); /* already */
    assert_int_equal(tw_store_set_connected(s, "cut", 1, 2, true, 100.0), 0);
    assert_int_equal(tw_store_set_connected(s, NULL, 0, 1, true, 100.0), -EINVAL);
    assert_int_equal(tw_store_set_connected(NULL, "cut", 0, 1, true, 100.0), -EINVAL);
    assert_int_equal(tw_store_set_connected(s, "cut", 0, 99, false, 100.0), -ENOENT);
    assert_int_equal(tw_store_set_connected(s, "cut", 2, 1, false, 100.0), -ENOENT);
    assert_int_equal(tw_store_set_connected(s, "nope", 0, 1, false, 100.0), -ENOENT);
    assert_int_equal(rn->state, TW_STATE_LIVE);

    uint64_t c0 = tw_store_changes(s);
    assert_int_equal(tw_store_set_connected(s, "cut", 0, 1, false, 100.5), 1);
    assert_true(tw_store_changes(s) > c0);
    assert_int_equal(rn->state, TW_STATE_DISCONNECTED);
    assert_int_equal(tw_store_run_rank(rn, 0)->state, TW_STATE_DISCONNECTED);
    assert_int_equal(tw_store_run_rank(rn, 1)->state, TW_STATE_LIVE);
    assert_non_null(strstr(rn->reason, "rank 0 disconnected"));
    assert_string_equal(rn->reason,
                        "rank 0 disconnected: its network connection is down, reconnecting");
    assert_string_equal(tw_store_state_name(rn->state), "disconnected");
    c0 = tw_store_changes(s);
    assert_int_equal(tw_store_set_connected(s, "cut", 0, 1, false, 100.6), 0); /* already */
    assert_int_equal(tw_store_changes(s), c0);
    /* long silence: rank 1 stalls then vanishes by time; rank 0 stays disconnected (link_grace:
     * 60 s from when it went down, not from the second report) */
    tw_store_tick(s, 150.0);
    assert_int_equal(tw_store_run_rank(rn, 0)->state, TW_STATE_DISCONNECTED);
    assert_int_equal(tw_store_run_rank(rn, 1)->state, TW_STATE_VANISHED);
    assert_int_equal(rn->state, TW_STATE_VANISHED); /* vanished outranks disconnected */
    p[1].now = 150.5;
    ps_heartbeat(&p[1], 1, 3, 150.0, 500);
    assert_int_equal(rn->state, TW_STATE_DISCONNECTED);
    /* records of the rank alone do not make it connected ... */
    p[0].now = 151.0;
    ps_heartbeat(&p[0], 1, 3, 151.0, 500);
    assert_int_equal(rn->state, TW_STATE_DISCONNECTED);
    /* ... being connected again does */
    assert_int_equal(tw_store_set_connected(s, "cut", 0, 1, true, 151.0), 1);
    assert_int_equal(rn->state, TW_STATE_LIVE);
    assert_string_equal(rn->reason, "");
    /* an ended rank is not disconnected by its connection closing; a process gone is vanished */
    ps_end(&p[1], TW_RUN_OK, 202.0);
    assert_int_equal(tw_store_set_connected(s, "cut", 1, 2, false, 202.0), 0);
    assert_int_equal(tw_store_run_rank(rn, 1)->state, TW_STATE_ENDED);
    assert_int_equal(tw_store_set_connected(s, "cut", 0, 1, false, 202.0), 1);
    assert_int_equal(tw_store_mark_vanished(s, "cut", 0, 1, 202.5), 0);
    assert_int_equal(rn->state, TW_STATE_VANISHED);
    assert_non_null(strstr(rn->reason, "gone"));

    /* a remote process that died closed its connection: disconnected for link_grace, then
     * vanished, saying why */
    pubsim q;
    ps_init(&q, s, "remote", 5, 0, 1);
    q.now = 300.0;
    ps_heartbeat(&q, 1, 0, 300.0, 1000);
    assert_int_equal(tw_store_set_connected(s, "remote", 0, 5, false, 301.0), 1);
    const tw_store_run *rr = tw_store_find_run(s, "remote");
    tw_store_tick(s, 360.0);
    assert_int_equal(rr->state, TW_STATE_DISCONNECTED);
    tw_store_tick(s, 362.0);
    assert_int_equal(rr->state, TW_STATE_VANISHED);
    assert_string_equal(rr->reason, "rank 0 vanished: its connection has been down for over 60 s");
    tw_store_destroy(&s);
}

/* Run end: ok ends the run and finalises its epochs; failed fails it; a run log that ends
 * without a run-end record is "crashed?". */
static void
test_run_end(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "ok", 1 + r, r, 2);
        ps_metric(&p[r], 0, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    }
    const double st[2] = {3, 1};
    ps_epoch(&p[0], 0, 1, 10, 1.0, st, 2);
    const tw_store_series *se = series_of(s, "ok", "loss", TW_SPLIT_VAL);
    const tw_store_run *rn = tw_store_find_run(s, "ok");
    ps_end(&p[0], TW_RUN_OK, 2.0);
    assert_int_equal(rn->state, TW_STATE_LIVE);
    assert_false(se->points[0].final);
    ps_end(&p[1], TW_RUN_OK, 2.0);
    assert_int_equal(rn->state, TW_STATE_ENDED);
    assert_true(se->points[0].final);
    assert_true(tw_store_run_rank(rn, 1)->ended);
    assert_false(tw_store_tick(s, 1e9)); /* ended runs do not go stale */

    ps_init(&p[0], s, "bad", 9, 0, 1);
    ps_end(&p[0], TW_RUN_FAILED, 2.0);
    rn = tw_store_find_run(s, "bad");
    assert_int_equal(rn->state, TW_STATE_FAILED);
    assert_int_equal(tw_store_run_rank(rn, 0)->end_status, TW_RUN_FAILED);

    ps_init(&p[0], s, "intr", 9, 0, 1);
    ps_end(&p[0], TW_RUN_INTERRUPTED, 2.0);
    rn = tw_store_find_run(s, "intr");
    assert_int_equal(rn->state, TW_STATE_ENDED);
    assert_non_null(strstr(rn->reason, "interrupted"));

    ps_init(&p[0], s, "log", 9, 0, 1);
    ps_metric(&p[0], 0, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    ps_epoch(&p[0], 0, 4, 10, 1.0, st, 2);
    se = series_of(s, "log", "loss", TW_SPLIT_VAL);
    assert_false(se->points[0].final);
    assert_int_equal(tw_store_mark_static(s, "log", 5000.0), 0);
    rn = tw_store_find_run(s, "log");
    assert_int_equal(rn->state, TW_STATE_ENDED);
    assert_true(rn->is_static);
    assert_string_equal(rn->reason, "ended without a run-end record (crashed?)");
    /* the epoch never closed on its one rank: the end of the log does not make it final */
    assert_false(se->points[0].final);
    assert_int_equal(tw_store_mark_static(s, "nope", 1.0), -ENOENT);
    assert_string_equal(tw_store_state_name(TW_STATE_VANISHED), "vanished");
    assert_true(tw_store_state_open(TW_STATE_LIVE) && tw_store_state_open(TW_STATE_STALLED) &&
                tw_store_state_open(TW_STATE_DISCONNECTED));
    assert_false(tw_store_state_open(TW_STATE_ENDED) || tw_store_state_open(TW_STATE_FAILED) ||
                 tw_store_state_open(TW_STATE_VANISHED));
    tw_store_destroy(&s);
}

/* Gauges: the value itself, not differenced per step, not summed over ranks. */
static void
test_gauges(void **state)
{
    (void)state;
    tw_store *s = new_store(16);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "g", 1 + r, r, 2);
        ps_metric(&p[r], 0, "lr", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    }
    const double a = 0.5, b = 0.25, c = 0.125;
    ps_update(&p[0], 0, 1, 1, 1.0, &a, 1);
    ps_update(&p[0], 0, 1, 2, 2.0, &b, 1);
    ps_update(&p[1], 0, 1, 2, 3.0, &c, 1);
    const tw_store_series *se = series_of(s, "g", "lr", TW_SPLIT_TRAIN);
    assert_int_equal(se->goal, TW_GOAL_UNKNOWN);
    assert_true(se->buckets[0].sum == 0.5);
    assert_int_equal(se->buckets[1].count, 2); /* both ranks' samples at step 2 */
    assert_true(se->buckets[1].min == 0.125 && se->buckets[1].max == 0.25);
    assert_true(se->live_value == 0.125); /* the latest, not the sum */
    ps_epoch(&p[0], 0, 1, 2, 5.0, &b, 1);
    ps_epoch(&p[1], 0, 1, 2, 4.0, &c, 1);
    ps_epoch_end(&p[0], 1, 2, 5.0, 1);
    ps_epoch_end(&p[1], 1, 2, 5.0, 1);
    assert_true(se->points[0].final);
    assert_true(se->points[0].value == 0.25); /* rank 0's is the latest */
    assert_false(se->has_best);
    tw_store_destroy(&s);
}

/* An undeclared metric id and a state of the wrong length are counted and skipped. */
static void
test_bad_records(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "bad", 1, 0, 1);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    const double st[3] = {1, 2, 3};
    assert_int_equal(ps_update(&p, 7, 1, 1, 1.0, st, 2), -ENOENT);
    assert_int_equal(ps_epoch(&p, 7, 1, 1, 1.0, st, 2), -ENOENT);
    assert_int_equal(ps_update(&p, 0, 1, 1, 1.0, st, 3), -EBADMSG);
    assert_int_equal(ps_epoch(&p, 0, 1, 1, 1.0, st, 1), -EBADMSG);
    const tw_store_run *rn = tw_store_find_run(s, "bad");
    assert_int_equal(rn->counters.undeclared, 2);
    assert_int_equal(rn->counters.bad_state, 2);
    assert_int_equal(rn->counters.duplicates, 0);

    /* A live record that arrives before its declaration (a late joiner) is taken when the
     * replay brings the declaration and the record again, with the same seq. */
    {
        pubsim q;
        ps_init(&q, s, "early", 1, 0, 1);
        const double early[2] = {6.0, 3.0};
        tw_wire_record u = {.type = TW_REC_UPDATE,
                            .seq = 50,
                            .metric_id = 0,
                            .epoch = 1,
                            .step = 4,
                            .time = 1.0,
                            .state = early,
                            .state_len = 2};
        assert_int_equal(ps_ingest(&q, &u), -ENOENT);
        q.h.replay_through = 50; /* the replay */
        q.seq = 1;
        assert_int_equal(ps_metric(&q, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN),
                         0);
        u.seq = 50;
        assert_int_equal(ps_ingest(&q, &u), 0); /* not a duplicate: taken now */
        const tw_store_series *e = series_of(s, "early", "loss", TW_SPLIT_TRAIN);
        assert_int_equal(e->samples, 1);
        assert_true(e->has_live && e->live_value == 2.0);
        assert_int_equal(tw_store_find_run(s, "early")->counters.gaps, 0);
    }
    const tw_store_series *se = series_of(s, "bad", "loss", TW_SPLIT_TRAIN);
    assert_int_equal(se->n_points, 0);
    assert_int_equal(se->samples, 0);
    /* a declaration that disagrees with the same name + split, a bad length */
    assert_int_equal(ps_metric(&p, 1, "loss", TW_SPLIT_TRAIN, TW_METRIC_SUM, TW_GOAL_UNKNOWN),
                     -EBADMSG);
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .metric_id = 2,
                        .kind = TW_METRIC_MEAN,
                        .state_len = 3,
                        .options = tw_metric_defaults()};
    snprintf(r.name, sizeof r.name, "x");
    assert_int_equal(ps_ingest(&p, &r), -EBADMSG);
    assert_int_equal(rn->counters.bad_decl, 2);
    /* a rank beyond the world; a world that disagrees with the run's is refused, not merged
     * (the run keeps the world of its first records) */
    pubsim q;
    ps_init(&q, s, "bad", 2, 3, 2);
    assert_int_equal(ps_heartbeat(&q, 1, 1, 1.0, 1000), -ERANGE);
    assert_int_equal(rn->counters.bad_rank, 1);
    ps_init(&q, s, "bad", 2, 3, 4);
    assert_int_equal(ps_heartbeat(&q, 1, 1, 1.0, 1000), -ERANGE);
    assert_int_equal(rn->world, 1);
    assert_int_equal(rn->counters.world_changes, 1);
    assert_int_equal(ps_heartbeat(&p, 1, 1, 1.0, 1000), 0); /* rank 0 still says 1 */
    assert_int_equal(rn->counters.world_changes, 1);
    assert_int_equal(rn->world, 1);
    assert_null(tw_store_run_rank(rn, 1));
    assert_non_null(tw_store_run_rank(rn, 0));
    tw_store_destroy(&s);
}

/* Best epoch by goal: min for losses, max for accuracies, none when the goal is unknown. */
static void
test_best_by_goal(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "best", 1, 0, 1);
    ps_metric(&p, 0, "val_loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    ps_metric(&p, 1, "acc", TW_SPLIT_VAL, TW_METRIC_SPARSE_CATEGORICAL_ACCURACY, TW_GOAL_UNKNOWN);
    ps_metric(&p, 2, "mystery", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    ps_metric(&p, 3, "score", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_MAX);
    const double loss[5] = {0.9, 0.5, 0.4, 0.45, 0.6}, acc[5] = {0.5, 0.7, 0.65, 0.8, 0.75};
    for (uint64_t e = 1; e <= 5; e++) {
        double l[2] = {loss[e - 1], 1}, a[2] = {acc[e - 1], 1};
        ps_epoch(&p, 0, e, e, (double)e, l, 2);
        ps_epoch(&p, 1, e, e, (double)e, a, 2);
        ps_epoch(&p, 2, e, e, (double)e, a, 2);
        ps_epoch(&p, 3, e, e, (double)e, l, 2);
        ps_epoch_end(&p, e, e, (double)e, 4);
    }
    const tw_store_series *l = series_of(s, "best", "val_loss", TW_SPLIT_VAL);
    const tw_store_series *a = series_of(s, "best", "acc", TW_SPLIT_VAL);
    const tw_store_series *m = series_of(s, "best", "mystery", TW_SPLIT_VAL);
    const tw_store_series *d = series_of(s, "best", "score", TW_SPLIT_VAL);
    assert_int_equal(l->goal, TW_GOAL_MIN);
    assert_true(l->has_best && l->best_epoch == 3 && l->best_value == 0.4);
    assert_int_equal(a->goal, TW_GOAL_MAX);
    assert_true(a->has_best && a->best_epoch == 4 && a->best_value == 0.8);
    assert_int_equal(m->goal, TW_GOAL_UNKNOWN);
    assert_false(m->has_best);
    assert_true(d->goal_declared && d->goal == TW_GOAL_MAX);
    assert_true(d->has_best && d->best_epoch == 1);
    assert_true(l->latest_value == 0.6 && l->latest_epoch == 5);
    assert_int_equal(tw_store_infer_goal("val_loss", TW_METRIC_MEAN), TW_GOAL_MIN);
    assert_int_equal(tw_store_infer_goal("x", TW_METRIC_ROOT_MEAN_SQUARED_ERROR), TW_GOAL_MIN);
    assert_int_equal(tw_store_infer_goal("x", TW_METRIC_AUC), TW_GOAL_MAX);
    assert_int_equal(tw_store_infer_goal("Val_MAPE", TW_METRIC_MEAN), TW_GOAL_MIN);
    assert_int_equal(tw_store_infer_goal("recall@5", TW_METRIC_MEAN), TW_GOAL_MAX);
    assert_int_equal(tw_store_infer_goal("loss", TW_WIRE_KIND_GAUGE), TW_GOAL_UNKNOWN);
    assert_int_equal(tw_store_infer_goal("tokens", TW_METRIC_SUM), TW_GOAL_UNKNOWN);
    tw_store_destroy(&s);
}

/* Run identity, plan, learned steps per epoch, position, rate, change counter. */
static void
test_run_info(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "info", 1, 0, 1);
    uint64_t c0 = tw_store_changes(s);
    ps_run(&p, 10.0);
    assert_true(tw_store_changes(s) > c0);
    const tw_store_run *rn = tw_store_find_run(s, "info");
    assert_string_equal(rn->name, "mlp");
    assert_string_equal(rn->host, "gpu1");
    assert_int_equal(rn->pid, 42);
    assert_int_equal(rn->n_params, 2);
    assert_string_equal(rn->params[1].text, "adam");
    assert_int_equal(rn->planned_epochs, 10);
    assert_int_equal(rn->steps_per_epoch, 0);
    assert_int_equal(rn->steps_per_epoch_learned, 0);
    assert_true(rn->start_time == 10.0);
    for (uint64_t k = 1; k <= 100; k++)
        ps_heartbeat(&p, 1, k * 10, 10.0 + (double)k * 0.1, 1000); /* 100 steps/s */
    assert_int_equal(rn->step, 1000);
    assert_true(fabs(rn->steps_per_sec - 100.0) < 1e-6);
    ps_epoch_end(&p, 1, 1000, 20.0, 0);
    assert_int_equal(rn->steps_per_epoch_learned, 1000);
    ps_epoch_end(&p, 2, 1900, 30.0, 0);
    assert_int_equal(rn->steps_per_epoch_learned, 900);
    assert_int_equal(rn->epoch, 2);
    assert_int_equal(tw_store_run_count(s), 1);
    assert_ptr_equal(tw_store_run_at(s, 0), rn);
    assert_null(tw_store_run_at(s, 1));
    assert_null(tw_store_find_run(s, "other"));
    assert_true(tw_store_bytes(s) > 0);
    assert_int_equal(tw_store_ingest(NULL, &p.h, NULL, 0), -EINVAL);
    tw_store_destroy(&s);
    tw_store_destroy(&s); /* NULL-safe */
    tw_store_destroy(NULL);
    tw_store_options o = tw_store_defaults();
    o.buckets = 15;
    assert_null(tw_store_new(&o));
}

/* ------------------------------------------------------------------------------------------ */
/* Finals: what became final, once each, through a cursor                                     */

/* Reads everything new from the cursor, checking the seqs follow on. */
static size_t
read_finals(tw_store *s, uint64_t *cursor, tw_store_final *out, size_t max)
{
    uint64_t from = *cursor;
    size_t n = tw_store_finals_since(s, cursor, out, max);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i].seq, from + i);
    assert_int_equal(*cursor, from + n);
    return n;
}

static void
assert_final(const tw_store_final *f, const tw_store_series *se, uint64_t epoch, double value,
             uint32_t ranks_in, bool again)
{
    assert_ptr_equal(f->series, se);
    assert_int_equal(f->epoch, epoch);
    assert_true(f->value == value);
    assert_int_equal(f->ranks_in, ranks_in);
    assert_int_equal(f->again, again);
}

/* Two ranks, two series: an epoch is listed when the last rank closes it, by series then
 * epoch; a late rank's state lists it again; marking the run static lists the rest. */
static void
test_finals_across_ranks(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p[2];
    for (uint32_t r = 0; r < 2; r++) {
        ps_init(&p[r], s, "fin", 50 + r, r, 2);
        ps_metric(&p[r], 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
        ps_metric(&p[r], 1, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    }
    const tw_store_series *tr = series_of(s, "fin", "loss", TW_SPLIT_TRAIN);
    const tw_store_series *va = series_of(s, "fin", "loss", TW_SPLIT_VAL);
    const tw_store_run *rn = tw_store_find_run(s, "fin");
    tw_store_final f[8];
    uint64_t cursor = 0;
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);

    const double a[2] = {4, 2}, b[2] = {8, 2};
    ps_epoch(&p[0], 0, 1, 10, 1.0, a, 2);
    ps_epoch(&p[0], 1, 1, 10, 1.0, b, 2);
    ps_epoch_end(&p[0], 1, 10, 1.0, 2);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0); /* rank 1 has not closed it */
    ps_epoch(&p[1], 0, 1, 10, 1.5, b, 2);
    ps_epoch(&p[1], 1, 1, 10, 1.5, b, 2);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);
    ps_epoch_end(&p[1], 1, 10, 1.5, 2);
    assert_int_equal(tw_store_finals(s), 2);
    assert_int_equal(read_finals(s, &cursor, f, 8), 2);
    assert_final(&f[0], tr, 1, 12.0 / 4, 2, false);
    assert_final(&f[1], va, 1, 16.0 / 4, 2, false);
    assert_ptr_equal(f[0].run, rn);
    /* the series' place in the store, as the store's accessors give it */
    assert_ptr_equal(tw_store_run_at(s, f[1].run_index), rn);
    assert_ptr_equal(tw_store_run_series(rn, f[0].series_index), tr);
    assert_ptr_equal(tw_store_run_series(rn, f[1].series_index), va);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0); /* nothing twice */

    /* epochs 2 and 3 both closed by rank 1's one EPOCH_END: series, then epoch ascending */
    for (uint64_t e = 2; e <= 3; e++)
        for (uint32_t r = 0; r < 2; r++)
            for (uint32_t id = 0; id < 2; id++)
                ps_epoch(&p[r], id, e, e * 10, (double)e, a, 2);
    ps_epoch_end(&p[0], 2, 20, 2.0, 2);
    ps_epoch_end(&p[0], 3, 30, 3.0, 2);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);
    ps_epoch_end(&p[1], 3, 30, 3.0, 2);
    assert_int_equal(read_finals(s, &cursor, f, 3), 3); /* a short read: the rest next time */
    assert_final(&f[0], tr, 2, 2.0, 2, false);
    assert_final(&f[1], tr, 3, 2.0, 2, false);
    assert_final(&f[2], va, 2, 2.0, 2, false);
    assert_int_equal(read_finals(s, &cursor, f, 8), 1);
    assert_final(&f[0], va, 3, 2.0, 2, false);

    /* epoch 4: rank 1 closes it before its state arrives; the late state lists it again */
    ps_epoch(&p[0], 0, 4, 40, 4.0, a, 2);
    ps_epoch_end(&p[0], 4, 40, 4.0, 2);
    ps_epoch_end(&p[1], 4, 40, 4.0, 2);
    assert_int_equal(read_finals(s, &cursor, f, 8), 1); /* val has no point for epoch 4 */
    assert_final(&f[0], tr, 4, 2.0, 1, false);
    ps_epoch(&p[1], 0, 4, 40, 4.5, b, 2);
    assert_int_equal(read_finals(s, &cursor, f, 8), 1);
    assert_final(&f[0], tr, 4, 12.0 / 4, 2, true);
    ps_epoch(&p[1], 0, 4, 40, 4.5, b, 2); /* a duplicate changes nothing */
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);

    /* epoch 5 closed by rank 0 only; the run log ends: still not final (an epoch is final
     * only with every rank of its world: a value from rank 0 alone is not the epoch's) */
    ps_epoch(&p[0], 0, 5, 50, 5.0, a, 2);
    ps_epoch_end(&p[0], 5, 50, 5.0, 1);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);
    assert_int_equal(tw_store_mark_static(s, "fin", 2000.0), 0);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);
    assert_false(tr->points[4].final);
    assert_int_equal(tr->points[4].ranks_in, 1);
    assert_int_equal(cursor, tw_store_finals(s));

    /* a second reader from 0 gets the same entries; bad arguments read nothing */
    uint64_t other = 0;
    assert_int_equal(read_finals(s, &other, f, 8), 8);
    assert_final(&f[0], tr, 1, 12.0 / 4, 2, false);
    assert_int_equal(read_finals(s, &other, f, 8), 0); /* epoch 5 is not among them */
    uint64_t future = tw_store_finals(s) + 5;
    assert_int_equal(tw_store_finals_since(s, &future, f, 8), 0);
    assert_int_equal(future, tw_store_finals(s) + 5);
    assert_int_equal(tw_store_finals_since(NULL, &other, f, 8), 0);
    assert_int_equal(tw_store_finals_since(s, NULL, f, 8), 0);
    other = 0;
    assert_int_equal(tw_store_finals_since(s, &other, f, 0), 0);
    assert_int_equal(other, 0);
    assert_int_equal(tw_store_finals(NULL), 0);
    assert_int_equal(tw_store_finals_lost(s), 0);
    tw_store_destroy(&s);
}

/* A restarted run replaces epochs: no entry while the point is partial again, one with
 * `again` when the new incarnation closes it; the cursor kept across the restart reads only
 * those. */
static void
test_finals_restart(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim a, b;
    ps_init(&a, s, "rf", 111, 0, 1);
    ps_run(&a, 100.0);
    ps_metric(&a, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    for (uint64_t e = 1; e <= 4; e++) {
        double st[2] = {(double)(10 - e), 1};
        ps_epoch(&a, 0, e, e * 10, 100.0 + (double)e, st, 2);
        ps_epoch_end(&a, e, e * 10, 100.0 + (double)e, 1);
    }
    const tw_store_series *se = series_of(s, "rf", "loss", TW_SPLIT_TRAIN);
    tw_store_final f[8];
    uint64_t cursor = 0;
    assert_int_equal(read_finals(s, &cursor, f, 8), 4);
    for (uint64_t e = 1; e <= 4; e++)
        assert_final(&f[e - 1], se, e, (double)(10 - e), 1, false);

    /* resumed from the checkpoint of epoch 2 */
    ps_init(&b, s, "rf", 222, 0, 1);
    ps_run(&b, 200.0);
    ps_metric(&b, 5, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    const double e3[2] = {2, 1}, e4[2] = {1, 1};
    ps_epoch(&b, 5, 3, 30, 210.0, e3, 2);
    assert_false(point_of(se, 3)->final);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0); /* partial again: nothing */
    ps_epoch_end(&b, 3, 30, 210.0, 1);
    assert_int_equal(read_finals(s, &cursor, f, 8), 1);
    assert_final(&f[0], se, 3, 2.0, 1, true);
    ps_epoch(&b, 5, 4, 40, 220.0, e4, 2);
    ps_epoch_end(&b, 4, 40, 220.0, 1);
    ps_epoch(&b, 5, 5, 50, 230.0, e4, 2);
    ps_epoch_end(&b, 5, 50, 230.0, 1);
    assert_int_equal(read_finals(s, &cursor, f, 8), 2);
    assert_final(&f[0], se, 4, 1.0, 1, true);
    assert_final(&f[1], se, 5, 1.0, 1, false);
    /* a late record of the old incarnation changes nothing */
    const double stale[2] = {0.5, 1};
    tw_wire_record r = {.type = TW_REC_EPOCH,
                        .seq = 1000,
                        .metric_id = 0,
                        .epoch = 3,
                        .step = 30,
                        .time = 103.0,
                        .state = stale,
                        .state_len = 2};
    assert_int_equal(tw_store_ingest(s, &a.h, &r, 1000.0), 0);
    assert_int_equal(read_finals(s, &cursor, f, 8), 0);
    assert_int_equal(cursor, 7);
    tw_store_destroy(&s);
}

/* A series' point by epoch: found among many (binary search), absent ones NULL. */
static void
test_series_point(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "pt", 61, 0, 1);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    const double st[2] = {3, 2};
    for (uint64_t e = 2; e <= 200; e += 2) { /* even epochs only */
        ps_epoch(&p, 0, e, e * 10, (double)e, st, 2);
        ps_epoch_end(&p, e, e * 10, (double)e, 1);
    }
    const tw_store_series *se = series_of(s, "pt", "loss", TW_SPLIT_TRAIN);
    for (uint64_t e = 0; e <= 202; e++) {
        const tw_store_point *pt = tw_store_series_point(se, e);
        if (e >= 2 && e <= 200 && e % 2 == 0) {
            assert_non_null(pt);
            assert_int_equal(pt->epoch, e);
            assert_int_equal(pt->step, e * 10);
        } else {
            assert_null(pt);
        }
    }
    assert_null(tw_store_series_point(NULL, 2));
    tw_store_destroy(&s);
}

/* Trimming the finals: what every reader has read is let go in batches, seq numbers go on,
 * a cursor left behind reads from the oldest kept, and the memory held stays flat over a long
 * run read as it goes. */
static void
test_finals_trim(void **state)
{
    (void)state;
    tw_store *s = new_store(0), *kept = new_store(0); /* kept: the same run, never trimmed */
    pubsim p, q;
    ps_init(&p, s, "trim", 60, 0, 1);
    ps_init(&q, kept, "trim", 60, 0, 1);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    ps_metric(&q, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_UNKNOWN);
    const double st[2] = {3, 2};
    tw_store_final f[8];
    uint64_t cursor = 0, behind = 0;
    for (uint64_t e = 1; e <= 20000; e++) {
        ps_epoch(&p, 0, e, e * 10, (double)e, st, 2);
        ps_epoch_end(&p, e, e * 10, (double)e, 1);
        ps_epoch(&q, 0, e, e * 10, (double)e, st, 2);
        ps_epoch_end(&q, e, e * 10, (double)e, 1);
        assert_int_equal(read_finals(s, &cursor, f, 8), 1);
        assert_int_equal(f[0].seq, e - 1); /* numbering goes on across trims */
        assert_int_equal(f[0].epoch, e);
        tw_store_finals_trim(s, cursor);
        assert_true(tw_store_finals_first(s) <= cursor);
    }
    assert_int_equal(tw_store_finals(s), 20000);
    assert_true(tw_store_finals_first(s) > 10000); /* let go in batches */
    /* the finals held follow what is unread: the untrimmed store holds all 20000 (48 bytes
     * each, and the room of its doubling), the trimmed one a few hundred */
    assert_true(tw_store_bytes(kept) - tw_store_bytes(s) > 20000 * sizeof(tw_store_final) * 3 / 4);
    /* a cursor left behind reads from the oldest kept (its reader rescans: store.h) */
    ps_epoch(&p, 0, 20001, 200010, 20001.0, st, 2);
    ps_epoch_end(&p, 20001, 200010, 20001.0, 1);
    assert_true(behind < tw_store_finals_first(s));
    assert_int_equal(tw_store_finals_since(s, &behind, f, 8),
                     tw_store_finals(s) - tw_store_finals_first(s));
    assert_int_equal(f[0].seq, tw_store_finals_first(s));
    assert_int_equal(behind, 20001);
    /* a trim beyond the end, or backwards, changes nothing */
    tw_store_finals_trim(s, 1u << 30);
    tw_store_finals_trim(s, 0);
    assert_int_equal(tw_store_finals(s), 20001);
    tw_store_finals_trim(NULL, 5);
    assert_int_equal(tw_store_finals_first(NULL), 0);
    tw_store_destroy(&s);
    tw_store_destroy(&kept);
}

/* Runs never merge by name: two launches (two run ids) with one name are two runs. A
 * launch that resumes (envelope "join") continues the latest earlier run of its name, whether
 * it arrives after that run or before it (run logs read in any order); with another world it
 * does not. */
static void
test_names_and_joins(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    double st[2] = {1.0, 2.0};
    pubsim a, b;
    ps_init(&a, s, "launch-a", 1, 0, 1);
    ps_init(&b, s, "launch-b", 2, 0, 1);
    ps_run(&a, 100.0); /* both named "mlp"; b started later */
    ps_run(&b, 150.0);
    ps_metric(&a, 0, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_MIN);
    ps_metric(&b, 0, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_MIN);
    ps_epoch(&a, 0, 1, 10, 101.0, st, 2);
    ps_epoch_end(&a, 1, 10, 101.0, 1);
    double st2[2] = {9.0, 2.0};
    ps_epoch(&b, 0, 1, 10, 101.0, st2, 2);
    ps_epoch_end(&b, 1, 10, 101.0, 1);
    assert_int_equal(tw_store_run_count(s), 2);
    assert_string_equal(tw_store_find_run(s, "launch-a")->label, "mlp");
    assert_string_equal(tw_store_find_run(s, "launch-b")->label, "mlp #2");
    assert_true(series_of(s, "launch-a", "loss", TW_SPLIT_VAL)->points[0].value == 0.5);
    assert_true(series_of(s, "launch-b", "loss", TW_SPLIT_VAL)->points[0].value == 4.5);

    /* a resumed launch after the runs it may join: the latest of the name ("launch-b") */
    pubsim r;
    ps_init(&r, s, "launch-c", 3, 0, 1);
    snprintf(r.h.join, sizeof r.h.join, "mlp");
    ps_run(&r, 200.0);
    assert_int_equal(tw_store_run_count(s), 2);
    assert_ptr_equal(tw_store_find_run(s, "launch-c"), tw_store_find_run(s, "launch-b"));
    assert_int_equal(tw_store_run_rank(tw_store_find_run(s, "launch-b"), 0)->incarnations, 2);
    /* another world does not join: a run of its own */
    pubsim w;
    ps_init(&w, s, "launch-w", 4, 0, 2);
    snprintf(w.h.join, sizeof w.h.join, "mlp");
    ps_run(&w, 300.0);
    assert_int_equal(tw_store_run_count(s), 3);

    /* the resumed launch first (its log read before the earlier run's): the earlier run,
     * started before it, joins it when it arrives; a later run of the name does not */
    tw_store *t = new_store(0);
    ps_init(&r, t, "resumed", 5, 0, 1);
    snprintf(r.h.join, sizeof r.h.join, "mlp");
    ps_run(&r, 500.0);
    ps_init(&a, t, "later", 6, 0, 1);
    ps_run(&a, 600.0);
    assert_int_equal(tw_store_run_count(t), 2);
    ps_init(&b, t, "earlier", 7, 0, 1);
    ps_run(&b, 400.0);
    assert_int_equal(tw_store_run_count(t), 2);
    assert_ptr_equal(tw_store_find_run(t, "earlier"), tw_store_find_run(t, "resumed"));
    tw_store_destroy(&t);
    tw_store_destroy(&s);
}

/* Two launches that got one run id (two mp.spawn from one parent): the second started after
 * every rank of the first had ended (RUN_END), so it is a run of its own, "ID~2", each with its
 * own values, live or from the logs read oldest first (each to its end), also when the ranks
 * of a launch never overlap. A launch killed without RUN_ENDs and started again stays a
 * restart. */
static void
one_rank(pubsim *p, tw_store *s, uint64_t inc, uint32_t rank, double t0, double value, bool end)
{
    double st[2] = {value, 1.0};
    ps_init(p, s, "local-x", inc, rank, 2);
    ps_run(p, t0);
    ps_metric(p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    ps_epoch(p, 0, 1, 10, t0 + 1, st, 2);
    ps_epoch_end(p, 1, 10, t0 + 1, 1);
    if (end)
        ps_end(p, TW_RUN_OK, t0 + 10);
}

static void
test_later_launch_of_one_id(void **state)
{
    (void)state;
    /* (launch, rank) in the order read */
    static const int orders[2][4][2] = {{{0, 0}, {0, 1}, {1, 0}, {1, 1}},
                                        {{0, 1}, {0, 0}, {1, 1}, {1, 0}}};
    for (int o = 0; o < 2; o++) {
        tw_store *s = new_store(0);
        pubsim p;
        for (int i = 0; i < 4; i++) {
            int l = orders[o][i][0], r = orders[o][i][1];
            /* each rank after the one before it ended: ranks of a launch need not overlap */
            one_rank(&p, s, 10 + 10 * l + r, r, 100.0 + 100 * l + 20 * i, 1.0 + 4 * l, true);
        }
        assert_int_equal(tw_store_run_count(s), 2);
        const tw_store_point *p1 = point_of(series_of(s, "local-x", "loss", TW_SPLIT_TRAIN), 1);
        const tw_store_point *p2 = point_of(series_of(s, "local-x~2", "loss", TW_SPLIT_TRAIN), 1);
        assert_true(p1 && p2 && p1->final && p2->final);
        for (int k = 0; k < 2; k++) {
            const tw_store_run *rn = tw_store_find_run(s, k ? "local-x~2" : "local-x");
            assert_int_equal(tw_store_run_rank(rn, 0)->incarnations, 1);
            assert_int_equal(tw_store_run_rank(rn, 1)->incarnations, 1);
        }
        /* each run its own launch's value (the first launch 1.0, the second 5.0) */
        double v1 = p1->value, v2 = p2->value;
        assert_true(v1 == 1.0 && v2 == 5.0);
        tw_store_destroy(&s);
    }
    /* killed (no RUN_END) and started again: a restart, one run */
    tw_store *s = new_store(0);
    pubsim p;
    for (int i = 0; i < 4; i++)
        one_rank(&p, s, 10 + 10 * (i / 2) + i % 2, (uint32_t)(i % 2), 100.0 + 100 * (i / 2),
                 1.0 + 4 * (i / 2), false);
    assert_int_equal(tw_store_run_count(s), 1);
    assert_int_equal(tw_store_run_rank(tw_store_find_run(s, "local-x"), 0)->incarnations, 2);
    tw_store_destroy(&s);
}

/* Labels follow arrival order whenever a run learns its name: a run created by live records
 * before its RUN (which comes with the replay) takes "mlp" once named, and the run of that name
 * labelled before it becomes "mlp #2"; a run that changes its name frees its old label. */
static void
test_labels_of_late_named_runs(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim a, b, c;
    ps_init(&a, s, "first", 1, 0, 1);
    ps_init(&b, s, "second", 2, 0, 1);
    ps_init(&c, s, "third", 3, 0, 1);
    ps_metric(&a, 0, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_MIN); /* no RUN yet */
    ps_run(&b, 150.0);
    ps_run(&c, 160.0);
    assert_string_equal(tw_store_find_run(s, "second")->label, "mlp");
    assert_string_equal(tw_store_find_run(s, "third")->label, "mlp #2");
    ps_run(&a, 100.0); /* the replay's RUN */
    assert_int_equal(tw_store_run_count(s), 3);
    assert_string_equal(tw_store_find_run(s, "first")->label, "mlp");
    assert_string_equal(tw_store_find_run(s, "second")->label, "mlp #2");
    assert_string_equal(tw_store_find_run(s, "third")->label, "mlp #3");
    /* the first run renamed: the others of "mlp" move up, it is alone under its new name */
    a.name = "cnn";
    ps_run(&a, 100.0);
    assert_string_equal(tw_store_find_run(s, "first")->label, "cnn");
    assert_string_equal(tw_store_find_run(s, "second")->label, "mlp");
    assert_string_equal(tw_store_find_run(s, "third")->label, "mlp #2");
    tw_store_destroy(&s);
}

/* The store remembers the last envelope it placed (run, rank, incarnation): records of
 * envelopes that differ from it in one field each, interleaved with it, land where they
 * belong, and refused ones are counted at every record, never remembered. */
static void
test_envelope_remembered(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim v[8];
    ps_init(&v[0], s, "x", 1, 0, 2);
    ps_init(&v[1], s, "x", 1, 1, 2);                   /* another rank */
    ps_init(&v[2], s, "x", 2, 0, 2);                   /* another incarnation of rank 0 */
    ps_init(&v[3], s, "y", 1, 0, 2);                   /* another run */
    ps_init(&v[4], s, "x", 1, 0, 3);                   /* another world: refused */
    ps_init(&v[5], s, "x", 1, 2, 2);                   /* rank >= world: refused */
    ps_init(&v[6], s, "x0123456789abcdefgh", 1, 0, 2); /* ids that differ past 8 and 16 bytes */
    ps_init(&v[7], s, "x0123456789abcdefgi", 1, 0, 2);
    for (int i = 0; i < 8; i++)
        if (i < 4 || i >= 6)
            ps_metric(&v[i], 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    double st[2] = {1.0, 1.0};
    for (uint64_t step = 1; step <= 3; step++) {
        for (int i = 1; i < 8; i++) {
            ps_update(&v[0], 0, 1, step, 100.0 + (double)step, st, 2);
            ps_update(&v[0], 0, 1, step, 100.0 + (double)step, st, 2); /* a new seq */
            st[0] += 1.0;
            int rc = ps_update(&v[i], 0, 1, step, 100.0 + (double)step, st, 2);
            assert_int_equal(rc, i == 4 || i == 5 ? -ERANGE : 0);
        }
    }
    const tw_store_run *x = tw_store_find_run(s, "x"), *y = tw_store_find_run(s, "y");
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(tw_store_run_count(s), 4);
    /* rank 0: 1 declaration + 42 updates of incarnation 1, 1 + 3 of incarnation 2 */
    assert_int_equal(tw_store_run_rank(x, 0)->incarnations, 2);
    assert_int_equal(tw_store_run_rank(x, 0)->counters.records, 43 + 4);
    assert_int_equal(tw_store_run_rank(x, 1)->counters.records, 1 + 3);
    assert_null(tw_store_run_rank(x, 2));
    assert_int_equal(tw_store_run_rank(y, 0)->counters.records, 1 + 3);
    for (int i = 6; i < 8; i++)
        assert_int_equal(tw_store_run_rank(tw_store_find_run(s, v[i].h.run), 0)->counters.records,
                         1 + 3);
    assert_int_equal(x->counters.world_changes, 3);
    assert_int_equal(x->counters.bad_rank, 3);
    tw_store_destroy(&s);
}

/* Two processes claiming one rank at the same time: reported (counted, named in the reason),
 * never summed; a restart (the old process gone before the new one starts) is not a claim. */
static void
test_rank_claimed_twice(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p0, x, y;
    ps_init(&p0, s, "job", 1, 0, 2);
    ps_init(&x, s, "job", 2, 1, 2);
    ps_init(&y, s, "job", 3, 1, 2);
    ps_run(&p0, 100.0);
    ps_run(&x, 100.0);
    ps_run(&y, 100.5);
    double a[2] = {1.0, 1.0}, b[2] = {2.0, 1.0}, c[2] = {30.0, 1.0};
    ps_metric(&p0, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    ps_metric(&x, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    ps_metric(&y, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    for (int k = 0; k < 5; k++) { /* both send for 5 s */
        ps_heartbeat(&x, 1, 0, 101.0 + k, 1000);
        ps_heartbeat(&y, 1, 0, 101.2 + k, 1000);
    }
    ps_epoch(&p0, 0, 1, 10, 106.0, a, 2);
    ps_epoch_end(&p0, 1, 10, 106.0, 1);
    ps_epoch(&x, 0, 1, 10, 106.0, b, 2);
    ps_epoch_end(&x, 1, 10, 106.0, 1);
    ps_epoch(&y, 0, 1, 10, 106.0, c, 2);
    ps_epoch_end(&y, 1, 10, 106.0, 1);
    const tw_store_run *rn = tw_store_find_run(s, "job");
    assert_int_equal(rn->counters.rank_conflicts, 2);
    assert_true(tw_store_run_rank(rn, 1)->claimed_twice);
    assert_false(tw_store_run_rank(rn, 0)->claimed_twice);
    tw_store_tick(s, 1001.0);
    assert_non_null(strstr(rn->reason, "rank 1 claimed by two processes"));
    /* the epoch: rank 0 and ONE of rank 1's processes (the newest), never both */
    const tw_store_series *se = series_of(s, "job", "loss", TW_SPLIT_TRAIN);
    assert_true(se->points[0].final);
    assert_int_equal(se->points[0].ranks_in, 2);
    assert_true(se->points[0].value == 31.0 / 2);

    /* a restart: the first process's last record before the second's first */
    pubsim r1, r2;
    ps_init(&r1, s, "restarted", 1, 0, 1);
    ps_init(&r2, s, "restarted", 2, 0, 1);
    for (int k = 0; k < 5; k++)
        ps_heartbeat(&r1, 1, 0, 100.0 + k, 1000);
    for (int k = 0; k < 5; k++)
        ps_heartbeat(&r2, 1, 0, 105.5 + k, 1000);
    assert_int_equal(tw_store_find_run(s, "restarted")->counters.rank_conflicts, 0);
    tw_store_destroy(&s);
}

/* A run whose heard ranks all ended while a rank of its world was never heard waits for it
 * (live) for stall_beats heartbeats, then ended without it; its epochs are not final. Ranks
 * are held sparsely: a claimed world of 65536 with one rank heard costs one rank. */
static void
test_unheard_ranks(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim p;
    ps_init(&p, s, "half", 1, 0, 2);
    p.now = 100.0;
    ps_run(&p, 100.0);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    double st[2] = {1.0, 1.0};
    ps_epoch(&p, 0, 1, 10, 101.0, st, 2);
    ps_epoch_end(&p, 1, 10, 101.0, 1);
    ps_end(&p, TW_RUN_OK, 102.0);
    const tw_store_run *rn = tw_store_find_run(s, "half");
    assert_int_equal(rn->state, TW_STATE_LIVE);
    assert_non_null(strstr(rn->reason, "waiting for 1 rank never heard"));
    tw_store_tick(s, 100.0 + 3.5);
    assert_int_equal(rn->state, TW_STATE_ENDED);
    assert_non_null(strstr(rn->reason, "ended without 1 rank of its world"));
    assert_false(series_of(s, "half", "loss", TW_SPLIT_TRAIN)->points[0].final);
    assert_null(tw_store_run_rank(rn, 1));
    assert_int_equal(tw_store_run_ranks_heard(rn), 1);

    size_t before = tw_store_bytes(s);
    ps_init(&p, s, "huge", 1, 65535, 65536);
    ps_run(&p, 100.0);
    ps_metric(&p, 0, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN, TW_GOAL_MIN);
    assert_true(tw_store_bytes(s) - before < 16384);
    assert_non_null(tw_store_run_rank(tw_store_find_run(s, "huge"), 65535));

    /* an AUC declared with 100000 thresholds (states of 200002 doubles, 1.6 MB each) costs
     * little until a state arrives; its first UPDATE costs about the state's size a few times */
    before = tw_store_bytes(s);
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .metric_id = 1,
                        .kind = TW_METRIC_AUC,
                        .options = tw_metric_defaults()};
    r.options.num_thresholds = 100000;
    r.state_len = (uint32_t)tw_metric_state_size_for(TW_METRIC_AUC, &r.options);
    snprintf(r.name, sizeof r.name, "auc");
    assert_int_equal(ps_ingest(&p, &r), 0);
    assert_true(tw_store_bytes(s) - before < 16384);
    static double big[200002];
    assert_int_equal(ps_update(&p, 1, 1, 1, 101.0, big, r.state_len), 0);
    assert_true(tw_store_bytes(s) - before > 4 * sizeof big);
    assert_true(tw_store_bytes(s) - before < 8 * sizeof big);
    /* the largest metric id costs what any id does: the map holds declarations, not ids */
    before = tw_store_bytes(s);
    assert_int_equal(
        ps_metric(&p, TW_STORE_MAX_METRIC_ID, "last", TW_SPLIT_VAL, TW_METRIC_MEAN, TW_GOAL_MIN),
        0);
    assert_true(tw_store_bytes(s) - before < 4096);
    double two[2] = {3.0, 1.0};
    assert_int_equal(ps_update(&p, TW_STORE_MAX_METRIC_ID, 1, 1, 101.0, two, 2), 0);
    assert_true(series_of(s, "huge", "last", TW_SPLIT_VAL)->has_live);
    tw_store_destroy(&s);
}

/* Gauges across ranks (doc/protocol.md section 6): the merged epoch value is the state of
 * the rank whose record has the latest time, the lowest rank's on equal times; never a sum. */
static void
test_gauge_merge_rule(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    pubsim a, b;
    ps_init(&a, s, "g", 1, 0, 2);
    ps_init(&b, s, "g", 2, 1, 2);
    ps_metric(&a, 0, "lr", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    ps_metric(&b, 0, "lr", TW_SPLIT_TRAIN, TW_WIRE_KIND_GAUGE, TW_GOAL_UNKNOWN);
    double va[1] = {0.1}, vb[1] = {0.2};
    ps_epoch(&b, 0, 1, 10, 6.0, vb, 1); /* rank 1 later */
    ps_epoch(&a, 0, 1, 10, 5.0, va, 1);
    ps_epoch(&b, 0, 2, 20, 7.0, vb, 1); /* equal times: rank 0's, whatever arrived first */
    ps_epoch(&a, 0, 2, 20, 7.0, va, 1);
    const tw_store_series *se = series_of(s, "g", "lr", TW_SPLIT_TRAIN);
    assert_int_equal(se->n_points, 2);
    assert_true(se->points[0].value == 0.2);
    assert_true(se->points[1].value == 0.1);
    tw_store_destroy(&s);
}

/* The store's `now` is the monitor's monotonic clock (app.c, main.c): durations are measured on
 * it alone, whatever the records' own wall times. A link down at monotonic 20.5 is disconnected
 * until link_grace has passed on that clock and vanished after, though every record says it was
 * sent at a wall time far past it. */
static void
test_disconnected_mono(void **state)
{
    (void)state;
    tw_store *s = new_store(0);
    double grace = tw_store_defaults().link_grace, wall = 1.8e9;
    pubsim p;
    ps_init(&p, s, "mono", 1, 0, 1);
    p.now = 20.0;
    ps_heartbeat(&p, 1, 0, wall, 1000);
    const tw_store_run *rn = tw_store_find_run(s, "mono");
    assert_int_equal(tw_store_set_connected(s, "mono", 0, 1, false, 20.5), 1);
    tw_store_tick(s, 20.5 + grace - 1);
    assert_int_equal(rn->state, TW_STATE_DISCONNECTED);
    tw_store_tick(s, 20.5 + grace + 1);
    assert_int_equal(rn->state, TW_STATE_VANISHED);
    tw_store_destroy(&s);
}

/* Whether two doubles have the same bits (NaN included). */
static bool
same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Everything the two stores show is the same: runs, ranks, counters, series, points, live
 * values and per-step buckets, bit for bit. */
static void
same_stores(const tw_store *a, const tw_store *b)
{
    assert_int_equal(tw_store_changes(a), tw_store_changes(b));
    assert_int_equal(tw_store_run_count(a), tw_store_run_count(b));
    for (size_t i = 0; i < tw_store_run_count(a); i++) {
        const tw_store_run *ra = tw_store_run_at(a, i), *rb = tw_store_run_at(b, i);
        assert_string_equal(ra->id, rb->id);
        assert_memory_equal(&ra->counters, &rb->counters, sizeof ra->counters);
        assert_true(ra->epoch == rb->epoch && ra->step == rb->step && ra->state == rb->state);
        assert_true(same_bits(ra->last_heard, rb->last_heard) &&
                    same_bits(ra->steps_per_sec, rb->steps_per_sec) && ra->n_marks == rb->n_marks);
        for (uint32_t k = 0; k < ra->world; k++) {
            const tw_store_rank *ka = tw_store_run_rank(ra, k), *kb = tw_store_run_rank(rb, k);
            assert_true((ka == NULL) == (kb == NULL));
            if (!ka)
                continue;
            assert_memory_equal(&ka->counters, &kb->counters, sizeof ka->counters);
            assert_true(ka->heard == kb->heard && ka->incarnation == kb->incarnation &&
                        ka->incarnations == kb->incarnations && ka->epoch == kb->epoch &&
                        ka->step == kb->step && ka->state == kb->state &&
                        ka->claimed_twice == kb->claimed_twice);
            assert_true(same_bits(ka->last_heard, kb->last_heard) &&
                        same_bits(ka->last_time, kb->last_time));
        }
        assert_int_equal(ra->n_series, rb->n_series);
        for (size_t j = 0; j < ra->n_series; j++) {
            const tw_store_series *sa = tw_store_run_series(ra, j),
                                  *sb = tw_store_run_series(rb, j);
            assert_int_equal(sa->n_points, sb->n_points);
            for (size_t k = 0; k < sa->n_points; k++)
                assert_true(sa->points[k].epoch == sb->points[k].epoch &&
                            same_bits(sa->points[k].value, sb->points[k].value));
            assert_true(sa->samples == sb->samples && same_bits(sa->last_sample, sb->last_sample) &&
                        sa->has_live == sb->has_live && same_bits(sa->live_value, sb->live_value) &&
                        sa->live_ranks == sb->live_ranks && sa->live_step == sb->live_step);
            assert_true(sa->n_used == sb->n_used && sa->bucket_origin == sb->bucket_origin &&
                        sa->bucket_width == sb->bucket_width);
            if (sa->n_used)
                assert_memory_equal(sa->buckets, sb->buckets, sa->n_used * sizeof *sa->buckets);
        }
    }
}

/* Feeds the stores of test_usual_path_same_as_general and test_batches_same_as_records the
 * same records. Records one by one: st[0] takes the usual path, st[1] the general one, each
 * record at its own time. Batched: the records are gathered into messages, one per envelope
 * (up to 4 at a time, 40 records each), each taken at one time when it is full, when another
 * envelope needs its place, or at a tick; st[2] takes each message's runs of UPDATE and EPOCH
 * records through tw_store_ingest_states, cut into batches of random sizes, and its other
 * records one by one, while st[0] and st[1] take every record one by one. */
#define FEED_MSGS 4
#define FEED_RECS 40
typedef struct feed_msg {
    tw_wire_header h;
    tw_wire_record recs[FEED_RECS];
    double states[FEED_RECS][2];
    size_t n_recs;
} feed_msg;

typedef struct feeder {
    tw_store *st[3];
    int n; /* stores */
    bool batched;
    double now;
    uint64_t x; /* batch sizes */
    feed_msg msg[FEED_MSGS];
    size_t batches, batched_recs; /* given to tw_store_ingest_states */
} feeder;

/* The stores are the same. */
static void
feeder_same(const feeder *f)
{
    for (int i = 1; i < f->n; i++)
        same_stores(f->st[0], f->st[i]);
}

/* Message m, into every store at one time: a record or a batch at a time, the stores compared
 * after each (nothing late, nothing masked by the records after it). */
static void
feeder_flush_msg(feeder *f, feed_msg *m)
{
    if (m->n_recs == 0)
        return;
    f->now += 0.001;
    for (size_t i = 0; i < m->n_recs;) {
        size_t k = 1; /* records in this step: a batch of UPDATE and EPOCH, or one other */
        tw_wire_state_rec b[16];
        f->x ^= f->x << 13, f->x ^= f->x >> 7, f->x ^= f->x << 17;
        for (size_t n = 1 + (size_t)(f->x % 16); k <= n && i + k <= m->n_recs; k++) {
            const tw_wire_record *r = &m->recs[i + k - 1];
            if (r->type != TW_REC_UPDATE && r->type != TW_REC_EPOCH)
                break;
            b[k - 1] = (tw_wire_state_rec){r->state, r->seq,       r->epoch,     r->step,
                                           r->time,  r->metric_id, r->state_len, (uint8_t)r->type};
        }
        k = k > 1 ? k - 1 : 1;
        bool batch = m->recs[i].type == TW_REC_UPDATE || m->recs[i].type == TW_REC_EPOCH;
        for (size_t j = i; j < i + k; j++) {
            int rc0 = tw_store_ingest(f->st[0], &m->h, &m->recs[j], f->now);
            assert_int_equal(rc0, tw_store_ingest(f->st[1], &m->h, &m->recs[j], f->now));
        }
        if (batch) {
            assert_int_equal(tw_store_ingest_states(f->st[2], &m->h, b, k, f->now), 0);
            f->batches++;
            f->batched_recs += k;
        } else {
            tw_store_ingest(f->st[2], &m->h, &m->recs[i], f->now);
        }
        i += k;
        feeder_same(f);
    }
    m->n_recs = 0;
}

/* Every message gathered, in the order of their places. */
static void
feeder_flush(feeder *f)
{
    for (int i = 0; i < FEED_MSGS; i++)
        feeder_flush_msg(f, &f->msg[i]);
}

/* Record r under envelope h, into the stores (gathered, when batched). */
static void
feeder_add(feeder *f, const tw_wire_header *h, const tw_wire_record *r)
{
    if (!f->batched) {
        f->now += 0.001; /* a clock that moves with every record */
        int rc0 = tw_store_ingest(f->st[0], h, r, f->now);
        assert_int_equal(rc0, tw_store_ingest(f->st[1], h, r, f->now));
        feeder_same(f); /* after every record: nothing late, nothing masked */
        return;
    }
    feed_msg *m = NULL;
    for (int i = 0; i < FEED_MSGS && !m; i++)
        if (f->msg[i].n_recs && memcmp(&f->msg[i].h, h, sizeof *h) == 0)
            m = &f->msg[i];
    for (int i = 0; i < FEED_MSGS && !m; i++)
        if (f->msg[i].n_recs == 0)
            m = &f->msg[i];
    if (!m) { /* another envelope: the messages so far go first */
        feeder_flush(f);
        m = &f->msg[0];
    }
    if (m->n_recs == FEED_RECS)
        feeder_flush_msg(f, m);
    m->h = *h;
    m->recs[m->n_recs] = *r;
    if (r->state) { /* (the caller's is gone when the message is taken) */
        memcpy(m->states[m->n_recs], r->state, r->state_len * sizeof(double));
        m->recs[m->n_recs].state = m->states[m->n_recs];
    }
    m->n_recs++;
}

/* The records gathered, into the stores, those of envelope h last (when h is not NULL): its
 * incarnation is then the one a store placed last, whose next usual record finds it placed
 * (but stalled or static, after a tick). */
static void
feeder_flush_last(feeder *f, const tw_wire_header *h)
{
    for (int i = 0; i < FEED_MSGS; i++)
        if (!h || memcmp(&f->msg[i].h, h, sizeof *h) != 0)
            feeder_flush_msg(f, &f->msg[i]);
    feeder_flush(f);
}

/* Ticks every store at the feeder's time, the records gathered ingested first (feeder_flush_last).
 */
static void
feeder_tick(feeder *f, const tw_wire_header *h)
{
    feeder_flush_last(f, h);
    for (int i = 0; i < f->n; i++)
        tw_store_tick(f->st[i], f->now);
    feeder_same(f);
}

/* The stream of test_usual_path_same_as_general, into feeder f's stores. It has what the usual
 * path (and a batch) must leave to the general path: two ranks whose records interleave, a
 * restart (a second incarnation of a rank), duplicates, lost seqs, replay marks, an undeclared
 * metric, times of 0 and before the start, heartbeats, epochs and their ends, stalls. */
static void
feed_stream(feeder *f)
{
    tw_wire_header h[3]; /* rank 0; rank 1; rank 1 again (a restart) */
    uint64_t seq[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        h[i] = (tw_wire_header){
            .version = 2, .incarnation = i == 2 ? 2 : 1, .rank = i ? 1 : 0, .world = 2};
    for (int i = 0; i < 3; i++)
        snprintf(h[i].run, sizeof h[i].run, "%s", "run-0123456789abcdef");
    double t0 = 1.7e9;
    bool plain_next = false;
    uint64_t x = 0x2545f4914f6cdd1dull;
    f->now = 1000.0;
    tw_wire_header mirror = h[0]; /* batched: another run, whose rank 0 sends what rank 0
                                     sends (its seqs too), but the first record after a tick:
                                     rank 0 is then still the one placed last (one by one, it
                                     would be placed last instead, every other record) */
    snprintf(mirror.run, sizeof mirror.run, "%s", "run-mirror");
    bool after_tick = false;
#define BOTH(hh, rr)                                                                               \
    do {                                                                                           \
        feeder_add(f, (hh), (rr));                                                                 \
        if ((hh) == &h[0] && !after_tick && f->batched) {                                          \
            mirror.replay_through = (hh)->replay_through;                                          \
            feeder_add(f, &mirror, (rr));                                                          \
        }                                                                                          \
    } while (0)
    for (int step = 1; step <= 600; step++) {
        uint64_t epoch = 1 + (uint64_t)(step - 1) / 60;
        for (int k = 0; k < 2; k++) {
            int w = k == 0 ? 0 : step <= 300 ? 1 : 2; /* rank 1 restarts at step 301 */
            tw_wire_header *hh = &h[w];
            f->now += 0.01;
            double t = t0 + step * 0.5 + k * 0.001;
            if (step == 1 || (w == 2 && step == 301)) {
                tw_wire_record run = {.type = TW_REC_RUN, .seq = ++seq[w], .time = t};
                snprintf(run.name, sizeof run.name, "mlp");
                BOTH(hh, &run);
                for (uint32_t id = 1; id <= 3; id++) {
                    tw_wire_record m = {.type = TW_REC_METRIC,
                                        .seq = ++seq[w],
                                        .metric_id = id,
                                        .split = id == 3 ? TW_SPLIT_VAL : TW_SPLIT_TRAIN,
                                        .kind = id == 2 ? TW_WIRE_KIND_GAUGE : TW_METRIC_MEAN,
                                        .options = tw_metric_defaults(),
                                        .state_len = id == 2 ? 1 : 2};
                    snprintf(m.name, sizeof m.name, "%s",
                             id == 1   ? "loss"
                             : id == 2 ? "lr"
                                       : "acc");
                    BOTH(hh, &m);
                }
            }
            for (uint32_t id = 1; id <= 4; id++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                unsigned pick = plain_next ? 50 : (unsigned)(x % 100);
                after_tick = plain_next;
                plain_next = false;
                if (id == 4 && pick >= 3)
                    continue; /* an undeclared metric, now and then */
                double total = (double)(step % 60 + 1) * (1.0 + (double)(x >> 40) / 1e7);
                double sv[2] = {id == 2 ? 0.01 / step : total, (double)(step % 60 + 1)};
                tw_wire_record r = {.type = TW_REC_UPDATE,
                                    .seq = ++seq[w],
                                    .metric_id = id,
                                    .epoch = epoch,
                                    .step = (uint64_t)step,
                                    .time = pick == 5             ? 0.0
                                            : pick == 6 && w == 0 ? t0 - 100
                                                                  : t + 0.13 * id,
                                    .state = sv,
                                    .state_len = id == 2 ? 1 : 2};
                if (pick == 7)
                    r.seq = ++seq[w]; /* one seq lost */
                uint64_t rt = hh->replay_through;
                if (pick == 8)
                    hh->replay_through = r.seq + 2; /* a replay mark past it */
                BOTH(hh, &r);
                hh->replay_through = rt;
                if (pick == 8)
                    seq[w] += 2; /* what it stood for: never sent, not lost */
                if (pick == 9)
                    BOTH(hh, &r); /* the same again */
                if (pick == 10 && seq[w] > 5) {
                    r.seq = seq[w] - 3; /* an older seq: a duplicate */
                    BOTH(hh, &r);
                }
                if ((pick == 11 || (step == 302 && id == 1)) && w == 2) { /* the old
                                               incarnation of rank 1, late, twice */
                    for (int again = 0; again < 2; again++) {
                        r.seq = ++seq[1];
                        r.time = t + 100.0; /* another host's clock: two processes claim rank 1 */
                        BOTH(&h[1], &r);
                    }
                }
                if (id == 2 && k == 0 && (step == 200 || step == 400)) { /* within a burst */
                    feeder_flush_last(f, hh); /* (at the time they came) */
                    if (step == 200)
                        f->now += 100.0; /* silence: the ranks stall and vanish, then come back */
                    feeder_tick(f, hh);
                    if (step == 400) /* as if read from a log that ended; then live again */
                        for (int i = 0; i < f->n; i++)
                            assert_int_equal(tw_store_mark_static(f->st[i], h[0].run, f->now), 0);
                    feeder_same(f);
                    plain_next = true; /* the burst goes on with a usual record */
                }
            }
            if (step % 60 == 0) { /* right after the updates: an EPOCH within a batch */
                double sv[2] = {42.0 + k, 7.0};
                tw_wire_record ep = {.type = TW_REC_EPOCH,
                                     .seq = ++seq[w],
                                     .metric_id = 3,
                                     .epoch = epoch,
                                     .step = (uint64_t)step,
                                     .time = t,
                                     .state = sv,
                                     .state_len = 2};
                BOTH(hh, &ep);
                tw_wire_record end = {.type = TW_REC_EPOCH_END,
                                      .seq = ++seq[w],
                                      .epoch = epoch,
                                      .step = (uint64_t)step,
                                      .time = t,
                                      .metrics = 1};
                BOTH(hh, &end);
            }
            if (step % 20 == 0) {
                tw_wire_record hb = {.type = TW_REC_HEARTBEAT,
                                     .seq = ++seq[w],
                                     .epoch = epoch,
                                     .step = (uint64_t)step,
                                     .time = t,
                                     .interval_ms = 500};
                BOTH(hh, &hb);
            }
        }
        if (step % 50 == 0)
            feeder_tick(f, NULL);
    }
#undef BOTH
    feeder_flush(f);
    feeder_same(f);
    const tw_store_run *rn = tw_store_find_run(f->st[0], h[0].run);
    assert_non_null(rn);
    /* what the stream had: gaps, duplicates, an undeclared metric, a restart */
    assert_true(rn->counters.gaps > 0 && rn->counters.duplicates > 0 &&
                rn->counters.undeclared > 0 && rn->counters.rank_conflicts > 0 && rn->n_marks == 1);
    if (f->batched) /* batches of many records, mostly */
        assert_true(f->batched_recs > 3 * f->batches);
}

/* Stores for the feeder: the usual path, the general path, and (batched) the usual path again
 * for the batches; buckets coarsened several times. */
static void
feeder_open(feeder *f, bool batched)
{
    *f = (feeder){.n = batched ? 3 : 2, .batched = batched, .x = 0x9e3779b97f4a7c15ull};
    tw_store_options o = tw_store_defaults();
    o.buckets = 64;
    for (int i = 0; i < f->n; i++) {
        o.general_path = i == 1;
        f->st[i] = tw_store_new(&o);
        assert_non_null(f->st[i]);
    }
}

static void
feeder_close(feeder *f)
{
    for (int i = 0; i < f->n; i++)
        tw_store_destroy(&f->st[i]);
}

/* The usual UPDATE takes a shortcut through tw_store_ingest (one envelope after another, the
 * next seq, one live incarnation): a stream into a store that takes it and into one that takes
 * the general path for every record leaves both the same, record for record. */
static void
test_usual_path_same_as_general(void **state)
{
    (void)state;
    feeder f;
    feeder_open(&f, false);
    feed_stream(&f);
    feeder_close(&f);
}

/* tw_store_ingest_states (a run log's batches) leaves a store as the records one by one do,
 * message for message, on the usual path and the general one. */
static void
test_batches_same_as_records(void **state)
{
    (void)state;
    feeder f;
    feeder_open(&f, true);
    feed_stream(&f);
    feeder_close(&f);
}

/* The declaration of a Mean "loss" of id 1 (seq, untimed) with a state of len doubles under
 * envelope h, into the feeder. */
static void
feed_mean_declared(feeder *f, const tw_wire_header *h, uint64_t seq, uint32_t len)
{
    tw_wire_record m = {.type = TW_REC_METRIC,
                        .seq = seq,
                        .metric_id = 1,
                        .split = TW_SPLIT_TRAIN,
                        .kind = TW_METRIC_MEAN,
                        .options = tw_metric_defaults(),
                        .state_len = len};
    snprintf(m.name, sizeof m.name, "loss");
    feeder_add(f, h, &m);
}

/* The same, with 0.1's state of 2 doubles [total, count]. */
static void
feed_loss_declared(feeder *f, const tw_wire_header *h, uint64_t seq)
{
    feed_mean_declared(f, h, seq, 2);
}

/* A RUN (seq, time t) and the declaration of a Mean "loss" of id 1 (seq + 1, untimed) under
 * envelope h, into the feeder. */
static void
feed_run_loss(feeder *f, const tw_wire_header *h, uint64_t seq, double t)
{
    tw_wire_record run = {.type = TW_REC_RUN, .seq = seq, .time = t};
    snprintf(run.name, sizeof run.name, "mlp");
    feeder_add(f, h, &run);
    feed_loss_declared(f, h, seq + 1);
}

/* The k-th UPDATE of "loss" (step k, state [2k, k]) in epoch e with seq and time t, into the
 * feeder. */
static void
feed_loss_update_in(feeder *f, const tw_wire_header *h, uint64_t e, uint64_t k, uint64_t seq,
                    double t)
{
    double sv[2] = {2.0 * (double)k, (double)k};
    tw_wire_record r = {.type = TW_REC_UPDATE,
                        .seq = seq,
                        .metric_id = 1,
                        .epoch = e,
                        .step = k,
                        .time = t,
                        .state = sv,
                        .state_len = 2};
    feeder_add(f, h, &r);
}

/* The same in epoch 1. */
static void
feed_loss_update(feeder *f, const tw_wire_header *h, uint64_t k, uint64_t seq, double t)
{
    feed_loss_update_in(f, h, 1, k, seq, t);
}

/* Two processes claim one rank: the first sends only a RUN, an untimed declaration and
 * UPDATEs (its earliest time comes from the usual path, the UPDATEs'), the second the same
 * over a span of time that overlaps the first's by more than the margin. The usual path and
 * the batches see the claim as the general path does (counted, the rank marked). */
static void
test_usual_path_claims(void **state)
{
    (void)state;
    feeder f;
    feeder_open(&f, true);
    f.now = 1000.0;
    for (uint64_t inc = 1; inc <= 2; inc++) {
        tw_wire_header h = {.version = 2, .incarnation = inc, .rank = 0, .world = 1};
        snprintf(h.run, sizeof h.run, "%s", "claims");
        double t = 1.7e9 + (double)inc;
        feed_run_loss(&f, &h, 1, t);
        for (uint64_t k = 1; k <= 10; k++)
            feed_loss_update(&f, &h, k, 2 + k, t + 0.5 * (double)k);
        feeder_flush(&f);
    }
    feeder_same(&f);
    const tw_store_run *rn = tw_store_find_run(f.st[0], "claims");
    assert_non_null(rn);
    assert_int_equal(rn->counters.rank_conflicts, 2);
    assert_true(tw_store_run_rank(rn, 0)->claimed_twice);
    feeder_close(&f);
}

/* An incarnation whose seqs reach the largest one and go on at 0 (a peer's choice): the
 * usual path and the batches leave the stores as the general path does, as for any seq. */
static void
test_usual_path_seq_limit(void **state)
{
    (void)state;
    feeder f;
    feeder_open(&f, true);
    tw_wire_header h = {.version = 2, .incarnation = 1, .rank = 0, .world = 1};
    snprintf(h.run, sizeof h.run, "%s", "wrap");
    f.now = 1000.0;
    double t = 1.7e9;
    feed_run_loss(&f, &h, UINT64_MAX - 3, t);
    uint64_t seq = UINT64_MAX - 1; /* then UINT64_MAX, 0, 1 */
    for (uint64_t k = 1; k <= 4; k++, seq++)
        feed_loss_update(&f, &h, k, seq, t + (double)k);
    feeder_flush(&f);
    feeder_same(&f);
    const tw_store_series *se = series_of(f.st[0], "wrap", "loss", TW_SPLIT_TRAIN);
    assert_int_equal(se->samples, 4); /* each update a sample, the general way for 0 and 1 */
    feeder_close(&f);
}

/* A resumed trainer heard before the first process of its rank (the older: an earlier start),
 * its records on the usual path: the restart mark sits at the first epoch it updated, which the
 * usual path kept, as the general path does. */
static void
test_usual_path_restart_mark(void **state)
{
    (void)state;
    feeder f;
    feeder_open(&f, true);
    f.now = 1000.0;
    for (uint64_t inc = 2; inc >= 1; inc--) {
        tw_wire_header h = {.version = 2, .incarnation = inc, .rank = 0, .world = 1};
        snprintf(h.run, sizeof h.run, "%s", "resumed");
        double t = 1.7e9 + 1000.0 * (double)inc;
        feed_run_loss(&f, &h, 1, t);
        for (uint64_t k = 1; k <= 10; k++) /* the second: epochs 4 and 5; the first: 1 and 2 */
            feed_loss_update_in(&f, &h, 3 * inc - 3 + (k + 4) / 5, k, 2 + k, t + (double)k);
        feeder_flush(&f);
    }
    feeder_same(&f);
    for (int i = 0; i < f.n; i++) {
        const tw_store_run *rn = tw_store_find_run(f.st[i], "resumed");
        assert_non_null(rn);
        assert_int_equal(rn->n_marks, 1);
        assert_int_equal(rn->marks[0].epoch, 4);
        assert_true(rn->marks[0].time == 1.7e9 + 2000.0);
        assert_int_equal(rn->epoch, 5);
        assert_int_equal(rn->step, 10);
    }
    feeder_close(&f);
}

/* UPDATEs timed before the earliest time heard from their process, which sent no RUN (a clock
 * stepped back): not the usual path's (the start moves: a second process is weighed against
 * it), and the stores end the same. */
static void
test_usual_path_early_times(void **state)
{
    (void)state;
    feeder f;
    feeder_open(&f, true);
    f.now = 1000.0;
    tw_wire_header h = {.version = 2, .incarnation = 1, .rank = 0, .world = 1};
    snprintf(h.run, sizeof h.run, "%s", "early");
    double t = 1.7e9;
    feed_loss_declared(&f, &h, 1); /* no RUN: the start is the earliest time heard, t - 9 */
    for (uint64_t k = 1; k <= 10; k++)
        feed_loss_update(&f, &h, k, 1 + k, t + (k % 3 ? 1.0 : -1.0) * (double)k);
    feeder_flush(&f);
    h.incarnation = 2; /* a second process, first heard at t - 4.9: the newer of the two */
    feed_loss_declared(&f, &h, 1);
    for (uint64_t k = 1; k <= 10; k++)
        feed_loss_update(&f, &h, k, 1 + k, t - 5.0 + 0.1 * (double)k);
    feeder_flush(&f);
    feeder_same(&f);
    for (int i = 0; i < f.n; i++) {
        const tw_store_run *rn = tw_store_find_run(f.st[i], "early");
        assert_non_null(rn);
        assert_int_equal(tw_store_run_rank(rn, 0)->incarnation, 2);
    }
    feeder_close(&f);
}

/* A Mean's per-step value (the store's own division, without a call) is the library's,
 * tw_metric_result_of's, of each update's difference: counts of 1, 2, a half and 0, an
 * infinite total and a NaN, on the usual path, the general one and in batches. */
static void
test_mean_value_as_library(void **state)
{
    (void)state;
    static const double cum[][2] = {{1.5, 1},        {4.5, 3},        {5.0, 3.5},
                                    {6.0, 3.5},      {-2.0, 4.5},     {-2.0, 6.5},
                                    {INFINITY, 7.5}, {INFINITY, 8.5}, {-7.25, 9.5}};
    feeder f;
    feeder_open(&f, true);
    tw_wire_header h = {.version = 2, .incarnation = 1, .rank = 0, .world = 1};
    snprintf(h.run, sizeof h.run, "%s", "means");
    f.now = 1000.0;
    feed_mean_declared(&f, &h, 1, 4);
    tw_metric *mean = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_non_null(mean);
    double prev[4] = {0};
    for (size_t k = 0; k < sizeof cum / sizeof cum[0]; k++) {
        double st[4] = {cum[k][0], cum[k][1], 0, 0};
        tw_wire_record r = {.type = TW_REC_UPDATE,
                            .seq = 2 + k,
                            .metric_id = 1,
                            .epoch = 1,
                            .step = 1 + k,
                            .time = 1.7e9 + (double)k,
                            .state = st,
                            .state_len = 4};
        feeder_add(&f, &h, &r);
        feeder_flush(&f);
        double d[4];
        for (int i = 0; i < 4; i++)
            d[i] = k ? st[i] - prev[i] : st[i]; /* the first: its state, no update before it */
        double want = tw_metric_result_of(mean, d, 4);
        for (int i = 0; i < f.n; i++) {
            const tw_store_series *se = series_of(f.st[i], "means", "loss", TW_SPLIT_TRAIN);
            assert_int_equal(se->last_sample_step, 1 + k);
            assert_true(same_bits(se->last_sample, want) ||
                        (isnan(se->last_sample) && isnan(want)));
        }
        memcpy(prev, st, sizeof prev);
    }
    tw_metric_destroy(&mean);
    feeder_close(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_four_ranks),
        cmocka_unit_test(test_final_vs_partial),
        cmocka_unit_test(test_lagging_rank),
        cmocka_unit_test(test_live_value),
        cmocka_unit_test(test_live_deferred),
        cmocka_unit_test(test_per_step_differences),
        cmocka_unit_test(test_per_step_differences_4),
        cmocka_unit_test(test_buckets_out_of_order),
        cmocka_unit_test(test_duplicates_ignored),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_usual_path_same_as_general),
        cmocka_unit_test(test_batches_same_as_records),
        cmocka_unit_test(test_usual_path_seq_limit),
        cmocka_unit_test(test_usual_path_claims),
        cmocka_unit_test(test_usual_path_restart_mark),
        cmocka_unit_test(test_usual_path_early_times),
        cmocka_unit_test(test_mean_value_as_library),
        cmocka_unit_test(test_gaps_replay_through),
        cmocka_unit_test(test_seq_set_bounded),
        cmocka_unit_test(test_publisher_drops),
        cmocka_unit_test(test_publisher_gaps),
        cmocka_unit_test(test_gap_ranges),
        cmocka_unit_test(test_bucket_coarsening),
        cmocka_unit_test(test_smoothing_matches_tensorboard),
        cmocka_unit_test(test_smoothing_constant),
        cmocka_unit_test(test_smoothing_exact_long),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_stalled_vanished),
        cmocka_unit_test(test_disconnected),
        cmocka_unit_test(test_disconnected_mono),
        cmocka_unit_test(test_run_end),
        cmocka_unit_test(test_names_and_joins),
        cmocka_unit_test(test_labels_of_late_named_runs),
        cmocka_unit_test(test_later_launch_of_one_id),
        cmocka_unit_test(test_rank_claimed_twice),
        cmocka_unit_test(test_envelope_remembered),
        cmocka_unit_test(test_unheard_ranks),
        cmocka_unit_test(test_gauge_merge_rule),
        cmocka_unit_test(test_gauges),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_best_by_goal),
        cmocka_unit_test(test_run_info),
        cmocka_unit_test(test_finals_across_ranks),
        cmocka_unit_test(test_finals_restart),
        cmocka_unit_test(test_finals_trim),
        cmocka_unit_test(test_series_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
