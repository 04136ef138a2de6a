/* terminal.h - whether the terminal can carry the UI, and if not, the real reason why. */
#ifndef TW_TERMINAL_H
#define TW_TERMINAL_H

#include <stddef.h>

/* Checks, before the UI takes the terminal, that it can: standard input and output are
 * terminals, TERM is set and names a terminfo entry, and that entry can move the cursor
 * (TERM=dumb, a hardcopy or an Emacs shell buffer cannot). Returns 0, or -ENOTTY (not a
 * terminal) or -EINVAL (the terminal type) with a sentence in err naming the reason; TERM's
 * value is quoted with its control characters replaced by '?'. Does not change the terminal. */
int tw_terminal_check(char *err, size_t errlen);

#endif
