/* text.h - the one sanitiser of text bound for a terminal: names from the wire, file names,
 * messages. The terminal UI draws with it and every headless text output (--once, --check,
 * error messages) prints through it.
 *
 * Design note. Run ids, metric names, hosts, parameters and file names are bytes a peer
 * chose. Before they reach a terminal, each character is judged in the current locale
 * (LC_CTYPE): printable ones pass as they are; anything a terminal could act on, or that
 * could make one line look like another, becomes one '?':
 *   - C0 controls (ESC, BEL, backspace, newline, ...), DEL and C1 controls (U+0080-U+009F,
 *     and a raw 0x80-0x9F byte, which is not a character in UTF-8 or in the C locale);
 *   - bytes that are not a character of the locale (invalid or cut UTF-8): one '?' a byte;
 *   - bidirectional controls and other invisible format characters: U+061C, U+200B-U+200F,
 *     U+2028-U+202E, U+2060-U+206F, U+FEFF, U+FFF9-U+FFFB;
 *   - characters wcwidth says are not printable.
 * Widths are display columns (wcwidth: 2 for CJK and most emoji, 0 for combining marks), and
 * a cut never splits a character. Nothing here allocates or prints. */
#ifndef TW_TEXT_H
#define TW_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

/* Whether code point c must not reach a terminal (or a JSON or SVG reader) as it is: C0 and
 * C1 controls, DEL, the bidirectional controls and invisible format characters above. The one
 * list: the terminal, json.c's escapes and svg.c's text all use it. */
bool tw_text_refused_cp(unsigned long c);

/* Decodes the UTF-8 sequence at s, whatever the locale: returns its length (1 for ASCII, 2..4)
 * with its code point in *cp, or 0 when it is not a valid sequence (a stray continuation or
 * bad lead byte, a cut one, overlong, a surrogate, beyond U+10FFFF). Reads past s[0] only
 * while the bytes are continuation bytes, so never past a NUL. */
size_t tw_text_utf8(const unsigned char *s, unsigned long *cp);

/* Reads one character of s (len > 0 bytes left) in the current locale. Returns the bytes it
 * takes (at least 1); sets *wc to it, or to L'?' when it must not reach a terminal as it is
 * (the rules above), and *cols to its columns (1 for the '?'). *st is the conversion state
 * (zeroed at the start of a string). */
size_t tw_text_next(const char *s, size_t len, mbstate_t *st, wchar_t *wc, int *cols);

/* Copies s (NULL: "") into out (size bytes, always terminated): each character as
 * tw_text_next judges it (a refused one as '?'), at most max_cols columns (negative: no
 * limit) and only whole characters that fit both out and max_cols. Returns the columns
 * written. */
int tw_text_clean(char *out, size_t size, const char *s, int max_cols);

/* Display columns of s once cleaned (NULL: 0). */
int tw_text_cols(const char *s);

/* s cleaned and, when it is wider than w columns, shortened to at most w columns by cutting
 * out its middle and putting `mark` there (one column: "…" or "~"; names differ at either
 * end: "resnet1…lr0.01"). Never splits a character. w below 3: the start of s only. */
void tw_text_ellipsize(char *out, size_t size, const char *s, int w, const char *mark);

#endif
