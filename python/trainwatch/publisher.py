"""Publishing metrics from a training loop to the trainwatch monitor."""
import ctypes
import errno
import logging
import math
import numbers
import os
import sys

from . import _lib
from ._convert import INT_MAX, MAX_COUNT
from ._convert import integer as _int, text as _text
from .metrics import Metric

__all__ = ["Publisher", "PublisherError"]

_c = _lib.lib
_log = logging.getLogger("trainwatch")
_SPLITS = {"train": 0, "val": 1, "validation": 1, "test": 2}
_STATUS = {"ok": 0, "failed": 1, "interrupted": 2}
_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO}
_told_log_dirs = set()  # the run-log directories already named on stderr, once a process


def _tell_log_dir(path):
    """Says once a process, on stderr, in which directory the run logs go."""
    d = os.path.dirname(os.path.abspath(path))
    if d in _told_log_dirs:
        return
    _told_log_dirs.add(d)
    try:
        sys.stderr.write("trainwatch: run logs go to %s (TRAINWATCH_LOG_DIR, or its line in "
                         "~/.config/trainwatch/config, changes it; off turns them off)\n" % d)
    except Exception:
        pass


class PublisherError(OSError):
    """The publisher could not be created (bad option, endpoint in use, ...)."""


def _split(split):
    try:
        return _SPLITS[split]
    except (KeyError, TypeError):
        raise ValueError("split must be 'train', 'val' or 'test', not %r" % (split,)) from None


def _opt(v, what, lo=0, hi=INT_MAX):
    return -1 if v is None else _int(v, what, lo, hi)


