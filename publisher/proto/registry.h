/* registry.h - the per-user registry of live runs on this host, so a monitor finds them.
 *
 * Design note. A publisher on the default endpoint binds ipc://DIR/BASE.sock and writes
 * DIR/BASE.run, a small text file of key=value lines (pid, run, rank, world, endpoint,
 * program, host, start, incarnation), atomically (temp file + rename); it removes both on
 * exit. DIR is the runtime directory (config.h: mode 0700, owned by the user). A process that
 * died without cleaning up leaves a stale entry: its pid no longer exists. Scanning reports
 * every entry with its liveness, and can remove stale ones. Entry files are parsed as hostile
 * input: bounded size, unknown keys ignored, bad values make the entry invalid, not a crash. */
#ifndef TW_REGISTRY_H
#define TW_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_REGISTRY_MAX_FILE 4096    /* bytes of one .run file */
#define TW_REGISTRY_MAX_PID  4194304 /* Linux's PID_MAX_LIMIT: larger pids are invalid */

typedef struct tw_registry_entry {
    char path[4096]; /* the .run file */
    long pid;
    char run[128];  /* the run id */
    char name[128]; /* its display name; "" when the entry has none (an older publisher) */
    uint32_t rank, world;
    char endpoint[4096];
    char program[128];
    char host[256];
    double start;
    uint64_t incarnation;
    char log[4096]; /* its run log, absolute; "" when it has none */
    bool alive;     /* the pid exists */
} tw_registry_entry;

/* Writes DIR/BASE.run for entry e; on success copies the path into path_out. Returns 0 or a
 * negative errno. */
int tw_registry_write(const char *dir, const char *base, const tw_registry_entry *e, char *path_out,
                      size_t path_len);

/* Parses the text of a .run file into e (alive is not set). Returns 0, or -EINVAL when a
 * required key (pid, run, endpoint) is missing or a value is malformed. */
int tw_registry_parse(const char *text, size_t len, tw_registry_entry *e);

/* Called for each valid entry; return non-zero to stop the scan. */
typedef int (*tw_registry_fn)(void *ctx, const tw_registry_entry *e);

/* Lists DIR/\*.run: calls fn for every valid entry with alive set; with remove_stale, deletes
 * the .run file of entries whose process is gone (and does not report them), and their
 * socket only when the endpoint is exactly ipc://DIR/BASE.sock for DIR/BASE.run.
 * Returns the number of entries reported, or a negative errno (-ENOENT: no directory). */
int tw_registry_scan(const char *dir, bool remove_stale, tw_registry_fn fn, void *ctx);

#endif
