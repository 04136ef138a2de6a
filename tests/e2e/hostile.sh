#!/bin/sh
# hostile.sh - end to end: a listening monitor fed garbage on the wire (truncated msgpack,
# huge declared lengths, deep nesting, wrong types, non-finite times, epoch 0, version 3,
# 1 MiB strings, a 100 000-message flood, a 17 MiB message) and then a valid run: the monitor
# survives, reports the bad messages, and shows the valid run exactly as the trainer printed.
# Usage: hostile.sh TRAINWATCH TRAIN_MLP GARBAGE_SENDER
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
GARBAGE=$3
T=$(mktemp -d /tmp/tw-hostile-XXXXXX)
monitor=
cleanup() {
    [ -n "$monitor" ] && kill "$monitor" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"

PORT=$(port_block) || exit 1
FLOOD=100000

# 1. --jsonl --until-end: garbage first, then a valid run.
"$TW" --jsonl --until-end --listen "tcp://127.0.0.1:$PORT" >"$T/live.jsonl" 2>"$T/live.err" &
monitor=$!
sleep 0.5
start=$(date +%s)
if "$GARBAGE" "tcp://127.0.0.1:$PORT" "$FLOOD" >"$T/sender.out" 2>"$T/sender.err"; then
    ok "the garbage was sent: $(cat "$T/sender.out") messages in $(($(date +%s) - start)) s"
else
    fail "garbage_sender failed: $(cat "$T/sender.err")"
fi
# The monitor works through the flood; it must still be alive.
sleep 1
if kill -0 "$monitor" 2>/dev/null; then ok "the monitor survives the garbage"; else
    wait "$monitor"
    fail "the monitor died on the garbage (status $?): $(tail -n 5 "$T/live.err")"
    monitor=
fi
if [ -n "$monitor" ]; then
    TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT" TRAINWATCH_RUN=hostile-valid TRAINWATCH_RUN_ID=hostile-valid \
        "$TRAIN" --epochs 3 --delay-ms 20 >"$T/trainer.out" 2>&1
    if wait_exit "$monitor" 300; then
        wait "$monitor"
        rc=$?
        monitor=
        [ "$rc" -eq 0 ] && ok "--until-end exits 0 when the valid run ends" ||
            fail "the monitor exited $rc: $(tail -n 3 "$T/live.err")"
    else
        fail "--until-end did not exit after the valid run ended"
        kill "$monitor"
        monitor=
    fi
fi

bad=0
for e in 1 2 3; do
    for pair in "loss train loss" "loss val val_loss" "accuracy val val_accuracy" \
        "auc val val_auc"; do
        set -- $pair
        got=$(epoch_value "$T/live.jsonl" "$1" "$2" "$e" 2>/dev/null)
        want=$(printed_value "$T/trainer.out" "$e" "$3")
        if [ -z "$want" ] || [ "$got" != "$want" ]; then
            echo "  $1/$2 epoch $e: got '$got', the trainer printed '$want'"
            bad=1
        fi
    done
done
[ $bad -eq 0 ] && ok "the valid run's epoch values equal the trainer's (12 values)" ||
    fail "the valid run's epoch values differ from the trainer's"
runs=$(grep '"type":"run"' "$T/live.jsonl" | sed 's/.*"run":"\([^"]*\)".*/\1/' | sort -u)
[ "$runs" = "hostile-valid" ] && ok "no run was made up from the garbage" ||
    fail "runs seen: $(echo $runs)"
nbad=$(grep -c -e 'does not decode' -e 'from a newer trainwatch' "$T/live.err")
nnewer=$(grep -c 'a message from a newer trainwatch (its protocol version is not supported)' "$T/live.err")
# a quarter of the flood, and one message before it, have protocol version 3
if [ "$nnewer" -eq $((FLOOD / 4 + 1)) ]; then
    ok "messages of a newer protocol version are reported as such ($nnewer lines)"
else
    fail "$nnewer messages reported as from a newer trainwatch, not $((FLOOD / 4 + 1))"
fi
# The flood alone is $FLOOD messages, all sent before the valid run (nothing may be lost:
# the sender queues without limit and lingers, the 17 MiB message that makes the monitor
# drop its connection comes last on a connection of its own, the monitor's socket lingers
# for what an ended connection had queued, and it sends no heartbeat that the closed
# sender's kernel would answer with a reset discarding what it still held: keepalive.h).
if [ "$nbad" -ge "$FLOOD" ]; then
    ok "the bad messages are reported on stderr ($nbad lines)"
else
    fail "only $nbad bad messages reported on stderr (the flood alone is $FLOOD)"
fi

# 2. --once: the table counts the messages that could not be decoded.
PORT2=$((PORT + 1))
# 15 s to gather: the 17 MiB message and the training take several seconds under a sanitizer
# on a loaded machine (6 s were once too few: "no runs seen")
"$TW" --once --wait 15 --listen "tcp://127.0.0.1:$PORT2" >"$T/once.txt" 2>"$T/once.err" &
monitor=$!
sleep 0.5
"$GARBAGE" "tcp://127.0.0.1:$PORT2" 1000 >/dev/null 2>&1
TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT2" TRAINWATCH_RUN=hostile-once TRAINWATCH_RUN_ID=hostile-once \
    "$TRAIN" --epochs 2 --quiet
if wait_exit "$monitor" 250; then
    wait "$monitor"
    rc=$?
    monitor=
    [ "$rc" -eq 0 ] && ok "--once exits 0" || fail "--once exited $rc"
else
    fail "--once did not exit"
fi
n=$(sed -n 's/^\([0-9]*\) messages could not be decoded.*/\1/p' "$T/once.txt")
if [ -n "$n" ] && [ "$n" -gt 0 ]; then
    ok "--once: $n messages could not be decoded"
else
    fail "--once does not count the bad messages: $(tail -n 3 "$T/once.txt")"
fi
grep -Eq '^hostile-once +ended +2 ' "$T/once.txt" && ok "--once shows the valid run ended" ||
    fail "--once: no ended valid run: $(head -n 3 "$T/once.txt")"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
