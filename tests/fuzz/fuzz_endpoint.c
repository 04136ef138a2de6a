/* fuzz_endpoint.c - libFuzzer target: the publisher's parsers of user strings (the endpoint,
 * run names, rank and world, the numeric options) through tw_endpoint_parse,
 * tw_endpoint_sanitize and tw_config_resolve, which binds nothing and creates nothing.
 *
 * Input: text lines. The first line is an endpoint spec, parsed alone and given to
 * tw_config_resolve as the endpoint option (an empty line: unset). Every further line
 * KEY=VALUE sets one of the environment variables config.c reads (RANK, WORLD_SIZE,
 * TRAINWATCH_RUN, SLURM_JOB_ID, ...) or an option (run_name, log_dir, rank, world_size,
 * ring_capacity, heartbeat_ms, linger_ms, step_history; numbers wrap to int).
 *
 * Invariants (abort() when broken): the parser writes nothing past outlen (exact-size heap
 * buffers, so ASan sees it), with outlen from 1 to the full size around the output's length;
 * on success the output is NUL-terminated, is the spec without its '>' or '@' prefix (a bare
 * "tcp://:PORT", and a bound "tcp://localhost:PORT", with 127.0.0.1 as host), a tcp port is '*' or
 * digits 0-65535, a connect has a host and a non-zero port, an ipc path is 1-107 bytes; success
 * does not depend on outlen once the output fits; on failure err is a non-empty sentence; the
 * result repeats. Sanitize keeps the length and leaves only [A-Za-z0-9._-]. A resolved config has
 * rank < world, a run id of 1-127 bytes without control characters, the endpoint the parser gives,
 * numbers in their documented ranges; a rank or world read from the environment is written in
 * digits only. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that libFuzzer keeps the input. */
static void
fail(const char *what)
{
    fprintf(stderr, "fuzz_endpoint: invariant broken: %s\n", what);
    abort();
}

/* The environment variables config.c reads; all are cleared before each input. */
static const char *const env_vars[] = {
    "RANK",
    "OMPI_COMM_WORLD_RANK",
    "SLURM_PROCID",
    "PMI_RANK",
    "WORLD_SIZE",
    "OMPI_COMM_WORLD_SIZE",
    "SLURM_NTASKS",
    "PMI_SIZE",
    "TRAINWATCH_RUN",
    "TORCHELASTIC_RUN_ID",
    "SLURM_JOB_ID",
    "OMPI_MCA_ess_base_jobid",
    "TRAINWATCH_ENDPOINT",
    "TRAINWATCH_LOG_DIR",
    "TRAINWATCH_CURVE_SECRET",
    "TRAINWATCH_CURVE_SERVER",
    "TRAINWATCH_INSECURE",
};
#define N_ENV (sizeof env_vars / sizeof *env_vars)

/* Whether s is non-empty and all decimal digits. */
static bool
all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Whether err (errlen bytes) holds a non-empty NUL-terminated sentence. */
static bool
sentence(const char *err, size_t errlen)
{
    return errlen > 0 && err[0] != '\0' && memchr(err, '\0', errlen) != NULL;
}

/* Checks a successful parse of spec into out against what the header promises. */
static void
check_endpoint(const char *spec, const char *out, bool connect)
{
    const char *s = spec;
    if (*s == '>' || *s == '@')
        s++;
    if (connect != (spec[0] == '>'))
        fail("connect does not follow the prefix");
    if (strncmp(s, "tcp://", 6) == 0) {
        if (strncmp(out, "tcp://", 6) != 0)
            fail("tcp endpoint lost its scheme");
        const char *colon = strrchr(s + 6, ':'), *port = colon ? colon + 1 : NULL;
        if (!port)
            fail("tcp endpoint without a port accepted");
        bool localhost = !connect && colon == s + 6 + 9 && strncasecmp(s + 6, "localhost", 9) == 0;
        if (colon == s + 6 || localhost) {
            char want[64 + TW_ENDPOINT_PATH_MAX];
            snprintf(want, sizeof want, "tcp://127.0.0.1:%s", port);
            if (strcmp(out, want) != 0)
                fail("a bound tcp://:PORT or tcp://localhost:PORT did not become "
                     "tcp://127.0.0.1:PORT");
        } else if (strcmp(out, s) != 0) {
            fail("tcp endpoint changed");
        }
        /* Digits and at most 65535: leading zeros are the number's business, not the parser's. */
        if (strcmp(port, "*") != 0 && (!all_digits(port) || strtoul(port, NULL, 10) > 65535))
            fail("tcp port is not '*' or digits 0-65535");
        if (connect && (colon == s + 6 || strcmp(port, "*") == 0 || strtoul(port, NULL, 10) == 0))
            fail("connect without a host or a port accepted");
        return;
    }
    if (strcmp(out, s) != 0)
        fail("ipc/inproc endpoint changed");
    if (strncmp(s, "ipc://", 6) == 0) {
        if (strlen(s + 6) == 0 || strlen(s + 6) > 107)
            fail("ipc path not 1-107 bytes");
    } else if (strncmp(s, "inproc://", 9) == 0) {
        if (strlen(s + 9) == 0)
            fail("empty inproc name");
    } else {
        fail("endpoint without a known scheme accepted");
    }
}

