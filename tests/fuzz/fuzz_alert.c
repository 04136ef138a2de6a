/* fuzz_alert.c - libFuzzer target: the monitor's --alert RULE[,KEY=VALUE...] and
 * --no-alert RULE parser, tw_alert_config_parse, on hostile arguments.
 *
 * Input: text lines, each one argument applied in turn to one config, as on a command line;
 * a line starting with '!' is a --no-alert argument (the rest of the line), any other an
 * --alert argument.
 *
 * Invariants (abort() when broken): the result is 0 or -EINVAL; a failure leaves the config
 * unchanged and writes a non-empty sentence starting with the option's name, NUL-terminated
 * within errlen, for errlen from 1 to full size (exact-size heap buffers, so ASan sees a
 * write past the end), and nothing with err NULL; the result does not depend on errlen; the
 * same argument on the same config gives the same result, config and sentence twice. A
 * success turns on (--alert) or off (--no-alert) exactly the rule named before the first ','
 * (names and aliases as documented), changes no other rule's switch, leaves the parameters
 * alone for --no-alert, and keeps every parameter in its documented range: k, s in 1-1000,
 * patience 0-1000000, alphas, deltas and overfitting's z, floor and samples finite and >= 0
 * (pq alpha > 0), the baseline finite,
 * start_from_epoch <= UINT64_MAX / 2. */
#include "alerts.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that libFuzzer keeps the input. */
static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_alert: invariant broken: %s\n", what);
    abort();
}

/* Whether two configs hold the same values (fields, not padding). */
static bool
config_equal(const tw_alert_config *a, const tw_alert_config *b)
{
    return memcmp(a->on, b->on, sizeof a->on) == 0 && a->overfit_k == b->overfit_k &&
           a->overfit_min_delta == b->overfit_min_delta && a->overfit_z == b->overfit_z &&
           a->overfit_floor == b->overfit_floor && a->overfit_samples == b->overfit_samples &&
           a->overfit_slope == b->overfit_slope && a->gl_alpha == b->gl_alpha &&
           a->pq_alpha == b->pq_alpha && a->pq_k == b->pq_k && a->up_s == b->up_s &&
           a->up_k == b->up_k && a->patience == b->patience &&
           a->patience_min_delta == b->patience_min_delta && a->has_baseline == b->has_baseline &&
           a->baseline == b->baseline && a->start_from_epoch == b->start_from_epoch;
}

/* Whether the parameters (not the switches) are equal. */
static bool
params_equal(const tw_alert_config *a, const tw_alert_config *b)
{
    tw_alert_config x = *a;
    memcpy(x.on, b->on, sizeof x.on);
    return config_equal(&x, b);
}

/* The rule an argument names before its first ',', as documented; -1 for none. */
static int
named_rule(const char *arg)
{
    static const struct {
        const char *name;
        int rule;
    } names[] = {{"overfitting", TW_ALERT_OVERFITTING},
                 {"gl", TW_ALERT_GL},
                 {"pq", TW_ALERT_PQ},
                 {"up", TW_ALERT_UP},
                 {"patience", TW_ALERT_PATIENCE},
                 {"nonfinite", TW_ALERT_NONFINITE},
                 {"stalled", TW_ALERT_STALLED},
                 {"dataloss", TW_ALERT_DATALOSS},
                 {"overfit", TW_ALERT_OVERFITTING},
                 {"nan", TW_ALERT_NONFINITE},
                 {"vanished", TW_ALERT_STALLED},
                 {"drops", TW_ALERT_DATALOSS}};
    size_t len = strcspn(arg, ",");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i].name) == len && strncmp(arg, names[i].name, len) == 0)
            return names[i].rule;
    return -1;
}

