/* test_headless.c - the --jsonl writer (monitor/headless.c): epoch values written once, again
 * after a late rank or a restart changed them, the partial flush at exit, store order, and
 * records named from declarations far beyond the old fixed table. */
#define _GNU_SOURCE
#include "headless.h"
#include "store.h"
#include "wire.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store and a writer into a memory buffer, fed like the monitor feeds them. */
typedef struct fixture {
    tw_store *store;
    tw_jsonl *jsonl;
    FILE *out;
    char *buf;
    size_t len;
    size_t read; /* what take() returned so far */
    uint64_t seq[4];
} fixture;

static void
open_fixture(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->store = tw_store_new(NULL);
    f->out = open_memstream(&f->buf, &f->len);
    assert_non_null(f->store);
    assert_non_null(f->out);
    f->jsonl = tw_jsonl_new(f->out);
    assert_non_null(f->jsonl);
}

static void
close_fixture(fixture *f)
{
    tw_jsonl_destroy(&f->jsonl);
    assert_null(f->jsonl);
    tw_store_destroy(&f->store);
    fclose(f->out);
    free(f->buf);
}

/* The text written since the last call (a copy the caller frees). */
static char *
take(fixture *f)
{
    fflush(f->out);
    char *s = strndup(f->buf + f->read, f->len - f->read);
    assert_non_null(s);
    f->read = f->len;
    return s;
}

/* How many lines of text contain `what` (and "epoch_value", with `values`). */
static int
count_lines(const char *text, const char *what, bool values)
{
    int n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        n += strstr(line, what) && (!values || strstr(line, "\"type\":\"epoch_value\""));
        free(line);
        p += len + (nl != NULL);
    }
    return n;
}

static int
lines_with(const char *text, const char *what)
{
    return count_lines(text, what, false);
}

/* How many epoch_value lines of text contain `what`. */
static int
values_with(const char *text, const char *what)
{
    return count_lines(text, what, true);
}

static tw_wire_header
header(const char *run, uint64_t incarnation, uint32_t rank, uint32_t world)
{
    tw_wire_header h;
    memset(&h, 0, sizeof h);
    h.version = 1;
    snprintf(h.run, sizeof h.run, "%s", run);
    h.incarnation = incarnation;
    h.rank = rank;
    h.world = world;
    return h;
}

static void
feed(fixture *f, const tw_wire_header *h, tw_wire_record *r)
{
    r->seq = ++f->seq[h->rank];
    tw_jsonl_record(f->jsonl, h, r);
    tw_store_ingest(f->store, h, r, 1000.0);
}

static void
run_start(fixture *f, const tw_wire_header *h, double time)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_RUN;
    r.time = time;
    feed(f, h, &r);
}

/* Declares metric `id` named name, a validation Mean whose states have n doubles: 4 with
 * the moments of its standard error, 2 in trainwatch 0.1's layout ([sum, count]: none). */
static void
declare_n(fixture *f, const tw_wire_header *h, uint32_t id, const char *name, uint32_t n)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_METRIC;
    r.metric_id = id;
    snprintf(r.name, sizeof r.name, "%s", name);
    r.split = TW_SPLIT_VAL;
    r.kind = TW_METRIC_MEAN;
    r.options = tw_metric_defaults();
    r.state_len = n;
    feed(f, h, &r);
}

/* Declares metric `id` named name, a Mean in trainwatch 0.1's layout. */
static void
declare(fixture *f, const tw_wire_header *h, uint32_t id, const char *name)
{
    declare_n(f, h, id, name, 2);
}

/* An EPOCH (or UPDATE) record of metric id with the n doubles of st. */
static void
state_n(fixture *f, const tw_wire_header *h, tw_record_type type, uint32_t id, uint64_t epoch,
        const double *st, uint32_t n)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.metric_id = id;
    r.epoch = epoch;
    r.step = 10 * epoch;
    r.time = 2000.0 + (double)epoch;
    r.state = st;
    r.state_len = n;
    feed(f, h, &r);
}

/* An EPOCH (or UPDATE) record of metric id: state [sum, count]. */
static void
values(fixture *f, const tw_wire_header *h, tw_record_type type, uint32_t id, uint64_t epoch,
       double sum, double count)
{
    double st[2] = {sum, count};
    state_n(f, h, type, id, epoch, st, 2);
}

static void
epoch_end(fixture *f, const tw_wire_header *h, uint64_t epoch)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_EPOCH_END;
    r.epoch = epoch;
    r.step = 10 * epoch;
    r.time = 2000.0 + (double)epoch;
    r.metrics = 1;
    feed(f, h, &r);
}

