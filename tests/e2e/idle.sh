#!/bin/sh
# idle.sh - end to end: the UI costs nothing while nothing happens. On a finished run log
# (nothing can change: no timer is due), the real monitor in a real terminal (tmux) sleeps in
# its poll until input comes: it is not woken at all in 3 s (a loop with a fixed poll timeout
# of 250 ms would be woken 12 times), and a key still gets an answer at once.
# Usage: idle.sh TRAINWATCH RUN_LOG
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
LOG=$2
T=$(mktemp -d /tmp/tw-e2e-XXXXXX)
SOCK="tw-e2e-idle-$$"
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() {
    tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# The times the process went to sleep waiting (for poll, among others) so far.
sleeps() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
# Whether the process still runs: it exists and is not a zombie (under meson's test runner
# the tmux server may be slow to reap the pane's process).
running() {
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

tm new-session -d -s keep "sleep 300"
tm new-session -d -s ui -x 100 -y 30 "exec env LANG=C.UTF-8 XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW $LOG"
pid=$(tm display-message -p -t ui '#{pane_pid}')
if wait_for 'golden-mlp' 10 && wait_for 'ended' 10; then
    ok "the finished run is shown"
else
    fail "the run log was not shown"
fi
sleep 1.5 # the last redraw and the log's end behind it
before=$(sleeps "$pid")
sleep 3
after=$(sleeps "$pid")
if [ $((after - before)) -le 1 ]; then
    ok "idle for 3 s: woken $((after - before)) times"
else
    fail "idle for 3 s, yet woken $((after - before)) times"
fi

# input still wakes it, and at once
tm send-keys -t ui m
if wait_for 'per step' 2; then ok "a key is answered"; else fail "no answer to a key"; fi
tm send-keys -t ui q
i=0
while running "$pid" && [ "$i" -lt 30 ]; do
    sleep 0.1
    i=$((i + 1))
done
if running "$pid"; then fail "q did not quit"; else ok "q quits"; fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
