#!/bin/sh
# silent_path.sh - end to end: the network between a trainer and a monitor goes silent (no
# close, no reset: the link is taken down) mid-run, and comes back. The trainer and the
# monitor each run in a network namespace of their own, joined by a veth pair; the cut is
# `ip link set down` on the trainer's end, so the monitor hears nothing at all. Within about
# 3 s (TCP keepalive: 1 s without a packet, then 2 probes a second apart; keepalive.h) the
# monitor says the link is lost; after the link is back it reconnects by itself, and every
# epoch value, those of the cut included, equals what the trainer printed (the publisher's
# replay). Then a relay drops a monitor whose path goes silent within about 5 s. Needs root,
# ip(8) and ss(8) (iproute2) and veth: skipped (status 77) where a namespace or a veth pair
# cannot be made.
# Usage: silent_path.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-silent-XXXXXX)
NA="tw-silent-a-$$"
NB="tw-silent-b-$$"
trainer=
monitor=
relay=
cleanup() {
    for p in $trainer $monitor $relay; do kill "$p" 2>/dev/null; done
    ip netns del "$NA" 2>/dev/null
    ip netns del "$NB" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM # the namespaces go with the test, also at its timeout
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"
if ! command -v ip >/dev/null 2>&1 || ! ip netns add "$NA" 2>/dev/null ||
    ! ip netns add "$NB" 2>/dev/null ||
    ! ip link add va netns "$NA" type veth peer name vb netns "$NB" 2>/dev/null ||
    ! ip netns exec "$NA" true 2>/dev/null; then
    echo "skipped: cannot make network namespaces joined by veth here (needs root and ip)"
    exit 77
fi
ip -n "$NA" addr add 10.77.0.1/24 dev va && ip -n "$NA" link set va up &&
    ip -n "$NA" link set lo up && ip -n "$NB" addr add 10.77.0.2/24 dev vb &&
    ip -n "$NB" link set vb up && ip -n "$NB" link set lo up || {
    echo "FAIL - cannot configure the veth pair"
    exit 1
}
ms() { date +%s%3N; }
trainer_epochs() { grep -c '^epoch ' "$T/trainer.out"; }
epochs_at_least() { [ "$(trainer_epochs)" -ge "$1" ]; }
# said PATTERN: waits up to 15 s for the monitor to say PATTERN on stderr; true if it did.
said() { wait_until 300 grep -q "$1" "$T/mon.err"; }
EPOCHS=40
EP=tcp://10.77.0.1:5555 # a namespace of its own: no other test's port

# tcp beyond loopback: in clear, allowed (the namespaces are this test's own)
TRAINWATCH_INSECURE=1 TRAINWATCH_ENDPOINT="$EP" TRAINWATCH_RUN=silent \
    ip netns exec "$NA" "$TRAIN" --epochs $EPOCHS --delay-ms 30 >"$T/trainer.out" 2>&1 &
trainer=$!
ip netns exec "$NB" "$TW" --jsonl --until-end "$EP" >"$T/mon.jsonl" 2>"$T/mon.err" &
monitor=$!
wait_until 600 epochs_at_least 4

# The cut: silent.
ip -n "$NA" link set va down
t0=$(ms)
cut_at=$(trainer_epochs)
said "disconnected"
lost=$?
dt=$(($(ms) - t0))
if [ "$lost" -ne 0 ]; then
    fail "no disconnection reported 15 s after the link went silent"
elif [ "$dt" -le 4000 ]; then
    ok "the monitor says the link is lost ${dt} ms after it went silent (keepalive: ~3 s)"
else
    fail "the link was reported lost only ${dt} ms after it went silent (more than 4 s)"
fi

# Training goes on during the cut: three more epochs at least.
wait_until 600 epochs_at_least $((cut_at + 3))
during=$(trainer_epochs)
ip -n "$NA" link set va up
t0=$(ms)
if said "connected again"; then
    ok "connected again by itself $(($(ms) - t0)) ms after the link is back"
else
    fail "not connected again 15 s after the link is back: $(cat "$T/mon.err")"
fi
wait "$trainer"
trainer=
if wait_exit "$monitor" 300; then
    wait "$monitor" && ok "--until-end exits 0 after the run ended" ||
        fail "the monitor exited non-zero: $(tail -n 3 "$T/mon.err")"
else
    fail "--until-end still running 30 s after the trainer ended"
    kill "$monitor"
fi
monitor=
if check_epochs "$T/mon.jsonl" "$T/trainer.out" 1 $EPOCHS; then
    ok "all $EPOCHS epochs (4 values each; $cut_at..$during during the cut) equal the trainer's"
else
    fail "epoch values differ from the trainer's"
fi

# A relay (with the trainer, in A) drops a monitor (in B) whose path goes silent: it sends to
# the monitor, so no keepalive probe goes out; its data unacknowledged for 5 s ends the
# connection (keepalive.h), and the monitor's subscription with it.
# out_conns: the relay's OUT connections, established.
out_conns() { ip netns exec "$NA" ss -Htn state established "( sport = :5557 )" | grep -c .; }
out_gone() { [ "$(out_conns)" -eq 0 ]; }
ip -n "$NA" link set va up
TRAINWATCH_INSECURE=1 ip netns exec "$NA" "$TW" relay --quiet --insecure tcp://127.0.0.1:5556 \
    tcp://10.77.0.1:5557 >/dev/null 2>"$T/relay.err" &
relay=$!
TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:5556" TRAINWATCH_RUN=relayed \
    ip netns exec "$NA" "$TRAIN" --epochs 400 --delay-ms 30 --quiet >/dev/null 2>&1 &
trainer=$!
ip netns exec "$NB" "$TW" --jsonl tcp://10.77.0.1:5557 >"$T/relayed.jsonl" 2>&1 &
monitor=$!
wait_until 300 grep -q '"final":true' "$T/relayed.jsonl"
n0=$(out_conns)
ip -n "$NA" link set va down
t0=$(ms)
wait_until 300 out_gone
dt=$(($(ms) - t0))
if [ "$n0" -ne 1 ]; then
    fail "the relay had $n0 monitor connections before the cut, not 1"
elif [ "$(out_conns)" -eq 0 ] && [ "$dt" -le 7000 ]; then
    ok "the relay drops the monitor ${dt} ms after its path went silent (5 s unacknowledged)"
else
    fail "the relay still holds the silent monitor's connection ${dt} ms after the cut"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
