"""trainwatch.torch: the device path (torch ops, forced on CPU tensors) gives the C kernels'
state for every kind, dtype and weighting; one synchronisation an update; the aliases; the
Trainwatch helper's published values."""
import os
import unittest
from unittest import mock

import numpy as np

import twtest

try:
    import torch
    import trainwatch.torch as twt
except ImportError as e:  # no torch: every test here is skipped, saying so
    torch = None
    MISSING = str(e)

from trainwatch import metrics as M

SKIP = "needs PyTorch (python3-torch): %s" % (MISSING if torch is None else "")

N, D = 61, 5


def make_inputs(kind, dtype, gen):
    """(y_true, y_pred) tensors of a batch for kind, predictions of dtype."""
    scores = torch.rand(N, D, generator=gen, dtype=torch.float64).to(dtype)
    labels = torch.randint(0, D, (N,), generator=gen)  # int64
    onehot = torch.nn.functional.one_hot(labels, D)
    binary = (torch.rand(N, D, generator=gen) > 0.5).to(torch.int64)
    if kind in ("sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"):
        return labels, scores
    if kind in ("categorical_accuracy", "top_k_categorical_accuracy",
                "categorical_crossentropy"):
        if kind == "categorical_crossentropy":
            scores = torch.softmax(scores * 4, 1).to(dtype)
        # ties in the scores, as argmax and top-k must break them alike
        scores[::7, 1] = scores[::7, 0]
        return onehot, scores
    if kind == "accuracy":
        pred = torch.randint(0, 2, (N, D), generator=gen).to(dtype)
        return binary, pred
    if kind in ("binary_accuracy", "binary_crossentropy", "precision", "recall", "auc"):
        scores[0, 0], scores[1, 1], scores[2, 2] = 0.0, 1.0, 0.5  # the edges
        return binary, scores
    # regression kinds
    target = (torch.randn(N, D, generator=gen, dtype=torch.float64) * 3).to(dtype)
    target[0, 0] = 0  # MAPE's epsilon
    return target, (torch.randn(N, D, generator=gen, dtype=torch.float64) * 3).to(dtype)


PAIRS = [
    ("accuracy", lambda: twt.Accuracy()),
    ("binary_accuracy", lambda: twt.BinaryAccuracy(threshold=0.3)),
    ("categorical_accuracy", lambda: twt.CategoricalAccuracy()),
    ("sparse_categorical_accuracy", lambda: twt.SparseCategoricalAccuracy()),
    ("top_k_categorical_accuracy", lambda: twt.TopKCategoricalAccuracy(k=2)),
    ("sparse_top_k_categorical_accuracy", lambda: twt.SparseTopKCategoricalAccuracy(k=3)),
    ("mean_squared_error", lambda: twt.MeanSquaredError()),
    ("root_mean_squared_error", lambda: twt.RootMeanSquaredError()),
    ("mean_absolute_error", lambda: twt.MeanAbsoluteError()),
    ("mean_absolute_percentage_error", lambda: twt.MeanAbsolutePercentageError()),
    ("binary_crossentropy", lambda: twt.BinaryCrossentropy()),
    ("categorical_crossentropy", lambda: twt.CategoricalCrossentropy()),
    ("precision", lambda: twt.Precision(thresholds=0.4)),
    ("recall", lambda: twt.Recall()),
    ("auc", lambda: twt.AUC(num_thresholds=50)),
    ("auc", lambda: twt.AUC(curve="PR", summation_method="majoring")),
    ("auc", lambda: twt.AUC(num_thresholds=30, curve="PRGAIN", summation_method="minoring")),
]


def both(make):
    c, t = make(), make()
    c.path, t.path = "c", "torch"
    return c, t


ACCURACIES = ("accuracy", "binary_accuracy", "categorical_accuracy",
              "sparse_categorical_accuracy", "top_k_categorical_accuracy",
              "sparse_top_k_categorical_accuracy")


