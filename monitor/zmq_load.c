/* zmq_load.c - the zmq_* functions of the trainwatch executable, each a call into libzmq
 * loaded with dlopen() the first time one is called (zmq_load.h says why). The list is what
 * the monitor calls: a zmq_* function called and not defined here fails the link. */
#define _GNU_SOURCE
#include "zmq_load.h"

#include "launcher/providers.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#if ZMQ_VERSION_MAJOR != 4
#error "TW_LIBZMQ_SONAME is libzmq 4.x's"
#endif

#define TW_ZMQ_FUNCTIONS(X)                                                                        \
    X(zmq_bind)                                                                                    \
    X(zmq_close)                                                                                   \
    X(zmq_connect)                                                                                 \
    X(zmq_ctx_new)                                                                                 \
    X(zmq_ctx_term)                                                                                \
    X(zmq_curve_keypair)                                                                           \
    X(zmq_curve_public)                                                                            \
    X(zmq_getsockopt)                                                                              \
    X(zmq_msg_close)                                                                               \
    X(zmq_msg_data)                                                                                \
    X(zmq_msg_get)                                                                                 \
    X(zmq_msg_init)                                                                                \
    X(zmq_msg_recv)                                                                                \
    X(zmq_msg_size)                                                                                \
    X(zmq_poll)                                                                                    \
    X(zmq_proxy_steerable)                                                                         \
    X(zmq_recv)                                                                                    \
    X(zmq_send)                                                                                    \
    X(zmq_setsockopt)                                                                              \
    X(zmq_socket)                                                                                  \
    X(zmq_socket_monitor)                                                                          \
    X(zmq_strerror)

/* p_zmq_x: libzmq's zmq_x, of zmq.h's type */
#define POINTER(f) static __typeof__(&f) p_##f;
TW_ZMQ_FUNCTIONS(POINTER)
#undef POINTER

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[512];

/* Why libzmq did not load, from dlerror()'s text e: the missing library (libzmq, or one of
 * its own) and the packages that provide it, in the launcher's words (providers.h). */
static void
say_missing(const char *e)
{
    char what[sizeof load_error - 8];
    if (tw_provider_missing(what, sizeof what, TW_LIBZMQ_SONAME, e))
        snprintf(load_error, sizeof load_error, "needs %s", what);
    else
        snprintf(load_error, sizeof load_error, "cannot load %s: %s", TW_LIBZMQ_SONAME, e);
}

static void
load(void)
{
    void *h = dlopen(TW_LIBZMQ_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        say_missing(e ? e : TW_LIBZMQ_SONAME ": cannot open shared object file");
        return;
    }
#define RESOLVE(f)                                                                                 \
    {                                                                                              \
        void *sym = dlsym(h, #f);                                                                  \
        if (!sym) {                                                                                \
            snprintf(load_error, sizeof load_error, "%s has no %s", TW_LIBZMQ_SONAME, #f);         \
            return;                                                                                \
        }                                                                                          \
        memcpy(&p_##f, &sym, sizeof sym); /* (POSIX: a function's address as a void *) */          \
    }
    TW_ZMQ_FUNCTIONS(RESOLVE)
#undef RESOLVE
    loaded = true;
}

int
tw_zmq_load(char *why, size_t whysize)
{
    pthread_once(&once, load);
    if (!loaded && why && whysize)
        snprintf(why, whysize, "%s", load_error);
    return loaded ? 0 : -1;
}

/* Whether libzmq is loaded (loading it now); errno ELIBACC when it cannot be. */
static inline bool
ready(void)
{
    if (tw_zmq_load(NULL, 0) == 0)
        return true;
    errno = ELIBACC;
    return false;
}

void *
zmq_ctx_new(void)
{
    return ready() ? p_zmq_ctx_new() : NULL;
}

int
zmq_ctx_term(void *context)
{
    return ready() ? p_zmq_ctx_term(context) : -1;
}

void *
zmq_socket(void *context, int type)
{
    return ready() ? p_zmq_socket(context, type) : NULL;
}

int
zmq_close(void *s)
{
    return ready() ? p_zmq_close(s) : -1;
}

int
zmq_bind(void *s, const char *addr)
{
    return ready() ? p_zmq_bind(s, addr) : -1;
}

int
zmq_connect(void *s, const char *addr)
{
    return ready() ? p_zmq_connect(s, addr) : -1;
}

int
zmq_setsockopt(void *s, int option, const void *optval, size_t optvallen)
{
    return ready() ? p_zmq_setsockopt(s, option, optval, optvallen) : -1;
}

int
zmq_getsockopt(void *s, int option, void *optval, size_t *optvallen)
{
    return ready() ? p_zmq_getsockopt(s, option, optval, optvallen) : -1;
}

int
zmq_socket_monitor(void *s, const char *addr, int events)
{
    return ready() ? p_zmq_socket_monitor(s, addr, events) : -1;
}

int
zmq_send(void *s, const void *buf, size_t len, int flags)
{
    return ready() ? p_zmq_send(s, buf, len, flags) : -1;
}

int
zmq_recv(void *s, void *buf, size_t len, int flags)
{
    return ready() ? p_zmq_recv(s, buf, len, flags) : -1;
}

int
zmq_msg_init(zmq_msg_t *msg)
{
    return ready() ? p_zmq_msg_init(msg) : -1;
}

int
zmq_msg_recv(zmq_msg_t *msg, void *s, int flags)
{
    return ready() ? p_zmq_msg_recv(msg, s, flags) : -1;
}

int
zmq_msg_close(zmq_msg_t *msg)
{
    return ready() ? p_zmq_msg_close(msg) : -1;
}

void *
zmq_msg_data(zmq_msg_t *msg)
{
    return ready() ? p_zmq_msg_data(msg) : NULL;
}

size_t
zmq_msg_size(const zmq_msg_t *msg)
{
    return ready() ? p_zmq_msg_size(msg) : 0;
}

int
zmq_msg_get(const zmq_msg_t *msg, int property)
{
    return ready() ? p_zmq_msg_get(msg, property) : -1;
}

int
zmq_poll(zmq_pollitem_t *items, int nitems, long timeout)
{
    return ready() ? p_zmq_poll(items, nitems, timeout) : -1;
}

int
zmq_proxy_steerable(void *frontend, void *backend, void *capture, void *control)
{
    return ready() ? p_zmq_proxy_steerable(frontend, backend, capture, control) : -1;
}

int
zmq_curve_keypair(char *z85_public_key, char *z85_secret_key)
{
    return ready() ? p_zmq_curve_keypair(z85_public_key, z85_secret_key) : -1;
}

int
zmq_curve_public(char *z85_public_key, const char *z85_secret_key)
{
    return ready() ? p_zmq_curve_public(z85_public_key, z85_secret_key) : -1;
}

const char *
zmq_strerror(int errnum)
{
    return ready() ? p_zmq_strerror(errnum) : strerror(errnum);
}
