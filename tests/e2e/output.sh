#!/bin/sh
# output.sh - end to end: what becomes of the headless modes' standard output. A reader that
# goes away (`| head`) ends the monitor quietly, as it would cat, even on a live run; a full
# disk or a closed stdout is an error (exit 1, 2 for --check) with a message, never exit 0.
# Usage: output.sh TRAINWATCH TRAIN_MLP CRAFT_LOG
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
CRAFT=$3
T=$(mktemp -d /tmp/tw-output-XXXXXX)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
"$CRAFT" "$T/ov.twlog" ov loss 12

# 1. `--jsonl | head -n 1` on a live run: the monitor exits within seconds, quietly.
TRAINWATCH_LOG_DIR=off TRAINWATCH_RUN=pipe "$TRAIN" --epochs 100000 --delay-ms 2 --quiet &
trainer=$!
pids="$pids $trainer"
sleep 1
start=$(date +%s)
(timeout 20 "$TW" --jsonl 2>"$T/pipe.err"; echo $? >"$T/pipe.rc") | head -n 1 >/dev/null
rc=$(cat "$T/pipe.rc")
took=$(($(date +%s) - start))
kill "$trainer" 2>/dev/null
wait "$trainer" 2>/dev/null
if [ "$rc" -eq 141 ] && [ "$took" -lt 10 ] && [ ! -s "$T/pipe.err" ]; then
    ok "--jsonl | head -n 1 on a live run: exit 141 (SIGPIPE's) after ${took} s, nothing on stderr"
else
    fail "--jsonl | head -n 1: exit $rc after $took s: $(head -c 200 "$T/pipe.err")"
fi

# 2. /dev/full and a closed stdout: a message and a failure status.
for args in "--once" "--jsonl" "--check" "--help"; do
    # shellcheck disable=SC2086
    "$TW" $args "$T/ov.twlog" >/dev/full 2>"$T/full.err"
    rc=$?
    want=1
    [ "$args" = "--check" ] && want=2
    if [ "$rc" -eq "$want" ] && grep -q 'cannot write standard output: No space left' "$T/full.err"; then
        ok "$args > /dev/full: exit $want with the reason"
    else
        fail "$args > /dev/full: exit $rc: $(cat "$T/full.err")"
    fi
done
"$TW" --once "$T/ov.twlog" >&- 2>"$T/closed.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'cannot write standard output' "$T/closed.err"; then
    ok "--once with stdout closed: exit 1 with the reason"
else
    fail "--once with stdout closed: exit $rc: $(cat "$T/closed.err")"
fi

# 3. --on-alert in --check: the alert the rate limit held back is told at exit; commands run
# with SIGPIPE at its default (`yes | head` ends quietly).
"$CRAFT" "$T/open.twlog" open loss 12 1 0 0 # no run end: overfitting, then vanished
touch -d '1 minute ago' "$T/open.twlog" # not growing: its writer is gone (logs.sh, section 7)
"$TW" --check --on-alert "cat >>$T/hooks.log" "$T/open.twlog" >"$T/hooks.out" 2>"$T/hooks.err"
if grep -q '1 alerts not passed to --on-alert' "$T/hooks.err" &&
    grep -q '^2 alerts fired' "$T/hooks.out"; then
    ok "--check --on-alert: 2 alerts fired, the one held back by the rate limit is told at exit"
else
    fail "--check --on-alert: $(grep -c fired "$T/hooks.out") fired; stderr: $(cat "$T/hooks.err")"
fi
"$TW" --check --on-alert 'yes | head -n 1 >/dev/null' "$T/ov.twlog" >/dev/null 2>"$T/pipe2.err"
if ! grep -q 'Broken pipe' "$T/pipe2.err"; then
    ok "--on-alert commands run with SIGPIPE at its default"
else
    fail "--on-alert command saw EPIPE: $(cat "$T/pipe2.err")"
fi

# 4. -f/--filter in the headless modes: another run is left out of --once, --check and
# --jsonl; an invalid expression is an error.
"$CRAFT" "$T/other.twlog" other loss 12
"$TW" --check -f '^oth' "$T/ov.twlog" "$T/other.twlog" >"$T/f.check" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && ! grep -q ' ov ' "$T/f.check" && grep -q 'in 1 run$' "$T/f.check"; then
    ok "--check -f: only the matching run's alerts and count"
else
    fail "--check -f: exit $rc: $(cat "$T/f.check")"
fi
"$TW" --check -f nomatch "$T/ov.twlog" >/dev/null 2>&1
rc=$?
"$TW" --once -f '^oth' "$T/ov.twlog" "$T/other.twlog" >"$T/f.once"
"$TW" --jsonl -f '^oth' "$T/ov.twlog" "$T/other.twlog" >"$T/f.jsonl"
if [ "$rc" -eq 0 ] && ! grep -q '^ov ' "$T/f.once" && grep -q '^other ' "$T/f.once" &&
    ! grep -q '"run":"ov"' "$T/f.jsonl" && grep -q '"run":"other"' "$T/f.jsonl"; then
    ok "-f in --once and --jsonl: the other run is left out; --check on no match exits 0"
else
    fail "-f: --check exit $rc; --once: $(cat "$T/f.once")"
fi
"$TW" --check -f '(' "$T/ov.twlog" >/dev/null 2>"$T/f.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "filter" "$T/f.err"; then
    ok "an invalid -f expression: exit 2 with the reason"
else
    fail "an invalid -f expression: exit $rc: $(cat "$T/f.err")"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
