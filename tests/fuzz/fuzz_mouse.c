/* fuzz_mouse.c - libFuzzer target: the terminal's mouse reports (tui/mouse.c), xterm's SGR 1006
 * ("Pb;Px;PyM" after "\e[<") and X10 (three bytes after "\e[M"), as a hostile terminal or a
 * paste could send them.
 *
 * Input: the bytes after an introducer, whole (SGR) and their first three (X10).
 *
 * Invariants (abort() when broken): the parsers read only the bytes given (exact-size heap
 * copies, so ASan sees it); an accepted SGR report has at most TW_MOUSE_SGR_MAX bytes, ends in
 * 'M' or 'm', and gives a button below 256 with the modifier bits apart, cells from 0 to
 * 99998, and the press its final byte says; an accepted X10 report gives cells from 0 to 222;
 * the result repeats. */
#include "mouse.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    tw_mouse_event e, again;

    if (!s)
        return 0;
    memcpy(s, data, size);
    if (tw_mouse_parse_sgr(s, size, &e)) {
        check(size <= TW_MOUSE_SGR_MAX && (s[size - 1] == 'M' || s[size - 1] == 'm'));
        check(e.button >= 0 && e.button < 256 && (e.button & e.mods) == 0);
        check(e.x >= 0 && e.x <= 99998 && e.y >= 0 && e.y <= 99998);
        check(e.press == (s[size - 1] == 'M'));
        check(tw_mouse_parse_sgr(s, size, &again) && again.button == e.button &&
              again.mods == e.mods && again.x == e.x && again.y == e.y && again.press == e.press);
    }
    if (size >= 3) {
        unsigned char *b = malloc(3);
        if (b) {
            memcpy(b, data, 3);
            if (tw_mouse_parse_x10(b, &e))
                check(e.x >= 0 && e.x <= 222 && e.y >= 0 && e.y <= 222);
            free(b);
        }
    }
    free(s);
    return 0;
}
