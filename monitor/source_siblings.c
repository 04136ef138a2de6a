/* source_siblings.c - a live run's earlier incarnations: the run logs beside its own that
 * belong to the same run, read too so that a monitor started after a restart shows the whole
 * run.
 *
 * Design note. Logs are named after the run's display name (NAME-rRANK-INCARNATION.twlog),
 * and names repeat: a directory holds the logs of every earlier run of that name. A log beside
 * the live one is the same run's only when its first message says so: the same run id (another
 * incarnation of this launch, unless that one ended before the live one started: an earlier
 * launch that got the same id, doc/protocol.md §5.1), or a run the live one joins on resume
 * (doc/protocol.md §5.2: the latest earlier run of its name with the same world, and, when that one
 * resumed too, the one it joins, and so on). The live log's own first message gives the live run's
 * id and join; a publisher sends nothing before it is announced (within its first heartbeat
 * interval), so while its log is still empty the question waits for a later registry scan. */
#define _GNU_SOURCE
#include "source_impl.h"

#include "registry.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENTITY_FRAMES 64   /* frames read at most to find a log's RUN record */
#define SIBLINGS_MAX    4096 /* candidate logs looked at in one directory */

/* What a log's first messages say about its run. */
typedef struct identity {
    bool known; /* a message was read */
    char run[TW_WIRE_MAX_NAME + 1], join[TW_WIRE_MAX_NAME + 1], name[TW_WIRE_MAX_NAME + 1];
    uint32_t world;
    double start; /* its RUN record's time; 0: none read */
    double ended; /* its RUN_END's time (read only with `whole`); 0: none */
    bool whole;   /* read to the end */
    bool chosen;  /* (candidates) belongs to the live run */
} identity;

static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    identity *id = ctx;
    if (!id->known) {
        id->known = true;
        snprintf(id->run, sizeof id->run, "%s", h->run);
        snprintf(id->join, sizeof id->join, "%s", h->join);
        id->world = h->world;
    }
    if (r->type == TW_REC_RUN_END)
        id->ended = r->time;
    if (r->type != TW_REC_RUN || id->start > 0)
        return 0;
    snprintf(id->name, sizeof id->name, "%s", r->name);
    id->start = r->time;
    return id->whole ? 0 : 1; /* enough */
}

/* The identity of the log at path (id->known false when it has no message yet): from its
 * first messages, or with whole from all of them (whether it ended, and when). */
static void
read_identity(tw_wire_decoder *d, const char *path, identity *id, bool whole)
{
    memset(id, 0, sizeof *id);
    id->whole = whole;
    tw_runlog_reader *rd = tw_runlog_reader_open(path);
    if (!rd)
        return;
    const uint8_t *p;
    size_t len;
    for (int i = 0; whole || i < IDENTITY_FRAMES; i++)
        if (tw_runlog_reader_next(rd, &p, &len) != TW_RUNLOG_FRAME ||
            tw_wire_decode(d, p, len, on_record, id) == 1)
            break;
    tw_runlog_reader_close(&rd);
}

/* The candidates of the live run l: its own run id's, then the run it joins (the latest
 * earlier run of its join name with its world), the run that one joins, ... */
static void
choose(const identity *l, identity *c, size_t n)
{
    for (size_t i = 0; i < n; i++) /* the run id's, but not an earlier launch that got it */
        c[i].chosen = c[i].known && strcmp(c[i].run, l->run) == 0 &&
                      !(c[i].ended > 0 && l->start > 0 && c[i].ended < l->start);
    const identity *cur = l;
    for (size_t hops = 0; cur->join[0] && hops < n; hops++) {
        const identity *best = NULL;
        for (size_t i = 0; i < n; i++)
            if (c[i].known && !c[i].chosen && c[i].start > 0 && strcmp(c[i].name, cur->join) == 0 &&
                c[i].world == cur->world && (cur->start <= 0 || c[i].start < cur->start) &&
                (!best || c[i].start > best->start))
                best = &c[i];
        if (!best)
            break;
        for (size_t i = 0; i < n; i++)
            c[i].chosen |= c[i].known && strcmp(c[i].run, best->run) == 0;
        cur = best;
    }
}

