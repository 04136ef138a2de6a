/* replay_storm.c - the two sides of a subscription storm, for e2e/replay_storm.sh.
 *
 *   replay_storm train SECONDS   a publisher (TRAINWATCH_ENDPOINT and friends from the
 *                                environment) with EPOCHS epochs of history made at once, then
 *                                a light training loop for SECONDS; prints "replays N cpu_ms M"
 *                                (its replays and the CPU time of the whole process)
 *   replay_storm storm ENDPOINT SECONDS
 *                                subscribes and unsubscribes in a loop for SECONDS, as a hostile
 *                                local user would; prints "subscriptions N bytes B"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <trainwatch.h>
#include <zmq.h>

#define EPOCHS 200 /* epochs of history before the storm */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Trains EPOCHS epochs at once (the history a replay sends), then one step every 5 ms. */
static int
train(double seconds)
{
    const char *names[3] = {"loss", "accuracy", "loss"};
    tw_metric_kind kinds[3] = {TW_METRIC_BINARY_CROSSENTROPY, TW_METRIC_BINARY_ACCURACY,
                               TW_METRIC_BINARY_CROSSENTROPY};
    tw_metric *m[3];
    tw_publisher *p = tw_publisher_new(NULL);
    if (!p) {
        perror("replay_storm: tw_publisher_new");
        return 1;
    }
    for (int k = 0; k < 3; k++) {
        m[k] = tw_metric_new(kinds[k], NULL);
        tw_publisher_track(p, m[k], names[k], k == 0 ? TW_SPLIT_TRAIN : TW_SPLIT_VAL);
    }
    const float yt[4] = {0, 1, 1, 0}, yp[4] = {0.2f, 0.7f, 0.6f, 0.4f};
    for (int e = 0; e < EPOCHS; e++) {
        for (int s = 0; s < 4; s++) {
            for (int k = 0; k < 3; k++)
                tw_metric_update_state(m[k], yt, yp, NULL, 4, 1);
            tw_publisher_step(p);
        }
        tw_publisher_epoch_end(p);
        for (int k = 0; k < 3; k++)
            tw_metric_reset_state(m[k]);
    }
    printf("ready %s\n", tw_publisher_endpoint(p));
    fflush(stdout);
    double end = now_s() + seconds;
    struct timespec pause = {0, 5 * 1000 * 1000};
    while (now_s() < end) {
        tw_metric_update_state(m[0], yt, yp, NULL, 4, 1);
        tw_publisher_step(p);
        nanosleep(&pause, NULL);
    }
    tw_publisher_stats st = tw_publisher_get_stats(p);
    tw_publisher_destroy(&p);
    for (int k = 0; k < 3; k++)
        tw_metric_destroy(&m[k]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    printf("replays %llu cpu_ms %ld\n", st.replays, cpu_ms);
    return 0;
}

/* Subscribes, reads what comes within 500 ms until 5 ms of quiet, closes; again. */
static int
storm(const char *endpoint, double seconds)
{
    void *ctx = zmq_ctx_new();
    unsigned long n = 0;
    unsigned long long bytes = 0;
    double end = now_s() + seconds;
    char buf[1 << 16];
    while (now_s() < end) {
        void *s = zmq_socket(ctx, ZMQ_SUB);
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
        zmq_connect(s, endpoint);
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
        int wait = 500;
        while (zmq_poll(&it, 1, wait) > 0) {
            int r = zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT);
            if (r > 0)
                bytes += (unsigned long long)r;
            wait = 5;
        }
        zmq_close(s);
        n++;
    }
    zmq_ctx_term(ctx);
    printf("subscriptions %lu bytes %llu\n", n, bytes);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "train") == 0)
        return train(atof(argv[2]));
    if (argc == 4 && strcmp(argv[1], "storm") == 0)
        return storm(argv[2], atof(argv[3]));
    fprintf(stderr, "usage: replay_storm train SECONDS | storm ENDPOINT SECONDS\n");
    return 2;
}
