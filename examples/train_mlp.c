/* train_mlp.c - example: a small neural network that overfits, trained and watched live. */

/* A one-hidden-layer perceptron (tanh hidden units, sigmoid output) learns to tell two
 * interleaved half-moons apart. Each input is a point of the plane plus eight dimensions of
 * pure noise; the training set is small and a fifth of its labels are flipped, while the
 * validation set is large and clean. The network first learns the moons, then spends its
 * spare capacity memorising the flipped labels through the noise dimensions: the validation
 * loss bottoms out after about ten epochs and climbs while the training loss keeps falling.
 * Everything is computed for real (Adam on the crossentropy) from a seeded generator, so a
 * seed always gives the same curves.
 *
 * The lines that talk to trainwatch are marked "trainwatch:"; the rest is plain C. */
#include "trainwatch.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIGNAL_INPUTS 2 /* the point on the plane */
#define NOISE_INPUTS  8 /* standard normal dimensions that carry no information */
#define INPUTS        (SIGNAL_INPUTS + NOISE_INPUTS)
#define VAL_SAMPLES   2000 /* clean validation samples, by default */
#define EVAL_CHUNK    256  /* validation samples per metric update */
#define POINT_NOISE   0.1  /* standard deviation of the points around their moon */
#define INIT_STDDEV   0.5  /* of the hidden layer's initial weights */
#define PI            3.14159265358979323846

/* Limits of the command-line values. */
#define MAX_EPOCHS   100000
#define MAX_HIDDEN   4096
#define MAX_TRAIN    1000000
#define MAX_DELAY_MS 60000

#define STR_(x) #x
#define STR(x)  STR_(x) /* the value of macro x as a string literal */

/* The signal that asked us to stop, 0 while none did. */
static volatile sig_atomic_t stop_signal;

typedef struct config {
    const char *prog; /* our name, for messages */
    unsigned long epochs;
    size_t hidden;
    double lr;
    size_t batch;
    uint64_t seed;
    double noise; /* fraction of training labels flipped */
    size_t train; /* training samples */
    size_t val;   /* validation samples */
    double l2;    /* weight decay: l2 * w added to the gradient of every weight (not biases) */
    long delay_ms;
    bool quiet;
    const char *checkpoint; /* --checkpoint FILE, or NULL */
} config;

/* splitmix64: a small, fast, seedable generator, identical on every platform. */
typedef struct rng {
    uint64_t s;
} rng;

/* A labelled data set: n rows of INPUTS doubles, n labels 0 or 1. */
typedef struct dataset {
    size_t n;
    double *x;
    float *y;
} dataset;

/* The network, its gradient and Adam's moment estimates, all as flat parameter vectors laid
 * out as W1[hidden][INPUTS], b1[hidden], w2[hidden], b2. */
typedef struct mlp {
    size_t hidden;
    size_t nparams;
    double *w;
    double *grad;
    double *m;
    double *v;
    double *act; /* one sample's hidden activations */
    unsigned long t;
} mlp;

/* ---------------------------------------------------------------------------------------- */
/* Random numbers and data                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* The next 64 random bits. */
static uint64_t
rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double
rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* A standard normal deviate (Box-Muller; the second deviate is thrown away for simplicity). */
static double
rng_normal(rng *r)
{
    double u = 1.0 - rng_uniform(r); /* (0, 1]: log(u) is finite */
    return sqrt(-2.0 * log(u)) * cos(2.0 * PI * rng_uniform(r));
}

/* Fills `ds` with n points of two interleaved half-moons (centred on the origin, about 3
 * wide) followed by NOISE_INPUTS noise values each; flips each label with probability
 * `flip`. Returns 0 or -ENOMEM; the caller frees with dataset_fini() in both cases. */
