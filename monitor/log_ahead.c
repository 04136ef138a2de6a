/* log_ahead.c - a run log read ahead by a thread of its own (log_ahead.h).
 *
 * The slots are a ring: `made` results were put in it by the thread, `freed` were given back
 * by the caller (the caller holds slot freed % n, its last result, until its next call). The
 * thread fills slot made % n while made - freed < n. Each side sleeps on a condition variable
 * only when it must, and is woken only when it sleeps: the caller when a result is made, the
 * thread when half the slots are free again (so that it is woken once for several frames, not
 * once a frame).
 *
 * Memory: a frame can be 16 MiB (TW_WIRE_MAX_MESSAGE), and the reader keeps one buffer per
 * slot, each as large as the largest frame it held. The publisher's messages are at most
 * 256 KiB, so the thread stops after a frame of more than BIG_FRAME (a log not written by it,
 * or hostile): the kept buffers hold at most (slots - 1) x 1 MiB and one frame, and once the
 * thread has ended the reader keeps one frame again, as without it. */
#define _GNU_SOURCE
#include "log_ahead.h"

#include "sigmask.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger than any message of the publisher's (256 KiB and one record); see above. */
#define BIG_FRAME ((size_t)1 << 20)

/* One result: what the reader returned and said after it. The frame's bytes and pre-read
 * records are the reader's, kept (tw_runlog_reader_keep) for as many results as there are
 * slots. */
typedef struct slot {
    int rc;
    bool last; /* the thread's last result (not a frame, or a big one) */
    const uint8_t *payload;
    size_t len;
    const struct tw_wire_fast *pre;
    size_t n_pre;
    uint64_t offset, frames;
    char error[192];
} slot;

struct tw_log_ahead {
    tw_runlog_reader *r;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t made_one, room;
    unsigned n;
    slot *s;
    /* under mu */
    uint64_t made, freed;
    bool stop, thread_waits, caller_waits;
    /* the caller's only */
    slot *cur;        /* the last result returned, NULL before the first */
    bool last;        /* cur is the thread's last result: it has ended */
    bool joined;      /* the thread was joined after its last result: r is the caller's */
    uint64_t offset0; /* the reader's offset and frames at the start */
    uint64_t frames0;
};

/* Reads the next result of the reader into slot sl. */
static void
read_into(tw_log_ahead *a, slot *sl)
{
    sl->rc = tw_runlog_reader_next(a->r, &sl->payload, &sl->len);
    sl->last = sl->rc != TW_RUNLOG_FRAME || sl->len > BIG_FRAME;
    sl->n_pre = tw_runlog_reader_pre_read(a->r, &sl->pre);
    sl->offset = tw_runlog_reader_offset(a->r);
    sl->frames = tw_runlog_reader_frames(a->r);
    snprintf(sl->error, sizeof sl->error, "%s", tw_runlog_reader_error(a->r));
}

static void *
run(void *arg)
{
    tw_log_ahead *a = arg;
    pthread_setname_np(pthread_self(), "trainwatch-read"); /* top -H; the tests find it so */
    for (bool more = true; more;) {
        pthread_mutex_lock(&a->mu);
        while (!a->stop && a->made - a->freed >= a->n) {
            a->thread_waits = true;
            pthread_cond_wait(&a->room, &a->mu);
        }
        a->thread_waits = false;
        bool stop = a->stop;
        slot *sl = &a->s[a->made % a->n];
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
        read_into(a, sl); /* the slot is the thread's: made - freed < n */
        more = !sl->last;
        pthread_mutex_lock(&a->mu);
        a->made++;
        if (a->caller_waits)
            pthread_cond_signal(&a->made_one);
        pthread_mutex_unlock(&a->mu);
    }
    return NULL;
}

