/* gen_runlog_corpus.c - writes the seed corpus of fuzz_runlog: valid run logs of real wire
 * messages, and torn, damaged and hostile variants. Not built by meson; from the root:
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Ipublisher/proto -Ipublisher/metrics \
 *       -o /tmp/gen_runlog_corpus \
 *       tests/fuzz/gen_runlog_corpus.c publisher/proto/wire_encode.c \
 *       publisher/proto/wire_decode.c publisher/proto/wire_read.c \
 *       publisher/proto/wire_names.c publisher/proto/crc32c.c publisher/proto/runlog_xor.c \
 *       publisher/metrics/metric*.c -lm \
 *       -lzstd $(pkg-config --cflags --libs msgpack-c 2>/dev/null || pkg-config --cflags --libs
 * msgpack) /tmp/gen_runlog_corpus tests/fuzz/corpus/runlog
 *
 * It writes versions 1 and 2. The version-3 seed, valid_v3_train_mlp, is a log of the real
 * publisher: `TRAINWATCH_LOG_DIR=DIR TRAINWATCH_ENDPOINT=ipc://DIR/s train_mlp --epochs 2
 * --train 64 --val 64 --quiet`. corpus/runlog_pack holds fuzz_runlog_xor's messages
 * (message_*) and their packed contents (content_*, tw_runlog_pack_message). */
#include "runlog.h"
#include "runlog_xor.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* A growing byte buffer (the generator stops on the first failure). */
typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void
die(const char *what)
{
    fprintf(stderr, "gen_runlog_corpus: %s\n", what);
    exit(1);
}

static void
put(buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            die("out of memory");
    }
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void
put_le32(buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, le, 4);
}

/* Appends a frame of payload. */
static void
put_frame(buf *b, const void *payload, size_t len)
{
    put_le32(b, (uint32_t)len);
    put_le32(b, tw_crc32c(0, payload, len));
    put(b, payload, len);
}

/* Appends a frame with an arbitrary declared length and CRC, and the bytes given. */
static void
put_raw_frame(buf *b, uint32_t declared, uint32_t crc, const void *bytes, size_t len)
{
    put_le32(b, declared);
    put_le32(b, crc);
    put(b, bytes, len);
}

static void
save(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        die(path);
}

/* The wire messages of a small run, one per frame: run and metrics, updates, a heartbeat,
 * the epoch's end, the run's end. */
enum { NMSG = 5 };
static buf msgs[NMSG];

static void
add(tw_wire_encoder *e, const tw_wire_record *r)
{
    if (tw_wire_encoder_add(e, r) != 0)
        die("encoder rejected a record");
}

static void
finish(tw_wire_encoder *e, buf *out)
{
    const uint8_t *data;
    size_t len;
    if (tw_wire_encoder_finish(e, &data, &len) != 0)
        die("encoder finish");
    put(out, data, len);
}

