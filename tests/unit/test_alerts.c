/* test_alerts.c - the alert rules over synthetic curves ingested into a real store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "alerts.h"
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* A simulated publisher of gauges with declared goals (one rank)                              */

typedef struct sim {
    tw_store *s;
    tw_alerts *a;
    tw_wire_header h;
    uint64_t seq;
    double now;
} sim;

static void
sim_init(sim *p, const tw_alert_config *c)
{
    memset(p, 0, sizeof *p);
    p->s = tw_store_new(NULL);
    assert_non_null(p->s);
    p->a = tw_alerts_new(c);
    assert_non_null(p->a);
    p->h.version = 1;
    snprintf(p->h.run, sizeof p->h.run, "run1");
    p->h.incarnation = 7;
    p->h.world = 1;
    p->now = 1000.0;
}

static void
sim_fini(sim *p)
{
    tw_alerts_destroy(&p->a);
    assert_null(p->a);
    tw_store_destroy(&p->s);
}

static void
ingest(sim *p, tw_wire_record *r)
{
    r->seq = ++p->seq;
    assert_int_equal(tw_store_ingest(p->s, &p->h, r, p->now), 0);
}

static void
declare(sim *p, uint32_t id, const char *name, tw_split split, tw_goal goal)
{
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .metric_id = id,
                        .split = split,
                        .kind = TW_WIRE_KIND_GAUGE,
                        .goal = goal,
                        .options = tw_metric_defaults(),
                        .state_len = 1};
    snprintf(r.name, sizeof r.name, "%s", name);
    ingest(p, &r);
}

static void
value(sim *p, tw_record_type type, uint32_t id, uint64_t epoch, uint64_t step, double v)
{
    tw_wire_record r = {.type = type,
                        .metric_id = id,
                        .epoch = epoch,
                        .step = step,
                        .time = p->now,
                        .state = &v,
                        .state_len = 1};
    ingest(p, &r);
}

static void
epoch_end(sim *p, uint64_t epoch)
{
    tw_wire_record r = {
        .type = TW_REC_EPOCH_END, .epoch = epoch, .step = epoch * 10, .time = p->now};
    ingest(p, &r);
}

/* Feeds n epochs of train and val values of metric `name`, evaluating after each epoch. */
static void
feed(sim *p, const char *name, tw_goal goal, const double *train, const double *val, size_t n)
{
    declare(p, 1, name, TW_SPLIT_TRAIN, goal);
    declare(p, 2, name, TW_SPLIT_VAL, goal);
    for (size_t i = 0; i < n; i++) {
        uint64_t e = i + 1;
        p->now += 1;
        value(p, TW_REC_EPOCH, 1, e, e * 10, train[i]);
        value(p, TW_REC_EPOCH, 2, e, e * 10, val[i]);
        epoch_end(p, e);
        assert_true(tw_alerts_eval(p->a, p->s, p->now) >= 0);
    }
}

/* The first event of rule `name` that fired (cleared: that cleared); NULL when none. */
static const tw_alert *
find_event(const tw_alerts *a, const char *name, bool cleared)
{
    for (size_t i = 0; i < tw_alerts_count(a); i++) {
        const tw_alert *e = tw_alerts_at(a, i);
        if (strcmp(e->name, name) == 0 && e->cleared == cleared)
            return e;
    }
    return NULL;
}

static size_t
count_events(const tw_alerts *a, const char *name, bool cleared)
{
    size_t n = 0;
    for (size_t i = 0; i < tw_alerts_count(a); i++) {
        const tw_alert *e = tw_alerts_at(a, i);
        if (strcmp(e->name, name) == 0 && e->cleared == cleared)
            n++;
    }
    return n;
}

/* Classic overfitting: val loss falls to 0.47 at epoch 7, then rises; train keeps falling. */
static const double of_val[16] = {1.0,  0.8,  0.65, 0.55, 0.5,  0.48, 0.47, 0.49,
                                  0.52, 0.56, 0.61, 0.67, 0.74, 0.82, 0.9,  1.0};
static double of_train[16];

static void
fill_train(void)
{
    for (int i = 0; i < 16; i++)
        of_train[i] = pow(0.9, i);
}

