#!/bin/sh
# netcut.sh - end to end: the network between a trainer and two monitors (the UI in tmux and
# --jsonl) is cut mid-run (the TCP relay between them is SIGKILLed) and restored (the relay
# starts again on the same port). Within 3 s the UI says DISCONNECTED; restored, the label
# clears by itself, and every epoch value, those of the cut included, equals what the trainer
# printed (the publisher's replay fills the gap).
# Usage: netcut.sh TRAINWATCH TRAIN_MLP TCP_PROXY
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
PROXY=$3
T=$(mktemp -d /tmp/tw-netcut-XXXXXX)
SOCK="tw-netcut-$$"
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"
cleanup() {
    tm kill-server 2>/dev/null
    for p in ${trainer:-} ${proxy:-} ${monitor:-}; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

ms() { date +%s%3N; }
# trainer_epochs: how many epochs the trainer has printed.
trainer_epochs() { grep -c '^epoch ' "$T/trainer.out"; }

EPOCHS=40
UPORT=$(port_block) || exit 1 # the trainer
PORT=$((UPORT + 1))           # the relay, where the monitors connect

TRAINWATCH_ENDPOINT="tcp://127.0.0.1:$UPORT" TRAINWATCH_RUN=netcut \
    "$TRAIN" --epochs $EPOCHS --delay-ms 30 >"$T/trainer.out" 2>&1 &
trainer=$!
"$PROXY" "$PORT" "$UPORT" >"$T/proxy.out" 2>&1 &
proxy=$!
sleep 0.3
"$TW" --jsonl --until-end "tcp://127.0.0.1:$PORT" >"$T/mon.jsonl" 2>"$T/mon.err" &
monitor=$!
tm new-session -d -s ui -x 120 -y 30 \
    "env LANG=C.UTF-8 $TW tcp://127.0.0.1:$PORT; echo TRAINWATCH-EXIT=\$?; sleep 30"

if wait_for "epoch [0-9]+/$EPOCHS" 10; then ok "the UI shows the run through the relay"; else
    fail "no run in the UI"
fi
i=0
while [ "$(trainer_epochs)" -lt 4 ] && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
wait_for "epoch [4-9]/$EPOCHS" 5 || true # the UI has caught up with epoch 4

# The cut.
kill -9 "$proxy"
t0=$(ms)
cut_at=$(trainer_epochs)
if wait_for 'DISCONNECTED' 6; then
    dt=$(($(ms) - t0))
    if [ "$dt" -le 3000 ]; then ok "the UI says DISCONNECTED ${dt} ms after the cut"; else
        fail "DISCONNECTED only after ${dt} ms (more than 3 s)"
    fi
else
    fail "the UI never says DISCONNECTED after the cut"
fi
if grep -q "tcp://127.0.0.1:$PORT: disconnected" "$T/mon.err" &&
    grep -q '"type":"link".*"state":"disconnected"' "$T/mon.jsonl"; then
    ok "--jsonl says disconnected (stderr and a link line)"
else
    fail "--jsonl did not report the disconnection: $(cat "$T/mon.err")"
fi

# Training goes on during the cut: three more epochs at least.
i=0
while [ "$(trainer_epochs)" -lt $((cut_at + 3)) ] && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
during=$(trainer_epochs)
if screen | grep -q 'DISCONNECTED' && ! screen | grep -qi 'vanished'; then
    ok "still DISCONNECTED (not vanished) after epochs $cut_at..$during went by during the cut"
else
    fail "the label did not hold during the cut"
fi

# Restored: the relay again on the same port; the label clears by itself.
"$PROXY" "$PORT" "$UPORT" >"$T/proxy2.out" 2>&1 &
proxy=$!
t0=$(ms)
i=0
while [ "$i" -lt 100 ] && screen | grep -q 'DISCONNECTED'; do
    sleep 0.1
    i=$((i + 1))
done
if ! screen | grep -q 'DISCONNECTED' && wait_for "epoch [0-9]+/$EPOCHS" 1; then
    ok "the label clears by itself $(($(ms) - t0)) ms after the relay is back"
else
    fail "still DISCONNECTED 10 s after the relay is back"
fi
if wait_for "netcut .*ended|ended at epoch $EPOCHS" 60; then ok "the UI sees the run end"; else
    fail "the UI did not see the run end"
fi
wait "$trainer"
trainer=
if wait_exit "$monitor" 100; then ok "--jsonl --until-end exits after the run ended"; else
    fail "--jsonl --until-end still running"
fi
monitor=
grep -q "connected again" "$T/mon.err" && ok "--jsonl says the link is back" ||
    fail "no 'connected again' on stderr: $(cat "$T/mon.err")"

# Every epoch, those during the cut included, against the trainer's own print.
if check_epochs "$T/mon.jsonl" "$T/trainer.out" 1 $EPOCHS; then
    ok "all $EPOCHS epochs (4 values each; $cut_at..$during during the cut) equal the trainer's"
else
    fail "epoch values differ from the trainer's"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
