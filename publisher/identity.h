/* identity.h - who a run is: the run id of this launch and the default display name.
 *
 * Design note (DESIGN.md section 4, "Run identity"; doc/protocol.md section 5.1 has the rule
 * per launcher). The run id is made per launch, so that the ranks of one launch agree on it
 * and two launches never do:
 *
 *   TRAINWATCH_RUN_ID                      the user's own id, as given
 *   TORCHELASTIC_RUN_ID (not "none")        "te:ID/RESTART" (TORCHELASTIC_RESTART_COUNT)
 *   SLURM_JOB_ID and SLURM_STEP_ID          "slurm:JOB.STEP"
 *   PMIX_NAMESPACE, OMPI_MCA_ess_base_jobid "pmix:NS", "ompi:JOB"
 *   PMI_KVSNAME                             "pmi:KVS"
 *   TORCHELASTIC_RUN_ID=none, several nodes "te:MASTER_ADDR:MASTER_PORT/RESTART"
 *   several ranks (world > 1), otherwise    "local-" + a hash of the host, the parent process
 *                                           (pid and start time from /proc: torchrun's agent,
 *                                           torch.multiprocessing.spawn's parent, mpiexec's
 *                                           proxy), MASTER_ADDR:MASTER_PORT, the restart and
 *                                           the run name when one is given
 *   otherwise (one process)                 "r" + 16 random hex digits
 *
 * Launcher ids longer than 64 bytes, or with bytes outside [A-Za-z0-9._:/@+-], are replaced
 * by their kind and a 64-bit hash. The default display name is the script's name (`train`
 * for `python train.py` and `python -m pkg.train`, the program's for a C program) and four hex
 * digits of the run id's hash, which the ranks share and two launches differ in. */
#ifndef TW_IDENTITY_H
#define TW_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

/* Writes the run id of this launch (world: the ranks of the job; name: the run name given
 * explicitly, or NULL) into out (outlen bytes, at least 24). The local rule hashes the name
 * in too: ranks started by hand from one shell script share their parent, and two jobs it
 * starts under different names are two runs. Returns 0, or -EINVAL with a sentence in err
 * when TRAINWATCH_RUN_ID is empty, too long or holds a control character. Reads the
 * environment and /proc. */
int tw_identity_run_id(char *out, size_t outlen, uint32_t world, const char *name, char *err,
                       size_t errlen);

/* The program's short name from a command line (argv, argc): the script's stem for a Python
 * interpreter (`train` for `python3 -u train.py`, `python -m pkg.train`; "python" for -c and
 * a bare interpreter), else argv[0]'s base name. Writes into out (never empty). */
void tw_identity_program_of(char *out, size_t outlen, int argc, const char *const *argv);

/* The same for this process, from /proc/self/cmdline (else /proc/self/comm, else "run"). */
void tw_identity_program(char *out, size_t outlen);

/* The default display name: "PROGRAM-XXXX", XXXX four hex digits of a hash of run_id. */
void tw_identity_default_name(char *out, size_t outlen, const char *program, const char *run_id);

/* A 64-bit FNV-1a hash of s. */
uint64_t tw_identity_hash(const char *s);

#endif
