"""The keras.metrics classes added in 0.2: Keras's docstring values, their arguments by name,
the library's reasons for refusing them, get(), and the monitor rebuilding them from the
declaration's arguments (a real publisher, its run log, the real `trainwatch --jsonl`)."""
import os
import unittest

import numpy as np

import trainwatch
import twtest
from trainwatch import metrics as M


def keras(metric, y_true, y_pred, sample_weight=None):
    metric.reset_state()
    metric.update_state(np.asarray(y_true), np.asarray(y_pred), sample_weight)
    return metric.result()


class KerasDocstrings(unittest.TestCase):
    def close(self, got, want, tol=1e-6):
        np.testing.assert_allclose(got, want, atol=tol, rtol=1e-6)

    def test_losses(self):
        t, p11, p64 = [[0, 1], [0, 0]], [[1, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
        w = [1, 0]
        for cls, p, a, b in [(M.KLDivergence, p64, 0.45814306, 0.9162892),
                             (M.Poisson, p11, 0.49999997, 0.99999994),
                             (M.MeanSquaredLogarithmicError, p11, 0.12011322, 0.24022643),
                             (M.LogCoshError, p11, 0.10844523, 0.21689045),
                             (M.Hinge, p64, 1.3, 1.1), (M.SquaredHinge, p64, 1.86, 1.46),
                             (M.CategoricalHinge, p64, 1.4, 1.2)]:
            m = cls()
            self.close(keras(m, t, p), a)
            self.close(keras(m, t, p, np.array(w, np.float32)), b)
        m = M.CosineSimilarity(axis=-1)
        self.close(keras(m, [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]), 0.49999997)
        self.close(keras(m, [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], [0.3, 0.7]), 0.6999999)
        m = M.SparseCategoricalCrossentropy()
        p = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        self.close(keras(m, [1, 2], p), 1.1769392, 1e-5)
        self.close(keras(m, [1, 2], p, [0.3, 0.7]), 1.6271976, 1e-5)
        self.assertEqual(M.LogCoshError().name, "logcosh")

    def test_correlations_and_r2(self):
        t, p = [[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]
        self.close(keras(M.PearsonCorrelation(), t, p), 0.9966996338993913)
        self.close(keras(M.ConcordanceCorrelation(), t, p), 0.9816320385426076)
        self.close(keras(M.R2Score(), [[1], [4], [3]], [[2], [4], [4]]), 0.57142854)
        with self.assertRaisesRegex(ValueError, "2D inputs"):
            M.R2Score().update_state([1, 4, 3], [2, 4, 4])

    def test_confusion(self):
        w = [0, 0, 1, 0]
        self.close(keras(M.TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1]), 2)
        self.close(keras(M.TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1], w), 1)
        self.close(keras(M.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1]), 2)
        self.close(keras(M.TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0]), 2)
        self.close(keras(M.FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0]), 2)
        tp = M.TruePositives(thresholds=[0.15, 0.5, 0.85])
        self.close(keras(tp, [0, 1, 1, 0, 1, 0, 1, 0], [.1, .9, .6, .7, .3, .2, .8, .5]),
                   [4, 3, 1])
        t, p = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]
        self.close(keras(M.SensitivityAtSpecificity(0.5), t, p), 0.5)
        self.close(keras(M.SensitivityAtSpecificity(0.5), t, p, [1, 1, 2, 2, 1]), 0.333333, 1e-5)
        self.close(keras(M.SpecificityAtSensitivity(0.5), t, p), 0.66666667, 1e-5)
        self.close(keras(M.PrecisionAtRecall(0.5), t, p, [2, 2, 2, 1, 1]), 0.33333333, 1e-5)
        self.close(keras(M.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), 0.5)
        pr = M.Precision(thresholds=[0.3, 0.7])
        self.close(keras(pr, [0, 1, 1, 0], [0.5, 0.9, 0.4, 0.8]), [0.5, 0.5])
        self.close(keras(M.Precision(top_k=1), [[0, 1, 1], [1, 0, 0]],
                         [[0.2, 0.9, 0.1], [0.5, 0.7, 0.6]]), 0.5)
        self.close(keras(M.Recall(class_id=2), [[0, 1, 1], [1, 0, 0]],
                         [[0.2, 0.9, 0.1], [0.5, 0.7, 0.6]]), 0.0)

    def test_fbeta(self):
        t = [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
        p = [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]
        self.close(keras(M.F1Score(threshold=0.5), t, p), [0.5, 0.8, 0.6666667])
        self.close(keras(M.FBetaScore(beta=2.0, threshold=0.5), t, p),
                   [0.3846154, 0.90909094, 0.8333334])
        self.close(keras(M.F1Score(threshold=0.5, average="macro"), t, p),
                   (0.5 + 0.8 + 2 / 3) / 3)
        m = M.F1Score(average="micro", num_classes=3)
        self.assertEqual(m.get_config(), "num_classes=3,average=micro")
        self.assertEqual(M.F1Score().result(), 0.0)  # no state before the first batch

    def test_iou(self):
        self.close(keras(M.IoU(num_classes=2, target_class_ids=[0]), [0, 0, 1, 1], [0, 1, 0, 1]),
                   0.33333334)
        m = M.MeanIoU(num_classes=2)
        self.close(keras(m, [0, 0, 1, 1], [0, 1, 0, 1]), 0.33333334)
        self.close(keras(m, [0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1]), 0.23809525)
        self.close(keras(M.BinaryIoU(target_class_ids=[0, 1], threshold=0.3), [0, 1, 0, 1],
                         [0.1, 0.2, 0.4, 0.7]), 0.33333334)
        t = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
        p = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
        w = [0.1, 0.2, 0.3, 0.4]
        self.close(keras(M.OneHotIoU(num_classes=3, target_class_ids=[0, 2]), t, p, w), 0.07142857)
        self.close(keras(M.OneHotMeanIoU(num_classes=3), t, p, w), 0.047619034)
        # 2-D masks of labels are flattened, as Keras does
        self.close(keras(M.MeanIoU(num_classes=2), [[0, 0], [1, 1]], [[0, 1], [0, 1]]),
                   0.33333334)
        with self.assertRaisesRegex(ValueError, "outside"):
            M.MeanIoU(num_classes=2).update_state([0, 5], [0, 1])

    def test_old_classes_take_their_remaining_arguments(self):
        logits = np.array([-2, 1.5, 0.3, -0.1], np.float32)
        y = [0, 1, 1, 0]
        a, b = M.AUC(from_logits=True), M.AUC()
        self.close(keras(a, y, logits), keras(b, y, 1 / (1 + np.exp(-logits))), 1e-6)
        self.close(keras(M.BinaryCrossentropy(from_logits=True), y, logits),
                   keras(M.BinaryCrossentropy(), y, 1 / (1 + np.exp(-logits))), 1e-5)
        self.close(keras(M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True), [2, 0, 1],
                         [[2, 0, 1], [1, 2, 0], [0, 2, 1]]), 1 / 3)

    def test_refusals_carry_the_librarys_reason(self):
        with self.assertRaisesRegex(ValueError, "average must be None, micro, macro or weighted"):
            M.F1Score(average="mean", num_classes=3)
        with self.assertRaisesRegex(ValueError, "target_class_ids must be below num_classes"):
            M.IoU(num_classes=2, target_class_ids=[2])
        with self.assertRaisesRegex(ValueError, "axis must be -1"):
            M.CosineSimilarity(axis=0)
        with self.assertRaisesRegex(ValueError, "value must be in"):
            M.PrecisionAtRecall(1.5)
        with self.assertRaises(TypeError):
            M.KLDivergence(axis=-1)  # not one of Keras's arguments
        m = M.AUC(multi_label=True, num_labels=2, label_weights=[1, 3])
        self.assertEqual(m.get_config(), "multi_label=true,num_labels=2,label_weights=[1,3]")
        self.assertEqual(M.AUC(thresholds=[0.7, 0.2]).get_config(), "thresholds=[0.2,0.7]")
        # multi_label without num_labels: the labels come from the first batch, as Keras
        lazy = M.AUC(multi_label=True)
        self.assertEqual(lazy.result(), 0.0)
        t = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
        p = np.array([[0.2, 0.9], [0.7, 0.6], [0.6, 0.4], [0.1, 0.3]], np.float32)
        lazy.update_state(t, p)
        cols = [keras(M.AUC(), t[:, j], p[:, j]) for j in range(2)]
        self.assertAlmostEqual(lazy.result(), sum(cols) / 2, places=12)
        self.assertEqual(lazy.get_config(), "multi_label=true,num_labels=2")

    def test_merge_needs_the_same_arguments(self):
        a = M.F1Score(average="macro", num_classes=3)
        b = M.F1Score(average="weighted", num_classes=3)
        with self.assertRaises(ValueError):
            a.merge_state(b)
        c = M.F1Score(average="macro", num_classes=3)
        t, p = np.eye(3)[[0, 1, 2, 1]], np.eye(3)[[0, 2, 2, 1]]
        whole = M.F1Score(average="macro", num_classes=3)
        whole.update_state(t, p)
        a.update_state(t[:2], p[:2])
        c.update_state(t[2:], p[2:])
        a.merge_state(c)
        self.assertAlmostEqual(a.result(), whole.result(), places=12)


