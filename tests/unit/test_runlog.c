/* test_runlog.c - CRC32C, and the run-log writer and reader: round trips, torn tails,
 * corruption, following a growing file, and injected I/O failures (writev, ftruncate and
 * fdatasync are wrapped at link time, -Wl,--wrap, in this executable only). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runlog.h"
#include "wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- failure injection ------------------------------------------------------------------ */

ssize_t __real_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt);
/* With 64-bit file offsets, glibc's headers redirect ftruncate to ftruncate64: wrap the
 * symbol the library really calls. */
#if defined(__GLIBC__) && defined(_FILE_OFFSET_BITS) && _FILE_OFFSET_BITS == 64
#define WRAP_FTRUNCATE __wrap_ftruncate64
#define REAL_FTRUNCATE __real_ftruncate64
#else
#define WRAP_FTRUNCATE __wrap_ftruncate
#define REAL_FTRUNCATE __real_ftruncate
#endif
int REAL_FTRUNCATE(int fd, off_t length);
int WRAP_FTRUNCATE(int fd, off_t length);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

/* What the wrappers do; all zero is "pass through". Reset by every test's setup. */
static struct {
    int eintr;           /* fail this many writev calls with EINTR before writing */
    size_t max_per_call; /* when > 0, a writev writes at most this many bytes */
    bool fail;           /* after fail_after more bytes, writev fails with fail_errno */
    size_t fail_after;
    int fail_errno;
    int ftruncate_fail;  /* fail this many ftruncate calls with EIO */
    int fdatasync_fail;  /* fail this many fdatasync calls with EIO */
    int fdatasync_calls; /* successful and failed calls */
    int writev_calls;
} inj;

/* writev as the library sees it: EINTR, short writes and a full disk on demand. */
ssize_t
__wrap_writev(int fd, const struct iovec *iov, int iovcnt)
{
    inj.writev_calls++;
    if (inj.eintr > 0) {
        inj.eintr--;
        errno = EINTR;
        return -1;
    }
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    size_t allow = total;
    if (inj.max_per_call > 0 && allow > inj.max_per_call)
        allow = inj.max_per_call;
    if (inj.fail && allow > inj.fail_after)
        allow = inj.fail_after;
    if (allow == 0 && total > 0) {
        errno = inj.fail_errno;
        return -1;
    }
    if (allow == total) {
        ssize_t n = __real_writev(fd, iov, iovcnt);
        if (n > 0 && inj.fail)
            inj.fail_after -= (size_t)n;
        return n;
    }
    /* Write only the first `allow` bytes. */
    struct iovec part[8];
    int np = 0;
    size_t left = allow;
    for (int i = 0; i < iovcnt && left > 0 && np < 8; i++) {
        part[np].iov_base = iov[i].iov_base;
        part[np].iov_len = iov[i].iov_len < left ? iov[i].iov_len : left;
        left -= part[np].iov_len;
        np++;
    }
    ssize_t n = __real_writev(fd, part, np);
    if (n > 0 && inj.fail)
        inj.fail_after -= (size_t)n;
    return n;
}

/* ftruncate that fails with EIO on demand. */
int
WRAP_FTRUNCATE(int fd, off_t length)
{
    if (inj.ftruncate_fail > 0) {
        inj.ftruncate_fail--;
        errno = EIO;
        return -1;
    }
    return REAL_FTRUNCATE(fd, length);
}

/* fdatasync, counted, failing with EIO on demand. */
int
__wrap_fdatasync(int fd)
{
    inj.fdatasync_calls++;
    if (inj.fdatasync_fail > 0) {
        inj.fdatasync_fail--;
        errno = EIO;
        return -1;
    }
    return __real_fdatasync(fd);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static char tmpdir[64];

/* A path in the test directory, in a static buffer (one at a time is enough; copy it). */
static const char *
tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

/* Removes a directory tree (the tests' own files only). */
static void
remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Makes the directory every test writes in. */
static int
group_setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tw_test_runlog_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* Removes it, with everything in it. */
static int
group_teardown(void **state)
{
    remove_tree(tmpdir);
    return 0;
}

/* Every test starts with the wrappers passing calls through. */
static int
test_setup(void **state)
{
    memset(&inj, 0, sizeof inj);
    return 0;
}

/* Deterministic payload bytes for frame `seed` (xorshift). */
static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* Whether p holds the payload fill() makes for (len, seed). */
static bool
payload_is(const uint8_t *p, size_t len, uint32_t seed)
{
    uint8_t *want = malloc(len);
    assert_non_null(want);
    fill(want, len, seed);
    bool same = memcmp(p, want, len) == 0;
    free(want);
    return same;
}

/* Creates the log at path with frames of lens[i] bytes (payload seed i). Returns the size. */
static uint64_t
write_log(const char *path, const size_t *lens, size_t n)
{
    tw_runlog_writer *w = tw_runlog_writer_open(path, 1000);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = malloc(lens[i]);
        assert_non_null(p);
        fill(p, lens[i], (uint32_t)i);
        assert_int_equal(tw_runlog_writer_append(w, p, lens[i]), 0);
        free(p);
    }
    assert_int_equal(tw_runlog_writer_frames(w), n);
    uint64_t bytes = tw_runlog_writer_bytes(w);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_null(w);
    return bytes;
}

