"""The keras.metrics classes added in trainwatch 0.2, Keras's 23 stateless metric functions
(``binary_accuracy(y_true, y_pred, threshold=0.5)``, ``huber(..., delta=1.0)``, ...: float32
arrays of one value per sample, through ``tw_metric_fn``) and ``get`` (internal: import them
from ``trainwatch.metrics``).

Each class takes Keras's constructor arguments and hands them to the library by name
(``tw_metric_new_opts``); what the library refuses raises ``ValueError`` with its reason, and
what it does not support yet ``NotImplementedError``. F-beta/F1 and R2 size their state from
the first batch as Keras does (or from ``num_classes=`` / ``num_outputs=`` given up front,
which ``Publisher.track`` needs: the state is declared before the first batch).
"""
import ctypes
import re

import numpy as np

from . import _lib
from .metrics import (_F32, _Confusion, _Pair, _as_f32, _new_opts, Metric, Mean, Sum,
                      Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                      TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
                      RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
                      BinaryCrossentropy, CategoricalCrossentropy, Precision, Recall, AUC)

# Keras's stateless functions: name -> (sparse labels, per element)
_FUNCTIONS = {
    "binary_accuracy": (False, True), "categorical_accuracy": (False, False),
    "sparse_categorical_accuracy": (True, False), "top_k_categorical_accuracy": (False, False),
    "sparse_top_k_categorical_accuracy": (True, False), "binary_crossentropy": (False, False),
    "categorical_crossentropy": (False, False), "sparse_categorical_crossentropy": (True, False),
    "binary_focal_crossentropy": (False, False),
    "categorical_focal_crossentropy": (False, False), "kl_divergence": (False, False),
    "poisson": (False, False), "hinge": (False, False), "squared_hinge": (False, False),
    "categorical_hinge": (False, False), "huber": (False, False), "log_cosh": (False, False),
    "mean_absolute_error": (False, False), "mean_absolute_percentage_error": (False, False),
    "mean_squared_error": (False, False), "mean_squared_logarithmic_error": (False, False),
    "pearson_correlation": (False, False), "concordance_correlation": (False, False),
}

__all__ = ["SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
           "MeanSquaredLogarithmicError", "LogCoshError", "CosineSimilarity", "R2Score",
           "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
           "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
           "RecallAtPrecision", "Hinge", "SquaredHinge", "CategoricalHinge", "FBetaScore",
           "F1Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
           "PearsonCorrelation", "ConcordanceCorrelation", "get"] + list(_FUNCTIONS)

_c = _lib.lib


def _simple(cls_name, kind, doc, default_name=None, sparse=False, keras_args=()):
    """A mean-wrapped class whose only Keras arguments are `keras_args` (axis, ...)."""
    def __init__(self, name=default_name or kind, dtype=None, **kwargs):
        for k in kwargs:
            if k not in keras_args:
                raise TypeError("%s() got an unexpected keyword argument %r" % (cls_name, k))
        Metric.__init__(self, name, dtype, args=kwargs)
    return type(cls_name, (_Pair,), {"_kind": kind, "_sparse": sparse, "__doc__": doc,
                                     "__init__": __init__})


SparseCategoricalCrossentropy = _simple(
    "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
    "Crossentropy of integer labels against probabilities or logits "
    "(keras.metrics.SparseCategoricalCrossentropy; from_logits, ignore_class, axis=-1).",
    sparse=True, keras_args=("from_logits", "axis", "ignore_class"))
KLDivergence = _simple("KLDivergence", "kl_divergence",
                       "sum y log(y / p), both clipped to [1e-7, 1] (keras.metrics.KLDivergence).")
Poisson = _simple("Poisson", "poisson", "mean(y_pred - y_true log(y_pred + 1e-7)) "
                  "(keras.metrics.Poisson).")
MeanSquaredLogarithmicError = _simple(
    "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error",
    "mean((log(y_pred + 1) - log(y_true + 1))^2) (keras.metrics.MeanSquaredLogarithmicError).")
LogCoshError = _simple("LogCoshError", "log_cosh_error",
                       "mean(log(cosh(y_pred - y_true))) (keras.metrics.LogCoshError).",
                       default_name="logcosh")
