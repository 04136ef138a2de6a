/* endpoint.c - endpoint strings, the runtime directory and file-name-safe names. */
#define _GNU_SOURCE
#include "endpoint.h"
#include "errtext.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

bool
tw_endpoint_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

void
tw_endpoint_sanitize(char *s)
{
    if (*s == '.')
        *s = '_'; /* never a hidden file, nor "." or ".." (a run named "." or ".hidden") */
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            *s = '_';
    }
}

int
tw_endpoint_parse(const char *spec, char *out, size_t outlen, bool *connect, char *err,
                  size_t errlen)
{
    const char *s = spec;
    *connect = false;
    if (*s == '>' || *s == '@') {
        *connect = *s == '>';
        s++;
    }
    if (strncmp(s, "tcp://", 6) == 0) {
        const char *hp = s + 6, *colon = strrchr(hp, ':');
        if (!colon)
            return tw_errtext(err, errlen, "endpoint '%s': expected tcp://HOST:PORT", spec);
        size_t hostlen = (size_t)(colon - hp);
        const char *port = colon + 1;
        long pv = 0;
        bool port_ok = strcmp(port, "*") == 0 || tw_endpoint_parse_int(port, 0, 65535, &pv);
        if (!port_ok)
            return tw_errtext(err, errlen, "endpoint '%s': port must be 0-65535 or *", spec);
        if (*connect && (hostlen == 0 || strcmp(port, "*") == 0 || pv == 0))
            return tw_errtext(err, errlen, "endpoint '%s': connecting needs a host and a port",
                              spec);
        /* ZeroMQ binds addresses and interfaces, not host names: a bind of "localhost" is
         * the IPv4 loopback address (as /etc/hosts has it; one socket binds one address). */
        bool local = !*connect && hostlen == 9 && strncasecmp(hp, "localhost", 9) == 0;
        int n = hostlen == 0 || local ? snprintf(out, outlen, "tcp://127.0.0.1:%s", port)
                                      : snprintf(out, outlen, "%s", s);
        if (n < 0 || (size_t)n >= outlen)
            return tw_errtext(err, errlen, "endpoint '%s' is too long", spec);
        return 0;
    }
    if (strncmp(s, "ipc://", 6) == 0 || strncmp(s, "inproc://", 9) == 0) {
        const char *rest = strchr(s, ':') + 3;
        if (!*rest)
            return tw_errtext(err, errlen, "endpoint '%s': the path or name is empty", spec);
        /* An ipc path must fit in sockaddr_un.sun_path (108 bytes with the NUL). */
        if (s[0] == 'i' && s[1] == 'p' && strlen(rest) >= 108)
            return tw_errtext(err, errlen, "endpoint '%s': ipc paths are limited to 107 bytes",
                              spec);
        if ((size_t)snprintf(out, outlen, "%s", s) >= outlen)
            return tw_errtext(err, errlen, "endpoint '%s' is too long", spec);
        return 0;
    }
    return tw_errtext(err, errlen,
                      "endpoint '%s': expected tcp://HOST:PORT, ipc://PATH or inproc://NAME, "
                      "optionally prefixed with '>' (connect) or '@' (bind)",
                      spec);
}

/* Creates (mode 0700) or checks one candidate runtime directory. Returns 0, or a negative
 * errno with a sentence in err. */
static int
use_dir(const char *dir, char *err, size_t errlen)
{
    if (strlen(dir) + 1 + TW_ENDPOINT_SOCKET_NAME_MAX > 107)
        return tw_errtext(err, errlen, "%s is too long for an ipc socket path inside it", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(e));
        return -e;
    }
    struct stat st;
    if (lstat(dir, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot stat %s: %s", dir, strerror(e));
        return -e;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "%s must be a directory owned by you with mode 0700 (it is not: another "
                 "user may have made it)",
                 dir);
        return -EACCES;
    }
    return 0;
}

bool
tw_endpoint_ipv6(const char *endpoint)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6, *semi = strchr(host, ';');
    return (semi ? semi[1] : host[0]) == '[';
}

int
tw_endpoint_runtime_dir(char *out, size_t outlen, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char why[1024] = "";
    if (err && errlen)
        err[0] = '\0';
    if (xdg && *xdg) {
        int n = snprintf(out, outlen, "%s/trainwatch", xdg);
        if (n < 0 || (size_t)n >= outlen)
            snprintf(why, sizeof why, "XDG_RUNTIME_DIR is too long");
        else if (use_dir(out, why, sizeof why) == 0)
            return 0;
    }
    int n = snprintf(out, outlen, "/tmp/trainwatch-%u", (unsigned)getuid());
    if (n < 0 || (size_t)n >= outlen)
        return tw_errtext(err, errlen, "runtime directory path is too long");
    char why_tmp[1024];
    int rc = use_dir(out, why_tmp, sizeof why_tmp);
    if (rc != 0) {
        snprintf(err, errlen, "%s%s%s", why, *why ? "; " : "", why_tmp);
        return rc;
    }
    if (*why)
        snprintf(err, errlen, "XDG_RUNTIME_DIR=%s: %s; using %s instead", xdg, why, out);
    return 0;
}

int
tw_endpoint_private_dir(char *out, size_t outlen)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || *tmp != '/' || strlen(tmp) > 40)
        tmp = "/tmp";
    int n = snprintf(out, outlen, "%s/trainwatch-%u-XXXXXX", tmp, (unsigned)getuid());
    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    return mkdtemp(out) ? 0 : -errno;
}
