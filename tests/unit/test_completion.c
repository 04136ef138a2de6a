/* test_completion.c - `trainwatch completion bash` (monitor/completion.c): the script offers
 * every option of the program and of the relay, every alert rule and its parameters, every
 * metric kind, and bash accepts it and completes with it. */
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
#include <unistd.h>

/* The script, in a heap string the caller frees. */
static char *
script(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(tw_completion_bash(f), 0);
    fclose(f);
    return buf;
}

/* Whether word appears in s as a whole word (spaces, quotes or '|' around it). */
static bool
has_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(s, word); p; p = strstr(p + 1, word)) {
        bool left = p == s || strchr(" \"|(", p[-1]);
        bool right = strchr(" \"|)\n", p[n]) != NULL;
        if (left && right)
            return true;
    }
    return false;
}

static void
every_option_rule_and_kind(void **state)
{
    char *s = script();
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
    char *s = script();
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
