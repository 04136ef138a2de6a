/* test_wire.c - the wire format: encoder/decoder round trips, skipping and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "wire.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Collecting decoded records                                                                   */

/* Deep copies of the records a decode delivered. */
typedef struct got {
    size_t n, cap;
    tw_wire_header h;
    tw_wire_record *recs;
    int stop_at; /* return stop_rc from the callback for record number stop_at (1-based) */
    int stop_rc;
} got;

/* Callback: copies the record (state and params included). */
static int
collect(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    got *g = ctx;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->recs = realloc(g->recs, g->cap * sizeof(*g->recs));
        assert_non_null(g->recs);
    }
    tw_wire_record *c = &g->recs[g->n++];
    *c = *r;
    g->h = *h;
    if (r->state) {
        double *s = malloc(r->state_len * sizeof(double));
        assert_non_null(s);
        memcpy(s, r->state, r->state_len * sizeof(double));
        c->state = s;
    }
    if (r->params) {
        tw_wire_param *p = malloc(r->n_params * sizeof(*p));
        assert_non_null(p);
        memcpy(p, r->params, r->n_params * sizeof(*p));
        c->params = p;
    }
    if (g->stop_at && (int)g->n == g->stop_at)
        return g->stop_rc;
    return 0;
}

/* Frees the copies. */
static void
got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free((void *)g->recs[i].state);
        free(g->recs[i].params);
    }
    free(g->recs);
    memset(g, 0, sizeof(*g));
}

/* Asserts that two records hold the same fields (doubles compared bit for bit). */
static void
assert_same_record(const tw_wire_record *a, const tw_wire_record *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->seq, b->seq);
    assert_memory_equal(&a->time, &b->time, sizeof(double));
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->host, b->host);
    assert_string_equal(a->program, b->program);
    assert_int_equal(a->pid, b->pid);
    assert_int_equal(a->planned_epochs, b->planned_epochs);
    assert_int_equal(a->steps_per_epoch, b->steps_per_epoch);
    assert_int_equal(a->n_params, b->n_params);
    for (uint32_t i = 0; i < a->n_params; i++) {
        assert_string_equal(a->params[i].key, b->params[i].key);
        assert_int_equal(a->params[i].is_number, b->params[i].is_number);
        if (a->params[i].is_number)
            assert_memory_equal(&a->params[i].number, &b->params[i].number, sizeof(double));
        else
            assert_string_equal(a->params[i].text, b->params[i].text);
    }
    assert_int_equal(a->metric_id, b->metric_id);
    assert_int_equal(a->split, b->split);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->goal, b->goal);
    if (a->type == TW_REC_METRIC) {
        int k = a->kind;
        if (k == TW_METRIC_BINARY_ACCURACY || k == TW_METRIC_PRECISION || k == TW_METRIC_RECALL)
            assert_memory_equal(&a->options.threshold, &b->options.threshold, sizeof(double));
        if (k == TW_METRIC_TOP_K_CATEGORICAL_ACCURACY ||
            k == TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY)
            assert_int_equal(a->options.k, b->options.k);
        if (k == TW_METRIC_AUC) {
            assert_int_equal(a->options.num_thresholds, b->options.num_thresholds);
            assert_int_equal(a->options.curve, b->options.curve);
            assert_int_equal(a->options.summation, b->options.summation);
        }
    }
    assert_string_equal(a->args, b->args);
    assert_int_equal(a->state_len, b->state_len);
    assert_int_equal(a->epoch, b->epoch);
    assert_int_equal(a->step, b->step);
    if (a->type == TW_REC_UPDATE || a->type == TW_REC_EPOCH)
        assert_memory_equal(a->state, b->state, a->state_len * sizeof(double));
    assert_int_equal(a->metrics, b->metrics);
    assert_int_equal(a->interval_ms, b->interval_ms);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->dropped, b->dropped);
    assert_int_equal(a->to_step, b->to_step);
}

/* Decodes len bytes into g; returns tw_wire_decode's result. */
static int
decode(const uint8_t *data, size_t len, got *g)
{
    tw_wire_decoder *d = tw_wire_decoder_new();
    assert_non_null(d);
    int rc = tw_wire_decode(d, data, len, collect, g);
    tw_wire_stats st = tw_wire_decoder_stats(d);
    if (rc == -EBADMSG || rc == -EPROTO || rc == -EMSGSIZE) {
        assert_int_equal(st.rejected, 1);
        assert_int_equal(st.messages, 0);
        assert_int_equal(g->n, 0); /* a rejected message delivers nothing */
    }
    tw_wire_decoder_destroy(&d);
    assert_null(d);
    return rc;
}

/* Asserts that the message is rejected with `err` and delivers nothing. */
static void
assert_rejected(const uint8_t *data, size_t len, int err)
{
    got g = {0};
    int rc = decode(data, len, &g);
    if (rc != err)
        fail_msg("expected %d, got %d", err, rc);
    got_free(&g);
}

/* ------------------------------------------------------------------------------------------ */
/* Records for round trips                                                                      */

static const tw_wire_header header = {
    .version = 1, .run = "job-42", .incarnation = 0x0123456789abcdefull, .rank = 3, .world = 4};

/* A string of n copies of c in buf (n + 1 bytes). */
static char *
fill(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static tw_wire_param params[TW_WIRE_MAX_PARAMS];
static double big_state[TW_WIRE_MAX_STATE];

/* A RUN record with every field, the maximum number of parameters of both types, and
 * maximum-length strings. */
static tw_wire_record
run_record(uint64_t seq)
{
    tw_wire_record r = {.type = TW_REC_RUN, .seq = seq, .time = 1700000000.25};
    fill(r.name, 'n', TW_WIRE_MAX_NAME);
    fill(r.host, 'h', TW_WIRE_MAX_NAME);
    fill(r.program, 'p', TW_WIRE_MAX_NAME);
    r.pid = UINT64_MAX;
    r.planned_epochs = 100;
    r.steps_per_epoch = 1u << 20;
    for (unsigned i = 0; i < TW_WIRE_MAX_PARAMS; i++) {
        tw_wire_param *p = &params[i];
        memset(p, 0, sizeof(*p));
        if (i == 0)
            fill(p->key, 'k', TW_WIRE_MAX_NAME);
        else
            snprintf(p->key, sizeof(p->key), "param_%u", i);
        p->is_number = i % 2 == 0;
        if (p->is_number)
            p->number = i == 2 ? NAN : i == 4 ? -INFINITY : 0.001 * i;
        else if (i == 1)
            fill(p->text, 't', TW_WIRE_MAX_TEXT);
        else if (i == 3)
            p->text[0] = '\0';
        else
            snprintf(p->text, sizeof(p->text), "value %u é", i);
    }
    r.n_params = TW_WIRE_MAX_PARAMS;
    r.params = params;
    return r;
}

/* A METRIC record of `kind` with non-default options. */
static tw_wire_record
metric_record(uint64_t seq, int kind, uint32_t id)
{
    tw_wire_record r = {.type = TW_REC_METRIC, .seq = seq, .metric_id = id, .kind = kind};
    snprintf(r.name, sizeof(r.name), "metric_%u", id);
    r.split = (tw_split)(id % 3);
    r.goal = (tw_goal)(id % 3);
    r.options = tw_metric_defaults();
    r.options.threshold = kind == TW_METRIC_BINARY_ACCURACY ? 0.75 : 0.25;
    r.options.k = 3;
    r.options.num_thresholds = 7;
    r.options.curve = TW_AUC_PR;
    r.options.summation = TW_AUC_MAJORING;
    /* The kinds added in 0.2 declare their Keras arguments ("args") */
    static const char *const args[] = {
        [TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY] = "from_logits=true,ignore_class=-1",
        [TW_METRIC_R2_SCORE] = "class_aggregation=None,num_regressors=1,num_outputs=3",
        [TW_METRIC_TRUE_POSITIVES] = "thresholds=[0.25,0.75]",
        [TW_METRIC_FALSE_NEGATIVES] = "thresholds=0.3",
        [TW_METRIC_SENSITIVITY_AT_SPECIFICITY] = "value=0.5,num_thresholds=7,class_id=1",
        [TW_METRIC_RECALL_AT_PRECISION] = "value=0.8",
        [TW_METRIC_F_BETA_SCORE] = "num_classes=4,beta=2,average=macro",
        [TW_METRIC_F1_SCORE] = "num_classes=3",
        [TW_METRIC_IOU] = "num_classes=3,target_class_ids=[0,2]",
        [TW_METRIC_BINARY_IOU] = "threshold=0.3",
        [TW_METRIC_MEAN_IOU] = "num_classes=5,ignore_class=255",
        [TW_METRIC_ONE_HOT_IOU] = "num_classes=3,target_class_ids=[1]",
        [TW_METRIC_ONE_HOT_MEAN_IOU] = "num_classes=4",
        [TW_METRIC_CONCORDANCE_CORRELATION] = "",
        [TW_METRIC_PRECISION_AT_RECALL] = "value=0.25",
        [TW_METRIC_SPECIFICITY_AT_SENSITIVITY] = "value=1",
        [TW_METRIC_CUSTOM] = "slots=[tp,fp,fn],expr=\"2*tp/(2*tp+fp+fn)\"",
    };
    if (kind >= TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY && kind < TW_METRIC_KIND_END &&
        args[kind]) {
        snprintf(r.args, sizeof r.args, "%s", args[kind]);
        r.options = tw_metric_defaults();
    }
    r.state_len = kind == TW_WIRE_KIND_GAUGE
                      ? 1
                      : (uint32_t)tw_wire_metric_state_size(kind, &r.options, r.args);
    return r;
}

/* An UPDATE or EPOCH record with a state of n doubles. */
static tw_wire_record
state_record(tw_record_type type, uint64_t seq, uint32_t id, const double *state, uint32_t n)
{
    tw_wire_record r = {.type = type,
                        .seq = seq,
                        .metric_id = id,
                        .epoch = 2,
                        .step = 12345,
                        .time = 1700000001.5,
                        .state = state,
                        .state_len = n};
    return r;
}

/* Encodes n records into a message; returns a malloc'd copy of it. */
static uint8_t *
encode(const tw_wire_header *h, const tw_wire_record *recs, size_t n, size_t *len)
{
    tw_wire_encoder *e = tw_wire_encoder_new();
    assert_non_null(e);
    tw_wire_encoder_begin(e, h);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tw_wire_encoder_add(e, &recs[i]), 0);
    assert_int_equal(tw_wire_encoder_count(e), n);
    const uint8_t *data;
    assert_int_equal(tw_wire_encoder_finish(e, &data, len), 0);
    assert_int_equal(tw_wire_encoder_size(e), *len);
    uint8_t *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, data, *len);
    tw_wire_encoder_destroy(&e);
    assert_null(e);
    return copy;
}

/* Builds the records of every type (with every metric kind) into recs; returns how many. */
static size_t
every_record(tw_wire_record *recs, const double *small_state)
{
    size_t n = 0;
    uint64_t seq = 1;
    recs[n++] = run_record(seq++);
    for (int k = TW_METRIC_MEAN; k < TW_METRIC_KIND_END; k++)
        recs[n++] = metric_record(seq++, k, (uint32_t)k);
    recs[n++] = metric_record(seq++, TW_WIRE_KIND_GAUGE, 99);
    recs[n] = metric_record(seq++, TW_METRIC_PRECISION, 98); /* an old kind with new args */
    snprintf(recs[n].args, sizeof recs[n].args, "thresholds=[0.2,0.8],top_k=2,class_id=1");
    recs[n].options = tw_metric_defaults(); /* as the arguments give them */
    recs[n].state_len = 4;
    n++;
    recs[n++] = state_record(TW_REC_UPDATE, seq++, 1, small_state, 2);
    recs[n++] = state_record(TW_REC_EPOCH, seq++, 1, small_state, 6);
    recs[n++] = (tw_wire_record){.type = TW_REC_EPOCH_END,
                                 .seq = seq++,
                                 .epoch = 2,
                                 .step = 999,
                                 .time = 1700000002.0,
                                 .metrics = 17};
    recs[n++] = (tw_wire_record){.type = TW_REC_HEARTBEAT,
                                 .seq = seq++,
                                 .epoch = 3,
                                 .step = 1000,
                                 .time = 1700000003.0,
                                 .interval_ms = 1000};
    for (int s = TW_RUN_OK; s <= TW_RUN_INTERRUPTED; s++)
        recs[n++] = (tw_wire_record){
            .type = TW_REC_RUN_END, .seq = seq++, .time = 1700000004.0, .status = (tw_run_status)s};
    recs[n++] = (tw_wire_record){
        .type = TW_REC_DROPS, .seq = UINT64_MAX, .time = -5.0, .dropped = UINT64_MAX};
    recs[n++] = (tw_wire_record){.type = TW_REC_GAP,
                                 .seq = seq++,
                                 .time = 1700000005.0,
                                 .step = 1000,
                                 .to_step = 1041,
                                 .dropped = 840};
    return n;
}

