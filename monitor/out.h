/* out.h - the program's text output: every message and text line through the one sanitiser
 * (monitor/model/text.h), names cut by display columns, and what became of standard output
 * (a reader that went away, a full disk).
 *
 * Exit rules for standard output (doc/trainwatch.1, EXIT STATUS): a reader that went away
 * (EPIPE: `trainwatch --jsonl | head`) ends the program quietly with 128 + SIGPIPE, as a
 * program killed by SIGPIPE would (SIGPIPE itself stays ignored: --on-alert writes to
 * commands that may quit early); any other write error (ENOSPC, EBADF, EIO) is said on
 * stderr and the status is 1 (2 for --check, whose 1 means an alert fired). */
#ifndef TW_OUT_H
#define TW_OUT_H

#include <stdbool.h>
#include <stdio.h>

/* Prints "trainwatch: MESSAGE" and a newline on stderr, the message sanitised (a control
 * character from a file name or a peer's string becomes '?'). At most about 2 KB. */
void tw_out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes text sanitised, and a newline, to out. */
void tw_out_line(FILE *out, const char *text);

/* Writes s sanitised, cut to at most w display columns (never inside a character) and
 * padded with spaces to w columns: one cell of a table. */
void tw_out_cell(FILE *out, const char *s, int w);

/* Whether a write to out failed: flushes it and returns 0, or the errno of the failure (EIO
 * when it is not known). */
int tw_out_error_of(FILE *out);

/* The exit status once standard output is flushed: `status` when all of it was written;
 * 128 + SIGPIPE when its reader went away (quietly); else, with a message on stderr,
 * `failed` (1, or 2 for --check) unless status is already a failure above it. `known`: the
 * errno of the first failed write when the caller kept it (stdio does not), else 0. */
int tw_out_finish(int status, int failed, int known);

#endif
