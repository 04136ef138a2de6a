"""Keras-compatible streaming metrics, computed by libtrainwatch.

Every class has Keras's name, constructor and behaviour::

    m = BinaryAccuracy()
    m.update_state([1, 1, 0, 0], [0.98, 1, 0, 0.6])
    m.result()          # 0.75, as keras.metrics.BinaryAccuracy gives

``update_state(y_true, y_pred, sample_weight=None)`` accumulates a batch, ``result()`` reads the
value (a Python float), ``reset_state()`` clears the state, ``merge_state(other)`` adds another
metric's state (same class and options) into this one, ``add_state(state)`` a raw state
(``get_state()``'s layout) computed elsewhere. ``Mean`` and ``Sum`` take
``update_state(values, sample_weight=None)``.

Inputs are NumPy arrays, lists, or anything with ``__array__`` (PyTorch CPU tensors, detached
for you). A C-contiguous float32 array is handed to the library without a copy; other dtypes
(integers, bool, float64, ...) and non-contiguous arrays are converted to float32 first
(:func:`conversion_count` counts these copies). Non-numeric dtypes raise ``TypeError``.

Shapes follow Keras's rank rule: ``(N,)`` and ``(N, 1)`` are interchangeable; ``(N, D)`` is N
samples of D values. Sparse kinds take labels of shape ``(N,)`` or ``(N, 1)`` and predictions
``(N, D)``. ``sample_weight`` is a scalar (Keras 3's rule: for the mean-like metrics the batch
then counts as one sample of that weight), ``(N,)`` / ``(N, 1)`` (one weight a sample), and for
the element-wise metrics (Accuracy, BinaryAccuracy, RootMeanSquaredError, Precision, Recall,
AUC) also ``(N, D)`` or ``(1, D)`` (one weight an element). Anything else raises ``ValueError``
naming the shapes. Inputs of rank above 2 are refused, except as ``Mean`` / ``Sum`` values.

A metric is not thread-safe: use one metric from one thread at a time.
"""
import ctypes
import numbers

import numpy as np

from . import _lib
from ._convert import INT_MAX, integer