static void
test_final_written_once(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h = header("r", 1, 0, 1);
    declare(&f, &h, 0, "loss");
    values(&f, &h, TW_REC_EPOCH, 0, 1, 3.0, 2.0);
    tw_jsonl_epochs(f.jsonl, f.store, false);
    char *s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 0); /* partial: not yet */
    free(s);
    epoch_end(&f, &h, 1);
    tw_jsonl_epochs(f.jsonl, f.store, false);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 1);
    assert_int_equal(lines_with(s, "{\"type\":\"epoch_value\",\"run\":\"r\",\"metric\":\"loss\","
                                   "\"split\":\"val\",\"epoch\":1,\"value\":1.5,\"stderr\":null,"
                                   "\"ranks\":1,"
                                   "\"world\":1,\"final\":true}"),
                     1);
    free(s);
    for (int i = 0; i < 3; i++) /* idle passes, and the flush at exit: nothing again */
        tw_jsonl_epochs(f.jsonl, f.store, i == 2);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 0);
    free(s);
    close_fixture(&f);
}

/* A Mean with its moments: the epoch value carries its standard error. Values 1 and 2:
 * state [3, 2, 5, 2], mean 1.5, SE^2 = (5 - 2 * 1.5^2) / (1 * 2) = 0.25. */
static void
test_stderr_written(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h = header("r", 1, 0, 1);
    declare_n(&f, &h, 0, "loss", 4);
    const double st[4] = {3.0, 2.0, 5.0, 2.0};
    state_n(&f, &h, TW_REC_EPOCH, 0, 1, st, 4);
    epoch_end(&f, &h, 1);
    tw_jsonl_epochs(f.jsonl, f.store, false);
    char *s = take(&f);
    assert_int_equal(values_with(s, "\"epoch\":1,\"value\":1.5,\"stderr\":0.5,\"ranks\":1,"), 1);
    free(s);
    close_fixture(&f);
}

static void
test_late_rank_written_again(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h0 = header("r", 1, 0, 2), h1 = header("r", 2, 1, 2);
    declare(&f, &h0, 0, "loss");
    declare(&f, &h1, 0, "loss");
    values(&f, &h0, TW_REC_EPOCH, 0, 1, 4.0, 2.0);
    epoch_end(&f, &h0, 1);
    epoch_end(&f, &h1, 1); /* rank 1 closes the epoch before its EPOCH state arrives */
    tw_jsonl_epochs(f.jsonl, f.store, false);
    char *s = take(&f);
    assert_int_equal(values_with(s,
                                 "\"epoch\":1,\"value\":2,\"stderr\":null,\"ranks\":1,\"world\":2,"
                                 "\"final\":true"),
                     1);
    free(s);
    values(&f, &h1, TW_REC_EPOCH, 0, 1, 8.0, 2.0); /* late: (4 + 8) / (2 + 2) */
    tw_jsonl_epochs(f.jsonl, f.store, false);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 1);
    assert_int_equal(values_with(s,
                                 "\"epoch\":1,\"value\":3,\"stderr\":null,\"ranks\":2,\"world\":2,"
                                 "\"final\":true"),
                     1);
    free(s);
    tw_jsonl_epochs(f.jsonl, f.store, true);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 0);
    free(s);
    close_fixture(&f);
}

static void
test_restart_written_again(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header a = header("r", 1, 0, 1), b = header("r", 2, 0, 1), c = header("r", 3, 0, 1);
    run_start(&f, &a, 100.0);
    declare(&f, &a, 0, "loss");
    for (uint64_t e = 1; e <= 2; e++) {
        values(&f, &a, TW_REC_EPOCH, 0, e, 2.0 * (double)e, 2.0);
        epoch_end(&f, &a, e);
    }
    tw_jsonl_epochs(f.jsonl, f.store, false);
    char *s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 2);
    free(s);

    /* a restart replaces epoch 2 with another value: partial until closed, then again */
    f.seq[0] = 0;
    run_start(&f, &b, 200.0);
    declare(&f, &b, 0, "loss");
    values(&f, &b, TW_REC_EPOCH, 0, 2, 10.0, 2.0);
    tw_jsonl_epochs(f.jsonl, f.store, false);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 0);
    free(s);
    epoch_end(&f, &b, 2);
    tw_jsonl_epochs(f.jsonl, f.store, false);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 1);
    assert_int_equal(values_with(s, "\"epoch\":2,\"value\":5,"), 1);
    free(s);

    /* another restart that redoes epoch 2 with the same value: not written again */
    f.seq[0] = 0;
    run_start(&f, &c, 300.0);
    declare(&f, &c, 0, "loss");
    values(&f, &c, TW_REC_EPOCH, 0, 2, 10.0, 2.0);
    epoch_end(&f, &c, 2);
    tw_jsonl_epochs(f.jsonl, f.store, true);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 0);
    free(s);
    close_fixture(&f);
}

