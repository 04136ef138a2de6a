"""DDP end to end: examples/pytorch_ddp.py's loop on 4 ranks (torch.multiprocessing.spawn, gloo)
with uneven validation shards, every rank publishing into one listening monitor; the monitor's
merged epoch values equal an all_reduce of the ranks' own sums, computed here."""
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import unittest

import twtest

EXAMPLE = os.path.join(twtest.ROOT, "examples", "pytorch_ddp.py")
WORLD, EPOCHS = 4, 3


def have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@unittest.skipUnless(have("torch") and have("sklearn"),
                     "needs python3-torch and python3-sklearn (./dev deps installs them)")
class DdpFourRanks(twtest.TempDirTest):
    def test_merged_values_equal_all_reduce(self):
        import torch.multiprocessing as mp
        port = free_port()
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
            mp.spawn(rank_main, args=(WORLD, expect, free_port()), nprocs=WORLD, join=True)
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


if __name__ == "__main__":
    unittest.main()
