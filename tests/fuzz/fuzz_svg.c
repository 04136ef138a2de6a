/* fuzz_svg.c - libFuzzer target: the SVG figure (model/svg.c) with names and numbers from a
 * hostile wire: the title and labels are any bytes, the points any doubles (NaN, infinities,
 * huge, tiny, out of order).
 *
 * Input: a 1-byte flags field (bit 0: log-y, bit 1: dashed, bit 2: a best mark), a 1-byte
 * label length L, L bytes of label (also the title), then the rest as pairs of doubles (x, y).
 *
 * Invariants (abort() when broken): a figure comes back (never NULL for valid arguments); it
 * is valid UTF-8 with no control byte but newlines, opens and closes as many <text> elements,
 * holds one <path> per line, and no coordinate in it is "nan" or "inf". */
#include "svg.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool cond)
{
    if (!cond)
        abort();
}

static int
count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Whether s is valid UTF-8 without control bytes other than '\n'. */
static bool
clean_utf8(const unsigned char *s)
{
    while (*s) {
        size_t n = *s < 0x80             ? 1
                   : (*s & 0xe0) == 0xc0 ? 2
                   : (*s & 0xf0) == 0xe0 ? 3
                   : (*s & 0xf8) == 0xf0 ? 4
                                         : 0;
        if (n == 0 || (n == 1 && ((*s < 0x20 && *s != '\n') || *s == 0x7f)))
            return false;
        for (size_t i = 1; i < n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return false;
        s += n;
    }
    return true;
}

/* Whether every coordinate attribute (d, cx, cy, x, y, x1, y1, x2, y2) holds finite numbers
 * only (text cannot hold a raw '"', so these only match attributes). */
static bool
finite_coordinates(const char *svg)
{
    static const char *const attrs[] = {" d=\"",  " cx=\"", " cy=\"", " x=\"", " y=\"",
                                        " x1=\"", " y1=\"", " x2=\"", " y2=\""};

    for (size_t a = 0; a < sizeof attrs / sizeof attrs[0]; a++)
        for (const char *p = strstr(svg, attrs[a]); p; p = strstr(p + 1, attrs[a])) {
            const char *v = p + strlen(attrs[a]), *end = strchr(v, '"');
            if (!end)
                return false;
            for (const char *q = v; q < end; q++)
                if (*q == 'n' || *q == 'i') /* nan, inf */
                    return false;
        }
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char label[256];
    size_t len, n;
    double *xy;
    tw_svg_line l;
    tw_svg_spec sp = {0};
    char *svg;

    if (size < 2 || (size_t)data[1] + 2 > size)
        return 0;
    len = data[1];
    memcpy(label, data + 2, len);
    label[len] = '\0';
    n = (size - 2 - len) / (2 * sizeof(double));
    xy = malloc((n ? n : 1) * 2 * sizeof(double));
    if (!xy)
        return 0;
    memcpy(xy, data + 2 + len, n * 2 * sizeof(double));
    memset(&l, 0, sizeof l);
    l.x = xy;
    l.y = xy + n;
    l.n = n;
    l.dashed = data[0] & 2;
    l.has_best = data[0] & 4;
    l.best_x = n ? xy[0] : 0;
    l.best_y = n ? xy[n] : 0;
    l.label = label;
    sp.title = label;
    sp.log_y = data[0] & 1;
    svg = tw_svg_render(&sp, &l, 1, NULL);
    check(svg != NULL);
    check(clean_utf8((const unsigned char *)svg));
    check(count(svg, "<text") == count(svg, "</text>"));
    check(count(svg, "<path") == 1);
    check(finite_coordinates(svg));
    free(svg);
    free(xy);
    return 0;
}
