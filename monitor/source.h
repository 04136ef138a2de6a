/* source.h - where the monitor's records come from: live endpoints, the registry of local
 * runs, and run-log files or directories (followed while they grow).
 *
 * Design note. All live inputs share one ZeroMQ SUB socket: it connects to every endpoint
 * given or discovered in the registry and binds every --listen endpoint; the publisher
 * replays its history to each new subscription, so joining late loses nothing. Messages are
 * drained in bounded batches (the UI stays responsive under load), decoded by the library's
 * hostile-input decoder and handed to a callback record by record; a message that fails to
 * decode is counted and dropped. Run logs are read frame by frame, in bounded batches, closed
 * at their end and re-polled once a second for growth until their run-end record has been
 * read (source_logs.c). The registry
 * is rescanned once a second: new runs are connected, and a run whose process is gone is
 * reported as vanished.
 *
 * Links. A socket monitor (zmq_socket_monitor, read through a PAIR socket) reports every
 * connection made, accepted, lost, and every handshake that succeeded or failed. Each
 * connection gets an id; a message is traced to its connection by its file descriptor
 * (ZMQ_SRCFD), so that a lost connection names the runs it carried. TCP keepalive
 * (keepalive.h) notices a silent dead path within 3 s; a closed one at
 * once; it reconnects every 100 ms, and the publisher replays its history to
 * the new subscription, so nothing is lost across a cut. Records missed without a cut (a full
 * queue at the publisher) are asked for again by subscribing again (tw_sources_ask_replay,
 * refill.h). */
#ifndef TW_SOURCE_H
#define TW_SOURCE_H

#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The state of a connection to (or from) a peer, as the socket monitor reports it. */
typedef enum tw_link_state {
    TW_LINK_CONNECTING = 0,  /* not connected yet, or retrying */
    TW_LINK_UP = 1,          /* connected, handshake done */
    TW_LINK_DOWN = 2,        /* was connected, lost; ZeroMQ reconnects by itself */
    TW_LINK_AUTH_FAILED = 3, /* the CURVE handshake failed: wrong key, or one side has none */
    TW_LINK_FAILED = 4       /* the handshake failed otherwise (not a trainwatch peer?) */
} tw_link_state;

/* "connecting", "connected", "disconnected", "authentication failed", "handshake failed". */
const char *tw_link_state_name(tw_link_state state);

/* A change of a link's state. */
typedef struct tw_source_link {
    const char *address; /* the peer's address as ZeroMQ names it ("tcp://10.0.0.2:5555"; for
                            connections a --listen endpoint accepted, that endpoint) */
    bool accepted;       /* the connection came in to a --listen endpoint */
    uint64_t link;       /* TW_LINK_DOWN, or a --listen connection that ended: the connection
                            lost (as the origin of its records named it); 0 otherwise */
    tw_link_state state, previous;
    const char *detail; /* a sentence saying what happened, for people */
} tw_source_link;

/* Security of the live sources (CURVE on tcp; see doc/protocol.md, "Security"). */
typedef struct tw_source_security {
    const char *secret_key; /* this monitor's secret key (a NAME.key file or 40 Z85
                               characters): makes --listen on tcp a CURVE server, and is the
                               client key when connecting (a fresh pair otherwise); NULL: none */
    const char *server_key; /* the publishers' public key (NAME.pub or Z85): every tcp
                               endpoint is then connected to with CURVE; NULL: none */
    bool insecure;          /* allow --listen in clear beyond loopback */
} tw_source_security;

/* Where a record came from. */
typedef enum tw_source_kind { TW_SOURCE_LIVE = 0, TW_SOURCE_LOG = 1 } tw_source_kind;

/* The origin of a record, as the record callback receives it. */
typedef struct tw_source_origin {
    tw_source_kind kind;
    uint64_t link; /* the connection its message came on: an id unique in this process, new at
                      each reconnect (tw_source_link.link names it when it is lost); 0 for run
                      logs and when not known */
    double now;    /* the monotonic clock (tw_clock_mono), read once when its message was
                      taken up: every record of one message has the same */
    double wall;   /* the wall clock (tw_clock_wall), read with `now` for a live message (its
                      records' delivery delay); 0 for run logs */
} tw_source_origin;

typedef struct tw_source_callbacks {
    /* Every decoded record, with its origin (valid during the call); return non-zero to stop
     * the current batch. */
    int (*record)(void *ctx, const tw_source_origin *o, const tw_wire_header *h,
                  const tw_wire_record *r);
    /* When set, a run log's UPDATE and EPOCH records in the encoder's layout (most of a
     * log's) come n >= 1 at a time, consecutive records of one message, instead of a `record`
     * call each (tw_wire_decode_batch); the order of all records is kept. */
    int (*records)(void *ctx, const tw_source_origin *o, const tw_wire_header *h,
                   const tw_wire_state_rec *r, size_t n);
    /* A message or frame that could not be decoded (err: negative errno; `what` a sentence,
     * or NULL for a frame of a log that already had one told: count it, do not repeat it). */
    void (*rejected)(void *ctx, const char *where, int err, const char *what);
    /* A source that cannot be read (a run log that cannot be opened or is corrupt, a
     * registered run that cannot be connected to): `where` names it, `what` says why. Told
     * once per reason, not at every rescan; not a message, so not counted as one. */
    void (*problem)(void *ctx, const char *where, const char *what);
    /* A registered process is gone (its .run entry names a dead pid). */
    void (*vanished)(void *ctx, const char *run, uint32_t rank, uint64_t incarnation);
    /* A link changed state (may be NULL). */
    void (*link)(void *ctx, const tw_source_link *l);
    void *ctx;
} tw_source_callbacks;

