/* runlog.h - the run log: an append-only file of CRC32C-framed wire messages.
 *
 * Design note. A run log outlives the process that wrote it. Its layout:
 *
 *   header  8 bytes   "TWLOG\x00\x03\n"  (magic, format version 3; versions 1, 2 still read)
 *   frame   4 bytes   W, little-endian uint32: stored length L = W & 0x7fffffff,
 *                     1 <= L <= TW_WIRE_MAX_MESSAGE; bit 31 (versions 2, 3): compressed
 *           4 bytes   CRC32C (Castagnoli) of the L stored bytes, little-endian
 *           L bytes   stored: one wire message (wire.h), exactly as sent on the network, or
 *                     (bit 31) one zstd frame that declares its content size and decompresses
 *                     to such a message's packed content (version 3, runlog_pack.h) or to
 *                     the message after its delta transform (version 2, runlog_xor.h)
 *   frame   ...
 *
 * The writer appends whole frames with write(2) (retrying short writes) and fsyncs at most
 * once per commit interval (group commit); it is only ever called from the publisher's
 * background thread. A crash can leave a torn last frame: the reader returns every complete
 * frame before it and reports the tail as torn, not as corruption. A frame whose CRC does not
 * match, or whose length is out of bounds, is corruption: the reader stops there and says so.
 * The reader reads the file incrementally, so a log that is still being written can be
 * followed: after TW_RUNLOG_END, call next again when the file has grown. */
#ifndef TW_RUNLOG_H
#define TW_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crc32c.h"

#define TW_RUNLOG_MAGIC        "TWLOG\x00\x01\n" /* version 1: frames stored as sent */
#define TW_RUNLOG_MAGIC_V2     "TWLOG\x00\x02\n" /* version 2: frames may be compressed */
#define TW_RUNLOG_MAGIC_V3     "TWLOG\x00\x03\n" /* version 3: compressed frames packed */
#define TW_RUNLOG_ZSTD         0x80000000u       /* versions 2, 3: the frame is compressed */
#define TW_RUNLOG_VERSION      3u                /* the version the writer writes */
#define TW_RUNLOG_HEADER_SIZE  8u
#define TW_RUNLOG_FRAME_HEADER 8u

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                        */

/* A run log's file name: RUN-rRANK-INCARNATION.twlog, RUN sanitized (tw_endpoint_sanitize),
 * INCARNATION 16 hex digits. Writes it into out (outlen with the NUL). Returns its length,
 * or -ENAMETOOLONG (out is then "") */
int tw_runlog_file_name(char *out, size_t outlen, const char *run, uint32_t rank,
                        uint64_t incarnation);

/* Whether name is a run log's file name for run (sanitized), of any rank and incarnation. */
bool tw_runlog_is_file_of(const char *name, const char *run);

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                       */

typedef struct tw_runlog_writer tw_runlog_writer;

/* Creates (O_CREAT | O_EXCL, mode 0600: private) the log at `path`, creating its directory
 * (mode 0700, one level) if missing, and writes the header. Returns NULL with errno set (EEXIST,
 * EACCES, EROFS, ENOSPC, ENOTDIR, ENOENT when the directory's parent is missing, ENOMEM, EINVAL for
 * a negative interval, ...). fsync_interval_ms: group-commit interval (0: fdatasync after every
 * append). The first sync also fsyncs the directory, so that the new name is durable. */
tw_runlog_writer *tw_runlog_writer_open(const char *path, int fsync_interval_ms);

/* The same with the log's file mode (0600 to 0666, less the umask; a directory it creates
 * gets x where the mode has r: 0640 makes 0750). EINVAL for a mode beyond 0666. */
tw_runlog_writer *tw_runlog_writer_open_mode(const char *path, int fsync_interval_ms,
                                             unsigned mode);

/* The same, writing format version 3: each frame is compressed with zstd at `level` (1 to
 * 19) when that makes it smaller, and stored as sent otherwise. EINVAL for a level out of
 * range. The publisher writes its logs so, at level 1. */
