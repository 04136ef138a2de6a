#!/bin/sh
# curve.sh - end to end: CURVE encryption. trainwatch keygen; a trainer binding tcp beyond
# loopback in clear is refused, or allowed with TRAINWATCH_INSECURE=1 and warned about; with
# keys the monitor that has the server's public key sees the run's values (checked against
# the trainer's print), one with a wrong key or none says "authentication failed" and gets
# nothing; what crosses the wire (recorded by a TCP relay) shows the run's name in clear and
# not with CURVE; the monitor's --listen side; bad key arguments.
# Usage: curve.sh TRAINWATCH TRAIN_MLP TCP_PROXY
set -u
. "$(dirname "$0")/lib.sh"
TW=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # keygen runs in $T
TRAIN=$2
PROXY=$3
T=$(mktemp -d /tmp/tw-curve-XXXXXX)
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR=off
cleanup() {
    for p in ${proxy:-} ${mon:-} ${trainer:-}; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
BASE=$(port_block) || exit 1

# --- keygen
if (cd "$T" && "$TW" keygen server >keygen.out 2>&1) && [ -f "$T/server.key" ] &&
    [ -f "$T/server.pub" ] && [ "$(stat -c %a "$T/server.key")" = 600 ] &&
    grep -q 'server.key' "$T/keygen.out" && grep -q 'server.pub' "$T/keygen.out"; then
    ok "keygen writes NAME.key (mode 600) and NAME.pub and says so"
else
    fail "keygen: $(cat "$T/keygen.out" 2>/dev/null)"
fi
before=$(cat "$T/server.key")
if ! (cd "$T" && "$TW" keygen server >keygen2.out 2>&1) &&
    grep -q 'refusing to overwrite' "$T/keygen2.out" && [ "$(cat "$T/server.key")" = "$before" ]; then
    ok "keygen refuses to overwrite a key"
else
    fail "keygen overwrote or did not say: $(cat "$T/keygen2.out")"
fi
(cd "$T" && "$TW" keygen wrong >/dev/null 2>&1)
"$TW" keygen >/dev/null 2>"$T/keygen3.err"
[ $? -eq 2 ] && grep -q 'usage' "$T/keygen3.err" && ok "keygen without a name: usage, status 2" ||
    fail "keygen without a name"

# --- binding beyond loopback in clear
P=$BASE
TRAINWATCH_ENDPOINT="tcp://0.0.0.0:$P" "$TRAIN" --epochs 1 >"$T/refused.out" 2>&1
if grep -q 'refusing to publish in clear on tcp://0.0.0.0' "$T/refused.out" &&
    grep -q 'TRAINWATCH_INSECURE=1' "$T/refused.out" && grep -q 'not publishing' "$T/refused.out"; then
    ok "a trainer binding tcp://0.0.0.0 without a key is refused, saying how to fix it"
else
    fail "no refusal: $(cat "$T/refused.out")"
fi

# run_pair NAME TRAINER_ENV... -- MONITOR_ARGS...: a trainer binding tcp://0.0.0.0:$P (8 paced
# epochs), a relay $((P + 1)) -> $P recording to $T/NAME.wire, and a monitor through it
# (--jsonl --until-end, stdout $T/NAME.jsonl, stderr $T/NAME.err).
run_pair() {
    name=$1
    shift
    envs=""
    while [ "$1" != "--" ]; do
        envs="$envs $1"
        shift
    done
    shift
    "$PROXY" $((P + 1)) "$P" "$T/$name.wire" >/dev/null 2>&1 &
    proxy=$!
    "$TW" --jsonl --until-end "$@" "tcp://127.0.0.1:$((P + 1))" >"$T/$name.jsonl" 2>"$T/$name.err" &
    mon=$!
    sleep 0.3
    env $envs TRAINWATCH_ENDPOINT="tcp://0.0.0.0:$P" TRAINWATCH_RUN="secret-run-$name" \
        "$TRAIN" --epochs 8 --delay-ms 20 >"$T/$name.out" 2>&1
    wait_exit "$mon" 100 || { kill "$mon"; echo "  the $name monitor did not exit"; }
    kill "$proxy" 2>/dev/null
    wait "$proxy" 2>/dev/null
    mon= proxy=
}

# --- insecure, explicitly
P=$((BASE + 10))
run_pair clear TRAINWATCH_INSECURE=1 --
grep -q 'warning: publishing in clear on tcp://0.0.0.0' "$T/clear.out" &&
    ok "TRAINWATCH_INSECURE=1: the trainer binds and warns" || fail "no warning: $(cat "$T/clear.out")"
check_epochs "$T/clear.jsonl" "$T/clear.out" 1 8 && ok "in clear: the monitor's values equal the trainer's" ||
    fail "in clear: values differ"
LC_ALL=C grep -aq 'secret-run-clear' "$T/clear.wire" &&
    ok "in clear, the run's name crosses the wire readable" || fail "the clear wire lacks the name"

# --- with keys: the right server key, through a recording relay
P=$((BASE + 20))
"$TW" --once --wait 4 --server-key "$T/wrong.pub" "tcp://127.0.0.1:$P" >"$T/wrongkey.out" \
    2>"$T/wrongkey.err" &
wrongmon=$!
"$TW" --once --wait 4 "tcp://127.0.0.1:$P" >"$T/nokey.out" 2>"$T/nokey.err" &
nokeymon=$!
run_pair curve TRAINWATCH_CURVE_SECRET="$T/server.key" -- --server-key "$T/server.pub"
grep -q 'refusing\|warning' "$T/curve.out" && fail "a keyed trainer complained: $(cat "$T/curve.out")" ||
    ok "with TRAINWATCH_CURVE_SECRET the trainer binds tcp://0.0.0.0 quietly"
check_epochs "$T/curve.jsonl" "$T/curve.out" 1 8 &&
    ok "with the right --server-key the monitor's values equal the trainer's (8 epochs)" ||
    fail "with CURVE: values differ: $(cat "$T/curve.err")"
if [ -s "$T/curve.wire" ] && ! LC_ALL=C grep -aq 'secret-run-curve' "$T/curve.wire" &&
    ! LC_ALL=C grep -aq 'val_loss\|accuracy' "$T/curve.wire"; then
    ok "with CURVE, neither the run's name nor metric names cross the wire readable ($(wc -c <"$T/curve.wire") bytes)"
else
    fail "the CURVE wire shows the run in clear (or is empty)"
fi

# --- a wrong key, and no key
wait "$wrongmon"
st=$?
if [ $st -eq 2 ] && grep -q 'authentication failed' "$T/wrongkey.err" &&
    ! grep -q 'loss' "$T/wrongkey.out"; then
    ok "a wrong --server-key: 'authentication failed', no values, status 2"
else
    fail "wrong key: status $st, stderr: $(cat "$T/wrongkey.err"), stdout: $(cat "$T/wrongkey.out")"
fi
wait "$nokeymon"
st=$?
if [ $st -eq 2 ] && grep -q 'authentication failed.*--server-key' "$T/nokey.err"; then
    ok "no key against a CURVE publisher: says to give its public key, status 2"
else
    fail "no key: status $st, stderr: $(cat "$T/nokey.err")"
fi

# --- the monitor listening: CURVE server with --key; publishers connect with the public key
P=$((BASE + 30))
"$TW" --jsonl --until-end --key "$T/server.key" --listen "tcp://127.0.0.1:$P" >"$T/listen.jsonl" \
    2>"$T/listen.err" &
mon=$!
sleep 0.3
TRAINWATCH_CURVE_SERVER="$T/server.pub" TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$P" \
    TRAINWATCH_RUN=listened "$TRAIN" --epochs 4 --delay-ms 10 >"$T/listen.out" 2>&1
wait_exit "$mon" 100 || kill "$mon"
mon=
check_epochs "$T/listen.jsonl" "$T/listen.out" 1 4 &&
    ok "--key --listen: a publisher connecting with the public key is received (4 epochs)" ||
    fail "--key --listen: values differ: $(cat "$T/listen.err") $(cat "$T/listen.out")"
"$TW" --once --wait 0 --listen "tcp://0.0.0.0:$((P + 1))" >/dev/null 2>"$T/listen2.err"
st=$?
[ $st -eq 2 ] && grep -q 'refusing to listen in clear' "$T/listen2.err" &&
    ok "--listen tcp://0.0.0.0 without a key is refused (status 2)" ||
    fail "--listen in clear: status $st, $(cat "$T/listen2.err")"
"$TW" --once --wait 0 --insecure --listen "tcp://0.0.0.0:$((P + 2))" >/dev/null 2>"$T/listen3.err"
st=$?
[ $st -eq 0 ] && grep -q 'warning: listening in clear' "$T/listen3.err" &&
    ok "--insecure --listen tcp://0.0.0.0 listens with a warning" ||
    fail "--insecure --listen: status $st, $(cat "$T/listen3.err")"

# --- bad key arguments
"$TW" --once --wait 0 --server-key "$T/nothere.pub" tcp://127.0.0.1:1 >/dev/null 2>"$T/bad1.err"
st=$?
[ $st -eq 2 ] && grep -q 'no key file .*nothere.pub' "$T/bad1.err" &&
    ok "a missing key file: a clear message, status 2" || fail "missing key: $st $(cat "$T/bad1.err")"
cp "$T/server.key" "$T/open.key"
chmod 644 "$T/open.key"
"$TW" --once --wait 0 --key "$T/open.key" --listen tcp://127.0.0.1:$((P + 3)) >/dev/null 2>"$T/bad2.err"
st=$?
[ $st -eq 2 ] && grep -q 'open to others (mode 0644)' "$T/bad2.err" &&
    ok "a secret key file readable by others is refused" || fail "open key: $st $(cat "$T/bad2.err")"
printf 'not-a-key\n' >"$T/garbage.pub"
"$TW" --once --wait 0 --server-key "$T/garbage.pub" tcp://127.0.0.1:1 >/dev/null 2>"$T/bad3.err"
st=$?
[ $st -eq 2 ] && grep -q 'a key is 40 Z85 characters' "$T/bad3.err" &&
    ok "a file that holds no key: a clear message" || fail "garbage key: $st $(cat "$T/bad3.err")"
TRAINWATCH_CURVE_SECRET="$T/open.key" TRAINWATCH_ENDPOINT="tcp://0.0.0.0:$((P + 4))" \
    "$TRAIN" --epochs 1 >"$T/bad4.out" 2>&1
grep -q 'TRAINWATCH_CURVE_SECRET: secret key file .* open to others' "$T/bad4.out" &&
    ok "the publisher refuses an open secret key file too" || fail "publisher open key: $(cat "$T/bad4.out")"

# --- a relay serving monitors beyond this host with CURVE: the trainer connects into its
# loopback IN in clear, OUT binds tcp://0.0.0.0 with --key; a monitor with its .pub gets the
# run, one with a wrong key is told; without --key (or --insecure) the bind is refused.
P=$((BASE + 40))
(cd "$T" && "$TW" keygen relay >/dev/null 2>&1)
"$TW" relay --quiet "tcp://127.0.0.1:$P" "tcp://0.0.0.0:$((P + 1))" >/dev/null 2>"$T/relay0.err"
st=$?
[ $st -eq 2 ] && grep -q 'give --key' "$T/relay0.err" &&
    ok "a relay binding tcp://0.0.0.0 without --key is refused, naming --key" ||
    fail "relay without key: status $st, $(cat "$T/relay0.err")"
"$TW" relay --quiet --key "$T/relay.key" "tcp://127.0.0.1:$P" "tcp://0.0.0.0:$((P + 1))" \
    >/dev/null 2>"$T/relay.err" &
relay=$!
"$TW" --jsonl --until-end --server-key "$T/relay.pub" "tcp://127.0.0.1:$((P + 1))" \
    >"$T/relayed.jsonl" 2>"$T/relayed.err" &
mon=$!
"$TW" --once --wait 4 --server-key "$T/wrong.pub" "tcp://127.0.0.1:$((P + 1))" \
    >"$T/relaywrong.out" 2>"$T/relaywrong.err" &
wrongmon=$!
sleep 0.5
TRAINWATCH_ENDPOINT=">tcp://127.0.0.1:$P" TRAINWATCH_RUN=relayed-run \
    "$TRAIN" --epochs 8 --delay-ms 20 >"$T/relayed.out" 2>&1
wait_exit "$mon" 100 || { kill "$mon"; echo "  the relayed monitor did not exit"; }
mon=
check_epochs "$T/relayed.jsonl" "$T/relayed.out" 1 8 &&
    ok "through a relay with --key, a monitor with its .pub gets the trainer's values" ||
    fail "through the CURVE relay: values differ: $(cat "$T/relayed.err" "$T/relay.err")"
wait "$wrongmon"
st=$?
[ $st -eq 2 ] && grep -q 'authentication failed' "$T/relaywrong.err" &&
    ! grep -q 'relayed-run' "$T/relaywrong.out" &&
    ok "a wrong key at the relay: 'authentication failed', nothing received" ||
    fail "wrong key at the relay: status $st, $(cat "$T/relaywrong.err")"
kill "$relay" 2>/dev/null
wait "$relay" 2>/dev/null

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
