/* test_endpoint.c - endpoint strings, the per-user runtime directory and file-name-safe names
 * (publisher/proto/endpoint.h), against real directories. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "endpoint.h"
#include "tmpdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
setup_tmp(void **state)
{
    (void)state;
    return tmpdir_make("endpoint", false);
}

static int
teardown_tmp(void **state)
{
    (void)state;
    return tmpdir_remove();
}

/* Accepted forms: the prefix says connect or bind, "tcp://:PORT" means loopback. */
static void
test_parse_good(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *out;
        bool connect;
    } good[] = {
        {"tcp://host:5555", "tcp://host:5555", false},
        {"@tcp://host:5555", "tcp://host:5555", false},
        {">tcp://10.0.0.2:1", "tcp://10.0.0.2:1", true},
        {"tcp://:5555", "tcp://127.0.0.1:5555", false},
        {"tcp://:*", "tcp://127.0.0.1:*", false},
        {"tcp://*:0", "tcp://*:0", false},
        {"tcp://:080", "tcp://127.0.0.1:080", false},
        {"tcp://[::1]:65535", "tcp://[::1]:65535", false},
        {"ipc:///tmp/a.sock", "ipc:///tmp/a.sock", false},
        {">ipc://rel.sock", "ipc://rel.sock", true},
        {"inproc://name", "inproc://name", false},
        /* a bind of the name localhost is the IPv4 loopback address; a connect resolves it */
        {"tcp://localhost:5555", "tcp://127.0.0.1:5555", false},
        {"@tcp://LocalHost:5555", "tcp://127.0.0.1:5555", false},
        {">tcp://localhost:5555", "tcp://localhost:5555", true},
        {"tcp://localhostx:5555", "tcp://localhostx:5555", false},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char out[256] = "", err[256] = "";
        bool connect = !good[i].connect;
        if (tw_endpoint_parse(good[i].spec, out, sizeof out, &connect, err, sizeof err) != 0)
            fail_msg("'%s' refused: %s", good[i].spec, err);
        assert_string_equal(out, good[i].out);
        assert_int_equal(connect, good[i].connect);
    }
    /* an ipc path of 107 bytes fits sockaddr_un */
    char spec[200] = "ipc://";
    memset(spec + 6, 'p', 107);
    char out[256], err[256];
    bool connect;
    assert_int_equal(tw_endpoint_parse(spec, out, sizeof out, &connect, err, sizeof err), 0);
}

/* IPv6 addresses (in brackets, also after a source address) need ZMQ_IPV6 on the socket. */
static void
test_ipv6(void **state)
{
    (void)state;
    assert_true(tw_endpoint_ipv6("tcp://[::1]:5555"));
    assert_true(tw_endpoint_ipv6("tcp://[fe80::1%lo]:5555"));
    assert_true(tw_endpoint_ipv6("tcp://127.0.0.1;[::1]:5555"));
    assert_false(tw_endpoint_ipv6("tcp://127.0.0.1:5555"));
    assert_false(tw_endpoint_ipv6("tcp://[::1];127.0.0.1:5555"));
    assert_false(tw_endpoint_ipv6("tcp://localhost:5555"));
    assert_false(tw_endpoint_ipv6("ipc://[x]"));
}