/* Starts p with config c and feeds it 16 epochs of loss: va, and the falling of_train. */
static void
feed_loss16(sim *p, const tw_alert_config *c, const double *va)
{
    fill_train();
    sim_init(p, c);
    feed(p, "loss", TW_GOAL_MIN, of_train, va, 16);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_gl_pk_hand_computed(void **state)
{
    (void)state;
    const double v[] = {0.5, 0.4, 0.44};
    assert_float_equal(tw_alert_gl(v, 3, TW_GOAL_MIN), 10.0, 1e-9); /* 100 (0.44/0.4 - 1) */
    assert_float_equal(tw_alert_gl(v, 2, TW_GOAL_MIN), 0.0, 1e-12);
    const double acc[] = {0.8, 0.9, 0.81};
    assert_float_equal(tw_alert_gl(acc, 3, TW_GOAL_MAX), 10.0, 1e-9); /* 100 (0.9-0.81)/0.9 */
    const double tr[] = {2.0, 1.0, 0.9, 0.8, 0.7, 0.6};
    /* strip of the last 5: sum 4.0, min 0.6: 1000 (4 / 3 - 1) = 333.33... */
    assert_float_equal(tw_alert_pk(tr, 6, 5, TW_GOAL_MIN), 1000.0 / 3.0, 1e-9);
    const double tra[] = {0.5, 0.6, 0.7, 0.8, 1.0};
    /* 1000 (5 * 1.0 / 3.6 - 1) = 388.88... */
    assert_float_equal(tw_alert_pk(tra, 5, 5, TW_GOAL_MAX), 1000.0 * (5.0 / 3.6 - 1.0), 1e-9);
    const double flat[] = {0.3, 0.3, 0.3, 0.3, 0.3};
    assert_float_equal(tw_alert_pk(flat, 5, 5, TW_GOAL_MIN), 0.0, 1e-12);
    assert_true(isnan(tw_alert_pk(tr, 4, 5, TW_GOAL_MIN)));
    assert_true(isnan(tw_alert_gl(v, 3, TW_GOAL_UNKNOWN)));
    assert_true(isnan(tw_alert_gl(v, 0, TW_GOAL_MIN)));
    const double nan_v[] = {0.5, NAN};
    assert_true(isnan(tw_alert_gl(nan_v, 2, TW_GOAL_MIN)));
}

static void
test_live_gl_pk(void **state)
{
    (void)state;
    fill_train();
    sim p;
    sim_init(&p, NULL);
    feed(&p, "loss", TW_GOAL_MIN, of_train, of_val, 10);
    double gl, pk;
    const tw_store_run *run = tw_store_find_run(p.s, "run1");
    assert_int_equal(tw_alerts_gl_pk(p.a, run, "loss", &gl, &pk), 0);
    assert_float_equal(gl, 100.0 * (0.56 / 0.47 - 1.0), 1e-9);
    double sum = 0;
    for (int i = 5; i < 10; i++)
        sum += of_train[i];
    assert_float_equal(pk, 1000.0 * (sum / (5 * of_train[9]) - 1.0), 1e-9);
    assert_int_equal(tw_alerts_gl_pk(p.a, run, "nope", &gl, &pk), -ENOENT);
    sim_fini(&p);
}

static void
test_overfitting_each_rule(void **state)
{
    (void)state;
    fill_train();
    tw_alert_config c = tw_alert_defaults();
    char err[256];
    assert_int_equal(tw_alert_config_parse(&c, "gl,alpha=5", true, err, sizeof err), 0);
    assert_int_equal(tw_alert_config_parse(&c, "pq,alpha=0.05", true, err, sizeof err), 0);
    assert_int_equal(tw_alert_config_parse(&c, "up,s=2", true, err, sizeof err), 0);
    assert_int_equal(tw_alert_config_parse(&c, "patience,patience=3", true, err, sizeof err), 0);
    sim p;
    sim_init(&p, &c);
    feed(&p, "loss", TW_GOAL_MIN, of_train, of_val, 16);
    const tw_alert *e = find_event(p.a, "overfitting", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 10); /* best at 7; 8, 9, 10 worse */
    assert_true(e->has_best);
    assert_int_equal(e->best_epoch, 7);
    assert_float_equal(e->best_value, 0.47, 1e-12);
    assert_string_equal(e->run, "run1");
    assert_string_equal(e->metric, "loss");
    assert_int_equal(e->split, TW_SPLIT_VAL);
    assert_string_equal(e->text, "val loss 0.56 is 19 % above its best 0.47 of epoch 7 and rose 3 "
                                 "epochs in a row while train loss fell");
    assert_int_equal(count_events(p.a, "overfitting", false), 1); /* once, not every epoch */
    assert_null(find_event(p.a, "overfitting", true));

    e = find_event(p.a, "gl", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 9); /* GL(8) = 4.26, GL(9) = 10.6 */
    assert_int_equal(count_events(p.a, "gl", false), 1);

    e = find_event(p.a, "pq", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 10); /* GL 19.1 / P5 248.3 = 0.077 > 0.05 */

    e = find_event(p.a, "up", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 15); /* 0.9 > 0.61 (epoch 10) > 0.5 (epoch 5) */

    e = find_event(p.a, "patience", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 10);
    assert_int_equal(e->best_epoch, 7);
    assert_non_null(strstr(e->text, "no improvement since epoch 7"));

    assert_true(tw_alerts_fired(p.a) >= 5);
    assert_int_equal(tw_alerts_unacked(p.a), tw_alerts_fired(p.a));
    tw_alerts_ack(p.a);
    assert_int_equal(tw_alerts_unacked(p.a), 0);
    sim_fini(&p);
}

static void
test_noisy_improving_fires_nothing(void **state)
{
    (void)state;
    double tr[60], va[60];
    for (int i = 0; i < 60; i++) {
        int e = i + 1;
        double noise = 0.03 * (double)((e * 7) % 5 - 2) / 2.0;
        va[i] = (1.0 / sqrt(e)) * (1.0 + noise);
        tr[i] = (0.9 / sqrt(e)) * (1.0 - noise);
    }
    sim p;
    sim_init(&p, NULL);
    feed(&p, "loss", TW_GOAL_MIN, tr, va, 60);
    for (size_t i = 0; i < tw_alerts_count(p.a); i++)
        fprintf(stderr, "unexpected: %s\n", tw_alerts_at(p.a, i)->text);
    assert_int_equal(tw_alerts_count(p.a), 0);
    assert_int_equal(tw_alerts_fired(p.a), 0);
    sim_fini(&p);
}

static void
test_double_descent_fires_then_clears(void **state)
{
    (void)state;
    const double va[16] = {1.0, 0.8, 0.65, 0.58, 0.53, 0.5,  0.52, 0.55,
                           0.6, 0.6, 0.55, 0.5,  0.47, 0.44, 0.42, 0.4};
    tw_alert_config c = tw_alert_defaults();
    assert_int_equal(tw_alert_config_parse(&c, "gl", true, NULL, 0), 0);
    sim p;
    feed_loss16(&p, &c, va);
    const tw_alert *f = find_event(p.a, "overfitting", false);
    const tw_alert *cl = find_event(p.a, "overfitting", true);
    assert_non_null(f);
    assert_int_equal(f->epoch, 9); /* best at 6; 7, 8, 9 worse; 0.6 > 0.5 */
    assert_non_null(cl);
    assert_int_equal(cl->epoch, 13); /* 0.47 < 0.5: a new best */
    assert_true(cl->id > f->id);
    assert_int_equal(cl->severity, TW_ALERT_INFO);
    assert_int_equal(count_events(p.a, "overfitting", false), 1);
    f = find_event(p.a, "gl", false);
    cl = find_event(p.a, "gl", true);
    assert_non_null(f);
    assert_non_null(cl);
    assert_int_equal(f->epoch, 8);   /* 0.55 / 0.5: 10 % */
    assert_int_equal(cl->epoch, 12); /* 0.5: 0 % */
    assert_int_equal(tw_alerts_active(p.a), 0);
    sim_fini(&p);
}

/* A rise before a later, lower minimum fires and clears there; the rise after that minimum
 * fires again, naming the new best (the epoch the rise started from) and the epoch it fired. */
static void
test_overfitting_refires_after_new_best(void **state)
{
    (void)state;
    const double va[16] = {1.0,  0.8,  0.6,  0.5,  0.52, 0.54, 0.56, 0.58,
                           0.49, 0.45, 0.44, 0.46, 0.48, 0.5,  0.53, 0.56};
    tw_alert_config c = tw_alert_defaults();
    sim p;
    feed_loss16(&p, &c, va);
    assert_int_equal(tw_alerts_count(p.a), 3);
    const tw_alert *f1 = tw_alerts_at(p.a, 0), *cl = tw_alerts_at(p.a, 1),
                   *f2 = tw_alerts_at(p.a, 2);
    assert_false(f1->cleared); /* 5 to 8 above 0.5 of epoch 4; at 8 the slope of 3..8 rises */
    assert_int_equal(f1->epoch, 8);
    assert_int_equal(f1->best_epoch, 4);
    assert_true(cl->cleared); /* 0.49 < 0.5 */
    assert_int_equal(cl->epoch, 9);
    assert_false(f2->cleared); /* 12 to 14 above 0.44 of epoch 11; the slope of 9..14 rises */
    assert_int_equal(f2->epoch, 14);
    assert_int_equal(f2->best_epoch, 11);
    assert_int_equal(tw_alerts_active(p.a), 1);
    sim_fini(&p);
}

static void
test_maximise_fires_on_drop(void **state)
{
    (void)state;
    const double va[12] = {0.6, 0.7, 0.76, 0.8, 0.83, 0.85, 0.84, 0.82, 0.8, 0.78, 0.77, 0.75};
    const double tr[12] = {0.6, 0.7, 0.75, 0.8, 0.84, 0.87, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97};
    tw_alert_config c = tw_alert_defaults();
    assert_int_equal(tw_alert_config_parse(&c, "patience,patience=2", true, NULL, 0), 0);
    sim p;
    sim_init(&p, &c);
    feed(&p, "accuracy", TW_GOAL_MAX, tr, va, 12);
    const tw_alert *e = find_event(p.a, "overfitting", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 9);
    assert_int_equal(e->best_epoch, 6);
    assert_string_equal(e->text, "val accuracy 0.8 is 5.9 % below its best 0.85 of epoch 6 and "
                                 "fell 3 epochs in a row while train accuracy rose");
    e = find_event(p.a, "patience", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 8);
    sim_fini(&p);

    /* Rising accuracy fires nothing. */
    sim_init(&p, &c);
    feed(&p, "accuracy", TW_GOAL_MAX, tr, tr, 12);
    assert_int_equal(tw_alerts_count(p.a), 0);
    sim_fini(&p);
}

/* Declares metric `id` of `kind` (state of its full layout, with standard errors). */
static void
declare_kind(sim *p, uint32_t id, const char *name, tw_split split, int kind)
{
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .metric_id = id,
                        .split = split,
                        .kind = kind,
                        .options = tw_metric_defaults()};
    r.state_len = (uint32_t)tw_metric_state_size_for((tw_metric_kind)kind, NULL);
    snprintf(r.name, sizeof r.name, "%s", name);
    ingest(p, &r);
}

