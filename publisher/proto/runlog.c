/* runlog.c - the run log: its file names, and an append-only writer with group commit (the
 * validating reader is runlog_read.c).
 *
 * The writer knows the size of the file as far as whole frames go (`bytes`). A write that
 * fails part-way leaves the file longer than that, so it is truncated back at once, and if
 * the truncation fails too, before the next append: whole frames only, whatever the disk does.
 */
#include "runlog.h"
#include "runlog_zstd.h"
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

/* Stores v little-endian at p. */
static void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
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
    int level;            /* zstd level (format versions 2, 3), or 0: version 1, stored as sent */
    unsigned version;     /* of the file: 1, 2 or 3 */
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

/* Creates the log and writes its header (version 3 when level > 0); see runlog.h. */
tw_runlog_writer *
tw_runlog_writer_open_compressed(const char *path, int fsync_interval_ms, unsigned mode, int level)
{
    return tw_runlog_writer_open_version(path, fsync_interval_ms, mode, level,
                                         level > 0 ? TW_RUNLOG_VERSION : 1);
}

tw_runlog_writer *
tw_runlog_writer_open_version(const char *path, int fsync_interval_ms, unsigned mode, int level,
                              unsigned version)
{
    if (!path || !path[0] || fsync_interval_ms < 0 || (mode & ~0666u) != 0 || level < 0 ||
        level > 19 || version < 1 || version > TW_RUNLOG_VERSION ||
        (version == 1) != (level == 0)) {
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
    w->version = version;
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

    static const char *const magic[] = {TW_RUNLOG_MAGIC, TW_RUNLOG_MAGIC_V2, TW_RUNLOG_MAGIC_V3};
    struct iovec iov = {.iov_base = (void *)magic[version - 1], .iov_len = TW_RUNLOG_HEADER_SIZE};
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
    if (w->level > 0 &&
        tw_runlog_zstd_compress(w->zstd, w->level, w->version >= 3, payload, len, &z, &zlen) == 0) {
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
