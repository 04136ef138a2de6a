"""trainwatch.keras.TrainwatchCallback driven through the Keras callback protocol."""
import os
import unittest

import numpy as np

from trainwatch.keras import TrainwatchCallback

import twtest


class FakeOptimizer:
    name = "adam"

    def __init__(self):
        self.learning_rate = np.float32(0.001)  # Keras 3: a variable with __array__


class FakeModel:
    def __init__(self):
        self.optimizer = FakeOptimizer()
        self.stop_training = False


class Callback(twtest.TempDirTest):
    def test_publishes_what_the_logs_hold(self):
        logs_dir = os.path.join(self.tmp, "runs")
        cb = TrainwatchCallback(run_name="keras-run", log_dir=logs_dir, batch_size=32)
        cb.set_params({"verbose": 1, "epochs": 2, "steps": 3})
        cb.set_model(FakeModel())
        cb.on_train_begin({})
        epoch_logs = []
        batch_logs = []
        for epoch in range(2):
            cb.on_epoch_begin(epoch, {})
            for batch in range(3):
                cb.on_train_batch_begin(batch, {})
                logs = {"loss": 1.0 / (epoch * 3 + batch + 1), "accuracy": 0.5 + 0.1 * batch}
                batch_logs.append(logs)
                cb.on_train_batch_end(batch, logs)
            logs = {"loss": 0.9 - 0.3 * epoch, "accuracy": 0.6 + 0.1 * epoch,
                    "val_loss": 1.1 - 0.2 * epoch, "val_accuracy": 0.55 + 0.05 * epoch,
                    "learning_rate": 0.001}
            epoch_logs.append(logs)
            cb.on_epoch_end(epoch, logs)
        cb.on_train_end({})
        self.assertIsNone(cb.publisher)  # its own publisher is closed at train end

        recs = twtest.jsonl(logs_dir)
        got = twtest.epoch_values(recs, "keras-run")
        want = {}
        for e, logs in enumerate(epoch_logs, 1):
            for k, v in logs.items():
                name, split = (k[4:], "val") if k.startswith("val_") else (k, "train")
                want[(name, split, e)] = v
        self.assertEqual(set(got), set(want))
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=12, msg=str(k))
        run = [r for r in recs if r["type"] == "run"][-1]  # the latest description
        self.assertEqual(run["params"]["optimizer"], "adam")
        self.assertAlmostEqual(run["params"]["learning_rate"], 0.001, places=6)
        self.assertEqual(run["params"]["batch_size"], 32)
        self.assertEqual((run["epochs"], run["steps_per_epoch"]), (2, 3))
        # per batch: the logs' running values, one point a step
        upd = [r for r in recs if r["type"] == "update" and r["metric"] == "loss"
               and r["split"] == "train"]
        per_step = {}
        for r in upd:
            per_step[r["step"]] = r["value"]  # the last update of each step
        self.assertEqual(len([s for s in per_step if s < 6]), 6)
        for i, logs in enumerate(batch_logs):
            self.assertAlmostEqual(per_step[i], logs["loss"], places=12)
        end = [r for r in recs if r["type"] == "run_end"]
        self.assertEqual(end[0]["status"], "ok")

    def test_initial_epoch_continues_the_run(self):
        # fit(initial_epoch=2, epochs=4) after a checkpoint: Keras calls on_epoch_begin(2)
        logs_dir = os.path.join(self.tmp, "runs")
        cb = TrainwatchCallback(run_name="keras-resumed", log_dir=logs_dir)
        cb.set_params({"verbose": 1, "epochs": 4, "steps": 5})
        cb.set_model(FakeModel())
        cb.on_train_begin({})
        for epoch in (2, 3):
            cb.on_epoch_begin(epoch, {})
            for batch in range(5):
                cb.on_train_batch_end(batch, {"loss": 0.5})
            cb.on_epoch_end(epoch, {"loss": 0.4 - 0.1 * epoch})
        cb.on_train_end({})
        recs = twtest.jsonl(logs_dir)
        got = twtest.epoch_values(recs, "keras-resumed")
        self.assertEqual(sorted(got), [("loss", "train", 3), ("loss", "train", 4)])
        self.assertAlmostEqual(got[("loss", "train", 3)], 0.2, places=12)
        steps = sorted({r["step"] for r in recs if r["type"] == "update"})
        self.assertEqual(steps[0], 10)  # 2 epochs x 5 steps were done before the checkpoint

    def test_is_a_keras_callback_shape(self):
        cb = TrainwatchCallback(log_dir="off")
        for hook in ("set_params", "set_model", "on_train_begin", "on_train_end",
                     "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                     "on_train_batch_end", "on_test_begin", "on_test_end",
                     "on_test_batch_end", "on_predict_batch_end"):
            self.assertTrue(callable(getattr(cb, hook)), hook)
        cb.on_train_batch_end(0, {"loss": 1.0})  # before train begin: nothing, no error


if __name__ == "__main__":
    unittest.main()
