/* relay.c - `trainwatch relay`: publishers in, monitors out, through zmq_proxy (relay.h). */
#define _GNU_SOURCE
#include "relay.h"

#include "curve.h"
#include "endpoint.h"
#include "keepalive.h"
#include "wire.h"
#include "zmq_load.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_IN           64
#define DATA_HWM         100000 /* messages queued per peer (publishers batch ~20 ms) */
#define SUBSCRIPTION_MAX 4096   /* bytes: a subscription message; all OUT ever reads */
#define LINGER_IN_MS     60000  /* what an ended IN connection had queued waits this long */
#define CONTROL          "inproc://trainwatch-relay-control"

/* One endpoint as given and as checked. */
typedef struct relay_endpoint {
    const char *spec;                /* as given on the command line */
    char addr[TW_ENDPOINT_PATH_MAX]; /* without the '>' or '@' */
    bool connect;
    char bound[TW_ENDPOINT_PATH_MAX]; /* after a bind: the real endpoint (port * resolved) */
} relay_endpoint;

/* The relay's CURVE keys (curve.h): its own pair (a secret key given with --key, else a
 * fresh pair when it connects with --server-key), and the public key of what it connects to. */
typedef struct relay_keys {
    bool have_secret, have_server;
    tw_curve_key secret, public, server;
} relay_keys;

typedef struct relay {
    void *zctx, *in, *out, *ctl_proxy, *ctl_main;
    relay_keys keys;
    pthread_t main_thread;
    atomic_bool done; /* the proxy returned */
    int proxy_errno;  /* its errno when it failed, else 0 */
} relay;

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: trainwatch relay [OPTIONS] IN... OUT\n"
            "\n"
            "Forward the training runs of this node to monitors elsewhere: the publishers\n"
            "(ranks) feed IN, monitors subscribe at OUT. Messages pass unchanged (ZeroMQ's\n"
            "proxy, XSUB to XPUB); a monitor that connects late gets every run's history, as\n"
            "when it connects to the publishers themselves.\n"
            "\n"
            "IN and OUT are endpoints as TRAINWATCH_ENDPOINT takes them: tcp://HOST:PORT or\n"
            "ipc://PATH binds (an '@' prefix binds too), '>' before it connects. Typically IN\n"
            "binds and the ranks connect into it (TRAINWATCH_ENDPOINT='>tcp://127.0.0.1:5600'),\n"
            "or IN connects to ranks that bind ('>tcp://HOST:PORT', repeatable); OUT binds and\n"
            "monitors connect to it (trainwatch tcp://NODE:5601). A bind to port * takes a free\n"
            "port; the startup line says which. tcp://:PORT is loopback.\n"
            "\n"
            "Options:\n"
            "  -k, --key FILE   this relay's secret key (from 'trainwatch keygen'; a file or the\n"
            "                   40 Z85 characters): OUT, when it binds tcp, and IN bound beyond\n"
            "                   loopback use CURVE encryption as a server; monitors connect\n"
            "                   with the .pub (a loopback IN stays clear for this node's ranks)\n"
            "  -s, --server-key FILE\n"
            "                   the public key of the tcp endpoints it connects to ('>'): CURVE\n"
            "                   as a client (its own key pair: --key's, else a fresh one)\n"
            "      --insecure   allow binding a TCP address other than loopback; the traffic is\n"
            "                   not encrypted: anyone who reaches it can read the metrics\n"
            "  -q, --quiet      no startup line and no statistics when stopping\n"
            "  -h, --help       this text\n"
            "\n"
            "Runs until SIGINT or SIGTERM. Exit status: 0 stopped by a signal, 1 a runtime\n"
            "error, 2 bad options or endpoints (or one cannot be bound).\n");
}

