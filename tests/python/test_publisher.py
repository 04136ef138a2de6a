"""Publishing from Python reaches `trainwatch --jsonl` with the right per-epoch values."""
import os
import subprocess
import time
import unittest

import numpy as np

import trainwatch
from trainwatch import metrics as M

import twtest


def train(pub, epochs=3):
    """A fake training loop; returns {(metric, split, epoch): value} as computed here."""
    rng = np.random.RandomState(3)
    loss = pub.track(M.Mean(), "loss")
    acc = pub.track(M.BinaryAccuracy(), "accuracy")
    val_auc = pub.track(M.AUC(), "auc", split="val")
    want = {}
    for e in range(1, epochs + 1):
        for _ in range(5):
            y = (rng.rand(16) > 0.5).astype(np.float32)
            p = rng.rand(16).astype(np.float32)
            loss.update_state(rng.rand(16) / e)
            acc.update_state(y, p)
            pub.gauge("lr", 0.1 / e)
            pub.step()
        y = (rng.rand(64) > 0.5).astype(np.float32)
        val_auc.update_state(y, np.clip(y * 0.3 + rng.rand(64) * 0.7, 0, 1))
        want[("loss", "train", e)] = loss.result()
        want[("accuracy", "train", e)] = acc.result()
        want[("auc", "val", e)] = val_auc.result()
        want[("lr", "train", e)] = 0.1 / e
        pub.epoch_end()
    return want


class PublisherToMonitor(twtest.TempDirTest):
    def test_run_log_jsonl_has_the_epoch_values(self):
        logs = os.path.join(self.tmp, "runs")
        with trainwatch.Publisher(run_name="py-log", log_dir=logs) as pub:
            pub.set_params(optimizer="sgd", lr=0.1, batch_size=16, nesterov=True)
            pub.set_plan(3, 5)
            want = train(pub)
            self.assertEqual(pub.epoch, 4)
            self.assertTrue(pub.log_path.startswith(logs))
        recs = twtest.jsonl(logs)
        got = twtest.epoch_values(recs, "py-log")
        self.assertEqual(set(got), set(want))
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=12, msg=str(k))
        run = [r for r in recs if r["type"] == "run"][-1]  # the latest description
        self.assertEqual(run["params"], {"optimizer": "sgd", "lr": 0.1, "batch_size": 16,
                                         "nesterov": "True"})
        self.assertEqual((run["epochs"], run["steps_per_epoch"]), (3, 5))
        kinds = {r["metric"] + "/" + r["split"]: r["kind"] for r in recs if r["type"] == "metric"}
        self.assertEqual(kinds, {"loss/train": "mean", "accuracy/train": "binary_accuracy",
                                 "auc/val": "auc", "lr/train": "gauge"})
        steps = [r for r in recs if r["type"] == "update" and r["metric"] == "loss"]
        self.assertEqual(len(steps), 15)
        end = [r for r in recs if r["type"] == "run_end"]
        self.assertEqual(end[0]["status"], "ok")

    def test_resume_continues_the_run(self):
        logs = os.path.join(self.tmp, "runs")
        with trainwatch.Publisher(run_name="py-resume", log_dir=logs) as pub:
            m = pub.track(M.Mean(), "loss")
            with self.assertRaises(ValueError):
                pub.resume(0)
            pub.resume(4, 30)
            self.assertEqual(pub.epoch, 4)
            for i in range(10):
                m.update_state([1.0 / (i + 1)])
                pub.step()
            pub.epoch_end()
            with self.assertRaises(RuntimeError):
                pub.resume(9)
        recs = twtest.jsonl(logs)
        got = twtest.epoch_values(recs, "py-resume")
        self.assertEqual(list(got), [("loss", "train", 4)])
        steps = [r["step"] for r in recs if r["type"] == "update"]
        self.assertEqual((min(steps), max(steps)), (30, 39))

    def test_live_over_tcp(self):
        ep = "tcp://127.0.0.1:%d" % twtest.free_port()
        out = os.path.join(self.tmp, "live.jsonl")
        with open(out, "w") as f:
            mon = subprocess.Popen([twtest.trainwatch_bin(), "--jsonl", "--until-end", ep],
                                   stdout=f, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: mon.poll() is None and mon.kill())
        time.sleep(0.5)
        with trainwatch.Publisher(endpoint=ep, run_name="py-live", log_dir="off") as pub:
            time.sleep(0.5)  # the monitor connects (it would get a replay anyway)
            want = train(pub)
        _, err = mon.communicate(timeout=30)
        self.assertEqual(mon.returncode, 0, err)
        with open(out) as f:
            import json
            got = twtest.epoch_values([json.loads(line) for line in f if line.strip()],
                                      "py-live")
        for k, v in want.items():
            self.assertAlmostEqual(got.get(k), v, places=12, msg=str(k))

    def test_failure_status_and_errors(self):
        logs = os.path.join(self.tmp, "runs")
        with self.assertRaises(RuntimeError):
            with trainwatch.Publisher(run_name="py-fail", log_dir=logs) as pub:
                pub.track(M.Mean(), "loss").update_state([1.0])
                pub.epoch_end()
                raise RuntimeError("boom")
        end = [r for r in twtest.jsonl(logs) if r["type"] == "run_end"]
        self.assertEqual(end[0]["status"], "failed")
        with self.assertRaises(trainwatch.PublisherError) as cm:
            trainwatch.Publisher(endpoint="bogus://x", log_dir="off")
        self.assertIn("bogus", str(cm.exception))
        pub = trainwatch.Publisher(log_dir="off")
        with self.assertRaises(ValueError):
            pub.track(M.Mean(), "x", split="holdout")
        m = pub.track(M.Mean(), "x")
        with self.assertRaises(ValueError):
            pub.track(m, "y")
        pub.close()
        pub.close()
        with self.assertRaises(ValueError):
            pub.step()
        m.update_state([1, 2])  # a metric outlives its publisher
        self.assertEqual(m.result(), 1.5)

    def test_options_layout_and_security(self):
        # The ctypes mirror matches the C struct: the defaults C fills in read back right,
        # up to the last field.
        o = trainwatch._lib.lib.tw_publisher_defaults()
        self.assertEqual((o.rank, o.step_history, o.insecure), (-1, -1, -1))
        self.assertIsNone(o.curve_secret_key)
        env = {k: os.environ.pop(k) for k in list(os.environ)
               if k.startswith("TRAINWATCH_CURVE") or k == "TRAINWATCH_INSECURE"}
        self.addCleanup(os.environ.update, env)
        with self.assertRaises(trainwatch.PublisherError) as cm:
            trainwatch.Publisher(endpoint="tcp://0.0.0.0:0", log_dir="off")
        self.assertIn("refusing to publish in clear", str(cm.exception))
        with self.assertLogs("trainwatch", "WARNING") as logs:
            trainwatch.Publisher(endpoint="tcp://0.0.0.0:0", log_dir="off", insecure=True).close()
        self.assertIn("publishing in clear", "\n".join(logs.output))
        keys = os.path.join(self.tmp, "k")
        subprocess.run([twtest.trainwatch_bin(), "keygen", keys], check=True, capture_output=True)
        pub = trainwatch.Publisher(endpoint="tcp://0.0.0.0:0", log_dir="off",
                                   curve_secret_key=keys + ".key")
        pub.close()
        with self.assertRaises(trainwatch.PublisherError) as cm:
            trainwatch.Publisher(endpoint=">tcp://127.0.0.1:9", log_dir="off",
                                 curve_secret_key=keys + ".key")
        self.assertIn("needs the monitor's public key", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
