/* bench_jsonl.c - the --jsonl writer's cost per loop pass against the run's length.
 *
 * A synthetic run of 20 Mean metrics from one rank, E epochs (E = 250, 1000, 4000, 25 000: 5 k,
 * 20 k, 80 k and 500 k epoch points), fed as the monitor feeds it: every record to tw_jsonl_record,
 * then to tw_store_ingest, into a tw_jsonl writing to /dev/null. After one tw_jsonl_epochs pass has
 * written everything, it times (a) an idle pass (nothing new: what the loop pays on every
 * timer tick) and (b) one more epoch's records and the pass that writes its 20 values. Medians
 * of up to REPS repetitions (fewer when one takes long), in the thread's CPU time; an idle pass is
 * timed over as many passes as fill a millisecond. Targets: an idle pass is flat in the run's
 * length (the 80 k / 5 k and 500 k / 5 k ratios at most 2), and so are one more epoch's pass and
 * the first pass's cost per point (500 k / 5 k at most 2): --jsonl stays linear in the run's
 * length. */
#include "clock.h"
#include "headless.h"
#include "store.h"
#include "wire.h"

#include "bench_summary.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define METRICS 20
#define REPS    9
#define BUDGET  4.0 /* seconds of repetitions per figure, at most (at least 3 reps) */

/* One run being fed: the writer, the store, the rank's next seq and the next epoch. */
typedef struct feed {
    tw_store *store;
    tw_jsonl *jsonl;
    tw_wire_header h;
    uint64_t seq, epoch;
} feed;

static void
deliver(feed *f, const tw_wire_record *r)
{
    tw_jsonl_record(f->jsonl, &f->h, r);
    if (tw_store_ingest(f->store, &f->h, r, 1.7e9) < 0) {
        fprintf(stderr, "bench_jsonl: ingest failed\n");
        exit(1);
    }
}

static void
declare(feed *f)
{
    for (uint32_t m = 0; m < METRICS; m++) {
        tw_wire_record r;
        memset(&r, 0, sizeof r);
        r.type = TW_REC_METRIC;
        r.seq = ++f->seq;
        r.metric_id = m;
        snprintf(r.name, sizeof r.name, "metric_%02u", m);
        r.split = m % 2 ? TW_SPLIT_VAL : TW_SPLIT_TRAIN;
        r.kind = TW_METRIC_MEAN;
        r.options = tw_metric_defaults();
        r.state_len = 2;
        deliver(f, &r);
    }
}

/* One epoch: an UPDATE and an EPOCH per metric, then EPOCH_END. */
static void
one_epoch(feed *f)
{
    uint64_t e = ++f->epoch;
    double st[2] = {0.5 * (double)e + 1.0, 2.0};
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.state_len = 2;
    r.state = st;
    r.epoch = e;
    r.step = 100 * e;
    r.time = 1.7e9 + (double)e;
    for (uint32_t m = 0; m < METRICS; m++) {
        r.metric_id = m;
        st[0] += 1.0;
        r.type = TW_REC_UPDATE;
        r.seq = ++f->seq;
        deliver(f, &r);
        r.type = TW_REC_EPOCH;
        r.seq = ++f->seq;
        deliver(f, &r);
    }
    tw_wire_record end;
    memset(&end, 0, sizeof end);
    end.type = TW_REC_EPOCH_END;
    end.seq = ++f->seq;
    end.epoch = e;
    end.step = r.step;
    end.time = r.time;
    end.metrics = METRICS;
    deliver(f, &end);
}

/* The median of `n` timings, and their spread. */
static double
median(double *t, int n, double *lo, double *hi)
{
    bench_sort(t, (size_t)n);
    *lo = t[0];
    *hi = t[n - 1];
    return t[n / 2];
}

/* Builds a run of `epochs` epochs and times its idle and incremental passes (seconds). */
/* This thread's CPU time in seconds: on a machine shared with other work, wall time counts
 * the waits for a core too, and at 500 k points they hid the figure. */
static double
cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double first_pass; /* the last measure's first pass, seconds */