static const double small_state[6] = {NAN, INFINITY, -INFINITY, -0.0, 1e-310, 3.5};

/* Decoded records equal the encoded ones, with the decoder's option normalisation. */
static void
assert_round_trip(const tw_wire_record *recs, size_t n, const got *g)
{
    assert_int_equal(g->n, n);
    for (size_t i = 0; i < n; i++)
        assert_same_record(&recs[i], &g->recs[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* Round trips                                                                                  */

static void
test_round_trip_every_type(void **state)
{
    (void)state;
    tw_wire_record recs[64];
    size_t n = every_record(recs, small_state);
    size_t len;
    uint8_t *msg = encode(&header, recs, n, &len);

    got g = {0};
    tw_wire_decoder *d = tw_wire_decoder_new();
    assert_int_equal(tw_wire_decode(d, msg, len, collect, &g), 0);
    assert_int_equal(g.h.version, 1);
    assert_string_equal(g.h.run, "job-42");
    assert_int_equal(g.h.incarnation, 0x0123456789abcdefull);
    assert_int_equal(g.h.rank, 3);
    assert_int_equal(g.h.world, 4);
    assert_round_trip(recs, n, &g);
    /* the decoder fills the options a kind does not use with the defaults */
    const tw_wire_record *mean = &g.recs[1];
    assert_int_equal(mean->kind, TW_METRIC_MEAN);
    assert_int_equal(mean->options.k, 5);
    assert_int_equal(mean->options.num_thresholds, 200);
    assert_true(mean->options.threshold == 0.5);
    assert_true(isnan(g.recs[0].params[2].number));
    assert_true(isnan(g.recs[n - 8].state[0]));

    tw_wire_stats st = tw_wire_decoder_stats(d);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.records, n);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.unknown_records, 0);
    tw_wire_decoder_destroy(&d);
    got_free(&g);
    free(msg);
}

/* The optional replay mark: absent on live messages (0), carried exactly on replays. */
static void
test_replay_mark(void **state)
{
    (void)state;
    tw_wire_record recs[64];
    size_t n = every_record(recs, small_state);
    tw_wire_header h = header;
    size_t live_len, replay_len;
    uint8_t *live = encode(&h, recs, n, &live_len);
    h.replay_through = 0xfedcba9876543210ull;
    uint8_t *replay = encode(&h, recs, n, &replay_len);
    assert_true(replay_len > live_len); /* the key is only written on replays */

    tw_wire_decoder *d = tw_wire_decoder_new();
    got g = {0};
    assert_int_equal(tw_wire_decode(d, live, live_len, collect, &g), 0);
    assert_int_equal(g.h.replay_through, 0);
    got_free(&g);
    memset(&g, 0, sizeof g);
    assert_int_equal(tw_wire_decode(d, replay, replay_len, collect, &g), 0);
    assert_int_equal(g.h.replay_through, 0xfedcba9876543210ull);
    assert_round_trip(recs, n, &g);
    got_free(&g);
    tw_wire_decoder_destroy(&d);
    free(live);
    free(replay);
}

/* The optional join key (a resumed launch names the run it continues): absent when empty,
 * carried exactly; a repeated or empty one rejects the message. */
static void
test_join_key(void **state)
{
    (void)state;
    tw_wire_record recs[64];
    size_t n = every_record(recs, small_state);
    tw_wire_header h = header;
    size_t len;
    snprintf(h.join, sizeof h.join, "mlp-run");
    uint8_t *msg = encode(&h, recs, n, &len);
    got g = {0};
    assert_int_equal(decode(msg, len, &g), 0);
    assert_string_equal(g.h.join, "mlp-run");
    assert_round_trip(recs, n, &g);
    got_free(&g);
    free(msg);
    /* {"v":1,"run":"r","inc":1,"rank":0,"world":1,"join":J,"join":J,"recs":[]} */
    static const uint8_t twice[] = {
        0x87, 0xa1, 'v', 0x01, 0xa3, 'r',  'u', 'n', 0xa1, 'r', 0xa3, 'i',  'n',  'c', 0x01, 0xa4,
        'r',  'a',  'n', 'k',  0x00, 0xa5, 'w', 'o', 'r',  'l', 'd',  0x01, 0xa4, 'j', 'o',  'i',
        'n',  0xa1, 'x', 0xa4, 'j',  'o',  'i', 'n', 0xa1, 'x', 0xa4, 'r',  'e',  'c', 's',  0x90};
    memset(&g, 0, sizeof g);
    assert_int_not_equal(decode(twice, sizeof twice, &g), 0);
    got_free(&g);
    uint8_t once[sizeof twice - 7];
    memcpy(once, twice, 35);
    memcpy(once + 35, twice + 42, sizeof twice - 42);
    once[0] = 0x87;
    memset(&g, 0, sizeof g);
    assert_int_equal(decode(once, sizeof once, &g), 0); /* once is fine */
    got_free(&g);
    once[33] = 0xa0; /* "join": "" */
    memset(&g, 0, sizeof g);
    uint8_t empty[sizeof once - 1];
    memcpy(empty, once, 34);
    memcpy(empty + 34, once + 35, sizeof once - 35);
    assert_int_not_equal(decode(empty, sizeof empty, &g), 0);
    got_free(&g);
}

static void
test_round_trip_largest_state(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < TW_WIRE_MAX_STATE; i++)
        big_state[i] = i % 7 == 0 ? NAN : (double)i * 0.5;
    tw_wire_record recs[2];
    recs[0] = metric_record(1, TW_METRIC_AUC, 1);
    recs[0].options.num_thresholds = TW_AUC_MAX_THRESHOLDS;
    recs[0].state_len = TW_WIRE_MAX_STATE;
    recs[1] = state_record(TW_REC_EPOCH, 2, 1, big_state, TW_WIRE_MAX_STATE);
    size_t len;
    uint8_t *msg = encode(&header, recs, 2, &len);
    got g = {0};
    assert_int_equal(decode(msg, len, &g), 0);
    assert_round_trip(recs, 2, &g);
    got_free(&g);
    free(msg);
}

static void
test_many_records(void **state)
{
    (void)state;
    static const double s[2] = {3.0, 4.0};
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_encoder_begin(e, &header);
    tw_wire_record r = state_record(TW_REC_UPDATE, 1, 5, s, 2);
    for (uint32_t i = 0; i < TW_WIRE_MAX_RECORDS; i++) {
        r.seq = i + 1;
        r.step = i;
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    size_t before = tw_wire_encoder_size(e);
    assert_int_equal(tw_wire_encoder_add(e, &r), -EMSGSIZE); /* full */
    assert_int_equal(tw_wire_encoder_size(e), before);
    assert_int_equal(tw_wire_encoder_count(e), TW_WIRE_MAX_RECORDS);
    const uint8_t *data;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    got g = {0};
    assert_int_equal(decode(data, len, &g), 0);
    assert_int_equal(g.n, TW_WIRE_MAX_RECORDS);
    for (uint32_t i = 0; i < TW_WIRE_MAX_RECORDS; i++) {
        assert_int_equal(g.recs[i].seq, i + 1);
        assert_int_equal(g.recs[i].step, i);
        assert_true(g.recs[i].state[1] == 4.0);
    }
    got_free(&g);

    /* the encoder is reusable: begin discards, a new message starts */
    tw_wire_encoder_begin(e, &header);
    assert_int_equal(tw_wire_encoder_count(e), 0);
    assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    assert_int_equal(decode(data, len, &g), 0);
    assert_int_equal(g.n, 1);
    got_free(&g);
    /* records may be added after finish */
    assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    assert_int_equal(decode(data, len, &g), 0);
    assert_int_equal(g.n, 2);
    got_free(&g);
    tw_wire_encoder_destroy(&e);
    tw_wire_encoder_destroy(&e); /* NULL-safe */
}

/* What tw_wire_decode_batch gave: each record's seq and type, whether it came in a batch, and
 * the batches' sizes; `stop_at` stops at that call (1-based) with 7. */
typedef struct batched {
    uint64_t seq[700];
    uint8_t type[700], in_batch[700];
    size_t n, calls, largest, stop_at;
} batched;

static int
batched_one(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    (void)h;
    batched *b = ctx;
    assert_true(b->n < 700);
    b->seq[b->n] = r->seq;
    b->type[b->n] = (uint8_t)r->type;
    b->in_batch[b->n++] = 0;
    return ++b->calls == b->stop_at ? 7 : 0;
}

static int
batched_many(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n)
{
    (void)h;
    batched *b = ctx;
    assert_true(n >= 1 && n <= TW_WIRE_BATCH_MAX && b->n + n <= 700);
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i].state_len == 2 && r[i].state[1] == 4.0);
        b->seq[b->n] = r[i].seq;
        b->type[b->n] = r[i].type;
        b->in_batch[b->n++] = 1;
    }
    b->largest = n > b->largest ? n : b->largest;
    return ++b->calls == b->stop_at ? 7 : 0;
}

/* tw_wire_decode_batch: a message's UPDATE and EPOCH records in the encoder's layout come in
 * batches of at most TW_WIRE_BATCH_MAX, cut at every other record (which comes one by one),
 * all in order; a callback's non-zero return stops it there (a batch as a whole) and is
 * returned. */
static void
test_decode_batches(void **state)
{
    (void)state;
    static const double s[2] = {3.0, 4.0};
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_encoder_begin(e, &header);
    uint64_t seq = 0;
    for (int i = 0; i < 600; i++) {
        tw_wire_record r =
            state_record(i % 97 == 50 ? TW_REC_EPOCH : TW_REC_UPDATE, ++seq, 5, s, 2);
        if (i == 300 || i == 301) /* two heartbeats among them */
            r = (tw_wire_record){.type = TW_REC_HEARTBEAT,
                                 .seq = seq,
                                 .epoch = 2,
                                 .step = 1,
                                 .time = 1700000001.5,
                                 .interval_ms = 500};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    const uint8_t *data;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    tw_wire_decoder *d = tw_wire_decoder_new();
    batched b = {0};
    assert_int_equal(tw_wire_decode_batch(d, data, len, NULL, 0, batched_one, batched_many, &b), 0);
    assert_int_equal(b.n, 600);
    assert_int_equal(b.largest, TW_WIRE_BATCH_MAX);
    for (size_t i = 0; i < 600; i++) {
        assert_int_equal(b.seq[i], i + 1);
        assert_int_equal(b.in_batch[i], i != 300 && i != 301);
        assert_int_equal(b.type[i], i == 300 || i == 301 ? TW_REC_HEARTBEAT
                                    : i % 97 == 50       ? TW_REC_EPOCH
                                                         : TW_REC_UPDATE);
    }
    assert_int_equal(tw_wire_decoder_stats(d).records, 600);
    /* stopped by the second batch (records 257..300): nothing after it */
    batched stop = {.stop_at = 2};
    assert_int_equal(tw_wire_decode_batch(d, data, len, NULL, 0, batched_one, batched_many, &stop),
                     7);
    assert_int_equal(stop.n, 300);
    /* stopped by the first heartbeat, given one by one */
    batched hb = {.stop_at = 3};
    assert_int_equal(tw_wire_decode_batch(d, data, len, NULL, 0, batched_one, batched_many, &hb),
                     7);
    assert_int_equal(hb.n, 301);
    tw_wire_decoder_destroy(&d);
    tw_wire_encoder_destroy(&e);
}

static void
test_message_size_limit(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < TW_WIRE_MAX_STATE; i++)
        big_state[i] = 1.0;
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_encoder_begin(e, &header);
    tw_wire_record r = state_record(TW_REC_EPOCH, 1, 1, big_state, TW_WIRE_MAX_STATE);
    int rc;
    uint32_t added = 0;
    while ((rc = tw_wire_encoder_add(e, &r)) == 0)
        added++;
    assert_int_equal(rc, -EMSGSIZE);
    assert_int_equal(added, TW_WIRE_MAX_MESSAGE / (9u * TW_WIRE_MAX_STATE + 40));
    assert_true(tw_wire_encoder_size(e) <= TW_WIRE_MAX_MESSAGE);
    const uint8_t *data;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    got g = {0};
    assert_int_equal(decode(data, len, &g), 0); /* the rollback left a valid message */
    assert_int_equal(g.n, added);
    got_free(&g);
    tw_wire_encoder_destroy(&e);
}

