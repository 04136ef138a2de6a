/* text.c - the one sanitiser of text bound for a terminal: characters judged, columns
 * counted, cuts between characters (text.h). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "text.h"

#include <string.h>

bool
tw_text_refused_cp(unsigned long c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
           (c >= 0xfff9 && c <= 0xfffb);
}

size_t
tw_text_utf8(const unsigned char *s, unsigned long *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    unsigned long c = s[0] & (0x7fu >> n), min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

size_t
tw_text_next(const char *s, size_t len, mbstate_t *st, wchar_t *wc, int *cols)
{
    unsigned char b = (unsigned char)*s;
    if (b >= 0x20 && b < 0x7f) { /* printable ASCII, without a call */
        *wc = (wchar_t)b;
        *cols = 1;
        return 1;
    }
    size_t k = b < 0x20 || b == 0x7f ? 0 : mbrtowc(wc, s, len, st);
    if (k == 0 || k == (size_t)-1 || k == (size_t)-2) { /* a control, or not a character */
        memset(st, 0, sizeof *st);
        *wc = L'?';
        *cols = 1;
        return 1;
    }
    int w = wcwidth(*wc);
    if (tw_text_refused_cp((unsigned long)*wc) || w < 0) {
        *wc = L'?';
        w = 1;
    }
    *cols = w;
    return k;
}

int
tw_text_clean(char *out, size_t size, const char *s, int max_cols)
{
    size_t n = 0, len = s ? strlen(s) : 0;
    int col = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    if (size == 0)
        return 0;
    while (len > 0) {
        wchar_t wc;
        int w;
        size_t k = tw_text_next(s, len, &st, &wc, &w);
        bool q = wc == L'?';
        size_t bytes = q ? 1 : k;
        if ((max_cols >= 0 && col + w > max_cols) || n + bytes >= size)
            break;
        memcpy(out + n, q ? "?" : s, bytes);
        n += bytes;
        col += w;
        s += k;
        len -= k;
    }
    out[n] = '\0';
    return col;
}

int
tw_text_cols(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    int col = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    while (len > 0) {
        wchar_t wc;
        int w;
        size_t k = tw_text_next(s, len, &st, &wc, &w);
        col += w;
        s += k;
        len -= k;
    }
    return col;
}

/* The byte offset in s where its last `cols` columns (or fewer, never a partial character)
 * begin. */
static size_t
tail_offset(const char *s, int total, int cols)
{
    size_t len = strlen(s), off = 0;
    int col = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    while (len > 0 && total - col > cols) {
        wchar_t wc;
        int w;
        size_t k = tw_text_next(s + off, len, &st, &wc, &w);
        col += w;
        off += k;
        len -= k;
    }
    return off;
}

void
tw_text_ellipsize(char *out, size_t size, const char *s, int w, const char *mark)
{
    int n = tw_text_cols(s);
    if (n <= w || w < 3 || size == 0) {
        tw_text_clean(out, size, s, w < 0 ? 0 : w);
        return;
    }
    int tail = (w - 1) / 2;
    int head = tw_text_clean(out, size, s, w - 1 - tail);
    size_t used = strlen(out), m = strlen(mark);
    if (used + m >= size)
        return;
    memcpy(out + used, mark, m + 1);
    used += m;
    /* the tail may be narrower than asked when a wide character straddles the cut: the
     * head's spare column is given to it */
    tw_text_clean(out + used, size - used, s + tail_offset(s, n, w - 1 - head), w - 1 - head);
}
