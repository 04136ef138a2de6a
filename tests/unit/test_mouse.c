/* test_mouse.c - the mouse reports' parsers (tui/mouse.c): xterm's SGR 1006 and X10
 * encodings, with every malformed, over-long or out-of-range report refused. (What an event
 * does to the view is driven in tmux by e2e/tui_inspect.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mouse.h"

#include <string.h>

static bool
sgr(const char *s, tw_mouse_event *e)
{
    return tw_mouse_parse_sgr(s, strlen(s), e);
}

static void
test_sgr_events(void **state)
{
    tw_mouse_event e;

    (void)state;
    assert_true(sgr("0;30;10M", &e));
    assert_int_equal(e.button, 0);
    assert_int_equal(e.mods, 0);
    assert_int_equal(e.x, 29);
    assert_int_equal(e.y, 9);
    assert_true(e.press);
    assert_true(sgr("0;30;10m", &e));
    assert_false(e.press);
    assert_true(sgr("64;1;1M", &e)); /* wheel up at the top-left cell */
    assert_int_equal(e.button, 64);
    assert_int_equal(e.x, 0);
    assert_int_equal(e.y, 0);
    assert_true(sgr("65;99999;99999M", &e));
    assert_int_equal(e.button, 65);
    assert_int_equal(e.x, 99998);
    assert_true(sgr("6;5;5M", &e)); /* Shift + right */
    assert_int_equal(e.button, 2);
    assert_int_equal(e.mods, 4);
    assert_true(sgr("32;5;5M", &e)); /* a motion with the left button */
    assert_int_equal(e.button, 0);
    assert_int_equal(e.mods, 32);
}

static void
test_sgr_refused(void **state)
{
    static const char *const bad[] = {
        "",         "M",           ";;M",      "0;1M",
        "0;1;1",    "0;1;1X",      "0;0;1M",   "0;1;0M",
        "256;1;1M", "0;100000;1M", "0;1;1;1M", "a;1;1M",
        "0;1;1Mx",  "-1;1;1M",     "0;;1M",    "0;1;1;1;1;1;1;1;1;1;1;1M",
    };
    tw_mouse_event e;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sgr(bad[i], &e));
    assert_false(tw_mouse_parse_sgr(NULL, 0, &e));
}

static void
test_x10(void **state)
{
    const unsigned char ok[3] = {32 + 0, 33 + 4, 33 + 2}, wheel[3] = {32 + 64, 40, 40};
    const unsigned char release[3] = {32 + 3, 40, 40}, bad[3] = {10, 40, 40};
    tw_mouse_event e;

    (void)state;
    assert_true(tw_mouse_parse_x10(ok, &e));
    assert_int_equal(e.button, 0);
    assert_int_equal(e.x, 4);
    assert_int_equal(e.y, 2);
    assert_true(e.press);
    assert_true(tw_mouse_parse_x10(wheel, &e));
    assert_int_equal(e.button, 64);
    assert_true(tw_mouse_parse_x10(release, &e));
    assert_false(e.press);
    assert_false(tw_mouse_parse_x10(bad, &e));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgr_events),
        cmocka_unit_test(test_sgr_refused),
        cmocka_unit_test(test_x10),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
