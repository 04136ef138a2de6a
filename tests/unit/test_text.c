/* test_text.c - the one sanitiser of terminal text (monitor/model/text.h): controls, C1, DEL,
 * invalid UTF-8 and bidi controls become '?', widths are display columns, cuts never split a
 * character; in the C locale every non-ASCII byte is a '?'. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "text.h"

#include <locale.h>
#include <stdbool.h>
#include <string.h>

/* Whether s is valid UTF-8 (what a cut inside a character breaks). */
static bool
valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xe0) == 0xc0 ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0)
            return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return true;
}

static int
utf8_setup(void **state)
{
    (void)state;
    return setlocale(LC_ALL, "C.UTF-8") ? 0 : -1;
}

/* Escape sequences, BEL, backspace, newline, DEL, C1 (as a character and as a raw byte):
 * each control a '?', the printable rest kept. */
static void
test_controls(void **state)
{
    (void)state;
    char out[256];
    tw_text_clean(out, sizeof out,
                  "a\033]0;pwned\007b\033[2Jc\bd\ne\x7f"
                  "f",
                  -1);
    assert_string_equal(out, "a?]0;pwned?b?[2Jc?d?e?f");
    tw_text_clean(out, sizeof out,
                  "x\xc2\x9b"
                  "31my",
                  -1); /* U+009B, CSI in C1 */
    assert_string_equal(out, "x?31my");
    tw_text_clean(out, sizeof out,
                  "x\x9b"
                  "31my",
                  -1); /* a raw 0x9b byte */
    assert_string_equal(out, "x?31my");
    assert_int_equal(tw_text_clean(out, sizeof out, NULL, -1), 0);
    assert_string_equal(out, "");
}

/* Invalid and cut UTF-8: a '?' a byte; the valid characters around it kept. */
static void
test_invalid_utf8(void **state)
{
    (void)state;
    char out[256];
    tw_text_clean(out, sizeof out,
                  "run\xff\xfe"
                  "é\xe4\xb8",
                  -1);
    assert_string_equal(out, "run??é??");
    assert_true(valid_utf8(out));
}

/* Bidi controls (RLO, LRI..PDI, LRM/RLM, ALM) and invisible format characters. */
static void
test_bidi(void **state)
{
    (void)state;
    char out[256];
    tw_text_clean(out, sizeof out,
                  "abc\xe2\x80\xae"
                  "def\xe2\x81\xa6"
                  "g\xe2\x80\x8f\xd8\x9c\xe2\x80\x8b\xef\xbb\xbf",
                  -1);
    assert_string_equal(out, "abc?def?g????");
    /* the interlinear annotation characters U+FFF9..U+FFFB too; U+FFFC is a character */
    tw_text_clean(out, sizeof out, "a\xef\xbf\xb9\xef\xbf\xba\xef\xbf\xbb", -1);
    assert_string_equal(out, "a???");
    assert_true(tw_text_refused_cp(0xfff9) && tw_text_refused_cp(0x9b) && tw_text_refused_cp(0x7f));
    assert_false(tw_text_refused_cp(0xfffc) || tw_text_refused_cp(0xe9));
    /* the one UTF-8 decoder: lengths and code points, and what is not UTF-8 */
    unsigned long cp = 0;
    assert_int_equal(tw_text_utf8((const unsigned char *)"\xef\xbf\xb9", &cp), 3);
    assert_int_equal(cp, 0xfff9);
    assert_int_equal(tw_text_utf8((const unsigned char *)"\xf0\x9f\x98\x80", &cp), 4);
    assert_int_equal(cp, 0x1f600);
    assert_int_equal(tw_text_utf8((const unsigned char *)"\xc0\xaf", &cp), 0);     /* overlong */
    assert_int_equal(tw_text_utf8((const unsigned char *)"\xed\xa0\x80", &cp), 0); /* D800 */
    assert_int_equal(tw_text_utf8((const unsigned char *)"\xf4\x90\x80\x80", &cp), 0);
    assert_int_equal(tw_text_utf8((const unsigned char *)"\xe4\xb8", &cp), 0); /* cut */
    assert_int_equal(tw_text_cols("abc\xe2\x80\xae"
                                  "def"),
                     7);
}

/* Display columns: CJK takes 2; a cut at an odd column leaves the wide character out. */
static void
test_columns(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(tw_text_cols("中文ab"), 6);
    assert_int_equal(tw_text_clean(out, sizeof out, "中文中文", 5), 4);
    assert_string_equal(out, "中文");
    /* the buffer too: never a partial character */
    assert_int_equal(tw_text_clean(out, 5, "中文", -1), 2);
    assert_string_equal(out, "中");
}

/* Ellipsized in the middle by columns: at most w columns, valid UTF-8, both ends kept. */
static void
test_ellipsize(void **state)
{
    (void)state;
    char out[256];
    for (int w = 3; w <= 22; w++) { /* 23 columns in all */
        tw_text_ellipsize(out, sizeof out, "中文中文中文中文中文xyz", w, "\xe2\x80\xa6");
        assert_true(valid_utf8(out));
        assert_true(tw_text_cols(out) <= w);
        assert_true(tw_text_cols(out) >= w - 1);
        assert_non_null(strstr(out, "\xe2\x80\xa6"));
    }
    tw_text_ellipsize(out, sizeof out, "中文中文中文中文中文xyz", 11, "~");
    assert_string_equal(out, "中文~文xyz");
    tw_text_ellipsize(out, sizeof out, "short", 10, "~");
    assert_string_equal(out, "short");
    tw_text_ellipsize(out, sizeof out, "a\033b", 10, "~");
    assert_string_equal(out, "a?b");
}

/* The C locale: every byte outside ASCII is a '?', one column each. */
static void
test_c_locale(void **state)
{
    (void)state;
    char out[256];
    assert_non_null(setlocale(LC_ALL, "C"));
    tw_text_clean(out, sizeof out,
                  "é\xe2\x80\xae"
                  "a",
                  -1);
    assert_string_equal(out, "?????a");
    assert_int_equal(tw_text_cols("中"), 3);
    assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls),  cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_bidi),      cmocka_unit_test(test_columns),
        cmocka_unit_test(test_ellipsize), cmocka_unit_test(test_c_locale),
    };
    return cmocka_run_group_tests(tests, utf8_setup, NULL);
}
