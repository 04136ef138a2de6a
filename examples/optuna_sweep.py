#!/usr/bin/python3
"""optuna_sweep.py - example: an Optuna study of the digits MLP, every trial watched live.

Optuna searches the learning rate (log-uniform, 1e-4 to 0.3), the hidden layer's width (16 to
256) and AdamW's weight decay (log-uniform, 1e-6 to 0.1) of a one-hidden-layer perceptron on
scikit-learn's bundled 8x8 digits (no download; 1000 training images, the other ~800 for
validation), minimising the validation loss. A median pruner stops a trial whose validation
loss after an epoch is worse than the median of the earlier trials at that epoch.

Each trial publishes as run STUDY/trial-N through trainwatch.optuna.TrialPublisher: its
parameters, its per-epoch training and validation loss and accuracy, and how it ended
(complete or pruned). The epoch's validation loss the pruner sees is the one trainwatch
publishes. Watch it with `trainwatch` (key w: the sweep view), or run it through
`./dev demo sweep`; `trainwatch --once runs/` prints the study's leaderboard afterwards. The
lines that talk to trainwatch are marked "trainwatch:". Needs python3-optuna, python3-torch,
python3-sklearn and python3-numpy (Debian), and the trainwatch package on PYTHONPATH.
"""
import argparse
import logging
import os
import sys
import time

import numpy as np
import optuna
import torch
from sklearn.datasets import load_digits

try:
    import trainwatch
except ImportError:  # running from a source tree: python/ is next to examples/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import trainwatch
import trainwatch.optuna
from trainwatch import metrics


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20, help="trials to run (default 20)")
    p.add_argument("--epochs", type=int, default=20, help="epochs per trial (default 20)")
    p.add_argument("--study", default="digits-sweep", help="the study's name")
    p.add_argument("--train", type=int, default=1000, help="training images (default 1000)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=1, help="the sampler's and the data's seed")
    p.add_argument("--delay-ms", type=float, default=0,
                   help="sleep this long after each step (to watch the sweep live)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    a = p.parse_args(argv)
    if a.trials < 1 or a.epochs < 1 or a.batch_size < 1 or not 10 <= a.train <= 1500:
        p.error("--trials, --epochs and --batch-size must be >= 1, --train in [10, 1500]")
    return a


def load(args):
    """The digits split in a training and a validation set, scaled to [0, 1]."""
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.RandomState(args.seed).permutation(len(y))
    tr, va = order[:args.train], order[args.train:]
    return (torch.from_numpy(x[tr]), torch.from_numpy(y[tr]),
            torch.from_numpy(x[va]), torch.from_numpy(y[va]))


def make_objective(args, data):
    xt, yt, xv, yv = data
    steps = (len(yt) + args.batch_size - 1) // args.batch_size

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 0.3, log=True)
        width = trial.suggest_int("width", 16, 256, log=True)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 0.1, log=True)
        torch.manual_seed(args.seed + trial.number)
        model = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(),
                                    torch.nn.Linear(width, 10))
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        loss, acc = metrics.Mean("loss"), metrics.SparseCategoricalAccuracy()
        val_loss, val_acc = metrics.Mean("loss"), metrics.SparseCategoricalAccuracy()
        # trainwatch: this trial is run STUDY/trial-N; epoch_end() reports the validation
        # loss to the trial and raises optuna.TrialPruned when the pruner says so.
        with trainwatch.optuna.TrialPublisher(trial, objective="loss") as pub:
            pub.track(loss, "loss", "train")
            pub.track(acc, "accuracy", "train")
            pub.track(val_loss, "loss", "val")
            pub.track(val_acc, "accuracy", "val")
            pub.set_plan(args.epochs, steps)
            pub.set_params(batch_size=args.batch_size, train_samples=len(yt))
            for epoch in range(1, args.epochs + 1):
                model.train()
                order = torch.randperm(len(yt))
                for s in range(steps):
                    idx = order[s * args.batch_size:(s + 1) * args.batch_size]
                    logits = model(xt[idx])
                    per_sample = torch.nn.functional.cross_entropy(logits, yt[idx],
                                                                   reduction="none")
                    loss.update_state(per_sample.detach())
                    acc.update_state(yt[idx], torch.softmax(logits, 1).detach())
                    opt.zero_grad()
                    per_sample.mean().backward()
                    opt.step()
                    pub.step()  # trainwatch: one step done
                    if args.delay_ms:
                        time.sleep(args.delay_ms / 1000.0)
                model.eval()
                with torch.no_grad():
                    logits = model(xv)
                    val_loss.update_state(torch.nn.functional.cross_entropy(
                        logits, yv, reduction="none"))
                    val_acc.update_state(yv, torch.softmax(logits, 1))
                pub.epoch_end()  # trainwatch: publish, report to the trial, maybe prune
        return pub.best

    return objective


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)  # a small network: threads cost more than they give
    if args.quiet:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("trainwatch").setLevel(logging.ERROR if args.quiet else logging.WARNING)
    study = optuna.create_study(
        study_name=args.study, direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=args.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3))
    study.optimize(make_objective(args, load(args)), n_trials=args.trials)
    if not args.quiet:
        pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
        print("%s: %d trials, %d pruned; best val loss %.4f (trial %d: %s)" % (
            args.study, len(study.trials), pruned, study.best_value, study.best_trial.number,
            ", ".join("%s=%.4g" % kv for kv in study.best_params.items())))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