static void
state_of(sim *p, uint32_t id, uint64_t epoch, const double *st, uint32_t len)
{
    tw_wire_record r = {.type = TW_REC_EPOCH,
                        .metric_id = id,
                        .epoch = epoch,
                        .step = epoch * 10,
                        .time = p->now,
                        .state = st,
                        .state_len = len};
    ingest(p, &r);
}

/* Feeds n epochs of a Mean loss (train and val) over `count` unit-weight values, the val
 * values with standard error se[i]: sumsq = se^2 (B - 1) B + B v^2. */
static void
feed_loss_se(sim *p, const double *tr, const double *va, const double *se, size_t n, double count)
{
    declare_kind(p, 1, "loss", TW_SPLIT_TRAIN, TW_METRIC_MEAN);
    declare_kind(p, 2, "loss", TW_SPLIT_VAL, TW_METRIC_MEAN);
    for (size_t i = 0; i < n; i++) {
        p->now += 1;
        double b = count;
        double st[4] = {tr[i] * b, b, tr[i] * tr[i] * b, b};
        state_of(p, 1, i + 1, st, 4);
        double sv[4] = {va[i] * b, b, se[i] * se[i] * (b - 1) * b + b * va[i] * va[i], b};
        state_of(p, 2, i + 1, sv, 4);
        epoch_end(p, i + 1);
        assert_true(tw_alerts_eval(p->a, p->s, p->now) >= 0);
    }
}