class Get(unittest.TestCase):
    def test_names_as_keras_resolves_them(self):
        self.assertIsInstance(M.get("f1_score"), M.F1Score)
        self.assertIsInstance(M.get("F1Score"), M.F1Score)
        self.assertIsInstance(M.get("r2_score"), M.R2Score)
        self.assertIsInstance(M.get("kl_divergence"), M.KLDivergence)
        self.assertIsInstance(M.get("mse"), M.MeanSquaredError)
        self.assertIsInstance(M.get("MSLE"), M.MeanSquaredLogarithmicError)
        self.assertIsInstance(M.get(M.AUC), M.AUC)
        m = M.Mean()
        self.assertIs(M.get(m), m)
        self.assertIsNone(M.get(None))
        with self.assertRaises(TypeError):
            M.get("mean_io_u")  # Keras: MeanIoU() needs num_classes
        with self.assertRaisesRegex(ValueError, "Could not interpret"):
            M.get("no_such_metric")

    def test_every_keras_class(self):
        names = ["SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
                 "MeanSquaredLogarithmicError", "LogCoshError", "CosineSimilarity", "R2Score",
                 "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
                 "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
                 "RecallAtPrecision", "Hinge", "SquaredHinge", "CategoricalHinge", "FBetaScore",
                 "F1Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
                 "PearsonCorrelation", "ConcordanceCorrelation"]
        for n in names:
            self.assertTrue(issubclass(getattr(M, n), M.Metric), n)
            self.assertIn(n, M.__all__)