static void
test_empty_message(void **state)
{
    (void)state;
    size_t len;
    uint8_t *msg = encode(&header, NULL, 0, &len);
    got g = {0};
    assert_int_equal(decode(msg, len, &g), 0);
    assert_int_equal(g.n, 0);
    free(msg);
}

/* The example of doc/protocol.md: a one-heartbeat message, byte for byte. */
static void
test_doc_example(void **state)
{
    (void)state;
    static const uint8_t expect[] = {
        0x86, 0xa1, 'v',  0x02, 0xa3, 'r',  'u',  'n',  0xa2, 'r',  '1',  0xa3, 'i',  'n',  'c',
        0x07, 0xa4, 'r',  'a',  'n',  'k',  0x00, 0xa5, 'w',  'o',  'r',  'l',  'd',  0x01, 0xa4,
        'r',  'e',  'c',  's',  0xdd, 0x00, 0x00, 0x00, 0x01, 0x86, 0xa1, 't',  0x06, 0xa3, 's',
        'e',  'q',  0x01, 0xa4, 't',  'i',  'm',  'e',  0xcb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0x00,
        0x00, 0x00, 0xa4, 's',  't',  'e',  'p',  0x0a, 0xa5, 'e',  'p',  'o',  'c',  'h',  0x01,
        0xa8, 'i',  'n',  't',  'e',  'r',  'v',  'a',  'l',  0xcd, 0x03, 0xe8,
    };
    tw_wire_header h = {.run = "r1", .incarnation = 7, .rank = 0, .world = 1};
    tw_wire_record r = {.type = TW_REC_HEARTBEAT,
                        .seq = 1,
                        .time = 1700000000.0,
                        .step = 10,
                        .epoch = 1,
                        .interval_ms = 1000};
    size_t len;
    uint8_t *msg = encode(&h, &r, 1, &len);
    if (len != sizeof(expect) || memcmp(msg, expect, len) != 0) {
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, "%02x%s", msg[i], i % 16 == 15 ? "\n" : " ");
        fprintf(stderr, "\n");
        fail_msg("the doc example changed");
    }
    free(msg);
}

/* The version written: TW_WIRE_VERSION (2) for a header that names none; a decoded message's
 * own version (1: trainwatch 0.1's) when it is encoded again, so that a copy is exact; an
 * unknown one is not written. */
