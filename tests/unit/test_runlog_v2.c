/* test_runlog_v2.c - run-log format versions 2 and 3: zstd-compressed frames written and read
 * back, torn at every byte, corrupted, and hostile compressed data behind a good CRC (the file
 * tests run once a version; test_runlog_v3.c tests version 3's packed content itself). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runlog.h"
#include "runlog_xor.h"
#include "tmpdir.h"
#include "wire_fast.h"
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define FRAMES 12

/* A wire message of 10 + i UPDATE records of 4-double states (packed in version 3). */
static size_t
updates(int i, uint8_t *out, size_t cap)
{
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "v2v3", .incarnation = 9, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    for (int k = 0; k < 10 + i; k++) {
        double st[4] = {0.5 * k, (double)(k + 1), 0.25 / (k + 1), (double)i};
        tw_wire_record r = {.type = TW_REC_UPDATE,
                            .seq = 1 + (uint64_t)(100 * i + k),
                            .metric_id = (uint32_t)(k % 3),
                            .epoch = 1,
                            .step = (uint64_t)k,
                            .time = 1.7e9 + k,
                            .state = st,
                            .state_len = 4};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    const uint8_t *m;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &m, &len), 0);
    assert_true(len <= cap);
    memcpy(out, m, len);
    tw_wire_encoder_destroy(&e);
    return len;
}

/* Frame i's payload: compressible text (i % 4 == 0), a message of UPDATE records (i % 4 == 2:
 * packed in version 3), or xorshift bytes (odd i: stored as sent). */
static size_t
payload(int i, uint8_t *out, size_t cap)
{
    if (i % 4 == 2)
        return updates(i, out, cap);
    size_t len = 200 + (size_t)i * 97;
    assert_true(len <= cap);
    uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    for (size_t k = 0; k < len; k++) {
        if (i % 2 == 0) {
            out[k] = (uint8_t) "update loss step 42 "[(k + (size_t)i) % 20];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            out[k] = (uint8_t)x;
        }
    }
    return len;
}

/* The format version the file tests write (their setup sets it). */
static unsigned version = TW_RUNLOG_VERSION;

/* A file of the temporary directory, of the version being tested. */
static char *
path_of(const char *name)
{
    static char path[320];
    snprintf(path, sizeof path, "%s/v%u-%s", tmp_root, version, name);
    return path;
}

/* Reads a whole file into a malloc'd buffer. */
static uint8_t *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
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

static int
setup_v2(void **state)
{
    (void)state;
    version = 2;
    return 0;
}

static int
setup_v3(void **state)
{
    (void)state;
    version = 3;
    return 0;
}

/* Writes the FRAMES payloads compressed into name; returns the file's bytes. */
static uint8_t *
write_log(const char *name, size_t *len)
{
    tw_runlog_writer *w = tw_runlog_writer_open_version(path_of(name), 0, 0600, 1, version);
    assert_non_null(w);
    uint8_t buf[4096];
    for (int i = 0; i < FRAMES; i++)
        assert_int_equal(tw_runlog_writer_append(w, buf, payload(i, buf, sizeof buf)), 0);
    assert_int_equal(tw_runlog_writer_frames(w), FRAMES);
    uint64_t bytes = tw_runlog_writer_bytes(w);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    uint8_t *data = slurp(path_of(name), len);
    assert_int_equal(*len, bytes);
    return data;
}

/* Reads r to its end, checking each frame against its payload; returns the frames read and
 * the final status. */
static int
read_all(tw_runlog_reader *r, int *frames)
{
    uint8_t want[4096];
    const uint8_t *p;
    size_t len;
    int rc;
    *frames = 0;
    while ((rc = tw_runlog_reader_next(r, &p, &len)) == TW_RUNLOG_FRAME) {
        size_t n = payload(*frames, want, sizeof want);
        assert_int_equal(len, n);
        assert_memory_equal(p, want, n);
        (*frames)++;
    }
    return rc;
}