static void
make_messages(void)
{
    tw_wire_encoder *e = tw_wire_encoder_new();
    if (!e)
        die("encoder");
    tw_wire_header h = {.version = TW_WIRE_VERSION, .incarnation = 7, .rank = 0, .world = 1};
    strcpy(h.run, "mnist-2024");
    uint64_t seq = 1;

    tw_wire_encoder_begin(e, &h);
    tw_wire_param params[2] = {{.is_number = true, .number = 0.001}, {.is_number = false}};
    strcpy(params[0].key, "lr");
    strcpy(params[1].key, "optimizer");
    strcpy(params[1].text, "adam");
    tw_wire_record run = {.type = TW_REC_RUN,
                          .seq = seq++,
                          .time = 1.7e9,
                          .pid = 4242,
                          .planned_epochs = 10,
                          .steps_per_epoch = 100,
                          .n_params = 2,
                          .params = params};
    strcpy(run.name, "mnist");
    strcpy(run.host, "gpu1");
    strcpy(run.program, "train.py");
    add(e, &run);
    tw_wire_record loss = {.type = TW_REC_METRIC,
                           .seq = seq++,
                           .metric_id = 1,
                           .split = TW_SPLIT_TRAIN,
                           .kind = TW_METRIC_MEAN,
                           .goal = TW_GOAL_MIN,
                           .options = tw_metric_defaults(),
                           .state_len = 2};
    strcpy(loss.name, "loss");
    add(e, &loss);
    tw_wire_record acc = {.type = TW_REC_METRIC,
                          .seq = seq++,
                          .metric_id = 2,
                          .split = TW_SPLIT_VAL,
                          .kind = TW_METRIC_ACCURACY,
                          .goal = TW_GOAL_MAX,
                          .options = tw_metric_defaults(),
                          .state_len = 2};
    strcpy(acc.name, "accuracy");
    add(e, &acc);
    finish(e, &msgs[0]);

    tw_wire_encoder_begin(e, &h);
    for (int i = 1; i <= 3; i++) {
        double state[2] = {0.5 * 32 * i, 32.0 * i};
        tw_wire_record u = {.type = TW_REC_UPDATE,
                            .seq = seq++,
                            .metric_id = 1,
                            .epoch = 1,
                            .step = (uint64_t)i,
                            .time = 1.7e9 + i,
                            .state = state,
                            .state_len = 2};
        add(e, &u);
    }
    finish(e, &msgs[1]);

    tw_wire_encoder_begin(e, &h);
    tw_wire_record hb = {.type = TW_REC_HEARTBEAT,
                         .seq = seq++,
                         .epoch = 1,
                         .step = 3,
                         .time = 1.7e9 + 4,
                         .interval_ms = 1000};
    add(e, &hb);
    finish(e, &msgs[2]);

    tw_wire_encoder_begin(e, &h);
    double s1[2] = {200.0, 100.0}, s2[2] = {91.0, 100.0};
    tw_wire_record ep1 = {.type = TW_REC_EPOCH,
                          .seq = seq++,
                          .metric_id = 1,
                          .epoch = 1,
                          .step = 100,
                          .time = 1.7e9 + 5,
                          .state = s1,
                          .state_len = 2};
    tw_wire_record ep2 = {.type = TW_REC_EPOCH,
                          .seq = seq++,
                          .metric_id = 2,
                          .epoch = 1,
                          .step = 100,
                          .time = 1.7e9 + 5,
                          .state = s2,
                          .state_len = 2};
    tw_wire_record end = {.type = TW_REC_EPOCH_END,
                          .seq = seq++,
                          .epoch = 1,
                          .step = 100,
                          .time = 1.7e9 + 5,
                          .metrics = 2};
    add(e, &ep1);
    add(e, &ep2);
    add(e, &end);
    finish(e, &msgs[3]);

    tw_wire_encoder_begin(e, &h);
    tw_wire_record re = {
        .type = TW_REC_RUN_END, .seq = seq++, .time = 1.7e9 + 6, .status = TW_RUN_OK};
    add(e, &re);
    tw_wire_record drops = {.type = TW_REC_DROPS, .seq = seq++, .time = 1.7e9 + 6, .dropped = 3};
    add(e, &drops);
    finish(e, &msgs[4]);
    tw_wire_encoder_destroy(&e);
}

/* A valid log of the first n messages. */
static buf
log_of(size_t n)
{
    buf b = {0};
    put(&b, TW_RUNLOG_MAGIC, TW_RUNLOG_HEADER_SIZE);
    for (size_t i = 0; i < n; i++)
        put_frame(&b, msgs[i].p, msgs[i].len);
    return b;
}

/* Appends a version-2 compressed frame of payload (transformed, compressed, bit 31 set, CRC of
 * the zstd bytes). */
static void
put_zstd_frame(buf *b, const void *payload, size_t len)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *z = malloc(cap), *t = malloc(len);
    tw_runlog_xor *x = malloc(sizeof *x);
    if (!z || !t || !x)
        die("out of memory");
    memcpy(t, payload, len);
    tw_runlog_xor_apply(x, t, len, false);
    size_t n = ZSTD_compress(z, cap, t, len, 1);
    free(t);
    free(x);
    if (ZSTD_isError(n))
        die("zstd");
    put_raw_frame(b, (uint32_t)n | TW_RUNLOG_ZSTD, tw_crc32c(0, z, n), z, n);
    free(z);
}

/* Format version 2: the run's messages compressed (and one not), torn, and hostile zstd data
 * behind a good CRC. */
