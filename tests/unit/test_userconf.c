/* test_userconf.c - the user's configuration file (publisher/userconf.c): the format, its
 * limits, bad lines named and skipped while the good ones apply, finding and reading the file
 * (XDG_CONFIG_HOME, HOME), and TRAINWATCH_LOG_MODE's values. */
#include "userconf.h"

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

static tw_userconf c;
static char err[1024];

static int
parse(const char *text, const char *home)
{
    return tw_userconf_parse(&c, text, strlen(text), home, err, sizeof err);
}

static void
test_format(void **state)
{
    (void)state;
    assert_int_equal(parse("# trainwatch\n\n  TRAINWATCH_LOG_DIR = /data/runs  \n", "/h"), 0);
    assert_string_equal(c.log_dir, "/data/runs");
    assert_int_equal(c.log_mode, -1);
    assert_string_equal(err, "");
    assert_int_equal(parse("TRAINWATCH_LOG_DIR=\"/a b/runs\"\r\nTRAINWATCH_LOG_MODE='0640'", NULL),
                     0);
    assert_string_equal(c.log_dir, "/a b/runs");
    assert_int_equal(c.log_mode, 0640);
    assert_int_equal(parse("TRAINWATCH_LOG_DIR=~/runs\n", "/home/me"), 0);
    assert_string_equal(c.log_dir, "/home/me/runs");
    assert_int_equal(parse("TRAINWATCH_LOG_DIR=off\n", NULL), 0);
    assert_string_equal(c.log_dir, "off");
    assert_int_equal(parse("", NULL), 0);
    assert_string_equal(c.log_dir, "");
    /* the last of two wins, as in a shell */
    assert_int_equal(parse("TRAINWATCH_LOG_DIR=a\nTRAINWATCH_LOG_DIR=b\n", NULL), 0);
    assert_string_equal(c.log_dir, "b");
}

/* A bad line is named and skipped; the lines around it still apply. */
static void
test_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"TRAINWATCH_LOG_DIR\n", "line 1: expected KEY=VALUE"},
        {"# ok\nTRAINWATCH_LOGDIR=x\n", "line 2: unknown key"},
        {"TRAINWATCH_LOG_DIR=\n", "line 1: TRAINWATCH_LOG_DIR is empty"},
        {"TRAINWATCH_LOG_DIR=~/x\n", "line 1: ~/ in the value, and HOME is not set"},
        {"TRAINWATCH_LOG_MODE=0755\n", "line 1: TRAINWATCH_LOG_MODE must be an octal"},
        {"TRAINWATCH_LOG_MODE=0400\n", "line 1: TRAINWATCH_LOG_MODE must be an octal"},
        {"TRAINWATCH_LOG_DIR=a\033]0;x\007\n", "line 1: a control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = parse(bad[i].text, NULL);
        if (rc != -EINVAL || !strstr(err, bad[i].why) || !strstr(err, "the line is ignored"))
            fail_msg("%s: rc %d, '%s' (want '%s')", bad[i].text, rc, err, bad[i].why);
    }
    assert_int_equal(parse("TRAINWATCH_LOG_DIR=/good\nnonsense\nTRAINWATCH_LOG_MODE=644\n", NULL),
                     -EINVAL);
    assert_string_equal(c.log_dir, "/good");
    assert_int_equal(c.log_mode, 0644);
    assert_non_null(strstr(err, "line 2"));
    /* a NUL byte, a line over the limit */
    const char nul[] = "TRAINWATCH_LOG_DIR=a\0b\nTRAINWATCH_LOG_MODE=0600\n";
    assert_int_equal(tw_userconf_parse(&c, nul, sizeof nul - 1, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "line 1: a NUL byte"));
    assert_int_equal(c.log_mode, 0600);
    size_t n = TW_USERCONF_MAX_LINE + 100;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    memcpy(big, "TRAINWATCH_LOG_DIR=", 19);
    big[n] = '\0';
    assert_int_equal(parse(big, NULL), -EINVAL);
    assert_non_null(strstr(err, "too long"));
    assert_string_equal(c.log_dir, "");
    free(big);
}

static void
test_mode(void **state)
{
    (void)state;
    assert_int_equal(tw_userconf_parse_mode("0600"), 0600);
    assert_int_equal(tw_userconf_parse_mode("644"), 0644);
    assert_int_equal(tw_userconf_parse_mode("0666"), 0666);
    static const char *const bad[] = {"",      "0",    "0700", "0500",  "0601", "06000",
                                      "0x180", "-600", "0608", " 0600", NULL};
    for (size_t i = 0; bad[i]; i++)
        if (tw_userconf_parse_mode(bad[i]) != -1)
            fail_msg("mode '%s' accepted", bad[i]);
    assert_int_equal(tw_userconf_parse_mode(NULL), -1);
}

static void
test_load(void **state)
{
    (void)state;
    setenv("XDG_CONFIG_HOME", tmp_root, 1);
    assert_int_equal(tw_userconf_load(&c, err, sizeof err), 0); /* no file: nothing */
    assert_string_equal(c.path, "");
    assert_string_equal(c.log_dir, "");
    assert_int_equal(tmpdir_write_config("TRAINWATCH_LOG_DIR=/from/xdg\n"), 0);
    assert_int_equal(tw_userconf_load(&c, err, sizeof err), 0);
    assert_string_equal(c.log_dir, "/from/xdg");
    assert_non_null(strstr(c.path, "/trainwatch/config"));
    assert_int_equal(tmpdir_write_config("TRAINWATCH_LOG_DIR=/x\nbroken\n"), 0);
    assert_int_equal(tw_userconf_load(&c, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, c.path));
    assert_non_null(strstr(err, "line 2: expected KEY=VALUE"));
    assert_string_equal(c.log_dir, "/x");
    /* HOME/.config when XDG_CONFIG_HOME is unset */
    char home[600], dir[700];
    snprintf(home, sizeof home, "%s/home", tmp_root);
    snprintf(dir, sizeof dir, "%s/.config", home);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof dir, "%s/.config/trainwatch", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof dir, "%s/.config/trainwatch/config", home);
    FILE *f = fopen(dir, "w");
    assert_non_null(f);
    fputs("TRAINWATCH_LOG_DIR=~/r\n", f);
    fclose(f);
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", home, 1);
    assert_int_equal(tw_userconf_load(&c, err, sizeof err), 0);
    snprintf(dir, sizeof dir, "%s/r", home);
    assert_string_equal(c.log_dir, dir);
    /* a directory where the file should be, a file too large: refused, named */
    assert_int_equal(unlink(c.path), 0);
    assert_int_equal(mkdir(c.path, 0700), 0);
    assert_int_equal(tw_userconf_load(&c, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(rmdir(c.path), 0);
    f = fopen(c.path, "w");
    assert_non_null(f);
    for (int i = 0; i < TW_USERCONF_MAX_FILE / 10 + 1; i++)
        fputs("# padding\n", f);
    fclose(f);
    assert_int_equal(tw_userconf_load(&c, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "larger than"));
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_home);
    setenv("XDG_CONFIG_HOME", tmp_root, 1);
}

static int
setup(void **state)
{
    (void)state;
    return tmpdir_make("userconf", true);
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
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
