"""PyTorch-native use of trainwatch: metrics that take tensors on any device, torchmetrics-style
aliases, and a helper for the common training loop (DDP included).

The metric classes here have the names and constructors of :mod:`trainwatch.metrics` (Keras's)
and accept tensors on any device (the pair metrics; IoU's own input rules stay in
trainwatch.metrics)::

    import trainwatch.torch as twt
    acc = twt.SparseCategoricalAccuracy()
    acc.update(logits.softmax(1), labels)     # torchmetrics' order: (preds, target)
    acc.update_state(labels, probs)           # Keras's order: (y_true, y_pred)
    acc.compute() == acc.result()             # a Python float

Where the work is done (the attribute ``path``, per metric):

- ``"auto"`` (the default): a tensor on a CUDA (or other non-CPU) device is reduced to the
  metric's sufficient statistics there, with torch ops (counts, sums, sums of squares, the
  number of values; the AUC's per-threshold histograms: O(thresholds), not O(batch)); only
  that small state vector crosses to the host, in one transfer (one synchronisation) per
  update, and is added to the C metric's state (``Metric.add_state``). CPU tensors, NumPy
  arrays and lists go to the C kernels as :mod:`trainwatch.metrics` does.
  Apple's MPS has no float64, in which the state is kept: an MPS batch is copied to the host
  and goes to the C kernels (exact, but O(batch) crosses).
  The torch ops follow the kinds from Mean to AUC with their first arguments (threshold, k,
  one threshold of Precision / Recall, AUC's num_thresholds, curve and summation); the other
  kinds, and these with other Keras arguments (from_logits, label_smoothing, top_k, class_id,
  several thresholds, multi_label, ...), take the C kernels' path, the batch copied to the host.
- ``"torch"``: always the torch ops where they apply, even on the CPU (the tests compare both
  paths this way).
- ``"c"``: always the C kernels (a device tensor is copied to the host first).

Both paths give the same state: counts exactly, sums to rounding (float32 inputs, float64
sums, the same float32 steps as the C kernels: comparisons, the crossentropy clip, the AUC's
buckets).

:class:`Trainwatch` is the loop helper: ``train_step(loss, preds, target)``, ``val_step(...)``,
``epoch_end()``; it tracks the loss and the given metrics in the train and val splits, the
learning rate of an optimizer (a gauge) and the batch size, and under DDP every rank publishes
its own state (rank and world size from torch.distributed or the launcher's environment) for
the monitor to merge exactly. Needs PyTorch (Debian's python3-torch, or pip's torch).
"""
import re

import numpy as np
import torch

from . import metrics as _m
from .publisher import Publisher

