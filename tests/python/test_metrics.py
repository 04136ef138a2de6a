"""The metric classes: the C library's numbers, Keras's numbers, zero-copy, input checks."""
import ctypes
import os
import subprocess
import sys
import unittest
from unittest import mock

import numpy as np

import trainwatch
from trainwatch import _lib, metrics as M

C = _lib.lib
F = np.float32


def c_metric(kind, **opts):
    o = C.tw_metric_defaults()
    for k, v in opts.items():
        setattr(o, k, v)
    h = C.tw_metric_new(C.tw_metric_kind_from_name(kind.encode()), ctypes.byref(o))
    assert h
    return h


def c_result(kind, yt, yp, w, n, d, **opts):
    """The C library's result for flat float32 arrays (n samples of d values)."""
    h = c_metric(kind, **opts)
    try:
        yt, yp = np.ascontiguousarray(yt, F), np.ascontiguousarray(yp, F)
        w = None if w is None else np.ascontiguousarray(w, F)
        if kind in ("mean", "sum"):
            rc = C.tw_metric_update_values(h, yp.ctypes.data, None if w is None else w.ctypes.data,
                                           n, d)
        else:
            rc = C.tw_metric_update_state(h, yt.ctypes.data, yp.ctypes.data,
                                          None if w is None else w.ctypes.data, n, d)
        assert rc == 0
        return C.tw_metric_result(h)
    finally:
        p = ctypes.c_void_p(h)
        C.tw_metric_destroy(ctypes.byref(p))


# (class, kind, options for C, sparse, y_true maker)
RNG = np.random.RandomState(7)
N, D = 37, 4


def binary(n, d):
    return (RNG.rand(n, d) > 0.5).astype(F)


def onehot(n, d):
    return np.eye(d, dtype=F)[RNG.randint(0, d, n)]


def labels(n, d):
    return RNG.randint(0, d, n).astype(F)


def real(n, d):
    return (RNG.rand(n, d) * 3 + 0.5).astype(F)


def probs(n, d):
    p = RNG.rand(n, d).astype(F) + F(0.01)
    return p / p.sum(axis=1, keepdims=True)


CASES = [
    (lambda: M.Accuracy(), "accuracy", {}, lambda n, d: RNG.randint(0, 3, (n, d)).astype(F),
     lambda n, d: RNG.randint(0, 3, (n, d)).astype(F)),
    (lambda: M.BinaryAccuracy(threshold=0.3), "binary_accuracy", {"threshold": 0.3}, binary,
     lambda n, d: RNG.rand(n, d).astype(F)),
    (lambda: M.CategoricalAccuracy(), "categorical_accuracy", {}, onehot, probs),
    (lambda: M.SparseCategoricalAccuracy(), "sparse_categorical_accuracy", {}, labels, probs),
    (lambda: M.TopKCategoricalAccuracy(k=2), "top_k_categorical_accuracy", {"k": 2}, onehot,
     probs),
    (lambda: M.SparseTopKCategoricalAccuracy(k=2), "sparse_top_k_categorical_accuracy",
     {"k": 2}, labels, probs),
    (lambda: M.MeanSquaredError(), "mean_squared_error", {}, real, real),
    (lambda: M.RootMeanSquaredError(), "root_mean_squared_error", {}, real, real),
    (lambda: M.MeanAbsoluteError(), "mean_absolute_error", {}, real, real),
    (lambda: M.MeanAbsolutePercentageError(), "mean_absolute_percentage_error", {}, real, real),
    (lambda: M.BinaryCrossentropy(), "binary_crossentropy", {}, binary,
     lambda n, d: RNG.rand(n, d).astype(F)),
    (lambda: M.CategoricalCrossentropy(), "categorical_crossentropy", {}, onehot, probs),
    (lambda: M.Precision(thresholds=0.4), "precision", {"threshold": 0.4}, binary,
     lambda n, d: RNG.rand(n, d).astype(F)),
    (lambda: M.Recall(), "recall", {}, binary, lambda n, d: RNG.rand(n, d).astype(F)),
    (lambda: M.AUC(num_thresholds=50, curve="PR", summation_method="minoring"), "auc",
     {"num_thresholds": 50, "curve": 1, "summation": 1}, binary,
     lambda n, d: RNG.rand(n, d).astype(F)),
    (lambda: M.AUC(), "auc", {}, binary, lambda n, d: RNG.rand(n, d).astype(F)),
]


