/* fuzz_runlog.c - libFuzzer target: the run-log reader on hostile bytes, from memory and as a
 * file that grows in two steps, with every frame it returns fed to the wire decoder.
 *
 * Invariants (abort() when broken): every frame lies inside the input, its stored length is
 * in [1, TW_WIRE_MAX_MESSAGE], its CRC32C matches the stored bytes (the table-driven and the
 * dispatched CRC agree), frames are contiguous from the header on; an uncompressed frame is
 * returned in place, a compressed one (format version 2, bit 31) as a message of 1 to
 * TW_WIRE_MAX_MESSAGE bytes; the final status repeats
 * when asked again, with an error sentence for TORN and CORRUPT and none for END; and a file
 * reader that sees the input arrive in two pieces returns the very same frames and ends the
 * same way as the in-memory reader over the whole input, keeping the last 1 to
 * TW_RUNLOG_KEEP_MAX frames (tw_runlog_reader_keep, by the input's CRC): each of those still
 * holds its bytes when the next is read. */
#define _GNU_SOURCE /* memfd_create */
#include "runlog.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's own state, kept across inputs: a decoder and an in-memory file. */
static tw_wire_decoder *decoder;
static int memfd = -2; /* -2: not tried yet, -1: unavailable */

/* One frame the in-memory reader returned. */
typedef struct frame {
    size_t len;   /* of the message returned */
    uint32_t crc; /* of the message returned */
} frame;

/* Reports a broken invariant and aborts, so that libFuzzer keeps the input. */
static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_runlog: invariant broken: %s\n", what);
    abort();
}

/* Loads a little-endian uint32. */
static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Record callback: touches what the decoder hands out, so that ASan checks it. */
static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    size_t *sum = ctx;
    *sum += strlen(h->run) + strlen(r->name) + r->n_params;
    if (r->state) {
        for (uint32_t i = 0; i < r->state_len; i++)
            *sum += r->state[i] != 0.0;
    }
    return 0;
}

/* Checks that the terminal status st repeats, with the right error sentence. */
static void
check_terminal(tw_runlog_reader *r, int st)
{
    const char *err = tw_runlog_reader_error(r);
    if (st == TW_RUNLOG_END ? err[0] != '\0' : err[0] == '\0')
        fail("error sentence does not match the status");
    const uint8_t *p;
    size_t len;
    uint64_t offset = tw_runlog_reader_offset(r), frames = tw_runlog_reader_frames(r);
    if (tw_runlog_reader_next(r, &p, &len) != st || p || len)
        fail("terminal status does not repeat");
    if (tw_runlog_reader_offset(r) != offset || tw_runlog_reader_frames(r) != frames)
        fail("terminal status moved the reader");
}

/* Reads the whole input from memory, checking each frame; fills frames[] (room for size / 9
 * + 1) and returns the final status. */
static int
read_memory(const uint8_t *data, size_t size, frame *frames, size_t *n)
{
    tw_runlog_reader *r = tw_runlog_reader_open_memory(data, size);
    if (!r)
        fail("open_memory");
    size_t expect_at = TW_RUNLOG_HEADER_SIZE;
    int st;
    *n = 0;
    for (;;) {
        const uint8_t *p;
        size_t len;
        st = tw_runlog_reader_next(r, &p, &len);
        if (st != TW_RUNLOG_FRAME)
            break;
        size_t at = expect_at, end = (size_t)tw_runlog_reader_offset(r);
        if (end < at + TW_RUNLOG_FRAME_HEADER + 1 || end > size)
            fail("frame outside the input");
        size_t stored = end - at - TW_RUNLOG_FRAME_HEADER;
        const uint8_t *sp = data + at + TW_RUNLOG_FRAME_HEADER;
        uint32_t word = le32(data + at);
        bool zstd = data[6] >= 2 && (word & TW_RUNLOG_ZSTD);
        if ((zstd ? word & ~TW_RUNLOG_ZSTD : word) != stored || stored > TW_WIRE_MAX_MESSAGE)
            fail("stored length differs or out of bounds");
        uint32_t crc = tw_crc32c(0, sp, stored);
        if (le32(data + at + 4) != crc || tw_crc32c_portable(0, sp, stored) != crc)
            fail("CRC does not match");
        if (!p || len == 0 || len > TW_WIRE_MAX_MESSAGE || (!zstd && (p != sp || len != stored)))
            fail("message out of place or length out of bounds");
        if (tw_runlog_reader_frames(r) != *n + 1)
            fail("count wrong");
        frames[(*n)++] = (frame){len, tw_crc32c(0, p, len)};
        expect_at = end;

        size_t sum = 0;
        if (decoder)
            tw_wire_decode(decoder, p, len, on_record, &sum);
    }
    if (st < 0)
        fail("I/O error from memory");
    check_terminal(r, st);
    tw_runlog_reader_close(&r);
    return st;
}

