/* craft_log.c - writes a run log from hand-made wire messages, for the end-to-end tests of
 * hostile names and odd logs: any bytes in the run id, host and metric name (what the library
 * would refuse to send), any envelope version, a NaN at a chosen epoch, with or without a run
 * end. The run is an overfitting one: train loss falls; val loss falls, then rises from
 * EPOCHS/2 on.
 * Usage: craft_log PATH RUN METRIC EPOCHS [VERSION [NAN_EPOCH [END]]]
 *   RUN and METRIC are taken as bytes (printf '\033...' in the shell); VERSION defaults to 1;
 *   NAN_EPOCH (0: none) makes that epoch's train loss NaN (in its steps too); END 1 (the
 *   default) ends the log with a run-end record, 0 leaves the run open.
 * Exit 0, or 1 with a message. */
#define _POSIX_C_SOURCE 200809L
#include "crc32c.h"

#include <math.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct craft {
    FILE *f;
    const char *run;
    unsigned version;
    msgpack_sbuffer buf;
    msgpack_packer pk;
    uint64_t seq;
} craft;

static void
str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* Starts a message of n records. */
static void
begin(craft *c, unsigned n)
{
    msgpack_sbuffer_clear(&c->buf);
    msgpack_pack_map(&c->pk, 6);
    str(&c->pk, "v");
    msgpack_pack_unsigned_int(&c->pk, c->version);
    str(&c->pk, "run");
    str(&c->pk, c->run);
    str(&c->pk, "inc");
    msgpack_pack_uint64(&c->pk, 7);
    str(&c->pk, "rank");
    msgpack_pack_unsigned_int(&c->pk, 0);
    str(&c->pk, "world");
    msgpack_pack_unsigned_int(&c->pk, 1);
    str(&c->pk, "recs");
    msgpack_pack_array(&c->pk, n);
}

/* Appends the message as one frame (length, CRC32C, payload). */
static void
frame(craft *c)
{
    uint32_t len = (uint32_t)c->buf.size;
    uint32_t crc = tw_crc32c(0, (const uint8_t *)c->buf.data, c->buf.size);
    uint8_t head[8];
    for (int i = 0; i < 4; i++) {
        head[i] = (uint8_t)(len >> (8 * i));
        head[4 + i] = (uint8_t)(crc >> (8 * i));
    }
    fwrite(head, 1, sizeof head, c->f);
    fwrite(c->buf.data, 1, c->buf.size, c->f);
}

/* A record's map header with its type and the next seq. */
static void
record(craft *c, unsigned type, unsigned fields)
{
    msgpack_pack_map(&c->pk, fields + 2);
    str(&c->pk, "t");
    msgpack_pack_unsigned_int(&c->pk, type);
    str(&c->pk, "seq");
    msgpack_pack_uint64(&c->pk, ++c->seq);
}

static void
metric(craft *c, unsigned id, const char *name, unsigned split)
{
    record(c, 2, 5);
    str(&c->pk, "id");
    msgpack_pack_unsigned_int(&c->pk, id);
    str(&c->pk, "name");
    str(&c->pk, name);
    str(&c->pk, "split");
    msgpack_pack_unsigned_int(&c->pk, split);
    str(&c->pk, "kind");
    str(&c->pk, "mean");
    str(&c->pk, "n");
    msgpack_pack_unsigned_int(&c->pk, 2);
}

/* An UPDATE (type 3) or EPOCH (type 4) record of metric id with state [v, 1]. */
static void
state(craft *c, unsigned type, unsigned id, uint64_t epoch, uint64_t step, double v)
{
    record(c, type, 5);
    str(&c->pk, "id");
    msgpack_pack_unsigned_int(&c->pk, id);
    str(&c->pk, "epoch");
    msgpack_pack_uint64(&c->pk, epoch);
    str(&c->pk, "step");
    msgpack_pack_uint64(&c->pk, step);
    str(&c->pk, "time");
    msgpack_pack_double(&c->pk, 1.7e9 + (double)step);
    str(&c->pk, "state");
    msgpack_pack_array(&c->pk, 2);
    msgpack_pack_double(&c->pk, v);
    msgpack_pack_double(&c->pk, 1.0);
}

static void
epoch_end(craft *c, uint64_t epoch)
{
    record(c, 5, 4);
    str(&c->pk, "epoch");
    msgpack_pack_uint64(&c->pk, epoch);
    str(&c->pk, "step");
    msgpack_pack_uint64(&c->pk, epoch * 10);
    str(&c->pk, "time");
    msgpack_pack_double(&c->pk, 1.7e9 + (double)epoch * 10);
    str(&c->pk, "metrics");
    msgpack_pack_unsigned_int(&c->pk, 2);
}

int
main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: craft_log PATH RUN METRIC EPOCHS [VERSION [NAN_EPOCH [END]]]\n");
        return 1;
    }
    craft c = {.run = argv[2], .version = argc > 5 ? (unsigned)atoi(argv[5]) : 1};
    const char *name = argv[3];
    uint64_t epochs = strtoull(argv[4], NULL, 10);
    uint64_t nan_epoch = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;
    int end = argc > 7 ? atoi(argv[7]) : 1;
    if (!(c.f = fopen(argv[1], "wb"))) {
        perror(argv[1]);
        return 1;
    }
    msgpack_sbuffer_init(&c.buf);
    msgpack_packer_init(&c.pk, &c.buf, msgpack_sbuffer_write);
    fwrite("TWLOG\0\1\n", 1, 8, c.f);
    begin(&c, 3);
    record(&c, 1, 4);
    str(&c.pk, "name");
    str(&c.pk, c.run);
    str(&c.pk, "start");
    msgpack_pack_double(&c.pk, 1.7e9);
    str(&c.pk, "host");
    str(&c.pk, c.run);
    str(&c.pk, "program");
    str(&c.pk, "craft_log");
    metric(&c, 1, name, 0);
    metric(&c, 2, name, 1);
    frame(&c);
    for (uint64_t e = 1; e <= epochs; e++) {
        double train = e == nan_epoch ? NAN : 1.0 / (double)e;
        double val = e < epochs / 2 ? 1.0 / (double)e : 0.1 * (double)e;
        begin(&c, 4);
        state(&c, 3, 1, e, e * 10 - 5, train);
        state(&c, 4, 1, e, e * 10, train);
        state(&c, 4, 2, e, e * 10, val);
        epoch_end(&c, e);
        frame(&c);
    }
    if (end) {
        begin(&c, 1);
        record(&c, 7, 2);
        str(&c.pk, "time");
        msgpack_pack_double(&c.pk, 1.7e9 + (double)epochs * 10 + 1);
        str(&c.pk, "status");
        str(&c.pk, "ok");
        frame(&c);
    }
    msgpack_sbuffer_destroy(&c.buf);
    if (fclose(c.f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
