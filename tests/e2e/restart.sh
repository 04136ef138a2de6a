#!/bin/sh
# restart.sh - end to end: a trainer SIGKILLed around epoch 4 and started again with the same
# run id (a new incarnation) must make ONE run in the monitor, live and from the run logs,
# with the epoch values 1..8 of the second incarnation, and both incarnations visible.
# Usage: restart.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-restart-XXXXXX)
monitor=
trainer=
cleanup() {
    [ -n "$monitor" ] && kill "$monitor" 2>/dev/null
    [ -n "$trainer" ] && kill -9 "$trainer" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"
# one run id for both processes, given explicitly (without it each launch is a run of its own)
export TRAINWATCH_RUN=same TRAINWATCH_RUN_ID=same
# check SRC EPOCHS...: epochs of $T/SRC.jsonl against the second trainer's printed values.
check() {
    src_=$1
    shift
    bad=0
    for e in "$@"; do
        for pair in "loss val val_loss" "loss train loss" "accuracy val val_accuracy"; do
            set -- $pair
            got=$(epoch_value "$T/$src_.jsonl" "$1" "$2" "$e" 2>/dev/null)
            want=$(printed_value "$T/trainer2.out" "$e" "$3")
            if [ -z "$want" ] || [ "$got" != "$want" ]; then
                echo "  $src_: $1/$2 epoch $e: got '$got', the trainer printed '$want'"
                bad=1
            fi
        done
    done 2>/dev/null
    return $bad
}

PORT=$(port_block) || exit 1
"$TW" --jsonl --until-end --listen "tcp://127.0.0.1:$PORT" >"$T/live.jsonl" 2>"$T/live.err" &
monitor=$!
sleep 0.5
export TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT"
"$TRAIN" --epochs 8 --delay-ms 30 >"$T/trainer1.out" 2>&1 &
trainer=$!
kill_after_epoch "$trainer" "$T/trainer1.out" 4
trainer=
if grep -q '^epoch *4/8' "$T/trainer1.out" && ! grep -q '^epoch *8/8' "$T/trainer1.out"; then
    ok "the first trainer was killed at epoch $(grep -c '^epoch' "$T/trainer1.out") of 8"
else
    fail "the first trainer was not killed mid-run: $(tail -n 2 "$T/trainer1.out")"
fi
sleep 0.5
# Another seed, so that epochs 1..4 of the two incarnations differ: the second supersedes.
"$TRAIN" --epochs 8 --delay-ms 5 --seed 2 >"$T/trainer2.out" 2>&1 &&
    grep -q '^epoch *8/8' "$T/trainer2.out" && ok "the restarted trainer ran to epoch 8" ||
    fail "the restarted trainer failed: $(tail -n 2 "$T/trainer2.out")"

v1=$(printed_value "$T/trainer1.out" 1 val_loss)
v2=$(printed_value "$T/trainer2.out" 1 val_loss)
[ "$v1" != "$v2" ] || fail "the two incarnations printed the same epoch 1 val_loss ($v1)"
i=0
while kill -0 "$monitor" 2>/dev/null && [ "$i" -lt 150 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$monitor" 2>/dev/null; then
    fail "--until-end did not exit after the restarted run ended"
    kill "$monitor"
else
    wait "$monitor" && ok "--until-end exits 0 when the restarted run ends" ||
        fail "the monitor exited non-zero: $(tail -n 3 "$T/live.err")"
fi
monitor=

"$TW" --jsonl "$T/runs" >"$T/log.jsonl" 2>"$T/log.err" || fail "--jsonl on the run logs failed"
nlogs=$(ls "$T"/runs/*.twlog 2>/dev/null | wc -l)
[ "$nlogs" -eq 2 ] && ok "two run logs, one per incarnation" || fail "$nlogs run logs"

for src in live log; do
    f="$T/$src.jsonl"
    runs=$(grep -o '"run":"[^"]*"' "$f" | sort -u | tr '\n' ' ')
    [ "$runs" = '"run":"same" ' ] && ok "$src: one run id" || fail "$src: run ids: $runs"
    incs=$(grep '"type":"run"' "$f" | sed 's/.*"inc":"\([0-9a-f]*\)".*/\1/' | sort -u | wc -l)
    [ "$incs" -eq 2 ] && ok "$src: the restart shows as two incarnations" ||
        fail "$src: $incs incarnations in the run records"
    if [ "$src" = log ]; then
        if check "$src" 1 2 3 4 5 6 7 8; then
            ok "$src: the final values of epochs 1..8 equal the restarted trainer's (24 values)"
        else
            fail "$src: epoch values differ from the restarted trainer's"
        fi
        continue
    fi
    # Epochs the first incarnation never closed: only the second one's values exist.
    k=$(grep -c '^epoch' "$T/trainer1.out")
    if check "$src" $(seq $((k + 1)) 8); then
        ok "$src: the final values of epochs $((k + 1))..8 equal the restarted trainer's"
    else
        fail "$src: epoch values $((k + 1))..8 differ from the restarted trainer's"
    fi
    # Epochs 1..k were final from the first incarnation before the second superseded them:
    # --jsonl writes them again with the new values (the last line for an epoch wins).
    if check "$src" $(seq 1 "$k") >"$T/superseded.txt"; then
        ok "$src: the superseded epochs 1..$k show the restarted trainer's values"
    else
        fail "$src: epochs 1..$k keep the killed incarnation's values: $(cat "$T/superseded.txt")"
    fi
    n=$(grep '"type":"epoch_value"' "$f" | grep '"metric":"loss","split":"val"' |
        grep '"final":true' | sed 's/.*"epoch":\([0-9]*\),.*/\1/' | sort -un | tr '\n' ' ')
    [ "$n" = "1 2 3 4 5 6 7 8 " ] && ok "$src: final val loss for epochs 1..8" ||
        fail "$src: final val loss epochs: $n"
done

"$TW" --once "$T/runs" >"$T/once.txt" 2>&1
nrun=$(awk 'NR > 1 && $1 != "" && $0 !~ /^ / {print $1}' "$T/once.txt" | sort -u | tr '\n' ' ')
row=$(grep -E ' loss +val ' "$T/once.txt")
if [ "$nrun" = "same " ] && echo "$row" | grep -Eq '^same +ended +8 '; then
    ok "--once: one run, ended at epoch 8"
else
    fail "--once: runs '$nrun', val loss row '$row'"
fi
best_epoch=$(sed -n 's/.*lowest val_loss \([0-9.]*\) at epoch \([0-9]*\).*/\2/p' "$T/trainer2.out")
best_value=$(sed -n 's/.*lowest val_loss \([0-9.]*\) at epoch.*/\1/p' "$T/trainer2.out")
got_best=$(echo "$row" | awk '{printf "%.4f %s", $(NF-1), $NF}')
[ "$got_best" = "$best_value $best_epoch" ] &&
    ok "--once: best val loss $best_value at epoch $best_epoch, as the trainer printed" ||
    fail "--once best: '$got_best', the trainer printed '$best_value $best_epoch'"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