/* The noise tests of the default rule on a loss with standard errors: a 4 % rise fires when
 * it is more than z = 0.1 SE, not when the SE is 20 times it. */
static void
test_overfitting_noise_se(void **state)
{
    (void)state;
    double tr[12], va[12], small[12], large[12];
    for (int i = 0; i < 12; i++) {
        tr[i] = 1.0 - 0.05 * i;
        va[i] = i <= 5 ? 0.5 - 0.01 * i : 0.45 * (1.0 + 0.01 * (i - 5)); /* +1 % an epoch */
        small[i] = 0.001;
        large[i] = 0.5; /* 0.1 SE = 0.05: more than the whole rise */
    }
    sim p;
    sim_init(&p, NULL);
    feed_loss_se(&p, tr, va, small, 12, 1000);
    const tw_alert *e = find_event(p.a, "overfitting", false);
    assert_non_null(e);
    /* best at 6 (0.45); 7 to 9 are beyond the floor (0.5 %), but the least-squares slope of
     * epochs 4 to 9 still points down (the V of the minimum): 10 */
    assert_int_equal(e->epoch, 10);
    assert_int_equal(e->best_epoch, 6);
    assert_string_equal(e->text, "val loss 0.468 is 4 % (18 SE) above its best 0.45 of epoch 6 "
                                 "and rose 4 epochs in a row while train loss fell");
    sim_fini(&p);

    sim_init(&p, NULL);
    feed_loss_se(&p, tr, va, large, 12, 1000);
    assert_null(find_event(p.a, "overfitting", false));
    sim_fini(&p);
}

