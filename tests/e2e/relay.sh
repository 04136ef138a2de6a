#!/bin/sh
# relay.sh - past one node: 16 real rank processes of one run, 8 feeding each of two
# `trainwatch relay`s, and monitors that subscribe at both relays. A monitor started before the
# ranks, one that joins after several epochs and one that comes after ranks that started with
# no monitor at all must all show the exact one-process values of every epoch, each written
# once; stopping the relays with SIGTERM is clean; bad command lines are refused clearly.
# Usage: relay.sh TRAINWATCH RANK_WORKER
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
WORKER=$2
T=$(mktemp -d /tmp/tw-relay-XXXXXX)
RELAYS=""
MONITORS=""
cleanup() {
    # shellcheck disable=SC2086
    kill $RELAYS $MONITORS 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
EPOCHS=6
DELAY_MS=400
WORLD=16

# Bad command lines: a sentence and status 2, never a relay that starts.
refused() {
    want=$1
    shift
    status=0
    timeout 5 "$TW" relay "$@" >"$T/bad.out" 2>"$T/bad.err" || status=$?
    if [ "$status" -eq 2 ] && grep -q -- "$want" "$T/bad.err"; then
        ok "relay $*: refused ($(head -n 1 "$T/bad.err"))"
    else
        fail "relay $*: status $status, expected 2 and '$want' ($(head -c 300 "$T/bad.err"))"
    fi
}
refused "expected IN... OUT" tcp://127.0.0.1:5600
refused "expected tcp://HOST:PORT" tcp://127.0.0.1:5600 nonsense
refused "port must be" tcp://127.0.0.1:70000 tcp://127.0.0.1:5601
refused "not a loopback address" tcp://127.0.0.1:5600 tcp://0.0.0.0:5601
refused "inproc:// only works inside one process" inproc://x tcp://127.0.0.1:5601
refused "given twice" "tcp://:5600" "tcp://127.0.0.1:5600"
refused "unrecognized option" --bogus tcp://127.0.0.1:5600 tcp://127.0.0.1:5601
if "$TW" relay --help | grep -q "usage: trainwatch relay"; then
    ok "relay --help prints its usage"
else
    fail "relay --help"
fi

# start_relay NAME: a relay binding free loopback ports; sets IN_NAME and OUT_NAME from its
# startup line.
start_relay() {
    "$TW" relay "tcp://127.0.0.1:*" "tcp://127.0.0.1:*" >"$T/$1.out" 2>"$T/$1.err" &
    RELAYS="$RELAYS $!"
    eval "PID_$1=$!"
    i=0
    while ! grep -q "OUT bound" "$T/$1.out" && [ "$i" -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    in=$(sed -n 's/.*IN bound \([^;]*\);.*/\1/p' "$T/$1.out")
    out=$(sed -n 's/.*OUT bound \(.*\)$/\1/p' "$T/$1.out")
    if [ -z "$in" ] || [ -z "$out" ]; then
        fail "relay $1 did not start: $(cat "$T/$1.out" "$T/$1.err" | head -c 300)"
        echo "$passes passed, $failures failed"
        exit 1
    fi
    eval "IN_$1=$in OUT_$1=$out"
}
start_relay A
start_relay B
# shellcheck disable=SC2154 # set by start_relay
echo "# relay A: $IN_A -> $OUT_A; relay B: $IN_B -> $OUT_B"
refused "Address already in use" "tcp://127.0.0.1:*" "$OUT_A"

"$WORKER" --expect --epochs "$EPOCHS" >"$T/expect.txt" || fail "$WORKER --expect"

# start_monitor NAME: a headless monitor of both relays, until every rank's run has ended.
start_monitor() {
    "$TW" --jsonl --until-end "$OUT_A" "$OUT_B" >"$T/$1.jsonl" 2>"$T/$1.err" &
    MONITORS="$MONITORS $!"
    eval "PID_$1=$!"
}

# start_ranks RUN: ranks 0-7 connect into relay A, 8-15 into relay B.
start_ranks() {
    r=0
    RANKS=""
    while [ "$r" -lt "$WORLD" ]; do
        if [ "$r" -lt 8 ]; then in=$IN_A; else in=$IN_B; fi
        RANK=$r WORLD_SIZE=$WORLD TRAINWATCH_RUN="$1" TRAINWATCH_LOG_DIR=off \
            TRAINWATCH_ENDPOINT=">$in" "$WORKER" --epochs "$EPOCHS" --delay-ms "$DELAY_MS" &
        RANKS="$RANKS $!"
        r=$((r + 1))
    done
}

# final_epochs JSONL: how many final epoch values it holds so far.
final_epochs() {
    grep -c '"final":true' "$1" 2>/dev/null || true
}

# wait_monitor NAME LABEL: waits for the monitor to see every run end, then compares.
wait_monitor() {
    eval "pid=\$PID_$1"
    # shellcheck disable=SC2154 # set by eval
    if wait_exit "$pid" 150; then
        epochs_match "$2" "$T/expect.txt" "$T/$1.jsonl" "$WORLD"
        if grep -q "does not decode" "$T/$1.err"; then
            fail "$2: messages that do not decode: $(head -c 300 "$T/$1.err")"
        fi
    else
        fail "$2: did not see every rank end within 15 s ($(final_epochs "$T/$1.jsonl") final values; $(head -c 300 "$T/$1.err"))"
    fi
}

# 1. A monitor before the ranks, a second one joining after several epochs.
start_monitor m1
sleep 0.5
start_ranks relay-live
i=0
while [ "$(final_epochs "$T/m1.jsonl")" -lt 9 ] && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
joined=$(final_epochs "$T/m1.jsonl")
start_monitor m2
for p in $RANKS; do wait "$p" || fail "a rank of relay-live failed"; done
if [ "$joined" -ge 9 ] && [ "$joined" -lt $((EPOCHS * 3)) ]; then
    ok "the second monitor joined with $joined of $((EPOCHS * 3)) epoch values final"
else
    fail "the second monitor joined with $joined of $((EPOCHS * 3)) epoch values final: not a late join in a running run"
fi
wait_monitor m1 "monitor started before the ranks"
wait_monitor m2 "monitor joining after $((joined / 3)) epochs"

# 2. Ranks with no monitor anywhere (the relays hold no subscription since m1 and m2 left),
# then a monitor: its subscription must reach every rank through the relays and bring the
# replays.
start_ranks relay-late
sleep 1.5
start_monitor m3
for p in $RANKS; do wait "$p" || fail "a rank of relay-late failed"; done
wait_monitor m3 "monitor started after the ranks"

# 3. The other way round: two ranks bind their own ipc endpoints and a relay connects to both
# ('>' IN, repeatable); its OUT is an ipc path too.
"$WORKER" --expect --epochs 3 >"$T/expect3.txt" || fail "$WORKER --expect --epochs 3"
"$TW" relay --quiet ">ipc://$T/r0.sock" ">ipc://$T/r1.sock" "ipc://$T/out.sock" \
    >"$T/C.out" 2>"$T/C.err" &
relay_c=$!
RELAYS="$RELAYS $relay_c"
"$TW" --jsonl --until-end "ipc://$T/out.sock" >"$T/m4.jsonl" 2>"$T/m4.err" &
PID_m4=$!
MONITORS="$MONITORS $PID_m4"
sleep 0.3
RANKS=""
for r in 0 1; do
    RANK=$r WORLD_SIZE=2 TRAINWATCH_RUN=relay-connect TRAINWATCH_LOG_DIR=off \
        TRAINWATCH_ENDPOINT="ipc://$T/r$r.sock" "$WORKER" --epochs 3 --delay-ms 200 &
    RANKS="$RANKS $!"
done
for p in $RANKS; do wait "$p" || fail "a rank of relay-connect failed"; done
if wait_exit "$PID_m4" 150; then
    epochs_match "relay connecting to 2 bound ranks" "$T/expect3.txt" "$T/m4.jsonl" 2
else
    fail "relay connecting to bound ranks: the monitor did not see both end ($(head -c 300 "$T/m4.err" "$T/C.err"))"
fi
if [ -s "$T/C.out" ]; then
    fail "relay --quiet printed: $(head -c 200 "$T/C.out")"
fi
kill -INT "$relay_c"
wait_exit "$relay_c" 30 && ok "relay C stops on SIGINT" || fail "relay C did not stop on SIGINT"

# 4. SIGTERM stops a relay at once, cleanly.
for name in A B; do
    eval "pid=\$PID_$name"
    kill -TERM "$pid"
    if wait_exit "$pid" 30; then
        status=0
        wait "$pid" || status=$?
        if [ "$status" -eq 0 ] && grep -q "stopped;" "$T/$name.err"; then
            ok "relay $name stops on SIGTERM with status 0 ($(grep stopped "$T/$name.err"))"
        else
            fail "relay $name: status $status after SIGTERM ($(head -c 300 "$T/$name.err"))"
        fi
    else
        fail "relay $name did not stop within 3 s of SIGTERM"
    fi
done
RELAYS=""

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