/* The whole file, malloc'd. */
static uint8_t *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Writes len bytes to a new file at path. */
static void
spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Appends len raw bytes to the file at path. */
static void
append_raw(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* The process's umask, unchanged. */
static mode_t
current_umask(void)
{
    mode_t m = umask(022);
    umask(m);
    return m;
}

/* Size of the file at path. */
static uint64_t
file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* Reads frames from r, expecting the first `expect` of them to be (lens[i], seed i); returns
 * the status after them (asserting every frame in between matches). Checks that offsets and
 * counters move as they should. */
static int
read_expecting(tw_runlog_reader *r, const size_t *lens, size_t expect)
{
    for (size_t i = 0;; i++) {
        const uint8_t *p;
        size_t len;
        uint64_t before = tw_runlog_reader_offset(r);
        int st = tw_runlog_reader_next(r, &p, &len);
        if (st != TW_RUNLOG_FRAME) {
            assert_null(p);
            assert_int_equal(len, 0);
            assert_int_equal(tw_runlog_reader_frames(r), i);
            if (st == TW_RUNLOG_END)
                assert_string_equal(tw_runlog_reader_error(r), "");
            else if (st > 0)
                assert_true(strlen(tw_runlog_reader_error(r)) > 0);
            return st;
        }
        assert_true(i < expect);
        assert_int_equal(len, lens[i]);
        assert_true(payload_is(p, len, (uint32_t)i));
        if (before == 0)
            before = TW_RUNLOG_HEADER_SIZE;
        assert_int_equal(tw_runlog_reader_offset(r), before + TW_RUNLOG_FRAME_HEADER + len);
        assert_int_equal(tw_runlog_reader_frames(r), i + 1);
    }
}

/* The same, from a path. */
static int
read_file_expecting(const char *path, const size_t *lens, size_t expect, size_t want_frames)
{
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    int st = read_expecting(r, lens, expect);
    assert_int_equal(tw_runlog_reader_frames(r), want_frames);
    tw_runlog_reader_close(&r);
    assert_null(r);
    return st;
}

/* The same, from memory. */
static int
read_mem_expecting(const uint8_t *data, size_t n, const size_t *lens, size_t expect,
                   size_t want_frames)
{
    tw_runlog_reader *r = tw_runlog_reader_open_memory(data, n);
    assert_non_null(r);
    int st = read_expecting(r, lens, expect);
    assert_int_equal(tw_runlog_reader_frames(r), want_frames);
    tw_runlog_reader_close(&r);
    return st;
}

/* CRC32C one bit at a time: the definition the tables must agree with. */
static uint32_t
ref_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* ---- CRC32C ----------------------------------------------------------------------------- */

/* Published check values, for the dispatched and the table-driven CRC. */
static void
test_crc32c_vectors(void **state)
{
    uint8_t zeros[32], ones[32], inc[32];
    memset(zeros, 0, sizeof zeros);
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    uint32_t (*fns[])(uint32_t, const void *, size_t) = {tw_crc32c, tw_crc32c_portable};
    for (size_t f = 0; f < 2; f++) {
        assert_int_equal(fns[f](0, "123456789", 9), 0xE3069283u);
        assert_int_equal(fns[f](0, zeros, 32), 0x8A9136AAu);
        assert_int_equal(fns[f](0, ones, 32), 0x62A8AB43u);
        assert_int_equal(fns[f](0, inc, 32), 0x46DD794Eu); /* RFC 3720, B.4 */
        assert_int_equal(fns[f](0, "", 0), 0);
        assert_int_equal(fns[f](0, NULL, 0), 0);
        /* Continuing: the CRC of a whole equals the CRC of its parts chained. */
        assert_int_equal(fns[f](fns[f](0, "1234", 4), "56789", 5), 0xE3069283u);
    }
}

/* Both CRCs agree with the bitwise definition at every length, alignment and seed. */
static void
test_crc32c_matches_reference(void **state)
{
    enum { N = 4096 + 64 };
    uint8_t *buf = malloc(N);
    assert_non_null(buf);
    fill(buf, N, 7);
    /* Every length up to 300 at every alignment, then some long ones, chained and not. */
    for (size_t align = 0; align < 8; align++) {
        for (size_t len = 0; len <= 300; len++) {
            uint32_t want = ref_crc32c(0, buf + align, len);
            assert_int_equal(tw_crc32c(0, buf + align, len), want);
            assert_int_equal(tw_crc32c_portable(0, buf + align, len), want);
            uint32_t seed = 0x12345678u + (uint32_t)len;
            want = ref_crc32c(seed, buf + align, len);
            assert_int_equal(tw_crc32c(seed, buf + align, len), want);
            assert_int_equal(tw_crc32c_portable(seed, buf + align, len), want);
        }
    }
    uint32_t want = ref_crc32c(0, buf, N);
    assert_int_equal(tw_crc32c(0, buf, N), want);
    assert_int_equal(tw_crc32c_portable(0, buf, N), want);
    size_t cut = 1234;
    assert_int_equal(tw_crc32c(tw_crc32c_portable(0, buf, cut), buf + cut, N - cut), want);
    /* Every byte value in every lane of an 8-byte block checks every table entry. */
    uint8_t block[16];
    for (int lane = 0; lane < 16; lane++) {
        for (int b = 0; b < 256; b++) {
            memset(block, 0, sizeof block);
            block[lane] = (uint8_t)b;
            assert_int_equal(tw_crc32c_portable(0, block, sizeof block),
                             ref_crc32c(0, block, sizeof block));
            assert_int_equal(tw_crc32c(0, block, sizeof block), ref_crc32c(0, block, sizeof block));
        }
    }
    free(buf);
}

/* ---- round trip ------------------------------------------------------------------------- */

/* Frames of 1 byte to 1 MiB come back whole and in order, from disk and from memory. */
static void
test_round_trip(void **state)
{
    size_t lens[80];
    size_t n = 0;
    const size_t fixed[] = {
        1,    2,    3,     7,     8,     9,     63,    64,       65,       255, 256,           4095,
        4096, 4097, 65535, 65536, 65537, 70000, 99999, 1u << 19, 1u << 20, 1,   (1u << 20) - 1};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        lens[n++] = fixed[i];
    uint32_t x = 99;
    while (n < sizeof lens / sizeof lens[0]) {
        x = x * 1103515245u + 12345u;
        lens[n++] = 1 + (x >> 8) % 3000;
    }
    char *path = strdup(tmp_path("round_trip.twlog"));
    uint64_t bytes = write_log(path, lens, n);
    uint64_t want = TW_RUNLOG_HEADER_SIZE;
    for (size_t i = 0; i < n; i++)
        want += TW_RUNLOG_FRAME_HEADER + lens[i];
    assert_int_equal(bytes, want);
    assert_int_equal(file_size(path), want);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600 & ~current_umask()); /* private (issue 14.12) */

    assert_int_equal(read_file_expecting(path, lens, n, n), TW_RUNLOG_END);

    size_t len;
    uint8_t *data = slurp(path, &len);
    assert_int_equal(memcmp(data, TW_RUNLOG_MAGIC, TW_RUNLOG_HEADER_SIZE), 0);
    assert_int_equal(read_mem_expecting(data, len, lens, n, n), TW_RUNLOG_END);

    /* END is sticky until the file grows; the reader says so again and again. */
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    assert_int_equal(read_expecting(r, lens, n), TW_RUNLOG_END);
    const uint8_t *p;
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_offset(r), want);
    tw_runlog_reader_close(&r);
    tw_runlog_reader_close(&r); /* NULL-safe */
    free(data);
    free(path);
}