static void
test_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = write_log("rt.twlog", &len);
    assert_memory_equal(data, version == 2 ? TW_RUNLOG_MAGIC_V2 : TW_RUNLOG_MAGIC_V3,
                        TW_RUNLOG_HEADER_SIZE);

    /* even frames are stored compressed (bit 31), odd ones as sent */
    size_t at = TW_RUNLOG_HEADER_SIZE, raw = TW_RUNLOG_HEADER_SIZE;
    uint8_t buf[4096];
    for (int i = 0; i < FRAMES; i++) {
        uint32_t word = (uint32_t)data[at] | (uint32_t)data[at + 1] << 8 |
                        (uint32_t)data[at + 2] << 16 | (uint32_t)data[at + 3] << 24;
        assert_int_equal((word & TW_RUNLOG_ZSTD) != 0, i % 2 == 0);
        at += TW_RUNLOG_FRAME_HEADER + (word & ~TW_RUNLOG_ZSTD);
        raw += TW_RUNLOG_FRAME_HEADER + payload(i, buf, sizeof buf);
    }
    assert_int_equal(at, len);
    assert_true(len < raw);

    int frames;
    tw_runlog_reader *r = tw_runlog_reader_open(path_of("rt.twlog"));
    assert_int_equal(read_all(r, &frames), TW_RUNLOG_END);
    assert_int_equal(frames, FRAMES);
    assert_int_equal(tw_runlog_reader_offset(r), len);
    tw_runlog_reader_close(&r);

    r = tw_runlog_reader_open_memory(data, len);
    assert_int_equal(read_all(r, &frames), TW_RUNLOG_END);
    assert_int_equal(frames, FRAMES);
    tw_runlog_reader_close(&r);
    free(data);
}

/* A file cut at any byte reads as its whole frames, then END or TORN: never CORRUPT. */
static void
test_truncated_at_every_byte(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = write_log("cut.twlog", &len);
    int last = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        tw_runlog_reader *r = tw_runlog_reader_open_memory(data, cut);
        int frames;
        int rc = read_all(r, &frames);
        assert_true(rc == TW_RUNLOG_END || rc == TW_RUNLOG_TORN);
        assert_true(frames == last || frames == last + 1); /* one more at each frame's end */
        last = frames;
        tw_runlog_reader_close(&r);
    }
    assert_int_equal(last, FRAMES);
    free(data);
}

/* Any flipped byte after the header is caught: the frames before it read, then CORRUPT
 * (or TORN when a length grew past the end). */
static void
test_flipped_bytes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = write_log("flip.twlog", &len);
    for (size_t at = TW_RUNLOG_HEADER_SIZE; at < len; at += 7) {
        data[at] ^= 0x41;
        tw_runlog_reader *r = tw_runlog_reader_open_memory(data, len);
        int frames;
        int rc = read_all(r, &frames);
        assert_true(rc == TW_RUNLOG_CORRUPT || rc == TW_RUNLOG_TORN);
        tw_runlog_reader_close(&r);
        data[at] ^= 0x41;
    }
    free(data);
}

/* A version-2 file of one frame with these stored bytes, flagged compressed, CRC right. */
static size_t
hostile(uint8_t *out, const void *stored, size_t n, bool v2)
{
    memcpy(out, v2 ? TW_RUNLOG_MAGIC_V2 : TW_RUNLOG_MAGIC, TW_RUNLOG_HEADER_SIZE);
    uint32_t word = (uint32_t)n | TW_RUNLOG_ZSTD, crc = tw_crc32c(0, stored, n);
    for (int i = 0; i < 4; i++) {
        out[8 + i] = (uint8_t)(word >> (8 * i));
        out[12 + i] = (uint8_t)(crc >> (8 * i));
    }
    memcpy(out + 16, stored, n);
    return 16 + n;
}

/* Reads a one-frame log and expects CORRUPT with `what` in the sentence. */
static void
expect_corrupt(const uint8_t *log, size_t len, const char *what)
{
    tw_runlog_reader *r = tw_runlog_reader_open_memory(log, len);
    const uint8_t *p;
    size_t n;
    assert_int_equal(tw_runlog_reader_next(r, &p, &n), TW_RUNLOG_CORRUPT);
    if (!strstr(tw_runlog_reader_error(r), what))
        fail_msg("error \"%s\" lacks \"%s\"", tw_runlog_reader_error(r), what);
    assert_int_equal(tw_runlog_reader_next(r, &p, &n), TW_RUNLOG_CORRUPT);
    tw_runlog_reader_close(&r);
}

/* Compressed data behind a good CRC is still checked: one zstd frame with a content size
 * of 1 to 16 MiB that decompresses to exactly that. In version 1, bit 31 is a bad length. */
