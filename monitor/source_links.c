/* source_links.c - the socket monitor of the sources' SUB socket: peers by address, open
 * connections by descriptor, and the link events told to the link callback. */
#include "source_impl.h"

#include <stdio.h>
#include <string.h>

#define MAX_PEERS 4096 /* addresses the socket monitor named; more are not tracked */
#define MAX_CONNS 4096 /* connections open at once that are tracked */

const char *
tw_link_state_name(tw_link_state state)
{
    static const char *const names[] = {"connecting", "connected", "disconnected",
                                        "authentication failed", "handshake failed"};
    return (unsigned)state < sizeof names / sizeof *names ? names[state] : "unknown";
}

size_t
tw_sources_peer_count(const tw_sources *s)
{
    return s->n_peers;
}

tw_link_state
tw_sources_peer(const tw_sources *s, size_t i, const char **address, const char **detail)
{
    *address = s->peers[i].addr;
    *detail = s->peers[i].detail;
    return s->peers[i].state;
}

/* The peer of an address, created when new; SIZE_MAX when the table is full. */
static size_t
peer_get(tw_sources *s, const char *addr, bool accepted)
{
    for (size_t i = 0; i < s->n_peers; i++)
        if (s->peers[i].accepted == accepted && strcmp(s->peers[i].addr, addr) == 0)
            return i;
    peer *peers =
        tw_sources_table_grow(s->peers, &s->cap_peers, s->n_peers, sizeof(*s->peers), MAX_PEERS);
    if (!peers)
        return SIZE_MAX;
    s->peers = peers;
    peer *p = &s->peers[s->n_peers];
    memset(p, 0, sizeof(*p));
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    p->accepted = accepted;
    return s->n_peers++;
}

/* The peer an event names (a handshake event does not say which side: connecting first). */
static size_t
peer_find(const tw_sources *s, const char *addr)
{
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < s->n_peers; i++)
        if (strcmp(s->peers[i].addr, addr) == 0 && (found == SIZE_MAX || !s->peers[i].accepted))
            found = i;
    return found;
}

/* Whether the connections of a peer use CURVE. */
static bool
peer_curve(const tw_sources *s, const peer *p)
{
    return strncmp(p->addr, "tcp://", 6) == 0 && (p->accepted ? s->have_secret : s->have_server);
}

/* Moves a peer to a new state and tells the callback (link: the connection lost, or 0). */
static void
peer_set(tw_sources *s, size_t i, tw_link_state st, uint64_t link, const char *detail)
{
    peer *p = &s->peers[i];
    tw_link_state was = p->state;
    if (st == was && !link)
        return;
    p->state = st;
    snprintf(p->detail, sizeof p->detail, "%s", detail);
    if (s->cb.link) {
        tw_source_link l = {.address = p->addr,
                            .accepted = p->accepted,
                            .link = link,
                            .state = st,
                            .previous = was,
                            .detail = p->detail};
        s->cb.link(s->cb.ctx, &l);
    }
}

/* A handshake failed: what it means, from our side's security and ZeroMQ's reason. */
static void
handshake_failed(tw_sources *s, size_t i, uint16_t ev, uint32_t value)
{
    peer *p = &s->peers[i];
    bool curve = peer_curve(s, p);
    bool mismatch = ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                    value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
    bool crypto =
        ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                                                  value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);
    if (mismatch)
        peer_set(s, i, TW_LINK_AUTH_FAILED, 0,
                 curve ? "authentication failed: the other side does not use CURVE (no key?)"
                       : "authentication failed: the other side uses CURVE: give its public "
                         "key (--server-key NAME.pub)");
    else if (curve && p->accepted)
        peer_set(s, i, TW_LINK_AUTH_FAILED, 0,
                 "authentication failed: a publisher with the wrong server key was refused");
    else if (curve || crypto)
        peer_set(s, i, TW_LINK_AUTH_FAILED, 0, "authentication failed: wrong server key?");
    else
        peer_set(s, i, TW_LINK_FAILED, 0,
                 "handshake failed: the peer closed the connection (not a trainwatch "
                 "publisher, or not there yet)");
}