/* ---- torn tails ------------------------------------------------------------------------- */

/* A file cut anywhere reads as its whole frames, then END or TORN, never CORRUPT. */
static void
test_truncated_at_every_byte(void **state)
{
    const size_t lens[] = {5, 100, 1, 40, 300};
    const size_t n = sizeof lens / sizeof lens[0];
    char *path = strdup(tmp_path("torn.twlog"));
    uint64_t size = write_log(path, lens, n);
    size_t len;
    uint8_t *data = slurp(path, &len);
    assert_int_equal(len, size);
    uint64_t last = size - TW_RUNLOG_FRAME_HEADER - lens[n - 1];

    /* Cut inside the last frame: the earlier frames, then TORN; from memory and from disk
     * (truncating one copy downwards). */
    for (uint64_t cut = size - 1; cut > last; cut--) {
        assert_int_equal(read_mem_expecting(data, cut, lens, n - 1, n - 1), TW_RUNLOG_TORN);
        assert_int_equal(truncate(path, (off_t)cut), 0);
        tw_runlog_reader *r = tw_runlog_reader_open(path);
        assert_non_null(r);
        assert_int_equal(read_expecting(r, lens, n - 1), TW_RUNLOG_TORN);
        char want[128];
        snprintf(want, sizeof want, "incomplete frame %zu at byte %llu", n,
                 (unsigned long long)last);
        assert_non_null(strstr(tw_runlog_reader_error(r), want));
        /* Still torn when asked again; nothing partial returned. */
        const uint8_t *p;
        size_t plen;
        assert_int_equal(tw_runlog_reader_next(r, &p, &plen), TW_RUNLOG_TORN);
        assert_null(p);
        assert_int_equal(tw_runlog_reader_offset(r), last);
        tw_runlog_reader_close(&r);
    }
    /* Cut at the frame boundary: a clean end. */
    assert_int_equal(read_mem_expecting(data, last, lens, n - 1, n - 1), TW_RUNLOG_END);

    /* Cut at every byte of the whole file: only whole frames, never CORRUPT. */
    for (size_t cut = 0; cut <= len; cut++) {
        tw_runlog_reader *r = tw_runlog_reader_open_memory(data, cut);
        assert_non_null(r);
        int st = read_expecting(r, lens, n);
        uint64_t frames = tw_runlog_reader_frames(r);
        uint64_t end = TW_RUNLOG_HEADER_SIZE;
        for (size_t i = 0; i < frames; i++)
            end += TW_RUNLOG_FRAME_HEADER + lens[i];
        if (cut == 0 || cut == end)
            assert_int_equal(st, TW_RUNLOG_END);
        else
            assert_int_equal(st, TW_RUNLOG_TORN);
        assert_true(end <= cut || cut < TW_RUNLOG_HEADER_SIZE);
        tw_runlog_reader_close(&r);
    }
    free(data);
    free(path);
}

/* ---- corruption ------------------------------------------------------------------------- */

/* A damaged payload or CRC stops the reader at that frame, after every earlier one. */
static void
test_flipped_payload_byte(void **state)
{
    const size_t lens[] = {10, 20, 30, 40, 50, 60};
    const size_t n = sizeof lens / sizeof lens[0];
    char *path = strdup(tmp_path("flip.twlog"));
    write_log(path, lens, n);
    size_t len;
    uint8_t *data = slurp(path, &len);

    uint64_t at = TW_RUNLOG_HEADER_SIZE;
    for (size_t k = 0; k < n; k++) {
        for (size_t byte = 0; byte < lens[k]; byte += 7) {
            uint8_t *b = data + at + TW_RUNLOG_FRAME_HEADER + byte;
            *b ^= 0x10;
            tw_runlog_reader *r = tw_runlog_reader_open_memory(data, len);
            assert_int_equal(read_expecting(r, lens, k), TW_RUNLOG_CORRUPT);
            assert_int_equal(tw_runlog_reader_frames(r), k);
            assert_int_equal(tw_runlog_reader_offset(r), at);
            char want[96];
            snprintf(want, sizeof want, "CRC mismatch in frame %zu at byte %llu", k + 1,
                     (unsigned long long)at);
            assert_non_null(strstr(tw_runlog_reader_error(r), want));
            /* Sticky. */
            const uint8_t *p;
            size_t plen;
            assert_int_equal(tw_runlog_reader_next(r, &p, &plen), TW_RUNLOG_CORRUPT);
            assert_int_equal(tw_runlog_reader_next(r, &p, &plen), TW_RUNLOG_CORRUPT);
            tw_runlog_reader_close(&r);
            *b ^= 0x10;
        }
        /* A flipped CRC byte is the same. */
        data[at + 5] ^= 0x01;
        assert_int_equal(read_mem_expecting(data, len, lens, k, k), TW_RUNLOG_CORRUPT);
        data[at + 5] ^= 0x01;
        at += TW_RUNLOG_FRAME_HEADER + lens[k];
    }

    /* From disk as well: frame 4 damaged. */
    at = TW_RUNLOG_HEADER_SIZE;
    for (size_t k = 0; k < 3; k++)
        at += TW_RUNLOG_FRAME_HEADER + lens[k];
    data[at + TW_RUNLOG_FRAME_HEADER + 3] ^= 0xff;
    char *bad = strdup(tmp_path("flip_disk.twlog"));
    spit(bad, data, len);
    assert_int_equal(read_file_expecting(bad, lens, 3, 3), TW_RUNLOG_CORRUPT);
    free(data);
    free(path);
    free(bad);
}