/* Writes len bytes at off into the memfd. Returns 0, or -1 when it could not. */
static int
put(const uint8_t *data, size_t len, size_t off)
{
    while (len > 0) {
        ssize_t w = pwrite(memfd, data, len, (off_t)off);
        if (w <= 0)
            return -1;
        data += w;
        len -= (size_t)w;
        off += (size_t)w;
    }
    return 0;
}

/* The last frames a reader that keeps `keep` of them returned: still to be intact. */
typedef struct kept {
    const uint8_t *p[TW_RUNLOG_KEEP_MAX];
    size_t len[TW_RUNLOG_KEEP_MAX];
    uint32_t crc[TW_RUNLOG_KEEP_MAX];
    unsigned keep, n;
} kept;

/* Reads frames from r into the comparison with the memory reader's; returns the status. */
static int
follow(tw_runlog_reader *r, const frame *frames, size_t n, size_t *k, kept *kp)
{
    for (;;) {
        const uint8_t *p;
        size_t len;
        int st = tw_runlog_reader_next(r, &p, &len);
        if (st != TW_RUNLOG_FRAME) {
            kp->n = 0; /* (a later call may read the frames again: forget those kept) */
            return st;
        }
        if (*k >= n || len != frames[*k].len || tw_crc32c(0, p, len) != frames[*k].crc)
            fail("file reader returned a different frame");
        (*k)++;
        unsigned slot = kp->n++ % kp->keep;
        kp->p[slot] = p;
        kp->len[slot] = len;
        kp->crc[slot] = frames[*k - 1].crc;
        for (unsigned i = 0; i < kp->keep && i < kp->n; i++)
            if (tw_crc32c(0, kp->p[i], kp->len[i]) != kp->crc[i])
                fail("a kept frame changed");
    }
}

/* The input arrives in a file in two pieces; the reader follows it and must agree with the
 * in-memory reader. */
static void
read_file_growing(const uint8_t *data, size_t size, const frame *frames, size_t n, int want)
{
    if (memfd == -2)
        memfd = memfd_create("fuzz_runlog", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, 0) != 0)
        return;
    size_t split = size ? tw_crc32c(0, data, size) % (size + 1) : 0;
    if (put(data, split, 0) != 0)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    if (!r)
        return; /* no /proc */
    kept kp = {.keep = 1 + tw_crc32c(1, data, size) % TW_RUNLOG_KEEP_MAX};
    if (tw_runlog_reader_keep(r, kp.keep) != 0)
        fail("keep refused a count in range");
    size_t k = 0;
    int st = follow(r, frames, n, &k, &kp);
    if (st < 0)
        fail("I/O error from the file");
    if (st == TW_RUNLOG_CORRUPT && want != TW_RUNLOG_CORRUPT)
        fail("a prefix is corrupt but the whole is not");
    if (st != TW_RUNLOG_CORRUPT) {
        if (put(data + split, size - split, split) != 0)
            fail("pwrite");
        st = follow(r, frames, n, &k, &kp);
    }
    if (st != want || k != n)
        fail("file reader ended differently from the memory reader");
    check_terminal(r, st);
    tw_runlog_reader_close(&r);
}

/* One input: read it from memory, then as a file growing in two steps; compare. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!decoder)
        decoder = tw_wire_decoder_new();
    frame *frames = malloc((size / (TW_RUNLOG_FRAME_HEADER + 1) + 1) * sizeof *frames);
    if (!frames)
        return 0;
    size_t n;
    int st = read_memory(data, size, frames, &n);
    read_file_growing(data, size, frames, n, st);
    free(frames);
    return 0;
}