static void
test_version_written(void **state)
{
    (void)state;
    static const struct {
        uint32_t given, written;
    } cases[] = {{0, 2}, {1, 1}, {2, 2}, {3, 2}, {UINT32_MAX, 2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tw_wire_header h = {.version = cases[i].given, .run = "r1", .world = 1};
        tw_wire_record r = {.type = TW_REC_HEARTBEAT,
                            .seq = 1,
                            .time = 1.0,
                            .step = 1,
                            .epoch = 1,
                            .interval_ms = 1};
        size_t len;
        uint8_t *msg = encode(&h, &r, 1, &len);
        assert_true(len > 4);
        assert_memory_equal(msg + 1, "\xa1v", 2);
        assert_int_equal(msg[3], cases[i].written);
        got g = {0};
        assert_int_equal(decode(msg, len, &g), 0);
        assert_int_equal(g.h.version, cases[i].written);
        got_free(&g);
        free(msg);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Hand-built messages                                                                          */

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
mb_free(mb *b)
{
    msgpack_sbuffer_destroy(&b->sb);
}

static void
str(mb *b, const char *s)
{
    msgpack_pack_str_with_body(&b->pk, s, strlen(s));
}

static void
raw(mb *b, const void *p, size_t n)
{
    msgpack_sbuffer_write(&b->sb, p, n);
}

/* The record bytes of a one-record message: what follows the envelope of an empty one. */
static size_t
record_bytes(tw_wire_encoder *e, size_t envelope_len, const uint8_t **rec)
{
    const uint8_t *data;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    assert_true(len > envelope_len);
    *rec = data + envelope_len;
    return len - envelope_len;
}

/* tw_wire_encoder_add_state writes a state record's bytes itself: they are msgpack-c's
 * packer's, byte for byte, at every width of every integer (fixint, 8, 16, 32, 64 bits), for
 * doubles of every class and for each size of array header; and its refusals leave the
 * message as it was. */
static void
test_state_bytes_as_msgpack_c(void **state)
{
    (void)state;
    static const uint64_t ints[] = {
        1, 127, 128, 255, 256, 65535, 65536, 4294967295u, 4294967296, UINT64_MAX, 1234567890123ull};
    static const double times[] = {1.7e9, 0.0, -0.0, 5e-324, -1.5, DBL_MAX, 1.0 / 3.0};
    static const uint32_t lens[] = {1, 4, 15, 16, 65535, 65536, TW_WIRE_MAX_STATE};
    /* k past the integers and the lengths: every field at its widest at once */
    for (uint32_t i = 0; i < TW_WIRE_MAX_STATE; i++)
        big_state[i] = i % 3 ? -(double)i / 7.0 : (i % 2 ? NAN : INFINITY);
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_encoder_begin(e, &header);
    const uint8_t *data;
    size_t envelope_len, checked = 0;
    assert_int_equal(tw_wire_encoder_finish(e, &data, &envelope_len), 0);
    size_t n_ints = sizeof ints / sizeof ints[0], n_times = sizeof times / sizeof times[0];
    size_t n_cases = n_ints * 3 + sizeof lens / sizeof lens[0] + 1;
    for (size_t k = 0; k < n_cases; k++) {
        /* each integer in turn in seq, id (32-bit ones) and epoch/step; then each length */
        bool widest = k == n_cases - 1;
        uint64_t v = widest ? UINT64_MAX : ints[k % n_ints];
        uint32_t len = widest            ? TW_WIRE_MAX_STATE
                       : k >= n_ints * 3 ? lens[k - n_ints * 3]
                                         : (uint32_t)(1 + k % 5);
        tw_wire_state s = {.type = k % 2 ? TW_REC_EPOCH : TW_REC_UPDATE,
                           .seq = k / n_ints == 0 || widest ? v : 77,
                           .metric_id = widest                               ? UINT32_MAX
                                        : k / n_ints == 1 && v <= UINT32_MAX ? (uint32_t)v
                                                                             : 3,
                           .epoch = k / n_ints == 2 || widest ? v : 2,
                           .step = widest            ? v
                                   : k / n_ints == 2 ? ~v
                                                     : 300,
                           .time = times[k % n_times],
                           .state = len + k <= TW_WIRE_MAX_STATE ? big_state + k : big_state,
                           .state_len = len};
        tw_wire_encoder_begin(e, &header);
        assert_int_equal(tw_wire_encoder_add_state(e, &s), 0);
        const uint8_t *rec;
        size_t rec_len = record_bytes(e, envelope_len, &rec);
        mb b;
        mb_init(&b);
        msgpack_pack_map(&b.pk, 7);
        str(&b, "t");
        msgpack_pack_uint32(&b.pk, (uint32_t)s.type);
        str(&b, "seq");
        msgpack_pack_uint64(&b.pk, s.seq);
        str(&b, "id");
        msgpack_pack_uint32(&b.pk, s.metric_id);
        str(&b, "epoch");
        msgpack_pack_uint64(&b.pk, s.epoch);
        str(&b, "step");
        msgpack_pack_uint64(&b.pk, s.step);
        str(&b, "time");
        msgpack_pack_double(&b.pk, s.time);
        str(&b, "state");
        msgpack_pack_array(&b.pk, s.state_len);
        for (uint32_t i = 0; i < s.state_len; i++)
            msgpack_pack_double(&b.pk, s.state[i]);
        assert_int_equal(rec_len, b.sb.size);
        assert_memory_equal(rec, b.sb.data, rec_len);
        mb_free(&b);
        checked++;
    }
    assert_int_equal(checked, n_cases);

    /* refused: the message in progress keeps its one record */
    tw_wire_state ok = {.type = TW_REC_UPDATE,
                        .seq = 5,
                        .epoch = 1,
                        .time = 1.0,
                        .state = big_state,
                        .state_len = 2};
    tw_wire_encoder_begin(e, &header);
    assert_int_equal(tw_wire_encoder_add_state(e, &ok), 0);
    size_t size = tw_wire_encoder_size(e);
    tw_wire_state bad[7];
    for (int i = 0; i < 7; i++)
        bad[i] = ok;
    bad[0].seq = 0;
    bad[1].epoch = 0;
    bad[2].time = NAN;
    bad[3].state_len = 0;
    bad[4].state_len = TW_WIRE_MAX_STATE + 1;
    bad[5].state = NULL;
    bad[6].type = TW_REC_HEARTBEAT;
    for (int i = 0; i < 7; i++)
        assert_int_equal(tw_wire_encoder_add_state(e, &bad[i]), -EINVAL);
    assert_int_equal(tw_wire_encoder_add_state(NULL, &ok), -EINVAL);
    assert_int_equal(tw_wire_encoder_add_state(e, NULL), -EINVAL);
    assert_int_equal(tw_wire_encoder_count(e), 1);
    assert_int_equal(tw_wire_encoder_size(e), size);
    tw_wire_encoder_destroy(&e);
}

/* Packs an envelope with `extra` more keys than the six standard ones, up to "recs" (whose
 * array header of n records is written; the caller writes the records, then the extras). */
static void
envelope(mb *b, size_t extra, uint32_t n)
{
    msgpack_pack_map(&b->pk, 6 + extra);
    str(b, "v");
    msgpack_pack_uint8(&b->pk, 1);
    str(b, "run");
    str(b, "hand");
    str(b, "inc");
    msgpack_pack_uint64(&b->pk, 9);
    str(b, "rank");
    msgpack_pack_uint8(&b->pk, 1);
    str(b, "world");
    msgpack_pack_uint8(&b->pk, 4);
    str(b, "recs");
    msgpack_pack_array(&b->pk, n);
}

/* Packs a value nested `depth` arrays deep: [[[...7...]]]. */
static void
nested(mb *b, unsigned depth, bool maps)
{
    for (unsigned i = 0; i < depth; i++) {
        if (maps && i % 2) {
            msgpack_pack_map(&b->pk, 1);
            msgpack_pack_int(&b->pk, -3); /* a non-string key */
        } else {
            msgpack_pack_array(&b->pk, 1);
        }
    }
    msgpack_pack_uint8(&b->pk, 7);
}

/* Packs one unknown value of every msgpack type, as `n` key/value pairs; returns n. */
static size_t
every_type(mb *b)
{
    msgpack_packer *pk = &b->pk;
    static const uint8_t ext[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
    size_t n = 0;
    str(b, "x_nil"), msgpack_pack_nil(pk), n++;
    str(b, "x_true"), msgpack_pack_true(pk), n++;
    str(b, "x_false"), msgpack_pack_false(pk), n++;
    str(b, "x_neg"), msgpack_pack_int8(pk, -100), n++;
    str(b, "x_negfix"), msgpack_pack_int8(pk, -3), n++;
    str(b, "x_i16"), msgpack_pack_int16(pk, -1000), n++;
    str(b, "x_i32"), msgpack_pack_int32(pk, -100000), n++;
    str(b, "x_i64"), msgpack_pack_int64(pk, INT64_MIN), n++;
    str(b, "x_u64"), msgpack_pack_uint64(pk, UINT64_MAX), n++;
    str(b, "x_f32"), msgpack_pack_float(pk, 1.5f), n++;
    str(b, "x_f64"), msgpack_pack_double(pk, NAN), n++;
    str(b, "x_str"), str(b, "hello"), n++;
    char big[70000];
    fill(big, 'z', sizeof(big) - 1);
    str(b, "x_str16"), msgpack_pack_str_with_body(pk, big, 300), n++;
    str(b, "x_str32"), msgpack_pack_str_with_body(pk, big, 69999), n++;
    str(b, "x_bin"), msgpack_pack_bin_with_body(pk, "\0\1\2", 3), n++;
    str(b, "x_bin16"), msgpack_pack_bin_with_body(pk, big, 1000), n++;
    str(b, "x_bin32"), msgpack_pack_bin_with_body(pk, big, 69000), n++;
    for (size_t l = 1; l <= 16; l *= 2)
        str(b, "x_fixext"), msgpack_pack_ext_with_body(pk, ext, l, 5), n++;
    str(b, "x_ext8"), msgpack_pack_ext_with_body(pk, ext, 17, -2), n++;
    str(b, "x_ext16"), msgpack_pack_ext_with_body(pk, big, 400, 3), n++;
    str(b, "x_ext32"), msgpack_pack_ext_with_body(pk, big, 66000, 3), n++;
    str(b, "x_arr"), msgpack_pack_array(pk, 3), msgpack_pack_nil(pk), str(b, "a"),
        msgpack_pack_map(pk, 0), n++;
    str(b, "x_map"), msgpack_pack_map(pk, 2), str(b, "t"), str(b, "not a type"),
        msgpack_pack_double(pk, 1.0), msgpack_pack_array(pk, 0), n++;
    str(b, "x_arr16"), msgpack_pack_array(pk, 20);
    for (int i = 0; i < 20; i++)
        msgpack_pack_int(pk, i);
    n++;
    str(b, "x_map16"), msgpack_pack_map(pk, 17);
    for (int i = 0; i < 17; i++)
        msgpack_pack_int(pk, i), msgpack_pack_int(pk, -i);
    n++;
    raw(b, "\xa5x_a32\xdd\x00\x00\x00\x02\x01\x02", 13), n++;
    raw(b, "\xa5x_m32\xdf\x00\x00\x00\x01\x01\x02", 13), n++;
    str(b, "x_deep"), nested(b, TW_WIRE_MAX_DEPTH, true), n++;
    msgpack_pack_int(pk, 5), str(b, "int key"), n++;
    msgpack_pack_array(pk, 1), msgpack_pack_nil(pk), msgpack_pack_nil(pk), n++; /* array key */
    msgpack_pack_bin_with_body(pk, "seq", 3), str(b, "bin key, not seq"), n++;
    str(b, "SEQ"), str(b, "keys are case-sensitive"), n++;
    str(b, "se"), msgpack_pack_nil(pk), n++;
    str(b, "seqq"), msgpack_pack_nil(pk), n++;
    return n;
}

static void
test_unknown_fields_skipped(void **state)
{
    (void)state;
    /* Build the extras once to know how many there are. */
    mb tmp;
    mb_init(&tmp);
    size_t extras = every_type(&tmp);
    mb_free(&tmp);

    mb b;
    mb_init(&b);
    msgpack_packer *pk = &b.pk;
    envelope(&b, extras, 2);
    /* an UPDATE with extras before, between and after its fields, "t" not first */
    msgpack_pack_map(pk, 7 + extras);
    every_type(&b);
    str(&b, "seq"), msgpack_pack_uint64(pk, 77);
    str(&b, "t"), msgpack_pack_uint8(pk, TW_REC_UPDATE);
    str(&b, "id"), msgpack_pack_uint8(pk, 4);
    str(&b, "epoch"), msgpack_pack_uint8(pk, 1);
    str(&b, "step"), msgpack_pack_uint8(pk, 2);
    str(&b, "time"), msgpack_pack_double(pk, 10.0);
    str(&b, "state"), msgpack_pack_array(pk, 2), msgpack_pack_double(pk, 1.0),
        msgpack_pack_double(pk, 2.0);
    /* a METRIC with unknown options */
    msgpack_pack_map(pk, 8);
    str(&b, "t"), msgpack_pack_uint8(pk, TW_REC_METRIC);
    str(&b, "seq"), msgpack_pack_uint8(pk, 78);
    str(&b, "id"), msgpack_pack_uint8(pk, 4);
    str(&b, "name"), str(&b, "acc");
    str(&b, "split"), msgpack_pack_uint8(pk, 1);
    str(&b, "kind"), str(&b, "top_k_categorical_accuracy");
    str(&b, "opts"), msgpack_pack_map(pk, 3), str(&b, "k"), msgpack_pack_uint8(pk, 2),
        str(&b, "future"), nested(&b, 3, true), msgpack_pack_nil(pk), msgpack_pack_nil(pk);
    str(&b, "n"), msgpack_pack_uint8(pk, 2);
    every_type(&b); /* envelope extras after "recs" */

    got g = {0};
    assert_int_equal(decode((const uint8_t *)b.sb.data, b.sb.size, &g), 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.h.run, "hand");
    assert_int_equal(g.recs[0].type, TW_REC_UPDATE);
    assert_int_equal(g.recs[0].seq, 77);
    assert_int_equal(g.recs[0].state_len, 2);
    assert_true(g.recs[0].state[1] == 2.0);
    assert_int_equal(g.recs[1].kind, TW_METRIC_TOP_K_CATEGORICAL_ACCURACY);
    assert_int_equal(g.recs[1].options.k, 2);
    assert_int_equal(g.recs[1].goal, TW_GOAL_UNKNOWN);
    got_free(&g);
    mb_free(&b);
}

/* Packs a DROPS record with sequence number seq. */
static void
drops(mb *b, uint64_t seq)
{
    msgpack_pack_map(&b->pk, 4);
    str(b, "t"), msgpack_pack_uint8(&b->pk, TW_REC_DROPS);
    str(b, "seq"), msgpack_pack_uint64(&b->pk, seq);
    str(b, "time"), msgpack_pack_double(&b->pk, 1.0);
    str(b, "dropped"), msgpack_pack_uint64(&b->pk, seq * 10);
}

static void
test_unknown_record_type_skipped(void **state)
{
    (void)state;
    mb b;
    mb_init(&b);
    msgpack_packer *pk = &b.pk;
    envelope(&b, 0, 6);
    drops(&b, 1);
    /* t = 99, with fields that would be invalid in a known record */
    msgpack_pack_map(pk, 3);
    str(&b, "state"), str(&b, "not an array");
    str(&b, "t"), msgpack_pack_uint8(pk, 99);
    str(&b, "x"), nested(&b, TW_WIRE_MAX_DEPTH, false);
    drops(&b, 2);
    /* t = 0 and a large t */
    msgpack_pack_map(pk, 1), str(&b, "t"), msgpack_pack_uint8(pk, 0);
    msgpack_pack_map(pk, 2), str(&b, "t"), msgpack_pack_uint64(pk, UINT64_MAX), str(&b, "seq"),
        msgpack_pack_nil(pk);
    /* a METRIC of a kind this decoder does not know */
    msgpack_pack_map(pk, 7);
    str(&b, "t"), msgpack_pack_uint8(pk, TW_REC_METRIC);
    str(&b, "seq"), msgpack_pack_uint8(pk, 3);
    str(&b, "id"), msgpack_pack_uint8(pk, 1);
    str(&b, "name"), str(&b, "f1");
    str(&b, "split"), msgpack_pack_uint8(pk, 1);
    str(&b, "kind"), str(&b, "no_such_kind");
    str(&b, "n"), msgpack_pack_uint8(pk, 3);

    tw_wire_decoder *d = tw_wire_decoder_new();
    got g = {0};
    assert_int_equal(tw_wire_decode(d, (const uint8_t *)b.sb.data, b.sb.size, collect, &g), 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.recs[0].seq, 1);
    assert_int_equal(g.recs[1].seq, 2);
    assert_int_equal(g.recs[1].dropped, 20);
    tw_wire_stats st = tw_wire_decoder_stats(d);
    assert_int_equal(st.unknown_records, 4);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.messages, 1);
    tw_wire_decoder_destroy(&d);
    got_free(&g);
    mb_free(&b);
}

/* Packs a one-record message: a DROPS whose "seq" is the raw bytes given. */
static void
seq_message(mb *b, const void *seq, size_t n)
{
    envelope(b, 0, 1);
    msgpack_pack_map(&b->pk, 4);
    str(b, "t"), msgpack_pack_uint8(&b->pk, TW_REC_DROPS);
    str(b, "seq"), raw(b, seq, n);
    str(b, "time"), msgpack_pack_double(&b->pk, 1.0);
    str(b, "dropped"), msgpack_pack_uint8(&b->pk, 0);
}

static void
test_uint_widths(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t n;
        uint64_t value; /* 0: rejected */
    } cases[] = {
        {"\x05", 1, 5},
        {"\xcc\xff", 2, 255},
        {"\xcd\x01\x00", 3, 256},
        {"\xce\x00\x01\x00\x00", 5, 65536},
        {"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9, UINT64_MAX},
        {"\xd0\x7f", 2, 127},
        {"\xd1\x7f\xff", 3, 32767},
        {"\xd2\x00\x00\x00\x09", 5, 9},
        {"\xd3\x7f\xff\xff\xff\xff\xff\xff\xff", 9, INT64_MAX},
        {"\xd0\xff", 2, 0},                             /* -1 */
        {"\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9, 0}, /* INT64_MIN */
        {"\xff", 1, 0},                                 /* negative fixint -1 */
        {"\x00", 1, 0},                                 /* seq 0 */
        {"\xca\x3f\x80\x00\x00", 5, 0},                 /* float 32 */
        {"\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", 9, 0}, /* float 64 */
        {"\xc3", 1, 0},                                 /* true */
        {"\xa1\x31", 2, 0},                             /* "1" */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mb b;
        mb_init(&b);
        seq_message(&b, cases[i].bytes, cases[i].n);
        got g = {0};
        int rc = decode((const uint8_t *)b.sb.data, b.sb.size, &g);
        if (cases[i].value) {
            assert_int_equal(rc, 0);
            assert_int_equal(g.n, 1);
            assert_int_equal(g.recs[0].seq, cases[i].value);
        } else {
            if (rc != -EBADMSG)
                fail_msg("case %zu: expected a rejection, got %d", i, rc);
        }
        got_free(&g);
        mb_free(&b);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The fast path (wire_fast.c) against the general parser                                        */

/* One UPDATE / EPOCH field: its key and its value's msgpack bytes. */
typedef struct kv {
    const char *key;
    const char *val;
    size_t n;
} kv;

/* Packs a record of the 7 fields in f, in the encoder's order or reversed (which the fast
 * path leaves to the general parser), its state the n doubles st after them. */
static void
pack_fields(mb *b, const kv f[6], const double *st, uint32_t n, bool reversed)
{
    msgpack_pack_map(&b->pk, 7);
    if (reversed) {
        str(b, "state");
        msgpack_pack_array(&b->pk, n);
        for (uint32_t i = 0; i < n; i++)
            msgpack_pack_double(&b->pk, st[i]);
    }
    for (int j = 0; j < 6; j++) {
        const kv *e = &f[reversed ? 5 - j : j];
        str(b, e->key);
        raw(b, e->val, e->n);
    }
    if (!reversed) {
        str(b, "state");
        msgpack_pack_array(&b->pk, n);
        for (uint32_t i = 0; i < n; i++)
            msgpack_pack_double(&b->pk, st[i]);
    }
}

/* Records of every integer width (and a signed one, a 16-long state: general either way)
 * between records of other types, each in the encoder's layout (read by the fast path) and
 * reversed (by the general parser): the two messages deliver the same records, and a message
 * whose last record breaks a rule after fast ones delivers nothing. */
static void
test_fast_path_same_as_general(void **state)
{
    (void)state;
    static const double st[17] = {1.5, NAN, -0.0, INFINITY, 1e-310, 2,  3,  4, 5,
                                  6,   7,   8,    9,        10,     11, 12, 13};
    static const struct {
        const char *t, *seq, *id, *epoch, *step;
        size_t tn, seqn, idn, epochn, stepn;
        uint32_t n;
    } cases[] = {
        {"\x03", "\x01", "\x00", "\x01", "\x00", 1, 1, 1, 1, 1, 1},
        {"\x04", "\xcc\xff", "\xcd\x01\x02", "\xce\x00\x01\x00\x00",
         "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 1, 2, 3, 5, 9, 15},
        {"\xcc\x03", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "\xce\xff\xff\xff\xff", "\x7f",
         "\xcc\x80", 2, 9, 5, 1, 2, 8},
        {"\x03", "\xd0\x05", "\xd1\x01\x00", "\xd2\x00\x00\x00\x02",
         "\xd3\x00\x00\x00\x00\x00\x00\x00\x07", 1, 2, 3, 5, 9, 2},
        {"\x03", "\x09", "\x01", "\x02", "\x63", 1, 1, 1, 1, 1, 16},
    };
    size_t nc = sizeof cases / sizeof cases[0];
    got g[2] = {{0}, {0}};
    for (int reversed = 0; reversed < 2; reversed++) {
        mb b;
        mb_init(&b);
        envelope(&b, 0, (uint32_t)(3 * nc));
        for (size_t i = 0; i < nc; i++) {
            kv f[6] = {{"t", cases[i].t, cases[i].tn},
                       {"seq", cases[i].seq, cases[i].seqn},
                       {"id", cases[i].id, cases[i].idn},
                       {"epoch", cases[i].epoch, cases[i].epochn},
                       {"step", cases[i].step, cases[i].stepn},
                       {"time", "\xcb\x41\xd9\x50\x00\x00\x00\x00\x01", 9}};
            pack_fields(&b, f, st, cases[i].n, reversed);
            pack_fields(&b, f, st + 1, cases[i].n, reversed); /* after one of its own kind */
            drops(&b, 7 + i);                                 /* and before one of another */
        }
        assert_int_equal(decode((const uint8_t *)b.sb.data, b.sb.size, &g[reversed]), 0);
        mb_free(&b);
    }
    assert_int_equal(g[0].n, 3 * nc);
    assert_int_equal(g[1].n, 3 * nc);
    for (size_t i = 0; i < g[0].n; i++)
        assert_same_record(&g[0].recs[i], &g[1].recs[i]);
    assert_int_equal(g[0].recs[3].seq, 255);
    assert_int_equal(g[0].recs[3].metric_id, 258);
    assert_int_equal(g[0].recs[3].step, UINT64_MAX);
    assert_int_equal(g[0].recs[3].type, TW_REC_EPOCH);
    got_free(&g[0]);
    got_free(&g[1]);

    /* fast records, then one in the same layout that breaks a rule: nothing is delivered */
    static const kv bad[][2] = {{{"seq", "\x00", 1}, {"epoch", "\x01", 1}},
                                {{"seq", "\x01", 1}, {"epoch", "\x00", 1}},
                                {{"seq", "\x01", 1}, {"epoch", "\xc0", 1}}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mb b;
        mb_init(&b);
        envelope(&b, 0, 3);
        for (int j = 0; j < 3; j++) {
            kv f[6] = {{"t", "\x03", 1},    j < 2 ? (kv){"seq", "\x01", 1} : bad[k][0],
                       {"id", "\x01", 1},   j < 2 ? (kv){"epoch", "\x01", 1} : bad[k][1],
                       {"step", "\x02", 1}, {"time", "\xcb\x41\xd9\x50\x00\x00\x00\x00\x01", 9}};
            pack_fields(&b, f, st, 2, false);
        }
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
        mb_free(&b);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Wrong types, missing fields, for every field of every record                                 */

enum fkind {
    K_T,
    K_UINT,
    K_U32,
    K_EPOCH,
    K_SPLIT,
    K_N,
    K_F64,
    K_NAME,
    K_TEXT,
    K_KIND,
    K_GOAL,
    K_STATUS,
    K_STATE,
    K_PARAMS,
    K_OPTS,
    K_TO /* GAP's "to": a uint at least its "step" (valid: UINT64_MAX) */
};

typedef struct fspec {
    const char *key;
    enum fkind kind;
    bool required;
} fspec;

typedef struct rspec {
    int type;
    int n;
    fspec f[10];
} rspec;

static const rspec rspecs[] = {
    {TW_REC_RUN,
     10,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"name", K_NAME, 1},
      {"host", K_TEXT, 0},
      {"program", K_TEXT, 0},
      {"pid", K_UINT, 0},
      {"start", K_F64, 1},
      {"epochs", K_UINT, 0},
      {"spe", K_UINT, 0},
      {"params", K_PARAMS, 0}}},
    {TW_REC_METRIC,
     9,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"id", K_U32, 1},
      {"name", K_NAME, 1},
      {"split", K_SPLIT, 1},
      {"kind", K_KIND, 1},
      {"goal", K_GOAL, 0},
      {"opts", K_OPTS, 0},
      {"n", K_N, 1}}},
    {TW_REC_UPDATE,
     7,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"id", K_U32, 1},
      {"epoch", K_EPOCH, 1},
      {"step", K_UINT, 1},
      {"time", K_F64, 1},
      {"state", K_STATE, 1}}},
    {TW_REC_EPOCH,
     7,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"id", K_U32, 1},
      {"epoch", K_EPOCH, 1},
      {"step", K_UINT, 1},
      {"time", K_F64, 1},
      {"state", K_STATE, 1}}},
    {TW_REC_EPOCH_END,
     6,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"epoch", K_EPOCH, 1},
      {"step", K_UINT, 1},
      {"time", K_F64, 1},
      {"metrics", K_U32, 1}}},
    {TW_REC_HEARTBEAT,
     6,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"time", K_F64, 1},
      {"step", K_UINT, 1},
      {"epoch", K_EPOCH, 1},
      {"interval", K_U32, 1}}},
    {TW_REC_RUN_END,
     4,
     {{"t", K_T, 1}, {"seq", K_UINT, 1}, {"time", K_F64, 1}, {"status", K_STATUS, 1}}},
    {TW_REC_DROPS,
     4,
     {{"t", K_T, 1}, {"seq", K_UINT, 1}, {"time", K_F64, 1}, {"dropped", K_UINT, 1}}},
    {TW_REC_GAP,
     6,
     {{"t", K_T, 1},
      {"seq", K_UINT, 1},
      {"time", K_F64, 1},
      {"step", K_UINT, 1},
      {"to", K_TO, 1},
      {"dropped", K_UINT, 1}}},
};

