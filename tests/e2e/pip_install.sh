#!/bin/sh
# pip_install.sh - end to end: `pip install --no-build-isolation .` of a copy of the source tree
# into a fresh virtual environment; then, from a directory outside the tree and with neither
# PYTHONPATH nor TRAINWATCH_LIBRARY set, the package is imported, publishes a short run, and
# the environment's own `trainwatch` (the launcher, execing the monitor from the venv's
# libexec/trainwatch/) reads it back (--once, --jsonl); `pip uninstall` removes
# every file it installed. Then the same for `pip install -e .` (an editable install: a change
# to the source shows without reinstalling).
# Usage: pip_install.sh TRAINWATCH SOURCE_ROOT (TRAINWATCH, the build's monitor, says which
# version the installed one must report)
# The pip build compiles the library and the monitor (no test suite): about 10 to 40 s on two
# busy cores; the editable one builds them again in the copy's build/.
set -u
. "$(dirname "$0")/lib.sh"
BUILT=$1
SRC=$2
PY=/usr/bin/python3 # Debian's: its numpy and meson-python (python3-mesonpy)
if ! $PY -c 'import mesonpy, venv' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks meson-python or venv (Debian: python3-mesonpy python3-venv)"
    exit 77
fi
T=$(mktemp -d /tmp/tw-pip-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
unset PYTHONPATH TRAINWATCH_LIBRARY TRAINWATCH_ENDPOINT TRAINWATCH_RUN
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

mkdir "$T/src"
copy_tree "$SRC" "$T/src"

$PY -m venv --system-site-packages "$T/venv"
V=$T/venv
start=$(date +%s)
if (cd "$T/src" && "$V/bin/pip" install --no-build-isolation . >"$T/pip.log" 2>&1); then
    ok "pip install --no-build-isolation . ($(($(date +%s) - start)) s)"
else
    fail "pip install failed:"
    tail -n 30 "$T/pip.log"
    echo "$passes passed, $failures failed"
    exit 1
fi
rm -rf "$T/src/build" # nothing may come from a build tree

# A short run, published from outside the tree.
mkdir "$T/work"
cat >"$T/publish.py" <<'EOF'
import os, sys
import numpy as np
import trainwatch
here = os.path.dirname(trainwatch.__file__)
assert trainwatch.library_path == os.path.join(here, "libtrainwatch.so"), trainwatch.library_path
assert trainwatch.__version__ == trainwatch.library_version(), trainwatch.__version__
print("version", trainwatch.__version__)
with trainwatch.Publisher(run_name="pip-run", log_dir=sys.argv[1]) as pub:
    loss = pub.track(trainwatch.metrics.Mean(), "loss")
    acc = pub.track(trainwatch.metrics.BinaryAccuracy(), "accuracy", split="val")
    for epoch in range(3):
        loss.update_state(np.array([1.0 / (epoch + 1), 0.5 / (epoch + 1)]))
        acc.update_state(np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.9, 0.2, 0.6 - 0.1 * epoch, 0.8]))
        pub.epoch_end()
EOF
if (cd "$T/work" && "$V/bin/python" "$T/publish.py" "$T/work/runs") >"$T/publish.out" 2>&1; then
    ok "import trainwatch from outside the tree: the package's own library, one version"
else
    fail "publishing from the venv: $(cat "$T/publish.out")"
fi

# The environment's monitor, found on PATH as a user of the venv finds it.
tw=$(PATH="$V/bin:/usr/bin:/bin" command -v trainwatch)
[ "$tw" = "$V/bin/trainwatch" ] && ok "trainwatch on the venv's PATH: $tw" ||
    fail "trainwatch on the venv's PATH is '$tw'"
# bin/trainwatch is the launcher; the monitor it execs is in the data scheme's libexec/
[ -x "$V/libexec/trainwatch/trainwatch" ] && ! cmp -s "$V/bin/trainwatch" "$V/libexec/trainwatch/trainwatch" &&
    ok "the monitor is in the venv's libexec/trainwatch/, bin/trainwatch the launcher" ||
    fail "no monitor in $V/libexec/trainwatch/: $(ls -R "$V/libexec" 2>&1)"
version=$(grep '^version' "$T/publish.out" | cut -d' ' -f2)
[ "$("$BUILT" --version)" = "trainwatch $version" ] || fail "the build's monitor is not $version"
[ "$("$tw" --version)" = "trainwatch $version" ] && ok "trainwatch --version says $version" ||
    fail "trainwatch --version: '$("$tw" --version)', the package: '$version'"