static void
test_partial_flush(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h0 = header("r", 1, 0, 2), h1 = header("r", 2, 1, 2);
    declare(&f, &h0, 0, "loss");
    declare(&f, &h1, 0, "loss");
    for (uint64_t e = 1; e <= 2; e++) {
        values(&f, &h0, TW_REC_EPOCH, 0, e, 1.0, 1.0);
        epoch_end(&f, &h0, e);
    }
    epoch_end(&f, &h1, 1); /* epoch 1 final, epoch 2 waits for rank 1 */
    tw_jsonl_epochs(f.jsonl, f.store, false);
    char *s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 1);
    assert_int_equal(values_with(s, "\"epoch\":1,"), 1);
    free(s);
    tw_jsonl_epochs(f.jsonl, f.store, true);
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 1);
    assert_int_equal(values_with(s,
                                 "\"epoch\":2,\"value\":1,\"stderr\":null,\"ranks\":1,\"world\":2,"
                                 "\"final\":false"),
                     1);
    free(s);
    tw_jsonl_epochs(f.jsonl, f.store, true); /* a partial point is flushed once */
    s = take(&f);
    assert_int_equal(lines_with(s, "epoch_value"), 0);
    free(s);
    close_fixture(&f);
}

/* Values that became final in one pass come out in store order (run, series in declaration
 * order, epoch), not in the order they became final. */
static void
test_store_order(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h = header("r", 1, 0, 1);
    declare(&f, &h, 0, "a");
    declare(&f, &h, 1, "b");
    for (uint64_t e = 1; e <= 2; e++) {
        values(&f, &h, TW_REC_EPOCH, 0, e, 1.0, 1.0);
        values(&f, &h, TW_REC_EPOCH, 1, e, 1.0, 1.0);
        epoch_end(&f, &h, e);
    }
    tw_jsonl_epochs(f.jsonl, f.store, false);
    char *s = take(&f);
    const char *a1 =
        strstr(s, "epoch_value\",\"run\":\"r\",\"metric\":\"a\",\"split\":\"val\",\"epoch\":1");
    const char *a2 =
        strstr(s, "epoch_value\",\"run\":\"r\",\"metric\":\"a\",\"split\":\"val\",\"epoch\":2");
    const char *b1 =
        strstr(s, "epoch_value\",\"run\":\"r\",\"metric\":\"b\",\"split\":\"val\",\"epoch\":1");
    assert_non_null(a1);
    assert_non_null(a2);
    assert_non_null(b1);
    assert_true(a1 < a2 && a2 < b1);
    free(s);
    close_fixture(&f);
}

/* 70000 declarations (the old table held 65536), then past TW_JSONL_MAX_NAMES: counted. */
static void
test_many_metrics(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h = header("r", 1, 0, 1);
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_METRIC;
    r.kind = TW_METRIC_MEAN;
    r.options = tw_metric_defaults();
    r.state_len = 2;
    for (uint32_t id = 0; id < 70000; id++) {
        r.seq = id + 1;
        r.metric_id = id;
        snprintf(r.name, sizeof r.name, "m%u", id);
        tw_jsonl_record(f.jsonl, &h, &r);
    }
    assert_int_equal(tw_jsonl_names_dropped(f.jsonl), 0);
    assert_true(tw_jsonl_bytes(f.jsonl) < 70000 * 200);
    free(take(&f));
    h.incarnation = 1; /* the same key again: the first declaration stays */
    r.metric_id = 5;
    snprintf(r.name, sizeof r.name, "renamed");
    tw_jsonl_record(f.jsonl, &h, &r);
    free(take(&f));
    values(&f, &h, TW_REC_UPDATE, 69999, 1, 3.0, 4.0);
    values(&f, &h, TW_REC_UPDATE, 5, 1, 3.0, 4.0);
    char *s = take(&f);
    assert_int_equal(lines_with(s, "\"id\":69999,\"metric\":\"m69999\",\"split\":\"train\""), 1);
    assert_int_equal(lines_with(s, "\"id\":5,\"metric\":\"m5\","), 1);
    assert_int_equal(lines_with(s, "\"value\":0.75,\"state\":[3,4]"), 2);
    free(s);

    for (uint32_t id = 70000; id < TW_JSONL_MAX_NAMES + 10; id++) {
        r.metric_id = id;
        tw_jsonl_record(f.jsonl, &h, &r);
    }
    assert_int_equal(tw_jsonl_names_dropped(f.jsonl), 10);
    free(take(&f));
    values(&f, &h, TW_REC_UPDATE, TW_JSONL_MAX_NAMES + 5, 1, 3.0, 4.0); /* undeclared */
    s = take(&f);
    assert_int_equal(lines_with(s, "\"metric\""), 0);
    assert_int_equal(lines_with(s, "\"value\""), 0);
    free(s);
    close_fixture(&f);
}

