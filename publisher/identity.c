/* identity.c - the run id of this launch from the launcher, and the default display name. */
#define _GNU_SOURCE
#include "identity.h"
#include "errtext.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define READABLE_MAX 64 /* a launcher id longer than this is hashed */
#define CMDLINE_MAX  8192
#define ARGS_MAX     64

/* A non-empty environment variable, or NULL. */
static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

uint64_t
tw_identity_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static bool
readable(const char *s)
{
    if (strlen(s) > READABLE_MAX)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+-", *s))
            return false;
    return true;
}

/* out = "KIND:SOURCE" when SOURCE is short and plain, else "KIND-HASH". */
static void
make_id(char *out, size_t outlen, const char *kind, const char *source)
{
    if (readable(source))
        snprintf(out, outlen, "%s:%s", kind, source);
    else
        snprintf(out, outlen, "%s-%016llx", kind, (unsigned long long)tw_identity_hash(source));
}

/* The start time (clock ticks since boot, field 22 of /proc/PID/stat) of process pid; 0 when
 * it cannot be read. */
static unsigned long long
process_start(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
    unsigned long long start = 0;
    /* after ')': state (field 3) ... starttime (field 22) */
    if (!p || sscanf(p + 1,
                     " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                     "%*d %llu",
                     &start) != 1)
        return 0;
    return start;
}

/* What the local ranks of one launch share: their host, their parent process (the
 * launcher's agent or spawner) and the rendezvous address. */
static void
local_id(char *out, size_t outlen, const char *name)
{
    char host[256] = "", src[1024];
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    long ppid = (long)getppid();
    const char *addr = env("MASTER_ADDR"), *port = env("MASTER_PORT");
    const char *restart = env("TORCHELASTIC_RESTART_COUNT");
    snprintf(src, sizeof src, "%s|%ld|%llu|%s:%s|%s|%.127s", host, ppid, process_start(ppid),
             addr ? addr : "", port ? port : "", restart ? restart : "", name ? name : "");
    snprintf(out, outlen, "local-%016llx", (unsigned long long)tw_identity_hash(src));
}

static void
random_id(char *out, size_t outlen)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
    }
    snprintf(out, outlen, "r%016llx", (unsigned long long)v);
}

/* Whether the torchrun job spans several nodes (its world is larger than this node's). */
static bool
torch_multi_node(void)
{
    const char *w = env("WORLD_SIZE"), *lw = env("LOCAL_WORLD_SIZE");
    const char *groups = env("GROUP_WORLD_SIZE");
    if (groups && strcmp(groups, "1") != 0)
        return true;
    return w && lw && strcmp(w, lw) != 0;
}

int
tw_identity_run_id(char *out, size_t outlen, uint32_t world, const char *name, char *err,
                   size_t errlen)
{
    char src[1024];
    const char *v = env("TRAINWATCH_RUN_ID");
    if (getenv("TRAINWATCH_RUN_ID") && !v)
        return tw_errtext(err, errlen, "TRAINWATCH_RUN_ID is empty");
    if (v) {
        if (strlen(v) >= outlen)
            return tw_errtext(err, errlen, "TRAINWATCH_RUN_ID must be 1 to %zu bytes long",
                              outlen - 1);
        for (const char *p = v; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return tw_errtext(err, errlen,
                                  "TRAINWATCH_RUN_ID must not contain control characters");
        snprintf(out, outlen, "%s", v);
        return 0;
    }
    const char *te = env("TORCHELASTIC_RUN_ID");
    const char *restart = env("TORCHELASTIC_RESTART_COUNT");
    if (te && strcmp(te, "none") != 0) {
        snprintf(src, sizeof src, "%s/%s", te, restart ? restart : "0");
        make_id(out, outlen, "te", src);
        return 0;
    }
    const char *job = env("SLURM_JOB_ID"), *step = env("SLURM_STEP_ID");
    if (job && step) {
        snprintf(src, sizeof src, "%s.%s", job, step);
        make_id(out, outlen, "slurm", src);
        return 0;
    }
    static const char *const jobs[][2] = {
        {"PMIX_NAMESPACE", "pmix"}, {"OMPI_MCA_ess_base_jobid", "ompi"}, {"PMI_KVSNAME", "pmi"}};
    for (size_t i = 0; i < sizeof jobs / sizeof *jobs; i++)
        if ((v = env(jobs[i][0]))) {
            make_id(out, outlen, jobs[i][1], v);
            return 0;
        }
    const char *addr = env("MASTER_ADDR"), *port = env("MASTER_PORT");
    if (te && torch_multi_node() && addr && port) {
        snprintf(src, sizeof src, "%s:%s/%s", addr, port, restart ? restart : "0");
        make_id(out, outlen, "te", src);
        return 0;
    }
    if (world > 1 || te)
        local_id(out, outlen, name);
    else
        random_id(out, outlen);
    return 0;
}

/* The base name of path, without a ".py" ending. */
static void
stem(char *out, size_t outlen, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 3 && strcmp(b + n - 3, ".py") == 0)
        n -= 3;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, b, n);
    out[n] = '\0';
}

static bool
is_python(const char *argv0)
{
    const char *b = strrchr(argv0, '/');
    b = b ? b + 1 : argv0;
    return strncmp(b, "python", 6) == 0;
}

void
tw_identity_program_of(char *out, size_t outlen, int argc, const char *const *argv)
{
    snprintf(out, outlen, "run");
    if (argc < 1 || !argv[0][0])
        return;
    if (!is_python(argv[0])) {
        stem(out, outlen, argv[0]);
    } else {
        snprintf(out, outlen, "python");
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i];
            if (strcmp(a, "-m") == 0 && i + 1 < argc) {
                const char *dot = strrchr(argv[i + 1], '.');
                snprintf(out, outlen, "%s", dot ? dot + 1 : argv[i + 1]);
                break;
            }
            if (strcmp(a, "-c") == 0 || strcmp(a, "-") == 0)
                break;
            if ((strcmp(a, "-W") == 0 || strcmp(a, "-X") == 0) && i + 1 < argc) {
                i++;
                continue;
            }
            if (a[0] == '-')
                continue;
            stem(out, outlen, a);
            break;
        }
    }
    if (!out[0])
        snprintf(out, outlen, "run");
}

void
tw_identity_program(char *out, size_t outlen)
{
    char buf[CMDLINE_MAX];
    const char *argv[ARGS_MAX];
    int argc = 0;
    size_t n = 0;
    FILE *f = fopen("/proc/self/cmdline", "re");
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    for (size_t i = 0; i < n && argc < ARGS_MAX; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    tw_identity_program_of(out, outlen, argc, argv);
    for (char *p = out; *p; p++) /* a name is one line of plain text */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '_';
}

void
tw_identity_default_name(char *out, size_t outlen, const char *program, const char *run_id)
{
    snprintf(out, outlen, "%.100s-%04x", program, (unsigned)(tw_identity_hash(run_id) & 0xffffu));
}
