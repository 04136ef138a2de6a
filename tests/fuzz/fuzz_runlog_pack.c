/* fuzz_runlog_pack.c - libFuzzer target: format version 3's packed content (runlog_pack.h) on
 * any bytes, both ways. Invariants (abort() when broken):
 * - as a message: packing it and unpacking the content gives it back byte for byte; the records
 *   handed over as read are in the message, in order, and are what the decoder's fast path reads
 *   there; the decoder given them delivers what it delivers without them;
 * - as a message, read as a skeleton: what the unpacker gives (the message, or its skeleton and
 *   the records without their bytes) decodes as the message does, status and records;
 * - as a content (whole or as a skeleton): unpacking it returns 0 or -EBADMSG (never another
 *   error but -ENOMEM), never
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

/* A decoder, made once (per input it was most of the run time); NULL when out of memory. */
static tw_wire_decoder *
decoder(void)
{
    static tw_wire_decoder *d;
    return d ? d : (d = tw_wire_decoder_new());
}

/* The records o->pre of the message b[0..n) against the fast path and the decoder. */
static void
check_pre(const tw_runlog_out *o, const uint8_t *b, size_t n)
{
    if (decoder())
        fuzz_check_pre("fuzz_runlog_pack", decoder(), o->pre, o->n_pre, b, n);
}

/* What the unpacker gave reading as skeletons (o, len bytes) is safe to decode: every record
 * handed over lies in the output, in order, its state's tokens in the output or its native
 * doubles in the states buffer (which ASan cannot tell from the rest of the buffers' capacity); and
 * it decodes. */
static void
check_out(const tw_runlog_out *o, size_t len)
{
    for (size_t i = 0; i < o->n_pre; i++) {
        const tw_wire_fast *f = &o->pre[i];
        size_t st = 9 * (size_t)f->state_len;
        const double *d = (const double *)(const void *)f->state;
        if (f->start < o->buf || f->start > f->next || f->next > o->buf + len ||
            (i && f->start < o->pre[i - 1].next))
            fail("a record handed over lies outside the output, or out of order");
        if (f->native
                ? !(o->states && d >= o->states && d + f->state_len <= o->states + o->states_cap)
                : !(f->state >= o->buf && f->state + st <= o->buf + len))
            fail("a record's state lies outside the output (tokens) or the states buffer (native)");
    }
    if (decoder())
        tw_wire_decode_read(decoder(), o->buf, len, o->pre, o->n_pre, NULL, NULL);
}

/* What the unpacker gave reading as skeletons (o->buf, len bytes, and o->pre) decodes as the
 * message m it was packed from. */
static void
same_as_message(const uint8_t *m, size_t n, const tw_runlog_out *o, size_t len)
{
    uint64_t without = 14695981039346656037ull;
    int rc_with;
    uint64_t with = fuzz_check_batches("fuzz_runlog_pack", decoder(), o->pre, o->n_pre, o->buf, len,
                                       &rc_with); /* (native states: in batches too) */
    int rc_without = tw_wire_decode(decoder(), m, n, fuzz_hash_record, &without);
    if (rc_with != rc_without || with != without)
        fail("the skeleton and its records decode otherwise than the message");
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
    /* as a content, whole and as a skeleton */
    for (int skeleton = 0; skeleton < 2; skeleton++) {
        int rc = tw_runlog_unpack_message(p, c, size, skeleton, &o, &len, why, sizeof why);
        if (rc != 0 && rc != -EBADMSG && rc != -ENOMEM)
            fail("unpacking returned another error");
        if (rc == 0 && (len > TW_WIRE_MAX_MESSAGE || o.n_pre > TW_WIRE_FAST_MAX))
            fail("unpacking gave more than a message can be");
        if (rc == 0 && !skeleton)
            check_pre(&o, o.buf, len);
        if (rc == 0 && skeleton)
            check_out(&o, len);
    }
    /* as a message */
    const uint8_t *packed;
    size_t pn;
    if (size && tw_runlog_pack_message(p, data, size, &packed, &pn) == 0) {
        uint8_t *copy = malloc(pn);
        if (copy) {
            memcpy(copy, packed, pn);
            int rc = tw_runlog_unpack_message(p, copy, pn, false, &o, &len, why, sizeof why);
            if (rc == -EBADMSG)
                fail(why);
            if (rc == 0 && (len != size || memcmp(o.buf, data, size) != 0))
                fail("unpack(pack(x)) != x");
            if (rc == 0)
                check_pre(&o, o.buf, len);
            rc = tw_runlog_unpack_message(p, copy, pn, true, &o, &len, why, sizeof why);
            if (rc == -EBADMSG)
                fail(why);
            if (rc == 0 && decoder())
                same_as_message(data, size, &o, len);
            free(copy);
        }
    }
    free(c);
    return 0;
}
