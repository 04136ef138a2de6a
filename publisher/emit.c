/* emit.c - the publisher thread's message in progress: records added to it, and sent and
 * logged when it is full or its time has come (publisher_thread.c decides when).
 *
 * Records are batched into messages of at most MAX_BATCH records or MAX_BATCH_BYTES bytes;
 * a full message goes out at once. */
#define _GNU_SOURCE
#include "emit.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#define MAX_BATCH       1024
#define MAX_BATCH_BYTES (256u << 10)

/* Allows or forbids ZeroMQ to drop messages for full subscriber queues. */
void
tw_emit_nodrop(tw_publisher *p, int on)
{
    zmq_setsockopt(p->sock, ZMQ_XPUB_NODROP, &on, sizeof on);
}

/* Sends one encoded message without blocking; returns true when ZeroMQ took it. */
static bool
send_message(tw_publisher *p, const uint8_t *data, size_t len, uint32_t count, bool replay)
{
    if (zmq_send(p->sock, data, len, ZMQ_DONTWAIT) == (int)len)
        goto sent;
    atomic_fetch_add_explicit(&p->send_drops, 1, memory_order_relaxed);
    if (!p->send_drop_told) {
        p->send_drop_told = true;
        tw_publisher_diag(p, TW_LOG_WARNING, EAGAIN,
                          "a subscriber is not keeping up: it misses messages (counted in "
                          "send_drops; it sees the gap in the sequence numbers and can ask "
                          "for a replay)");
    }
    if (replay) {
        p->replay_failed = true; /* the replay is sent again whole later */
        return false;
    }
    tw_emit_nodrop(p, 0); /* the others still get it; the full queue is skipped from now on */
    int rc = zmq_send(p->sock, data, len, ZMQ_DONTWAIT);
    tw_emit_nodrop(p, 1);
    if (rc != (int)len)
        return false;
sent:
    atomic_fetch_add_explicit(&p->messages, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->sent, count, memory_order_relaxed);
    return true;
}

/* Sends the message in progress (and logs it unless it is a replay). A replay that already
 * failed sends nothing more. */
void
tw_emit_flush(tw_publisher *p, bool replay)
{
    uint32_t count = tw_wire_encoder_count(p->enc);
    if (count == 0)
        return;
    const uint8_t *data;
    size_t len;
    if (tw_wire_encoder_finish(p->enc, &data, &len) != 0) {
        atomic_fetch_add_explicit(&p->lost, replay ? 0 : count, memory_order_relaxed);
        tw_wire_encoder_begin(p->enc, &p->header);
        return;
    }
    if (!(replay && p->replay_failed))
        send_message(p, data, len, count, replay);
    if (!replay)
        p->last_message = tw_clock_mono_ms();
    if (!replay && p->log) {
        int rc = tw_runlog_writer_append(p->log, data, len);
        if (rc == 0) {
            atomic_fetch_add_explicit(&p->log_frames, 1, memory_order_relaxed);
            if (p->last_log_error) {
                tw_publisher_diag(p, TW_LOG_INFO, 0, "run log %s: writing again", p->log_path);
                p->last_log_error = 0;
            }
        } else {
            atomic_fetch_add_explicit(&p->log_errors, 1, memory_order_relaxed);
            if (p->last_log_error != rc) /* once per distinct error, not per message */
                tw_publisher_diag(p, TW_LOG_ERROR, -rc,
                                  "run log %s: write failed (%s); records are still sent",
                                  p->log_path, strerror(-rc));
            p->last_log_error = rc;
        }
    }
    tw_wire_encoder_begin(p->enc, &p->header);
}

/* Before a record is added: the message in progress begins with its first record. */
static void
emit_open(tw_publisher *p)
{
    if (tw_wire_encoder_count(p->enc) == 0) {
        tw_wire_encoder_begin(p->enc, &p->header);
        p->batch_started = tw_clock_mono_ms();
    }
}

/* After a record of `type` was added (rc: the encoder's result): a record that could not be
 * encoded (cannot happen for records built here) is counted and told once, and never stops
 * the loop; a full message goes out. */
static void
emit_close(tw_publisher *p, int rc, int type, bool replay)
{
    if (rc != 0) {
        if (!replay)
            atomic_fetch_add_explicit(&p->lost, 1, memory_order_relaxed);
        if (!p->encode_error_told) {
            p->encode_error_told = true;
            tw_publisher_diag(p, TW_LOG_ERROR, EINVAL,
                              "a record of type %d could not be encoded: it is lost (counted as "
                              "dropped)",
                              type);
        }
        return;
    }
    if (tw_wire_encoder_count(p->enc) >= MAX_BATCH ||
        tw_wire_encoder_size(p->enc) >= MAX_BATCH_BYTES)
        tw_emit_flush(p, replay);
}

/* Adds a record to the message in progress; live records get the next sequence number.
 * Returns the record's sequence number. */
uint64_t
tw_emit(tw_publisher *p, tw_wire_record *r, bool replay)
{
    if (!replay)
        r->seq = ++p->seq;
    emit_open(p);
    emit_close(p, tw_wire_encoder_add(p->enc, r), (int)r->type, replay);
    return r->seq;
}

/* tw_emit for an UPDATE or EPOCH record. */
uint64_t
tw_emit_state(tw_publisher *p, tw_wire_state *r, bool replay)
{
    if (!replay)
        r->seq = ++p->seq;
    emit_open(p);
    emit_close(p, tw_wire_encoder_add_state(p->enc, r), (int)r->type, replay);
    return r->seq;
}