/* A damaged length gives CORRUPT or TORN, never a crash or an unbounded buffer. */
static void
test_flipped_length_byte(void **state)
{
    const size_t lens[] = {10, 200, 3000, 40, 5};
    const size_t n = sizeof lens / sizeof lens[0];
    char *path = strdup(tmp_path("flip_len.twlog"));
    write_log(path, lens, n);
    size_t len;
    uint8_t *data = slurp(path, &len);
    const uint8_t flips[] = {0x01, 0x02, 0x10, 0x80, 0xff};

    uint64_t at = TW_RUNLOG_HEADER_SIZE;
    for (size_t k = 0; k < n; k++) {
        for (size_t byte = 0; byte < 4; byte++) {
            for (size_t f = 0; f < sizeof flips; f++) {
                data[at + byte] ^= flips[f];
                tw_runlog_reader *r = tw_runlog_reader_open_memory(data, len);
                int st = read_expecting(r, lens, k);
                assert_true(st == TW_RUNLOG_CORRUPT || st == TW_RUNLOG_TORN);
                assert_int_equal(tw_runlog_reader_frames(r), k);
                tw_runlog_reader_close(&r);
                data[at + byte] ^= flips[f];
            }
        }
        at += TW_RUNLOG_FRAME_HEADER + lens[k];
    }

    /* Declared lengths at and around the bounds, read from disk. */
    const uint32_t declared[] = {0, TW_WIRE_MAX_MESSAGE, TW_WIRE_MAX_MESSAGE + 1, 0xffffffffu};
    const int want[] = {TW_RUNLOG_CORRUPT, TW_RUNLOG_TORN, TW_RUNLOG_CORRUPT, TW_RUNLOG_CORRUPT};
    uint64_t second = TW_RUNLOG_HEADER_SIZE + TW_RUNLOG_FRAME_HEADER + lens[0];
    char *bad = strdup(tmp_path("flip_len_disk.twlog"));
    for (size_t i = 0; i < 4; i++) {
        uint8_t saved[4];
        memcpy(saved, data + second, 4);
        uint32_t v = declared[i];
        uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
        memcpy(data + second, le, 4);
        spit(bad, data, len);
        tw_runlog_reader *r = tw_runlog_reader_open(bad);
        assert_non_null(r);
        assert_int_equal(read_expecting(r, lens, 1), want[i]);
        assert_int_equal(tw_runlog_reader_frames(r), 1);
        if (want[i] == TW_RUNLOG_CORRUPT)
            assert_non_null(strstr(tw_runlog_reader_error(r), "bad length"));
        tw_runlog_reader_close(&r);
        assert_int_equal(read_mem_expecting(data, len, lens, 1, 1), want[i]);
        memcpy(data + second, saved, 4);
    }
    free(data);
    free(path);
    free(bad);
}

/* Not a run log, another format version, or a partial header. */
static void
test_bad_magic(void **state)
{
    const uint8_t wrong[] = "XWLOG\x00\x01\n\x01\x00\x00\x00\x00\x00\x00\x00\x00";
    const uint8_t version4[] = "TWLOG\x00\x04\n";
    const uint8_t text[] = "hello, world, this is not a log";
    const uint8_t prefix[] = "TWLO";
    const uint8_t bad_prefix[] = "TWX";
    assert_int_equal(read_mem_expecting(wrong, sizeof wrong - 1, NULL, 0, 0), TW_RUNLOG_CORRUPT);
    assert_int_equal(read_mem_expecting(text, sizeof text - 1, NULL, 0, 0), TW_RUNLOG_CORRUPT);
    assert_int_equal(read_mem_expecting(bad_prefix, 3, NULL, 0, 0), TW_RUNLOG_CORRUPT);
    assert_int_equal(read_mem_expecting(prefix, 4, NULL, 0, 0), TW_RUNLOG_TORN);

    tw_runlog_reader *r = tw_runlog_reader_open_memory(version4, 8);
    const uint8_t *p;
    size_t len;
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_CORRUPT);
    assert_non_null(strstr(tw_runlog_reader_error(r), "version 4"));
    tw_runlog_reader_close(&r);

    char *path = strdup(tmp_path("bad_magic.twlog"));
    spit(path, wrong, sizeof wrong - 1);
    r = tw_runlog_reader_open(path);
    assert_non_null(r);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_CORRUPT);
    assert_non_null(strstr(tw_runlog_reader_error(r), "magic"));
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_CORRUPT);
    assert_int_equal(tw_runlog_reader_frames(r), 0);
    tw_runlog_reader_close(&r);
    free(path);
}

/* An empty file reads as END, and the same reader follows it as it gets content. */
static void
test_empty(void **state)
{
    char *path = strdup(tmp_path("empty.twlog"));
    spit(path, "", 0);
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    const uint8_t *p;
    size_t len;
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_frames(r), 0);
    assert_string_equal(tw_runlog_reader_error(r), "");

    /* The file gets its header, then a frame: the same reader follows. */
    append_raw(path, "TWLOG", 5);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_TORN);
    append_raw(path, "\x00\x01\n", 3);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_offset(r), TW_RUNLOG_HEADER_SIZE);
    uint8_t frame[8 + 3] = {3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};
    uint32_t crc = tw_crc32c(0, "abc", 3);
    for (int i = 0; i < 4; i++)
        frame[4 + i] = (uint8_t)(crc >> (8 * i));
    append_raw(path, frame, sizeof frame);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_FRAME);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "abc", 3);
    tw_runlog_reader_close(&r);

    /* A header and nothing else; an empty memory log. */
    r = tw_runlog_reader_open_memory(TW_RUNLOG_MAGIC, TW_RUNLOG_HEADER_SIZE);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    r = tw_runlog_reader_open_memory(NULL, 0);
    assert_non_null(r);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    free(path);
}

