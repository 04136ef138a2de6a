/* trainwatch.h - the public C API of libtrainwatch: Keras-compatible streaming metrics.
 *
 * This header is a stability contract: names and signatures are never changed, enum values
 * are never renumbered; things are only added. It compiles as C99 and as C++.
 *
 * Conventions
 *   - Functions that can fail return 0 on success or a negative errno value (-EINVAL,
 *     -ENOMEM, ...). Constructors return NULL on failure and set errno.
 *   - The library never prints, never aborts and never blocks the caller.
 *   - Objects are opaque handles. tw_x_destroy(&p) is NULL-safe and sets p to NULL.
 *   - Thread-safety: a tw_metric is not internally synchronised. One metric belongs to one
 *     thread at a time; distinct metrics may be used from distinct threads concurrently.
 *     Functions taking only const pointers may run concurrently with each other.
 */
#ifndef TRAINWATCH_H
#define TRAINWATCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TW_BUILDING_LIBRARY) && defined(__GNUC__)
#define TW_EXPORT __attribute__((visibility("default")))
#else
#define TW_EXPORT
#endif

#define TW_VERSION_MAJOR 0
#define TW_VERSION_MINOR 2
#define TW_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH"; a static string, never freed. */
TW_EXPORT const char *tw_version(void);

/* ---------------------------------------------------------------------------------------- */
/* Metrics                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* A streaming metric: update_state() accumulates, result() reads, reset_state() clears.
 * The numbers are those Keras 3 gives for the same inputs (see doc/metrics.md). */
typedef struct tw_metric tw_metric;

typedef enum tw_metric_kind {
    TW_METRIC_MEAN = 1,
    TW_METRIC_SUM,
    TW_METRIC_ACCURACY,
    TW_METRIC_BINARY_ACCURACY,
    TW_METRIC_CATEGORICAL_ACCURACY,
    TW_METRIC_SPARSE_CATEGORICAL_ACCURACY,
    TW_METRIC_TOP_K_CATEGORICAL_ACCURACY,
    TW_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY,
    TW_METRIC_MEAN_SQUARED_ERROR,
    TW_METRIC_ROOT_MEAN_SQUARED_ERROR,
    TW_METRIC_MEAN_ABSOLUTE_ERROR,
    TW_METRIC_MEAN_ABSOLUTE_PERCENTAGE_ERROR,
    TW_METRIC_BINARY_CROSSENTROPY,
    TW_METRIC_CATEGORICAL_CROSSENTROPY,
    TW_METRIC_PRECISION,
    TW_METRIC_RECALL,
    TW_METRIC_AUC,
    /* Added in 0.2: the rest of keras.metrics (doc/metrics.md has each one's state). */
    TW_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY,
    TW_METRIC_KL_DIVERGENCE,
    TW_METRIC_POISSON,
    TW_METRIC_MEAN_SQUARED_LOGARITHMIC_ERROR,
    TW_METRIC_LOG_COSH_ERROR,
    TW_METRIC_COSINE_SIMILARITY,
    TW_METRIC_R2_SCORE,
    TW_METRIC_TRUE_POSITIVES,
    TW_METRIC_FALSE_POSITIVES,
    TW_METRIC_TRUE_NEGATIVES,
    TW_METRIC_FALSE_NEGATIVES,
    TW_METRIC_SENSITIVITY_AT_SPECIFICITY,
    TW_METRIC_SPECIFICITY_AT_SENSITIVITY,
    TW_METRIC_PRECISION_AT_RECALL,
    TW_METRIC_RECALL_AT_PRECISION,
    TW_METRIC_HINGE,
    TW_METRIC_SQUARED_HINGE,
    TW_METRIC_CATEGORICAL_HINGE,
    TW_METRIC_F_BETA_SCORE,
    TW_METRIC_F1_SCORE,
    TW_METRIC_IOU,
    TW_METRIC_BINARY_IOU,
    TW_METRIC_MEAN_IOU,
    TW_METRIC_ONE_HOT_IOU,
    TW_METRIC_ONE_HOT_MEAN_IOU,
    TW_METRIC_PEARSON_CORRELATION,
    TW_METRIC_CONCORDANCE_CORRELATION,
    TW_METRIC_CUSTOM /* named additive slots and a result expression: tw_metric_new_custom */
} tw_metric_kind;

