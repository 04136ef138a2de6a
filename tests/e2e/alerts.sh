#!/bin/sh
# alerts.sh - end to end: trainwatch --check on the example trainer: an overfitting run fires
# (exit 1, at an epoch after the validation minimum), a well-regularised one does not (exit 0),
# and a trainer killed with SIGKILL is reported vanished within 3 s.
# Usage: alerts.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-alerts-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs" # run logs stay out of the working tree


# check_run NAME TRAINER-ARGS...: a monitor discovering runs (--check --until-end), then the
# trainer; leaves the monitor's output in $T/NAME.out, its exit status in $rc, the trainer's
# output in $T/NAME.train.
check_run() {
    name=$1
    shift
    "$TW" --check --until-end >"$T/$name.out" 2>"$T/$name.err" &
    mon=$!
    sleep 0.5
    TRAINWATCH_RUN="$name" "$TRAIN" "$@" >"$T/$name.train" 2>&1
    if wait_exit "$mon" 100; then
        wait "$mon"
        rc=$?
    else
        kill "$mon"
        rc=124
    fi
}

# Overfitting (the defaults: validation loss is lowest around epoch 12), paced so that a
# sanitizer build keeps up.
check_run overfit --epochs 20 --delay-ms 5
best=$(sed -n 's/.*lowest val_loss [0-9.]* at epoch \([0-9]*\).*/\1/p' "$T/overfit.train")
if [ "$rc" -eq 1 ]; then ok "--check --until-end exits 1 on the overfitting run"; else
    fail "overfitting run: exit $rc: $(cat "$T/overfit.out" "$T/overfit.err")"
fi
fired=$(sed -n 's/.* loss\/val epoch \([0-9]*\) overfitting fired: .*/\1/p' "$T/overfit.out" |
    tail -n 1)
if [ -n "$best" ] && [ -n "$fired" ] && [ "$fired" -gt "$best" ]; then
    ok "overfitting of val loss fired at epoch $fired, after the minimum at epoch $best"
else
    fail "no overfitting alert after epoch '$best': $(cat "$T/overfit.out")"
fi
grep -q "its best [0-9.]* of epoch $best and" "$T/overfit.out" && ok "the alert names the best epoch $best" ||
    fail "the best epoch $best is not named"

# JSON lines from the run log of the same run.
LOGDIR=$(sed -n 's/.*, log \(.*\)\/[^/]*\.twlog.*/\1/p' "$T/overfit.train" | head -n 1)
if [ -n "$LOGDIR" ]; then
    "$TW" --check --jsonl "$LOGDIR" >"$T/log.jsonl" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q '"type":"alert".*"rule":"overfitting"' "$T/log.jsonl"; then
        ok "--check --jsonl on the run log: JSON alerts, exit 1"
    else
        fail "--check --jsonl on the log: exit $rc: $(head -c 400 "$T/log.jsonl")"
    fi
fi

# --on-alert: the command gets each alert as one JSON object on its standard input; a failing
# command is reported, and trainwatch still exits with the alerts' status.
if [ -n "$LOGDIR" ]; then
    "$TW" --check --on-alert "cat >> $T/hook.out" "$LOGDIR" >/dev/null 2>"$T/hook.err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q '"rule":"overfitting"' "$T/hook.out" 2>/dev/null; then
        ok "--on-alert passes the alert as JSON on stdin ($(wc -l <"$T/hook.out") line(s))"
    else
        fail "--on-alert: exit $rc, got '$(cat "$T/hook.out" 2>/dev/null)' $(cat "$T/hook.err")"
    fi
    "$TW" --check --on-alert 'cat >/dev/null; exit 3' "$LOGDIR" >/dev/null 2>"$T/hook.err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q 'on-alert command exited with status 3' "$T/hook.err"; then
        ok "a failing --on-alert command is reported, not fatal"
    else
        fail "failing --on-alert: exit $rc: $(cat "$T/hook.err")"
    fi
fi

# Well-regularised: clean labels, more data, a smaller network, few epochs: nothing fires.
check_run regular --epochs 15 --noise 0 --train 2000 --hidden 16 --delay-ms 1
if [ "$rc" -eq 0 ] && grep -q '^0 alerts fired' "$T/regular.out"; then
    ok "--check --until-end exits 0 on a well-regularised run"
