"""Helpers of the Python tests: the monitor binary, --jsonl of a run log, temp dirs."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def free_port():
    """A TCP port on 127.0.0.1 that nothing has bound now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trainwatch_bin():
    """The monitor: TRAINWATCH_BIN (set by meson), else build/monitor/trainwatch."""
    b = os.environ.get("TRAINWATCH_BIN") or os.path.join(ROOT, "build", "monitor", "trainwatch")
    if not os.access(b, os.X_OK):
        raise unittest.SkipTest("no trainwatch binary (set TRAINWATCH_BIN): %s" % b)
    return b


def jsonl(*sources, timeout=60):
    """The objects `trainwatch --jsonl SOURCES` prints."""
    out = subprocess.run([trainwatch_bin(), "--jsonl"] + list(sources), capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError("trainwatch --jsonl exited %d: %s" % (out.returncode, out.stderr))
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def have(module):
    """Whether `module` can be imported (python3-torch, python3-sklearn: ./dev deps)."""
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def run_ids(records, name):
    """The run ids whose run records carry display name `name` (names may repeat: a run is
    its id)."""
    return {r["run"] for r in records if r["type"] == "run" and r.get("name") == name}


def epoch_values(records, run=None):
    """{(metric, split, epoch): value} of the final epoch_value records (of the run named
    `run`)."""
    ids = None
    if run is not None:
        ids = run_ids(records, run) or {run}  # a resumed run: its launches' ids
    return {(r["metric"], r["split"], r["epoch"]): r["value"] for r in records
            if r["type"] == "epoch_value" and r.get("final") and (ids is None or r["run"] in ids)}


class TempDirTest(unittest.TestCase):
    """A test with self.tmp, a fresh directory, and a private XDG_RUNTIME_DIR (so that the
    registry of live runs is this test's own)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tw-py-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        rt = os.path.join(self.tmp, "rt")
        os.mkdir(rt, 0o700)
        old = os.environ.get("XDG_RUNTIME_DIR")
        os.environ["XDG_RUNTIME_DIR"] = rt
        self.addCleanup(self._restore, old)

    @staticmethod
    def _restore(old):
        if old is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = old
