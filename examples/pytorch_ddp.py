#!/usr/bin/python3
"""pytorch_ddp.py - example: data-parallel PyTorch training (DDP, gloo on the CPU), every rank
publishing, one run in the monitor with the ranks merged exactly.

A multi-layer perceptron learns scikit-learn's bundled 8x8 handwritten digits (no download)
with DistributedDataParallel over WORLD ranks. The validation set is split in deliberately
UNEVEN shards (rank r gets a share proportional to r + 1), as when a data set does not divide
evenly or each rank owns its data: a mean of the ranks' validation values would be wrong, and
DistributedSampler's padding would count samples twice. Each rank publishes the state of its
own share (trainwatch.torch.Trainwatch: loss, accuracy, AUC in the train and val splits, the
learning rate of a cosine schedule, the batch size), and the monitor adds the states of the
ranks: its epoch values are those of the whole validation set, with no all_reduce in the loop.

Run it as it is (it starts WORLD ranks with torch.multiprocessing.spawn), under torchrun
(`torchrun --standalone --nproc_per_node 4 examples/pytorch_ddp.py`; Debian's torchrun 1.13
on Python 3.11 cannot parse its own default `--redirects 0`: add `--redirects 1 --tee 1`, as
the README says), or through `./dev demo ddp` (4 ranks under the monitor).
The lines that talk to trainwatch are marked "trainwatch:". Needs python3-torch,
python3-sklearn and python3-numpy (Debian), and the trainwatch package on PYTHONPATH
(python/ of the source tree).
"""
import argparse
import os
import signal
import socket
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import load_digits

try:
    import trainwatch.torch as twt
except ImportError:  # running from a source tree: python/ is next to examples/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import trainwatch.torch as twt


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--world-size", type=int, default=4,
                   help="ranks to start (default 4; under torchrun, its WORLD_SIZE)")
    p.add_argument("--epochs", type=int, default=30, help="epochs to train (default 30)")
    p.add_argument("--hidden", type=int, default=128, help="units of the hidden layer")
    p.add_argument("--train", type=int, default=1000, help="training images (default 1000)")
    p.add_argument("--batch-size", type=int, default=32, help="per rank (default 32)")
    p.add_argument("--lr", type=float, default=0.1, help="SGD's initial learning rate")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--delay-ms", type=float, default=0,
                   help="sleep this long after each step (to watch a short run live)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    a = p.parse_args(argv)
    if a.world_size < 1 or a.epochs < 1 or a.hidden < 1 or a.batch_size < 1 or \
            not 100 <= a.train <= 1500:
        p.error("--world-size, --epochs, --hidden and --batch-size must be >= 1, "
                "--train in [100, 1500]")
    return a


def load(args):
    """The digits, scaled to [0, 1], split in a training and a validation set."""
    digits = load_digits()
    x = torch.from_numpy((digits.data / 16.0).astype(np.float32))
    y = torch.from_numpy(digits.target.astype(np.int64))
    order = torch.from_numpy(np.random.RandomState(args.seed).permutation(len(y)))
    tr, va = order[:args.train], order[args.train:]
    return x[tr], y[tr], x[va], y[va]


def val_shards(n, world):
    """[(start, stop)] of each rank's validation shard: rank r gets about (r + 1) / sum of
    (k + 1) of the n samples: uneven on purpose."""
    weights = np.arange(1, world + 1, dtype=np.float64)
    bounds = np.concatenate([[0], np.round(np.cumsum(weights) / weights.sum() * n)]).astype(int)
    return [(int(bounds[r]), int(bounds[r + 1])) for r in range(world)]


