#!/bin/sh
# bench_ttyplot.sh BUILD_DIR - trainwatch beside ttyplot on the same stream of values.
#
# One series at 100, 1 000 and 10 000 values a second for SECONDS (env BENCH_TTYPLOT_SECONDS,
# default 10), each tool alone in a 120x40 pane of a private tmux server (tmux -L), measured
# alternately (trainwatch, ttyplot, trainwatch, ttyplot ... over the rates). The stream comes
# from BUILD_DIR/tests/bench/feed: published on tcp://127.0.0.1:PORT for trainwatch (which
# connects to it, and is switched to its per-step x axis with the m key so that it plots every
# value as ttyplot does), printed one value a line into ttyplot's stdin. Both get 1 s before the
# first value (trainwatch connects in it) and 0.5 s after the last to catch up; the figures are
# the tool process's CPU seconds (utime + stime in /proc/PID/stat, read before it is stopped)
# and the bytes it wrote to its terminal (tmux pipe-pane), over that whole window.
# Prints detail and SUMMARY lines (tests/bench/bench_summary.h); exit 0 even when behind.
set -eu

BUILD=${1:-build-release}
FEED=$BUILD/tests/bench/feed
TW=$BUILD/monitor/trainwatch
SECS=${BENCH_TTYPLOT_SECONDS:-10}
RATES=${BENCH_TTYPLOT_RATES:-100 1000 10000}
PORT=47341

for need in tmux ttyplot; do
    if ! command -v $need >/dev/null 2>&1; then
        echo "bench_ttyplot: $need is not installed; skipped"
        printf 'SUMMARY\tttyplot comparison\t-\t-\t-\t-\tinfo\t-\n'
        exit 0
    fi
done
[ -x "$FEED" ] && [ -x "$TW" ] || { echo "bench_ttyplot: no $FEED or $TW" >&2; exit 1; }

SOCK=twbench$$
TMP=$(mktemp -d /tmp/tw-bench-ttyplot.XXXXXX)
FEEDPID=""
cleanup() {
    [ -n "$FEEDPID" ] && kill "$FEEDPID" 2>/dev/null || true
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
TICK=$(getconf CLK_TCK)

# cpu_seconds PID: utime + stime of the process (fields 14 and 15 of /proc/PID/stat, after
# the command name in parentheses, which may hold spaces).
cpu_seconds() {
    sed 's/.*) //' "/proc/$1/stat" | awk -v t="$TICK" '{ printf "%.2f", ($12 + $13) / t }'
}

# run TOOL RATE: prints "CPU_SECONDS BYTES".
run() {
    tool=$1 rate=$2
    rm -f "$TMP/go" "$TMP/pid" "$TMP/bytes"
    : >"$TMP/bytes"
    feed=$(realpath "$FEED") tw=$(realpath "$TW")
    wait_go="while [ ! -f $TMP/go ]; do sleep 0.02; done"
    if [ "$tool" = trainwatch ]; then
        cmd="$wait_go; echo \$\$ >$TMP/pid; exec $tw tcp://127.0.0.1:$PORT"
    else
        # stdin stays open after the stream, so that ttyplot is still there to be measured
        cmd="$wait_go; { sleep 1; $feed $rate $SECS -; sleep 3600; } |
             sh -c 'echo \$\$ >$TMP/pid; exec ttyplot -t stream'"
    fi
    TERM=xterm-256color tmux -L "$SOCK" -f /dev/null new-session -d -s bench -x 120 -y 40 "$cmd"
    tmux -L "$SOCK" pipe-pane -t bench -o "cat >>$TMP/bytes"
    touch "$TMP/go"
    if [ "$tool" = trainwatch ]; then
        FEED_WAIT=1 "$FEED" "$rate" "$SECS" "tcp://127.0.0.1:$PORT" >/dev/null &
        FEEDPID=$!
    fi
    i=0
    while [ ! -s "$TMP/pid" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
    if [ "$tool" = trainwatch ]; then
        sleep 0.3
        tmux -L "$SOCK" send-keys -t bench m # x axis in steps: every value plotted, as ttyplot
    fi
    sleep "$(echo "$SECS + 1.5" | bc)"
    pid=$(cat "$TMP/pid")
    cpu=$(cpu_seconds "$pid" 2>/dev/null || echo nan)
    sleep 0.2 # pipe-pane's cat catches up
    bytes=$(wc -c <"$TMP/bytes")
    tmux -L "$SOCK" kill-session -t bench 2>/dev/null || true
    if [ -n "$FEEDPID" ]; then
        kill "$FEEDPID" 2>/dev/null || true
        wait "$FEEDPID" 2>/dev/null || true
        FEEDPID=""
    fi
    sleep 0.3
    echo "$cpu $bytes"
}

echo "trainwatch beside ttyplot: one series, ${SECS} s a rate, 120x40 tmux pane, alternating"
printf '  %-10s %10s %12s %16s %14s\n' "values/s" "tool" "CPU s" "terminal bytes" \
    "bytes/s"
for rate in $RATES; do
    set -- $(run trainwatch "$rate")
    tw_cpu=$1 tw_bytes=$2
    set -- $(run ttyplot "$rate")
    tp_cpu=$1 tp_bytes=$2
    for t in trainwatch ttyplot; do
        if [ $t = trainwatch ]; then c=$tw_cpu b=$tw_bytes; else c=$tp_cpu b=$tp_bytes; fi
        printf '  %-10s %10s %12s %16s %14s\n' "$rate" "$t" "$c" "$b" \
            "$(echo "$b / $SECS" | bc)"
    done
    # ratios oriented so that > 1 means trainwatch does better (uses less)
    cpu_ratio=$(awk -v a="$tw_cpu" -v b="$tp_cpu" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')
    byte_ratio=$(awk -v a="$tw_bytes" -v b="$tp_bytes" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')
    st() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? "met" : "missed" }'; }
    printf 'SUMMARY\tvs ttyplot %s/s: trainwatch CPU\t%s\ts\tttyplot %s s\t%s\t%s\t-\n' \
        "$rate" "$tw_cpu" "$tp_cpu" "$cpu_ratio" "$(st "$tw_cpu" "$tp_cpu")"
    printf 'SUMMARY\tvs ttyplot %s/s: trainwatch terminal bytes\t%s\tbytes\tttyplot %s\t%s\t%s\t-\n' \
        "$rate" "$tw_bytes" "$tp_bytes" "$byte_ratio" "$(st "$tw_bytes" "$tp_bytes")"
done
exit 0
