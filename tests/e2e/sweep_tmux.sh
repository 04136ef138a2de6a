#!/bin/sh
# sweep_tmux.sh - end to end: a small Optuna study through trainwatch.optuna, its trials in the
# UI's runs table (grouped, ranked as the leaderboard, their final states) and its sweep view
# (key w: the scatter, log-x, pruned and failed trials as crosses, the best as a dot; h the
# next hyperparameter; l log-y; ASCII too), in a real terminal (tmux).
# Usage: sweep_tmux.sh TRAINWATCH LIBTRAINWATCH_SO SOURCE_ROOT
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
LIB=$2
ROOT=$3
if ! /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    echo "SKIP: needs python3-optuna (./dev deps installs it)"
    exit 77
fi
if ldd "$LIB" 2>/dev/null | grep -q 'lib[at]san'; then
    # the study runs in python3, which cannot load a sanitized library (the normal build runs
    # this test; the python suite is not registered under sanitizers for the same reason)
    echo "SKIP: python3 cannot load a sanitized libtrainwatch"
    exit 77
fi
T=$(mktemp -d /tmp/tw-e2e-XXXXXX)
SOCK="tw-e2e-$$"
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() {
    tm kill-server 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# tests/python/optuna_study.py: five trials with fixed parameters; trial 3 is best, then 0
# and 1; trial 2 is pruned at epoch 2, trial 4 fails in it.
if TRAINWATCH_LIBRARY=$LIB PYTHONPATH="$ROOT/python" TRAINWATCH_LOG_DIR="$T/runs" \
    /usr/bin/python3 "$ROOT/tests/python/optuna_study.py" >"$T/study.out" 2>&1; then
    ok "the study ran"
else
    fail "the study failed: $(cat "$T/study.out")"
fi

tm new-session -d -s keep "sleep 300"
tm new-session -d -s ui -x 140 -y 40 \
    "env LANG=C.UTF-8 XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $TW $T/runs; echo TRAINWATCH-EXIT=\$?; sleep 30"
if wait_for 'RUNS 5 of 5' 10; then ok "the five trials are listed"; else fail "no five runs"; fi
# The runs table: the study's leaderboard, best first; pruned, then failed, last.
order=$(screen | grep -o 'e2e/trial-[0-9]' | tr '\n' ' ')
case $order in
*"e2e/trial-3 e2e/trial-0 e2e/trial-1 e2e/trial-2 e2e/trial-4 "*)
    ok "the runs table ranks the trials as the leaderboard" ;;
*) fail "runs table order: $order" ;;
esac
if screen | grep -Eq 'e2e/trial-2 +pruned'; then ok "trial 2 shows pruned"; else
    fail "trial 2 not marked pruned"
fi
if screen | grep -Eq 'e2e/trial-4 +failed'; then ok "trial 4 shows failed"; else
    fail "trial 4 not marked failed"
fi
if screen | grep -Eq 'e2e/trial-3 +complete'; then ok "trial 3 shows complete"; else
    fail "trial 3 not marked complete"
fi

tm send-keys -t ui w
if wait_for 'study e2e +5 trials +loss \(val, min\) vs x \(log\) \[h\]' 3; then
    ok "w opens the sweep view: the study, its objective, x on a log axis"
else
    fail "no sweep view header"
fi
if wait_for "× 1 pruned, 1 failed +● best: trial 3 0.25" 2; then
    ok "the header counts pruned and failed trials and names the best"
else
    fail "sweep header without counts or best"
fi
# the chart's side of the screen: each line up to the lists' border (its last vertical bar)
chart_side() { screen | head -n 38 | sed 's/│[^│]*$//'; }
# wait_chart FIXED-STRING SECONDS: until the chart's side shows it
wait_chart() {
    i=0
    while [ "$i" -lt $(($2 * 10)) ]; do
        chart_side | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
plot=$(chart_side)
if printf '%s\n' "$plot" | grep -q '×'; then ok "pruned trials are crosses"; else fail "no cross"; fi
if printf '%s\n' "$plot" | grep -q '●'; then ok "the best trial is a dot"; else fail "no best dot"; fi
if printf '%s\n' "$plot" | LC_ALL=C grep -q "$(printf '\342[\240\241\242\243]')"; then
    ok "the other trials are braille"
else
    fail "no braille point"
fi
if printf '%s\n' "$plot" | grep -Eq '0\.001 .* 0\.01 .* 0\.1 .* 1( |$)'; then
    ok "the x axis has decades"
else
    fail "no decade ticks on x"
fi
tm send-keys -t ui h
if wait_for 'vs width \[h\]' 3; then ok "h puts the next hyperparameter on x"; else
    fail "h did not change the parameter"
fi
tm send-keys -t ui l
if wait_for 'loss \(val, min\) \(log\) vs width' 3; then ok "l puts the best values on a log axis"; else
    fail "l did not make y logarithmic"
fi
tm send-keys -t ui l
tm send-keys -t ui b
if wait_chart ' o' 3; then ok "ASCII: trials are o"; else
    fail "ASCII: no o"
fi
if wait_chart '*' 2; then ok "ASCII: the best is *"; else
    fail "ASCII: no *"
fi
tm send-keys -t ui w
i=0
while [ "$i" -lt 30 ] && screen | grep -q 'study e2e'; do
    sleep 0.1
    i=$((i + 1))
done
if ! screen | grep -q 'study e2e' && screen | grep -q 'e2e/trial-3  '; then ok "w again: the chart"; else
    fail "w did not close the sweep view"
fi
tm send-keys -t ui q
if wait_for 'TRAINWATCH-EXIT=0' 5; then ok "q quits"; else fail "q did not quit"; fi
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