/* Parses spec into an exact-size heap buffer of outlen bytes; returns the result. */
static int
parse_into(const char *spec, size_t outlen, char *copy, bool *connect)
{
    char *out = malloc(outlen);
    char err[256];
    if (!out)
        return -ENOMEM;
    err[0] = '\0';
    int rc = tw_endpoint_parse(spec, out, outlen, connect, err, sizeof err);
    if (rc == 0) {
        if (!memchr(out, '\0', outlen))
            fail("output not NUL-terminated within outlen");
        strcpy(copy, out);
    } else if (rc != -EINVAL || !sentence(err, sizeof err)) {
        fail("failure without -EINVAL and a sentence");
    }
    free(out);
    return rc;
}

/* The parser alone, at several output sizes; returns the full-size result. */
static int
fuzz_parse(const char *spec, char *full)
{
    bool connect;
    int rc = parse_into(spec, TW_ENDPOINT_PATH_MAX, full, &connect);
    if (rc == 0)
        check_endpoint(spec, full, connect);
    size_t need = rc == 0 ? strlen(full) + 1 : strlen(spec) + 17;
    size_t sizes[] = {1, 2, 7, need - 1, need, need + 1};
    char *small = malloc(TW_ENDPOINT_PATH_MAX);
    if (!small)
        return rc;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        if (sizes[i] == 0 || sizes[i] > TW_ENDPOINT_PATH_MAX)
            continue;
        bool c2;
        int rc2 = parse_into(spec, sizes[i], small, &c2);
        if (rc2 == 0 && (rc != 0 || strcmp(small, full) != 0 || c2 != connect))
            fail("a smaller buffer gave another success");
        if (rc == 0 && sizes[i] >= need && rc2 != 0)
            fail("failed although the output fits");
    }
    free(small);
    return rc;
}

/* Sanitize: same length, only [A-Za-z0-9._-], allowed bytes kept. */
static void
fuzz_sanitize(const char *s)
{
    char *t = strdup(s);
    if (!t)
        return;
    tw_endpoint_sanitize(t);
    if (strlen(t) != strlen(s))
        fail("sanitize changed the length");
    for (size_t i = 0; t[i]; i++) {
        char c = t[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || (c != s[i] && c != '_'))
            fail("sanitize left a byte outside [A-Za-z0-9._-]");
    }
    free(t);
}

