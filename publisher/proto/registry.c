/* registry.c - writes, parses and scans the registry of live runs (registry.h). */
#define _GNU_SOURCE
#include "registry.h"

#include "cnum.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
tw_registry_write(const char *dir, const char *base, const tw_registry_entry *e, char *path_out,
                  size_t path_len)
{
    char path[4200], tmp[4220];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.run", dir, base) >= sizeof path ||
        strlen(path) >= path_len)
        return -ENAMETOOLONG;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return -errno;
    tw_cnum_scope c; /* start's decimal point is '.' whatever the host program's locale */
    tw_cnum_begin(&c);
    fprintf(f,
            "pid=%ld\nrun=%s\nrank=%u\nworld=%u\nendpoint=%s\nprogram=%s\nhost=%s\n"
            "start=%.3f\nincarnation=%016llx\n",
            e->pid, e->run, e->rank, e->world, e->endpoint, e->program, e->host, e->start,
            (unsigned long long)e->incarnation);
    tw_cnum_end(&c);
    if (e->log[0])
        fprintf(f, "log=%s\n", e->log);
    if (e->name[0])
        fprintf(f, "name=%s\n", e->name);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return -err;
    }
    snprintf(path_out, path_len, "%s", path);
    return 0;
}

/* Copies value v (vlen bytes) into out (outlen with the NUL); false when it does not fit. */
static bool
copy_value(char *out, size_t outlen, const char *v, size_t vlen)
{
    if (vlen >= outlen)
        return false;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
    return true;
}

static bool
parse_u64(const char *v, size_t vlen, int base, uint64_t max, uint64_t *out)
{
    char buf[32];
    if (vlen == 0 || vlen >= sizeof buf || v[0] == '-' || v[0] == '+' || v[0] == ' ')
        return false;
    memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    char *end;
    errno = 0;
    unsigned long long x = strtoull(buf, &end, base);
    if (errno || *end || x > max)
        return false;
    *out = x;
    return true;
}

int
tw_registry_parse(const char *text, size_t len, tw_registry_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->world = 1;
    bool have_pid = false, have_run = false, have_ep = false, ok = true;
    size_t i = 0;
    while (i < len && ok) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        const char *line = text + i, *eq = memchr(line, '=', eol - i);
        if (eq) {
            size_t klen = (size_t)(eq - line), vlen = (size_t)(text + eol - eq - 1);
            const char *v = eq + 1;
            uint64_t u = 0;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
            if (KEY("pid")) {
                ok = parse_u64(v, vlen, 10, TW_REGISTRY_MAX_PID, &u) && u > 0;
                e->pid = (long)u;
                have_pid = ok;
            } else if (KEY("run")) {
                ok = have_run = vlen > 0 && copy_value(e->run, sizeof e->run, v, vlen);
            } else if (KEY("endpoint")) {
                ok = have_ep = vlen > 0 && copy_value(e->endpoint, sizeof e->endpoint, v, vlen);
            } else if (KEY("rank")) {
                ok = parse_u64(v, vlen, 10, UINT32_MAX, &u);
                e->rank = (uint32_t)u;
            } else if (KEY("world")) {
                ok = parse_u64(v, vlen, 10, UINT32_MAX, &u) && u >= 1;
                e->world = (uint32_t)u;
            } else if (KEY("program")) {
                ok = copy_value(e->program, sizeof e->program, v, vlen);
            } else if (KEY("name")) {
                ok = copy_value(e->name, sizeof e->name, v, vlen);
            } else if (KEY("host")) {
                ok = copy_value(e->host, sizeof e->host, v, vlen);
            } else if (KEY("log")) { /* optional: a bad one is left out, the entry stays */
                if (vlen == 0 || v[0] != '/' || !copy_value(e->log, sizeof e->log, v, vlen))
                    e->log[0] = '\0';
            } else if (KEY("incarnation")) {
                ok = parse_u64(v, vlen, 16, UINT64_MAX, &e->incarnation);
            } else if (KEY("start")) {
                char buf[64];
                ok = copy_value(buf, sizeof buf, v, vlen);
                if (ok) {
                    char *end;
                    e->start = tw_cnum_strtod(buf, &end);
                    ok = *end == '\0' && isfinite(e->start);
                }
            }
#undef KEY
        }
        i = eol + 1;
    }
    if (!ok || !have_pid || !have_run || !have_ep || e->rank >= e->world)
        return -EINVAL;
    return 0;
}

static bool
pid_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int
tw_registry_scan(const char *dir, bool remove_stale, tw_registry_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int reported = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".run") != 0)
            continue;
        char path[sizeof(((tw_registry_entry *)0)->path)];
        int pn = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (pn < 0 || (size_t)pn >= sizeof path)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        char text[TW_REGISTRY_MAX_FILE];
        ssize_t got = read(fd, text, sizeof text);
        close(fd);
        tw_registry_entry e;
        if (got <= 0 || tw_registry_parse(text, (size_t)got, &e) != 0)
            continue;
        memcpy(e.path, path, sizeof e.path);
        e.alive = pid_alive(e.pid);
        if (!e.alive && remove_stale) {
            unlink(path);
            /* Only the socket this entry's publisher made: DIR/BASE.sock for DIR/BASE.run. */
            char sock[sizeof path + 8];
            int sn =
                snprintf(sock, sizeof sock, "ipc://%s/%.*s.sock", dir, (int)(n - 4), de->d_name);
            if (sn > 0 && (size_t)sn < sizeof sock && strcmp(e.endpoint, sock) == 0)
                unlink(e.endpoint + 6);
            continue;
        }
        reported++;
        if (fn && fn(ctx, &e) != 0)
            break;
    }
    closedir(d);
    return reported;
}
