"""DDP end to end: examples/pytorch_ddp.py's loop on 4 ranks (torch.multiprocessing.spawn, gloo)
with uneven validation shards, every rank publishing into one listening monitor; the monitor's
merged epoch values equal an all_reduce of the ranks' own sums, computed here."""
import importlib.util
import json
import os
import subprocess
import sys
import time
import unittest

import twtest

EXAMPLE = os.path.join(twtest.ROOT, "examples", "pytorch_ddp.py")
WORLD, EPOCHS = 4, 3


def load_example():
    spec = importlib.util.spec_from_file_location("pytorch_ddp", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rank_main(rank, world, out, port):
    """One rank (a spawned process): the example's worker, and beside it this test's own sums
    of the validation batches, all_reduced at each epoch's end; rank 0 writes them to out."""
    import torch
    import torch.distributed as dist
    ex = load_example()
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank,
                            world_size=world)
    sums = torch.zeros(3, dtype=torch.float64)  # loss total, samples, hits
    mine = []
    rows = []

    def observe(event, loss=None, probs=None, target=None, epoch=None):
        nonlocal sums
        if event == "val":
            sums += torch.tensor([loss.double().sum().item(), float(len(target)),
                                  float((probs.argmax(1) == target).sum())], dtype=torch.float64)
            return
        local = sums.clone()
        total = sums.clone()
        dist.all_reduce(total)
        gathered = [torch.zeros(3, dtype=torch.float64) for _ in range(world)]
        dist.all_gather(gathered, local)
        rows.append({"epoch": epoch, "val_loss": float(total[0] / total[1]),
                     "val_accuracy": float(total[2] / total[1]),
                     "samples": [float(g[1]) for g in gathered],
                     "mean_of_means": sum(float(g[0] / g[1]) for g in gathered) / world})
        mine.append(float(local[1]))
        sums = torch.zeros(3, dtype=torch.float64)

    args = ex.parse_args(["--epochs", str(EPOCHS), "--quiet", "--hidden", "32"])
    try:
        ex.worker(rank, world, args, observe=observe)
    finally:
        dist.destroy_process_group()
    if rank == 0:
        with open(out, "w") as f:
            json.dump(rows, f)


def helper_rank(rank, world, logs, port):
    """One rank of a bare Trainwatch loop, no run name anywhere (the launch's id joins them)."""
    import torch
    import torch.distributed as dist
    import trainwatch.torch as twt
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank,
                            world_size=world)
    try:
        with twt.Trainwatch(metrics={"accuracy": twt.BinaryAccuracy()}, log_dir=logs) as tw:
            for _ in range(2):
                n = 3 + rank  # uneven
                tw.train_step(torch.tensor(0.5), torch.ones(n), torch.ones(n))
                tw.val_step(None, torch.zeros(n), torch.ones(n) * (rank % 2))
                tw.epoch_end()
    finally:
        dist.destroy_process_group()


@unittest.skipUnless(twtest.have("torch") and twtest.have("sklearn"),
                     "needs python3-torch and python3-sklearn (./dev deps installs them)")
