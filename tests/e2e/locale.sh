#!/bin/sh
# locale.sh - end to end: the monitor in a decimal-comma locale (LC_ALL=de_DE.UTF-8). A run
# log whose BinaryAccuracy has threshold=0.7 decodes (its values are rank_worker --expect's),
# --jsonl is valid JSON, --once --wait 0.5 is accepted, the export's CSV keeps its columns
# and its SVG's numbers parse: numbers are written and read with a '.' whatever the locale.
# Skipped (77) where no such locale exists (localedef -i de_DE -f UTF-8 de_DE.UTF-8 makes it).
# Usage: locale.sh TRAINWATCH RANK_WORKER
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
RW=$2
LOC=de_DE.UTF-8
if ! LC_ALL=$LOC locale -k decimal_point 2>/dev/null | grep -q '^decimal_point=","$'; then
    echo "skipped: no $LOC locale here (localedef -i de_DE -f UTF-8 $LOC makes it)"
    exit 77
fi
T=$(mktemp -d /tmp/tw-locale-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
PY=/usr/bin/python3

LC_ALL=$LOC RANK_WORKER_ACC_ARGS=threshold=0.7 TRAINWATCH_LOG_DIR="$T/runs" \
    TRAINWATCH_RUN=comma "$RW" --epochs 3 >"$T/rw.out" 2>&1 || fail "rank_worker: $(cat "$T/rw.out")"
RANK_WORKER_ACC_ARGS=threshold=0.7 "$RW" --expect --epochs 3 >"$T/expect.txt" 2>&1 ||
    fail "rank_worker --expect"

LC_ALL=$LOC "$TW" --jsonl "$T/runs" >"$T/mon.jsonl" 2>"$T/mon.err" ||
    fail "--jsonl under $LOC: $(cat "$T/mon.err")"
if $PY - "$T/mon.jsonl" "$T/expect.txt" <<'PYEOF'; then
import json, math, sys
got = {}
for line in open(sys.argv[1]):
    o = json.loads(line)  # a decimal comma ("value":0,6854) is not JSON
    if o.get("type") == "epoch_value" and o["final"]:
        got[(o["metric"], o["epoch"])] = o["value"]
n = 0
for line in open(sys.argv[2]):
    name, epoch, value, se = line.split()
    g = got.get((name, int(epoch)))
    assert g is not None, "no %s at epoch %s: %s" % (name, epoch, sorted(got))
    assert math.isclose(g, float(value), rel_tol=1e-9), (name, epoch, g, value)
    n += 1
assert n == 9, n
PYEOF
    ok "--jsonl under $LOC: valid JSON, accuracy (threshold=0.7) decoded with the expected values"
else
    fail "--jsonl under $LOC"
fi

if LC_ALL=$LOC "$TW" --once --wait 0.5 "$T/runs" >"$T/once.txt" 2>"$T/once.err"; then
    ok "--wait 0.5 accepted under $LOC"
else
    fail "--once --wait 0.5 under $LOC: $(cat "$T/once.err")"
fi

LC_ALL=$LOC "$TW" export "$T/runs" >"$T/all.csv" 2>"$T/csv.err" || fail "export: $(cat "$T/csv.err")"
if $PY - "$T/all.csv" <<'PYEOF'; then
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head = rows[0]
assert len(rows) > 9, len(rows)
for r in rows[1:]:
    assert len(r) == len(head), (head, r)
    d = dict(zip(head, r))
    float(d["value"]), float(d["time"])
    assert "," not in d["value"], d
PYEOF
    ok "export CSV under $LOC: every row has the header's columns, numbers with a point"
else
    fail "export CSV under $LOC"
fi

LC_ALL=$LOC "$TW" export -f svg -m loss -o "$T/loss.svg" "$T/runs" 2>"$T/svg.err" ||
    fail "export svg: $(cat "$T/svg.err")"
if $PY - "$T/loss.svg" <<'PYEOF'; then
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = {"s": "http://www.w3.org/2000/svg"}
ticks = root.findall(".//s:text[@class='ytick']", ns)
assert ticks, "no y ticks"
for t in ticks:
    float(t.text), float(t.get("x")), float(t.get("y"))  # "0,5" or "402,00" would not parse
PYEOF
    ok "export SVG under $LOC: tick labels and coordinates with a point"
else
    fail "export SVG under $LOC"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
