/* fuzz_runlog_xor.c - libFuzzer target: the run log's delta transform (runlog_xor.h) on any
 * bytes. Invariants (abort() when broken): the inverse of the forward transform, and the
 * forward of the inverse, give the input back byte for byte; each direction gives the same
 * bytes as the token walk alone (tw_runlog_xor_apply_tokens: the walk before it took UPDATE
 * and EPOCH records whole); neither reads or writes outside the buffer (ASan), whatever tokens,
 * lengths and keys the bytes hold. The records the inverse reads on the way
 * (tw_runlog_xor_apply_read) are those the decoder's fast path reads at the same places, and
 * the decoder given them (tw_wire_decode_read) delivers what it delivers without them. */
#include "runlog_xor.h"
#include "wire_fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that libFuzzer keeps the input. */
static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_runlog_xor: invariant broken: %s\n", what);
    abort();
}

/* A running hash of the records a decoder delivers. */
static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
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

/* Checks tw_runlog_xor_apply_read on the n bytes at data (b: scratch of n bytes). */
static void
check_read(tw_runlog_xor *s, const uint8_t *data, size_t n, uint8_t *b, uint8_t *ref)
{
    /* made once (256 KB and a decoder: per input, they were most of the run time) */
    static tw_wire_fast *pre;
    static tw_wire_decoder *d;
    if (!pre)
        pre = malloc(TW_WIRE_FAST_MAX * sizeof *pre);
    if (!d)
        d = tw_wire_decoder_new();
    if (!pre || !d || !n)
        return;
    memcpy(b, data, n);
    memcpy(ref, data, n);
    size_t k = tw_runlog_xor_apply_read(s, b, n, pre, TW_WIRE_FAST_MAX);
    tw_runlog_xor_apply(s, ref, n, true);
    if (memcmp(b, ref, n) != 0)
        fail("the inverse that reads records differs from the inverse's bytes");
    for (size_t i = 0; i < k; i++) {
        tw_wire_cursor c = {pre[i].start, b + n};
        tw_wire_fast f;
        if (pre[i].start < b || pre[i].next > b + n || (i && pre[i].start < pre[i - 1].next))
            fail("a record read by the inverse is not in the message, or out of order");
        if (!tw_wire_fast_record(&c, &f) || f.next != pre[i].next || f.state != pre[i].state ||
            f.seq != pre[i].seq || f.epoch != pre[i].epoch || f.step != pre[i].step ||
            memcmp(&f.time, &pre[i].time, sizeof f.time) != 0 || f.metric_id != pre[i].metric_id ||
            f.state_len != pre[i].state_len || f.type != pre[i].type)
            fail("a record read by the inverse is not what the fast path reads there");
    }
    uint64_t with = 14695981039346656037ull, without = with;
    int rc_with = tw_wire_decode_read(d, b, n, pre, k, on_record, &with);
    int rc_without = tw_wire_decode(d, b, n, on_record, &without);
    if (rc_with != rc_without || with != without)
        fail("decoding with the records read by the inverse differs from decoding without");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tw_runlog_xor *s = malloc(sizeof *s);
    uint8_t *b = malloc(size ? size : 1), *ref = malloc(size ? size : 1);
    if (!s || !b || !ref) {
        free(s);
        free(b);
        free(ref);
        return 0;
    }
    for (int inverse = 0; inverse < 2; inverse++) {
        if (size) {
            memcpy(b, data, size);
            memcpy(ref, data, size);
        }
        tw_runlog_xor_apply(s, b, size, inverse);
        tw_runlog_xor_apply_tokens(s, ref, size, inverse);
        if (size && memcmp(b, ref, size) != 0)
            fail(inverse ? "inverse differs from the token walk's"
                         : "forward differs from the token walk's");
    }
    for (int inverse_first = 0; inverse_first < 2; inverse_first++) {
        if (size)
            memcpy(b, data, size);
        tw_runlog_xor_apply(s, b, size, inverse_first);
        tw_runlog_xor_apply(s, b, size, !inverse_first);
        if (size && memcmp(b, data, size) != 0)
            fail(inverse_first ? "forward(inverse(x)) != x" : "inverse(forward(x)) != x");
    }
    check_read(s, data, size, b, ref);
    free(s);
    free(b);
    free(ref);
    return 0;
}
