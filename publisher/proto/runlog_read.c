/* runlog_read.c - the run log's validating reader (runlog.h).
 *
 * The file reader keeps a window of the file in one buffer: bytes [buf_start, buf_start +
 * have). It reads ahead as far as the buffer goes, moves the unread tail to the front before
 * reading more, and grows the buffer only for a frame whose length has been checked, so it
 * never holds more than TW_WIRE_MAX_MESSAGE + 8 bytes. On a torn frame it forgets the frame's
 * bytes, so the next call reads them again from the disk: if the writer truncated a failed
 * frame and wrote another in its place, the reader sees the new one. */
#include "runlog.h"
#include "runlog_zstd.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The largest frame, header included: what the reader's buffer may grow to. */
#define FRAME_MAX ((size_t)TW_WIRE_MAX_MESSAGE + TW_RUNLOG_FRAME_HEADER)

/* The reader's first buffer: several typical frames, read with one pread. */
#define READER_BUFFER_MIN ((size_t)64 << 10)

/* Loads a little-endian uint32 from p. */
static uint32_t
get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct tw_runlog_reader {
    int fd;             /* -1 for an in-memory log */
    const uint8_t *mem; /* in-memory log (borrowed) */
    size_t mem_len;
    uint8_t *buf; /* file reader: bytes [buf_start, buf_start + have) of the file */
    size_t cap, have;
    uint64_t buf_start;
    uint64_t offset;      /* next frame; 0 until the header has been checked */
    uint64_t frames;      /* frames returned */
    size_t stored;        /* the last frame's stored bytes (its payload's, when not compressed) */
    int version;          /* of the file's header: 1, 2 or 3 (0 until checked) */
    tw_runlog_zstd *zstd; /* versions 2, 3: made at the first compressed frame */
    bool skeleton;        /* version 3's frames may come as skeletons (set_skeleton) */
    /* Where frames are decompressed (or, keeping more than one, copied) to: out[0..keep), used
     * in turn, a frame each; `last` is the last frame's when it is in one. */
    tw_runlog_out out[TW_RUNLOG_KEEP_MAX];
    unsigned keep, next_out;
    const tw_runlog_out *last;
    bool header_ok;
    bool corrupt; /* sticky */
    char error[192];
};

/* Sets the reader's error sentence. */
__attribute__((format(printf, 2, 3))) static void
set_error(tw_runlog_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

/* Makes up to `want` bytes at file offset `off` (>= buf_start) available: *p points at them
 * and *avail says how many there are (fewer than want only at the end of the file, possibly
 * more). want <= FRAME_MAX. Returns 0 or a negative errno. */
static int
window_file(tw_runlog_reader *r, uint64_t off, size_t want, const uint8_t **p, size_t *avail)
{
    if (off < r->buf_start || off - r->buf_start > r->have) {
        r->buf_start = off; /* not expected: start afresh */
        r->have = 0;
    }
    size_t skip = (size_t)(off - r->buf_start);
    if (r->have - skip < want) {
        if (skip > 0) {
            memmove(r->buf, r->buf + skip, r->have - skip);
            r->have -= skip;
            r->buf_start = off;
            skip = 0;
        }
        if (want > r->cap) {
            size_t cap = r->cap * 2 > FRAME_MAX ? FRAME_MAX : r->cap * 2;
            if (cap < want)
                cap = want;
            uint8_t *nb = realloc(r->buf, cap);
            if (!nb)
                return -ENOMEM;
            r->buf = nb;
            r->cap = cap;
        }
        while (r->have < want) {
            ssize_t n =
                pread(r->fd, r->buf + r->have, r->cap - r->have, (off_t)(r->buf_start + r->have));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return -errno;
            }
            if (n == 0)
                break;
            r->have += (size_t)n;
        }
    }
    *avail = r->have - skip;
    *p = *avail ? r->buf + skip : NULL;
    return 0;
}

/* Like window_file, for either kind of reader. */
static int
window(tw_runlog_reader *r, uint64_t off, size_t want, const uint8_t **p, size_t *avail)
{
    if (r->fd >= 0)
        return window_file(r, off, want, p, avail);
    *avail = off < r->mem_len ? r->mem_len - (size_t)off : 0;
    *p = *avail ? r->mem + off : NULL;
    return 0;
}

