"""A Keras callback that publishes a model's training to trainwatch.

::

    model.fit(x, y, validation_data=(xv, yv), epochs=20,
              callbacks=[trainwatch.keras.TrainwatchCallback(run_name="cnn")])

It subclasses ``keras.callbacks.Callback`` when Keras is importable; otherwise it follows the
same protocol (set_params, set_model, on_train_begin, on_train_batch_end, on_epoch_end,
on_train_end, ...), so any loop that drives Keras callbacks can use it.
"""
import functools
import logging
import numbers

import numpy as np

from .metrics import Mean
from .publisher import Publisher

_log = logging.getLogger("trainwatch")

__all__ = ["TrainwatchCallback"]

try:  # pragma: no cover - Keras is optional
    from keras.callbacks import Callback as _Base
except Exception:  # ImportError, or a Keras that fails to import its backend
    try:
        from tensorflow.keras.callbacks import Callback as _Base
    except Exception:
        class _Base:
            """The Keras callback protocol, for when Keras is not installed."""

            def __init__(self):
                self.params = None
                self._model = None

            def set_params(self, params):
                self.params = params

            def set_model(self, model):
                self._model = model

            @property
            def model(self):
                return self._model

            def on_batch_begin(self, batch, logs=None):
                pass

            def on_batch_end(self, batch, logs=None):
                pass

            def on_epoch_begin(self, epoch, logs=None):
                pass

            def on_epoch_end(self, epoch, logs=None):
                pass

            def on_train_batch_begin(self, batch, logs=None):
                self.on_batch_begin(batch, logs=logs)

            def on_train_batch_end(self, batch, logs=None):
                self.on_batch_end(batch, logs=logs)

            def on_test_batch_begin(self, batch, logs=None):
                pass

            def on_test_batch_end(self, batch, logs=None):
                pass

            def on_predict_batch_begin(self, batch, logs=None):
                pass

            def on_predict_batch_end(self, batch, logs=None):
                pass

            def on_train_begin(self, logs=None):
                pass

            def on_train_end(self, logs=None):
                pass

            def on_test_begin(self, logs=None):
                pass

            def on_test_end(self, logs=None):
                pass

            def on_predict_begin(self, logs=None):
                pass

            def on_predict_end(self, logs=None):
                pass

_GAUGES = ("lr", "learning_rate")


