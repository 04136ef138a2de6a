"""Loading libtrainwatch and declaring its C API for ctypes (internal).

The shared library is searched for, in order:

1. the path in the ``TRAINWATCH_LIBRARY`` environment variable (a file; when it is set, nothing
   else is tried);
2. ``libtrainwatch.so`` beside this file: the package's own copy, which ``pip install`` and
   ``meson install`` put there;
3. ``build/publisher/libtrainwatch.so`` of the source tree this package sits in
   (``python/trainwatch/../../build/publisher/``: a checkout, or ``pip install -e``);
4. the system's library search path, through ``ctypes.util.find_library("trainwatch")``.

A library that is found but needs a system library that is missing (libzmq, msgpack-c) is
reported in one line naming the package that provides it.
"""
import ctypes
import ctypes.util
import os

__all__ = ["LibraryNotFoundError", "lib", "library_path", "MetricOptions", "PublisherOptions",
           "PublisherStats", "DIAG_FN"]


class LibraryNotFoundError(ImportError):
    """libtrainwatch could not be loaded; the message lists every place that was tried."""


def _candidates():
    env = os.environ.get("TRAINWATCH_LIBRARY")
    if env:
        return [("TRAINWATCH_LIBRARY", env)]
    here = os.path.dirname(os.path.abspath(__file__))
    own = os.path.join(here, "libtrainwatch.so")
    tree = os.path.normpath(os.path.join(here, "..", "..", "build", "publisher", "libtrainwatch.so"))
    found = ctypes.util.find_library("trainwatch")
    return [("the package's own copy", own if os.path.exists(own) else None),
            ("the source tree's build directory", tree if os.path.exists(tree) else None),
            ("ctypes.util.find_library('trainwatch')", found)]


# The system libraries libtrainwatch needs, by the start of their file name, and the package
# that provides each on Debian/Ubuntu, Fedora and Homebrew.
_PROVIDERS = (("libzmq", "ZeroMQ", "libzmq5", "zeromq", "zeromq"),
              ("libmsgpack", "msgpack-c", "libmsgpackc2", "msgpack", "msgpack"),
              ("libsodium", "libsodium", "libsodium23", "libsodium", "libsodium"),
              ("libzstd", "zstd", "libzstd1", "libzstd", "zstd"))


def missing_dependency(message):
    """For a loader error such as "libzmq.so.5: cannot open shared object file", one line
    naming the missing library and its packages; None when it is not about one of them."""
    for prefix, what, deb, fedora, brew in _PROVIDERS:
        if prefix in message and ("cannot open" in message or "not found" in message
                                  or "No such file" in message):
            lib_name = message.split(":")[0].strip() if message.startswith(prefix) else prefix
            return ("trainwatch needs %s (%s), which is not installed: apt install %s (Debian, "
                    "Ubuntu), dnf install %s (Fedora), brew install %s (Homebrew)"
                    % (what, lib_name, deb, fedora, brew))
    return None


def _load():
    tried = []
    for what, path in _candidates():
        if not path:
            tried.append("%s: not found" % what)
            continue
        try:
            return ctypes.CDLL(path, use_errno=True), path
        except OSError as e:
            missing = missing_dependency(str(e))
            if missing:
                raise LibraryNotFoundError(missing) from None
            tried.append("%s: %s: %s" % (what, path, e))
    raise LibraryNotFoundError(
        "cannot load libtrainwatch (install the package with `pip install .` at the top of "
        "trainwatch's source tree, build it with `./dev build`, or set TRAINWATCH_LIBRARY to "
        "the path of libtrainwatch.so); tried:\n  " + "\n  ".join(tried))


lib, library_path = _load()


class MetricOptions(ctypes.Structure):
    """struct tw_metric_options."""
    _fields_ = [("threshold", ctypes.c_double), ("k", ctypes.c_int),
                ("num_thresholds", ctypes.c_int), ("curve", ctypes.c_int),
                ("summation", ctypes.c_int)]


# void (*tw_diag_fn)(void *ctx, tw_log_level level, int err, const char *message)
DIAG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_char_p)


