#!/bin/sh
# shoot.sh - regenerates the PNG pictures of the real UI: live example runs, the monitor in
# tmux, shown by xterm under Xvfb (braille renders with DejaVu Sans Mono), captured with
# ImageMagick; and an SVG of trainwatch export rendered by librsvg.
# Usage: shoot.sh TRAINWATCH TRAIN_MLP OUTDIR   (./dev screenshots runs it)
set -eu
TW=$(realpath "$1")
TRAIN=$(realpath "$2")
OUT=$3
shift 3
ONLY="$*"
want() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) true ;; *) false ;; esac; }
mkdir -p "$OUT"
T=$(mktemp -d /tmp/tw-shots-XXXXXX)
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
SOCK="tw-shots-$$"
DISPLAY_NUM=":$((90 + $$ % 9))"
tm() { tmux -L "$SOCK" "$@"; }
pids=""
cleanup() {
    tm kill-server 2>/dev/null || true
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

# A session that outlives the pictures' sessions: the server never exits between two of them
# (a new session racing the server's exit fails with "server exited unexpectedly").
tm -f /dev/null new-session -d -s keeper "sleep 3600"

Xvfb "$DISPLAY_NUM" -screen 0 1920x1200x24 >/dev/null 2>&1 &
pids="$pids $!"
sleep 1

if [ -n "$ONLY" ] && [ "$ONLY" = sweep ]; then
    TRAIN=true # the sweep picture needs none of the C runs
fi
# Two real runs, paced so that a picture taken after a few seconds is mid-training.
TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=mlp-h64 \
    "$TRAIN" --hidden 64 --epochs 300 --delay-ms 12 --quiet &
pids="$pids $!"
TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=mlp-h16 \
    "$TRAIN" --hidden 16 --seed 2 --epochs 300 --delay-ms 12 --quiet &
pids="$pids $!"

# shot NAME COLS ROWS WAIT KEYS...: the monitor in a COLSxROWS terminal, KEYS typed, a picture
# after WAIT seconds.
shot() {
    name=$1 cols=$2 rows=$3 wait=$4
    shift 4
    want "$name" || return 0
    tm new-session -d -s "$name" -x "$cols" -y "$rows" \
        "env LANG=C.UTF-8 TERM=xterm-256color XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW ${TW_ARGS:-}"
    tm set-option -t "$name" status off >/dev/null
    DISPLAY=$DISPLAY_NUM xterm -tn xterm-256color -geometry "${cols}x${rows}+0+0" -fa 'DejaVu Sans Mono' -fs 11 \
        -bg black -fg '#d0d0d0' -b 0 -e tmux -L "$SOCK" attach -t "$name" &
    xterm_pid=$!
    sleep 1.5
    for k in "$@"; do
        tm send-keys -t "$name" "$k"
        sleep 0.3
    done
    sleep "$wait"
    DISPLAY=$DISPLAY_NUM /usr/bin/import -window root "$T/full.png"
    geom=$(DISPLAY=$DISPLAY_NUM xwininfo -root -tree | grep -i 'xterm' | head -n 1 |
        sed -n 's/.* \([0-9]*x[0-9]*\)+[0-9-]*+[0-9-]*.*/\1/p')
    /usr/bin/convert "$T/full.png" -crop "${geom}+0+0" +repage "$OUT/$name.png"
    echo "screenshots: $OUT/$name.png ($geom)"
    kill "$xterm_pid" 2>/dev/null || true
    tm kill-session -t "$name" 2>/dev/null || true
}

shot main 140 40 6
shot runs 140 40 0.5 Tab
shot steps 140 40 1 m z z
shot alerts 140 40 0.5 a
shot help 140 40 0.5 '?'
shot narrow 80 24 1
shot cursor 140 40 1 c , , , , , ,
shot grid 140 40 1 M

# The figure trainwatch export draws from the run logs, rendered to PNG (librsvg).
if want export; then
    "$TW" export --format svg --metric loss --out "$T/loss.svg" "$T/runs"
    rsvg-convert --background-color white -o "$OUT/export.png" "$T/loss.svg"
    echo "screenshots: $OUT/export.png"
fi

# An Optuna study (examples/optuna_sweep.py) in a runtime directory of its own, its sweep view
# half way through, the monitor following the study's run logs so that it has every trial
# (needs python3-optuna and python3-torch; skipped without them).
if want sweep && /usr/bin/python3 -c 'import optuna, torch, sklearn' 2>/dev/null; then
    XDG_RUNTIME_DIR="$T/rt-sweep"
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    ROOT=$(cd "$(dirname "$0")/.." && pwd)
    XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR TRAINWATCH_LOG_DIR="$T/runs-sweep" PYTHONPATH="$ROOT/python" \
        TRAINWATCH_LIBRARY="$(dirname "$TW")/../publisher/libtrainwatch.so" \
        /usr/bin/python3 "$ROOT/examples/optuna_sweep.py" --study digits-sweep --trials 20 \
        --epochs 12 --delay-ms 2 --quiet &
    pids="$pids $!"
    sleep 40
    TW_ARGS="$T/runs-sweep" shot sweep 140 40 1 Tab w
    XDG_RUNTIME_DIR="$T/rt"
elif want sweep; then
    echo "screenshots: sweep skipped (needs python3-optuna, python3-torch, python3-sklearn)"
fi
want restart || exit 0

# A run killed and resumed from its checkpoint: one run going on, a rule where it resumed,
# "restarted at epoch N" in its detail (the runs list focused on it with the filter).
TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=mlp-resumed \
    "$TRAIN" --epochs 300 --delay-ms 12 --quiet --checkpoint "$T/ck" &
first=$!
sleep 3
kill -9 "$first"
TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=mlp-resumed \
    "$TRAIN" --epochs 300 --delay-ms 12 --quiet --checkpoint "$T/ck" &
pids="$pids $!"
sleep 3
shot restart 140 40 1 / resumed Enter
