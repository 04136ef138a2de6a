/* test_log_ahead.c - a run log read ahead by a thread (monitor/log_ahead.c) gives exactly what
 * the reader gives (frames, pre-read records, statuses, offsets, sentences) on clean, torn,
 * corrupt and growing logs, with any number of slots; it stops at once wherever it is; and the
 * sources deliver the same records with and without it. Also run under ThreadSanitizer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "log_ahead.h"
#include "runlog.h"
#include "source.h"
#include "threadmask.h"
#include "tmpdir.h"
#include "wire.h"
#include "wire_fast.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FRAMES 40

static char *
path_of(const char *name)
{
    static char path[2][320];
    static int k;
    k ^= 1;
    snprintf(path[k], sizeof path[k], "%s/%s", tmp_root, name);
    return path[k];
}

/* Frame i's message: 60 UPDATEs of a few metrics (compressed, its records pre-read), or every
 * fifth, pseudo-random bytes (stored as sent). Into e's buffer or buf; *len its length. */
static const uint8_t *
frame_message(tw_wire_encoder *e, int i, uint8_t *buf, size_t cap, size_t *len)
{
    uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    if (i % 5 == 3) {
        *len = 300 + (size_t)i * 7;
        assert_true(*len <= cap);
        for (size_t k = 0; k < *len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[k] = (uint8_t)x;
        }
        return buf;
    }
    tw_wire_header h = {.run = "ahead", .incarnation = 7, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    for (int k = 0; k < 60; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double st[4] = {(double)(x % 1000) / 7.0, 1.0 + k, 0.5, 2.0};
        tw_wire_record r = {.type = TW_REC_UPDATE,
                            .seq = 1 + (uint64_t)i * 60 + (uint64_t)k,
                            .metric_id = (uint32_t)(k % 6),
                            .epoch = 1 + (uint64_t)i / 10,
                            .step = (uint64_t)i * 10 + (uint64_t)k / 6,
                            .time = 1.7e9 + i + k / 100.0,
                            .state = st,
                            .state_len = 4};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    const uint8_t *msg;
    assert_int_equal(tw_wire_encoder_finish(e, &msg, len), 0);
    return msg;
}

/* Writes frames [0, n) into name (compressed where that pays). */
static void
write_log(const char *name, int n)
{
    tw_runlog_writer *w = tw_runlog_writer_open_compressed(path_of(name), 0, 0600, 1);
    assert_non_null(w);
    tw_wire_encoder *e = tw_wire_encoder_new();
    static uint8_t buf[4096];
    for (int i = 0; i < n; i++) {
        size_t len;
        const uint8_t *m = frame_message(e, i, buf, sizeof buf, &len);
        assert_int_equal(tw_runlog_writer_append(w, m, len), 0);
    }
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    tw_wire_encoder_destroy(&e);
}

/* The bytes of file name. */
static uint8_t *
slurp(const char *name, size_t *len)
{
    FILE *f = fopen(path_of(name), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void
spit(const char *name, const uint8_t *b, size_t len, const char *mode)
{
    FILE *f = fopen(path_of(name), mode);
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The offset of frame k (0-based) in the log bytes b. */
static size_t
frame_at(const uint8_t *b, size_t len, int k)
{
    size_t at = TW_RUNLOG_HEADER_SIZE;
    for (int i = 0; i < k; i++) {
        assert_true(at + 8 <= len);
        uint32_t w = (uint32_t)b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 |
                     (uint32_t)b[at + 3] << 24;
        at += 8 + (w & ~TW_RUNLOG_ZSTD);
    }
    return at;
}

static void
nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One result of the plain reader p and the same of the read-ahead a are the same: status,
 * bytes, pre-read records (the same fields at the same places), offset, frames, sentence. */
static int
step_both(tw_runlog_reader *p, tw_log_ahead *a)
{
    const uint8_t *pp, *ap;
    size_t pl, al;
    int rc = tw_runlog_reader_next(p, &pp, &pl);
    assert_int_equal(tw_log_ahead_next(a, &ap, &al), rc);
    assert_int_equal(al, pl);
    if (pl)
        assert_memory_equal(ap, pp, pl);
    const struct tw_wire_fast *pf, *af;
    size_t pn = tw_runlog_reader_pre_read(p, &pf);
    assert_int_equal(tw_log_ahead_pre_read(a, &af), pn);
    for (size_t i = 0; i < pn; i++) {
        assert_true(af[i].start - ap == pf[i].start - pp);
        assert_true(af[i].state - ap == pf[i].state - pp);
        assert_true(af[i].next - ap == pf[i].next - pp);
        assert_int_equal(af[i].seq, pf[i].seq);
        assert_int_equal(af[i].step, pf[i].step);
        assert_int_equal(af[i].epoch, pf[i].epoch);
        assert_int_equal(af[i].metric_id, pf[i].metric_id);
        assert_true(af[i].time == pf[i].time);
        assert_int_equal(af[i].state_len, pf[i].state_len);
        assert_int_equal(af[i].type, pf[i].type);
    }
    assert_int_equal(tw_log_ahead_offset(a), tw_runlog_reader_offset(p));
    assert_int_equal(tw_log_ahead_frames(a), tw_runlog_reader_frames(p));
    assert_string_equal(tw_log_ahead_error(a), tw_runlog_reader_error(p));
    return rc;
}

/* Reads log name both ways to the first status that is not a frame (the consumer napping now
 * and then, so that the ring fills and the thread waits); returns that status and the frames
 * and pre-read records seen. */
static int
compare(const char *name, unsigned slots, int *frames, size_t *pre)
{
    tw_runlog_reader *p = tw_runlog_reader_open(path_of(name));
    tw_runlog_reader *r = tw_runlog_reader_open(path_of(name));
    assert_non_null(p);
    assert_non_null(r);
    tw_log_ahead *a = tw_log_ahead_start(r, slots);
    assert_non_null(a);
    assert_int_equal(tw_log_ahead_offset(a), 0); /* before any result: the reader's */
    assert_string_equal(tw_log_ahead_error(a), "");
    int rc;
    *frames = 0;
    *pre = 0;
    while ((rc = step_both(p, a)) == TW_RUNLOG_FRAME) {
        const struct tw_wire_fast *f;
        *pre += tw_log_ahead_pre_read(a, &f);
        if (++*frames % 9 == 0)
            nap_ms(5);
    }
    for (int i = 0; i < 2; i++) /* after the last: the reader itself, as the plain one */
        assert_int_equal(step_both(p, a), rc);
    tw_log_ahead_stop(&a);
    assert_null(a);
    tw_runlog_reader_close(&r);
    tw_runlog_reader_close(&p);
    return rc;
}

/* A clean log, with 2, 3 and 8 slots (and out-of-range counts clamped): every frame, record
 * and offset as the reader gives them; the compressed frames' records pre-read. */
static void
test_same_as_reader(void **state)
{
    (void)state;
    write_log("clean.twlog", FRAMES);
    static const unsigned slots[] = {0, 2, 3, 8, 100};
    for (size_t i = 0; i < sizeof slots / sizeof *slots; i++) {
        int frames;
        size_t pre;
        assert_int_equal(compare("clean.twlog", slots[i], &frames, &pre), TW_RUNLOG_END);
        assert_int_equal(frames, FRAMES);
        assert_int_equal(pre, (size_t)(FRAMES - FRAMES / 5) * 60);
    }
}

/* A frame of 1.5 MiB among the usual ones (larger than any of the publisher's: the thread
 * stops after it and the reader is read directly from then on): the same results all along. */
static void
test_big_frame(void **state)
{
    (void)state;
    tw_runlog_writer *w = tw_runlog_writer_open_compressed(path_of("bigframe.twlog"), 0, 0600, 1);
    assert_non_null(w);
    tw_wire_encoder *e = tw_wire_encoder_new();
    static uint8_t buf[4096];
    size_t big_len = 3u << 19;
    uint8_t *big = malloc(big_len);
    assert_non_null(big);
    uint64_t x = 2463534242u;
    for (size_t k = 0; k < big_len; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        big[k] = (uint8_t)x;
    }
    for (int i = 0; i < 24; i++) {
        size_t len;
        const uint8_t *m = frame_message(e, i, buf, sizeof buf, &len);
        if (i == 11)
            assert_int_equal(tw_runlog_writer_append(w, big, big_len), 0);
        assert_int_equal(tw_runlog_writer_append(w, m, len), 0);
    }
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    tw_wire_encoder_destroy(&e);
    free(big);
    int frames;
    size_t pre;
    assert_int_equal(compare("bigframe.twlog", 4, &frames, &pre), TW_RUNLOG_END);
    assert_int_equal(frames, 25);
}

/* Torn in the middle of frame 30, and a flipped byte in frame 20: the same frames before, then
 * the same status with the same sentence. */
static void
test_torn_and_corrupt(void **state)
{
    (void)state;
    write_log("whole.twlog", FRAMES);
    size_t len;
    uint8_t *b = slurp("whole.twlog", &len);
    size_t at30 = frame_at(b, len, 30), at20 = frame_at(b, len, 20);
    spit("torn.twlog", b, at30 + 20, "wb");
    b[at20 + 8 + 5] ^= 0x40;
    spit("corrupt.twlog", b, len, "wb");
    int frames;
    size_t pre;
    assert_int_equal(compare("torn.twlog", 4, &frames, &pre), TW_RUNLOG_TORN);
    assert_int_equal(frames, 30);
    assert_int_equal(compare("corrupt.twlog", 4, &frames, &pre), TW_RUNLOG_CORRUPT);
    assert_int_equal(frames, 20);
    free(b);
}

/* A log that grows after the thread reached its end: later calls read it as the reader
 * would, the new frames included. */
static void
test_follows_growth(void **state)
{
    (void)state;
    write_log("full.twlog", FRAMES);
    size_t len;
    uint8_t *b = slurp("full.twlog", &len);
    size_t half = frame_at(b, len, 25);
    spit("grow.twlog", b, half, "wb");
    spit("growp.twlog", b, half, "wb");
    tw_runlog_reader *p = tw_runlog_reader_open(path_of("growp.twlog"));
    tw_runlog_reader *r = tw_runlog_reader_open(path_of("grow.twlog"));
    tw_log_ahead *a = tw_log_ahead_start(r, 3);
    assert_non_null(a);
    int frames = 0;
    while (step_both(p, a) == TW_RUNLOG_FRAME)
        frames++;
    assert_int_equal(frames, 25);
    spit("grow.twlog", b + half, len - half, "ab");
    spit("growp.twlog", b + half, len - half, "ab");
    while (step_both(p, a) == TW_RUNLOG_FRAME)
        frames++;
    assert_int_equal(frames, FRAMES);
    tw_log_ahead_stop(&a);
    tw_runlog_reader_close(&r);
    tw_runlog_reader_close(&p);
    free(b);
}

/* Stopped after one frame while the thread waits for room (2 slots), or while it may be
 * reading: it stops at once, and where the caller stands (offset, frames) is where a new
 * reader goes on to read the rest. */
static void
test_stop_midway(void **state)
{
    (void)state;
    write_log("stop.twlog", FRAMES);
    for (int wait = 0; wait < 2; wait++) {
        tw_runlog_reader *r = tw_runlog_reader_open(path_of("stop.twlog"));
        tw_log_ahead *a = tw_log_ahead_start(r, 2);
        assert_non_null(a);
        const uint8_t *p;
        size_t len;
        for (int i = 0; i < 3; i++)
            assert_int_equal(tw_log_ahead_next(a, &p, &len), TW_RUNLOG_FRAME);
        if (wait) {
            nap_ms(50);               /* the thread has filled the ring and waits */
            unsigned long long m = 0; /* it takes the monitor's signals, not its faults */
            assert_true(thread_blocked("trainwatch-read", &m));
            assert_true(mask_has(m, SIGINT) && mask_has(m, SIGTERM) && mask_has(m, SIGWINCH));
            assert_false(mask_has(m, SIGSEGV) || mask_has(m, SIGBUS) || mask_has(m, SIGFPE));
        }
        uint64_t offset = tw_log_ahead_offset(a), frames = tw_log_ahead_frames(a);
        assert_int_equal(frames, 3);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        tw_log_ahead_stop(&a);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 < 1.0);
        tw_runlog_reader_close(&r);

        tw_runlog_reader *p2 = tw_runlog_reader_open(path_of("stop.twlog"));
        for (int i = 0; i < 3; i++)
            assert_int_equal(tw_runlog_reader_next(p2, &p, &len), TW_RUNLOG_FRAME);
        tw_runlog_reader *rest = tw_runlog_reader_open_at(path_of("stop.twlog"), offset, frames);
        int n = 0;
        tw_log_ahead *a2 = tw_log_ahead_start(rest, 8);
        assert_int_equal(tw_log_ahead_offset(a2), offset); /* before its first result */
        assert_int_equal(tw_log_ahead_frames(a2), 3);
        while (step_both(p2, a2) == TW_RUNLOG_FRAME)
            n++;
        assert_int_equal(n, FRAMES - 3);
        tw_log_ahead_stop(&a2);
        tw_runlog_reader_close(&rest);
        tw_runlog_reader_close(&p2);
    }
    tw_log_ahead_stop(NULL);
    assert_null(tw_log_ahead_start(NULL, 2));
    assert_int_equal(errno, EINVAL);
}

/* What the sources deliver from a log, summed (a record's every field, its state's last). */
typedef struct sums {
    uint64_t records, seq, step, ahead;
    double state;
} sums;

static int
on_record(void *ctx, const tw_source_origin *o, const tw_wire_header *h, const tw_wire_record *r)
{
    (void)o;
    (void)h;
    sums *s = ctx;
    s->records++;
    s->seq += r->seq * (1 + s->records % 7); /* the order counts too */
    s->step += r->step;
    s->state += r->state_len ? r->state[r->state_len - 1] * (double)(1 + s->records % 5) : 0;
    return 0;
}

/* The threads of this process (/proc/self/task), or -1. */
static int
threads_now(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Reads log name (its bytes b, len) through the sources in batches of 7 frames, with or
 * without reading ahead, checking the progress they report after each batch (the end of the
 * last frame delivered); with stop_after > 0, the sources are destroyed after that many
 * batches, the thread in the middle of the backlog. */
static sums
read_with(const char *name, const uint8_t *b, size_t len, bool ahead, int stop_after)
{
    sums s = {0};
    int threads = threads_now();
    tw_source_callbacks cb = {.record = on_record, .ctx = &s};
    tw_sources *src = tw_sources_new(&cb);
    assert_non_null(src);
    tw_sources_set_read_ahead(src, ahead);
    char err[512];
    assert_int_equal(tw_sources_add(src, path_of(name), err, sizeof err), 0);
    int batches = 0;
    while (tw_sources_log_pending(src)) { /* small batches: the reading resumed each time */
        assert_true(tw_sources_process(src, 7, 0.0) >= 0);
        batches++;
        uint64_t done, total;
        tw_sources_log_progress(src, &done, &total);
        assert_int_equal(total, len);
        assert_int_equal(done, frame_at(b, len, (int)tw_sources_stats(src).frames));
        if (batches == stop_after) {
            nap_ms(20); /* the thread fills its ring and waits */
            break;
        }
    }
    assert_true(batches > 3);
    s.ahead = tw_sources_stats(src).ahead;
    tw_sources_destroy(&src);
    assert_int_equal(threads_now(), threads); /* zmq's and the read-ahead's: all ended */
    return s;
}

/* A log over the read-ahead's threshold (1 MiB) read by the sources in small batches, with
 * and without the thread: the same records in the same order. */
static void
test_sources_same(void **state)
{
    (void)state;
    tw_runlog_writer *w = tw_runlog_writer_open_compressed(path_of("big.twlog"), 0, 0600, 1);
    assert_non_null(w);
    tw_wire_encoder *e = tw_wire_encoder_new();
    uint64_t x = 88172645463325252ull, seq = 0;
    while (tw_runlog_writer_bytes(w) < (3u << 19)) { /* 1.5 MiB */
        tw_wire_header h = {.run = "big", .incarnation = 3, .rank = 0, .world = 1};
        tw_wire_encoder_begin(e, &h);
        for (int k = 0; k < 500; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            double st[2] = {(double)(x >> 11) / 9007199254740992.0, (double)k};
            seq++; /* (before: an initializer's expressions are not sequenced) */
            tw_wire_record r = {.type = TW_REC_UPDATE,
                                .seq = seq,
                                .metric_id = 1,
                                .epoch = 1,
                                .step = seq,
                                .time = 1.7e9 + (double)seq,
                                .state = st,
                                .state_len = 2};
            assert_int_equal(tw_wire_encoder_add(e, &r), 0);
        }
        const uint8_t *msg;
        size_t len;
        assert_int_equal(tw_wire_encoder_finish(e, &msg, &len), 0);
        assert_int_equal(tw_runlog_writer_append(w, msg, len), 0);
    }
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    tw_wire_encoder_destroy(&e);
    size_t len;
    uint8_t *b = slurp("big.twlog", &len);
    sums plain = read_with("big.twlog", b, len, false, 0);
    sums ahead = read_with("big.twlog", b, len, true, 0);
    sums part = read_with("big.twlog", b, len, true, 4); /* destroyed with a thread running */
    assert_int_equal(part.ahead, 1);
    free(b);
    assert_int_equal(plain.ahead, 0);
    assert_int_equal(ahead.ahead, 1); /* the thread read it */
    assert_true(plain.records >= 20000);
    assert_int_equal(ahead.records, plain.records);
    assert_int_equal(ahead.seq, plain.seq);
    assert_int_equal(ahead.step, plain.step);
    assert_true(ahead.state == plain.state);
}

static int
setup(void **state)
{
    (void)state;
    return tmpdir_make("log_ahead", false);
}

static int
teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_reader),   cmocka_unit_test(test_big_frame),
        cmocka_unit_test(test_torn_and_corrupt), cmocka_unit_test(test_follows_growth),
        cmocka_unit_test(test_stop_midway),      cmocka_unit_test(test_sources_same),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