/* One past the last valid kind; kinds are TW_METRIC_MEAN .. TW_METRIC_KIND_END - 1. */
#define TW_METRIC_KIND_END (TW_METRIC_CUSTOM + 1)

/* PRGAIN: precision gain over recall gain (Flach & Kull 2015), as Keras 3's curve="PRGAIN". */
typedef enum tw_auc_curve { TW_AUC_ROC = 0, TW_AUC_PR = 1, TW_AUC_PRGAIN = 2 } tw_auc_curve;

typedef enum tw_auc_summation {
    TW_AUC_INTERPOLATION = 0,
    TW_AUC_MINORING = 1,
    TW_AUC_MAJORING = 2
} tw_auc_summation;

/* Options of a metric. Get the defaults from tw_metric_defaults() and change fields; fields a
 * kind does not use are ignored (and not compared by tw_metric_merge_state). */
typedef struct tw_metric_options {
    double threshold;           /* BinaryAccuracy, Precision, Recall; default 0.5; must be
                                   in [0, 1] */
    int k;                      /* the top-k kinds; default 5; must be >= 1 */
    int num_thresholds;         /* AUC; default 200; must be >= 2 */
    tw_auc_curve curve;         /* AUC; default ROC */
    tw_auc_summation summation; /* AUC; default interpolation */
} tw_metric_options;

/* The default options (Keras's defaults). */
TW_EXPORT tw_metric_options tw_metric_defaults(void);

/* Creates a metric of `kind` with `opts` (NULL: the defaults), its state zero.
 * Returns NULL with errno EINVAL for an unknown kind or options out of range (k < 1,
 * num_thresholds < 2 or > TW_AUC_MAX_THRESHOLDS, a threshold outside [0, 1], an unknown
 * curve or summation), a kind whose Keras class has required arguments (F-beta, F1, IoU,
 * MeanIoU, OneHotIoU, OneHotMeanIoU, the X-at-Y kinds, Custom: use tw_metric_new_opts), and
 * NULL with errno ENOMEM when memory runs out. The caller owns the metric: free it with
 * tw_metric_destroy(). */
TW_EXPORT tw_metric *tw_metric_new(tw_metric_kind kind, const tw_metric_options *opts);

/* Creates a metric of `kind` with Keras's own constructor arguments, by their Keras names:
 * "key=value,key=value"; numbers as in C (finite only; a '.' decimal point whatever the
 * program's locale), lists as [a,b,c], booleans true/false, names bare or quoted
 * (average=macro, curve=PR), Python's None written None. NULL or "":
 * Keras's defaults. Every kind takes exactly the arguments its Keras class takes (see
 * doc/metrics.md; axis only as -1), plus num_classes for F-beta/F1 and num_outputs for R2,
 * whose state trainwatch declares before the first batch. Returns NULL with errno EINVAL for
 * an unknown kind, an unknown or repeated key, a value of the wrong type or out of range, or
 * an argument trainwatch does not support yet (tw_metric_options_check says which and why);
 * NULL with errno ENOMEM when memory runs out. The caller owns the metric. */
TW_EXPORT tw_metric *tw_metric_new_opts(tw_metric_kind kind, const char *options);

/* Checks `options` for `kind` as tw_metric_new_opts() would. Returns 0, or -EINVAL with a
 * one-line reason ("f1_score: average must be None, micro, macro or weighted") written to
 * err (truncated to cap bytes, always terminated when cap > 0; err may be NULL). */
TW_EXPORT int tw_metric_options_check(tw_metric_kind kind, const char *options, char *err,
                                      size_t cap);

/* The metric's options in tw_metric_new_opts() syntax, canonical (Keras's names in a fixed
 * order, only those that differ from the kind's defaults; "" for none): a metric made with
 * tw_metric_new_opts(kind, tw_metric_options_string(m)) is the same metric, and merges with
 * it. Owned by the metric, valid until it is destroyed. NULL for NULL. */
TW_EXPORT const char *tw_metric_options_string(const tw_metric *m);