static void
save_v2(const char *dir)
{
    buf b = {0};
    put(&b, TW_RUNLOG_MAGIC_V2, TW_RUNLOG_HEADER_SIZE);
    for (int i = 0; i < NMSG; i++) {
        if (i == 2)
            put_frame(&b, msgs[i].p, msgs[i].len);
        else
            put_zstd_frame(&b, msgs[i].p, msgs[i].len);
    }
    save(dir, "v2_frames", b.p, b.len);
    save(dir, "v2_torn", b.p, b.len - 3);
    const uint8_t junk[] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 0xff, 0x00, 0x01, 0x02};
    put_raw_frame(&b, (uint32_t)sizeof junk | TW_RUNLOG_ZSTD, tw_crc32c(0, junk, sizeof junk), junk,
                  sizeof junk);
    save(dir, "v2_bad_zstd", b.p, b.len);
    free(b.p);
}

int
main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: gen_runlog_corpus DIR");
    const char *dir = argv[1];
    make_messages();

    save(dir, "empty", NULL, 0);
    buf b = log_of(0);
    save(dir, "header_only", b.p, b.len);
    save(dir, "torn_header", b.p, 5);
    free(b.p);

    b = log_of(1);
    save(dir, "one_frame", b.p, b.len);
    free(b.p);

    b = log_of(NMSG);
    save(dir, "several_frames", b.p, b.len);
    size_t last = b.len - msgs[NMSG - 1].len - TW_RUNLOG_FRAME_HEADER;
    save(dir, "torn_frame_header", b.p, last + 5);
    save(dir, "torn_payload", b.p, b.len - 3);

    size_t second = TW_RUNLOG_HEADER_SIZE + TW_RUNLOG_FRAME_HEADER + msgs[0].len;
    b.p[second + TW_RUNLOG_FRAME_HEADER + 4] ^= 0x20;
    save(dir, "flipped_payload", b.p, b.len);
    b.p[second + TW_RUNLOG_FRAME_HEADER + 4] ^= 0x20;
    b.p[second + 6] ^= 0x01;
    save(dir, "flipped_crc", b.p, b.len);
    b.p[second + 6] ^= 0x01;
    b.p[second + 1] ^= 0x01; /* length + 256: the CRC covers the wrong bytes */
    save(dir, "flipped_length", b.p, b.len);
    b.p[second + 1] ^= 0x01;
    b.p[0] = 'X';
    save(dir, "bad_magic", b.p, b.len);
    b.p[0] = 'T';
    b.p[6] = 2;
    save(dir, "version2", b.p, b.len);
    free(b.p);

    /* Hostile declared lengths after one good frame. */
    const uint32_t huge[] = {0xffffffffu, TW_WIRE_MAX_MESSAGE, 0};
    const char *names[] = {"huge_length", "max_length_torn", "zero_length"};
    for (size_t i = 0; i < 3; i++) {
        b = log_of(1);
        put_raw_frame(&b, huge[i], 0, "abcdefgh", 8);
        save(dir, names[i], b.p, b.len);
        free(b.p);
    }

    /* Frames with a valid CRC but payloads that are not wire messages. */
    b = log_of(0);
    for (int i = 0; i < 24; i++) {
        uint8_t one = (uint8_t)(i * 37);
        put_frame(&b, &one, 1);
    }
    save(dir, "tiny_frames", b.p, b.len);
    free(b.p);

    b = log_of(0);
    uint8_t nested[40];
    memset(nested, 0x91, sizeof nested); /* arrays of arrays of ... */
    put_frame(&b, nested, sizeof nested);
    const uint8_t not_map[] = {0xc1, 0xff, 0x00, 0xde, 0xad};
    put_frame(&b, not_map, sizeof not_map);
    buf trunc = {0};
    put(&trunc, msgs[1].p, msgs[1].len - 2); /* a wire message cut short, framed whole */
    put_frame(&b, trunc.p, trunc.len);
    put_frame(&b, msgs[2].p, msgs[2].len);
    save(dir, "bad_messages", b.p, b.len);
    free(b.p);
    free(trunc.p);

    save_v2(dir);

    for (int i = 0; i < NMSG; i++)
        free(msgs[i].p);
    return 0;
}
