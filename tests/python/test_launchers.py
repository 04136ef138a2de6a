"""Run identity with real launchers: two torch.multiprocessing.spawn jobs and two torchrun jobs
started together are two runs each, and so are two mp.spawn launches in a row from one parent (each exactly its own ranks' values); a forked child that
exits normally leaves its parent's run registered and whole."""
import os
import subprocess
import sys
import textwrap
import time
import unittest

import twtest

# One job: `world` ranks, rank r publishing a Mean of its share of 100 samples per epoch; the
# samples depend on SEED, so two jobs have values of their own.
SCRIPT = textwrap.dedent('''
    import os, sys
    import trainwatch

    def work(rank, world, seed):
        with trainwatch.Publisher(rank=rank, world_size=world) as pub:
            loss = pub.track(trainwatch.metrics.Mean(), "loss")
            for e in range(1, 4):
                for i in range(rank, 100, world):
                    loss.update_state(seed * 1000 + e * 10 + i % 7)
                    pub.step()
                pub.epoch_end()
            # one write, shorter than PIPE_BUF: the ranks' lines never interleave (print may
            # write the text and its newline apart, and two ranks share the pipe)
            os.write(1, ("rank %d run %s name %s\\n" % (rank, pub.run_id, pub.run_name)).encode())

    if __name__ == "__main__":
        seed = int(os.environ["SEED"])
        if os.environ.get("LAUNCH") == "spawn":
            import torch.multiprocessing as mp
            mp.spawn(work, args=(2, seed), nprocs=2)
        elif os.environ.get("LAUNCH") == "spawn-twice":  # one parent, two launches in a row
            import torch.multiprocessing as mp
            mp.spawn(work, args=(2, seed), nprocs=2)
            mp.spawn(work, args=(2, seed + 1), nprocs=2)
        else:  # torchrun: RANK and WORLD_SIZE from the launcher
            work(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), seed)
''')


def expected(seed):
    """{("loss", "train", epoch): value}: the global mean over all 100 samples."""
    return {("loss", "train", e): sum(seed * 1000 + e * 10 + i % 7 for i in range(100)) / 100.0
            for e in range(1, 4)}


