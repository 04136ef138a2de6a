/* test_curve.c - CURVE keys (Z85 parsing, key files, exposed endpoints), the publisher's
 * security rules in its config, and an encrypted round trip over real tcp sockets. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "curve.h"
#include "trainwatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* A fresh directory for key files, removed with its files by teardown. */
static char dir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tw-test-curve-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    static const char *const vars[] = {"TRAINWATCH_CURVE_SECRET", "TRAINWATCH_CURVE_SERVER",
                                       "TRAINWATCH_INSECURE", "TRAINWATCH_ENDPOINT"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to dir/name with mode; returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void
test_parse(void **state)
{
    (void)state;
    tw_curve_key pub, sec, k;
    char err[256];
    assert_int_equal(tw_curve_keypair(&pub, &sec), 0);
    assert_int_equal(tw_curve_key_parse(pub.z85, &k, "key", err, sizeof err), 0);
    assert_string_equal(k.z85, pub.z85);

    char s[64];
    snprintf(s, sizeof s, "%.39s", pub.z85); /* one short */
    assert_int_equal(tw_curve_key_parse(s, &k, "--server-key", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "--server-key: a key is 40 Z85 characters, this one has 39"));

    snprintf(s, sizeof s, "%s", pub.z85);
    s[7] = '~'; /* not in the alphabet */
    assert_int_equal(tw_curve_key_parse(s, &k, "key", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "character 8 of the key is not a Z85 character"));
    s[7] = ' ';
    assert_int_equal(tw_curve_key_parse(s, &k, "key", err, sizeof err), -EINVAL);

    /* "#####" is 85^5 - 1, beyond 32 bits: Z85 characters that decode to nothing */
    snprintf(s, sizeof s, "#####%.35s", pub.z85 + 5);
    assert_int_equal(tw_curve_key_parse(s, &k, "key", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "characters 1-5 do not decode"));

    tw_curve_key again;
    assert_int_equal(tw_curve_public_of(&sec, &again), 0);
    assert_string_equal(again.z85, pub.z85);
}

static void
test_load(void **state)
{
    (void)state;
    tw_curve_key pub, sec, k;
    char err[512], text[128];
    assert_int_equal(tw_curve_keypair(&pub, &sec), 0);

    /* as keygen writes them: a comment, the key */
    snprintf(text, sizeof text, "# trainwatch CURVE secret key\n%s\n", sec.z85);
    const char *p = write_file("a.key", text, 0600);
    assert_int_equal(tw_curve_key_load(p, true, &k, "--key", err, sizeof err), 0);
    assert_string_equal(k.z85, sec.z85);

    /* a secret key open to the group is refused; a public one may be read by all */
    p = write_file("open.key", text, 0640);
    assert_int_equal(tw_curve_key_load(p, true, &k, "--key", err, sizeof err), -EACCES);
    assert_non_null(strstr(err, "open to others (mode 0640): run chmod 600"));
    snprintf(text, sizeof text, "  %s  \r\n", pub.z85);
    p = write_file("a.pub", text, 0644);
    assert_int_equal(tw_curve_key_load(p, false, &k, "--server-key", err, sizeof err), 0);
    assert_string_equal(k.z85, pub.z85);

    /* the key itself, given as the argument */
    assert_int_equal(tw_curve_key_load(pub.z85, false, &k, "x", err, sizeof err), 0);
    assert_string_equal(k.z85, pub.z85);

    /* neither a file nor a key; a missing NAME.pub even 40 characters long (Z85 has '/' and
     * '.'); an empty file; a file with a bad key names the file */
    assert_int_equal(
        tw_curve_key_load("/nonexistent/a", false, &k, "TRAINWATCH_CURVE_SERVER", err, sizeof err),
        -ENOENT);
    assert_non_null(strstr(err, "TRAINWATCH_CURVE_SERVER: '/nonexistent/a' is neither a key "
                                "file nor a key (40 Z85 characters)"));
    const char *typo = "/nonexistent/home/alice/keys/monitor.pub";
    assert_int_equal(strlen(typo), 40);
    assert_int_equal(tw_curve_key_load(typo, false, &k, "--server-key", err, sizeof err), -ENOENT);
    assert_non_null(
        strstr(err, "--server-key: no key file /nonexistent/home/alice/keys/monitor.pub"));

    /* the two halves swapped, as keygen wrote them: named, not "chmod 600" */
    snprintf(text, sizeof text, "# trainwatch CURVE public key\n%s\n", pub.z85);
    p = write_file("swapped.pub", text, 0644);
    assert_int_equal(tw_curve_key_load(p, true, &k, "--key", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "holds a public key (NAME.pub)"));
    snprintf(text, sizeof text, "# trainwatch CURVE secret key\n%s\n", sec.z85);
    p = write_file("swapped.key", text, 0600);
    assert_int_equal(tw_curve_key_load(p, false, &k, "--server-key", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "holds a secret key (NAME.key)"));
    p = write_file("empty.pub", "# nothing\n\n", 0644);
    assert_int_equal(tw_curve_key_load(p, false, &k, "x", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "holds no key"));
    p = write_file("short.pub", "abc\n", 0644);
    assert_int_equal(tw_curve_key_load(p, false, &k, "x", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "short.pub"));
    assert_non_null(strstr(err, "a key is 40 Z85 characters, this one has 3"));
    assert_int_equal(tw_curve_key_load(dir, false, &k, "x", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(tw_curve_key_load("", false, &k, "x", err, sizeof err), -EINVAL);
}

static void
test_exposed(void **state)
{
    (void)state;
    static const struct {
        const char *ep;
        bool exposed;
    } cases[] = {
        {"tcp://127.0.0.1:5555", false}, {"tcp://127.1.2.3:5555", false},
        {"tcp://localhost:5555", false}, {"tcp://[::1]:5555", false},
        {"tcp://lo:5555", false},        {"ipc:///tmp/x", false},
        {"inproc://x", false},           {"tcp://0.0.0.0:5555", true},
        {"tcp://*:5555", true},          {"tcp://192.168.1.5:5555", true},
        {"tcp://eth0:5555", true},       {"tcp://127.0.0.1.evil.com:1", true},
        {"tcp://1127.0.0.1:1", true},    {"tcp://[::]:5555", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (tw_curve_endpoint_exposed(cases[i].ep) != cases[i].exposed)
            fail_msg("%s: expected %s", cases[i].ep, cases[i].exposed ? "exposed" : "not exposed");
}

/* Resolves a config with endpoint and keys; returns rc, the message in err. */
static int
resolve(tw_config *c, const char *endpoint, const char *secret, const char *server, int insecure,
        char *err, size_t errlen)
{
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = endpoint;
    o.curve_secret_key = secret;
    o.curve_server_key = server;
    o.insecure = insecure;
    o.log_dir = "off";
    err[0] = '\0';
    return tw_config_resolve(c, &o, err, errlen);
}

static void
test_config_rules(void **state)
{
    (void)state;
    tw_config c;
    char err[512];
    tw_curve_key pub, sec;
    assert_int_equal(tw_curve_keypair(&pub, &sec), 0);

    /* beyond loopback in clear: refused, naming the ways out */
    assert_int_equal(resolve(&c, "tcp://0.0.0.0:0", NULL, NULL, -1, err, sizeof err), -EACCES);
    assert_non_null(strstr(err, "refusing to publish in clear on tcp://0.0.0.0:0"));
    assert_non_null(strstr(err, "TRAINWATCH_INSECURE=1"));
    assert_int_equal(resolve(&c, "tcp://*:0", NULL, NULL, 0, err, sizeof err), -EACCES);
    /* allowed explicitly, by option or environment: in clear, flagged for the warning */
    assert_int_equal(resolve(&c, "tcp://0.0.0.0:0", NULL, NULL, 1, err, sizeof err), 0);
    assert_true(c.insecure_exposed);
    assert_int_equal(c.curve, TW_CURVE_NONE);
    setenv("TRAINWATCH_INSECURE", "1", 1);
    assert_int_equal(resolve(&c, "tcp://0.0.0.0:0", NULL, NULL, -1, err, sizeof err), 0);
    assert_true(c.insecure_exposed);
    /* the option wins over the environment */
    assert_int_equal(resolve(&c, "tcp://0.0.0.0:0", NULL, NULL, 0, err, sizeof err), -EACCES);
    setenv("TRAINWATCH_INSECURE", "yes", 1);
    assert_int_equal(resolve(&c, "tcp://0.0.0.0:0", NULL, NULL, -1, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "TRAINWATCH_INSECURE='yes': expected 1 (allow) or 0"));
    unsetenv("TRAINWATCH_INSECURE");

    /* loopback, ipc: no key needed, none used (keys are for tcp only) */
    assert_int_equal(resolve(&c, "tcp://127.0.0.1:0", NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(c.curve, TW_CURVE_NONE);
    assert_false(c.insecure_exposed);
    assert_int_equal(resolve(&c, "ipc:///tmp/x", sec.z85, NULL, -1, err, sizeof err), 0);
    assert_int_equal(c.curve, TW_CURVE_NONE);

    /* a secret key: a CURVE server, on any address */
    assert_int_equal(resolve(&c, "tcp://0.0.0.0:0", sec.z85, NULL, -1, err, sizeof err), 0);
    assert_int_equal(c.curve, TW_CURVE_SERVER);
    assert_string_equal(c.curve_public.z85, pub.z85);
    assert_false(c.insecure_exposed);
    setenv("TRAINWATCH_CURVE_SECRET", sec.z85, 1);
    assert_int_equal(resolve(&c, "tcp://127.0.0.1:0", NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(c.curve, TW_CURVE_SERVER);
    setenv("TRAINWATCH_CURVE_SECRET", "nonsense", 1);
    assert_int_equal(resolve(&c, "tcp://127.0.0.1:0", NULL, NULL, -1, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "TRAINWATCH_CURVE_SECRET: 'nonsense' is neither"));
    unsetenv("TRAINWATCH_CURVE_SECRET");

    /* connecting: the server's public key makes a client, with a fresh pair of its own */
    assert_int_equal(resolve(&c, ">tcp://10.0.0.1:5555", NULL, pub.z85, -1, err, sizeof err), 0);
    assert_int_equal(c.curve, TW_CURVE_CLIENT);
    assert_string_equal(c.curve_server.z85, pub.z85);
    tw_curve_key derived;
    assert_int_equal(tw_curve_public_of(&c.curve_secret, &derived), 0);
    assert_string_equal(derived.z85, c.curve_public.z85);
    /* ... or with its own secret key */
    assert_int_equal(resolve(&c, ">tcp://10.0.0.1:5555", sec.z85, pub.z85, -1, err, sizeof err), 0);
    assert_string_equal(c.curve_public.z85, pub.z85);
    /* a secret key alone cannot connect with CURVE: say what is missing */
    assert_int_equal(resolve(&c, ">tcp://10.0.0.1:5555", sec.z85, NULL, -1, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "needs the monitor's public key"));
    /* connecting in clear stays allowed (the listening side decides) */
    assert_int_equal(resolve(&c, ">tcp://10.0.0.1:5555", NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(c.curve, TW_CURVE_NONE);
    /* a bad server key */
    assert_int_equal(resolve(&c, ">tcp://10.0.0.1:5555", NULL, "short", -1, err, sizeof err),
                     -ENOENT);
    assert_non_null(strstr(err, "curve_server_key"));
}

/* Receives one message within ms milliseconds; its size, or -1. */
static int
recv_within(void *sock, int ms)
{
    char buf[65536];
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&it, 1, ms) <= 0)
        return -1;
    return zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT);
}

/* A subscriber to endpoint with CURVE server key `server` (NULL: none). */
static void *
subscriber(void *ctx, const char *endpoint, const char *server)
{
    void *s = zmq_socket(ctx, ZMQ_SUB);
    assert_non_null(s);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (server) {
        tw_curve_key pub, sec;
        assert_int_equal(tw_curve_keypair(&pub, &sec), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 40), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub.z85, 40), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec.z85, 40), 0);
    }
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

static void
test_round_trip(void **state)
{
    (void)state;
    tw_curve_key pub, sec, wpub, wsec;
    assert_int_equal(tw_curve_keypair(&pub, &sec), 0);
    assert_int_equal(tw_curve_keypair(&wpub, &wsec), 0);
    char text[128];
    snprintf(text, sizeof text, "%s\n", sec.z85);
    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = "tcp://127.0.0.1:0";
    o.curve_secret_key = write_file("pub.key", text, 0600);
    o.log_dir = "off";
    o.heartbeat_ms = 50;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    void *ctx = zmq_ctx_new();
    void *good = subscriber(ctx, tw_publisher_endpoint(p), pub.z85);
    void *wrong = subscriber(ctx, tw_publisher_endpoint(p), wpub.z85);
    void *clear = subscriber(ctx, tw_publisher_endpoint(p), NULL);
    assert_true(recv_within(good, 5000) > 0); /* the replay, then heartbeats */
    assert_int_equal(recv_within(wrong, 500), -1);
    assert_int_equal(recv_within(clear, 100), -1);
    zmq_close(good);
    zmq_close(wrong);
    zmq_close(clear);
    zmq_ctx_term(ctx);
    tw_publisher_destroy(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),      cmocka_unit_test(test_load),
        cmocka_unit_test(test_exposed),    cmocka_unit_test(test_config_rules),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
