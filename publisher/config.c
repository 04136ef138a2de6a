/* config.c - resolves publisher options and environment variables into a checked config. */
#define _GNU_SOURCE
#include "config.h"
#include "errtext.h"
#include "userconf.h"
#include "identity.h"

#include "clock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_RING         65536
#define DEFAULT_HEARTBEAT_MS 1000
#define DEFAULT_LINGER_MS    500
#define MAX_LINGER_MS        1000
#define DEFAULT_STEP_HISTORY 2048
#define MAX_RING             (1 << 20) /* draining it takes ~0.3 s: destroy stays bounded */

/* A non-empty environment variable, or NULL. */
static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

tw_publisher_options
tw_publisher_defaults(void)
{
    tw_publisher_options o;
    memset(&o, 0, sizeof o);
    o.rank = -1;
    o.world_size = -1;
    o.ring_capacity = -1;
    o.heartbeat_ms = -1;
    o.linger_ms = -1;
    o.step_history = -1;
    o.insecure = -1;
    return o;
}

static uint64_t
new_incarnation(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v || v == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
    }
    return v ? v : 1;
}

/* rank / world from the option, else the first launcher variable that is set. */
static int
resolve_rank_world(tw_config *c, const tw_publisher_options *o, char *err, size_t errlen)
{
    static const char *const rank_vars[] = {"RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID",
                                            "PMI_RANK"};
    static const char *const world_vars[] = {"WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS",
                                             "PMI_SIZE"};
    long rank = 0, world = 1;
    if (o->rank >= 0) {
        rank = o->rank;
    } else {
        for (size_t i = 0; i < sizeof rank_vars / sizeof *rank_vars; i++) {
            const char *v = env(rank_vars[i]);
            if (!v)
                continue;
            if (!tw_endpoint_parse_int(v, 0, INT_MAX - 1, &rank))
                return tw_errtext(err, errlen, "%s='%s' is not a rank (a non-negative integer)",
                                  rank_vars[i], v);
            break;
        }
    }
    if (o->world_size > 0) {
        world = o->world_size;
    } else if (o->world_size == 0) {
        return tw_errtext(err, errlen, "world_size must be at least 1");
    } else {
        for (size_t i = 0; i < sizeof world_vars / sizeof *world_vars; i++) {
            const char *v = env(world_vars[i]);
            if (!v)
                continue;
            if (!tw_endpoint_parse_int(v, 1, INT_MAX, &world))
                return tw_errtext(err, errlen, "%s='%s' is not a world size (an integer >= 1)",
                                  world_vars[i], v);
            break;
        }
    }
    if (rank >= world)
        return tw_errtext(err, errlen, "rank %ld is not below the world size %ld", rank, world);
    c->rank = (uint32_t)rank;
    c->world = (uint32_t)world;
    return 0;
}

/* Whether s holds a control character (a newline would break the registry's lines); see
 * config.h. */
