#!/bin/sh
# replay_storm.sh - end to end: a storm of short-lived subscribers on a loopback publisher
# (what any local user can do) gets a few rate-limited replays, not one per subscription, and
# the trainer's CPU does not follow the storm; with no storm a new monitor still gets the whole
# history within 1 s; with a key on loopback the storm gets nothing at all.
# Usage: replay_storm.sh TRAINWATCH REPLAY_STORM
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
STORM=$2
T=$(mktemp -d /tmp/tw-storm-XXXXXX)
pids=
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR=off
PORT=$(port_block) || exit 1
EP="tcp://127.0.0.1:$PORT"

# wait_ready FILE: waits (10 s at most) for the trainer's "ready" line.
wait_ready() {
    i=0
    while ! grep -q '^ready' "$1" && [ "$i" -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# finals_in_1s NAME [ARG...]: a monitor (--jsonl, with the arguments) started now and stopped
# after 1 s; prints how many final epoch values it had written (in $T/NAME.jsonl).
finals_in_1s() {
    f=$1
    shift
    "$TW" --jsonl "$@" "$EP" >"$T/$f.jsonl" 2>"$T/$f.err" &
    mon=$!
    pids="$pids $mon"
    sleep 1
    kill "$mon" 2>/dev/null
    wait "$mon" 2>/dev/null
    grep '"type":"epoch_value"' "$T/$f.jsonl" | grep -c '"final":true'
}

# 1. No storm: the trainer alone for 4 s (its CPU is the baseline); a monitor started then
# gets the 200 epochs of history within 1 s.
TRAINWATCH_ENDPOINT="$EP" TRAINWATCH_RUN=calm "$STORM" train 4 >"$T/calm.out" 2>&1 &
trainer=$!
pids="$trainer"
wait_ready "$T/calm.out"
sleep 0.5
n=$(finals_in_1s late)
if [ "$n" -ge 600 ]; then
    ok "no storm: a monitor started late has the $n final epoch values of the history within 1 s"
else
    fail "no storm: a monitor started late has $n final epoch values after 1 s, expected 600"
fi
wait "$trainer"
calm_cpu=$(sed -n 's/^replays [0-9]* cpu_ms \([0-9]*\)$/\1/p' "$T/calm.out")

# 2. A storm of 3 s against a trainer of 6 s: a burst of 8 replays, then at most one per
# 250 ms (and a last one for whoever subscribed during the gap), not one per subscription.
TRAINWATCH_ENDPOINT="$EP" TRAINWATCH_RUN=storm "$STORM" train 6 >"$T/storm.out" 2>&1 &
trainer=$!
pids="$trainer"
wait_ready "$T/storm.out"
"$STORM" storm "$EP" 3 >"$T/storm.subs" 2>&1
sleep 1.1 # the gap after the storm's last replay, and more
n=$(finals_in_1s after)
wait "$trainer"
subs=$(sed -n 's/^subscriptions \([0-9]*\) .*/\1/p' "$T/storm.subs")
replays=$(sed -n 's/^replays \([0-9]*\) .*/\1/p' "$T/storm.out")
storm_cpu=$(sed -n 's/^replays [0-9]* cpu_ms \([0-9]*\)$/\1/p' "$T/storm.out")
echo "# storm: $(cat "$T/storm.subs"); trainer: $replays replays, CPU ${storm_cpu} ms" \
    "(${calm_cpu} ms without a storm)"
if [ "${subs:-0}" -ge 60 ] && [ "${replays:-999}" -le 24 ]; then
    ok "a storm of $subs subscriptions in 3 s got $replays replays (8, then at most 4 a second)"
else
    fail "a storm of ${subs:-?} subscriptions in 3 s got ${replays:-?} replays (expected >= 60, <= 24)"
fi
if [ "$n" -ge 600 ]; then
    ok "after the storm: a new monitor has the $n final epoch values within 1 s"
else
    fail "after the storm: a new monitor has $n final epoch values after 1 s, expected 600"
fi

# 3. CURVE on loopback (the README's advice for shared hosts): the same storm without the key
# reads nothing and makes no replay; a monitor with the public key gets the history.
"$TW" keygen "$T/job" >/dev/null
TRAINWATCH_CURVE_SECRET="$T/job.key" TRAINWATCH_ENDPOINT="$EP" TRAINWATCH_RUN=keyed \
    "$STORM" train 4 >"$T/keyed.out" 2>&1 &
trainer=$!
pids="$trainer"
wait_ready "$T/keyed.out"
"$STORM" storm "$EP" 1 >"$T/keyed.subs" 2>&1
n=$(finals_in_1s keyed --server-key "$T/job.pub")
wait "$trainer"
bytes=$(sed -n 's/^subscriptions [0-9]* bytes \([0-9]*\)$/\1/p' "$T/keyed.subs")
replays=$(sed -n 's/^replays \([0-9]*\) .*/\1/p' "$T/keyed.out")
if [ "$bytes" = 0 ] && [ "$replays" = 1 ] && [ "$n" -ge 600 ]; then
    ok "CURVE on loopback: a storm without the key read nothing and made no replay; the key's monitor has all $n values"
else
    fail "CURVE on loopback: storm read '$bytes' bytes, $replays replays (expected 0 bytes, 1 replay), monitor $n values"
fi
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
