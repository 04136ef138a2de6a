/* cnum.c - strtod and printf in the "C" numeric locale on the calling thread (uselocale), so
 * the library reads and writes numbers the same way whatever locale its host program set. */
#include "cnum.h"

#include <errno.h>
#include <stdlib.h>

void
tw_cnum_begin(tw_cnum_scope *s)
{
    s->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    s->prev = s->c != (locale_t)0 ? uselocale(s->c) : (locale_t)0;
}

void
tw_cnum_end(tw_cnum_scope *s)
{
    if (s->c == (locale_t)0)
        return;
    uselocale(s->prev);
    freelocale(s->c);
    s->c = (locale_t)0;
}

double
tw_cnum_strtod(const char *s, char **end)
{
    tw_cnum_scope scope;
    tw_cnum_begin(&scope);
    if (scope.c == (locale_t)0) {
        if (end)
            *end = (char *)s;
        return 0.0;
    }
    double v = strtod(s, end);
    int err = errno; /* strtod's ERANGE survives the switch back */
    tw_cnum_end(&scope);
    errno = err;
    return v;
}
