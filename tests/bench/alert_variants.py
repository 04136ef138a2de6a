#!/usr/bin/env python3
"""alert_variants.py - variants of the overfitting rule against issue 15's strict target.

What doc/alerts.md ("What else was tried") reports: the default overfitting rule, other values
of its parameters, and tests it does not have (the generalisation gap, a significant training
drop, the rise against the descent before it, a significant slope, the series' own jitter,
the largest earlier bump), each on four sets of real runs of examples/train_mlp
(tests/bench/alert_sample.py): the tuning sample (380 candidates), holdout draws 5 and 6 (the
check the defaults were tuned against), holdout draws 7 and 8 (drawn after the variants of
the table were chosen: used to choose none of them) and holdout draws 9 and 10 (drawn after
the grid below was run, to check its best combinations).

The rules are evaluated by a model of monitor/model/alert_rules.c's overfitting rule in Python
(model_events), so that a test the C rule does not have can be tried; before it prints a
row, the script checks that the model fires at exactly the epochs `trainwatch --check` names
on every run for each plain --alert spec in PLAIN, and stops (exit 1) when they differ.

Per set and variant: healthy runs alerted; overfitting runs in the window (the strict target:
the first alert of the run from the validation minimum to 5 epochs after it); with the first
alert at or after the minimum within 5 epochs (earlier alerts forgiven); alerted before the
minimum; and in the window counting only the alerts still active at the end (what
`--check=active` reads: an alert that fired before a later minimum and cleared there is not
counted, and the run counts when an alert still active fired in the window); and the
in-between runs alerted: runs neither healthy nor overfitting by the labels that do not end
overfitting (validation loss ends within 1 % of its minimum), a measure of alerts on runs
noisier than the healthy ones, which the labels leave out.

Usage: alert_variants.py BUILD_DIR [--cache DIR] [-j N] [--grid]
--grid prints instead the parameter combinations of GRID that alert no healthy run, reach at
least the default's strict count on every set, best first, and the best on the tuning
sample alone. --cache DIR keeps the run logs in DIR/tune, DIR/h5 ... (default: a temporary
directory). The first call trains 1 180 runs (about 4 min of CPU), later calls with the cache take about 2 min.
"""
import argparse
import concurrent.futures
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alert_sample as sample  # noqa: E402

DEFAULTS = dict(k=3, min_delta=0.0, z=0.1, floor=0.5, samples=10, slope=6)

# Plain --alert specs: the C rule runs them too, and the model must agree with it.
PLAIN = ["default", "overfitting,k=2", "overfitting,samples=20", "overfitting,k=2,samples=20",
         "overfitting,k=2,floor=0.7,samples=20", "overfitting,z=0,samples=20",
         "overfitting,z=0,floor=0.3",
         "overfitting,k=4,z=0,floor=0.3,samples=20"]


def params(spec):
    p = dict(DEFAULTS)
    if spec != "default":
        for kv in spec.split(",")[1:]:
            key, val = kv.split("=")
            p[key] = float(val) if key not in ("k", "slope") else int(val)
    return p


def series(tw, log):
    """The run's final epoch values: {"ep": epochs, (metric, split): values, (metric,
    split, "se"): standard errors}, for loss and accuracy."""
    out = subprocess.run([tw, "--jsonl", log], capture_output=True, text=True, check=True)
    rows = {}
    for line in out.stdout.splitlines():
        o = json.loads(line)
        if o.get("type") == "epoch_value" and o.get("final", True):
            rows.setdefault(o["epoch"], {})[(o["metric"], o["split"])] = (o["value"],
                                                                          o.get("stderr"))
    ep = sorted(rows)
    s = {"ep": ep}
    for m in ("loss", "accuracy"):
        for sp in ("val", "train"):
            s[(m, sp)] = [rows[e][(m, sp)][0] for e in ep]
            s[(m, sp, "se")] = [rows[e][(m, sp)][1] for e in ep]
    return s