static void
test_hostile_compressed(void **state)
{
    (void)state;
    size_t big = TW_WIRE_MAX_MESSAGE + 1, cap = ZSTD_compressBound(big);
    uint8_t *src = calloc(1, big), *z = malloc(cap), *log = malloc(cap * 2 + 64);
    assert_non_null(src);

    expect_corrupt(log, hostile(log, "not zstd at all", 15, true), "bad compressed data");

    size_t n = ZSTD_compress(z, cap, src, big, 1); /* declares 16 MiB + 1 */
    assert_false(ZSTD_isError(n));
    expect_corrupt(log, hostile(log, z, n, true), "content size");

    ZSTD_CCtx *c = ZSTD_createCCtx(); /* no content size declared */
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    ZSTD_outBuffer ob = {z, cap, 0};
    ZSTD_inBuffer ib = {src, 100, 0};
    assert_int_equal(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end), 0);
    ZSTD_freeCCtx(c);
    expect_corrupt(log, hostile(log, z, ob.pos, true), "content size");

    n = ZSTD_compress(z, cap, src, 100, 1); /* two frames back to back */
    memcpy(z + n, z, n);
    expect_corrupt(log, hostile(log, z, 2 * n, true), "not one zstd frame");

    n = ZSTD_compress(z, cap, src, 100, 1); /* a good frame, cut short: its CRC made to fit */
    expect_corrupt(log, hostile(log, z, n - 2, true), "bad compressed data");

    n = ZSTD_compress(z, cap, src, 100, 1); /* good, but in a version-1 file */
    expect_corrupt(log, hostile(log, z, n, false), "bad length");

    size_t len = hostile(log, z, n, true); /* and the same in version 2 reads */
    tw_runlog_reader *r = tw_runlog_reader_open_memory(log, len);
    const uint8_t *p;
    size_t plen;
    assert_int_equal(tw_runlog_reader_next(r, &p, &plen), TW_RUNLOG_FRAME);
    assert_int_equal(plen, 100);
    assert_memory_equal(p, src, 100);
    assert_int_equal(tw_runlog_reader_next(r, &p, &plen), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    free(src);
    free(z);
    free(log);
}

/* A reader reopened where an earlier one stopped knows the file's version again. */
static void
test_open_at(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = write_log("at.twlog", &len);
    tw_runlog_reader *r = tw_runlog_reader_open(path_of("at.twlog"));
    const uint8_t *p;
    size_t n;
    for (int i = 0; i < 3; i++)
        assert_int_equal(tw_runlog_reader_next(r, &p, &n), TW_RUNLOG_FRAME);
    uint64_t off = tw_runlog_reader_offset(r), frames = tw_runlog_reader_frames(r);
    tw_runlog_reader_close(&r);
    r = tw_runlog_reader_open_at(path_of("at.twlog"), off, frames);
    uint8_t want[4096];
    for (int i = 3; i < FRAMES; i++) {
        assert_int_equal(tw_runlog_reader_next(r, &p, &n), TW_RUNLOG_FRAME);
        size_t wn = payload(i, want, sizeof want);
        assert_int_equal(n, wn);
        assert_memory_equal(p, want, wn);
    }
    assert_int_equal(tw_runlog_reader_next(r, &p, &n), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    free(data);
    assert_null(tw_runlog_writer_open_compressed(path_of("lvl.twlog"), 0, 0600, 20));
}

/* The delta transform is undone exactly, whatever the bytes: random ones biased towards the
 * tokens and keys it acts on, and every prefix of a real message. On a real message it turns a
 * repeated state into zeros. */
static void
test_xor_round_trip(void **state)
{
    (void)state;
    static const uint8_t pieces[][6] = {{0xcb},
                                        {0xce},
                                        {0xcf},
                                        {0xa2, 'i', 'd'},
                                        {0xa4, 't', 'i', 'm', 'e'},
                                        {0xa5, 's', 't', 'a', 't', 'e'},
                                        {0xa3, 's', 'e', 'q'},
                                        {0xa4, 's', 't', 'e', 'p'},
                                        {0x94},
                                        {0xdb, 0xff},
                                        {0xc7, 0x03},
                                        {0x07}};
    tw_runlog_xor *s = malloc(sizeof *s);
    uint8_t b[512], orig[512];
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 4000; round++) {
        size_t n = 0;
        while (n < 400) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 3 == 0) {
                const uint8_t *pc = pieces[(x >> 8) % 12];
                size_t k = (x >> 16) % 6 + 1;
                memcpy(b + n, pc, k);
                n += k;
            } else {
                b[n++] = (uint8_t)(x >> 24);
            }
        }
        n = (x >> 32) % 400;
        memcpy(orig, b, n);
        tw_runlog_xor_apply(s, b, n, round % 2 == 1);
        tw_runlog_xor_apply(s, b, n, round % 2 == 0);
        assert_memory_equal(b, orig, n);
    }

    /* two UPDATEs of metric 3 with the same state: the second's doubles become zeros */
    static const double st[4] = {1.5, 2.0, 0.25, 2.0};
    tw_wire_record r[2];
    for (int i = 0; i < 2; i++)
        r[i] = (tw_wire_record){.type = TW_REC_UPDATE,
                                .seq = 10 + (uint64_t)i,
                                .metric_id = 3,
                                .epoch = 1,
                                .step = 5,
                                .time = 1.7e9,
                                .state = st,
                                .state_len = 4};
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "r", .incarnation = 1, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    assert_int_equal(tw_wire_encoder_add(e, &r[0]), 0);
    size_t first = tw_wire_encoder_size(e);
    assert_int_equal(tw_wire_encoder_add(e, &r[1]), 0);
    const uint8_t *msg;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &msg, &len), 0);
    assert_true(len <= sizeof b);
    memcpy(b, msg, len);
    tw_runlog_xor_apply(s, b, len, false);
    size_t zeros = 0;
    for (size_t i = first; i < len; i++)
        zeros += b[i] == 0;
    assert_true(zeros >= 5 * 8); /* time and the four doubles of the state */
    for (size_t cut = 0; cut <= len; cut++) {
        memcpy(b, msg, cut);
        tw_runlog_xor_apply(s, b, cut, false);
        tw_runlog_xor_apply(s, b, cut, true);
        assert_memory_equal(b, msg, cut);
    }
    tw_wire_encoder_destroy(&e);
    free(s);
}