/* A count metric: on 200 validation samples, a drop of 8 samples (4 %) for 3 epochs is not
 * beyond the resolution (samples = 10); a drop of 12 is. The wording follows the values:
 * "has been below it" when not every value fell, "went from" when not every train value
 * rose. */
static void
test_overfitting_count_resolution(void **state)
{
    (void)state;
    const double hits8[8] = {150, 160, 170, 166, 162, 164, 162, 162};
    const double hits12[8] = {150, 160, 170, 160, 158, 160, 158, 158};
    const double train[8] = {0.7, 0.75, 0.8, 0.82, 0.81, 0.83, 0.84, 0.85};
    for (int run = 0; run < 2; run++) {
        sim p;
        sim_init(&p, NULL);
        declare_kind(&p, 1, "accuracy", TW_SPLIT_TRAIN, TW_METRIC_BINARY_ACCURACY);
        declare_kind(&p, 2, "accuracy", TW_SPLIT_VAL, TW_METRIC_BINARY_ACCURACY);
        for (int i = 0; i < 8; i++) {
            p.now += 1;
            double st[2] = {train[i] * 100, 100};
            state_of(&p, 1, (uint64_t)i + 1, st, 2);
            double sv[2] = {run == 0 ? hits8[i] : hits12[i], 200};
            state_of(&p, 2, (uint64_t)i + 1, sv, 2);
            epoch_end(&p, (uint64_t)i + 1);
            assert_true(tw_alerts_eval(p.a, p.s, p.now) >= 0);
        }
        const tw_alert *e = find_event(p.a, "overfitting", false);
        if (run == 0) {
            assert_null(e);
        } else {
            assert_non_null(e);
            assert_int_equal(e->epoch, 7); /* at 6 the slope of epochs 1 to 6 still rises */
            assert_int_equal(e->best_epoch, 3);
            assert_string_equal(
                e->text, "val accuracy 0.79 is 7.1 % (2.1 SE) below its best 0.85 of epoch 3 "
                         "and has been below it for 4 epochs while train accuracy went "
                         "from 0.8 to 0.84");
        }
        sim_fini(&p);
    }
}

/* The relative floor, on values without standard errors: a rise of 0.4 % for 5 epochs is
 * noise (floor = 0.5 %), one of 0.6 % an epoch is not; it fires when the least-squares slope
 * of the last 6 values turns up (epoch 10: the fall to the best at epoch 5 was steep). */
static void
test_overfitting_floor(void **state)
{
    (void)state;
    double tr[10], flat[10], up[10];
    for (int i = 0; i < 10; i++) {
        tr[i] = 1.0 - 0.05 * i;
        flat[i] = i < 5 ? 1.0 - 0.1 * i : 0.6 * (1.0 + 0.004 * (i % 2 + 0.1));
        up[i] = i < 5 ? 1.0 - 0.1 * i : 0.6 * (1.0 + 0.006 * (i - 4));
    }
    sim p;
    sim_init(&p, NULL);
    feed(&p, "loss", TW_GOAL_MIN, tr, flat, 10);
    assert_null(find_event(p.a, "overfitting", false));
    sim_fini(&p);
    sim_init(&p, NULL);
    feed(&p, "loss", TW_GOAL_MIN, tr, up, 10);
    const tw_alert *e = find_event(p.a, "overfitting", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 10);
    sim_fini(&p);
}

