/* test_registry.c - the registry of live runs (publisher/proto/registry.h) in a temporary
 * runtime directory: write, scan, removal, stale entries of dead pids, hostile entry files. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "registry.h"
#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_COLLECT 16

/* What a scan reported. */
typedef struct collected {
    tw_registry_entry e[MAX_COLLECT];
    int n;
    int stop_after; /* 0: never stop */
} collected;

static int
collect(void *ctx, const tw_registry_entry *e)
{
    collected *c = ctx;
    if (c->n < MAX_COLLECT)
        c->e[c->n] = *e;
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

/* The entry of run `run` among those collected, or NULL. */
static const tw_registry_entry *
find(const collected *c, const char *run)
{
    for (int i = 0; i < c->n && i < MAX_COLLECT; i++)
        if (strcmp(c->e[i].run, run) == 0)
            return &c->e[i];
    return NULL;
}

static int
setup_tmp(void **state)
{
    (void)state;
    return tmpdir_make("registry", false);
}

static int
teardown_tmp(void **state)
{
    (void)state;
    return tmpdir_remove();
}

/* A fresh directory tmp_root/name, mode 0700, into dir. */
static void
make_dir(char *dir, size_t len, const char *name)
{
    snprintf(dir, len, "%s/%s", tmp_root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
}

/* A pid that existed and no longer does. */
static pid_t
dead_pid(void)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    return child;
}

static tw_registry_entry
entry(long pid, const char *run, const char *endpoint)
{
    tw_registry_entry e;
    memset(&e, 0, sizeof e);
    e.pid = pid;
    e.world = 1;
    snprintf(e.run, sizeof e.run, "%s", run);
    snprintf(e.endpoint, sizeof e.endpoint, "%s", endpoint);
    return e;
}

/* Writes `len` bytes of text as dir/name. */
static void
write_raw(const char *dir, const char *name, const void *text, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Written entries scan back field for field; a removed entry is gone; files that are not
 * .run files are ignored; the callback can stop the scan. */
static void
test_write_scan_remove(void **state)
{
    (void)state;
    char dir[512];
    make_dir(dir, sizeof dir, "basic");
    tw_registry_entry e = entry(getpid(), "run-a", "ipc:///x/a.sock");
    e.rank = 2;
    e.world = 4;
    snprintf(e.program, sizeof e.program, "train.py");
    snprintf(e.host, sizeof e.host, "node-7");
    snprintf(e.log, sizeof e.log, "/logs/run-a.twlog");
    e.start = 1700000000.125;
    e.incarnation = 0x0123456789abcdefULL;
    char path_a[4096], path_b[4096];
    assert_int_equal(tw_registry_write(dir, "a", &e, path_a, sizeof path_a), 0);
    char want[600];
    snprintf(want, sizeof want, "%s/a.run", dir);
    assert_string_equal(path_a, want);
    tw_registry_entry b = entry(getpid(), "run-b", "tcp://127.0.0.1:5555");
    assert_int_equal(tw_registry_write(dir, "b", &b, path_b, sizeof path_b), 0);
    write_raw(dir, "a.sock", "", 0);       /* not a .run file */
    write_raw(dir, "c.run.tmp", "pid", 3); /* a write in progress */
    write_raw(dir, ".run", "pid=1\n", 6);  /* no base name */

    collected c = {0};
    assert_int_equal(tw_registry_scan(dir, false, collect, &c), 2);
    assert_int_equal(c.n, 2);
    const tw_registry_entry *a = find(&c, "run-a");
    assert_non_null(a);
    assert_string_equal(a->path, path_a);
    assert_int_equal(a->pid, getpid());
    assert_int_equal(a->rank, 2);
    assert_int_equal(a->world, 4);
    assert_string_equal(a->endpoint, "ipc:///x/a.sock");
    assert_string_equal(a->program, "train.py");
    assert_string_equal(a->host, "node-7");
    assert_string_equal(a->log, "/logs/run-a.twlog");
    assert_true(a->start == 1700000000.125);
    assert_true(a->incarnation == 0x0123456789abcdefULL);
    assert_true(a->alive);
    assert_non_null(find(&c, "run-b"));
    assert_string_equal(find(&c, "run-b")->log, "");

    collected first = {.stop_after = 1};
    assert_int_equal(tw_registry_scan(dir, false, collect, &first), 1);
    assert_int_equal(first.n, 1);

    assert_int_equal(unlink(path_a), 0); /* what a publisher does on exit */
    c = (collected){0};
    assert_int_equal(tw_registry_scan(dir, false, collect, &c), 1);
    assert_string_equal(c.e[0].run, "run-b");
    assert_int_equal(tw_registry_scan(dir, false, NULL, NULL), 1);

    char missing[600];
    snprintf(missing, sizeof missing, "%s/none", tmp_root);
    assert_int_equal(tw_registry_scan(missing, false, collect, &c), -ENOENT);
    char longbase[5000];
    memset(longbase, 'b', sizeof longbase - 1);
    longbase[sizeof longbase - 1] = '\0';
    assert_int_equal(tw_registry_write(dir, longbase, &e, path_a, sizeof path_a), -ENAMETOOLONG);
}

/* The entry of a dead pid is reported not alive; with remove_stale it is deleted with its own
 * socket and not reported, while live entries stay. */
static void
test_dead_pids_pruned(void **state)
{
    (void)state;
    char dir[512];
    make_dir(dir, sizeof dir, "stale");
    char sock[600], ep[700], path[4096];
    snprintf(sock, sizeof sock, "%s/dead.sock", dir);
    snprintf(ep, sizeof ep, "ipc://%s", sock);
    write_raw(dir, "dead.sock", "", 0);
    tw_registry_entry dead = entry(dead_pid(), "gone", ep);
    assert_int_equal(tw_registry_write(dir, "dead", &dead, path, sizeof path), 0);
    tw_registry_entry live = entry(getpid(), "here", "ipc:///x/here.sock");
    char live_path[4096];
    assert_int_equal(tw_registry_write(dir, "live", &live, live_path, sizeof live_path), 0);

    collected c = {0};
    assert_int_equal(tw_registry_scan(dir, false, collect, &c), 2);
    assert_false(find(&c, "gone")->alive);
    assert_true(find(&c, "here")->alive);
    assert_int_equal(access(path, F_OK), 0); /* reported, not removed */

    c = (collected){0};
    assert_int_equal(tw_registry_scan(dir, true, collect, &c), 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.e[0].run, "here");
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_not_equal(access(sock, F_OK), 0);
    assert_int_equal(access(live_path, F_OK), 0);
}

/* Pids beyond PID_MAX_LIMIT are invalid; stale cleanup removes only the entry's own socket.
 * (Moved from test_publisher.c.) */
static void
test_registry_pid_and_socket(void **state)
{
    (void)state;
    tw_registry_entry got;
    const char *big = "pid=4294967295\nrun=x\nendpoint=ipc://a\n";
    assert_int_equal(tw_registry_parse(big, strlen(big), &got), -EINVAL);
    const char *over = "pid=4194305\nrun=x\nendpoint=ipc://a\n";
    assert_int_equal(tw_registry_parse(over, strlen(over), &got), -EINVAL);
    const char *max = "pid=4194304\nrun=x\nendpoint=ipc://a\n";
    assert_int_equal(tw_registry_parse(max, strlen(max), &got), 0);

    char dir[512];
    make_dir(dir, sizeof dir, "reg2");
    pid_t child = dead_pid();
    char victim[600], own[600];
    snprintf(victim, sizeof victim, "%s/victim.sock", dir);
    snprintf(own, sizeof own, "%s/dead.sock", dir);
    write_raw(dir, "victim.sock", "", 0);
    write_raw(dir, "dead.sock", "", 0);
    tw_registry_entry e;
    memset(&e, 0, sizeof e);
    e.pid = child;
    e.world = 1;
    snprintf(e.run, sizeof e.run, "dead");
    char path[4096];
    snprintf(e.endpoint, sizeof e.endpoint, "ipc://%s/victim.sock", dir); /* not its own */
    assert_int_equal(tw_registry_write(dir, "other", &e, path, sizeof path), 0);
    snprintf(e.endpoint, sizeof e.endpoint, "ipc://%s/dead.sock", dir);
    assert_int_equal(tw_registry_write(dir, "dead", &e, path, sizeof path), 0);
    assert_int_equal(tw_registry_scan(dir, true, NULL, NULL), 0);
    assert_int_equal(access(victim, F_OK), 0);   /* another entry's socket: kept */
    assert_int_not_equal(access(own, F_OK), 0);  /* its own socket: removed */
    assert_int_not_equal(access(path, F_OK), 0); /* the stale entry: removed */
}

/* Malformed texts are -EINVAL; unknown keys are ignored; a bad log is left out. (Moved from
 * test_publisher.c.) */
static void
test_parse_hostile(void **state)
{
    (void)state;
    tw_registry_entry got;
    static const char *const hostile[] = {
        "",
        "pid=1\nrun=x\n",                                    /* no endpoint */
        "pid=abc\nrun=x\nendpoint=ipc://a\n",                /* bad pid */
        "pid=-5\nrun=x\nendpoint=ipc://a\n",                 /* negative */
        "pid=1\nrun=x\nendpoint=ipc://a\nrank=2\nworld=2\n", /* rank >= world */
        "pid=1\nrun=\nendpoint=ipc://a\n",                   /* empty run */
        "pid=99999999999999999999999\nrun=x\nendpoint=ipc://a\n",
        "pid=1\nrun=x\nendpoint=ipc://a\nstart=nan\n",
        "pid=1\nrun=x\nendpoint=ipc://a\nworld=0\n",
        "pid=1\nrun=x\nendpoint=ipc://a\nincarnation=xyz\n",
        "pid= 1\nrun=x\nendpoint=ipc://a\n", /* a space before the number */
    };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
        assert_int_equal(tw_registry_parse(hostile[i], strlen(hostile[i]), &got), -EINVAL);
    char longrun[600] = "pid=1\nendpoint=ipc://a\nrun=";
    memset(longrun + strlen(longrun), 'x', 300);
    assert_int_equal(tw_registry_parse(longrun, strlen(longrun), &got), -EINVAL);
    const char *good = "pid=12\nrun=r\nendpoint=ipc://a\nunknown=1\nrank=1\nworld=2";
    assert_int_equal(tw_registry_parse(good, strlen(good), &got), 0);
    assert_int_equal(got.rank, 1);
    assert_string_equal(got.log, "");
    /* the log is optional: a relative one is left out, the entry kept */
    const char *rel = "pid=12\nrun=r\nendpoint=ipc://a\nlog=runs/r.twlog";
    assert_int_equal(tw_registry_parse(rel, strlen(rel), &got), 0);
    assert_string_equal(got.log, "");
    const char *abs = "pid=12\nrun=r\nendpoint=ipc://a\nlog=/x/r-r0-0123456789abcdef.twlog";
    assert_int_equal(tw_registry_parse(abs, strlen(abs), &got), 0);
    assert_string_equal(got.log, "/x/r-r0-0123456789abcdef.twlog");
}

/* Hostile files beside a good entry: garbage bytes, a file larger than the bound, an overlong
 * line, a value cut by the bound, an empty file, a directory named *.run, a symlink. The scan
 * skips each of them and still reports the good one. */
static void
test_hostile_files_skipped(void **state)
{
    (void)state;
    char dir[512], path[4096];
    make_dir(dir, sizeof dir, "hostile");
    tw_registry_entry good = entry(getpid(), "good", "ipc:///x/good.sock");
    assert_int_equal(tw_registry_write(dir, "good", &good, path, sizeof path), 0);

    unsigned char garbage[3000];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (unsigned char)(x >> 16);
    }
    write_raw(dir, "garbage.run", garbage, sizeof garbage);

    static char big[3 * TW_REGISTRY_MAX_FILE];
    memset(big, 'x', sizeof big); /* one line, three times the bound, no '=' */
    write_raw(dir, "overlong.run", big, sizeof big);

    /* valid keys first, then a program value cut at the bound: too long for its field */
    int n =
        snprintf(big, sizeof big, "pid=%ld\nrun=cut\nendpoint=ipc://x\nprogram=", (long)getpid());
    memset(big + n, 'p', sizeof big - (size_t)n);
    write_raw(dir, "cut.run", big, sizeof big);

    /* the required keys only after an overlong line: past the bound, never read */
    memset(big, '#', sizeof big);
    n = snprintf(big + 2 * TW_REGISTRY_MAX_FILE, TW_REGISTRY_MAX_FILE,
                 "\npid=%ld\nrun=late\nendpoint=ipc://x\n", (long)getpid());
    write_raw(dir, "late.run", big, 2 * TW_REGISTRY_MAX_FILE + (size_t)n);

    static const char noeq[] = "\x01\x02\x03\n\n\n==\n=\n";
    write_raw(dir, "noeq.run", noeq, sizeof noeq - 1);
    write_raw(dir, "empty.run", "", 0);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/dir.run", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char link[600];
    snprintf(link, sizeof link, "%s/link.run", dir); /* O_NOFOLLOW: not followed */
    assert_int_equal(symlink(path, link), 0);

    collected c = {0};
    assert_int_equal(tw_registry_scan(dir, true, collect, &c), 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.e[0].run, "good");
    /* invalid files are skipped, not pruned: only entries of dead pids are removed */
    snprintf(sub, sizeof sub, "%s/garbage.run", dir);
    assert_int_equal(access(sub, F_OK), 0);
}

/* Control characters inside values are not a crash; the values are taken as they are
 * (bounded, NUL-terminated) and entries around them are reported. Consumers of run, program
 * and host must treat them as untrusted text. */
static void
test_control_characters(void **state)
{
    (void)state;
    char dir[512], path[4096];
    make_dir(dir, sizeof dir, "control");
    tw_registry_entry good = entry(getpid(), "good", "ipc:///x/good.sock");
    assert_int_equal(tw_registry_write(dir, "good", &good, path, sizeof path), 0);
    char text[512];
    int n = snprintf(text, sizeof text,
                     "pid=%ld\nrun=esc\x1b[2J\a\r\nendpoint=ipc://x\x7f\nprogram=\x01\x02\n"
                     "host=\t\v\f\nweird\x1b=1\n",
                     (long)getpid());
    write_raw(dir, "ctl.run", text, (size_t)n);
    /* a NUL inside a value ends it: "pid=1\0" is pid 1 (init: alive) */
    static const char nul[] = "pid=1\0\nrun=nul\0x\nendpoint=ipc://a\n";
    write_raw(dir, "nul.run", nul, sizeof nul - 1);
    collected c = {0};
    int got = tw_registry_scan(dir, false, collect, &c);
    assert_true(got >= 1 && got <= 3);
    assert_non_null(find(&c, "good"));
    for (int i = 0; i < c.n; i++) {
        assert_true(strlen(c.e[i].run) < sizeof c.e[i].run);
        assert_true(strlen(c.e[i].program) < sizeof c.e[i].program);
        assert_true(strlen(c.e[i].host) < sizeof c.e[i].host);
    }
}

/* A host program in a decimal-comma locale writes start= with a point, as the monitor (whose
 * numbers are C's) reads it, and parses one so too. */
static void
test_comma_locale(void **state)
{
    (void)state;
    if (!setlocale(LC_ALL, "de_DE.UTF-8") || localeconv()->decimal_point[0] != ',') {
        setlocale(LC_ALL, "C");
        print_message("skipped: no de_DE.UTF-8 locale here (localedef -i de_DE -f UTF-8 "
                      "de_DE.UTF-8 makes one)\n");
        skip();
    }
    char dir[512], path[4096];
    make_dir(dir, sizeof dir, "comma");
    tw_registry_entry e = entry(getpid(), "run-c", "ipc:///x/c.sock");
    e.start = 1700000000.125;
    assert_int_equal(tw_registry_write(dir, "c", &e, path, sizeof path), 0);
    tw_registry_entry got;
    const char *text = "pid=1\nrun=x\nendpoint=ipc://a\nstart=1.5\n";
    assert_int_equal(tw_registry_parse(text, strlen(text), &got), 0);
    assert_true(got.start == 1.5);
    setlocale(LC_ALL, "C");
    collected c = {0};
    assert_int_equal(tw_registry_scan(dir, false, collect, &c), 1);
    assert_true(c.e[0].start == 1700000000.125);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_scan_remove),
        cmocka_unit_test(test_dead_pids_pruned),
        cmocka_unit_test(test_registry_pid_and_socket),
        cmocka_unit_test(test_parse_hostile),
        cmocka_unit_test(test_hostile_files_skipped),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_comma_locale),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
