/* userconf.c - the user's configuration file: finding, reading and parsing it (userconf.h). */
#define _GNU_SOURCE
#include "userconf.h"
#include "errtext.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
tw_userconf_parse_mode(const char *s)
{
    if (!s || *s < '0' || *s > '7' || strlen(s) > 4)
        return -1;
    int mode = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '7')
            return -1;
        mode = mode * 8 + (*s - '0');
    }
    if ((mode & ~0666) != 0 || (mode & 0600) != 0600)
        return -1;
    return mode;
}

static bool
blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Trims blanks from both ends of s[0..*n) in place; returns the new start. */
static const char *
trim(const char *s, size_t *n)
{
    while (*n && blank(*s)) {
        s++;
        (*n)--;
    }
    while (*n && blank(s[*n - 1]))
        (*n)--;
    return s;
}

/* Applies one KEY=VALUE line (already without its newline). Returns NULL, or why it is bad. */
static const char *
apply_line(tw_userconf *c, const char *line, size_t n, const char *home)
{
    if (memchr(line, '\0', n))
        return "a NUL byte";
    line = trim(line, &n);
    if (n == 0 || line[0] == '#')
        return NULL;
    const char *eq = memchr(line, '=', n);
    if (!eq)
        return "expected KEY=VALUE";
    size_t kn = (size_t)(eq - line), vn = n - kn - 1;
    const char *key = trim(line, &kn), *val = trim(eq + 1, &vn);
    if (vn >= 2 && (val[0] == '"' || val[0] == '\'') && val[vn - 1] == val[0]) {
        val++;
        vn -= 2;
    }
    for (size_t i = 0; i < vn; i++)
        if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
            return "a control character in the value";
    char value[TW_ENDPOINT_PATH_MAX];
    int w;
    if (vn >= 2 && val[0] == '~' && val[1] == '/') {
        if (!home || !*home)
            return "~/ in the value, and HOME is not set";
        w = snprintf(value, sizeof value, "%s%.*s", home, (int)(vn - 1), val + 1);
    } else {
        w = snprintf(value, sizeof value, "%.*s", (int)vn, val);
    }
    if (w < 0 || (size_t)w >= sizeof value)
        return "the value is too long";
    if (kn == 18 && memcmp(key, "TRAINWATCH_LOG_DIR", kn) == 0) {
        if (!*value)
            return "TRAINWATCH_LOG_DIR is empty (\"off\" turns the run log off)";
        memcpy(c->log_dir, value, (size_t)w + 1);
        return NULL;
    }
    if (kn == 19 && memcmp(key, "TRAINWATCH_LOG_MODE", kn) == 0) {
        int mode = tw_userconf_parse_mode(value);
        if (mode < 0)
            return "TRAINWATCH_LOG_MODE must be an octal file mode from 0600 to 0666 "
                   "(read and write for you, nothing executable)";
        c->log_mode = mode;
        return NULL;
    }
    return "unknown key (known: TRAINWATCH_LOG_DIR, TRAINWATCH_LOG_MODE)";
}

int
tw_userconf_parse(tw_userconf *c, const char *text, size_t len, const char *home, char *err,
                  size_t errlen)
{
    c->log_dir[0] = '\0';
    c->log_mode = -1;
    if (err && errlen)
        err[0] = '\0';
    int rc = 0;
    size_t lineno = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        lineno++;
        const char *why =
            n > TW_USERCONF_MAX_LINE ? "the line is too long" : apply_line(c, text + at, n, home);
        if (why && rc == 0)
            rc = tw_errtext(err, errlen, "line %zu: %s; the line is ignored", lineno, why);
        at += n + (nl != NULL);
    }
    return rc;
}

/* The file's path into out: XDG_CONFIG_HOME/trainwatch/config, else HOME/.config/...; false
 * when neither variable is set (or the path does not fit). */
static bool
config_path(char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(out, outlen, "%s/trainwatch/config", xdg);
    else if (home && *home)
        n = snprintf(out, outlen, "%s/.config/trainwatch/config", home);
    else
        return false;
    return n > 0 && (size_t)n < outlen;
}

int
tw_userconf_load(tw_userconf *c, char *err, size_t errlen)
{
    c->log_dir[0] = '\0';
    c->log_mode = -1;
    c->path[0] = '\0';
    if (err && errlen)
        err[0] = '\0';
    char path[TW_ENDPOINT_PATH_MAX];
    if (!config_path(path, sizeof path))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s; it is ignored", path, strerror(e));
        return -e;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = tw_errtext(err, errlen, "%s is not a regular file; it is ignored", path);
    } else if (st.st_size > TW_USERCONF_MAX_FILE) {
        rc = tw_errtext(err, errlen, "%s is larger than %d bytes; it is ignored", path,
                        TW_USERCONF_MAX_FILE);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        rc = -ENOMEM;
        snprintf(err, errlen, "cannot read %s: out of memory", path);
    } else {
        ssize_t got = read(fd, buf, (size_t)st.st_size);
        if (got < 0) {
            rc = -errno;
            snprintf(err, errlen, "cannot read %s: %s; it is ignored", path, strerror(-rc));
        } else {
            char why[512];
            rc = tw_userconf_parse(c, buf, (size_t)got, getenv("HOME"), why, sizeof why);
            if (rc != 0)
                snprintf(err, errlen, "%s: %s", path, why);
        }
    }
    free(buf);
    close(fd);
    return rc;
}
