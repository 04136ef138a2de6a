/* logdir.h - the run-log directory, made private and checked before a log is created in it:
 * a log must not land where another user can read, replace or delete it. */
#ifndef TW_LOGDIR_H
#define TW_LOGDIR_H

#include <stddef.h>

/* Creates dir (one level; mode: the logs' mode with x where it has r, so 0700 for 0600) if it
 * is missing, then checks it. Refused (-EACCES, with a sentence in err): a symbolic link
 * owned by another user (planted in a shared directory), a directory owned by another user,
 * or one every user may write to without the sticky bit. Accepted with a sentence in warn: a
 * sticky directory every user may write to (/tmp), or one its group may write to. warn is ""
 * otherwise. Other errors (a missing parent, a file in the way) are left to the writer's
 * open: 0 is returned. */
int tw_logdir_prepare(const char *dir, unsigned log_mode, char *warn, size_t warnlen, char *err,
                      size_t errlen);

#endif
