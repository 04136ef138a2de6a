/* wire.h - the trainwatch wire format: msgpack encoder and hostile-input decoder.
 *
 * Design note. One ZeroMQ message (one frame) is one msgpack map, the envelope, holding the
 * sender's identity once and a batch of records:
 *
 *   {"v": 2, "run": str, "inc": uint64, "rank": uint, "world": uint, ["replay": uint64,]
 *    "recs": [record, ...]}
 *
 * Every record is a msgpack map with "t" (the record type, a small uint) and "seq" (the
 * publisher's per-incarnation sequence number, counting every record from 1), plus the fields
 * of its type (doc/protocol.md is the complete specification). The same bytes are the payload
 * of a run-log frame, so one decoder reads the network and the disk.
 *
 * The decoder treats its input as hostile: it never allocates while decoding (strings are
 * copied with bounds into the record, state vectors into the decoder's own buffer, sized once
 * at creation), checks every type exactly, checks every declared length and element count
 * against the bytes that remain before using it, bounds nesting while skipping unknown
 * fields, and accepts only finite numbers where the protocol says so. A message that breaks a
 * rule is rejected whole with a negative errno; unknown fields are ignored and unknown record
 * types are skipped and counted.
 *
 * Type rules (wire_read.c has the details, doc/protocol.md the keys of every record):
 *   - counts and ids are msgpack uints of any width (positive fixint, uint 8..64, and also
 *     int 8..64 holding a non-negative value); a field narrower than 64 bits rejects larger
 *     values;
 *   - times, states, thresholds and numeric parameters are float 64 only (never float 32 or
 *     integers); times and thresholds must be finite, states and parameters may be NaN/Inf;
 *   - strings are str (not bin), within their limit, without NUL bytes, not checked as UTF-8;
 *   - a known key seen twice in one map rejects the message; so does a missing required key.
 * The encoder writes exactly these types and refuses (-EINVAL) any record the decoder would
 * refuse, so what one encodes the other decodes to the same record. */
#ifndef TW_WIRE_H
#define TW_WIRE_H

#include "trainwatch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The protocol version written (2: the Mean family's states carry their moments, doc/protocol.md
 * section 9) and the oldest one still read (1: trainwatch 0.1). */
#define TW_WIRE_VERSION     2
#define TW_WIRE_VERSION_MIN 1

/* Limits the decoder enforces (and the encoder respects). */
#define TW_WIRE_MAX_MESSAGE (16u << 20) /* bytes in one message */
#define TW_WIRE_MAX_RECORDS 65536u      /* records in one message */
#define TW_WIRE_MAX_NAME    127u        /* bytes of a run id, metric name, host, ... */
#define TW_WIRE_MAX_TEXT    255u        /* bytes of a parameter's string value */
#define TW_WIRE_MAX_PARAMS  128u        /* hyperparameters in a run record */
#define TW_WIRE_MAX_STATE   (2u * TW_AUC_MAX_THRESHOLDS + 2u) /* doubles in one state */
#define TW_WIRE_MAX_ARGS    TW_METRIC_OPTIONS_MAX /* bytes of a METRIC's Keras arguments */
#define TW_WIRE_MAX_DEPTH   8u /* arrays/maps nested in a skipped value ([[1]] is 2) */

typedef enum tw_record_type {
    TW_REC_RUN = 1,       /* run identity and hyperparameters */
    TW_REC_METRIC = 2,    /* a metric's declaration */
    TW_REC_UPDATE = 3,    /* a metric's cumulative state in the current epoch */
    TW_REC_EPOCH = 4,     /* a metric's final state of an epoch */
    TW_REC_EPOCH_END = 5, /* an epoch closed on this rank */
    TW_REC_HEARTBEAT = 6, /* the publisher is alive */
    TW_REC_RUN_END = 7,   /* the run ended, with a status */
    TW_REC_DROPS = 8,     /* records dropped by the publisher so far */
    TW_REC_GAP = 9,       /* per-step records the publisher's full ring dropped: which steps */
} tw_record_type;

/* A metric's goal: unknown (the monitor infers it), minimise or maximise. */
typedef enum tw_goal { TW_GOAL_UNKNOWN = 0, TW_GOAL_MIN = 1, TW_GOAL_MAX = 2 } tw_goal;

/* Pseudo-kind of a gauge (a value that is not averaged: learning rate, throughput); state is
 * [value] and ranks are not added. Not a tw_metric_kind. */