/* Checks one endpoint argument; prints why not and returns false when it is unusable. */
static bool
check_endpoint(relay_endpoint *e, const char *spec, const char *role, bool insecure,
               const relay_keys *k)
{
    char err[512];
    e->spec = spec;
    if (tw_endpoint_parse(spec, e->addr, sizeof e->addr, &e->connect, err, sizeof err) != 0) {
        fprintf(stderr, "trainwatch relay: %s: %s\n", role, err);
        return false;
    }
    if (strncmp(e->addr, "inproc://", 9) == 0) {
        fprintf(stderr,
                "trainwatch relay: %s: '%s': inproc:// only works inside one process; use "
                "tcp:// or ipc://\n",
                role, spec);
        return false;
    }
    if (!e->connect && tw_curve_endpoint_exposed(e->addr) && !k->have_secret) {
        if (!insecure) {
            fprintf(stderr,
                    "trainwatch relay: %s: '%s' is not a loopback address: other hosts could "
                    "connect and the traffic is not encrypted; give --key NAME.key (from "
                    "'trainwatch keygen NAME') to encrypt it, bind tcp://127.0.0.1:PORT, or "
                    "give --insecure to bind it in clear\n",
                    role, spec);
            return false;
        }
        fprintf(stderr,
                "trainwatch relay: warning: %s binds %s without encryption: anyone who can "
                "reach it can read the metrics%s\n",
                role, e->addr, strcmp(role, "IN") == 0 ? " and publish into it" : "");
    }
    return true;
}

/* Creates one of the relay's sockets with every option it needs: IN (XSUB) receives data
 * messages, OUT (XPUB) receives only subscriptions. The one place for socket security
 * options. Returns NULL with errno set. */
static void *
relay_socket(void *zctx, int type)
{
    void *s = zmq_socket(zctx, type);
    if (!s)
        return NULL;
    /* IN lingers while the relay runs, as the monitor's socket does (source.c): a rank that
     * exits hands over what its connection had queued; OUT drops what a gone monitor had. */
    int one = 1, hwm = DATA_HWM, linger = type == ZMQ_XSUB ? LINGER_IN_MS : 0;
    int64_t maxmsg = type == ZMQ_XSUB ? (int64_t)TW_WIRE_MAX_MESSAGE : SUBSCRIPTION_MAX;
    int rc = 0;
    rc |= zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    rc |= zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    rc |= zmq_setsockopt(s, type == ZMQ_XSUB ? ZMQ_RCVHWM : ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* no ZeroMQ heartbeats: keepalive.h says why; OUT sends data, IN receives it */
    rc |= type == ZMQ_XPUB ? tw_keepalive_set_sending(s) : tw_keepalive_set(s);
    /* OUT: every subscribe and unsubscribe goes upstream (relay.h) */
    if (type == ZMQ_XPUB)
        rc |= zmq_setsockopt(s, ZMQ_XPUB_VERBOSER, &one, sizeof one);
    if (rc != 0) {
        int e = errno;
        zmq_close(s);
        errno = e;
        return NULL;
    }
    return s;
}

/* The security mechanism for the next bind or connect of sock (ZeroMQ takes it per
 * connection, from the options at that moment): with --key, CURVE server for OUT's tcp binds
 * and IN's beyond loopback (the ranks of this node connect to a loopback IN in clear); CURVE
 * client for a tcp connect with --server-key; else none. Returns 0 or -1 (errno). */
static int
secure(void *sock, const relay_endpoint *e, bool out, const relay_keys *k)
{
    int zero = 0, one = 1;
    bool tcp = strncmp(e->addr, "tcp://", 6) == 0;
    if (tcp && !e->connect && k->have_secret && (out || tw_curve_endpoint_exposed(e->addr)))
        return zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
               zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->secret.z85, TW_CURVE_KEY_LEN);
    if (tcp && e->connect && k->have_server)
        return zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &zero, sizeof zero) ||
               zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, k->server.z85, TW_CURVE_KEY_LEN) ||
               zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, k->public.z85, TW_CURVE_KEY_LEN) ||
               zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->secret.z85, TW_CURVE_KEY_LEN);
    return zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &zero, sizeof zero); /* the NULL mechanism */
}

