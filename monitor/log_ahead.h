/* log_ahead.h - a run log read ahead by a thread of its own: while the caller decodes one
 * frame, the thread reads, checks, decompresses and un-transforms the next ones.
 *
 * Design note. Reading a compressed log is two halves of about equal cost: the reader's
 * (pread, CRC, zstd, the delta transform's walk) and the caller's (decoding and merging into
 * the store). On a machine with two cores, a thread can do the first half of frame k + 1 while
 * the caller does the second half of frame k: a 1 M-record log loads in about 60 % of the time
 * (doc/performance.md, "Fourth pass"). The thread owns the reader from tw_log_ahead_start to
 * tw_log_ahead_stop; it puts each result (the status, the message, its pre-read records, the
 * reader's offset, frame count and error sentence after it) into one of a few slots, in order,
 * and waits when they are all full. The messages are not copied: the reader keeps as many
 * frames as there are slots (tw_runlog_reader_keep). The caller gets the results in the
 * reader's order, as tw_runlog_reader_next would have returned them: the same frames, the same
 * statuses at the same frames, the same sentences. The thread stops at the first status that
 * is not a frame (END, TORN, CORRUPT, an error), or after a frame of more than 1 MiB (none of
 * the publisher's is); once the caller has that one, the reader stands exactly where the
 * results say and later calls read it directly, keeping one frame again (following a log that
 * grows). Memory: the reader's buffers for TW_LOG_AHEAD_SLOTS frames (all but one at most
 * 1 MiB, each with room for TW_WIRE_FAST_MAX pre-read records), freed at stop. */
#ifndef TW_LOG_AHEAD_H
#define TW_LOG_AHEAD_H

#include "runlog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frames read ahead at most (the thread waits while they are all unread or in use). */
#define TW_LOG_AHEAD_SLOTS 8u

typedef struct tw_log_ahead tw_log_ahead;

/* Starts a thread reading r ahead, with `slots` slots (2..TW_LOG_AHEAD_SLOTS; others are
 * clamped). r is the thread's until tw_log_ahead_stop: the caller uses only the calls below
 * meanwhile. Returns NULL with errno (ENOMEM, EAGAIN: no thread) when it cannot start; the
 * caller then reads r itself. r keeps `slots` frames until the stop (tw_runlog_reader_keep). */
tw_log_ahead *tw_log_ahead_start(tw_runlog_reader *r, unsigned slots);

/* The next result, as tw_runlog_reader_next(r, payload, len) would return it; *payload is
 * valid until the next call. When the thread met an error (a negative errno: out of memory
 * with its kept frames, say), the reader, which stays at that frame, is tried again directly
 * keeping one frame, and its result is returned. */
int tw_log_ahead_next(tw_log_ahead *a, const uint8_t **payload, size_t *len);

struct tw_wire_fast;

/* As tw_runlog_reader_pre_read, tw_runlog_reader_offset, tw_runlog_reader_frames and
 * tw_runlog_reader_error would say after the last result: its pre-read records (pointing into
 * its payload), the offset and count of frames after it, its sentence. */
size_t tw_log_ahead_pre_read(const tw_log_ahead *a, const struct tw_wire_fast **f);
uint64_t tw_log_ahead_offset(const tw_log_ahead *a);
uint64_t tw_log_ahead_frames(const tw_log_ahead *a);
const char *tw_log_ahead_error(const tw_log_ahead *a);

/* Stops the thread (at once: it finishes the frame it is reading) and frees the slots; the
 * reader is the caller's again. It may stand past the last result returned: take the offset
 * and frame count from tw_log_ahead_offset and _frames before. Sets *a to NULL; NULL-safe. */
void tw_log_ahead_stop(tw_log_ahead **a);

#endif
