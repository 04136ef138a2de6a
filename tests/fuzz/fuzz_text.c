/* fuzz_text.c - libFuzzer target: the one sanitiser of terminal text (monitor/model/text.h)
 * and the JSON writer's string escaping (monitor/json.h), on hostile bytes.
 *
 * Input: byte 0 picks the locale (even: C.UTF-8, odd: C), byte 1 the width in columns
 * (value % 64 - 1: -1 is no limit); the rest, up to its first NUL, is the text.
 *
 * Invariants (abort() when broken): tw_text_clean writes only printable characters of the
 * locale (no byte below 0x20, no DEL; in UTF-8 valid UTF-8 without C1 or bidi controls; in C
 * only ASCII), at most the width's columns, the columns it returns (tw_text_cols agrees),
 * always terminated within every buffer size from 1 up; cleaning is idempotent; a cleaned
 * prefix in a small buffer is a prefix of the full one; tw_text_ellipsize keeps within the
 * width; a JSON string of the text is quoted, valid UTF-8, without a raw control byte. */
#include "json.h"
#include "text.h"

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that libFuzzer keeps the input. */
static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_text: invariant broken: %s\n", what);
    abort();
}

/* Whether s (n bytes) is valid UTF-8; with strict, also free of C1 and bidi controls. */
static bool
utf8_ok(const unsigned char *s, size_t n, bool strict)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80                ? 1
                   : c >= 0xc2 && c < 0xe0 ? 2
                   : c >= 0xe0 && c < 0xf0 ? 3
                   : c >= 0xf0 && c < 0xf5 ? 4
                                           : 0;
        if (k == 0 || i + k > n)
            return false;
        unsigned long cp = k == 1 ? c : c & (0x7f >> k);
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        if (strict &&
            ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
             (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c))
            return false;
        i += k;
    }
    return true;
}

/* The checks every cleaned text passes. */
static void
check_clean(const char *out, bool utf8)
{
    size_t n = strlen(out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c == 0x7f)
            fail("a control byte in cleaned text");
        if (!utf8 && c >= 0x80)
            fail("a byte above ASCII in the C locale");
    }
    if (utf8 && !utf8_ok((const unsigned char *)out, n, true))
        fail("cleaned text is not valid UTF-8, or holds C1 or bidi controls");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    bool utf8 = (data[0] & 1) == 0;
    int w = data[1] % 64 - 1;
    if (!setlocale(LC_ALL, utf8 ? "C.UTF-8" : "C"))
        return 0;
    size_t n = size - 2;
    char *s = malloc(n + 1);
    char *full = malloc(4 * n + 8); /* cleaning never grows the text */
    char *again = malloc(4 * n + 8);
    if (!s || !full || !again)
        goto out;
    memcpy(s, data + 2, n);
    s[n] = '\0';

    int cols = tw_text_clean(full, 4 * n + 8, s, w);
    check_clean(full, utf8);
    if (w >= 0 && cols > w)
        fail("more columns than the width");
    if (tw_text_cols(full) != cols)
        fail("tw_text_cols disagrees with tw_text_clean");
    if (tw_text_clean(again, 4 * n + 8, full, -1) != cols || strcmp(again, full) != 0)
        fail("cleaning is not idempotent");
    for (size_t len = 1; len <= 16 && len <= 4 * n + 8; len++) {
        char *small = malloc(len); /* exact size: ASan sees a write past the end */
        if (!small)
            break;
        tw_text_clean(small, len, s, w);
        if (strlen(small) >= len || strncmp(small, full, strlen(small)) != 0)
            fail("a small buffer's text is not a terminated prefix of the full one");
        free(small);
    }
    tw_text_ellipsize(again, 4 * n + 8, s, w, utf8 ? "\xe2\x80\xa6" : "~");
    check_clean(again, utf8);
    if (tw_text_cols(again) > (w < 0 ? 0 : w))
        fail("ellipsized text wider than the width");

    tw_json j;
    tw_json_init(&j);
    tw_json_string(&j, NULL, s);
    const char *t = tw_json_text(&j);
    size_t tl = tw_json_len(&j);
    if (tl > 0) {
        if (tl < 2 || t[0] != '"' || t[tl - 1] != '"')
            fail("a JSON string that is not quoted");
        for (size_t i = 0; i < tl; i++)
            if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
                fail("a raw control byte in JSON");
        if (!utf8_ok((const unsigned char *)t, tl, true))
            fail("JSON that is not valid UTF-8, or holds raw C1 or bidi controls");
    }
    tw_json_fini(&j);
out:
    free(s);
    free(full);
    free(again);
    return 0;
}