/* The transform takes a record whose layout is one of the last ones by a byte template, not by
 * matching its keys: on a message whose records change layout from one to the next (every
 * uint width, fixint and uint ids, states of 1 to 16 doubles, UPDATE and EPOCH), and on 20 000
 * copies of it with one byte changed anywhere (a key, a tag, a fixint's high bit, a length),
 * the transform both ways is the token walk's (the definition), and the records it reads are
 * what tw_wire_fast_record reads at their places. */
static void
test_xor_layouts(void **state)
{
    (void)state;
    static const double st[16] = {1.5, 2.0, 0.25, 2.0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9.5};
    static const uint64_t big[] = {1, 127, 200, 70000, 5000000000ull};
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "r", .incarnation = 1, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    for (int i = 0; i < 40; i++) { /* a layout for 4 records (mostly), then another */
        int g = i / 4;
        tw_wire_record r = {.type = g % 3 == 2 ? TW_REC_EPOCH : TW_REC_UPDATE,
                            .seq = big[g % 5] + (uint64_t)i,
                            .metric_id = g % 4 == 1 ? 130 : (uint32_t)(i % 5),
                            .epoch = 1 + big[(g / 2) % 5],
                            .step = big[(g + 2) % 5] + (uint64_t)i,
                            .time = 1.7e9 + i,
                            .state = st,
                            .state_len = g == 9       ? 16u
                                         : g % 3 == 1 ? 1u + (uint32_t)g
                                                      : 4u};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    for (int i = 0; i < 60; i++) { /* layouts that change at every record: 3 in turn (as a
                                      Mean, a Sum and a gauge interleave), then 5 (more than
                                      the walk keeps) */
        tw_wire_record r = {.type = TW_REC_UPDATE,
                            .seq = 300 + (uint64_t)i,
                            .metric_id = (uint32_t)(i % 7),
                            .epoch = 2,
                            .step = 1000 + (uint64_t)i / 3,
                            .time = 1.7e9 + i,
                            .state = st,
                            .state_len = i < 30 ? 1u + (uint32_t)i % 3 : 1u + (uint32_t)i % 5};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    const uint8_t *msg;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &msg, &len), 0);
    uint8_t *b = malloc(len), *ref = malloc(len), *base = malloc(len);
    tw_wire_fast *f = malloc(TW_WIRE_FAST_MAX * sizeof *f);
    tw_runlog_xor *s = malloc(sizeof *s);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t pre_read = 0;
    for (int round = 0; round <= 20000; round++) {
        memcpy(base, msg, len);
        if (round > 0) { /* one byte changed */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            base[(x >> 8) % len] = (uint8_t)(x >> 40);
        }
        for (int inverse = 0; inverse < 2; inverse++) {
            memcpy(b, base, len);
            memcpy(ref, base, len);
            tw_runlog_xor_apply(s, b, len, inverse);
            tw_runlog_xor_apply_tokens(s, ref, len, inverse);
            assert_memory_equal(b, ref, len);
        }
        memcpy(b, base, len);
        size_t n = tw_runlog_xor_apply_read(s, b, len, f, TW_WIRE_FAST_MAX);
        assert_memory_equal(b, ref, len); /* (ref: the inverse, just above) */
        for (size_t i = 0; i < n; i++) {
            tw_wire_cursor c = {f[i].start, b + len};
            tw_wire_fast g;
            assert_true(tw_wire_fast_record(&c, &g));
            assert_ptr_equal(c.p, f[i].next);
            assert_true(g.seq == f[i].seq && g.epoch == f[i].epoch && g.step == f[i].step &&
                        g.metric_id == f[i].metric_id && g.type == f[i].type &&
                        g.state == f[i].state && g.state_len == f[i].state_len &&
                        memcmp(&g.time, &f[i].time, sizeof g.time) == 0);
        }
        if (round == 0)
            pre_read = n;
    }
    assert_int_equal(pre_read, 100 - 4); /* all but the states of 16 doubles (4 of them) */
    free(s);
    free(f);
    free(b);
    free(ref);
    free(base);
    tw_wire_encoder_destroy(&e);
}

