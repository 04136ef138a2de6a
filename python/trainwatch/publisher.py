"""Publishing metrics from a training loop to the trainwatch monitor."""
import ctypes
import errno
import logging
import numbers
import os

from . import _lib
from .metrics import Metric

__all__ = ["Publisher", "PublisherError"]

_c = _lib.lib
_log = logging.getLogger("trainwatch")
_SPLITS = {"train": 0, "val": 1, "validation": 1, "test": 2}
_STATUS = {"ok": 0, "failed": 1, "interrupted": 2}
_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO}


class PublisherError(OSError):
    """The publisher could not be created (bad option, endpoint in use, ...)."""


def _split(split):
    try:
        return _SPLITS[split]
    except (KeyError, TypeError):
        raise ValueError("split must be 'train', 'val' or 'test', not %r" % (split,)) from None


def _opt(v):
    return -1 if v is None else int(v)


def _bytes(s):
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode()


class Publisher:
    """Streams tracked metrics to trainwatch monitors (libtrainwatch's tw_publisher).

    Every argument left None is decided by the environment, then the built-in default
    (see README): ``endpoint`` ("tcp://HOST:PORT" binds, ">tcp://HOST:PORT" connects to a
    listening monitor; default TRAINWATCH_ENDPOINT, else a local ipc socket the monitor finds
    by itself), ``run_name`` (TRAINWATCH_RUN, a launcher's job id, else PROGRAM-DATE-TIME),
    ``log_dir`` (TRAINWATCH_LOG_DIR, else "./runs"; "off" disables the run log), ``rank`` and
    ``world_size`` (RANK / WORLD_SIZE, ...), and the tuning knobs ``ring_capacity``,
    ``heartbeat_ms``, ``linger_ms``, ``step_history``. Encryption of tcp endpoints:
    ``curve_secret_key`` (a NAME.key file from ``trainwatch keygen``, or its 40 Z85
    characters; default TRAINWATCH_CURVE_SECRET), ``curve_server_key`` (when connecting: the
    monitor's NAME.pub; default TRAINWATCH_CURVE_SERVER) and ``insecure`` (True allows binding
    tcp beyond loopback in clear, with a warning; default TRAINWATCH_INSECURE=1). Diagnostics
    go to the "trainwatch" logger.

    A publisher and the metrics it tracks belong to one thread. Use it as a context manager,
    or call close(); an exception leaving the ``with`` block marks the run failed
    (KeyboardInterrupt: interrupted)::

        with trainwatch.Publisher(run_name="mlp") as pub:
            loss = pub.track(trainwatch.metrics.Mean(), "loss")
            for epoch in range(epochs):
                for x, y in batches:
                    loss.update_state(batch_loss)
                    pub.step()
                pub.epoch_end()
    """

    def __init__(self, endpoint=None, run_name=None, log_dir=None, rank=None, world_size=None,
                 ring_capacity=None, heartbeat_ms=None, linger_ms=None, step_history=None,
                 curve_secret_key=None, curve_server_key=None, insecure=None):
        self._h = None
        self._tracked = []  # the tracked metrics, kept alive as long as the publisher
        self._diag_messages = []
        self._diag = _lib.DIAG_FN(self._on_diag)  # referenced: called until destroy
        o = _c.tw_publisher_defaults()
        self._strings = [_bytes(endpoint), _bytes(run_name), _bytes(log_dir),
                         _bytes(curve_secret_key), _bytes(curve_server_key)]
        (o.endpoint, o.run_name, o.log_dir, o.curve_secret_key,
         o.curve_server_key) = self._strings
        o.insecure = -1 if insecure is None else int(bool(insecure))
        o.rank, o.world_size = _opt(rank), _opt(world_size)
        o.ring_capacity, o.heartbeat_ms = _opt(ring_capacity), _opt(heartbeat_ms)
        o.linger_ms, o.step_history = _opt(linger_ms), _opt(step_history)
        o.on_diag = self._diag
        h = _c.tw_publisher_new(ctypes.byref(o))
        if not h:
            err = ctypes.get_errno()
            detail = "; ".join(self._diag_messages) or os.strerror(err)
            raise PublisherError(err, "cannot create the trainwatch publisher: " + detail)
        self._h = h

    def _on_diag(self, ctx, level, err, message):
        text = message.decode(errors="replace") if message else ""
        self._diag_messages.append(text)
        del self._diag_messages[:-20]
        _log.log(_LEVELS.get(level, logging.WARNING), "%s", text)

    def _live(self):
        if not self._h:
            raise ValueError("the publisher is closed")
        return self._h

    # -- run description -------------------------------------------------------------------

    def set_params(self, **params):
        """Sets hyperparameters of the run, shown by the monitor: numbers are sent as numbers,
        anything else as its str(). Setting a key again replaces its value."""
        h = self._live()
        for key, value in params.items():
            k = str(key).encode()
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                rc = _c.tw_publisher_set_param_number(h, k, float(value))
            else:
                rc = _c.tw_publisher_set_param(h, k, str(value).encode())
            if rc != 0:
                raise ValueError("cannot set param %r=%r (keys up to 127 bytes, values up to "
                                 "255, at most 128 keys)" % (key, value))

    def set_plan(self, epochs=0, steps_per_epoch=0):
        """Announces the planned epochs and steps per epoch (0: unknown), for the monitor's
        progress bar."""
        _c.tw_publisher_set_plan(self._live(), int(epochs or 0), int(steps_per_epoch or 0))

    # -- metrics ---------------------------------------------------------------------------

    def track(self, metric, name=None, split="train"):
        """Publishes every update of ``metric`` (a trainwatch.metrics.Metric) under ``name``
        (default: metric.name) and ``split`` ("train", "val" or "test"); epoch_end() publishes
        its epoch value and resets it. Returns the metric."""
        if not isinstance(metric, Metric):
            raise TypeError("track() takes a trainwatch.metrics metric, not %s"
                            % type(metric).__name__)
        name = metric.name if name is None else name
        if metric._h is None and metric._kind is None:  # a custom metric: made now
            metric._ensure()
        if metric._h is None:  # F1Score, FBetaScore, R2Score before their first batch
            raise ValueError("cannot track %s before its state size is known: give %s= when "
                             "creating it" % (type(metric).__name__, metric._size_key))
        rc = _c.tw_publisher_track(self._live(), metric._h, str(name).encode(), _split(split))
        if rc != 0:
            raise ValueError("cannot track %r as %r/%s: already tracked, the name is taken "
                             "or too long" % (metric, name, split))
        self._tracked.append(metric)
        return metric

    def gauge(self, name, value, split="train"):
        """Publishes a value that is not averaged (learning rate, throughput); the epoch's
        value is the last one given."""
        rc = _c.tw_publisher_gauge(self._live(), str(name).encode(), _split(split), float(value))
        if rc != 0:
            raise ValueError("cannot publish gauge %r/%s" % (name, split))

    def step(self):
        """One training step done: advances the x of the per-step curves. Never blocks."""
        _c.tw_publisher_step(self._live())

    def epoch_end(self):
        """Publishes the epoch's value of every tracked metric updated in it, resets them
        and starts the next epoch."""
        rc = _c.tw_publisher_epoch_end(self._live())
        if rc != 0:
            raise MemoryError("tw_publisher_epoch_end failed (%d)" % rc)

    def resume(self, epoch, step=0):
        """The run continues from a checkpoint: the open epoch is ``epoch`` (from 1) and the
        step counter ``step``, so that the monitor draws the restarted process as a
        continuation of the run (same run name) with a restart mark, not a new start at
        epoch 1. Call before the first update or step."""
        rc = _c.tw_publisher_resume(self._live(), int(epoch), int(step))
        if rc == -errno.EBUSY:
            raise RuntimeError("resume() comes before the first update or step")
        if rc != 0:
            raise ValueError("cannot resume at epoch %r, step %r (epochs count from 1)"
                             % (epoch, step))

    # -- state -----------------------------------------------------------------------------

    @property
    def epoch(self):
        """The current (open) epoch, from 1."""
        return _c.tw_publisher_epoch(self._live())

    @property
    def endpoint(self):
        """The endpoint monitors connect to."""
        return _c.tw_publisher_endpoint(self._live()).decode()

    @property
    def run_id(self):
        return _c.tw_publisher_run_id(self._live()).decode()

    @property
    def log_path(self):
        """The run log's path ("" when off)."""
        return _c.tw_publisher_log_path(self._live()).decode()

    def stats(self):
        """The publisher's counters as a dict (records, dropped, sent, ...)."""
        s = _c.tw_publisher_get_stats(self._live())
        return {f: getattr(s, f) for f, _ in s._fields_}

    def set_status(self, status):
        """How the run ended, for the run-end record: "ok", "failed" or "interrupted"."""
        try:
            code = _STATUS[status]
        except KeyError:
            raise ValueError("status must be 'ok', 'failed' or 'interrupted'") from None
        _c.tw_publisher_set_status(self._live(), code)

    def close(self, status=None):
        """Flushes, sends the run-end record and frees the publisher (at most about 1 s).
        Tracked metrics stay usable. Idempotent."""
        if not self._h:
            return
        if status is not None:
            self.set_status(status)
        p = ctypes.c_void_p(self._h)
        self._h = None
        _c.tw_publisher_destroy(ctypes.byref(p))
        self._tracked = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._h and exc_type is not None:
            self.set_status("interrupted" if issubclass(exc_type, KeyboardInterrupt)
                            else "failed")
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_h", None) and _c is not None:
            self.close()

    def __repr__(self):
        if not self._h:
            return "<trainwatch.Publisher closed>"
        return "<trainwatch.Publisher run=%r endpoint=%r epoch=%d>" % (self.run_id,
                                                                       self.endpoint,
                                                                       self.epoch)