# The combinations --grid tries: k, z, floor, slope, samples.
GRID = ([2, 3, 4], [0, 0.05, 0.1, 0.2], [0.3, 0.4, 0.5, 0.6, 0.7, 1.0], [0, 4, 5, 6, 7, 8],
        [10, 20])


# ---- the model of the C rule (alert_rules.c: eval_overfitting and its helpers) ----

def worse(a, b, md, goal):
    return a < b - md if goal == "max" else a > b + md


def better(a, b, md, goal):
    return a > b + md if goal == "max" else a < b - md


def slope_worse(v, i, n, goal):
    if n == 0:
        return True
    m = min(n, i + 1)
    lo = i + 1 - m
    if m < 2:
        return False
    xm, ym = (m - 1) / 2, sum(v[lo:i + 1]) / m
    sxy = sum((j - lo - xm) * (v[j] - ym) for j in range(lo, i + 1))
    return sxy < 0 if goal == "max" else sxy > 0


def beyond_noise(p, v, se, i, b, binomial):
    d, s = abs(v[i] - v[b]), se[i]
    if not d * 100 > p["floor"] * abs(v[b]):
        return False
    if s is not None and math.isfinite(s) and not d > p["z"] * s:
        return False
    if binomial and s is not None and math.isfinite(s) and s > 0:
        if d * v[i] * (1 - v[i]) / (s * s) < p["samples"] * (1 - 1e-9):
            return False
    return True


def model_series(p, v, se, tr, goal, binomial, extra):
    """The overfitting rule on one validation series: [(fired?, index, best index)]."""
    ev, best, active, k, md = [], 0, False, p["k"], p["min_delta"]
    for i in range(len(v)):
        new_best = i == 0 or better(v[i], v[best], md, goal)
        if new_best:
            best = i
        if active and new_best:
            active = False
            ev.append((False, i, i))
        elif not active:
            b = best
            cond = (i >= b + k and worse(v[i], v[i - k], 0, goal) and
                    math.isfinite(tr[i]) and math.isfinite(tr[i - k]) and
                    better(tr[i], tr[i - k], 0, goal) and slope_worse(v, i, p["slope"], goal))
            cond = cond and all(worse(v[j], v[b], md, goal) and
                                beyond_noise(p, v, se, j, b, binomial)
                                for j in range(i + 1 - k, i + 1))
            if cond and extra:
                cond = extra(p, v, se, tr, goal, i, b)
            if cond:
                active = True
                ev.append((True, i, b))
    return ev


def model_events(p, s, extra=None):
    """The run's overfitting events, both metrics: [(fired?, epoch, best epoch, metric)]."""
    out = []
    for m in ("loss", "accuracy"):
        goal = "max" if m == "accuracy" else "min"
        ev = model_series(p, s[(m, "val")], s[(m, "val", "se")], s[(m, "train")], goal,
                          m == "accuracy", extra)
        out += [(f, s["ep"][i], s["ep"][b], m) for f, i, b in ev]
    return out


# ---- tests the C rule does not have (each: True lets the rule fire at value i, best b) ----

def sign(goal):
    return 1 if goal == "min" else -1


def gap_grew(zg):
    """The generalisation gap (validation minus training, the worse way) grew over the last k
    epochs by more than zg standard errors of the validation value."""
    def test(p, v, se, tr, goal, i, b):
        k = p["k"]
        grow = sign(goal) * ((v[i] - tr[i]) - (v[i - k] - tr[i - k]))
        return grow > zg * (se[i] or 0)
    return test


def train_dropped(pct):
    """Training improved over the last k epochs by more than pct percent."""
    def test(p, v, se, tr, goal, i, b):
        k = p["k"]
        return sign(goal) * (tr[i - k] - tr[i]) > pct * abs(tr[i - k]) / 100
    return test


def beyond_descent(frac, w=10):
    """Each of the last k values exceeds the best by more than frac of the descent to the
    best over the w values before it."""
    def test(p, v, se, tr, goal, i, b):
        lo = max(0, b - w)
        desc = max(sign(goal) * (x - v[b]) for x in v[lo:b + 1])
        rise = min(sign(goal) * (v[j] - v[b]) for j in range(i - p["k"] + 1, i + 1))
        return rise > frac * desc
    return test