static int
dataset_init(dataset *ds, size_t n, double flip, rng *r)
{
    ds->n = n;
    ds->x = malloc(n * INPUTS * sizeof(*ds->x));
    ds->y = malloc(n * sizeof(*ds->y));
    if (!ds->x || !ds->y)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int label = (int)(rng_next(r) >> 63);
        double t = PI * rng_uniform(r);
        double *x = ds->x + i * INPUTS;
        /* the upper moon arches over (0, 0), the lower one, upside down, over (1, 0.5) */
        x[0] = (label ? 1.0 - cos(t) : cos(t)) - 0.5 + POINT_NOISE * rng_normal(r);
        x[1] = (label ? 0.5 - sin(t) : sin(t)) - 0.25 + POINT_NOISE * rng_normal(r);
        for (size_t j = SIGNAL_INPUTS; j < INPUTS; j++)
            x[j] = rng_normal(r);
        if (rng_uniform(r) < flip)
            label = 1 - label;
        ds->y[i] = (float)label;
    }
    return 0;
}

/* Frees the data set's arrays. */
static void
dataset_fini(dataset *ds)
{
    free(ds->x);
    free(ds->y);
    ds->x = NULL;
    ds->y = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* The network                                                                              */
/* ---------------------------------------------------------------------------------------- */

/* Allocates the network and draws its weights (normal; the biases start at zero). Returns 0 or
 * -ENOMEM; the caller frees with mlp_fini() in both cases. */
static int
mlp_init(mlp *net, size_t hidden, rng *r)
{
    memset(net, 0, sizeof(*net));
    net->hidden = hidden;
    net->nparams = hidden * INPUTS + 2 * hidden + 1;
    net->w = calloc(net->nparams, sizeof(double));
    net->grad = calloc(net->nparams, sizeof(double));
    net->m = calloc(net->nparams, sizeof(double));
    net->v = calloc(net->nparams, sizeof(double));
    net->act = calloc(hidden, sizeof(double));
    if (!net->w || !net->grad || !net->m || !net->v || !net->act)
        return -ENOMEM;
    double s2 = 1.0 / sqrt((double)hidden);
    for (size_t i = 0; i < hidden * INPUTS; i++)
        net->w[i] = INIT_STDDEV * rng_normal(r);
    double *w2 = net->w + hidden * INPUTS + hidden;
    for (size_t k = 0; k < hidden; k++)
        w2[k] = s2 * rng_normal(r);
    return 0;
}

/* Frees the network's arrays. */
static void
mlp_fini(mlp *net)
{
    free(net->w);
    free(net->grad);
    free(net->m);
    free(net->v);
    free(net->act);
    memset(net, 0, sizeof(*net));
}

/* The predicted probability of class 1 for input x; leaves the hidden activations in
 * net->act for mlp_backward(). */
static double
mlp_forward(mlp *net, const double *x)
{
    size_t h = net->hidden;
    const double *w1 = net->w;
    const double *b1 = w1 + h * INPUTS;
    const double *w2 = b1 + h;
    double z = w2[h];
    for (size_t k = 0; k < h; k++) {
        double s = b1[k];
        for (size_t j = 0; j < INPUTS; j++)
            s += w1[k * INPUTS + j] * x[j];
        net->act[k] = tanh(s);
        z += w2[k] * net->act[k];
    }
    return 1.0 / (1.0 + exp(-z));
}

/* Adds to net->grad the gradient of `scale` times the crossentropy of the sample whose
 * forward pass mlp_forward() just did (input x, prediction p, label y). */
static void
mlp_backward(mlp *net, const double *x, double p, double y, double scale)
{
    size_t h = net->hidden;
    const double *w2 = net->w + h * INPUTS + h;
    double *g1 = net->grad;
    double *gb1 = g1 + h * INPUTS;
    double *g2 = gb1 + h;
    double dz = (p - y) * scale; /* d loss / d logit for a sigmoid + crossentropy */
    g2[h] += dz;
    for (size_t k = 0; k < h; k++) {
        double a = net->act[k];
        g2[k] += dz * a;
        double dk = dz * w2[k] * (1.0 - a * a);
        gb1[k] += dk;
        for (size_t j = 0; j < INPUTS; j++)
            g1[k * INPUTS + j] += dk * x[j];
    }
}

/* One Adam step of size lr along net->grad. */
static void
mlp_adam(mlp *net, double lr)
{
    const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    net->t++;
    double c1 = 1.0 - pow(beta1, (double)net->t);
    double c2 = 1.0 - pow(beta2, (double)net->t);
    for (size_t i = 0; i < net->nparams; i++) {
        double g = net->grad[i];
        net->m[i] = beta1 * net->m[i] + (1.0 - beta1) * g;
        net->v[i] = beta2 * net->v[i] + (1.0 - beta2) * g * g;
        net->w[i] -= lr * (net->m[i] / c1) / (sqrt(net->v[i] / c2) + eps);
    }
}

/* Trains on the n samples of `ds` listed in idx: writes their labels to y_true and the
 * predictions made before the update to y_pred (what Keras's metrics see), then takes one
 * Adam step on the batch's mean crossentropy plus l2 / 2 times the squared weights. */
static void
train_batch(mlp *net, const dataset *ds, const size_t *idx, size_t n, double lr, double l2,
            float *y_true, float *y_pred)
{
    memset(net->grad, 0, net->nparams * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        const double *x = ds->x + idx[i] * INPUTS;
        double p = mlp_forward(net, x);
        y_true[i] = ds->y[idx[i]];
        y_pred[i] = (float)p;
        mlp_backward(net, x, p, ds->y[idx[i]], 1.0 / (double)n);
    }
    if (l2 > 0.0) {
        size_t h = net->hidden, w1 = h * INPUTS, w2 = w1 + h; /* W1, then b1, then w2 */
        for (size_t i = 0; i < net->nparams - 1; i++)
            if (i < w1 || i >= w2)
                net->grad[i] += l2 * net->w[i];
    }
    mlp_adam(net, lr);
}

/* Predicts every sample of `ds` and feeds the predictions to the `nm` metrics. The scratch
 * buffers hold EVAL_CHUNK floats. */
static void
evaluate(mlp *net, const dataset *ds, tw_metric *const *metrics, size_t nm, float *y_true,
         float *y_pred)
{
    for (size_t start = 0; start < ds->n; start += EVAL_CHUNK) {
        size_t n = ds->n - start < EVAL_CHUNK ? ds->n - start : EVAL_CHUNK;
        for (size_t i = 0; i < n; i++) {
            y_true[i] = ds->y[start + i];
            y_pred[i] = (float)mlp_forward(net, ds->x + (start + i) * INPUTS);
        }
        for (size_t k = 0; k < nm; k++)
            tw_metric_update_state(metrics[k], y_true, y_pred, NULL, n, 1);
    }
}

/* Resets the `n` metrics, as an epoch end does. */
static void
reset_metrics(tw_metric *const *metrics, size_t n)
{
    for (size_t k = 0; k < n; k++)
        tw_metric_reset_state(metrics[k]);
}

/* Fisher-Yates shuffle of idx[0..n). */
static void
shuffle(size_t *idx, size_t n, rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(r) % i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Command line, signals, diagnostics                                                       */
/* ---------------------------------------------------------------------------------------- */

static void
usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [OPTION]...\n"
            "Trains a small neural network on noisy two-moons data until it overfits, and\n"
            "publishes its learning curves to the trainwatch monitor.\n"
            "\n"
            "  --epochs N     epochs to train (default 60)\n"
            "  --hidden N     hidden units (default 64)\n"
            "  --lr X         Adam learning rate, in (0, 10] (default 0.005)\n"
            "  --batch N      mini-batch size, at most the training set (default 16)\n"
            "  --seed N       seed of the data, the initial weights and the shuffles (default 1)\n"
            "  --noise X      fraction of training labels flipped, in [0, 0.5) (default 0.2)\n"
            "  --train N      training samples, 2 or more (default 300)\n"
            "  --val N        clean validation samples, 2 or more (default %d)\n"
            "  --l2 X         weight decay on the weights, in [0, 10] (default 0)\n"
            "  --delay-ms N   sleep N ms after every step, to watch it live (default 0)\n"
            "  --checkpoint FILE\n"
            "                 save the training state to FILE after every epoch; when FILE\n"
            "                 exists, resume from it (same options) and publish the run as a\n"
            "                 continuation: it joins the earlier run of its name, epochs\n"
            "                 from where it stopped\n"
            "  --quiet        print nothing but errors\n"
            "  --help         this text\n"
            "\n"
            "The publisher reads TRAINWATCH_ENDPOINT, TRAINWATCH_RUN and TRAINWATCH_LOG_DIR\n"
            "(\"off\": no run log). Exit status: 0 done, 2 bad usage, 1 failure, 130/143\n"
            "interrupted by SIGINT/SIGTERM.\n",
            prog, VAL_SAMPLES);
}

