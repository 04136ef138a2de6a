/* fuzz_runlog_xor.c - libFuzzer target: the run log's delta transform (runlog_xor.h) on any
 * bytes. Invariants (abort() when broken): the inverse of the forward transform, and the
 * forward of the inverse, give the input back byte for byte; each direction gives the same
 * bytes as the token walk alone (tw_runlog_xor_apply_tokens: the walk before it took UPDATE
 * and EPOCH records whole); neither reads or writes outside the buffer (ASan), whatever tokens,
 * lengths and keys the bytes hold. */
#include "runlog_xor.h"

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
    free(s);
    free(b);
    free(ref);
    return 0;
}