/* Binds or connects one endpoint; prints why not and returns false on failure. */
static bool
attach(void *sock, relay_endpoint *e, const char *role, const relay_keys *k)
{
    int v6 = tw_endpoint_ipv6(e->addr);
    zmq_setsockopt(sock, ZMQ_IPV6, &v6, sizeof v6); /* before the bind or connect */
    if (secure(sock, e, strcmp(role, "OUT") == 0, k) != 0) {
        fprintf(stderr, "trainwatch relay: %s: cannot set up CURVE for %s: %s\n", role, e->addr,
                zmq_strerror(errno));
        return false;
    }
    if (e->connect) {
        if (zmq_connect(sock, e->addr) == 0)
            return true;
        fprintf(stderr, "trainwatch relay: %s: cannot connect to %s: %s\n", role, e->addr,
                zmq_strerror(errno));
        return false;
    }
    if (zmq_bind(sock, e->addr) != 0) {
        int err = errno;
        fprintf(stderr, "trainwatch relay: %s: cannot bind %s: %s%s\n", role, e->addr,
                zmq_strerror(err),
                err == EADDRINUSE ? " (another relay or monitor may be listening there)" : "");
        return false;
    }
    size_t len = sizeof e->bound;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, e->bound, &len) != 0)
        snprintf(e->bound, sizeof e->bound, "%s", e->addr);
    return true;
}

/* Appends "bound X" or "connected to X" to a startup line. */
static void
describe(char *line, size_t len, const relay_endpoint *e, bool first)
{
    size_t used = strlen(line);
    if (used < len)
        snprintf(line + used, len - used, "%s%s %s", first ? "" : ", ",
                 e->connect ? "connected to" : "bound", e->connect ? e->addr : e->bound);
}

static void *
proxy_thread(void *arg)
{
    relay *r = arg;
    if (zmq_proxy_steerable(r->in, r->out, NULL, r->ctl_proxy) != 0)
        r->proxy_errno = errno ? errno : EIO;
    atomic_store(&r->done, true);
    pthread_kill(r->main_thread, SIGUSR1); /* wakes the sigwait below */
    return NULL;
}

