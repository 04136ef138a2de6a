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
    double d[2] = {r->time, r->state && r->state_len ? r->state[r->state_len - 1] : 0};
    const uint8_t *p[2] = {(const uint8_t *)v, (const uint8_t *)d};
    size_t n[2] = {sizeof v, sizeof d};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n[k]; i++)
            *hash = (*hash ^ p[k][i]) * 1099511628211ull;
    *hash = (*hash ^ r->state_len) * 1099511628211ull;
    return 0;
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
    uint64_t with = 14695981039346656037ull, without = with;
    int rc_with = tw_wire_decode_read(d, b, n, pre, k, fuzz_hash_record, &with);
    int rc_without = tw_wire_decode(d, b, n, fuzz_hash_record, &without);
    if (rc_with != rc_without || with != without)
        fuzz_fail(target, "decoding with the records read differs from decoding without");
}

#endif
