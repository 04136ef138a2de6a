/* keepalive.h - how the monitor's and the relay's sockets notice a dead TCP path: with TCP
 * keepalive, not ZeroMQ heartbeats.
 *
 * A ZeroMQ PING (and the PONG that answers one) is data. Sent to a peer whose process has
 * closed its socket while its kernel still holds what it was sending (a trainer that exits
 * while the monitor is behind), data is answered with a reset, which discards the rest: the
 * run's last records. A keepalive probe carries no data, so it is never answered so, and it
 * is sent only after TW_KEEPALIVE_IDLE_S with nothing received (a live publisher sends a
 * HEARTBEAT record every second). A silent path is declared dead after TW_KEEPALIVE_IDLE_S +
 * TW_KEEPALIVE_CNT * TW_KEEPALIVE_INTVL_S = 3 s; a closed one at once. ipc connections have no
 * path to lose. */
#ifndef TW_KEEPALIVE_H
#define TW_KEEPALIVE_H

#include <zmq.h>

#define TW_KEEPALIVE_IDLE_S  1
#define TW_KEEPALIVE_INTVL_S 1
#define TW_KEEPALIVE_CNT     2

/* Sets the keepalive options on a socket, for its later binds and connects. Returns 0, or -1
 * (errno). */
static inline int
tw_keepalive_set(void *sock)
{
    int on = 1, idle = TW_KEEPALIVE_IDLE_S, intvl = TW_KEEPALIVE_INTVL_S, cnt = TW_KEEPALIVE_CNT;
    return zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE, &on, sizeof on) ||
                   zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE_IDLE, &idle, sizeof idle) ||
                   zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE_INTVL, &intvl, sizeof intvl) ||
                   zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE_CNT, &cnt, sizeof cnt)
               ? -1
               : 0;
}

#endif
