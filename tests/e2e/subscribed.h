/* subscribed.h - for the e2e test programs that send to a listening monitor: an XPUB socket
 * connected to ENDPOINT that returns once the monitor's subscription has arrived (a PUB
 * drops what it sends before that, and on a loaded machine no fixed pause is long enough).
 * Unlimited send queue: a flood is paced by TCP, not dropped by the sender. */
#ifndef TW_TEST_SUBSCRIBED_H
#define TW_TEST_SUBSCRIBED_H

#include <zmq.h>

#include <stdio.h>

/* The socket, or NULL (said on stderr, prefixed with prog) when the connect fails or no
 * subscription comes within 60 s. */
static inline void *
tw_test_connect_subscribed(void *ctx, const char *endpoint, const char *prog)
{
    void *sock = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof zero);
    if (zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "%s: connect %s: %s\n", prog, endpoint, zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    char sub[64];
    if (zmq_poll(&item, 1, 60000) != 1 || zmq_recv(sock, sub, sizeof sub, 0) < 1 || sub[0] != 1) {
        fprintf(stderr, "%s: no subscription from %s in 60 s\n", prog, endpoint);
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

#endif
