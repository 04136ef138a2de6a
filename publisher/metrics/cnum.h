/* cnum.h - numbers in C's syntax whatever the host program's locale: a program that calls
 * setlocale(LC_ALL, "") in a decimal-comma locale must not change how the library reads
 * "0.7" or writes it. */
#ifndef TW_CNUM_H
#define TW_CNUM_H

#include <locale.h>

/* strtod in the "C" locale (a '.' decimal point), on this thread only; the thread's own
 * locale is as it was on return. Same contract as strtod. If the C locale object cannot be
 * had (newlocale fails; glibc never fails for "C"), nothing is read: *end = s, returns 0. */
double tw_cnum_strtod(const char *s, char **end);

/* A stretch of code that formats or parses numbers with the C library in the "C" numeric
 * locale: tw_cnum_begin switches this thread's locale (uselocale, so other threads are
 * untouched), tw_cnum_end switches it back. Pairs on one thread; if begin could not get the
 * C locale, both do nothing. */
typedef struct tw_cnum_scope {
    locale_t c, prev;
} tw_cnum_scope;

void tw_cnum_begin(tw_cnum_scope *s);
void tw_cnum_end(tw_cnum_scope *s);

#endif
