/* test_json.c - the monitor's JSON writer (monitor/json.c): every value kind, commas and
 * nesting, escaping, the non-finite rule, buffer growth, and the alert object built on it. */
#include "headless.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_value_kinds(void **state)
{
    (void)state;
    tw_json j;
    tw_json_init(&j);
    assert_string_equal(tw_json_text(&j), "");
    tw_json_object_begin(&j, NULL);
    tw_json_string(&j, "s", "text");
    tw_json_u64(&j, "u", UINT64_MAX);
    tw_json_double(&j, "d", 0.1);
    tw_json_double(&j, "i", -3);
    tw_json_bool(&j, "t", true);
    tw_json_bool(&j, "f", false);
    tw_json_null(&j, "n");
    tw_json_string(&j, "empty", NULL);
    tw_json_object_begin(&j, "o");
    tw_json_object_end(&j);
    tw_json_array_begin(&j, "a");
    tw_json_u64(&j, NULL, 1);
    tw_json_string(&j, NULL, "x");
    tw_json_object_begin(&j, NULL);
    tw_json_u64(&j, "k", 2);
    tw_json_object_end(&j);
    tw_json_array_begin(&j, NULL);
    tw_json_array_end(&j);
    tw_json_array_end(&j);
    tw_json_object_end(&j);
    assert_string_equal(tw_json_text(&j),
                        "{\"s\":\"text\",\"u\":18446744073709551615,\"d\":0.10000000000000001,"
                        "\"i\":-3,\"t\":true,\"f\":false,\"n\":null,\"empty\":\"\",\"o\":{},"
                        "\"a\":[1,\"x\",{\"k\":2},[]]}");
    assert_int_equal(tw_json_len(&j), strlen(tw_json_text(&j)));
    tw_json_fini(&j);
}

static void
test_escaping(void **state)
{
    (void)state;
    tw_json j;
    tw_json_init(&j);
    /* quotes, backslash, \n and \t by name, other controls and DEL as \u00XX, valid UTF-8 as
     * it is, a byte that is not part of valid UTF-8 as \ufffd (each of them) */
    tw_json_string(&j, NULL, "a\"b\\c\nd\te\x01\x1f\x7f \xc3\xa9 \xff\xfe\x80");
    assert_string_equal(tw_json_text(&j), "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f \xc3\xa9 "
                                          "\\ufffd\\ufffd\\ufffd\"");
    tw_json_reset(&j);
    /* C1 controls and bidi controls escaped; 4-byte characters kept; overlong forms, surrogates
     * and a sequence cut by the end of the string are not UTF-8 */
    tw_json_string(&j, NULL, "\xc2\x9b\xe2\x80\xae\xf0\x9f\x98\x80\xc0\xaf\xed\xa0\x80\xe4\xb8");
    assert_string_equal(tw_json_text(&j), "\"\\u009b\\u202e\xf0\x9f\x98\x80\\ufffd\\ufffd\\ufffd"
                                          "\\ufffd\\ufffd\\ufffd\\ufffd\"");
    tw_json_reset(&j);
    /* the interlinear annotation characters U+FFF9..U+FFFB, as the terminal refuses them
     * (text.h's one list); U+FFFC is a character */
    tw_json_string(&j, NULL, "a\xef\xbf\xb9\xef\xbf\xbb\xef\xbf\xbc");
    assert_string_equal(tw_json_text(&j), "\"a\\ufff9\\ufffb\xef\xbf\xbc\"");
    tw_json_reset(&j);
    tw_json_object_begin(&j, NULL);
    tw_json_u64(&j, "k\"\r", 1); /* keys are escaped too */
    tw_json_object_end(&j);
    assert_string_equal(tw_json_text(&j), "{\"k\\\"\\u000d\":1}");
    tw_json_fini(&j);
}

