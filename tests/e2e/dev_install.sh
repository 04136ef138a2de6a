#!/bin/sh
# dev_install.sh - end to end: `./dev install PREFIX` in a copy of the source tree (HOME a
# temporary directory): it says what went where and whether PREFIX/bin is on PATH, and what
# it installed works: the command, the man page, the completion, the Python package.
# Usage: dev_install.sh TRAINWATCH SOURCE_ROOT
# It builds the library and the monitor without the tests (build-install/ of the copy).
set -u
. "$(dirname "$0")/lib.sh"
BUILT=$1
SRC=$2
T=$(mktemp -d /tmp/tw-devinstall-XXXXXX)
trap 'rm -rf "$T"' EXIT
unset PYTHONPATH TRAINWATCH_LIBRARY
mkdir "$T/src" "$T/home"
copy_tree "$SRC" "$T/src"
P=$T/prefix
start=$(date +%s)
if (cd "$T/src" && HOME=$T/home PATH=/usr/bin:/bin ./dev install "$P") >"$T/out" 2>&1; then
    ok "./dev install PREFIX ($(($(date +%s) - start)) s)"
else
    fail "./dev install: $(tail -n 20 "$T/out")"
fi
grep -q "^dev: installed into $P:" "$T/out" && grep -q "PREFIX/bin/ *trainwatch" "$T/out" &&
    grep -q "libtrainwatch.so" "$T/out" && grep -q "trainwatch.1" "$T/out" &&
    ok "it lists what went where" || fail "no list of what went where: $(cat "$T/out")"
grep -q "$P/bin is NOT on your PATH: add  export PATH=\"$P/bin:\$PATH\"" "$T/out" &&
    ok "it says PREFIX/bin is not on PATH, and what to add" || fail "PATH advice: $(grep PATH "$T/out")"
[ "$("$P/bin/trainwatch" --version)" = "$("$BUILT" --version)" ] &&
    ok "PREFIX/bin/trainwatch runs: $("$P/bin/trainwatch" --version)" ||
    fail "PREFIX/bin/trainwatch --version: $("$P/bin/trainwatch" --version 2>&1)"
[ -x "$P/libexec/trainwatch/trainwatch" ] && grep -q "PREFIX/libexec/trainwatch/ *trainwatch" "$T/out" &&
    ok "the monitor the command execs is PREFIX/libexec/trainwatch/trainwatch" ||
    fail "no PREFIX/libexec/trainwatch/trainwatch: $(cat "$T/out")"
[ -f "$P/share/man/man1/trainwatch.1" ] && [ -f "$P/share/bash-completion/completions/trainwatch.bash" ] &&
    [ -f "$P/share/zsh/site-functions/_trainwatch" ] &&
    ok "the man page and the bash and zsh completions are under PREFIX/share" ||
    fail "no man page or completion under $P/share"
# On PATH, it says so.
(cd "$T/src" && HOME=$T/home PATH="$P/bin:/usr/bin:/bin" ./dev install "$P") >"$T/out2" 2>&1
grep -q "$P/bin is on your PATH" "$T/out2" && ok "a second install, PREFIX/bin on PATH: it says so" ||
    fail "with PREFIX/bin on PATH: $(grep PATH "$T/out2")"
pkg=$(find "$P" -name __init__.py -path '*trainwatch/__init__.py')
got=$(cd "$T" && PYTHONPATH=$(dirname "$(dirname "$pkg")") /usr/bin/python3 -c 'import trainwatch; print(trainwatch.library_path)' 2>&1)
[ "$got" = "$(dirname "$pkg")/libtrainwatch.so" ] && ok "the Python package loads its own library" ||
    fail "import trainwatch from PREFIX: '$got'"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
