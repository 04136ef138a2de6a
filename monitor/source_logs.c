/* source_logs.c - the sources' run logs: files and directories added, read in bounded
 * batches, closed once read to their end and opened again when they grow, and whether their
 * writers are still alive (the registry).
 *
 * Design note. A log holds no descriptor and no buffer while it waits: a reader is opened
 * when there is something to read and closed (its offset kept) at the end of the file, so a
 * directory of any number of logs costs one descriptor and one buffer at a time, and about
 * a hundred bytes a log. A rescan (once a second) stats the logs that may still grow and
 * reads again those whose size changed. A log that cannot be opened is reported once (again
 * only when the reason changes) and retried at each rescan; it is not a message, so it is not
 * counted as one that failed to decode. A log without its run-end record is followed while
 * its writer lives: a registry entry of a live process names it, or (a writer with another
 * runtime directory, or none: TRAINWATCH_ENDPOINT set) the file grew within its growth window
 * (GROW_BEATS of its heartbeat, at least GROW_MIN_SECONDS; on the monotonic clock, from the
 * age of its mtime at first). A log not written for that long is settled at once. */
#define _GNU_SOURCE
#include "source_impl.h"

#include "clock.h"
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A backlog of at least this many bytes (about 70 000 compressed records, 7 ms of reading) is
 * read ahead by a thread when reading ahead is on (tw_sources_set_read_ahead); a log followed
 * as it grows comes in small steps, read here. */
#define AHEAD_MIN_BYTES ((uint64_t)1 << 20)

/* A log read to its end without a run end is live while it grew within the last GROW_BEATS
 * heartbeats (its declared one, else DEFAULT_HEARTBEAT), and at least GROW_MIN_SECONDS. */
#define GROW_BEATS        3.0
#define GROW_MIN_SECONDS  3.0
#define DEFAULT_HEARTBEAT 1.0

static double
grow_window(const log_source *l)
{
    return fmax(GROW_BEATS * (l->hb > 0 ? l->hb : DEFAULT_HEARTBEAT), GROW_MIN_SECONDS);
}

/* Notes st, the stat of log l, at monotonic time now: a new size or mtime is a change. */
static void
note_stat(log_source *l, const struct stat *st, double now)
{
    if ((uint64_t)st->st_size != l->size || st->st_mtim.tv_sec != l->mtime.tv_sec ||
        st->st_mtim.tv_nsec != l->mtime.tv_nsec)
        l->changed_at = now;
    l->mtime = st->st_mtim;
}

/* Tells the problem callback about log l (where: its path). */
static void
problem(tw_sources *s, const log_source *l, const char *what)
{
    if (s->cb.problem)
        s->cb.problem(s->cb.ctx, l->path, what);
}

/* Opens l's reader where it stopped. Returns true, or false with the failure reported (once
 * for each new reason). */
static bool
open_log(tw_sources *s, log_source *l)
{
    l->reader = tw_runlog_reader_open_at(l->path, l->offset, l->frames);
    if (l->reader) {
        l->open_error = 0;
        /* its frames go only to the decoder with their records read (tw_wire_decode_batch):
           version 3's may come as skeletons, their records' bytes spared (runlog.h) */
        tw_runlog_reader_set_skeleton(l->reader, true);
        return true;
    }
    int e = errno;
    if (e != l->open_error) {
        char what[320];
        snprintf(what, sizeof what, "cannot read it: %s", strerror(e));
        problem(s, l, what);
    }
    l->open_error = e;
    l->failed = true;
    return false;
}

/* Where l's reading stands: the offset of its next frame, and the frames read. */
static uint64_t
log_offset(const log_source *l)
{
    return l->ahead ? tw_log_ahead_offset(l->ahead) : tw_runlog_reader_offset(l->reader);
}

/* Closes l's reader, keeping where it stopped. */
static void
close_log(log_source *l)
{
    if (!l->reader)
        return;
    l->offset = log_offset(l);
    l->frames = l->ahead ? tw_log_ahead_frames(l->ahead) : tw_runlog_reader_frames(l->reader);
    tw_log_ahead_stop(&l->ahead);
    tw_runlog_reader_close(&l->reader);
}

int
tw_sources_add_log(tw_sources *s, const char *path, bool named, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_logs; i++)
        if (strcmp(s->logs[i].path, path) == 0)
            return 0;
    struct stat st;
    if (named) { /* a file named on the command line: an error now, not a report later */
        tw_runlog_reader *r = tw_runlog_reader_open(path);
        if (!r) {
            int e = errno;
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
            return -e;
        }
        tw_runlog_reader_close(&r);
    }
    log_source *logs = tw_sources_table_grow(s->logs, &s->cap_logs, s->n_logs, sizeof(*s->logs),
                                             SIZE_MAX / sizeof(*s->logs));
    if (!logs)
        return -ENOMEM;
    s->logs = logs; /* grown (maybe moved) whether or not the copy below succeeds */
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    log_source *l = &s->logs[s->n_logs++];
    memset(l, 0, sizeof(*l));
    l->path = copy;
    l->named = named;
    l->changed_at = -INFINITY;
    if (stat(path, &st) == 0) {
        double age = tw_clock_wall() - ((double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9);
        l->changed_at = tw_clock_mono() - fmax(age, 0); /* last written that long ago */
        l->mtime = st.st_mtim;
        l->size = (uint64_t)st.st_size;
        l->dev = st.st_dev;
        l->ino = st.st_ino;
    }
    s->stats.logs++;
    if (!named && open_log(s, l)) /* a directory's entry: tried now, reported once */
        close_log(l);
    return 0;
}

