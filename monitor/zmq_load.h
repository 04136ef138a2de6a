/* zmq_load.h - ZeroMQ, loaded by the monitor when it first needs it.
 *
 * The monitor reads run logs without the network, and most of what it is started for does
 * (--once, --jsonl, a log in the UI, --help): libzmq and the fifteen libraries it pulls in
 * (Kerberos, OpenPGM, NORM, libsodium, libstdc++, ...) cost ~3 ms of CPU to map and relocate
 * at every start, and its context two threads. So the trainwatch executable is not linked
 * against libzmq: zmq_load.c defines the zmq_* functions it calls, each a call through a
 * pointer that dlopen() and dlsym() fill the first time one is called (systemd loads its
 * optional libraries so). The unit tests link libzmq itself, with zmq_linked.c's
 * tw_zmq_load. */
#ifndef TW_ZMQ_LOAD_H
#define TW_ZMQ_LOAD_H

#include <stddef.h>

/* The library the monitor loads: libzmq 4.x's soname (checked against zmq.h's version). */
#define TW_LIBZMQ_SONAME "libzmq.so.5"

/* Loads ZeroMQ, once (thread-safe; later calls return the first's answer). Returns 0, or -1
 * with the loader's sentence in why (why may be NULL). The zmq_* functions may be called
 * without it: each loads it, and fails with errno ELIBACC when it cannot. */
int tw_zmq_load(char *why, size_t whysize);

#endif