/* ---- following a growing file ----------------------------------------------------------- */

/* A reader follows a log being written: after END or TORN, the next call finds more. */
static void
test_follow_growing_file(void **state)
{
    const size_t lens[] = {11, 222, 3333, 44, 70000, 6, 77};
    char *path = strdup(tmp_path("follow.twlog"));
    tw_runlog_writer *w = tw_runlog_writer_open(path, 1000);
    assert_non_null(w);
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    uint8_t *buf = malloc(70000);
    assert_non_null(buf);

    for (size_t i = 0; i < 3; i++) {
        fill(buf, lens[i], (uint32_t)i);
        assert_int_equal(tw_runlog_writer_append(w, buf, lens[i]), 0);
    }
    assert_int_equal(read_expecting(r, lens, 3), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_frames(r), 3);
    for (size_t i = 3; i < 5; i++) {
        fill(buf, lens[i], (uint32_t)i);
        assert_int_equal(tw_runlog_writer_append(w, buf, lens[i]), 0);
    }
    const uint8_t *p;
    size_t len;
    for (size_t i = 3; i < 5; i++) {
        assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_FRAME);
        assert_int_equal(len, lens[i]);
        assert_true(payload_is(p, len, (uint32_t)i));
    }
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_offset(r), tw_runlog_writer_bytes(w));

    /* A frame arriving in pieces: TORN at each piece, then the frame. */
    fill(buf, lens[5], 5);
    uint8_t frame[8 + 6];
    uint32_t crc = tw_crc32c(0, buf, lens[5]);
    uint8_t hdr[8] = {
        6, 0, 0, 0, (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    memcpy(frame, hdr, 8);
    memcpy(frame + 8, buf, 6);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    uint64_t frame_at = tw_runlog_reader_offset(r);
    for (size_t i = 0; i < sizeof frame; i++) {
        append_raw(path, frame + i, 1);
        int st = tw_runlog_reader_next(r, &p, &len);
        if (i + 1 < sizeof frame) {
            assert_int_equal(st, TW_RUNLOG_TORN);
            assert_null(p);
            assert_int_equal(tw_runlog_reader_offset(r), frame_at);
        } else {
            assert_int_equal(st, TW_RUNLOG_FRAME);
            assert_int_equal(len, 6);
            assert_true(payload_is(p, 6, 5));
        }
    }

    /* A half frame that the writer took back (ftruncate) and replaced by another: the
     * reader, which saw the half, reads the new frame, not a CRC mismatch. */
    uint64_t end = file_size(path);
    uint8_t junk[40];
    memset(junk, 0xAB, sizeof junk);
    junk[0] = 200; /* declares 200 bytes */
    junk[1] = junk[2] = junk[3] = 0;
    append_raw(path, junk, sizeof junk);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_TORN);
    assert_int_equal(truncate(path, (off_t)end), 0);
    fill(buf, lens[6], 6);
    crc = tw_crc32c(0, buf, lens[6]);
    uint8_t hdr6[8] = {
        77, 0, 0, 0, (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    append_raw(path, hdr6, 8);
    append_raw(path, buf, lens[6]);
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_FRAME);
    assert_int_equal(len, 77);
    assert_true(payload_is(p, 77, 6));
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    assert_int_equal(tw_runlog_reader_frames(r), 7);

    tw_runlog_reader_close(&r);
    free(buf);
    free(path);
}

/* ---- opening ---------------------------------------------------------------------------- */

/* O_EXCL, the directory made when missing, and the errno of each way opening fails. */
static void
test_open_errors(void **state)
{
    char *path = strdup(tmp_path("excl.twlog"));
    tw_runlog_writer *w = tw_runlog_writer_open(path, 100);
    assert_non_null(w);
    errno = 0;
    assert_null(tw_runlog_writer_open(path, 100));
    assert_int_equal(errno, EEXIST);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(tw_runlog_writer_close(&w), 0); /* NULL-safe */
    assert_int_equal(tw_runlog_writer_close(NULL), 0);
    errno = 0;
    assert_null(tw_runlog_writer_open(path, 100));
    assert_int_equal(errno, EEXIST);
    assert_int_equal(file_size(path), TW_RUNLOG_HEADER_SIZE);

    /* A directory that does not exist is created (one level). */
    char *dir = strdup(tmp_path("runs"));
    char p2[300];
    snprintf(p2, sizeof p2, "%s/a.twlog", dir);
    w = tw_runlog_writer_open(p2, 100);
    assert_non_null(w);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700 & ~current_umask()); /* private */
    /* A mode given: the file has it, a directory made for it gets x where it has r. */
    char *shared = strdup(tmp_path("shared"));
    snprintf(p2, sizeof p2, "%s/s.twlog", shared);
    w = tw_runlog_writer_open_mode(p2, 100, 0640);
    assert_non_null(w);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(stat(p2, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640 & ~current_umask());
    assert_int_equal(stat(shared, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750 & ~current_umask());
    errno = 0;
    snprintf(p2, sizeof p2, "%s/t.twlog", shared);
    assert_null(tw_runlog_writer_open_mode(p2, 100, 0755)); /* nothing executable */
    assert_int_equal(errno, EINVAL);
    free(shared);
    /* Existing directory: fine. */
    snprintf(p2, sizeof p2, "%s/b.twlog", dir);
    w = tw_runlog_writer_open(p2, 100);
    assert_non_null(w);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    /* Two levels missing: ENOENT. */
    snprintf(p2, sizeof p2, "%s/x/y/c.twlog", dir);
    errno = 0;
    assert_null(tw_runlog_writer_open(p2, 100));
    assert_int_equal(errno, ENOENT);

    /* Under a regular file: ENOTDIR (as root, permissions would not stop us). */
    snprintf(p2, sizeof p2, "%s/sub/c.twlog", path);
    errno = 0;
    assert_null(tw_runlog_writer_open(p2, 100));
    assert_int_equal(errno, ENOTDIR);
    snprintf(p2, sizeof p2, "%s/c.twlog", path);
    errno = 0;
    assert_null(tw_runlog_writer_open(p2, 100));
    assert_int_equal(errno, ENOTDIR);

    /* A bare name lands in the working directory. */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    w = tw_runlog_writer_open("bare.twlog", 100);
    assert_non_null(w);
    assert_int_equal(tw_runlog_writer_commit(w, 0, 1), 0);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(chdir(cwd), 0);

    errno = 0;
    assert_null(tw_runlog_writer_open(NULL, 100));
    assert_int_equal(errno, EINVAL);
    assert_null(tw_runlog_writer_open("", 100));
    errno = 0;
    assert_null(tw_runlog_writer_open(tmp_path("neg.twlog"), -1));
    assert_int_equal(errno, EINVAL);

    /* Readers. */
    errno = 0;
    assert_null(tw_runlog_reader_open(tmp_path("missing.twlog")));
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_null(tw_runlog_reader_open(dir));
    assert_int_equal(errno, EISDIR);
    errno = 0;
    assert_null(tw_runlog_reader_open("/dev/null"));
    assert_int_equal(errno, EINVAL);
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    errno = 0;
    assert_null(tw_runlog_reader_open(fifo)); /* at once, not blocked waiting for a writer */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(tw_runlog_reader_open_memory(NULL, 5));
    assert_int_equal(errno, EINVAL);
    free(dir);
    free(path);
}

/* len 0, oversize, NULL: -EINVAL and nothing written; the largest frame works. */
static void
test_bad_arguments(void **state)
{
    char *path = strdup(tmp_path("args.twlog"));
    tw_runlog_writer *w = tw_runlog_writer_open(path, 100);
    assert_non_null(w);
    uint8_t b = 1;
    assert_int_equal(tw_runlog_writer_append(w, &b, 0), -EINVAL);
    assert_int_equal(tw_runlog_writer_append(w, &b, (size_t)TW_WIRE_MAX_MESSAGE + 1), -EINVAL);
    assert_int_equal(tw_runlog_writer_append(w, &b, SIZE_MAX), -EINVAL);
    assert_int_equal(tw_runlog_writer_append(w, NULL, 1), -EINVAL);
    assert_int_equal(tw_runlog_writer_append(NULL, &b, 1), -EINVAL);
    assert_int_equal(tw_runlog_writer_commit(NULL, 0, 1), -EINVAL);
    assert_int_equal(tw_runlog_writer_frames(w), 0);
    assert_int_equal(tw_runlog_writer_bytes(w), TW_RUNLOG_HEADER_SIZE);
    assert_int_equal(tw_runlog_writer_frames(NULL), 0);
    assert_int_equal(file_size(path), TW_RUNLOG_HEADER_SIZE);

    /* The largest frame is accepted and read back. */
    uint8_t *big = malloc(TW_WIRE_MAX_MESSAGE);
    assert_non_null(big);
    fill(big, TW_WIRE_MAX_MESSAGE, 0);
    assert_int_equal(tw_runlog_writer_append(w, big, TW_WIRE_MAX_MESSAGE), 0);
    free(big);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    const size_t lens[] = {TW_WIRE_MAX_MESSAGE};
    assert_int_equal(read_file_expecting(path, lens, 1, 1), TW_RUNLOG_END);

    tw_runlog_reader *r = tw_runlog_reader_open_memory(NULL, 0);
    const uint8_t *p;
    size_t len;
    assert_int_equal(tw_runlog_reader_next(NULL, &p, &len), -EINVAL);
    assert_int_equal(tw_runlog_reader_next(r, NULL, &len), -EINVAL);
    assert_int_equal(tw_runlog_reader_next(r, &p, NULL), -EINVAL);
    assert_int_equal(tw_runlog_reader_frames(NULL), 0);
    assert_int_equal(tw_runlog_reader_offset(NULL), 0);
    assert_string_equal(tw_runlog_reader_error(NULL), "");
    tw_runlog_reader_close(&r);
    tw_runlog_reader_close(NULL);
    free(path);
}

/* ---- injected failures ------------------------------------------------------------------ */

/* Interrupted and short writes are retried to whole frames. */
static void
test_eintr_and_short_writes(void **state)
{
    const size_t lens[] = {1, 17, 1000, 5000};
    char *path = strdup(tmp_path("short.twlog"));
    inj.eintr = 3;
    inj.max_per_call = 3;
    tw_runlog_writer *w = tw_runlog_writer_open(path, 1000);
    assert_non_null(w);
    uint8_t buf[5000];
    for (size_t i = 0; i < 4; i++) {
        inj.eintr = 2;
        fill(buf, lens[i], (uint32_t)i);
        assert_int_equal(tw_runlog_writer_append(w, buf, lens[i]), 0);
    }
    assert_true(inj.writev_calls > 1000); /* the writes really were cut short */
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    memset(&inj, 0, sizeof inj);
    assert_int_equal(read_file_expecting(path, lens, 4, 4), TW_RUNLOG_END);
    free(path);
}

/* ENOSPC part-way through a frame leaves only whole frames; appends resume later. */
static void
test_disk_full_mid_frame(void **state)
{
    /* Fail after k bytes of the third frame, for k across its header and payload. */
    const size_t lens[] = {30, 40, 50, 60};
    const size_t ks[] = {0, 1, 4, 7, 8, 9, 30, 57};
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
        char name[64];
        snprintf(name, sizeof name, "full_%zu.twlog", ks[ki]);
        char *path = strdup(tmp_path(name));
        tw_runlog_writer *w = tw_runlog_writer_open(path, 1000);
        assert_non_null(w);
        uint8_t buf[64];
        for (size_t i = 0; i < 2; i++) {
            fill(buf, lens[i], (uint32_t)i);
            assert_int_equal(tw_runlog_writer_append(w, buf, lens[i]), 0);
        }
        uint64_t good = tw_runlog_writer_bytes(w);
        inj.fail = true;
        inj.fail_after = ks[ki];
        inj.fail_errno = ENOSPC;
        inj.max_per_call = ks[ki] % 2 ? 2 : 0; /* some of them in short writes */
        fill(buf, lens[2], 2);
        assert_int_equal(tw_runlog_writer_append(w, buf, lens[2]), -ENOSPC);
        assert_int_equal(tw_runlog_writer_frames(w), 2);
        assert_int_equal(tw_runlog_writer_bytes(w), good);
        assert_int_equal(file_size(path), good); /* only whole frames */
        assert_int_equal(read_file_expecting(path, lens, 2, 2), TW_RUNLOG_END);
        /* Still full: the same again. */
        inj.fail_after = 0;
        assert_int_equal(tw_runlog_writer_append(w, buf, lens[2]), -ENOSPC);
        assert_int_equal(file_size(path), good);
        /* Space again: appends go on. */
        memset(&inj, 0, sizeof inj);
        for (size_t i = 2; i < 4; i++) {
            fill(buf, lens[i], (uint32_t)i);
            assert_int_equal(tw_runlog_writer_append(w, buf, lens[i]), 0);
        }
        assert_int_equal(tw_runlog_writer_close(&w), 0);
        assert_int_equal(read_file_expecting(path, lens, 4, 4), TW_RUNLOG_END);
        free(path);
    }
}

/* When taking back a half frame fails too, the next append (or close) does it first. */
static void
test_truncate_fails_too(void **state)
{
    const size_t lens[] = {30, 40, 50};
    char *path = strdup(tmp_path("trunc_fail.twlog"));
    tw_runlog_writer *w = tw_runlog_writer_open(path, 1000);
    assert_non_null(w);
    uint8_t buf[64];
    fill(buf, lens[0], 0);
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[0]), 0);
    uint64_t good = tw_runlog_writer_bytes(w);

    /* Half a frame written, and the truncation fails: a torn tail on disk for now. */
    inj.fail = true;
    inj.fail_after = 20;
    inj.fail_errno = EIO;
    inj.ftruncate_fail = 1;
    fill(buf, lens[1], 1);
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[1]), -EIO);
    assert_int_equal(file_size(path), good + 20);
    assert_int_equal(read_file_expecting(path, lens, 1, 1), TW_RUNLOG_TORN);

    /* The next append tries the truncation first; it fails again: nothing written. */
    inj.fail = false;
    inj.ftruncate_fail = 1;
    int calls = inj.writev_calls;
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[1]), -EIO);
    assert_int_equal(inj.writev_calls, calls);
    assert_int_equal(file_size(path), good + 20);

    /* Then it works: the tail goes, the frame follows the last whole one. */
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[1]), 0);
    fill(buf, lens[2], 2);
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[2]), 0);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(read_file_expecting(path, lens, 3, 3), TW_RUNLOG_END);

    /* A torn tail left at close is repaired by close. */
    char *p2 = strdup(tmp_path("trunc_close.twlog"));
    w = tw_runlog_writer_open(p2, 1000);
    assert_non_null(w);
    fill(buf, lens[0], 0);
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[0]), 0);
    inj.fail = true;
    inj.fail_after = 10;
    inj.ftruncate_fail = 1;
    fill(buf, lens[1], 1);
    assert_int_equal(tw_runlog_writer_append(w, buf, lens[1]), -EIO);
    inj.fail = false;
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(read_file_expecting(p2, lens, 1, 1), TW_RUNLOG_END);
    free(path);
    free(p2);
}

