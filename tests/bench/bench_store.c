/* bench_store.c - the monitor store's ingest rate and memory per series, beside the targets.
 *
 * Ingest: UPDATE records of a Mean from 8 ranks in lockstep (cumulative states, an EPOCH and
 * EPOCH_END per rank every 1000 steps), merged into the store on one core: (a) records handed
 * to tw_store_ingest already decoded, (b) the same stream encoded in 1024-record messages and
 * decoded with tw_wire_decode into the store (the monitor's whole path after the socket).
 * Median of the repetitions, each on a fresh store.
 *
 * Epoch end: the time the store takes for an epoch's end from 256 ranks x 50 Means (their EPOCH
 * records and EPOCH_ENDs; information).
 *
 * Memory: one Mean series fed by one rank for 1 k, 100 k and 10 M steps; the series' bytes and
 * the whole store's must not grow with the run's length. */
#include "clock.h"
#include "store.h"
#include "wire.h"

#include "bench_summary.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RANKS       8
#define STEPS       250000 /* per rank: 2 M records a repetition for (a) */
#define DEC_STEPS   125000 /* per rank: 1 M records for (b) */
#define EPOCH_STEPS 1000
#define REPS        5
#define TARGET      1e6

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double
uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void
header(tw_wire_header *h, uint32_t rank)
{
    memset(h, 0, sizeof *h);
    h->version = 1;
    snprintf(h->run, sizeof h->run, "bench");
    h->incarnation = 1000 + rank;
    h->rank = rank;
    h->world = RANKS;
}

static tw_wire_record
metric_record(void)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_METRIC;
    r.seq = 1;
    r.metric_id = 0;
    snprintf(r.name, sizeof r.name, "loss");
    r.kind = TW_METRIC_MEAN;
    r.options = tw_metric_defaults();
    r.state_len = 2;
    return r;
}

/* Generates the records of `steps` steps of `ranks` ranks, in order, calling fn for each. */
typedef int (*emit_fn)(void *ctx, const tw_wire_header *h, const tw_wire_record *r);

static uint64_t
generate(uint32_t ranks, uint64_t steps, emit_fn fn, void *ctx)
{
    tw_wire_header h[RANKS];
    double st[RANKS][2];
    uint64_t seq[RANKS], n = 0;
    for (uint32_t k = 0; k < ranks; k++) {
        header(&h[k], k);
        h[k].world = ranks;
        tw_wire_record m = metric_record();
        fn(ctx, &h[k], &m);
        seq[k] = 1;
        st[k][0] = st[k][1] = 0;
        n++;
    }
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.state_len = 2;
    for (uint64_t step = 1; step <= steps; step++) {
        uint64_t epoch = (step - 1) / EPOCH_STEPS + 1;
        for (uint32_t k = 0; k < ranks; k++) {
            st[k][0] += 32.0 * (0.5 + 0.1 * uniform());
            st[k][1] += 32.0;
            r.type = TW_REC_UPDATE;
            r.seq = ++seq[k];
            r.epoch = epoch;
            r.step = step;
            r.time = 1.7e9 + (double)step * 0.01;
            r.state = st[k];
            fn(ctx, &h[k], &r);
            n++;
            if (step % EPOCH_STEPS == 0) {
                r.type = TW_REC_EPOCH;
                r.seq = ++seq[k];
                fn(ctx, &h[k], &r);
                tw_wire_record e;
                memset(&e, 0, sizeof e);
                e.type = TW_REC_EPOCH_END;
                e.seq = ++seq[k];
                e.epoch = epoch;
                e.step = step;
                e.time = r.time;
                e.metrics = 1;
                fn(ctx, &h[k], &e);
                st[k][0] = st[k][1] = 0;
                n += 2;
            }
        }
    }
    return n;
}

static int
to_store(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    int rc = tw_store_ingest(ctx, h, r, 1.7e9);
    return rc == -ENOMEM ? rc : 0;
}

/* ---- pre-encoded messages for (b) ------------------------------------------------------- */

typedef struct encoded {
    tw_wire_encoder *enc[RANKS];
    tw_wire_header h[RANKS];
    uint8_t *buf;
    size_t len, cap;
    size_t *offs; /* message k: buf[offs[k] .. offs[k+1]) */
    size_t n_msgs, cap_msgs;
} encoded;

static void
flush_rank(encoded *e, uint32_t k)
{
    if (tw_wire_encoder_count(e->enc[k]) == 0)
        return;
    const uint8_t *data;
    size_t len;
    if (tw_wire_encoder_finish(e->enc[k], &data, &len) != 0)
        exit(1);
    if (e->len + len > e->cap) {
        e->cap = 2 * (e->len + len);
        e->buf = realloc(e->buf, e->cap);
    }
    if (e->n_msgs + 2 > e->cap_msgs) {
        e->cap_msgs = e->cap_msgs ? 2 * e->cap_msgs : 1024;
        e->offs = realloc(e->offs, e->cap_msgs * sizeof(size_t));
    }
    if (!e->buf || !e->offs)
        exit(1);
    memcpy(e->buf + e->len, data, len);
    e->offs[e->n_msgs++] = e->len;
    e->len += len;
    e->offs[e->n_msgs] = e->len;
    tw_wire_encoder_begin(e->enc[k], &e->h[k]);
}