class Functions(unittest.TestCase):
    def test_keras_docstrings(self):
        np.testing.assert_allclose(M.binary_accuracy([[1], [1], [0], [0]], [[1], [1], [0], [0.6]]),
                                   [[1], [1], [1], [0]])
        p = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        np.testing.assert_allclose(M.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], p),
                                   [0.0513, 2.303], atol=1e-3)
        np.testing.assert_allclose(M.sparse_categorical_crossentropy([1, 2], p), [0.0513, 2.303],
                                   atol=1e-3)
        np.testing.assert_allclose(M.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]),
                                   [0.18, 0.13], atol=1e-6)
        np.testing.assert_allclose(M.binary_focal_crossentropy([[0, 1], [0, 0]],
                                                               [[0.6, 0.4], [0.4, 0.6]], gamma=2),
                                   [0.330, 0.206], atol=1e-3)
        np.testing.assert_allclose(
            M.sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=3),
            [1, 1])
        self.assertIs(M.get("huber"), M.huber)
        self.assertIs(M.get(M.poisson), M.poisson)

    def test_values_feed_a_mean_as_the_metric(self):
        rng = np.random.RandomState(2)
        t, p = rng.rand(10, 3).astype(np.float32), rng.rand(10, 3).astype(np.float32)
        mean = M.Mean()
        mean.update_state(M.log_cosh(t, p))
        self.assertAlmostEqual(mean.result(), keras(M.LogCoshError(), t, p), places=6)

    def test_refusals(self):
        with self.assertRaises(ValueError):
            M.huber([1.0], [2.0], delta=-1)
        with self.assertRaises(ValueError):
            M.sparse_categorical_accuracy([5], [[0.1, 0.9]])


