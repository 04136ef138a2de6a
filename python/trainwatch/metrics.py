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

All 44 classes of keras.metrics are here under their Keras names, with Keras's constructor
arguments (the library refuses what Keras refuses, with its reason, as ``ValueError``; what it
does not support yet raises ``NotImplementedError``). A vector result (F1Score/FBetaScore with
``average=None``, several thresholds, R2Score with ``class_aggregation=None``) is a float32
array, as Keras returns. ``get_config()`` gives the arguments as the library's options string;
``get("f1_score")`` resolves a name as ``keras.metrics.get`` does.

A metric is not thread-safe: use one metric from one thread at a time.
"""
import ctypes
import numbers
import re

import numpy as np

from . import _lib
from ._convert import INT_MAX, integer

__all__ = ["Metric", "Mean", "Sum", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "RootMeanSquaredError",
           "MeanAbsoluteError", "MeanAbsolutePercentageError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "Precision", "Recall", "AUC", "conversion_count",
           "options_string", "get"]

_c = _lib.lib
_F32 = np.dtype(np.float32)
_conversions = 0

_CURVES = {"ROC": 0, "PR": 1, "PRGAIN": 2}
_SUMMATIONS = {"interpolation": 0, "minoring": 1, "majoring": 2}


def conversion_count():
    """How many inputs have been copied into a new float32 array so far (in this process).

    C-contiguous float32 arrays (and float32 CPU tensors, whose ``__array__`` is a view) are
    passed to the library as they are and do not count."""
    return _conversions


def _weight_form(elementwise, wshape, n, d, name, sp):
    """How a sample_weight of shape `wshape` applies to y_pred of shape (n, d) = `sp`, as
    Keras 3 does: "scalar" (the batch), "sample" ((n,) or (n, 1)) or "element" ((n, d) or
    (1, d), the elementwise kinds only); anything else is a ValueError that says what fits.
    The numpy path here and the torch one (trainwatch.torch) share it."""
    wshape = tuple(wshape)
    if len(wshape) == 0:
        return "scalar"
    if wshape in ((n,), (n, 1)):
        return "sample"
    if elementwise and len(wshape) == 2 and wshape[1] == d and wshape[0] in (1, n) and d > 1:
        return "element"
    allowed = "a scalar, (%d,) or (%d, 1)" % (n, n)
    if elementwise and d > 1:
        allowed += ", (%d, %d) or (1, %d)" % (n, d, d)
    raise ValueError("%s: sample_weight of shape %s does not fit y_pred of shape %s "
                     "(expected %s)" % (name, wshape, sp, allowed))


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


def _fmt_value(v):
    if v is None:
        return "None"
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ",".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def options_string(**kwargs):
    """Keras arguments as the library's options string: key=value, lists [a,b], None."""
    return ",".join("%s=%s" % (k, _fmt_value(v)) for k, v in kwargs.items())


def _new_opts(kind, args, cls):
    """A tw_metric from an options string (or a dict of Keras arguments); ValueError with the
    library's reason, NotImplementedError for what it does not support yet."""
    if isinstance(args, dict):
        args = options_string(**args)
    raw = args.encode()
    err = ctypes.create_string_buffer(256)
    if _c.tw_metric_options_check(kind, raw, err, len(err)) != 0:
        why = err.value.decode(errors="replace")
        if "not supported yet" in why:
            raise NotImplementedError("%s: %s" % (cls, why))
        raise ValueError("%s: %s" % (cls, why))
    h = _c.tw_metric_new_opts(kind, raw)
    if not h:
        raise MemoryError("%s: tw_metric_new_opts failed (errno %d)"
                          % (cls, ctypes.get_errno()))
    return h