/* The name to sign messages with: argv[0] without its directory. */
static const char *
program_name(const char *argv0)
{
    if (!argv0 || !*argv0)
        return "train_mlp";
    const char *slash = strrchr(argv0, '/');
    return slash && slash[1] ? slash + 1 : argv0;
}

/* Parses a whole decimal integer in [lo, hi] into *out. Returns false on anything else. */
static bool
parse_ulong(const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s)) /* strtoull would accept spaces and a minus sign */
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Parses a whole finite number in [lo, hi] (lo excluded when open_lo, hi excluded when
 * open_hi) into *out. Returns false on anything else. */
static bool
parse_double(const char *s, double lo, bool open_lo, double hi, bool open_hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    if (v < lo || (open_lo && v == lo) || v > hi || (open_hi && v == hi))
        return false;
    *out = v;
    return true;
}

/* Fills *c from the command line. Returns -1 to go on, else the exit status (0 after --help,
 * 2 after a usage error, reported on stderr). */
static int
parse_args(int argc, char **argv, config *c)
{
    enum {
        OPT_EPOCHS = 256,
        OPT_HIDDEN,
        OPT_LR,
        OPT_BATCH,
        OPT_SEED,
        OPT_NOISE,
        OPT_TRAIN,
        OPT_VAL,
        OPT_L2,
        OPT_DELAY,
        OPT_CHECKPOINT,
        OPT_QUIET,
        OPT_HELP
    };
    static const struct option longopts[] = {
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"hidden", required_argument, NULL, OPT_HIDDEN},
        {"lr", required_argument, NULL, OPT_LR},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"seed", required_argument, NULL, OPT_SEED},
        {"noise", required_argument, NULL, OPT_NOISE},
        {"train", required_argument, NULL, OPT_TRAIN},
        {"val", required_argument, NULL, OPT_VAL},
        {"l2", required_argument, NULL, OPT_L2},
        {"delay-ms", required_argument, NULL, OPT_DELAY},
        {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *prog = program_name(argv[0]);
    *c = (config){.prog = prog,
                  .epochs = 60,
                  .hidden = 64,
                  .lr = 0.005,
                  .batch = 16,
                  .seed = 1,
                  .noise = 0.2,
                  .train = 300,
                  .val = VAL_SAMPLES,
                  .l2 = 0.0,
                  .delay_ms = 0,
                  .quiet = false};
    bool batch_given = false;
    int opt, li = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, &li)) != -1) {
        unsigned long long u = 0;
        bool ok = true;
        const char *want = NULL;
        switch (opt) {
        case OPT_EPOCHS:
            ok = parse_ulong(optarg, 1, MAX_EPOCHS, &u);
            c->epochs = (unsigned long)u;
            want = "an integer from 1 to " STR(MAX_EPOCHS);
            break;
        case OPT_HIDDEN:
            ok = parse_ulong(optarg, 1, MAX_HIDDEN, &u);
            c->hidden = (size_t)u;
            want = "an integer from 1 to " STR(MAX_HIDDEN);
            break;
        case OPT_LR:
            ok = parse_double(optarg, 0.0, true, 10.0, false, &c->lr);
            want = "a number in (0, 10]";
            break;
        case OPT_BATCH:
            ok = parse_ulong(optarg, 1, MAX_TRAIN, &u);
            c->batch = (size_t)u;
            batch_given = true;
            want = "an integer from 1 to the training set size";
            break;
        case OPT_SEED:
            ok = parse_ulong(optarg, 0, UINT64_MAX, &u);
            c->seed = (uint64_t)u;
            want = "a non-negative integer";
            break;
        case OPT_NOISE:
            ok = parse_double(optarg, 0.0, false, 0.5, true, &c->noise);
            want = "a number in [0, 0.5)";
            break;
        case OPT_TRAIN:
            ok = parse_ulong(optarg, 2, MAX_TRAIN, &u);
            c->train = (size_t)u;
            want = "an integer from 2 to " STR(MAX_TRAIN);
            break;
        case OPT_VAL:
            ok = parse_ulong(optarg, 2, MAX_TRAIN, &u);
            c->val = (size_t)u;
            want = "an integer from 2 to " STR(MAX_TRAIN);
            break;
        case OPT_L2:
            ok = parse_double(optarg, 0.0, false, 10.0, false, &c->l2);
            want = "a number in [0, 10]";
            break;
        case OPT_DELAY:
            ok = parse_ulong(optarg, 0, MAX_DELAY_MS, &u);
            c->delay_ms = (long)u;
            want = "an integer from 0 to " STR(MAX_DELAY_MS);
            break;
        case OPT_CHECKPOINT:
            ok = *optarg != '\0';
            c->checkpoint = optarg;
            want = "a file name";
            break;
        case OPT_QUIET:
            c->quiet = true;
            break;
        case OPT_HELP:
            usage(stdout, prog);
            return 0;
        default: /* getopt_long has said what is wrong */
            fprintf(stderr, "Try '%s --help'.\n", prog);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "%s: --%s: expected %s, got '%s'\n", prog, longopts[li].name, want,
                    optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help'.\n", prog, argv[optind],
                prog);
        return 2;
    }
    if (c->batch > c->train && !batch_given) {
        c->batch = c->train;
    } else if (c->batch > c->train) {
        fprintf(stderr, "%s: --batch %zu is larger than the training set (--train %zu)\n", prog,
                c->batch, c->train);
        return 2;
    }
    return -1;
}

