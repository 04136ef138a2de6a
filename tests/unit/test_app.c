/* test_app.c - the program's parts wired together (monitor/app.c), driven as main.c's loop
 * drives them, over the recorded run log: records reach the store, the logs settle, the alerts
 * fire, --check's verdict and --jsonl's epoch values come out. */
#include "app.h"
#include "clock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_LOG "golden/run/golden-mlp.twlog"

/* Parses the command line into o (its mode from the flags, stdout not a terminal). The
 * options point into argv: it stays for the test (one parse at a time). */
static void
options(tw_cli_options *o, const char *mode_flag)
{
    static char *argv[7];
    argv[0] = "trainwatch";
    argv[1] = (char *)mode_flag;
    argv[2] = "--until-end";
    /* trainwatch 0.1's overfitting rule: on the recorded run it raises two alerts (the
     * default rule, with its noise tests, none: golden_run checks that) */
    argv[3] = "--alert";
    argv[4] = "overfitting,z=0,floor=0,samples=0,slope=0";
    argv[5] = RUN_LOG;
    argv[6] = NULL;
    assert_int_equal(tw_cli_parse(o, 6, argv, false), -1);
}

/* What the loop does until the log is read to its end: read, settle, after data. */
static void
drain(tw_app *a)
{
    bool settled = false;
    for (int pass = 0; pass < 1000 && !tw_app_runs_done(a, true); pass++) {
        assert_true(tw_sources_process(a->sources, 256, 0.0) >= 0);
        tw_app_settle_logs(a, &settled);
        tw_app_after_data(a, 0.0);
    }
    assert_true(settled);
}

/* Runs f with stdout into a temporary file, whose text is returned (the caller frees it). */
static char *
captured(int (*f)(tw_app *, int), tw_app *a, int status, int *result)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), STDOUT_FILENO);
    *result = f(a, status);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long n = ftell(tmp);
    char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    assert_non_null(text);
    rewind(tmp);
    assert_int_equal(fread(text, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return text;
}

/* --check --until-end: the run is read, marked static (only a log speaks for it), its two
 * overfitting alerts fire (and one clears), and the verdict is exit status 1. */
static void
test_check(void **state)
{
    (void)state;
    tw_cli_options o;
    options(&o, "--check");
    tw_app a;
    assert_int_equal(tw_app_open(&a, &o), -1);
    assert_null(a.view);
    assert_null(a.jsonl);
    drain(&a);
    assert_int_equal(tw_store_run_count(a.store), 1);
    assert_true(tw_store_run_at(a.store, 0)->is_static);
    assert_false(tw_app_runs_may_change(&a));
    assert_int_equal(tw_alerts_fired(a.alerts), 2);
    assert_int_equal(a.alerts_seen, tw_alerts_count(a.alerts)); /* each printed once */
    int status;
    char *out = captured(tw_app_finish, &a, 0, &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(out, "2 alerts fired, 1 still active, in 1 run"));
    free(out);
    tw_app_close(&a);
    assert_null(a.store);
}

/* --check=active: with the noise test on samples only, val loss fires and clears and val
 * accuracy's 9 samples stay below it: one alert fired, none active at the end. The verdict is
 * 0 with --check=active, 1 with --check. */
static void
test_check_active(void **state)
{
    (void)state;
    for (int active = 0; active < 2; active++) {
        static char *argv[7];
        argv[0] = "trainwatch";
        argv[1] = active ? "--check=active" : "--check";
        argv[2] = "--until-end";
        argv[3] = "--alert";
        argv[4] = "overfitting,z=0,floor=0,samples=10,slope=0";
        argv[5] = RUN_LOG;
        argv[6] = NULL;
        tw_cli_options o;
        assert_int_equal(tw_cli_parse(&o, 6, argv, false), -1);
        tw_app a;
        assert_int_equal(tw_app_open(&a, &o), -1);
        drain(&a);
        assert_int_equal(tw_alerts_fired(a.alerts), 1);
        assert_int_equal(tw_alerts_active(a.alerts), 0);
        int status;
        char *out = captured(tw_app_finish, &a, 0, &status);
        assert_int_equal(status, active ? 0 : 1);
        assert_non_null(strstr(out, "1 alert fired, 0 still active, in 1 run"));
        free(out);
        tw_app_close(&a);
    }
}

/* --jsonl: the 16 epochs of its 6 series (auc and lr have fewer) come out as final epoch
 * values, once each, with the alerts; a loop that failed (status 1) keeps its status. */
static void
test_jsonl(void **state)
{
    (void)state;
    tw_cli_options o;
    options(&o, "--jsonl");
    tw_app a;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), STDOUT_FILENO);
    assert_int_equal(tw_app_open(&a, &o), -1); /* the writer takes this stdout */
    assert_non_null(a.jsonl);
    drain(&a);
    int status = tw_app_finish(&a, 0);
    tw_app_close(&a);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(status, 0);
    rewind(tmp);
    char line[4096];
    int finals = 0, alerts = 0;
    while (fgets(line, sizeof line, tmp)) {
        finals += strstr(line, "\"type\":\"epoch_value\"") && strstr(line, "\"final\":true");
        alerts += strstr(line, "\"type\":\"alert\"") != NULL;
    }
    fclose(tmp);
    /* the recorded run's own --jsonl (tests/golden/run) has the same counts */
    FILE *g = fopen("golden/run/golden-mlp.jsonl", "r");
    assert_non_null(g);
    int want_finals = 0, want_alerts = 0;
    while (fgets(line, sizeof line, g)) {
        want_finals += strstr(line, "\"type\":\"epoch_value\"") && strstr(line, "\"final\":true");
        want_alerts += strstr(line, "\"type\":\"alert\"") != NULL;
    }
    fclose(g);
    assert_true(want_finals > 0);
    assert_int_equal(finals, want_finals);
    assert_int_equal(alerts, want_alerts);
}