def is_count(kind, i, one_value_a_sample):
    """Whether state[i] of kind is a count (exact when unweighted): the count and the number
    of values, the confusion and AUC cells, and the hits of the kinds that decide one hit a
    sample (all accuracies but the element-wise ones with D > 1)."""
    if kind in ("precision", "recall", "auc"):
        return True
    if i in (1, 3):
        return True
    return i == 0 and kind in ACCURACIES and (one_value_a_sample or kind not in
                                              ("accuracy", "binary_accuracy"))


class DevicePathMatchesC(unittest.TestCase):
    """The same batches through the C kernels and through torch ops on CPU tensors."""

    def setUp(self):
        if torch is None:
            self.skipTest(SKIP)

    def assert_same_state(self, c, t, kind, exact_counts, what, one_value_a_sample=False):
        sc, st = c.get_state(), t.get_state()
        self.assertEqual(sc.shape, st.shape, what)
        for i, (a, b) in enumerate(zip(sc, st)):
            if exact_counts and is_count(kind, i, one_value_a_sample):
                self.assertEqual(a, b, "%s: state[%d] %r != %r" % (what, i, a, b))
            elif a != b:
                self.assertLessEqual(abs(a - b), 1e-12 * max(abs(a), abs(b)),
                                     "%s: state[%d] %r vs %r" % (what, i, a, b))
        rc, rt = c.result(), t.result()
        self.assertLessEqual(abs(rc - rt), 1e-12 * max(abs(rc), 1.0), what)

    def test_every_kind_dtype_and_weighting(self):
        gen = torch.Generator().manual_seed(11)
        weightings = ["none", "per-sample", "per-sample (N, 1)", "scalar", "elementwise"]
        for kind, make in PAIRS:
            for dtype in (torch.float32, torch.float64):
                for wk in weightings:
                    c, t = both(make)
                    if wk == "elementwise" and not c._elementwise:
                        continue
                    for batch in range(3):  # accumulates over batches
                        yt, yp = make_inputs(kind, dtype, gen)
                        w = None
                        if wk == "per-sample":
                            w = torch.rand(N, generator=gen, dtype=dtype) * 2
                            w[::5] = 0  # a weight of 0 is masked out of the values
                        elif wk == "per-sample (N, 1)":
                            w = torch.rand(N, 1, generator=gen).to(dtype)
                        elif wk == "scalar":
                            w = torch.tensor(1.5, dtype=dtype)
                        elif wk == "elementwise":
                            w = torch.rand(N, D, generator=gen).to(dtype)
                        c.update_state(yt, yp, w)
                        t.update_state(yt, yp, w)
                    self.assert_same_state(c, t, kind, wk == "none",
                                           "%s %s %s %s" % (kind, c.options(), dtype, wk))

    def test_one_value_a_sample_and_integer_inputs(self):
        gen = torch.Generator().manual_seed(3)
        for kind, make in PAIRS:
            if kind.startswith("sparse") or kind.startswith("categorical") or \
                    kind.startswith("top_k"):
                continue
            c, t = both(make)
            yt, yp = make_inputs(kind, torch.float64, gen)
            yt, yp = yt[:, 0], yp[:, :1]  # (N,) and (N, 1): interchangeable
            if kind == "accuracy":
                yp = yp.to(torch.int64)
            c.update_state(yt, yp)
            t.update_state(yt, yp)
            self.assert_same_state(c, t, kind, True, kind + " (N,)", one_value_a_sample=True)

    def test_mean_and_sum(self):
        gen = torch.Generator().manual_seed(5)
        for cls in (twt.Mean, twt.Sum):
            for dtype in (torch.float32, torch.float64):
                for shape, wshape in [((N,), None), ((N,), (N,)), ((N, D), (N, 1)),
                                      ((N, D), (N, D)), ((N, D), (1, D)), ((N, 2, 3), None),
                                      ((N, D), ()), ((), None), ((), ())]:
                    c, t = both(cls)
                    for _ in range(2):
                        v = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
                        w = None if wshape is None else \
                            torch.rand(wshape, generator=gen, dtype=torch.float64).to(dtype)
                        c.update_state(v, w)
                        t.update(v, w)  # torchmetrics' MeanMetric.update(value, weight)
                    self.assert_same_state(c, t, cls._kind, wshape is None,
                                           "%s %s %s %s" % (cls.__name__, dtype, shape, wshape))

    def test_nan_and_empty(self):
        c, t = both(lambda: twt.AUC(num_thresholds=20))
        yp = torch.tensor([0.2, float("nan"), 0.9])
        yt = torch.tensor([0, 1, 1])
        c.update_state(yt, yp)
        t.update_state(yt, yp)
        np.testing.assert_array_equal(c.get_state(), t.get_state())  # NaNs in the same place
        c, t = both(twt.MeanSquaredError)
        c.update_state(torch.zeros(0, 3), torch.zeros(0, 3))
        t.update_state(torch.zeros(0, 3), torch.zeros(0, 3))
        self.assertEqual(list(t.get_state()), [0.0] * 4)
        c, t = both(twt.CategoricalAccuracy)
        yp = torch.tensor([[float("nan"), 2.0, 1.0], [1.0, float("nan"), 3.0]])
        yt = torch.tensor([[1, 0, 0], [0, 0, 1]])
        c.update_state(yt, yp)
        t.update_state(yt, yp)
        self.assertEqual(list(c.get_state()), list(t.get_state()))

    def test_errors_are_the_c_paths(self):
        c, t = both(twt.SparseCategoricalAccuracy)
        t.update_state(torch.tensor([0, 1]), torch.rand(2, 3))
        before = t.get_state()
        for m in (c, t):
            with self.assertRaises(ValueError):
                m.update_state(torch.tensor([0, 3]), torch.rand(2, 3))  # label out of range
            with self.assertRaises(ValueError):
                m.update_state(torch.tensor([0.5, 1]), torch.rand(2, 3))  # not an integer
            with self.assertRaises(ValueError):
                m.update_state(torch.tensor([0, 1, 2]), torch.rand(2, 3))
        np.testing.assert_array_equal(t.get_state(), before)  # nothing added
        c, t = both(twt.BinaryAccuracy)
        for m in (c, t):
            with self.assertRaises(ValueError):
                m.update_state(torch.zeros(4, 2), torch.zeros(4, 3))
            with self.assertRaises(ValueError):
                m.update_state(torch.zeros(4), torch.zeros(4), torch.ones(3))
            with self.assertRaises(TypeError):
                m.update_state(torch.zeros(4, dtype=torch.complex64), torch.zeros(4))
        with self.assertRaises(ValueError):
            t.path = "gpu"
            t.update_state([1], [1])