static bool
has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A log file found in a directory, with when it was last written. */
typedef struct found {
    char *path;
    struct timespec mtime;
} found;

static int
by_mtime(const void *a, const void *b)
{
    const found *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->path, y->path);
}

static bool
known(const tw_sources *s, const char *path)
{
    for (size_t i = 0; i < s->n_logs; i++)
        if (strcmp(s->logs[i].path, path) == 0)
            return true;
    return false;
}

/* The logs of dir not added yet (*out, malloc'd, with their paths); how many, or -ENOMEM. */
static long
new_logs(tw_sources *s, DIR *d, const char *dir, found **out)
{
    size_t n = 0, cap = 0;
    found *f = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[4096];
        struct stat st;
        if (!has_suffix(de->d_name, ".twlog") ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path ||
            known(s, path))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            found *nf = realloc(f, cap * sizeof *nf);
            if (!nf)
                break;
            f = nf;
        }
        if (!(f[n].path = strdup(path)))
            break;
        f[n].mtime = stat(path, &st) == 0 ? st.st_mtim : (struct timespec){0, 0};
        n++;
    }
    if (de) { /* out of memory */
        while (n)
            free(f[--n].path);
        free(f);
        f = NULL;
    }
    *out = f;
    return de ? -ENOMEM : (long)n;
}

int
tw_sources_scan_dir(tw_sources *s, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        snprintf(err, errlen, "cannot read directory %s: %s", dir, strerror(e));
        return -e;
    }
    found *f;
    long n = new_logs(s, d, dir, &f);
    closedir(d);
    int rc = n < 0 ? (int)n : 0;
    size_t count = n < 0 ? 0 : (size_t)n;
    /* oldest first: the logs are read one after the other, in the order of their runs (a
     * later launch that got an earlier one's run id comes after it, doc/protocol.md §5.1) */
    if (count > 1)
        qsort(f, count, sizeof *f, by_mtime);
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = tw_sources_add_log(s, f[i].path, false, err, errlen); /* only -ENOMEM */
        free(f[i].path);
    }
    free(f);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "cannot read directory %s: %s", dir, strerror(ENOMEM));
    return rc;
}

/* Decodes one frame of log l. */
static void
decode_frame(tw_sources *s, log_source *l, const uint8_t *payload, size_t len)
{
    s->stats.frames++;
    s->current_log = l;
    s->now = tw_clock_mono(); /* once a frame, not a record */
    uint64_t before = s->stats.records;
    const struct tw_wire_fast *pre;
    size_t n_pre = l->ahead ? tw_log_ahead_pre_read(l->ahead, &pre)
                            : tw_runlog_reader_pre_read(l->reader, &pre); /* not read again */
    int drc = tw_wire_decode_batch(s->dec, payload, len, pre, n_pre, tw_sources_deliver,
                                   s->cb.records ? tw_sources_deliver_states : NULL, s);
    s->current_log = NULL;
    l->records += s->stats.records - before;
    if (drc < 0) {
        s->stats.rejected++;
        bool first = l->bad_frames++ == 0; /* the first of a log is told, the others counted */
        if (s->cb.rejected)
            s->cb.rejected(s->cb.ctx, l->path, drc,
                           !first           ? NULL
                           : drc == -EPROTO ? "written by a newer trainwatch (its protocol "
                                              "version is not supported); not read"
                                            : "a frame that does not decode");
    }
    if (l->saw_end)
        l->finished = true;
}

/* Reads log l until its end, its run end or the budget; returns the frames read. */
static int
read_log(tw_sources *s, log_source *l, int budget)
{
    int frames = 0;
    if (!l->reader) {
        if (!open_log(s, l)) {
            l->at_end = true; /* retried at the next rescan */
            return 0;
        }
        if (s->read_ahead && l->size > l->offset && l->size - l->offset >= AHEAD_MIN_BYTES &&
            (l->ahead = tw_log_ahead_start(l->reader, TW_LOG_AHEAD_SLOTS))) /* NULL: read here */
            s->stats.ahead++;
    }
    while (!l->finished && !l->at_end && frames < budget) {
        const uint8_t *payload;
        size_t len;
        int rc = l->ahead ? tw_log_ahead_next(l->ahead, &payload, &len)
                          : tw_runlog_reader_next(l->reader, &payload, &len);
        if (rc == TW_RUNLOG_FRAME) {
            frames++;
            decode_frame(s, l, payload, len);
        } else if (rc == TW_RUNLOG_END || rc == TW_RUNLOG_TORN) {
            l->at_end = true;
        } else {
            l->finished = true;
            l->failed = true;
            problem(s, l,
                    rc < 0     ? strerror(-rc)
                    : l->ahead ? tw_log_ahead_error(l->ahead)
                               : tw_runlog_reader_error(l->reader));
        }
    }
    if (l->finished || l->at_end)
        close_log(l); /* its descriptor and buffer are not kept while it waits */
    return frames;
}

