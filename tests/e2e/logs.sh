#!/bin/sh
# logs.sh - end to end: how the headless modes read run logs. A log is read to its end
# whatever --wait says; a directory of more logs than descriptors reads whole; a log whose
# writer is alive (registered, or its log still growing) is followed to its run end; a named file (or a directory whose logs) is
# not a run log, or comes from a newer trainwatch, exits 2 with the reason; an unreadable entry of a followed
# directory is reported once.
# Usage: logs.sh TRAINWATCH TRAIN_MLP CRAFT_LOG
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
CRAFT=$3
T=$(mktemp -d /tmp/tw-logs-XXXXXX)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# 1. --wait does not cut a log: 3000 epochs (more than a loop pass reads) with --wait 0.
"$CRAFT" "$T/long.twlog" long loss 3000
"$TW" --once --wait 0 "$T/long.twlog" >"$T/long.once" 2>"$T/long.err"
if grep -qE '^long +ended +3000 ' "$T/long.once"; then
    ok "--once --wait 0 reads a 3000-epoch log to its end"
else
    fail "--once --wait 0 showed part of the log: $(sed -n 2p "$T/long.once")"
fi
"$TW" --check --wait 0 "$T/long.twlog" >"$T/long.check" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'epoch 1502 overfitting fired' "$T/long.check"; then
    ok "--check --wait 0 judges the whole log: the late overfitting fires, exit 1"
else
    fail "--check --wait 0: exit $rc, $(head -n 2 "$T/long.check")"
fi

# 2. More logs than descriptors (ulimit -n 64): every run is read.
mkdir "$T/many"
i=0
while [ "$i" -lt 150 ]; do
    "$CRAFT" "$T/many/r$i.twlog" "r$i" loss 4
    i=$((i + 1))
done
(ulimit -n 64 && exec "$TW" --once "$T/many") >"$T/many.once" 2>"$T/many.err"
rc=$?
runs=$(grep -c ' loss  *val ' "$T/many.once")
if [ "$rc" -eq 0 ] && [ "$runs" -eq 150 ]; then
    ok "150 logs under ulimit -n 64: all 150 runs, exit 0"
else
    fail "150 logs under ulimit -n 64: exit $rc, $runs runs: $(head -c 300 "$T/many.err")"
fi

# 3. A named file that gives nothing usable: exit 2 and the reason.
echo hello >"$T/notalog.twlog"
"$TW" --check "$T/notalog.twlog" >"$T/notalog.out" 2>"$T/notalog.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'not a trainwatch run log' "$T/notalog.err"; then
    ok "--check on a file that is not a run log: exit 2 with the reason"
else
    fail "--check on a file that is not a run log: exit $rc, $(cat "$T/notalog.err")"
fi
mkdir "$T/bad" "$T/empty"
cp "$T/notalog.twlog" "$T/bad/"
"$TW" --check "$T/bad" >/dev/null 2>&1
rc=$?
"$TW" --check "$T/empty" >/dev/null 2>&1
rc2=$?
if [ "$rc" -eq 2 ] && [ "$rc2" -eq 0 ]; then
    ok "--check on a directory whose only log is not one: exit 2; on an empty directory: 0"
else
    fail "--check on a directory of a bad log: exit $rc; on an empty one: $rc2"
fi
"$CRAFT" "$T/v3.twlog" future loss 12 3
for mode in --check --once; do
    "$TW" "$mode" "$T/v3.twlog" >"$T/v3.out" 2>"$T/v3.err"
    rc=$?
    n=$(grep -c 'newer trainwatch' "$T/v3.err")
    if [ "$rc" -eq 2 ] && [ "$n" -eq 1 ]; then
        ok "$mode on a log of a newer protocol version: exit 2, 'newer trainwatch' said once"
    else
        fail "$mode on a version-3 log: exit $rc, $n mentions: $(head -c 300 "$T/v3.err")"
    fi
done

printf 'TWLOG\000\004\n' >"$T/hv2.twlog"
"$TW" --once "$T/hv2.twlog" >"$T/hv2.out" 2>"$T/hv2.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'newer trainwatch: run-log format version 4' "$T/hv2.err"; then
    ok "--once on a run log of a newer format: exit 2, 'newer trainwatch'"
else
    fail "--once on a run-log format version 4: exit $rc, $(cat "$T/hv2.err")"
fi