def _number(v):
    """v as a float, or None when it is not a number (a schedule, a string, ...)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Real):
        return float(v)
    try:
        a = np.asarray(v)
    except Exception:
        return None
    if a.shape == () and a.dtype.kind in "iuf":
        return float(a)
    return None


def _never_raises(hook):
    """A hook of the callback that never stops ``fit()``: an exception (no runtime directory,
    a full disk, a bad option) is logged once as a warning, and publishing stops for the rest
    of the run, while training goes on."""
    @functools.wraps(hook)
    def guarded(self, *args, **kwargs):
        if hook.__name__ == "on_train_begin":
            self._failed = False  # a new fit() tries again
        if self._failed:
            return None
        try:
            return hook(self, *args, **kwargs)
        except Exception as e:  # never KeyboardInterrupt or SystemExit
            self._failed = True
            _log.warning("trainwatch: %s failed (%s: %s); training goes on without publishing",
                         hook.__name__, type(e).__name__, e)
            if self._own and self.publisher is not None:
                try:
                    self.publisher.close()
                except Exception:
                    pass
                self.publisher = None
            return None
    return guarded


class TrainwatchCallback(_Base):
    """Publishes the logs Keras gives callbacks: at each training batch end every metric of
    the logs (the running epoch averages Keras reports) as a per-step point of the train
    split, and at each epoch end the epoch's values, ``val_``-prefixed names going to the
    validation split under their unprefixed name (``val_loss`` -> ``loss``/val). A learning
    rate in the logs (``lr``, ``learning_rate``) is published as a gauge.

    At train begin the run's parameters are set from the model: the optimizer's name and
    learning rate, the batch size (``batch_size`` here, else Keras's params), the planned
    epochs and steps, and ``params`` given here.

    ``fit(initial_epoch=k)`` (training resumed from a checkpoint) is published as a
    continuation: epochs from k + 1 and steps from k times the steps per epoch, and the
    launch joins the latest earlier run of the same name (give ``run_name``: a default name
    differs per launch), so that the monitor draws one run with a restart mark.

    ``publisher``: a Publisher to use (left open at the end); otherwise one is created at
    train begin with ``publisher_options`` (run_name=, endpoint=, log_dir=, ...) and closed
    at train end. ``batches``: publish per-batch points (default True).
    """

    def __init__(self, publisher=None, batch_size=None, params=None, batches=True,
                 **publisher_options):
        super().__init__()
        self.publisher = publisher
        self._own = publisher is None
        self._options = publisher_options
        self._batch_size = batch_size
        self._extra = dict(params or {})
        self._batches = batches
        self._metrics = {}
        self._begun = False  # an epoch began (resume only before the first)
        self._failed = False  # a hook failed: publishing stopped, training goes on

    # -- helpers ---------------------------------------------------------------------------

    def _hyperparameters(self):
        out = {}
        model = getattr(self, "model", None)
        opt = getattr(model, "optimizer", None) if model is not None else None
        if opt is not None:
            name = getattr(opt, "name", None)
            out["optimizer"] = name if isinstance(name, str) and name else type(opt).__name__
            lr = getattr(opt, "learning_rate", None)
            if lr is None:
                lr = getattr(opt, "lr", None)
            if lr is not None:
                value = _number(lr)
                out["learning_rate"] = value if value is not None else type(lr).__name__
        params = self.params or {}
        bs = self._batch_size if self._batch_size is not None else params.get("batch_size")
        if bs is not None:
            out["batch_size"] = bs
        if params.get("epochs") is not None:
            out["epochs"] = params["epochs"]
        out.update(self._extra)
        return out

    def _publish(self, key, value, default_split="train"):
        v = _number(value)
        if v is None:
            return
        if key.startswith("val_"):
            name, split = key[4:], "val"
        else:
            name, split = key, default_split
        if name in _GAUGES:
            self.publisher.gauge(name, v, split)
            return
        m = self._metrics.get((name, split))
        if m is None:
            m = self.publisher.track(Mean(name=name), name, split)
            self._metrics[(name, split)] = m
        # Keras's logs already hold the value to show: a Mean of one sample of that value.
        m.set_state([v, 1.0])

    # -- the Keras callback protocol -------------------------------------------------------

    @_never_raises
    def on_train_begin(self, logs=None):
        self._begun = False
        if self.publisher is None:
            self.publisher = Publisher(**self._options)
            self._own = True
        self.publisher.set_params(**self._hyperparameters())
        params = self.params or {}
        self.publisher.set_plan(params.get("epochs") or 0, params.get("steps") or 0)

    @_never_raises
    def on_epoch_begin(self, epoch, logs=None):
        # Keras counts epochs from 0; fit(initial_epoch=k) begins with epoch k.
        if self.publisher is not None and not self._begun:
            self._begun = True
            if epoch > 0 and self.publisher.epoch != epoch + 1:
                steps = (self.params or {}).get("steps") or 0
                try:
                    self.publisher.resume(epoch + 1, epoch * steps)
                except RuntimeError:  # a publisher that already published: never stop fit()
                    _log.warning("trainwatch: fit(initial_epoch=%d) on a publisher at epoch "
                                 "%d: epochs are published from %d", epoch,
                                 self.publisher.epoch, self.publisher.epoch)

    @_never_raises
    def on_train_batch_end(self, batch, logs=None):
        if self.publisher is None:
            return
        if self._batches:
            for key, value in (logs or {}).items():
                if not key.startswith("val_"):
                    self._publish(key, value)
        self.publisher.step()

    @_never_raises
    def on_epoch_end(self, epoch, logs=None):
        if self.publisher is None:
            return
        for key, value in (logs or {}).items():
            self._publish(key, value)
        self.publisher.epoch_end()

    @_never_raises
    def on_train_end(self, logs=None):
        if self.publisher is not None and self._own:
            self.publisher.close()
            self.publisher = None
            self._metrics = {}