class Metric:
    """Base class of the metrics: a handle on a libtrainwatch ``tw_metric``.

    Attributes: ``name`` (the Keras name, or the one given), ``kind`` (the library's kind
    name, as shown by the monitor).

    Subclass it for a custom metric that merges exactly, as a Keras ``Metric`` subclass:
    ``add_weight(name)`` in ``__init__`` makes an additive slot, ``result_expr`` is the
    result as an expression over the slots' names (``"2*tp / (2*tp + fp + fn)"``; + - * /
    with division by 0 giving 0, sqrt, log, exp, min, max), and ``update_state`` calls
    ``slot.assign_add(value)`` (or ``assign``). The slots are the state the publisher sends
    and the monitor adds over ranks before evaluating the same expression."""

    _kind = None  # the library's kind name; None: a user's custom metric

    def __init__(self, name=None, dtype=None, threshold=None, k=None, num_thresholds=None,
                 curve=None, summation=None, args=None):
        if dtype not in (None, "float32", np.float32):
            raise NotImplementedError("only float32 metrics exist (dtype=%r)" % (dtype,))
        self._h = None
        if self._kind is None:  # a custom metric: slots come from add_weight
            self._slots, self.result_expr = [], None
            self.name = name or re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()
            self.kind = "custom"
            return
        kind = _c.tw_metric_kind_from_name(self._kind.encode())
        self.name = name or self._kind
        self.kind = self._kind
        if args is not None:
            self._h = _new_opts(kind, args, type(self).__name__)
            return
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

    # -- the Keras metric protocol ---------------------------------------------------------

    # -- custom metrics ----------------------------------------------------------------------

    def add_weight(self, name, shape=(), initializer="zeros", dtype=None):
        """A named additive slot of a custom metric (a scalar that starts at 0), as Keras's
        add_weight; returns it, with assign_add(v), assign(v) and numpy()."""
        if self._kind is not None:
            raise TypeError("add_weight is for custom metrics (subclasses of Metric)")
        if self._h is not None:
            raise RuntimeError("add_weight after the metric's first use")
        if tuple(shape) not in ((), (1,)) or initializer not in ("zeros", None):
            raise NotImplementedError("custom metric slots are scalars starting at 0 (they "
                                      "are summed over ranks)")
        slot = _Slot(self, len(self._slots), str(name))
        self._slots.append(slot)
        return slot

    def _ensure(self):
        """The library's metric of a custom metric, made at its first use."""
        if self._h is None and self._kind is None:
            if not self._slots or not self.result_expr:
                raise ValueError("%s: a custom metric needs add_weight() slots and a "
                                 "result_expr before its first use" % type(self).__name__)
            args = "slots=[%s],expr=\"%s\"" % (",".join(s.name for s in self._slots),
                                                 self.result_expr)
            self._h = _new_opts(_c.tw_metric_kind_from_name(b"custom"), args,
                                type(self).__name__)
        return self._h

    def _handle(self):
        """The library's metric: a custom metric's is made now (as at its first use); a metric
        whose size comes from its first batch (F1Score, FBetaScore, R2Score, AUC with
        multi_label and no num_labels) has none before it: ValueError, never a NULL handle."""
        if self._h is None:
            if self._kind is None:
                return self._ensure()
            key = getattr(self, "_size_key", None) or "its size"
            raise ValueError("%s has no state until its first batch (its size comes from it; "
                             "give %s= to make it now)" % (type(self).__name__, key))
        return self._h

    def _add_slot(self, index, value):
        h = self._ensure()
        v = (ctypes.c_double * len(self._slots))()
        v[index] = float(value)
        _check(_c.tw_metric_update_slots(h, v, len(self._slots)), "update of %r" % self)

    def result(self):
        """The current value, computed from the state as Keras's result() does: a float, or
        for a vector result (F-beta/F1 with average=None, several thresholds, R2 with
        class_aggregation=None) a float32 array of its values, as Keras returns."""
        if self._kind is None:
            self._ensure()
        n = _c.tw_metric_result_vector(self._h, None, 0)
        if n <= 1 or not self._vector:
            return _c.tw_metric_result(self._h)
        out = (ctypes.c_double * n)()
        _c.tw_metric_result_vector(self._h, out, n)
        return np.array(out[:], dtype=np.float32)

    _vector = False  # the Keras class's result can be a vector

    def get_config(self):
        """The metric's Keras arguments, canonical (only those that differ from the
        defaults), as the library's options string ("num_classes=3,average=macro")."""
        if self._kind is None:
            self._ensure()
        return _c.tw_metric_options_string(self._h).decode()

    def stderr(self):
        """The standard error of result() (a float; NaN where it is undefined): binomial for
        the accuracies, precision and recall, from the moments of the state for the means,
        losses and errors, Hanley & McNeil for ROC AUC (doc/metrics.md, "Standard errors")."""
        return _c.tw_metric_stderr(self._handle())

    def reset_state(self):
        """Sets the whole state back to zero."""
        if self._kind is None:
            self._ensure()
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
        self._handle()
        for m in metrics:
            m._handle()
            if type(m) is not type(self) or m.options() != self.options() or \
                    m.get_config() != self.get_config():
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
        h = self._handle()
        n = _c.tw_metric_state_size(h)
        p = _c.tw_metric_state(h)
        return np.ctypeslib.as_array(p, (n,)).copy()

    def set_state(self, state):
        """Replaces the raw state with ``state`` (as many numbers as get_state() gives)."""
        h = self._handle()
        s = np.ascontiguousarray(state, dtype=np.float64).ravel()
        _check(_c.tw_metric_set_state(h, s.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                                      s.size),
               "state of %d values for %r, which has %d" % (s.size, self,
                                                           _c.tw_metric_state_size(self._h)))

    def add_state(self, state):
        """Adds ``state`` (as many numbers as get_state() gives) into the metric's state, as
        merge_state adds another metric's: a state computed elsewhere (another process, a GPU)
        joins this one. A tracked metric publishes the sum."""
        h = self._handle()
        s = np.ascontiguousarray(state, dtype=np.float64).ravel()
        _check(_c.tw_metric_add_state(h, s.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                                      s.size),
               "state of %d values for %r, which has %d" % (s.size, self,
                                                           _c.tw_metric_state_size(self._h)))

    def options(self):
        """The options as a dict (threshold, k, num_thresholds, curve, summation)."""
        o = _c.tw_metric_options_of(self._handle())
        return {"threshold": o.threshold, "k": o.k, "num_thresholds": o.num_thresholds,
                "curve": o.curve, "summation": o.summation}

    def __repr__(self):
        r = self.result()
        return "<trainwatch.metrics.%s name=%r result=%s>" % (
            type(self).__name__, self.name, r if isinstance(r, np.ndarray) else "%g" % r)

    def __del__(self):
        h = getattr(self, "_h", None)
        if h and _c is not None:
            p = ctypes.c_void_p(h)
            _c.tw_metric_destroy(ctypes.byref(p))
            self._h = None

    def __getstate__(self):
        raise TypeError("trainwatch metrics cannot be pickled; send get_state() instead")