CosineSimilarity = _simple("CosineSimilarity", "cosine_similarity",
                           "Cosine of each row's y_true and y_pred "
                           "(keras.metrics.CosineSimilarity; axis=-1).", keras_args=("axis",))
Hinge = _simple("Hinge", "hinge", "mean(max(1 - y_true y_pred, 0)), 0/1 labels mapped to -1/1 "
                "(keras.metrics.Hinge).")
SquaredHinge = _simple("SquaredHinge", "squared_hinge", "The hinge squared "
                       "(keras.metrics.SquaredHinge).")
CategoricalHinge = _simple("CategoricalHinge", "categorical_hinge",
                           "max(max((1 - y) p) - sum(y p) + 1, 0) "
                           "(keras.metrics.CategoricalHinge).")
PearsonCorrelation = _simple("PearsonCorrelation", "pearson_correlation",
                             "Pearson's coefficient of each row, averaged "
                             "(keras.metrics.PearsonCorrelation; axis=-1).",
                             keras_args=("axis",))
ConcordanceCorrelation = _simple("ConcordanceCorrelation", "concordance_correlation",
                                 "Lin's concordance coefficient of each row, averaged, as Keras 3 "
                                 "computes it (keras.metrics.ConcordanceCorrelation; axis=-1).",
                                 keras_args=("axis",))


class _Counts(_Confusion):
    _vector = True

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name, dtype, args=dict(thresholds=thresholds))


class TruePositives(_Counts):
    """The weight of positives predicted positive (keras.metrics.TruePositives)."""
    _kind = "true_positives"


class FalsePositives(_Counts):
    """The weight of negatives predicted positive (keras.metrics.FalsePositives)."""
    _kind = "false_positives"


class TrueNegatives(_Counts):
    """The weight of negatives predicted negative (keras.metrics.TrueNegatives)."""
    _kind = "true_negatives"


class FalseNegatives(_Counts):
    """The weight of positives predicted negative (keras.metrics.FalseNegatives)."""
    _kind = "false_negatives"


class _At(_Confusion):
    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name, dtype, args=dict(value=value, num_thresholds=num_thresholds,
                                                class_id=class_id))


class SensitivityAtSpecificity(_At):
    """The best sensitivity where specificity >= `specificity`
    (keras.metrics.SensitivityAtSpecificity)."""
    _kind = "sensitivity_at_specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_At):
    """The best specificity where sensitivity >= `sensitivity`
    (keras.metrics.SpecificityAtSensitivity)."""
    _kind = "specificity_at_sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_At):
    """The best precision where recall >= `recall` (keras.metrics.PrecisionAtRecall)."""
    _kind = "precision_at_recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_At):
    """The best recall where precision >= `precision` (keras.metrics.RecallAtPrecision)."""
    _kind = "recall_at_precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class _Lazy(_Pair):
    """A metric whose state size Keras takes from the first batch's last axis (`_size_key`)."""
    _size_key = None

    def _lazy_init(self, name, dtype, size, args):
        self.name, self.kind, self._h = name or self._kind, self._kind, None
        self._args, self._dtype = args, dtype
        if size is not None:
            self._build(size)

    def _build(self, size):
        Metric.__init__(self, self.name, self._dtype,
                        args=dict(self._args, **{self._size_key: int(size)}))

    def update_state(self, y_true, y_pred, sample_weight=None):
        yp = np.asarray(y_pred)
        if yp.ndim != 2 or np.ndim(y_true) != 2:
            raise ValueError("%s expects 2D inputs of shape (batch_size, %s); got y_true %s and "
                             "y_pred %s" % (type(self).__name__, self._size_key,
                                            np.shape(y_true), yp.shape))
        if self._h is None:
            self._build(yp.shape[1])
        super().update_state(y_true, y_pred, sample_weight)

    def _need(self):
        if self._h is None:
            raise ValueError("%s has no state until its first batch (or give %s=)"
                             % (type(self).__name__, self._size_key))

    def result(self):
        if self._h is None:
            return 0.0
        return super().result()

    def reset_state(self):
        if self._h is not None:
            super().reset_state()

    def get_state(self):
        self._need()
        return super().get_state()


class FBetaScore(_Lazy):
    """F-beta per class, or averaged (keras.metrics.FBetaScore)."""
    _kind = "f_beta_score"
    _size_key = "num_classes"
    _vector = True

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None,
                 num_classes=None):
        self._lazy_init(name, dtype, num_classes,
                        dict(average=average, beta=beta, threshold=threshold))


