/* test_publisher_env.c - a publisher in odd environments (publisher.c, logdir.c, config.c):
 * a stale XDG_RUNTIME_DIR falls back and says so, training goes on; run logs are private
 * (0600 in a 0700 directory) unless TRAINWATCH_LOG_MODE says; a log directory others could
 * take is refused (training goes on without the log); the configuration file sets the log
 * directory, the environment wins, a bad file is a warning. */
#define _GNU_SOURCE
#include "trainwatch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"

typedef struct diag_log {
    char all[4096]; /* every message, one a line */
    int warnings, errors;
} diag_log;

static void
capture(void *ctx, tw_log_level level, int err, const char *message)
{
    (void)err;
    diag_log *d = ctx;
    size_t n = strlen(d->all);
    snprintf(d->all + n, sizeof d->all - n, "%s\n", message);
    d->warnings += level == TW_LOG_WARNING;
    d->errors += level == TW_LOG_ERROR;
}

static mode_t
current_umask(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

/* A publisher on tcp (no runtime directory) logging to log_dir, its diagnostics into d; one
 * epoch published, so that training is seen to go on. */
static tw_publisher *
publish(const char *log_dir, const char *endpoint, diag_log *d)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = endpoint;
    o.log_dir = log_dir;
    o.run_name = "env";
    o.on_diag = capture;
    o.diag_ctx = d;
    tw_publisher *p = tw_publisher_new(&o);
    if (!p)
        fail_msg("tw_publisher_new failed: %s", d->all);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    assert_int_equal(tw_metric_update_scalar(m, 1, 1), 0);
    assert_int_equal(tw_publisher_epoch_end(p), 0);
    tw_metric_destroy(&m);
    return p;
}

static void
mode_is(const char *path, mode_t want)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if ((st.st_mode & 0777) != (want & ~current_umask()))
        fail_msg("%s: mode %o, want %o", path, st.st_mode & 0777, want & ~current_umask());
}

/* A stale XDG_RUNTIME_DIR (after su, in a container): the run goes to /tmp/trainwatch-UID,
 * with one warning saying why; the publisher works. */
static void
test_stale_runtime_dir(void **state)
{
    (void)state;
    char stale[400], tmp[64];
    snprintf(stale, sizeof stale, "%s/no-such-dir", tmp_root);
    snprintf(tmp, sizeof tmp, "ipc:///tmp/trainwatch-%u/", (unsigned)getuid());
    setenv("XDG_RUNTIME_DIR", stale, 1);
    diag_log d = {0};
    tw_publisher *p = publish("off", NULL, &d);
    const char *ep = tw_publisher_endpoint(p);
    if (strncmp(ep, tmp, strlen(tmp)) == 0) {
        assert_non_null(strstr(d.all, "XDG_RUNTIME_DIR="));
        assert_non_null(strstr(d.all, "No such file or directory; using /tmp/trainwatch-"));
    } else { /* /tmp/trainwatch-UID is not usable here either: a private directory */
        assert_non_null(strstr(d.all, "publishing without the registry of live runs"));
        assert_non_null(strstr(d.all, ep));
    }
    assert_int_equal(d.warnings, 1);
    assert_int_equal(d.errors, 0);
    char sock[600];
    snprintf(sock, sizeof sock, "%s", ep + 6);
    assert_int_equal(access(sock, F_OK), 0);
    tw_publisher_destroy(&p);
    assert_int_equal(access(sock, F_OK), -1); /* cleaned up */
    setenv("XDG_RUNTIME_DIR", tmp_root, 1);
}

/* Logs are 0600 in a directory made 0700; TRAINWATCH_LOG_MODE=0640 makes 0640 in 0750. */
static void
test_log_modes(void **state)
{
    (void)state;
    char dir[400];
    snprintf(dir, sizeof dir, "%s/private-runs", tmp_root);
    diag_log d = {0};
    tw_publisher *p = publish(dir, "tcp://127.0.0.1:*", &d);
    char log[1024];
    snprintf(log, sizeof log, "%s", tw_publisher_log_path(p));
    assert_memory_equal(log, dir, strlen(dir));
    tw_publisher_destroy(&p);
    mode_is(dir, 0700);
    mode_is(log, 0600);
    assert_int_equal(d.warnings + d.errors, 0);

    snprintf(dir, sizeof dir, "%s/shared-runs", tmp_root);
    setenv("TRAINWATCH_LOG_MODE", "0640", 1);
    p = publish(dir, "tcp://127.0.0.1:*", &d);
    snprintf(log, sizeof log, "%s", tw_publisher_log_path(p));
    tw_publisher_destroy(&p);
    mode_is(dir, 0750);
    mode_is(log, 0640);
    /* a bad mode in the environment is refused, as the other variables are */
    setenv("TRAINWATCH_LOG_MODE", "0777", 1);
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "tcp://127.0.0.1:*";
    o.log_dir = dir;
    o.on_diag = capture;
    o.diag_ctx = &d;
    assert_null(tw_publisher_new(&o));
    assert_non_null(strstr(d.all, "TRAINWATCH_LOG_MODE='0777'"));
    unsetenv("TRAINWATCH_LOG_MODE");
}

/* TRAINWATCH_LOG_MODE is the logs' mode whatever the umask, and never makes the directory
 * writable by others: 0666 under umask 000 gives 0666 logs in a 0755 directory (it was made
 * 0777 and refused); 0640 under umask 077 gives 0640 logs (the umask made them 0600). */
