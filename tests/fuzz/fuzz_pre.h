/* fuzz_pre.h - shared by the run-log fuzz targets (fuzz_runlog_xor.c, fuzz_runlog_pack.c): the
 * records a reader hands the decoder as read (tw_wire_fast) checked against the decoder itself.
 * Static functions: each target is one translation unit. */
#ifndef TW_FUZZ_PRE_H
#define TW_FUZZ_PRE_H

#include "wire_fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports a broken invariant of `target` and aborts, so that libFuzzer keeps the input. */
static void
fuzz_fail(const char *target, const char *what)
{
    fprintf(stderr, "%s: invariant broken: %s\n", target, what);
    abort();
}

/* A running hash of the records a decoder delivers. */
static int
fuzz_hash_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    uint64_t *hash = ctx;
    uint64_t v[6] = {(uint64_t)r->type, r->seq, r->metric_id, r->epoch, r->step, h->rank};
    const uint8_t *p[3] = {(const uint8_t *)v, (const uint8_t *)&r->time,
                           (const uint8_t *)r->state};
    size_t n[3] = {sizeof v, sizeof r->time, r->state ? r->state_len * sizeof(double) : 0};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < n[k]; i++)
            *hash = (*hash ^ p[k][i]) * 1099511628211ull;
    *hash = (*hash ^ r->state_len) * 1099511628211ull;
    return 0;
}

/* fuzz_hash_record of each record of a batch (tw_wire_decode_batch), as a record zeroed but
 * for the fields the batch gives: what the decoder delivers one by one. */
static int
fuzz_hash_batch(void *ctx, const tw_wire_header *h, const tw_wire_state_rec *r, size_t n)
{
    if (n == 0 || n > TW_WIRE_BATCH_MAX)
        fuzz_fail("fuzz_pre", "a batch of no records, or of too many");
    for (size_t i = 0; i < n; i++) {
        tw_wire_record one = {0};
        if (r[i].type != TW_REC_UPDATE && r[i].type != TW_REC_EPOCH)
            fuzz_fail("fuzz_pre", "a batch's record is not an UPDATE or an EPOCH");
        tw_wire_record_of(&one, &r[i]);
        fuzz_hash_record(ctx, h, &one);
    }
    return 0;
}

/* The decoder's counts from a to b. */
static tw_wire_stats
fuzz_stats_moved(tw_wire_stats a, tw_wire_stats b)
{
    return (tw_wire_stats){.messages = b.messages - a.messages,
                           .records = b.records - a.records,
                           .rejected = b.rejected - a.rejected,
                           .unknown_records = b.unknown_records - a.unknown_records};
}

/* The message b[0..n) with the records pre handed over (k of them) decodes the same one by one
 * and in batches, and moves the decoder's counts as much. Returns its hash. */
static uint64_t
fuzz_check_batches(const char *target, tw_wire_decoder *d, const tw_wire_fast *pre, size_t k,
                   const uint8_t *b, size_t n, int *rc)
{
    uint64_t one = 14695981039346656037ull, batched = one;
    tw_wire_stats s0 = tw_wire_decoder_stats(d);
    *rc = tw_wire_decode_read(d, b, n, pre, k, fuzz_hash_record, &one);
    tw_wire_stats s1 = tw_wire_decoder_stats(d);
    int rc_batched =
        tw_wire_decode_batch(d, b, n, pre, k, fuzz_hash_record, fuzz_hash_batch, &batched);
    tw_wire_stats m1 = fuzz_stats_moved(s0, s1),
                  m2 = fuzz_stats_moved(s1, tw_wire_decoder_stats(d));
    if (*rc != rc_batched || one != batched)
        fuzz_fail(target, "decoding in batches differs from decoding one by one");
    if (memcmp(&m1, &m2, sizeof m1) != 0)
        fuzz_fail(target, "decoding in batches counts otherwise than one by one");
    return one;
}

/* The k records pre handed over as read from the message b[0..n): each in the message, in
 * order, what the decoder's fast path reads at its place; the decoder (d) given them delivers
 * what it delivers without them. */
static void
fuzz_check_pre(const char *target, tw_wire_decoder *d, const tw_wire_fast *pre, size_t k,
               const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < k; i++) {
        tw_wire_cursor c = {pre[i].start, b + n};
        tw_wire_fast f;
        if (pre[i].start < b || pre[i].next > b + n || (i && pre[i].start < pre[i - 1].next))
            fuzz_fail(target, "a record read is not in the message, or out of order");
        if (!tw_wire_fast_record(&c, &f) || f.next != pre[i].next || f.state != pre[i].state ||
            f.seq != pre[i].seq || f.epoch != pre[i].epoch || f.step != pre[i].step ||
            memcmp(&f.time, &pre[i].time, sizeof f.time) != 0 || f.metric_id != pre[i].metric_id ||
            f.state_len != pre[i].state_len || f.type != pre[i].type)
            fuzz_fail(target, "a record read is not what the fast path reads there");
    }
    uint64_t without = 14695981039346656037ull;
    int rc_with;
    uint64_t with = fuzz_check_batches(target, d, pre, k, b, n, &rc_with);
    int rc_without = tw_wire_decode(d, b, n, fuzz_hash_record, &without);
    if (rc_with != rc_without || with != without)
        fuzz_fail(target, "decoding with the records read differs from decoding without");
}

#endif
