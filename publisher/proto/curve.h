/* curve.h - CURVE keys for trainwatch's TCP transport: parsing, loading, generating, and the
 * rule for which endpoints need them.
 *
 * Design note. A key is 32 bytes written as 40 Z85 characters (ZeroMQ's text form). A key
 * argument (an option, a --key flag, an environment variable) is either a file holding one
 * key (NAME.key holds a secret key, NAME.pub a public key, as `trainwatch keygen` writes
 * them: the key on one line, '#' comment lines allowed) or the 40 characters themselves. A
 * secret key file must not be readable by group or others (mode 0600, as ssh demands of its
 * keys). The binding side of a connection is the CURVE server (it holds a secret key), the
 * connecting side the client (it holds the server's public key, and its own key pair: a
 * given one, or a fresh one per process). Limits: a key file is read up to 4 KiB. */
#ifndef TW_CURVE_H
#define TW_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#define TW_CURVE_KEY_LEN  40   /* Z85 characters of a key */
#define TW_CURVE_FILE_MAX 4096 /* bytes of a key file read at most */

/* A key in Z85, NUL-terminated. */
typedef struct tw_curve_key {
    char z85[TW_CURVE_KEY_LEN + 1];
} tw_curve_key;

/* Checks that s is a Z85 key: exactly 40 characters of the Z85 alphabet that decode to 32
 * bytes. Returns 0, or -EINVAL with a sentence in err naming `what` and the problem. */
int tw_curve_key_parse(const char *s, tw_curve_key *out, const char *what, char *err,
                       size_t errlen);

/* Loads a key from `spec`: an existing file (see above; a secret one must have mode 0600 or
 * stricter), else the Z85 text itself. `what` names the setting in messages. Returns 0, or a
 * negative errno (-EINVAL bad key, -EACCES file too open or unreadable, -ENOENT neither a
 * file nor a key) with a sentence in err. */
int tw_curve_key_load(const char *spec, bool secret, tw_curve_key *out, const char *what, char *err,
                      size_t errlen);

/* The public key of a secret key. Returns 0 or -EINVAL. */
int tw_curve_public_of(const tw_curve_key *secret, tw_curve_key *pub);

/* A new key pair (from the system's random source). Returns 0 or -ENOTSUP (ZeroMQ built
 * without CURVE). */
int tw_curve_keypair(tw_curve_key *pub, tw_curve_key *secret);

/* Whether binding this endpoint (as tw_endpoint_parse gives it) exposes it beyond
 * this host: tcp on anything but a loopback address (127.0.0.0/8, ::1, localhost). ipc and
 * inproc never do. */
bool tw_curve_endpoint_exposed(const char *endpoint);

#endif
