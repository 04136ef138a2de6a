#!/bin/sh
# link_close.sh - end to end: what a monitor connected over tcp says when the trainer's
# connection closes (--jsonl: stderr and a link line).
#   1. The trainer ends normally: "disconnected after the end of its run", never "the
#      connection was lost", and the run's end comes before the link line.
#   2. The same while the monitor is stopped (SIGSTOP) across the trainer's end: the close and
#      the run's last records are all queued when it reads again; it still reads the records
#      first, so it still says the run ended, not that the connection was lost.
#   3. The trainer is killed mid-run: "the connection was lost; reconnecting".
# Usage: link_close.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-link-close-XXXXXX)
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"
cleanup() {
    for p in ${trainer:-} ${monitor:-}; do
        kill -CONT "$p" 2>/dev/null
        kill "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

PORT=$(port_block) || exit 1
EP="tcp://127.0.0.1:$PORT"
CLOSED="$EP: disconnected after the end of its run; reconnecting"
LOST="$EP: disconnected: the connection was lost; reconnecting"

# start_monitor N: a --jsonl monitor on the trainer's endpoint, into $T/monN.{jsonl,err}.
start_monitor() {
    "$TW" --jsonl "$EP" >"$T/mon$1.jsonl" 2>"$T/mon$1.err" &
    monitor=$!
    sleep 0.3
}
# stop_monitor: ends it (SIGTERM) and waits.
stop_monitor() {
    kill "$monitor" 2>/dev/null
    wait "$monitor" 2>/dev/null
    monitor=
}
# said N TEXT: whether monitor N's stderr has the line TEXT (prefixed by "trainwatch: ").
said() { grep -qxF "trainwatch: $2" "$T/mon$1.err"; }
# link_after_end N: the link line comes after the run_end record in monitor N's output.
link_after_end() {
    e=$(grep -n '"type":"run_end"' "$T/mon$1.jsonl" | head -n 1 | cut -d: -f1)
    l=$(grep -n '"type":"link".*"state":"disconnected"' "$T/mon$1.jsonl" | head -n 1 | cut -d: -f1)
    [ -n "$e" ] && [ -n "$l" ] && [ "$e" -lt "$l" ]
}
check_closed() { # N WHAT
    if wait_until 100 said "$1" "$CLOSED" && ! said "$1" "$LOST"; then
        ok "$2: says the connection closed after the end of its run"
    else
        fail "$2: stderr was:"
        cat "$T/mon$1.err"
    fi
    if grep -qF '"type":"link","address":"'"$EP"'","state":"disconnected","detail":"disconnected after the end of its run; reconnecting"' "$T/mon$1.jsonl" &&
        link_after_end "$1"; then
        ok "$2: its link line says so, after the run's end"
    else
        fail "$2: the link line, or its order:"
        grep -n '"type":"run_end"\|"type":"link"' "$T/mon$1.jsonl"
    fi
}

# 1. A normal end.
start_monitor 1
TRAINWATCH_ENDPOINT="$EP" "$TRAIN" --epochs 5 --delay-ms 2 --quiet
check_closed 1 "a trainer that ended"
stop_monitor

# 2. A normal end while the monitor is stopped: the trainer's 20 epochs (~8 s at 3 ms a step)
# overfill nothing; the close and the run's last messages wait in the monitor's queue.
start_monitor 2
TRAINWATCH_ENDPOINT="$EP" "$TRAIN" --epochs 20 --delay-ms 3 --quiet &
trainer=$!
sleep 1
kill -STOP "$monitor"
if wait_exit "$trainer" 600; then ok "the trainer ended while the monitor was stopped"; else
    fail "the trainer did not end within 60 s"
fi
wait "$trainer" 2>/dev/null
trainer=
sleep 0.5 # the close reaches the monitor's side
kill -CONT "$monitor"
check_closed 2 "a trainer that ended while the monitor was stopped"
stop_monitor

# 3. A trainer killed: its connection was lost.
start_monitor 3
TRAINWATCH_ENDPOINT="$EP" "$TRAIN" --epochs 200 --delay-ms 3 --quiet &
trainer=$!
wait_until 200 grep -q '"type":"epoch_value"' "$T/mon3.jsonl" || true
kill -9 "$trainer"
wait "$trainer" 2>/dev/null
trainer=
if wait_until 100 said 3 "$LOST" && ! said 3 "$CLOSED"; then
    ok "a trainer killed: says the connection was lost"
else
    fail "a trainer killed: stderr was:"
    cat "$T/mon3.err"
fi
stop_monitor

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