static void
test_patience_baseline_and_start(void **state)
{
    (void)state;
    /* Keras: the wait resets only when the value beats both the best and the baseline. */
    const double va[8] = {0.9, 0.8, 0.7, 0.65, 0.62, 0.6, 0.59, 0.58};
    const double tr[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    tw_alert_config c = tw_alert_defaults();
    c.on[TW_ALERT_OVERFITTING] = false;
    assert_int_equal(tw_alert_config_parse(&c, "patience,patience=4,baseline=0.5", true, NULL, 0),
                     0);
    sim p;
    sim_init(&p, &c);
    feed(&p, "loss", TW_GOAL_MIN, tr, va, 8);
    const tw_alert *e = find_event(p.a, "patience", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 4); /* never below the baseline: wait 1, 2, 3, 4 */
    sim_fini(&p);

    c = tw_alert_defaults();
    c.on[TW_ALERT_OVERFITTING] = false;
    assert_int_equal(tw_alert_config_parse(&c,
                                           "patience,patience=2,min_delta=0.05,start_from_epoch=3",
                                           true, NULL, 0),
                     0);
    sim_init(&p, &c);
    feed(&p, "loss", TW_GOAL_MIN, tr, va, 8);
    /* from epoch 4: best 0.65; 0.62 and 0.6 are not 0.05 better: fires at epoch 6 */
    e = find_event(p.a, "patience", false);
    assert_non_null(e);
    assert_int_equal(e->epoch, 6);
    assert_int_equal(e->best_epoch, 4);
    sim_fini(&p);
}

static void
test_nonfinite_at_step(void **state)
{
    (void)state;
    sim p;
    sim_init(&p, NULL);
    declare(&p, 1, "loss", TW_SPLIT_TRAIN, TW_GOAL_MIN);
    for (uint64_t step = 1; step <= 50; step++) {
        value(&p, TW_REC_UPDATE, 1, 1, step, step == 37 ? NAN : 1.0 / (double)step);
        assert_true(tw_alerts_eval(p.a, p.s, p.now) >= 0);
    }
    const tw_alert *e = find_event(p.a, "nonfinite", false);
    assert_non_null(e);
    assert_int_equal(e->step, 37);
    assert_int_equal(e->severity, TW_ALERT_ERROR);
    assert_non_null(strstr(e->text, "NaN at step 37"));
    assert_true(e->has_value && isnan(e->value)); /* the value, for --jsonl's value_nonfinite */
    assert_int_equal(count_events(p.a, "nonfinite", false), 1);
    sim_fini(&p);

    /* Evaluated only after later finite samples: the bucket still names the step. */
    sim_init(&p, NULL);
    declare(&p, 1, "loss", TW_SPLIT_TRAIN, TW_GOAL_MIN);
    for (uint64_t step = 1; step <= 50; step++)
        value(&p, TW_REC_UPDATE, 1, 1, step, step == 21 ? INFINITY : 1.0);
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 1);
    e = find_event(p.a, "nonfinite", false);
    assert_non_null(e);
    assert_int_equal(e->step, 21);
    sim_fini(&p);
}

static void
test_run_states_and_data_loss(void **state)
{
    (void)state;
    sim p;
    sim_init(&p, NULL);
    tw_wire_record run = {.type = TW_REC_RUN, .time = p.now, .pid = 42};
    ingest(&p, &run);
    declare(&p, 1, "loss", TW_SPLIT_TRAIN, TW_GOAL_MIN);
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 0);
    /* silent for 5 s at the default 1 s heartbeat: stalled, then the process is gone */
    p.now += 5;
    tw_store_tick(p.s, p.now);
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 1);
    assert_non_null(find_event(p.a, "stalled", false));
    assert_int_equal(tw_alerts_active(p.a), 1);
    /* it speaks again, with a hole in its sequence numbers: live (cleared) and data loss */
    p.seq += 3;
    value(&p, TW_REC_UPDATE, 1, 1, 1, 0.5);
    double gap_seen = p.now;
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 1); /* gaps get 3 s to be filled */
    assert_non_null(find_event(p.a, "stalled", true));
    assert_null(find_event(p.a, "dataloss", false));
    /* the engine says when to look again without new data: when the grace period ends */
    assert_true(tw_alerts_next_due(p.a) > gap_seen && tw_alerts_next_due(p.a) <= gap_seen + 3.0);
    p.now += 1;
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 0); /* no new data, still in grace */
    p.now += 2.5;
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 1); /* no new data, grace over */
    const tw_alert *e = find_event(p.a, "dataloss", false);
    assert_non_null(e);
    assert_non_null(strstr(e->text, "3 records missing"));
    assert_true(isinf(tw_alerts_next_due(p.a))); /* nothing more is due */
    /* gaps that a replay fills within the grace period are not data loss */
    {
        sim q;
        sim_init(&q, NULL);
        tw_wire_record r2 = {.type = TW_REC_RUN, .time = q.now, .pid = 43};
        ingest(&q, &r2);
        declare(&q, 1, "loss", TW_SPLIT_TRAIN, TW_GOAL_MIN);
        uint64_t hole = q.seq + 1;
        q.seq += 2; /* seq `hole` and `hole + 1` missing for now */
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        assert_int_equal(tw_alerts_eval(q.a, q.s, q.now), 0);
        uint64_t resume = q.seq;
        q.seq = hole - 1; /* the late records arrive (as a replay would bring them) */
        q.now += 1;
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        q.seq = resume;
        q.now += 5;
        tw_store_tick(q.s, q.now);
        tw_alerts_eval(q.a, q.s, q.now);
        assert_null(find_event(q.a, "dataloss", false));
        /* a gap filled after the grace period (a monitor that fell behind asked for the
         * replay): data loss, then cleared once every record came */
        hole = q.seq + 1;
        q.seq += 2;
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        tw_alerts_eval(q.a, q.s, q.now);
        q.now += 4;
        assert_int_equal(tw_alerts_eval(q.a, q.s, q.now), 1);
        assert_non_null(find_event(q.a, "dataloss", false));
        assert_null(find_event(q.a, "dataloss", true));
        assert_int_equal(tw_alerts_active(q.a), 1);
        resume = q.seq;
        q.seq = hole - 1;
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5); /* one of the two: not yet */
        assert_int_equal(tw_alerts_eval(q.a, q.s, q.now), 0);
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        q.seq = resume;
        assert_int_equal(tw_alerts_eval(q.a, q.s, q.now), 1);
        e = find_event(q.a, "dataloss", true);
        assert_non_null(e);
        assert_non_null(strstr(e->text, "missing epoch values back"));
        assert_int_equal(tw_alerts_active(q.a), 0);
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        assert_int_equal(tw_alerts_eval(q.a, q.s, q.now), 0); /* cleared once */
        /* later gaps that last: data loss again */
        q.seq += 1;
        value(&q, TW_REC_UPDATE, 1, 1, 1, 0.5);
        tw_alerts_eval(q.a, q.s, q.now);
        q.now += 4;
        assert_int_equal(tw_alerts_eval(q.a, q.s, q.now), 1);
        assert_int_equal(tw_alerts_active(q.a), 1);
        assert_non_null(strstr(tw_alerts_at(q.a, tw_alerts_count(q.a) - 1)->text, "1 records"));
        sim_fini(&q);
    }
    /* the source sees its process gone */
    assert_int_equal(tw_store_mark_vanished(p.s, "run1", 0, 7, p.now), 0);
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 1);
    e = find_event(p.a, "vanished", false);
    assert_non_null(e);
    assert_int_equal(e->severity, TW_ALERT_ERROR);
    assert_non_null(strstr(e->text, "vanished"));
    /* a failure status */
    tw_wire_record end = {.type = TW_REC_RUN_END, .time = p.now, .status = TW_RUN_FAILED};
    ingest(&p, &end);
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 1);
    assert_non_null(find_event(p.a, "failed", false));
    sim_fini(&p);

    /* --no-alert turns them off */
    tw_alert_config c = tw_alert_defaults();
    assert_int_equal(tw_alert_config_parse(&c, "stalled", false, NULL, 0), 0);
    sim_init(&p, &c);
    ingest(&p, &run);
    p.now += 5;
    tw_store_tick(p.s, p.now);
    assert_int_equal(tw_alerts_eval(p.a, p.s, p.now), 0);
    sim_fini(&p);
}

