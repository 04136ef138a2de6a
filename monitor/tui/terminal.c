/* terminal.c - whether the terminal can carry the UI (term.h kept out of the view's files:
 * its macros, such as lines and columns, would clash with ordinary names). */
#include "terminal.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>

#define TERM_SHOWN_MAX 64 /* bytes of TERM quoted in a message */

int
tw_terminal_check(char *err, size_t errlen)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "standard %s is not a terminal",
                 isatty(STDIN_FILENO) ? "output" : "input");
        return -ENOTTY;
    }
    const char *term = getenv("TERM");
    if (!term || !*term) {
        snprintf(err, errlen, "TERM is not set, so the terminal's type is unknown");
        return -EINVAL;
    }
    char shown[TERM_SHOWN_MAX + 1];
    size_t n = 0;
    for (; term[n] && n < TERM_SHOWN_MAX; n++)
        shown[n] = (unsigned char)term[n] < 0x20 || (unsigned char)term[n] >= 0x7f ? '?' : term[n];
    shown[n] = '\0';
    int status = 0;
    if (setupterm(term, STDOUT_FILENO, &status) != OK) {
        if (status == 1)
            snprintf(err, errlen, "TERM='%s' is a hardcopy terminal", shown);
        else if (status == 0)
            snprintf(err, errlen, "TERM='%s' is an unknown terminal type (no terminfo entry)",
                     shown);
        else
            snprintf(err, errlen, "no terminfo database was found for TERM='%s'", shown);
        return -EINVAL;
    }
    const char *cup = tigetstr("cup");
    bool moves = cup && cup != (const char *)-1;
    del_curterm(cur_term);
    if (!moves) {
        snprintf(err, errlen, "TERM='%s' is a terminal that cannot move the cursor", shown);
        return -EINVAL;
    }
    return 0;
}
