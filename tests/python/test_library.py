"""Loading libtrainwatch: a missing system library (libzmq, msgpack-c) at import is one line
naming the package that provides it; TRAINWATCH_LIBRARY wins over the package's own copy."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import twtest


def _cc():
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise unittest.SkipTest("no C compiler to make a library with a missing dependency")
    return cc


class MissingDependency(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tw-py-lib-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def _lib_needing(self, soname):
        """A real shared library whose DT_NEEDED names soname, which then does not exist (a
        version no system has: the real libzmq.so.5 would be found)."""
        stub_c = os.path.join(self.tmp, "stub.c")
        with open(stub_c, "w") as f:
            f.write("int tw_stub(void) { return 0; }\n")
        stub = os.path.join(self.tmp, soname)
        lib = os.path.join(self.tmp, "libtrainwatch.so")
        subprocess.run([_cc(), "-shared", "-fPIC", "-o", stub, "-Wl,-soname," + soname, stub_c],
                       check=True)
        subprocess.run([_cc(), "-shared", "-fPIC", "-o", lib, stub_c, "-Wl,--no-as-needed",
                        stub], check=True)
        os.unlink(stub)
        return lib

    def _import_with(self, lib):
        env = dict(os.environ, TRAINWATCH_LIBRARY=lib, PYTHONPATH=os.path.join(twtest.ROOT, "python"))
        return subprocess.run([sys.executable, "-c", "import trainwatch"], capture_output=True,
                              text=True, env=env, cwd=self.tmp, timeout=60)

    def test_missing_libzmq_names_its_packages(self):
        out = self._import_with(self._lib_needing("libzmq.so.99"))
        self.assertNotEqual(out.returncode, 0)
        last = out.stderr.strip().splitlines()[-1]
        self.assertIn("LibraryNotFoundError: trainwatch needs ZeroMQ (libzmq.so.99), which is not "
                      "installed: apt install libzmq5 (Debian, Ubuntu), dnf install zeromq "
                      "(Fedora), brew install zeromq (Homebrew)", last)

    def test_missing_msgpack_names_its_packages(self):
        out = self._import_with(self._lib_needing("libmsgpackc.so.99"))
        self.assertNotEqual(out.returncode, 0)
        last = out.stderr.strip().splitlines()[-1]
        self.assertIn("trainwatch needs msgpack-c (libmsgpackc.so.99)", last)
        self.assertIn("apt install libmsgpackc2", last)

    def test_a_library_that_is_not_there_lists_what_was_tried(self):
        out = self._import_with(os.path.join(self.tmp, "nothing.so"))
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("cannot load libtrainwatch", out.stderr)
        self.assertIn("TRAINWATCH_LIBRARY: " + os.path.join(self.tmp, "nothing.so"), out.stderr)


if __name__ == "__main__":
    unittest.main()
