/* errtext.c - the sentence a refused value leaves in the caller's err buffer (errtext.h). */
#include "errtext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int
tw_errtext(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}