static void
on_signal(int sig)
{
    stop_signal = sig;
}

/* Routes SIGINT and SIGTERM to on_signal, without SA_RESTART so that a sleep ends early.
 * Returns 0 or -errno. */
static int
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -errno;
    return 0;
}

/* Sleeps ms milliseconds, or less when a signal arrives. */
static void
sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The publisher's diagnostics, on stderr; ctx is the config (--quiet drops the "info" ones).
 * Thread-safe: strerror_r, and fprintf locks the stream. */
static void
print_diag(void *ctx, tw_log_level level, int err, const char *message)
{
    static const char *const names[] = {"error", "warning", "info"};
    const config *c = ctx;
    if (c->quiet && level == TW_LOG_INFO)
        return;
    char reason[128] = "";
    if (err && strerror_r(err, reason, sizeof(reason)) != 0)
        snprintf(reason, sizeof(reason), "error %d", err);
    fprintf(stderr, "%s: trainwatch %s: %s%s%s\n", c->prog,
            (unsigned)level <= TW_LOG_INFO ? names[level] : "?", message, err ? ": " : "", reason);
}

/* ---------------------------------------------------------------------------------------- */
/* The training loop                                                                        */
/* ---------------------------------------------------------------------------------------- */

/* ---------------------------------------------------------------------------------------- */
/* Checkpoints                                                                              */
/* ---------------------------------------------------------------------------------------- */

