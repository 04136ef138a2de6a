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
# the tool process's CPU seconds (the time every thread of it ran, from
# /proc/PID/task/*/schedstat, nanoseconds: user and kernel alike, and ZeroMQ's I/O thread
# with the rest; read before it is stopped) and the bytes it wrote to its terminal (tmux
# pipe-pane), over that whole window. Each figure is the median of BENCH_TTYPLOT_ROUNDS
# (default 3) rounds. With BENCH_TTYPLOT_BASE=DIR (another build directory, such as the main
# branch's) that build's trainwatch is measured too, alternating with this one's, for a
# before-and-after in one run (its feed is this build's: the same stream).
# Prints detail and SUMMARY lines (tests/bench/bench_summary.h); exit 0 even when behind.
set -eu

BUILD=${1:-build-release}
FEED=$BUILD/tests/bench/feed
TW=$BUILD/monitor/trainwatch
SECS=${BENCH_TTYPLOT_SECONDS:-10}
RATES=${BENCH_TTYPLOT_RATES:-100 1000 10000}
ROUNDS=${BENCH_TTYPLOT_ROUNDS:-3}
BASE=${BENCH_TTYPLOT_BASE:-}
PORT=47341

for need in tmux ttyplot; do
    if ! command -v $need >/dev/null 2>&1; then
        echo "bench_ttyplot: $need is not installed; skipped"
        printf 'SUMMARY\tttyplot comparison\t-\t-\t-\t-\tinfo\t-\n'
        exit 0
    fi
done
[ -x "$FEED" ] && [ -x "$TW" ] || { echo "bench_ttyplot: no $FEED or $TW" >&2; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE/monitor/trainwatch" ] ||
    { echo "bench_ttyplot: no $BASE/monitor/trainwatch" >&2; exit 1; }

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

# cpu_seconds PID: the time every thread of the process has run (the first field of
# /proc/PID/task/TID/schedstat, in ns), in seconds.
cpu_seconds() {
    cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { printf "%.4f", t / 1e9 }'
}

# run TOOL RATE: prints "CPU_SECONDS BYTES". TOOL: trainwatch, base (BASE's trainwatch) or
# ttyplot.
run() {
    tool=$1 rate=$2
    rm -f "$TMP/go" "$TMP/pid" "$TMP/bytes"
    : >"$TMP/bytes"
    feed=$(realpath "$FEED") tw=$(realpath "$TW")
    if [ "$tool" = base ]; then
        tw=$(realpath "$BASE/monitor/trainwatch")
    fi
    wait_go="while [ ! -f $TMP/go ]; do sleep 0.02; done"
    if [ "$tool" != ttyplot ]; then
        cmd="$wait_go; echo \$\$ >$TMP/pid; exec $tw tcp://127.0.0.1:$PORT"
    else
        # stdin stays open after the stream, so that ttyplot is still there to be measured
        cmd="$wait_go; { sleep 1; $feed $rate $SECS -; sleep 3600; } |
             sh -c 'echo \$\$ >$TMP/pid; exec ttyplot -t stream'"
    fi
    TERM=xterm-256color tmux -L "$SOCK" -f /dev/null new-session -d -s bench -x 120 -y 40 "$cmd"
    tmux -L "$SOCK" pipe-pane -t bench -o "cat >>$TMP/bytes"
    touch "$TMP/go"
    if [ "$tool" != ttyplot ]; then
        FEED_WAIT=1 "$FEED" "$rate" "$SECS" "tcp://127.0.0.1:$PORT" >/dev/null &
        FEEDPID=$!
    fi
    i=0
    while [ ! -s "$TMP/pid" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
    if [ "$tool" != ttyplot ]; then
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

# median of the numbers on stdin
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# spread of the numbers on stdin: min..max
spread() {
    sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo ".." hi }'
}

TOOLS="trainwatch ttyplot"
[ -n "$BASE" ] && TOOLS="base trainwatch ttyplot"
echo "trainwatch beside ttyplot: one series, ${SECS} s a rate, 120x40 tmux pane, $ROUNDS rounds" \
    "alternating ($TOOLS)${BASE:+; base: $BASE}"
printf '  %-10s %-6s %10s %12s %16s %14s\n' "values/s" "round" "tool" "CPU s" "terminal bytes" \
    "bytes/s"
for rate in $RATES; do
    for round in $(seq 1 "$ROUNDS"); do
        for t in $TOOLS; do
            set -- $(run "$t" "$rate")
            echo "$1" >>"$TMP/cpu.$t.$rate"
            echo "$2" >>"$TMP/bytes.$t.$rate"
            printf '  %-10s %-6s %10s %12s %16s %14s\n' "$rate" "$round" "$t" "$1" "$2" \
                "$(echo "$2 / $SECS" | bc)"
        done
    done
    tw_cpu=$(median <"$TMP/cpu.trainwatch.$rate") tp_cpu=$(median <"$TMP/cpu.ttyplot.$rate")
    tw_bytes=$(median <"$TMP/bytes.trainwatch.$rate") tp_bytes=$(median <"$TMP/bytes.ttyplot.$rate")
    tw_spread=$(spread <"$TMP/cpu.trainwatch.$rate")
    # ratios oriented so that > 1 means trainwatch does better (uses less)
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }
    st() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? "met" : "missed" }'; }
    # target: at 100 values/s at most half of ttyplot's CPU; at the faster rates, less than it
    if [ "$rate" -le 100 ]; then
        half=$(awk -v b="$tp_cpu" 'BEGIN { printf "%.4f", b / 2 }')
        printf 'SUMMARY\tvs ttyplot %s/s: trainwatch CPU\t%s\ts\t<= ttyplot/2 = %s s\t%s\t%s\t%s\n' \
            "$rate" "$tw_cpu" "$half" "$(ratio "$tw_cpu" "$half")" "$(st "$tw_cpu" "$half")" \
            "$tw_spread"
    else
        printf 'SUMMARY\tvs ttyplot %s/s: trainwatch CPU\t%s\ts\t<= ttyplot %s s\t%s\t%s\t%s\n' \
            "$rate" "$tw_cpu" "$tp_cpu" "$(ratio "$tw_cpu" "$tp_cpu")" "$(st "$tw_cpu" "$tp_cpu")" \
            "$tw_spread"
    fi
    if [ -n "$BASE" ]; then
        b_cpu=$(median <"$TMP/cpu.base.$rate")
        printf 'SUMMARY\tvs ttyplot %s/s: base trainwatch CPU (before)\t%s\ts\t-\t-\tinfo\t%s\n' \
            "$rate" "$b_cpu" "$(spread <"$TMP/cpu.base.$rate")"
    fi
    printf 'SUMMARY\tvs ttyplot %s/s: ttyplot CPU (anchor)\t%s\ts\t-\t-\tinfo\t%s\n' \
        "$rate" "$tp_cpu" "$(spread <"$TMP/cpu.ttyplot.$rate")"
    printf 'SUMMARY\tvs ttyplot %s/s: trainwatch terminal bytes\t%s\tbytes\tttyplot %s\t%s\t%s\t-\n' \
        "$rate" "$tw_bytes" "$tp_bytes" "$(ratio "$tw_bytes" "$tp_bytes")" \
        "$(st "$tw_bytes" "$tp_bytes")"
done
exit 0