/* Keeping 3 frames, the payloads of the last 3 results stay as they were read, compressed and
 * stored ones (copied) alike, and back at 1 the last one still reads right; n out of range is
 * refused. */
static void
test_keep(void **state)
{
    (void)state;
    size_t len;
    free(write_log("keep.twlog", &len));
    tw_runlog_reader *r = tw_runlog_reader_open(path_of("keep.twlog"));
    assert_non_null(r);
    assert_int_equal(tw_runlog_reader_keep(r, 0), -EINVAL);
    assert_int_equal(tw_runlog_reader_keep(r, TW_RUNLOG_KEEP_MAX + 1), -EINVAL);
    assert_int_equal(tw_runlog_reader_keep(NULL, 2), -EINVAL);
    assert_int_equal(tw_runlog_reader_keep(r, 3), 0);
    const uint8_t *p[FRAMES];
    size_t n[FRAMES];
    uint8_t want[4096];
    for (int i = 0; i < FRAMES; i++) {
        assert_int_equal(tw_runlog_reader_next(r, &p[i], &n[i]), TW_RUNLOG_FRAME);
        for (int k = i >= 2 ? i - 2 : 0; k <= i; k++) { /* the last 3, all intact */
            assert_int_equal(n[k], payload(k, want, sizeof want));
            assert_memory_equal(p[k], want, n[k]);
        }
        if (i >= 2)
            assert_true(p[i] != p[i - 1] && p[i] != p[i - 2]); /* buffers of their own */
    }
    assert_int_equal(tw_runlog_reader_next(r, &p[0], &n[0]), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);

    /* frames stored as sent, 30 000 bytes each: the reader's 64 KiB window is refilled (its
     * bytes moved) every two frames, and the 4 kept frames are copies that stay */
    enum { BIG = 30000, N = 10 };
    uint8_t *big = malloc((size_t)N * BIG);
    assert_non_null(big);
    uint64_t x = 88172645463325252ull;
    for (size_t k = 0; k < (size_t)N * BIG; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        big[k] = (uint8_t)x;
    }
    tw_runlog_writer *w = tw_runlog_writer_open_compressed(path_of("keep2.twlog"), 0, 0600, 1);
    assert_non_null(w);
    for (int i = 0; i < N; i++)
        assert_int_equal(tw_runlog_writer_append(w, big + (size_t)i * BIG, BIG), 0);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    r = tw_runlog_reader_open(path_of("keep2.twlog"));
    assert_int_equal(tw_runlog_reader_keep(r, 4), 0);
    for (int i = 0; i < N - 1; i++) {
        assert_int_equal(tw_runlog_reader_next(r, &p[i], &n[i]), TW_RUNLOG_FRAME);
        for (int k = i >= 3 ? i - 3 : 0; k <= i; k++) {
            assert_int_equal(n[k], BIG);
            assert_memory_equal(p[k], big + (size_t)k * BIG, BIG);
        }
    }
    assert_int_equal(tw_runlog_reader_keep(r, 1), 0); /* back to one: the last frame reads */
    assert_int_equal(tw_runlog_reader_next(r, &p[0], &n[0]), TW_RUNLOG_FRAME);
    assert_memory_equal(p[0], big + (size_t)(N - 1) * BIG, BIG);
    assert_int_equal(tw_runlog_reader_next(r, &p[0], &n[0]), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    free(big);
}

/* The records a decoder delivers, as text: one line each. */
typedef struct seen {
    char text[65536];
    size_t len;
} seen;

static int
on_seen(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    seen *sn = ctx;
    size_t room = sizeof sn->text - sn->len;
    int n = snprintf(sn->text + sn->len, room, "%u %d %llu %u %llu %llu %a %u %a|", h->rank,
                     (int)r->type, (unsigned long long)r->seq, r->metric_id,
                     (unsigned long long)r->epoch, (unsigned long long)r->step, r->time,
                     r->state_len, r->state && r->state_len ? r->state[r->state_len - 1] : 0.0);
    assert_true(n > 0 && (size_t)n < room);
    sn->len += (size_t)n;
    return 0;
}

/* Writes a log of one compressed frame, the message e holds (and after it, when noise, a frame
 * stored as sent) into name; returns a reader of it that has read that frame (*p, *plen: the
 * message, checked). */
static tw_runlog_reader *
message_log(const char *name, tw_wire_encoder *e, bool noise, const uint8_t **p, size_t *plen)
{
    const uint8_t *msg;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &msg, &len), 0);
    tw_runlog_writer *w = tw_runlog_writer_open_version(path_of(name), 0, 0600, 1, version);
    assert_non_null(w);
    assert_int_equal(tw_runlog_writer_append(w, msg, len), 0);
    uint8_t b[4096];
    if (noise)
        assert_int_equal(tw_runlog_writer_append(w, b, payload(1, b, sizeof b)), 0);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    tw_runlog_reader *rd = tw_runlog_reader_open(path_of(name));
    assert_non_null(rd);
    assert_int_equal(tw_runlog_reader_next(rd, p, plen), TW_RUNLOG_FRAME);
    assert_int_equal(*plen, len);
    assert_memory_equal(*p, msg, len);
    return rd;
}

