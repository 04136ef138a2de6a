/* test_publisher_gap.c - what the publisher's full ring drops is recorded exactly: GAP records
 * in the run log (and the stream) name the steps that lost per-step records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runlog.h"
#include "tmpdir.h"
#include "trainwatch.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 200000 };

/* What the log says about every step. */
typedef struct tally {
    uint8_t *has_update; /* STEPS + 1 flags */
    uint8_t *in_gap;
    uint64_t updates, gaps, gap_records, last_update_step;
    int overlap; /* a step both updated and named by a gap, or in two gaps */
} tally;

static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    (void)h;
    tally *t = ctx;
    if (r->type == TW_REC_UPDATE) {
        assert_true(r->step <= STEPS);
        t->overlap += t->has_update[r->step] || t->in_gap[r->step];
        t->has_update[r->step] = 1;
        t->updates++;
        if (r->step > t->last_update_step)
            t->last_update_step = r->step;
    } else if (r->type == TW_REC_GAP) {
        assert_true(r->step <= r->to_step && r->to_step <= STEPS);
        for (uint64_t s = r->step; s <= r->to_step; s++) {
            t->overlap += t->has_update[s] || t->in_gap[s];
            t->in_gap[s] = 1;
        }
        assert_int_equal(r->dropped, r->to_step - r->step + 1); /* one metric: one a step */
        t->gaps++;
        t->gap_records += r->dropped;
    }
    return 0;
}

/* An unpaced burst into a tiny ring: every step before the last one logged is either in the
 * log or inside exactly one GAP, and the GAPs count what the ring dropped. */
static void
test_burst_gaps_logged(void **state)
{
    (void)state;
    char ep[320];
    snprintf(ep, sizeof ep, "ipc://%s/gap.sock", tmp_root);
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = ep;
    o.log_dir = tmp_root;
    o.run_name = "gap";
    o.ring_capacity = 64;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    for (int i = 0; i < STEPS; i++) {
        float v = (float)i;
        assert_int_equal(tw_metric_update_values(m, &v, NULL, 1, 1), 0);
        assert_int_equal(tw_publisher_step(p), 0);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", tw_publisher_log_path(p));
    tw_publisher_stats st = tw_publisher_get_stats(p);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);

    tally t = {.has_update = calloc(STEPS + 1, 1), .in_gap = calloc(STEPS + 1, 1)};
    tw_wire_decoder *d = tw_wire_decoder_new();
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    const uint8_t *payload;
    size_t len;
    while (tw_runlog_reader_next(r, &payload, &len) == TW_RUNLOG_FRAME)
        assert_int_equal(tw_wire_decode(d, payload, len, on_record, &t), 0);
    tw_runlog_reader_close(&r);
    tw_wire_decoder_destroy(&d);

    print_message("%llu updates logged, %llu gaps of %llu records; %llu dropped in all\n",
                  (unsigned long long)t.updates, (unsigned long long)t.gaps,
                  (unsigned long long)t.gap_records, (unsigned long long)st.dropped);
    assert_true(st.dropped > 0);
    assert_true(t.gaps > 0);
    assert_int_equal(t.overlap, 0);
    assert_true(t.gap_records <= st.dropped);
    uint64_t first = STEPS + 1;
    for (uint64_t s = 0; s <= STEPS; s++)
        if (t.has_update[s] || t.in_gap[s]) {
            first = s;
            break;
        }
    for (uint64_t s = first; s <= t.last_update_step; s++)
        if (!t.has_update[s] && !t.in_gap[s])
            fail_msg("step %llu neither logged nor in a gap", (unsigned long long)s);
    free(t.has_update);
    free(t.in_gap);
}

static int
setup(void **state)
{
    (void)state;
    return tmpdir_make("gap", true);
}

static int
teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_gaps_logged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
