/* gen_wire_corpus.c - writes the seed corpus of fuzz_wire: valid messages of every record type
 * and hostile ones (truncated, huge counts, deep nesting, wrong types, non-finite times, an
 * unknown version, trailing bytes). Not built by meson; from the root:
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Ipublisher/proto -Ipublisher/metrics \
 *       -o /tmp/gen_wire_corpus \
 *       tests/fuzz/gen_wire_corpus.c publisher/proto/wire_encode.c \
 *       publisher/proto/wire_decode.c publisher/proto/wire_read.c \
 *       publisher/proto/wire_names.c publisher/metrics/metric*.c -lm \
 *       $(pkg-config --cflags --libs msgpack-c 2>/dev/null || pkg-config --cflags --libs msgpack)
 *   /tmp/gen_wire_corpus tests/fuzz/corpus/wire
 *
 * Every file is checked against the decoder: valid ones must decode, hostile ones must not. */
#include "wire.h"

#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *out_dir;

static void
die(const char *what)
{
    fprintf(stderr, "gen_wire_corpus: %s\n", what);
    exit(1);
}

/* Writes `name` with len bytes, after checking that decoding it gives `expect`. */
static void
emit(const char *name, const void *data, size_t len, int expect)
{
    tw_wire_decoder *d = tw_wire_decoder_new();
    if (!d)
        die("out of memory");
    int rc = tw_wire_decode(d, data, len, NULL, NULL);
    tw_wire_decoder_destroy(&d);
    if (rc != expect) {
        fprintf(stderr, "gen_wire_corpus: %s decodes to %d, expected %d\n", name, rc, expect);
        exit(1);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", out_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die(path);
}

static const tw_wire_header header = {.run = "run-1", .incarnation = 77, .rank = 1, .world = 2};

/* Encodes n records and writes them as `name`; returns the length, the bytes in *out. */
static size_t
emit_records(const char *name, const tw_wire_record *recs, size_t n, const uint8_t **out)
{
    static tw_wire_encoder *e;
    if (!e && !(e = tw_wire_encoder_new()))
        die("out of memory");
    tw_wire_encoder_begin(e, &header);
    for (size_t i = 0; i < n; i++)
        if (tw_wire_encoder_add(e, &recs[i]) != 0)
            die("encoder refused a record");
    const uint8_t *data;
    size_t len;
    if (tw_wire_encoder_finish(e, &data, &len) != 0)
        die("finish");
    emit(name, data, len, 0);
    if (out)
        *out = data;
    return len;
}

/* A METRIC record. */
static tw_wire_record
metric(uint64_t seq, int kind, uint32_t id, const char *name)
{
    tw_wire_record r = {.type = TW_REC_METRIC,
                        .seq = seq,
                        .metric_id = id,
                        .kind = kind,
                        .split = TW_SPLIT_VAL,
                        .goal = TW_GOAL_MIN};
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.options = tw_metric_defaults();
    r.options.num_thresholds = 3;
    r.options.k = 2;
    r.state_len = kind == TW_WIRE_KIND_GAUGE
                      ? 1
                      : (uint32_t)tw_metric_state_size_for((tw_metric_kind)kind, &r.options);
    return r;
}

typedef struct mb {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} mb;

static void
mb_init(mb *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void
str(mb *b, const char *s)
{
    msgpack_pack_str_with_body(&b->pk, s, strlen(s));
}

/* An envelope with version v, extra unknown keys, and the "recs" header for n records. */
static void
envelope(mb *b, unsigned v, uint32_t rank, uint32_t world, size_t extra, uint32_t n)
{
    msgpack_pack_map(&b->pk, 6 + extra);
    str(b, "v"), msgpack_pack_uint32(&b->pk, v);
    str(b, "run"), str(b, "hand");
    str(b, "inc"), msgpack_pack_uint64(&b->pk, 1);
    str(b, "rank"), msgpack_pack_uint32(&b->pk, rank);
    str(b, "world"), msgpack_pack_uint32(&b->pk, world);
    str(b, "recs"), msgpack_pack_array(&b->pk, n);
}

/* A HEARTBEAT with the given time. */
static void
heartbeat(mb *b, double time)
{
    msgpack_pack_map(&b->pk, 6);
    str(b, "t"), msgpack_pack_uint8(&b->pk, TW_REC_HEARTBEAT);
    str(b, "seq"), msgpack_pack_uint8(&b->pk, 9);
    str(b, "time"), msgpack_pack_double(&b->pk, time);
    str(b, "step"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "epoch"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "interval"), msgpack_pack_uint16(&b->pk, 1000);
}

static void
emit_mb(const char *name, mb *b, int expect)
{
    emit(name, b->sb.data, b->sb.size, expect);
    msgpack_sbuffer_destroy(&b->sb);
}

int
main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: gen_wire_corpus DIR");
    out_dir = argv[1];

    /* Valid: one message per record type. */
    tw_wire_param params[3] = {{.key = "lr", .is_number = true, .number = 0.001},
                               {.key = "optimizer", .text = "adam"},
                               {.key = "nan", .is_number = true, .number = NAN}};
    tw_wire_record run = {.type = TW_REC_RUN,
                          .seq = 1,
                          .time = 1700000000.5,
                          .name = "run-1",
                          .host = "gpu01",
                          .program = "train",
                          .pid = 4242,
                          .planned_epochs = 10,
                          .steps_per_epoch = 100,
                          .n_params = 3,
                          .params = params};
    emit_records("valid_run", &run, 1, NULL);
    tw_wire_record m = metric(2, TW_METRIC_MEAN, 1, "loss");
    emit_records("valid_metric_mean", &m, 1, NULL);
    m = metric(3, TW_METRIC_AUC, 2, "auc");
    emit_records("valid_metric_auc", &m, 1, NULL);
    m = metric(4, TW_METRIC_PRECISION, 3, "precision");
    emit_records("valid_metric_precision", &m, 1, NULL);
    m = metric(5, TW_METRIC_TOP_K_CATEGORICAL_ACCURACY, 4, "top2");
    emit_records("valid_metric_topk", &m, 1, NULL);
    m = metric(6, TW_WIRE_KIND_GAUGE, 5, "lr");
    m.goal = TW_GOAL_UNKNOWN;
    emit_records("valid_metric_gauge", &m, 1, NULL);
    /* Keras arguments ("args") define the metric: F1 with 3 classes, a custom metric */
    m = metric(6, TW_METRIC_F1_SCORE, 6, "f1");
    m.options = tw_metric_defaults();
    snprintf(m.args, sizeof m.args, "num_classes=3,average=macro");
    m.state_len = 12;
    const uint8_t *args_bytes;
    size_t args_len = emit_records("valid_metric_args_f1", &m, 1, &args_bytes);
    uint8_t args_copy[512];
    if (args_len > sizeof(args_copy))
        die("args record too long");
    memcpy(args_copy, args_bytes, args_len);
    uint8_t *at = NULL;
    for (size_t i = 0; !at && i + 13 <= args_len; i++)
        if (memcmp(args_copy + i, "num_classes=3", 13) == 0)
            at = args_copy + i;
    if (!at)
        die("no args in the record");
    at[12] = 'x'; /* arguments the decoder refuses */
    emit("bad_metric_args", args_copy, args_len, -EBADMSG);
    at[12] = '4'; /* arguments that disagree with n */
    emit("bad_metric_args_n", args_copy, args_len, -EBADMSG);
    m = metric(6, TW_METRIC_CUSTOM, 7, "mrr");
    m.options = tw_metric_defaults();
    snprintf(m.args, sizeof m.args, "slots=[total,count],expr=\"total/count\"");
    m.state_len = 2;
    emit_records("valid_metric_args_custom", &m, 1, NULL);
    static const double st[8] = {NAN, INFINITY, -0.0, 1.5, 2.0, 3.0, 4.0, 5.0};
    tw_wire_record up = {.type = TW_REC_UPDATE,
                         .seq = 7,
                         .metric_id = 1,
                         .epoch = 1,
                         .step = 3,
                         .time = 1700000001.0,
                         .state = st,
                         .state_len = 2};
    const uint8_t *update_bytes;
    size_t update_len = emit_records("valid_update", &up, 1, &update_bytes);
    uint8_t update_copy[256];
    if (update_len > sizeof(update_copy))
        die("update too long");
    memcpy(update_copy, update_bytes, update_len);
    tw_wire_record ep = up;
    ep.type = TW_REC_EPOCH;
    ep.metric_id = 2;
    ep.state_len = 8;
    emit_records("valid_epoch", &ep, 1, NULL);
    tw_wire_record end = {.type = TW_REC_EPOCH_END,
                          .seq = 9,
                          .epoch = 1,
                          .step = 100,
                          .time = 1700000002.0,
                          .metrics = 2};
    emit_records("valid_epoch_end", &end, 1, NULL);
    tw_wire_record hb = {.type = TW_REC_HEARTBEAT,
                         .seq = 10,
                         .epoch = 2,
                         .step = 101,
                         .time = 1700000003.0,
                         .interval_ms = 1000};
    emit_records("valid_heartbeat", &hb, 1, NULL);
    tw_wire_record re = {
        .type = TW_REC_RUN_END, .seq = 11, .time = 1700000004.0, .status = TW_RUN_INTERRUPTED};
    emit_records("valid_run_end", &re, 1, NULL);
    tw_wire_record dr = {.type = TW_REC_DROPS, .seq = 12, .time = 1700000005.0, .dropped = 3};
    emit_records("valid_drops", &dr, 1, NULL);
    tw_wire_record gap = {.type = TW_REC_GAP,
                          .seq = 13,
                          .time = 1700000006.0,
                          .step = 90,
                          .to_step = 99,
                          .dropped = 20};
    emit_records("valid_gap", &gap, 1, NULL);
    tw_wire_record all[] = {run, metric(2, TW_METRIC_MEAN, 1, "loss"), up, ep, end, hb, re, dr};
    emit_records("valid_mixed", all, sizeof(all) / sizeof(all[0]), NULL);
    emit_records("valid_empty", NULL, 0, NULL);

    /* Valid: unknown keys of several types, an unknown record type. */
    mb b;
    mb_init(&b);
    envelope(&b, 1, 0, 1, 1, 2);
    msgpack_pack_map(&b.pk, 3);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, 42);
    str(&b, "blob"), msgpack_pack_bin_with_body(&b.pk, "\1\2\3", 3);
    str(&b, "deep"), msgpack_pack_array(&b.pk, 1), msgpack_pack_map(&b.pk, 1),
        msgpack_pack_int(&b.pk, -1), msgpack_pack_ext_with_body(&b.pk, "ab", 2, 7);
    heartbeat(&b, 1.0);
    str(&b, "future"), msgpack_pack_float(&b.pk, 2.5f);
    emit_mb("valid_unknowns", &b, 0);

    /* Hostile: a GAP whose last step is before its first. */
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    msgpack_pack_map(&b.pk, 6);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_GAP);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
    str(&b, "step"), msgpack_pack_uint8(&b.pk, 10);
    str(&b, "to"), msgpack_pack_uint8(&b.pk, 9);
    str(&b, "dropped"), msgpack_pack_uint8(&b.pk, 1);
    emit_mb("bad_gap_backwards", &b, -EBADMSG);

    /* A resumed launch: "join" names the run it continues. */
    {
        tw_wire_header hj = header;
        snprintf(hj.join, sizeof hj.join, "run-0");
        tw_wire_encoder *je = tw_wire_encoder_new();
        const uint8_t *jd;
        size_t jl;
        if (!je)
            die("out of memory");
        tw_wire_encoder_begin(je, &hj);
        if (tw_wire_encoder_add(je, &run) != 0 || tw_wire_encoder_finish(je, &jd, &jl) != 0)
            die("cannot encode the join message");
        emit("valid_join", jd, jl, 0);
        tw_wire_encoder_destroy(&je);
    }
    /* {"v":1,"run":"r","inc":1,"rank":0,"world":1,"join":"x","join":"x","recs":[]} */
    static const uint8_t join_twice[] = {
        0x88, 0xa1, 'v', 0x01, 0xa3, 'r',  'u', 'n', 0xa1, 'r', 0xa3, 'i',  'n',  'c', 0x01, 0xa4,
        'r',  'a',  'n', 'k',  0x00, 0xa5, 'w', 'o', 'r',  'l', 'd',  0x01, 0xa4, 'j', 'o',  'i',
        'n',  0xa1, 'x', 0xa4, 'j',  'o',  'i', 'n', 0xa1, 'x', 0xa4, 'r',  'e',  'c', 's',  0x90};
    emit("bad_join_twice", join_twice, sizeof join_twice, -EBADMSG);

    /* Hostile. */
    emit("bad_empty", "", 0, -EBADMSG);
    emit("bad_truncated", update_copy, update_len / 2, -EBADMSG);
    emit("bad_truncated_last", update_copy, update_len - 1, -EBADMSG);
    uint8_t trailing[260];
    memcpy(trailing, update_copy, update_len);
    trailing[update_len] = 0xc0;
    emit("bad_trailing", trailing, update_len + 1, -EBADMSG);

    mb_init(&b);
    envelope(&b, 2, 0, 1, 0, 1);
    heartbeat(&b, 1.0);
    emit_mb("bad_version2", &b, -EPROTO);
    mb_init(&b);
    envelope(&b, 1, 2, 2, 0, 1);
    heartbeat(&b, 1.0);
    emit_mb("bad_rank", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    heartbeat(&b, NAN);
    emit_mb("bad_nan_time", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    heartbeat(&b, INFINITY);
    emit_mb("bad_inf_time", &b, -EBADMSG);

    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 0);
    b.sb.size--; /* replace the array header by a huge one */
    msgpack_sbuffer_write(&b.sb, "\xdd\xff\xff\xff\xff", 5);
    heartbeat(&b, 1.0);
    emit_mb("bad_huge_recs", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 1, 0);
    str(&b, "x");
    msgpack_sbuffer_write(&b.sb, "\xdf\xff\xff\xff\xff", 5);
    emit_mb("bad_huge_map", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 1, 0);
    str(&b, "x");
    msgpack_sbuffer_write(&b.sb, "\xdb\x7f\xff\xff\xff", 5);
    emit_mb("bad_huge_str", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 1, 0);
    str(&b, "x");
    for (int i = 0; i < 64; i++)
        msgpack_pack_array(&b.pk, 1);
    msgpack_pack_nil(&b.pk);
    emit_mb("bad_deep", &b, -EBADMSG);

    /* an UPDATE whose state is float 32 / declares more elements than it holds */
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    msgpack_pack_map(&b.pk, 7);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_UPDATE);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "id"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "epoch"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "step"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "state"), msgpack_pack_array(&b.pk, 2), msgpack_pack_float(&b.pk, 1.0f),
        msgpack_pack_float(&b.pk, 1.0f);
    str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
    emit_mb("bad_state_f32", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    msgpack_pack_map(&b.pk, 7);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_UPDATE);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "id"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "epoch"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "step"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "state"), msgpack_pack_array(&b.pk, 3), msgpack_pack_double(&b.pk, 1.0),
        msgpack_pack_double(&b.pk, 1.0);
    str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
    emit_mb("bad_state_count", &b, -EBADMSG);
    /* a METRIC whose n disagrees with its kind; a string field holding an int */
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    msgpack_pack_map(&b.pk, 7);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_METRIC);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "id"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "name"), str(&b, "loss");
    str(&b, "split"), msgpack_pack_uint8(&b.pk, 0);
    str(&b, "kind"), str(&b, "mean");
    str(&b, "n"), msgpack_pack_uint8(&b.pk, 3);
    emit_mb("bad_metric_n", &b, -EBADMSG);
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    msgpack_pack_map(&b.pk, 4);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_RUN_END);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
    str(&b, "status"), msgpack_pack_uint8(&b.pk, 0);
    emit_mb("bad_status_type", &b, -EBADMSG);
    /* a run id one byte too long */
    mb_init(&b);
    msgpack_pack_map(&b.pk, 6);
    str(&b, "v"), msgpack_pack_uint8(&b.pk, 1);
    char long_name[TW_WIRE_MAX_NAME + 2];
    memset(long_name, 'r', TW_WIRE_MAX_NAME + 1);
    long_name[TW_WIRE_MAX_NAME + 1] = '\0';
    str(&b, "run"), str(&b, long_name);
    str(&b, "inc"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "rank"), msgpack_pack_uint8(&b.pk, 0);
    str(&b, "world"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "recs"), msgpack_pack_array(&b.pk, 0);
    emit_mb("bad_long_run", &b, -EBADMSG);
    /* a negative sequence number */
    mb_init(&b);
    envelope(&b, 1, 0, 1, 0, 1);
    msgpack_pack_map(&b.pk, 4);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_DROPS);
    str(&b, "seq"), msgpack_pack_int8(&b.pk, -5);
    str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
    str(&b, "dropped"), msgpack_pack_uint8(&b.pk, 0);
    emit_mb("bad_negative_seq", &b, -EBADMSG);
    return 0;
}
