/* cpus.h - how many CPUs this process may use: its affinity (taskset, a container's cpuset)
 * and its cgroup's CPU quota (a container's --cpus, a Kubernetes limit, systemd's CPUQuota).
 *
 * Design note. The monitor reads a large run log's backlog with a second thread
 * (log_ahead.h) when it may use two CPUs or more: the thread costs 7-15 % more CPU in all and
 * saves 40 % of the wall time on two free cores, but under a quota of one CPU the extra CPU is
 * all it buys (the kernel throttles the process to the quota). The affinity alone does not see
 * a quota, so both are read, as the Go and Java runtimes do. The quota is read from cgroup v2
 * (cpu.max: "QUOTA PERIOD" or "max PERIOD") or v1 (cpu.cfs_quota_us, cpu.cfs_period_us; -1:
 * none), for the process's cgroup (/proc/self/cgroup) and each of its ancestors, the smallest
 * winning, where the hierarchies are usually mounted (/sys/fs/cgroup, and v1's cpu,cpuacct or
 * cpu under it; a quota mounted elsewhere is not seen). A file that is missing, unreadable or
 * malformed counts as no quota. */
#ifndef TW_CPUS_H
#define TW_CPUS_H

/* The CPUs the cgroup quota allows (quota / period, e.g. 1.5), or 0 when there is none (or it
 * cannot be read). `root` is prepended to /proc/self/cgroup and /sys/fs/cgroup ("" for the
 * real ones; tests pass a directory that mimics them). */
double tw_cpus_quota(const char *root);

/* The CPUs this process may use: its affinity's count (at least 1), capped by the quota. */
double tw_cpus_usable(void);

#endif