bool
tw_config_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The program (option, else the script's name), the run id of this launch (identity.c) and
 * the display name: the option, TRAINWATCH_RUN, else PROGRAM-XXXX. */
static int
resolve_run(tw_config *c, const tw_publisher_options *o, char *err, size_t errlen)
{
    if (o->program && (!*o->program || strlen(o->program) >= sizeof c->program ||
                       tw_config_has_control(o->program)))
        return tw_errtext(err, errlen, "program must be 1 to %zu bytes of text",
                          sizeof c->program - 1);
    if (o->program)
        snprintf(c->program, sizeof c->program, "%s", o->program);
    else
        tw_identity_program(c->program, sizeof c->program);
    const char *name = o->run_name ? o->run_name : env("TRAINWATCH_RUN");
    const char *what = o->run_name ? "run_name" : "TRAINWATCH_RUN";
    if (name && (!*name || strlen(name) >= sizeof c->name))
        return tw_errtext(err, errlen, "%s must be 1 to %zu bytes long", what, sizeof c->name - 1);
    if (name && tw_config_has_control(name))
        return tw_errtext(err, errlen, "%s must not contain control characters", what);
    int rc = tw_identity_run_id(c->run_id, sizeof c->run_id, c->world, name, err, errlen);
    if (rc != 0)
        return rc;
    if (name)
        snprintf(c->name, sizeof c->name, "%s", name);
    else
        tw_identity_default_name(c->name, sizeof c->name, c->program, c->run_id);
    return 0;
}

/* CURVE keys and the exposure rule (DESIGN.md section 4): binding tcp beyond loopback needs
 * a secret key, or insecure allowed explicitly. Keys apply to tcp only. */
static int
resolve_curve(tw_config *c, const tw_publisher_options *o, char *err, size_t errlen)
{
    const char *secret = o->curve_secret_key ? o->curve_secret_key : env("TRAINWATCH_CURVE_SECRET");
    const char *server = o->curve_server_key ? o->curve_server_key : env("TRAINWATCH_CURVE_SERVER");
    const char *secret_what = o->curve_secret_key ? "curve_secret_key" : "TRAINWATCH_CURVE_SECRET";
    const char *server_what = o->curve_server_key ? "curve_server_key" : "TRAINWATCH_CURVE_SERVER";
    bool insecure = false;
    if (o->insecure >= 0) {
        insecure = o->insecure != 0;
    } else if (env("TRAINWATCH_INSECURE")) {
        const char *v = env("TRAINWATCH_INSECURE");
        if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)
            return tw_errtext(err, errlen, "TRAINWATCH_INSECURE='%s': expected 1 (allow) or 0", v);
        insecure = strcmp(v, "1") == 0;
    }
    bool tcp = strncmp(c->endpoint, "tcp://", 6) == 0;
    int rc;
    if (!tcp)
        return 0; /* ipc and inproc: the runtime directory's permissions protect them */
    if (secret &&
        (rc = tw_curve_key_load(secret, true, &c->curve_secret, secret_what, err, errlen)) != 0)
        return rc;
    if (secret && tw_curve_public_of(&c->curve_secret, &c->curve_public) != 0)
        return tw_errtext(err, errlen, "%s: not a usable secret key", secret_what);
    if (!c->connect) {
        if (secret) {
            c->curve = TW_CURVE_SERVER;
        } else if (tw_curve_endpoint_exposed(c->endpoint)) {
            if (!insecure) {
                snprintf(err, errlen,
                         "refusing to publish in clear on %s, beyond this host: give a key "
                         "(TRAINWATCH_CURVE_SECRET=NAME.key, from 'trainwatch keygen NAME'), "
                         "bind a loopback address, or allow it with TRAINWATCH_INSECURE=1",
                         c->endpoint);
                return -EACCES;
            }
            c->insecure_exposed = true;
        }
        return 0;
    }
    if (!server) {
        if (secret)
            return tw_errtext(
                err, errlen,
                "%s is set but connecting to %s with CURVE needs the monitor's public "
                "key too (curve_server_key or TRAINWATCH_CURVE_SERVER)",
                secret_what, c->endpoint);
        return 0;
    }
    if ((rc = tw_curve_key_load(server, false, &c->curve_server, server_what, err, errlen)) != 0)
        return rc;
    if (!secret && tw_curve_keypair(&c->curve_public, &c->curve_secret) != 0)
        return tw_errtext(err, errlen, "cannot make a CURVE key pair: this libzmq has no CURVE");
    c->curve = TW_CURVE_CLIENT;
    return 0;
}

/* The run log's directory and mode: the option, else the environment, else the user's
 * configuration file (a bad file is a note, never an error), else ./runs and 0600. */