class Synchronisation(unittest.TestCase):
    """The device path brings one small vector to the host an update: one .cpu() call, no
    .item(), .tolist() or implicit conversion of a tensor to a Python number."""

    def setUp(self):
        if torch is None:
            self.skipTest(SKIP)

    def count_syncs(self, fn):
        calls = []
        real = {}
        names = ("cpu", "item", "tolist", "__bool__", "__float__", "__int__", "__index__")

        def spy(name):
            def f(self, *a, **k):
                calls.append((name, tuple(self.shape)))
                return real[name](self, *a, **k)
            return f
        for name in names:
            real[name] = getattr(torch.Tensor, name)
        with mock.patch.multiple(torch.Tensor, **{n: spy(n) for n in names}):
            fn()
        return calls

    def test_one_transfer_an_update(self):
        gen = torch.Generator().manual_seed(2)
        for kind, make in PAIRS:
            m = make()
            m.path = "torch"
            yt, yp = make_inputs(kind, torch.float32, gen)
            w = torch.rand(N)
            calls = self.count_syncs(lambda: m.update_state(yt, yp, w))
            self.assertEqual(len(calls), 1, "%s: %s" % (kind, calls))
            self.assertEqual(calls[0][0], "cpu")
            self.assertEqual(calls[0][1], (m.get_state().size + 1,), kind)  # O(state), not O(N)

    def test_one_transfer_a_helper_step(self):
        tw = twt.Trainwatch(metrics={"accuracy": twt.SparseCategoricalAccuracy(),
                                     "auc": M.AUC(), "top3": twt.SparseTopKCategoricalAccuracy(3)},
                            optimizer=None, publisher=FakePublisher())
        for m in tw._splits["train"].values():
            m.path = "torch"
        probs = torch.softmax(torch.randn(N, D), 1)
        labels = torch.randint(0, D, (N,))
        loss = torch.tensor(0.7, requires_grad=True) * 1
        calls = self.count_syncs(lambda: tw.train_step(loss, probs, labels))
        self.assertEqual([c[0] for c in calls], ["cpu"], calls)


