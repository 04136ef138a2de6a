#!/bin/sh
# meson_install.sh - end to end: `meson install --destdir` of the build, then what a C user and
# a shell user do with it: the README's C example built with pkg-config against the installed
# header and library, the installed `trainwatch --version`, `man -l` on the installed page,
# the installed bash completion (`complete -p trainwatch` once sourced, and through
# bash-completion's own loader where it is installed), the zsh one (found by compinit where zsh
# is installed), and the Python package where the
# system's Python looks for it, loading its own library. The installed `trainwatch` is the
# launcher (monitor/launcher/): linked against libc alone, it execs the monitor from
# libexec/trainwatch/ with the same pid, arguments and exit status, and a library the monitor
# needs that is missing is said in one line (exit 127), checked on stand-in monitors built
# here whose libraries are gone.
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
bin=$D$(installed /launcher/trainwatch)
real=$D$(installed /monitor/trainwatch)
man=$D$(installed /trainwatch.1)
completion=$D$(installed /trainwatch.bash)
pc=$D$(installed /trainwatch.pc)
pkg=$(dirname "$(installed /python/libtrainwatch.so)")
version=$("$BUILT" --version)

[ "$("$bin" --version)" = "$version" ] && ok "installed trainwatch --version: $version" ||
    fail "installed trainwatch --version: '$("$bin" --version 2>&1)', want '$version'"

[ "$(dirname "$(dirname "$real")")" = "$(dirname "$(dirname "$bin")")/libexec" ] &&
    [ "${bin##*/}" = trainwatch ] && [ "${real##*/}" = trainwatch ] &&
    ok "the command is bin/trainwatch, the monitor libexec/trainwatch/trainwatch" ||
    fail "installed: the command $bin, the monitor $real"
if [ "$SANITIZE" = none ] && command -v readelf >/dev/null 2>&1; then
    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v -x -e libc.so.6 -e libdl.so.2)
    [ -z "$needed" ] && ok "the command links libc alone" || fail "the command needs: $needed"
fi
# Stand-in monitors under a copy of the command, in the installed layout: each prints its pid
# and arguments and exits with its first argument; their libraries are built here, then some
# removed (-Wl,-rpath: the launcher searches the monitor's run path as the loader does).
L=$T/launch
mkdir -p "$L/bin" "$L/libexec/trainwatch" "$L/lib"
cp "$bin" "$L/bin/trainwatch"
printf 'int tw_stub(void);\nint tw_stub(void) { return 1; }\n' >"$T/stub.c"
printf 'int tw_stub(void);\nint tw_top(void);\nint tw_top(void) { return tw_stub(); }\n' >"$T/top.c"
printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' '#include <unistd.h>' \
    'int main(int argc, char **argv)' '{' '    printf("pid %ld", (long)getpid());' \
    '    for (int i = 0; i < argc; i++)' '        printf(" [%s]", argv[i]);' \
    '    printf("\n");' '    return argc > 1 ? atoi(argv[1]) : 0;' '}' >"$T/fake.c"
stand_in() { # NAME LIBS...: a stand-in monitor linked against LIBS (-lNAME, from $L/lib)
    name=$1
    shift
    # shellcheck disable=SC2016,SC2086
    cc $san -o "$L/$name" "$T/fake.c" -L"$L/lib" -Wl,--no-as-needed "$@" \
        -Wl,-rpath,'$ORIGIN/../../lib' 2>>"$T/cc.log"
}
# shellcheck disable=SC2086
library() { # NAME SONAME SOURCE LIBS...: $L/lib/SONAME and its link-time name libNAME.so
    name=$1 soname=$2 source=$3
    shift 3
    cc $san -shared -fPIC -o "$L/lib/$soname" -Wl,-soname,"$soname" "$source" -L"$L/lib" "$@" \
        2>>"$T/cc.log" && ln -s "$soname" "$L/lib/lib$name.so"
}
# shellcheck disable=SC2016
library zmq libzmq.so.404 "$T/stub.c" && library msgpackc libmsgpackc.so.404 "$T/stub.c" &&
    library twtop libtwtop.so.1 "$T/top.c" -lmsgpackc -Wl,-rpath,'$ORIGIN' &&
    stand_in ok -ltwtop -Wl,-rpath-link,"$L/lib" && stand_in nozmq -lzmq &&
    stand_in nomsgpack -ltwtop -Wl,-rpath-link,"$L/lib" ||
    fail "building the stand-in monitors: $(cat "$T/cc.log")"
