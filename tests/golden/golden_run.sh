#!/bin/sh
# golden_run.sh GOLDEN_RUN TRAINWATCH DIR - a recorded run (DIR/golden-mlp.twlog, 16 epochs
# of examples/train_mlp) against what was recorded from it:
#   - decoded and encoded again, its run log is byte-identical (the formats did not change);
#   - 'trainwatch --jsonl' of it prints DIR/golden-mlp.jsonl exactly, but for the alerts'
#     "time" (when the monitor raised them), which is masked on both sides;
#   - 'trainwatch --once' prints DIR/golden-mlp.once.txt exactly;
#   - 'trainwatch --check --until-end' exits 1 and prints DIR/golden-mlp.check.txt, the alerts'
#     clock times masked.
# The three outputs were recorded from the monitor as it was before the re-layout; --jsonl and
# --check run with trainwatch 0.1's overfitting rule (--alert overfitting,z=0,floor=0,
# samples=0), which raises alerts on this run, so that their output is checked too.
#   - 'trainwatch --check --until-end' with the default rules (noise tests, doc/alerts.md) exits
#     0 on it: its val loss rises 0.7 % and its val accuracy falls 9 samples of 2 000, noise.
# TW_UPDATE_GOLDEN=1 rewrites them from the monitor's output.
set -eu
copier=$1 monitor=$2 dir=$3
tmp=$(mktemp -d /tmp/trainwatch-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mask() { sed 's/"time":[0-9.e+-]*,"run"/"time":T,"run"/' "$1"; }

"$copier" "$dir/golden-mlp.twlog" "$tmp/copy.twlog"
cmp "$dir/golden-mlp.twlog" "$tmp/copy.twlog" ||
    { echo "golden_run: the re-encoded run log differs from the recording" >&2; exit 1; }

OLD_RULE=overfitting,z=0,floor=0,samples=0,slope=0
"$monitor" --jsonl --alert "$OLD_RULE" "$dir/golden-mlp.twlog" >"$tmp/out.jsonl"
if [ "${TW_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$tmp/out.jsonl" "$dir/golden-mlp.jsonl"
fi
mask "$dir/golden-mlp.jsonl" >"$tmp/want"
mask "$tmp/out.jsonl" >"$tmp/got"
if ! diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
    head -40 "$tmp/diff" >&2
    echo "golden_run: trainwatch --jsonl of the recorded run differs (- recorded, + now)" >&2
    exit 1
fi

"$monitor" --once "$dir/golden-mlp.twlog" >"$tmp/once.txt"
status=0
"$monitor" --check --until-end --alert "$OLD_RULE" "$dir/golden-mlp.twlog" >"$tmp/check.raw" 2>&1 ||
    status=$?
[ "$status" -eq 1 ] || { echo "golden_run: --check exited $status, expected 1 (alerts fired)" >&2; exit 1; }
status=0
"$monitor" --check --until-end "$dir/golden-mlp.twlog" >"$tmp/default.txt" 2>&1 || status=$?
if [ "$status" -ne 0 ] || ! grep -q '^0 alerts fired' "$tmp/default.txt"; then
    echo "golden_run: --check with the default rules exited $status, expected 0:" >&2
    cat "$tmp/default.txt" >&2
    exit 1
fi
sed 's/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] /HH:MM:SS /' "$tmp/check.raw" >"$tmp/check.txt"
for out in once check; do
    [ "${TW_UPDATE_GOLDEN:-}" = 1 ] && cp "$tmp/$out.txt" "$dir/golden-mlp.$out.txt"
    if ! diff -u "$dir/golden-mlp.$out.txt" "$tmp/$out.txt" >&2; then
        echo "golden_run: trainwatch --$out of the recorded run differs (- recorded, + now)" >&2
        exit 1
    fi
done
echo "golden_run: run log byte-identical; --jsonl ($(wc -l <"$tmp/out.jsonl") lines), --once and --check identical; the default rules quiet"