class NonCpuDevice(unittest.TestCase):
    """Tensors on torch's "meta" device, a device other than the CPU whose tensors hold no
    data (reading one on the host raises): by default ("auto") every kind goes the device
    path, computes its whole state there with no host read, and brings it over in the one
    .cpu() of the update (here faked, as a meta tensor cannot be copied: zeros come back)."""

    def setUp(self):
        if torch is None:
            self.skipTest(SKIP)

    def run_on_meta(self, fn):
        calls, real = [], torch.Tensor.cpu

        def cpu(t, *a, **k):
            calls.append((t.device.type, tuple(t.shape)))
            return torch.zeros(t.shape, dtype=t.dtype) if t.device.type == "meta" else \
                real(t, *a, **k)
        with mock.patch.object(torch.Tensor, "cpu", cpu):
            fn()
        return calls

    def test_every_kind_stays_on_the_device(self):
        gen = torch.Generator().manual_seed(4)
        for kind, make in PAIRS:
            m = make()
            yt, yp = make_inputs(kind, torch.float32, gen)
            w = torch.rand(N)
            calls = self.run_on_meta(
                lambda: m.update_state(yt.to("meta"), yp.to("meta"), w.to("meta")))
            self.assertEqual(calls, [("meta", (m.get_state().size + 1,))], kind)
        for cls in (twt.Mean, twt.Sum):
            m = cls()
            calls = self.run_on_meta(
                lambda: m.update(torch.randn(5, 3).to("meta"), torch.rand(5).to("meta")))
            self.assertEqual(calls, [("meta", (m.get_state().size + 1,))], cls.__name__)

    def test_cpu_tensors_and_arrays_go_to_the_c_kernels(self):
        m = twt.AUC()
        with mock.patch.object(twt._TorchPair, "_device_update", side_effect=AssertionError):
            m.update_state(torch.tensor([0, 1, 1]), torch.tensor([0.1, 0.8, 0.3]))
            m.update_state(np.array([1, 0]), np.array([0.9, 0.2], dtype=np.float32))
        self.assertEqual(m.get_state()[-2:].tolist(), [3.0, 2.0])  # positives, negatives

    def test_a_helper_step_stays_on_the_device(self):
        tw = twt.Trainwatch(metrics={"accuracy": twt.SparseCategoricalAccuracy(),
                                     "auc": M.AUC()}, publisher=FakePublisher())
        probs = torch.softmax(torch.randn(N, D), 1).to("meta")
        labels = torch.randint(0, D, (N,)).to("meta")
        loss = torch.tensor(0.7).to("meta")
        calls = self.run_on_meta(lambda: tw.train_step(loss, probs, labels))
        self.assertEqual(len(calls), 1, calls)  # loss, accuracy and AUC in one vector
        self.assertEqual(calls[0][0], "meta")


