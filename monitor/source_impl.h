/* source_impl.h - the private layout of tw_sources, shared by source.c (sockets, run logs,
 * the registry) and source_links.c (the socket monitor: peers, connections, link events). */
#ifndef TW_SOURCE_IMPL_H
#define TW_SOURCE_IMPL_H

#include "source.h"

#include "curve.h"
#include "endpoint.h"
#include "log_ahead.h"
#include "runlog.h"

#include <sys/types.h>
#include <zmq.h>

#define PEER_ADDR_MAX 256 /* bytes of a peer's address kept, with its NUL */

/* An address the socket monitor reports events for. */
typedef struct peer {
    char addr[PEER_ADDR_MAX];
    bool accepted; /* our --listen side */
    tw_link_state state;
    char detail[160];
} peer;

/* An open connection: its descriptor, id and peer. A connection whose DISCONNECTED event was
 * read is `closing` until the messages it left queued are read (source_links.c). */
typedef struct conn {
    int fd;
    uint64_t id;
    size_t peer;
    bool closing;
    double closed_at; /* monotonic time its DISCONNECTED was read */
} conn;

typedef struct log_source {
    char *path;
    tw_runlog_reader *reader; /* open only while there is something to read (source_logs.c) */
    tw_log_ahead *ahead;      /* reading it ahead (a backlog), or NULL: the reader is read here */
    uint64_t offset, frames;  /* where the next reader starts (the last one's offset, frames) */
    uint64_t size;            /* the file's size when last looked at */
    dev_t dev;                /* and which file it was */
    ino_t ino;
    uint64_t records;      /* records decoded from it */
    uint64_t bad_frames;   /* frames that did not decode */
    int open_error;        /* the errno of the last failed open, reported once (0: none) */
    bool named;            /* given on the command line, not found in a directory */
    bool failed;           /* could not be opened, or corrupt */
    bool at_end;           /* END or TORN last time, or not opened: wait for a rescan */
    bool finished;         /* read its run-end record, or corrupt: never read again */
    bool saw_end;          /* a RUN_END record came through */
    bool writer_alive;     /* at the last rescan, a live process's registry entry named it */
    bool growing;          /* at the last rescan, it had grown within its growth window */
    struct timespec mtime; /* the file's mtime when last looked at */
    double changed_at;     /* monotonic time its size or mtime last changed (at first: now less
                              its mtime's age) */
    double hb;             /* the heartbeat its records declare (seconds; 0: unknown) */
} log_source;

struct tw_sources {
    tw_source_callbacks cb;
    void *zctx, *sub, *events;
    tw_wire_decoder *dec;
    char **endpoints;
    size_t n_endpoints, cap_endpoints;
    log_source *logs;
    size_t n_logs, cap_logs;
    char *dirs[64];
    size_t n_dirs;
    bool discover;
    bool read_ahead; /* a backlog of a log is read ahead by a thread (log_ahead.h) */
    char runtime_dir[TW_ENDPOINT_PATH_MAX];
    double last_scan;
    /* Live runs' logs with no message yet: their siblings are looked for again at the next
     * registry scan (source_siblings.c). */
    char *sibling_wait[16];
    size_t n_sibling_wait;
    tw_source_stats stats;
    /* The log being decoded, for the record's origin and run-end tracking. */
    log_source *current_log;
    uint64_t current_link; /* the connection of the message being decoded */
    double now, wall;      /* the clocks, read once a message (tw_source_origin) */
    /* Security: keys (valid when have_*) and the rule for listening in clear. */
    bool have_secret, have_server, insecure;
    tw_curve_key secret, public, server;
    /* Links: peers by address, open connections by descriptor. */
    peer *peers;
    size_t n_peers, cap_peers;
    conn *conns;
    size_t n_conns, cap_conns;
    uint64_t next_link;
};

/* Makes room for one more entry in a table of *cap entries of `size` bytes, n of them used:
 * when full, doubles it (a few entries at first), at most to max entries, the new entries
 * zeroed. Returns the table (moved or not), or NULL with errno EMFILE (n is max already) or
 * ENOMEM; on NULL the old table is unchanged and still the caller's. */
void *tw_sources_table_grow(void *table, size_t *cap, size_t n, size_t size, size_t max);

/* The decoder's callback (source.c): counts the record, notes a run end read from a log, and
 * hands it to the record callback with its origin. */
int tw_sources_deliver(void *ctx, const tw_wire_header *h, const tw_wire_record *r);

/* The decoder's batch callback for run logs (source.c; set when the records callback is):
 * counts the records and hands them to it with their origin. */
int tw_sources_deliver_states(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r,
                              size_t n);

/* Adds the run log at path once (source_logs.c). A file named on the command line must open
 * now (else a negative errno and a sentence in err); a directory's entry that does not is
 * kept, reported through the problem callback and retried at each rescan. Returns 0 or a
 * negative errno (-ENOMEM). */
int tw_sources_add_log(tw_sources *s, const char *path, bool named, char *err, size_t errlen);

/* Adds every *.twlog in dir (again at each rescan: new files are picked up). Returns 0, or a
 * negative errno with a sentence in err when dir cannot be read (or -ENOMEM). */
int tw_sources_scan_dir(tw_sources *s, const char *dir, char *err, size_t errlen);

/* A live run e found in the registry (found_now: just connected to): the logs of the same run
 * beside its own (its other incarnations, the runs it joins on resume; not other runs of its
 * name) are read too (source_siblings.c). Asked again at later scans while e's log has no
 * message yet. */
struct tw_registry_entry;
void tw_sources_siblings(tw_sources *s, const struct tw_registry_entry *e, bool found_now);

/* Reads up to budget frames from the logs that have data; returns the records delivered. */
int tw_sources_read_logs(tw_sources *s, int budget);

/* At a rescan: the logs that grew (or could not be opened) are read again, and whose writers
 * are alive is looked up in the registry. */
void tw_sources_rescan_logs(tw_sources *s);

/* Reads the socket monitor's pending events (at most 1024), updating peers and connections
 * and calling the link callback for each change (source_links.c); now: the caller's
 * monotonic clock, as tw_sources_process's. */
void tw_sources_read_link_events(tw_sources *s, double now);

/* Tells the connections that closed (their DISCONNECTED read) once what they left queued is
 * read: when the SUB socket was drained (`drained`: a receive found it empty), or
 * TW_LINK_CLOSE_HOLD seconds after the event whatever else still arrives (source_links.c). */
void tw_sources_links_settle(tw_sources *s, bool drained, double now);

/* The connection message m came on, found by its descriptor (ZMQ_SRCFD) among the open
 * connections; 0 when not known (source_links.c). */
uint64_t tw_sources_message_link(const tw_sources *s, zmq_msg_t *m);

#endif
