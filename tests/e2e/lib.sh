# lib.sh - helpers the end-to-end scripts share (sourced: . "$(dirname "$0")/lib.sh").
# They count into $passes / $failures; each script ends with
#   echo "$passes passed, $failures failed"; [ "$failures" -eq 0 ]

passes=0
failures=0

ok() {
    echo "ok - $*"
    passes=$((passes + 1))
}

fail() {
    echo "FAIL - $*"
    failures=$((failures + 1))
}

# wait_exit PID TENTHS: waits up to TENTHS tenths of a second for PID to exit; true if it did.
wait_exit() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ "$i" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    ! kill -0 "$1" 2>/dev/null
}

# epoch_value FILE METRIC SPLIT EPOCH: the final value of that epoch in a trainwatch --jsonl
# file, to 4 decimals; the last line wins (a restarted run writes a replaced epoch again).
epoch_value() {
    grep '"type":"epoch_value"' "$1" | grep "\"metric\":\"$2\",\"split\":\"$3\",\"epoch\":$4," |
        grep '"final":true' | sed 's/.*"value":\([^,]*\),.*/\1/' | tail -n 1 | xargs printf '%.4f'
}

# printed_value TRAINER_OUT EPOCH COLUMN: what train_mlp printed for EPOCH in COLUMN
# ("epoch   3/8  ... val_loss 0.5750 ..." -> 0.5750).
printed_value() {
    grep "^epoch *$2/" "$1" | sed "s/.* $3 \([0-9.]*\).*/\1/"
}

# The UI in tmux, on a private server ($SOCK, set by the script) with one session "ui":
# tm runs tmux there, screen prints the pane, wait_for PATTERN SECONDS polls the screen for an
# extended regular expression.
tm() { tmux -L "$SOCK" "$@"; }
screen() { tm capture-pane -p -t ui; }
wait_for() {
    i=0
    while [ "$i" -lt $(($2 * 10)) ]; do
        screen | LC_ALL=C.UTF-8 grep -Eq -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
