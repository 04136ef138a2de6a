/* endpoint.h - endpoint strings, the per-user runtime directory and file-name-safe names:
 * what the publisher and the monitor both parse and name the same way. */
#ifndef TW_ENDPOINT_H
#define TW_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#define TW_ENDPOINT_PATH_MAX 4096 /* endpoints and directory paths, with the NUL */
#define TW_ENDPOINT_NAME_MAX 128  /* run ids, program and host names, with the NUL */

/* Checks an endpoint string as the options accept it ("tcp://HOST:PORT", "ipc://PATH",
 * "inproc://NAME", each optionally prefixed with '>' to connect or '@' to bind). On success
 * fills out (without the prefix; "tcp://:PORT", and "tcp://localhost:PORT" when binding,
 * become "tcp://127.0.0.1:PORT": ZeroMQ binds addresses, not names) and *connect.
 * Limits: a port is 0-65535 in digits only (or '*' when binding); an ipc path fits
 * sockaddr_un (107 bytes). Returns 0 or -EINVAL with a sentence in err. */
int tw_endpoint_parse(const char *spec, char *out, size_t outlen, bool *connect, char *err,
                      size_t errlen);

/* Whether a tcp endpoint (as tw_endpoint_parse gives it) names an IPv6 address in brackets,
 * "tcp://[::1]:PORT" (also after a "SOURCE;"): the socket needs ZMQ_IPV6 set before it binds
 * or connects there. */
bool tw_endpoint_ipv6(const char *endpoint);

/* The longest socket name a publisher puts in the runtime directory ("PID-INCARNATION.sock"),
 * which the directory's path must leave room for in an ipc path (107 bytes). */
#define TW_ENDPOINT_SOCKET_NAME_MAX 40

/* Creates (mode 0700) or checks the per-user runtime directory: $XDG_RUNTIME_DIR/trainwatch,
 * else /tmp/trainwatch-UID. A directory is usable when it is owned by this user, not open to
 * others, and short enough for an ipc socket path inside it. When XDG_RUNTIME_DIR is set but
 * unusable (stale after su or sudo, missing in a container, too long), /tmp/trainwatch-UID is
 * used instead and err holds a sentence saying why (err is "" otherwise). Returns 0 with the
 * path in out, or a negative errno with a sentence in err naming each directory tried and why
 * it was refused (a /tmp/trainwatch-UID that another user created, say). */
int tw_endpoint_runtime_dir(char *out, size_t outlen, char *err, size_t errlen);

/* Creates a private directory (mode 0700, a fresh random name: /tmp/trainwatch-UID-XXXXXX, or
 * under $TMPDIR) for a publisher that cannot use the runtime directory. Returns 0 with the
 * path in out, or a negative errno. */
int tw_endpoint_private_dir(char *out, size_t outlen);

/* Replaces every byte of s that is not [A-Za-z0-9._-] with '_', and a leading '.' too (for
 * file names: never hidden, never "." or ".."). */
void tw_endpoint_sanitize(char *s);

/* Parses a whole decimal integer in [lo, hi], written in digits only: no sign, no white
 * space (strtol alone would take "tcp://:+80" or RANK=" 1"). Returns whether it did; *out is
 * set only then. */
bool tw_endpoint_parse_int(const char *s, long lo, long hi, long *out);

#endif
