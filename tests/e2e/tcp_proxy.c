/* tcp_proxy.c - a TCP byte relay for the end-to-end tests: the network between a trainer and
 * a monitor, which a test can cut (kill it) and restore (start it again on the same port),
 * and which can record what crosses it (to check that CURVE hides it).
 *
 * Usage: tcp_proxy LISTEN_PORT UPSTREAM_PORT [DUMP_FILE]
 * Listens on 127.0.0.1:LISTEN_PORT; for each connection, connects to 127.0.0.1:UPSTREAM_PORT
 * and copies bytes both ways until either side closes; with DUMP_FILE, appends every byte
 * relayed (both directions) to it. Prints "listening" on stdout once it accepts. Limits: 64
 * connection pairs at once; more are refused (closed). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 64

typedef struct pair {
    int fd[2]; /* client, upstream; -1: free */
} pair;

static int
parse_port(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v > 0 && v < 65536 ? (int)v : -1;
}

static struct sockaddr_in
loopback(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static void
close_pair(pair *p)
{
    for (int k = 0; k < 2; k++)
        if (p->fd[k] >= 0)
            close(p->fd[k]);
    p->fd[0] = p->fd[1] = -1;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: tcp_proxy LISTEN_PORT UPSTREAM_PORT [DUMP_FILE]\n");
        return 2;
    }
    int lport = parse_port(argv[1]), uport = parse_port(argv[2]);
    if (lport < 0 || uport < 0) {
        fprintf(stderr, "tcp_proxy: ports must be 1-65535\n");
        return 2;
    }
    FILE *dump = NULL;
    if (argc == 4 && !(dump = fopen(argv[3], "ab"))) {
        fprintf(stderr, "tcp_proxy: cannot open %s: %s\n", argv[3], strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in la = loopback(lport);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (struct sockaddr *)&la, sizeof la) != 0 || listen(ls, 16) != 0) {
        fprintf(stderr, "tcp_proxy: cannot listen on port %d: %s\n", lport, strerror(errno));
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    pair pairs[MAX_PAIRS];
    for (int i = 0; i < MAX_PAIRS; i++)
        pairs[i].fd[0] = pairs[i].fd[1] = -1;
    for (;;) {
        struct pollfd pfd[1 + 2 * MAX_PAIRS];
        int n = 0;
        pfd[n++] = (struct pollfd){.fd = ls, .events = POLLIN};
        for (int i = 0; i < MAX_PAIRS; i++)
            for (int k = 0; k < 2; k++)
                pfd[n++] = (struct pollfd){.fd = pairs[i].fd[k], .events = POLLIN};
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("tcp_proxy: poll");
            return 1;
        }
        if (pfd[0].revents & POLLIN) {
            int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
            int slot = -1;
            for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
                if (pairs[i].fd[0] < 0)
                    slot = i;
            int u = c >= 0 && slot >= 0 ? socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
            struct sockaddr_in ua = loopback(uport);
            if (u >= 0 && connect(u, (struct sockaddr *)&ua, sizeof ua) == 0) {
                pairs[slot].fd[0] = c;
                pairs[slot].fd[1] = u;
            } else {
                if (u >= 0)
                    close(u);
                if (c >= 0)
                    close(c); /* upstream down: the client sees the connection close */
            }
        }
        for (int i = 0; i < MAX_PAIRS; i++) {
            for (int k = 0; k < 2 && pairs[i].fd[0] >= 0; k++) {
                if (!(pfd[1 + 2 * i + k].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char buf[65536];
                ssize_t got = read(pairs[i].fd[k], buf, sizeof buf);
                if (got <= 0) {
                    close_pair(&pairs[i]);
                    break;
                }
                if (dump) {
                    fwrite(buf, 1, (size_t)got, dump);
                    fflush(dump);
                }
                /* Blocking write: the peers are fast local processes in a test. */
                for (ssize_t off = 0; off < got;) {
                    ssize_t w = write(pairs[i].fd[1 - k], buf + off, (size_t)(got - off));
                    if (w <= 0) {
                        close_pair(&pairs[i]);
                        break;
                    }
                    off += w;
                }
            }
        }
    }
}
