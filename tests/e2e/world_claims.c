/* world_claims.c - a hostile peer for the memory e2e test: N tiny valid messages, each a new
 * run that claims the largest world (65536) and speaks as its last rank, with a RUN record and
 * one metric declaration (about 150 bytes each): what made a monitor allocate arrays sized by
 * the claimed world for every run.
 * Usage: world_claims log PATH N    writes them as a run log (44 KB for N = 300)
 *        world_claims send ENDPOINT N    connects to a listening monitor, waits for its
 *        subscription and sends them
 * Exit 0, or 1 on an error. */
#define _POSIX_C_SOURCE 200809L
#include "runlog.h"
#include "subscribed.h"
#include "wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Message i: run "wNNNNN", incarnation i + 1, rank 65535 of 65536, RUN and METRIC. */
static int
message(tw_wire_encoder *e, long i, const uint8_t **data, size_t *len)
{
    tw_wire_header h = {.version = TW_WIRE_VERSION, .incarnation = (uint64_t)i + 1};
    h.rank = 65535;
    h.world = 65536;
    snprintf(h.run, sizeof h.run, "w%05ld", i);
    tw_wire_encoder_begin(e, &h);
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_RUN;
    r.seq = 1;
    r.time = 1.7e9 + (double)i;
    snprintf(r.name, sizeof r.name, "%s", h.run);
    int rc = tw_wire_encoder_add(e, &r);
    memset(&r, 0, sizeof r);
    r.type = TW_REC_METRIC;
    r.seq = 2;
    r.metric_id = 1;
    r.kind = TW_METRIC_MEAN;
    r.options = tw_metric_defaults();
    r.state_len = 2;
    r.goal = TW_GOAL_UNKNOWN;
    snprintf(r.name, sizeof r.name, "loss");
    if (rc == 0)
        rc = tw_wire_encoder_add(e, &r);
    return rc ? rc : tw_wire_encoder_finish(e, data, len);
}

int
main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "log") != 0 && strcmp(argv[1], "send") != 0)) {
        fprintf(stderr, "usage: world_claims log PATH N | world_claims send ENDPOINT N\n");
        return 2;
    }
    long n = atol(argv[3]);
    bool send = strcmp(argv[1], "send") == 0;
    tw_wire_encoder *e = tw_wire_encoder_new();
    tw_runlog_writer *w = NULL;
    void *ctx = NULL, *sock = NULL;
    if (send) {
        ctx = zmq_ctx_new();
        if (!(sock = tw_test_connect_subscribed(ctx, argv[2], "world_claims")))
            return 1;
    } else if (!(w = tw_runlog_writer_open(argv[2], 1000))) {
        perror("world_claims: run log");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        const uint8_t *data;
        size_t len;
        if (message(e, i, &data, &len) != 0) {
            fprintf(stderr, "world_claims: cannot encode message %ld\n", i);
            return 1;
        }
        int rc = send ? (zmq_send(sock, data, len, 0) == (int)len ? 0 : -1)
                      : tw_runlog_writer_append(w, data, len);
        if (rc != 0) {
            fprintf(stderr, "world_claims: message %ld not written\n", i);
            return 1;
        }
    }
    if (send) {
        int linger = 5000;
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(sock);
        zmq_ctx_term(ctx);
    }
    tw_runlog_writer_close(&w);
    tw_wire_encoder_destroy(&e);
    return 0;
}