/* Tells that connection k ended, and forgets it. */
static void
conn_ended(tw_sources *s, size_t k)
{
    conn c = s->conns[k];
    s->conns[k] = s->conns[--s->n_conns];
    peer *p = &s->peers[c.peer];
    if (p->accepted && s->cb.link) {
        /* One publisher's connection to a --listen endpoint ended: the ranks it carried are
         * down; the endpoint itself (state, detail) is as it was. */
        tw_source_link l = {.address = p->addr,
                            .accepted = true,
                            .link = c.id,
                            .state = p->state,
                            .previous = p->state,
                            .detail = "a publisher's connection ended"};
        s->cb.link(s->cb.ctx, &l);
    } else if (!p->accepted && p->state == TW_LINK_UP) {
        peer_set(s, c.peer, TW_LINK_DOWN, c.id,
                 "disconnected: the connection was lost; reconnecting");
    }
}

/* Handles one socket-monitor event. A DISCONNECTED is read before the messages the
 * connection left queued in the SUB socket (a monitor that fell behind, or simply the events
 * read first): the connection is told ended only once those are read (tw_sources_links_settle),
 * so that a run's last records (its RUN_END) come before its connection's end. */
static void
link_event(tw_sources *s, uint16_t ev, uint32_t value, const char *addr, double now)
{
    if (ev == ZMQ_EVENT_CONNECTED || ev == ZMQ_EVENT_ACCEPTED) {
        size_t p = peer_get(s, addr, ev == ZMQ_EVENT_ACCEPTED);
        if (p == SIZE_MAX)
            return;
        size_t k = 0;
        while (k < s->n_conns && s->conns[k].fd != (int)value)
            k++;
        if (k < s->n_conns && s->conns[k].closing) {
            conn_ended(s, k); /* its descriptor is reused: a new connection from now on */
            k = s->n_conns;
        } /* else a descriptor reused before its DISCONNECTED was read: replaced */
        if (k == s->n_conns) {
            conn *conns = tw_sources_table_grow(s->conns, &s->cap_conns, s->n_conns,
                                                sizeof(*s->conns), MAX_CONNS);
            if (!conns)
                return;
            s->conns = conns;
        }
        if (k == s->n_conns)
            s->n_conns++;
        s->conns[k] = (conn){.fd = (int)value, .id = ++s->next_link, .peer = p};
        return;
    }
    if (ev == ZMQ_EVENT_DISCONNECTED) {
        for (size_t k = 0; k < s->n_conns; k++) {
            if (s->conns[k].fd == (int)value && !s->conns[k].closing) {
                s->conns[k].closing = true;
                s->conns[k].closed_at = now;
                return;
            }
        }
        return;
    }
    size_t p = peer_find(s, addr);
    if (p == SIZE_MAX)
        return;
    if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        peer_set(s, p, TW_LINK_UP, 0, "connected");
    else
        handshake_failed(s, p, ev, value);
}

void
tw_sources_links_settle(tw_sources *s, bool drained, double now)
{
    for (size_t k = 0; k < s->n_conns;) {
        const conn *c = &s->conns[k];
        if (c->closing && (drained || now - c->closed_at >= TW_LINK_CLOSE_HOLD))
            conn_ended(s, k); /* the last one moved to k: looked at next */
        else
            k++;
    }
}

/* Reads the socket monitor's pending events: two frames each, the event (16-bit number,
 * 32-bit value) and the address. */
void
tw_sources_read_link_events(tw_sources *s, double now)
{
    for (int n = 0; n < 1024; n++) {
        uint8_t head[6];
        char addr[PEER_ADDR_MAX];
        int more = 0;
        size_t len = sizeof more;
        int got = zmq_recv(s->events, head, sizeof head, ZMQ_DONTWAIT);
        if (got < 0)
            return;
        zmq_getsockopt(s->events, ZMQ_RCVMORE, &more, &len);
        if (!more)
            continue;
        int alen = zmq_recv(s->events, addr, sizeof addr - 1, 0);
        if (alen < 0 || got != (int)sizeof head)
            continue;
        addr[alen < (int)sizeof addr ? alen : (int)sizeof addr - 1] = '\0';
        uint16_t ev;
        uint32_t value;
        memcpy(&ev, head, sizeof ev);
        memcpy(&value, head + 2, sizeof value);
        link_event(s, ev, value, addr, now);
    }
}

/* The connection a message came from, by its descriptor; 0 when not known. */
uint64_t
tw_sources_message_link(const tw_sources *s, zmq_msg_t *m)
{
    int fd = zmq_msg_get(m, ZMQ_SRCFD);
    for (size_t k = 0; fd >= 0 && k < s->n_conns; k++)
        if (s->conns[k].fd == fd)
            return s->conns[k].id;
    return 0;
}