static void
test_config_parse(void **state)
{
    (void)state;
    tw_alert_config c = tw_alert_defaults();
    assert_true(c.on[TW_ALERT_OVERFITTING] && c.on[TW_ALERT_NONFINITE] && c.on[TW_ALERT_STALLED] &&
                c.on[TW_ALERT_DATALOSS]);
    assert_false(c.on[TW_ALERT_GL] || c.on[TW_ALERT_PQ] || c.on[TW_ALERT_UP] ||
                 c.on[TW_ALERT_PATIENCE]);
    assert_int_equal(c.overfit_k, 3);
    char err[256];
    assert_int_equal(
        tw_alert_config_parse(&c, "patience,patience=5,min_delta=1e-3", true, err, sizeof err), 0);
    assert_true(c.on[TW_ALERT_PATIENCE]);
    assert_int_equal(c.patience, 5);
    assert_float_equal(c.patience_min_delta, 1e-3, 1e-15);
    assert_int_equal(tw_alert_config_parse(&c, "overfit,k=5,min_delta=0.01", true, err, sizeof err),
                     0);
    assert_int_equal(c.overfit_k, 5);
    /* the noise tests' defaults (doc/alerts.md) and their parameters */
    tw_alert_config d = tw_alert_defaults();
    assert_float_equal(d.overfit_z, 0.1, 0);
    assert_float_equal(d.overfit_floor, 0.5, 0);
    assert_float_equal(d.overfit_samples, 10, 0);
    assert_int_equal(d.overfit_slope, 6);
    assert_int_equal(tw_alert_config_parse(&c, "overfitting,z=2,floor=0.5,samples=6,slope=9", true,
                                           err, sizeof err),
                     0);
    assert_float_equal(c.overfit_z, 2, 0);
    assert_float_equal(c.overfit_floor, 0.5, 0);
    assert_float_equal(c.overfit_samples, 6, 0);
    assert_int_equal(c.overfit_slope, 9);
    assert_int_equal(tw_alert_config_parse(&c, "overfitting,slope=-1", true, err, sizeof err),
                     -EINVAL);
    assert_int_equal(tw_alert_config_parse(&c, "overfitting,z=-1", true, err, sizeof err), -EINVAL);
    assert_int_equal(tw_alert_config_parse(&c, "overfitting", false, err, sizeof err), 0);
    assert_false(c.on[TW_ALERT_OVERFITTING]);

    tw_alert_config before = c;
    struct {
        const char *arg;
        bool enable;
        const char *says;
    } bad[] = {
        {"bogus", true, "unknown rule"},
        {"gl,beta=3", true, "unknown parameter 'beta'"},
        {"gl,alpha=abc", true, "expected a number"},
        {"gl,alpha", true, "expected key=value"},
        {"up,s=0", true, "expected an integer"},
        {"up,s=2,", true, "expected key=value"},
        {"nonfinite,x=1", true, "takes no parameters"},
        {"gl,alpha=3", false, "no parameters"},
        {"bogus", false, "unknown rule"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(tw_alert_config_parse(&c, bad[i].arg, bad[i].enable, err, sizeof err),
                         -EINVAL);
        if (!strstr(err, bad[i].says))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].arg, err, bad[i].says);
        if (strstr(err, "--")) /* the model does not know the command line */
            fail_msg("'%s': '%s' names an option", bad[i].arg, err);
        assert_memory_equal(&c, &before, sizeof c);
    }
}

