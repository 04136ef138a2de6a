#!/bin/sh
# monitor_tmux.sh - end to end: the example trainer and the trainwatch UI in a real terminal
# (tmux), driven with send-keys and read with capture-pane, as a user would.
# Usage: monitor_tmux.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-e2e-XXXXXX)
SOCK="tw-e2e-$$"
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export TRAINWATCH_LOG_DIR="$T/runs"
cleanup() {
    tm kill-server 2>/dev/null
    [ -n "${trainer:-}" ] && kill "$trainer" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# Braille cells (U+2800..U+28FF) are E2 A0..A3 xx in UTF-8: match the bytes.
BRAILLE=$(printf '\342[\240\241\242\243]')
has_braille() { screen | LC_ALL=C grep -q "$BRAILLE"; }

"$TRAIN" --epochs 200 --delay-ms 40 --quiet & # outlives the test; killed at the end
trainer=$!

# A session that outlives the "ui" ones: killing the last session ends the tmux server, and a
# new-session racing that exit fails with "server exited unexpectedly" (seen under load).
tm new-session -d -s keep "sleep 300"
# The UI in a 120x40 UTF-8 terminal; after it exits the pane shows its exit status.
tm new-session -d -s ui -x 120 -y 40 \
    "env LANG=C.UTF-8 XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW; echo TRAINWATCH-EXIT=\$?; sleep 30"

if wait_for 'train_mlp' 10; then ok "the live run is discovered"; else fail "no run shown"; fi
i=0
while [ "$i" -lt 100 ] && ! has_braille; do
    sleep 0.1
    i=$((i + 1))
done
if has_braille; then ok "braille curves are drawn"; else fail "no braille curve"; fi
if wait_for 'loss' 5; then ok "the loss metric is listed"; else fail "no loss metric"; fi
if wait_for 'epoch [0-9]+/200' 10; then ok "progress shows epoch N/200"; else fail "no progress line"; fi

tm send-keys -t ui '?'
if wait_for '[Hh]elp|HELP' 3; then ok "? opens the help screen"; else fail "? shows no help"; fi
tm send-keys -t ui Escape
tm send-keys -t ui ']'
if wait_for '^ trainwatch .* accuracy ' 3; then ok "] moves to the next metric"; else
    fail "] did not select accuracy"
fi
tm send-keys -t ui x
if wait_for 'x:step' 3; then ok "x switches the x-axis to steps"; else fail "x did nothing"; fi
tm send-keys -t ui l
if wait_for 'log' 3; then ok "l turns on log-y"; else fail "l did nothing"; fi

for size in "300 80" "20 5" "1 1" "80 24" "120 40"; do
    set -- $size
    tm resize-window -t ui -x "$1" -y "$2"
    sleep 0.5
    if screen | grep -q 'TRAINWATCH-EXIT'; then
        fail "the monitor exited at ${1}x${2}"
        break
    fi
done
ok "resized to 300x80, 20x5, 1x1, 80x24 and back without exiting"
tm resize-window -t ui -x 30 -y 6
sleep 0.5
if screen | grep -qi 'too small'; then ok "a tiny terminal says it is too small"; else
    fail "no 'too small' message at 30x6"
fi
tm resize-window -t ui -x 120 -y 40

tm send-keys -t ui q
if wait_for 'TRAINWATCH-EXIT=0' 5; then ok "q quits with status 0"; else fail "q did not quit"; fi
# The terminal is restored: the pane is back on the normal screen with the echo visible and
# none of the monitor's chart left behind.
if screen | grep -q 'x:step'; then fail "the monitor's screen was left behind"; else
    ok "the terminal is restored after q"
fi
tm kill-session -t ui

# SIGTERM restores the terminal too.
tm new-session -d -s ui -x 100 -y 30 \
    "env XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW; echo TRAINWATCH-EXIT=\$?; sleep 30"
wait_for 'no alerts' 15 # drawn: its handlers are in place
tm send-keys -t ui ''
# Only this pane's monitor: the child of the pane's shell (other monitors may be running).
pane_pid=$(tm display-message -p -t ui '#{pane_pid}')
pkill -TERM -P "$pane_pid" -f "$TW"
if wait_for 'TRAINWATCH-EXIT=' 15 && ! screen | grep -q 'no alerts'; then
    ok "SIGTERM restores the terminal"
else
    fail "SIGTERM left the terminal in the monitor's state"
fi
tm kill-session -t ui

# A plain vt100 without UTF-8: ASCII charts, no crash.
tm new-session -d -s ui -x 100 -y 30 \
    "env LANG=C LC_ALL=C TERM=vt100 XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW; echo TRAINWATCH-EXIT=\$?; sleep 30"
if wait_for 'train_mlp' 10; then ok "TERM=vt100 LANG=C shows the run"; else fail "vt100: no run"; fi
sleep 1
if has_braille; then fail "braille drawn in a C locale"; else ok "no braille in a C locale"; fi
if screen | grep -q '[.*o-]'; then ok "ASCII curves are drawn"; else fail "no ASCII curve"; fi
tm send-keys -t ui q
if wait_for 'TRAINWATCH-EXIT=0' 5; then ok "vt100: q quits"; else fail "vt100: q did not quit"; fi

kill "$trainer"
wait "$trainer" 2>/dev/null
trainer=""
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