static int
to_encoder(void *ctx, const tw_wire_header *h, const tw_wire_record *r)
{
    encoded *e = ctx;
    uint32_t k = h->rank;
    if (tw_wire_encoder_count(e->enc[k]) == 1024)
        flush_rank(e, k);
    if (tw_wire_encoder_add(e->enc[k], r) != 0)
        exit(1);
    return 0;
}

static void
report(const char *what, const char *name, double *rates)
{
    bench_sort(rates, REPS);
    double med = rates[REPS / 2];
    printf("  %-44s %8.2f M/s  (%.2f..%.2f)   target >= %.0f M/s  %.2fx%s\n", what, med / 1e6,
           rates[0] / 1e6, rates[REPS - 1] / 1e6, TARGET / 1e6, med / TARGET,
           med < TARGET ? "  MISSED" : "");
    bench_summary(name, med / 1e6, "M rec/s", BENCH_AT_LEAST, TARGET / 1e6, ">= 1 M/s",
                  rates[0] / 1e6, rates[REPS - 1] / 1e6);
}

/* ---- an epoch's end at 256 ranks (information) -------------------------------------------- */

#define END_RANKS   256
#define END_METRICS 50
#define END_EPOCHS  6

/* One record of rank k's stream into the store: its type, metric, epoch and state. */
static void
end_record(tw_store *s, tw_wire_header *h, uint64_t *seq, tw_record_type type, uint32_t metric,
           uint64_t epoch, double *state)
{
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.seq = ++*seq;
    r.metric_id = metric;
    r.epoch = epoch;
    r.step = epoch * 10;
    r.time = 1.7e9 + (double)epoch;
    r.state = state;
    r.state_len = state ? 2 : 0;
    r.metrics = type == TW_REC_EPOCH_END ? END_METRICS : 0;
    tw_store_ingest(s, h, &r, 1.7e9);
}

/* The store's time to take an epoch's end from 256 ranks x 50 Means (each rank's 50 EPOCH
 * records and its EPOCH_END, as bench_scale's ranks send them): the median over epochs 2..6. */
static double
epoch_end_ms(void)
{
    static tw_wire_header h[END_RANKS];
    static double st[END_RANKS][END_METRICS][2];
    static uint64_t seq[END_RANKS];
    double ms[END_EPOCHS - 1];
    tw_store *s = tw_store_new(NULL);
    if (!s)
        return NAN;
    memset(st, 0, sizeof st);
    for (uint32_t k = 0; k < END_RANKS; k++) {
        header(&h[k], k);
        h[k].world = END_RANKS;
        seq[k] = 0;
        for (uint32_t m = 0; m < END_METRICS; m++) {
            tw_wire_record r = metric_record();
            r.seq = ++seq[k];
            r.metric_id = m;
            snprintf(r.name, sizeof r.name, "m%02u", m);
            tw_store_ingest(s, &h[k], &r, 1.7e9);
        }
    }
    for (uint64_t e = 1; e <= END_EPOCHS; e++) {
        for (uint32_t k = 0; k < END_RANKS; k++)
            for (uint32_t m = 0; m < END_METRICS; m++) {
                st[k][m][0] += 1.0 + m + 0.01 * k;
                st[k][m][1] += 1.0;
                end_record(s, &h[k], &seq[k], TW_REC_UPDATE, m, e, st[k][m]);
            }
        double t0 = tw_clock_mono();
        for (uint32_t k = 0; k < END_RANKS; k++) {
            for (uint32_t m = 0; m < END_METRICS; m++)
                end_record(s, &h[k], &seq[k], TW_REC_EPOCH, m, e, st[k][m]);
            end_record(s, &h[k], &seq[k], TW_REC_EPOCH_END, 0, e, NULL);
            memset(st[k], 0, sizeof st[k]);
        }
        if (e > 1)
            ms[e - 2] = (tw_clock_mono() - t0) * 1e3;
    }
    const tw_store_series *se = tw_store_find_series(tw_store_run_at(s, 0), "m00", TW_SPLIT_TRAIN);
    bool ok = se && se->n_points == END_EPOCHS && se->points[END_EPOCHS - 1].final;
    tw_store_destroy(&s);
    bench_sort(ms, END_EPOCHS - 1);
    return ok ? ms[(END_EPOCHS - 1) / 2] : NAN;
}