class MRR(M.Metric):
    """Mean reciprocal rank, as a Keras Metric subclass."""

    def __init__(self, name="mrr"):
        super().__init__(name=name)
        self.total = self.add_weight("total")
        self.count = self.add_weight("count")
        self.result_expr = "total / count"

    def update_state(self, ranks):
        ranks = np.asarray(ranks, dtype=np.float64)
        self.total.assign_add(np.sum(1.0 / ranks))
        self.count.assign_add(ranks.size)


class CustomMetrics(unittest.TestCase):
    def test_subclass_with_slots_and_expression(self):
        m = MRR()
        self.assertEqual(m.result(), 0.0)
        m.update_state([1, 2, 4])
        self.assertAlmostEqual(m.result(), (1 + 0.5 + 0.25) / 3, places=12)
        self.assertEqual(m.get_config(), 'slots=[total,count],expr="total/count"')
        other = MRR()
        other.update_state([1])
        m.merge_state(other)
        self.assertAlmostEqual(m.result(), 2.75 / 4, places=12)  # slots added: exact
        m.count.assign(10)
        self.assertAlmostEqual(m.result(), 0.275, places=12)
        m.reset_state()
        self.assertEqual(m.total.numpy(), 0.0)

    def test_refusals(self):
        class Bad(M.Metric):
            def __init__(self):
                super().__init__()
                self.a = self.add_weight("a")
                self.result_expr = "a / b"
        with self.assertRaisesRegex(ValueError, "neither a slot"):
            Bad().result()
        with self.assertRaises(NotImplementedError):
            MRR().add_weight("v", shape=(3,))
        with self.assertRaises(TypeError):
            M.Mean().add_weight("x")

    def test_state_access_before_first_use(self):
        # a custom metric's library metric is made at its first use, whichever it is
        self.assertEqual(MRR().get_state().tolist(), [0.0, 0.0])
        m = MRR()
        m.set_state([1.0, 2.0])
        self.assertAlmostEqual(m.result(), 0.5, places=12)
        m = MRR()
        m.add_state([3.0, 4.0])
        self.assertAlmostEqual(m.result(), 0.75, places=12)
        self.assertTrue(np.isnan(MRR().stderr()) or MRR().stderr() == 0.0)
        m = MRR()
        m.merge_state(MRR())
        self.assertEqual(m.get_config(), 'slots=[total,count],expr="total/count"')


class LazySizes(unittest.TestCase):
    """Metrics sized by their first batch have no state before it: a clear ValueError, never
    the library called with no metric."""

    def lazy(self):
        return [M.F1Score(), M.FBetaScore(), M.R2Score(),
                M.AUC(multi_label=True)]

    def test_before_first_batch(self):
        for m in self.lazy():
            name = type(m).__name__
            for call in (m.stderr, m.options, m.get_state, lambda: m.set_state([0.0] * 4),
                         lambda: m.add_state([0.0] * 4)):
                with self.assertRaisesRegex(ValueError, "%s has no state until its first "
                                            "batch" % name):
                    call()
            built = type(m)()
            built.update_state(np.array([[1.0, 0.0]]), np.array([[0.9, 0.2]]))
            with self.assertRaisesRegex(ValueError, "no state until its first batch"):
                built.merge_state(m)
            with self.assertRaisesRegex(ValueError, "no state until its first batch"):
                m.merge_state(built)

    def test_after_first_batch(self):
        for m in self.lazy():
            m.update_state(np.array([[1.0, 0.0]]), np.array([[0.9, 0.2]]))
            m.set_state(m.get_state())
            m.options()
            m.stderr()


