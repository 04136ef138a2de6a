#!/bin/sh
# headless.sh - end to end: trainwatch --jsonl and --once against a live run (over tcp) and
# against its run log, checked against what the trainer itself printed; bad command lines.
# Usage: headless.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-headless-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# A free-ish port from the pid, in the dynamic range.
PORT=$(port_block) || exit 1

# The monitor connects first (ZeroMQ reconnects until the trainer binds), then the trainer.
"$TW" --jsonl --until-end "tcp://127.0.0.1:$PORT" >"$T/live.jsonl" 2>"$T/live.err" &
monitor=$!
sleep 0.5
# Paced (about 2.5 s) so that the run is still live while the monitor connects, even slowed
# down by sanitizers; a publisher that has already exited cannot replay anything.
TRAINWATCH_ENDPOINT="tcp://127.0.0.1:$PORT" TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=e2e \
    "$TRAIN" --epochs 6 --delay-ms 20 >"$T/trainer.out" 2>&1
i=0
while kill -0 "$monitor" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$monitor" 2>/dev/null; then
    fail "--until-end did not exit after the run ended"
    kill "$monitor"
else
    wait "$monitor" && ok "--jsonl --until-end exits 0 when the run ends" ||
        fail "--jsonl --until-end exited non-zero: $(cat "$T/live.err")"
fi


# check_file FILE WHAT: the epoch values of FILE against the trainer's printed ones.
check_file() {
    f=$1
    what=$2
    bad=0
    for e in 1 3 6; do
        for pair in "loss train loss" "loss val val_loss" "accuracy val val_accuracy" \
            "auc val val_auc"; do
            set -- $pair
            got=$(epoch_value "$f" "$1" "$2" "$e" 2>/dev/null)
            want=$(printed_value "$T/trainer.out" "$e" "$3")
            if [ "$got" != "$want" ]; then
                echo "  $what: $1/$2 epoch $e: got '$got', the trainer printed '$want'"
                bad=1
            fi
        done
    done
    return $bad
}

if check_file "$T/live.jsonl" live; then
    ok "live --jsonl epoch values equal the trainer's own (12 values)"
else
    fail "live --jsonl epoch values differ from the trainer's"
fi
if grep -q '"type":"run_end".*"status":"ok"' "$T/live.jsonl"; then ok "the run-end record is printed"; else
    fail "no run_end record in --jsonl"
fi

LOG=$(ls "$T"/runs/*.twlog 2>/dev/null | head -n 1)
if [ -n "$LOG" ]; then ok "the trainer wrote a run log"; else fail "no run log in $T/runs"; fi
"$TW" --jsonl "$T/runs" >"$T/log.jsonl" 2>"$T/log.err"
[ $? -eq 0 ] && ok "--jsonl on a log directory exits 0 at its end" || fail "--jsonl on logs failed"
if check_file "$T/log.jsonl" log; then
    ok "run-log --jsonl epoch values equal the trainer's own"
else
    fail "run-log --jsonl values differ"
fi

# --once: the table names the best validation loss and its epoch as the trainer printed.
"$TW" --once "$LOG" >"$T/once.txt" 2>&1
best_epoch=$(sed -n 's/.*lowest val_loss \([0-9.]*\) at epoch \([0-9]*\).*/\2/p' "$T/trainer.out")
best_value=$(sed -n 's/.*lowest val_loss \([0-9.]*\) at epoch.*/\1/p' "$T/trainer.out")
row=$(grep -E ' loss +val ' "$T/once.txt")
got_best=$(echo "$row" | awk '{printf "%.4f %s", $(NF-1), $NF}')
if [ "$got_best" = "$best_value $best_epoch" ]; then
    ok "--once shows the best val loss $best_value at epoch $best_epoch"
else
    fail "--once best val loss row: '$row' (want $best_value at $best_epoch)"
fi
if grep -q 'ended' "$T/once.txt"; then ok "--once shows the run ended"; else fail "--once: no status"; fi

# stdout not a terminal: the --once table by default.
"$TW" "$T/runs" | grep -q 'val' && ok "a pipe gets the --once table" || fail "no table on a pipe"

# --listen: the trainer connects in ('>' endpoint) to a monitor that binds.
PORT2=$((PORT + 1))
"$TW" --jsonl --until-end --listen "tcp://127.0.0.1:$PORT2" >"$T/listen.jsonl" 2>"$T/listen.err" &
monitor=$!
sleep 0.5
TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$PORT2" TRAINWATCH_LOG_DIR=off TRAINWATCH_RUN=e2e-listen TRAINWATCH_RUN_ID=e2e-listen \
    "$TRAIN" --epochs 6 --delay-ms 20 --quiet
i=0
while kill -0 "$monitor" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill "$monitor" 2>/dev/null
if grep -q '"type":"epoch_value","run":"e2e-listen","metric":"loss","split":"val","epoch":6,' \
    "$T/listen.jsonl"; then
    ok "--listen: a trainer connecting in is received to its last epoch"
else
    fail "--listen: nothing from the connecting trainer ($(head -c 300 "$T/listen.err"))"
fi

# No source: the registry. The monitor starts first and picks up a run that starts later.
"$TW" --jsonl --until-end >"$T/disc.jsonl" 2>"$T/disc.err" &
monitor=$!
sleep 1
TRAINWATCH_LOG_DIR=off TRAINWATCH_RUN=e2e-discovered TRAINWATCH_RUN_ID=e2e-discovered "$TRAIN" --epochs 4 --delay-ms 20 --quiet
i=0
while kill -0 "$monitor" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill "$monitor" 2>/dev/null
if grep -q '"run":"e2e-discovered","metric":"loss","split":"val","epoch":4,' "$T/disc.jsonl"; then
    ok "with no source, a run started later is discovered and followed to its end"
else
    fail "discovery: the later run was not seen ($(head -c 300 "$T/disc.err"))"
fi

# Bad command lines: a clear message and exit status 2.
for args in "--bogus" "/nonexistent/run.twlog" "foo://x" "--wait abc" "--once --jsonl" \
    "tcp://127.0.0.1" "--listen bogus"; do
    # shellcheck disable=SC2086
    "$TW" $args >"$T/bad.out" 2>"$T/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && [ -s "$T/bad.err" ]; then
        ok "'trainwatch $args' -> 2: $(head -n 1 "$T/bad.err")"
    else
        fail "'trainwatch $args' exited $rc with '$(cat "$T/bad.err")'"
    fi
done
# A corrupt run log is reported, not a crash.
printf 'TWLOG\000\001\n\005\000\000\000\000\000\000\000hello' >"$T/bad.twlog"
"$TW" --once "$T/bad.twlog" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
if [ $rc -lt 128 ] && grep -qi 'crc\|corrupt\|mismatch' "$T/bad.err"; then
    ok "a corrupt run log is reported: $(head -n 1 "$T/bad.err")"
else
    fail "corrupt log: exit $rc, '$(cat "$T/bad.err")'"
fi

"$TW" --help | grep -q -- '--jsonl' && ok "--help describes the options" || fail "--help"
"$TW" --version | grep -q 'trainwatch [0-9]' && ok "--version" || fail "--version"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
