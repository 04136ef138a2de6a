/* test_svg.c - the SVG figure (model/svg.c): one path a line at the coordinates the ticks give,
 * gaps as new subpaths, dashed validation, best markers, the legend, text escaped and made
 * valid UTF-8, refused input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a coordinate or label came out as a non-finite number. */
static bool
has_nonfinite(const char *s)
{
    return strstr(s, "\"nan") || strstr(s, " nan") || strstr(s, "-nan") || strstr(s, ">nan") ||
           strstr(s, "inf");
}

/* How many times needle occurs in s. */
static int
count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Two lines over x 0..10 and y 0..1 (ticks 0, 0.2, ..., 1): the plot area is 64..(720-190)
 * wide and 14..(450-48) high, so (0, 0) is at (64, 402) and (10, 1) at (530, 14). */
static void
test_paths_and_coordinates(void **state)
{
    double x[] = {0, 5, 10}, y1[] = {0, 0.5, 1}, y2[] = {1, NAN, 0.25};
    tw_svg_line l[2] = {{x, y1, 3, 0, false, true, 10, 1, "run train"},
                        {x, y2, 3, 1, true, false, 0, 0, "run val"}};
    tw_svg_spec sp = {0};
    size_t len;
    char *s;

    (void)state;
    s = tw_svg_render(&sp, l, 2, &len);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    assert_int_equal(count(s, "<path"), 2);
    assert_non_null(strstr(s, "d=\"M64.00 402.00 L297.00 208.00 L530.00 14.00\""));
    /* the NaN starts a new subpath */
    assert_non_null(strstr(s, "d=\"M64.00 14.00 M530.00 305.00\""));
    assert_int_equal(count(s, "stroke-dasharray"), 2); /* the val path and its legend line */
    assert_int_equal(count(s, "class=\"best\""), 1);
    assert_non_null(strstr(s, "cx=\"530.00\" cy=\"14.00\""));
    assert_non_null(strstr(s, ">run val</text>"));
    assert_non_null(strstr(s, "class=\"ytick\" x=\"58.00\" y=\"402.00\""));
    free(s);
}

/* Names from the wire: markup escaped, bad UTF-8 replaced, control bytes and what the terminal
 * refuses (C1, RLO, U+FFF9: text.h) dropped. */
static void
test_text_escaped(void **state)
{
    double x[] = {1, 2}, y[] = {1, 2};
    tw_svg_line l = {x, y,     2,
                     0, false, false,
                     0, 0,     "<a&\"b\x1b[2J\xff\xc3\xa9\xe2\x80\xae\xef\xbf\xb9\xc2\x9b"};
    tw_svg_spec sp = {0};
    char *s;

    (void)state;
    sp.title = "t]]>";
    s = tw_svg_render(&sp, &l, 1, NULL);
    assert_non_null(s);
    assert_non_null(strstr(s, ">&#60;a&#38;&#34;b[2J\xef\xbf\xbd\xc3\xa9</text>"));
    assert_null(strchr(s, '\x1b'));
    assert_non_null(strstr(s, ">t]]&#62;</text>"));
    free(s);
}

/* Nothing drawable, a flat line, log-y with values <= 0: a figure all the same. */
static void
test_degenerate(void **state)
{
    double x[] = {1, 2, 3}, flat[] = {2, 2, 2}, neg[] = {-1, 0, 10};
    tw_svg_line l = {x, flat, 3, 0, false, false, 0, 0, NULL};
    tw_svg_spec sp = {0};
    char *s;

    (void)state;
    s = tw_svg_render(&sp, NULL, 0, NULL);
    assert_non_null(s);
    assert_int_equal(count(s, "<path"), 0);
    free(s);
    s = tw_svg_render(&sp, &l, 1, NULL);
    assert_non_null(s);
    assert_false(has_nonfinite(s));
    free(s);
    l.y = neg;
    sp.log_y = true;
    s = tw_svg_render(&sp, &l, 1, NULL);
    assert_non_null(s);
    assert_int_equal(count(s, " L"), 0); /* only the one point above 0 */
    assert_false(has_nonfinite(s));
    free(s);
}

static void
test_refused(void **state)
{
    tw_svg_line l = {NULL, NULL, 3, 0, false, false, 0, 0, NULL};
    tw_svg_spec sp = {0};

    (void)state;
    errno = 0;
    assert_null(tw_svg_render(NULL, NULL, 0, NULL));
    assert_int_equal(errno, EINVAL);
    assert_null(tw_svg_render(&sp, &l, 1, NULL));
    assert_int_equal(errno, EINVAL);
    assert_null(tw_svg_render(&sp, NULL, 1, NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_and_coordinates),
        cmocka_unit_test(test_text_escaped),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
