/* runlog.c - the run log: an append-only writer with group commit, and a validating reader.
 *
 * The writer knows the size of the file as far as whole frames go (`bytes`). A write that
 * fails part-way leaves the file longer than that, so it is truncated back at once, and if
 * the truncation fails too, before the next append: whole frames only, whatever the disk does.
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

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

int
tw_runlog_file_name(char *out, size_t outlen, const char *run, uint32_t rank, uint64_t incarnation)
{
    int n =
        snprintf(out, outlen, "%s-r%u-%016llx.twlog", run, rank, (unsigned long long)incarnation);
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen)
            out[0] = '\0';
        return -ENAMETOOLONG;
    }
    return n;
}

bool
tw_runlog_is_file_of(const char *name, const char *run)
{
    size_t n = strlen(run);
    if (strncmp(name, run, n) != 0 || strncmp(name + n, "-r", 2) != 0)
        return false;
    const char *p = name + n + 2;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p++ != '-')
        return false;
    for (int i = 0; i < 16; i++, p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return strcmp(p, ".twlog") == 0;
}

/* The largest frame, header included: what the reader's buffer may grow to. */
#define FRAME_MAX ((size_t)TW_WIRE_MAX_MESSAGE + TW_RUNLOG_FRAME_HEADER)

/* The reader's first buffer: several typical frames, read with one pread. */
#define READER_BUFFER_MIN ((size_t)64 << 10)

/* Stores v little-endian at p. */
static void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Loads a little-endian uint32 from p. */
static uint32_t
get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                       */

struct tw_runlog_writer {
    int fd;
    int fsync_interval_ms;
    uint64_t frames;      /* frames appended */
    uint64_t bytes;       /* header and whole frames: the file's size when all is well */
    bool tail_dirty;      /* a failed write may have left bytes past `bytes` */
    bool dirty;           /* written since the last successful fdatasync */
    bool synced;          /* last_sync_ms is meaningful */
    bool dir_synced;      /* the directory entry of the new file is durable */
    int64_t last_sync_ms; /* now_ms of the last fdatasync by commit */
    char *dir;            /* the file's directory, fsynced once */
    int level;            /* zstd level (format version 2), or 0: version 1, stored as sent */
    tw_runlog_zstd *zstd; /* the compressor when level > 0 */
};

/* Writes every byte of iov[0..iovcnt) (which it modifies), retrying on EINTR and short writes.
 * Returns 0 or a negative errno; *written counts the bytes written either way. */