typedef struct tw_sources tw_sources;

/* Counters over all sources. */
typedef struct tw_source_stats {
    uint64_t messages; /* live messages received */
    uint64_t frames;   /* run-log frames read */
    uint64_t records;  /* records delivered */
    uint64_t rejected; /* messages or frames that failed to decode */
    uint64_t endpoints, logs;
    uint64_t ahead;       /* times a log's backlog was read ahead by a thread */
    uint64_t replay_asks; /* times the publishers were asked for their history again */
} tw_source_stats;

/* A new set of sources. Returns NULL with errno set (ENOMEM, or a ZeroMQ failure). */
tw_sources *tw_sources_new(const tw_source_callbacks *cb);

/* Whether a log's backlog (1 MiB or more still to read) is read ahead by a thread of its own
 * while this one decodes (log_ahead.h): the same records in the same order, in about 60 % of
 * the time on two cores. On by default when the process may use two CPUs or more (its
 * affinity and its cgroup's CPU quota: cpus.h). */
void tw_sources_set_read_ahead(tw_sources *s, bool on);
void tw_sources_destroy(tw_sources **s);

/* Sets the keys and rules for the endpoints added or listened on from now on. Returns 0, or a
 * negative errno with a sentence in err (a key that does not load). */
int tw_sources_set_security(tw_sources *s, const tw_source_security *sec, char *err, size_t errlen);

/* Adds a SOURCE argument: an endpoint ("tcp://HOST:PORT", "ipc://PATH"), a run-log file, or
 * a directory of run logs. Returns 0, or a negative errno with a sentence in err. */
int tw_sources_add(tw_sources *s, const char *spec, char *err, size_t errlen);

/* Binds an endpoint so that publishers can connect (">tcp://..." on their side): with a
 * secret key, as a CURVE server. Returns 0, or a negative errno with a sentence in err
 * (-EACCES: tcp beyond loopback with neither a key nor insecure allowed). Returns 0 with a
 * warning in err when it listens in clear beyond loopback (insecure allowed); else err is "". */
int tw_sources_listen(tw_sources *s, const char *endpoint, char *err, size_t errlen);

/* Watches the registry of this user's live runs (runtime directory) and connects to every
 * run in it, now and as new ones start. Returns 0 or a negative errno with a sentence. */
int tw_sources_discover(tw_sources *s, char *err, size_t errlen);

/* The ZeroMQ socket to poll for input (a void * for zmq_poll); NULL until an endpoint is
 * connected or bound (ZeroMQ is loaded then: run logs alone never load it). */
void *tw_sources_socket(const tw_sources *s);

/* Asks every publisher on the live socket for its history again: a repeated subscription,
 * which libzmq's SUB passes on (and relays pass up), and which a publisher answers with a
 * replay (refill.h says when to). Returns false when there is no live source to ask. */
bool tw_sources_ask_replay(tw_sources *s);

/* The socket of link events, to poll beside it (they are read by tw_sources_process); NULL
 * as long as tw_sources_socket is. */
void *tw_sources_event_socket(const tw_sources *s);

/* The peers seen by the socket monitor, and their state. Returns the state of peer i < count
 * and sets *address and *detail (owned by s, valid until the next tw_sources_process). */
size_t tw_sources_peer_count(const tw_sources *s);
tw_link_state tw_sources_peer(const tw_sources *s, size_t i, const char **address,
                              const char **detail);

/* Reads what is available: at most `budget` live messages and `budget` log frames, and, when
 * a second has passed since the last time, rescans the registry and directories and re-polls
 * logs that may have grown. A connection that closed is told (the link callback) after the
 * messages it left queued have been read, so that a run's last records come before the end
 * of its connection: when the live messages are all read, or TW_LINK_CLOSE_HOLD (2) seconds
 * after its close whatever else arrives. Returns the number of records delivered, or a
 * negative errno. */
int tw_sources_process(tw_sources *s, int budget, double now_mono);
#define TW_LINK_CLOSE_HOLD 2.0 /* seconds */

/* Whether every run log has been read to its end (or its run-end record) and there are no
 * live sources: nothing more will come. */
bool tw_sources_exhausted(const tw_sources *s);

/* The monotonic time (the clock of tw_sources_process's now_mono) at which
 * tw_sources_process has a rescan to do (directories, the registry, logs that may grow), or
 * INFINITY when a rescan would find nothing: the loop sleeps until then. */
double tw_sources_next_due(const tw_sources *s);

/* Whether any pending input remains in the logs (more frames to read right away). */
bool tw_sources_log_pending(const tw_sources *s);

/* Whether a run log without its run-end record is still being written: at the last rescan a
 * live process's registry entry named it, or it had grown (size or mtime) within its growth
 * window (3 heartbeats, at least 3 s). Its runs are not over yet. */
bool tw_sources_logs_live(const tw_sources *s);

/* Bytes of the run logs read so far, and their sizes (as last seen), for progress reports. */
void tw_sources_log_progress(const tw_sources *s, uint64_t *done, uint64_t *total);

/* A run-log file named on the command line that gave nothing usable (it could not be read,
 * is not a run log, or none of its frames decoded), or a directory whose logs all gave
 * nothing and one of them for such a reason: its path, or NULL when there is none (an empty
 * directory, or logs that are only empty so far, are not errors). */
const char *tw_sources_unusable(const tw_sources *s);

tw_source_stats tw_sources_stats(const tw_sources *s);

#endif
