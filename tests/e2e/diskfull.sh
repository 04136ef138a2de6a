#!/bin/sh
# diskfull.sh - a full disk and a read-only log directory, for real: the example trainer
# writes its run log into a 48 KiB tmpfs (it fills up mid-run) and then into a read-only
# tmpfs. Each time training finishes normally, the problem is reported on stderr, and a
# monitor watching live gets every epoch with the values the trainer printed; the partial run
# log reads back. Needs root to mount tmpfs: skipped (status 77) when mounting is not allowed.
# Usage: diskfull.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-diskfull-XXXXXX)
mkdir -p "$T/full" "$T/ro"
cleanup() {
    umount "$T/full" 2>/dev/null
    umount "$T/ro" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=48k,mode=0755 tmpfs "$T/full" 2>/dev/null ||
    ! mount -t tmpfs -o ro,size=48k tmpfs "$T/ro" 2>/dev/null; then
    echo "skipped: cannot mount a tmpfs here (needs root)"
    exit 77
fi
PORT=$(port_block) || exit 1

# run_case NAME LOGDIR EXPECTED_ERROR
run_case() {
    name=$1 dir=$2 want=$3
    port=$PORT
    PORT=$((PORT + 1))
    "$TW" --jsonl --until-end "tcp://127.0.0.1:$port" >"$T/$name.jsonl" 2>"$T/$name.mon" &
    mon=$!
    sleep 0.3 # the monitor runs; it connects (and retries) until the trainer has bound
    TRAINWATCH_ENDPOINT="tcp://127.0.0.1:$port" TRAINWATCH_RUN="disk-$name" \
        TRAINWATCH_LOG_DIR="$dir" "$TRAIN" --epochs 40 --train 600 --delay-ms 2 >"$T/$name.out" 2>"$T/$name.err"
    st=$?
    if [ "$st" -eq 0 ]; then ok "$name: training finished (exit 0)"; else fail "$name: trainer exit $st"; fi
    if grep -q "$want" "$T/$name.err"; then
        ok "$name: reported: $(grep -m1 "$want" "$T/$name.err" | cut -c1-150)"
    else
        fail "$name: no '$want' on stderr: $(head -c 300 "$T/$name.err")"
    fi
    if wait_exit "$mon" 100; then ok "$name: the monitor saw the run end"; else
        kill "$mon"
        fail "$name: the monitor did not see the run end"
    fi
    values_match "$name" "$T/$name.jsonl" "$T/$name.out" 1 20 40
}

run_case full "$T/full" "No space left on device"
log=$(ls "$T"/full/*.twlog 2>/dev/null | head -n 1)
if [ -n "$log" ] && "$TW" --once "$log" >"$T/log.txt" 2>"$T/log.err" && grep -q "disk-full" "$T/log.txt"; then
    ok "the partial run log reads back ($(wc -c <"$log") bytes)"
else
    fail "the partial run log: $(cat "$T/log.err" | head -3)"
fi
run_case ro "$T/ro" "Read-only file system"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
