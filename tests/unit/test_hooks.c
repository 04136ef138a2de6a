/* test_hooks.c - the --on-alert process manager (monitor/hooks.c) with real commands: the JSON
 * reaches `sh -c 'cat > FILE'`, the rate limit counts and reports skipped alerts, a failing
 * command is reported. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The reports received. */
typedef struct reports {
    int n;
    char last[256];
} reports;

static void
on_report(void *ctx, const char *msg)
{
    reports *r = ctx;
    r->n++;
    snprintf(r->last, sizeof r->last, "%s", msg);
}

static void
test_command_receives_json(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_hooks.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[128], cmd[256];
    snprintf(file, sizeof file, "%s/alert.json", dir);
    snprintf(cmd, sizeof cmd, "cat > '%s'", file);
    reports rep = {0};
    tw_hooks *h = tw_hooks_new(cmd, true, on_report, &rep);
    assert_non_null(h);
    const char *json = "{\"type\":\"alert\",\"id\":1,\"text\":\"a \\\"b\\\"\"}";
    assert_int_equal(tw_hooks_run(h, json, strlen(json), 100.0), 0);
    assert_int_equal(tw_hooks_running(h), 1);
    tw_hooks_drain(h, 5.0);
    assert_int_equal(tw_hooks_running(h), 0);
    assert_int_equal(rep.n, 0); /* cat succeeded: nothing to tell */

    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char got[256] = "";
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    char want[256];
    snprintf(want, sizeof want, "%s\n", json);
    assert_string_equal(got, want);
    tw_hooks_destroy(&h);
    assert_null(h);
    tw_hooks_destroy(&h); /* NULL-safe */
    unlink(file);
    rmdir(dir);
}

static void
test_rate_limit_and_report(void **state)
{
    (void)state;
    reports rep = {0};
    tw_hooks *h = tw_hooks_new("true", true, on_report, &rep);
    assert_non_null(h);
    assert_true(isinf(tw_hooks_next_due(h)));
    assert_int_equal(tw_hooks_run(h, "{}", 2, 10.0), 0);
    assert_int_equal(tw_hooks_run(h, "{}", 2, 11.0), -EAGAIN); /* within 2 s */
    assert_int_equal(tw_hooks_run(h, "{}", 2, 11.5), -EAGAIN);
    assert_true(tw_hooks_next_due(h) == 10.0 + TW_HOOKS_SECONDS);
    tw_hooks_reap(h, 11.9, true); /* not yet: the limit still holds */
    tw_hooks_drain(h, 5.0);
    assert_int_equal(rep.n, 0);
    tw_hooks_reap(h, 12.0, true);
    assert_int_equal(rep.n, 1);
    assert_string_equal(rep.last, "2 alerts not passed to --on-alert (at most one every 2 s)");
    assert_true(isinf(tw_hooks_next_due(h)));
    tw_hooks_reap(h, 20.0, true); /* told once */
    assert_int_equal(rep.n, 1);

    /* at exit, a count the rate limit still holds back is told at once */
    assert_int_equal(tw_hooks_run(h, "{}", 2, 40.0), 0);
    assert_int_equal(tw_hooks_run(h, "{}", 2, 40.1), -EAGAIN);
    tw_hooks_reap(h, 40.2, true);
    assert_int_equal(rep.n, 1);
    tw_hooks_report_skipped(h);
    assert_int_equal(rep.n, 2);
    assert_string_equal(rep.last, "1 alerts not passed to --on-alert (at most one every 2 s)");
    tw_hooks_report_skipped(h); /* once */
    assert_int_equal(rep.n, 2);
    tw_hooks_drain(h, 5.0);

    /* the UI does not show the count: it is forgotten */
    assert_int_equal(tw_hooks_run(h, "{}", 2, 45.0), 0);
    assert_int_equal(tw_hooks_run(h, "{}", 2, 45.1), -EAGAIN);
    tw_hooks_drain(h, 5.0);
    tw_hooks_reap(h, 50.0, false);
    assert_int_equal(rep.n, 2);
    assert_true(isinf(tw_hooks_next_due(h)));
    tw_hooks_destroy(&h);
}

static void
test_failing_command_reported(void **state)
{
    (void)state;
    reports rep = {0};
    tw_hooks *h = tw_hooks_new("cat >/dev/null; exit 3", true, on_report, &rep);
    assert_non_null(h);
    assert_int_equal(tw_hooks_run(h, "{}", 2, 1.0), 0);
    tw_hooks_drain(h, 5.0);
    assert_int_equal(rep.n, 1);
    assert_string_equal(rep.last, "--on-alert command exited with status 3");
    assert_int_equal(tw_hooks_run(h, "{}", 2, 5.0), 0);
    tw_hooks_destroy(&h);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the monitor does (hooks.h): `exit 3` may not read its input */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_receives_json),
        cmocka_unit_test(test_rate_limit_and_report),
        cmocka_unit_test(test_failing_command_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
