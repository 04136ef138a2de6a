/* test_identity.c - the run id of a launch under each launcher's environment, the program
 * name from a command line, and the default display name. */
#define _GNU_SOURCE
#include "identity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>

static const char *const launcher_vars[] = {"TRAINWATCH_RUN_ID",
                                            "TORCHELASTIC_RUN_ID",
                                            "TORCHELASTIC_RESTART_COUNT",
                                            "SLURM_JOB_ID",
                                            "SLURM_STEP_ID",
                                            "PMIX_NAMESPACE",
                                            "OMPI_MCA_ess_base_jobid",
                                            "PMI_KVSNAME",
                                            "MASTER_ADDR",
                                            "MASTER_PORT",
                                            "WORLD_SIZE",
                                            "LOCAL_WORLD_SIZE",
                                            "GROUP_WORLD_SIZE"};

static void
clear_env(void)
{
    for (size_t i = 0; i < sizeof launcher_vars / sizeof *launcher_vars; i++)
        unsetenv(launcher_vars[i]);
}

static void
id_of(char *out, size_t outlen, unsigned world)
{
    char err[256] = "";
    assert_int_equal(tw_identity_run_id(out, outlen, world, NULL, err, sizeof err), 0);
}

/* torchrun: a real rendezvous id (standalone's uuid) with the restart count; "none" is not
 * an id. */
