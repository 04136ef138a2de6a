/* threadmask.h - the signal mask of a thread of this process, found by its name in /proc
 * (/proc/self/task/TID/comm and status): shared by the tests of the threads we start. */
#ifndef TW_TEST_THREADMASK_H
#define TW_TEST_THREADMASK_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a thread named `name` runs in this process; *blocked gets its blocked signals (bit
 * k - 1 for signal k, as SigBlk in /proc shows them). */
static inline bool
thread_blocked(const char *name, unsigned long long *blocked)
{
    DIR *d = opendir("/proc/self/task");
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        bool named = f && fgets(line, sizeof line, f) && strncmp(line, name, strlen(name)) == 0 &&
                     line[strlen(name)] == '\n';
        if (f)
            fclose(f);
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        if (!named || !(f = fopen(path, "r")))
            continue;
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "SigBlk:", 7) == 0) {
                *blocked = strtoull(line + 7, NULL, 16);
                found = true;
            }
        fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

/* Whether signal sig is in a mask as thread_blocked gives it. */
static inline bool
mask_has(unsigned long long blocked, int sig)
{
    return (blocked >> (sig - 1)) & 1;
}

#endif