#define TW_WIRE_KIND_GAUGE 100

/* The envelope every record of a message shares. */
typedef struct tw_wire_header {
    uint32_t version;
    char run[TW_WIRE_MAX_NAME + 1];  /* run id, shared by the ranks of one job */
    uint64_t incarnation;            /* new for every process start */
    uint32_t rank, world;            /* rank < world, world >= 1 */
    uint64_t replay_through;         /* 0: a live message. R > 0: a replay of the history to a
                                        new subscriber, standing for every seq up to R; seqs
                                        <= R it does not carry (heartbeats, decimated steps)
                                        were left out on purpose and are not gaps. Optional
                                        envelope key "replay" (uint). */
    char join[TW_WIRE_MAX_NAME + 1]; /* "": none. A resumed incarnation (tw_publisher_resume)
                                        names the run it continues: the latest earlier run of
                                        this display name. Optional envelope key "join" (str,
                                        1-127 bytes). */
} tw_wire_header;

typedef struct tw_wire_param {
    char key[TW_WIRE_MAX_NAME + 1];
    bool is_number;
    double number;                   /* when is_number */
    char text[TW_WIRE_MAX_TEXT + 1]; /* when !is_number */
} tw_wire_param;

/* One decoded record. Which fields are meaningful depends on `type`; the others are zero.
 * `state` points into the decoder's buffer and is valid only during the callback. */
typedef struct tw_wire_record {
    tw_record_type type;
    uint64_t seq;
    double time; /* seconds since the Unix epoch (UPDATE, EPOCH, EPOCH_END, HEARTBEAT, RUN_END,
                    DROPS; RUN: its start time) */

    /* RUN */
    char name[TW_WIRE_MAX_NAME + 1]; /* also METRIC's metric name */
    char host[TW_WIRE_MAX_NAME + 1];
    char program[TW_WIRE_MAX_NAME + 1];
    uint64_t pid;
    uint64_t planned_epochs;  /* 0: unknown */
    uint64_t steps_per_epoch; /* 0: unknown */
    uint32_t n_params;
    tw_wire_param *params; /* n_params entries, in the decoder's buffer (valid only during
                              the callback); NULL when n_params is 0 */

    /* METRIC */
    uint32_t metric_id; /* also UPDATE, EPOCH */
    tw_split split;     /* train, val, test */
    int kind;           /* a tw_metric_kind, or TW_WIRE_KIND_GAUGE */
    tw_goal goal;
    tw_metric_options options;       /* decoded: tw_metric_defaults() with the options the kind
                                        uses set from the message; encoded: only those the kind
                                        uses are sent */
    char args[TW_WIRE_MAX_ARGS + 1]; /* METRIC: the metric's Keras arguments in
                                        tw_metric_new_opts() syntax ("args",
                                        tw_metric_options_string); "" for none. When set, it
                                        defines the metric and `options` is decoded from it */
    uint32_t state_len;              /* METRIC: doubles in every state of this metric ("n");
                                        UPDATE, EPOCH: doubles in `state` (the subscriber checks
                                        that they agree) */

    /* UPDATE, EPOCH, EPOCH_END, HEARTBEAT */
    uint64_t epoch;      /* 1-based */
    uint64_t step;       /* steps since the run started */
    const double *state; /* UPDATE, EPOCH: state_len doubles */

    uint32_t metrics;     /* EPOCH_END: EPOCH records sent for this epoch */
    uint32_t interval_ms; /* HEARTBEAT: the publisher's heartbeat interval */
    tw_run_status status; /* RUN_END */
    uint64_t dropped;     /* DROPS: records dropped since the incarnation started; GAP: the
                             per-step records dropped in steps step..to_step (>= 1) */
    uint64_t to_step;     /* GAP: the last step that lost a record (>= step, the first) */
} tw_wire_record;

/* An UPDATE or EPOCH record's fields alone (tw_wire_encoder_add_state): a publisher's
 * per-step records without a tw_wire_record's 4.6 KB. */
typedef struct tw_wire_state {
    tw_record_type type; /* TW_REC_UPDATE or TW_REC_EPOCH */
    uint32_t metric_id;
    uint64_t seq, epoch, step;
    double time;
    const double *state; /* state_len doubles */
    uint32_t state_len;
} tw_wire_state;

