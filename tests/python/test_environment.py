"""The binding in odd environments never stops training (issue 14, item 6): a stale
XDG_RUNTIME_DIR, a publisher that cannot be created under the Keras callback; the run-log
directory said once, the configuration file's directory used."""
import os
import subprocess
import sys
import unittest

import twtest


def run_python(code, env_extra, cwd):
    """Runs code in a fresh interpreter with the binding on its path; its result."""
    env = dict(os.environ)
    env.pop("TRAINWATCH_LOG_DIR", None)
    env.update(env_extra)
    env.setdefault("PYTHONPATH", os.path.join(twtest.ROOT, "python"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


KERAS_FIT = """
import trainwatch.keras as k
cb = k.TrainwatchCallback(run_name="env-run"); cb.params = {'epochs': 2, 'steps': 3}
cb.on_train_begin()
for e in range(2):
    cb.on_epoch_begin(e)
    for b in range(3):
        cb.on_train_batch_end(b, {'loss': 1.0 / (b + 1)})
    cb.on_epoch_end(e, {'loss': 0.5, 'val_loss': 0.6})
cb.on_train_end()
print('fit goes on', cb.publisher is None)
"""


class Environment(twtest.TempDirTest):
    def test_stale_runtime_dir_keras_fit_goes_on(self):
        out = run_python(KERAS_FIT, {"XDG_RUNTIME_DIR": os.path.join(self.tmp, "no-such-dir"),
                                     "TRAINWATCH_LOG_DIR": "off"}, self.tmp)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("fit goes on True", out.stdout)
        self.assertIn("XDG_RUNTIME_DIR=" + os.path.join(self.tmp, "no-such-dir"), out.stderr)
        self.assertEqual(out.stderr.count("XDG_RUNTIME_DIR="), 1)  # said once

    def test_callback_never_raises_from_a_hook(self):
        # a publisher that cannot be created at all (a bad TRAINWATCH_LOG_MODE)
        out = run_python(KERAS_FIT, {"TRAINWATCH_LOG_MODE": "0777"}, self.tmp)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("fit goes on True", out.stdout)
        self.assertIn("trainwatch: on_train_begin failed (PublisherError", out.stderr)
        self.assertIn("training goes on without publishing", out.stderr)
        self.assertEqual(out.stderr.count("failed ("), 1)  # once, not every hook

    def test_log_dir_said_once_and_config_file(self):
        conf = os.path.join(self.tmp, "conf")
        os.makedirs(os.path.join(conf, "trainwatch"))
        logs = os.path.join(self.tmp, "configured-runs")
        with open(os.path.join(conf, "trainwatch", "config"), "w") as f:
            f.write("# where my runs go\nTRAINWATCH_LOG_DIR=%s\n" % logs)
        code = ("import trainwatch\n"
                "for i in range(3):\n"
                "    with trainwatch.Publisher(run_name='r%d' % i) as p:\n"
                "        print(p.log_path)\n")
        out = run_python(code, {"XDG_CONFIG_HOME": conf}, self.tmp)
        self.assertEqual(out.returncode, 0, out.stderr)
        paths = out.stdout.split()
        self.assertEqual(len(paths), 3)
        for p in paths:
            self.assertTrue(p.startswith(logs + "/"), p)
            self.assertEqual(os.stat(p).st_mode & 0o777, 0o600)
        self.assertEqual(out.stderr.count("trainwatch: run logs go to %s " % logs), 1)
        self.assertEqual(os.stat(logs).st_mode & 0o777, 0o700)

    def test_log_dir_said_by_rank_0_only(self):
        # the ranks of one launch (RANK/WORLD_SIZE as torchrun sets them): one notice, not
        # one a rank
        logs = os.path.join(self.tmp, "ddp-runs")
        code = ("import trainwatch\n"
                "with trainwatch.Publisher(run_name='ddp', log_dir=%r) as p:\n"
                "    print(p.log_path)\n" % logs)
        env = {"WORLD_SIZE": "2", "TRAINWATCH_RUN_ID": "said-once"}
        outs = [run_python(code, dict(env, RANK=str(r)), self.tmp) for r in (0, 1)]
        for out in outs:
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(out.stdout.strip().startswith(logs + "/"), out.stdout)
        said = [out.stderr.count("trainwatch: run logs go to %s " % logs) for out in outs]
        self.assertEqual(said, [1, 0])


if __name__ == "__main__":
    unittest.main()
