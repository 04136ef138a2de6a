/* garbage_sender.c - a hostile publisher for the hostile-input e2e test: an XPUB socket that
 * connects to a listening monitor, waits for its subscription (subscribed.h) and sends it
 * messages that must all be rejected: truncated msgpack, huge declared lengths, deep nesting,
 * wrong types, non-finite times, epoch 0, an unsupported version, a 1 MiB string, a flood of
 * small bad messages and, last and on a connection of its own (the monitor drops the
 * connection), a message over the 16 MiB maximum size. Not one message is valid: a valid one would
 * start a run that never ends.
 *
 * Usage: garbage_sender ENDPOINT FLOOD
 * Prints "sent N" (the number of messages) on standard output; exit 0, or 1 on an error.
 */
#define _POSIX_C_SOURCE 200809L
#include "subscribed.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *p;
    size_t n, cap;
} buf;

static void
put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "garbage_sender: out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void
u8(buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void
be(buf *b, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static void
mp_map(buf *b, uint32_t n)
{
    if (n < 16)
        u8(b, 0x80 | n);
    else {
        u8(b, 0xdf);
        be(b, n, 4);
    }
}

static void
mp_arr(buf *b, uint32_t n)
{
    if (n < 16)
        u8(b, 0x90 | n);
    else {
        u8(b, 0xdd);
        be(b, n, 4);
    }
}

static void
mp_strn(buf *b, const char *s, size_t n)
{
    if (n < 32)
        u8(b, 0xa0 | (unsigned)n);
    else {
        u8(b, 0xdb);
        be(b, n, 4);
    }
    put(b, s, n);
}

static void
mp_str(buf *b, const char *s)
{
    mp_strn(b, s, strlen(s));
}

static void
mp_uint(buf *b, uint64_t v)
{
    if (v < 128)
        u8(b, (unsigned)v);
    else {
        u8(b, 0xcf);
        be(b, v, 8);
    }
}

static void
mp_f64(buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    u8(b, 0xcb);
    be(b, bits, 8);
}

/* The envelope's header up to and including the "recs" key, with `nrecs` records to follow. */
static void
envelope(buf *b, uint64_t v, const char *run, uint32_t nrecs)
{
    mp_map(b, 6);
    mp_str(b, "v");
    mp_uint(b, v);
    mp_str(b, "run");
    mp_str(b, run);
    mp_str(b, "inc");
    mp_uint(b, 0x1234567890abcdefull);
    mp_str(b, "rank");
    mp_uint(b, 0);
    mp_str(b, "world");
    mp_uint(b, 1);
    mp_str(b, "recs");
    mp_arr(b, nrecs);
}

/* A RUN record with the given start time. */
static void
rec_run(buf *b, uint64_t seq, double start)
{
    mp_map(b, 4);
    mp_str(b, "t");
    mp_uint(b, 1);
    mp_str(b, "seq");
    mp_uint(b, seq);
    mp_str(b, "name");
    mp_str(b, "hostile");
    mp_str(b, "start");
    mp_f64(b, start);
}

static void
rec_epoch_end(buf *b, uint64_t seq, uint64_t epoch, double time)
{
    mp_map(b, 6);
    mp_str(b, "t");
    mp_uint(b, 5);
    mp_str(b, "seq");
    mp_uint(b, seq);
    mp_str(b, "epoch");
    mp_uint(b, epoch);
    mp_str(b, "step");
    mp_uint(b, 1);
    mp_str(b, "time");
    mp_f64(b, time);
    mp_str(b, "metrics");
    mp_uint(b, 0);
}

static void *sock;
static unsigned long sent;

static void
send_buf(buf *b)
{
    if (zmq_send(sock, b->p, b->n, 0) < 0) {
        fprintf(stderr, "garbage_sender: zmq_send: %s\n", zmq_strerror(zmq_errno()));
        exit(1);
    }
    sent++;
    b->n = 0;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: garbage_sender ENDPOINT FLOOD\n");
        return 2;
    }
    long flood = atol(argv[2]);
    void *ctx = zmq_ctx_new();
    if (!(sock = tw_test_connect_subscribed(ctx, argv[1], "garbage_sender")))
        return 1;

    buf b = {0};
    /* Empty message, the reserved byte, a bare integer, trailing bytes. */
    send_buf(&b);
    u8(&b, 0xc1);
    send_buf(&b);
    u8(&b, 0x01);
    send_buf(&b);
    envelope(&b, 1, "hostile", 0);
    u8(&b, 0x00);
    send_buf(&b);

    /* Truncated: every prefix of an envelope holding one record. */
    buf whole = {0};
    envelope(&whole, 1, "hostile", 1);
    rec_epoch_end(&whole, 1, 1, 1.0); /* truncated below; whole it would be valid */
    for (size_t n = 1; n < whole.n; n += 7) {
        put(&b, whole.p, n);
        send_buf(&b);
    }

    /* Huge declared lengths: array 32, str 32, map 32, bin 32 of 0xffffffff. */
    static const unsigned char huge[][5] = {{0xdd, 0xff, 0xff, 0xff, 0xff},
                                            {0xdb, 0xff, 0xff, 0xff, 0xff},
                                            {0xdf, 0xff, 0xff, 0xff, 0xff},
                                            {0xc6, 0xff, 0xff, 0xff, 0xff}};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        put(&b, huge[i], 5);
        send_buf(&b);
        /* the same inside an envelope: as the recs count and as the run id */
        envelope(&b, 1, "hostile", 0);
        b.n--;
        put(&b, huge[i], 5);
        send_buf(&b);
        mp_map(&b, 6);
        mp_str(&b, "v");
        mp_uint(&b, 1);
        mp_str(&b, "run");
        put(&b, huge[i], 5);
        put(&b, "abc", 3);
        send_buf(&b);
    }
    /* A record count over the limit that does fit (65537 empty maps). */
    envelope(&b, 1, "hostile", 65537);
    for (int i = 0; i < 65537; i++)
        mp_map(&b, 0);
    send_buf(&b);

    /* Deep nesting: 100000 one-element arrays (and maps), alone and as an unknown key. */
    for (int i = 0; i < 100000; i++)
        u8(&b, 0x91);
    u8(&b, 0x01);
    send_buf(&b);
    for (int i = 0; i < 100000; i++) {
        u8(&b, 0x81);
        u8(&b, 0x01);
    }
    u8(&b, 0x01);
    send_buf(&b);
    mp_map(&b, 7);
    mp_str(&b, "deep");
    for (int i = 0; i < 100000; i++)
        u8(&b, 0x91);
    u8(&b, 0x01);
    b.p[0] = 0x87; /* fixmap 7: the envelope's six keys follow */
    {
        buf rest = {0};
        envelope(&rest, 1, "hostile", 0);
        put(&b, rest.p + 1, rest.n - 1);
        free(rest.p);
    }
    send_buf(&b);
    /* Nine levels in an unknown key: one over the limit of 8. */
    mp_map(&b, 7);
    mp_str(&b, "deep9");
    for (int i = 0; i < 9; i++)
        u8(&b, 0x91);
    u8(&b, 0x01);
    {
        buf rest = {0};
        envelope(&rest, 1, "hostile", 0);
        put(&b, rest.p + 1, rest.n - 1);
        free(rest.p);
    }
    send_buf(&b);

    /* Wrong types: v as a string, run as an integer, recs as a map, rank >= world, world 0,
     * a float 32 time, seq 0, a record that is not a map. */
    mp_map(&b, 6);
    mp_str(&b, "v");
    mp_str(&b, "1");
    send_buf(&b);
    mp_map(&b, 6);
    mp_str(&b, "v");
    mp_uint(&b, 1);
    mp_str(&b, "run");
    mp_uint(&b, 5);
    send_buf(&b);
    envelope(&b, 1, "hostile", 0);
    b.p[b.n - 1] = 0x80; /* recs: an empty map */
    send_buf(&b);
    envelope(&b, 1, "hostile", 1);
    mp_uint(&b, 7); /* a record that is an integer */
    send_buf(&b);
    envelope(&b, 1, "hostile", 1);
    rec_run(&b, 0, 1.0); /* seq 0 */
    send_buf(&b);
    envelope(&b, 1, "hostile", 1);
    mp_map(&b, 4);
    mp_str(&b, "t");
    mp_uint(&b, 1);
    mp_str(&b, "seq");
    mp_uint(&b, 1);
    mp_str(&b, "name");
    mp_str(&b, "hostile");
    mp_str(&b, "start");
    u8(&b, 0xca); /* float 32 */
    be(&b, 0x3f800000u, 4);
    send_buf(&b);
    envelope(&b, 1, "hostile", 1);
    mp_map(&b, 2);
    mp_str(&b, "t");
    mp_f64(&b, 1.0); /* t as a float */
    mp_str(&b, "seq");
    mp_uint(&b, 1);
    send_buf(&b);
    /* rank 5 of world 2 */
    mp_map(&b, 6);
    mp_str(&b, "v");
    mp_uint(&b, 1);
    mp_str(&b, "run");
    mp_str(&b, "hostile");
    mp_str(&b, "inc");
    mp_uint(&b, 7);
    mp_str(&b, "rank");
    mp_uint(&b, 5);
    mp_str(&b, "world");
    mp_uint(&b, 2);
    mp_str(&b, "recs");
    mp_arr(&b, 1);
    rec_run(&b, 1, 1.0);
    send_buf(&b);
    /* world 0 */
    mp_map(&b, 6);
    mp_str(&b, "v");
    mp_uint(&b, 1);
    mp_str(&b, "run");
    mp_str(&b, "hostile");
    mp_str(&b, "inc");
    mp_uint(&b, 7);
    mp_str(&b, "rank");
    mp_uint(&b, 0);
    mp_str(&b, "world");
    mp_uint(&b, 0);
    mp_str(&b, "recs");
    mp_arr(&b, 1);
    rec_run(&b, 1, 1.0);
    send_buf(&b);

    /* Non-finite times: a RUN start of NaN, +Inf, -Inf; an EPOCH_END at NaN. */
    double bad_times[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        envelope(&b, 1, "hostile", 1);
        rec_run(&b, 1, bad_times[i]);
        send_buf(&b);
        envelope(&b, 1, "hostile", 1);
        rec_epoch_end(&b, 1, 1, bad_times[i]);
        send_buf(&b);
    }
    /* Epoch 0. */
    envelope(&b, 1, "hostile", 1);
    rec_epoch_end(&b, 1, 0, 1.0);
    send_buf(&b);
    /* Version 3 (newer than this decoder; an otherwise valid message) and version 0. */
    envelope(&b, 3, "hostile", 1);
    rec_epoch_end(&b, 1, 1, 1.0);
    send_buf(&b);
    envelope(&b, 0, "hostile", 1);
    rec_epoch_end(&b, 1, 1, 1.0);
    send_buf(&b);

    /* A 1 MiB string as the run id and as a record's name. */
    size_t mib = 1u << 20;
    char *big = malloc(mib);
    if (!big)
        return 1;
    memset(big, 'A', mib);
    mp_map(&b, 6);
    mp_str(&b, "v");
    mp_uint(&b, 1);
    mp_str(&b, "run");
    mp_strn(&b, big, mib);
    send_buf(&b);
    envelope(&b, 1, "hostile", 1);
    mp_map(&b, 4);
    mp_str(&b, "t");
    mp_uint(&b, 1);
    mp_str(&b, "seq");
    mp_uint(&b, 1);
    mp_str(&b, "name");
    mp_strn(&b, big, mib);
    mp_str(&b, "start");
    mp_f64(&b, 1.0);
    send_buf(&b);
    free(big);

    /* The flood: small bad messages of a few kinds, in turn. */
    for (long i = 0; i < flood; i++) {
        switch (i % 4) {
        case 0:
            u8(&b, 0xc1);
            break;
        case 1:
            envelope(&b, 3, "flood", 0);
            break;
        case 2:
            envelope(&b, 1, "flood", 1);
            rec_epoch_end(&b, (uint64_t)i + 1, 0, 1.0);
            break;
        default:
            put(&b, huge[i % 2], 5);
            break;
        }
        send_buf(&b);
    }

    /* Over the maximum size (17 MiB): the monitor drops the connection that sends it (what
     * the connection had queued still reaches the monitor: its socket lingers). It goes last,
     * on a connection of its own: the flood's ends by a plain close. */
    void *big_sock = tw_test_connect_subscribed(ctx, argv[1], "garbage_sender");
    size_t over = 17u << 20;
    unsigned char *p = malloc(over);
    if (!p || !big_sock)
        return 1;
    memset(p, 0xc0, over);
    if (zmq_send(big_sock, p, over, 0) < 0) {
        fprintf(stderr, "garbage_sender: zmq_send 17 MiB: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    sent++;
    free(p);

    int linger = 20000; /* wait for everything to be written */
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(big_sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(sock);
    zmq_close(big_sock);
    zmq_ctx_term(ctx);
    free(b.p);
    free(whole.p);
    printf("sent %lu\n", sent);
    return 0;
}
