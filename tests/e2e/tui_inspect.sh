#!/bin/sh
# tui_inspect.sh - end to end: reading numbers off the real UI in a real terminal (tmux). The
# chart cursor follows a live run's newest epoch at the right edge and stays put otherwise;
# xterm mouse reports (SGR 1006, typed into the pane as the terminal would send them) select a
# run and a metric, place the cursor, zoom with the wheel around the pointer and reset with a
# right click; malformed reports are ignored; --no-mouse leaves the mouse alone; W writes the
# chart as SVG and says where; the metrics grid opens a card with a click.
# Usage: tui_inspect.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-e2e-XXXXXX)
SOCK="tw-e2e-inspect-$$"
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() {
    tm kill-server 2>/dev/null
    [ -n "${trainer:-}" ] && kill "$trainer" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# click BUTTON X Y: an SGR press and release at the 1-based cell (X, Y).
click() { tm send-keys -t ui -l "$(printf '\033[<%d;%d;%dM\033[<%d;%d;%dm' "$1" "$2" "$3" "$1" "$2" "$3")"; }
# wheel UP|DOWN X Y
wheel() { tm send-keys -t ui -l "$(printf '\033[<%d;%d;%dM' "$([ "$1" = UP ] && echo 64 || echo 65)" "$2" "$3")"; }
# the cursor readout's epoch
readout_epoch() { screen | sed -n 's/.*epoch \([0-9][0-9]*\) .*train .*val.*/\1/p' | head -n 1; }
# the x axis's tick labels (the row under the axis line)
xticks() { screen | grep -A1 '└' | sed -n 2p | tr -s ' '; }
ui() { # ui ARGS...: the monitor in a 100x30 pane (TERM: $UITERM, else xterm-256color), the
    # terminal's bytes kept
    tm kill-session -t ui 2>/dev/null
    rm -f "$T/bytes"
    tm new-session -d -s ui -x 100 -y 30 -c "$T" "sleep 0.3; exec env LANG=C.UTF-8 TERM=${UITERM:-xterm-256color} XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW $*"
    tm pipe-pane -t ui -o "cat >> $T/bytes"
}

tm new-session -d -s keep "sleep 300"

# --- A live run: the cursor follows the newest epoch at the right edge, stays put otherwise.
TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=live "$TRAIN" --epochs 400 --delay-ms 25 --quiet &
trainer=$!
ui
wait_for 'epoch [0-9]+/400' 15 || fail "no live run shown"
sleep 1
tm send-keys -t ui c
wait_for 'epoch [0-9]+ +train +val' 3 || fail "c shows no readout"
e1=$(readout_epoch)
sleep 2
e2=$(readout_epoch)
if [ -n "$e1" ] && [ -n "$e2" ] && [ "$e2" -gt "$e1" ]; then
    ok "the cursor at the right edge follows the newest epoch ($e1 -> $e2)"
else
    fail "the cursor did not follow: $e1 -> $e2"
fi
tm send-keys -t ui , ,
sleep 0.5
e3=$(readout_epoch)
sleep 2
e4=$(readout_epoch)
if [ -n "$e3" ] && [ "$e3" = "$e4" ]; then ok "moved back, it stays at epoch $e3"; else
    fail "the cursor moved by itself: $e3 -> $e4"
fi
tm send-keys -t ui q
kill "$trainer"
wait "$trainer" 2>/dev/null
trainer=""

# --- The mouse, on the finished logs of two runs.
TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=second "$TRAIN" --epochs 12 --quiet >/dev/null 2>&1
ui "$T/runs"
wait_for 'second' 10 || fail "the logs are not shown"
sleep 1
if grep -q "$(printf '\033\\[?1006h')" "$T/bytes" 2>/dev/null || grep -q '1006h' "$T/bytes"; then
    ok "the UI asks for SGR 1006 mouse reports"
else
    fail "no mouse request written"
fi
click 0 20 12
if wait_for 'epoch [0-9]+ +train' 3; then ok "a click on the chart places the cursor"; else
    fail "a click on the chart shows no readout"
fi
# the second row of the runs list (wide layout: runs below the metrics, body after 2 lines)
row=$(screen | grep -n '■ \(live\|second\) *ended' | sed -n 2p | cut -d: -f1)
name=$(screen | sed -n "${row}p" | sed 's/.*■ \([a-z]*\).*/\1/')
click 0 70 "$row"
if wait_for "^$name +[a-z]" 3; then ok "a click on a run selects it ($name)"; else
    fail "a click on run $name did not select it"
fi
mrow=$(screen | grep -n ' accuracy ' | head -n 1 | cut -d: -f1)
click 0 70 "$mrow"
if wait_for '^ trainwatch .* accuracy ' 3; then ok "a click on a metric selects it"; else
    fail "a click on accuracy did not select it"
fi
before=$(xticks)
wheel UP 40 12
wheel UP 40 12
sleep 0.5
zoomed=$(xticks)
if [ -n "$zoomed" ] && [ "$zoomed" != "$before" ]; then ok "the wheel zooms the x axis ($zoomed)"; else
    fail "the wheel did not zoom: '$before' -> '$zoomed'"
fi
click 2 40 12
sleep 0.5
if [ "$(xticks)" = "$before" ]; then ok "a right click resets the zoom"; else
    fail "the right click did not reset: $(xticks)"
fi
# Malformed, over-long and out-of-range reports: nothing happens, the UI lives on.
shot=$(screen)
tm send-keys -t ui -l "$(printf '\033[<;;M\033[<0;1;1;1;1;1;1;1;1;1;1;1;1;1M\033[<999999;1;1M\033[<0;9999;9999M\033[<0;0;0M')"
sleep 0.5
if [ "$(screen)" = "$shot" ]; then ok "malformed mouse reports are ignored"; else
    fail "a malformed report changed the screen"
fi
# W writes the chart as SVG in the working directory and says where. The names it will take
# in the next seconds are planted as links to another file: W never follows one, and a second
# W (in the same second or not) never overwrites the first.
now=$(date +%s)
for d in 0 1 2 3 4 5 6; do
    ln -s "$T/victim" "$T/trainwatch-accuracy-$(date -d "@$((now + d))" +%Y%m%d-%H%M%S).svg"
done
tm send-keys -t ui W
wait_for "chart written to $T/trainwatch-accuracy-" 3 || fail "W says nothing"
tm send-keys -t ui W
sleep 1
svgs=$(find "$T" -maxdepth 1 -type f -name 'trainwatch-accuracy-*.svg' | sort)
good=0
for f in $svgs; do
    xmllint --noout "$f" && [ "$(grep -c '<path' "$f")" -eq 4 ] && good=$((good + 1))
done
if [ "$good" -eq 2 ] && [ ! -e "$T/victim" ]; then
    ok "W writes the chart as SVG (2 runs x train, val), says where, twice: two new files"
else
    fail "W: $good good SVG files of 2 ($(echo $svgs)); victim: $(ls -l "$T/victim" 2>&1)"
fi
# The grid: a click on a card selects its metric, a second click opens it.
tm send-keys -t ui M
wait_for '^ loss .*val' 3 || fail "M shows no grid"
lrow=$(screen | grep -n ' lr  ' | head -n 1 | cut -d: -f1)
lcol=$(screen | sed -n "${lrow}p" | awk '{ print index($0, " lr ") + 2 }')
click 0 "$lcol" "$lrow"
wait_for '^ trainwatch .* lr .*grid' 3 # selected; a person's second click comes later
click 0 "$lcol" "$lrow"
# the title without "grid" (the grid's title also says "lr ... per epoch"): the chart is open
if wait_for '^ trainwatch .* lr .* per epoch .* x:epoch +[0-9]+ runs?,' 3 &&
    ! screen | grep -q '^ loss .*val'; then
    ok "a click picks a grid card and a second one opens it"
else
    fail "the grid's cards did not answer clicks"
fi
tm send-keys -t ui q
sleep 0.5
if grep -q '1006l' "$T/bytes"; then ok "the mouse is given back on exit"; else fail "mouse left on"; fi

# mouse_unused LABEL: the UI started (ui) shows the logs, asked the terminal for no mouse
# reports, and a report changes nothing on its screen.
mouse_unused() {
    wait_for 'second' 10 || fail "$1: the logs are not shown"
    sleep 1
    shot=$(screen)
    click 0 20 12
    sleep 0.5
    if ! grep -q '1006h' "$T/bytes" && [ "$(screen)" = "$shot" ]; then
        ok "$1: no mouse asked for, and a report changes nothing"
    else
        fail "$1: the mouse was used"
    fi
    tm send-keys -t ui q
}

# --- --no-mouse, and a terminal without a mouse (no kmous in its terminfo).
ui --no-mouse "$T/runs"
mouse_unused "--no-mouse"
UITERM=vt100 ui "$T/runs"
mouse_unused "TERM=vt100"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