/* Forgets the buffered bytes from the next frame on, so that they are read again. */
static void
forget_tail(tw_runlog_reader *r)
{
    if (r->fd >= 0 && r->offset >= r->buf_start && r->offset - r->buf_start < r->have)
        r->have = (size_t)(r->offset - r->buf_start);
}

/* Checks the file header. Returns TW_RUNLOG_FRAME when it is good (and moves past it), END
 * for an empty file, TORN for a good but incomplete one, CORRUPT, or a negative errno. */
static int
read_header(tw_runlog_reader *r)
{
    const uint8_t *p;
    size_t avail;
    int rc = window(r, 0, TW_RUNLOG_HEADER_SIZE, &p, &avail);
    if (rc < 0)
        return rc;
    size_t n = avail < TW_RUNLOG_HEADER_SIZE ? avail : TW_RUNLOG_HEADER_SIZE;
    if (n > 0 && memcmp(p, TW_RUNLOG_MAGIC, n) != 0 && memcmp(p, TW_RUNLOG_MAGIC_V2, n) != 0 &&
        memcmp(p, TW_RUNLOG_MAGIC_V3, n) != 0) {
        if (n >= 7 && memcmp(p, TW_RUNLOG_MAGIC, 6) == 0 && p[6] > TW_RUNLOG_VERSION)
            set_error(r,
                      "written by a newer trainwatch: run-log format version %u is not supported",
                      (unsigned)p[6]);
        else
            set_error(r, "not a trainwatch run log: bad magic at byte 0");
        return TW_RUNLOG_CORRUPT;
    }
    if (n == 0)
        return TW_RUNLOG_END;
    if (n < TW_RUNLOG_HEADER_SIZE) {
        set_error(r, "incomplete file header at byte 0: %zu of %u bytes", n, TW_RUNLOG_HEADER_SIZE);
        return TW_RUNLOG_TORN;
    }
    r->header_ok = true;
    r->version = p[6];
    r->offset = TW_RUNLOG_HEADER_SIZE;
    return TW_RUNLOG_FRAME;
}

/* Replaces a compressed frame's stored bytes by its wire message, in the next of the outputs.
 * Returns TW_RUNLOG_FRAME, CORRUPT (with the error sentence set) or -ENOMEM. */
static int
inflate_frame(tw_runlog_reader *r, const uint8_t **payload, size_t *len)
{
    if (!r->zstd && !(r->zstd = tw_runlog_zstd_new()))
        return -ENOMEM;
    char why[96];
    tw_runlog_out *o = &r->out[r->next_out];
    int rc = tw_runlog_zstd_decompress(r->zstd, r->version >= 3, r->skeleton, *payload, *len, o,
                                       len, why, sizeof why);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0) {
        set_error(r, "bad compressed data in frame %llu at byte %llu: %s",
                  (unsigned long long)r->frames + 1, (unsigned long long)r->offset, why);
        return TW_RUNLOG_CORRUPT;
    }
    *payload = o->buf;
    r->last = o;
    return TW_RUNLOG_FRAME;
}

/* Keeping more than one frame, copies a stored one into the next of the outputs (the window's
 * bytes move at the next read). Returns TW_RUNLOG_FRAME or -ENOMEM. */
static int
keep_frame(tw_runlog_reader *r, const uint8_t **payload, size_t len)
{
    tw_runlog_out *o = &r->out[r->next_out];
    if (len > o->cap) {
        uint8_t *nb = realloc(o->buf, len); /* a length that was checked */
        if (!nb)
            return -ENOMEM;
        o->buf = nb;
        o->cap = len;
    }
    memcpy(o->buf, *payload, len);
    o->n_pre = 0;
    *payload = o->buf;
    r->last = o;
    return TW_RUNLOG_FRAME;
}

/* Reads and checks the frame at r->offset without moving past it. Returns TW_RUNLOG_FRAME
 * (*payload and *len set), END, TORN, CORRUPT (with the error sentence set) or a negative
 * errno. */