static int
resolve_log(tw_config *c, const tw_publisher_options *o, char *err, size_t errlen)
{
    const char *dir = o->log_dir ? o->log_dir : env("TRAINWATCH_LOG_DIR");
    const char *mode = env("TRAINWATCH_LOG_MODE");
    if (o->log_dir && !*o->log_dir)
        return tw_errtext(err, errlen, "log_dir is empty (use \"off\" to disable the run log)");
    c->log_mode = TW_CONFIG_LOG_MODE;
    if (mode && (c->log_mode = tw_userconf_parse_mode(mode)) < 0)
        return tw_errtext(err, errlen,
                          "TRAINWATCH_LOG_MODE='%s': expected an octal file mode from 0600 to "
                          "0666 (read and write for you, nothing executable)",
                          mode);
    tw_userconf uc = {.log_mode = -1};
    if (!dir || !mode) {
        char why[TW_CONFIG_NOTE_MAX - 64];
        if (tw_userconf_load(&uc, why, sizeof why) != 0)
            snprintf(c->note, sizeof c->note, "configuration file %s", why);
        if (!mode && uc.log_mode >= 0)
            c->log_mode = uc.log_mode;
        if (!dir && uc.log_dir[0])
            dir = uc.log_dir;
    }
    if (!dir)
        dir = "runs";
    if (strcmp(dir, "off") == 0)
        c->log_off = true;
    else if ((size_t)snprintf(c->log_dir, sizeof c->log_dir, "%s", dir) >= sizeof c->log_dir)
        return tw_errtext(err, errlen, "log directory path is too long");
    return 0;
}

int
tw_config_resolve(tw_config *c, const tw_publisher_options *opts, char *err, size_t errlen)
{
    tw_publisher_options o = opts ? *opts : tw_publisher_defaults();
    memset(c, 0, sizeof(*c));
    c->start_time = tw_clock_wall();
    c->incarnation = new_incarnation();
    if (gethostname(c->host, sizeof c->host) != 0)
        snprintf(c->host, sizeof c->host, "unknown");
    c->host[sizeof c->host - 1] = '\0';

    int rc = resolve_rank_world(c, &o, err, errlen);
    if (rc == 0)
        rc = resolve_run(c, &o, err, errlen);
    if (rc != 0)
        return rc;

    const char *ep = o.endpoint ? o.endpoint : env("TRAINWATCH_ENDPOINT");
    if (ep) {
        rc = tw_endpoint_parse(ep, c->endpoint, sizeof c->endpoint, &c->connect, err, errlen);
        if (rc == 0)
            rc = resolve_curve(c, &o, err, errlen);
        if (rc != 0)
            return rc;
    } else {
        c->registered = true; /* the ipc path is chosen when the runtime dir exists */
    }

    if ((rc = resolve_log(c, &o, err, errlen)) != 0)
        return rc;

    long v;
    const struct {
        int value, def, lo, hi;
        const char *name;
    } nums[] = {
        {o.ring_capacity, DEFAULT_RING, 2, MAX_RING, "ring_capacity"},
        {o.heartbeat_ms, DEFAULT_HEARTBEAT_MS, 10, 3600 * 1000, "heartbeat_ms"},
        {o.linger_ms, DEFAULT_LINGER_MS, 0, MAX_LINGER_MS, "linger_ms"},
        {o.step_history, DEFAULT_STEP_HISTORY, 16, 1 << 20, "step_history"},
    };
    int out[4];
    for (size_t i = 0; i < 4; i++) {
        v = nums[i].value < 0 ? nums[i].def : nums[i].value;
        if (v < nums[i].lo || v > nums[i].hi)
            return tw_errtext(err, errlen, "%s=%d is out of range [%d, %d]", nums[i].name,
                              nums[i].value, nums[i].lo, nums[i].hi);
        out[i] = (int)v;
    }
    c->ring_capacity = (uint64_t)out[0];
    c->heartbeat_ms = out[1];
    c->linger_ms = out[2];
    c->step_history = out[3] + (out[3] & 1); /* even: decimation keeps the newest point */
    return 0;
}