/* A custom metric that merges exactly: n_slots named additive slots (its state, in that
 * order) and a result expression over them, as a Keras Metric subclass with add_weight()
 * variables and a result(). Names: [A-Za-z_][A-Za-z0-9_]*, at most 31 bytes, unique, not a
 * function's name; at most 64 slots. Expression: numbers, slot names, + - * / (a division by
 * exactly 0 gives 0, as divide_no_nan), unary -, ( ), sqrt(e), log(e), exp(e), min(a, b),
 * max(a, b); at most 1024 bytes, 256 operations, nested 64 deep. Example: slots
 * {"tp", "fp", "fn"} and "2*tp / (2*tp + fp + fn)". The same metric is
 * tw_metric_new_opts(TW_METRIC_CUSTOM, "slots=[tp,fp,fn],expr=\"2*tp/(2*tp+fp+fn)\""), which
 * is how the wire declares it, so the monitor adds the ranks' slots and evaluates the same
 * expression. Returns NULL with errno EINVAL for a bad name or expression
 * (tw_metric_options_check on that string says why), ENOMEM. */
TW_EXPORT tw_metric *tw_metric_new_custom(const char *const *slot_names, size_t n_slots,
                                          const char *expr);

/* Adds values[i] to slot i of a custom metric (n == its number of slots), as
 * variable.assign_add() in a Keras update_state. Returns 0; -EINVAL (state unchanged) for a
 * NULL argument, a metric that is not custom, or n other than its number of slots. */
TW_EXPORT int tw_metric_update_slots(tw_metric *m, const double *values, size_t n);

/* Longest options string tw_metric_new_opts() accepts, in bytes (without the terminator). */
#define TW_METRIC_OPTIONS_MAX 4096

/* Writes up to cap values of a vector result (F-beta and F1 with average None: one per class;
 * the confusion kinds with several thresholds: one per threshold) to out; returns how many
 * values the result has (which may exceed cap), or -EINVAL for a NULL metric, or NULL out
 * with cap > 0. A scalar result has one value, the same as tw_metric_result(). */
TW_EXPORT int tw_metric_result_vector(const tw_metric *m, double *out, size_t cap);

/* Keras's stateless metric functions: keras.metrics.<name>(y_true, y_pred, **options) for
 * `name` one of binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
 * top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, binary_crossentropy,
 * categorical_crossentropy, sparse_categorical_crossentropy, binary_focal_crossentropy,
 * categorical_focal_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
 * categorical_hinge, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
 * mean_squared_error, mean_squared_logarithmic_error, pearson_correlation,
 * concordance_correlation, with the function's Keras arguments in tw_metric_new_opts()
 * syntax (NULL: defaults). Inputs as tw_metric_update_state (n samples of d values; the
 * sparse functions take n labels). Writes what Keras returns to out: one value per sample
 * (n doubles), or per element for binary_accuracy (n * d). Returns how many values it wrote,
 * or -EINVAL (nothing written) for an unknown name, invalid options, NULL arrays, d == 0,
 * n * d overflowing or a sparse label out of range; -ENOMEM. Allocates a little. */
TW_EXPORT int tw_metric_fn(const char *name, const char *options, const float *y_true,
                           const float *y_pred, size_t n, size_t d, double *out);

/* Most thresholds an AUC accepts (bounds the state size: 2 * T + 2 doubles). */
#define TW_AUC_MAX_THRESHOLDS 100000

/* Accumulates a batch of `n` samples of `d` values each (row-major), as Keras's
 * metric.update_state(y_true, y_pred, sample_weight) with shapes (n, d):
 *   - y_true: n*d targets; for the sparse kinds n integer labels in [0, d) stored as floats;
 *   - y_pred: n*d predictions (scores, probabilities);
 *   - sample_weight: NULL (every sample weighs 1) or n weights, one per sample; zero and
 *     negative weights are accepted as Keras accepts them.
 * n == 0 is a no-op. For every kind except Mean, Sum and Custom.
 * Returns 0; -EINVAL (state unchanged) for a NULL metric or array, d == 0, n*d overflowing,
 * a Mean or Sum metric (use tw_metric_update_values), a custom metric
 * (tw_metric_update_slots), a sparse label that is not an integer in [0, d), or what a kind
 * added in 0.2 refuses (a class outside [0, num_classes) for IoU, d other than num_classes
 * for F-beta or num_outputs for R2, a class_id not below d: doc/metrics.md). Non-finite inputs
 * propagate as in Keras (a NaN loss makes the result NaN). Does not allocate. */
TW_EXPORT int tw_metric_update_state(tw_metric *m, const float *y_true, const float *y_pred,
                                     const float *sample_weight, size_t n, size_t d);

