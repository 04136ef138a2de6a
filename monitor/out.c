/* out.c - the program's text output: messages and lines sanitised, table cells by display
 * columns, standard output's write errors (out.h). */
#include "out.h"

#include "text.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_MAX 2048 /* bytes of one message on stderr (longer ones are cut) */

void
tw_out_error(const char *fmt, ...)
{
    char raw[MESSAGE_MAX], clean[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(raw, sizeof raw, fmt, ap) < 0)
        raw[0] = '\0';
    va_end(ap);
    tw_text_clean(clean, sizeof clean, raw, -1);
    fprintf(stderr, "trainwatch: %s\n", clean);
}

void
tw_out_line(FILE *out, const char *text)
{
    size_t n = strlen(text) + 1; /* cleaning never makes text longer */
    char small[1024], *buf = n <= sizeof small ? small : malloc(n);
    if (!buf) {
        fputs("?\n", out); /* out of memory: never the raw text */
        return;
    }
    tw_text_clean(buf, n, text, -1);
    fprintf(out, "%s\n", buf);
    if (buf != small)
        free(buf);
}

void
tw_out_cell(FILE *out, const char *s, int w)
{
    char buf[1024];
    int cols = tw_text_clean(buf, sizeof buf, s, w);
    fprintf(out, "%s%*s", buf, w > cols ? w - cols : 0, "");
}

int
tw_out_error_of(FILE *out)
{
    errno = 0;
    if (fflush(out) == EOF)
        return errno ? errno : EIO;
    return ferror(out) ? EIO : 0;
}

int
tw_out_finish(int status, int failed, int known)
{
    int e = tw_out_error_of(stdout);
    if (e == 0)
        return status;
    if (known)
        e = known;
    if (e == EPIPE)
        return 128 + SIGPIPE;
    fprintf(stderr, "trainwatch: cannot write standard output: %s\n", strerror(e));
    return status > failed ? status : failed;
}
