/* cpus.c - how many CPUs this process may use (cpus.h). */
#define _GNU_SOURCE
#include "cpus.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096 /* a line of /proc/self/cgroup or a quota file; longer: ignored */

/* Reads the first line of root + path into line (without its newline). False when the file
 * is missing, unreadable, empty or its first line does not fit. */
static bool
read_line(const char *root, const char *path, char *line, size_t len)
{
    char name[PATH_MAX];
    if (snprintf(name, sizeof name, "%s%s", root, path) >= (int)sizeof name)
        return false;
    FILE *f = fopen(name, "re");
    if (!f)
        return false;
    bool ok = fgets(line, (int)len, f) != NULL;
    fclose(f);
    size_t n = ok ? strlen(line) : 0;
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    else if (n + 1 >= len)
        return false; /* cut short */
    return n > 0;
}

/* A positive decimal integer that fills s (at most 18 digits: no overflow), or -1. */
static long long
positive(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 18 || s[n] != '\0')
        return -1;
    long long v = strtoll(s, NULL, 10);
    return v > 0 ? v : -1;
}

/* The quota in the cgroup directory dir (v2: cpu.max; v1: the cfs pair), or 0: none. */
static double
quota_at(const char *root, const char *dir, bool v2)
{
    char path[PATH_MAX], line[LINE_MAX_BYTES];
    if (v2) {
        if (snprintf(path, sizeof path, "%s/cpu.max", dir) >= (int)sizeof path ||
            !read_line(root, path, line, sizeof line))
            return 0;
        char *sp = strchr(line, ' ');
        if (!sp)
            return 0;
        *sp = '\0';
        long long q = positive(line), p = positive(sp + 1);
        return q > 0 && p > 0 ? (double)q / (double)p : 0; /* "max": none */
    }
    if (snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir) >= (int)sizeof path ||
        !read_line(root, path, line, sizeof line))
        return 0;
    long long q = positive(line); /* -1: none */
    if (q <= 0 || snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir) >= (int)sizeof path ||
        !read_line(root, path, line, sizeof line))
        return 0;
    long long p = positive(line);
    return p > 0 ? (double)q / (double)p : 0;
}

/* The smallest quota of the cgroup `rel` (a path from /proc/self/cgroup) under the hierarchy
 * mounted at `mount` and of its ancestors up to the mount's root; 0: none. */
static double
quota_up(const char *root, const char *mount, const char *rel, bool v2)
{
    char dir[PATH_MAX];
    if (rel[0] != '/')
        return 0;
    /* a path with "." or ".." steps, or too long to name, is not followed: the mount's root
     * alone (in a container, its own cgroup) */
    bool odd = strstr(rel, "/.") != NULL;
    if (odd || snprintf(dir, sizeof dir, "%s%s", mount, rel) >= (int)sizeof dir)
        snprintf(dir, sizeof dir, "%s/", mount);
    size_t base = strlen(mount);
    double best = 0;
    for (;;) {
        size_t n = strlen(dir);
        while (n > base + 1 && dir[n - 1] == '/') /* "a/b/" is "a/b" */
            dir[--n] = '\0';
        double q = quota_at(root, dir, v2);
        if (q > 0 && (best == 0 || q < best))
            best = q;
        char *slash = strrchr(dir + base, '/');
        if (!slash || n <= base + 1)
            return best;
        slash[slash == dir + base ? 1 : 0] = '\0'; /* the parent; the mount's root last */
    }
}

double
tw_cpus_quota(const char *root)
{
    char name[PATH_MAX], line[LINE_MAX_BYTES];
    if (snprintf(name, sizeof name, "%s/proc/self/cgroup", root ? root : "") >= (int)sizeof name)
        return 0;
    FILE *f = fopen(name, "re");
    if (!f)
        return 0;
    double best = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        else if (!feof(f)) { /* a line too long for a cgroup we know: skipped */
            int c;
            while ((c = getc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *ctl = c1 + 1, *rel = c2 + 1;
        double q = 0;
        if (strcmp(line, "0") == 0 && ctl[0] == '\0') { /* v2: "0::/path" */
            q = quota_up(root ? root : "", "/sys/fs/cgroup", rel, true);
        } else { /* v1: "N:cpu,cpuacct:/path" (the controllers in any order) */
            char list[LINE_MAX_BYTES];
            snprintf(list, sizeof list, ",%s,", ctl);
            if (!strstr(list, ",cpu,"))
                continue;
            char mount[PATH_MAX];
            struct stat st; /* "cpu,cpuacct", or "cpu" alone (often a link to the other) */
            snprintf(mount, sizeof mount, "%s/sys/fs/cgroup/cpu,cpuacct", root ? root : "");
            bool both = stat(mount, &st) == 0 && S_ISDIR(st.st_mode);
            q = quota_up(root ? root : "",
                         both ? "/sys/fs/cgroup/cpu,cpuacct" : "/sys/fs/cgroup/cpu", rel, false);
        }
        if (q > 0 && (best == 0 || q < best))
            best = q;
    }
    fclose(f);
    return best;
}

double
tw_cpus_usable(void)
{
    cpu_set_t cpus;
    long n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus)
                                                           : sysconf(_SC_NPROCESSORS_ONLN);
    double usable = n >= 1 ? (double)n : 1, q = tw_cpus_quota("");
    return q > 0 && q < usable ? q : usable;
}