class SameAsC(unittest.TestCase):
    """Every class gives exactly the C library's result for the same inputs."""

    def test_every_class_matches_the_c_library(self):
        for make, kind, opts, mk_true, mk_pred in CASES:
            for d in (1, D):
                with self.subTest(kind=kind, d=d):
                    yt, yp = mk_true(N, d), mk_pred(N, d)
                    w = RNG.rand(N).astype(F)
                    if kind.startswith("sparse"):
                        yt = yt[:, 0] if yt.ndim == 2 else yt
                    m = make()
                    m.update_state(yt, yp)
                    self.assertEqual(m.result(), c_result(kind, yt, yp, None, N, d, **opts))
                    m.reset_state()
                    m.update_state(yt, yp, sample_weight=w)
                    self.assertEqual(m.result(), c_result(kind, yt, yp, w, N, d, **opts))
                    # (N,) and (N, 1) are interchangeable
                    if d == 1 and not kind.startswith("sparse"):
                        m2 = make()
                        m2.update_state(yt.ravel(), yp, sample_weight=w[:, None])
                        self.assertEqual(m2.result(), m.result())
                    # float64 inputs and lists give the same as float32
                    m3 = make()
                    m3.update_state(yt.astype(np.float64).tolist(), yp.astype(np.float64),
                                    sample_weight=w.tolist())
                    self.assertEqual(m3.result(), m.result())

    def test_mean_and_sum_match_the_c_library(self):
        v, w = RNG.rand(N, D).astype(F), RNG.rand(N).astype(F)
        for cls, kind in ((M.Mean, "mean"), (M.Sum, "sum")):
            m = cls()
            m.update_state(v, sample_weight=w)
            self.assertEqual(m.result(), c_result(kind, None, v, w, N, D))
            m = cls()
            m.update_state(v[:, 0])
            self.assertEqual(m.result(), c_result(kind, None, v[:, 0], None, N, 1))

    def test_merge_state_is_the_whole(self):
        for make, kind, opts, mk_true, mk_pred in CASES:
            with self.subTest(kind=kind):
                yt, yp = mk_true(N, D), mk_pred(N, D)
                if kind.startswith("sparse"):
                    yt = yt[:, 0] if yt.ndim == 2 else yt
                whole, a, b = make(), make(), make()
                whole.update_state(yt, yp)
                a.update_state(yt[:20], yp[:20])
                b.update_state(yt[20:], yp[20:])
                a.merge_state(b)
                self.assertAlmostEqual(a.result(), whole.result(), places=12)
                np.testing.assert_allclose(a.get_state(), whole.get_state(), rtol=1e-12)
        with self.assertRaises(ValueError):
            M.BinaryAccuracy().merge_state(M.Accuracy())
        with self.assertRaises(ValueError):
            M.AUC(num_thresholds=10).merge_state([M.AUC()])