def worker(rank, world, args, observe=None):
    """Trains one rank; torch.distributed is initialised. observe(event, **values), when
    given, sees every validation batch and each epoch's end (the tests check the monitor
    against an all_reduce of their own with it)."""
    torch.manual_seed(args.seed)  # the same initial weights on every rank
    torch.set_num_threads(1)
    xt, yt, xv, yv = load(args)
    shards = val_shards(len(yv), world)
    lo, hi = shards[rank]
    xv, yv = xv[lo:hi], yv[lo:hi]
    model = torch.nn.Sequential(torch.nn.Linear(64, args.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(args.hidden, 10))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    sampler = torch.utils.data.distributed.DistributedSampler(
        torch.utils.data.TensorDataset(xt, yt), num_replicas=world, rank=rank, shuffle=True,
        seed=args.seed)
    steps = (len(sampler) + args.batch_size - 1) // args.batch_size

    # trainwatch: every rank publishes its share; the monitor merges the ranks exactly.
    tw = twt.Trainwatch(metrics={"accuracy": twt.SparseCategoricalAccuracy(), "auc": twt.AUC()},
                        optimizer=opt, epochs=args.epochs, steps_per_epoch=steps,
                        params={"model": "mlp 64-%d-10" % args.hidden, "world_size": world,
                                "train_samples": len(yt), "momentum": 0.9})
    if rank == 0 and not args.quiet:
        print("pytorch_ddp: %d ranks publishing run %s (id %s; rank 0 on %s); validation "
              "shards %s" % (world, tw.publisher.run_name, tw.publisher.run_id,
                             tw.publisher.endpoint,
                 [b - a for a, b in shards]), flush=True)
    with tw:
        for epoch in range(1, args.epochs + 1):
            ddp.train()
            sampler.set_epoch(epoch)
            idx = torch.tensor(list(sampler))
            for s in range(steps):
                b = idx[s * args.batch_size:(s + 1) * args.batch_size]
                logits = ddp(xt[b])
                loss = torch.nn.functional.cross_entropy(logits, yt[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                tw.train_step(loss, logits.detach().softmax(1), yt[b])  # trainwatch
                if args.delay_ms:
                    time.sleep(args.delay_ms / 1000.0)
            model.eval()  # this rank's shard, with the plain module: no collective
            with torch.no_grad():
                for s in range(0, len(yv), 128):
                    logits = model(xv[s:s + 128])
                    per_sample = torch.nn.functional.cross_entropy(logits, yv[s:s + 128],
                                                                   reduction="none")
                    tw.val_step(per_sample, logits.softmax(1), yv[s:s + 128])  # trainwatch
                    if observe:
                        observe("val", loss=per_sample, probs=logits.softmax(1),
                                target=yv[s:s + 128])
            if observe:
                observe("epoch_end", epoch=epoch)
            mine = tw.epoch_end()  # trainwatch: publish the epoch; this rank's values back
            if rank == 0 and not args.quiet:
                print("epoch %3d/%d lr %.4f, rank 0's share: loss %.4f accuracy %.4f "
                      "val_loss %.4f val_accuracy %.4f" % (
                          epoch, args.epochs, opt.param_groups[0]["lr"], mine["loss"],
                          mine["accuracy"], mine["val_loss"], mine["val_accuracy"]),
                      flush=True)
            sched.step()
    if rank == 0 and not args.quiet:
        print("done: `trainwatch --once` shows the merged values of the %d ranks" % world)


def _spawned(rank, world, args, port):
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank,
                            world_size=world)
    try:
        worker(rank, world, args)
    finally:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # torchrun: this process is a rank
        dist.init_process_group("gloo")
        try:
            worker(dist.get_rank(), dist.get_world_size(), args)
        finally:
            dist.destroy_process_group()
        return 0
    signal.signal(signal.SIGTERM, _interrupt)  # stopped (./dev demo's monitor quit): stop ranks
    ctx = torch.multiprocessing.spawn(_spawned, args=(args.world_size, args, free_port()),
                                      nprocs=args.world_size, join=False)
    try:
        while not ctx.join():
            pass
    except KeyboardInterrupt:
        for p in ctx.processes:
            if p.is_alive():
                p.terminate()
        for p in ctx.processes:
            p.join(5)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
