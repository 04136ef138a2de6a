/* tmpdir.h - a temporary directory for a cmocka test group, and an environment without the
 * variables a publisher reads: shared by the unit tests that touch files and sockets. */
#ifndef TW_TEST_TMPDIR_H
#define TW_TEST_TMPDIR_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The group's directory, /tmp/tw-test-NAME-XXXXXX once tmpdir_make made it. */
static char tmp_root[256];

/* Makes tmp_root for test group NAME. With runtime it is also XDG_RUNTIME_DIR and
 * XDG_CONFIG_HOME (no configuration file of the user's applies), and the variables that would
 * steer a publisher (endpoint, run name, log directory and mode, rank, world) are unset. Returns 0,
 * or -1 (a cmocka group set-up's failure). */
static inline int
tmpdir_make(const char *name, bool runtime)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/tw-test-%s-XXXXXX", name);
    if (!mkdtemp(tmp_root))
        return -1;
    if (runtime) {
        static const char *const vars[] = {
            "TRAINWATCH_ENDPOINT", "TRAINWATCH_RUN", "TRAINWATCH_LOG_DIR",
            "TRAINWATCH_LOG_MODE", "RANK",           "WORLD_SIZE"};
        setenv("XDG_RUNTIME_DIR", tmp_root, 1);
        setenv("XDG_CONFIG_HOME", tmp_root, 1);
        for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
            unsetenv(vars[i]);
    }
    return 0;
}

/* Writes text as the user's configuration file, tmp_root/trainwatch/config (XDG_CONFIG_HOME
 * after tmpdir_make with runtime). Returns 0, or -1. */
static inline int
tmpdir_write_config(const char *text)
{
    char path[320];
    snprintf(path, sizeof path, "%s/trainwatch", tmp_root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/trainwatch/config", tmp_root);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) == 0 ? rc : -1;
}

/* Removes tmp_root and everything in it. Returns 0, or -1. */
static inline int
tmpdir_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