class SameAsKeras(unittest.TestCase):
    """Values Keras's own tests give (shared reference keras-metrics.md and its sources)."""

    def check(self, got, want, places=6):
        self.assertAlmostEqual(got, want, places=places)

    def test_accuracies(self):
        self.check(M.Accuracy()([1, 2, 3, 4], [0, 2, 3, 4]), 0.75)
        self.check(M.Accuracy()([1, 2, 3, 4], [0, 2, 3, 4], sample_weight=[1, 1, 0, 0]), 0.5)
        self.check(M.BinaryAccuracy()([1, 1, 0, 0], [0.98, 1, 0, 0.6]), 0.75)
        self.check(M.BinaryAccuracy()([[1], [1], [0], [0]], [0.98, 1, 0, 0.6],
                                      sample_weight=[1, 0, 0, 1]), 0.5)
        self.check(M.BinaryAccuracy(threshold=0.3)([1, 1, 0, 0], [0.98, 0.5, 0.1, 0.2]), 1.0)
        self.check(M.BinaryAccuracy(threshold=0.9)([1, 1, 0, 0], [0.98, 0.5, 0.1, 0.2]), 0.75)
        yt, yp = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
        self.check(M.CategoricalAccuracy()(yt, yp), 0.5)
        self.check(M.CategoricalAccuracy()(yt, yp, sample_weight=[0.7, 0.3]), 0.3)
        self.check(M.TopKCategoricalAccuracy(k=1)(yt, yp), 0.5)
        self.check(M.TopKCategoricalAccuracy(k=1)(yt, yp, sample_weight=[0.7, 0.3]), 0.3)
        self.check(M.SparseCategoricalAccuracy()([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]),
                   0.5)
        self.check(M.SparseCategoricalAccuracy()([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
                                                 sample_weight=[0.7, 0.3]), 0.3)
        self.check(M.SparseTopKCategoricalAccuracy(k=1)([2, 1], yp), 0.5)
        self.check(M.SparseTopKCategoricalAccuracy(k=2)(np.array([2, 1]), yp), 1.0)

    def test_mean_sum(self):
        self.check(M.Mean()([1, 3, 5, 7]), 4.0)
        self.check(M.Mean()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]), 2.0)
        self.check(M.Mean()([1, 3, 5, 7], sample_weight=[-1, -1, 0, 0]), 2.0)
        self.check(M.Sum()([1, 3, 5, 7]), 16.0)
        self.check(M.Sum()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]), 4.0)
        # Keras 3's scalar-weight rule (reference section 2, DIVERGENCE): 11.3317
        m = M.Mean()
        m(100, sample_weight=0.5)
        m([1, 5], sample_weight=[1, 0.2])
        m([1, 2], sample_weight=0.5)
        m([1, 5], sample_weight=[[1], [0.2]])
        m([[1], [5]], sample_weight=[1, 0.2])
        self.check(m([[[1, 2], [3, 2], [0.5, 4]]], sample_weight=[0.5]), 11.3317, places=4)
        # tf-keras streaming: Mean()(100) then [1, 5]: 106 / 3
        m = M.Mean()
        m(100)
        self.check(m([1, 5]), 106 / 3)

    def test_stderr(self):
        # Mean of [1, 3, 5, 7]: s^2 = 20 / 3 over n = 4 (doc/metrics.md's worked example)
        m = M.Mean()
        m([1, 3, 5, 7])
        self.assertAlmostEqual(m.stderr(), (20 / 12) ** 0.5, places=12)
        self.assertEqual(list(m.get_state()), [16.0, 4.0, 84.0, 4.0])
        # one value: undefined (NaN), as a Sum always is
        one = M.Mean()
        one(2.0)
        self.assertTrue(np.isnan(one.stderr()))
        total = M.Sum()
        total([1, 2])
        self.assertTrue(np.isnan(total.stderr()))
        # 3 hits of 4: binomial
        a = M.BinaryAccuracy()
        a.update_state([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.8])
        self.assertAlmostEqual(a.stderr(), (0.75 * 0.25 / 4) ** 0.5, places=12)
        # merging ranks: the SE of the whole
        h1, h2 = M.Mean(), M.Mean()
        h1([1, 3])
        h2([5, 7])
        h1.merge_state(h2)
        self.assertAlmostEqual(h1.stderr(), m.stderr(), places=12)
        # trainwatch 0.1's [total, count] state is accepted: its value, no SE
        old = M.Mean()
        old.set_state([16.0, 4.0])
        self.assertEqual(old.result(), 4.0)
        self.assertTrue(np.isnan(old.stderr()))

    def test_regression(self):
        yt = [[0, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]]
        yp = [[0, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1]]
        w = [1.0, 1.5, 2.0, 2.5]
        for cls in (M.MeanSquaredError, M.MeanAbsoluteError):
            self.check(cls()(yt, yp), 0.5)
            self.assertAlmostEqual(cls()(yt, yp, sample_weight=w), 0.54285, delta=1e-5)
        self.assertAlmostEqual(M.MeanAbsolutePercentageError()(yt, yp) / 35e7, 1, places=5)
        self.assertAlmostEqual(M.MeanAbsolutePercentageError()(yt, yp, sample_weight=w) / 40e7,
                               1, places=5)
        self.check(M.RootMeanSquaredError()([2, 4, 6], [1, 3, 2]), 6 ** 0.5)
        self.check(M.RootMeanSquaredError()([2, 4, 6, 8], [1, 3, 2, 3],
                                            sample_weight=[0, 1, 0, 1]), 13 ** 0.5)

    def test_crossentropy(self):
        self.check(M.BinaryCrossentropy()([[1, 0], [1, 0]], [[1, 1], [1, 0]]), 3.9855, places=3)
        self.check(M.BinaryCrossentropy()([[1, 0], [1, 0]], [[1, 1], [1, 0]],
                                          sample_weight=[1.5, 2]), 3.4162, places=3)

    def test_confusion_and_auc(self):
        self.check(M.Precision()([0, 1, 1, 0], [1, 0, 1, 0]), 0.5)
        self.check(M.Recall()([0, 1, 1, 0], [1, 0, 1, 0]), 0.5)
        yt, yp, w = [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 2, 3, 4]
        self.check(M.AUC()(yt, yt), 1.0)
        self.check(M.AUC(num_thresholds=3)(yt, yp, sample_weight=w), 0.7855, places=3)
        self.check(M.AUC(num_thresholds=3, summation_method="minoring")(yt, yp,
                                                                        sample_weight=w), 4 / 7)
        self.check(M.AUC(num_thresholds=3, curve="PR", summation_method="minoring")(
            yt, yp, sample_weight=w), 0.3)
        self.check(M.AUC(num_thresholds=3, curve="PR")(yt, yp, sample_weight=w), 0.916613)
        self.check(M.AUC(num_thresholds=3, curve="PR")(yt, yp, sample_weight=[-1, -2, -3, -4]),
                   0.0)

    def test_auc_prgain(self):
        # Keras 3's AUC.result() for curve="PRGAIN", by hand (as tests/unit/test_metric_auc.c):
        # two weighted batches, P = 5, N = 4.5, tp = [5, 5, 4, 2, 0], fp = [4.5, 3.5, 2.5, .5, 0];
        # recall gain [1, 1, 13/18, 0 (clipped), 0], precision gain [0, 2/9, 11/36, 13/18, 1].
        want = {"interpolation": 4 / 9, "minoring": 61 / 216, "majoring": 131 / 216}
        for summation, area in want.items():
            m = M.AUC(num_thresholds=5, curve="prgain", summation_method=summation)
            m.update_state([1, 1, 0, 0, 1], [0.9, 0.6, 0.3, 0.1, 0.4],
                           sample_weight=[1, 2, 1, 1, 1])
            m.update_state([0, 1, 0], [0.8, 0.95, 0.55], sample_weight=[0.5, 1, 2])
            self.check(m.result(), area)
            self.assertTrue(np.isnan(m.stderr()))
            self.assertTrue(m.get_config().startswith("num_thresholds=5,curve=PRGAIN"))


