#!/bin/sh
# ui_exit.sh - end to end, in a real terminal (tmux): how the UI leaves. Stopped by SIGINT
# (Ctrl-C), SIGQUIT (Ctrl-\), SIGTERM or SIGHUP, it restores the terminal (normal screen,
# cursor visible) and exits 128+N; q exits 0. A terminal it cannot drive (TERM=dumb, an
# unknown TERM, no TERM) is refused at once with the real reason and exit 1, never an empty
# screen or "Inappropriate ioctl for device".
# Usage: ui_exit.sh TRAINWATCH RUN_LOG
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
LOG=$2
T=$(mktemp -d /tmp/tw-e2e-XXXXXX)
SOCK="tw-e2e-uiexit-$$"
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() {
    tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# A fresh shell in the session "ui" for each case (a case that fails cannot spoil the next);
# the case runs the monitor in it and prints its exit status. A second session keeps the
# server up between them.
tm new-session -d -s keep "sleep 300"
new_shell() {
    tm kill-session -t ui 2>/dev/null
    tm new-session -d -s ui -x 100 -y 30 "env -i PATH=/usr/bin:/bin HOME=$T \
TERM=xterm-256color LANG=C.UTF-8 XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR sh"
}
# Prints the monitor's pid once it runs (5 s at most), nothing if it never did.
monitor_pid() {
    i=0
    while [ "$i" -lt 50 ]; do
        p=$(pgrep -n -f "^$TW $LOG\$") && { echo "$p"; return; }
        sleep 0.1
        i=$((i + 1))
    done
}
# case_signal LABEL HOW WANT: starts the monitor, stops it by HOW (keys:C-c or a signal name)
# and checks the exit status WANT and the terminal state.
# Each case prints its own EXITk= line (k counts the cases), so that no case reads the line of
# the one before.
k=0
case_signal() {
    k=$((k + 1))
    new_shell
    tm send-keys -t ui "clear; $TW $LOG; echo EXIT$k=\$?" Enter
    if ! wait_for 'ended at epoch 16' 10; then # the UI's status line, not the typed command
        fail "$1: the UI did not come up"
        return
    fi
    pid=$(monitor_pid)
    case $2 in
    keys:*) tm send-keys -t ui "${2#keys:}" ;;
    *) kill -s "$2" "$pid" ;;
    esac
    if wait_for "^EXIT$k=" 5; then
        got=$(screen | sed -n "s/^EXIT$k=\\([0-9]*\\).*/\\1/p" | tail -n 1)
        state=$(tm display -p -t ui 'alternate=#{alternate_on} cursor=#{cursor_flag}')
        if [ "$got" = "$3" ] && [ "$state" = "alternate=0 cursor=1" ]; then
            ok "$1: exit $got, the terminal restored ($state)"
        else
            fail "$1: exit '$got' (want $3), $state (want alternate=0 cursor=1)"
        fi
    else
        fail "$1: the monitor did not exit"
        kill -9 "$pid" 2>/dev/null
    fi
}
case_signal "q" "keys:q" 0
case_signal "Ctrl-C (SIGINT)" "keys:C-c" 130
case_signal "Ctrl-\\ (SIGQUIT)" 'keys:C-\' 131
case_signal "SIGTERM" TERM 143
case_signal "SIGHUP" HUP 129

# case_term LABEL ENV WANT: the monitor under env ENV exits 1 at once saying WANT.
case_term() {
    k=$((k + 1))
    new_shell
    tm send-keys -t ui "clear; env $2 $TW $LOG; echo EXIT$k=\$?" Enter
    if wait_for "^EXIT$k=" 5; then
        got=$(screen | sed -n "s/^EXIT$k=\\([0-9]*\\).*/\\1/p" | tail -n 1)
        if [ "$got" = 1 ] && screen | grep -q "$3" && ! screen | grep -q 'ioctl'; then
            ok "$1: refused with exit 1: $3"
        else
            fail "$1: exit '$got' (want 1), the message should say '$3'"
        fi
    else
        fail "$1: the monitor did not exit by itself"
        tm send-keys -t ui q
    fi
}
case_term "TERM=dumb" "TERM=dumb" "cannot move the cursor"
case_term "an unknown TERM" "TERM=no-such-terminal" "unknown terminal type"
case_term "no TERM" "-u TERM" "TERM is not set"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
