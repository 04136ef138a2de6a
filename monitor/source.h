/* source.h - where the monitor's records come from: live endpoints, the registry of local
 * runs, and run-log files or directories (followed while they grow).
 *
 * Design note. All live inputs share one ZeroMQ SUB socket: it connects to every endpoint
 * given or discovered in the registry and binds every --listen endpoint; the publisher
 * replays its history to each new subscription, so joining late loses nothing. Messages are
 * drained in bounded batches (the UI stays responsive under load), decoded by the library's
 * hostile-input decoder and handed to a callback record by record; a message that fails to
 * decode is counted and dropped. Run logs are read frame by frame, in bounded batches, and
 * re-polled once a second for growth until their run-end record has been read. The registry
 * is rescanned once a second: new runs are connected, and a run whose process is gone is
 * reported as vanished. */
#ifndef TW_SOURCE_H
#define TW_SOURCE_H

#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a record came from. */
typedef enum tw_source_kind { TW_SOURCE_LIVE = 0, TW_SOURCE_LOG = 1 } tw_source_kind;

typedef struct tw_source_callbacks {
    /* Every decoded record; return non-zero to stop the current batch. */
    int (*record)(void *ctx, tw_source_kind kind, const tw_wire_header *h, const tw_wire_record *r);
    /* A message or frame that could not be decoded (err: negative errno), or a run log that
     * is corrupt (a sentence in `what`). */
    void (*rejected)(void *ctx, const char *where, int err, const char *what);
    /* A registered process is gone (its .run entry names a dead pid). */
    void (*vanished)(void *ctx, const char *run, uint32_t rank, uint64_t incarnation);
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
} tw_source_stats;

/* A new set of sources. Returns NULL with errno set (ENOMEM, or a ZeroMQ failure). */
tw_sources *tw_sources_new(const tw_source_callbacks *cb);
void tw_sources_destroy(tw_sources **s);

/* Adds a SOURCE argument: an endpoint ("tcp://HOST:PORT", "ipc://PATH"), a run-log file, or
 * a directory of run logs. Returns 0, or a negative errno with a sentence in err. */
int tw_sources_add(tw_sources *s, const char *spec, char *err, size_t errlen);

/* Binds an endpoint so that publishers can connect (">tcp://..." on their side). Returns 0,
 * or a negative errno with a sentence in err. */
int tw_sources_listen(tw_sources *s, const char *endpoint, char *err, size_t errlen);

/* Watches the registry of this user's live runs (runtime directory) and connects to every
 * run in it, now and as new ones start. Returns 0 or a negative errno with a sentence. */
int tw_sources_discover(tw_sources *s, char *err, size_t errlen);

/* The ZeroMQ socket to poll for input (a void * for zmq_poll). */
void *tw_sources_socket(const tw_sources *s);

/* Reads what is available: at most `budget` live messages and `budget` log frames, and, when
 * a second has passed since the last time, rescans the registry and directories and re-polls
 * logs that may have grown. Returns the number of records delivered, or a negative errno. */
int tw_sources_process(tw_sources *s, int budget, double now_mono);

/* Whether every run log has been read to its end (or its run-end record) and there are no
 * live sources: nothing more will come. */
bool tw_sources_exhausted(const tw_sources *s);

/* Whether any pending input remains in the logs (more frames to read right away). */
bool tw_sources_log_pending(const tw_sources *s);

tw_source_stats tw_sources_stats(const tw_sources *s);

#endif