/* Accumulates n samples of d values (row-major) into a Mean or Sum, as Keras's
 * Mean()(values, sample_weight) / Sum()(values, sample_weight) with values of shape (n, d)
 * and weights of shape (n,): Mean adds sum_i w_i * mean_j v_ij to its total and sum_i w_i to
 * its count; Sum adds sum_i w_i * sum_j v_ij. sample_weight is NULL (weights 1) or n weights.
 * Returns 0; -EINVAL (state unchanged) for a NULL metric or values, d == 0, n*d
 * overflowing, or a metric that is not a Mean or Sum. */
TW_EXPORT int tw_metric_update_values(tw_metric *m, const float *values, const float *sample_weight,
                                      size_t n, size_t d);

/* Adds one value with a weight to a Mean (total += value * weight, count += weight) or a Sum
 * (total += value * weight). Use it for a batch loss weighted by the batch size, or to feed
 * a custom metric's own (total, count) as (total / count, count).
 * Returns 0; -EINVAL for a NULL metric or a metric that is not a Mean or Sum. */
TW_EXPORT int tw_metric_update_scalar(tw_metric *m, double value, double weight);

/* The metric's current value, computed from its state as Keras's result() does
 * (divide_no_nan: 0 when a denominator is exactly 0). A NULL metric gives NaN. */
TW_EXPORT double tw_metric_result(const tw_metric *m);

/* The standard error of the metric's current value, from its state (doc/metrics.md,
 * "Standard errors"): NaN where it is undefined. By kind:
 *   - accuracies, Precision, Recall: binomial, sqrt(p (1 - p) / N), p the value and N the
 *     total weight of its denominator (0 when p is 0 or 1; NaN when N <= 0; NaN for
 *     Precision and Recall with several thresholds);
 *   - Mean, the errors and the crossentropies: with W = count, m = total / W and B the number
 *     of values, sqrt((sumsq - W m^2) / ((B - 1) W)); NaN when B < 2 or W <= 0;
 *   - RootMeanSquaredError: the delta method, se(mse) / (2 rmse);
 *   - AUC with curve ROC: Hanley & McNeil (1982) from the area and the positive and negative
 *     weights (NaN when either is 0); PR, PRGAIN, or multi_label: NaN;
 *   - Sum, the kinds added in 0.2 and custom metrics: NaN.
 * NULL gives NaN. Non-finite state gives NaN. */
TW_EXPORT double tw_metric_stderr(const tw_metric *m);

/* Sets the whole state back to zero, as Keras's reset_state(). NULL-safe. */
TW_EXPORT void tw_metric_reset_state(tw_metric *m);

/* Adds the state of `from` into `into` (element-wise addition: every state is additive, so
 * merging the states of two halves of a data set gives the state of the whole).
 * Returns 0; -EINVAL (nothing changed) for NULL arguments, different kinds, or different
 * options where the kind uses them (different tw_metric_options_string()s). `from` is not
 * changed. */
TW_EXPORT int tw_metric_merge_state(tw_metric *into, const tw_metric *from);

/* Frees the metric and sets *m to NULL. NULL-safe (m or *m may be NULL). */
TW_EXPORT void tw_metric_destroy(tw_metric **m);

/* --- state access, for the wire and for merging ranks ----------------------------------- */

/* The metric's kind; 0 for NULL. */
TW_EXPORT tw_metric_kind tw_metric_kind_of(const tw_metric *m);

/* The options the metric was created with (normalised: defaults where the caller passed
 * NULL). For NULL, the defaults. */
TW_EXPORT tw_metric_options tw_metric_options_of(const tw_metric *m);

/* Number of doubles in the metric's state; 0 for NULL. The layout, by kind:
 *   Sum: [total]
 *   the accuracies: [total, count]
 *   Mean, MSE, RMSE, MAE, MAPE and the crossentropies: [total, count, sumsq, values], where
 *   sumsq adds w * x^2 for every value x of weight w and values adds 1 per value of non-zero
 *   weight (a sample of update_state or update_values, a call of update_scalar); they make
 *   the standard error.
 *   (trainwatch 0.1 had [total, count] for these: tw_metric_set_state accepts that.)
 *   Precision: [tp, fp]     Recall: [tp, fn]
 *   AUC with T thresholds: [tp[0..T), fp[0..T), positives, negatives] where tp[i] / fp[i]
 *   are the weights of positive / negative samples predicted above threshold i, and
 *   fn[i] = positives - tp[i], tn[i] = negatives - fp[i].
 *   The kinds added in 0.2, and the old ones with arguments only tw_metric_new_opts() sets:
 *   doc/metrics.md ("State layouts"). */