tw_runlog_writer *tw_runlog_writer_open_compressed(const char *path, int fsync_interval_ms,
                                                   unsigned mode, int level);

/* The same, writing format `version` 2 or 3 (compressed, level 1 to 19) or 1 (level 0): the
 * older ones for tests and benchmarks that compare them. EINVAL for another version, or a
 * level that does not go with it. */
tw_runlog_writer *tw_runlog_writer_open_version(const char *path, int fsync_interval_ms,
                                                unsigned mode, int level, unsigned version);

/* Appends one frame with `len` bytes of payload, in one writev (retried on EINTR and short
 * writes). Returns 0 or a negative errno (-EINVAL for len 0, over TW_WIRE_MAX_MESSAGE or a
 * NULL payload; -ENOSPC, -EIO, ... from the file system). After an error, later appends are
 * still attempted; a frame is never written partly and then continued (after a failed write
 * the file is truncated back to the frame start, again before the next append if that
 * failed). With a commit interval of 0 the error may come from the fdatasync after a whole
 * frame was written: tw_runlog_writer_frames counts every frame written whole. */
int tw_runlog_writer_append(tw_runlog_writer *w, const void *payload, size_t len);

/* fdatasyncs if anything was written since the last sync and either the commit interval has
 * passed since the last sync by commit (now_ms: a monotonic clock in milliseconds), no commit
 * has synced yet, or force is non-zero. Returns 0 or a negative errno (the data then stays
 * due for the next commit). */
int tw_runlog_writer_commit(tw_runlog_writer *w, int64_t now_ms, int force);

/* When tw_runlog_writer_commit would next sync (monotonic ms, as its now_ms): INT64_MAX when
 * nothing is waiting to be synced, INT64_MIN when no commit has synced yet (due at once). */
int64_t tw_runlog_writer_commit_due(const tw_runlog_writer *w);

/* Frames appended, and bytes written including the header (after compression). */
uint64_t tw_runlog_writer_frames(const tw_runlog_writer *w);
uint64_t tw_runlog_writer_bytes(const tw_runlog_writer *w);

/* fsyncs, closes and frees; sets *w to NULL. NULL-safe. Returns 0 or the negative errno of
 * the final fsync/close. */
int tw_runlog_writer_close(tw_runlog_writer **w);

/* Frees the writer and closes its descriptor without touching the file: no sync, no tail
 * repair. For a process forked from the writer's (the file is the parent's to finish). Sets *w
 * to NULL; NULL-safe. */
void tw_runlog_writer_abandon(tw_runlog_writer **w);

/* ------------------------------------------------------------------------------------------ */
/* Reader                                                                                       */

typedef struct tw_runlog_reader tw_runlog_reader;

typedef enum tw_runlog_status {
    TW_RUNLOG_FRAME = 0,   /* a complete frame was returned */
    TW_RUNLOG_END = 1,     /* clean end of the file (so far) */
    TW_RUNLOG_TORN = 2,    /* an incomplete frame at the end (a torn write, or still being
                              written); nothing after it was returned */
    TW_RUNLOG_CORRUPT = 3, /* a bad header, bad length, CRC mismatch or bad compressed data;
                              reading stops */
} tw_runlog_status;

/* Opens the regular file `path` for reading. Returns NULL with errno set (ENOENT, EACCES,
 * EISDIR, EINVAL for a FIFO, device or socket, ENOMEM, ...).
 * A bad magic is reported by the first tw_runlog_reader_next as TW_RUNLOG_CORRUPT; an empty
 * file reads as END and a file shorter than its header (with the right bytes) as TORN. The
 * reader's buffer holds at most one frame's worth (TW_WIRE_MAX_MESSAGE + 8 bytes) and grows
 * only for a frame whose length has been checked; a compressed frame (version 2) is
 * decompressed into a second buffer, which grows only to a checked content size (at most
 * TW_WIRE_MAX_MESSAGE; one such buffer for each frame kept: tw_runlog_reader_keep). */
tw_runlog_reader *tw_runlog_reader_open(const char *path);