class FakePublisher:
    """What Trainwatch calls on a publisher, recorded."""

    def __init__(self):
        self.calls = []

    def track(self, metric, name, split):
        self.calls.append(("track", name, split))
        return metric

    def __getattr__(self, name):
        return lambda *a, **k: self.calls.append((name,) + a + tuple(sorted(k.items())))


class Aliases(unittest.TestCase):
    def setUp(self):
        if torch is None:
            self.skipTest(SKIP)

    def test_torchmetrics_order_and_names(self):
        a, b = twt.BinaryAccuracy(), M.BinaryAccuracy()
        a.update(torch.tensor([0.98, 1, 0, 0.6]), torch.tensor([1, 1, 0, 0]))  # preds, target
        b.update_state([1, 1, 0, 0], [0.98, 1, 0, 0.6])  # y_true, y_pred
        self.assertEqual(a.compute(), 0.75)
        self.assertEqual(a.compute(), b.result())
        a.reset()
        self.assertEqual(a.compute(), 0.0)
        m = twt.Mean()
        m.update(torch.tensor([1.0, 3.0]), torch.tensor([1.0, 3.0]))
        self.assertEqual(m.compute(), 2.5)

    def test_torch_metric_copies_class_and_options(self):
        for src in (M.AUC(num_thresholds=17, curve="PR"), twt.TopKCategoricalAccuracy(k=3),
                    M.Mean(name="loss"), M.BinaryCrossentropy(label_smoothing=0.1),
                    M.Precision(thresholds=[0.3, 0.6]), M.F1Score(average="macro"),
                    M.AUC(multi_label=True)):
            c = twt.torch_metric(src, "x")
            self.assertIsInstance(c, twt._TorchMetric)
            self.assertIsInstance(c, type(src))
            if src._h is not None:
                self.assertEqual(c.get_config(), src.get_config())
            self.assertEqual(c.name, "x")
            if src._h is not None:
                self.assertNotEqual(c._h, src._h)

    def test_other_keras_arguments_take_the_c_kernels(self):
        gen = torch.Generator().manual_seed(8)
        yt = (torch.rand(N, D, generator=gen) > 0.5).to(torch.int64)
        yp = torch.rand(N, D, generator=gen)
        for make in (lambda: twt.BinaryCrossentropy(label_smoothing=0.1),
                     lambda: twt.CategoricalCrossentropy(from_logits=True),
                     lambda: twt.Precision(top_k=2), lambda: twt.Recall(thresholds=[0.2, 0.7]),
                     lambda: twt.AUC(from_logits=True), lambda: twt.F1Score(threshold=0.5),
                     lambda: twt.TruePositives(thresholds=[0.1, 0.9])):
            c, t = both(make)
            self.assertFalse(t._torch_ops_fit(), type(t).__name__)
            with mock.patch.object(twt._TorchPair, "_device_update", side_effect=AssertionError):
                c.update(yp, yt)
                t.update(yp, yt)
            np.testing.assert_array_equal(c.get_state(), t.get_state())
        for _, make in PAIRS:  # and the first arguments do take the torch ops
            self.assertTrue(make()._torch_ops_fit())


