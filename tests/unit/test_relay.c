/* test_relay.c - `trainwatch relay` (monitor/relay.h) over real sockets: tw_relay_main runs in
 * a child process between a real publisher and SUB sockets; forwarding, late-join replay
 * through it, a clean stop on SIGTERM, and refused arguments. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "relay.h"
#include "trainwatch.h"
#include "wire.h"
#include "tmpdir.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* A subscriber that decodes what it receives. */
typedef struct sub {
    void *ctx, *sock;
    tw_wire_decoder *dec;
    uint64_t records, max_epoch, epoch_recs, run_ends;
    char run[TW_WIRE_MAX_NAME + 1];
} sub;

static int
on_record(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    sub *s = ctx;
    s->records++;
    if (r->type == TW_REC_EPOCH_END && r->epoch > s->max_epoch)
        s->max_epoch = r->epoch;
    if (r->type == TW_REC_EPOCH)
        s->epoch_recs++;
    if (r->type == TW_REC_RUN_END)
        s->run_ends++;
    snprintf(s->run, sizeof s->run, "%s", h->run);
    return 0;
}

static void
sub_open(sub *s, const char *endpoint)
{
    memset(s, 0, sizeof(*s));
    s->ctx = zmq_ctx_new();
    s->sock = zmq_socket(s->ctx, ZMQ_SUB);
    s->dec = tw_wire_decoder_new();
    assert_non_null(s->sock);
    assert_non_null(s->dec);
    int zero = 0;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "", 0), 0);
    assert_int_equal(zmq_connect(s->sock, endpoint), 0);
}

static void
sub_close(sub *s)
{
    zmq_close(s->sock);
    zmq_ctx_term(s->ctx);
    tw_wire_decoder_destroy(&s->dec);
}

static double
mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Receives and decodes for up to ms, or until s has seen epoch `epoch` (0: for ms). */
static void
sub_pump(sub *s, uint64_t epoch, int ms)
{
    double end = mono() + ms / 1000.0;
    while (mono() < end && (epoch == 0 || s->max_epoch < epoch)) {
        zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 20) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        while (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) >= 0)
            assert_int_equal(
                tw_wire_decode(s->dec, zmq_msg_data(&m), zmq_msg_size(&m), on_record, s), 0);
        zmq_msg_close(&m);
    }
}

/* Runs tw_relay_main on a copy of args (mutable, as main's argv is); returns its status. */
static int
relay_run(int argc, const char *const *args)
{
    char *argv[16];
    assert_true(argc < 16);
    for (int i = 0; i < argc; i++)
        argv[i] = strdup(args[i]);
    argv[argc] = NULL;
    char *keep[16];
    memcpy(keep, argv, sizeof keep); /* tw_relay_main replaces argv[0] */
    optind = 0;                      /* getopt starts over */
    int status = tw_relay_main(argc, argv);
    for (int i = 0; i < argc; i++)
        free(keep[i]);
    return status;
}

/* Starts the relay IN -> OUT in a child process, its output into tmp_root/relay.out, and waits
 * until OUT's socket file exists. */
static pid_t
relay_start(const char *in, const char *out, const char *out_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char log[600];
        snprintf(log, sizeof log, "%s/relay.out", tmp_root);
        if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
            _exit(99);
        const char *args[] = {"relay", in, out};
        _exit(relay_run(3, args));
    }
    for (int i = 0; i < 500 && access(out_path, F_OK) != 0; i++)
        usleep(10 * 1000);
    assert_int_equal(access(out_path, F_OK), 0);
    return pid;
}