static int
write_all(int fd, struct iovec *iov, int iovcnt, size_t *written)
{
    *written = 0;
    while (iovcnt > 0 && iov->iov_len == 0) {
        iov++;
        iovcnt--;
    }
    while (iovcnt > 0) {
        ssize_t n = writev(fd, iov, iovcnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO; /* a regular file never does this; do not spin if it does */
        *written += (size_t)n;
        size_t done = (size_t)n;
        while (iovcnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

/* Truncates the file back to its last whole frame. Returns 0 or a negative errno (the tail
 * then stays marked for the next attempt). */
static int
repair_tail(tw_runlog_writer *w)
{
    while (ftruncate(w->fd, (off_t)w->bytes) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    w->tail_dirty = false;
    return 0;
}

/* fsyncs the directory holding the file, so that the file's name survives a crash. Tried
 * once: a directory we cannot open, or a file system that cannot fsync one (EINVAL), is not
 * asked again. Returns 0 or a negative errno. */
static int
sync_dir(tw_runlog_writer *w)
{
    w->dir_synced = true;
    int dfd = open(w->dir, O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = 0;
    while (fsync(dfd) != 0) {
        if (errno == EINTR)
            continue;
        if (errno != EINVAL)
            rc = -errno;
        break;
    }
    close(dfd);
    return rc;
}

/* fdatasyncs the file (and its directory the first time). Returns 0 or a negative errno;
 * after an error the data stays marked for the next sync. */
static int
sync_now(tw_runlog_writer *w)
{
    while (fdatasync(w->fd) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    w->dirty = false;
    return w->dir_synced ? 0 : sync_dir(w);
}

/* The directory part of path ("." for a bare name, "/" for a file in the root), malloc'd;
 * NULL when out of memory. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

/* Creates the directory (mode: the log's, with x where it has r, never group or other
 * write) unless it is there already. Returns 0 or an errno (positive). */
static int
make_dir(const char *dir, unsigned mode)
{
    if (mkdir(dir, (mode_t)((mode | ((mode & 0444) >> 2)) & ~022u)) == 0 || errno == EEXIST)
        return 0;
    int err = errno;
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0; /* there, though we could not have made it */
    return err;
}

tw_runlog_writer *
tw_runlog_writer_open(const char *path, int fsync_interval_ms)
{
    return tw_runlog_writer_open_mode(path, fsync_interval_ms, 0600);
}

tw_runlog_writer *
tw_runlog_writer_open_mode(const char *path, int fsync_interval_ms, unsigned mode)
{
    return tw_runlog_writer_open_compressed(path, fsync_interval_ms, mode, 0);
}

/* Creates the log and writes its header (version 2 when level > 0); see runlog.h. */
tw_runlog_writer *
tw_runlog_writer_open_compressed(const char *path, int fsync_interval_ms, unsigned mode, int level)
{
    if (!path || !path[0] || fsync_interval_ms < 0 || (mode & ~0666u) != 0 || level < 0 ||
        level > 19) {
        errno = EINVAL;
        return NULL;
    }
    tw_runlog_writer *w = calloc(1, sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    w->fd = -1;
    w->fsync_interval_ms = fsync_interval_ms;
    w->level = level;
    int err = 0;
    w->dir = dir_of(path);
    if (!w->dir || (level > 0 && !(w->zstd = tw_runlog_zstd_new()))) {
        err = ENOMEM;
        goto fail;
    }
    err = make_dir(w->dir, mode);
    if (err)
        goto fail;
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_APPEND, (mode_t)mode);
    if (w->fd < 0) {
        err = errno;
        goto fail;
    }
    if (fchmod(w->fd, (mode_t)mode) != 0) { /* the mode asked for, whatever the umask */
        err = errno;
        unlink(path);
        goto fail;
    }

    struct iovec iov = {.iov_base = level > 0 ? TW_RUNLOG_MAGIC_V2 : TW_RUNLOG_MAGIC,
                        .iov_len = TW_RUNLOG_HEADER_SIZE};
    size_t written;
    int rc = write_all(w->fd, &iov, 1, &written);
    if (rc != 0) {
        err = -rc;
        unlink(path); /* ours (O_EXCL), and useless without its header */
        goto fail;
    }
    w->bytes = TW_RUNLOG_HEADER_SIZE;
    w->dirty = true;
    return w;

fail:
    if (w->fd >= 0)
        close(w->fd);
    tw_runlog_zstd_destroy(&w->zstd);
    free(w->dir);
    free(w);
    errno = err;
    return NULL;
}

/* Appends one whole frame, or nothing; see runlog.h. */
int
tw_runlog_writer_append(tw_runlog_writer *w, const void *payload, size_t len)
{
    if (!w || !payload || len == 0 || len > TW_WIRE_MAX_MESSAGE)
        return -EINVAL;
    if (w->tail_dirty) {
        int rc = repair_tail(w);
        if (rc != 0)
            return rc;
    }

    uint32_t flag = 0;
    const uint8_t *z;
    size_t zlen;
    if (w->level > 0 && tw_runlog_zstd_compress(w->zstd, w->level, payload, len, &z, &zlen) == 0) {
        payload = z; /* smaller: stored compressed. Otherwise (or out of memory) as sent. */
        len = zlen;
        flag = TW_RUNLOG_ZSTD;
    }
    uint8_t header[TW_RUNLOG_FRAME_HEADER];
    put_le32(header, (uint32_t)len | flag);
    put_le32(header + 4, tw_crc32c(0, payload, len));
    struct iovec iov[2] = {
        {.iov_base = header, .iov_len = sizeof header},
        {.iov_base = (void *)payload, .iov_len = len},
    };
    size_t written;
    int rc = write_all(w->fd, iov, 2, &written);
    if (rc != 0) {
        if (written > 0) {
            w->tail_dirty = true;
            repair_tail(w); /* if this fails too, the next append retries it first */
        }
        return rc;
    }
    w->frames++;
    w->bytes += sizeof header + len;
    w->dirty = true;
    return w->fsync_interval_ms == 0 ? sync_now(w) : 0;
}

/* Group commit: fdatasyncs when data is waiting and the interval has passed; see runlog.h. */
int
tw_runlog_writer_commit(tw_runlog_writer *w, int64_t now_ms, int force)
{
    if (!w)
        return -EINVAL;
    if (!w->dirty)
        return 0;
    if (!force && w->synced && now_ms >= w->last_sync_ms &&
        (uint64_t)now_ms - (uint64_t)w->last_sync_ms < (uint64_t)w->fsync_interval_ms)
        return 0;
    int rc = sync_now(w);
    if (rc == 0) {
        w->synced = true;
        w->last_sync_ms = now_ms;
    }
    return rc;
}

int64_t
tw_runlog_writer_commit_due(const tw_runlog_writer *w)
{
    if (!w || !w->dirty)
        return INT64_MAX;
    if (!w->synced)
        return INT64_MIN;
    return w->last_sync_ms + w->fsync_interval_ms;
}

/* Frames appended so far. */
uint64_t
tw_runlog_writer_frames(const tw_runlog_writer *w)
{
    return w ? w->frames : 0;
}

/* Bytes of the file in whole frames, header included. */
uint64_t
tw_runlog_writer_bytes(const tw_runlog_writer *w)
{
    return w ? w->bytes : 0;
}

/* Repairs a torn tail if one is left, fsyncs, closes and frees; see runlog.h. */
int
tw_runlog_writer_close(tw_runlog_writer **wp)
{
    if (!wp || !*wp)
        return 0;
    tw_runlog_writer *w = *wp;
    *wp = NULL;
    int rc = 0;
    if (w->tail_dirty)
        rc = repair_tail(w);
    if (w->dirty || !w->dir_synced) {
        int r = w->dirty ? sync_now(w) : sync_dir(w);
        if (rc == 0)
            rc = r;
    }
    if (close(w->fd) != 0 && rc == 0)
        rc = -errno;
    tw_runlog_zstd_destroy(&w->zstd);
    free(w->dir);
    free(w);
    return rc;
}

void
tw_runlog_writer_abandon(tw_runlog_writer **wp)
{
    if (!wp || !*wp)
        return;
    tw_runlog_writer *w = *wp;
    *wp = NULL;
    close(w->fd);
    tw_runlog_zstd_destroy(&w->zstd);
    free(w->dir);
    free(w);
}

/* ------------------------------------------------------------------------------------------ */
/* Reader                                                                                       */

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
    int version;          /* of the file's header: 1 or 2 (0 until checked) */
    tw_runlog_zstd *zstd; /* version 2: made at the first compressed frame */
    bool header_ok;
    bool inflated; /* the last frame was compressed (its records pre-read) */
    bool corrupt;  /* sticky */
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
    if (n > 0 && memcmp(p, TW_RUNLOG_MAGIC, n) != 0 && memcmp(p, TW_RUNLOG_MAGIC_V2, n) != 0) {
        if (n >= 7 && memcmp(p, TW_RUNLOG_MAGIC, 6) == 0 && p[6] > TW_RUNLOG_MAGIC_V2[6])
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

/* Replaces a compressed frame's stored bytes by its wire message. Returns TW_RUNLOG_FRAME,
 * CORRUPT (with the error sentence set) or -ENOMEM. */
static int
inflate_frame(tw_runlog_reader *r, const uint8_t **payload, size_t *len)
{
    if (!r->zstd && !(r->zstd = tw_runlog_zstd_new()))
        return -ENOMEM;
    char why[96];
    int rc = tw_runlog_zstd_decompress(r->zstd, *payload, *len, payload, len, why, sizeof why);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0) {
        set_error(r, "bad compressed data in frame %llu at byte %llu: %s",
                  (unsigned long long)r->frames + 1, (unsigned long long)r->offset, why);
        return TW_RUNLOG_CORRUPT;
    }
    r->inflated = true;
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
    r->inflated = false;
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
    return zstd ? inflate_frame(r, payload, len) : TW_RUNLOG_FRAME;
}

/* Opens a log file for reading; see runlog.h. */
tw_runlog_reader *
tw_runlog_reader_open(const char *path)
{
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    tw_runlog_reader *r = calloc(1, sizeof *r);
    if (!r) {
        errno = ENOMEM;
        return NULL;
    }
    r->fd = -1;
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
         memcmp(h, TW_RUNLOG_MAGIC_V2, sizeof h) == 0)) {
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
    tw_runlog_reader *r = calloc(1, sizeof *r);
    if (!r) {
        errno = ENOMEM;
        return NULL;
    }
    r->fd = -1;
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
    r->inflated = false;
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
    return r && r->inflated ? tw_runlog_zstd_pre_read(r->zstd, f) : 0;
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
    free(r->buf);
    free(r);
}