static void
test_nonfinite(void **state)
{
    (void)state;
    tw_json j;
    tw_json_init(&j);
    tw_json_object_begin(&j, NULL);
    tw_json_double(&j, "a", NAN);
    tw_json_double(&j, "b", INFINITY);
    tw_json_double(&j, "c", -INFINITY);
    tw_json_double(&j, "d", 1.5);
    tw_json_array_begin(&j, "state");
    tw_json_double(&j, NULL, NAN); /* no sibling in an array */
    tw_json_double(&j, NULL, 2);
    tw_json_array_end(&j);
    tw_json_object_end(&j);
    assert_string_equal(tw_json_text(&j),
                        "{\"a\":null,\"a_nonfinite\":\"nan\",\"b\":null,\"b_nonfinite\":\"inf\","
                        "\"c\":null,\"c_nonfinite\":\"-inf\",\"d\":1.5,\"state\":[null,2]}");
    tw_json_fini(&j);
}

static void
test_growth_and_line(void **state)
{
    (void)state;
    size_t n = 100000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    tw_json j;
    tw_json_init(&j);
    tw_json_array_begin(&j, NULL);
    for (int i = 0; i < 3; i++)
        tw_json_string(&j, NULL, big);
    tw_json_array_end(&j);
    assert_int_equal(tw_json_len(&j), 3 * (n + 2) + 2 + 2);
    assert_memory_equal(tw_json_text(&j) + 2, big, n);

    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    assert_non_null(f);
    assert_int_equal(tw_json_line(&j, f), 0);
    assert_int_equal(tw_json_len(&j), 0); /* reset for the next line */
    tw_json_u64(&j, NULL, 7);
    assert_int_equal(tw_json_line(&j, f), 0);
    fclose(f);
    assert_int_equal(out_len, 3 * (n + 2) + 4 + 1 + 2);
    assert_memory_equal(out + out_len - 4, "]\n7\n", 4);
    free(out);
    free(big);
    tw_json_fini(&j);
}

static void
test_too_deep_fails(void **state)
{
    (void)state;
    tw_json j;
    tw_json_init(&j);
    for (int i = 0; i < TW_JSON_MAX_DEPTH + 2; i++)
        tw_json_array_begin(&j, NULL);
    assert_true(j.failed);
    assert_string_equal(tw_json_text(&j), "");
    FILE *f = fopen("/dev/null", "w");
    assert_int_equal(tw_json_line(&j, f), -ENOMEM);
    fclose(f);
    assert_false(j.failed); /* reset */
    tw_json_fini(&j);
}

/* The alert object keeps the field names and order of doc/trainwatch.1, with the non-finite
 * rule for its numbers. */
static void
test_alert_object(void **state)
{
    (void)state;
    tw_alert e = {.id = 3,
                  .name = "overfitting",
                  .severity = TW_ALERT_WARNING,
                  .time = 1763900000.5,
                  .split = TW_SPLIT_VAL,
                  .epoch = 15,
                  .has_best = true,
                  .best_epoch = 12,
                  .best_value = INFINITY,
                  .has_value = true,
                  .value = 0.5};
    strcpy(e.run, "RUN");
    strcpy(e.metric, "loss");
    strcpy(e.text, "val loss \"rose\"\n");
    tw_json j;
    tw_json_init(&j);
    tw_alert_to_json(&j, &e);
    assert_string_equal(tw_json_text(&j),
                        "{\"type\":\"alert\",\"id\":3,\"event\":\"fired\",\"rule\":\"overfitting\","
                        "\"severity\":\"warning\",\"time\":1763900000.5,\"run\":\"RUN\","
                        "\"metric\":\"loss\",\"split\":\"val\",\"epoch\":15,\"value\":0.5,"
                        "\"best_epoch\":12,\"best_value\":null,\"best_value_nonfinite\":\"inf\","
                        "\"text\":\"val loss \\\"rose\\\"\\n\"}");
    tw_json_reset(&j);
    /* run-wide, cleared, no value (NaN): metric, split, epoch, value and best left out */
    tw_alert c = {.id = 4, .cleared = true, .name = "stalled", .time = 2, .value = NAN};
    strcpy(c.run, "R");
    tw_alert_to_json(&j, &c);
    assert_string_equal(tw_json_text(&j), "{\"type\":\"alert\",\"id\":4,\"event\":\"cleared\","
                                          "\"rule\":\"stalled\",\"severity\":\"info\",\"time\":2,"
                                          "\"run\":\"R\",\"text\":\"\"}");
    tw_json_fini(&j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_kinds),    cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_nonfinite),      cmocka_unit_test(test_growth_and_line),
        cmocka_unit_test(test_too_deep_fails), cmocka_unit_test(test_alert_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
