/* fuzz_runlog_xor.c - libFuzzer target: the run log's delta transform (runlog_xor.h) on any
 * bytes. Invariants (abort() when broken): the inverse of the forward transform, and the
 * forward of the inverse, give the input back byte for byte; each direction gives the same
 * bytes as the token walk alone (tw_runlog_xor_apply_tokens: the walk before it took UPDATE
 * and EPOCH records whole); neither reads or writes outside the buffer (ASan), whatever tokens,
 * lengths and keys the bytes hold. The records the inverse reads on the way
 * (tw_runlog_xor_apply_read) are those the decoder's fast path reads at the same places, and
 * the decoder given them (tw_wire_decode_read) delivers what it delivers without them. */
#include "fuzz_pre.h"
#include "runlog_xor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
    fuzz_fail("fuzz_runlog_xor", what);
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
    fuzz_check_pre("fuzz_runlog_xor", d, pre, k, b, n);
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