/* Asks the running proxy for its counters and prints them. */
static void
print_statistics(void *ctl)
{
    uint64_t v[8] = {0};
    if (zmq_send(ctl, "STATISTICS", 10, 0) != 10)
        return;
    for (int i = 0; i < 8; i++) {
        int more = 0;
        size_t len = sizeof more;
        if (zmq_recv(ctl, &v[i], sizeof v[i], 0) < 0)
            return;
        zmq_getsockopt(ctl, ZMQ_RCVMORE, &more, &len);
        if (!more && i < 7)
            return;
    }
    /* frontend (IN): received, bytes, sent, bytes; backend (OUT): the same */
    fprintf(stderr,
            "trainwatch relay: stopped; %llu messages (%llu bytes) forwarded from IN to OUT, "
            "%llu subscription messages from OUT to IN\n",
            (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[4]);
}

/* Opens both sockets and the control pair, binds and connects everything. */
static bool
relay_open(relay *r, relay_endpoint *in, int n_in, relay_endpoint *out)
{
    if (!(r->zctx = zmq_ctx_new()) || !(r->in = relay_socket(r->zctx, ZMQ_XSUB)) ||
        !(r->out = relay_socket(r->zctx, ZMQ_XPUB)) ||
        !(r->ctl_proxy = zmq_socket(r->zctx, ZMQ_PAIR)) ||
        !(r->ctl_main = zmq_socket(r->zctx, ZMQ_PAIR)) || zmq_bind(r->ctl_proxy, CONTROL) != 0 ||
        zmq_connect(r->ctl_main, CONTROL) != 0) {
        fprintf(stderr, "trainwatch relay: cannot create sockets: %s\n", zmq_strerror(errno));
        return false;
    }
    int zero = 0, second = 1000;
    zmq_setsockopt(r->ctl_main, ZMQ_LINGER, &zero, sizeof zero);
    /* the statistics at stop: never wait on a proxy that has just ended */
    zmq_setsockopt(r->ctl_main, ZMQ_RCVTIMEO, &second, sizeof second);
    zmq_setsockopt(r->ctl_main, ZMQ_SNDTIMEO, &second, sizeof second);
    zmq_setsockopt(r->ctl_proxy, ZMQ_LINGER, &zero, sizeof zero);
    if (!attach(r->out, out, "OUT", &r->keys))
        return false;
    for (int i = 0; i < n_in; i++)
        if (!attach(r->in, &in[i], "IN", &r->keys))
            return false;
    return true;
}

static void
relay_close(relay *r)
{
    void **socks[] = {&r->in, &r->out, &r->ctl_proxy, &r->ctl_main};
    int zero = 0; /* nothing to wait for at exit */
    for (size_t i = 0; i < sizeof socks / sizeof *socks; i++)
        if (*socks[i]) {
            zmq_setsockopt(*socks[i], ZMQ_LINGER, &zero, sizeof zero);
            zmq_close(*socks[i]);
            *socks[i] = NULL;
        }
    if (r->zctx)
        zmq_ctx_term(r->zctx);
    r->zctx = NULL;
}

/* Loads --key and --server-key; prints why not and returns false when one does not load. */
static bool
load_keys(relay_keys *k, const char *key, const char *server_key)
{
    char err[512] = "";
    if (key) {
        if (tw_curve_key_load(key, true, &k->secret, "--key", err, sizeof err) != 0 ||
            tw_curve_public_of(&k->secret, &k->public) != 0) {
            fprintf(stderr, "trainwatch relay: %s\n", err[0] ? err : "--key: not a secret key");
            return false;
        }
        k->have_secret = true;
    }
    if (server_key) {
        if (tw_curve_key_load(server_key, false, &k->server, "--server-key", err, sizeof err) !=
            0) {
            fprintf(stderr, "trainwatch relay: %s\n", err);
            return false;
        }
        if (!k->have_secret && tw_curve_keypair(&k->public, &k->secret) != 0) {
            fprintf(stderr, "trainwatch relay: cannot make a CURVE key pair: this libzmq has "
                            "no CURVE\n");
            return false;
        }
        k->have_server = true;
    }
    return true;
}

/* The relay's command line, parsed. */
typedef struct relay_args {
    bool insecure, quiet;
    const char *key, *server_key;
    char **eps; /* IN... OUT, as given */
    int n;      /* how many (at least 2) */
} relay_args;

enum { OPT_INSECURE = 1000 };
static const struct option longopts[] = {
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"key", required_argument, NULL, 'k'},
    {"server-key", required_argument, NULL, 's'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

const struct option *
tw_relay_long_options(void)
{
    return longopts;
}

/* Parses the relay's options into a. Returns -1 to go on, else the exit status (--help: 0,
 * bad options: 2, with the message printed). */
static int
parse_args(relay_args *a, int argc, char **argv)
{
    *a = (relay_args){0};
    argv[0] = (char *)"trainwatch relay"; /* for getopt's messages */
    int c;
    while ((c = getopt_long(argc, argv, "k:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->key = optarg;
            break;
        case 's':
            a->server_key = optarg;
            break;
        case OPT_INSECURE:
            a->insecure = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "Try 'trainwatch relay --help' for more information.\n");
            return 2;
        }
    }
    a->n = argc - optind;
    a->eps = argv + optind;
    if (a->n < 2) {
        fprintf(stderr,
                "trainwatch relay: expected IN... OUT (at least two endpoints), got %d\n"
                "Try 'trainwatch relay --help' for more information.\n",
                a->n);
        return 2;
    }
    if (a->n - 1 > MAX_IN) {
        fprintf(stderr, "trainwatch relay: at most %d IN endpoints\n", MAX_IN);
        return 2;
    }
    return -1;
}

/* Checks every endpoint of a into eps (the last one is OUT) and refuses one given twice
 * (but for any-port binds). False with the message printed. */
static bool
check_endpoints(relay_endpoint *eps, const relay_args *a, const relay_keys *keys)
{
    for (int i = 0; i < a->n; i++) {
        const char *role = i == a->n - 1 ? "OUT" : "IN";
        if (!check_endpoint(&eps[i], a->eps[i], role, a->insecure, keys))
            return false;
        size_t len = strlen(eps[i].addr);
        bool any_port = len > 2 && (strcmp(eps[i].addr + len - 2, ":*") == 0 ||
                                    strcmp(eps[i].addr + len - 2, ":0") == 0);
        for (int k = 0; k < i && !any_port; k++)
            if (strcmp(eps[k].addr, eps[i].addr) == 0) {
                fprintf(stderr, "trainwatch relay: %s is given twice\n", eps[i].addr);
                return false;
            }
    }
    return true;
}

/* Prints the endpoints as bound or connected ("trainwatch relay: IN ...; OUT ..."). */
static void
announce(const relay_endpoint *eps, int n)
{
    char line[8192] = "";
    for (int i = 0; i < n - 1; i++)
        describe(line, sizeof line, &eps[i], i == 0);
    printf("trainwatch relay: IN %s; OUT ", line);
    line[0] = '\0';
    describe(line, sizeof line, &eps[n - 1], true);
    printf("%s\n", line);
    fflush(stdout);
}

/* Runs the proxy in a thread and waits in this one for a signal of set (SIGINT, SIGTERM,
 * SIGHUP: statistics unless quiet, then the proxy is stopped) or for the proxy's end (it sends
 * SIGUSR1). Returns the exit status: 0, or 1 when the proxy could not start or failed. */
static int
run_proxy(relay *r, const sigset_t *set, bool quiet)
{
    pthread_t tid;
    if ((errno = pthread_create(&tid, NULL, proxy_thread, r)) != 0) {
        fprintf(stderr, "trainwatch relay: cannot start: %s\n", strerror(errno));
        return 1;
    }
    int sig = 0;
    while (!atomic_load(&r->done)) {
        if (sigwait(set, &sig) != 0)
            break;
        if (sig != SIGUSR1)
            break;
    }
    if (!atomic_load(&r->done)) {
        if (!quiet)
            print_statistics(r->ctl_main);
        zmq_send(r->ctl_main, "TERMINATE", 9, 0);
    }
    pthread_join(tid, NULL);
    if (r->proxy_errno) {
        fprintf(stderr, "trainwatch relay: the proxy stopped: %s\n", zmq_strerror(r->proxy_errno));
        return 1;
    }
    return 0;
}

int
tw_relay_main(int argc, char **argv)
{
    relay_args a;
    int status = parse_args(&a, argc, argv);
    if (status >= 0)
        return status;
    relay_endpoint *eps = calloc((size_t)a.n, sizeof(*eps));
    if (!eps) {
        fprintf(stderr, "trainwatch relay: out of memory\n");
        return 1;
    }
    status = 2;
    char why[512]; /* (before the keys: CURVE is libzmq's too) */
    if (tw_zmq_load(why, sizeof why) != 0) {
        fprintf(stderr, "trainwatch relay: %s\n", why);
        free(eps);
        return status;
    }
    relay r = {.main_thread = pthread_self()};
    atomic_init(&r.done, false);
    if (!load_keys(&r.keys, a.key, a.server_key) || !check_endpoints(eps, &a, &r.keys))
        goto out;

    /* Signals are taken by sigwait in this thread only: block them before any thread
     * (ZeroMQ's I/O threads, the proxy) exists, so that every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!relay_open(&r, eps, a.n - 1, &eps[a.n - 1]))
        goto out;
    if (!a.quiet)
        announce(eps, a.n);
    status = run_proxy(&r, &set, a.quiet);
out:
    relay_close(&r);
    free(eps);
    return status;
}