/* The store measures local durations (silence, a link down) on the monotonic clock, never the
 * wall clock: a wall clock stepped back (NTP, a resumed VM) would otherwise hold a run
 * DISCONNECTED or live until it caught up. The records read reach the store at a monotonic
 * `now` (test_store checks the durations measured from it). */
static void
test_store_clock_mono(void **state)
{
    (void)state;
    tw_cli_options o;
    options(&o, "--check");
    tw_app a;
    assert_int_equal(tw_app_open(&a, &o), -1);
    double before = tw_clock_mono();
    assert_true(tw_sources_process(a.sources, 256, 0.0) > 0);
    double after = tw_clock_mono();
    const tw_store_run *run = tw_store_run_at(a.store, 0);
    assert_non_null(run);
    assert_true(run->last_heard >= before && run->last_heard <= after);
    tw_app_close(&a);
}

/* Ingests a heartbeat of rank 0 of run `run` (incarnation inc): seq, at publisher time t (wall
 * clock), received at `at` (the monitor's monotonic clock). */
static void
beat(tw_app *a, const char *run, uint64_t inc, uint64_t seq, double t, double at)
{
    tw_wire_header h = {.version = 1, .incarnation = inc, .rank = 0, .world = 1};
    snprintf(h.run, sizeof h.run, "%s", run);
    tw_wire_record r = {
        .type = TW_REC_HEARTBEAT, .seq = seq, .epoch = 1, .time = t, .interval_ms = 1000};
    assert_int_equal(tw_store_ingest(a->store, &h, &r, at), 0);
}

/* The requests for a replay so far. */
static uint64_t
asks(const tw_app *a)
{
    return tw_sources_stats(a->sources).replay_asks;
}

/* Calls tw_app_refill every 0.25 s from t0 to t1 (not behind); returns the requests made. */
static uint64_t
refill_between(tw_app *a, double t0, double t1)
{
    uint64_t before = asks(a);
    for (double t = t0; t <= t1 + 1e-9; t += 0.25)
        tw_app_refill(a, t, false);
    return asks(a) - before;
}

/* tw_app_refill: a live rank's missing records are asked for a second after they were seen,
 * but not while the monitor reads a backlog nor while old records still arrive from a rank,
 * whatever its state (a second from then at the earliest); not for an earlier process's gaps;
 * not for a rank that ended. */