class ZeroCopy(unittest.TestCase):
    """A C-contiguous float32 array reaches the library as itself: its own data pointer is
    what the C function receives, and no conversion happens."""

    def record(self, name):
        real = getattr(C, name)
        seen = []

        def spy(*args):
            seen.append(args)
            return real(*args)
        p = mock.patch.object(M._c, name, spy)
        p.start()
        self.addCleanup(p.stop)
        return seen

    def test_float32_is_not_copied(self):
        seen = self.record("tw_metric_update_state")
        yt = np.array([[1], [0], [1], [0]], dtype=F)
        yp = np.array([0.9, 0.2, 0.4, 0.6], dtype=F)
        w = np.array([1, 2, 3, 4], dtype=F)
        before = M.conversion_count()
        with mock.patch.object(np, "ascontiguousarray", side_effect=AssertionError("copy")), \
                mock.patch.object(np, "array", side_effect=AssertionError("copy")):
            m = M.BinaryAccuracy()
            m.update_state(yt, yp, sample_weight=w)
        self.assertEqual(M.conversion_count(), before)
        self.assertEqual(len(seen), 1)
        _, pt, pp, pw, n, d = seen[0]
        self.assertEqual((pt, pp, pw, n, d), (yt.ctypes.data, yp.ctypes.data, w.ctypes.data, 4, 1))
        self.assertAlmostEqual(m.result(), 0.3)  # hits on the weights 1 and 2 of 10

    def test_mean_values_are_not_copied(self):
        seen = self.record("tw_metric_update_values")
        v = np.arange(12, dtype=F).reshape(3, 4)
        before = M.conversion_count()
        M.Mean().update_state(v)
        self.assertEqual(M.conversion_count(), before)
        self.assertEqual(seen[0][1], v.ctypes.data)

    def test_torch_float32_tensor_is_not_copied(self):
        try:
            import torch
        except ImportError:
            self.skipTest("no torch")
        seen = self.record("tw_metric_update_state")
        yt, yp = torch.tensor([1.0, 0.0]), torch.tensor([0.8, 0.1], requires_grad=True)
        before = M.conversion_count()
        m = M.BinaryAccuracy()
        m.update_state(yt, yp)
        self.assertEqual(M.conversion_count(), before)
        self.assertEqual(seen[0][1:3], (yt.data_ptr(), yp.data_ptr()))
        self.assertEqual(m.result(), 1.0)

    def test_other_inputs_are_converted(self):
        before = M.conversion_count()
        seen = self.record("tw_metric_update_state")
        yp = np.array([0.9, 0.2, 0.4, 0.6], dtype=np.float64)
        strided = np.zeros(8, dtype=F)[::2]
        M.BinaryAccuracy().update_state(strided, yp)
        self.assertEqual(M.conversion_count(), before + 2)
        self.assertNotEqual(seen[0][1], strided.ctypes.data)
        self.assertNotEqual(seen[0][2], yp.ctypes.data)


