/* fuzz_options.c - libFuzzer target: the metric options parser behind tw_metric_new_opts
 * (Keras's arguments as "key=value,..."), its reasons and the canonical options string.
 *
 * Input: the first byte picks the kind (modulo TW_METRIC_KIND_END + 1, so 0 and the end are
 * tried as unknown kinds); the rest is the options string, in an exact-size heap buffer (ASan
 * sees a read past its NUL). A second byte, when there is one, sets the reason buffer's size.
 *
 * Invariants (abort() when broken): tw_metric_options_check and tw_metric_new_opts agree; a
 * refusal has a non-empty, terminated reason within the buffer; an accepted string gives a
 * metric whose options string is canonical (parsing it again gives the same string and a
 * metric that merges with the first), whose state size is what the wire's size check
 * (tw_metric_state_size_opts) gives; a small batch updates it or is refused with -EINVAL,
 * leaving the state as it was; a custom metric's expression evaluates over any slots. */
#include "metric_impl.h"
#include "trainwatch.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_options: invariant broken: %s\n", what);
    abort();
}

/* A batch of n samples of d values into m: 0, or -EINVAL with the state unchanged. */
static void
try_update(tw_metric *m, size_t n, size_t d)
{
    float yt[64], yp[64], w[16];
    for (size_t i = 0; i < n * d && i < 64; i++) {
        yt[i] = (float)(i % 3 == 0);
        yp[i] = (float)(i * 7 % 10) / 10.0f;
    }
    for (size_t i = 0; i < n && i < 16; i++)
        w[i] = 0.5f + (float)i;
    size_t len = tw_metric_state_size(m);
    double *before = malloc(len * sizeof(double));
    if (!before)
        return;
    memcpy(before, tw_metric_state(m), len * sizeof(double));
    int rc = tw_metric_update_state(m, yt, yp, w, n, d);
    if (rc != 0 && rc != -EINVAL)
        fail("update_state returned neither 0 nor -EINVAL");
    if (rc == -EINVAL && memcmp(before, tw_metric_state(m), len * sizeof(double)) != 0)
        fail("a refused update changed the state");
    free(before);
    double v[8];
    int k = tw_metric_result_vector(m, v, 8);
    if (k < 1)
        fail("a metric's result has no value");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    tw_metric_kind kind = (tw_metric_kind)(data[0] % (TW_METRIC_KIND_END + 1));
    size_t cap = size > 1 ? (size_t)data[1] % 200 + 1 : 200;
    char *opts = malloc(size);
    char *err = malloc(cap);
    if (!opts || !err)
        goto out;
    memcpy(opts, data + 1, size - 1);
    opts[size - 1] = '\0';
    memset(err, 'x', cap);
    int rc = tw_metric_options_check(kind, opts, err, cap);
    tw_metric *m = tw_metric_new_opts(kind, opts);
    if ((rc == 0) != (m != NULL))
        fail("tw_metric_options_check and tw_metric_new_opts disagree");
    if (rc != 0) {
        if (rc != -EINVAL || memchr(err, '\0', cap) == NULL || (cap > 1 && err[0] == '\0'))
            fail("a refusal without a terminated reason");
        goto out;
    }
    if (err[0] != '\0')
        fail("an accepted string left a reason");
    const char *canon = tw_metric_options_string(m);
    tw_metric *again = tw_metric_new_opts(kind, canon);
    if (!again || strcmp(tw_metric_options_string(again), canon) != 0)
        fail("the canonical string does not rebuild itself");
    if (tw_metric_merge_state(again, m) != 0)
        fail("the metric rebuilt from its string does not merge");
    if (tw_metric_state_size_opts(kind, opts) != tw_metric_state_size(m) ||
        tw_metric_state_size_opts(kind, canon) != tw_metric_state_size(m))
        fail("the wire's state size disagrees with the metric's");
    if (kind == TW_METRIC_CUSTOM) { /* slots, then the expression over them */
        double v[TW_CUSTOM_MAX_SLOTS];
        for (size_t i = 0; i < tw_metric_state_size(m); i++)
            v[i] = (double)i - 1.5;
        if (tw_metric_update_slots(m, v, tw_metric_state_size(m)) != 0)
            fail("update_slots refused a custom metric's own slots");
        (void)tw_metric_result(m);
    }
    if (kind != TW_METRIC_MEAN && kind != TW_METRIC_SUM) {
        try_update(m, 4, 1);
        try_update(m, 3, 4);
        try_update(m, 2, 8);
    }
    tw_metric_destroy(&again);
    tw_metric_destroy(&m);
out:
    free(opts);
    free(err);
    return 0;
}