/* A gauge's value is its state; an undeclared id has no name or value; a state of the wrong
 * length has no value. */
static void
test_record_values(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    tw_wire_header h = header("r", 1, 0, 1);
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_METRIC;
    r.metric_id = 1;
    snprintf(r.name, sizeof r.name, "lr");
    r.kind = TW_WIRE_KIND_GAUGE;
    r.state_len = 1;
    feed(&f, &h, &r);
    declare(&f, &h, 2, "loss");
    free(take(&f));
    double g = 0.25, three[3] = {1, 2, 3};
    memset(&r, 0, sizeof r);
    r.type = TW_REC_UPDATE;
    r.metric_id = 1;
    r.state = &g;
    r.state_len = 1;
    feed(&f, &h, &r);
    r.metric_id = 7;
    feed(&f, &h, &r);
    r.metric_id = 2;
    r.state = three;
    r.state_len = 3;
    feed(&f, &h, &r);
    char *s = take(&f);
    assert_int_equal(lines_with(s, "\"id\":1,\"metric\":\"lr\",\"split\":\"train\",\"epoch\":0,"
                                   "\"step\":0,\"time\":0,\"value\":0.25,\"state\":[0.25]"),
                     1);
    assert_int_equal(lines_with(s, "\"id\":7,\"epoch\":0,\"step\":0,\"time\":0,\"state\":[0.25]"),
                     1);
    assert_int_equal(lines_with(s, "\"id\":2,\"metric\":\"loss\",\"split\":\"val\",\"epoch\":0,"
                                   "\"step\":0,\"time\":0,\"state\":[1,2,3]"),
                     1);
    free(s);
    close_fixture(&f);
}

/* An alert's value goes through the JSON rules: a non-finite one is null with its
 * "value_nonfinite" sibling (a nonfinite alert's NaN was left out, its Inf a bare null); an
 * alert without a value has neither. */
static void
test_alert_nonfinite_value(void **state)
{
    (void)state;
    static const struct {
        bool has;
        double v;
        const char *want;
    } cases[] = {
        {true, NAN, "\"value\":null,\"value_nonfinite\":\"nan\","},
        {true, INFINITY, "\"value\":null,\"value_nonfinite\":\"inf\","},
        {true, -INFINITY, "\"value\":null,\"value_nonfinite\":\"-inf\","},
        {true, 0.5, "\"value\":0.5,"},
        {false, NAN, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tw_alert e;
        memset(&e, 0, sizeof e);
        e.id = 1;
        e.name = "nonfinite";
        e.severity = TW_ALERT_ERROR;
        snprintf(e.run, sizeof e.run, "r");
        snprintf(e.metric, sizeof e.metric, "loss");
        e.epoch = 3;
        e.has_value = cases[i].has;
        e.value = cases[i].v;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        tw_alert_print(f, &e, NULL, true);
        fclose(f);
        if (cases[i].want && !strstr(buf, cases[i].want))
            fail_msg("case %zu: no '%s' in %s", i, cases[i].want, buf);
        if (!cases[i].want && strstr(buf, "\"value"))
            fail_msg("case %zu: a value in %s", i, buf);
        free(buf);
    }
}

/* --check's text line names the run by its display name ("train #2"), its id when it has none;
 * JSON keeps the id. */
static void
test_alert_text_names_run(void **state)
{
    (void)state;
    tw_alert e;
    memset(&e, 0, sizeof e);
    e.id = 1;
    e.name = "overfitting";
    snprintf(e.run, sizeof e.run, "r0123456789abcdef");
    snprintf(e.metric, sizeof e.metric, "loss");
    e.split = TW_SPLIT_VAL;
    e.epoch = 7;
    snprintf(e.text, sizeof e.text, "val loss rose");
    const char *labels[] = {"train #2", NULL};
    for (int json = 0; json < 2; json++) {
        for (size_t i = 0; i < 2; i++) {
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            assert_non_null(f);
            tw_alert_print(f, &e, labels[i], json);
            fclose(f);
            bool named = labels[i] && !json;
            if (named != (strstr(buf, " train #2 loss/val epoch 7") != NULL) ||
                named == (strstr(buf, "r0123456789abcdef") != NULL))
                fail_msg("label %s, json %d: %s", labels[i] ? labels[i] : "NULL", json, buf);
            free(buf);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_written_once),
        cmocka_unit_test(test_stderr_written),
        cmocka_unit_test(test_late_rank_written_again),
        cmocka_unit_test(test_restart_written_again),
        cmocka_unit_test(test_partial_flush),
        cmocka_unit_test(test_store_order),
        cmocka_unit_test(test_many_metrics),
        cmocka_unit_test(test_record_values),
        cmocka_unit_test(test_alert_nonfinite_value),
        cmocka_unit_test(test_alert_text_names_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
