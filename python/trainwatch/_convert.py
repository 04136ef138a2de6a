"""Arguments as C gets them: exact, or refused with a TypeError or ValueError that says why
(ctypes alone would truncate, wrap or cut them short silently)."""
import numbers
import os

INT_MAX = 2**31 - 1  # C ints: the options, a metric's k and num_thresholds
MAX_COUNT = 2**53 - 1  # TW_PUBLISHER_MAX_COUNT: epochs, steps and plans (exact in JSON)


def integer(v, what, lo, hi):
    """v as a Python int in [lo, hi]: an integer (numpy's too), never a float, str or bool
    (ctypes would truncate it, or wrap it to another value, silently)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError("%s must be an integer, not %s" % (what, type(v).__name__))
    v = int(v)
    if not lo <= v <= hi:
        raise ValueError("%s=%d is out of range [%d, %d]" % (what, v, lo, hi))
    return v


def text(s, what, path=False):
    """s as the bytes C gets: a str (UTF-8), bytes as they are, a path (os.fsencode) when
    path; anything else is a TypeError, and a NUL (which would cut the C string short) a
    ValueError."""
    if s is None:
        return None
    if isinstance(s, bytes):
        b = s
    elif isinstance(s, str):
        b = s.encode("utf-8", "surrogateescape")
    elif path and isinstance(s, os.PathLike):
        b = os.fsencode(s)
    else:
        raise TypeError("%s must be str or bytes%s, not %s"
                        % (what, " or a path" if path else "", type(s).__name__))
    if b"\0" in b:
        raise ValueError("%s must not contain a NUL character: %r" % (what, s))
    return b