TW_EXPORT size_t tw_metric_state_size(const tw_metric *m);

/* Size of the state a metric of `kind` with `opts` (NULL: defaults) would have; 0 when the
 * kind or options are invalid. */
TW_EXPORT size_t tw_metric_state_size_for(tw_metric_kind kind, const tw_metric_options *opts);

/* A read-only view of the state (tw_metric_state_size() doubles), owned by the metric, valid
 * until the next call that changes or destroys it. NULL for NULL. */
TW_EXPORT const double *tw_metric_state(const tw_metric *m);

/* Adds `len` doubles of raw state (for example decoded from the wire) into the metric's
 * state. For the kinds with moments len may also be 2 ([total, count], trainwatch 0.1's
 * layout): the value stays exact, the moments become unknown (sumsq NaN, so the standard
 * error is NaN) until the next reset or set_state. Returns 0; -EINVAL (state unchanged) for
 * NULL arguments or another len than these. */
TW_EXPORT int tw_metric_add_state(tw_metric *m, const double *state, size_t len);

/* Replaces the metric's state with `len` doubles of raw state. For the kinds with moments
 * (Mean, the errors, the crossentropies) len may also be 2, the layout of trainwatch 0.1:
 * [total, count] with the moments set to zero (the value is right; the standard error is
 * NaN). Returns 0; -EINVAL (state unchanged) for NULL arguments or another len than these. */
TW_EXPORT int tw_metric_set_state(tw_metric *m, const double *state, size_t len);

/* The result of a state, for a reader that computes a value per stored state (a monitor
 * reading a run log): what tw_metric_set_state(m, state, len) and then tw_metric_result(m)
 * return, NaN where tw_metric_set_state would refuse the state. m serves as a scratch metric
 * of the state's kind and options (make one of your own: no publisher may track it): after
 * the call its state is what it was, or what tw_metric_set_state(m, state, len) makes it. For
 * the kinds of trainwatch 0.1 but AUC (Mean, Sum, the accuracies, the errors, the
 * crossentropies, Precision and Recall at one threshold without top_k or class_id), whose
 * result is a ratio of the state's first doubles, nothing is copied. */
TW_EXPORT double tw_metric_result_of(tw_metric *m, const double *state, size_t len);

/* The Keras-style snake_case name of a kind ("mean", "binary_accuracy", "auc", ...); a static
 * string; NULL for an unknown kind. */
TW_EXPORT const char *tw_metric_kind_name(tw_metric_kind kind);

/* The kind whose tw_metric_kind_name() is `name`; 0 when there is none or name is NULL. */
TW_EXPORT tw_metric_kind tw_metric_kind_from_name(const char *name);

/* ---------------------------------------------------------------------------------------- */
/* Publisher                                                                                */
/* ---------------------------------------------------------------------------------------- */

/* A publisher streams the state of tracked metrics from a training loop over ZeroMQ, replays
 * the run's history to subscribers that join late, and appends every record to a run log.
 *
 * Threading: a publisher and the metrics it tracks belong to ONE thread (the training
 * thread); call every tw_publisher_* function and every update of a tracked metric from that
 * thread only. The publisher runs its own background thread for I/O: the training thread
 * never makes a system call, takes a lock or allocates when it updates a tracked metric or
 * calls tw_publisher_step; when the background thread falls behind, records are dropped and
 * counted, never waited for. */
typedef struct tw_publisher tw_publisher;

typedef enum tw_split { TW_SPLIT_TRAIN = 0, TW_SPLIT_VAL = 1, TW_SPLIT_TEST = 2 } tw_split;

/* Severity of a diagnostic. */
typedef enum tw_log_level { TW_LOG_ERROR = 0, TW_LOG_WARNING = 1, TW_LOG_INFO = 2 } tw_log_level;

/* Receives the publisher's diagnostics (bad endpoint, disk full, ...): `err` is the positive
 * errno behind it (0 if none), `message` a sentence valid during the call. Called from the
 * thread calling tw_publisher_new / tw_publisher_destroy or from the background thread: it
 * must be thread-safe and must not call back into the publisher. */