else
    fail "regularised run: exit $rc: $(cat "$T/regular.out" "$T/regular.err")"
fi

# SIGKILL: vanished within 3 s.
"$TW" --check --until-end >"$T/kill.out" 2>"$T/kill.err" &
mon=$!
sleep 0.5
TRAINWATCH_RUN=killed "$TRAIN" --epochs 1000 --delay-ms 20 >"$T/kill.train" 2>&1 &
trainer=$!
sleep 2
kill -9 "$trainer"
wait "$trainer" 2>/dev/null
killed_at=$(date +%s.%N)
if wait_exit "$mon" 50; then
    wait "$mon"
    rc=$?
    took=$(echo "$(date +%s.%N) $killed_at" | awk '{printf "%.1f", $1 - $2}')
    if grep -q 'vanished fired' "$T/kill.out" && [ "$rc" -eq 1 ] &&
        awk "BEGIN { exit !($took <= 3.0) }"; then
        ok "a SIGKILLed trainer is reported vanished by --check in ${took} s"
    else
        fail "SIGKILL: exit $rc after ${took} s: $(cat "$T/kill.out" "$T/kill.err")"
    fi
else
    kill "$mon"
    fail "SIGKILL: --check --until-end did not end within 5 s: $(cat "$T/kill.out")"
fi

# The alerts panel's title counts, "FIRED NEW" ("ALERTS  7 fired, 2 active, 1 new").
panel_counts() {
    screen | sed -n 's/.*ALERTS  *\([0-9][0-9]*\) fired, [0-9][0-9]* active, \([0-9][0-9]*\) new.*/\1 \2/p' |
        head -n 1
}

# In the terminal UI: the overfitting alert on the alerts line, the panel (a), acknowledging
# (A), '!' on the chart; then the trainer SIGKILLed shows "vanished" within 3 s.
if command -v tmux >/dev/null 2>&1; then
    SOCK="tw-alerts-$$"
    TRAINWATCH_RUN=ui-overfit "$TRAIN" --epochs 1000 --delay-ms 5 --quiet &
    trainer=$!
    tm new-session -d -s ui -x 140 -y 40 \
        "env LANG=C.UTF-8 XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW --alert gl,alpha=5 --bell; sleep 30"
    tm pipe-pane -t ui -o "cat > $T/ui.bytes"
    if wait_for 'new .*overfitting fired' 30; then ok "the UI's alerts line shows the overfitting alert"; else
        fail "UI: no overfitting alert on the alerts line: $(screen | tail -n 3)"
    fi
    if screen | grep -q '!'; then ok "'!' marks an alert's epoch on the chart"; else fail "UI: no '!' marker"; fi
    if tr -dc '\007' <"$T/ui.bytes" | grep -q .; then ok "--bell rings the terminal bell"; else
        fail "UI: --bell wrote no BEL"
    fi
    tm send-keys -t ui a
    if wait_for 'ALERTS .* fired' 3; then ok "a opens the alerts panel"; else fail "UI: a shows no panel"; fi
    # A acknowledges every event fired so far. The trainer goes on, so events fired after A
    # may be new again (a check for "0 new" failed under load): what must hold is that at
    # most those are new, i.e. new <= fired now - fired before A. Without the ack, new would
    # be at least the unacknowledged ones before A (>= 1: the alerts line said "new") plus
    # those fired since.
    before=$(panel_counts | cut -d' ' -f1)
    tm send-keys -t ui A
    acked=""
    i=0
    while [ -n "$before" ] && [ "$i" -lt 30 ]; do
        now=$(panel_counts)
        if [ -n "$now" ] && [ "${now#* }" -le $((${now%% *} - before)) ]; then
            acked="$now"
            break
        fi
        sleep 0.1
        i=$((i + 1))
    done
    if [ -n "$acked" ]; then
        ok "A acknowledges the alerts (fired before A: $before; now fired, new: $acked)"
    else
        fail "UI: A did not acknowledge (fired before A: '$before', now: '$(panel_counts)')"
    fi
    kill -9 "$trainer"
    wait "$trainer" 2>/dev/null
    if wait_for 'vanished' 3; then ok "a SIGKILLed trainer shows vanished in the UI within 3 s"; else
        fail "UI: not vanished 3 s after SIGKILL: $(screen | tail -n 12)"
    fi
    tm kill-server 2>/dev/null
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
