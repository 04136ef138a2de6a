#!/bin/sh
# monitor_restart.sh - end to end: a monitor SIGKILLed mid-run and a new one started then see
# the whole history (the publisher replays it); two monitors at once see the same values.
# Usage: monitor_restart.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-monrestart-XXXXXX)
ma=
mb=
mc=
trainer=
cleanup() {
    for p in $ma $mb $mc; do kill -9 "$p" 2>/dev/null; done
    [ -n "$trainer" ] && kill "$trainer" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"
# check FILE FIRST LAST: epoch values of FILE against the trainer's printed ones.
check() {
    f=$1
    bad=0
    for e in $(seq "$2" "$3"); do
        for pair in "loss train loss" "loss val val_loss" "accuracy val val_accuracy" \
            "auc val val_auc"; do
            set -- $pair
            got=$(epoch_value "$f" "$1" "$2" "$e" 2>/dev/null)
            want=$(printed_value "$T/trainer.out" "$e" "$3")
            if [ -z "$want" ] || [ "$got" != "$want" ]; then
                echo "  $(basename "$f"): $1/$2 epoch $e: got '$got', the trainer printed '$want'"
                bad=1
            fi
        done
    done
    return $bad
}
# finals FILE: the sorted final epoch values of FILE, one per line.
finals() {
    grep '"type":"epoch_value"' "$1" | grep '"final":true' | sed 's/"ranks".*//' | sort -u
}

PORT=$(port_block) || exit 1
EP="tcp://127.0.0.1:$PORT"
TRAINWATCH_ENDPOINT="$EP" TRAINWATCH_RUN=monrestart \
    "$TRAIN" --epochs 20 --delay-ms 20 >"$T/trainer.out" 2>&1 &
trainer=$!
"$TW" --jsonl "$EP" >"$T/a.jsonl" 2>"$T/a.err" &
ma=$!
"$TW" --jsonl --until-end "$EP" >"$T/c.jsonl" 2>"$T/c.err" &
mc=$!
kill_after_epoch "$ma" "$T/trainer.out" 8 # the monitor, once the trainer did epoch 8
ma=
killed_at=$(grep -c '^epoch' "$T/trainer.out")
if [ "$killed_at" -ge 8 ] && [ "$killed_at" -lt 20 ]; then
    ok "monitor A killed at epoch $killed_at of 20"
else
    fail "monitor A not killed mid-run (epoch $killed_at of 20)"
fi
"$TW" --jsonl --until-end "$EP" >"$T/b.jsonl" 2>"$T/b.err" &
mb=$!

wait "$trainer"
rc=$?
trainer=
[ "$rc" -eq 0 ] && ok "the trainer ran to its end" || fail "the trainer exited $rc"
for m in b c; do
    eval "p=\$m$m"
    i=0
    while kill -0 "$p" 2>/dev/null && [ "$i" -lt 150 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$p" 2>/dev/null; then
        fail "monitor $m: --until-end did not exit after the run ended"
        kill "$p"
    else
        wait "$p" && ok "monitor $m exits 0 at the run's end" ||
            fail "monitor $m exited non-zero: $(tail -n 3 "$T/$m.err")"
    fi
    eval "m$m="
done

k=$(grep -c '"type":"epoch_value".*"metric":"loss","split":"val".*"final":true' "$T/a.jsonl")
if [ "$k" -ge 7 ] && check "$T/a.jsonl" 1 "$k"; then
    ok "monitor A (killed) printed epochs 1..$k as the trainer did"
else
    fail "monitor A: $k val loss values, or values that differ"
fi
check "$T/b.jsonl" 1 20 && ok "monitor B (started after the kill) has epochs 1..20 (80 values)" ||
    fail "monitor B's epoch values differ from the trainer's"
check "$T/c.jsonl" 1 20 && ok "monitor C (throughout) has epochs 1..20 (80 values)" ||
    fail "monitor C's epoch values differ from the trainer's"
finals "$T/b.jsonl" >"$T/b.finals"
finals "$T/c.jsonl" >"$T/c.finals"
n=$(wc -l <"$T/b.finals")
if [ "$n" -ge 100 ] && cmp -s "$T/b.finals" "$T/c.finals"; then
    ok "monitors B and C print the same $n final epoch values"
else
    fail "monitors B and C differ ($n values): $(diff "$T/b.finals" "$T/c.finals" | head -n 4)"
fi
grep -q '"type":"run_end".*"status":"ok"' "$T/b.jsonl" && ok "monitor B sees the run end" ||
    fail "monitor B: no run_end"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