/* Refused forms: -EINVAL and a sentence that names the spec and what is wrong with it. */
static void
test_parse_bad(void **state)
{
    (void)state;
    char ipc108[200] = "ipc://";
    memset(ipc108 + 6, 'p', 108);
    const struct {
        const char *spec, *says;
    } bad[] = {
        {"", "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME"},
        {">", "expected tcp://HOST:PORT"},
        {"udp://h:1", "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME"},
        {">>tcp://h:1", "optionally prefixed"},
        {"tcp://host", "expected tcp://HOST:PORT"},
        {"tcp://host:", "port must be 0-65535 or *"},
        {"tcp://host:65536", "port must be 0-65535 or *"},
        {"tcp://host:http", "port must be 0-65535 or *"},
        {">tcp://:5555", "connecting needs a host and a port"},
        {">tcp://host:*", "connecting needs a host and a port"},
        {">tcp://host:0", "connecting needs a host and a port"},
        {"ipc://", "the path or name is empty"},
        {"inproc://", "the path or name is empty"},
        {ipc108, "ipc paths are limited to 107 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char out[256] = "", err[512] = "";
        bool connect;
        int rc = tw_endpoint_parse(bad[i].spec, out, sizeof out, &connect, err, sizeof err);
        if (rc != -EINVAL)
            fail_msg("'%s' accepted as '%s'", bad[i].spec, out);
        if (!strstr(err, bad[i].says) || !strstr(err, "endpoint '"))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].spec, err, bad[i].says);
    }
    /* the output does not fit */
    char small[12], err[256];
    bool connect;
    assert_int_equal(
        tw_endpoint_parse("tcp://:5555", small, sizeof small, &connect, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(
        tw_endpoint_parse("ipc:///a/long/path", small, sizeof small, &connect, err, sizeof err),
        -EINVAL);
    assert_non_null(strstr(err, "too long"));
}

/* Found by fuzz_endpoint: a port is digits only. strtol took "+80", " 80" and "-0" as
 * numbers, so "tcp://:+80" went to ZeroMQ as it was. (Moved from test_publisher.c.) */
static void
test_parse_port_digits_only(void **state)
{
    (void)state;
    static const char *const bad[] = {"tcp://:+80", "tcp://: 80", "tcp://host:-0", ">tcp://host:+1",
                                      "tcp://:\t5"};
    char out[64], err[256];
    bool connect;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(tw_endpoint_parse(bad[i], out, sizeof out, &connect, err, sizeof err),
                         -EINVAL);
        assert_non_null(strstr(err, "port"));
    }
    assert_int_equal(tw_endpoint_parse("tcp://:080", out, sizeof out, &connect, err, sizeof err),
                     0);
    assert_string_equal(out, "tcp://127.0.0.1:080");
}