__all__ = ["Metric", "Mean", "Sum", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "RootMeanSquaredError",
           "MeanAbsoluteError", "MeanAbsolutePercentageError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "Precision", "Recall", "AUC", "conversion_count"]

_c = _lib.lib
_F32 = np.dtype(np.float32)
_conversions = 0

_CURVES = {"ROC": 0, "PR": 1}
_SUMMATIONS = {"interpolation": 0, "minoring": 1, "majoring": 2}


def conversion_count():
    """How many inputs have been copied into a new float32 array so far (in this process).

    C-contiguous float32 arrays (and float32 CPU tensors, whose ``__array__`` is a view) are
    passed to the library as they are and do not count."""
    return _conversions


def _as_f32(x, what):
    """x as a C-contiguous float32 ndarray: x itself when it already is one, else a copy."""
    global _conversions
    if type(x) is np.ndarray and x.dtype == _F32 and x.flags.c_contiguous:
        return x
    if not isinstance(x, np.ndarray) and hasattr(x, "detach") and callable(x.detach):
        x = x.detach()  # a torch tensor that requires grad has no __array__ otherwise
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError("%s: dtype %s is not a number type (bool, integer or float expected)"
                        % (what, a.dtype))
    if a.dtype == _F32 and a.flags.c_contiguous:
        return a
    _conversions += 1
    return np.asarray(a, dtype=_F32, order="C")


def _ptr(a):
    return a.ctypes.data if a is not None else None


def _check(rc, what):
    if rc != 0:
        raise ValueError(what)


class Metric:
    """Base class of the metrics: a handle on a libtrainwatch ``tw_metric``.

    Attributes: ``name`` (the Keras name, or the one given), ``kind`` (the library's kind
    name, as shown by the monitor)."""

    _kind = None  # the library's kind name

    def __init__(self, name=None, dtype=None, threshold=None, k=None, num_thresholds=None,
                 curve=None, summation=None):
        if dtype not in (None, "float32", np.float32):
            raise NotImplementedError("only float32 metrics exist (dtype=%r)" % (dtype,))
        self._h = None
        kind = _c.tw_metric_kind_from_name(self._kind.encode())
        opts = _c.tw_metric_defaults()
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
                raise TypeError("%s: threshold must be a number, not %s"
                                % (type(self).__name__, type(threshold).__name__))
            opts.threshold = float(threshold)
        if k is not None:
            opts.k = integer(k, "%s: k" % type(self).__name__, 1, INT_MAX)
        if num_thresholds is not None:
            opts.num_thresholds = integer(num_thresholds, "%s: num_thresholds"
                                          % type(self).__name__, 2, INT_MAX)
        if curve is not None:
            opts.curve = curve
        if summation is not None:
            opts.summation = summation
        h = _c.tw_metric_new(kind, ctypes.byref(opts))
        if not h:
            errno = ctypes.get_errno()
            raise ValueError("invalid options for %s: threshold=%g k=%d num_thresholds=%d%s"
                             % (type(self).__name__, opts.threshold, opts.k,
                                opts.num_thresholds,
                                " (errno %d)" % errno if errno else ""))
        self._h = h
        self.name = name or self._kind
        self.kind = self._kind

    # -- the Keras metric protocol ---------------------------------------------------------

    def result(self):
        """The current value (a float), computed from the state as Keras's result() does."""
        return _c.tw_metric_result(self._h)

    def stderr(self):
        """The standard error of result() (a float; NaN where it is undefined): binomial for
        the accuracies, precision and recall, from the moments of the state for the means,
        losses and errors, Hanley & McNeil for ROC AUC (doc/metrics.md, "Standard errors")."""
        return _c.tw_metric_stderr(self._h)

    def reset_state(self):
        """Sets the whole state back to zero."""
        _c.tw_metric_reset_state(self._h)

    def merge_state(self, metrics):
        """Adds the state of another metric (or of each metric of a list) into this one.

        The metrics must be of the same class with the same options (ValueError otherwise);
        they are not changed. States are additive: merging the metrics of two halves of a data
        set gives the metric of the whole."""
        if isinstance(metrics, Metric):
            metrics = [metrics]
        metrics = list(metrics)
        for m in metrics:
            if not isinstance(m, Metric):
                raise TypeError("merge_state takes metrics, not %s" % type(m).__name__)
            if type(m) is not type(self) or m.options() != self.options():
                raise ValueError("cannot merge %r into %r: different kinds or options"
                                 % (m, self))
        for m in metrics:
            _check(_c.tw_metric_merge_state(self._h, m._h),
                   "cannot merge %r into %r: different kinds or options" % (m, self))

    def __call__(self, *args, **kwargs):
        """update_state(...) then result(), as Keras's metric(...) (stateful)."""
        self.update_state(*args, **kwargs)
        return self.result()

    # -- state access ----------------------------------------------------------------------

    def get_state(self):
        """A copy of the raw state (float64 array; the layout is in doc/metrics.md)."""
        n = _c.tw_metric_state_size(self._h)
        p = _c.tw_metric_state(self._h)
        return np.ctypeslib.as_array(p, (n,)).copy()

    def set_state(self, state):
        """Replaces the raw state with ``state`` (as many numbers as get_state() gives)."""
        s = np.ascontiguousarray(state, dtype=np.float64).ravel()
        _check(_c.tw_metric_set_state(self._h, s.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                                      s.size),
               "state of %d values for %r, which has %d" % (s.size, self,
                                                           _c.tw_metric_state_size(self._h)))

    def add_state(self, state):
        """Adds ``state`` (as many numbers as get_state() gives) into the metric's state, as
        merge_state adds another metric's: a state computed elsewhere (another process, a GPU)
        joins this one. A tracked metric publishes the sum."""
        s = np.ascontiguousarray(state, dtype=np.float64).ravel()
        _check(_c.tw_metric_add_state(self._h, s.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                                      s.size),
               "state of %d values for %r, which has %d" % (s.size, self,
                                                           _c.tw_metric_state_size(self._h)))

    def options(self):
        """The options as a dict (threshold, k, num_thresholds, curve, summation)."""
        o = _c.tw_metric_options_of(self._h)
        return {"threshold": o.threshold, "k": o.k, "num_thresholds": o.num_thresholds,
                "curve": o.curve, "summation": o.summation}

    def __repr__(self):
        return "<trainwatch.metrics.%s name=%r result=%g>" % (type(self).__name__, self.name,
                                                              self.result())

    def __del__(self):
        h = getattr(self, "_h", None)
        if h and _c is not None:
            p = ctypes.c_void_p(h)
            _c.tw_metric_destroy(ctypes.byref(p))
            self._h = None

    def __getstate__(self):
        raise TypeError("trainwatch metrics cannot be pickled; send get_state() instead")


# ---- Mean and Sum ------------------------------------------------------------------------


class _Reduce(Metric):
    _is_mean = True

    def update_state(self, values, sample_weight=None):
        """Accumulates ``values`` (a scalar, (N,), or (N, ...) with one sample a row) with an
        optional ``sample_weight``: a scalar, (N,) / (N, 1), or the shape of ``values`` /
        (1, D) for (N, D) values."""
        v = _as_f32(values, "values")
        shape = v.shape
        if v.ndim == 0:
            v = v.reshape(1, 1)
        elif v.ndim == 1:
            v = v.reshape(-1, 1)
        elif v.ndim > 2:
            v = v.reshape(v.shape[0], -1)
        n, d = v.shape
        w = None
        if sample_weight is not None:
            w = _as_f32(sample_weight, "sample_weight")
            if w.ndim == 0:
                if len(shape) == 0:
                    w = w.reshape(1)
                else:
                    # Keras 3: the batch is reduced to one number, weighted once.
                    if n == 0:
                        return
                    total = float(np.sum(v, dtype=np.float64))
                    val = total / v.size if self._is_mean else total
                    _c.tw_metric_update_scalar(self._h, val, float(w))
                    return
            elif w.shape in ((n,), (n, 1)):
                w = w.reshape(n)
            elif len(shape) == 2 and w.ndim == 2 and w.shape[1] == d and w.shape[0] in (1, n):
                # one weight an element: rows of one value each, weights scaled so that the
                # per-sample count is the row's mean weight (Keras's reduction)
                w = np.broadcast_to(w, (n, d)).reshape(n * d)
                if self._is_mean and d > 1:
                    w = w / np.float32(d)
                w = np.ascontiguousarray(w, dtype=_F32)
                v = v.reshape(n * d, 1)
                n, d = v.shape
            else:
                raise ValueError("sample_weight of shape %s does not fit values of shape %s "
                                 "(expected a scalar, (%d,), (%d, 1)%s)"
                                 % (w.shape, shape, n, n,
                                    ", (%d, %d) or (1, %d)" % (n, d, d) if len(shape) == 2
                                    else ""))
        if n == 0 or d == 0:
            return
        _check(_c.tw_metric_update_values(self._h, v.ctypes.data, _ptr(w), n, d),
               "update of %r with values of shape %s failed" % (self, shape))

    def update_scalar(self, value, weight=1.0):
        """Adds one value with a weight (total += value * weight; Mean: count += weight):
        a batch's mean loss weighted by the batch size, say."""
        _c.tw_metric_update_scalar(self._h, float(value), float(weight))


class Mean(_Reduce):
    """The weighted mean of the values given (keras.metrics.Mean). A custom metric is a Mean
    fed with your own per-sample values."""
    _kind = "mean"

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)