/* Wrong values tried in place of each field. */
enum wrong {
    W_NIL,
    W_TRUE,
    W_NEGFIX,
    W_NEGINT8,
    W_F32,
    W_F64,
    W_UINT,
    W_BIGUINT,
    W_STR,
    W_BIN,
    W_ARRAY,
    W_MAP,
    W_EXT,
    W_COUNT
};

/* Whether a record stays acceptable with wrong value w in a field of kind k. */
static bool
acceptable(enum fkind k, enum wrong w)
{
    switch (k) {
    case K_T:
        return w == W_UINT || w == W_BIGUINT; /* unknown record type: skipped */
    case K_UINT:
    case K_TO:
        return w == W_UINT || w == W_BIGUINT;
    case K_EPOCH:
        return w == W_UINT || w == W_BIGUINT;
    case K_U32:
        return w == W_UINT;
    case K_F64:
        return w == W_F64;
    case K_NAME:
    case K_TEXT:
    case K_KIND: /* an unknown kind: skipped */
        return w == W_STR;
    case K_PARAMS:
    case K_OPTS:
        return w == W_MAP;
    default:
        return false;
    }
}

/* Packs a valid value of kind k for a record of type `type`. */
static void
pack_valid(mb *b, int type, enum fkind k)
{
    msgpack_packer *pk = &b->pk;
    switch (k) {
    case K_T:
        msgpack_pack_int(pk, type);
        break;
    case K_UINT:
    case K_U32:
        msgpack_pack_uint8(pk, 5);
        break;
    case K_EPOCH:
        msgpack_pack_uint8(pk, 3);
        break;
    case K_TO:
        msgpack_pack_uint64(pk, UINT64_MAX);
        break;
    case K_SPLIT:
        msgpack_pack_uint8(pk, 1);
        break;
    case K_N:
        msgpack_pack_uint8(pk, 2);
        break;
    case K_F64:
        msgpack_pack_double(pk, 1700000000.5);
        break;
    case K_NAME:
        str(b, "loss");
        break;
    case K_TEXT:
        str(b, "box");
        break;
    case K_KIND:
        str(b, "mean");
        break;
    case K_GOAL:
        str(b, "min");
        break;
    case K_STATUS:
        str(b, "failed");
        break;
    case K_STATE:
        msgpack_pack_array(pk, 2);
        msgpack_pack_double(pk, 1.0);
        msgpack_pack_double(pk, 2.0);
        break;
    case K_PARAMS:
        msgpack_pack_map(pk, 2);
        str(b, "lr"), msgpack_pack_double(pk, 0.1);
        str(b, "opt"), str(b, "adam");
        break;
    case K_OPTS:
        msgpack_pack_map(pk, 1);
        str(b, "threshold"), msgpack_pack_double(pk, 0.5);
        break;
    }
}

/* Packs wrong value w. */
static void
pack_wrong(mb *b, enum wrong w)
{
    msgpack_packer *pk = &b->pk;
    switch (w) {
    case W_NIL:
        msgpack_pack_nil(pk);
        break;
    case W_TRUE:
        msgpack_pack_true(pk);
        break;
    case W_NEGFIX:
        msgpack_pack_int(pk, -1);
        break;
    case W_NEGINT8:
        raw(b, "\xd0\xfb", 2);
        break;
    case W_F32:
        msgpack_pack_float(pk, 1.0f);
        break;
    case W_F64:
        msgpack_pack_double(pk, 2.0);
        break;
    case W_UINT:
        msgpack_pack_uint8(pk, 99); /* also a record type no decoder knows */
        break;
    case W_BIGUINT:
        msgpack_pack_uint64(pk, 1ull << 32);
        break;
    case W_STR:
        str(b, "x");
        break;
    case W_BIN:
        msgpack_pack_bin_with_body(pk, "x", 1);
        break;
    case W_ARRAY:
        msgpack_pack_array(pk, 0);
        break;
    case W_MAP:
        msgpack_pack_map(pk, 0);
        break;
    case W_EXT:
        msgpack_pack_ext_with_body(pk, "x", 1, 1);
        break;
    case W_COUNT:
        break;
    }
}

/* Packs a one-record message of spec s, with field `bad` replaced by w (bad < 0: none) and
 * field `omit` left out (omit < 0: none). */