class MonitorRebuildsFromArguments(twtest.TempDirTest):
    def test_run_log_epoch_values_of_new_kinds(self):
        logs = os.path.join(self.tmp, "runs")
        rng = np.random.RandomState(5)
        want = {}
        with trainwatch.Publisher(run_name="py-keras", log_dir=logs) as pub:
            f1 = pub.track(M.F1Score(average="macro", threshold=0.5, num_classes=4), "f1",
                           split="val")
            miou = pub.track(M.MeanIoU(num_classes=4, ignore_class=3), "miou", split="val")
            p2 = pub.track(M.Precision(top_k=2), "p_top2", split="val")
            mrr = pub.track(MRR(), "mrr", split="val")
            with self.assertRaisesRegex(ValueError, "num_classes="):
                pub.track(M.F1Score(), "f1_lazy")
            for e in range(1, 3):
                y = np.eye(4, dtype=np.float32)[rng.randint(0, 4, 32)]
                s = rng.rand(32, 4).astype(np.float32)
                f1.update_state(y, s)
                miou.update_state(y.argmax(1), s.argmax(1))
                p2.update_state(y, s)
                mrr.update_state(rng.randint(1, 10, 16))
                want.update({("f1", "val", e): f1.result(), ("miou", "val", e): miou.result(),
                             ("p_top2", "val", e): p2.result(), ("mrr", "val", e): mrr.result()})
                pub.step()
                pub.epoch_end()
        recs = twtest.jsonl(logs)
        got = twtest.epoch_values(recs, "py-keras")
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=12, msg=str(k))
        args = {r["metric"]: r.get("args") for r in recs if r["type"] == "metric"}
        self.assertEqual(args["f1"], "num_classes=4,average=macro,threshold=0.5")
        self.assertEqual(args["miou"], "num_classes=4,ignore_class=3")
        self.assertEqual(args["p_top2"], "top_k=2")
        self.assertEqual(args["mrr"], 'slots=[total,count],expr="total/count"')


class RanksMergeExactly(twtest.TempDirTest):
    def test_two_ranks_of_f1_and_a_custom_metric(self):
        """Two ranks' run logs, merged by the real `trainwatch --jsonl`: each epoch value is
        the value of one metric over both ranks' data (with per-class series for F1)."""
        logs = os.path.join(self.tmp, "runs")
        rng = np.random.RandomState(9)
        whole_f1 = M.F1Score(threshold=0.5, num_classes=3)
        whole_mrr = MRR()
        pubs = [trainwatch.Publisher(run_name="ddp-keras", log_dir=logs, rank=r, world_size=2)
                for r in range(2)]
        try:
            for r, pub in enumerate(pubs):
                f1 = pub.track(M.F1Score(threshold=0.5, num_classes=3), "f1", split="val")
                mrr = pub.track(MRR(), "mrr", split="val")
                n = 8 + 24 * r  # ranks of different sizes
                y = np.eye(3, dtype=np.float32)[rng.randint(0, 3, n)]
                s = rng.rand(n, 3).astype(np.float32) * (0.6 + 0.4 * r)
                ranks = rng.randint(1, 5 + 10 * r, n)
                f1.update_state(y, s)
                whole_f1.update_state(y, s)
                mrr.update_state(ranks)
                whole_mrr.update_state(ranks)
                pub.step()
                pub.epoch_end()
        finally:
            for pub in pubs:
                pub.close()
        got = twtest.epoch_values(twtest.jsonl(logs), "ddp-keras")
        per_class = whole_f1.result()
        self.assertAlmostEqual(got[("f1", "val", 1)], float(np.mean(per_class)), places=6)
        for i in range(3):
            self.assertAlmostEqual(got[("f1[%d]" % i, "val", 1)], float(per_class[i]), places=6)
        self.assertAlmostEqual(got[("mrr", "val", 1)], whole_mrr.result(), places=12)


if __name__ == "__main__":
    unittest.main()