class F1Score(_Lazy):
    """F1 per class, or averaged (keras.metrics.F1Score)."""
    _kind = "f1_score"
    _size_key = "num_classes"
    _vector = True

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None,
                 num_classes=None):
        self._lazy_init(name, dtype, num_classes, dict(average=average, threshold=threshold))


class R2Score(_Lazy):
    """The coefficient of determination (keras.metrics.R2Score)."""
    _kind = "r2_score"
    _size_key = "num_outputs"
    _vector = True

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None, num_outputs=None):
        self._lazy_init(name, dtype, num_outputs,
                        dict(class_aggregation=class_aggregation, num_regressors=num_regressors))


class _IoUBase(Metric):
    _sparse_true = _sparse_pred = True

    def _init_iou(self, name, dtype, **args):
        super().__init__(name, dtype, args=args)
        self._sparse_true = args.get("sparse_y_true", self._sparse_true)
        self._sparse_pred = args.get("sparse_y_pred", self._sparse_pred)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Labels of any shape when both sides are sparse (flattened, as Keras does); a dense
        side is (N, num_classes) scores whose argmax is the class."""
        yt, yp = _as_f32(y_true, "y_true"), _as_f32(y_pred, "y_pred")
        if self._sparse_true and self._sparse_pred:
            yt, yp = yt.reshape(-1), yp.reshape(-1)
            if yt.size != yp.size:
                raise ValueError("%s: y_true %s and y_pred %s hold different numbers of labels"
                                 % (type(self).__name__, np.shape(y_true), np.shape(y_pred)))
            n, d = yt.size, 1
        else:
            dense = yp if not self._sparse_pred else yt
            if dense.ndim != 2:
                raise ValueError("%s: the dense side must be (N, num_classes), got %s"
                                 % (type(self).__name__, dense.shape))
            n, d = dense.shape
            other = yt if not self._sparse_pred else yp
            if (self._sparse_true != self._sparse_pred and other.size != n) or \
                    (self._sparse_true == self._sparse_pred and other.shape != dense.shape):
                raise ValueError("%s: y_true %s does not fit y_pred %s"
                                 % (type(self).__name__, np.shape(y_true), np.shape(y_pred)))
        w = None
        if sample_weight is not None:
            w = _as_f32(sample_weight, "sample_weight")
            w = np.full(n, w, dtype=_F32) if w.ndim == 0 else w.reshape(-1)
            if w.size != n:
                raise ValueError("%s: sample_weight %s does not fit %d samples"
                                 % (type(self).__name__, np.shape(sample_weight), n))
            w = np.ascontiguousarray(w)
        if n == 0:
            return
        rc = _c.tw_metric_update_state(self._h, yt.ctypes.data, yp.ctypes.data,
                                       None if w is None else w.ctypes.data, n, d)
        if rc != 0:
            raise ValueError("%s: a label is outside [0, num_classes) (and not ignore_class)"
                             % type(self).__name__)


class IoU(_IoUBase):
    """Intersection over union of the target classes (keras.metrics.IoU)."""
    _kind = "io_u"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        self._init_iou(name, dtype, num_classes=num_classes, target_class_ids=target_class_ids,
                       ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                       sparse_y_pred=sparse_y_pred, axis=axis)


class BinaryIoU(_IoUBase):
    """IoU of y_pred >= threshold against 0/1 labels (keras.metrics.BinaryIoU)."""
    _kind = "binary_io_u"

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        self._init_iou(name, dtype, target_class_ids=list(target_class_ids), threshold=threshold)


class MeanIoU(_IoUBase):
    """The mean IoU of every class (keras.metrics.MeanIoU)."""
    _kind = "mean_io_u"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        self._init_iou(name, dtype, num_classes=num_classes, ignore_class=ignore_class,
                       sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotIoU(_IoUBase):
    """IoU of one-hot labels and scores (keras.metrics.OneHotIoU)."""
    _kind = "one_hot_io_u"
    _sparse_true = _sparse_pred = False

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        self._init_iou(name, dtype, num_classes=num_classes, target_class_ids=target_class_ids,
                       ignore_class=ignore_class, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(_IoUBase):
    """The mean IoU of one-hot labels and scores (keras.metrics.OneHotMeanIoU)."""
    _kind = "one_hot_mean_io_u"
    _sparse_true = _sparse_pred = False

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        self._init_iou(name, dtype, num_classes=num_classes, ignore_class=ignore_class,
                       sparse_y_pred=sparse_y_pred, axis=axis)


def _snake(name):
    """Keras's to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASSES = [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
            RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            BinaryCrossentropy, CategoricalCrossentropy, Precision, Recall, AUC,
            SparseCategoricalCrossentropy, KLDivergence, Poisson, MeanSquaredLogarithmicError,
            LogCoshError, CosineSimilarity, R2Score, TruePositives, FalsePositives, TrueNegatives,
            FalseNegatives, SensitivityAtSpecificity, SpecificityAtSensitivity,
            PrecisionAtRecall, RecallAtPrecision, Hinge, SquaredHinge, CategoricalHinge,
            FBetaScore, F1Score, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
            PearsonCorrelation, ConcordanceCorrelation]