/* A log whose header cannot be written is not left behind. */
static void
test_header_write_fails(void **state)
{
    char *path = strdup(tmp_path("no_header.twlog"));
    inj.fail = true;
    inj.fail_after = 3;
    inj.fail_errno = ENOSPC;
    errno = 0;
    assert_null(tw_runlog_writer_open(path, 1000));
    assert_int_equal(errno, ENOSPC);
    struct stat st;
    assert_int_equal(stat(path, &st), -1); /* not left behind */
    assert_int_equal(errno, ENOENT);
    free(path);
}

/* ---- group commit ----------------------------------------------------------------------- */

/* Group commit: fdatasync once per interval, when forced, at close, or every append. */
static void
test_commit_interval(void **state)
{
    char *path = strdup(tmp_path("commit.twlog"));
    tw_runlog_writer *w = tw_runlog_writer_open(path, 1000);
    assert_non_null(w);
    assert_int_equal(inj.fdatasync_calls, 0); /* open does not sync */
    uint8_t b[3] = {1, 2, 3};

    /* The first commit syncs the header. */
    assert_int_equal(tw_runlog_writer_commit(w, 10000, 0), 0);
    assert_int_equal(inj.fdatasync_calls, 1);
    /* Nothing new: nothing to sync, even when forced. */
    assert_int_equal(tw_runlog_writer_commit(w, 20000, 1), 0);
    assert_int_equal(inj.fdatasync_calls, 1);
    /* New data within the interval: waits. */
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    assert_int_equal(tw_runlog_writer_commit(w, 10500, 0), 0);
    assert_int_equal(tw_runlog_writer_commit(w, 10999, 0), 0);
    assert_int_equal(inj.fdatasync_calls, 1);
    assert_int_equal(tw_runlog_writer_commit(w, 11000, 0), 0);
    assert_int_equal(inj.fdatasync_calls, 2);
    /* Forced: at once. */
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    assert_int_equal(tw_runlog_writer_commit(w, 11001, 1), 0);
    assert_int_equal(inj.fdatasync_calls, 3);
    /* A clock that goes backwards does not hold data back forever. */
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    assert_int_equal(tw_runlog_writer_commit(w, 5, 0), 0);
    assert_int_equal(inj.fdatasync_calls, 4);
    /* A failed sync is reported, and retried by the next commit. */
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    inj.fdatasync_fail = 1;
    assert_int_equal(tw_runlog_writer_commit(w, 100000, 0), -EIO);
    assert_int_equal(inj.fdatasync_calls, 5);
    assert_int_equal(tw_runlog_writer_commit(w, 100001, 0), 0);
    assert_int_equal(inj.fdatasync_calls, 6);
    /* Extreme clocks do not overflow. */
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    assert_int_equal(tw_runlog_writer_commit(w, INT64_MAX, 0), 0);
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    assert_int_equal(tw_runlog_writer_commit(w, INT64_MIN, 0), 0);
    assert_int_equal(inj.fdatasync_calls, 8);
    /* Close syncs what is left. */
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(inj.fdatasync_calls, 9);

    /* Interval 0: every append syncs; close has nothing left to sync. */
    char *p0 = strdup(tmp_path("commit0.twlog"));
    inj.fdatasync_calls = 0;
    w = tw_runlog_writer_open(p0, 0);
    assert_non_null(w);
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
        assert_int_equal(inj.fdatasync_calls, i);
    }
    inj.fdatasync_fail = 1;
    assert_int_equal(tw_runlog_writer_append(w, b, 3), -EIO);
    assert_int_equal(tw_runlog_writer_frames(w), 6); /* written whole, not yet durable */
    assert_int_equal(tw_runlog_writer_close(&w), 0);
    assert_int_equal(inj.fdatasync_calls, 7);

    /* A failing final sync is what close returns. */
    char *p1 = strdup(tmp_path("commit1.twlog"));
    w = tw_runlog_writer_open(p1, 1000);
    assert_non_null(w);
    assert_int_equal(tw_runlog_writer_append(w, b, 3), 0);
    inj.fdatasync_fail = 1;
    assert_int_equal(tw_runlog_writer_close(&w), -EIO);
    assert_null(w);
    free(path);
    free(p0);
    free(p1);
}