static int
read_frame(tw_runlog_reader *r, const uint8_t **payload, size_t *len)
{
    unsigned long long index = (unsigned long long)r->frames + 1;
    unsigned long long at = (unsigned long long)r->offset;
    const uint8_t *p;
    size_t avail = 0;
    int rc = window(r, r->offset, TW_RUNLOG_FRAME_HEADER, &p, &avail);
    if (rc < 0)
        return rc;
    if (avail == 0)
        return TW_RUNLOG_END;
    if (avail < TW_RUNLOG_FRAME_HEADER) {
        set_error(r, "incomplete frame %llu at byte %llu: %zu of %u header bytes", index, at, avail,
                  TW_RUNLOG_FRAME_HEADER);
        return TW_RUNLOG_TORN;
    }
    uint32_t word = get_le32(p);
    bool zstd = r->version >= 2 && (word & TW_RUNLOG_ZSTD);
    uint32_t flen = zstd ? word & ~TW_RUNLOG_ZSTD : word;
    uint32_t crc = get_le32(p + 4);
    if (flen == 0 || flen > TW_WIRE_MAX_MESSAGE) {
        set_error(r, "bad length %lu in frame %llu at byte %llu (allowed 1 to %u)",
                  (unsigned long)flen, index, at, TW_WIRE_MAX_MESSAGE);
        return TW_RUNLOG_CORRUPT;
    }
    size_t need = TW_RUNLOG_FRAME_HEADER + (size_t)flen;
    rc = window(r, r->offset, need, &p, &avail);
    if (rc < 0)
        return rc;
    if (avail < need) {
        set_error(r, "incomplete frame %llu at byte %llu: %zu of %zu bytes", index, at, avail,
                  need);
        return TW_RUNLOG_TORN;
    }
    uint32_t actual = tw_crc32c(0, p + TW_RUNLOG_FRAME_HEADER, flen);
    if (actual != crc) {
        set_error(r, "CRC mismatch in frame %llu at byte %llu (stored %08lx, computed %08lx)",
                  index, at, (unsigned long)crc, (unsigned long)actual);
        return TW_RUNLOG_CORRUPT;
    }
    *payload = p + TW_RUNLOG_FRAME_HEADER;
    *len = flen;
    r->stored = flen;
    return zstd          ? inflate_frame(r, payload, len)
           : r->keep > 1 ? keep_frame(r, payload, flen)
                         : TW_RUNLOG_FRAME;
}

/* A reader of nothing yet (no file, one frame kept), or NULL with errno ENOMEM. */
static tw_runlog_reader *
reader_new(void)
{
    tw_runlog_reader *r = calloc(1, sizeof *r);
    if (!r) {
        errno = ENOMEM;
        return NULL;
    }
    r->keep = 1;
    r->fd = -1;
    return r;
}

/* Opens a log file for reading; see runlog.h. */
tw_runlog_reader *
tw_runlog_reader_open(const char *path)
{
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    tw_runlog_reader *r = reader_new();
    if (!r)
        return NULL;
    int err = 0;
    r->buf = malloc(READER_BUFFER_MIN);
    if (!r->buf) {
        err = ENOMEM;
        goto fail;
    }
    r->cap = READER_BUFFER_MIN;
    /* O_NONBLOCK only so that a FIFO given by mistake cannot hang the open; it is refused
     * below, and pread on a regular file ignores the flag. */
    r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (r->fd < 0) {
        err = errno;
        goto fail;
    }
    struct stat st;
    if (fstat(r->fd, &st) != 0) {
        err = errno;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        goto fail;
    }
    return r;

fail:
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r);
    errno = err;
    return NULL;
}

/* Opens a log file to resume reading at a frame boundary; see runlog.h. */
tw_runlog_reader *
tw_runlog_reader_open_at(const char *path, uint64_t offset, uint64_t frames)
{
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    uint8_t h[TW_RUNLOG_HEADER_SIZE];
    if (r && offset >= TW_RUNLOG_HEADER_SIZE && pread(r->fd, h, sizeof h, 0) == (ssize_t)sizeof h &&
        (memcmp(h, TW_RUNLOG_MAGIC, sizeof h) == 0 ||
         memcmp(h, TW_RUNLOG_MAGIC_V2, sizeof h) == 0 ||
         memcmp(h, TW_RUNLOG_MAGIC_V3, sizeof h) == 0)) {
        r->header_ok = true; /* checked before; its version is read again (8 bytes) */
        r->version = h[6];
        r->offset = r->buf_start = offset;
        r->frames = frames;
    }
    return r;
}

