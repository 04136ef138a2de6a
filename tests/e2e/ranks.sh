#!/bin/sh
# ranks.sh - many ranks, one run: WORLD real processes with different batch sizes connect
# into one listening monitor; its epoch values must equal the global values computed in one
# process over the same data (an exact merge, not a mean of the ranks' values).
# Usage: ranks.sh TRAINWATCH RANK_WORKER WORLD
set -u
TW=$1
WORKER=$2
WORLD=$3
T=$(mktemp -d /tmp/tw-ranks-XXXXXX)
trap 'rm -rf "$T"' EXIT
PORT=$((30000 + ($$ + WORLD) % 20000))

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

# Compare: every (metric, epoch) of the expectation against the monitor's final value.
grep '"type":"epoch_value"' "$T/out.jsonl" |
    sed 's/.*"metric":"\([^"]*\)","split":"train","epoch":\([0-9]*\),"value":\([^,]*\),"ranks":\([0-9]*\),"world":\([0-9]*\),"final":\([a-z]*\).*/\1 \2 \3 \4 \5 \6/' \
        >"$T/got.txt"
awk -v world="$WORLD" '
    NR == FNR { want[$1 " " $2] = $3; next }
    { got[$1 " " $2] = $3; ranks[$1 " " $2] = $4; final[$1 " " $2] = $6 }
    END {
        pass = 0; fail = 0
        for (k in want) {
            g = got[k]; w = want[k]; d = g - w; if (d < 0) d = -d
            tol = 1e-9 * (w < 0 ? -w : w) + 1e-12
            if (!(k in got)) { print "FAIL - " k ": no value from the monitor"; fail++ }
            else if (final[k] != "true" || ranks[k] != world) {
                print "FAIL - " k ": final=" final[k] " ranks=" ranks[k] " (world " world ")"; fail++
            } else if (d > tol) { printf "FAIL - %s: monitor %.17g, one process %.17g\n", k, g, w; fail++ }
            else { printf "ok - %s = %.10g from %d ranks, as computed in one process\n", k, g, ranks[k]; pass++ }
        }
        print pass " passed, " fail " failed"
        exit fail > 0
    }' "$T/expect.txt" "$T/got.txt"
