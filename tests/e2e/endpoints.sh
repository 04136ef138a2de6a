#!/bin/sh
# endpoints.sh - end to end: the loopback endpoints doc/protocol.md lists work both ways.
# tcp://localhost:PORT and tcp://[::1]:PORT can be bound by a publisher (the monitor
# connects) and listened on by a monitor (the publisher connects with '>'), all without a key
# since they are loopback; a --listen that would connect ('>') is refused.
# Usage: endpoints.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-endpoints-XXXXXX)
pids=
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR=off
unset TRAINWATCH_INSECURE TRAINWATCH_CURVE_SECRET TRAINWATCH_CURVE_SERVER
BASE=$(port_block) || exit 1

# one LABEL N MONITOR_ARG... -- PUBLISHER_ENDPOINT: a monitor (--once --until-end) with the
# arguments, then train_mlp publishing on the endpoint; the monitor must show the run ended
# at epoch 3, and neither side may refuse, warn or fail.
one() {
    label=$1 n=$2
    shift 2
    margs=
    while [ "$1" != -- ]; do
        margs="$margs $1"
        shift
    done
    pub=$2
    # shellcheck disable=SC2086
    timeout 30 "$TW" --once --until-end $margs >"$T/$n.out" 2>"$T/$n.err" &
    mon=$!
    pids="$mon"
    sleep 0.3
    TRAINWATCH_ENDPOINT="$pub" TRAINWATCH_RUN="ep$n" "$TRAIN" --epochs 3 --delay-ms 5 --quiet \
        >"$T/$n.train" 2>&1
    trc=$?
    wait "$mon"
    mrc=$?
    if [ "$trc" -eq 0 ] && [ "$mrc" -eq 0 ] && grep -q "^ep$n  *ended  *3 " "$T/$n.out" &&
        ! grep -q . "$T/$n.train"; then
        ok "$label: the run seen to its end, no key needed"
    else
        fail "$label: trainer exit $trc ($(head -c 300 "$T/$n.train")), monitor exit $mrc ($(head -c 300 "$T/$n.err")); table: $(head -n 2 "$T/$n.out")"
    fi
}

one "publisher binds tcp://localhost" 1 "tcp://localhost:$BASE" -- "tcp://localhost:$BASE"
one "publisher binds tcp://[::1]" 2 "tcp://[::1]:$((BASE + 1))" -- "tcp://[::1]:$((BASE + 1))"
one "monitor listens on tcp://localhost" 3 --listen "tcp://localhost:$((BASE + 2))" -- \
    ">tcp://localhost:$((BASE + 2))"
one "monitor listens on tcp://[::1]" 4 --listen "tcp://[::1]:$((BASE + 3))" -- \
    ">tcp://[::1]:$((BASE + 3))"

# --listen with '>' would connect: refused, exit 2, saying why
"$TW" --once --wait 0 --listen ">tcp://127.0.0.1:$BASE" >"$T/l.out" 2>"$T/l.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "a monitor listens on (binds) an endpoint" "$T/l.err"; then
    ok "--listen '>tcp://...' refused (exit 2): $(cat "$T/l.err")"
else
    fail "--listen '>tcp://...': exit $rc, $(cat "$T/l.err")"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