/* The reader reads a compressed frame's UPDATE and EPOCH records while it undoes the delta
 * transform (every integer width, fixint and uint ids, between other records, one the fast
 * path does not take: a state of 16 doubles); decoding with them delivers exactly what decoding
 * without them does; a frame stored as sent has none. */
static void
test_pre_read(void **state)
{
    (void)state;
    static const double st[16] = {1.5, 2.0, 0.25, 2.0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9.5};
    static const uint64_t big[] = {1, 200, 70000, 5000000000ull};
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "r", .incarnation = 1, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    int fast = 0;
    seen *want = calloc(1, sizeof *want);
    for (int i = 0; i < 24; i++) {
        tw_wire_record r = {.type = i % 5 == 4 ? TW_REC_EPOCH : TW_REC_UPDATE,
                            .seq = big[i % 4] + (uint64_t)i,
                            .metric_id = i % 3 == 0 ? 200 : (uint32_t)(i % 7),
                            .epoch = 1 + (uint64_t)i / 8,
                            .step = big[(i + 1) % 4] * (uint64_t)i,
                            .time = 1.7e9 + i,
                            .state = st,
                            .state_len = i == 9 ? 16 : 4};
        if (i % 6 == 5) {
            tw_wire_record hb = {.type = TW_REC_HEARTBEAT,
                                 .seq = 900 + (uint64_t)i,
                                 .epoch = 1,
                                 .time = 1.7e9,
                                 .interval_ms = 1000};
            assert_int_equal(tw_wire_encoder_add(e, &hb), 0);
            on_seen(want, &h, &hb);
        }
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
        on_seen(want, &h, &r);
        fast += r.state_len <= 15;
    }
    const uint8_t *p;
    size_t plen;
    tw_runlog_reader *rd = message_log("pre.twlog", e, true, &p, &plen);
    const struct tw_wire_fast *pre;
    size_t n_pre = tw_runlog_reader_pre_read(rd, &pre);
    assert_int_equal(n_pre, fast);
    tw_wire_decoder *d = tw_wire_decoder_new();
    seen *with = calloc(1, sizeof *with), *without = calloc(1, sizeof *without);
    assert_int_equal(tw_wire_decode_read(d, p, plen, pre, n_pre, on_seen, with), 0);
    assert_int_equal(tw_wire_decode(d, p, plen, on_seen, without), 0);
    assert_int_equal(with->len, want->len); /* what was encoded, both ways */
    assert_memory_equal(with->text, want->text, want->len);
    assert_int_equal(without->len, want->len);
    assert_memory_equal(without->text, want->text, want->len);
    assert_int_equal(tw_runlog_reader_next(rd, &p, &plen), TW_RUNLOG_FRAME);
    assert_int_equal(tw_runlog_reader_pre_read(rd, &pre), 0);
    assert_null(pre);
    assert_int_equal(tw_runlog_reader_next(rd, &p, &plen), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_pre_read(rd, &pre), 0);
    free(with);
    free(without);
    free(want);
    tw_wire_decoder_destroy(&d);
    tw_runlog_reader_close(&rd);
    tw_wire_encoder_destroy(&e);
}

/* Gives a batch's records to on_seen one at a time. */
static int
on_seen_batch(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n)
{
    assert_true(n >= 1 && n <= TW_WIRE_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        tw_wire_record one = {0};
        tw_wire_record_of(&one, &r[i]);
        on_seen(ctx, h, &one);
    }
    return 0;
}