static void
spec_message(mb *b, const rspec *s, int bad, enum wrong w, int omit)
{
    envelope(b, 0, 1);
    msgpack_pack_map(&b->pk, (size_t)(s->n - (omit >= 0)));
    for (int i = 0; i < s->n; i++) {
        if (i == omit)
            continue;
        str(b, s->f[i].key);
        if (i == bad)
            pack_wrong(b, w);
        else
            pack_valid(b, s->type, s->f[i].kind);
    }
}

static void
test_wrong_types_every_field(void **state)
{
    (void)state;
    int tried = 0;
    for (size_t si = 0; si < sizeof(rspecs) / sizeof(rspecs[0]); si++) {
        const rspec *s = &rspecs[si];
        mb b;
        mb_init(&b);
        spec_message(&b, s, -1, W_NIL, -1);
        got g = {0};
        assert_int_equal(decode((const uint8_t *)b.sb.data, b.sb.size, &g), 0);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.recs[0].type, s->type);
        got_free(&g);
        mb_free(&b);
        for (int f = 0; f < s->n; f++) {
            for (int w = 0; w < W_COUNT; w++) {
                mb_init(&b);
                spec_message(&b, s, f, (enum wrong)w, -1);
                int rc = decode((const uint8_t *)b.sb.data, b.sb.size, &g);
                int expect = acceptable(s->f[f].kind, (enum wrong)w) ? 0 : -EBADMSG;
                if (rc != expect)
                    fail_msg("type %d field %s wrong value %d: expected %d, got %d", s->type,
                             s->f[f].key, w, expect, rc);
                got_free(&g);
                mb_free(&b);
                tried++;
            }
            /* left out */
            mb_init(&b);
            spec_message(&b, s, -1, W_NIL, f);
            int rc = decode((const uint8_t *)b.sb.data, b.sb.size, &g);
            int expect = s->f[f].required ? -EBADMSG : 0;
            if (rc != expect)
                fail_msg("type %d without %s: expected %d, got %d", s->type, s->f[f].key, expect,
                         rc);
            got_free(&g);
            mb_free(&b);
        }
    }
    assert_true(tried > 500);
}

/* Packs an envelope whose field `bad` (0..5 in order v run inc rank world recs) holds w, or
 * that lacks field `omit`. */
static void
envelope_message(mb *b, int bad, enum wrong w, int omit)
{
    static const char *keys[6] = {"v", "run", "inc", "rank", "world", "recs"};
    msgpack_packer *pk = &b->pk;
    msgpack_pack_map(pk, (size_t)(6 - (omit >= 0)));
    for (int i = 0; i < 6; i++) {
        if (i == omit)
            continue;
        str(b, keys[i]);
        if (i == bad) {
            pack_wrong(b, w);
            continue;
        }
        switch (i) {
        case 0:
            msgpack_pack_uint8(pk, 1);
            break;
        case 1:
            str(b, "run");
            break;
        case 2:
            msgpack_pack_uint8(pk, 5);
            break;
        case 3:
            msgpack_pack_uint8(pk, 1);
            break;
        case 4:
            msgpack_pack_uint8(pk, 4);
            break;
        default:
            msgpack_pack_array(pk, 1);
            drops(b, 1);
        }
    }
}

static void
test_wrong_types_envelope(void **state)
{
    (void)state;
    for (int f = 0; f < 6; f++) {
        for (int w = 0; w < W_COUNT; w++) {
            mb b;
            mb_init(&b);
            envelope_message(&b, f, (enum wrong)w, -1);
            int expect = -EBADMSG;
            if (f == 0 && (w == W_UINT || w == W_BIGUINT))
                expect = -EPROTO; /* a version this decoder does not speak */
            if ((f == 1 && w == W_STR) || (f == 2 && (w == W_UINT || w == W_BIGUINT)) ||
                (f == 4 && w == W_UINT) || (f == 5 && w == W_ARRAY))
                expect = 0;
            assert_rejected((const uint8_t *)b.sb.data, b.sb.size, expect);
            mb_free(&b);
        }
        mb b;
        mb_init(&b);
        envelope_message(&b, -1, W_NIL, f);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
        mb_free(&b);
    }
    /* not a map at all */
    assert_rejected((const uint8_t *)"\x90", 1, -EBADMSG);
    assert_rejected((const uint8_t *)"\xc1", 1, -EBADMSG);
}

/* ------------------------------------------------------------------------------------------ */
/* Rejections                                                                                   */

static void
test_truncated_everywhere(void **state)
{
    (void)state;
    tw_wire_record recs[64];
    size_t n = every_record(recs, small_state);
    recs[0].n_params = 6; /* keep the message small: the test is quadratic */
    size_t len;
    uint8_t *msg = encode(&header, recs, n, &len);
    tw_wire_decoder *d = tw_wire_decoder_new();
    got g = {0};
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, msg, cut);
        int rc = tw_wire_decode(d, copy, cut, collect, &g);
        if (rc != -EBADMSG)
            fail_msg("cut at %zu of %zu: %d", cut, len, rc);
        assert_int_equal(g.n, 0);
        free(copy);
    }
    tw_wire_stats st = tw_wire_decoder_stats(d);
    assert_int_equal(st.rejected, len);
    assert_int_equal(st.messages, 0);
    assert_int_equal(tw_wire_decode(d, msg, len, collect, &g), 0);
    assert_int_equal(g.n, n);
    tw_wire_decoder_destroy(&d);
    got_free(&g);
    free(msg);
}

/* Packs a one-UPDATE message whose "state" value is the raw bytes given and whose "time" is
 * the given double. */
static void
update_message(mb *b, const void *state_bytes, size_t n, double time)
{
    envelope(b, 0, 1);
    msgpack_pack_map(&b->pk, 7);
    str(b, "t"), msgpack_pack_uint8(&b->pk, TW_REC_UPDATE);
    str(b, "seq"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "id"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "epoch"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "step"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "state"), raw(b, state_bytes, n);
    str(b, "time"), msgpack_pack_double(&b->pk, time);
}

static void
test_reject_state_and_time(void **state)
{
    (void)state;
    static const uint8_t two[] = {0x92, 0xcb, 0,    0, 0, 0, 0, 0, 0, 0,
                                  0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}; /* [0.0, NaN] */
    mb b;
    mb_init(&b);
    update_message(&b, two, sizeof(two), 5.0);
    got g = {0};
    assert_int_equal(decode((const uint8_t *)b.sb.data, b.sb.size, &g), 0);
    assert_true(isnan(g.recs[0].state[1])); /* NaN states pass */
    got_free(&g);
    mb_free(&b);

    /* non-finite times */
    const double bad_times[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        mb_init(&b);
        update_message(&b, two, sizeof(two), bad_times[i]);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
        mb_free(&b);
    }
    static const struct {
        const char *bytes;
        size_t n;
    } bad_states[] = {
        /* declares 3, holds 2, then the "time" key follows */
        {"\x93\xcb\0\0\0\0\0\0\0\0\xcb\0\0\0\0\0\0\0\0", 19},
        /* a float 32 element */
        {"\x92\xcb\0\0\0\0\0\0\0\0\xca\0\0\0\0", 15},
        /* an integer element */
        {"\x92\xcb\0\0\0\0\0\0\0\0\x01", 11},
        /* empty */
        {"\x90", 1},
        /* a count larger than the bytes left */
        {"\xdd\xff\xff\xff\xff", 5},
        {"\xdc\xff\xff", 3},
        /* more than TW_WIRE_MAX_STATE */
        {"\xdd\x00\x03\x0d\x43", 5},
    };
    for (size_t i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
        mb_init(&b);
        update_message(&b, bad_states[i].bytes, bad_states[i].n, 5.0);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
        mb_free(&b);
    }
}

static void
test_reject_huge_counts(void **state)
{
    (void)state;
    mb b;
    /* recs with a count of 2^32 - 1 */
    mb_init(&b);
    envelope(&b, 0, 0);
    b.sb.size--;
    raw(&b, "\xdd\xff\xff\xff\xff", 5);
    drops(&b, 1);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
    /* more than TW_WIRE_MAX_RECORDS records, each present */
    mb_init(&b);
    envelope(&b, 0, TW_WIRE_MAX_RECORDS + 1);
    for (uint32_t i = 0; i <= TW_WIRE_MAX_RECORDS; i++)
        drops(&b, i + 1);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
    /* maps and strings with huge declared lengths, in known and unknown places */
    static const struct {
        const char *bytes;
        size_t n;
    } values[] = {
        {"\xdf\xff\xff\xff\xff", 5},
        {"\xde\xff\xff", 3},
        {"\xdb\xff\xff\xff\xff", 5},
        {"\xc6\xff\xff\xff\xff", 5},
        {"\xc9\xff\xff\xff\xff\x01", 6},
        {"\xd8\x01", 2},
        {"\xda\x00\x10", 3},
        {"\xcf\x00", 2},
        {"\xc1", 1},
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        mb_init(&b);
        envelope(&b, 1, 0);
        str(&b, "unknown");
        raw(&b, values[i].bytes, values[i].n);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
        mb_free(&b);
    }
    /* a huge map as the whole message, and as a record */
    assert_rejected((const uint8_t *)"\xdf\xff\xff\xff\xff", 5, -EBADMSG);
    mb_init(&b);
    envelope(&b, 0, 1);
    raw(&b, "\xdf\x7f\xff\xff\xff", 5);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
}

static void
test_reject_nesting(void **state)
{
    (void)state;
    for (unsigned depth = TW_WIRE_MAX_DEPTH - 1; depth <= TW_WIRE_MAX_DEPTH + 2; depth++) {
        for (int maps = 0; maps < 2; maps++) {
            mb b;
            mb_init(&b);
            envelope(&b, 1, 1);
            msgpack_pack_map(&b.pk, 5);
            str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_DROPS);
            str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
            str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
            str(&b, "dropped"), msgpack_pack_uint8(&b.pk, 0);
            str(&b, "deep"), nested(&b, depth, maps);
            str(&b, "also");
            nested(&b, 2, false);
            assert_rejected((const uint8_t *)b.sb.data, b.sb.size,
                            depth <= TW_WIRE_MAX_DEPTH ? 0 : -EBADMSG);
            mb_free(&b);
        }
    }
    /* in a record of unknown type, after its "t": still bounded, still rejected */
    for (unsigned depth = TW_WIRE_MAX_DEPTH; depth <= TW_WIRE_MAX_DEPTH + 1; depth++) {
        mb b;
        mb_init(&b);
        envelope(&b, 0, 1);
        msgpack_pack_map(&b.pk, 2);
        str(&b, "t"), msgpack_pack_uint8(&b.pk, 200);
        str(&b, "deep"), nested(&b, depth, true);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size,
                        depth <= TW_WIRE_MAX_DEPTH ? 0 : -EBADMSG);
        mb_free(&b);
    }
    /* very deep nesting (deeper than any stack would take if recursion were unbounded) */
    mb b;
    mb_init(&b);
    envelope(&b, 1, 0);
    str(&b, "deep");
    for (int i = 0; i < 1000000; i++)
        raw(&b, "\x91", 1);
    raw(&b, "\x00", 1);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
}

/* Packs a one-METRIC message of kind, n and an opts map from raw bytes (NULL: none). */
static void
metric_message(mb *b, const char *kind, uint64_t n, const void *opts, size_t opts_len)
{
    envelope(b, 0, 1);
    msgpack_pack_map(&b->pk, opts ? 7 : 6);
    str(b, "t"), msgpack_pack_uint8(&b->pk, TW_REC_METRIC);
    str(b, "seq"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "id"), msgpack_pack_uint8(&b->pk, 1);
    str(b, "name"), str(b, "m");
    str(b, "kind"), str(b, kind);
    str(b, "n"), msgpack_pack_uint64(&b->pk, n);
    if (opts)
        str(b, "opts"), raw(b, opts, opts_len);
}