class PublisherOptions(ctypes.Structure):
    """struct tw_publisher_options."""
    _fields_ = [("endpoint", ctypes.c_char_p), ("run_name", ctypes.c_char_p),
                ("log_dir", ctypes.c_char_p), ("rank", ctypes.c_int),
                ("world_size", ctypes.c_int), ("ring_capacity", ctypes.c_int),
                ("heartbeat_ms", ctypes.c_int), ("linger_ms", ctypes.c_int),
                ("step_history", ctypes.c_int), ("on_diag", DIAG_FN),
                ("diag_ctx", ctypes.c_void_p), ("zmq_context", ctypes.c_void_p),
                ("curve_secret_key", ctypes.c_char_p), ("curve_server_key", ctypes.c_char_p),
                ("insecure", ctypes.c_int), ("program", ctypes.c_char_p)]


class PublisherStats(ctypes.Structure):
    """struct tw_publisher_stats."""
    _fields_ = [(n, ctypes.c_ulonglong) for n in
                ("records", "dropped", "sent", "send_drops", "messages", "replays",
                 "log_frames", "log_errors")]


_P = ctypes.c_void_p
_S = ctypes.c_size_t
_D = ctypes.c_double
_I = ctypes.c_int
_C = ctypes.c_char_p


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


_declare("tw_version", _C)
_declare("tw_metric_defaults", MetricOptions)
_declare("tw_metric_new", _P, _I, ctypes.POINTER(MetricOptions))
# Arrays are passed as raw addresses (c_void_p): NumPy's data pointer goes through untouched.
_declare("tw_metric_update_state", _I, _P, _P, _P, _P, _S, _S)
_declare("tw_metric_update_values", _I, _P, _P, _P, _S, _S)
_declare("tw_metric_update_scalar", _I, _P, _D, _D)
_declare("tw_metric_result", _D, _P)
_declare("tw_metric_stderr", _D, _P)
_declare("tw_metric_reset_state", None, _P)
_declare("tw_metric_merge_state", _I, _P, _P)
_declare("tw_metric_destroy", None, ctypes.POINTER(_P))
_declare("tw_metric_kind_of", _I, _P)
_declare("tw_metric_options_of", MetricOptions, _P)
_declare("tw_metric_state_size", _S, _P)
_declare("tw_metric_state", ctypes.POINTER(_D), _P)
_declare("tw_metric_set_state", _I, _P, ctypes.POINTER(_D), _S)
_declare("tw_metric_add_state", _I, _P, ctypes.POINTER(_D), _S)
_declare("tw_metric_kind_name", _C, _I)
_declare("tw_metric_kind_from_name", _I, _C)
_declare("tw_metric_new_opts", _P, _I, _C)
_declare("tw_metric_options_check", _I, _I, _C, ctypes.c_char_p, _S)
_declare("tw_metric_options_string", _C, _P)
_declare("tw_metric_result_vector", _I, _P, ctypes.POINTER(_D), _S)
_declare("tw_metric_update_slots", _I, _P, ctypes.POINTER(_D), _S)
_declare("tw_metric_fn", _I, _C, _C, _P, _P, _S, _S, ctypes.POINTER(_D))

_declare("tw_publisher_defaults", PublisherOptions)
_declare("tw_publisher_new", _P, ctypes.POINTER(PublisherOptions))
_declare("tw_publisher_set_param", _I, _P, _C, _C)
_declare("tw_publisher_set_param_number", _I, _P, _C, _D)
_declare("tw_publisher_set_plan", _I, _P, ctypes.c_ulong, ctypes.c_ulong)
_declare("tw_publisher_track", _I, _P, _P, _C, _I)
_declare("tw_publisher_gauge", _I, _P, _C, _I, _D)
_declare("tw_publisher_step", _I, _P)
_declare("tw_publisher_epoch_end", _I, _P)
_declare("tw_publisher_epoch", ctypes.c_ulong, _P)
_declare("tw_publisher_resume", _I, _P, ctypes.c_ulong, ctypes.c_ulonglong)
_declare("tw_publisher_set_status", _I, _P, _I)
_declare("tw_publisher_endpoint", _C, _P)
_declare("tw_publisher_run_id", _C, _P)
_declare("tw_publisher_run_name", _C, _P)
_declare("tw_publisher_log_path", _C, _P)
_declare("tw_publisher_get_stats", PublisherStats, _P)
_declare("tw_publisher_destroy", None, ctypes.POINTER(_P))
