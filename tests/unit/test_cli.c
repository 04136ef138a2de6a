/* test_cli.c - the trainwatch command line (monitor/cli.c): good options into the struct, bad
 * ones into the same messages and exit statuses as before the split, --help and --version. */
#define _GNU_SOURCE
#include "cli.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one parse printed and returned. */
typedef struct result {
    int status;
    char out[8192], err[2048];
} result;

/* Reads what was written to the temporary file f into buf, then closes it. */
static void
slurp(FILE *f, char *buf, size_t len)
{
    rewind(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Parses the NULL-terminated arguments after "trainwatch" with stdout and stderr captured. */
static result
parse(tw_cli_options *o, int tty, ...) /* (an int: va_start after a bool is undefined) */
{
    static char *argv[64]; /* static: the options point into it after the return */
    argv[0] = (char *)"trainwatch";
    int argc = 1;
    va_list ap;
    va_start(ap, tty);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 63;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    static result r; /* large: not on the stack */
    memset(&r, 0, sizeof r);
    fflush(stdout);
    fflush(stderr);
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    r.status = tw_cli_parse(o, argc, argv, tty);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    slurp(out, r.out, sizeof r.out);
    slurp(err, r.err, sizeof r.err);
    return r;
}

static int
clear_env(void **state)
{
    (void)state;
    unsetenv("TRAINWATCH_CURVE_SECRET");
    unsetenv("TRAINWATCH_CURVE_SERVER");
    unsetenv("TRAINWATCH_INSECURE");
    unsetenv("TRAINWATCH_READ_AHEAD");
    return 0;
}

static void
test_modes(void **state)
{
    (void)state;
    tw_cli_options o;
    assert_int_equal(parse(&o, true, NULL).status, -1);
    assert_int_equal(o.mode, TW_CLI_UI);
    assert_true(o.wait_seconds == 2.0);
    assert_int_equal(o.n_sources, 0);
    assert_int_equal(parse(&o, false, NULL).status, -1); /* stdout not a terminal */
    assert_int_equal(o.mode, TW_CLI_ONCE);
    assert_int_equal(parse(&o, true, "--once", NULL).status, -1);
    assert_int_equal(o.mode, TW_CLI_ONCE);
    assert_int_equal(parse(&o, false, "-j", NULL).status, -1);
    assert_int_equal(o.mode, TW_CLI_JSONL);
    assert_int_equal(parse(&o, true, "--check", NULL).status, -1);
    assert_int_equal(o.mode, TW_CLI_CHECK);
    assert_false(o.check_json);
    assert_false(o.check_active);
    assert_int_equal(parse(&o, true, "--check=active", NULL).status, -1);
    assert_int_equal(o.mode, TW_CLI_CHECK);
    assert_true(o.check_active);
    assert_int_equal(parse(&o, true, "--check=fired", NULL).status, -1);
    assert_false(o.check_active);
    assert_int_equal(parse(&o, true, "--check=soon", NULL).status, 2);
    assert_int_equal(parse(&o, true, "-c", "--jsonl", "-u", NULL).status, -1);
    assert_int_equal(o.mode, TW_CLI_CHECK);
    assert_true(o.check_json);
    assert_true(o.until_end);
}

static void
test_values_and_sources(void **state)
{
    (void)state;
    tw_cli_options o;
    result r =
        parse(&o, true, "-w", "0.5", "-l", "tcp://127.0.0.1:1", "--listen", "ipc:///tmp/x", "-m",
              "loss", "-f", "^a", "--ascii", "--no-color", "--bell", "--on-alert", "cat", "-k",
              "me.key", "-s", "them.pub", "--insecure", "run.twlog", "tcp://h:2", NULL);
    assert_int_equal(r.status, -1);
    assert_string_equal(r.err, "");
    assert_true(o.wait_seconds == 0.5);
    assert_int_equal(o.n_listen, 2);
    assert_string_equal(o.listen[1], "ipc:///tmp/x");
    assert_string_equal(o.view.metric, "loss");
    assert_string_equal(o.view.filter, "^a");
    assert_true(o.view.ascii && o.view.no_color && o.bell);
    assert_string_equal(o.on_alert, "cat");
    assert_string_equal(o.security.secret_key, "me.key");
    assert_string_equal(o.security.server_key, "them.pub");
    assert_true(o.security.insecure);
    assert_int_equal(o.n_sources, 2);
    assert_string_equal(o.sources[0], "run.twlog");
    assert_string_equal(o.sources[1], "tcp://h:2");
    assert_int_equal(
        parse(&o, true, "--alert", "patience,patience=5", "--no-alert", "stalled", NULL).status,
        -1);
}

/* Each bad command line: exit status 2 and its message on stderr, nothing on stdout. */
static void
test_bad_options(void **state)
{
    (void)state;
    static const struct {
        const char *args[3];
        const char *message;
    } cases[] = {
        {{"--once", "--jsonl"},
         "trainwatch: --once and --jsonl are different outputs: choose one\n"},
        {{"--check", "--once"},
         "trainwatch: --check already prints once: choose --check or "
         "--once\n"},
        {{"--wait", "abc"}, "trainwatch: --wait 'abc': expected seconds between 0 and 86400\n"},
        {{"-w", "86401"}, "trainwatch: --wait '86401': expected seconds between 0 and 86400\n"},
        {{"-w", "-1"}, "trainwatch: --wait '-1': expected seconds between 0 and 86400\n"},
        {{"-w", "nan"}, "trainwatch: --wait 'nan': expected seconds between 0 and 86400\n"},
        {{"-w", ""}, "trainwatch: --wait '': expected seconds between 0 and 86400\n"},
        {{"-w", "0x10"}, "trainwatch: --wait '0x10': expected seconds between 0 and 86400\n"},
        {{"-w", " 1"}, "trainwatch: --wait ' 1': expected seconds between 0 and 86400\n"},
        {{"-w", "1e3"}, "trainwatch: --wait '1e3': expected seconds between 0 and 86400\n"},
        {{"-w", "."}, "trainwatch: --wait '.': expected seconds between 0 and 86400\n"},
        {{"--on-alert", ""}, "trainwatch: --on-alert: expected a command\n"},
        {{"--bogus"}, "Try 'trainwatch --help' for more information.\n"},
        {{"-w"}, "Try 'trainwatch --help' for more information.\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tw_cli_options o;
        result r = parse(&o, true, cases[i].args[0], cases[i].args[1], NULL);
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, "");
        /* getopt's own complaint comes first for unknown options and missing values */
        size_t el = strlen(r.err), ml = strlen(cases[i].message);
        assert_true(el >= ml);
        assert_string_equal(r.err + el - ml, cases[i].message);
    }
    tw_cli_options o;
    result r = parse(&o, true, "--alert", "nosuchrule", NULL);
    assert_int_equal(r.status, 2);
    assert_int_equal(strncmp(r.err, "trainwatch: ", 12), 0);
    assert_non_null(strstr(r.err, "trainwatch: --alert 'nosuchrule': unknown rule (rules: "));
    r = parse(&o, true, "--no-alert", "gl,alpha=3", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "trainwatch: --no-alert gl: takes a rule name only"));
}

static void
test_too_many_listen(void **state)
{
    (void)state;
    tw_cli_options o;
    char *argv[2 * TW_CLI_MAX_LISTEN + 4] = {(char *)"trainwatch"};
    int argc = 1;
    for (int i = 0; i <= TW_CLI_MAX_LISTEN; i++) {
        argv[argc++] = (char *)"-l";
        argv[argc++] = (char *)"tcp://127.0.0.1:1";
    }
    fflush(stderr);
    FILE *err = tmpfile();
    int saved = dup(STDERR_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    int status = tw_cli_parse(&o, argc, argv, true);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[256];
    slurp(err, buf, sizeof buf);
    assert_int_equal(status, 2);
    assert_string_equal(buf, "trainwatch: at most 16 --listen endpoints\n");
}

static void
test_help_and_version(void **state)
{
    (void)state;
    tw_cli_options o;
    result r = parse(&o, true, "--help", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(strncmp(r.out, "usage: trainwatch [OPTIONS] [SOURCE...]\n", 40), 0);
    assert_non_null(strstr(r.out, "  trainwatch keygen NAME  write a CURVE key pair"));
    assert_non_null(strstr(r.out, "--on-alert CMD"));
    assert_non_null(strstr(r.out, "Environment: TRAINWATCH_CURVE_SECRET"));
    assert_non_null(strstr(r.out, "TRAINWATCH_READ_AHEAD\n(0: read run logs on one thread"));
    assert_string_equal(r.err, "");
    r = parse(&o, true, "-h", "--bogus", NULL); /* stops at --help */
    assert_int_equal(r.status, 0);
    r = parse(&o, true, "-V", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(strncmp(r.out, "trainwatch ", 11), 0);
}

static void
test_environment(void **state)
{
    (void)state;
    tw_cli_options o;
    setenv("TRAINWATCH_CURVE_SECRET", "env.key", 1);
    setenv("TRAINWATCH_CURVE_SERVER", "env.pub", 1);
    setenv("TRAINWATCH_INSECURE", "1", 1);
    assert_int_equal(parse(&o, true, NULL).status, -1);
    assert_string_equal(o.security.secret_key, "env.key");
    assert_string_equal(o.security.server_key, "env.pub");
    assert_true(o.security.insecure);
    assert_int_equal(parse(&o, true, "-k", "opt.key", NULL).status, -1); /* options first */
    assert_string_equal(o.security.secret_key, "opt.key");
    setenv("TRAINWATCH_INSECURE", "0", 1);
    assert_int_equal(parse(&o, true, NULL).status, -1);
    assert_false(o.security.insecure);
    setenv("TRAINWATCH_INSECURE", "yes", 1);
    result r = parse(&o, true, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "trainwatch: TRAINWATCH_INSECURE='yes': expected 1 (allow) or 0\n");
    assert_int_equal(parse(&o, true, "--insecure", NULL).status, -1); /* not read then */
    clear_env(NULL);
}

/* TRAINWATCH_READ_AHEAD: unset, the sources' default (-1); 1 or 0; anything else refused. */
static void
test_read_ahead_env(void **state)
{
    (void)state;
    tw_cli_options o;
    assert_int_equal(parse(&o, true, NULL).status, -1);
    assert_int_equal(o.read_ahead, -1);
    setenv("TRAINWATCH_READ_AHEAD", "0", 1);
    assert_int_equal(parse(&o, true, NULL).status, -1);
    assert_int_equal(o.read_ahead, 0);
    setenv("TRAINWATCH_READ_AHEAD", "1", 1);
    assert_int_equal(parse(&o, true, "--once", "x.twlog", NULL).status, -1);
    assert_int_equal(o.read_ahead, 1);
    setenv("TRAINWATCH_READ_AHEAD", "2", 1);
    result r = parse(&o, true, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err,
                        "trainwatch: TRAINWATCH_READ_AHEAD='2': expected 1 (read run logs ahead) "
                        "or 0\n");
    clear_env(NULL);
}

/* --no-mouse leaves the mouse to the terminal; without it the view may take it. */
static void
test_no_mouse(void **state)
{
    (void)state;
    tw_cli_options o;
    result r = parse(&o, true, "--no-mouse", "run.twlog", NULL);
    assert_int_equal(r.status, -1);
    assert_true(o.view.no_mouse);
    r = parse(&o, true, "run.twlog", NULL);
    assert_int_equal(r.status, -1);
    assert_false(o.view.no_mouse);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_modes, clear_env),
        cmocka_unit_test_setup(test_values_and_sources, clear_env),
        cmocka_unit_test_setup(test_bad_options, clear_env),
        cmocka_unit_test_setup(test_no_mouse, clear_env),
        cmocka_unit_test_setup(test_too_many_listen, clear_env),
        cmocka_unit_test_setup(test_help_and_version, clear_env),
        cmocka_unit_test_setup(test_environment, clear_env),
        cmocka_unit_test_setup(test_read_ahead_env, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