/* AUC's PRGAIN curve crosses the wire, in "opts" (curve 2) and in its Keras arguments. */
static void
test_auc_prgain_roundtrip(void **state)
{
    (void)state;
    tw_wire_record r = metric_record(1, TW_METRIC_AUC, 1);
    r.options.curve = TW_AUC_PRGAIN;
    snprintf(r.args, sizeof r.args, "num_thresholds=7,curve=PRGAIN,summation_method=majoring");
    size_t len;
    uint8_t *msg = encode(&header, &r, 1, &len);
    got g = {0};
    assert_int_equal(decode(msg, len, &g), 0);
    assert_int_equal(g.n, 1);
    assert_same_record(&r, &g.recs[0]);
    assert_int_equal(g.recs[0].options.curve, TW_AUC_PRGAIN);
    got_free(&g);
    free(msg);
}

static void
test_metric_declarations(void **state)
{
    (void)state;
    static const struct {
        const char *kind;
        uint64_t n;
        const char *opts;
        size_t opts_len;
        int expect;
    } cases[] = {
        {"mean", 4, NULL, 0, 0}, /* [total, count, sumsq, values] */
        {"mean", 2, NULL, 0, 0}, /* trainwatch 0.1's [total, count]: still read */
        {"mean", 3, NULL, 0, -EBADMSG},
        {"binary_crossentropy", 4, NULL, 0, 0},
        {"binary_crossentropy", 2, NULL, 0, 0},
        {"root_mean_squared_error", 4, NULL, 0, 0},
        {"accuracy", 2, NULL, 0, 0}, /* the accuracies have no moments */
        {"accuracy", 4, NULL, 0, -EBADMSG},
        {"precision", 4, NULL, 0, -EBADMSG},
        {"sum", 1, NULL, 0, 0},
        {"gauge", 1, NULL, 0, 0},
        {"gauge", 2, NULL, 0, -EBADMSG},
        {"auc", 402, NULL, 0, 0},
        {"auc", 402, "\x81\xa2nt\xcc\xc8", 6, 0},
        {"auc", 22, "\x81\xa2nt\x0a", 5, 0},
        {"auc", 402, "\x81\xa2nt\x0a", 5, -EBADMSG},
        {"auc", 4, "\x81\xa2nt\x01", 5, -EBADMSG}, /* nt < 2 */
        {"auc", 402,
         "\x81\xa5"
         "curve\x02",
         8, 0}, /* PRGAIN */
        {"auc", 402,
         "\x81\xa5"
         "curve\x03",
         8, -EBADMSG},                                /* no such curve */
        {"auc", 402, "\x81\xa3sum\x03", 6, -EBADMSG}, /* no such summation */
        {"precision", 2, "\x81\xa9threshold\xcb\x3f\xf8\0\0\0\0\0\0", 20, -EBADMSG}, /* 1.5 */
        {"binary_accuracy", 2, "\x81\xa9threshold\xcb\x3f\xf8\0\0\0\0\0\0", 20, -EBADMSG},
        {"binary_accuracy", 2, "\x81\xa9threshold\xcb\x3f\xd0\0\0\0\0\0\0", 20, 0},
        {"binary_accuracy", 2, "\x81\xa9threshold\xcb\x7f\xf8\0\0\0\0\0\0", 20, -EBADMSG},
        {"mean", 2, "\x81\xa9threshold\xcb\x7f\xf0\0\0\0\0\0\0", 20, -EBADMSG}, /* Inf */
        {"mean", 2, "\x81\xa9threshold\xca\0\0\0\0", 16, -EBADMSG},
        {"top_k_categorical_accuracy", 2, "\x81\xa1k\x00", 4, -EBADMSG},
        {"top_k_categorical_accuracy", 2, "\x82\xa1k\x01\xa1k\x02", 7, -EBADMSG}, /* twice */
        {"mean", 2, "\x81\xa1k\x07", 4, 0}, /* options a kind does not use are ignored */
        {"mean", 2, "\x90", 1, -EBADMSG},   /* opts not a map */
        {"mean", TW_WIRE_MAX_STATE + 1, NULL, 0, -EBADMSG},
        {"no_such_kind", 7, NULL, 0, 0}, /* unknown kind: skipped */
        {"", 2, NULL, 0, -EBADMSG},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mb b;
        mb_init(&b);
        metric_message(&b, cases[i].kind, cases[i].n, cases[i].opts, cases[i].opts_len);
        /* add "split" by bumping the record's fixmap count */
        str(&b, "split"), msgpack_pack_uint8(&b.pk, 2);
        char *rec = b.sb.data;
        for (size_t j = 0; j + 6 < b.sb.size; j++) {
            if (memcmp(rec + j, "\xa4recs\x91", 6) == 0) {
                rec[j + 6]++;
                break;
            }
        }
        got g = {0};
        int rc = decode((const uint8_t *)b.sb.data, b.sb.size, &g);
        if (rc != cases[i].expect)
            fail_msg("case %zu (%s): expected %d, got %d", i, cases[i].kind, cases[i].expect, rc);
        if (rc == 0 && strcmp(cases[i].kind, "no_such_kind") != 0) {
            assert_int_equal(g.n, 1);
            assert_int_equal(g.recs[0].split, TW_SPLIT_TEST);
            assert_int_equal(g.recs[0].state_len, cases[i].n);
        }
        got_free(&g);
        mb_free(&b);
    }
}

static void
test_reject_strings(void **state)
{
    (void)state;
    char s[TW_WIRE_MAX_TEXT + 2];
    mb b;
    /* a run id of 127 bytes passes, 128 does not */
    for (size_t n = TW_WIRE_MAX_NAME; n <= TW_WIRE_MAX_NAME + 1; n++) {
        mb_init(&b);
        msgpack_pack_map(&b.pk, 6);
        str(&b, "v"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "run"), str(&b, fill(s, 'r', n));
        str(&b, "inc"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "rank"), msgpack_pack_uint8(&b.pk, 0);
        str(&b, "world"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "recs"), msgpack_pack_array(&b.pk, 0);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size,
                        n <= TW_WIRE_MAX_NAME ? 0 : -EBADMSG);
        mb_free(&b);
    }
    /* a parameter text of 255 passes, 256 does not; a NUL byte inside rejects */
    for (int c = 0; c < 3; c++) {
        mb_init(&b);
        envelope(&b, 0, 1);
        msgpack_pack_map(&b.pk, 5);
        str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_RUN);
        str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "name"), str(&b, "run");
        str(&b, "start"), msgpack_pack_double(&b.pk, 1.0);
        str(&b, "params"), msgpack_pack_map(&b.pk, 1), str(&b, "key");
        if (c == 2)
            msgpack_pack_str_with_body(&b.pk, "a\0b", 3);
        else
            str(&b, fill(s, 'x', TW_WIRE_MAX_TEXT + (size_t)c));
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, c == 0 ? 0 : -EBADMSG);
        mb_free(&b);
    }
    /* duplicate parameter keys, too many parameters, an empty key, bin values */
    for (int c = 0; c < 4; c++) {
        mb_init(&b);
        envelope(&b, 0, 1);
        msgpack_pack_map(&b.pk, 5);
        str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_RUN);
        str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "name"), str(&b, "run");
        str(&b, "start"), msgpack_pack_double(&b.pk, 1.0);
        str(&b, "params");
        if (c == 0) {
            msgpack_pack_map(&b.pk, 2);
            str(&b, "a"), str(&b, "1"), str(&b, "a"), str(&b, "2");
        } else if (c == 1) {
            msgpack_pack_map(&b.pk, TW_WIRE_MAX_PARAMS + 1);
            for (unsigned i = 0; i <= TW_WIRE_MAX_PARAMS; i++) {
                snprintf(s, sizeof(s), "k%u", i);
                str(&b, s), msgpack_pack_double(&b.pk, i);
            }
        } else if (c == 2) {
            msgpack_pack_map(&b.pk, 1);
            str(&b, ""), str(&b, "1");
        } else {
            msgpack_pack_map(&b.pk, 1);
            str(&b, "a"), msgpack_pack_bin_with_body(&b.pk, "1", 1);
        }
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
        mb_free(&b);
    }
    /* goal and status strings must be known */
    assert_non_null(tw_wire_goal_name(TW_GOAL_MIN));
}

static void
test_reject_envelope_rules(void **state)
{
    (void)state;
    tw_wire_record r = {.type = TW_REC_DROPS, .seq = 1, .time = 1.0, .dropped = 3};
    size_t len;
    uint8_t *msg = encode(&header, &r, 1, &len);
    got g = {0};
    assert_int_equal(decode(msg, len, &g), 0);
    got_free(&g);

    /* trailing garbage */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, msg, len);
    longer[len] = 0xc0;
    assert_rejected(longer, len + 1, -EBADMSG);
    free(longer);

    /* empty input, NULL input */
    assert_rejected(msg, 0, -EBADMSG);
    assert_rejected(NULL, 0, -EBADMSG);

    /* over the size limit: rejected from the length alone (the bytes are not read) */
    assert_rejected(msg, (size_t)TW_WIRE_MAX_MESSAGE + 1, -EMSGSIZE);
    assert_rejected(msg, SIZE_MAX, -EMSGSIZE);
    free(msg);

    /* version 3 (newer), version 0 (malformed: there never was one), version 2 (this one) and 1
     * (0.1's: still read), rank >= world, world 0, duplicate key */
    static const struct {
        unsigned v, rank, world;
        int dup;
        int expect;
    } cases[] = {
        {3, 0, 1, 0, -EPROTO},  {0, 0, 1, 0, -EBADMSG}, {2, 0, 1, 0, 0},
        {1, 0, 1, 0, 0},        {1, 1, 1, 0, -EBADMSG}, {1, 0, 0, 0, -EBADMSG},
        {1, 5, 3, 0, -EBADMSG}, {1, 2, 3, 0, 0},        {1, 0, 1, 1, -EBADMSG},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mb b;
        mb_init(&b);
        msgpack_pack_map(&b.pk, 6 + (size_t)cases[i].dup);
        str(&b, "v"), msgpack_pack_uint32(&b.pk, cases[i].v);
        str(&b, "run"), str(&b, "r");
        str(&b, "inc"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "rank"), msgpack_pack_uint32(&b.pk, cases[i].rank);
        str(&b, "world"), msgpack_pack_uint32(&b.pk, cases[i].world);
        str(&b, "recs"), msgpack_pack_array(&b.pk, 1), drops(&b, 1);
        if (cases[i].dup)
            str(&b, "inc"), msgpack_pack_uint8(&b.pk, 2);
        assert_rejected((const uint8_t *)b.sb.data, b.sb.size, cases[i].expect);
        mb_free(&b);
    }

    /* a duplicate key in a record */
    mb b;
    mb_init(&b);
    envelope(&b, 0, 1);
    msgpack_pack_map(&b.pk, 5);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_DROPS);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
    str(&b, "dropped"), msgpack_pack_uint8(&b.pk, 0);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 2);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
    /* a record that is not a map; a record without "t" */
    mb_init(&b);
    envelope(&b, 0, 1);
    msgpack_pack_array(&b.pk, 0);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
    mb_init(&b);
    envelope(&b, 0, 1);
    msgpack_pack_map(&b.pk, 1);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);

    /* an empty key as the last byte (found by fuzzing: the key was read past the end) */
    mb_init(&b);
    envelope(&b, 0, 1);
    msgpack_pack_map(&b.pk, 2);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_DROPS);
    str(&b, "");
    uint8_t *exact = malloc(b.sb.size);
    memcpy(exact, b.sb.data, b.sb.size);
    assert_rejected(exact, b.sb.size, -EBADMSG);
    free(exact);
    mb_free(&b);

    assert_int_equal(tw_wire_decode(NULL, (const uint8_t *)"", 1, NULL, NULL), -EINVAL);
}