/* What resuming needs to go on exactly as if the run had not stopped: after this header, the
 * weights and Adam's two moments (nparams doubles each) and the shuffle order (train
 * uint64s). Native byte order: a checkpoint is read back on the machine that wrote it. */
typedef struct ckpt_head {
    char magic[8];
    uint64_t hidden, nparams, train, batch, seed;
    uint64_t epoch; /* epochs done */
    uint64_t step;  /* steps done */
    uint64_t rng, adam_t, best_epoch;
    double best;
} ckpt_head;

static const char CKPT_MAGIC[8] = "TWMLPCK1";

/* Writes the state after `epoch` to path (through path.tmp and a rename: a crash leaves the
 * previous checkpoint). Returns 0, or -1 with a message on stderr. */
static int
checkpoint_save(const config *c, const mlp *net, const size_t *idx, const ckpt_head *h)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->checkpoint);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(h, sizeof *h, 1, f) == 1 &&
              fwrite(net->w, sizeof(double), net->nparams, f) == net->nparams &&
              fwrite(net->m, sizeof(double), net->nparams, f) == net->nparams &&
              fwrite(net->v, sizeof(double), net->nparams, f) == net->nparams;
    for (size_t i = 0; ok && i < c->train; i++) {
        uint64_t k = idx[i];
        ok = fwrite(&k, sizeof k, 1, f) == 1;
    }
    ok = f && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, c->checkpoint) != 0) {
        fprintf(stderr, "%s: cannot write checkpoint %s: %s\n", c->prog, c->checkpoint,
                strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Reads c->checkpoint into net, idx and h. Returns 1 when loaded, 0 when there is no such
 * file, -1 (a message on stderr) when it cannot be used. */
static int
checkpoint_load(const config *c, mlp *net, size_t *idx, ckpt_head *h)
{
    FILE *f = fopen(c->checkpoint, "rb");
    if (!f && errno == ENOENT)
        return 0;
    const char *why = NULL;
    if (!f)
        why = strerror(errno);
    else if (fread(h, sizeof *h, 1, f) != 1 || memcmp(h->magic, CKPT_MAGIC, 8) != 0)
        why = "not a train_mlp checkpoint";
    else if (h->hidden != net->hidden || h->nparams != net->nparams || h->train != c->train ||
             h->batch != c->batch || h->seed != c->seed)
        why = "written with other --hidden, --train, --batch or --seed";
    else if (h->epoch >= c->epochs)
        why = "its run already did every epoch of --epochs";
    else if (fread(net->w, sizeof(double), net->nparams, f) != net->nparams ||
             fread(net->m, sizeof(double), net->nparams, f) != net->nparams ||
             fread(net->v, sizeof(double), net->nparams, f) != net->nparams)
        why = "truncated";
    for (size_t i = 0; !why && i < c->train; i++) {
        uint64_t k;
        if (fread(&k, sizeof k, 1, f) != 1 || k >= c->train)
            why = "truncated or corrupt";
        else
            idx[i] = (size_t)k;
    }
    if (f)
        fclose(f);
    if (why) {
        fprintf(stderr, "%s: cannot resume from %s: %s\n", c->prog, c->checkpoint, why);
        return -1;
    }
    net->t = (unsigned long)h->adam_t;
    return 1;
}

int
main(int argc, char **argv)
{
    config cfg;
    int status = parse_args(argc, argv, &cfg);
    if (status >= 0)
        return status;
    const char *prog = cfg.prog;
    status = 1;

    rng r = {cfg.seed};
    dataset train = {0}, val = {0};
    mlp net = {0};
    size_t *idx = malloc(cfg.train * sizeof(*idx));
    size_t nbuf = cfg.batch > EVAL_CHUNK ? cfg.batch : EVAL_CHUNK;
    float *y_true = malloc(nbuf * sizeof(*y_true));
    float *y_pred = malloc(nbuf * sizeof(*y_pred));
    tw_metric *loss = tw_metric_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    tw_metric *acc = tw_metric_new(TW_METRIC_BINARY_ACCURACY, NULL);
    tw_metric *val_loss = tw_metric_new(TW_METRIC_BINARY_CROSSENTROPY, NULL);
    tw_metric *val_acc = tw_metric_new(TW_METRIC_BINARY_ACCURACY, NULL);
    tw_metric *val_auc = tw_metric_new(TW_METRIC_AUC, NULL);
    tw_publisher *pub = NULL;
    if (!idx || !y_true || !y_pred || !loss || !acc || !val_loss || !val_acc || !val_auc ||
        dataset_init(&train, cfg.train, cfg.noise, &r) != 0 ||
        dataset_init(&val, cfg.val, 0.0, &r) != 0 || mlp_init(&net, cfg.hidden, &r) != 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }
    for (size_t i = 0; i < cfg.train; i++)
        idx[i] = i;
    int err = install_signals();
    if (err != 0) {
        fprintf(stderr, "%s: sigaction: %s\n", prog, strerror(-err));
        goto done;
    }
    size_t steps = (cfg.train + cfg.batch - 1) / cfg.batch;
    char seed[24];
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)cfg.seed);

    /* trainwatch: a publisher (endpoint and run log from the environment), what to plot. */
    tw_publisher_options po = tw_publisher_defaults();
    po.on_diag = print_diag;
    po.diag_ctx = &cfg;
    pub = tw_publisher_new(&po);
    if (!pub)
        fprintf(stderr, "%s: not publishing (%s); training anyway\n", prog, strerror(errno));
    tw_publisher_track(pub, loss, "loss", TW_SPLIT_TRAIN);
    tw_publisher_track(pub, acc, "accuracy", TW_SPLIT_TRAIN);
    tw_publisher_track(pub, val_loss, "loss", TW_SPLIT_VAL);
    tw_publisher_track(pub, val_acc, "accuracy", TW_SPLIT_VAL);
    tw_publisher_track(pub, val_auc, "auc", TW_SPLIT_VAL);
    tw_publisher_set_plan(pub, cfg.epochs, steps);
    /* trainwatch: the hyperparameters the monitor shows. */
    tw_publisher_set_param(pub, "model", "mlp, tanh hidden layer, sigmoid output");
    tw_publisher_set_param(pub, "optimizer", "adam");
    tw_publisher_set_param_number(pub, "hidden_units", (double)cfg.hidden);
    tw_publisher_set_param_number(pub, "lr", cfg.lr);
    tw_publisher_set_param_number(pub, "batch_size", (double)cfg.batch);
    tw_publisher_set_param(pub, "seed", seed);
    tw_publisher_set_param_number(pub, "label_noise", cfg.noise);
    tw_publisher_set_param_number(pub, "train_samples", (double)cfg.train);
    if (cfg.val != VAL_SAMPLES)
        tw_publisher_set_param_number(pub, "val_samples", (double)cfg.val);
    if (cfg.l2 > 0.0)
        tw_publisher_set_param_number(pub, "l2", cfg.l2);

    if (!cfg.quiet) {
        printf("%s: MLP %d-%zu-1 on %zu two-moons points (%.0f%% labels flipped), %zu clean for "
               "validation; adam lr %g, batch %zu, seed %s\n",
               prog, INPUTS, cfg.hidden, cfg.train, 100.0 * cfg.noise, cfg.val, cfg.lr, cfg.batch,
               seed);
        if (pub)
            printf("%s: publishing run %s on %s%s%s\n", prog, tw_publisher_run_id(pub),
                   tw_publisher_endpoint(pub), *tw_publisher_log_path(pub) ? ", log " : "",
                   tw_publisher_log_path(pub));
        fflush(stdout);
    }

    double best = INFINITY;
    unsigned long best_epoch = 0, first_epoch = 1;
    unsigned long long step_count = 0;
    if (cfg.checkpoint) {
        ckpt_head h;
        int rc = checkpoint_load(&cfg, &net, idx, &h);
        if (rc < 0)
            goto done;
        if (rc > 0) {
            first_epoch = (unsigned long)h.epoch + 1;
            step_count = h.step;
            r.s = h.rng;
            best = h.best;
            best_epoch = (unsigned long)h.best_epoch;
            /* trainwatch: the same run goes on from here (a restart mark, not a new run). */
            tw_publisher_resume(pub, first_epoch, step_count);
            if (!cfg.quiet)
                printf("%s: resuming from %s at epoch %lu\n", prog, cfg.checkpoint, first_epoch);
        }
    }
    for (unsigned long epoch = first_epoch; epoch <= cfg.epochs && !stop_signal; epoch++) {
        shuffle(idx, cfg.train, &r);
        for (size_t s = 0; s < steps && !stop_signal; s++) {
            size_t start = s * cfg.batch;
            size_t n = cfg.train - start < cfg.batch ? cfg.train - start : cfg.batch;
            train_batch(&net, &train, idx + start, n, cfg.lr, cfg.l2, y_true, y_pred);
            /* trainwatch: updating a tracked metric publishes it; then count the step. */
            tw_metric_update_state(loss, y_true, y_pred, NULL, n, 1);
            tw_metric_update_state(acc, y_true, y_pred, NULL, n, 1);
            tw_publisher_gauge(pub, "lr", TW_SPLIT_TRAIN, cfg.lr);
            tw_publisher_step(pub);
            step_count++;
            if (cfg.delay_ms > 0 && !stop_signal)
                sleep_ms(cfg.delay_ms);
        }
        if (stop_signal)
            break;
        tw_metric *const vm[] = {val_loss, val_acc, val_auc};
        evaluate(&net, &val, vm, sizeof(vm) / sizeof(vm[0]), y_true, y_pred);
        double vl = tw_metric_result(val_loss);
        if (vl < best) {
            best = vl;
            best_epoch = epoch;
        }
        if (!cfg.quiet) {
            printf("epoch %3lu/%lu  loss %.4f  accuracy %.4f  val_loss %.4f  val_accuracy %.4f  "
                   "val_auc %.4f\n",
                   epoch, cfg.epochs, tw_metric_result(loss), tw_metric_result(acc), vl,
                   tw_metric_result(val_acc), tw_metric_result(val_auc));
            fflush(stdout);
        }
        /* trainwatch: publish the epoch's values, reset the metrics for the next epoch. */
        tw_publisher_epoch_end(pub);
        if (!pub) /* no publisher to reset them */
            reset_metrics((tw_metric *[]){loss, acc, val_loss, val_acc, val_auc}, 5);
        if (cfg.checkpoint) {
            ckpt_head h = {.hidden = cfg.hidden,
                           .nparams = net.nparams,
                           .train = cfg.train,
                           .batch = cfg.batch,
                           .seed = cfg.seed,
                           .epoch = epoch,
                           .step = step_count,
                           .rng = r.s,
                           .adam_t = net.t,
                           .best_epoch = best_epoch,
                           .best = best};
            memcpy(h.magic, CKPT_MAGIC, sizeof h.magic);
            if (checkpoint_save(&cfg, &net, idx, &h) != 0)
                goto done;
        }
    }

    if (stop_signal) {
        /* trainwatch: the run-end record will say the run was cut short. */
        tw_publisher_set_status(pub, TW_RUN_INTERRUPTED);
        if (!cfg.quiet)
            printf("%s: interrupted by %s\n", prog, stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
        status = 128 + stop_signal;
    } else {
        if (!cfg.quiet && best_epoch > 0)
            printf("%s: lowest val_loss %.4f at epoch %lu\n", prog, best, best_epoch);
        status = 0;
    }

done:
    /* trainwatch: flush, send the run-end record, close the run log. */
    tw_publisher_destroy(&pub);
    tw_metric_destroy(&loss);
    tw_metric_destroy(&acc);
    tw_metric_destroy(&val_loss);
    tw_metric_destroy(&val_acc);
    tw_metric_destroy(&val_auc);
    mlp_fini(&net);
    dataset_fini(&train);
    dataset_fini(&val);
    free(idx);
    free(y_true);
    free(y_pred);
    return status;
}