def slope_significant(n, t):
    """The least-squares slope of the last n values points the worse way with a t statistic
    (slope over its standard error from the residuals) above t."""
    def test(p, v, se, tr, goal, i, b):
        m = min(n, i + 1)
        if m < 3:
            return False
        ys = v[i + 1 - m:i + 1]
        xm, ym = (m - 1) / 2, sum(ys) / m
        sxx = sum((x - xm) ** 2 for x in range(m))
        sl = sum((x - xm) * (y - ym) for x, y in enumerate(ys)) / sxx
        res = sum((y - ym - sl * (x - xm)) ** 2 for x, y in enumerate(ys)) / (m - 2)
        return sign(goal) * sl / math.sqrt(max(res, 1e-300) / sxx) > t
    return test


def beyond_jitter(c, w=8):
    """Each of the last k values exceeds the best by more than c times the median change from
    one epoch to the next over the last w values."""
    def test(p, v, se, tr, goal, i, b):
        lo = max(1, i - w + 1)
        if i - lo < 2:
            return True
        jit = statistics.median(abs(v[j] - v[j - 1]) for j in range(lo, i + 1))
        return min(abs(v[j] - v[b]) for j in range(i - p["k"] + 1, i + 1)) > c * jit
    return test


def beyond_earlier_bumps(c):
    """Each of the last k values exceeds the best by more than c times the largest sustained
    excess (k values in a row over the best before them) the series showed before its best."""
    def test(p, v, se, tr, goal, i, b):
        k, sg, run_best, m = p["k"], sign(goal), [], None
        for x in v[:i + 1]:
            m = x if m is None or sg * (x - m) < 0 else m
            run_best.append(m)
        big = max([min(sg * (v[j] - run_best[e - k]) for j in range(e - k + 1, e + 1))
                   for e in range(k, b)] + [0])
        return min(sg * (v[j] - v[b]) for j in range(i - k + 1, i + 1)) > c * big
    return test


EXTRA = [("gap grew > 0.3 SE over k", gap_grew(0.3)), ("gap grew > 0.5 SE", gap_grew(0.5)),
         ("train fell > 1 % over k", train_dropped(1)), ("train fell > 2 %", train_dropped(2)),
         ("rise > 0.1 x descent of 10", beyond_descent(0.1)),
         ("rise > 0.2 x descent of 10", beyond_descent(0.2)),
         ("slope t of 6 > 1", slope_significant(6, 1)),
         ("slope t of 6 > 2", slope_significant(6, 2)),
         ("rise > median |dv| of 8", beyond_jitter(1)),
         ("rise > largest earlier bump", beyond_earlier_bumps(1))]


# ---- scoring ----

def score(runs, p, extra=None):
    """(healthy alerted, strict window, first after the minimum within 5, early, active in the
    window, in-between runs alerted) over runs [(facts, series)]."""
    alerted = strict = after5 = early = active = between = 0
    for t, s in runs:
        ev = model_events(p, s, extra)
        fired = [e[1] for e in ev if e[0]]
        if t["kind"] == "healthy":
            alerted += bool(fired)
            continue
        if t["kind"] == "-":
            between += bool(fired)
            continue
        vmin = t["vmin"]
        after = [e for e in fired if e >= vmin]
        first = min(after) - vmin if after else None
        after5 += first is not None and first <= 5
        if any(e < vmin for e in fired):
            early += 1
        elif first is not None and first <= 5:
            strict += 1
        last = {}
        for f, e, _, m in ev:
            last[m] = (f, e)
        still = [e for f, e in last.values() if f]
        if still and min(still) >= vmin and min(still) - vmin <= 5:
            active += 1
    return alerted, strict, after5, early, active, between


