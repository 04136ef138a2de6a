#!/bin/sh
# resume.sh - a trainer SIGKILLed mid-run and restarted from its checkpoint under the same run
# name (train_mlp --checkpoint: tw_publisher_resume) is ONE run that continues: the monitor in
# tmux names the restart and draws its mark, epochs 1..8 end final with the values of an
# uninterrupted run (the checkpoint makes the resumed run exact), and the epochs before the
# restart are not replaced. A monitor started after the restart reads the earlier
# incarnation's log; not the logs of an earlier run that only shares the name.
# Usage: resume.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-resume-XXXXXX)
SOCK=twres$$
PORT=$(port_block) || exit 1
trainer=
mon=
cleanup() {
    [ -n "$trainer" ] && kill -9 "$trainer" 2>/dev/null
    [ -n "$mon" ] && kill "$mon" 2>/dev/null
    tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export TRAINWATCH_LOG_DIR=off TRAINWATCH_RUN=resumed TRAINWATCH_ENDPOINT="tcp://127.0.0.1:$PORT"

# The reference: the same training, never interrupted, not published.
TRAINWATCH_ENDPOINT="tcp://127.0.0.1:0" TRAINWATCH_RUN=reference \
    "$TRAIN" --epochs 8 >"$T/reference.out" 2>&1 || fail "the reference run failed"

TERM=xterm-256color tm -f /dev/null new-session -d -s ui -x 150 -y 40 \
    "$TW tcp://127.0.0.1:$PORT; sleep 30"
"$TW" --jsonl "tcp://127.0.0.1:$PORT" >"$T/live.jsonl" 2>"$T/live.err" &
mon=$!
"$TRAIN" --epochs 8 --delay-ms 40 --checkpoint "$T/ck" >"$T/first.out" 2>&1 &
trainer=$!
# mid-epoch 5 (an epoch takes ~0.8 s): epoch 4's records have left the process; a kill right at
# the epoch's end could take them with it, and the resumed process starts after them
kill_after_epoch "$trainer" "$T/first.out" 4 0.3
trainer=
k=$(grep -c '^epoch' "$T/first.out")
[ "$k" -ge 4 ] && [ "$k" -lt 8 ] && ok "the first process was killed after epoch $k of 8" ||
    fail "the first process was not killed mid-run ($k epochs)"
"$TRAIN" --epochs 8 --delay-ms 5 --checkpoint "$T/ck" >"$T/second.out" 2>&1 ||
    fail "the resumed trainer failed: $(tail -n 2 "$T/second.out")"
resumed_at=$(sed -n 's/.*resuming from .* at epoch \([0-9]*\)$/\1/p' "$T/second.out")
[ "$resumed_at" = $((k + 1)) ] && ok "the second process resumed at epoch $resumed_at" ||
    fail "resumed at '$resumed_at', expected $((k + 1))"

if wait_for "restarted at epoch $resumed_at" 10; then
    ok "the UI names the restart: $(screen | grep -o 'restarted at epoch [0-9]*.*chart)')"
else
    fail "no 'restarted at epoch $resumed_at' in the UI: $(screen | grep -E 'resumed|epoch' | head -4)"
fi
if wait_for "resumed +ended" 10; then ok "one run, ended"; else fail "$(screen | grep resumed | head -3)"; fi
# The restart rule: a dim vertical line inside the chart (between the y axis and the pane).
rules=$(screen | awk 'NR > 2 && NR < 30 { line = substr($0, 6, 80); n += gsub(/│/, "", line) } END { print n + 0 }')
[ "$rules" -ge 10 ] && ok "the restart mark is drawn ($rules cells of its rule)" ||
    fail "no restart rule on the chart ($rules cells)"
sleep 1
kill "$mon" 2>/dev/null
wait "$mon" 2>/dev/null
mon=

# Every epoch, final, equal to the uninterrupted run's; none of epochs 1..k replaced.
bad=0
for e in 1 2 3 4 5 6 7 8; do
    got=$(epoch_value "$T/live.jsonl" loss val "$e")
    want=$(printed_value "$T/reference.out" "$e" val_loss)
    [ -n "$want" ] && [ "$got" = "$want" ] || { bad=1; fail "epoch $e val loss: monitor '$got', uninterrupted run '$want'"; }
done
[ "$bad" -eq 0 ] && ok "epochs 1..8: the values of an uninterrupted run"
n1=$(grep '"type":"epoch_value"' "$T/live.jsonl" | grep '"metric":"loss","split":"val","epoch":1,' | grep -c '"final":true')
[ "$n1" -eq 1 ] && ok "epoch 1 was not replaced by the resumed process" || fail "epoch 1 written $n1 times"
# watch_found OUT: once the trainer ($trainer) is registered and training (1.5 s), a monitor
# that finds runs by itself writes --jsonl to OUT for 2.5 s; then both are stopped.
watch_found() {
    sleep 1.5
    "$TW" --jsonl >"$1" 2>"$1.err" &
    mon=$!
    sleep 2.5
    kill "$mon" 2>/dev/null
    wait "$mon" 2>/dev/null
    mon=
    kill "$trainer" 2>/dev/null
    wait "$trainer" 2>/dev/null
    trainer=
}

# A monitor that finds the run by itself (registry, default ipc endpoint) only after the
# restart: the earlier incarnation's run log, beside the live one's, gives epochs 1..k.
export XDG_RUNTIME_DIR="$T/rt" TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=found-later
unset TRAINWATCH_ENDPOINT
mkdir -m 700 "$XDG_RUNTIME_DIR"
"$TRAIN" --epochs 8 --delay-ms 20 --checkpoint "$T/ck2" >"$T/third.out" 2>&1 &
trainer=$!
kill_after_epoch "$trainer" "$T/third.out" 3 0.15
trainer=
"$TRAIN" --epochs 8 --delay-ms 150 --checkpoint "$T/ck2" >"$T/fourth.out" 2>&1 &
trainer=$!
watch_found "$T/found.jsonl"
k2=$(grep -c '^epoch' "$T/third.out")
bad=0
for e in $(seq 1 "$k2"); do
    got=$(epoch_value "$T/found.jsonl" loss val "$e")
    want=$(printed_value "$T/reference.out" "$e" val_loss)
    [ -n "$want" ] && [ "$got" = "$want" ] || { bad=1; fail "found later: epoch $e val loss: monitor '$got', expected '$want'"; }
done
[ "$bad" -eq 0 ] && ok "a monitor started after the restart shows epochs 1..$k2 from the earlier incarnation's log"
# Names repeat: a run of the same name that ended earlier in the same log directory is another
# run, not an earlier incarnation. A monitor that finds the live second run by itself reads
# only its own logs: one run, with the live run's id.
export TRAINWATCH_RUN=twice
"$TRAIN" --epochs 2 --seed 3 >"$T/twice1.out" 2>&1 || fail "the first run of 'twice' failed"
"$TRAIN" --epochs 8 --delay-ms 150 >"$T/twice2.out" 2>&1 &
trainer=$!
watch_found "$T/twice.jsonl"
ids=$(grep '"type":"epoch_value"' "$T/twice.jsonl" | sed 's/.*"run":"\([^"]*\)".*/\1/' | sort -u)
n=$(printf '%s\n' "$ids" | grep -c .)
[ "$n" -eq 1 ] && ok "an earlier run of the same name in the directory is not read as the live run's" ||
    fail "the live run 'twice' came with $n runs: $(echo $ids)"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