/* A batch callback that stops the decoding (-42) at its second call. */
static int
on_second_batch_stop(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n)
{
    (void)h;
    (void)r;
    assert_int_equal(n, TW_WIRE_BATCH_MAX);
    size_t *calls = ctx;
    return ++*calls == 2 ? -42 : 0;
}

/* A version-3 log read as skeletons (tw_runlog_reader_set_skeleton): a frame of records the
 * decoder takes as read comes as its skeleton, shorter than the message, its records with no
 * bytes, also with a record left in the skeleton between them (a state of 16 doubles is not
 * taken out); one with a record taken out that the decoder does not take as read (epoch 0,
 * patched in: the encoder refuses it)
 * comes whole; a log of version 2 comes whole. Each decodes, with its records, as the message
 * does: one at a time, and in batches (more than two full ones), which count as many
 * records; a batch callback's error stops the decoding after its batch. */
#define SKEL_RECS 600
static void
test_skeleton_reader(void **state)
{
    (void)state;
    static const double st[16] = {1.5, 2.0, 0.25, 2.0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9.5};
    for (int kind = 0; kind < 3; kind++) {
        for (unsigned v = 2; v <= 3; v++) {
            version = v;
            tw_wire_encoder *e = tw_wire_encoder_new();
            tw_wire_header h = {.run = "r", .incarnation = 1, .rank = 0, .world = 1};
            tw_wire_encoder_begin(e, &h);
            seen *want = calloc(1, sizeof *want);
            for (int i = 0; i < SKEL_RECS; i++) {
                tw_wire_record r = {.type = i % 5 == 4 ? TW_REC_EPOCH : TW_REC_UPDATE,
                                    .seq = 1 + (uint64_t)i,
                                    .metric_id = (uint32_t)(i % 7),
                                    .epoch = 1,
                                    .step = (uint64_t)i,
                                    .time = 1.7e9 + i,
                                    .state = st,
                                    .state_len = kind == 1 && i == 9 ? 16 : 4};
                assert_int_equal(tw_wire_encoder_add(e, &r), 0);
                on_seen(want, &h, &r);
            }
            const uint8_t *m0;
            size_t len;
            assert_int_equal(tw_wire_encoder_finish(e, &m0, &len), 0);
            static uint8_t msg[65536];
            assert_true(len <= sizeof msg);
            memcpy(msg, m0, len);
            for (size_t k = 0, seen_epochs = 0; kind == 2 && k + 7 < len; k++)
                if (memcmp(msg + k,
                           "\xa5"
                           "epoch",
                           6) == 0 &&
                    ++seen_epochs == 10)
                    msg[k + 6] = 0; /* the 10th record's epoch (a fixint 1) made 0 */
            char name[32];
            snprintf(name, sizeof name, "skel%d.twlog", kind);
            tw_runlog_writer *w = tw_runlog_writer_open_version(path_of(name), 0, 0600, 1, v);
            assert_int_equal(tw_runlog_writer_append(w, msg, len), 0);
            assert_int_equal(tw_runlog_writer_close(&w), 0);
            tw_runlog_reader *rd = tw_runlog_reader_open(path_of(name));
            tw_runlog_reader_set_skeleton(rd, true);
            const uint8_t *p;
            size_t plen;
            assert_int_equal(tw_runlog_reader_next(rd, &p, &plen), TW_RUNLOG_FRAME);
            const struct tw_wire_fast *pre;
            size_t n_pre = tw_runlog_reader_pre_read(rd, &pre);
            if (v == 3 && kind < 2) { /* the envelope, the array's header (and the record left) */
                assert_true(plen < (kind ? 300u : 80u) && plen < len / 4);
                assert_int_equal(n_pre, kind ? SKEL_RECS - 1 : SKEL_RECS);
                assert_ptr_equal(pre[0].start, pre[0].next);
            } else {
                assert_int_equal(plen, len);
                assert_memory_equal(p, msg, len);
            }
            tw_wire_decoder *d = tw_wire_decoder_new();
            seen *got = calloc(1, sizeof *got), *whole = calloc(1, sizeof *whole);
            int rc = tw_wire_decode(d, msg, len, on_seen, whole);
            assert_int_equal(rc, kind == 2 ? TW_WIRE_BAD : 0);
            assert_int_equal(tw_wire_decode_read(d, p, plen, pre, n_pre, on_seen, got), rc);
            assert_int_equal(got->len, whole->len);
            assert_memory_equal(got->text, whole->text, whole->len);
            if (rc == 0)
                assert_memory_equal(got->text, want->text, want->len);
            uint64_t one_by_one = tw_wire_decoder_stats(d).records;
            memset(got, 0, sizeof *got);
            assert_int_equal(
                tw_wire_decode_batch(d, p, plen, pre, n_pre, on_seen, on_seen_batch, got), rc);
            assert_int_equal(got->len, whole->len);
            assert_memory_equal(got->text, whole->text, whole->len);
            assert_int_equal(tw_wire_decoder_stats(d).records - one_by_one,
                             rc == 0 ? SKEL_RECS : 0);
            if (v == 3 && kind == 0) { /* a batch callback stops it: nothing after that batch */
                size_t calls = 0;
                uint64_t before = tw_wire_decoder_stats(d).records;
                assert_int_equal(tw_wire_decode_batch(d, p, plen, pre, n_pre, NULL,
                                                      on_second_batch_stop, &calls),
                                 -42);
                assert_int_equal(calls, 2);
                assert_int_equal(tw_wire_decoder_stats(d).records - before, 2 * TW_WIRE_BATCH_MAX);
            }
            free(got);
            free(whole);
            free(want);
            tw_wire_decoder_destroy(&d);
            tw_runlog_reader_close(&rd);
            tw_wire_encoder_destroy(&e);
        }
    }
    version = TW_RUNLOG_VERSION;
}