/* ------------------------------------------------------------------------------------------ */
/* Encoder: builds one message in a growing buffer. Not thread-safe; one per thread.          */

typedef struct tw_wire_encoder tw_wire_encoder;

/* A new encoder, or NULL with errno ENOMEM. Free with tw_wire_encoder_destroy(). */
tw_wire_encoder *tw_wire_encoder_new(void);
void tw_wire_encoder_destroy(tw_wire_encoder **e);

/* Starts a message with this envelope (discarding any message in progress). The version
 * written is h->version when the decoder reads it (TW_WIRE_VERSION_MIN to TW_WIRE_VERSION: a
 * decoded message encodes again as it was), TW_WIRE_VERSION otherwise (0 included). An invalid
 * envelope (run empty or over TW_WIRE_MAX_NAME bytes, world 0, rank >= world) makes every add and
 * finish until the next begin return -EINVAL (-ENOMEM when the buffer could not be allocated). */
void tw_wire_encoder_begin(tw_wire_encoder *e, const tw_wire_header *h);

/* Appends one record (its type's fields are read from r; r->state holds state_len doubles
 * for UPDATE and EPOCH, r->params n_params entries for RUN). Returns 0, -EINVAL for a record
 * the decoder would reject (bad type, seq 0, epoch 0, names empty or too long, non-finite
 * times or thresholds, a kind/options/state_len that disagree, duplicate parameter keys),
 * -EMSGSIZE when the message is full (TW_WIRE_MAX_RECORDS records, or the record would take it
 * past TW_WIRE_MAX_MESSAGE bytes: finish this message and add the record to the next one),
 * -ENOMEM. On any error the message in progress is unchanged. Allocates only when the
 * buffer must grow (amortised). */
int tw_wire_encoder_add(tw_wire_encoder *e, const tw_wire_record *r);

/* Appends an UPDATE or EPOCH record: the same bytes and results as tw_wire_encoder_add with a
 * record of these fields (which calls it for those types). */
int tw_wire_encoder_add_state(tw_wire_encoder *e, const tw_wire_state *s);

/* Records appended since begin. */
uint32_t tw_wire_encoder_count(const tw_wire_encoder *e);

/* Bytes the message would have if finished now (an upper bound is fine). */
size_t tw_wire_encoder_size(const tw_wire_encoder *e);

/* Finishes the message: *data and *len describe it, valid until the next begin, add or
 * destroy (more records may be added after finish; finish again then). Returns 0, or -EINVAL
 * / -ENOMEM after a failed begin. */
int tw_wire_encoder_finish(tw_wire_encoder *e, const uint8_t **data, size_t *len);

/* ------------------------------------------------------------------------------------------ */
/* Decoder                                                                                      */

typedef struct tw_wire_decoder tw_wire_decoder;

/* Counters a decoder keeps across messages. */
typedef struct tw_wire_stats {
    uint64_t messages;        /* messages accepted */
    uint64_t records;         /* records delivered to the callback */
    uint64_t rejected;        /* messages rejected as malformed */
    uint64_t unknown_records; /* records of unknown type, skipped */
} tw_wire_stats;

/* Called once per known record, in order. Return 0 to go on, non-zero to stop decoding
 * (tw_wire_decode then returns that value). */
typedef int (*tw_wire_record_fn)(void *ctx, const tw_wire_header *h, const tw_wire_record *r);

/* An UPDATE or EPOCH record as a batch gives it: the fields of tw_wire_record that such a
 * record sets (tw_wire_record_of makes the record). */
typedef struct tw_wire_state_rec {
    const double *state; /* state_len doubles */
    uint64_t seq, epoch, step;
    double time;
    uint32_t metric_id, state_len;
    uint8_t type; /* TW_REC_UPDATE or TW_REC_EPOCH */
} tw_wire_state_rec;

/* Called with n >= 1 consecutive records of one message, in order, instead of a
 * tw_wire_record_fn call each (tw_wire_decode_batch); valid during the call. */
typedef int (*tw_wire_batch_fn)(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r,
                                size_t n);

/* Sets the fields of *out that an UPDATE or EPOCH sets from b; the others are left as they
 * were (zero in a record that was zeroed and only ever given such records). */
static inline void
tw_wire_record_of(tw_wire_record *out, const tw_wire_state_rec *b)
{
    out->type = (tw_record_type)b->type;
    out->seq = b->seq;
    out->metric_id = b->metric_id;
    out->epoch = b->epoch;
    out->step = b->step;
    out->time = b->time;
    out->state_len = b->state_len;
    out->state = b->state;
}

