/* no_zmq.c - LD_PRELOAD'ed into the monitor by zmq_load.sh: a machine without libzmq, for
 * the monitor's own load of it (monitor/zmq_load.c). Its dlopen() of any libzmq fails, and
 * dlerror() then says what the dynamic loader says of a missing library; every other dlopen
 * is the real one. (A failure injected: the test machines have libzmq, and hiding the
 * system's copy would need root.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

static _Thread_local bool refused; /* this thread's last dlopen was of libzmq */

void *
dlopen(const char *file, int mode)
{
    if (file && strstr(file, "libzmq")) {
        refused = true;
        return NULL;
    }
    refused = false;
    void *(*real)(const char *, int) = NULL, *sym = dlsym(RTLD_NEXT, "dlopen");
    memcpy(&real, &sym, sizeof sym);
    return real ? real(file, mode) : NULL;
}

char *
dlerror(void)
{
    static char missing[] = "libzmq.so.5: cannot open shared object file: No such file or "
                            "directory";
    if (refused) {
        refused = false;
        return missing;
    }
    char *(*real)(void) = NULL;
    void *sym = dlsym(RTLD_NEXT, "dlerror");
    memcpy(&real, &sym, sizeof sym);
    return real ? real() : NULL;
}
