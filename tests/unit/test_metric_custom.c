/* test_metric_custom.c - custom metrics with named additive slots and a result expression:
 * the expression language (precedence, functions, divide_no_nan), merging halves, the
 * options string that declares them on the wire, and every refusal with its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "trainwatch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "metric_testutil.h"

/* The value of expr over slots a, b, c holding va, vb, vc. */
static double
eval3(const char *expr, double va, double vb, double vc)
{
    static const char *const names[] = {"a", "b", "c"};
    tw_metric *m = tw_metric_new_custom(names, 3, expr);
    if (!m) {
        char why[200];
        char opts[1200];
        snprintf(opts, sizeof opts, "slots=[a,b,c],expr=\"%s\"", expr);
        tw_metric_options_check(TW_METRIC_CUSTOM, opts, why, sizeof why);
        fail_msg("\"%s\" refused: %s", expr, why);
    }
    const double v[3] = {va, vb, vc};
    assert_int_equal(tw_metric_update_slots(m, v, 3), 0);
    double r = tw_metric_result(m);
    tw_metric_destroy(&m);
    return r;
}

static void
test_expressions(void **state)
{
    (void)state;
    assert_close(eval3("a + b * c", 1, 2, 3), 7, 0, 0);
    assert_close(eval3("(a + b) * c", 1, 2, 3), 9, 0, 0);
    assert_close(eval3("a - b - c", 10, 2, 3), 5, 0, 0); /* left to right */
    assert_close(eval3("a / b / c", 24, 2, 3), 4, 0, 0);
    assert_close(eval3("-a + -(-b)", 1, 2, 0), 1, 0, 0);
    assert_close(eval3("a / c", 5, 0, 0), 0, 0, 0); /* divide_no_nan */
    assert_close(eval3("sqrt(a) + log(b) + exp(c)", 16, 1, 0), 5, 1e-12, 0);
    assert_close(eval3("min(a, b) * max(b, c)", 3, 2, 7), 14, 0, 0);
    assert_close(eval3("2.5e1 * a + .5", 1, 0, 0), 25.5, 0, 0);
    assert_true(isnan(eval3("sqrt(a)", -1, 0, 0)));
}

/* An F1 of one's own: slots tp, fp, fn, result 2tp / (2tp + fp + fn); two halves merged
 * give the whole, and the options string (the wire's declaration) rebuilds a metric that
 * merges with it. */
static void
test_custom_f1_merges(void **state)
{
    (void)state;
    static const char *const names[] = {"tp", "fp", "fn"};
    tw_metric *a = tw_metric_new_custom(names, 3, "2*tp / (2*tp + fp + fn)");
    tw_metric *b = tw_metric_new_custom(names, 3, "2 * tp/(2*tp+fp+fn)");
    assert_non_null(a);
    assert_int_equal(tw_metric_kind_of(a), TW_METRIC_CUSTOM);
    assert_string_equal(tw_metric_options_string(a), "slots=[tp,fp,fn],expr=\"2*tp/(2*tp+fp+fn)\"");
    assert_int_equal(tw_metric_state_size(a), 3);
    const double h1[3] = {3, 1, 2}, h2[3] = {5, 2, 0};
    assert_int_equal(tw_metric_update_slots(a, h1, 3), 0);
    assert_int_equal(tw_metric_update_slots(b, h2, 3), 0);
    assert_int_equal(tw_metric_merge_state(a, b), 0);
    assert_close(tw_metric_result(a), 16.0 / (16 + 3 + 2), 1e-12, 0);
    tw_metric *wire = tw_metric_new_opts(TW_METRIC_CUSTOM, tw_metric_options_string(a));
    assert_non_null(wire);
    assert_int_equal(tw_metric_merge_state(wire, a), 0);
    assert_close(tw_metric_result(wire), tw_metric_result(a), 0, 0);
    /* another expression over the same slots is another metric */
    tw_metric *other = tw_metric_new_custom(names, 3, "tp / (tp + fp)");
    assert_int_equal(tw_metric_merge_state(other, a), -EINVAL);
    /* the slots take update_slots only */
    const float y[2] = {0, 1};
    assert_int_equal(tw_metric_update_state(a, y, y, NULL, 2, 1), -EINVAL);
    assert_int_equal(tw_metric_update_scalar(a, 1, 1), -EINVAL);
    assert_int_equal(tw_metric_update_slots(a, h1, 2), -EINVAL);
    assert_int_equal(tw_metric_update_slots(NULL, h1, 3), -EINVAL);
    tw_metric *mean = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_metric_update_slots(mean, h1, 2), -EINVAL);
    tw_metric_destroy(&mean);
    tw_metric_reset_state(a);
    assert_close(tw_metric_result(a), 0, 0, 0);
    tw_metric_destroy(&other);
    tw_metric_destroy(&wire);
    tw_metric_destroy(&a);
    tw_metric_destroy(&b);
}

static void
refused(const char *opts, const char *why)
{
    char err[256] = "";
    assert_int_equal(tw_metric_options_check(TW_METRIC_CUSTOM, opts, err, sizeof err), -EINVAL);
    if (!strstr(err, why))
        fail_msg("\"%s\" refused with \"%s\", expected \"%s\"", opts, err, why);
    assert_null(tw_metric_new_opts(TW_METRIC_CUSTOM, opts));
}

static void
test_refusals(void **state)
{
    (void)state;
    refused(NULL, "slots (a list of names) is required");
    refused("slots=[a]", "expr is required");
    refused("slots=[a],expr=\"b\"", "neither a slot nor");
    refused("slots=[a],expr=\"(a\"", "missing )");
    refused("slots=[a],expr=\"a +\"", "ends too soon");
    refused("slots=[a],expr=\"a)\"", "unexpected text");
    refused("slots=[a,b,ab],expr=\"a b\"", "unexpected text"); /* two tokens, not ab */
    refused("slots=[a],expr=\"min(a)\"", "two arguments");
    refused("slots=[a],expr=\"sqrt a\"", "( )");
    refused("slots=[a],expr=\"a", "missing closing quote");
    refused("slots=[a],expr=a", "in quotes");
    refused("slots=[a,a],expr=\"a\"", "given twice");
    refused("slots=[log],expr=\"1\"", "named after a function");
    refused("slots=[1a],expr=\"1\"", "names are");
    refused("slots=[],expr=\"1\"", "names are");
    char deep[400] = "slots=[a],expr=\"";
    for (int i = 0; i < 70; i++)
        strcat(deep, "(");
    strcat(deep, "a");
    for (int i = 0; i < 70; i++)
        strcat(deep, ")");
    strcat(deep, "\"");
    refused(deep, "nested too deep");
    char neg[200] = "slots=[a],expr=\"";
    for (int i = 0; i < 70; i++)
        strcat(neg, "-");
    strcat(neg, "a\"");
    refused(neg, "nested too deep");
    char many[1100] = "slots=[a],expr=\"a";
    for (int i = 0; i < 200; i++)
        strcat(many, "+a");
    strcat(many, "\"");
    refused(many, "too many operations");
    static const char *const names[] = {"tp", "fp"};
    errno = 0;
    assert_null(tw_metric_new_custom(names, 2, "tp \" fp"));
    assert_int_equal(errno, EINVAL);
    assert_null(tw_metric_new_custom(names, 0, "1"));
    assert_null(tw_metric_new_custom(NULL, 2, "1"));
    static const char *const bad[] = {"tp", "f,p"};
    assert_null(tw_metric_new_custom(bad, 2, "tp"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_custom_f1_merges),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