/* A decoder with its buffers (state and params) allocated once, or NULL with errno ENOMEM. */
tw_wire_decoder *tw_wire_decoder_new(void);
void tw_wire_decoder_destroy(tw_wire_decoder **d);

/* Decodes one message. The whole message is validated before the first callback, so a
 * rejected message delivers nothing. Returns 0; -EBADMSG for malformed input (empty input
 * included), -EPROTO for a newer version ("v" over 2), -EMSGSIZE for a message over
 * TW_WIRE_MAX_MESSAGE (all three counted in stats.rejected), -EINVAL for a NULL decoder, or
 * the callback's non-zero value (the message still counts as accepted). fn may be NULL
 * (validate and count only). A METRIC record of a kind this decoder does not know is skipped
 * and counted as an unknown record. Never crashes, never allocates. */
int tw_wire_decode(tw_wire_decoder *d, const uint8_t *data, size_t len, tw_wire_record_fn fn,
                   void *ctx);

struct tw_wire_fast;

/* tw_wire_decode of a run log's message whose UPDATE and EPOCH records in the encoder's layout
 * were read already (tw_runlog_reader_pre_read: pre[0..n_pre), in the message's order,
 * pointing into data, their states where the reader put them): a record that starts where one
 * of them does is taken from it instead
 * of being read again. Decodes exactly as tw_wire_decode does; pre may be NULL. A record read
 * already may have no bytes (start == next: a version-3 run log read as skeletons,
 * tw_runlog_reader_set_skeleton): it is an element of the records array all the same, taken
 * where the array's next element would start, and the array's count may exceed its bytes by
 * n_pre. */
int tw_wire_decode_read(tw_wire_decoder *d, const uint8_t *data, size_t len,
                        const struct tw_wire_fast *pre, size_t n_pre, tw_wire_record_fn fn,
                        void *ctx);

/* The most records one batch call gives. */
#define TW_WIRE_BATCH_MAX 256u

/* tw_wire_decode_read, the UPDATE and EPOCH records in the encoder's layout (most of them)
 * given to batch, up to TW_WIRE_BATCH_MAX consecutive ones a call, the others to fn one by
 * one, all in the message's order; decodes and returns as tw_wire_decode_read does. A non-zero
 * return of either callback stops it and is returned; a batch stops as a whole (its records
 * were all given, and are counted in the stats as delivered). The batch's states are the
 * reader's native doubles or converted into the decoder's buffer. */
int tw_wire_decode_batch(tw_wire_decoder *d, const uint8_t *data, size_t len,
                         const struct tw_wire_fast *pre, size_t n_pre, tw_wire_record_fn fn,
                         tw_wire_batch_fn batch, void *ctx);

/* The decoder's counters. */
tw_wire_stats tw_wire_decoder_stats(const tw_wire_decoder *d);

/* The metric a METRIC declaration describes, from its Keras arguments (args) when it has them,
 * else from its options; NULL with errno set (EINVAL, ENOMEM). The caller owns it. */
tw_metric *tw_wire_metric_new(int kind, const tw_metric_options *o, const char *args);

/* The state size of that metric; 0 when the declaration does not describe one. */
size_t tw_wire_metric_state_size(int kind, const tw_metric_options *o, const char *args);

/* Whether two metrics' options are the same (every field: decoded options hold the kind's
 * defaults in the fields it does not use). */
bool tw_wire_options_equal(const tw_metric_options *a, const tw_metric_options *b);

/* Whether n is a state length METRIC may declare for a kind (or TW_WIRE_KIND_GAUGE) with
 * these options and Keras arguments (args, "" or NULL for none): tw_wire_metric_state_size,
 * or for the kinds with moments (Mean, the errors, the crossentropies) also 2, their layout
 * without the moments (trainwatch 0.1, doc/protocol.md section 7): such states have no
 * standard error. */
bool tw_wire_state_len_ok(int kind, const tw_metric_options *o, const char *args, uint32_t n);

/* Names for the protocol's strings ("train", "val", "test"; "ok", "failed", "interrupted";
 * "min", "max"); NULL when out of range. */
const char *tw_wire_split_name(tw_split split);
const char *tw_wire_status_name(tw_run_status status);
const char *tw_wire_goal_name(tw_goal goal);

#endif