static void
test_log_mode_umask(void **state)
{
    (void)state;
    static const struct {
        const char *mode, *dir;
        mode_t umask, want_dir, want_log;
    } cases[] = {{"0666", "open-runs", 000, 0755, 0666}, {"0640", "tight-runs", 077, 0700, 0640}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[400], log[1024];
        snprintf(dir, sizeof dir, "%s/%s", tmp_root, cases[i].dir);
        setenv("TRAINWATCH_LOG_MODE", cases[i].mode, 1);
        mode_t old = umask(cases[i].umask);
        diag_log d = {0};
        tw_publisher *p = publish(dir, "tcp://127.0.0.1:*", &d);
        const char *lp = tw_publisher_log_path(p);
        snprintf(log, sizeof log, "%s", lp ? lp : "(no log)");
        tw_publisher_destroy(&p);
        umask(old);
        unsetenv("TRAINWATCH_LOG_MODE");
        if (d.errors)
            fail_msg("TRAINWATCH_LOG_MODE=%s under umask %03o: %s", cases[i].mode,
                     (unsigned)cases[i].umask, d.all);
        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        if ((st.st_mode & 0777) != cases[i].want_dir)
            fail_msg("%s: mode %o, want %o", dir, st.st_mode & 0777, cases[i].want_dir);
        assert_int_equal(stat(log, &st), 0);
        if ((st.st_mode & 0777) != cases[i].want_log)
            fail_msg("%s: mode %o, want %o", log, st.st_mode & 0777, cases[i].want_log);
    }
}

/* Publishes into dir and checks the log was refused with `why`, training going on. */
static void
refused(const char *dir, const char *why)
{
    diag_log d = {0};
    tw_publisher *p = publish(dir, "tcp://127.0.0.1:*", &d);
    if (!strstr(d.all, why) || !strstr(d.all, "training goes on without a run log"))
        fail_msg("%s: diagnostics '%s', want '%s'", dir, d.all, why);
    assert_string_equal(tw_publisher_log_path(p), "");
    assert_true(tw_publisher_get_stats(p).log_errors >= 1);
    tw_publisher_destroy(&p);
}

/* Every file in dir, counted. */
static int
count_files(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

/* A directory every user can write to is refused (sticky: accepted with a warning); one that
 * belongs to another user, or a symbolic link another user planted, too (as root only: only
 * root can give files away). */
static void
test_log_dir_others_control(void **state)
{
    (void)state;
    char dir[400], link[400];
    snprintf(dir, sizeof dir, "%s/open", tmp_root);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    refused(dir, "is writable by every user");
    assert_int_equal(count_files(dir), 0);

    assert_int_equal(chmod(dir, 01777), 0);
    diag_log d = {0};
    tw_publisher *p = publish(dir, "tcp://127.0.0.1:*", &d);
    assert_non_null(strstr(d.all, "writable by every user (sticky)"));
    assert_string_not_equal(tw_publisher_log_path(p), "");
    tw_publisher_destroy(&p);

    if (geteuid() != 0) {
        print_message("another user's directory and symlink: skipped (not root)\n");
        return;
    }
    snprintf(dir, sizeof dir, "%s/theirs", tmp_root);
    assert_int_equal(mkdir(dir, 0777), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    snprintf(link, sizeof link, "%s/runs-link", tmp_root);
    assert_int_equal(symlink(dir, link), 0);
    assert_int_equal(lchown(link, 65534, 65534), 0);
    refused(link, "is a symbolic link that another user (uid 65534) made");
    assert_int_equal(chmod(dir, 0755), 0);
    refused(dir, "belongs to another user (uid 65534)");
    assert_int_equal(count_files(dir), 0);
}

static void
test_config_file(void **state)
{
    (void)state;
    char text[700], want[600], cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmp_root), 0);
    snprintf(want, sizeof want, "%s/from-config", tmp_root);
    snprintf(text, sizeof text, "# mine\nTRAINWATCH_LOG_DIR=%s\n", want);
    assert_int_equal(tmpdir_write_config(text), 0);
    diag_log d = {0};
    tw_publisher *p = publish(NULL, "tcp://127.0.0.1:*", &d);
    assert_memory_equal(tw_publisher_log_path(p), want, strlen(want));
    tw_publisher_destroy(&p);
    assert_int_equal(d.warnings + d.errors, 0);

    snprintf(want, sizeof want, "%s/from-env", tmp_root);
    setenv("TRAINWATCH_LOG_DIR", want, 1);
    p = publish(NULL, "tcp://127.0.0.1:*", &d);
    assert_memory_equal(tw_publisher_log_path(p), want, strlen(want));
    tw_publisher_destroy(&p);
    unsetenv("TRAINWATCH_LOG_DIR");

    assert_int_equal(tmpdir_write_config("TRAINWATCH_LOG_DIR /oops\n"), 0);
    memset(&d, 0, sizeof d);
    p = publish(NULL, "tcp://127.0.0.1:*", &d);
    assert_int_equal(d.warnings, 1);
    assert_non_null(strstr(d.all, "configuration file "));
    assert_non_null(strstr(d.all, "trainwatch/config: line 1: expected KEY=VALUE"));
    assert_memory_equal(tw_publisher_log_path(p), "runs/", 5);
    tw_publisher_destroy(&p);
    assert_int_equal(chdir(cwd), 0);
}

static int
setup(void **state)
{
    (void)state;
    return tmpdir_make("pubenv", true);
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
        cmocka_unit_test(test_stale_runtime_dir), cmocka_unit_test(test_log_modes),
        cmocka_unit_test(test_log_mode_umask),    cmocka_unit_test(test_log_dir_others_control),
        cmocka_unit_test(test_config_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