void
tw_sources_set_read_ahead(tw_sources *s, bool on)
{
    s->read_ahead = on;
}

int
tw_sources_read_logs(tw_sources *s, int budget)
{
    uint64_t before = s->stats.records;
    for (size_t i = 0; i < s->n_logs && budget > 0; i++)
        if (!s->logs[i].finished && !s->logs[i].at_end)
            budget -= read_log(s, &s->logs[i], budget);
    return (int)(s->stats.records - before);
}

/* Registry callback: marks the logs a live process writes. */
static int
on_writer(void *ctx, const tw_registry_entry *e)
{
    tw_sources *s = ctx;
    struct stat st;
    if (!e->alive || !e->log[0] || stat(e->log, &st) != 0)
        return 0;
    for (size_t i = 0; i < s->n_logs; i++) {
        log_source *l = &s->logs[i];
        if (!l->finished && l->dev == st.st_dev && l->ino == st.st_ino)
            l->writer_alive = true;
    }
    return 0;
}

void
tw_sources_rescan_logs(tw_sources *s)
{
    bool open_runs = false;
    double now = tw_clock_mono();
    for (size_t i = 0; i < s->n_logs; i++) {
        log_source *l = &s->logs[i];
        l->writer_alive = l->growing = false;
        if (l->finished)
            continue;
        open_runs = true;
        struct stat st;
        if (stat(l->path, &st) != 0)
            continue;
        note_stat(l, &st, now);
        l->growing = now - l->changed_at <= grow_window(l);
        bool other = st.st_ino != l->ino || st.st_dev != l->dev; /* replaced: read it afresh */
        if (other)
            l->offset = l->frames = 0;
        if (other || (uint64_t)st.st_size != l->size || l->failed) {
            l->at_end = l->failed = false; /* grew, or was unreadable: try again */
            l->size = (uint64_t)st.st_size;
            l->dev = st.st_dev;
            l->ino = st.st_ino;
        }
    }
    char dir[TW_ENDPOINT_PATH_MAX], err[512];
    if (open_runs && tw_endpoint_runtime_dir(dir, sizeof dir, err, sizeof err) == 0)
        tw_registry_scan(dir, false, on_writer, s);
}

bool
tw_sources_logs_live(const tw_sources *s)
{
    for (size_t i = 0; i < s->n_logs; i++)
        if (!s->logs[i].finished && (s->logs[i].writer_alive || s->logs[i].growing))
            return true;
    return false;
}

bool
tw_sources_log_pending(const tw_sources *s)
{
    for (size_t i = 0; i < s->n_logs; i++)
        if (!s->logs[i].finished && !s->logs[i].at_end)
            return true;
    return false;
}

void
tw_sources_log_progress(const tw_sources *s, uint64_t *done, uint64_t *total)
{
    *done = *total = 0;
    for (size_t i = 0; i < s->n_logs; i++) {
        const log_source *l = &s->logs[i];
        uint64_t at = l->reader ? log_offset(l) : l->offset;
        if (l->finished || l->at_end || at > l->size)
            at = l->size;
        *done += at;
        *total += l->size;
    }
}

/* Whether the logs of directory dir (all of them when dir is NULL: a named file's own entry
 * is checked alone) gave nothing usable: at least one, none decoded a record, one failed. */
static bool
dir_unusable(const tw_sources *s, const char *dir)
{
    size_t n = strlen(dir), logs = 0;
    bool failed = false;
    for (size_t i = 0; i < s->n_logs; i++) {
        const log_source *l = &s->logs[i];
        if (l->named || strncmp(l->path, dir, n) != 0 || l->path[n] != '/')
            continue;
        if (l->records > 0)
            return false;
        logs++;
        failed |= l->failed || l->bad_frames > 0;
    }
    return logs > 0 && failed;
}

const char *
tw_sources_unusable(const tw_sources *s)
{
    for (size_t i = 0; i < s->n_logs; i++) {
        const log_source *l = &s->logs[i];
        if (l->named && l->records == 0 && (l->failed || l->bad_frames > 0))
            return l->path;
    }
    for (size_t i = 0; i < s->n_dirs; i++)
        if (dir_unusable(s, s->dirs[i]))
            return s->dirs[i];
    return NULL;
}