if command -v tmux >/dev/null 2>&1; then # the UI says it too, instead of "0 runs"
    SOCK="$T/tmux.sock"
    tmux -S "$SOCK" new-session -d -s ui -x 120 -y 30 "$TW $T/v3.twlog"
    i=0
    while ! tmux -S "$SOCK" capture-pane -p -t ui | grep -q 'newer trainwatch' && [ "$i" -lt 30 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if [ "$i" -lt 30 ]; then ok "the UI on a version-3 log says 'newer trainwatch'"; else
        fail "the UI on a version-3 log: $(tmux -S "$SOCK" capture-pane -p -t ui | grep -v '^$' | head -n 5)"
    fi
    tmux -S "$SOCK" kill-server 2>/dev/null
fi

# 4. An unreadable entry (a FIFO) in a followed directory: reported once, not every second,
# with the errno text once.
mkdir "$T/fifo"
mkfifo "$T/fifo/a.twlog"
timeout 4 "$TW" --jsonl --until-end "$T/fifo" >/dev/null 2>"$T/fifo.err"
n=$(grep -c 'a.twlog' "$T/fifo.err")
if [ "$n" -eq 1 ] && ! grep -q 'argument (Invalid argument)' "$T/fifo.err"; then
    ok "a FIFO in a followed directory is reported once in 4 s"
else
    fail "the FIFO was reported $n times: $(head -c 300 "$T/fifo.err")"
fi

# 5. A live run's log (its writer registered and alive) is followed to its run end, not taken
# for a vanished run.
TRAINWATCH_LOG_DIR="$T/live" TRAINWATCH_RUN=livelog "$TRAIN" --epochs 8 --delay-ms 8 \
    >"$T/train.out" 2>&1 &
trainer=$!
pids="$pids $trainer"
i=0
while [ -z "$(ls "$T"/live/*.twlog 2>/dev/null)" ] && [ "$i" -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
"$TW" --jsonl --until-end "$T/live" >"$T/live.jsonl" 2>"$T/live.err"
rc=$?
if kill -0 "$trainer" 2>/dev/null; then
    fail "--jsonl --until-end on a live log exited (status $rc) while its trainer still runs"
    wait "$trainer"
elif [ "$rc" -eq 0 ] && grep -q '"type":"run_end"' "$T/live.jsonl" &&
    ! grep -q 'vanished' "$T/live.jsonl"; then
    ok "--jsonl --until-end follows a live log to its run end (nothing vanished)"
else
    fail "live log: exit $rc, vanished: $(grep -c vanished "$T/live.jsonl")"
fi
wait "$trainer" 2>/dev/null

# 6. A NaN at epoch 3 of 30, read from a log (every record at once): the alert names epoch 3.
"$CRAFT" "$T/nan.twlog" nan loss 30 1 3
"$TW" --check "$T/nan.twlog" >"$T/nan.out" 2>&1
if grep -q 'epoch 3 nonfinite fired: .* at step 25 (epoch 3)' "$T/nan.out"; then
    ok "the nonfinite alert from a log names the epoch of the NaN (3, not 30)"
else
    fail "nonfinite alert: $(grep nonfinite "$T/nan.out")"
fi

# 7. A live run with no registry entry (TRAINWATCH_ENDPOINT set: it registers nothing) is
# followed while its log grows: to its run end, every epoch; and once its trainer is killed,
# settled as vanished within the growth window (3 heartbeats, at least 3 s) plus a margin.
slow_trainer() { # run name, epochs: in the background, its pid in $trainer
    find "$XDG_RUNTIME_DIR" -type f -o -type s | sort >"$T/$1.rt0"
    TRAINWATCH_ENDPOINT=tcp://127.0.0.1:9 TRAINWATCH_LOG_DIR="$T/$1" TRAINWATCH_RUN=$1 \
        "$TRAIN" --epochs "$2" --delay-ms 60 >"$T/$1.out" 2>&1 &
    trainer=$!
    pids="$pids $trainer"
    i=0
    while [ -z "$(ls "$T/$1"/*.twlog 2>/dev/null)" ] && [ "$i" -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep 0.3
    find "$XDG_RUNTIME_DIR" -type f -o -type s | sort >"$T/$1.rt1"
}
slow_trainer unreg 6
"$TW" --jsonl --until-end "$T"/unreg/*.twlog >"$T/unreg.jsonl" 2>"$T/unreg.err"
rc=$?
n=$(grep -c '"type":"epoch_end"' "$T/unreg.jsonl")
if ! cmp -s "$T/unreg.rt0" "$T/unreg.rt1"; then
    fail "the trainer with TRAINWATCH_ENDPOINT set registered: $(cat "$T/unreg.rt1")"
elif [ "$rc" -eq 0 ] && [ "$n" -eq 6 ] && grep -q '"type":"run_end"' "$T/unreg.jsonl" &&
    ! grep -q 'vanished' "$T/unreg.jsonl"; then
    ok "--jsonl --until-end follows a growing unregistered log to its run end (6 epochs)"
else
    fail "unregistered live log: exit $rc, $n epochs, vanished: $(grep -c vanished "$T/unreg.jsonl")"
fi
wait "$trainer" 2>/dev/null
slow_trainer killed 200
"$TW" --jsonl --until-end "$T"/killed/*.twlog >"$T/killed.jsonl" 2>"$T/killed.err" &
tw=$!
pids="$pids $tw"
sleep 2
kill -9 "$trainer"
killed_at=$(date +%s)
i=0
while kill -0 "$tw" 2>/dev/null && [ "$i" -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
took=$(($(date +%s) - killed_at))
if kill -0 "$tw" 2>/dev/null; then
    fail "--jsonl --until-end still follows a log 10 s after its trainer was killed"
    kill "$tw"
elif grep -q '"type":"epoch_end"' "$T/killed.jsonl" && grep -q 'vanished' "$T/killed.jsonl" &&
    [ "$took" -le 6 ]; then
    ok "a killed unregistered writer's log settles as vanished ${took} s after the kill"
else
    fail "killed writer: settled after $took s, vanished: $(grep -c vanished "$T/killed.jsonl")"
fi
wait "$tw" 2>/dev/null

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