_BY_NAME = {c.__name__: c for c in _CLASSES}
_BY_NAME.update({_snake(c.__name__): c for c in _CLASSES})
_BY_NAME.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
                 "mse": MeanSquaredError, "MSE": MeanSquaredError,
                 "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError})


def get(identifier):
    """A metric from an identifier, as keras.metrics.get resolves it: None gives None; a
    class name ("F1Score") or its snake_case ("f1_score", "mean_io_u") or one of Keras's
    short aliases ("mse", "bce", ...) gives a new instance with the default arguments (classes
    with required arguments, IoU say, raise TypeError as Keras does); a class gives an
    instance; a metric (or a function, such as trainwatch.metrics.huber) is returned as it
    is. Anything else raises ValueError."""
    if identifier is None:
        return None
    obj = _BY_NAME.get(identifier) if isinstance(identifier, str) else identifier
    if isinstance(obj, type) and issubclass(obj, Metric):
        return obj()
    if isinstance(obj, Metric) or (callable(obj) and not isinstance(obj, type)):
        return obj
    raise ValueError("Could not interpret metric identifier: %r" % (identifier,))


def _function(fname, sparse, per_element):
    def fn(y_true, y_pred, **kwargs):
        yt, yp = _as_f32(y_true, "y_true"), _as_f32(y_pred, "y_pred")
        shape = yp.shape
        if yp.ndim == 0 or yp.ndim > 2:
            raise ValueError("%s: y_pred must be (N,) or (N, D), got %s" % (fname, shape))
        yp2 = yp.reshape(-1, 1) if yp.ndim == 1 else yp
        n, d = yp2.shape
        if (sparse and yt.size != n) or (not sparse and yt.size != yp2.size):
            raise ValueError("%s: y_true %s does not fit y_pred %s" % (fname, yt.shape, shape))
        out = np.empty(n * d if per_element else n, dtype=np.float64)
        if n == 0:
            return out.astype(np.float32)
        args = ",".join("%s=%s" % (k, _fmt(v)) for k, v in kwargs.items())
        rc = _c.tw_metric_fn(fname.encode(), args.encode(), yt.ctypes.data, yp2.ctypes.data, n, d,
                             out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        if rc < 0:
            raise ValueError("%s: invalid arguments %r or labels out of range (y_true %s, "
                             "y_pred %s)" % (fname, kwargs, yt.shape, shape))
        out = out.astype(np.float32)
        return out.reshape(shape) if per_element else out
    fn.__name__ = fname
    fn.__doc__ = ("keras.metrics.%s(y_true, y_pred, **kwargs): one value per sample%s, as "
                  "Keras returns it (float32 array), computed by libtrainwatch."
                  % (fname, " (per element)" if per_element else ""))
    return fn


def _fmt(v):
    from .metrics import _fmt_value
    return _fmt_value(v)


for _name, (_sparse, _elem) in _FUNCTIONS.items():
    globals()[_name] = _function(_name, _sparse, _elem)

# A function's name resolves to it where no class has that snake_case name ("huber",
# "log_cosh"); "binary_accuracy" stays the class.
for _name in _FUNCTIONS:
    _BY_NAME.setdefault(_name, globals()[_name])