class Helper(twtest.TempDirTest):
    """The Trainwatch helper publishes what the metrics computed, in both splits, with the
    learning rate and the batch size, through the C path and the device path alike."""

    def setUp(self):
        if torch is None:
            self.skipTest(SKIP)
        super().setUp()

    def test_published_epoch_values(self):
        logs = os.path.join(self.tmp, "runs")
        gen = torch.Generator().manual_seed(9)
        model = torch.nn.Linear(4, 3)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
        want = {}
        with twt.Trainwatch(metrics={"accuracy": M.SparseCategoricalAccuracy(),
                                     "auc": lambda: twt.AUC(num_thresholds=30),
                                     "f1": M.F1Score(average="macro", num_classes=3)},  # C only
                            optimizer=opt, run_name="helper", log_dir=logs,
                            epochs=2, steps_per_epoch=3) as tw:
            tw.metric("auc", "val").path = "torch"
            tw.metric("accuracy").path = "torch"
            for epoch in (1, 2):
                ref = {k: M.Mean() for k in ("loss", "val_loss")}
                acc, vacc = M.SparseCategoricalAccuracy(), M.SparseCategoricalAccuracy()
                vauc = M.AUC(num_thresholds=30)  # fed one-hot targets: the helper makes them
                vf1 = M.F1Score(average="macro")
                for step in range(3):
                    x = torch.randn(8 + step, 4, generator=gen)
                    y = torch.randint(0, 3, (8 + step,), generator=gen)
                    logits = model(x)
                    loss = torch.nn.functional.cross_entropy(logits, y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    probs = logits.softmax(1).detach()
                    tw.train_step(loss, probs, y)
                    ref["loss"].update_scalar(float(loss), len(y))
                    acc.update_state(y, probs)
                x = torch.randn(13, 4, generator=gen)
                y = torch.randint(0, 3, (13,), generator=gen)
                with torch.no_grad():
                    logits = model(x)
                    per_sample = torch.nn.functional.cross_entropy(logits, y, reduction="none")
                    tw.val_step(per_sample, logits.softmax(1), y)
                ref["val_loss"].update_state(per_sample)
                vacc.update_state(y, logits.softmax(1))
                vauc.update_state(torch.nn.functional.one_hot(y, 3), logits.softmax(1))
                vf1.update_state(torch.nn.functional.one_hot(y, 3), logits.softmax(1))
                mine = tw.epoch_end()
                want[("loss", "train", epoch)] = ref["loss"].result()
                want[("loss", "val", epoch)] = ref["val_loss"].result()
                want[("accuracy", "train", epoch)] = acc.result()
                want[("accuracy", "val", epoch)] = vacc.result()
                want[("auc", "val", epoch)] = vauc.result()
                want[("f1", "val", epoch)] = float(vf1.result())
                self.assertAlmostEqual(mine["val_accuracy"], vacc.result(), places=12)
                self.assertIn("val_auc", mine)
                want[("learning_rate", "train", epoch)] = opt.param_groups[0]["lr"]
                sched.step()
        recs = twtest.jsonl(logs)
        got = twtest.epoch_values(recs, "helper")
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=12, msg=str(k))
        self.assertEqual(got[("learning_rate", "train", 2)], 0.25)
        run = max((r for r in recs if r["type"] == "run"), key=lambda r: r["seq"])  # current
        params = run.get("params", {})
        self.assertEqual((run["epochs"], run["steps_per_epoch"]), (2, 3), run)
        self.assertEqual(params.get("batch_size"), 8, run)
        self.assertEqual(params.get("optimizer"), "SGD", run)

    def test_one_hot_label_out_of_range_is_an_error(self):
        # the one-hot targets the helper makes from labels: a label outside [0, D) raises, as
        # the sparse kinds' kernels do, on the device path and the C path alike
        probs = torch.softmax(torch.randn(4, 3), 1)
        for path in ("torch", "c"):
            for metric in (lambda: twt.AUC(), lambda: M.CategoricalAccuracy(),
                           lambda: M.F1Score(average="macro", num_classes=3)):
                tw = twt.Trainwatch(metrics={"m": metric()}, optimizer=None,
                                    publisher=FakePublisher())
                m = tw.metric("m")
                if isinstance(m, twt._TorchMetric):
                    m.path = path
                tw.train_step(None, probs, torch.tensor([0, 1, 2, 1]))
                before = m.get_state()
                for labels in ([0, 3, 1, 2], [0, -1, 1, 2]):
                    with self.assertRaisesRegex(ValueError, r"labels must be integers in "
                                                r"\[0, [3d]\) \(1 are not\)", msg=str(m)):
                        tw.train_step(None, probs, torch.tensor(labels))
                np.testing.assert_array_equal(m.get_state(), before)


if __name__ == "__main__":
    unittest.main()