/* The run-log files of run (the sanitized name) in dir other than own, their identities read.
 * Returns how many (*paths and *ids malloc'd, the caller frees), or -1. */
static long
candidates(tw_wire_decoder *d, const char *dir, const char *run, const char *own,
           const identity *live, char ***paths, identity **ids)
{
    DIR *dh = opendir(dir[0] ? dir : "/");
    if (!dh)
        return -1;
    size_t n = 0, cap = 0;
    *paths = NULL;
    *ids = NULL;
    struct dirent *de;
    while ((de = readdir(dh)) && n < SIBLINGS_MAX) {
        char path[4096];
        if (!tw_runlog_is_file_of(de->d_name, run) || strcmp(de->d_name, own) == 0 ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **np = realloc(*paths, cap * sizeof *np);
            if (np)
                *paths = np;
            identity *ni = np ? realloc(*ids, cap * sizeof *ni) : NULL;
            if (!ni)
                break;
            *ids = ni;
        }
        if (!((*paths)[n] = strdup(path)))
            break;
        read_identity(d, path, &(*ids)[n], false);
        if ((*ids)[n].known && strcmp((*ids)[n].run, live->run) == 0) /* did it end before? */
            read_identity(d, path, &(*ids)[n], true);
        n++;
    }
    closedir(dh);
    return (long)n;
}

/* Reads the same run's other logs beside e's. Returns false when e's own log has no message
 * yet (its id and join unknown): ask again later. */
static bool
add_siblings(tw_sources *s, const tw_registry_entry *e)
{
    char dir[4096], run[TW_WIRE_MAX_NAME + 1];
    const char *slash = strrchr(e->log, '/');
    if (!slash || (size_t)(slash - e->log) >= sizeof dir)
        return true;
    memcpy(dir, e->log, (size_t)(slash - e->log));
    dir[slash - e->log] = '\0';
    /* the logs' common part (the run's name, sanitized): the file name before "-rRANK-" */
    const char *tail = strrchr(slash + 1, '-');
    while (tail && tail > slash + 2 && !(tail[-1] == 'r' && tail[-2] == '-'))
        tail--;
    if (!tail || tail <= slash + 3 || (size_t)(tail - 2 - (slash + 1)) >= sizeof run)
        return true;
    memcpy(run, slash + 1, (size_t)(tail - 2 - (slash + 1)));
    run[tail - 2 - (slash + 1)] = '\0';
    tw_wire_decoder *d = tw_wire_decoder_new();
    if (!d)
        return true;
    identity live;
    read_identity(d, e->log, &live, false);
    if (!live.known) {
        tw_wire_decoder_destroy(&d);
        return false;
    }
    char **paths;
    identity *ids;
    long n = candidates(d, dir, run, slash + 1, &live, &paths, &ids);
    tw_wire_decoder_destroy(&d);
    if (n < 0)
        return true;
    choose(&live, ids, (size_t)n);
    for (long i = 0; i < n; i++) {
        char err[512];
        if (ids[i].chosen)
            tw_sources_add_log(s, paths[i], false, err, sizeof err); /* a failure is reported */
        free(paths[i]);
    }
    free(paths);
    free(ids);
    return true;
}

void
tw_sources_siblings(tw_sources *s, const tw_registry_entry *e, bool found_now)
{
    size_t w = 0;
    while (w < s->n_sibling_wait && strcmp(s->sibling_wait[w], e->log) != 0)
        w++;
    bool waiting = w < s->n_sibling_wait;
    if (!e->log[0] || (!found_now && !waiting))
        return;
    if (!add_siblings(s, e)) {
        size_t max = sizeof s->sibling_wait / sizeof *s->sibling_wait;
        if (!waiting && s->n_sibling_wait < max &&
            (s->sibling_wait[s->n_sibling_wait] = strdup(e->log)))
            s->n_sibling_wait++;
        return;
    }
    if (waiting) {
        free(s->sibling_wait[w]);
        s->sibling_wait[w] = s->sibling_wait[--s->n_sibling_wait];
    }
}
