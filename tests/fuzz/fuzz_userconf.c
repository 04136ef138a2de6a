/* fuzz_userconf.c - libFuzzer target: the user's configuration file parser
 * (publisher/userconf.c, tw_userconf_parse) and the log-mode parser.
 *
 * Input: the file's bytes, whatever they are (NULs, no final newline, huge lines). The first
 * byte also picks the error buffer's size (1 to 256, an exact-size heap buffer so ASan sees a
 * write past it) and whether HOME is known.
 *
 * Invariants (abort() when broken): the result is 0 or -EINVAL; on -EINVAL the error is a
 * sentence starting "line N: " (cut to the buffer; empty in a buffer of 1 byte); the log directory
 * is NUL-terminated, shorter than TW_ENDPOINT_PATH_MAX, without control characters, and not empty
 * when set; the mode is -1 or one that tw_userconf_parse_mode accepts (0600 to 0666, owner rw,
 * nothing executable); parsing again gives the same result. */
#include "userconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_userconf: invariant broken: %s\n", what);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t errlen = size ? 1 + data[0] : 64;
    const char *home = size && (data[0] & 1) ? "/home/fuzz" : NULL;
    char *err = malloc(errlen);
    tw_userconf *c = malloc(sizeof *c), *again = malloc(sizeof *again);
    if (!err || !c || !again)
        abort();
    int rc = tw_userconf_parse(c, (const char *)data, size, home, err, errlen);
    if (rc != 0 && rc != -EINVAL)
        fail("result");
    if (rc == -EINVAL && errlen > 1 && (!err[0] || (errlen > 6 && strncmp(err, "line ", 5) != 0)))
        fail("error sentence");
    size_t n = strnlen(c->log_dir, sizeof c->log_dir);
    if (n == sizeof c->log_dir)
        fail("log_dir not terminated");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)c->log_dir[i] < 0x20 || c->log_dir[i] == 0x7f)
            fail("control character in log_dir");
    if (c->log_mode != -1) {
        char text[16];
        snprintf(text, sizeof text, "%o", (unsigned)c->log_mode);
        if (tw_userconf_parse_mode(text) != c->log_mode || (c->log_mode & 0111))
            fail("mode");
    }
    if (tw_userconf_parse(again, (const char *)data, size, home, err, errlen) != rc ||
        strcmp(again->log_dir, c->log_dir) != 0 || again->log_mode != c->log_mode)
        fail("not repeatable");
    free(err);
    free(c);
    free(again);
    return 0;
}