typedef void (*tw_diag_fn)(void *ctx, tw_log_level level, int err, const char *message);

/* How a run ended, as the run-end record reports it. */
typedef enum tw_run_status {
    TW_RUN_OK = 0,         /* finished normally (the default) */
    TW_RUN_FAILED = 1,     /* the program reported a failure */
    TW_RUN_INTERRUPTED = 2 /* stopped early (signal, user) */
} tw_run_status;

/* Options of a publisher. Start from tw_publisher_defaults(). A NULL string or a negative
 * number means "not set here": the environment decides, then the built-in default. */
typedef struct tw_publisher_options {
    const char *endpoint; /* where to publish. "tcp://HOST:PORT" and "ipc://PATH" bind;
                             ">ENDPOINT" connects (to a listening monitor); "@ENDPOINT"
                             binds explicitly. Unset: TRAINWATCH_ENDPOINT, else an ipc socket
                             in $XDG_RUNTIME_DIR/trainwatch/ (or /tmp/trainwatch-UID/) that
                             the monitor finds by itself. "tcp://0.0.0.0:PORT" binds every
                             interface (this needs curve_secret_key or insecure, below); a
                             bare "tcp://:PORT" binds 127.0.0.1. */
    const char *run_name; /* the run's display name. Unset: TRAINWATCH_RUN, else
                             "PROGRAM-XXXX" (the script's name and four hex digits of the run
                             id). Names may repeat: runs are told apart by their run id, made
                             per launch (from TRAINWATCH_RUN_ID, else the launcher's job:
                             TORCHELASTIC_RUN_ID, SLURM_JOB_ID + SLURM_STEP_ID, PMIx/OpenMPI's
                             job, else what the local ranks share, else random; doc/protocol.md
                             section 5.1), which the ranks of one launch share and two launches
                             never do. Only tw_publisher_resume joins an earlier run of the
                             same name. */
    const char *log_dir;  /* run-log directory. Unset: TRAINWATCH_LOG_DIR, else "./runs".
                             "off" disables the run log. */
    int rank;             /* this process's rank; unset: RANK, OMPI_COMM_WORLD_RANK,
                             SLURM_PROCID, PMI_RANK, else 0 */
    int world_size;       /* ranks in the job; unset: WORLD_SIZE, OMPI_COMM_WORLD_SIZE,
                             SLURM_NTASKS, PMI_SIZE, else 1 */
    int ring_capacity;    /* records the training thread can queue; rounded up to a power
                             of two; default 65536, at most 1048576 */
    int heartbeat_ms;     /* heartbeat interval; default 1000 */
    int linger_ms;        /* how long destroy waits to flush; default 500, at most 1000 */
    int step_history;     /* per-step points kept per metric for late joiners; default 2048;
                             16 to 1048576, rounded up to even (when a metric's history
                             fills, every other point goes; each metric fills at 3/4 to all
                             of it, so that ranks stepping together do not all at once) */
    tw_diag_fn on_diag;   /* diagnostics; NULL: none */
    void *diag_ctx;       /* passed to on_diag */
    void *zmq_context;    /* a ZeroMQ context to create the socket in (needed for inproc://
                             endpoints, borrowed, must outlive the publisher); NULL: the
                             publisher's own */
    /* Encryption (CURVE) for tcp endpoints; ipc and inproc never use it (the runtime
     * directory's permissions protect them). See doc/protocol.md, "Security". */
    const char *curve_secret_key; /* this publisher's secret key: a file written by
                             `trainwatch keygen` (NAME.key, mode 0600) or the 40 Z85
                             characters. Unset: TRAINWATCH_CURVE_SECRET. Binding tcp with it
                             makes the publisher a CURVE server: only monitors that know the
                             matching public key (NAME.pub) can subscribe, and the traffic is
                             encrypted. When connecting it is the client's own key (optional:
                             a fresh key pair otherwise). */
    const char *curve_server_key; /* when connecting (">tcp://..."): the listening monitor's
                             public key, a file (NAME.pub) or 40 Z85 characters. Unset:
                             TRAINWATCH_CURVE_SERVER. Makes the connection CURVE-encrypted.
                             Ignored when binding. */
    int insecure;                 /* 1: allow binding tcp on a non-loopback address ("0.0.0.0",
                                     "*", a LAN address, a host name) without a curve_secret_key: the
                                     traffic is then readable and forgeable on the network, and a
                                     warning goes to on_diag. Without it such a bind fails (EACCES).
                                     Unset: TRAINWATCH_INSECURE=1 allows it, else 0 */
    const char *program;          /* the program's name, for the default run name and the run
                                     record (1 to 127 bytes, no control characters). Unset: the
                                     script's name from the command line (`train` for
                                     `python train.py` and `python -m pkg.train`), else the
                                     executable's */
} tw_publisher_options;

