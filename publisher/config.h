/* config.h - resolving a publisher's options against the environment into one config.
 *
 * Precedence for every setting: the option when set, else the environment variable, else
 * the built-in default. Every value is validated; an invalid one is an error with a sentence
 * saying which value and why, never a silent default. */
#ifndef TW_CONFIG_H
#define TW_CONFIG_H

#include "curve.h"
#include "endpoint.h"
#include "trainwatch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_CONFIG_LOG_MODE 0600 /* run logs are private unless TRAINWATCH_LOG_MODE says */
#define TW_CONFIG_NOTE_MAX 1024

typedef struct tw_config {
    char endpoint[TW_ENDPOINT_PATH_MAX];    /* a ZeroMQ endpoint, without '>' or '@' */
    bool connect;                           /* connect instead of bind */
    bool registered;                        /* the default ipc endpoint: register the run */
    char runtime_dir[TW_ENDPOINT_PATH_MAX]; /* where the registry lives (registered only) */
    char run_id[TW_ENDPOINT_NAME_MAX];      /* this launch's id (identity.h): the envelope's run */
    char name[TW_ENDPOINT_NAME_MAX];        /* the display name: the RUN record's name */
    char program[TW_ENDPOINT_NAME_MAX];     /* the script's or program's name */
    char host[TW_ENDPOINT_NAME_MAX];
    bool log_off;
    char log_dir[TW_ENDPOINT_PATH_MAX];
    int log_mode;                  /* the run log's file mode (TW_CONFIG_LOG_MODE by default) */
    char note[TW_CONFIG_NOTE_MAX]; /* a warning for the diagnostics (a bad configuration file) */
    uint32_t rank, world;
    uint64_t ring_capacity;
    int heartbeat_ms, linger_ms, step_history;
    uint64_t incarnation;
    double start_time; /* seconds since the Unix epoch */
    /* CURVE (tcp only): none, server (binding with a secret key) or client (connecting with
     * the server's public key; own pair given or fresh). */
    enum { TW_CURVE_NONE = 0, TW_CURVE_SERVER, TW_CURVE_CLIENT } curve;
    tw_curve_key curve_secret, curve_public, curve_server;
    bool insecure_exposed; /* binding exposed tcp in clear, allowed: warn */
} tw_config;

/* Fills `c` from the options (NULL: defaults), the environment and, for what neither sets of
 * the run log's directory and mode, the user's configuration file (userconf.h; a file that
 * cannot be used leaves a sentence in c->note and the defaults). Returns 0, or -EINVAL
 * with a sentence in err (errlen bytes) naming the bad value (-EACCES: a non-loopback tcp
 * bind with neither a CURVE key nor insecure allowed, or a secret key file open to others). Does
 * not create anything on disk: tw_endpoint_runtime_dir does, for the default endpoint. Reads
 * the environment and the clock; defined beside it, tw_publisher_defaults (trainwatch.h). */
int tw_config_resolve(tw_config *c, const tw_publisher_options *o, char *err, size_t errlen);

/* Whether s holds a control character (below 0x20, or DEL): names and parameters that hold
 * one are refused, as a newline would break the registry's lines and an escape sequence
 * would reach a terminal. */
bool tw_config_has_control(const char *s);

#endif