/* One place names run logs: what tw_runlog_file_name writes, tw_runlog_is_file_of knows, for
 * its run only (a run whose name extends another's is not the other's). */
static void
test_file_names(void **state)
{
    (void)state;
    char name[64];
    assert_int_equal(tw_runlog_file_name(name, sizeof name, "job-7", 3, 0x0123456789abcdefull),
                     (int)strlen("job-7-r3-0123456789abcdef.twlog"));
    assert_string_equal(name, "job-7-r3-0123456789abcdef.twlog");
    assert_true(tw_runlog_is_file_of(name, "job-7"));
    assert_false(tw_runlog_is_file_of(name, "job"));
    assert_false(tw_runlog_is_file_of(name, "job-7-r3"));
    assert_true(tw_runlog_is_file_of("a-r1-r0-00000000000000ff.twlog", "a-r1"));
    assert_false(tw_runlog_is_file_of("a-r1-r0-00000000000000ff.twlog", "a"));
    assert_false(tw_runlog_is_file_of("job-7-r3-0123456789abcdef.twlog.tmp", "job-7"));
    assert_false(tw_runlog_is_file_of("job-7-r3-0123456789abcde.twlog", "job-7"));
    assert_false(tw_runlog_is_file_of("job-7-r-0123456789abcdef.twlog", "job-7"));
    assert_int_equal(tw_runlog_file_name(name, 10, "job-7", 3, 1), -ENAMETOOLONG);
    assert_string_equal(name, "");
}

