#!/bin/sh
# ranks.sh - many ranks, one run: WORLD real processes with different batch sizes connect
# into one listening monitor; its epoch values must equal the global values computed in one
# process over the same data (an exact merge, not a mean of the ranks' values).
# Usage: ranks.sh TRAINWATCH RANK_WORKER WORLD
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
WORKER=$2
WORLD=$3
T=$(mktemp -d /tmp/tw-ranks-XXXXXX)
trap 'rm -rf "$T"' EXIT
PORT=$(port_block) || exit 1

"$WORKER" --expect >"$T/expect.txt" || { echo "FAIL - $WORKER --expect"; exit 1; }
"$TW" --jsonl --until-end --listen "tcp://127.0.0.1:$PORT" >"$T/out.jsonl" 2>"$T/err.txt" &
monitor=$!
sleep 0.5
r=0
pids=""
while [ "$r" -lt "$WORLD" ]; do
    RANK=$r WORLD_SIZE=$WORLD TRAINWATCH_RUN="ranks-$WORLD" TRAINWATCH_LOG_DIR=off \
        TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT" "$WORKER" &
    pids="$pids $!"
    r=$((r + 1))
done
for p in $pids; do wait "$p" || echo "a worker failed"; done
i=0
while kill -0 "$monitor" 2>/dev/null && [ "$i" -lt 150 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$monitor" 2>/dev/null; then
    kill "$monitor"
    echo "FAIL - the monitor did not see every rank end ($(head -c 300 "$T/err.txt"))"
    exit 1
fi

epochs_match "$WORLD ranks, one listening monitor" "$T/expect.txt" "$T/out.jsonl" "$WORLD"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
