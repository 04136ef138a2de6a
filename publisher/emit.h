/* emit.h - the publisher thread's message in progress (emit.c). Used by the background thread
 * only. */
#ifndef TW_EMIT_H
#define TW_EMIT_H

#include "publisher_impl.h"

#include <stdbool.h>
#include <stdint.h>

/* Allows (on 1) or forbids (0) ZeroMQ to drop messages for full subscriber queues. */
void tw_emit_nodrop(tw_publisher *p, int on);

/* Sends the message in progress, if it holds a record, and logs it unless it is a replay. A
 * replay that already failed sends nothing more. */
void tw_emit_flush(tw_publisher *p, bool replay);

/* Adds a record to the message in progress (a live one gets the next sequence number, in
 * r->seq); sends the message when it is full. Returns the record's sequence number. A record
 * the encoder refuses (cannot happen for those built here) is counted as lost and told once. */
uint64_t tw_emit(tw_publisher *p, tw_wire_record *r, bool replay);

/* tw_emit for an UPDATE or EPOCH record. */
uint64_t tw_emit_state(tw_publisher *p, tw_wire_state *r, bool replay);

#endif