class DdpFourRanks(twtest.TempDirTest):
    def test_merged_values_equal_all_reduce(self):
        import torch.multiprocessing as mp
        port = twtest.free_port()
        logs = os.path.join(self.tmp, "runs")
        mon_out = open(os.path.join(self.tmp, "monitor.jsonl"), "w")
        mon_err = open(os.path.join(self.tmp, "monitor.err"), "w")
        self.addCleanup(mon_out.close)
        self.addCleanup(mon_err.close)
        monitor = subprocess.Popen([twtest.trainwatch_bin(), "--jsonl", "--until-end",
                                    "--listen", "tcp://127.0.0.1:%d" % port],
                                   stdout=mon_out, stderr=mon_err)
        self.addCleanup(lambda: monitor.poll() is None and monitor.kill())
        time.sleep(0.5)
        env = {"TRAINWATCH_ENDPOINT": ">tcp://127.0.0.1:%d" % port,
               "TRAINWATCH_RUN": "ddp-test", "TRAINWATCH_LOG_DIR": logs}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the spawned ranks inherit it
        try:
            expect = os.path.join(self.tmp, "expect.json")
            mp.spawn(rank_main, args=(WORLD, expect, twtest.free_port()), nprocs=WORLD, join=True)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        try:
            monitor.wait(30)
        except subprocess.TimeoutExpired:
            self.fail("the monitor did not see every rank end: %s"
                      % open(mon_err.name).read()[:300])
        with open(expect) as f:
            rows = json.load(f)
        self.assertEqual(len(rows), EPOCHS)
        sizes = rows[0]["samples"]
        self.assertEqual(len(set(sizes)), WORLD, "uneven shards: %s" % sizes)

        with open(mon_out.name) as f:
            recs = [json.loads(line) for line in f if line.strip()]
        got = twtest.epoch_values(recs, "ddp-test")
        ranks = {r["rank"] for r in recs if r.get("type") == "run"}
        self.assertEqual(ranks, set(range(WORLD)))
        for row in rows:
            e = row["epoch"]
            for name in ("loss", "accuracy"):
                want = row["val_" + name]
                self.assertAlmostEqual(got[(name, "val", e)], want, delta=1e-12 * max(1, want),
                                       msg="epoch %d val %s" % (e, name))
            # the merge is exact where a mean of the ranks' values is not
            self.assertGreater(abs(row["mean_of_means"] - row["val_loss"]), 1e-6)
            for name in ("loss", "accuracy", "auc", "learning_rate"):
                self.assertIn((name, "train", e), got)
        # the run logs hold the same merged values
        self.assertEqual(twtest.epoch_values(twtest.jsonl(logs), "ddp-test"), got)


    def test_ranks_share_a_run_without_a_name(self):
        import torch.multiprocessing as mp
        logs = os.path.join(self.tmp, "runs")
        saved = {k: os.environ.pop(k, None) for k in ("TRAINWATCH_RUN", "TORCHELASTIC_RUN_ID",
                                                      "RANK", "WORLD_SIZE")}
        self.addCleanup(lambda: os.environ.update({k: v for k, v in saved.items() if v}))
        mp.spawn(helper_rank, args=(2, logs, twtest.free_port()), nprocs=2, join=True)
        recs = twtest.jsonl(logs)
        runs = {(r["run"], r["name"]) for r in recs if r["type"] == "run"}
        self.assertEqual(len(runs), 1, runs)
        self.assertRegex(runs.pop()[1], r"-[0-9a-f]{4}$")  # the default name: PROGRAM-XXXX
        finals = [r for r in recs if r["type"] == "epoch_value" and r.get("final")]
        val = [r for r in finals if r["metric"] == "accuracy" and r["split"] == "val"]
        self.assertEqual([r["ranks"] for r in val], [2, 2])
        self.assertAlmostEqual(val[0]["value"], 3 / 7)  # rank 0: 3 hits of 3, rank 1: 0 of 4

    def test_example_spawns_its_ranks(self):
        logs = os.path.join(self.tmp, "runs")
        env = dict(os.environ, TRAINWATCH_LOG_DIR=logs, TRAINWATCH_RUN="ddp-cli")
        out = subprocess.run([sys.executable, EXAMPLE, "--world-size", "2", "--epochs", "2",
                              "--hidden", "16"], env=env, capture_output=True, text=True,
                             timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        self.assertIn("2 ranks publishing run ddp-cli (id local-", out.stdout)
        got = [r for r in twtest.jsonl(logs) if r["type"] == "epoch_value" and r.get("final")
               and r["metric"] == "loss" and r["split"] == "val"]
        self.assertEqual([(r["epoch"], r["ranks"], r["world"]) for r in got],
                         [(1, 2, 2), (2, 2, 2)])
        bad = subprocess.run([sys.executable, EXAMPLE, "--epochs", "0"], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--epochs", bad.stderr)


if __name__ == "__main__":
    unittest.main()
