"""The binding converts its arguments exactly or refuses them with a clear TypeError or
ValueError: bytes stay bytes (not "b'...'"), integers out of the C range never wrap, a NUL
never cuts a name short, a negative plan or resume is not taken for 2**64 - 5."""
import os
import pathlib
import unittest

import trainwatch
from trainwatch import metrics as M

import twtest


class Arguments(twtest.TempDirTest):
    def publisher(self, **kw):
        kw.setdefault("log_dir", os.path.join(self.tmp, "runs"))
        pub = trainwatch.Publisher(**kw)
        self.addCleanup(pub.close)
        return pub

    def refused(self, exc, text, fn, *args, **kw):
        with self.assertRaises(exc) as cm:
            fn(*args, **kw)
        self.assertIn(text, str(cm.exception))

    def test_bytes_are_bytes(self):
        pub = self.publisher(run_name=b"bytesname", log_dir=pathlib.Path(self.tmp) / "runs")
        self.assertEqual(pub.run_name, "bytesname")
        loss = pub.track(M.Mean(), b"loss")
        pub.set_params(note=b"raw", lr=0.5)
        loss.update_state([1.0])
        pub.epoch_end()
        pub.close()
        recs = twtest.jsonl(os.path.join(self.tmp, "runs"))
        self.assertEqual({r["metric"] for r in recs if r["type"] == "metric"}, {"loss"})
        run = [r for r in recs if r["type"] == "run"][-1]
        self.assertEqual(run["params"], {"note": "raw", "lr": 0.5})

    def test_strings_of_the_wrong_type_or_with_nul(self):
        self.refused(TypeError, "run_name must be str or bytes, not int",
                     trainwatch.Publisher, run_name=12, log_dir="off")
        self.refused(TypeError, "endpoint must be str or bytes, not float",
                     trainwatch.Publisher, endpoint=1.5, log_dir="off")
        self.refused(ValueError, "run_name must not contain a NUL character",
                     trainwatch.Publisher, run_name="a\0b", log_dir="off")
        pub = self.publisher()
        self.refused(ValueError, "name must not contain a NUL character",
                     pub.track, M.Mean(), "a\0b")
        self.refused(TypeError, "name must be str or bytes, not int", pub.track, M.Mean(), 7)
        self.refused(ValueError, "must not contain a NUL character", pub.set_params,
                     note="x\0y")
        self.refused(TypeError, "the value must be a number, not str", pub.gauge, "lr", "0.1")

    def test_integers_never_wrap(self):
        self.refused(ValueError, "rank=4294967297 is out of range [0, 2147483646]",
                     trainwatch.Publisher, run_name="rk", rank=2**32 + 1, log_dir="off")
        self.refused(ValueError, "rank=2147483648 is out of range",
                     trainwatch.Publisher, run_name="rk", rank=2**31, log_dir="off")
        self.refused(ValueError, "rank=-1 is out of range",
                     trainwatch.Publisher, run_name="rk", rank=-1, log_dir="off")
        self.refused(ValueError, "world_size=4294967300 is out of range [1, 2147483647]",
                     trainwatch.Publisher, run_name="rk", world_size=2**32 + 4, log_dir="off")
        self.refused(ValueError, "ring_capacity=1099511627776 is out of range",
                     trainwatch.Publisher, run_name="x", ring_capacity=2**40, log_dir="off")
        self.refused(TypeError, "rank must be an integer, not float",
                     trainwatch.Publisher, run_name="rk", rank=1.0, log_dir="off")
        self.refused(TypeError, "heartbeat_ms must be an integer, not str",
                     trainwatch.Publisher, run_name="rk", heartbeat_ms="100", log_dir="off")
        self.publisher(run_name="rk", rank=2, world_size=4)
        with open(self.registry_file()) as f:
            lines = f.read().split()
        self.assertIn("rank=2", lines)
        self.assertIn("world=4", lines)

    def registry_file(self):
        rt = os.path.join(os.environ["XDG_RUNTIME_DIR"], "trainwatch")
        return os.path.join(rt, [f for f in os.listdir(rt) if f.endswith(".run")][0])

    def test_plans_and_resume_in_range(self):
        pub = self.publisher()
        self.refused(ValueError, "epochs=-5 is out of range [0, 9007199254740991]",
                     pub.set_plan, -5, -1)
        self.refused(ValueError, "steps_per_epoch=-1 is out of range", pub.set_plan, 5, -1)
        self.refused(ValueError, "epochs=18446744073709551616 is out of range",
                     pub.set_plan, 2**64)
        self.refused(TypeError, "epochs must be an integer, not float", pub.set_plan, 2.5)
        pub.set_plan(10, 100)
        self.refused(ValueError, "epoch=-1 is out of range [1, 9007199254740991]",
                     pub.resume, -1)
        self.refused(ValueError, "epoch=9007199254740992 is out of range", pub.resume, 2**53)
        self.refused(ValueError, "step=-3 is out of range", pub.resume, 4, -3)
        pub.resume(2**53 - 2, 2**53 - 1)
        self.assertEqual(pub.epoch, 2**53 - 2)
        self.refused(OverflowError, "the step counter is at its limit", pub.step)
        pub.epoch_end()
        self.refused(OverflowError, "the epoch is at its limit", pub.epoch_end)
        self.assertEqual(pub.epoch, 2**53 - 1)

    def test_params_say_why(self):
        pub = self.publisher()
        self.refused(ValueError, "a number must be finite", pub.set_params, lr=float("nan"))
        self.refused(ValueError, "a number must be finite", pub.set_params, lr=float("inf"))
        self.refused(ValueError, "a key is 1 to 127 bytes long", pub.set_params,
                     **{"k" * 128: 1})
        self.refused(ValueError, "a value is at most 255 bytes", pub.set_params, note="v" * 256)
        pub.set_params(lr=0.1, note="fine", flag=True)

    def test_metric_options_never_wrap(self):
        self.refused(ValueError, "TopKCategoricalAccuracy: k=4294967301 is out of range",
                     M.TopKCategoricalAccuracy, k=2**32 + 5)
        self.refused(ValueError, "AUC: num_thresholds=2147483648 is out of range",
                     M.AUC, num_thresholds=2**31)
        self.refused(ValueError, "AUC: num_thresholds=1 is out of range [2, 2147483647]",
                     M.AUC, num_thresholds=1)
        self.refused(TypeError, "k must be an integer, not float",
                     M.TopKCategoricalAccuracy, k=1.5)
        self.refused(TypeError, "BinaryAccuracy: threshold must be a number, not bytes",
                     M.BinaryAccuracy, threshold=b"0.5")
        self.assertEqual(M.TopKCategoricalAccuracy(k=2).name, "top_k_categorical_accuracy")


if __name__ == "__main__":
    unittest.main()
