/* feed.c - a steady stream of one series' values at a given rate, for comparing monitors.
 *
 *   feed RATE SECONDS ENDPOINT   publishes a tracked Mean "value" (one update and one step a
 *                                value) on ENDPOINT (tcp://127.0.0.1:PORT) for trainwatch
 *   feed RATE SECONDS -          prints the same values to stdout, one a line, for ttyplot
 *
 * The values are the same either way (a noisy decaying curve, seeded alike), paced on absolute
 * times in bursts of 1 ms, so that both tools get the same stream. Not a benchmark by itself:
 * tests/bench/bench_ttyplot.sh drives it. With a publisher it waits WAIT seconds (env
 * FEED_WAIT, default 1) before the first value so that the monitor is connected, and after
 * the last it stays alive until killed (heartbeats only), so that the monitor's idle cost after
 * the stream is not an exit. */
#define _GNU_SOURCE
#include "trainwatch.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
sleep_until(double t)
{
    double d = t - now_s();
    if (d <= 0)
        return;
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s RATE SECONDS ENDPOINT|-\n", argv[0]);
        return 2;
    }
    double rate = atof(argv[1]), seconds = atof(argv[2]);
    bool to_stdout = strcmp(argv[3], "-") == 0;
    if (!(rate > 0) || !(seconds > 0)) {
        fprintf(stderr, "feed: RATE and SECONDS must be positive\n");
        return 2;
    }
    tw_publisher *pub = NULL;
    tw_metric *m = NULL;
    if (!to_stdout) {
        tw_publisher_options o = tw_publisher_defaults();
        o.endpoint = argv[3];
        o.run_name = "feed";
        o.log_dir = "off";
        pub = tw_publisher_new(&o);
        m = tw_metric_new(TW_METRIC_MEAN, NULL);
        if (!pub || !m || tw_publisher_track(pub, m, "value", TW_SPLIT_TRAIN) < 0) {
            fprintf(stderr, "feed: cannot publish on %s\n", argv[3]);
            return 1;
        }
        tw_publisher_set_plan(pub, 1, (uint64_t)(rate * seconds));
        const char *w = getenv("FEED_WAIT");
        sleep_until(now_s() + (w ? atof(w) : 1.0));
    }
    uint64_t n = (uint64_t)(rate * seconds), i = 0, rng = 0x9e3779b97f4a7c15ull;
    double t0 = now_s();
    while (i < n) {
        uint64_t due = (uint64_t)((now_s() - t0) * rate) + 1;
        for (; i < n && i < due; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            double noise = (double)(rng >> 11) / 9007199254740992.0 - 0.5;
            double v = 100.0 * exp(-(double)i / (double)n * 3.0) + 10.0 + 5.0 * noise;
            if (to_stdout) {
                printf("%.3f\n", v);
            } else {
                tw_metric_update_scalar(m, v, 1);
                tw_publisher_step(pub);
            }
        }
        if (to_stdout)
            fflush(stdout);
        double next = t0 + (double)i / rate, soonest = now_s() + 0.001;
        sleep_until(next > soonest ? next : soonest);
    }
    if (to_stdout)
        return 0;
    for (;;)
        pause(); /* killed by the driver */
}