/* Counters of a publisher, for tests and the curious. */
typedef struct tw_publisher_stats {
    unsigned long long records;    /* records the training thread produced */
    unsigned long long dropped;    /* records dropped: the ring was full, destroy's final
                                      drain ran out of time, or (never expected) a record
                                      could not be encoded; reported to subscribers */
    unsigned long long sent;       /* records sent on the socket (replays included) */
    unsigned long long send_drops; /* messages a subscriber's full queue refused (a lower
                                      bound: a stalled subscriber is then skipped until it
                                      reads, and sees the gap in the sequence numbers) */
    unsigned long long messages;   /* messages sent */
    unsigned long long replays;    /* history replays to new subscribers */
    unsigned long long log_frames; /* frames appended to the run log */
    unsigned long long log_errors; /* failed run-log writes */
} tw_publisher_stats;

/* The default options: every field "not set" (NULL or -1), no callback. */
TW_EXPORT tw_publisher_options tw_publisher_defaults(void);

/* Creates a publisher: resolves the options against the environment, binds or connects the
 * socket, opens the run log and starts the background thread, which announces the run (it,
 * and libzmq's threads, block every signal: the process's signals reach the caller's threads).
 * opts NULL: the defaults (and so the environment). Returns NULL with errno set when an
 * option or environment value is invalid (EINVAL: the reason goes to on_diag), the endpoint
 * cannot be bound (EADDRINUSE, EACCES, ...) or memory runs out. A run log that cannot be
 * opened is not fatal: it is reported through on_diag and training goes on. The caller owns
 * the publisher: free it with tw_publisher_destroy(). */
TW_EXPORT tw_publisher *tw_publisher_new(const tw_publisher_options *opts);

/* Sets a hyperparameter of the run (shown by the monitor; sent to every subscriber). Setting
 * a key again replaces its value. Keys up to 127 bytes, values up to 255; at most 128 keys;
 * no control characters (below 0x20, DEL) in either, as in run names.
 * Returns 0, -EINVAL (NULL, too long, too many, a control character), -ENOMEM. */
TW_EXPORT int tw_publisher_set_param(tw_publisher *p, const char *key, const char *value);
TW_EXPORT int tw_publisher_set_param_number(tw_publisher *p, const char *key, double value);

/* The largest epoch, step or planned count a publisher takes: 2^53 - 1, the largest integer
 * that every JSON reader (a double) keeps exact. Past it calls return -ERANGE, never wrap. */
#define TW_PUBLISHER_MAX_COUNT 9007199254740991ULL

/* Announces how long the run will be, for the monitor's progress bar and ETA: planned epochs
 * and steps per epoch (0: unknown). Returns 0, -EINVAL (NULL) or -ERANGE (a count over
 * TW_PUBLISHER_MAX_COUNT, such as a negative number converted). */
TW_EXPORT int tw_publisher_set_plan(tw_publisher *p, unsigned long epochs,
                                    unsigned long steps_per_epoch);

/* Tracks metric `m` under `name` (up to 127 bytes) for `split`: from now on every update of
 * m is published with no other call, and tw_publisher_epoch_end publishes and resets it.
 * The metric stays owned by the caller; destroying it untracks it, and the name and split
 * can then be tracked again with a new metric of the same kind and options: it continues
 * the same series. A metric can be tracked by one publisher once. Returns 0; -EINVAL (NULL,
 * bad split, name too long, metric already tracked, the same name and split tracked twice
 * while its metric lives, or by a gauge, or again with another kind or options), -ENOMEM.
 * A name with a control character (below 0x20, DEL) is refused (-EINVAL), as run names are. */
TW_EXPORT int tw_publisher_track(tw_publisher *p, tw_metric *m, const char *name, tw_split split);

