/* test_completion.c - `trainwatch completion bash|zsh` (monitor/completion.c): the scripts
 * offer every option of the program and of the relay, every alert rule and its parameters,
 * every metric kind, and bash and zsh accept them and complete with them (zsh typed into on a
 * pseudo-terminal by zsh_complete.zsh, TW_ZSH_COMPLETE; skipped without zsh). */
#define _GNU_SOURCE
#include "alerts.h"
#include "cli.h"
#include "completion.h"
#include "relay.h"
#include "trainwatch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A completion script (tw_completion_bash or _zsh), in a heap string the caller frees. */
static char *
script_of(int (*write_script)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(write_script(f), 0);
    fclose(f);
    return buf;
}

/* Whether word appears in s as a whole word (spaces, quotes or '|' around it). */
static bool
has_word(const char *s, const char *word)
{
    size_t n = strlen(word), len = strlen(s);
    for (size_t i = 0; i + n <= len; i++) { /* offsets, not pointers: gcc 12 saw dangling ones */
        if (memcmp(s + i, word, n) != 0)
            continue;
        bool left = i == 0 || strchr(" \"|(", s[i - 1]);
        bool right = strchr(" \"|)\n", s[i + n]) != NULL; /* the end of s counts too */
        if (left && right)
            return true;
    }
    return false;
}

static void
every_option_rule_and_kind_zsh(void **state)
{
    char *s = script_of(tw_completion_zsh);
    char word[80];
    assert_memory_equal(s, "#compdef trainwatch\n", 20);
    for (const struct option *o = tw_cli_long_options(); o->name; o++) {
        snprintf(word, sizeof word, "'*--%s%s", o->name,
                 o->has_arg == required_argument ? "=:" : "'");
        if (!strstr(s, word))
            fail_msg("no %s in the zsh script", word);
    }
    for (const struct option *o = tw_relay_long_options(); o->name; o++) {
        snprintf(word, sizeof word, "'*--%s", o->name);
        assert_non_null(strstr(s, word));
    }
    assert_non_null(strstr(s, "'*-1'"));
    assert_non_null(strstr(s, "'*--alert=:rule:_trainwatch_rule_spec'"));
    for (int r = 0; r < TW_ALERT_N_RULES; r++)
        assert_true(has_word(s, tw_alert_rule_name((tw_alert_rule)r)));
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++)
        assert_true(has_word(s, tw_metric_kind_name((tw_metric_kind)k)));
    assert_non_null(strstr(s, "patience) keys=(patience= min_delta= baseline= start_from_epoch=)"));
    free(s);
}

/* Typed into a real zsh: the file _trainwatch in a directory of $fpath, compinit, TAB. */
static void
zsh_completes_with_it(void **state)
{
    const char *driver = getenv("TW_ZSH_COMPLETE");
    if (!driver || system("command -v zsh >/dev/null 2>&1") != 0) {
        fprintf(stderr, "skipped: no zsh (Debian: zsh) or no TW_ZSH_COMPLETE\n");
        skip();
    }
    char dir[] = "/tmp/tw-zsh-XXXXXX", path[64], out[64], cmd[2048];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/_trainwatch", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char *s = script_of(tw_completion_zsh);
    fputs(s, f);
    free(s);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "zsh -n %s", path);
    assert_int_equal(system(cmd), 0);
    static const char *const cases[][2] = {
        {"trainwatch --al", "trainwatch --alert="},
        {"trainwatch --no-alert nonf", "trainwatch --no-alert nonfinite "},
        {"trainwatch --alert patience,start", "trainwatch --alert patience,start_from_epoch="},
        {"trainwatch --alert=patience,min", "trainwatch --alert=patience,min_delta="},
        {"trainwatch -m binary_a", "trainwatch -m binary_accuracy "},
        {"trainwatch --until-e", "trainwatch --until-end "},
        {"trainwatch rel", "trainwatch relay "},
        {"trainwatch relay --qu", "trainwatch relay --quiet "},
        {"trainwatch completion z", "trainwatch completion zsh "},
    };
    size_t n = sizeof cases / sizeof *cases, at;
    at = (size_t)snprintf(cmd, sizeof cmd, "cd %s && zsh -f %s %s %s", dir, driver, dir, out);
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(cmd + at, sizeof cmd - at, " '%s'", cases[i][0]);
    int rc = system(cmd);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
        fprintf(stderr, "skipped: this zsh has no zsh/zpty module\n");
        skip();
    }
    assert_int_equal(rc, 0);
    f = fopen(out, "r");
    assert_non_null(f);
    char line[512], want[512];
    for (size_t i = 0; i < n; i++) {
        if (!fgets(line, sizeof line, f))
            fail_msg("zsh left no line for '%s'", cases[i][0]);
        line[strcspn(line, "\n")] = '\0';
        snprintf(want, sizeof want, "<%s>", cases[i][1]);
        if (strcmp(line, want) != 0)
            fail_msg("zsh completes '%s' to '%s', want '%s'", cases[i][0], line, want);
    }
    fclose(f);
    unlink(out);
    unlink(path);
    rmdir(dir);
}

static void
every_option_rule_and_kind(void **state)
{
    char *s = script_of(tw_completion_bash);
    char word[64];
    for (const struct option *o = tw_cli_long_options(); o->name; o++) {
        snprintf(word, sizeof word, "--%s", o->name);
        assert_true(has_word(s, word));
    }
    for (const struct option *o = tw_relay_long_options(); o->name; o++) {
        snprintf(word, sizeof word, "--%s", o->name);
        assert_true(has_word(s, word));
    }
    assert_true(has_word(s, "-1")); /* --once's short letter */
    for (int r = 0; r < TW_ALERT_N_RULES; r++)
        assert_true(has_word(s, tw_alert_rule_name((tw_alert_rule)r)));
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++)
        assert_true(has_word(s, tw_metric_kind_name((tw_metric_kind)k)));
    assert_non_null(
        strstr(s, "patience) keys=\"patience= min_delta= baseline= start_from_epoch=\""));
    assert_non_null(strstr(s, "complete -o filenames -o bashdefault -F _trainwatch trainwatch\n"));
    free(s);
}

/* What bash offers for the words of a command line (the last one being completed). */
static void
complete_with_bash(const char *path, const char *words, char *out, size_t outlen)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "bash --norc --noprofile -c '. %s; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} "
             "- 1)); _trainwatch; echo \"${COMPREPLY[*]}\"'",
             path, words);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    if (!fgets(out, (int)outlen, p))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(pclose(p), 0);
}

static void
bash_completes_with_it(void **state)
{
    if (system("command -v bash >/dev/null 2>&1") != 0)
        skip();
    char path[] = "/tmp/tw-completion-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char *s = script_of(tw_completion_bash);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
    free(s);
    static const struct {
        const char *words, *want;
    } cases[] = {
        {"trainwatch --al", "--alert"},
        {"trainwatch --alert p", "pq patience"},
        {"trainwatch --alert patience,s", "patience,start_from_epoch="},
        {"trainwatch --no-alert = st", "stalled"},
        {"trainwatch -m binary_a", "binary_accuracy"},
        {"trainwatch rel", "relay"},
        {"trainwatch relay --q", "--quiet"},
    };
    char got[4096];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        complete_with_bash(path, cases[i].words, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("'%s' completes to '%s', want '%s'", cases[i].words, got, cases[i].want);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "bash -n %s", path);
    assert_int_equal(system(cmd), 0);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_option_rule_and_kind),
        cmocka_unit_test(bash_completes_with_it),
        cmocka_unit_test(every_option_rule_and_kind_zsh),
        cmocka_unit_test(zsh_completes_with_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
