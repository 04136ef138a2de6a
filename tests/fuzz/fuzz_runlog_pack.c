/* fuzz_runlog_pack.c - libFuzzer target: format version 3's packed content (runlog_pack.h) on
 * any bytes, both ways. Invariants (abort() when broken):
 * - as a message: packing it and unpacking the content gives it back byte for byte; the records
 *   handed over as read are in the message, in order, and are what the decoder's fast path reads
 *   there; the decoder given them delivers what it delivers without them;
 * - as a content: unpacking it returns 0 or -EBADMSG (never another error but -ENOMEM), never
 *   reads outside it (ASan: it is copied into a buffer of exactly its size), and a message it
 *   gives is at most TW_WIRE_MAX_MESSAGE bytes with at most TW_WIRE_FAST_MAX records read. */
#include "fuzz_pre.h"
#include "runlog_pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
    fuzz_fail("fuzz_runlog_pack", what);
}

/* The records o->pre of the message b[0..n) against the fast path and the decoder. */
static void
check_pre(const tw_runlog_out *o, const uint8_t *b, size_t n)
{
    static tw_wire_decoder *d; /* made once: per input it was most of the run time */
    if (d || (d = tw_wire_decoder_new()))
        fuzz_check_pre("fuzz_runlog_pack", d, o->pre, o->n_pre, b, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tw_runlog_pack *p;
    static tw_runlog_out o;
    if (!p && !(p = tw_runlog_pack_new()))
        return 0;
    uint8_t *c = malloc(size ? size : 1);
    if (!c)
        return 0;
    if (size)
        memcpy(c, data, size);
    char why[128];
    size_t len;
    /* as a content */
    int rc = tw_runlog_unpack_message(p, c, size, &o, &len, why, sizeof why);
    if (rc != 0 && rc != -EBADMSG && rc != -ENOMEM)
        fail("unpacking returned another error");
    if (rc == 0 && (len > TW_WIRE_MAX_MESSAGE || o.n_pre > TW_WIRE_FAST_MAX))
        fail("unpacking gave more than a message can be");
    if (rc == 0)
        check_pre(&o, o.buf, len);
    /* as a message */
    const uint8_t *packed;
    size_t pn;
    if (size && tw_runlog_pack_message(p, data, size, &packed, &pn) == 0) {
        uint8_t *copy = malloc(pn);
        if (copy) {
            memcpy(copy, packed, pn);
            rc = tw_runlog_unpack_message(p, copy, pn, &o, &len, why, sizeof why);
            if (rc == -EBADMSG)
                fail(why);
            if (rc == 0 && (len != size || memcmp(o.buf, data, size) != 0))
                fail("unpack(pack(x)) != x");
            if (rc == 0)
                check_pre(&o, o.buf, len);
            free(copy);
        }
    }
    free(c);
    return 0;
}