class _Slot:
    """A custom metric's additive slot (add_weight's return)."""

    def __init__(self, metric, index, name):
        self._m, self._i, self.name = metric, index, name

    def assign_add(self, value):
        """Adds value to the slot (the state is cumulative, summed over ranks)."""
        self._m._add_slot(self._i, value)

    def assign(self, value):
        """Sets the slot to value (adds the difference)."""
        self._m._add_slot(self._i, float(value) - self.numpy())

    def numpy(self):
        """The slot's current value."""
        h = self._m._ensure()
        return float(_c.tw_metric_state(h)[self._i])

    __float__ = numpy


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
            form = _weight_form(self._elementwise, w.shape, n, d, type(self).__name__, sp)
            if form == "scalar":
                if n == 0:
                    return
                # Keras 3: Mean-reduced metrics count the batch as one sample of weight w.
                val = np.float32(w) if self._confusion else np.float32(w) / np.float32(n)
                w = np.full(n, val, dtype=_F32)
            elif form == "sample":
                w = w.reshape(n)
            else:
                w = np.broadcast_to(w, (n, d)).reshape(n * d)
                if not self._confusion:
                    w = w / np.float32(d)
                w = np.ascontiguousarray(w, dtype=_F32)
                yt = yt.reshape(n * d, 1)
                yp = yp.reshape(n * d, 1)
                n, d = n * d, 1
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
        if from_sorted_ids:  # y_pred holds class ids, best first
            super().__init__(name, dtype, args=dict(k=k, from_sorted_ids=True))
            return
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
    """Binary crossentropy of probabilities, clipped as Keras does in float32, or of logits
    (keras.metrics.BinaryCrossentropy)."""
    _kind = "binary_crossentropy"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name, dtype, args=dict(from_logits=from_logits,
                                                label_smoothing=label_smoothing))