class Sum(_Reduce):
    """The weighted sum of the values given (keras.metrics.Sum)."""
    _kind = "sum"
    _is_mean = False

    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)


# ---- metrics of (y_true, y_pred) ---------------------------------------------------------


class _Pair(Metric):
    _sparse = False       # y_true holds integer labels, y_pred (N, D) scores
    _elementwise = False  # one decision / value per element: (N, D) weights are meaningful
    _confusion = False    # a scalar weight weighs every sample (no Mean reduction)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates a batch: ``y_true`` and ``y_pred`` of shape (N,), (N, 1) or (N, D)
        (sparse kinds: labels (N,) or (N, 1) and scores (N, D)), ``sample_weight`` None, a
        scalar, (N,) or (N, 1) (and (N, D) / (1, D) for the element-wise metrics)."""
        yt = _as_f32(y_true, "y_true")
        yp = _as_f32(y_pred, "y_pred")
        st, sp = yt.shape, yp.shape
        if self._sparse:
            if yp.ndim != 2 or yt.ndim not in (1, 2) or yt.shape[0] != yp.shape[0] or \
                    (yt.ndim == 2 and yt.shape[1] != 1):
                raise ValueError("%s takes labels of shape (N,) or (N, 1) and scores of shape "
                                 "(N, D); got y_true %s and y_pred %s"
                                 % (type(self).__name__, st, sp))
            n, d = yp.shape
        else:
            if yt.ndim == 1:
                yt = yt.reshape(-1, 1)
            if yp.ndim == 1:
                yp = yp.reshape(-1, 1)
            if yt.ndim != 2 or yp.ndim != 2 or yt.shape != yp.shape:
                raise ValueError("%s: y_true of shape %s and y_pred of shape %s do not match "
                                 "(expected equal shapes (N,), (N, 1) or (N, D); (N,) and "
                                 "(N, 1) are interchangeable)" % (type(self).__name__, st, sp))
            n, d = yp.shape
        w = None
        if sample_weight is not None:
            w = _as_f32(sample_weight, "sample_weight")
            if w.ndim == 0:
                if n == 0:
                    return
                # Keras 3: Mean-reduced metrics count the batch as one sample of weight w.
                val = np.float32(w) if self._confusion else np.float32(w) / np.float32(n)
                w = np.full(n, val, dtype=_F32)
            elif w.shape in ((n,), (n, 1)):
                w = w.reshape(n)
            elif self._elementwise and w.ndim == 2 and w.shape[1] == d and \
                    w.shape[0] in (1, n) and d > 1:
                w = np.broadcast_to(w, (n, d)).reshape(n * d)
                if not self._confusion:
                    w = w / np.float32(d)
                w = np.ascontiguousarray(w, dtype=_F32)
                yt = yt.reshape(n * d, 1)
                yp = yp.reshape(n * d, 1)
                n, d = n * d, 1
            else:
                allowed = "a scalar, (%d,) or (%d, 1)" % (n, n)
                if self._elementwise and d > 1:
                    allowed += ", (%d, %d) or (1, %d)" % (n, d, d)
                raise ValueError("%s: sample_weight of shape %s does not fit y_pred of shape "
                                 "%s (expected %s)" % (type(self).__name__, w.shape, sp,
                                                       allowed))
        if n == 0:
            return
        if d == 0:
            raise ValueError("%s: y_pred of shape %s has no values per sample"
                             % (type(self).__name__, sp))
        rc = _c.tw_metric_update_state(self._h, yt.ctypes.data, yp.ctypes.data, _ptr(w), n, d)
        if rc != 0:
            if self._sparse:
                raise ValueError("%s: labels must be integers in [0, %d) (y_true %s, y_pred %s)"
                                 % (type(self).__name__, d, st, sp))
            raise ValueError("%s: update failed (y_true %s, y_pred %s)"
                             % (type(self).__name__, st, sp))


def _unsupported(cls, **kw):
    for k, (v, default) in kw.items():
        if v != default:
            raise NotImplementedError("%s(%s=%r) is not supported by trainwatch (only %r)"
                                      % (cls, k, v, default))


class Accuracy(_Pair):
    """How often y_pred equals y_true exactly (keras.metrics.Accuracy)."""
    _kind = "accuracy"
    _elementwise = True

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)


class BinaryAccuracy(_Pair):
    """How often (y_pred > threshold) equals y_true (keras.metrics.BinaryAccuracy)."""
    _kind = "binary_accuracy"
    _elementwise = True

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name, dtype, threshold=threshold)


class CategoricalAccuracy(_Pair):
    """How often argmax(y_pred) equals argmax(y_true) (keras.metrics.CategoricalAccuracy)."""
    _kind = "categorical_accuracy"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class SparseCategoricalAccuracy(_Pair):
    """How often argmax(y_pred) equals the integer label
    (keras.metrics.SparseCategoricalAccuracy)."""
    _kind = "sparse_categorical_accuracy"
    _sparse = True

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)


class TopKCategoricalAccuracy(_Pair):
    """How often argmax(y_true) is among the k highest scores
    (keras.metrics.TopKCategoricalAccuracy)."""
    _kind = "top_k_categorical_accuracy"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name, dtype, k=k)


class SparseTopKCategoricalAccuracy(_Pair):
    """How often the integer label is among the k highest scores
    (keras.metrics.SparseTopKCategoricalAccuracy)."""
    _kind = "sparse_top_k_categorical_accuracy"
    _sparse = True

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        _unsupported("SparseTopKCategoricalAccuracy", from_sorted_ids=(from_sorted_ids, False))
        super().__init__(name, dtype, k=k)


class MeanSquaredError(_Pair):
    """Mean of (y_true - y_pred)^2 over the last axis, averaged over samples
    (keras.metrics.MeanSquaredError)."""
    _kind = "mean_squared_error"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)


class RootMeanSquaredError(_Pair):
    """Square root of the streaming mean of element-wise squared errors
    (keras.metrics.RootMeanSquaredError)."""
    _kind = "root_mean_squared_error"
    _elementwise = True

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsoluteError(_Pair):
    """Mean of |y_true - y_pred| (keras.metrics.MeanAbsoluteError)."""
    _kind = "mean_absolute_error"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name, dtype)


class MeanAbsolutePercentageError(_Pair):
    """100 * mean of |y_true - y_pred| / max(|y_true|, 1e-7)
    (keras.metrics.MeanAbsolutePercentageError)."""
    _kind = "mean_absolute_percentage_error"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name, dtype)


class BinaryCrossentropy(_Pair):
    """Binary crossentropy of probabilities, clipped as Keras does in float32
    (keras.metrics.BinaryCrossentropy; from_logits and label_smoothing are not supported)."""
    _kind = "binary_crossentropy"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        _unsupported("BinaryCrossentropy", from_logits=(from_logits, False),
                     label_smoothing=(label_smoothing, 0))
        super().__init__(name, dtype)


class CategoricalCrossentropy(_Pair):
    """Categorical crossentropy of probabilities (renormalised, clipped)
    (keras.metrics.CategoricalCrossentropy; from_logits, label_smoothing and axis are not
    supported)."""
    _kind = "categorical_crossentropy"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        _unsupported("CategoricalCrossentropy", from_logits=(from_logits, False),
                     label_smoothing=(label_smoothing, 0), axis=(axis, -1))
        super().__init__(name, dtype)


def _one_threshold(cls, thresholds):
    if thresholds is None:
        return 0.5
    if isinstance(thresholds, (list, tuple, np.ndarray)):
        if len(thresholds) != 1:
            raise NotImplementedError("%s: one threshold only (got %d)" % (cls, len(thresholds)))
        thresholds = thresholds[0]
    t = float(thresholds)
    if not 0.0 <= t <= 1.0:
        raise ValueError("%s: threshold %g is not in [0, 1]" % (cls, t))
    return t


class _Confusion(_Pair):
    _elementwise = True
    _confusion = True


class Precision(_Confusion):
    """tp / (tp + fp) with y_pred > threshold predicted positive (keras.metrics.Precision;
    one threshold, no top_k or class_id)."""
    _kind = "precision"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None):
        _unsupported("Precision", top_k=(top_k, None), class_id=(class_id, None))
        super().__init__(name, dtype, threshold=_one_threshold("Precision", thresholds))


class Recall(_Confusion):
    """tp / (tp + fn) with y_pred > threshold predicted positive (keras.metrics.Recall;
    one threshold, no top_k or class_id)."""
    _kind = "recall"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        _unsupported("Recall", top_k=(top_k, None), class_id=(class_id, None))
        super().__init__(name, dtype, threshold=_one_threshold("Recall", thresholds))


class AUC(_Confusion):
    """Area under the ROC or PR curve from num_thresholds evenly spaced thresholds
    (keras.metrics.AUC; curve "ROC" or "PR", summation_method "interpolation", "minoring" or
    "majoring"; no explicit thresholds, multi_label, label_weights or from_logits)."""
    _kind = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        _unsupported("AUC", thresholds=(thresholds, None), multi_label=(multi_label, False),
                     label_weights=(label_weights, None), from_logits=(from_logits, False))
        c = str(curve).upper()
        if c not in _CURVES:
            raise ValueError("AUC: curve must be 'ROC' or 'PR', not %r" % (curve,))
        s = str(summation_method).lower()
        if s not in _SUMMATIONS:
            raise ValueError("AUC: summation_method must be one of %s, not %r"
                             % (", ".join(_SUMMATIONS), summation_method))
        super().__init__(name, dtype, num_thresholds=num_thresholds, curve=_CURVES[c],
                         summation=_SUMMATIONS[s])
