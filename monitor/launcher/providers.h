/* providers.h - which packages provide the libraries trainwatch loads, for the one line that
 * says how to install a missing one: the launcher's (launcher.c, for the monitor's DT_NEEDED)
 * and the monitor's own (zmq_load.c, for libzmq, which it loads when first needed). libc
 * alone: the launcher links nothing else. */
#ifndef TW_PROVIDERS_H
#define TW_PROVIDERS_H

#include <stdbool.h>
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

/* What is missing when library `needed` did not load, from dlerror()'s text e, into out, when
 * e says a file was not found (the library itself or one of its own): "WHAT (LIB[, for
 * NEEDED]), which is not installed: apt install ...", or without a known provider "LIB[, for
 * NEEDED], which is not installed: install the package that provides it"; the object of
 * "trainwatch needs". False, out untouched, for any other failure. */
static inline bool
tw_provider_missing(char *out, size_t size, const char *needed, const char *e)
{
    const char *end = strstr(e, ": cannot open shared object file");
    if (!end)
        return false;
    int len = (int)(end - e);
    char via[300] = "";
    if (strncmp(e, needed, (size_t)len) != 0 || needed[len] != '\0')
        snprintf(via, sizeof via, ", for %s", needed);
    const tw_provider *p = tw_provider_of(e);
    char install[256];
    if (p)
        tw_provider_install(install, sizeof install, p);
    else
        snprintf(install, sizeof install, "install the package that provides it");
    snprintf(out, size, "%s%s%.*s%s%s, which is not installed: %s", p ? p->what : "", p ? " (" : "",
             len, e, via, p ? ")" : "", install);
    return true;
}

#endif