(cd "$T/work" && "$tw" --once runs) >"$T/once.out" 2>&1
grep -q 'pip-run' "$T/once.out" && grep -q 'loss' "$T/once.out" &&
    ok "the venv's trainwatch --once shows the run" || fail "--once: $(cat "$T/once.out")"
(cd "$T/work" && "$tw" --jsonl --until-end runs) >"$T/run.jsonl" 2>"$T/jsonl.err"
# epoch 3's loss is the mean of 1/3 and 1/6; its val accuracy 3 of 4 (0.4 is below 0.5)
l3=$(grep '"type":"epoch_value"' "$T/run.jsonl" | grep '"metric":"loss"' | grep '"epoch":3,' |
    grep '"final":true' | sed 's/.*"value":\([^,]*\),.*/\1/' | xargs printf '%.4f')
a3=$(grep '"type":"epoch_value"' "$T/run.jsonl" | grep '"metric":"accuracy"' | grep '"epoch":3,' |
    grep '"final":true' | sed 's/.*"value":\([^,]*\),.*/\1/' | xargs printf '%.4f')
[ "$l3" = 0.2500 ] && [ "$a3" = 0.7500 ] && ok "--jsonl reads back epoch 3: loss $l3, accuracy $a3" ||
    fail "--jsonl epoch 3: loss '$l3' (want 0.2500), accuracy '$a3' (want 0.7500): $(cat "$T/jsonl.err")"

# pip uninstall removes every file the install put down.
"$V/bin/pip" show -f trainwatch | sed -n '/^Files:/,$p' | tail -n +2 | sed 's/^ *//' >"$T/files"
site=$("$V/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
n=$(wc -l <"$T/files")
"$V/bin/pip" uninstall -y trainwatch >"$T/uninstall.log" 2>&1 || fail "pip uninstall: $(cat "$T/uninstall.log")"
left=""
while read -r f; do
    [ -e "$site/$f" ] && left="$left $f"
done <"$T/files"
[ "$n" -ge 9 ] && [ -z "$left" ] && [ ! -e "$V/bin/trainwatch" ] && [ ! -e "$site/trainwatch" ] &&
    [ ! -e "$V/libexec/trainwatch/trainwatch" ] &&
    ok "pip uninstall removed all $n files (package, library, bin/trainwatch, the monitor)" ||
    fail "pip uninstall left:$left (of $n files)"
(cd "$T/work" && "$V/bin/python" -c 'import trainwatch' 2>/dev/null) &&
    fail "trainwatch still imports after pip uninstall" || ok "nothing imports after pip uninstall"

# Editable: the copy's build/ is configured without the test suite first (pip -e builds what
# is configured there, configuring it as ./dev does only when it is missing).
start=$(date +%s)
if meson setup "$T/src/build" "$T/src" -Dtests=false >"$T/setup.log" 2>&1 &&
    (cd "$T/src" && "$V/bin/pip" install --no-build-isolation -e . >"$T/pip-e.log" 2>&1); then
    ok "pip install -e . ($(($(date +%s) - start)) s)"
else
    fail "pip install -e failed: $(tail -n 30 "$T/setup.log" "$T/pip-e.log")"
fi
echo '__edited__ = "yes"' >>"$T/src/python/trainwatch/__init__.py"
out=$(cd "$T/work" && "$V/bin/python" -c 'import trainwatch; print(trainwatch.__edited__, trainwatch.library_path)' 2>&1)
[ "$out" = "yes $T/src/build/publisher/libtrainwatch.so" ] &&
    ok "editable: a change to the source shows at once; the library is build/'s" ||
    fail "editable import: '$out'"
"$V/bin/trainwatch" --version | grep -q "^trainwatch $version\$" &&
    ok "editable: the venv's trainwatch runs build/monitor/trainwatch" ||
    fail "editable trainwatch --version: $("$V/bin/trainwatch" --version 2>&1)"
"$V/bin/pip" uninstall -y trainwatch >"$T/uninstall.log" 2>&1
[ ! -e "$V/bin/trainwatch" ] && ! ls "$site" | grep -q trainwatch &&
    ok "pip uninstall of the editable install leaves nothing" ||
    fail "after uninstalling the editable install: $(ls "$site" | grep trainwatch) $(ls "$V/bin")"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