/* Opens the regular file `path` to go on reading where an earlier reader of it stopped:
 * `offset` and `frames` are that reader's tw_runlog_reader_offset and _frames (the header was
 * checked then and is not read again). An offset below the header's size starts from the
 * beginning. Returns as tw_runlog_reader_open. Lets a monitor close the logs it has read to
 * their end and come back when they grow. */
tw_runlog_reader *tw_runlog_reader_open_at(const char *path, uint64_t offset, uint64_t frames);

/* Opens an in-memory log (for tests and fuzzing): `data` is borrowed and must outlive the
 * reader; uncompressed frames point into it, compressed ones into the reader's
 * decompression buffer (allocated at the first compressed frame). Returns NULL with errno
 * EINVAL (data NULL, len > 0) or ENOMEM. */
tw_runlog_reader *tw_runlog_reader_open_memory(const void *data, size_t len);

/* Reads the next frame. On TW_RUNLOG_FRAME, *payload and *len describe its wire message
 * (decompressed when the frame was), valid until the next call. On END or TORN, a later call may
 * return more frames if the file grew (the reader re-reads from the start of the incomplete frame).
 * On CORRUPT, every later call returns CORRUPT. Returns a tw_runlog_status (>= 0) or a negative
 * errno for an I/O error. */
int tw_runlog_reader_next(tw_runlog_reader *r, const uint8_t **payload, size_t *len);

struct tw_wire_fast;

/* The UPDATE and EPOCH records of the frame the last tw_runlog_reader_next returned that were
 * read while its message was restored (a compressed frame's; up to TW_WIRE_FAST_MAX, in the
 * message's order, pointing into its payload; a skeleton's with no bytes there and their
 * states, native doubles, in the reader's buffer: tw_runlog_reader_set_skeleton): *f and their
 * count, for tw_wire_decode_read or tw_wire_decode_batch, which then do not read them again. 0 (and
 * *f NULL) for any other frame or result. Valid until the next call. */
size_t tw_runlog_reader_pre_read(const tw_runlog_reader *r, const struct tw_wire_fast **f);

/* From the next frame on, a compressed frame of a version-3 log may be returned as its
 * skeleton: the message without the UPDATE and EPOCH records it held as columns, which are
 * all among tw_runlog_reader_pre_read's records, with no bytes (start == next, at their places
 * in the skeleton). Only tw_wire_decode_read or tw_wire_decode_batch with those records decodes
 * such a payload (as the message: the same records, in the same order); the monitor reads its logs
 * so, sparing the records' bytes. A frame that cannot be so (a record after TW_WIRE_FAST_MAX
 * records and skeleton bytes, or one the decoder does not take as read) comes whole. Off by
 * default. */
void tw_runlog_reader_set_skeleton(tw_runlog_reader *r, bool on);

/* The most frames tw_runlog_reader_keep keeps. */
#define TW_RUNLOG_KEEP_MAX 8u

/* From the next call on, the payloads and pre-read records of the last n results (1 to
 * TW_RUNLOG_KEEP_MAX) stay valid, not only the last one's: for a caller that hands frames to
 * another thread (monitor/log_ahead.c). Each takes a buffer of its own (frames stored
 * uncompressed are then copied into one); n 1, the default, frees the others. The frames
 * returned before the call are not valid after it (nor is the last one's pre-read records):
 * call it before reading, or with none of them in use. Returns 0, or -EINVAL for n out of
 * range. */
int tw_runlog_reader_keep(tw_runlog_reader *r, unsigned n);

/* Byte offset of the next frame to read; frames returned so far. */
uint64_t tw_runlog_reader_offset(const tw_runlog_reader *r);
uint64_t tw_runlog_reader_frames(const tw_runlog_reader *r);

/* A sentence describing the last call's TORN or CORRUPT result ("CRC mismatch in frame 12 at
 * byte 4096 ..."; frames are numbered from 1), or "" after FRAME or END. Owned by the
 * reader, valid until the next call. */
const char *tw_runlog_reader_error(const tw_runlog_reader *r);

/* Closes the file and frees the reader; sets *r to NULL. NULL-safe. */
void tw_runlog_reader_close(tw_runlog_reader **r);

#endif
