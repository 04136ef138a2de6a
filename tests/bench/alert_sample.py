#!/usr/bin/env python3
"""alert_sample.py - the overfitting rule against the wide random sample of real runs.

Regenerates, from fixed seeds, the 380 candidate runs of examples/train_mlp the default
overfitting rule was tuned on (doc/alerts.md, "How the defaults were tuned"), trains each for
real (its run log only: the publisher's endpoint is inproc), labels each from its own curves
(`trainwatch --jsonl`), keeps the healthy and overfitting ones (216: 95 and 121) and runs
`trainwatch --check --until-end` with each --alert spec given on its log.

Labels (issue 15):
  healthy: validation loss never more than 0.3 % above its running minimum and validation
           accuracy never more than 8 samples below its running maximum;
  overfit: validation loss ends 5 % or more above its minimum while training loss ends below
           its value at that epoch.

For each spec it prints: healthy runs with any alert; overfitting runs whose first alert names
an epoch from the validation minimum to 5 epochs after it (the strict target), whose first
alert after the minimum is within those 5 epochs (whatever came before), caught only later,
never caught, alerted before the minimum; and the median delay (first alert at or after the
minimum, minus the minimum's epoch).

Usage:
  alert_sample.py BUILD_DIR [--cache DIR] [--holdout SEED] [-j N]
                  [--list | --limits | --draw N SEED]
                  [--detail] [--summary] [SPEC ...]
Options: --cache DIR keeps the run logs (default: a temporary directory, removed at the end);
a second call with the same cache only re-checks. --holdout S replaces the sample by 200
candidates of another draw (seed S, the families of draws 2 and 3): runs the defaults were not
tuned on. --list prints the labelled runs (name, kind, epoch of the validation minimum, rise at
the end and 5 epochs after the minimum, the spec) and stops. --limits prints what the strict
target allows a pure threshold on the rise (see limits()) and stops. --draw N SEED prints a
stratified random draw of N runs (half of each kind, by validation-set size) in
alert_suite.txt's format and stops. --detail lists the runs that miss their target.
--summary prints the default rules' figures as SUMMARY lines (tests/bench/bench_summary.h).
SPEC is an --alert value ("default" for none: the default rules).
Time: about 2 min 45 s on the shared 2-core development machine for the 380 trainings, the
labels and three specs (about 65 s of CPU); with --cache, about 10 s per spec after that.
"""
import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile


