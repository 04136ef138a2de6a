/* sigmask.h - the signals a thread of ours blocks: every one the process may be sent, so that
 * they reach the application's threads (a loop in sigsuspend or sigwait sees them; libzmq's
 * threads do the same), but not those the kernel sends to the thread that faults (SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS): blocked, a fault kills the process without its
 * handler, and Python's faulthandler or a crash reporter would not see it. */
#ifndef TW_SIGMASK_H
#define TW_SIGMASK_H

#include <signal.h>

/* Fills *set with the signals a thread of ours blocks. */
static inline void
tw_sigmask_thread(sigset_t *set)
{
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    sigfillset(set);
    for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++)
        sigdelset(set, faults[i]);
}

#endif