/* Whether every parameter is in its documented range. */
static bool
in_range(const tw_alert_config *c)
{
    return c->overfit_k >= 1 && c->overfit_k <= 1000 && c->pq_k >= 1 && c->pq_k <= 1000 &&
           c->up_s >= 1 && c->up_s <= 1000 && c->up_k >= 1 && c->up_k <= 1000 &&
           c->patience <= 1000000 && isfinite(c->overfit_min_delta) && c->overfit_min_delta >= 0 &&
           isfinite(c->overfit_z) && c->overfit_z >= 0 && isfinite(c->overfit_floor) &&
           c->overfit_floor >= 0 && isfinite(c->overfit_samples) && c->overfit_samples >= 0 &&
           c->overfit_slope <= 1000 && isfinite(c->gl_alpha) && c->gl_alpha >= 0 &&
           isfinite(c->pq_alpha) && c->pq_alpha > 0 && isfinite(c->patience_min_delta) &&
           c->patience_min_delta >= 0 && isfinite(c->baseline) &&
           c->start_from_epoch <= UINT64_MAX / 2;
}

/* Parses arg on a copy of *c with an exact-size err buffer of errlen bytes (NULL for 0). */
static int
parse_sized(const tw_alert_config *c, const char *arg, bool enable, size_t errlen,
            tw_alert_config *out, char *errcopy)
{
    char *err = errlen ? malloc(errlen) : NULL;
    if (errlen && !err)
        return -ENOMEM;
    if (err)
        memset(err, 'x', errlen);
    *out = *c;
    int rc = tw_alert_config_parse(out, arg, enable, err, errlen);
    if (rc != 0 && rc != -EINVAL)
        fail("result neither 0 nor -EINVAL");
    if (rc != 0 && !config_equal(out, c))
        fail("a failure changed the config");
    if (rc != 0 && err) {
        if (!memchr(err, '\0', errlen))
            fail("error not NUL-terminated within errlen");
        /* a sentence about the spec, for the caller to prefix with its option's name */
        size_t n = strlen(err);
        if (errlen > 1 && (n == 0 || strncmp(err, "--", n < 2 ? n : 2) == 0))
            fail("error is empty or names a command-line option");
        if (errcopy)
            strcpy(errcopy, err);
    }
    free(err);
    return rc;
}

/* One argument on *c: every invariant, then *c takes the result. */
static void
apply(tw_alert_config *c, const char *arg, bool enable)
{
    enum { ERRLEN = 512 };
    char err1[ERRLEN], err2[ERRLEN];
    tw_alert_config a, b;
    int rc = parse_sized(c, arg, enable, ERRLEN, &a, err1);
    int again = parse_sized(c, arg, enable, ERRLEN, &b, err2);
    if (again != rc || !config_equal(&a, &b) || (rc != 0 && strcmp(err1, err2) != 0))
        fail("the same argument parsed twice gave two results");
    size_t sizes[] = {0, 1, 2, 9, strlen(err1), strlen(err1) + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        if (rc == 0 && sizes[i] > 2)
            continue;
        if (parse_sized(c, arg, enable, sizes[i], &b, NULL) != rc || !config_equal(&a, &b))
            fail("the result depends on errlen");
    }
    if (rc == 0) {
        int r = named_rule(arg);
        if (r < 0)
            fail("an unknown rule name accepted");
        if (a.on[r] != enable)
            fail("the named rule was not switched");
        for (int i = 0; i < TW_ALERT_N_RULES; i++)
            if (i != r && a.on[i] != c->on[i])
                fail("another rule was switched");
        if (!enable && (!params_equal(&a, c) || arg[strcspn(arg, ",")]))
            fail("--no-alert took parameters");
        if (!in_range(&a))
            fail("a parameter out of its documented range");
        *c = a;
    }
}

/* One input: its lines as a sequence of --alert / --no-alert arguments. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tw_alert_config c = tw_alert_defaults();
    if (!in_range(&c))
        fail("the defaults are out of range");
    char *rest = text;
    while (rest) {
        char *line = rest;
        rest = strchr(rest, '\n');
        if (rest)
            *rest++ = '\0';
        bool enable = line[0] != '!';
        apply(&c, enable ? line : line + 1, enable);
    }
    if (tw_alert_config_parse(NULL, "gl", true, NULL, 0) != -EINVAL ||
        tw_alert_config_parse(&c, NULL, true, NULL, 0) != -EINVAL)
        fail("NULL accepted");
    free(text);
    return 0;
}
