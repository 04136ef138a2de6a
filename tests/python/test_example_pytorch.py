"""examples/pytorch_digits.py runs, and what it publishes is what it printed."""
import os
import re
import subprocess
import sys
import unittest

import twtest

EXAMPLE = os.path.join(twtest.ROOT, "examples", "pytorch_digits.py")


@unittest.skipUnless(twtest.have("torch") and twtest.have("sklearn"),
                     "needs python3-torch and python3-sklearn (./dev deps installs them)")
class PytorchDigits(twtest.TempDirTest):
    def test_three_epochs_reach_jsonl(self):
        logs = os.path.join(self.tmp, "runs")
        env = dict(os.environ, TRAINWATCH_LOG_DIR=logs, TRAINWATCH_RUN="digits")
        out = subprocess.run([sys.executable, EXAMPLE, "--epochs", "3"], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        printed = {}
        for line in out.stdout.splitlines():
            m = re.match(r"epoch +(\d+)/3 (.*)", line)
            if m:
                fields = m.group(2).split()
                for k, v in zip(fields[::2], fields[1::2]):
                    name, split = (k[4:], "val") if k.startswith("val_") else (k, "train")
                    printed[(name, split, int(m.group(1)))] = float(v)
        self.assertEqual(len(printed), 18, out.stdout)
        got = twtest.epoch_values(twtest.jsonl(logs), "digits")
        for k, v in printed.items():
            self.assertAlmostEqual(got[k], v, delta=0.00005001, msg=str(k))
        self.assertLess(got[("loss", "train", 3)], got[("loss", "train", 1)])

    def test_bad_arguments(self):
        out = subprocess.run([sys.executable, EXAMPLE, "--epochs", "0"], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--epochs", out.stderr)


if __name__ == "__main__":
    unittest.main()
