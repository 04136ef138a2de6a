/* rank_worker.c - one rank of a synthetic data-parallel job, for the many-ranks e2e test.
 *
 * The job's data is fixed: sample i (0 <= i < SAMPLES) of epoch e has a label and a score
 * derived from (e, i) by a hash. Rank r of W takes the samples with i % W == r, in batches of
 * 5 + 3 * r samples (so ranks see different batch sizes and counts), and publishes
 * BinaryAccuracy, BinaryCrossentropy and AUC through libtrainwatch (RANK, WORLD_SIZE,
 * TRAINWATCH_ENDPOINT and TRAINWATCH_RUN come from the environment).
 * With --expect it computes instead, in this one process, the global value of every metric
 * for every epoch over all samples, and prints "metric epoch value stderr" lines: what an
 * exact merge of the ranks must give (the standard error too: it comes from the merged
 * state). --epochs N (default 3) sets the number of epochs, --delay-ms MS a pause after each
 * epoch (so that a monitor can join a run in progress). With RANK_WORKER_STALL=R:E:S in the
 * environment, rank R sleeps S seconds before it closes epoch E (its publisher keeps sending
 * heartbeats): a lagging rank. --seed S (default 0) changes the data, so that two jobs have
 * values of their own. --fork-child forks once the publisher exists; the child destroys its
 * copy and exits normally, as a data-loader worker would. RANK_WORKER_ACC_ARGS gives
 * BinaryAccuracy Keras arguments ("threshold=0.7"). */
#define _POSIX_C_SOURCE 200809L
#include "trainwatch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLES    997
#define EPOCHS     3
#define MAX_EPOCHS 1000

static uint64_t
mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static void
sample(long seed, int epoch, int i, float *label, float *score)
{
    uint64_t h = mix((uint64_t)epoch * 1000003u + (uint64_t)i + (uint64_t)seed * 0x9e3779b97f4aull);
    *label = (float)(h & 1);
    /* scores lean towards the label, more so each epoch */
    float u = (float)((h >> 11) % 10000) / 10000.0f;
    float lean = 0.15f * (float)epoch;
    *score = *label > 0 ? u * (1 - lean) + lean : u * (1 - lean);
}

/* A whole decimal number in [lo, hi]. */
static bool
parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static const char *const names[3] = {"accuracy", "loss", "auc"};
static const tw_metric_kind kinds[3] = {TW_METRIC_BINARY_ACCURACY, TW_METRIC_BINARY_CROSSENTROPY,
                                        TW_METRIC_AUC};

int
main(int argc, char **argv)
{
    bool expect = false, fork_child = false;
    long epochs = EPOCHS, delay_ms = 0, seed = 0;
    for (int i = 1; i < argc; i++) {
        bool ok = true;
        if (strcmp(argv[i], "--expect") == 0)
            expect = true;
        else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            ok = parse_long(argv[++i], 1, MAX_EPOCHS, &epochs);
        else if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc)
            ok = parse_long(argv[++i], 0, 60000, &delay_ms);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            ok = parse_long(argv[++i], 0, 1000000, &seed);
        else if (strcmp(argv[i], "--fork-child") == 0)
            fork_child = true;
        else
            ok = false;
        if (!ok) {
            fprintf(stderr,
                    "usage: rank_worker [--expect] [--epochs 1-%d] [--delay-ms 0-60000] [--seed S] "
                    "[--fork-child]\n",
                    MAX_EPOCHS);
            return 2;
        }
    }
    int rank = 0, world = 1;
    if (!expect) {
        const char *r = getenv("RANK"), *w = getenv("WORLD_SIZE");
        rank = r ? atoi(r) : 0;
        world = w ? atoi(w) : 1;
        if (world < 1 || rank < 0 || rank >= world) {
            fprintf(stderr, "rank_worker: bad RANK/WORLD_SIZE\n");
            return 2;
        }
    }
    tw_metric *m[3];
    for (int k = 0; k < 3; k++)
        m[k] = tw_metric_new(kinds[k], NULL);
    const char *acc_args = getenv("RANK_WORKER_ACC_ARGS");
    if (acc_args) { /* BinaryAccuracy's Keras arguments ("threshold=0.7"), in the run log too */
        tw_metric_destroy(&m[0]);
        if (!(m[0] = tw_metric_new_opts(kinds[0], acc_args))) {
            fprintf(stderr, "rank_worker: RANK_WORKER_ACC_ARGS '%s' refused\n", acc_args);
            return 2;
        }
    }
    tw_publisher *p = NULL;
    if (!expect) {
        p = tw_publisher_new(NULL);
        if (!p) {
            perror("rank_worker: tw_publisher_new");
            return 1;
        }
        for (int k = 0; k < 3; k++)
            tw_publisher_track(p, m[k], names[k], TW_SPLIT_TRAIN);
        if (fork_child) {
            pid_t child = fork();
            if (child == 0) { /* the child's copy: destroyed, then a normal exit */
                tw_publisher_destroy(&p);
#ifdef __SANITIZE_ADDRESS__
                /* LeakSanitizer's check at exit locks the allocator, whose lock another thread
                 * of the parent may have held at the fork: the child then waits forever (seen
                 * in CI, 2 runs in 60 under ASan). The library registers no exit handler. */
                _exit(0);
#endif
                exit(0);
            }
            if (child < 0 || waitpid(child, NULL, 0) != child) {
                perror("rank_worker: fork");
                return 1;
            }
        }
        struct timespec connect = {0, 300 * 1000 * 1000}; /* the connection comes up */
        nanosleep(&connect, NULL);
    }
    int stall_rank = -1, stall_epoch = 0, stall_s = 0;
    const char *stall = getenv("RANK_WORKER_STALL");
    if (stall && sscanf(stall, "%d:%d:%d", &stall_rank, &stall_epoch, &stall_s) != 3) {
        fprintf(stderr, "rank_worker: RANK_WORKER_STALL: expected RANK:EPOCH:SECONDS\n");
        return 2;
    }
    const int batch = 5 + 3 * rank;
    float yt[64], yp[64];
    for (int e = 1; e <= (int)epochs; e++) {
        int n = 0;
        for (int i = rank; i < SAMPLES; i += expect ? 1 : world) {
            sample(seed, e, i, &yt[n], &yp[n]);
            if (++n == (expect ? 64 : batch) || i + (expect ? 1 : world) >= SAMPLES) {
                for (int k = 0; k < 3; k++)
                    tw_metric_update_state(m[k], yt, yp, NULL, (size_t)n, 1);
                if (p)
                    tw_publisher_step(p);
                n = 0;
            }
        }
        if (expect) {
            for (int k = 0; k < 3; k++) {
                printf("%s %d %.17g %.17g\n", names[k], e, tw_metric_result(m[k]),
                       tw_metric_stderr(m[k]));
                tw_metric_reset_state(m[k]);
            }
        } else {
            if (rank == stall_rank && e == stall_epoch) {
                struct timespec lag = {stall_s, 0};
                nanosleep(&lag, NULL);
            }
            tw_publisher_epoch_end(p);
            struct timespec pause = {delay_ms / 1000, (delay_ms % 1000) * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    tw_publisher_destroy(&p);
    for (int k = 0; k < 3; k++)
        tw_metric_destroy(&m[k]);
    return 0;
}
