#!/bin/sh
# zmq_load.sh - end to end: the monitor loads ZeroMQ when it first needs it
# (monitor/zmq_load.h). Reading run logs never maps libzmq (LD_DEBUG=libs, glibc's loader,
# names every library it loads); a network source does. On a machine without libzmq
# (no_zmq.so preloaded: the loader's dlopen of it fails as for a missing file) run logs still
# read, and a network source, --listen, a CURVE key, the relay (with a key too) and keygen each
# say in one line which package provides it.
# Usage: zmq_load.sh TRAINWATCH CRAFT_LOG NO_ZMQ_SO
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
CRAFT=$2
NOZMQ=$3
T=$(mktemp -d /tmp/tw-zmqload-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR=off
# (a preloaded library that is not the sanitizer's runtime comes before it: allowed here)
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"
BASE=$(port_block) || exit 1
PKGS="apt install libzmq5 (Debian, Ubuntu), dnf install zeromq (Fedora), brew install zeromq (Homebrew)"
MISSING="needs ZeroMQ (libzmq.so.5), which is not installed: $PKGS"

"$CRAFT" "$T/a.twlog" zrun loss 4 || fail "craft_log"

# a run log alone: read, and libzmq never loaded
LD_DEBUG=libs "$TW" --once "$T/a.twlog" >"$T/log.out" 2>"$T/log.err"
rc=$?
[ "$rc" = 0 ] && grep -q zrun "$T/log.out" && grep -q 'calling init' "$T/log.err" &&
    ! grep -q libzmq "$T/log.err" &&
    ok "--once on a run log: read, libzmq never loaded" ||
    fail "--once on a run log: status $rc, libzmq lines: $(grep -c libzmq "$T/log.err"), $(head -c 300 "$T/log.out")"

# a network source: loaded (what the check above would see if it were)
LD_DEBUG=libs timeout 20 "$TW" --once --wait 0.2 "tcp://127.0.0.1:$BASE" >"$T/net.out" 2>"$T/net.err"
grep -q 'find library=libzmq.so.5' "$T/net.err" &&
    ok "--once on an endpoint: libzmq loaded" ||
    fail "--once on an endpoint: no libzmq load in the loader's lines"

# without libzmq: run logs read the same
LD_PRELOAD="$NOZMQ" "$TW" --once "$T/a.twlog" >"$T/nolog.out" 2>"$T/nolog.err"
rc=$?
[ "$rc" = 0 ] && cmp -s "$T/log.out" "$T/nolog.out" && [ ! -s "$T/nolog.err" ] &&
    ok "without libzmq, --once on a run log prints the same" ||
    fail "without libzmq, --once on a run log: status $rc, $(head -c 300 "$T/nolog.err")"

# expect_missing LABEL WANT_STATUS WANT_LINE ARGS...: without libzmq, `trainwatch ARGS` exits
# with WANT_STATUS, its stderr exactly WANT_LINE, nothing on stdout
expect_missing() {
    label=$1 want_rc=$2 want=$3
    shift 3
    LD_PRELOAD="$NOZMQ" timeout 20 "$TW" "$@" >"$T/m.out" 2>"$T/m.err"
    rc=$?
    [ "$rc" = "$want_rc" ] && [ "$(cat "$T/m.err")" = "$want" ] && [ ! -s "$T/m.out" ] &&
        ok "without libzmq, $label: one line naming its packages, status $rc" ||
        fail "without libzmq, $label: status $rc (want $want_rc), '$(cat "$T/m.err" "$T/m.out")'"
}
expect_missing "an endpoint" 2 "trainwatch: cannot connect to tcp://127.0.0.1:$BASE: $MISSING" \
    --once "tcp://127.0.0.1:$BASE"
expect_missing "--listen" 2 "trainwatch: cannot listen on tcp://127.0.0.1:$((BASE + 1)): $MISSING" \
    --once --listen "tcp://127.0.0.1:$((BASE + 1))"
expect_missing "the relay" 2 "trainwatch relay: $MISSING" \
    relay "tcp://127.0.0.1:$((BASE + 2))" "tcp://127.0.0.1:$((BASE + 3))"
expect_missing "the relay with a key" 2 "trainwatch relay: $MISSING" \
    relay --key "$T/k.key" "tcp://127.0.0.1:$((BASE + 2))" "tcp://127.0.0.1:$((BASE + 3))"
expect_missing "a key" 2 "trainwatch: CURVE keys: $MISSING" \
    --once --key "$T/k.key" "tcp://127.0.0.1:$BASE"
expect_missing "keygen" 1 "trainwatch keygen: $MISSING" keygen "$T/k"
[ ! -e "$T/k.key" ] && [ ! -e "$T/k.pub" ] && ok "keygen without libzmq wrote no key" ||
    fail "keygen without libzmq left a key file"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
