#!/bin/sh
# export.sh - end to end: trainwatch export of a real run log. The CSV, parsed back, holds
# exactly the epoch values (and standard errors) that trainwatch --jsonl gives for the same
# log; JSON lines the same; the SVG is well-formed XML with a path per run and split, and its
# curves pass through the values at the coordinates its own axis ticks give; bad command
# lines get a clear error and status 2.
# Usage: export.sh TRAINWATCH TRAIN_MLP
set -u
. "$(dirname "$0")/lib.sh"
TW=$1
TRAIN=$2
T=$(mktemp -d /tmp/tw-export-XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR="$T/rt"
mkdir -m 700 "$XDG_RUNTIME_DIR"
PY=/usr/bin/python3

# Two runs of 6 epochs each, logged, no monitor.
for name in alpha beta; do
    TRAINWATCH_LOG_DIR="$T/runs" TRAINWATCH_RUN=$name "$TRAIN" --epochs 6 --quiet \
        >"$T/$name.out" 2>&1 || fail "train_mlp $name failed"
done

"$TW" --jsonl "$T/runs" >"$T/mon.jsonl" 2>"$T/mon.err"
"$TW" export "$T/runs" >"$T/all.csv" 2>"$T/csv.err" && ok "export writes CSV" ||
    fail "export CSV: $(cat "$T/csv.err")"
"$TW" export --format jsonl --out "$T/all.jsonl" "$T/runs" 2>"$T/jsonl.err" &&
    ok "export writes JSON lines to --out" || fail "export jsonl: $(cat "$T/jsonl.err")"

# The CSV parsed back, the export's JSON lines and the monitor's --jsonl: the same values.
if $PY - "$T/all.csv" "$T/all.jsonl" "$T/mon.jsonl" <<'EOF'; then
import csv, json, math, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
mon = {}
for line in open(sys.argv[3]):
    o = json.loads(line)
    if o.get("type") == "epoch_value" and o["final"]:
        mon[(o["run"], o["metric"], o["split"], o["epoch"])] = (o["value"], o["stderr"], o["ranks"])
assert len(mon) > 40, len(mon)
got = {}
for r in rows:
    se = float(r["stderr"]) if r["stderr"] else None
    got[(r["run_id"], r["metric"], r["split"], int(r["epoch"]))] = (float(r["value"]), se, int(r["ranks"]))
    assert r["run"] in ("alpha", "beta"), r["run"]
    assert int(r["step"]) > 0 and float(r["time"]) > 1e9, r
assert got == mon, (len(got), len(mon), set(got) ^ set(mon))
assert any(v[1] is not None for v in got.values()), "no standard error at all"
exp = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    exp[(o["run_id"], o["metric"], o["split"], o["epoch"])] = (o["value"], o["stderr"], o["ranks"])
assert exp == mon, "jsonl export differs"
print(len(rows), "rows")
EOF
    ok "the CSV parsed back and the exported JSON lines equal --jsonl's epoch values"
else
    fail "CSV / JSON lines differ from --jsonl"
fi

# The SVG of val loss: well-formed, one path a run and split, the values where the ticks say.
"$TW" export -f svg -m loss -o "$T/loss.svg" "$T/runs" 2>"$T/svg.err" || fail "export svg"
if xmllint --noout "$T/loss.svg" 2>"$T/xml.err"; then ok "the SVG is well-formed XML"; else
    fail "the SVG is not well-formed: $(head -3 "$T/xml.err")"
fi
if $PY - "$T/loss.svg" "$T/all.csv" <<'EOF'; then
import csv, sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
paths = root.findall(".//s:path", ns)
assert len(paths) == 4, len(paths)  # 2 runs x (train, val)
legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", ns)]
assert sorted(legend) == ["alpha train", "alpha val", "beta train", "beta val"], legend
def ticks(cls, coord):
    return [(float(t.text), float(t.get(coord))) for t in root.findall(".//s:text[@class='%s']" % cls, ns)]
yt, xt = ticks("ytick", "y"), ticks("xtick", "x")
def lerp(t, v):
    (a, pa), (b, pb) = t[0], t[-1]
    return pa + (v - a) / (b - a) * (pb - pa)
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["metric"] == "loss"]
for k, (run, split) in enumerate(l.split() for l in legend):  # paths in legend order
    pts = [tuple(map(float, p.split())) for p in paths[k].get("d").replace("M", "").split("L")]
    vals = sorted((int(r["epoch"]), float(r["value"])) for r in rows if r["run"] == run and r["split"] == split)
    assert len(pts) == len(vals) == 6, (len(pts), len(vals))
    for (x, y), (e, v) in zip(pts, vals):
        assert abs(x - lerp(xt, e)) < 0.02 and abs(y - lerp(yt, v)) < 0.02, (run, split, e, v, x, y)
    assert ("stroke-dasharray" in paths[k].attrib) == (split == "val")
assert len(root.findall(".//s:circle[@class='best']", ns)) == 2
EOF
    ok "the SVG has 4 paths (train solid, val dashed) through the values at their ticks' coordinates, 2 best marks"
else
    fail "the SVG's paths, legend or coordinates are wrong"
fi

# Bad command lines: a clear message and status 2 (1 for what cannot be read).
"$TW" export --format xml "$T/runs" >/dev/null 2>"$T/bad.err"
[ $? -eq 2 ] && grep -q "unknown format 'xml'" "$T/bad.err" && ok "an unknown format is refused" ||
    fail "export --format xml: $(cat "$T/bad.err")"
"$TW" export >/dev/null 2>"$T/bad.err"
[ $? -eq 2 ] && grep -q "no SOURCE" "$T/bad.err" && ok "no source is refused" || fail "export without SOURCE"
"$TW" export tcp://127.0.0.1:1 >/dev/null 2>"$T/bad.err"
[ $? -eq 1 ] && grep -q "not live endpoints" "$T/bad.err" && ok "an endpoint is refused" ||
    fail "export of an endpoint: $(cat "$T/bad.err")"
"$TW" export -f svg -m nosuch "$T/runs" >/dev/null 2>"$T/bad.err"
[ $? -eq 1 ] && grep -q "no metric 'nosuch'" "$T/bad.err" && ok "an unknown metric is refused" ||
    fail "export -m nosuch: $(cat "$T/bad.err")"
"$TW" export -f jsonl -m nosuch "$T/runs" >/dev/null 2>"$T/bad.err"
[ $? -eq 1 ] && grep -q "no metric 'nosuch'" "$T/bad.err" && ok "an unknown metric is refused in JSON lines too" ||
    fail "export -f jsonl -m nosuch: $(cat "$T/bad.err")"
"$TW" export --help | grep -q -- '--format' && ok "export --help" || fail "export --help"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