static void
test_torchrun(void **state)
{
    (void)state;
    char a[128], b[128];
    clear_env();
    setenv("TORCHELASTIC_RUN_ID", "9f1c2d7e-0b4a-4c55-8e0d-3a1f6b2c9d10", 1);
    setenv("TORCHELASTIC_RESTART_COUNT", "0", 1);
    id_of(a, sizeof a, 4);
    assert_string_equal(a, "te:9f1c2d7e-0b4a-4c55-8e0d-3a1f6b2c9d10/0");
    setenv("TORCHELASTIC_RESTART_COUNT", "1", 1); /* an elastic restart: a new launch */
    id_of(b, sizeof b, 4);
    assert_string_not_equal(a, b);
    /* run id none, one node: what the local ranks share (their parent, the agent) */
    setenv("TORCHELASTIC_RUN_ID", "none", 1);
    setenv("TORCHELASTIC_RESTART_COUNT", "0", 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", "29500", 1);
    setenv("WORLD_SIZE", "4", 1);
    setenv("LOCAL_WORLD_SIZE", "4", 1);
    id_of(a, sizeof a, 4);
    assert_true(strncmp(a, "local-", 6) == 0);
    assert_null(strstr(a, "none"));
    id_of(b, sizeof b, 4);
    assert_string_equal(a, b); /* another rank of the same launch */
    /* several nodes, run id none: the rendezvous address */
    setenv("LOCAL_WORLD_SIZE", "2", 1);
    id_of(a, sizeof a, 4);
    assert_string_equal(a, "te:127.0.0.1:29500/0");
    clear_env();
}

/* Two launches from one shell: ranks of a launch share their parent, launches do not. */
static void
test_local_parent(void **state)
{
    (void)state;
    clear_env();
    int fds[2][2];
    char ids[2][2][128];
    for (int launch = 0; launch < 2; launch++) {
        assert_int_equal(pipe(fds[launch]), 0);
        pid_t agent = fork();
        assert_true(agent >= 0);
        if (agent == 0) { /* the launcher's agent: two ranks, its children */
            for (int r = 0; r < 2; r++) {
                pid_t rank = fork();
                if (rank == 0) {
                    char id[128], err[64];
                    tw_identity_run_id(id, sizeof id, 2, NULL, err, sizeof err);
                    (void)!write(fds[launch][1], id, sizeof id);
                    _exit(0);
                }
                waitpid(rank, NULL, 0);
            }
            _exit(0);
        }
        waitpid(agent, NULL, 0);
        for (int r = 0; r < 2; r++)
            assert_int_equal(read(fds[launch][0], ids[launch][r], 128), 128);
        close(fds[launch][0]);
        close(fds[launch][1]);
    }
    assert_string_equal(ids[0][0], ids[0][1]);
    assert_string_equal(ids[1][0], ids[1][1]);
    assert_string_not_equal(ids[0][0], ids[1][0]);
    /* one process alone: random, never the same twice */
    char a[128], b[128];
    id_of(a, sizeof a, 1);
    id_of(b, sizeof b, 1);
    assert_string_not_equal(a, b);
    assert_int_equal(a[0], 'r');
}

/* Slurm needs the step (two srun steps of one job are two runs); OpenMPI/PMIx and MPICH's
 * job ids; an over-long id is hashed; TRAINWATCH_RUN_ID wins. */
static void
test_batch_launchers(void **state)
{
    (void)state;
    char a[128], b[128];
    clear_env();
    setenv("SLURM_JOB_ID", "4242", 1);
    setenv("SLURM_STEP_ID", "0", 1);
    id_of(a, sizeof a, 2);
    assert_string_equal(a, "slurm:4242.0");
    setenv("SLURM_STEP_ID", "1", 1);
    id_of(b, sizeof b, 2);
    assert_string_equal(b, "slurm:4242.1");
    clear_env();
    setenv("PMIX_NAMESPACE", "prterun-gpu1-1234@1", 1);
    id_of(a, sizeof a, 2);
    assert_string_equal(a, "pmix:prterun-gpu1-1234@1");
    clear_env();
    setenv("OMPI_MCA_ess_base_jobid", "2813591553", 1);
    id_of(a, sizeof a, 2);
    assert_string_equal(a, "ompi:2813591553");
    clear_env();
    setenv("PMI_KVSNAME", "kvs_5531_0", 1);
    id_of(a, sizeof a, 2);
    assert_string_equal(a, "pmi:kvs_5531_0");
    char longid[300];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    setenv("PMI_KVSNAME", longid, 1);
    id_of(a, sizeof a, 2);
    assert_int_equal(strlen(a), strlen("pmi-") + 16);
    setenv("TRAINWATCH_RUN_ID", "mine", 1);
    id_of(a, sizeof a, 2);
    assert_string_equal(a, "mine");
    char err[256] = "";
    setenv("TRAINWATCH_RUN_ID", longid, 1);
    assert_int_equal(tw_identity_run_id(a, sizeof a, 2, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "TRAINWATCH_RUN_ID"));
    clear_env();
}

static void
program_is(const char *want, int argc, ...)
{
    const char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, const char *);
    va_end(ap);
    char out[128];
    tw_identity_program_of(out, sizeof out, argc, argv);
    assert_string_equal(out, want);
}

/* The script, not the interpreter. */
static void
test_program_names(void **state)
{
    (void)state;
    program_is("train", 2, "python", "train.py");
    program_is("train", 4, "/usr/bin/python3.11", "-u", "/home/me/exp/train.py", "--lr");
    program_is("train", 3, "python3", "-m", "pkg.train");
    program_is("train", 5, "python3", "-W", "ignore", "-m", "train");
    program_is("python", 3, "python3", "-c", "import x");
    program_is("python", 1, "python3");
    program_is("train_mlp", 2, "./build/examples/train_mlp", "--epochs");
    program_is("run", 0);
    char name[128];
    tw_identity_default_name(name, sizeof name, "train", "slurm:4242.0");
    assert_int_equal(strlen(name), strlen("train-") + 4);
    assert_true(strncmp(name, "train-", 6) == 0);
    char other[128];
    tw_identity_default_name(other, sizeof other, "train", "slurm:4242.1");
    assert_string_not_equal(name, other);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torchrun),
        cmocka_unit_test(test_local_parent),
        cmocka_unit_test(test_batch_launchers),
        cmocka_unit_test(test_program_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