def _program():
    """The script's name: "train" for ``python train.py`` and ``python -m pkg.train``, also in
    the children of torch.multiprocessing.spawn (whose command line is ``python -c ...``, but
    whose sys.argv and __main__ are the parent's). None: let the library read the command
    line."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name and name != "__main__":
        name = name.rsplit(".", 1)[-1]
        if name == "__main__":  # python -m pkg: pkg/__main__.py
            name = spec.name.rsplit(".", 2)[-2] if "." in spec.name else None
    if not name:
        path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else "")
        name = os.path.splitext(os.path.basename(path))[0] if path not in ("", "-c", "-") else None
    if not name or any(ord(c) < 0x20 or ord(c) == 0x7f for c in name):
        return None
    return name[:127]


class Publisher:
    """Streams tracked metrics to trainwatch monitors (libtrainwatch's tw_publisher).

    Every argument left None is decided by the environment, then the built-in default
    (see README): ``endpoint`` ("tcp://HOST:PORT" binds, ">tcp://HOST:PORT" connects to a
    listening monitor; default TRAINWATCH_ENDPOINT, else a local ipc socket the monitor finds
    by itself), ``run_name`` (the display name: TRAINWATCH_RUN, else the script's name and
    four hex digits of the run id, e.g. "train-3f9a"; names may repeat, runs are told apart by
    their run id, made per launch: see README "Run identity"; only ``resume`` joins an earlier
    run of the same name),
    ``log_dir`` (TRAINWATCH_LOG_DIR, else the line of ~/.config/trainwatch/config, else "./runs";
    "off" disables the run log; said once on stderr; logs are private, 0600), ``rank`` and
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
        self._strings = [_text(endpoint, "endpoint"), _text(run_name, "run_name"),
                         _text(log_dir, "log_dir", path=True),
                         _text(curve_secret_key, "curve_secret_key", path=True),
                         _text(curve_server_key, "curve_server_key", path=True),
                         _text(_program(), "program")]
        (o.endpoint, o.run_name, o.log_dir, o.curve_secret_key,
         o.curve_server_key, o.program) = self._strings
        o.insecure = -1 if insecure is None else int(bool(insecure))
        o.rank = _opt(rank, "rank", 0, INT_MAX - 1)
        o.world_size = _opt(world_size, "world_size", 1)
        o.ring_capacity = _opt(ring_capacity, "ring_capacity")
        o.heartbeat_ms = _opt(heartbeat_ms, "heartbeat_ms")
        o.linger_ms = _opt(linger_ms, "linger_ms")
        o.step_history = _opt(step_history, "step_history")
        o.on_diag = self._diag
        h = _c.tw_publisher_new(ctypes.byref(o))
        if not h:
            err = ctypes.get_errno()
            detail = "; ".join(self._diag_messages) or os.strerror(err)
            raise PublisherError(err, "cannot create the trainwatch publisher: " + detail)
        self._h = h
        if self.log_path:
            _tell_log_dir(self.log_path)

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
        """Sets hyperparameters of the run, shown by the monitor: numbers are sent as numbers
        (finite ones only: give str(x) to show a NaN), bytes as they are, anything else as its
        str(). Keys up to 127 bytes, text values up to 255, at most 128 keys; no NUL. Setting a
        key again replaces its value. A refused one raises ValueError saying why."""
        h = self._live()
        for key, value in params.items():
            k = _text(key, "param key")
            what = "param %r=%r" % (key, value)
            if not 0 < len(k) <= 127:
                raise ValueError("%s: a key is 1 to 127 bytes long" % what)
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise ValueError("%s: a number must be finite (give str(%r) to show it "
                                     "as text)" % (what, value))
                rc = _c.tw_publisher_set_param_number(h, k, float(value))
            else:
                v = _text(value if isinstance(value, bytes) else str(value), what)
                if len(v) > 255:
                    raise ValueError("%s: a value is at most 255 bytes" % what)
                rc = _c.tw_publisher_set_param(h, k, v)
            if rc != 0:
                raise ValueError("%s refused (at most 128 keys; control characters are not "
                                 "allowed)" % what)

    def set_plan(self, epochs=0, steps_per_epoch=0):
        """Announces the planned epochs and steps per epoch (0: unknown), for the monitor's
        progress bar. Integers from 0 to MAX_COUNT (2**53 - 1)."""
        epochs = _int(epochs or 0, "epochs", 0, MAX_COUNT)
        steps_per_epoch = _int(steps_per_epoch or 0, "steps_per_epoch", 0, MAX_COUNT)
        _c.tw_publisher_set_plan(self._live(), epochs, steps_per_epoch)

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
        rc = _c.tw_publisher_track(self._live(), metric._h, _text(name, "name"), _split(split))
        if rc != 0:
            raise ValueError("cannot track %r as %r/%s: already tracked, the name is taken "
                             "or too long" % (metric, name, split))
        self._tracked.append(metric)
        return metric

    def gauge(self, name, value, split="train"):
        """Publishes a value that is not averaged (learning rate, throughput); the epoch's
        value is the last one given."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError("gauge %r: the value must be a number, not %s"
                            % (name, type(value).__name__))
        rc = _c.tw_publisher_gauge(self._live(), _text(name, "name"), _split(split), float(value))
        if rc != 0:
            raise ValueError("cannot publish gauge %r/%s" % (name, split))

    def step(self):
        """One training step done: advances the x of the per-step curves. Never blocks."""
        if _c.tw_publisher_step(self._live()) != 0:
            raise OverflowError("the step counter is at its limit (2**53 - 1)")

    def epoch_end(self):
        """Publishes the epoch's value of every tracked metric updated in it, resets them
        and starts the next epoch."""
        rc = _c.tw_publisher_epoch_end(self._live())
        if rc == -errno.ERANGE:
            raise OverflowError("the epoch is at its limit (2**53 - 1)")
        if rc != 0:
            raise MemoryError("tw_publisher_epoch_end failed (%d)" % rc)

    def resume(self, epoch, step=0):
        """The run continues from a checkpoint: the open epoch is ``epoch`` (from 1) and the
        step counter ``step``, and this launch joins the latest earlier run of the same name,
        so that the monitor draws it as that run going on with a restart mark, not a new start
        at epoch 1. Call right after creating the publisher (before loading the model), before
        the first update or step: the run is announced at the first of those, or after one
        heartbeat interval. Integers up to 2**53 - 1."""
        epoch = _int(epoch, "epoch", 1, MAX_COUNT)
        step = _int(step, "step", 0, MAX_COUNT)
        rc = _c.tw_publisher_resume(self._live(), epoch, step)
        if rc == -errno.EBUSY:
            raise RuntimeError("resume() comes right after creating the publisher, before the "
                               "first update or step (the run was announced already)")
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
        """The run's id: made per launch, shared by the ranks of one launch (README, "Run
        identity")."""
        return _c.tw_publisher_run_id(self._live()).decode()

    @property
    def run_name(self):
        """The run's display name (may repeat across runs)."""
        return _c.tw_publisher_run_name(self._live()).decode()

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

