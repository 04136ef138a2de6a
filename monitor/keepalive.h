/* keepalive.h - how the monitor's and the relay's sockets notice a dead TCP path: with TCP
 * keepalive (and, where they send data, a retransmission timeout), not ZeroMQ heartbeats.
 *
 * A ZeroMQ PING (and the PONG that answers one) is data. Sent to a peer whose process has
 * closed its socket while its kernel still holds what it was sending (a trainer that exits
 * while the monitor is behind), data is answered with a reset, which discards the rest: the
 * run's last records. A keepalive probe carries no data, so it is never answered so, and it
 * is sent only after TW_KEEPALIVE_IDLE_S with nothing received (a live publisher sends a
 * HEARTBEAT record every second).
 *
 * On a connection that only receives (the monitor's, the relay's IN), a silent path is
 * declared dead after TW_KEEPALIVE_IDLE_S + TW_KEEPALIVE_CNT * TW_KEEPALIVE_INTVL_S = 3 s; a
 * closed one at once. The kernel sends no keepalive probe while data of its own is
 * unacknowledged, so a connection that sends (the relay's OUT) also sets
 * TW_SEND_TIMEOUT_MS: data unacknowledged that long ends it (ZMQ_TCP_MAXRT, Linux's
 * TCP_USER_TIMEOUT). So does a window closed that long: a monitor stopped, or reading
 * nothing, for 5 s is dropped, as the ZeroMQ heartbeats' timeout dropped it after 3 s; it
 * reconnects once it reads again, and the publisher's replay brings the history.
 *
 * Limits. Anything sent towards a closed peer still holding data resets it: the relay passes
 * each monitor's subscription to every IN connection, so a monitor that subscribes while a rank
 * that has exited still holds data loses that rank's last records. A monitor also subscribes
 * again to ask for records it missed (refill.h); it does so only once it has read its backlog
 * and no rank's records that still arrive are old (tw_app_refill), which is when no exited
 * publisher should still be handing anything over to it. And the kernel keeps such
 * an exited peer's data only so long (its zero-window probes back off to a limit, ~200 s): a
 * monitor or relay stopped longer than that loses it too. ipc connections have no path to
 * lose. */
#ifndef TW_KEEPALIVE_H
#define TW_KEEPALIVE_H

#include <zmq.h>

#define TW_KEEPALIVE_IDLE_S  1
#define TW_KEEPALIVE_INTVL_S 1
#define TW_KEEPALIVE_CNT     2
#define TW_SEND_TIMEOUT_MS   5000

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

/* tw_keepalive_set, and the retransmission timeout of a socket that sends data. */
static inline int
tw_keepalive_set_sending(void *sock)
{
    int maxrt = TW_SEND_TIMEOUT_MS;
    return tw_keepalive_set(sock) || zmq_setsockopt(sock, ZMQ_TCP_MAXRT, &maxrt, sizeof maxrt) ? -1
                                                                                               : 0;
}

#endif
