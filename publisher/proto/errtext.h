/* errtext.h - the sentence a refused value leaves in the caller's err buffer. */
#ifndef TW_ERRTEXT_H
#define TW_ERRTEXT_H

#include <stddef.h>

/* Writes the printf-style sentence into err (errlen bytes, truncated; nothing when err is
 * NULL or errlen 0) and returns -EINVAL, for `return tw_errtext(err, errlen, "...", ...);`. */
__attribute__((format(printf, 3, 4))) int tw_errtext(char *err, size_t errlen, const char *fmt,
                                                     ...);

#endif