/* Whole decimal integers in [lo, hi]: no sign, no space, no trailing bytes. */
static void
test_parse_int(void **state)
{
    (void)state;
    long v = -1;
    assert_true(tw_endpoint_parse_int("0", 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(tw_endpoint_parse_int("007", 0, 10, &v));
    assert_int_equal(v, 7);
    assert_true(tw_endpoint_parse_int("65535", 0, 65535, &v));
    assert_int_equal(v, 65535);
    static const char *const bad[] = {
        "", "+1", "-1", " 1", "1 ", "1x", "0x10", "65536", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = 42;
        if (tw_endpoint_parse_int(bad[i], 0, 65535, &v))
            fail_msg("'%s' taken as %ld", bad[i], v);
        assert_int_equal(v, 42); /* untouched */
    }
    assert_false(tw_endpoint_parse_int(NULL, 0, 1, &v));
    assert_false(tw_endpoint_parse_int("3", 4, 9, &v)); /* below lo */
}

/* Sets XDG_RUNTIME_DIR to tmp_root/sub (created when mkdir_it) and returns the directory
 * tw_endpoint_runtime_dir should pick in it. */
static const char *
xdg_in(const char *sub, bool mkdir_it)
{
    static char xdg[512], want[600];
    snprintf(xdg, sizeof xdg, "%s/%s", tmp_root, sub);
    if (mkdir_it)
        assert_int_equal(mkdir(xdg, 0700), 0);
    setenv("XDG_RUNTIME_DIR", xdg, 1);
    snprintf(want, sizeof want, "%s/trainwatch", xdg);
    return want;
}

/* (refused() is below, with the refusals) */
static void refused(const char *why);
static char err_of_last[1024];

/* The directory is made with mode 0700 under XDG_RUNTIME_DIR and accepted again after. */
static void
test_runtime_dir_created(void **state)
{
    (void)state;
    const char *want = xdg_in("ok", true);
    char out[4096], err[512] = "";
    for (int twice = 0; twice < 2; twice++) {
        assert_int_equal(tw_endpoint_runtime_dir(out, sizeof out, err, sizeof err), 0);
        assert_string_equal(out, want);
        struct stat st;
        assert_int_equal(lstat(out, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0700);
        assert_int_equal(st.st_uid, getuid());
    }
    /* the path does not fit */
    char tiny[8];
    assert_int_equal(tw_endpoint_runtime_dir(tiny, sizeof tiny, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "too long"));
    /* the parent does not exist (a stale XDG_RUNTIME_DIR): mkdir's errno in a sentence, and
     * /tmp/trainwatch-UID instead */
    xdg_in("missing", false);
    refused("cannot create");
    assert_non_null(strstr(err_of_last, "No such file or directory"));
    /* so long that no socket name fits after it */
    char longer[200];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    xdg_in("ok", false);
    char deep[4096];
    snprintf(deep, sizeof deep, "%s/ok/%s", tmp_root, longer);
    setenv("XDG_RUNTIME_DIR", deep, 1);
    refused("too long for an ipc socket path");
    unsetenv("XDG_RUNTIME_DIR");
}

/* tw_endpoint_runtime_dir refuses $XDG_RUNTIME_DIR/trainwatch for a reason containing `why`
 * and falls back to /tmp/trainwatch-UID, saying so; or, where /tmp/trainwatch-UID is not
 * usable on this machine either, fails with both reasons. */
static void
refused(const char *why)
{
    char out[4096], tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/trainwatch-%u", (unsigned)getuid());
    int rc = tw_endpoint_runtime_dir(out, sizeof out, err_of_last, sizeof err_of_last);
    assert_non_null(strstr(err_of_last, why));
    if (rc == 0) {
        assert_string_equal(out, tmp);
        assert_non_null(strstr(err_of_last, "XDG_RUNTIME_DIR="));
        char instead[128];
        snprintf(instead, sizeof instead, "; using %s instead", tmp);
        assert_non_null(strstr(err_of_last, instead));
    } else {
        assert_int_equal(rc, -EACCES);
        assert_non_null(strstr(err_of_last, tmp));
    }
}

/* An existing directory open to others, owned by someone else, or not a directory at all is
 * refused with a sentence; nothing is changed; /tmp/trainwatch-UID is used instead. */
static void
test_runtime_dir_refused(void **state)
{
    (void)state;

    struct stat st;

    const char *want = xdg_in("mode", true);
    assert_int_equal(mkdir(want, 0755), 0);
    assert_int_equal(chmod(want, 0755), 0); /* whatever the umask */
    refused("mode 0700");
    assert_non_null(strstr(err_of_last, want));
    assert_int_equal(lstat(want, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);

    want = xdg_in("file", true);
    FILE *f = fopen(want, "w");
    assert_non_null(f);
    fclose(f);
    refused("must be a directory owned by you");

    want = xdg_in("link", true); /* a symlink to a good directory: lstat sees the link */
    char target[600];
    snprintf(target, sizeof target, "%s/ok-target", tmp_root);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, want), 0);
    refused("must be a directory owned by you");

    want = xdg_in("owner", true);
    assert_int_equal(mkdir(want, 0700), 0);
    uid_t other = getuid() == 0 ? 65534 : 0;
    if (chown(want, other, (gid_t)-1) == 0) { /* only root can give a directory away */
        refused("owned by you");
    } else {
        print_message("owner case skipped: not root, cannot chown\n");
    }
    unsetenv("XDG_RUNTIME_DIR");
}

/* Every byte outside [A-Za-z0-9._-] becomes '_', byte by byte (UTF-8 too). */
static void
test_sanitize(void **state)
{
    (void)state;
    char s[] = "Run-1_a.b/../c d\te\x01\x7f"
               "\xc3\xa9:*?";
    tw_endpoint_sanitize(s);
    assert_string_equal(s, "Run-1_a.b_.._c_d_e_______");
    char empty[] = "";
    tw_endpoint_sanitize(empty);
    assert_string_equal(empty, "");
    char clean[] = "azAZ09._-";
    tw_endpoint_sanitize(clean);
    assert_string_equal(clean, "azAZ09._-");
    /* a leading dot would make a hidden file, or the names "." and ".." */
    char dot[] = ".", dotdot[] = "..", hidden[] = ".hidden";
    tw_endpoint_sanitize(dot);
    tw_endpoint_sanitize(dotdot);
    tw_endpoint_sanitize(hidden);
    assert_string_equal(dot, "_");
    assert_string_equal(dotdot, "_.");
    assert_string_equal(hidden, "_hidden");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_parse_port_digits_only),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_runtime_dir_created),
        cmocka_unit_test(test_runtime_dir_refused),
        cmocka_unit_test(test_sanitize),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