def load(build, cache, jobs, name, cands):
    tw = os.path.join(build, "monitor/trainwatch")
    d = os.path.join(cache, name)
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        logs = list(ex.map(lambda c: sample.train(build, d, *c), cands))
        facts = list(ex.map(lambda c, lg: sample.label(tw, lg, sample.nval_of(c[1])),
                            cands, logs))
    # the labelled runs, and the in-between ones that do not end overfitting (kind "-")
    runs = [(t, lg) for t, lg in zip(facts, logs) if t["kind"] != "-" or t["end"] < 0.01]
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        ser = list(ex.map(lambda r: series(tw, r[1]), runs))
        for spec in PLAIN:  # the model is the C rule: the same fired epochs on every run
            got = list(ex.map(lambda r: sample.check(tw, r[1], spec)[1], runs))
            for (t, lg), s, c_ep in zip(runs, ser, got):
                m_ep = sorted(e[1] for e in model_events(params(spec), s) if e[0])
                if m_ep != sorted(c_ep):
                    sys.exit(f"alert_variants: the model differs from trainwatch on {lg} "
                             f"({spec}): {m_ep} against {sorted(c_ep)}")
    return [(t, s) for (t, _), s in zip(runs, ser)]


def grid(sets):
    """--grid: the combinations at least as good as the default on every set."""
    rows = []
    for k, z, floor, slope, samples in itertools.product(*GRID):
        p = dict(DEFAULTS, k=k, z=z, floor=floor, slope=slope, samples=samples)
        rows.append((f"k={k},z={z},floor={floor},slope={slope},samples={samples}",
                     [score(r, p) for _, r in sets]))
    base = [score(r, DEFAULTS) for _, r in sets]
    quiet = [r for r in rows if all(s[0] == 0 for s in r[1])]
    good = [r for r in quiet if all(s[1] >= b[1] for s, b in zip(r[1], base))]
    good.sort(key=lambda r: -sum(s[1] for s in r[1]))
    print(f"{len(rows)} combinations, {len(quiet)} alert no healthy run, {len(good)} reach the "
          f"default's strict count ({', '.join(str(b[1]) for b in base)}) on every set:")
    for name, sc in good:
        print(f"  {name:44s} strict " + ", ".join(str(s[1]) for s in sc))
    best = max(quiet, key=lambda r: r[1][0][1])
    print(f"best on the tuning sample alone: {best[0]}, strict "
          + ", ".join(str(s[1]) for s in best[1]))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--cache")
    ap.add_argument("-j", type=int, default=1, dest="jobs")
    ap.add_argument("--grid", action="store_true")
    o = ap.parse_args(argv)
    build, jobs, cache = o.build, o.jobs, o.cache
    tmp = None
    if cache is None:
        cache = tmp = tempfile.mkdtemp(prefix="tw-alert-variants-")
    try:
        sets = [("tuning", load(build, cache, jobs, "tune", sample.candidates())),
                ("holdout 5+6", load(build, cache, jobs, "h5", sample.alternate(5, 200)) +
                 load(build, cache, jobs, "h6", sample.alternate(6, 200))),
                ("holdout 7+8", load(build, cache, jobs, "h7", sample.alternate(7, 200)) +
                 load(build, cache, jobs, "h8", sample.alternate(8, 200))),
                ("holdout 9+10", load(build, cache, jobs, "h9", sample.alternate(9, 200)) +
                 load(build, cache, jobs, "h10", sample.alternate(10, 200)))]
        if o.grid:
            grid(sets)
            return
        print("per set: healthy alerted / strict window / first after the minimum within 5 / "
              "early / window by the alerts still active at the end / in-between runs alerted")
        print(f"{'variant':40s}" + "".join(
            f" | {n}: {sum(t['kind'] == 'healthy' for t, _ in r)} h, "
            f"{sum(t['kind'] == 'overfit' for t, _ in r)} o, "
            f"{sum(t['kind'] == '-' for t, _ in r)} b" for n, r in sets))
        rows = [(spec, params(spec), None) for spec in PLAIN]
        rows += [("default + " + name, dict(DEFAULTS), test) for name, test in EXTRA]
        for name, p, test in rows:
            cells = [" ".join(f"{x:3d}" for x in score(r, p, test)) for _, r in sets]
            print(f"{name:40s} | " + " | ".join(f"{c:24s}" for c in cells), flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
