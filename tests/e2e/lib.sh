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
    # a UI test (a tmux server $SOCK with a session "ui"): what the screen showed
    if [ -n "${SOCK:-}" ] && tm has-session -t ui 2>/dev/null; then
        echo "--- the screen:"
        screen 2>&1 | head -n 40
        echo "---"
    fi
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

# check_epochs JSONL TRAINER_OUT FIRST LAST: the final epoch values FIRST..LAST of a
# trainwatch --jsonl file (loss/train, loss/val, accuracy/val, auc/val) against what train_mlp
# printed; prints each difference; true when there is none.
check_epochs() {
    ce_bad=0
    for ce_e in $(seq "$3" "$4"); do
        for ce_pair in "loss train loss" "loss val val_loss" "accuracy val val_accuracy" \
            "auc val val_auc"; do
            set -- "$1" "$2" "$3" "$4" $ce_pair
            ce_got=$(epoch_value "$1" "$5" "$6" "$ce_e" 2>/dev/null)
            ce_want=$(printed_value "$2" "$ce_e" "$7")
            if [ -z "$ce_want" ] || [ "$ce_got" != "$ce_want" ]; then
                echo "  $5/$6 epoch $ce_e: got '$ce_got', the trainer printed '$ce_want'"
                ce_bad=1
            fi
        done
    done
    return $ce_bad
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