static void
measure(uint64_t epochs, FILE *out, double *idle, double *idle_lo, double *idle_hi, double *incr,
        double *incr_lo, double *incr_hi)
{
    feed f;
    memset(&f, 0, sizeof f);
    f.store = tw_store_new(NULL);
    f.jsonl = tw_jsonl_new(out);
    if (!f.store || !f.jsonl) {
        fprintf(stderr, "bench_jsonl: out of memory\n");
        exit(1);
    }
    snprintf(f.h.run, sizeof f.h.run, "bench-jsonl");
    f.h.version = 1;
    f.h.incarnation = 1;
    f.h.rank = 0;
    f.h.world = 1;
    declare(&f);
    for (uint64_t e = 0; e < epochs; e++)
        one_epoch(&f);
    double t0 = cpu_now();
    tw_jsonl_epochs(f.jsonl, f.store, false); /* writes everything */
    double first = cpu_now() - t0;
    first_pass = first;

    double t[REPS], spent = 0;
    int n = 0;
    while (n < REPS && (n < 3 || spent < BUDGET)) {
        /* as many passes as fill 1 ms (at least 64: the CPU clock is a system call), over
         * their count */
        long passes = 0;
        double dt;
        t0 = cpu_now();
        do {
            for (int k = 0; k < 64; k++)
                tw_jsonl_epochs(f.jsonl, f.store, false);
            passes += 64;
        } while ((dt = cpu_now() - t0) < 1e-3);
        t[n] = dt / (double)passes;
        spent += dt;
        n++;
    }
    *idle = median(t, n, idle_lo, idle_hi);

    spent = 0;
    n = 0;
    while (n < REPS && (n < 3 || spent < BUDGET)) {
        t0 = cpu_now();
        one_epoch(&f);
        tw_jsonl_epochs(f.jsonl, f.store, false);
        t[n] = cpu_now() - t0;
        spent += t[n++];
    }
    *incr = median(t, n, incr_lo, incr_hi);
    printf("  %6llu points: first pass %9.3f ms, idle pass %10.3f us, one more epoch %10.3f us\n",
           (unsigned long long)(epochs * METRICS), first * 1e3, *idle * 1e6, *incr * 1e6);
    tw_jsonl_destroy(&f.jsonl);
    tw_store_destroy(&f.store);
}

int
main(void)
{
    FILE *out = fopen("/dev/null", "w");
    if (!out) {
        perror("bench_jsonl: /dev/null");
        return 1;
    }
    static const uint64_t sizes[] = {250, 1000, 4000, 25000};
    static const char *const names[] = {"5k", "20k", "80k", "500k"};
    double idle[4], incrs[4], per_point[4];
    printf("bench_jsonl: --jsonl writer, %d metrics x E epochs, one rank\n", METRICS);
    for (int i = 0; i < 4; i++) {
        double lo, hi, incr, ilo, ihi;
        measure(sizes[i], out, &idle[i], &lo, &hi, &incr, &ilo, &ihi);
        incrs[i] = incr;
        per_point[i] = first_pass / (double)(sizes[i] * METRICS);
        char name[64];
        snprintf(name, sizeof name, "jsonl idle pass, %s points", names[i]);
        bench_summary(name, idle[i] * 1e6, "us", BENCH_INFO, 0, "", lo * 1e6, hi * 1e6);
        snprintf(name, sizeof name, "jsonl one epoch (20 values), %s points", names[i]);
        bench_summary(name, incr * 1e6, "us", BENCH_INFO, 0, "", ilo * 1e6, ihi * 1e6);
    }
    bench_summary("jsonl idle pass 80k / 5k", idle[2] / idle[0], "x", BENCH_AT_MOST, 2.0,
                  "<= 2 (flat)", NAN, NAN);
    bench_summary("jsonl idle pass 500k / 5k", idle[3] / idle[0], "x", BENCH_AT_MOST, 2.0,
                  "<= 2 (flat)", NAN, NAN);
    bench_summary("jsonl one epoch 500k / 5k", incrs[3] / incrs[0], "x", BENCH_AT_MOST, 2.0,
                  "<= 2 (flat)", NAN, NAN);
    bench_summary("jsonl first pass per point, 500k", per_point[3] * 1e9, "ns", BENCH_INFO, 0, "",
                  NAN, NAN);
    bench_summary("jsonl first pass per point 500k / 5k", per_point[3] / per_point[0], "x",
                  BENCH_AT_MOST, 2.0, "<= 2 (linear)", NAN, NAN);
    fclose(out);
    return 0;
}
