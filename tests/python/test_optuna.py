"""trainwatch.optuna end to end: a small Optuna study whose every trial is a run with its
parameters and final state, and the study's leaderboard in `trainwatch --once`."""
import os
import re
import subprocess
import sys
import unittest

import twtest


def have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


# Five trials with fixed parameters (enqueued): the validation loss of trial i at epoch e is
# x + 1/e, so trial 3 (x 0.001) is best, then 0 and 1; trial 2 (x 1.0) is worse than the
# median of the complete trials at epoch 2 (the first the pruner judges) and is pruned there;
# trial 4 fails in epoch 2.
STUDY = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "optuna_study.py")).read()


@unittest.skipUnless(have("optuna"), "needs python3-optuna (./dev deps installs it)")
class OptunaStudy(twtest.TempDirTest):
    @classmethod
    def setUpClass(cls):
        cls.bin = twtest.trainwatch_bin()

    def run_study(self):
        logs = os.path.join(self.tmp, "runs")
        env = dict(os.environ, TRAINWATCH_LOG_DIR=logs)
        env.pop("TRAINWATCH_RUN", None)
        out = subprocess.run([sys.executable, "-c", STUDY], env=env, capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["0:COMPLETE", "1:COMPLETE", "2:PRUNED",
                                              "3:COMPLETE", "4:FAIL"])
        return logs

    def test_trials_are_runs(self):
        records = twtest.jsonl(self.run_study())
        runs, ends, ids = {}, {}, {}
        for r in records:  # runs are told apart by their id; a trial's name is STUDY/trial-N
            if r["type"] == "run":
                runs[r["name"]] = r  # the latest RUN record of each run
                ids.setdefault(r["name"], set()).add(r["run"])
            elif r["type"] == "run_end":
                ends[r["run"]] = r["status"]
        self.assertEqual(sorted(runs), ["e2e/trial-%d" % i for i in range(5)])
        for name, i in ids.items():
            self.assertEqual(len(i), 1, "%s: one run id (%s)" % (name, i))
        self.assertEqual(len(set(r["run"] for r in runs.values())), 5, "five distinct run ids")
        want = {0: ("complete", "ok", 0.01, 8), 1: ("complete", "ok", 0.1, 16),
                2: ("pruned", "interrupted", 1.0, 32), 3: ("complete", "ok", 0.001, 64),
                4: ("failed", "failed", 0.05, 8)}
        for i, (state, status, x, width) in want.items():
            p = runs["e2e/trial-%d" % i]["params"]
            self.assertEqual(p["study"], "e2e")
            self.assertEqual(p["trial"], i)
            self.assertEqual(p["objective"], "loss")
            self.assertEqual(p["trial_state"], state, i)
            self.assertAlmostEqual(p["x"], x)
            self.assertEqual(p["width"], width)
            self.assertEqual(ends[runs["e2e/trial-%d" % i]["run"]], status, i)
        # the pruner saw trainwatch's own epoch values: trial 2 stopped after epoch 2
        values = twtest.epoch_values(records, runs["e2e/trial-2"]["run"])
        self.assertEqual(sorted(e for (_, _, e) in values), [1, 2])
        self.assertAlmostEqual(values[("loss", "val", 2)], 1.5)

    def test_once_leaderboard(self):
        logs = self.run_study()
        out = subprocess.run([self.bin, "--once", logs], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        head = [i for i, l in enumerate(lines) if l.startswith("study e2e:")]
        self.assertEqual(len(head), 1, out.stdout)
        h = head[0]
        self.assertIn("5 trials (3 complete, 1 pruned, 1 failed, 0 running)", lines[h])
        self.assertIn("best loss (val, min)", lines[h])
        self.assertEqual(lines[h + 1].split(), ["rank", "trial", "state", "best", "epoch",
                                                "x", "width"])
        rows = [l.split() for l in lines[h + 2:h + 7]]
        # rank, trial, state, best, epoch, x, width: best first; pruned, then failed, last
        self.assertEqual([r[:3] for r in rows], [["1", "3", "complete"], ["2", "0", "complete"],
                                                 ["3", "1", "complete"], ["4", "2", "pruned"],
                                                 ["5", "4", "failed"]])
        self.assertAlmostEqual(float(rows[0][3]), 0.251)  # 0.001 + 1/4
        self.assertEqual(rows[0][4], "4")
        self.assertEqual(rows[0][5:], ["0.001", "64"])
        self.assertAlmostEqual(float(rows[3][3]), 1.5)  # pruned after epoch 2
        self.assertAlmostEqual(float(rows[4][3]), 1.05)  # failed in epoch 2: epoch 1's
        self.assertTrue(re.match(r"^\s*$", lines[h + 7]) if len(lines) > h + 7 else True)


    def test_fixed_run_id_per_trial(self):
        # a TRAINWATCH_RUN_ID for the whole process still gives each trial a run of its own
        logs = os.path.join(self.tmp, "runs")
        env = dict(os.environ, TRAINWATCH_LOG_DIR=logs, TRAINWATCH_RUN_ID="job7")
        out = subprocess.run([sys.executable, "-c", STUDY], env=env, capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        ids = {r["name"]: r["run"] for r in twtest.jsonl(logs) if r["type"] == "run"}
        self.assertEqual(ids, {"e2e/trial-%d" % i: "job7/trial-%d" % i for i in range(5)})


@unittest.skipUnless(have("optuna") and have("torch") and have("sklearn"),
                     "needs python3-optuna, python3-torch and python3-sklearn")
class OptunaSweepExample(twtest.TempDirTest):
    def test_small_sweep(self):
        logs = os.path.join(self.tmp, "runs")
        env = dict(os.environ, TRAINWATCH_LOG_DIR=logs)
        out = subprocess.run([sys.executable, os.path.join(twtest.ROOT, "examples",
                                                           "optuna_sweep.py"),
                              "--trials", "3", "--epochs", "2", "--study", "ex"],
                             env=env, capture_output=True, text=True, timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr)
        m = re.search(r"ex: 3 trials, (\d) pruned; best val loss ([0-9.]+) \(trial (\d)", out.stdout)
        self.assertIsNotNone(m, out.stdout)
        once = subprocess.run([twtest.trainwatch_bin(), "--once", logs], capture_output=True,
                              text=True, timeout=60).stdout
        self.assertIn("study ex: 3 trials", once)
        lines = once[once.index("study ex:"):].splitlines()
        head = [i for i, l in enumerate(lines) if l.split()[:2] == ["rank", "trial"]][0]
        first = lines[head + 1].split()
        self.assertEqual(first[1], m.group(3))  # the leaderboard's first is Optuna's best
        self.assertAlmostEqual(float(first[3]), float(m.group(2)), delta=6e-5)  # %.4f printed


class OptunaWithout(unittest.TestCase):
    def test_import_needs_no_optuna(self):
        # trainwatch.optuna imports Optuna only when a TrialPublisher is made
        out = subprocess.run([sys.executable, "-c", "import sys; sys.modules['optuna'] = None\n"
                              "import trainwatch.optuna as o; print(o.RESERVED)"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("trial_state", out.stdout)


if __name__ == "__main__":
    unittest.main()
