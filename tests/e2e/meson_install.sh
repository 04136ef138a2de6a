#!/bin/sh
# meson_install.sh - end to end: `meson install --destdir` of the build, then what a C user and
# a shell user do with it: the README's C example built with pkg-config against the installed
# header and library, the installed `trainwatch --version`, `man -l` on the installed page,
# the installed bash completion (`complete -p trainwatch` once sourced, and through
# bash-completion's own loader where it is installed), and the Python package where the
# system's Python looks for it, loading its own library.
# Usage: meson_install.sh TRAINWATCH BUILD_DIR README [SANITIZE]
# (SANITIZE: the build's b_sanitize; a sanitized library is linked with the same flags, and
# not loaded into python3.)
set -u
. "$(dirname "$0")/lib.sh"
BUILT=$1
BUILD=$2
README=$3
SANITIZE=${4:-none}
san=""
[ "$SANITIZE" = none ] || san="-fsanitize=$SANITIZE"
T=$(mktemp -d /tmp/tw-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
D=$T/dest
unset PYTHONPATH TRAINWATCH_LIBRARY

if meson install -C "$BUILD" --destdir "$D" --no-rebuild >"$T/install.log" 2>&1; then
    ok "meson install --destdir"
else
    fail "meson install: $(tail -n 20 "$T/install.log")"
    echo "$passes passed, $failures failed"
    exit 1
fi
# Where meson put each file: the installed path of the first source whose path ends with $1.
installed() {
    meson introspect --installed "$BUILD" | /usr/bin/python3 -c '
import json, sys
for src, dst in json.load(sys.stdin).items():
    if src.endswith(sys.argv[1]):
        print(dst)
        break' "$1"
}
bin=$D$(installed /monitor/trainwatch)
man=$D$(installed /trainwatch.1)
completion=$D$(installed /trainwatch.bash)
pc=$D$(installed /trainwatch.pc)
pkg=$(dirname "$(installed /python/libtrainwatch.so)")
version=$("$BUILT" --version)

[ "$("$bin" --version)" = "$version" ] && ok "installed trainwatch --version: $version" ||
    fail "installed trainwatch --version: '$("$bin" --version 2>&1)', want '$version'"

if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man --warnings -l -P cat "$man" >"$T/man.out" 2>"$T/man.err"
    grep -q '^NAME' "$T/man.out" && grep -q 'trainwatch' "$T/man.out" && [ ! -s "$T/man.err" ] &&
        ok "man -l renders the installed page without warnings" ||
        fail "man -l $man: $(head -n 5 "$T/man.err")"
else
    echo "note: no man(1) here (Debian: man-db); the page's rendering is not checked"
fi

got=$(bash --norc --noprofile -c ". '$completion' && complete -p trainwatch" 2>&1)
case $got in
"complete "*"-F _trainwatch trainwatch") ok "the installed completion: $got" ;;
*) fail "complete -p trainwatch after sourcing: '$got'" ;;
esac
got=$(bash --norc --noprofile -c ". '$completion'; COMP_WORDS=(trainwatch --no-alert nonf); COMP_CWORD=2; _trainwatch; echo \"\${COMPREPLY[*]}\"")
[ "$got" = nonfinite ] && ok "it completes rule names (--no-alert nonf -> $got)" ||
    fail "--no-alert nonf completes to '$got'"
if [ -f /usr/share/bash-completion/bash_completion ]; then
    # bash-completion finds it by itself under the prefix's share/ (XDG_DATA_DIRS)
    share=$(dirname "$(dirname "$(dirname "$completion")")")
    got=$(XDG_DATA_DIRS="$share" bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion
__load_completion trainwatch; complete -p trainwatch' 2>&1)
    case $got in
    *"-F _trainwatch trainwatch") ok "bash-completion's loader finds it in $share" ;;
    *) fail "bash-completion's loader: '$got'" ;;
    esac
fi

# The README's C example, built as a C user builds it: pkg-config on the installed .pc.
sed -n '/<!-- readme-example: begin -->/,/<!-- readme-example: end -->/p' "$README" >"$T/section"
awk '/^```c$/{on=1;next} /^```$/{on=0} on' "$T/section" >"$T/example.c"
awk '/^```text$/{on=1;next} /^```$/{on=0} on' "$T/section" >"$T/expected"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$D pkg-config --cflags --libs trainwatch)
libdir=$(dirname "$(dirname "$pc")")
case $flags in
*"-I$D/"*" -L$libdir "*"-ltrainwatch"*) ok "pkg-config trainwatch: $flags" ;;
*) fail "pkg-config trainwatch: '$flags'" ;;
esac
# shellcheck disable=SC2086
if cc $san -std=c11 -Wall -Wextra -Werror "$T/example.c" $flags -o "$T/example" 2>"$T/cc.err" &&
    LD_LIBRARY_PATH=$libdir "$T/example" >"$T/actual" && diff -u "$T/expected" "$T/actual"; then
    ok "the README's C example builds with pkg-config and prints what the README says"
else
    fail "the README's C example: $(cat "$T/cc.err")"
fi

# The Python package: where /usr/bin/python3 searches (without the destdir), with its own
# library, found with no TRAINWATCH_LIBRARY.
site=$(dirname "${pkg#"$D"}")
/usr/bin/python3 -c "import sys; sys.exit('$site' not in sys.path and '$site' != __import__('site').getusersitepackages())" &&
    ok "the Python package is in $site, which /usr/bin/python3 searches" ||
    fail "the Python package is in $site, which /usr/bin/python3 does not search"
if [ "$SANITIZE" = none ]; then
    got=$(cd "$T" && PYTHONPATH=$D$site /usr/bin/python3 -c 'import trainwatch; print(trainwatch.library_path, trainwatch.__version__)' 2>&1)
    [ "$got" = "$D$pkg/libtrainwatch.so ${version#trainwatch }" ] &&
        ok "import trainwatch: its own library, version ${version#trainwatch }" ||
        fail "import trainwatch from the install: '$got' (want '$D$pkg/libtrainwatch.so')"
    # every module of the package is installed: trainwatch.torch where torch is
    if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        got=$(cd "$T" && PYTHONPATH=$D$site /usr/bin/python3 -c 'import trainwatch.torch as t; print(t.__file__)' 2>&1)
        [ "$got" = "$D$pkg/torch.py" ] && ok "import trainwatch.torch from the install" ||
            fail "import trainwatch.torch from the install: '$got'"
    fi
else
    echo "note: a $SANITIZE build: its library is not loaded into python3"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