/* Sums what it is shown of the records a decoder delivers. */
static int
on_sum(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    (void)h;
    uint64_t *sum = ctx;
    sum[0]++;
    sum[1] += r->seq * 3 + r->step + r->metric_id + (uint64_t)r->state[0];
    return 0;
}

/* A frame of more records than the reader reads while undoing the transform (4096): those it
 * read and those after them deliver what decoding without any does. */
static void
test_pre_read_past_the_cap(void **state)
{
    (void)state;
    enum { N = 5000 };
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "r", .incarnation = 1, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    uint64_t want[2] = {0, 0};
    for (int i = 0; i < N; i++) {
        double st[2] = {(double)(i % 100), 1.0};
        tw_wire_record r = {.type = TW_REC_UPDATE,
                            .seq = 1 + (uint64_t)i,
                            .metric_id = (uint32_t)(i % 20),
                            .epoch = 1,
                            .step = (uint64_t)i / 20,
                            .time = 1.7e9 + i,
                            .state = st,
                            .state_len = 2};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
        on_sum(want, &h, &r);
    }
    const uint8_t *p;
    size_t plen;
    tw_runlog_reader *rd = message_log("cap.twlog", e, false, &p, &plen);
    const struct tw_wire_fast *pre;
    assert_int_equal(tw_runlog_reader_pre_read(rd, &pre), 4096);
    tw_wire_decoder *d = tw_wire_decoder_new();
    uint64_t with[2] = {0, 0}, without[2] = {0, 0};
    assert_int_equal(tw_wire_decode_read(d, p, plen, pre, 4096, on_sum, with), 0);
    assert_int_equal(tw_wire_decode(d, p, plen, on_sum, without), 0);
    assert_memory_equal(with, want, sizeof want);
    assert_memory_equal(without, want, sizeof want);
    tw_wire_decoder_destroy(&d);
    tw_runlog_reader_close(&rd);
    tw_wire_encoder_destroy(&e);
}

static int
setup(void **state)
{
    (void)state;
    return tmpdir_make("runlog_v2", false);
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
        cmocka_unit_test_setup(test_round_trip, setup_v2),
        cmocka_unit_test_setup(test_truncated_at_every_byte, setup_v2),
        cmocka_unit_test_setup(test_flipped_bytes, setup_v2),
        cmocka_unit_test_setup(test_open_at, setup_v2),
        cmocka_unit_test_setup(test_round_trip, setup_v3),
        cmocka_unit_test_setup(test_truncated_at_every_byte, setup_v3),
        cmocka_unit_test_setup(test_flipped_bytes, setup_v3),
        cmocka_unit_test_setup(test_open_at, setup_v3),
        cmocka_unit_test(test_hostile_compressed),
        cmocka_unit_test(test_xor_round_trip),
        cmocka_unit_test_setup(test_pre_read, setup_v2),
        cmocka_unit_test_setup(test_pre_read_past_the_cap, setup_v2),
        cmocka_unit_test_setup(test_pre_read, setup_v3),
        cmocka_unit_test_setup(test_pre_read_past_the_cap, setup_v3),
        cmocka_unit_test(test_skeleton_reader),
        cmocka_unit_test(test_xor_layouts),
        cmocka_unit_test(test_keep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
