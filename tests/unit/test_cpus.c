/* test_cpus.c - the CPUs a cgroup's quota allows (monitor/cpus.h), read from a directory that
 * mimics /proc/self/cgroup and /sys/fs/cgroup: cgroup v2 and v1, nested limits (the smallest
 * wins), no limit, and malformed or missing files (no limit, never a crash). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpus.h"
#include "tmpdir.h"

#include <string.h>
#include <sys/stat.h>

/* Writes text to tmp_root + path, making its directories. */
static void
put(const char *path, const char *text)
{
    char full[1024];
    snprintf(full, sizeof full, "%s%s", tmp_root, path);
    for (char *p = full + strlen(tmp_root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(full, 0700);
        *p = '/';
    }
    FILE *f = fopen(full, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int
fresh(void **state)
{
    (void)state;
    return tmpdir_make("cpus", false);
}

static int
gone(void **state)
{
    (void)state;
    return tmpdir_remove();
}

static void
test_none(void **state)
{
    (void)state;
    assert_true(tw_cpus_quota(tmp_root) == 0); /* no /proc/self/cgroup at all */
    put("/proc/self/cgroup", "0::/user.slice/session-1.scope\n");
    assert_true(tw_cpus_quota(tmp_root) == 0); /* no cpu.max anywhere */
    put("/sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
    assert_true(tw_cpus_quota(tmp_root) == 0);
}

static void
test_v2_nested(void **state)
{
    (void)state;
    put("/proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
    put("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000\n");
    put("/sys/fs/cgroup/kubepods/pod1/cpu.max", "150000 100000\n");
    put("/sys/fs/cgroup/kubepods/cpu.max", "400000 100000");
    assert_float_equal(tw_cpus_quota(tmp_root), 1.5, 1e-12); /* the smallest, a level up */
    put("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "50000 100000\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 0.5, 1e-12);
}

/* A cgroup namespace (a container): the process sees its cgroup as the root. */
static void
test_v2_namespace_root(void **state)
{
    (void)state;
    put("/proc/self/cgroup", "0::/\n");
    put("/sys/fs/cgroup/cpu.max", "200000 100000\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 2.0, 1e-12);
}

static void
test_v1(void **state)
{
    (void)state;
    put("/proc/self/cgroup", "12:memory:/docker/abc\n"
                             "4:cpuacct,cpu:/docker/abc\n"
                             "1:name=systemd:/docker/abc\n");
    put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
    put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    assert_true(tw_cpus_quota(tmp_root) == 0); /* -1: none */
    put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "100000\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 1.0, 1e-12);
    /* inside the container the host's path does not exist: the mount's root is its cgroup */
    put("/proc/self/cgroup", "4:cpu,cpuacct:/docker/other\n");
    put("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "250000\n");
    put("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 2.5, 1e-12);
}

/* The cpu controller mounted alone, beside v2's line (a hybrid host, this one's layout). */
static void
test_v1_cpu_alone(void **state)
{
    (void)state;
    put("/proc/self/cgroup", "2:cpuacct:/\n1:cpu:/job\n0::/\n");
    put("/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us", "50000\n");
    put("/sys/fs/cgroup/cpu/job/cpu.cfs_period_us", "100000\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 0.5, 1e-12);
}

/* Whatever the files hold, no crash and no limit from what cannot be read as one. */
static void
test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "\n",
                                      "max",
                                      "100000",
                                      "0 100000\n",
                                      "100000 0\n",
                                      "-5 100000\n",
                                      "abc 100000\n",
                                      "100000 abc\n",
                                      "1e5 1e5\n",
                                      " 100000 100000\n",
                                      "100000  100000\n",
                                      "1000000000000000000000 100000\n",
                                      "100000 100000 100000\n",
                                      "100000\t100000\n"};
    put("/proc/self/cgroup", "0::/a\n");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put("/sys/fs/cgroup/a/cpu.max", bad[i]);
        double q = tw_cpus_quota(tmp_root);
        if (q != 0)
            fail_msg("cpu.max '%s' read as %g CPUs", bad[i], q);
    }
    char big[9000];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("/sys/fs/cgroup/a/cpu.max", big); /* a line longer than any quota */
    assert_true(tw_cpus_quota(tmp_root) == 0);
    put("/proc/self/cgroup", big); /* and a cgroup file of one long line */
    assert_true(tw_cpus_quota(tmp_root) == 0);
    static const char *const lines[] = {"garbage\n",          "0:\n",     ":::\n",
                                        "0::relative/path\n", "3:cpu:\n", "3:cpuset:/a\n"};
    put("/sys/fs/cgroup/a/cpu.max", "100000 100000\n");
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        put("/proc/self/cgroup", lines[i]);
        assert_true(tw_cpus_quota(tmp_root) == 0);
    }
}

/* A path that climbs out of the hierarchy, or too long to name, is read as its root (in a
 * container, its own cgroup); an overlong line is skipped, not the rest of the file. */
static void
test_odd_paths(void **state)
{
    (void)state;
    put("/sys/fs/cpu.max", "10000 100000\n"); /* planted above the mount */
    put("/proc/self/cgroup", "0::/..\n");
    assert_true(tw_cpus_quota(tmp_root) == 0);
    put("/sys/fs/cgroup/cpu.max", "300000 100000\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 3.0, 1e-12);
    put("/proc/self/cgroup", "0::/a/../../..\n");
    assert_float_equal(tw_cpus_quota(tmp_root), 3.0, 1e-12);
    char line[4000] = "0::/";
    memset(line + 4, 'x', sizeof line - 6);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    put("/proc/self/cgroup", line); /* past PATH_MAX with the mount */
    assert_float_equal(tw_cpus_quota(tmp_root), 3.0, 1e-12);
    char text[9000];
    memset(text, 'y', 8000);
    snprintf(text + 8000, sizeof text - 8000, "\n0::/b\n");
    put("/sys/fs/cgroup/b/cpu.max", "50000 100000\n");
    put("/proc/self/cgroup", text);
    assert_float_equal(tw_cpus_quota(tmp_root), 0.5, 1e-12);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_none, fresh, gone),
        cmocka_unit_test_setup_teardown(test_v2_nested, fresh, gone),
        cmocka_unit_test_setup_teardown(test_v2_namespace_root, fresh, gone),
        cmocka_unit_test_setup_teardown(test_v1, fresh, gone),
        cmocka_unit_test_setup_teardown(test_v1_cpu_alone, fresh, gone),
        cmocka_unit_test_setup_teardown(test_malformed, fresh, gone),
        cmocka_unit_test_setup_teardown(test_odd_paths, fresh, gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
