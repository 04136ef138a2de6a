/* curve.c - CURVE keys: Z85 validation, key files, key pairs, exposed endpoints. */
#define _GNU_SOURCE
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static const char z85_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   ".-:+=^!/*?&<>()[]{}@%$#";

int
tw_curve_key_parse(const char *s, tw_curve_key *out, const char *what, char *err, size_t errlen)
{
    size_t n = strlen(s);
    if (n != TW_CURVE_KEY_LEN) {
        snprintf(err, errlen, "%s: a key is %d Z85 characters, this one has %zu", what,
                 TW_CURVE_KEY_LEN, n);
        return -EINVAL;
    }
    uint64_t chunk = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(z85_alphabet, s[i]) : NULL;
        if (!p) {
            snprintf(err, errlen, "%s: character %zu of the key is not a Z85 character", what,
                     i + 1);
            return -EINVAL;
        }
        chunk = chunk * 85 + (uint64_t)(p - z85_alphabet);
        if (i % 5 == 4) {
            if (chunk > UINT32_MAX) { /* 5 characters encode 4 bytes: at most 0xffffffff */
                snprintf(err, errlen, "%s: characters %zu-%zu do not decode (not a Z85 key)", what,
                         i - 3, i + 1);
                return -EINVAL;
            }
            chunk = 0;
        }
    }
    memcpy(out->z85, s, n + 1);
    return 0;
}

/* Reads the key line of a key file: the first line that is neither empty nor a comment. */
static int
read_key_file(int fd, const char *path, bool secret, char *line, size_t linelen, char *err,
              size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        return -EINVAL;
    }
    char buf[TW_CURVE_FILE_MAX + 1];
    ssize_t got = read(fd, buf, TW_CURVE_FILE_MAX);
    if (got < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return -e;
    }
    buf[got] = '\0';
    /* keygen's first line says which half a file holds: a swapped pair is named as such */
    if (secret && strstr(buf, "# trainwatch CURVE public key")) {
        snprintf(err, errlen,
                 "%s holds a public key (NAME.pub): a secret key is the NAME.key beside it", path);
        return -EINVAL;
    }
    if (!secret && strstr(buf, "# trainwatch CURVE secret key")) {
        snprintf(err, errlen,
                 "%s holds a secret key (NAME.key): the other side needs the NAME.pub beside it",
                 path);
        return -EINVAL;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf(err, errlen,
                 "secret key file %s is open to others (mode %04o): run chmod 600 on it", path,
                 (unsigned)(st.st_mode & 0777));
        return -EACCES;
    }
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        l[strcspn(l, "\r")] = '\0';
        l += strspn(l, " \t");
        if (!*l || *l == '#')
            continue;
        size_t n = strcspn(l, " \t");
        l[n] = '\0';
        snprintf(line, linelen, "%s", l);
        return 0;
    }
    snprintf(err, errlen, "%s holds no key", path);
    return -EINVAL;
}

int
tw_curve_key_load(const char *spec, bool secret, tw_curve_key *out, const char *what, char *err,
                  size_t errlen)
{
    if (!spec || !*spec) {
        snprintf(err, errlen, "%s is empty", what);
        return -EINVAL;
    }
    int fd = open(spec, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        size_t n = strlen(spec);
        bool file_name =
            n > 4 && (strcmp(spec + n - 4, ".key") == 0 || strcmp(spec + n - 4, ".pub") == 0);
        if (e == ENOENT && n == TW_CURVE_KEY_LEN && !file_name)
            return tw_curve_key_parse(spec, out, what, err, errlen);
        if (e == ENOENT && file_name) {
            snprintf(err, errlen, "%s: no key file %s", what, spec);
            return -e;
        }
        if (e == ENOENT)
            snprintf(err, errlen, "%s: '%s' is neither a key file nor a key (%d Z85 characters)",
                     what, spec, TW_CURVE_KEY_LEN);
        else
            snprintf(err, errlen, "%s: cannot read %s: %s", what, spec, strerror(e));
        return -e;
    }
    char line[TW_CURVE_FILE_MAX + 1], why[512];
    int rc = read_key_file(fd, spec, secret, line, sizeof line, why, sizeof why);
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", what, why);
        return rc;
    }
    snprintf(why, sizeof why, "%s (file %s)", what, spec);
    return tw_curve_key_parse(line, out, why, err, errlen);
}

int
tw_curve_public_of(const tw_curve_key *secret, tw_curve_key *pub)
{
    return zmq_curve_public(pub->z85, secret->z85) == 0 ? 0 : -EINVAL;
}

int
tw_curve_keypair(tw_curve_key *pub, tw_curve_key *secret)
{
    return zmq_curve_keypair(pub->z85, secret->z85) == 0 ? 0 : -ENOTSUP;
}

bool
tw_curve_endpoint_exposed(const char *endpoint)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6, *colon = strrchr(host, ':');
    size_t len = colon ? (size_t)(colon - host) : strlen(host);
    char h[256];
    if (len >= sizeof h)
        return true;
    memcpy(h, host, len);
    h[len] = '\0';
    /* "tcp://SOURCE;HOST:PORT" names the host after the ';' */
    const char *semi = strchr(h, ';');
    const char *name = semi ? semi + 1 : h;
    if (strcmp(name, "localhost") == 0 || strcmp(name, "[::1]") == 0 || strcmp(name, "::1") == 0 ||
        strcmp(name, "lo") == 0)
        return false;
    unsigned a, b, c, d;
    char tail;
    if (sscanf(name, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
        c < 256 && d < 256)
        return false;
    return true;
}