static void
test_refill(void **state)
{
    (void)state;
    static char *argv[] = {"trainwatch", "--jsonl", "tcp://127.0.0.1:9", NULL};
    tw_cli_options o;
    assert_int_equal(tw_cli_parse(&o, 3, argv, false), -1);
    tw_app a;
    assert_int_equal(tw_app_open(&a, &o), -1);
    double wall = tw_clock_wall(), t = tw_clock_mono() + 1000; /* a time of its own */
    /* a backlog of old records (ten seconds, more than two heartbeats and a second): what
     * the rank sent may still be on its way, from a publisher that has exited maybe */
    beat(&a, "gappy", 1, 1, wall - 10, t);
    beat(&a, "gappy", 1, 4, wall - 10, t + 2); /* 2 and 3 missing */
    assert_int_equal(refill_between(&a, t, t + 2), 0);
    beat(&a, "gappy", 1, 5, wall, t + 2.1); /* caught up: a second after it was last late */
    assert_int_equal(refill_between(&a, t + 2.25, t + 2.75), 0);
    assert_int_equal(refill_between(&a, t + 3.0, t + 3.0), 1);
    beat(&a, "gappy", 1, 2, wall, t + 3.1); /* the replay brings them: nothing missing */
    beat(&a, "gappy", 1, 3, wall, t + 3.1);
    assert_int_equal(refill_between(&a, t + 3.25, t + 3.25), 0);
    beat(&a, "gappy", 1, 8, wall, t + 3.5); /* 6 and 7 missing */
    tw_app_refill(&a, t + 4.0, false);
    tw_app_refill(&a, t + 4.75, false);
    tw_app_refill(&a, t + 5.0, true); /* behind: not now, and a second after it is not */
    assert_int_equal(refill_between(&a, t + 5.25, t + 5.75), 0);
    assert_int_equal(refill_between(&a, t + 6.0, t + 6.0), 1);
    beat(&a, "gappy", 1, 6, wall, t + 6.1);
    beat(&a, "gappy", 1, 7, wall, t + 6.1);
    assert_int_equal(refill_between(&a, t + 6.25, t + 6.25), 0);
    /* old records still arriving from a rank shown vanished (its process gone) hold it too */
    beat(&a, "gone", 1, 1, wall - 10, t + 6.5);
    assert_int_equal(tw_store_mark_vanished(a.store, "gone", 0, 1, t + 6.5), 0);
    beat(&a, "gone", 1, 2, wall - 10, t + 7);
    beat(&a, "gappy", 1, 10, wall, t + 7); /* 9 missing */
    assert_int_equal(refill_between(&a, t + 7, t + 9.75), 0);
    /* "gone" heard last at t + 7: not recent from t + 10 on; asked a second after */
    assert_int_equal(refill_between(&a, t + 10, t + 10.5), 0);
    assert_int_equal(refill_between(&a, t + 10.75, t + 10.75), 1);
    beat(&a, "gappy", 1, 9, wall, t + 11.1);
    /* a new process of the rank: the old one's gaps no replay can fill */
    beat(&a, "gappy", 1, 13, wall, t + 11.5); /* 11 and 12 missing from process 1 */
    beat(&a, "gappy", 2, 1, wall, t + 11.5);
    assert_int_equal(refill_between(&a, t + 11.5, t + 40), 0);
    /* its own gap, then its run-end: an ended rank has nobody to ask */
    beat(&a, "gappy", 2, 3, wall, t + 40);
    tw_wire_header h = {.version = 1, .incarnation = 2, .rank = 0, .world = 1};
    snprintf(h.run, sizeof h.run, "gappy");
    tw_wire_record end = {.type = TW_REC_RUN_END, .seq = 4, .time = wall};
    assert_int_equal(tw_store_ingest(a.store, &h, &end, t + 40), 0);
    assert_int_equal(refill_between(&a, t + 40, t + 80), 0);
    tw_app_close(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),  cmocka_unit_test(test_check_active),
        cmocka_unit_test(test_jsonl),  cmocka_unit_test(test_store_clock_mono),
        cmocka_unit_test(test_refill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