tw_log_ahead *
tw_log_ahead_start(tw_runlog_reader *r, unsigned slots)
{
    if (!r) {
        errno = EINVAL;
        return NULL;
    }
    tw_log_ahead *a = calloc(1, sizeof *a);
    if (!a) {
        errno = ENOMEM;
        return NULL;
    }
    a->r = r;
    a->n = slots < 2 ? 2 : slots > TW_LOG_AHEAD_SLOTS ? TW_LOG_AHEAD_SLOTS : slots;
    a->offset0 = tw_runlog_reader_offset(r);
    a->frames0 = tw_runlog_reader_frames(r);
    a->s = calloc(a->n, sizeof *a->s);
    int err = !a->s ? ENOMEM : tw_runlog_reader_keep(r, a->n) != 0 ? EINVAL : 0;
    if (!err && (err = pthread_mutex_init(&a->mu, NULL)) == 0) {
        if ((err = pthread_cond_init(&a->made_one, NULL)) == 0) {
            if ((err = pthread_cond_init(&a->room, NULL)) == 0) {
                sigset_t mask, old; /* the monitor's signals reach its loop (sigmask.h) */
                tw_sigmask_thread(&mask);
                pthread_sigmask(SIG_SETMASK, &mask, &old);
                err = pthread_create(&a->thread, NULL, run, a);
                pthread_sigmask(SIG_SETMASK, &old, NULL);
                if (err == 0)
                    return a;
                pthread_cond_destroy(&a->room);
            }
            pthread_cond_destroy(&a->made_one);
        }
        pthread_mutex_destroy(&a->mu);
    }
    tw_runlog_reader_keep(r, 1);
    free(a->s);
    free(a);
    errno = err;
    return NULL;
}

int
tw_log_ahead_next(tw_log_ahead *a, const uint8_t **payload, size_t *len)
{
    if (!a || !payload || !len)
        return -EINVAL;
    *payload = NULL;
    *len = 0;
    if (a->last) { /* the thread has ended: the reader is the caller's */
        if (!a->joined) {
            pthread_join(a->thread, NULL);
            a->joined = true;
            tw_runlog_reader_keep(a->r, 1); /* no frame of its is held any more */
        }
        a->cur = NULL;
        return tw_runlog_reader_next(a->r, payload, len);
    }
    pthread_mutex_lock(&a->mu);
    if (a->cur) {
        a->freed++;
        if (a->thread_waits && a->made - a->freed <= a->n / 2)
            pthread_cond_signal(&a->room);
    }
    while (a->made == a->freed) {
        a->caller_waits = true;
        pthread_cond_wait(&a->made_one, &a->mu);
    }
    a->caller_waits = false;
    a->cur = &a->s[a->freed % a->n];
    pthread_mutex_unlock(&a->mu);
    slot *sl = a->cur;
    a->last = sl->last;
    if (sl->rc < 0) /* an error (out of memory, a read that failed): the reader, which did */
        return tw_log_ahead_next(a, payload, len); /* not move, tries again keeping one frame */
    *payload = sl->payload;
    *len = sl->len;
    return sl->rc;
}

size_t
tw_log_ahead_pre_read(const tw_log_ahead *a, const struct tw_wire_fast **f)
{
    *f = NULL;
    if (!a)
        return 0;
    if (!a->cur)
        return a->joined ? tw_runlog_reader_pre_read(a->r, f) : 0;
    *f = a->cur->pre;
    return a->cur->n_pre;
}

uint64_t
tw_log_ahead_offset(const tw_log_ahead *a)
{
    if (!a)
        return 0;
    return a->cur ? a->cur->offset : a->joined ? tw_runlog_reader_offset(a->r) : a->offset0;
}

uint64_t
tw_log_ahead_frames(const tw_log_ahead *a)
{
    if (!a)
        return 0;
    return a->cur ? a->cur->frames : a->joined ? tw_runlog_reader_frames(a->r) : a->frames0;
}

const char *
tw_log_ahead_error(const tw_log_ahead *a)
{
    if (!a)
        return "";
    return a->cur ? a->cur->error : a->joined ? tw_runlog_reader_error(a->r) : "";
}

void
tw_log_ahead_stop(tw_log_ahead **ap)
{
    if (!ap || !*ap)
        return;
    tw_log_ahead *a = *ap;
    *ap = NULL;
    if (!a->joined) {
        pthread_mutex_lock(&a->mu);
        a->stop = true;
        pthread_cond_signal(&a->room);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
    pthread_cond_destroy(&a->room);
    pthread_cond_destroy(&a->made_one);
    pthread_mutex_destroy(&a->mu);
    tw_runlog_reader_keep(a->r, 1); /* its other buffers freed */
    free(a->s);
    free(a);
}