/* Stops the relay with SIGTERM; returns its exit status (fails after 10 s). */
static int
relay_stop(pid_t pid)
{
    assert_int_equal(kill(pid, SIGTERM), 0);
    int st = 0;
    for (int i = 0; i < 1000; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fail_msg("the relay did not stop on SIGTERM");
    return -1;
}

/* The relay's output so far. */
static void
relay_output(char *buf, size_t len)
{
    char log[600];
    snprintf(log, sizeof log, "%s/relay.out", tmp_root);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    size_t got = fread(buf, 1, len - 1, f);
    buf[got] = '\0';
    fclose(f);
}

/* One publisher connects into IN; a monitor at OUT receives its epochs through the relay; a
 * second monitor joining after them gets the history replayed; SIGTERM stops the relay with
 * status 0 and its statistics. */
static void
test_forward_and_late_join(void **state)
{
    (void)state;
    char in[600], out[600], out_path[600], pub_ep[700];
    snprintf(in, sizeof in, "ipc://%s/in.sock", tmp_root);
    snprintf(out, sizeof out, "ipc://%s/out.sock", tmp_root);
    snprintf(out_path, sizeof out_path, "%s/out.sock", tmp_root);
    snprintf(pub_ep, sizeof pub_ep, ">%s", in);
    pid_t relay = relay_start(in, out, out_path);

    sub first;
    sub_open(&first, out);
    tw_publisher_options o = tw_publisher_defaults();
    o.run_name = "relayed";
    o.endpoint = pub_ep;
    o.log_dir = "off";
    o.heartbeat_ms = 100;
    tw_publisher *p = tw_publisher_new(&o);
    assert_non_null(p);
    sub_pump(&first, 0, 500); /* the subscription travels OUT -> IN -> publisher */
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    assert_int_equal(tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN), 0);
    for (int e = 1; e <= 3; e++) {
        for (int i = 0; i < 20; i++) {
            tw_metric_update_scalar(m, 1.0 / (i + e), 1);
            tw_publisher_step(p);
        }
        tw_publisher_epoch_end(p);
    }
    sub_pump(&first, 3, 5000);
    assert_int_equal(first.max_epoch, 3);
    assert_int_equal(first.epoch_recs, 3);
    assert_string_equal(first.run, tw_publisher_run_id(p));

    sub late;
    sub_open(&late, out); /* joins after the three epochs */
    sub_pump(&late, 3, 5000);
    assert_int_equal(late.max_epoch, 3);
    assert_true(late.epoch_recs >= 3);
    /* one per monitor; a replay is counted once all of it is sent, so the late monitor may
     * hold it all a moment before the count moves */
    double counted = mono() + 5;
    while (tw_publisher_get_stats(p).replays < 2 && mono() < counted)
        usleep(10 * 1000);
    assert_true(tw_publisher_get_stats(p).replays >= 2);

    tw_publisher_destroy(&p);
    double end = mono() + 5;
    while (first.run_ends == 0 && mono() < end)
        sub_pump(&first, 0, 50);
    assert_int_equal(first.run_ends, 1);
    sub_close(&first);
    sub_close(&late);
    tw_metric_destroy(&m);

    assert_int_equal(relay_stop(relay), 0);
    char text[4096];
    relay_output(text, sizeof text);
    assert_non_null(strstr(text, "trainwatch relay: IN bound ipc://"));
    assert_non_null(strstr(text, "messages"));
    assert_non_null(strstr(text, "forwarded from IN to OUT"));
}

/* Arguments refused before anything is opened: status 2 (help: 0). */
static void
test_bad_arguments(void **state)
{
    (void)state;
    static const char *const one[] = {"relay", "ipc:///tmp/x.sock"};
    assert_int_equal(relay_run(2, one), 2);
    static const char *const none[] = {"relay"};
    assert_int_equal(relay_run(1, none), 2);
    static const char *const inproc[] = {"relay", "inproc://a", "ipc:///tmp/tw-relay-b.sock"};
    assert_int_equal(relay_run(3, inproc), 2);
    static const char *const scheme[] = {"relay", "udp://a:1", "ipc:///tmp/tw-relay-b.sock"};
    assert_int_equal(relay_run(3, scheme), 2);
    static const char *const twice[] = {"relay", "ipc:///tmp/tw-relay-a.sock",
                                        "ipc:///tmp/tw-relay-a.sock"};
    assert_int_equal(relay_run(3, twice), 2);
    static const char *const exposed[] = {"relay", "tcp://0.0.0.0:0", "tcp://127.0.0.1:0"};
    assert_int_equal(relay_run(3, exposed), 2);
    static const char *const option[] = {"relay", "--no-such-option", "ipc://a", "ipc://b"};
    assert_int_equal(relay_run(4, option), 2);
    static const char *const badkey[] = {"relay", "--key", "/nonexistent/x.key", "ipc://a",
                                         "ipc://b"};
    assert_int_equal(relay_run(5, badkey), 2);
    static const char *const help[] = {"relay", "--help"};
    assert_int_equal(relay_run(2, help), 0);
}

static int
setup_tmp(void **state)
{
    (void)state;
    return tmpdir_make("relay", true);
}

static int
teardown_tmp(void **state)
{
    (void)state;
    return tmpdir_remove();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_forward_and_late_join),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