/* A metric whose goal the store cannot infer gets no per-epoch rule until a declaration
 * gives one; then its final values are evaluated without any new value arriving. */
static void
test_goal_declared_later(void **state)
{
    (void)state;
    sim p;
    sim_init(&p, NULL);
    double tr[12], va[12];
    for (int i = 0; i < 12; i++) {
        tr[i] = 1.0 / (i + 1);                          /* falls */
        va[i] = i < 5 ? 1.0 / (i + 1) : 0.2 + 0.05 * i; /* falls, then rises from epoch 6 */
    }
    feed(&p, "custom_score", TW_GOAL_UNKNOWN, tr, va, 12);
    assert_null(find_event(p.a, "overfitting", false));        /* no goal: no judgement */
    declare(&p, 3, "custom_score", TW_SPLIT_VAL, TW_GOAL_MIN); /* e.g. another rank says */
    declare(&p, 4, "custom_score", TW_SPLIT_TRAIN, TW_GOAL_MIN);
    assert_true(tw_alerts_eval(p.a, p.s, p.now) >= 1);
    const tw_alert *e = find_event(p.a, "overfitting", false);
    assert_non_null(e);
    assert_int_equal(e->best_epoch, 5);
    sim_fini(&p);
}

/* A configuration built by hand is checked: a window of 0 (a division by zero in PQ and UP)
 * or over TW_ALERT_MAX_K (past the rules' fixed windows) makes no engine. */
static void
test_config_check(void **state)
{
    (void)state;
    char err[256];
    tw_alert_config c = tw_alert_defaults();
    assert_int_equal(tw_alert_config_check(&c, err, sizeof err), 0);
    tw_alerts *a = tw_alerts_new(&c);
    assert_non_null(a);
    tw_alerts_destroy(&a);

    c.pq_k = 0;
    assert_int_equal(tw_alert_config_check(&c, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "pq"));
    errno = 0;
    assert_null(tw_alerts_new(&c));
    assert_int_equal(errno, EINVAL);

    c = tw_alert_defaults();
    c.up_k = TW_ALERT_MAX_K + 1;
    assert_null(tw_alerts_new(&c));
    c = tw_alert_defaults();
    c.gl_alpha = NAN;
    assert_int_equal(tw_alert_config_check(&c, NULL, 0), -EINVAL);
    c = tw_alert_defaults();
    c.pq_alpha = 0;
    assert_int_equal(tw_alert_config_check(&c, NULL, 0), -EINVAL);
    assert_int_equal(tw_alert_config_check(NULL, NULL, 0), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gl_pk_hand_computed),
        cmocka_unit_test(test_live_gl_pk),
        cmocka_unit_test(test_overfitting_each_rule),
        cmocka_unit_test(test_noisy_improving_fires_nothing),
        cmocka_unit_test(test_double_descent_fires_then_clears),
        cmocka_unit_test(test_overfitting_refires_after_new_best),
        cmocka_unit_test(test_maximise_fires_on_drop),
        cmocka_unit_test(test_overfitting_noise_se),
        cmocka_unit_test(test_overfitting_count_resolution),
        cmocka_unit_test(test_overfitting_floor),
        cmocka_unit_test(test_patience_baseline_and_start),
        cmocka_unit_test(test_nonfinite_at_step),
        cmocka_unit_test(test_run_states_and_data_loss),
        cmocka_unit_test(test_config_parse),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_goal_declared_later),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
