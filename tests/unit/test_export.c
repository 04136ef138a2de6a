/* test_export.c - trainwatch export's writer (monitor/export.c) on a store fed like the
 * monitor's: one row a value in store order, numbers that read back exactly, the standard
 * error where defined, names from a hostile wire kept off the terminal (CSV quoted, control
 * bytes replaced; JSON escaped; SVG escaped), one metric kept, unknown metrics refused. (The
 * command itself, on real run logs and against --jsonl, is e2e/export.sh.) */
#define _GNU_SOURCE
#include "export.h"
#include "store.h"
#include "wire.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run whose id and metric name hold a comma, quotes, an escape sequence and a newline. */
#define HOSTILE_RUN    "ev\x1b[2Jil,\"r\""
#define HOSTILE_METRIC "lo\nss"

static uint64_t seq;

static void
feed(tw_store *s, const tw_wire_header *h, tw_wire_record *r)
{
    r->seq = ++seq;
    assert_int_equal(tw_store_ingest(s, h, r, 1000.0), 0);
}

/* A store with one run: a validation Mean declared (state [sum, count]: no standard error)
 * and two epochs of it closed. */
static tw_store *
store_with(const char *run, const char *metric)
{
    tw_store *s = tw_store_new(NULL);
    tw_wire_header h;
    tw_wire_record r;
    double st[2][2] = {{3.0, 4.0}, {1.0, 4.0}};

    assert_non_null(s);
    seq = 0;
    memset(&h, 0, sizeof h);
    h.version = 1;
    snprintf(h.run, sizeof h.run, "%s", run);
    h.incarnation = 7;
    h.world = 1;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_METRIC;
    snprintf(r.name, sizeof r.name, "%s", metric);
    r.split = TW_SPLIT_VAL;
    r.kind = TW_METRIC_MEAN;
    r.options = tw_metric_defaults();
    r.state_len = 2;
    feed(s, &h, &r);
    for (uint64_t e = 1; e <= 2; e++) {
        memset(&r, 0, sizeof r);
        r.type = TW_REC_EPOCH;
        r.epoch = e;
        r.step = 10 * e;
        r.time = 2000.25 + (double)e;
        r.state = st[e - 1];
        r.state_len = 2;
        feed(s, &h, &r);
        memset(&r, 0, sizeof r);
        r.type = TW_REC_EPOCH_END;
        r.epoch = e;
        r.step = 10 * e;
        r.time = 2000.25 + (double)e;
        r.metrics = 1;
        feed(s, &h, &r);
    }
    return s;
}

/* What tw_export_write wrote (the caller frees), and its status in *rc. */
static char *
write_all(const tw_store *s, tw_export_format fmt, const char *metric, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    *rc = tw_export_write(f, s, fmt, metric);
    fclose(f);
    return buf;
}

static void
test_csv_rows(void **state)
{
    tw_store *s = store_with("r1", "loss");
    int rc;
    char *out = write_all(s, TW_EXPORT_CSV, NULL, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_string_equal(out, "run,run_id,metric,split,epoch,step,time,value,stderr,ranks\n"
                             "r1,r1,loss,val,1,10,2001.25,0.75,,1\n"
                             "r1,r1,loss,val,2,20,2002.25,0.25,,1\n");
    free(out);
    out = write_all(s, TW_EXPORT_JSONL, "loss", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "{\"type\":\"epoch_value\",\"run\":\"r1\",\"run_id\":\"r1\","
                                "\"metric\":\"loss\",\"split\":\"val\",\"epoch\":2,\"step\":20,"
                                "\"time\":2002.25,\"value\":0.25,\"stderr\":null,\"ranks\":1}\n"));
    free(out);
    tw_store_destroy(&s);
}

/* Nothing from the wire reaches a terminal raw, and the CSV still parses. */
static void
test_hostile_names(void **state)
{
    static const struct {
        tw_export_format fmt;
        const char *want;
    } cases[] = {
        {TW_EXPORT_CSV, "\n\"ev?[2Jil,\"\"r\"\"\",\"ev?[2Jil,\"\"r\"\"\",lo?ss,val,1,"},
        {TW_EXPORT_JSONL, "\"run_id\":\"ev\\u001b[2Jil,\\\"r\\\"\""},
        {TW_EXPORT_JSONL, "\"metric\":\"lo\\nss\""},
        {TW_EXPORT_SVG, ">ev[2Jil,&#34;r&#34; val</text>"},
    };
    tw_store *s = store_with(HOSTILE_RUN, HOSTILE_METRIC);

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char *out = write_all(s, cases[i].fmt, NULL, &rc);
        assert_int_equal(rc, 0);
        assert_null(strchr(out, '\x1b'));
        if (!strstr(out, cases[i].want))
            fail_msg("case %zu: no %s in\n%s", i, cases[i].want, out);
        free(out);
    }
    tw_store_destroy(&s);
}

static void
test_unknown_metric(void **state)
{
    tw_store *s = store_with("r1", "loss");
    int rc;
    char *out;

    (void)state;
    out = write_all(s, TW_EXPORT_CSV, "nosuch", &rc);
    assert_int_equal(rc, -ENOENT);
    free(out);
    out = write_all(s, TW_EXPORT_SVG, "nosuch", &rc);
    assert_int_equal(rc, -ENOENT);
    free(out);
    assert_int_equal(tw_export_write(NULL, s, TW_EXPORT_CSV, NULL), -EINVAL);
    tw_store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_unknown_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