class BadInputs(unittest.TestCase):
    def test_shapes_raise_value_error_naming_them(self):
        bad = [
            (M.BinaryAccuracy(), ([1, 0, 1], [0.5, 0.5]), "(3,)"),
            (M.BinaryAccuracy(), (np.zeros((4, 2)), np.zeros((4, 3))), "(4, 3)"),
            (M.CategoricalAccuracy(), (np.zeros((2, 3)), np.zeros(2)), "(2, 3)"),
            (M.MeanSquaredError(), (np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), "(2, 2, 2)"),
            (M.SparseCategoricalAccuracy(), (np.zeros((2, 3)), np.zeros((2, 3))), "(2, 3)"),
            (M.SparseCategoricalAccuracy(), (np.zeros(3), np.zeros((2, 3))), "(3,)"),
            (M.SparseCategoricalAccuracy(), (np.zeros(2), np.zeros(2)), "(2,)"),
        ]
        for m, args, shape in bad:
            with self.subTest(metric=type(m).__name__, shape=shape):
                with self.assertRaises(ValueError) as cm:
                    m.update_state(*args)
                self.assertIn(shape, str(cm.exception))
                self.assertEqual(m.result(), 0.0)  # state unchanged

    def test_weights(self):
        with self.assertRaisesRegex(ValueError, r"\(3,\)"):
            M.BinaryAccuracy().update_state([1, 0], [0.5, 0.5], sample_weight=[1, 2, 3])
        with self.assertRaisesRegex(ValueError, r"\(2, 3\)"):
            M.MeanSquaredError().update_state(np.zeros((2, 3)), np.zeros((2, 3)),
                                              sample_weight=np.ones((2, 3)))
        with self.assertRaises(ValueError):
            M.Mean().update_state([1, 2, 3], sample_weight=[1, 2])
        # element weights where Keras has them: (N, D) and (1, D) on element-wise metrics
        m = M.BinaryAccuracy()
        m.update_state([[1, 1], [0, 0]], [[0.9, 0.1], [0.1, 0.9]], sample_weight=[[1, 0], [1, 0]])
        self.assertEqual(m.result(), 1.0)
        m = M.Precision()
        m.update_state([[1, 0], [1, 0]], [[0.9, 0.9], [0.9, 0.9]], sample_weight=[[1, 0]])
        self.assertEqual(m.result(), 1.0)

    def test_dtypes_raise_type_error(self):
        for v in (np.array(["a", "b"]), np.array([1 + 2j, 3j]), [object(), object()]):
            with self.assertRaises(TypeError):
                M.BinaryAccuracy().update_state(v, [0.5, 0.5])
            with self.assertRaises(TypeError):
                M.Mean().update_state(v)

    def test_sparse_labels_out_of_range(self):
        with self.assertRaisesRegex(ValueError, r"\[0, 3\)"):
            M.SparseCategoricalAccuracy().update_state([3, 0], np.eye(2, 3))
        with self.assertRaises(ValueError):
            M.SparseCategoricalAccuracy().update_state([0.5, 0], np.eye(2, 3))

    def test_bad_options(self):
        with self.assertRaises(ValueError):
            M.AUC(num_thresholds=1)
        with self.assertRaises(ValueError):
            M.AUC(curve="XY")
        with self.assertRaises(ValueError):
            M.BinaryAccuracy(threshold=2)
        with self.assertRaises(ValueError):
            M.TopKCategoricalAccuracy(k=0)
        with self.assertRaisesRegex(ValueError, "label_weights must have num_labels"):
            M.AUC(multi_label=True, num_labels=3, label_weights=[1, 2])
        with self.assertRaises(ValueError):  # a threshold list is supported; 1.5 is not
            M.Precision(thresholds=[0.2, 1.5])

    def test_bools_ints_and_empty(self):
        m = M.BinaryAccuracy()
        m.update_state(np.array([True, False]), np.array([1, 0], dtype=np.int64))
        self.assertEqual(m.result(), 1.0)
        m.update_state(np.zeros((0, 1)), np.zeros((0, 1)))
        self.assertEqual(m.result(), 1.0)


class Library(unittest.TestCase):
    def test_version(self):
        self.assertEqual(trainwatch.library_version(), "0.2.0")

    def test_missing_library_names_what_was_searched(self):
        env = dict(os.environ, TRAINWATCH_LIBRARY="/nonexistent/libtrainwatch.so")
        out = subprocess.run([sys.executable, "-c", "import trainwatch"], env=env,
                             capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("LibraryNotFoundError", out.stderr)
        self.assertIn("/nonexistent/libtrainwatch.so", out.stderr)
        self.assertIn("TRAINWATCH_LIBRARY", out.stderr)


if __name__ == "__main__":
    unittest.main()
