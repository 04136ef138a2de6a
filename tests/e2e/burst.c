/* burst.c - a trainer that steps far faster than its publisher can send (a 64-record queue, no
 * pause), so that per-step records are dropped at the full queue and the run log records the
 * steps that lost them (GAP records): for the end-to-end test of how the monitor shows them.
 * Usage: burst LOG_DIR [EPOCHS [STEPS_PER_EPOCH]]  (defaults 3 and 50000); the run is "burst",
 * its metric a Mean "loss" of the values 1/(step + 1). It pauses 300 ms after each epoch (the
 * queue drains), so that the first steps of every epoch get through and the rest are dropped.
 * Prints "dropped N" (the publisher's count) and exits 0, or 1 with a message. */
#include "trainwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: burst LOG_DIR [EPOCHS [STEPS_PER_EPOCH]]\n");
        return 1;
    }
    long epochs = argc > 2 ? atol(argv[2]) : 3, steps = argc > 3 ? atol(argv[3]) : 50000;
    tw_publisher_options o = tw_publisher_defaults();
    o.log_dir = argv[1];
    o.run_name = "burst";
    o.ring_capacity = 64;
    tw_publisher *p = tw_publisher_new(&o);
    tw_metric *m = tw_metric_new(TW_METRIC_MEAN, NULL);
    if (!p || !m || tw_publisher_track(p, m, "loss", TW_SPLIT_TRAIN) != 0) {
        fprintf(stderr, "burst: cannot publish\n");
        return 1;
    }
    long step = 0;
    for (long e = 0; e < epochs; e++) {
        for (long i = 0; i < steps; i++, step++) {
            float v = 1.0f / (float)(step + 1);
            if (tw_metric_update_values(m, &v, NULL, 1, 1) != 0 || tw_publisher_step(p) != 0) {
                fprintf(stderr, "burst: update failed at step %ld\n", step);
                return 1;
            }
        }
        if (tw_publisher_epoch_end(p) != 0) {
            fprintf(stderr, "burst: epoch end failed\n");
            return 1;
        }
        nanosleep(&(struct timespec){0, 300000000L}, NULL);
    }
    tw_publisher_stats st = tw_publisher_get_stats(p);
    tw_publisher_destroy(&p);
    tw_metric_destroy(&m);
    printf("dropped %llu\n", (unsigned long long)st.dropped);
    return 0;
}
