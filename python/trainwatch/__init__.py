"""trainwatch: Keras-compatible streaming metrics and live training curves.

A pure-Python binding (ctypes) of libtrainwatch::

    import trainwatch
    with trainwatch.Publisher(run_name="digits") as pub:
        acc = pub.track(trainwatch.metrics.BinaryAccuracy(), "accuracy", split="val")
        acc.update_state(y_true, y_pred)
        pub.epoch_end()

Modules: :mod:`trainwatch.metrics` (the metric classes), :class:`trainwatch.Publisher`,
:mod:`trainwatch.keras` (a Keras callback), :mod:`trainwatch.torch` (PyTorch: the metrics on
tensors of any device, torchmetrics' names, the ``Trainwatch`` loop helper, DDP; imported on
its own, ``import trainwatch.torch``, as it needs torch), :mod:`trainwatch.optuna` (each trial
of an Optuna study a run; imported on demand, it needs Optuna). The shared library is found through
TRAINWATCH_LIBRARY, beside this file (``pip install``, ``meson install``), in the source tree's
build (build/publisher/), or on the system's library path; :data:`library_path` says which one
was loaded.
"""
from . import _lib, metrics
from ._lib import LibraryNotFoundError, library_path
from .publisher import Publisher, PublisherError

__all__ = ["metrics", "Publisher", "PublisherError", "LibraryNotFoundError", "library_path",
           "library_version", "__version__"]



def library_version():
    """The loaded libtrainwatch's version string ("MAJOR.MINOR.PATCH")."""
    return _lib.lib.tw_version().decode()


# One version for the library, the package and the monitor: the project's (meson.build).
__version__ = library_version()