static void
test_bad_message_after_good_records(void **state)
{
    (void)state;
    /* the last record is bad: the good ones before it are not delivered */
    mb b;
    mb_init(&b);
    envelope(&b, 0, 3);
    drops(&b, 1);
    drops(&b, 2);
    msgpack_pack_map(&b.pk, 4);
    str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_DROPS);
    str(&b, "seq"), msgpack_pack_uint8(&b.pk, 3);
    str(&b, "time"), msgpack_pack_double(&b.pk, NAN);
    str(&b, "dropped"), msgpack_pack_uint8(&b.pk, 0);
    assert_rejected((const uint8_t *)b.sb.data, b.sb.size, -EBADMSG);
    mb_free(&b);
}

static void
test_callback_stops(void **state)
{
    (void)state;
    tw_wire_record recs[4];
    for (int i = 0; i < 4; i++)
        recs[i] = (tw_wire_record){.type = TW_REC_DROPS, .seq = (uint64_t)i + 1, .time = 1.0};
    size_t len;
    uint8_t *msg = encode(&header, recs, 4, &len);
    tw_wire_decoder *d = tw_wire_decoder_new();
    got g = {.stop_at = 2, .stop_rc = 42};
    assert_int_equal(tw_wire_decode(d, msg, len, collect, &g), 42);
    assert_int_equal(g.n, 2);
    tw_wire_stats st = tw_wire_decoder_stats(d);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.rejected, 0);
    /* no callback: validate and count */
    assert_int_equal(tw_wire_decode(d, msg, len, NULL, NULL), 0);
    st = tw_wire_decoder_stats(d);
    assert_int_equal(st.records, 6);
    assert_int_equal(st.messages, 2);
    tw_wire_decoder_destroy(&d);
    tw_wire_decoder_destroy(&d);
    got_free(&g);
    free(msg);
}

/* ------------------------------------------------------------------------------------------ */
/* The encoder's refusals                                                                       */

/* A GAP whose last step is before its first, or that dropped nothing, is refused by both. */
static void
test_gap_rules(void **state)
{
    (void)state;
    const uint64_t bad[2][3] = {{10, 9, 1}, {10, 10, 0}}; /* step, to, dropped */
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_decoder *d = tw_wire_decoder_new();
    for (int i = 0; i < 2; i++) {
        tw_wire_record r = {.type = TW_REC_GAP,
                            .seq = 1,
                            .time = 1.0,
                            .step = bad[i][0],
                            .to_step = bad[i][1],
                            .dropped = bad[i][2]};
        tw_wire_encoder_begin(e, &header);
        assert_int_equal(tw_wire_encoder_add(e, &r), -EINVAL);
        mb b;
        mb_init(&b);
        envelope(&b, 0, 1);
        msgpack_pack_map(&b.pk, 6);
        str(&b, "t"), msgpack_pack_uint8(&b.pk, TW_REC_GAP);
        str(&b, "seq"), msgpack_pack_uint8(&b.pk, 1);
        str(&b, "time"), msgpack_pack_double(&b.pk, 1.0);
        str(&b, "step"), msgpack_pack_uint64(&b.pk, bad[i][0]);
        str(&b, "to"), msgpack_pack_uint64(&b.pk, bad[i][1]);
        str(&b, "dropped"), msgpack_pack_uint64(&b.pk, bad[i][2]);
        assert_int_equal(tw_wire_decode(d, (const uint8_t *)b.sb.data, b.sb.size, NULL, NULL),
                         -EBADMSG);
        mb_free(&b);
    }
    tw_wire_encoder_destroy(&e);
    tw_wire_decoder_destroy(&d);
}

static void
test_encoder_rejects(void **state)
{
    (void)state;
    tw_wire_encoder *e = tw_wire_encoder_new();
    static const double s2[2] = {1.0, 2.0};
    tw_wire_record ok = state_record(TW_REC_UPDATE, 1, 1, s2, 2);

    /* before begin */
    assert_int_equal(tw_wire_encoder_add(e, &ok), -EINVAL);
    const uint8_t *data;
    size_t len;
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), -EINVAL);

    /* bad envelopes */
    tw_wire_header h = header;
    h.rank = h.world;
    tw_wire_encoder_begin(e, &h);
    assert_int_equal(tw_wire_encoder_add(e, &ok), -EINVAL);
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), -EINVAL);
    h = header;
    h.world = 0;
    h.rank = 0;
    tw_wire_encoder_begin(e, &h);
    assert_int_equal(tw_wire_encoder_add(e, &ok), -EINVAL);
    h = header;
    h.run[0] = '\0';
    tw_wire_encoder_begin(e, &h);
    assert_int_equal(tw_wire_encoder_add(e, &ok), -EINVAL);
    h = header;
    memset(h.run, 'x', sizeof(h.run)); /* not terminated: too long */
    tw_wire_encoder_begin(e, &h);
    assert_int_equal(tw_wire_encoder_add(e, &ok), -EINVAL);

    tw_wire_encoder_begin(e, &header);
    assert_int_equal(tw_wire_encoder_add(e, &ok), 0);
    assert_int_equal(tw_wire_encoder_add(e, NULL), -EINVAL);
    assert_int_equal(tw_wire_encoder_add(NULL, &ok), -EINVAL);

    tw_wire_record r;
#define REJECT(change)                                                                             \
    do {                                                                                           \
        size_t before = tw_wire_encoder_size(e);                                                   \
        change;                                                                                    \
        assert_int_equal(tw_wire_encoder_add(e, &r), -EINVAL);                                     \
        assert_int_equal(tw_wire_encoder_size(e), before);                                         \
    } while (0)
    /* every type */
    REJECT((r = ok, r.type = (tw_record_type)0));
    REJECT((r = ok, r.type = (tw_record_type)9));
    REJECT((r = ok, r.seq = 0));
    REJECT((r = ok, r.epoch = 0));
    REJECT((r = ok, r.time = NAN));
    REJECT((r = ok, r.time = INFINITY));
    REJECT((r = ok, r.state = NULL));
    REJECT((r = ok, r.state_len = 0));
    REJECT((r = ok, r.state_len = TW_WIRE_MAX_STATE + 1));
    REJECT((r = ok, r.type = TW_REC_EPOCH, r.time = -INFINITY));
    tw_wire_record end = {.type = TW_REC_EPOCH_END, .seq = 1, .epoch = 1, .time = 1.0};
    REJECT((r = end, r.epoch = 0));
    REJECT((r = end, r.time = NAN));
    REJECT((r = end, r.type = TW_REC_HEARTBEAT, r.epoch = 0));
    REJECT((r = end, r.type = TW_REC_HEARTBEAT, r.time = NAN));
    REJECT((r = end, r.type = TW_REC_RUN_END, r.status = (tw_run_status)3));
    REJECT((r = end, r.type = TW_REC_RUN_END, r.time = NAN));
    REJECT((r = end, r.type = TW_REC_DROPS, r.time = NAN));

    tw_wire_record run = run_record(1);
    REJECT((r = run, r.name[0] = '\0'));
    REJECT((r = run, r.name[TW_WIRE_MAX_NAME] = 'x'));
    REJECT((r = run, r.host[TW_WIRE_MAX_NAME] = 'x'));
    REJECT((r = run, r.program[TW_WIRE_MAX_NAME] = 'x'));
    REJECT((r = run, r.time = NAN));
    REJECT((r = run, r.n_params = TW_WIRE_MAX_PARAMS + 1));
    REJECT((r = run, r.params = NULL));
    REJECT((r = run, r.n_params = 2, params[1].key[0] = '\0'));
    params[1].key[0] = 'p';
    REJECT((r = run, r.n_params = 3, strcpy(params[2].key, params[1].key)));
    strcpy(params[2].key, "param_2");
    REJECT((r = run, r.n_params = 2, memset(params[1].text, 'y', sizeof(params[1].text))));
    run = run_record(1);
    assert_int_equal(tw_wire_encoder_add(e, &run), 0);

    tw_wire_record m = metric_record(1, TW_METRIC_PRECISION, 1);
    assert_int_equal(tw_wire_encoder_add(e, &m), 0);
    REJECT((r = m, r.name[0] = '\0'));
    REJECT((r = m, r.split = (tw_split)3));
    REJECT((r = m, r.goal = (tw_goal)3));
    REJECT((r = m, r.kind = 0));
    REJECT((r = m, r.kind = TW_METRIC_KIND_END));
    REJECT((r = m, r.state_len = 3));
    REJECT((r = m, r.options.threshold = 1.5));
    REJECT((r = m, r.options.threshold = NAN));
    m = metric_record(1, TW_METRIC_BINARY_ACCURACY, 1);
    REJECT((r = m, r.options.threshold = INFINITY));
    m = metric_record(1, TW_METRIC_AUC, 1);
    assert_int_equal(tw_wire_encoder_add(e, &m), 0);
    REJECT((r = m, r.options.num_thresholds = 1));
    REJECT((r = m, r.options.curve = (tw_auc_curve)3));
    REJECT((r = m, r.options.summation = (tw_auc_summation)3));
    REJECT((r = m, r.state_len = 402));
    m = metric_record(1, TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, 1);
    REJECT((r = m, r.options.k = 0));
    m = metric_record(1, TW_WIRE_KIND_GAUGE, 1);
    REJECT((r = m, r.state_len = 2));
    /* a kind with moments: its 4 doubles, or 0.1's 2 (re-encoding an old run log) */
    m = metric_record(1, TW_METRIC_MEAN_SQUARED_ERROR, 1);
    REJECT((r = m, r.state_len = 3));
    REJECT((r = m, r.state_len = 1));
    m.state_len = 2;
    assert_int_equal(tw_wire_encoder_add(e, &m), 0);
    m = metric_record(1, TW_METRIC_ACCURACY, 1);
    REJECT((r = m, r.state_len = 4));
#undef REJECT

    /* the message built around the refusals is intact */
    assert_int_equal(tw_wire_encoder_finish(e, &data, &len), 0);
    got g = {0};
    assert_int_equal(decode(data, len, &g), 0);
    assert_int_equal(g.n, 5);
    got_free(&g);
    tw_wire_encoder_destroy(&e);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(tw_wire_split_name(TW_SPLIT_TRAIN), "train");
    assert_string_equal(tw_wire_split_name(TW_SPLIT_VAL), "val");
    assert_string_equal(tw_wire_split_name(TW_SPLIT_TEST), "test");
    assert_null(tw_wire_split_name((tw_split)3));
    assert_string_equal(tw_wire_status_name(TW_RUN_OK), "ok");
    assert_string_equal(tw_wire_status_name(TW_RUN_FAILED), "failed");
    assert_string_equal(tw_wire_status_name(TW_RUN_INTERRUPTED), "interrupted");
    assert_null(tw_wire_status_name((tw_run_status)-1));
    assert_string_equal(tw_wire_goal_name(TW_GOAL_MIN), "min");
    assert_string_equal(tw_wire_goal_name(TW_GOAL_MAX), "max");
    assert_null(tw_wire_goal_name(TW_GOAL_UNKNOWN));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_replay_mark),
        cmocka_unit_test(test_join_key),
        cmocka_unit_test(test_round_trip_largest_state),
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_decode_batches),
        cmocka_unit_test(test_message_size_limit),
        cmocka_unit_test(test_state_bytes_as_msgpack_c),
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_version_written),
        cmocka_unit_test(test_unknown_fields_skipped),
        cmocka_unit_test(test_unknown_record_type_skipped),
        cmocka_unit_test(test_uint_widths),
        cmocka_unit_test(test_fast_path_same_as_general),
        cmocka_unit_test(test_wrong_types_every_field),
        cmocka_unit_test(test_wrong_types_envelope),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_reject_state_and_time),
        cmocka_unit_test(test_reject_huge_counts),
        cmocka_unit_test(test_reject_nesting),
        cmocka_unit_test(test_metric_declarations),
        cmocka_unit_test(test_auc_prgain_roundtrip),
        cmocka_unit_test(test_reject_strings),
        cmocka_unit_test(test_reject_envelope_rules),
        cmocka_unit_test(test_bad_message_after_good_records),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_encoder_rejects),
        cmocka_unit_test(test_gap_rules),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
