#!/bin/sh
# gaps.sh - end to end: what a trainer's full queue dropped is said, not hidden. A real trainer
# (tests/e2e/burst.c: a 64-record queue, 150 000 unpaced steps) loses per-step records; its run
# log names the steps that lost them (GAP records). --jsonl prints those ranges; --once, the
# UI's run detail and --check's data-loss alert say how many steps and which, the same numbers;
# the epoch values stay exact.
# Usage: gaps.sh TRAINWATCH BURST
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
BURST=$2
T=$(mktemp -d /tmp/tw-gaps-XXXXXX)
SOCK="tw-gaps-$$"
cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export LANG=C.UTF-8 LC_ALL=C.UTF-8

"$BURST" "$T/logs" 3 50000 >"$T/burst.out" 2>"$T/burst.err" || {
    fail "the burst trainer failed: $(cat "$T/burst.err")"
    echo "$passes passed, $failures failed"
    exit 1
}
dropped=$(sed -n 's/^dropped //p' "$T/burst.out")
if [ "${dropped:-0}" -gt 0 ]; then ok "the trainer's queue dropped $dropped records"; else
    echo "skipped: nothing was dropped on this machine (the publisher kept up)"
    exit 77
fi

# What the log's GAP records say: steps in all, first, last, ranges.
"$TW" --jsonl "$T/logs" >"$T/all.jsonl" 2>"$T/jsonl.err"
want=$(grep '"type":"gap"' "$T/all.jsonl" |
    sed 's/.*"step":\([0-9]*\),"to":\([0-9]*\),.*/\1 \2/' |
    awk 'NR == 1 || $1 < lo { lo = $1 } $2 > hi { hi = $2 } { n += $2 - $1 + 1 } END {
        if (NR == 0) exit 1
        if (lo == hi) w = "step " lo; else w = "steps " lo "-" hi
        if (NR > 1) w = w ", " NR " ranges"
        printf "per-step values dropped by the publisher in %d step%s (%s; epoch values exact)\n",
            n, n == 1 ? "" : "s", w }')
if [ -n "$want" ]; then ok "--jsonl prints the log's GAP records: $want"; else
    fail "--jsonl printed no GAP record: $(head -c 300 "$T/jsonl.err")"
fi

"$TW" --once "$T/logs" >"$T/once.out" 2>"$T/once.err"
if grep -qF "  burst: $want" "$T/once.out"; then
    ok "--once says which steps lost per-step values, as the GAP records do"
else
    fail "--once: $(grep -i 'dropped' "$T/once.out" | head -n 3)"
fi

# The epoch values are exact: the mean of 1/(step + 1) over each epoch's 50 000 steps.
exact=1
for e in 1 2 3; do
    got=$(epoch_value "$T/all.jsonl" loss train "$e")
    exp=$(awk -v e="$e" 'BEGIN { for (s = (e - 1) * 50000; s < e * 50000; s++) {
        v = 1 / (s + 1); t += v } printf "%.4f", t / 50000 }')
    [ "$got" = "$exp" ] || { exact=0; echo "  epoch $e: got $got, the mean is $exp"; }
done
if [ "$exact" -eq 1 ]; then ok "the three epoch values are exact despite the drops"; else
    fail "an epoch value is not the mean of its steps"
fi

"$TW" --check "$T/logs" >"$T/check.out" 2>"$T/check.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "data lost: .* dropped by the publisher" "$T/check.out"; then
    ok "--check: the data-loss alert fires (exit 1): $(grep -m1 'data lost' "$T/check.out" | cut -c1-160)"
else
    fail "--check: exit $rc, $(head -c 400 "$T/check.out")"
fi

# The UI: the runs pane's detail of the run says it too.
tm new-session -d -s ui -x 160 -y 45 "$TW $T/logs"
if wait_for "burst" 10; then
    tm send-keys -t ui Tab
    if wait_for "per-step values dropped by the publisher in" 5 &&
        screen | grep -qF "$(echo "$want" | cut -c1-60)"; then
        ok "the UI's run detail says which steps lost per-step values"
    else
        fail "the UI's run detail does not say it"
    fi
else
    fail "the UI did not show the run"
fi
# The per-step chart (m) breaks its line over the dropped steps rather than draw across them:
# dots stand only in the columns of steps that got through (the log's GAP records say which:
# a column per range of them, two for some, plus their share of the width); a line drawn across the
# gaps would fill every column. Mostly the first 64 steps of each epoch get through (the
# trainer pauses between epochs), but on a slow machine the publisher catches up now and then
# and more ranges get through: the bound follows the GAP records, not a fixed share.
tm send-keys -t ui Tab m
sleep 1
if screen | grep -q "per step"; then
    crossing=$(screen | python3 -c '
import json, math, sys
lines = sys.stdin.read().split("\n")
axis = [i for i, l in enumerate(lines) if "\u2514" in l]  # the x axis: its corner
rows = lines[2:axis[0]] if axis else []
cols, width = set(), 0
for l in rows:  # the y axis, then the plot, up to the side panel
    plot = l[l.find("\u2524") + 1 if "\u2524" in l else l.find("\u2502") + 1:]
    end = plot.find("\u2502")
    plot = plot[:end] if end > 0 else plot
    width = max(width, len(plot))
    cols |= {i for i, c in enumerate(plot) if 0x2801 <= ord(c) <= 0x28ff}
gaps = sorted((r["step"], r["to"]) for r in map(json.loads, open(sys.argv[1]))
              if r.get("type") == "gap")
kept, at = [], 0  # the ranges of steps 0 .. 149999 that got through
for lo, hi in gaps:
    if lo > at:
        kept.append((at, lo - 1))
    at = max(at, hi + 1)
if at <= 149999:
    kept.append((at, 149999))
span = max(kept[-1][1] - kept[0][0], 1) if kept else 1
steps = sum(hi - lo + 1 for lo, hi in kept)
bound = math.ceil(1.25 * len(kept)) + math.ceil(steps * width / span) + 2  # some straddle two
print(len(cols), width, bound)' "$T/all.jsonl")
    set -- $crossing
    if [ "$#" -ne 3 ] || [ "$2" -le 40 ] || [ "$1" -eq 0 ]; then
        fail "the per-step chart: no plot found (dots in columns, width, bound: $crossing)"
    elif [ $(($3 * 10)) -ge $(($2 * 9)) ]; then
        echo "skipped: the steps that got through cover too much of the width to tell ($crossing)"
    elif [ "$1" -le "$3" ]; then
        ok "the per-step chart breaks its line over the dropped steps (dots in $1 of $2 columns, at most $3 from the GAP records)"
    else
        fail "the per-step chart draws across the dropped steps (dots in $1 of $2 columns, more than the $3 the GAP records allow)"
    fi
else
    fail "m did not switch the chart to per step"
fi
tm send-keys -t ui q

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