/* Opens an in-memory log; see runlog.h. */
tw_runlog_reader *
tw_runlog_reader_open_memory(const void *data, size_t len)
{
    if (!data && len > 0) {
        errno = EINVAL;
        return NULL;
    }
    tw_runlog_reader *r = reader_new();
    if (!r)
        return NULL;
    r->mem = data;
    r->mem_len = len;
    return r;
}

/* Returns the next whole, checked frame or says why there is none; see runlog.h. */
int
tw_runlog_reader_next(tw_runlog_reader *r, const uint8_t **payload, size_t *len)
{
    if (!r || !payload || !len)
        return -EINVAL;
    *payload = NULL;
    *len = 0;
    r->last = NULL;
    if (r->corrupt)
        return TW_RUNLOG_CORRUPT;
    r->error[0] = '\0';

    int rc = r->header_ok ? TW_RUNLOG_FRAME : read_header(r);
    if (rc == TW_RUNLOG_FRAME) {
        rc = read_frame(r, payload, len);
        if (rc == TW_RUNLOG_CORRUPT && r->fd >= 0) {
            /* The buffer may hold bytes of a frame the writer failed, truncated and wrote
             * again: judge on a fresh read. */
            r->buf_start = r->offset;
            r->have = 0;
            rc = read_frame(r, payload, len);
        }
    }
    switch (rc) {
    case TW_RUNLOG_FRAME:
        r->offset += TW_RUNLOG_FRAME_HEADER + r->stored;
        r->frames++;
        if (r->last)
            r->next_out = (r->next_out + 1) % r->keep;
        break;
    case TW_RUNLOG_TORN:
        forget_tail(r);
        break;
    case TW_RUNLOG_CORRUPT:
        r->corrupt = true;
        break;
    default:
        break;
    }
    return rc;
}

/* The records of the last frame read while undoing its delta transform; see runlog.h. */
size_t
tw_runlog_reader_pre_read(const tw_runlog_reader *r, const struct tw_wire_fast **f)
{
    *f = NULL;
    if (!r || !r->last || r->last->n_pre == 0)
        return 0;
    *f = r->last->pre;
    return r->last->n_pre;
}

/* Lets version 3's frames come as skeletons; see runlog.h. */
void
tw_runlog_reader_set_skeleton(tw_runlog_reader *r, bool on)
{
    if (r)
        r->skeleton = on;
}

/* Keeps the frames of the last n results valid; see runlog.h. */
int
tw_runlog_reader_keep(tw_runlog_reader *r, unsigned n)
{
    if (!r || n < 1 || n > TW_RUNLOG_KEEP_MAX)
        return -EINVAL;
    for (unsigned i = n; i < TW_RUNLOG_KEEP_MAX; i++)
        tw_runlog_out_free(&r->out[i]);
    r->keep = n;
    r->next_out = 0;
    r->last = NULL;
    return 0;
}

/* Offset of the next frame to read (0 before the header has been read). */
uint64_t
tw_runlog_reader_offset(const tw_runlog_reader *r)
{
    return r ? r->offset : 0;
}

/* Frames returned so far. */
uint64_t
tw_runlog_reader_frames(const tw_runlog_reader *r)
{
    return r ? r->frames : 0;
}

/* The sentence for the last TORN or CORRUPT result, or "". */
const char *
tw_runlog_reader_error(const tw_runlog_reader *r)
{
    return r ? r->error : "";
}

/* Closes the file (if any), frees the reader, nulls *rp. NULL-safe. */
void
tw_runlog_reader_close(tw_runlog_reader **rp)
{
    if (!rp || !*rp)
        return;
    tw_runlog_reader *r = *rp;
    *rp = NULL;
    if (r->fd >= 0)
        close(r->fd);
    tw_runlog_zstd_destroy(&r->zstd);
    for (unsigned i = 0; i < TW_RUNLOG_KEEP_MAX; i++)
        tw_runlog_out_free(&r->out[i]);
    free(r->buf);
    free(r);
}
