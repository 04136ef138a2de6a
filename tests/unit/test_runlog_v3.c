/* test_runlog_v3.c - run-log format version 3's packed content (runlog_pack.h): messages of
 * every record shape put back byte for byte with the records the decoder would read, byte soup
 * with records anywhere in it, every prefix of a message, and hostile contents (cut at every
 * byte, every byte changed, each check's own case) that are refused with a sentence and never
 * read past. The file-level tests of version 3 (torn, flipped, reopened) are test_runlog_v2.c's,
 * run for both versions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runlog_pack.h"
#include "wire.h"
#include "wire_fast.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
rnd(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

/* A number of one of the uint widths a record's fields can have (fixint to 64 bits). */
static uint64_t
any_width(uint64_t *x)
{
    static const uint64_t top[] = {0x7f, 0xff, 0xffff, 0xffffffffu, UINT64_MAX};
    return rnd(x) % 3 == 0 ? rnd(x) % 5 : rnd(x) & top[rnd(x) % 5];
}

/* A message of n records: UPDATEs and EPOCHs of every shape (state of 1 to 15 doubles, ids
 * past 255, every uint width, NaN and infinite states), declarations, epoch ends and
 * heartbeats between them. Returns its length (copied to out). */
static size_t
message(uint64_t *x, int n, uint8_t *out, size_t cap)
{
    tw_wire_encoder *e = tw_wire_encoder_new();
    assert_non_null(e);
    tw_wire_header h = {.run = "run-v3", .incarnation = rnd(x), .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    double st[15];
    uint64_t seq = 1 + rnd(x) % 1000;
    for (int i = 0; i < n; i++) {
        tw_wire_record r = {.seq = seq, .time = 1.7e9 + (double)i * 0.001};
        seq += rnd(x) % 7 == 0 ? any_width(x) : 1;
        uint64_t kind = rnd(x) % 10;
        if (kind < 7) {
            r.type = kind < 5 ? TW_REC_UPDATE : TW_REC_EPOCH;
            r.metric_id = (uint32_t)(rnd(x) % 4 == 0 ? any_width(x) & 0xffffffffu : rnd(x) % 20);
            r.epoch = 1 + any_width(x) % 1000000;
            r.step = rnd(x) % 4 == 0 ? any_width(x) : (uint64_t)i;
            r.state_len = 1 + (uint32_t)(rnd(x) % 15);
            for (uint32_t k = 0; k < r.state_len; k++)
                st[k] = rnd(x) % 50 == 0 ? (rnd(x) % 2 ? NAN : -INFINITY)
                                         : (double)(rnd(x) % 1000) / 7.0 + (double)i;
            r.state = st;
        } else if (kind == 7) {
            r.type = TW_REC_EPOCH_END;
            r.epoch = 1 + rnd(x) % 100;
            r.step = (uint64_t)i;
            r.metrics = (uint32_t)(rnd(x) % 20);
        } else if (kind == 8) {
            r.type = TW_REC_HEARTBEAT;
            r.epoch = 1 + rnd(x) % 100;
            r.step = (uint64_t)i;
            r.interval_ms = 1000;
        } else {
            r.type = TW_REC_METRIC;
            r.metric_id = (uint32_t)(rnd(x) % 300);
            snprintf(r.name, sizeof r.name, "metric%d", i);
            r.kind = TW_METRIC_MEAN;
            r.state_len = 4;
        }
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

/* The records a decoder delivers: how many, and a hash of every byte of each (its pointers
 * left out, its state's doubles in). */
typedef struct got {
    size_t n;
    uint64_t hash;
} got;

static void
fnv(uint64_t *h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
}

static int
keep(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    got *g = ctx;
    tw_wire_record c = *r;
    c.state = NULL;
    c.params = NULL;
    fnv(&g->hash, &c, sizeof c);
    fnv(&g->hash, h, sizeof *h);
    if (r->state)
        fnv(&g->hash, r->state, r->state_len * sizeof(double));
    g->n++;
    return 0;
}

/* How often round_trip's skeleton reading gave the whole message, or its skeleton. */
static size_t skeleton_whole, skeleton_given, skeleton_whole_packed;

/* The records (and status) the decoder delivers for message m are those it delivers for the
 * unpacker's output b (the message or its skeleton) with the records it handed over. */
static void
same_records(const uint8_t *m, size_t n, const tw_runlog_out *o, size_t back)
{
    got plain = {0, 14695981039346656037ull}, fast = plain;
    tw_wire_decoder *d = tw_wire_decoder_new();
    int r1 = tw_wire_decode(d, m, n, keep, &plain);
    int r2 = tw_wire_decode_read(d, o->buf, back, o->pre, o->n_pre, keep, &fast);
    assert_int_equal(r1, r2);
    assert_int_equal(plain.n, fast.n);
    assert_true(plain.hash == fast.hash);
    tw_wire_decoder_destroy(&d);
}

/* Packs m, unpacks it: the same bytes, and the records the decoder delivers taking the
 * unpacker's (o.pre) are those it delivers reading the bytes itself. Returns the content's
 * mode. */
static int
round_trip(tw_runlog_pack *p, tw_runlog_out *o, const uint8_t *m, size_t n, bool decode)
{
    const uint8_t *c;
    size_t cn, back;
    char why[128] = "";
    assert_int_equal(tw_runlog_pack_message(p, m, n, &c, &cn), 0);
    int mode = c[0];
    uint8_t *copy = malloc(cn);
    memcpy(copy, c, cn); /* exactly cn bytes: ASan sees a read past them */
    int rc = tw_runlog_unpack_message(p, copy, cn, false, o, &back, why, sizeof why);
    if (rc != 0)
        fail_msg("unpack: %d %s", rc, why);
    assert_int_equal(back, n);
    assert_memory_equal(o->buf, m, n);
    if (decode)
        same_records(m, n, o, back);
    /* as a skeleton: the message itself, or its skeleton that decodes as it */
    assert_int_equal(tw_runlog_unpack_message(p, copy, cn, true, o, &back, why, sizeof why), 0);
    if (back == n && memcmp(o->buf, m, n) == 0) {
        skeleton_whole++;
        skeleton_whole_packed += mode == TW_RUNLOG_PACK_PACKED;
    } else {
        assert_int_equal(mode, TW_RUNLOG_PACK_PACKED);
        assert_true(back < n);
        skeleton_given++;
        for (size_t i = 0; i < o->n_pre; i++)
            assert_ptr_equal(o->pre[i].start, o->pre[i].next);
    }
    if (decode)
        same_records(m, n, o, back);
    free(copy);
    return mode;
}

/* Messages of every shape are put back exactly; the records come out as read. */
static void
test_messages(void **state)
{
    (void)state;
    tw_runlog_pack *p = tw_runlog_pack_new();
    tw_runlog_out o = {0};
    static uint8_t m[1 << 20];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    size_t packed = 0;
    for (int round = 0; round < 300; round++) {
        size_t n = message(&x, 1 + (int)(rnd(&x) % 1500), m, sizeof m);
        packed += round_trip(p, &o, m, n, true) == TW_RUNLOG_PACK_PACKED;
    }
    assert_true(packed >= 290);               /* (a message of declarations alone is not packed) */
    assert_true(skeleton_given >= 30);        /* (not when 4096 records and skeleton bytes come */
    assert_true(skeleton_whole_packed >= 30); /* before a record: many declarations) */
    tw_runlog_out_free(&o);
    tw_runlog_pack_destroy(&p);
}

/* Messages as the publisher sends them (a run's declarations, then updates and epochs, an
 * epoch's end now and then) are read as skeletons, at every size up to its 1024 records and
 * past it: fewer bytes, the records without theirs, and the decoder delivers the same. */
static void
test_skeletons(void **state)
{
    (void)state;
    tw_runlog_pack *p = tw_runlog_pack_new();
    tw_runlog_out o = {0};
    static uint8_t m[1 << 20];
    static const double st[4] = {1.5, 2.0, 0.25, 2.0};
    for (int n = 1; n <= 6000; n = n < 40 ? n + 1 : n * 2) {
        tw_wire_encoder *e = tw_wire_encoder_new();
        tw_wire_header h = {.run = "run-v3", .incarnation = 7, .rank = 0, .world = 1};
        tw_wire_encoder_begin(e, &h);
        uint64_t seq = 1;
        for (int k = 0; k < 20 && n < 100; k++) { /* the first message declares */
            tw_wire_record d = {.type = TW_REC_METRIC,
                                .seq = seq++,
                                .metric_id = (uint32_t)k,
                                .kind = TW_METRIC_MEAN,
                                .state_len = 4,
                                .time = 1.7e9};
            snprintf(d.name, sizeof d.name, "loss%02d", k);
            assert_int_equal(tw_wire_encoder_add(e, &d), 0);
        }
        for (int i = 0; i < n; i++) {
            tw_wire_record r = {.type = i % 20 == 19 ? TW_REC_EPOCH : TW_REC_UPDATE,
                                .seq = seq++,
                                .metric_id = (uint32_t)(i % 20),
                                .epoch = 1 + (uint64_t)i / 200,
                                .step = (uint64_t)i / 20,
                                .time = 1.7e9 + i * 1e-3,
                                .state = st,
                                .state_len = 4};
            assert_int_equal(tw_wire_encoder_add(e, &r), 0);
            if (i % 200 == 199) {
                tw_wire_record end = {.type = TW_REC_EPOCH_END,
                                      .seq = seq++,
                                      .epoch = r.epoch,
                                      .step = r.step,
                                      .time = r.time,
                                      .metrics = 20};
                assert_int_equal(tw_wire_encoder_add(e, &end), 0);
            }
        }
        const uint8_t *msg;
        size_t len;
        assert_int_equal(tw_wire_encoder_finish(e, &msg, &len), 0);
        memcpy(m, msg, len);
        tw_wire_encoder_destroy(&e);
        size_t given = skeleton_given;
        round_trip(p, &o, m, len, true);
        /* up to 2560 records (the publisher's messages have 1024 at most): a skeleton; 5120:
           whole, the records past 4096 and the skeleton's bytes could not be handed over */
        assert_int_equal(skeleton_given, given + (n <= 2560));
    }
    /* a record of a type the decoder skips (t 20, in the encoder's layout: patched in) is
       taken out, but not handed over as read: the frame comes whole, and decodes the same */
    size_t len = message(&(uint64_t){7}, 0, m, sizeof m); /* (an envelope, no record) */
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "run-v3", .incarnation = 7, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    for (int i = 0; i < 30; i++) {
        tw_wire_record r = {.type = TW_REC_UPDATE,
                            .seq = 1 + (uint64_t)i,
                            .metric_id = 1,
                            .epoch = 1,
                            .step = (uint64_t)i,
                            .time = 1.7e9,
                            .state = st,
                            .state_len = 4};
        assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    }
    const uint8_t *msg;
    assert_int_equal(tw_wire_encoder_finish(e, &msg, &len), 0);
    memcpy(m, msg, len);
    tw_wire_encoder_destroy(&e);
    for (size_t k = 0, t = 0; k + 4 < len; k++)
        if (memcmp(m + k, "\x87\xa1t\x03", 4) == 0 && ++t == 12)
            m[k + 3] = 20;
    size_t given = skeleton_given, whole = skeleton_whole_packed;
    round_trip(p, &o, m, len, true);
    assert_int_equal(skeleton_given, given);
    assert_int_equal(skeleton_whole_packed, whole + 1);
    tw_runlog_out_free(&o);
    tw_runlog_pack_destroy(&p);
}

/* Any bytes go through: random bytes with records (and bits of them) dropped in anywhere, and
 * every prefix of a message, come back the same. */
static void
test_byte_soup(void **state)
{
    (void)state;
    tw_runlog_pack *p = tw_runlog_pack_new();
    tw_runlog_out o = {0};
    static uint8_t m[1 << 16], rec[1 << 16], soup[1 << 16];
    uint64_t x = 88172645463325252ull;
    size_t rn = message(&x, 40, rec, sizeof rec);
    for (int round = 0; round < 3000; round++) {
        size_t n = 0, want = 1 + rnd(&x) % 3000;
        while (n < want) {
            if (rnd(&x) % 4 == 0) { /* a piece of the message: records, or parts of them */
                size_t at = rnd(&x) % rn, k = 1 + rnd(&x) % (rn - at);
                if (k > sizeof soup - n)
                    break;
                memcpy(soup + n, rec + at, k);
                n += k;
            } else {
                soup[n++] = (uint8_t)rnd(&x);
            }
        }
        round_trip(p, &o, soup, n, false);
    }
    size_t n = message(&x, 30, m, sizeof m);
    for (size_t cut = 1; cut <= n; cut++)
        round_trip(p, &o, m, cut, false);
    tw_runlog_out_free(&o);
    tw_runlog_pack_destroy(&p);
}

/* What an unpacker gave (o, len bytes) is safe to decode: every record handed over lies in the
 * output, in order, its state's tokens in the output or its native doubles in the states
 * buffer; and it decodes. */
static void
check_out(const tw_runlog_out *o, size_t len)
{
    for (size_t i = 0; i < o->n_pre; i++) {
        const tw_wire_fast *f = &o->pre[i];
        assert_true(f->start >= o->buf && f->start <= f->next && f->next <= o->buf + len);
        assert_true(i == 0 || f->start >= o->pre[i - 1].next);
        size_t st = 9 * (size_t)f->state_len;
        const double *d = (const double *)(const void *)f->state;
        if (f->native) /* a skeleton's: native doubles in the states buffer */
            assert_true(o->states && d >= o->states &&
                        d + f->state_len <= o->states + o->states_cap);
        else /* float 64 tokens in the output */
            assert_true(f->state >= o->buf && f->state + st <= o->buf + len);
    }
    tw_wire_decoder *d = tw_wire_decoder_new();
    tw_wire_decode_read(d, o->buf, len, o->pre, o->n_pre, NULL, NULL);
    tw_wire_decoder_destroy(&d);
}

/* Unpacks c (n bytes) and expects -EBADMSG with `what` in the sentence. */
static void
expect_bad(tw_runlog_pack *p, tw_runlog_out *o, const uint8_t *c, size_t n, const char *what)
{
    uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past them */
    memcpy(copy, c, n);
    char why[128] = "";
    size_t len;
    for (int sk = 0; sk < 2; sk++)
        assert_int_equal(tw_runlog_unpack_message(p, copy, n, sk, o, &len, why, sizeof why),
                         -EBADMSG);
    if (!strstr(why, what))
        fail_msg("\"%s\" lacks \"%s\"", why, what);
    assert_int_equal(o->n_pre, 0);
    free(copy);
}

static void
put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* Hostile contents: each check's own case, every cut of a packed content and every byte of
 * it changed, all without reading past the content (ASan) or growing the output past what a
 * valid content of that length could need. */
static void
test_hostile(void **state)
{
    (void)state;
    tw_runlog_pack *p = tw_runlog_pack_new();
    tw_runlog_out o = {0};
    static uint8_t m[1 << 16], c[1 << 16];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t n = message(&x, 60, m, sizeof m);
    const uint8_t *pc;
    size_t cn;
    assert_int_equal(tw_runlog_pack_message(p, m, n, &pc, &cn), 0);
    assert_int_equal(pc[0], TW_RUNLOG_PACK_PACKED);
    memcpy(c, pc, cn);
    size_t k = c[9], skel = c[1] | (size_t)c[2] << 8, shapes0 = 10;

    expect_bad(p, &o, c, 0, "empty");
    uint8_t b[1 << 16];
    memcpy(b, c, cn);
    b[0] = 2;
    expect_bad(p, &o, b, cn, "unknown content mode 2");
    expect_bad(p, &o, c, 9, "of 9 bytes");
    memcpy(b, c, cn);
    b[9] = 0;
    expect_bad(p, &o, b, cn, "0 shapes");
    memcpy(b, c, cn);
    put32(b + 5, 0);
    expect_bad(p, &o, b, cn, "0 records");
    memcpy(b, c, cn);
    put32(b + 1, 0xffffffffu);
    expect_bad(p, &o, b, cn, "shorter than its shapes and skeleton");
    memcpy(b, c, cn);
    put32(b + 5, 0xffffffffu);
    expect_bad(p, &o, b, cn, "records in");
    memcpy(b, c, cn);
    b[shapes0 + 1] = 16; /* a state of 16 doubles */
    expect_bad(p, &o, b, cn, "bad record shape 0");
    memcpy(b, c, cn);
    b[shapes0 + 2] = 3; /* a width of 3 bytes */
    expect_bad(p, &o, b, cn, "bad record shape 0");
    memcpy(b, c, cn);
    b[shapes0] = 0x80; /* t not a positive fixint */
    expect_bad(p, &o, b, cn, "bad record shape 0");
    memcpy(b, c, cn);
    b[shapes0 + 7] = 1;
    expect_bad(p, &o, b, cn, "bad record shape 0");
    /* a record's shape one too far, found whichever of the four tallies counts it */
    size_t nrec = c[5] | (size_t)c[6] << 8;
    assert_true(nrec >= 8);
    const size_t bad_at[] = {0, 1, 2, 3, nrec - 2, nrec - 1};
    for (size_t i = 0; i < sizeof bad_at / sizeof bad_at[0]; i++) {
        memcpy(b, c, cn);
        b[shapes0 + 8 * k + skel + bad_at[i]] = (uint8_t)k;
        char want[64];
        snprintf(want, sizeof want, "record %zu of shape %zu", bad_at[i], k);
        expect_bad(p, &o, b, cn, want);
    }
    expect_bad(p, &o, c, cn - 1, "columns of");
    memcpy(b, c, cn);
    b[cn] = 0;
    expect_bad(p, &o, b, cn + 1, "columns of");

    /* the output grows to the message and a template's room (214 bytes), not doubled; read as
       a skeleton, to the skeleton */
    tw_runlog_out fresh = {0};
    size_t len;
    char why[128];
    assert_int_equal(tw_runlog_unpack_message(p, c, cn, false, &fresh, &len, why, sizeof why), 0);
    assert_int_equal(len, n);
    assert_int_equal(fresh.cap, n + 214);
    tw_runlog_out_free(&fresh);
    assert_int_equal(tw_runlog_unpack_message(p, c, cn, true, &fresh, &len, why, sizeof why), 0);
    assert_int_equal(fresh.cap, skel);
    tw_runlog_out_free(&fresh);

    /* every cut is refused; every changed byte is refused or reads (as something else) */
    for (size_t cut = 0; cut < cn; cut++)
        expect_bad(p, &o, c, cut, "");
    size_t read = 0;
    for (size_t at = 0; at < cn; at++) {
        for (int v = 0; v < 3; v++) {
            memcpy(b, c, cn);
            b[at] = v == 0 ? (uint8_t)(b[at] ^ 0xff) : v == 1 ? (uint8_t)(b[at] + 1) : 0;
            uint8_t *copy = malloc(cn);
            memcpy(copy, b, cn);
            int rc = tw_runlog_unpack_message(p, copy, cn, v == 2, &o, &len, why, sizeof why);
            assert_true(rc == 0 || rc == -EBADMSG);
            if (rc == 0) {
                read++;
                assert_true(len <= TW_WIRE_MAX_MESSAGE);
                check_out(&o, len);
            }
            free(copy);
        }
    }
    assert_true(read > 0); /* (a changed number is still a number) */
    tw_runlog_out_free(&o);
    tw_runlog_pack_destroy(&p);
}

/* Each check that is about the records themselves: a gap past the skeleton, a number wider
 * than its shape's width (found in the columns, after the XOR is undone). */
static void
test_hostile_columns(void **state)
{
    (void)state;
    tw_runlog_pack *p = tw_runlog_pack_new();
    tw_runlog_out o = {0};
    /* one UPDATE of metric 1: seq 5 (a fixint), state of 1 double */
    static const double st[1] = {0.5};
    tw_wire_record r = {.type = TW_REC_UPDATE,
                        .seq = 5,
                        .metric_id = 1,
                        .epoch = 1,
                        .step = 1,
                        .time = 1.7e9,
                        .state = st,
                        .state_len = 1};
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_wire_header h = {.run = "r", .incarnation = 1, .rank = 0, .world = 1};
    tw_wire_encoder_begin(e, &h);
    assert_int_equal(tw_wire_encoder_add(e, &r), 0);
    const uint8_t *m, *pc;
    size_t n, cn;
    assert_int_equal(tw_wire_encoder_finish(e, &m, &n), 0);
    assert_int_equal(tw_runlog_pack_message(p, m, n, &pc, &cn), 0);
    uint8_t b[4096];
    assert_true(cn <= sizeof b);
    size_t k = pc[9], skel = pc[1] | (size_t)pc[2] << 8;
    size_t cols = 10 + 8 * k + skel + 1; /* one record: each column is 8 bytes, 4 planes of 2 */
    memcpy(b, pc, cn);
    b[cols + 8 * 0] = 0xff; /* the gap's low bits */
    expect_bad(p, &o, b, cn, "past the skeleton's end");
    memcpy(b, pc, cn);
    b[cols + 8 * 2] ^= 0x80; /* seq: 5 ^ 0x80, too wide for a fixint */
    expect_bad(p, &o, b, cn, "wider than its shape");
    memcpy(b, pc, cn);
    b[cols + 8 * 1 + 6] = 1; /* id: bit 48 set, its width is a fixint's */
    expect_bad(p, &o, b, cn, "wider than its shape");
    tw_wire_encoder_destroy(&e);
    tw_runlog_out_free(&o);
    tw_runlog_pack_destroy(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),        cmocka_unit_test(test_skeletons),
        cmocka_unit_test(test_byte_soup),       cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_hostile_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
