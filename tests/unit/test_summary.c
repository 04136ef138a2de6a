/* test_summary.c - the --once table and the --check count line (monitor/summary.c), from a
 * store filled with the recorded run, against the table recorded before the re-layout. */
#include "alerts.h"
#include "runlog.h"
#include "store.h"
#include "summary.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_LOG    "golden/run/golden-mlp.twlog"
#define ONCE_TABLE "golden/run/golden-mlp.once.txt"

/* One decoded record into the store, at the record's own time. */
static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    assert_int_equal(tw_store_ingest(ctx, h, r, r->time), 0);
    return 0;
}

/* A store with the recorded run read to its end and marked static, as --once leaves it. */
static tw_store *
load(void)
{
    tw_store *s = tw_store_new(NULL);
    tw_runlog_reader *r = tw_runlog_reader_open(RUN_LOG);
    tw_wire_decoder *dec = tw_wire_decoder_new();
    const uint8_t *payload;
    size_t len;
    assert_non_null(s);
    assert_non_null(r);
    assert_non_null(dec);
    while (tw_runlog_reader_next(r, &payload, &len) == TW_RUNLOG_FRAME)
        assert_int_equal(tw_wire_decode(dec, payload, len, on_record, s), 0);
    tw_runlog_reader_close(&r);
    tw_wire_decoder_destroy(&dec);
    assert_int_equal(tw_store_mark_static(s, "golden-mlp", 2e9), 0);
    return s;
}

/* What f printed into a memory stream, NUL-terminated; the caller frees it. */
static char *
printed(void (*print)(FILE *, const tw_store *, const tw_alerts *), const tw_store *s,
        const tw_alerts *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    print(out, s, a);
    assert_int_equal(fclose(out), 0);
    return buf;
}

static void
print_table(FILE *out, const tw_store *s, const tw_alerts *a)
{
    (void)a;
    tw_summary_print(out, s, NULL); /* no live updates: no delay line */
}

static void
print_check(FILE *out, const tw_store *s, const tw_alerts *a)
{
    tw_check_summary_print(out, a, s);
}

/* The table of the recorded run equals the one the monitor printed before the re-layout. */
static void
test_once_table(void **state)
{
    (void)state;
    tw_store *s = load();
    FILE *f = fopen(ONCE_TABLE, "r");
    assert_non_null(f);
    char want[8192];
    size_t n = fread(want, 1, sizeof want - 1, f);
    fclose(f);
    want[n] = '\0';
    char *got = printed(print_table, s, NULL);
    assert_string_equal(got, want);
    free(got);
    tw_store_destroy(&s);
}

/* An empty store says so (and what it rejected); the count line counts what the rules raised on the
 * recorded run (val loss fired and cleared, val accuracy fired: 2 fired, 1 still active). */
static void
test_empty_and_check_line(void **state)
{
    (void)state;
    tw_store *empty = tw_store_new(NULL);
    assert_non_null(empty);
    char *got = printed(print_table, empty, NULL);
    assert_string_equal(got, "no runs seen\n");
    free(got);
    /* with no run, what could not be decoded is still said */
    tw_store_count_rejected(empty, 1055);
    got = printed(print_table, empty, NULL);
    assert_string_equal(got, "no runs seen\n1055 messages could not be decoded and were dropped\n");
    free(got);
    tw_store_destroy(&empty);

    tw_store *s = load();
    /* trainwatch 0.1's overfitting rule: the default one raises nothing on the recorded run */
    tw_alert_config c = tw_alert_defaults();
    c.overfit_z = c.overfit_floor = c.overfit_samples = 0;
    c.overfit_slope = 0;
    tw_alerts *a = tw_alerts_new(&c);
    assert_non_null(a);
    assert_true(tw_alerts_eval(a, s, 2e9) >= 0);
    got = printed(print_check, s, a);
    assert_string_equal(got, "2 alerts fired, 1 still active, in 1 run\n");
    free(got);
    tw_alerts_destroy(&a);
    tw_store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once_table),
        cmocka_unit_test(test_empty_and_check_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
