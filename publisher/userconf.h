/* userconf.h - the user's configuration file, $XDG_CONFIG_HOME/trainwatch/config (default
 * ~/.config/trainwatch/config): the settings a user wants for every run without exporting
 * them. The environment wins over it; options given in code win over both.
 *
 * Format (doc/configuration.md): one KEY=VALUE a line; blank lines and lines whose first
 * non-blank character is '#' are ignored; blanks around KEY and VALUE are trimmed; VALUE may
 * be in double or single quotes (nothing is escaped inside); a VALUE starting with "~/" is
 * under $HOME. Keys: TRAINWATCH_LOG_DIR (the run-log directory, or "off"), TRAINWATCH_LOG_MODE
 * (the run logs' file mode, octal: 0600 by default, 0640 or 0644 to share them). Limits: the
 * file is at most TW_USERCONF_MAX_FILE bytes, a line at most TW_USERCONF_MAX_LINE, a value
 * fits TW_ENDPOINT_PATH_MAX; a line breaking a rule, an unknown key or an invalid value is
 * skipped and named in the error, and the lines that are valid still apply. */
#ifndef TW_USERCONF_H
#define TW_USERCONF_H

#include "endpoint.h"

#include <stdbool.h>
#include <stddef.h>

#define TW_USERCONF_MAX_FILE 65536
#define TW_USERCONF_MAX_LINE 4096

typedef struct tw_userconf {
    char log_dir[TW_ENDPOINT_PATH_MAX]; /* "" when not set */
    int log_mode;                       /* -1 when not set */
    char path[TW_ENDPOINT_PATH_MAX];    /* the file read, "" when there is none */
} tw_userconf;

/* Parses len bytes of text (not NUL-terminated; NUL bytes are an error on their line) into
 * *c, which it first empties; home expands "~/" (NULL: a "~/" value is an error). Returns 0,
 * or -EINVAL with a sentence in err naming the first bad line ("line 3: ...") while the
 * valid lines are applied. */
int tw_userconf_parse(tw_userconf *c, const char *text, size_t len, const char *home, char *err,
                      size_t errlen);

/* Reads the user's file (XDG_CONFIG_HOME, else HOME/.config; no HOME: none) into *c. A missing
 * file is no error (c is empty). Returns 0, or a negative errno with a sentence in err naming
 * the file: unreadable, larger than the limit, or a bad line (the valid ones still apply). */
int tw_userconf_load(tw_userconf *c, char *err, size_t errlen);

/* Parses a run-log file mode as TRAINWATCH_LOG_MODE gives it: octal, read and write for the
 * owner, at most read and write for the others, nothing executable ("0600", "640"). Returns
 * the mode, or -1. */
int tw_userconf_parse_mode(const char *s);

#endif
