/* logdir.c - the run-log directory: made private, refused when others could take the logs. */
#define _GNU_SOURCE
#include "logdir.h"
#include "errtext.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
tw_logdir_prepare(const char *dir, unsigned log_mode, char *warn, size_t warnlen, char *err,
                  size_t errlen)
{
    if (warn && warnlen)
        warn[0] = '\0';
    /* x where the logs have r; never group or other write (a shared mode 0666 makes the logs
     * writable, not the directory, which would then be refused below) */
    mkdir(dir, (mode_t)((log_mode | ((log_mode & 0444) >> 2)) & ~022u)); /* EEXIST: below */
    struct stat lst, st;
    if (lstat(dir, &lst) != 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0; /* the writer's open says why */
    uid_t me = geteuid();
    if (S_ISLNK(lst.st_mode) && lst.st_uid != me && lst.st_uid != 0)
        return tw_errtext(err, errlen,
                          "%s is a symbolic link that another user (uid %u) made: refusing to "
                          "write run logs where it points",
                          dir, (unsigned)lst.st_uid);
    if (st.st_uid != me)
        return tw_errtext(err, errlen,
                          "%s belongs to another user (uid %u), who could read, replace or "
                          "delete the run logs: refusing to write them there",
                          dir, (unsigned)st.st_uid);
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        return tw_errtext(err, errlen,
                          "%s is writable by every user, who could replace or delete the run "
                          "logs: refusing to write them there (chmod o-w it)",
                          dir);
    if (st.st_mode & (S_IWOTH | S_IWGRP))
        snprintf(warn, warnlen, "%s is writable by %s", dir,
                 (st.st_mode & S_IWOTH) ? "every user (sticky)" : "its group");
    return 0;
}