class CategoricalCrossentropy(_Pair):
    """Categorical crossentropy of probabilities (renormalised, clipped) or of logits
    (keras.metrics.CategoricalCrossentropy; axis -1 only)."""
    _kind = "categorical_crossentropy"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name, dtype, args=dict(from_logits=from_logits,
                                                label_smoothing=label_smoothing, axis=axis))


class _Confusion(_Pair):
    _elementwise = True
    _confusion = True


class Precision(_Confusion):
    """tp / (tp + fp) with y_pred > threshold predicted positive (keras.metrics.Precision;
    a list of thresholds gives one value per threshold)."""
    _kind = "precision"
    _vector = True

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None):
        super().__init__(name, dtype, args=dict(thresholds=thresholds, top_k=top_k,
                                                class_id=class_id))


class Recall(_Confusion):
    """tp / (tp + fn) with y_pred > threshold predicted positive (keras.metrics.Recall;
    a list of thresholds gives one value per threshold)."""
    _kind = "recall"
    _vector = True

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(name, dtype, args=dict(thresholds=thresholds, top_k=top_k,
                                                class_id=class_id))


class AUC(_Confusion):
    """Area under the ROC, PR or PR-gain curve (keras.metrics.AUC: num_thresholds evenly
    spaced or explicit thresholds, curve "ROC", "PR" or "PRGAIN", summation_method
    "interpolation", "minoring" or "majoring", from_logits, multi_label (num_labels from the
    first batch as Keras, or given up front, which Publisher.track needs), label_weights)."""
    _kind = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        c = str(curve).upper()
        if c not in _CURVES:
            raise ValueError("AUC: curve must be 'ROC', 'PR' or 'PRGAIN', not %r" % (curve,))
        s = str(summation_method).lower()
        if s not in _SUMMATIONS:
            raise ValueError("AUC: summation_method must be one of %s, not %r"
                             % (", ".join(_SUMMATIONS), summation_method))
        num_thresholds = integer(num_thresholds, "AUC: num_thresholds", 2, INT_MAX)
        args = dict(num_thresholds=num_thresholds, curve=c, summation_method=s,
                    from_logits=from_logits, thresholds=thresholds, multi_label=multi_label,
                    num_labels=num_labels, label_weights=label_weights)
        if multi_label and num_labels is None:  # Keras takes the labels from the first batch
            self._h, self._lazy_args, self._size_key = None, (name, dtype, args), "num_labels"
            self.name, self.kind = name, self._kind
            return
        super().__init__(name, dtype, args=args)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._h is None:
            name, dtype, args = self._lazy_args
            yp = np.asarray(y_pred)
            super().__init__(name, dtype, args=dict(args, num_labels=yp.shape[-1]
                                                    if yp.ndim == 2 else 1))
        super().update_state(y_true, y_pred, sample_weight)

    def result(self):
        return 0.0 if self._h is None else super().result()


from ._metrics_keras import *  # noqa: E402,F401,F403  (the classes added in 0.2, and get())
from ._metrics_keras import __all__ as _more  # noqa: E402

__all__ += _more