def candidates():
    """The 380 candidate runs (name, train_mlp arguments), from fixed seeds: 4 draws."""
    out = []
    r = random.Random(1)  # draw 1: the converging family only, with or without L2
    for i in range(40):
        h = r.choice([2, 4, 8, 16])
        tr = r.choice([1000, 2000, 4000])
        b = r.choice([tr, tr // 2, tr // 4])
        lr = r.choice([0.005, 0.01, 0.02])
        l2 = r.choice([0, 0.001, 0.003, 0.01, 0.03])
        val = r.choice([200, 500, 1000, 2000, 5000])
        nz = r.choice([0, 0.05, 0.1, 0.2])
        ep = r.choice([80, 100, 120])
        seed = r.randint(1, 999)
        out.append((f"c1_{i}", f"--epochs {ep} --hidden {h} --train {tr} --batch {b} "
                    f"--lr {lr} --l2 {l2} --val {val} --noise {nz} --seed {seed}"))
    for s, n in ((2, 160), (3, 120)):  # draws 2, 3: converging and overfitting, alternately
        out += alternate(s, n)
    r = random.Random(4)  # draw 4: overfitting at a higher learning rate, no L2
    for i in range(60):
        h = r.choice([32, 64])
        tr = r.choice([100, 200, 300, 500])
        b = r.choice([16, 32])
        lr = r.choice([0.005, 0.01])
        val = r.choice([500, 1000, 2000, 5000])
        nz = r.choice([0, 0, 0.02])
        seed = r.randint(1, 999)
        out.append((f"c4_{i}", f"--epochs 80 --hidden {h} --train {tr} --batch {b} --lr {lr} "
                    f"--val {val} --noise {nz} --seed {seed}"))
    return out


def alternate(s, n):
    """n candidate runs of draw s: the converging and the overfitting family alternately."""
    out = []
    r = random.Random(s)
    for i in range(n):
        if i % 2 == 0:
            h = r.choice([2, 4, 8, 16])
            tr = r.choice([1000, 2000, 4000])
            b = r.choice([tr, tr // 2, tr // 4])
            lr = r.choice([0.005, 0.01, 0.02])
            l2 = r.choice([0.001, 0.003, 0.01, 0.03])
            ep = r.choice([80, 100, 120])
        else:
            h = r.choice([32, 64])
            tr = r.choice([100, 150, 200, 300, 400])
            b = r.choice([16, 25, 32])
            lr = r.choice([0.002, 0.005])
            l2 = r.choice([0, 0, 0.0003, 0.001])
            ep = 60
        val = r.choice([200, 500, 1000, 2000, 5000])
        nz = r.choice([0, 0.05, 0.1, 0.2])
        seed = r.randint(1, 999)
        out.append((f"c{s}_{i}", f"--epochs {ep} --hidden {h} --train {tr} --batch {b} "
                    f"--lr {lr} --l2 {l2} --val {val} --noise {nz} --seed {seed}"))
    return out


def nval_of(spec):
    a = spec.split()
    return int(a[a.index("--val") + 1])


def train(build, cache, name, spec):
    d = os.path.join(cache, name)
    logs = glob.glob(d + "/*.twlog")
    if logs:
        return logs[0]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    env = dict(os.environ, TRAINWATCH_LOG_DIR=d, TRAINWATCH_RUN=name,
               TRAINWATCH_ENDPOINT="inproc://alert-sample")
    subprocess.run([os.path.join(build, "examples/train_mlp"), "--quiet"] + spec.split(),
                   env=env, check=True)
    return glob.glob(d + "/*.twlog")[0]


def label(tw, log, nval):
    """The run's kind and facts from its final epoch values."""
    out = subprocess.run([tw, "--jsonl", log], capture_output=True, text=True, check=True)
    rows = {}
    for line in out.stdout.splitlines():
        o = json.loads(line)
        if o.get("type") == "epoch_value":
            rows.setdefault(o["epoch"], {})[(o["metric"], o["split"])] = o["value"]
    ep = sorted(rows)
    vl = [rows[e][("loss", "val")] for e in ep]
    va = [rows[e][("accuracy", "val")] for e in ep]
    tl = [rows[e][("loss", "train")] for e in ep]
    mn, rise, mx, drop = float("inf"), 0.0, 0.0, 0.0
    for v, a in zip(vl, va):
        mn = min(mn, v)
        rise = max(rise, v / mn - 1)
        mx = max(mx, a)
        drop = max(drop, (mx - a) * nval)
    imin = vl.index(min(vl))
    end = vl[-1] / vl[imin] - 1
    if rise <= 0.003 and drop <= 8.5:
        kind = "healthy"
    elif end >= 0.05 and tl[-1] < tl[imin]:
        kind = "overfit"
    else:
        kind = "-"
    # the rise of validation loss over its minimum 5 epochs after it (what the window sees)
    rise5 = vl[min(imin + 5, len(vl) - 1)] / vl[imin] - 1
    return dict(kind=kind, vmin=ep[imin], end=end, rise=rise, drop=drop, rise5=rise5,
                accup=va[-1] >= va[imin], epochs=len(ep), vl=vl, imin=imin)


def sustained(vl, lo, hi, k=3):
    """The largest sustained rise of validation loss at the values lo..hi: at value e, the
    smallest relative excess of the last k values over the best before them (-1 when none)."""
    out, best = -1.0, []
    m = float("inf")
    for x in vl:
        m = min(m, x)
        best.append(m)
    for e in range(max(lo, k), hi + 1):
        b = best[e - k]
        out = max(out, min(vl[j] / b - 1 for j in range(e - k + 1, e + 1)))
    return out


def limits(runs):
    """What the strict target allows a rule of the form "each of the last 3 values more than X
    above the best before them" (the overfitting rule's core, before its other tests): per
    overfitting run, the sustained rise it shows in the window (values vmin + 3 to vmin + 5)
    and before its minimum; against the largest sustained rise of any healthy run."""
    hmax = max(sustained(t["vl"], 0, len(t["vl"]) - 1) for _, _, t, _ in runs
               if t["kind"] == "healthy")
    rows = []
    for _, _, t, _ in runs:
        if t["kind"] != "overfit":
            continue
        vl, im = t["vl"], t["imin"]
        pre = sustained(vl, 0, im - 1) if im > 0 else -1.0
        win = sustained(vl, im + 3, min(im + 5, len(vl) - 1))
        rows.append((pre, win))
    low = sum(w <= hmax for p, w in rows)
    before = sum(p >= w for p, w in rows)
    either = sum(w <= hmax or p >= w for p, w in rows)
    print(f"largest sustained 3-value rise of validation loss over its best, healthy runs: "
          f"{100 * hmax:.3f} %")
    print(f"overfitting runs: {len(rows)}; sustained rise in the window no larger than that: "
          f"{low}; a sustained rise before the minimum at least as large as the window's: "
          f"{before}; either (no threshold X can put them in the window): {either}")
    print("overfitting runs in the window for one threshold X (pre < X < window rise):")
    for x in (0.002, 0.003, 0.004, 0.005, 0.007, 0.01, 0.015, 0.02):
        n = sum(p <= x < w for p, w in rows)
        print(f"  X = {100 * x:.1f} %: {n} of {len(rows)}")


def check(tw, log, spec):
    cmd = [tw, "--check", "--until-end"]
    if spec != "default":
        cmd += ["--alert", spec]
    c = subprocess.run(cmd + [log], capture_output=True, text=True)
    ep = [int(m.group(1)) for m in re.finditer(r" epoch (\d+) \S+ fired: ", c.stdout)]
    return c.returncode, ep


def judge(t, rc, ep):
    """The run's outcome: healthy: quiet or alerted; overfit: window (first alert of the run in
    [vmin, vmin + 5]), early (an alert before vmin), late (first alert after vmin + 5) or
    missed; and the delay of the first alert at or after vmin (None when none)."""
    after = [e for e in ep if e >= t["vmin"]]
    delay = min(after) - t["vmin"] if after else None
    if t["kind"] == "healthy":
        return ("quiet" if rc == 0 and not ep else "alerted"), delay
    if any(e < t["vmin"] for e in ep):
        return "early", delay
    if delay is None:
        return "missed", None
    return ("window" if delay <= 5 else "late"), delay


def draw(runs, n, seed):
    """A stratified random draw of n runs: n/2 of each kind, each kind's share spread over
    the validation-set sizes in proportion; drawn from the labels alone."""
    r = random.Random(seed)
    out = []
    for kind in ("healthy", "overfit"):
        pool = [x for x in runs if x[2]["kind"] == kind]
        by = {}
        for x in pool:
            by.setdefault(nval_of(x[1]), []).append(x)
        want = n // 2
        sizes = sorted(by)
        quota = {s: want * len(by[s]) // len(pool) for s in sizes}
        rest = sorted(sizes, key=lambda s: -(want * len(by[s]) % len(pool)))
        for s in rest[: want - sum(quota.values())]:
            quota[s] += 1
        for s in sizes:
            out += r.sample(by[s], quota[s])
    return out


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    build, argv = argv[0], argv[1:]
    tw = os.path.join(build, "monitor/trainwatch")
    cache, jobs, specs, mode, summary, detail = None, 1, [], None, False, False
    holdout = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--cache":
            cache, i = argv[i + 1], i + 1
        elif a == "-j":
            jobs, i = int(argv[i + 1]), i + 1
        elif a == "--list":
            mode = "list"
        elif a == "--draw":
            mode = ("draw", int(argv[i + 1]), int(argv[i + 2]))
            i += 2
        elif a == "--holdout":
            holdout, i = int(argv[i + 1]), i + 1
        elif a == "--limits":
            mode = "limits"
        elif a == "--summary":
            summary = True
        elif a == "--detail":
            detail = True
        else:
            specs.append(a)
        i += 1
    tmp = None
    if cache is None:
        cache = tmp = tempfile.mkdtemp(prefix="tw-alert-sample-")
    try:
        # --holdout S: 200 runs of a fifth draw (seed S, as draws 2 and 3), not the tuning sample
        cands = candidates() if holdout is None else alternate(holdout, 200)
        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            logs = list(ex.map(lambda c: train(build, cache, *c), cands))
            facts = list(ex.map(lambda c, lg: label(tw, lg, nval_of(c[1])), cands, logs))
        runs = [(n, s, t, lg) for (n, s), lg, t in zip(cands, logs, facts) if t["kind"] != "-"]
        nh = sum(t["kind"] == "healthy" for _, _, t, _ in runs)
        if mode == "list":
            for n, s, t, _ in runs:
                print(f"{n:7s} {t['kind']:8s} vmin {t['vmin']:3d} end {100 * t['end']:5.1f}% "
                      f"rise5 {100 * t['rise5']:5.2f}% | {s}")
            return
        if mode == "limits":
            limits(runs)
            return
        if mode:
            for n, s, t, _ in draw(runs, mode[1], mode[2]):
                print(f"{n:8s} {t['kind']:8s} {s}")
            return
        print(f"{len(cands)} candidate runs, {len(runs)} labelled: {nh} healthy, "
              f"{len(runs) - nh} overfitting")
        head = ("healthy alerted", "window", "first-after<=5", "late", "missed", "early",
                "median delay")
        print(f"{'--alert':46s} " + " ".join(f"{h:>14s}" for h in head))
        for spec in specs or ["default"]:
            with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
                res = list(ex.map(lambda x: check(tw, x[3], spec), runs))
            cnt = dict.fromkeys(("quiet", "alerted", "window", "early", "late", "missed"), 0)
            delays, after5 = [], 0
            for (n, s, t, _), (rc, ep) in zip(runs, res):
                v, d = judge(t, rc, ep)
                cnt[v] += 1
                if t["kind"] == "overfit" and d is not None:
                    delays.append(d)
                    after5 += d <= 5
                if detail and v not in ("quiet", "window"):
                    print(f"   {n:7s} {t['kind']:8s} {v:7s} vmin {t['vmin']:3d} "
                          f"rise5 {100 * t['rise5']:5.2f}% alerts {ep[:4]}")
            no = len(runs) - nh
            med = statistics.median(delays) if delays else float("nan")
            row = (f"{cnt['alerted']}/{nh}", f"{cnt['window']}/{no}", f"{after5}/{no}",
                   str(cnt["late"]), str(cnt["missed"]), str(cnt["early"]), f"{med:g}")
            print(f"{spec:46s} " + " ".join(f"{x:>14s}" for x in row), flush=True)
            if summary and spec == "default":
                st = "met" if cnt["alerted"] == 0 else "missed"
                print(f"SUMMARY\twide sample: healthy runs alerted\t{cnt['alerted']}"
                      f"\truns of {nh}\t0\t-\t{st}\t-")
                st = "met" if cnt["window"] == no else "missed"
                print(f"SUMMARY\twide sample: overfitting runs in the window\t"
                      f"{cnt['window']}\truns of {no}\t{no}\t{cnt['window'] / no:.2f}\t{st}\t-")
                print(f"SUMMARY\twide sample: overfitting alerted within 5 epochs after the "
                      f"minimum\t{after5}\truns of {no}\t-\t-\tinfo\t-")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