/* The first of the launcher variables that is set and non-empty, or NULL. */
static const char *
first_env(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

/* Checks a resolved config. */
static void
check_resolved(const tw_config *c, const tw_publisher_options *o, const char *ep_full, int ep_rc)
{
    if (c->world < 1 || c->rank >= c->world)
        fail("rank not below world");
    if (o->rank >= 0 && c->rank != (uint32_t)o->rank)
        fail("rank option not kept");
    if (o->world_size > 0 && c->world != (uint32_t)o->world_size)
        fail("world_size option not kept");
    const char *r = first_env(env_vars, 4), *w = first_env(env_vars + 4, 4);
    if (o->rank < 0 && r && (!all_digits(r) || strtoul(r, NULL, 10) != c->rank))
        fail("a rank from the environment is not the digits it was given as");
    if (o->world_size < 0 && w && (!all_digits(w) || strtoul(w, NULL, 10) != c->world))
        fail("a world size from the environment is not the digits it was given as");
    size_t rl = strnlen(c->run_id, sizeof c->run_id);
    if (rl == 0 || rl >= sizeof c->run_id)
        fail("run id not 1-127 bytes");
    for (size_t i = 0; i < rl; i++)
        if ((unsigned char)c->run_id[i] < 0x20 || c->run_id[i] == 0x7f)
            fail("control character in the run id");
    if (o->run_name && strcmp(c->name, o->run_name) != 0)
        fail("run_name option not kept");
    if (o->endpoint) {
        if (ep_rc != 0 || strcmp(c->endpoint, ep_full) != 0 || c->registered)
            fail("resolve and the parser disagree on the endpoint");
    } else if (!getenv("TRAINWATCH_ENDPOINT") || !*getenv("TRAINWATCH_ENDPOINT")) {
        if (!c->registered || c->endpoint[0])
            fail("no endpoint but not registered");
    }
    if (!c->log_off && !memchr(c->log_dir, '\0', sizeof c->log_dir))
        fail("log_dir not terminated");
    if (c->ring_capacity < 2 || c->ring_capacity > (1u << 20) || c->heartbeat_ms < 10 ||
        c->heartbeat_ms > 3600 * 1000 || c->linger_ms < 0 || c->linger_ms > 1000 ||
        c->step_history < 16 || c->step_history > (1 << 20) || c->step_history % 2)
        fail("a number out of its documented range");
}

/* Applies one KEY=VALUE line to the environment or the options. */
static void
apply_line(char *line, tw_publisher_options *o)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return;
    *eq = '\0';
    const char *key = line, *val = eq + 1;
    for (size_t i = 0; i < N_ENV; i++)
        if (strcmp(key, env_vars[i]) == 0)
            setenv(key, val, 1);
    long long n = strtoll(val, NULL, 0);
    if (strcmp(key, "run_name") == 0)
        o->run_name = val;
    else if (strcmp(key, "log_dir") == 0)
        o->log_dir = val;
    else if (strcmp(key, "rank") == 0)
        o->rank = (int)n;
    else if (strcmp(key, "world_size") == 0)
        o->world_size = (int)n;
    else if (strcmp(key, "ring_capacity") == 0)
        o->ring_capacity = (int)n;
    else if (strcmp(key, "heartbeat_ms") == 0)
        o->heartbeat_ms = (int)n;
    else if (strcmp(key, "linger_ms") == 0)
        o->linger_ms = (int)n;
    else if (strcmp(key, "step_history") == 0)
        o->step_history = (int)n;
}

/* One input: parse its first line alone, then resolve a config from all its lines. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 3 * TW_ENDPOINT_PATH_MAX)
        return 0;
    char *text = malloc(size + 1);
    char *full = malloc(TW_ENDPOINT_PATH_MAX);
    tw_config *c = malloc(sizeof *c);
    if (!text || !full || !c)
        goto done;
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < N_ENV; i++)
        unsetenv(env_vars[i]);
    setenv("XDG_CONFIG_HOME", "/nonexistent", 1); /* no user's configuration file applies */

    char *rest = strchr(text, '\n');
    if (rest)
        *rest++ = '\0';
    const char *spec = text;
    int ep_rc = fuzz_parse(spec, full);
    int again = fuzz_parse(spec, full);
    if (again != ep_rc)
        fail("the same spec parsed twice gave two results");
    fuzz_sanitize(spec);

    tw_publisher_options o = tw_publisher_defaults();
    o.endpoint = *spec ? spec : NULL;
    while (rest) {
        char *line = rest;
        rest = strchr(rest, '\n');
        if (rest)
            *rest++ = '\0';
        apply_line(line, &o);
    }
    char err[256];
    err[0] = '\0';
    int rc = tw_config_resolve(c, &o, err, sizeof err);
    if (rc == 0)
        check_resolved(c, &o, full, ep_rc);
    else if (rc >= 0 || !sentence(err, sizeof err))
        fail("resolve failed without a negative errno (EINVAL; EACCES: clear text beyond this "
             "host; a key file's open error) and a sentence");
    if (o.endpoint && ep_rc != 0 && rc == 0)
        fail("resolve accepted an endpoint the parser refuses");

done:
    for (size_t i = 0; i < N_ENV; i++)
        unsetenv(env_vars[i]);
    free(c);
    free(full);
    free(text);
    return 0;
}
