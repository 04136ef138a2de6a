"""pip's build backend for trainwatch: meson-python, plus editable installs (internal).

Everything but ``pip install -e`` is meson-python's (``mesonpy``): a wheel of the Python
package with libtrainwatch inside it and the ``trainwatch`` monitor as a script.
meson-python 0.12 (Debian 12) has no editable installs, so ``build_editable`` is here: it
builds the source tree's ``build/`` as ``./dev build`` does (configuring it the first time),
and makes a wheel that puts ``python/`` on ``sys.path`` (a ``.pth`` file; the binding then
loads ``build/publisher/libtrainwatch.so``) and a ``trainwatch`` script that runs
``build/monitor/trainwatch``. Python changes show at once; C changes after ``ninja -C build``.
"""
import base64
import hashlib
import os
import stat
import subprocess
import sys
import zipfile

from mesonpy import *  # noqa: F401,F403 - the backend's hooks
import mesonpy

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BUILD = os.path.join(_ROOT, "build")


def _run(*cmd):
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def _version():
    """meson.build's project version, as `meson introspect` reads it."""
    import json
    out = subprocess.run(["meson", "introspect", "--projectinfo", _BUILD], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["version"]


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: builds build/ and writes an editable wheel into wheel_directory."""
    if not os.path.exists(os.path.join(_BUILD, "build.ninja")):
        _run("meson", "setup", _BUILD, _ROOT, "-Dwerror=true")
    _run("ninja", "-C", _BUILD)
    version = _version()
    dist = "trainwatch-%s.dist-info" % version
    script = ("#!/bin/sh\n# trainwatch, editable install: the monitor of %s\nexec %s \"$@\"\n"
              % (_ROOT, _quote(os.path.join(_BUILD, "monitor", "trainwatch"))))
    files = {
        "trainwatch_editable.pth": (os.path.join(_ROOT, "python") + "\n").encode(),
        "trainwatch-%s.data/scripts/trainwatch" % version: script.encode(),
        dist + "/METADATA": ("Metadata-Version: 2.1\nName: trainwatch\nVersion: %s\n"
                             "Summary: trainwatch, editable from %s\n" % (version, _ROOT)).encode(),
        dist + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: trainwatch_build\n"
                         b"Root-Is-Purelib: false\nTag: py3-none-any\n",
    }
    name = "trainwatch-%s-py3-none-any.whl" % version
    record = [_record_line(n, d) for n, d in files.items()] + [dist + "/RECORD,,"]
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as whl:
        for n, d in files.items():
            info = zipfile.ZipInfo(n)
            info.external_attr = (stat.S_IFREG | (0o755 if n.endswith("/trainwatch") else 0o644)) << 16
            whl.writestr(info, d)
        whl.writestr(dist + "/RECORD", "\n".join(record) + "\n")
    return name


def get_requires_for_build_editable(config_settings=None):
    return mesonpy.get_requires_for_build_wheel(config_settings)


def _quote(path):
    return "'" + path.replace("'", "'\\''") + "'"