__all__ = ["Mean", "Sum", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "RootMeanSquaredError",
           "MeanAbsoluteError", "MeanAbsolutePercentageError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "Precision", "Recall", "AUC", "Trainwatch", "torch_metric"]

_PATHS = ("auto", "torch", "c")
# The Keras arguments the torch ops follow, by kind (get_config()'s keys); a metric with any
# other argument (from_logits, label_smoothing, top_k, class_id, several thresholds,
# multi_label, ...) takes the C kernels' path, its batch copied to the host.
_TORCH_KINDS = {"mean", "sum", "accuracy", "binary_accuracy", "categorical_accuracy",
                "sparse_categorical_accuracy", "top_k_categorical_accuracy",
                "sparse_top_k_categorical_accuracy", "mean_squared_error",
                "root_mean_squared_error", "mean_absolute_error",
                "mean_absolute_percentage_error", "binary_crossentropy",
                "categorical_crossentropy", "precision", "recall", "auc"}
_TORCH_KEYS = {"binary_accuracy": {"threshold"}, "top_k_categorical_accuracy": {"k"},
               "sparse_top_k_categorical_accuracy": {"k"}, "precision": {"thresholds"},
               "recall": {"thresholds"}, "auc": {"num_thresholds", "curve", "summation_method"}}
_EPS = float(np.float32(1e-7))
_CLIP_HI = float(np.float32(1.0) - np.float32(1e-7))  # 1 - 2^-23, as Keras's float32 clip
_F32, _F64 = torch.float32, torch.float64


def _is_tensor(x):
    return isinstance(x, torch.Tensor)


def _off_cpu(*xs):
    """The device of the first tensor among xs that is not on the CPU, else None."""
    for x in xs:
        if _is_tensor(x) and x.device.type != "cpu":
            return x.device
    return None


def _f32(x, what, device):
    """x as a float32 tensor on device (a tensor is detached; bool and integers converted, as
    the C path converts them)."""
    if _is_tensor(x):
        t = x.detach()
        if t.is_complex() or t.dtype not in (torch.bool, torch.uint8, torch.int8, torch.int16,
                                             torch.int32, torch.int64, torch.float16,
                                             torch.bfloat16, torch.float32, torch.float64):
            raise TypeError("%s: dtype %s is not a number type (bool, integer or float "
                            "expected)" % (what, t.dtype))
        return t.to(device=device, dtype=_F32)
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError("%s: dtype %s is not a number type (bool, integer or float expected)"
                        % (what, a.dtype))
    return torch.as_tensor(np.asarray(a, dtype=np.float32)).to(device)


def _argmax(v):
    """Row argmax with the C kernels' rule: the first of the largest; NaN never wins, except a
    NaN in column 0, which nothing can beat (v[j] > NaN is false)."""
    nan = torch.isnan(v)
    idx = torch.where(nan, torch.full_like(v, -float("inf")), v).argmax(1)
    return torch.where(nan[:, 0], torch.zeros_like(idx), idx)


# ---- the sufficient statistics of one batch, with torch ops ---------------------------------


def _pair_inputs(metric, y_true, y_pred, sample_weight, device):
    """The (y_true, y_pred, weights) of an update as trainwatch.metrics shapes them: 2-D
    float32 (sparse labels: 1-D), weights 1-D float32 or None. None when the batch is empty.
    Raises ValueError / TypeError as trainwatch.metrics does."""
    name = type(metric).__name__
    yt, yp = _f32(y_true, "y_true", device), _f32(y_pred, "y_pred", device)
    st, sp = tuple(yt.shape), tuple(yp.shape)
    if metric._sparse:
        if yp.dim() != 2 or yt.dim() not in (1, 2) or yt.shape[0] != yp.shape[0] or \
                (yt.dim() == 2 and yt.shape[1] != 1):
            raise ValueError("%s takes labels of shape (N,) or (N, 1) and scores of shape "
                             "(N, D); got y_true %s and y_pred %s" % (name, st, sp))
        yt = yt.reshape(-1)
    else:
        if yt.dim() == 1:
            yt = yt.reshape(-1, 1)
        if yp.dim() == 1:
            yp = yp.reshape(-1, 1)
        if yt.dim() != 2 or yp.dim() != 2 or yt.shape != yp.shape:
            raise ValueError("%s: y_true of shape %s and y_pred of shape %s do not match "
                             "(expected equal shapes (N,), (N, 1) or (N, D); (N,) and (N, 1) "
                             "are interchangeable)" % (name, st, sp))
    n, d = yp.shape
    w = None
    if sample_weight is not None:
        w = _f32(sample_weight, "sample_weight", device)
        form = _m._weight_form(metric._elementwise, w.shape, n, d, name, sp)
        if form == "scalar":
            if n == 0:
                return None
            # Keras 3: Mean-reduced metrics count the batch as one sample of weight w.
            w = w if metric._confusion else w / float(n)
            w = w.expand(n)
        elif form == "sample":
            w = w.reshape(n)
        else:
            w = w.expand(n, d).reshape(n * d)
            if not metric._confusion:
                w = w / float(d)
            yt, yp = yt.reshape(n * d, 1), yp.reshape(n * d, 1)
            n, d = n * d, 1
    if n == 0:
        return None
    if d == 0:
        raise ValueError("%s: y_pred of shape %s has no values per sample" % (name, sp))
    return yt, yp, w


def _row_values(metric, yt, yp):
    """The per-sample values (float64, shape (n,)) of a mean-wrapped kind, computed as
    publisher/metrics/metric_rows.c does: float32 where it works in float32, sums in float64.
    Also a 0-d tensor: the number of invalid sparse labels (0 for the other kinds)."""
    kind, d = metric._kind, yp.shape[1]
    bad = torch.zeros((), dtype=_F64, device=yp.device)
    if kind == "accuracy":
        return (yt == yp).sum(1).to(_F64) / d, bad
    if kind == "binary_accuracy":
        t = float(np.float32(metric.options()["threshold"]))
        return (yt == (yp > t).to(_F32)).sum(1).to(_F64) / d, bad
    if kind in ("sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"):
        ok = (yt >= 0) & (yt < float(d)) & (yt == torch.floor(yt))
        bad = (~ok).sum().to(_F64)
        target = torch.where(ok, yt, torch.zeros_like(yt)).long()
    elif kind in ("categorical_accuracy", "top_k_categorical_accuracy"):
        target = _argmax(yt)
    if kind in ("categorical_accuracy", "sparse_categorical_accuracy"):
        return (target == _argmax(yp)).to(_F64), bad
    if kind in ("top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"):
        k = metric.options()["k"]
        if k >= d:
            return torch.ones(yp.shape[0], dtype=_F64, device=yp.device), bad
        score = yp.gather(1, target.reshape(-1, 1))
        return ((yp > score).sum(1) < k).to(_F64), bad
    if kind in ("mean_squared_error", "root_mean_squared_error"):
        e = yt - yp
        return (e * e).to(_F64).sum(1) / d, bad
    if kind == "mean_absolute_error":
        return (yt - yp).abs().to(_F64).sum(1) / d, bad
    if kind == "mean_absolute_percentage_error":
        eps = torch.full((), _EPS, dtype=_F32, device=yp.device)
        r = ((yt - yp) / torch.fmax(yt.abs(), eps)).abs()
        return 100.0 * r.to(_F64).sum(1) / d, bad
    if kind == "binary_crossentropy":
        p = yp.clamp(_EPS, _CLIP_HI)
        q = 1.0 - p
        s = yt.to(_F64) * torch.log(p.to(_F64)) + (1.0 - yt).to(_F64) * torch.log(q.to(_F64))
        return -s.sum(1) / d, bad
    if kind == "categorical_crossentropy":
        # The C kernel sums a row's scores one after the other in float32; so does this (one
        # vector op a column), so that the clip sees the very same float32 ratios.
        total = yp[:, 0].clone()
        for j in range(1, d):
            total = total + yp[:, j]
        p = (yp / total.reshape(-1, 1)).clamp(_EPS, _CLIP_HI)
        return -(yt.to(_F64) * torch.log(p.to(_F64))).sum(1), bad
    raise AssertionError("no torch path for kind %r" % kind)


def _pair_state(metric, yt, yp, w):
    """The state increment (float64, the kind's layout) and the count of invalid labels."""
    kind = metric._kind
    dev = yp.device
    w64 = None if w is None else w.to(_F64)
    if kind in ("precision", "recall"):
        t = float(np.float32(metric.options()["threshold"]))
        label, pred = yt != 0, yp > t
        other = (~label & pred) if kind == "precision" else (label & ~pred)
        both = torch.stack([(label & pred), other]).to(_F64)  # (2, n, d)
        s = both.sum((1, 2)) if w64 is None else (both * w64.reshape(1, -1, 1)).sum((1, 2))
        return s, torch.zeros((), dtype=_F64, device=dev)
    if kind == "auc":
        return _auc_state(metric, yt, yp, w64), torch.zeros((), dtype=_F64, device=dev)
    v, bad = _row_values(metric, yt, yp)
    n = v.shape[0]
    if w64 is None:
        parts = [v.sum(), torch.full((), float(n), dtype=_F64, device=dev)]
        if metric._moments:
            parts += [(v * v).sum(), torch.full((), float(n), dtype=_F64, device=dev)]
    else:
        parts = [(v * w64).sum(), w64.sum()]
        if metric._moments:
            parts += [(v * v * w64).sum(), (w64 != 0).sum().to(_F64)]
    return torch.stack(parts), bad


def _auc_state(metric, yt, yp, w64):
    """[tp[0..T), fp[0..T), positives, negatives] of one batch: a histogram of the weight of
    positive and negative elements per bucket (O(n)), then its suffix sums (O(T)), as
    publisher/metrics/metric_auc.c does; a NaN prediction makes tp[0] NaN."""
    T = metric.options()["num_thresholds"]
    dev = yp.device
    n, d = yp.shape
    label = (yt != 0).reshape(-1)
    p = yp.reshape(-1)
    nan = torch.isnan(p)
    c = p.clamp(0.0, 1.0)
    b = torch.ceil(c * float(T - 1)) - 1.0  # float32, as the C kernel
    bucket = torch.where(nan | (b <= 0), torch.zeros_like(b), b).long()
    w = torch.ones(n * d, dtype=_F64, device=dev) if w64 is None else \
        w64.reshape(-1, 1).expand(n, d).reshape(-1)
    w = torch.where(nan, torch.zeros_like(w), w)
    pos = torch.where(label, w, torch.zeros_like(w))
    neg = w - pos
    hist = torch.zeros(2, T, dtype=_F64, device=dev)
    hist[0].index_add_(0, bucket, pos)
    hist[1].index_add_(0, bucket, neg)
    suffix = hist.flip(1).cumsum(1).flip(1)  # (2, T): tp, fp
    poison = torch.where(nan.any(), torch.full((), float("nan"), dtype=_F64, device=dev),
                         torch.zeros((), dtype=_F64, device=dev))
    suffix[0, 0] += poison
    return torch.cat([suffix.reshape(-1), torch.stack([pos.sum(), neg.sum()])])


def _values_inputs(metric, values, sample_weight, device):
    """Mean / Sum: (rows (n, d) float32, weights (n,) or None) as trainwatch.metrics shapes
    them, or ("scalar", value, weight) for Keras 3's scalar-weight rule, or None (empty)."""
    v = _f32(values, "values", device)
    shape = tuple(v.shape)
    if v.dim() == 0:
        v = v.reshape(1, 1)
    elif v.dim() == 1:
        v = v.reshape(-1, 1)
    elif v.dim() > 2:
        v = v.reshape(v.shape[0], -1)
    n, d = v.shape
    w = None
    if sample_weight is not None:
        w = _f32(sample_weight, "sample_weight", device)
        if w.dim() == 0:
            if len(shape) == 0:
                w = w.reshape(1)
            else:
                if n == 0:
                    return None
                return ("scalar", v, w)
        elif tuple(w.shape) in ((n,), (n, 1)):
            w = w.reshape(n)
        elif len(shape) == 2 and w.dim() == 2 and w.shape[1] == d and w.shape[0] in (1, n):
            w = w.expand(n, d).reshape(n * d)
            if metric._is_mean and d > 1:
                w = w / float(d)
            v = v.reshape(n * d, 1)
            n, d = v.shape
        else:
            raise ValueError("sample_weight of shape %s does not fit values of shape %s "
                             "(expected a scalar, (%d,), (%d, 1)%s)"
                             % (tuple(w.shape), shape, n, n,
                                ", (%d, %d) or (1, %d)" % (n, d, d) if len(shape) == 2
                                else ""))
    if n == 0 or d == 0:
        return None
    return v, w


def _scalar_state(metric, value, weight):
    """The state increment of update_scalar(value, weight), value and weight float64 0-d
    tensors (or numbers) on one device."""
    parts = [value * weight]
    if metric._is_mean:
        parts += [weight, value * value * weight, (weight != 0).to(_F64)]
    return torch.stack(parts)


def _values_state(metric, shaped):
    if shaped[0] == "scalar":
        _, v, w = shaped
        total = v.to(_F64).sum()
        val = total / float(v.numel()) if metric._is_mean else total
        return _scalar_state(metric, val, w.to(_F64))
    v, w = shaped
    d = v.shape[1]
    s = v.to(_F64).sum(1)
    s = s / float(d) if metric._is_mean else s
    dev = v.device
    n = float(v.shape[0])
    if w is None:
        parts = [s.sum()]
        if metric._is_mean:
            parts += [torch.full((), n, dtype=_F64, device=dev), (s * s).sum(),
                      torch.full((), n, dtype=_F64, device=dev)]
    else:
        w64 = w.to(_F64)
        parts = [(s * w64).sum()]
        if metric._is_mean:
            parts += [w64.sum(), (s * s * w64).sum(), (w64 != 0).sum().to(_F64)]
    return torch.stack(parts)


# ---- the metric classes ----------------------------------------------------------------------


class _TorchMetric:
    """What the torch metrics add to trainwatch.metrics: the device path, torchmetrics'
    names (update, compute, reset)."""

    path = "auto"

    @property
    def _moments(self):
        """Whether the state carries the moments of a mean ([total, count, sumsq, values]):
        the C library's layout decides (the only 4-long states of the pair kinds)."""
        return _m._c.tw_metric_state_size(self._h) == 4

    def _torch_ops_fit(self):
        """Whether the torch ops compute this metric's state: its Keras arguments are among
        those they follow (_TORCH_KEYS), one threshold for Precision and Recall. Cached."""
        fit = self.__dict__.get("_fit")
        if fit is None:
            if self._h is None:  # AUC(multi_label=True) before its first batch
                return False
            keys = set(re.findall(r"(?:^|,)([a-z_]+)=", self.get_config()))
            fit = self._kind in _TORCH_KINDS and keys <= _TORCH_KEYS.get(self._kind, set())
            if self._kind in ("precision", "recall"):
                fit = fit and _m._c.tw_metric_state_size(self._h) == 2
            self._fit = fit
        return fit

    def _use_torch(self, *xs):
        if self.path not in _PATHS:
            raise ValueError("path must be one of %s, not %r" % (", ".join(_PATHS), self.path))
        if self.path == "c" or not self._torch_ops_fit():
            return None
        dev = _off_cpu(*xs)
        if dev is not None and dev.type == "mps":
            return None  # no float64 on MPS: the batch goes to the C kernels (exact)
        if dev is None and self.path == "torch":
            dev = torch.device("cpu")
        return dev

    def _device_update(self, xs, device):
        """(state increment, invalid-label count) of an update on the device, or None when
        the batch is empty; overridden by the two families."""
        raise NotImplementedError

    def _take_state(self, host):
        """Adds a host copy of [state..., invalid labels] (what _device_update gave,
        concatenated) into the metric: raises ValueError for invalid labels."""
        if host[-1] != 0:
            raise ValueError("%s: labels must be integers in [0, d) (%d are not)"
                             % (type(self).__name__, int(host[-1])))
        self.add_state(host[:-1])

    def _update_on(self, device, xs):
        got = self._device_update(xs, device)
        if got is None:
            return
        state, bad = got
        # The one synchronisation of the update: the small state vector to the host.
        self._take_state(torch.cat([state, bad.reshape(1)]).cpu().numpy())

    def compute(self):
        """torchmetrics' name for result(): the current value, a Python float."""
        return self.result()

    def reset(self):
        """torchmetrics' name for reset_state()."""
        self.reset_state()


class _TorchPair(_TorchMetric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Keras's order: accumulates a batch of targets ``y_true`` and predictions
        ``y_pred`` (tensors on any device, arrays, lists) with an optional
        ``sample_weight``; shapes as trainwatch.metrics says."""
        dev = self._use_torch(y_true, y_pred, sample_weight)
        if dev is None:
            super().update_state(_host(y_true), _host(y_pred), _host(sample_weight))
        else:
            self._update_on(dev, (y_true, y_pred, sample_weight))

    def update(self, preds, target, sample_weight=None):
        """torchmetrics' order: update_state(target, preds, sample_weight)."""
        self.update_state(target, preds, sample_weight)

    def _device_update(self, xs, device):
        shaped = _pair_inputs(self, xs[0], xs[1], xs[2], device)
        return None if shaped is None else _pair_state(self, *shaped)


class _TorchReduce(_TorchMetric):
    def update_state(self, values, sample_weight=None):
        """Accumulates ``values`` (tensors on any device, arrays, numbers) with an optional
        ``sample_weight``, as trainwatch.metrics.Mean / Sum."""
        dev = self._use_torch(values, sample_weight)
        if dev is None:
            super().update_state(_host(values), _host(sample_weight))
        else:
            self._update_on(dev, (values, sample_weight))

    def update(self, value, weight=None):
        """torchmetrics' MeanMetric / SumMetric order: update(value, weight)."""
        self.update_state(value, weight)

    def _device_update(self, xs, device):
        shaped = _values_inputs(self, xs[0], xs[1], device)
        if shaped is None:
            return None
        return _values_state(self, shaped), torch.zeros((), dtype=_F64, device=device)


def _host(x):
    """A tensor off the CPU as a CPU tensor (the "c" path); anything else as it is."""
    if _is_tensor(x) and x.device.type != "cpu":
        return x.detach().cpu()
    return x


_BY_BASE = {}  # trainwatch.metrics class -> its trainwatch.torch class


def _torch_class(base):
    family = _TorchReduce if issubclass(base, _m._Reduce) else _TorchPair
    doc = (base.__doc__ or "").rstrip() + (
        "\n\n    Takes tensors on any device (trainwatch.torch); update(preds, target) and "
        "compute() are torchmetrics' names for update_state(y_true, y_pred) and result().")
    cls = type(base.__name__, (family, base),
               {"__doc__": doc, "__module__": __name__})
    _BY_BASE[base] = cls
    return cls


Mean = _torch_class(_m.Mean)
Sum = _torch_class(_m.Sum)
Accuracy = _torch_class(_m.Accuracy)
BinaryAccuracy = _torch_class(_m.BinaryAccuracy)
CategoricalAccuracy = _torch_class(_m.CategoricalAccuracy)
SparseCategoricalAccuracy = _torch_class(_m.SparseCategoricalAccuracy)
TopKCategoricalAccuracy = _torch_class(_m.TopKCategoricalAccuracy)
SparseTopKCategoricalAccuracy = _torch_class(_m.SparseTopKCategoricalAccuracy)
MeanSquaredError = _torch_class(_m.MeanSquaredError)
RootMeanSquaredError = _torch_class(_m.RootMeanSquaredError)
MeanAbsoluteError = _torch_class(_m.MeanAbsoluteError)
MeanAbsolutePercentageError = _torch_class(_m.MeanAbsolutePercentageError)
BinaryCrossentropy = _torch_class(_m.BinaryCrossentropy)
CategoricalCrossentropy = _torch_class(_m.CategoricalCrossentropy)
Precision = _torch_class(_m.Precision)
Recall = _torch_class(_m.Recall)
AUC = _torch_class(_m.AUC)


# The pair kinds added with the whole Keras family (F1Score, R2Score, the counts at thresholds,
# the hinges, ...): the same aliases and any device, their batches going to the C kernels.
# (The IoU kinds keep their own input rules: trainwatch.metrics.)
for _name in _m.__all__:
    _base = getattr(_m, _name)
    if isinstance(_base, type) and issubclass(_base, _m._Pair) and _base not in _BY_BASE and \
            _base._kind is not None:
        globals()[_name] = _torch_class(_base)
        __all__.append(_name)
del _name, _base


def torch_metric(metric, name=None):
    """A new, empty metric of the same class and Keras arguments as ``metric``, named
    ``name`` (default: metric.name): of the trainwatch.torch class where there is one (Mean,
    Sum and the pair kinds), else of metric's own class (the IoU kinds). A custom metric (a Metric subclass with slots) cannot be copied: TypeError (give
    the helper a function that makes one)."""
    if not isinstance(metric, _m.Metric):
        raise TypeError("expected a trainwatch metric, not %s" % type(metric).__name__)
    if metric._kind is None:
        raise TypeError("a custom metric (%s) cannot be copied: give a function that returns "
                        "a new one" % type(metric).__name__)
    base = type(metric)
    cls = base if issubclass(base, _TorchMetric) else _BY_BASE.get(base, base)
    new = object.__new__(cls)
    new.__dict__.update({k: v for k, v in metric.__dict__.items() if k not in ("_h", "_fit")})
    new._h = None
    if metric._h is not None:  # else made at the first batch, as the original would be
        new._h = _m._new_opts(_m._c.tw_metric_kind_from_name(metric._kind.encode()),
                              metric.get_config(), cls.__name__)
    new.name = name or metric.name
    return new


# ---- the loop helper ---------------------------------------------------------------------


def _distributed():
    """(rank, world size) of an initialised torch.distributed, else None."""
    dist = getattr(torch, "distributed", None)
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return dist.get_rank(), dist.get_world_size()


def _batch_size(target, preds):
    for x in (target, preds):
        if x is not None:
            shape = getattr(x, "shape", None)
            if shape is None:
                shape = np.shape(x)
            return int(shape[0]) if len(shape) else 1
    return None


def _one_hot_for(metric, target, preds):
    """(target, invalid labels): target one-hot encoded when metric takes one-hot targets (the
    non-sparse kinds) and target holds integer labels, (N,) or (N, 1), for preds of shape
    (N, D) with D > 1, as torchmetrics' multiclass metrics take labels, with a 0-d tensor
    counting the labels outside [0, D); else (target as it is, None)."""
    if not isinstance(metric, _m._Pair) or metric._sparse:
        return target, None
    pshape = tuple(getattr(preds, "shape", np.shape(preds)))
    if len(pshape) != 2 or pshape[1] < 2:
        return target, None
    if _is_tensor(target):
        integer = not target.is_floating_point() and not target.is_complex() and \
            target.dtype != torch.bool
        t = target
    else:
        a = np.asarray(target)
        integer = a.dtype.kind in "iu"
        t = torch.as_tensor(a) if integer else None
    if not integer or tuple(t.shape) not in ((pshape[0],), (pshape[0], 1)):
        return target, None
    dev = preds.device if _is_tensor(preds) else t.device
    # A comparison, not F.one_hot: that checks the labels' range with a synchronisation on
    # the CPU and a fatal device assert on CUDA. The labels out of range are counted on the
    # device instead and raise ValueError where the state comes to the host, as the sparse
    # kinds' invalid labels do.
    t = t.reshape(-1, 1).to(dev)
    bad = ((t < 0) | (t >= pshape[1])).sum().to(_F64)
    classes = torch.arange(pshape[1], device=dev)
    return (t == classes).to(_F32), bad


class Trainwatch:
    """Publishes a PyTorch training loop: the loss and ``metrics`` in the train and val
    splits, the learning rate and the batch size::

        tw = trainwatch.torch.Trainwatch(
            metrics={"accuracy": trainwatch.torch.SparseCategoricalAccuracy()},
            optimizer=opt, run_name="resnet")
        for epoch in range(epochs):
            for x, y in train_loader:
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                ...backward, step...
                tw.train_step(loss, logits.softmax(1), y)
            with torch.no_grad():
                for x, y in val_loader:
                    logits = model(x)
                    tw.val_step(F.cross_entropy(logits, y), logits.softmax(1), y)
            tw.epoch_end()
        tw.close()

    ``metrics``: {name: metric}, each a trainwatch.metrics or trainwatch.torch metric (a
    fresh copy is made for each split) or a function returning a new one; every metric gets
    each step's (preds, target, sample_weight), and integer labels are one-hot encoded for the
    kinds that take one-hot targets (AUC, CategoricalAccuracy, Precision, ...) when the
    predictions are (N, D) scores, as torchmetrics' multiclass metrics take labels (a label
    out of range is a row of zeros there). ``loss``: the name of the loss (None: no loss
    tracked). ``optimizer``: its ``param_groups[0]['lr']`` is published as the gauge
    ``learning_rate`` at each train step, and its class and initial learning rate as run
    parameters. ``params``: more run parameters. ``epochs`` / ``steps_per_epoch``: the plan,
    for the monitor's progress bar. ``publisher``: a Publisher to use (left open by close());
    else one is made with ``publisher_options`` (run_name=, endpoint=, log_dir=, ...).

    A step's loss is a tensor (a 0-d batch mean, weighted by the batch size; or per-sample
    values), a number, or None. Tensors may be on any device: everything a step publishes
    crosses to the host in one transfer (see the module's doc).

    Under DDP, make a Trainwatch on every rank: each publishes its own share (the rank and
    world size from torch.distributed when it is initialised, else the launcher's RANK /
    WORLD_SIZE) and the monitor adds the ranks' states, so that the epoch values are exact
    over uneven shards too. The ranks of one launch publish one run whatever its name (the run
    id is the launch's: torchrun's, Slurm's, or the spawning parent's; README, "Run
    identity"). Not thread-safe.
    """

    def __init__(self, metrics=None, loss="loss", optimizer=None, params=None, epochs=None,
                 steps_per_epoch=None, publisher=None, **publisher_options):
        self.optimizer = optimizer
        self._own = publisher is None
        if publisher is None:
            ranks = _distributed()
            opts = dict(publisher_options)
            if ranks is not None:
                opts.setdefault("rank", ranks[0])
                opts.setdefault("world_size", ranks[1])
            publisher = Publisher(**opts)
        self.publisher = publisher
        self._loss_name = loss
        self._splits = {}
        try:
            for split in ("train", "val"):
                tracked = {}
                if loss is not None:
                    tracked[loss] = publisher.track(Mean(name=loss), loss, split)
                for name, spec in (metrics or {}).items():
                    m = spec() if callable(spec) and not isinstance(spec, _m.Metric) else spec
                    tracked[name] = publisher.track(torch_metric(m, name), name, split)
                self._splits[split] = tracked
            run = {}
            if optimizer is not None:
                run["optimizer"] = type(optimizer).__name__
                lr = self._lr()
                if lr is not None:
                    run["learning_rate"] = lr
            run.update(params or {})
            if run:
                publisher.set_params(**run)
            if epochs or steps_per_epoch:
                publisher.set_plan(epochs or 0, steps_per_epoch or 0)
        except BaseException:
            if self._own:
                publisher.close("failed")
            raise
        self._batch_size = None

    def _lr(self):
        try:
            lr = self.optimizer.param_groups[0]["lr"]
        except (AttributeError, IndexError, KeyError, TypeError):
            return None
        if _is_tensor(lr):
            lr = lr.detach().cpu()
        try:
            return float(lr)
        except (TypeError, ValueError):
            return None

    def _step(self, split, loss, preds, target, sample_weight):
        tracked = self._splits[split]
        n = _batch_size(target, preds)
        pending = []  # (metric, state on the device, invalid-label count)
        if self._loss_name is not None and loss is not None:
            m = tracked[self._loss_name]
            if _is_tensor(loss) and loss.dim() == 0:
                w = float(n if n is not None else 1)
                if loss.device.type != "cpu" or m.path == "torch":
                    v = loss.detach().to(_F64)
                    pending.append((m, _scalar_state(m, v, torch.full((), w, dtype=_F64,
                                                                      device=v.device)),
                                    torch.zeros((), dtype=_F64, device=v.device)))
                else:
                    m.update_scalar(float(loss.detach()), w)
            elif _is_tensor(loss):
                self._queue(m, (loss, None), pending)
            else:
                m.update_scalar(float(loss), float(n if n is not None else 1))
        if preds is not None and target is not None:
            for name, m in tracked.items():
                if name != self._loss_name:
                    self._queue(m, (target, preds, sample_weight), pending)
        if pending:
            # The one synchronisation of the step: every device state, in one vector.
            flat = torch.cat([torch.cat([s.to(_F64), b.reshape(1)]) for _, s, b in pending])
            host = flat.cpu().numpy()
            at = 0
            for m, s, _ in pending:
                k = s.numel() + 1
                m._take_state(host[at:at + k])
                at += k
        return n

    def _queue(self, m, xs, pending):
        bad = None
        if len(xs) == 3:
            target, bad = _one_hot_for(m, xs[0], xs[1])
            xs = (target,) + xs[1:]
        dev = m._use_torch(*xs) if isinstance(m, _TorchMetric) else None
        if dev is None:  # the C kernels: the batch goes to the host anyway
            if bad is not None and int(bad) != 0:
                raise ValueError("%s: labels must be integers in [0, %d) (%d are not)"
                                 % (type(m).__name__, xs[1].shape[1], int(bad)))
            if isinstance(m, _TorchMetric):
                m.update_state(*xs)
            else:  # a kind without torch ops
                m.update_state(*(_host(x) for x in xs))
            return
        got = m._device_update(xs, dev)
        if got is not None:
            pending.append((m, got[0], got[1] if bad is None else got[1] + bad.to(got[1].device)))

    def train_step(self, loss, preds=None, target=None, sample_weight=None):
        """One training step: the loss (see the class's doc), and the batch's predictions and
        targets for the metrics (torchmetrics' order: preds, then target); publishes the
        learning rate and advances the per-step curves. The first step's batch size is a run
        parameter."""
        n = self._step("train", loss, preds, target, sample_weight)
        if self._batch_size is None and n is not None:
            self._batch_size = n
            self.publisher.set_params(batch_size=n)
        if self.optimizer is not None:
            lr = self._lr()
            if lr is not None:
                self.publisher.gauge("learning_rate", lr, "train")
        self.publisher.step()

    def val_step(self, loss, preds=None, target=None, sample_weight=None):
        """One validation batch: as train_step, into the val split, without a step."""
        self._step("val", loss, preds, target, sample_weight)

    def epoch_end(self):
        """Publishes the epoch's values of every split and starts the next epoch. Returns
        this process's values ({"loss": .., "accuracy": .., "val_loss": .., ...}); under DDP
        they are this rank's share: the monitor shows the merged ones."""
        out = {}
        for split, tracked in self._splits.items():
            prefix = "" if split == "train" else "val_"
            for name, m in tracked.items():
                out[prefix + name] = m.result()
        self.publisher.epoch_end()
        return out

    def metric(self, name, split="train"):
        """The tracked metric ``name`` of ``split`` ("train" or "val")."""
        return self._splits["val" if split == "validation" else split][name]

    def close(self, status=None):
        """Ends the run (status "ok", "failed" or "interrupted"); closes the publisher when
        this helper made it. Idempotent."""
        if self._own:
            self.publisher.close(status)
        elif status is not None:
            self.publisher.set_status(status)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.close("interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed")
        return False