class Launchers(twtest.TempDirTest):
    def setUp(self):
        super().setUp()
        self.script = os.path.join(self.tmp, "train.py")
        with open(self.script, "w") as f:
            f.write(SCRIPT)
        self.logs = os.path.join(self.tmp, "runs")

    def start(self, seed, argv, **env):
        e = dict(os.environ, SEED=str(seed), TRAINWATCH_LOG_DIR=self.logs,
                 TRAINWATCH_ENDPOINT="tcp://127.0.0.1:0", **env)
        for k in ("TRAINWATCH_RUN", "TRAINWATCH_RUN_ID", "RANK", "WORLD_SIZE"):
            e.pop(k, None)
        return subprocess.Popen(argv, env=e, cwd=self.tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def two_runs(self, procs):
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=180)
            self.assertEqual(p.returncode, 0, err[-2000:])
            outs.append(out)
        records = twtest.jsonl(self.logs)
        runs = {}
        for r in records:
            if r["type"] == "epoch_value" and r["final"]:
                self.assertEqual((r["ranks"], r["world"]), (2, 2), r)
                runs.setdefault(r["run"], {})[(r["metric"], r["split"], r["epoch"])] = r["value"]
        self.assertEqual(len(runs), 2, sorted(runs))
        want = [expected(1), expected(2)]
        for rid, got in runs.items():
            matches = [w for w in want if set(w) == set(got) and
                       all(abs(got[k] - w[k]) < 1e-9 for k in w)]
            self.assertEqual(len(matches), 1, "run %s: %s" % (rid, got))
            want.remove(matches[0])
        # each job's ranks said the same id and name, the jobs different ones; the name is
        # the script's
        ids = []
        for out in outs:
            # torchrun prefixes a worker's lines with "[default0]:"
            lines = [ln[ln.index("rank "):].split() for ln in out.splitlines() if "rank " in ln]
            self.assertEqual(len(lines), 2, out)
            self.assertEqual(lines[0][3], lines[1][3])
            self.assertEqual(lines[0][5], lines[1][5])
            self.assertRegex(lines[0][5], r"^train-[0-9a-f]{4}$")
            ids.append(lines[0][3])
        self.assertNotEqual(ids[0], ids[1])
        self.assertEqual(set(ids), set(runs))
        return ids

    @unittest.skipUnless(twtest.have("torch"), "needs python3-torch")
    def test_two_spawn_jobs_are_two_runs(self):
        procs = [self.start(s, [sys.executable, self.script], LAUNCH="spawn") for s in (1, 2)]
        ids = self.two_runs(procs)
        for i in ids:
            self.assertTrue(i.startswith("local-"), i)

    @unittest.skipUnless(twtest.have("torch"), "needs python3-torch")
    def test_two_spawn_launches_from_one_parent_are_two_runs(self):
        # a Jupyter kernel or a sweep script calling mp.spawn twice: both launches' ranks share
        # the parent and get one run id; the second starts after the first ended (RUN_END), so
        # the monitor makes it a run of its own (ID~2), each with exactly its own values
        p = self.start(1, [sys.executable, self.script], LAUNCH="spawn-twice")
        out, err = p.communicate(timeout=180)
        self.assertEqual(p.returncode, 0, err[-2000:])
        ids = {ln.split()[3] for ln in out.splitlines() if ln.startswith("rank ")}
        self.assertEqual(len(ids), 1, out)  # what the publishers said: the same id
        rid = ids.pop()
        runs = {}
        for r in twtest.jsonl(self.logs):
            if r["type"] == "epoch_value" and r["final"]:
                self.assertEqual((r["ranks"], r["world"]), (2, 2), r)
                runs.setdefault(r["run"], {})[(r["metric"], r["split"], r["epoch"])] = r["value"]
        self.assertEqual(sorted(runs), [rid, rid + "~2"])
        got = sorted(runs.values(), key=lambda g: g[("loss", "train", 1)])
        for g, w in zip(got, [expected(1), expected(2)]):
            self.assertEqual(set(g), set(w))
            for k in w:
                self.assertAlmostEqual(g[k], w[k], places=9, msg=str(k))

    @unittest.skipUnless(twtest.have("torch"), "needs python3-torch")
    def test_two_torchrun_jobs_are_two_runs(self):
        # Debian's torchrun 1.13 on Python 3.11 cannot parse its default "--redirects 0"
        # (Python 3.11's enum.Flag no longer lists the zero member): it needs non-zero values,
        # such as --redirects 1 --tee 1 (stdout to a file and the console). Without
        # --standalone or --rdzv-id its TORCHELASTIC_RUN_ID is "none".
        procs = [self.start(s, [sys.executable, "-m", "torch.distributed.run",
                                "--nproc_per_node", "2", "--redirects", "1", "--tee", "1",
                                "--master_port", str(twtest.free_port()),
                                self.script])
                 for s in (1, 2)]
        ids = self.two_runs(procs)
        for i in ids:
            self.assertTrue(i.startswith("local-"), i)


FORK = textwrap.dedent('''
    import os, sys
    import trainwatch
    pub = trainwatch.Publisher(run_name="forked")
    loss = pub.track(trainwatch.metrics.Mean(), "loss")
    pid = os.fork()
    if pid == 0:
        sys.exit(0)  # a normal exit: the child's interpreter finalizes its copy
    os.waitpid(pid, 0)
    d = os.path.join(os.environ["XDG_RUNTIME_DIR"], "trainwatch")
    print("after child:", sorted(f.rsplit(".", 1)[1] for f in os.listdir(d)), flush=True)
    for e in range(1, 3):
        loss.update_state(float(e))
        pub.step()
        pub.epoch_end()
    pub.close()
''')


class Fork(twtest.TempDirTest):
    def test_forked_child_exit_leaves_the_parent_run(self):
        logs = os.path.join(self.tmp, "runs")
        env = dict(os.environ, TRAINWATCH_LOG_DIR=logs)
        env.pop("TRAINWATCH_ENDPOINT", None)
        out = subprocess.run([sys.executable, "-c", FORK], env=env, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("after child: ['run', 'sock']", out.stdout)
        got = twtest.epoch_values(twtest.jsonl(logs), "forked")
        self.assertEqual(got, {("loss", "train", 1): 1.0, ("loss", "train", 2): 2.0})


if __name__ == "__main__":
    unittest.main()