/* Publishes a gauge: a value that is not averaged (learning rate, throughput, GPU memory),
 * shown as its latest value and sent as the epoch's last value at epoch end. The first call
 * for a name declares it (and allocates); later calls are as cheap as a metric update.
 * Names as for tw_publisher_track. Returns 0, -EINVAL, -ENOMEM. */
TW_EXPORT int tw_publisher_gauge(tw_publisher *p, const char *name, tw_split split, double value);

/* One training step done: advances the step counter, the x of per-step curves. Returns 0,
 * -EINVAL for NULL or -ERANGE at TW_PUBLISHER_MAX_COUNT steps. Never blocks. When the records
 * come one burst a step, 40 ms to 1 s apart, it may wake the publisher's thread (one
 * non-blocking write, when the thread asked) so that the step's records go out at once: call
 * it after the step's updates. */
TW_EXPORT int tw_publisher_step(tw_publisher *p);

/* Closes the current epoch: publishes the final state of every tracked metric updated in it
 * (metrics not updated are left out, not reported as zero), then resets them as Keras does
 * at each epoch, and starts the next epoch. Epochs are numbered from 1. The epoch's final
 * states are never dropped, even when the ring is full. Returns 0, -EINVAL, -ENOMEM, or
 * -ERANGE when the open epoch is TW_PUBLISHER_MAX_COUNT (it stays open). */
TW_EXPORT int tw_publisher_epoch_end(tw_publisher *p);

/* The current (open) epoch, from 1; 0 for NULL. */
TW_EXPORT unsigned long tw_publisher_epoch(const tw_publisher *p);

/* The run continues from a checkpoint (Keras's fit(initial_epoch=...)): the open epoch is
 * `epoch` (from 1) and the step counter is `step`, and this launch joins the latest earlier
 * run of the same run name (and world size) as a new incarnation, drawn as a continuation with
 * a restart mark at `epoch` rather than as a run of its own (doc/protocol.md section 5.2; the
 * only way two launches make one run, short of TRAINWATCH_RUN_ID). Call it right after
 * tw_publisher_new, before the first update or step: the run is announced at the first of
 * those, or after heartbeat_ms. Returns 0, -EINVAL (NULL, epoch 0), -ERANGE (epoch or step
 * over TW_PUBLISHER_MAX_COUNT) or -EBUSY (a step, an update or an epoch end came first, or the
 * run was already announced). */
TW_EXPORT int tw_publisher_resume(tw_publisher *p, unsigned long epoch, unsigned long long step);

/* The status the run-end record will report (default TW_RUN_OK). Returns 0 or -EINVAL. */
TW_EXPORT int tw_publisher_set_status(tw_publisher *p, tw_run_status status);

/* The endpoint subscribers connect to (for tcp port 0 or "*", the resolved one), owned by
 * the publisher; the run's id; the path of its run log ("" when off). */
TW_EXPORT const char *tw_publisher_endpoint(const tw_publisher *p);
TW_EXPORT const char *tw_publisher_run_id(const tw_publisher *p);
/* The run's display name (the option, TRAINWATCH_RUN or the default), owned by the
 * publisher; "" for NULL. */
TW_EXPORT const char *tw_publisher_run_name(const tw_publisher *p);
TW_EXPORT const char *tw_publisher_log_path(const tw_publisher *p);

/* A snapshot of the counters; safe from any thread while the publisher lives. */
TW_EXPORT tw_publisher_stats tw_publisher_get_stats(const tw_publisher *p);

/* Publishes what is queued, sends the run-end record, closes the run log, unregisters the
 * run and frees everything, in about 1 s at most whatever the network does: queued records
 * not published by max(0.1 s, 0.9 s - linger_ms) are counted as dropped (and reported), then
 * the socket lingers linger_ms.
 * Tracked metrics are untracked, not freed. NULL-safe; sets *p to NULL.
 * Fork: a process forked after tw_publisher_new (a data-loader worker, a Python
 * multiprocessing child) holds a copy that publishes nothing. The child may destroy its copy,
 * or just exit: destroy then only frees the child's memory, and never touches the parent's
 * registry entry, socket, run log or ZeroMQ context (nor waits for the parent's thread).
 * Records of its metrics, steps and epoch ends go nowhere. A child that should publish creates
 * its own publisher (its own rank, or its own run). */
TW_EXPORT void tw_publisher_destroy(tw_publisher **p);

#ifdef __cplusplus
}
#endif

#endif /* TRAINWATCH_H */