/* A reader closed after some frames and opened again at its offset (tw_runlog_reader_open_at)
 * goes on with the next frame, numbering it on; an offset below the header starts afresh. */
static void
test_open_at(void **state)
{
    (void)state;
    const char *path = tmp_path("resume.twlog");
    const size_t lens[] = {10, 300, 7, 5000, 64};
    write_log(path, lens, 5);
    tw_runlog_reader *r = tw_runlog_reader_open(path);
    assert_non_null(r);
    const uint8_t *p;
    size_t len;
    for (int i = 0; i < 2; i++)
        assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_FRAME);
    uint64_t offset = tw_runlog_reader_offset(r), frames = tw_runlog_reader_frames(r);
    tw_runlog_reader_close(&r);
    r = tw_runlog_reader_open_at(path, offset, frames);
    assert_non_null(r);
    for (size_t i = 2; i < 5; i++) {
        assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_FRAME);
        assert_int_equal(len, lens[i]);
        assert_true(payload_is(p, len, (uint32_t)i));
        assert_int_equal(tw_runlog_reader_frames(r), i + 1);
    }
    assert_int_equal(tw_runlog_reader_next(r, &p, &len), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    r = tw_runlog_reader_open_at(path, 0, 0); /* from the start, header checked */
    assert_non_null(r);
    assert_int_equal(read_expecting(r, lens, 5), TW_RUNLOG_END);
    tw_runlog_reader_close(&r);
    errno = 0;
    assert_null(tw_runlog_reader_open_at(tmp_path("missing.twlog"), offset, frames));
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_crc32c_vectors, test_setup),
        cmocka_unit_test_setup(test_crc32c_matches_reference, test_setup),
        cmocka_unit_test_setup(test_round_trip, test_setup),
        cmocka_unit_test_setup(test_truncated_at_every_byte, test_setup),
        cmocka_unit_test_setup(test_flipped_payload_byte, test_setup),
        cmocka_unit_test_setup(test_flipped_length_byte, test_setup),
        cmocka_unit_test_setup(test_bad_magic, test_setup),
        cmocka_unit_test_setup(test_empty, test_setup),
        cmocka_unit_test_setup(test_follow_growing_file, test_setup),
        cmocka_unit_test_setup(test_open_at, test_setup),
        cmocka_unit_test_setup(test_open_errors, test_setup),
        cmocka_unit_test_setup(test_bad_arguments, test_setup),
        cmocka_unit_test_setup(test_eintr_and_short_writes, test_setup),
        cmocka_unit_test_setup(test_disk_full_mid_frame, test_setup),
        cmocka_unit_test_setup(test_truncate_fails_too, test_setup),
        cmocka_unit_test_setup(test_header_write_fails, test_setup),
        cmocka_unit_test_setup(test_commit_interval, test_setup),
        cmocka_unit_test(test_file_names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
