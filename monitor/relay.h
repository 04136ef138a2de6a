/* relay.h - `trainwatch relay IN... OUT`: forwards the publishers of a node to monitors
 * elsewhere, on ZeroMQ's own proxy.
 *
 * Design note. IN is an XSUB socket (publishers connect into it, or it connects to their
 * bound endpoints), OUT an XPUB socket (monitors connect to it); zmq_proxy_steerable moves
 * data messages from IN to OUT and subscriptions from OUT to IN, unchanged: the relay never
 * decodes a message. Late join works through it because OUT is XPUB_VERBOSER: every
 * monitor's subscription reaches the publishers (each one triggers their replay, which every
 * monitor behind the relay receives and dedups by sequence number), and every monitor's
 * departure is passed on too, so XSUB's subscription count stays balanced and publishers stop
 * sending when the last monitor leaves. XSUB sends the subscriptions it holds to each
 * publisher that connects later. A slow monitor loses messages at OUT's high-water mark
 * instead of stalling the others; it sees the loss as sequence gaps. The proxy runs on a
 * thread of its own; the main thread waits for SIGINT/SIGTERM/SIGHUP (blocked, taken with
 * sigtimedwait: no handler races the proxy) and stops it through the control socket. */
#ifndef TW_RELAY_H
#define TW_RELAY_H

/* Runs the relay subcommand; argv[0] is "relay". Returns the exit status: 0 stopped by a
 * signal, 1 a runtime error, 2 bad options or endpoints (a message on stderr). */
int tw_relay_main(int argc, char **argv);

/* The relay's long options, ending with a row of NULL name (a static table), for `trainwatch
 * completion`. */
struct option;
const struct option *tw_relay_long_options(void);

#endif