int
main(void)
{
    printf("store ingest: UPDATE records of a Mean from %d ranks, one core, median of %d\n", RANKS,
           REPS);
    double rates[REPS];
    double check = 0;
    for (int rep = 0; rep < REPS; rep++) {
        tw_store *s = tw_store_new(NULL);
        if (!s)
            return 1;
        double t0 = tw_clock_mono();
        uint64_t n = generate(RANKS, STEPS, to_store, s);
        double dt = tw_clock_mono() - t0;
        rates[rep] = (double)n / dt;
        const tw_store_series *se =
            tw_store_find_series(tw_store_run_at(s, 0), "loss", TW_SPLIT_TRAIN);
        if (!se || se->n_points != STEPS / EPOCH_STEPS || !se->points[0].final)
            return 1;
        check += se->latest_value;
        tw_store_destroy(&s);
    }
    report("(a) decoded records into the store", "store ingest, records", rates);

    encoded e;
    memset(&e, 0, sizeof e);
    for (uint32_t k = 0; k < RANKS; k++) {
        header(&e.h[k], k);
        e.enc[k] = tw_wire_encoder_new();
        if (!e.enc[k])
            return 1;
        tw_wire_encoder_begin(e.enc[k], &e.h[k]);
    }
    uint64_t n_dec = generate(RANKS, DEC_STEPS, to_encoder, &e);
    for (uint32_t k = 0; k < RANKS; k++) {
        flush_rank(&e, k);
        tw_wire_encoder_destroy(&e.enc[k]);
    }
    tw_wire_decoder *d = tw_wire_decoder_new();
    if (!d)
        return 1;
    for (int rep = 0; rep < REPS; rep++) {
        tw_store *s = tw_store_new(NULL);
        if (!s)
            return 1;
        double t0 = tw_clock_mono();
        for (size_t m = 0; m < e.n_msgs; m++)
            if (tw_wire_decode(d, e.buf + e.offs[m], e.offs[m + 1] - e.offs[m], to_store, s) != 0)
                return 1;
        double dt = tw_clock_mono() - t0;
        rates[rep] = (double)n_dec / dt;
        check += tw_store_run_at(s, 0)->counters.records;
        if (tw_store_run_at(s, 0)->counters.records != n_dec)
            return 1;
        tw_store_destroy(&s);
    }
    char what[64];
    snprintf(what, sizeof what, "(b) decoded (%zu messages) and merged", e.n_msgs);
    report(what, "store ingest, decode + merge", rates);
    tw_wire_decoder_destroy(&d);
    free(e.buf);
    free(e.offs);

    double end_ms = epoch_end_ms();
    printf("store: an epoch's end from %d ranks x %d Means (EPOCH records, EPOCH_END): %.2f ms\n",
           END_RANKS, END_METRICS, end_ms);
    if (isnan(end_ms))
        return 1;
    bench_summary("store: an epoch's end, 256 ranks x 50 Means", end_ms, "ms", BENCH_INFO, NAN, "-",
                  NAN, NAN);

    printf("store memory, one Mean series of one rank (1024 buckets); target: flat\n");
    printf("  %-12s %14s %14s\n", "steps", "series bytes", "store bytes");
    const uint64_t marks[3] = {1000, 100000, 10000000};
    tw_store *s = tw_store_new(NULL);
    if (!s)
        return 1;
    tw_wire_header h;
    header(&h, 0);
    h.world = 1;
    tw_wire_record m = metric_record();
    tw_store_ingest(s, &h, &m, 0);
    const tw_store_series *se = tw_store_find_series(tw_store_run_at(s, 0), "loss", 0);
    tw_wire_record r;
    memset(&r, 0, sizeof r);
    r.type = TW_REC_UPDATE;
    r.state_len = 2;
    double st[2] = {0, 0};
    r.state = st;
    r.epoch = 1;
    size_t first = 0, last = 0;
    for (uint64_t step = 1, k = 0; k < 3; step++) {
        st[0] += uniform();
        st[1] += 1;
        r.seq = step + 1;
        r.step = step;
        r.time = (double)step;
        tw_store_ingest(s, &h, &r, 0);
        if (step == marks[k]) {
            size_t b = tw_store_series_bytes(se);
            printf("  %-12llu %14zu %14zu\n", (unsigned long long)step, b, tw_store_bytes(s));
            if (k == 0)
                first = b;
            last = b;
            k++;
        }
    }
    printf("  growth from 1 k to 10 M steps: %zu bytes%s\n", last - first,
           last == first ? " (flat)" : "  MISSED");
    printf("  keeping every point instead (x, y as 2 doubles): %.0f MB at 10 M steps\n",
           10e6 * 16 / 1e6);
    bench_summary("store series bytes at 10 M steps", (double)last, "bytes", BENCH_INFO, 0, "-",
                  NAN, NAN);
    bench_summary("store series growth 1 k -> 10 M steps", (double)(last - first), "bytes",
                  BENCH_AT_MOST, 0, "0 (flat)", NAN, NAN);
    tw_store_destroy(&s);
    if (check < 0)
        puts("impossible");
    return 0;
}