rm -f "$L/lib/libzmq.so" "$L/lib/libzmq.so.404"
run_launcher() { # STAND_IN ARGS...: the copied command with STAND_IN as its monitor
    cp "$L/$1" "$L/libexec/trainwatch/trainwatch"
    shift
    "$L/bin/trainwatch" "$@" >"$T/launch.out" 2>"$T/launch.err"
}
# shellcheck disable=SC2086
cp "$L/ok" "$L/libexec/trainwatch/trainwatch"
"$L/bin/trainwatch" 7 a 'b c' >"$T/launch.out" 2>"$T/launch.err" &
pid=$!
wait "$pid"
rc=$?
[ "$rc" = 7 ] && [ "$(cat "$T/launch.out")" = "pid $pid [$L/bin/trainwatch] [7] [a] [b c]" ] &&
    [ ! -s "$T/launch.err" ] &&
    ok "the command execs the monitor: same pid, argv unchanged, exit status 7 passed through" ||
    fail "exec of the monitor: status $rc, '$(cat "$T/launch.out" "$T/launch.err")' (pid $pid)"
run_launcher nozmq 0
rc=$?
want="trainwatch needs ZeroMQ (libzmq.so.404), which is not installed: apt install libzmq5 (Debian, Ubuntu), dnf install zeromq (Fedora), brew install zeromq (Homebrew)"
[ "$rc" = 127 ] && [ "$(cat "$T/launch.err")" = "$want" ] && [ ! -s "$T/launch.out" ] &&
    ok "libzmq missing: one line naming its packages, exit 127" ||
    fail "libzmq missing: status $rc, '$(cat "$T/launch.err" "$T/launch.out")'"
"$L/libexec/trainwatch/trainwatch" 2>&1 | grep -q 'error while loading shared libraries' ||
    fail "the stand-in without its libzmq runs by itself"
rm -f "$L/lib/libmsgpackc.so" "$L/lib/libmsgpackc.so.404"
run_launcher nomsgpack 0
rc=$?
want="trainwatch needs msgpack-c (libmsgpackc.so.404, for libtwtop.so.1), which is not installed: apt install libmsgpackc2 (Debian, Ubuntu), dnf install msgpack (Fedora), brew install msgpack (Homebrew)"
[ "$rc" = 127 ] && [ "$(cat "$T/launch.err")" = "$want" ] &&
    ok "a library's own missing library, named with the one that needs it" ||
    fail "msgpack-c missing under libtwtop: status $rc, '$(cat "$T/launch.err")'"
rm -f "$L/libexec/trainwatch/trainwatch"
"$L/bin/trainwatch" --version >/dev/null 2>"$T/launch.err"
rc=$?
grep -q "cannot run the monitor, $L/bin/../libexec/trainwatch/trainwatch: No such file" "$T/launch.err" &&
    [ "$rc" = 127 ] && ok "no monitor beside the command: it says where it looked, exit 127" ||
    fail "no monitor: status $rc, '$(cat "$T/launch.err")'"

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

# The zsh completion: compinit finds it in the prefix's share/zsh/site-functions and binds it
# to trainwatch; loaded, it is the function of the installed version's options.
zsh_completion=$D$(installed /monitor/_trainwatch)
if command -v zsh >/dev/null 2>&1; then
    got=$(cd "$T" && zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$2"
print -r -- "$_comps[trainwatch]"; autoload +X _trainwatch; functions _trainwatch' _ \
        "$(dirname "$zsh_completion")" "$T/zcompdump" 2>&1)
    case $got in
    "_trainwatch
"*"'*--alert=:rule:_trainwatch_rule_spec'"*"'*--no-alert=:rule:_trainwatch_rules'"*)
        ok "zsh's compinit finds the installed _trainwatch in $(dirname "$zsh_completion")" ;;
    *) fail "zsh's compinit and the installed _trainwatch: '$(printf '%s' "$got" | head -n 5)'" ;;
    esac
    got=$(cd "$T" && zsh -f -c 'autoload -U compinit; compinit -u -d "$2"; source "$1"
print -r -- "$_comps[trainwatch]"' _ "$zsh_completion" "$T/zcompdump2" 2>&1)
    [ "$got" = _trainwatch ] && ok "sourced after compinit, it binds _trainwatch to trainwatch" ||
        fail "sourcing the zsh completion: '$got'"
else
    [ -f "$zsh_completion" ] && ok "the zsh completion is installed (no zsh here to load it)" ||
        fail "no zsh completion at $zsh_completion"
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
