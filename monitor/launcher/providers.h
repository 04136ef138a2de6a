/* providers.h - which packages provide the libraries trainwatch loads, for the one line that
 * says how to install a missing one: the launcher's (launcher.c, for the monitor's DT_NEEDED)
 * and the monitor's own (zmq_load.c, for libzmq, which it loads when first needed). libc
 * alone: the launcher links nothing else. */
#ifndef TW_PROVIDERS_H
#define TW_PROVIDERS_H

#include <stdio.h>
#include <string.h>

/* The packages that provide a library, by the start of its file name (homebrew NULL: none). */
typedef struct tw_provider {
    const char *prefix, *what, *debian, *fedora, *homebrew;
} tw_provider;

static const tw_provider tw_providers[] = {
    {"libzmq.", "ZeroMQ", "libzmq5", "zeromq", "zeromq"},
    {"libmsgpack", "msgpack-c", "libmsgpackc2", "msgpack", "msgpack"},
    {"libzstd.", "zstd", "libzstd1", "libzstd", "zstd"},
    {"libncursesw.", "ncurses", "libncursesw6", "ncurses-libs", "ncurses"},
    {"libtinfo.", "ncurses", "libtinfo6", "ncurses-libs", "ncurses"},
    {"libsodium.", "libsodium", "libsodium23", "libsodium", "libsodium"},
    {"libpgm", "OpenPGM", "libpgm-5.3-0", "openpgm", NULL},
    {"libnorm.", "NORM", "libnorm1", "norm", NULL},
    {"libgssapi_krb5.", "Kerberos", "libgssapi-krb5-2", "krb5-libs", "krb5"},
    {"libbsd.", "libbsd", "libbsd0", "libbsd", "libbsd"},
};

/* The provider of the library whose name starts `name`; NULL: not known. */
static inline const tw_provider *
tw_provider_of(const char *name)
{
    for (size_t i = 0; i < sizeof tw_providers / sizeof *tw_providers; i++)
        if (strncmp(name, tw_providers[i].prefix, strlen(tw_providers[i].prefix)) == 0)
            return &tw_providers[i];
    return NULL;
}

/* "apt install P (Debian, Ubuntu), dnf install P (Fedora)[, brew install P (Homebrew)]" for
 * provider p into out. */
static inline void
tw_provider_install(char *out, size_t size, const tw_provider *p)
{
    snprintf(out, size, "apt install %s (Debian, Ubuntu), dnf install %s (Fedora)%s%s%s", p->debian,
             p->fedora, p->homebrew ? ", brew install " : "", p->homebrew ? p->homebrew : "",
             p->homebrew ? " (Homebrew)" : "");
}

#endif
