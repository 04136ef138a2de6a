#!/usr/bin/python3
"""pytorch_digits.py - example: a PyTorch network that overfits, trained and watched live.

A multi-layer perceptron far too big for its data (two hidden layers of 512 units, about
300k parameters) learns scikit-learn's bundled 8x8 handwritten digits (no download) from only
300 training images, a fifth of them with a wrong label; the other ~1500, all labelled
right, are the validation set. It first learns the digits, then memorises the wrong labels:
the validation loss bottoms out after a few epochs and climbs while the training loss keeps
falling.
--regularize adds dropout, weight decay and early stopping on the validation loss, and the
validation loss no longer climbs.

It publishes per-step training loss and per-epoch training and validation loss, accuracy and
AUC (one-vs-rest over the ten classes, flattened as Keras's AUC does). Watch it with
`trainwatch`, or run it through `./dev demo python`. The lines that talk to trainwatch are
marked "trainwatch:". Needs python3-torch, python3-sklearn and python3-numpy (Debian), and
the trainwatch package on PYTHONPATH (python/ of the source tree).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.datasets import load_digits

try:
    import trainwatch
except ImportError:  # running from a source tree: python/ is next to examples/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import trainwatch
from trainwatch import metrics


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=60, help="epochs to train (default 60)")
    p.add_argument("--hidden", type=int, default=512, help="units of each hidden layer")
    p.add_argument("--train", type=int, default=300, help="training images (default 300)")
    p.add_argument("--label-noise", type=float, default=0.2,
                   help="fraction of training labels replaced by a random digit (default 0.2)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--regularize", action="store_true",
                   help="dropout 0.5, weight decay 1e-2 (AdamW) and early stopping "
                        "(patience 5 on the validation loss)")
    p.add_argument("--patience", type=int, default=5, help="early stopping's patience")
    p.add_argument("--delay-ms", type=float, default=0,
                   help="sleep this long after each step (to watch a short run live)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    a = p.parse_args(argv)
    if a.epochs < 1 or a.hidden < 1 or a.batch_size < 1 or not 10 <= a.train <= 1500 or \
            not 0 <= a.label_noise <= 1:
        p.error("--epochs, --hidden and --batch-size must be >= 1, --train in [10, 1500], --label-noise in [0, 1]")
    return a


def load(args):
    """The digits split in a small training set and a large validation set, scaled to [0, 1]."""
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.RandomState(args.seed).permutation(len(y))
    tr, va = order[:args.train], order[args.train:]
    y_train = y[tr].copy()
    flip = np.random.RandomState(args.seed + 1).rand(len(tr)) < args.label_noise
    y_train[flip] = np.random.RandomState(args.seed + 2).randint(0, 10, flip.sum())
    return (torch.from_numpy(x[tr]), torch.from_numpy(y_train),
            torch.from_numpy(x[va]), torch.from_numpy(y[va]))


def build(args):
    drop = 0.5 if args.regularize else 0.0
    model = torch.nn.Sequential(
        torch.nn.Linear(64, args.hidden), torch.nn.ReLU(), torch.nn.Dropout(drop),
        torch.nn.Linear(args.hidden, args.hidden), torch.nn.ReLU(), torch.nn.Dropout(drop),
        torch.nn.Linear(args.hidden, 10))
    if args.regularize:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    return model, opt


def update(loss, acc, auc, logits, y):
    """Feeds one batch to the epoch's metrics: per-sample losses, probabilities, labels."""
    per_sample = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    probs = torch.softmax(logits, dim=1)
    loss.update_state(per_sample.detach())  # float32 CPU tensors: passed without a copy
    acc.update_state(y, probs.detach())
    auc.update_state(torch.nn.functional.one_hot(y, 10), probs.detach())
    return per_sample.mean()


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # a small network: threads cost more than they give
    xt, yt, xv, yv = load(args)
    model, opt = build(args)
    steps = (len(yt) + args.batch_size - 1) // args.batch_size

    # trainwatch: the run's metrics, Keras's names; the publisher streams every update.
    loss, acc, auc = metrics.Mean("loss"), metrics.SparseCategoricalAccuracy(), metrics.AUC()
    val_loss, val_acc, val_auc = (metrics.Mean("loss"), metrics.SparseCategoricalAccuracy(),
                                  metrics.AUC())
    with trainwatch.Publisher() as pub:
        for m, name in ((loss, "loss"), (acc, "accuracy"), (auc, "auc")):
            pub.track(m, name, "train")
        for m, name in ((val_loss, "loss"), (val_acc, "accuracy"), (val_auc, "auc")):
            pub.track(m, name, "val")
        pub.set_plan(args.epochs, steps)
        pub.set_params(model="mlp 64-%d-%d-10, relu" % (args.hidden, args.hidden),
                       optimizer="adamw" if args.regularize else "adam", lr=args.lr,
                       batch_size=args.batch_size, train_samples=len(yt),
                       val_samples=len(yv), label_noise=args.label_noise, regularize=args.regularize, seed=args.seed,
                       dropout=0.5 if args.regularize else 0.0,
                       weight_decay=1e-2 if args.regularize else 0.0)
        if not args.quiet:
            print("pytorch_digits: publishing run %s on %s%s" % (
                pub.run_id, pub.endpoint, ", log " + pub.log_path if pub.log_path else ""),
                flush=True)

        best, best_epoch, since_best = float("inf"), 0, 0
        for epoch in range(1, args.epochs + 1):
            model.train()
            order = torch.randperm(len(yt))
            for s in range(steps):
                idx = order[s * args.batch_size:(s + 1) * args.batch_size]
                logits = model(xt[idx])
                batch_loss = update(loss, acc, auc, logits, yt[idx])
                opt.zero_grad()
                batch_loss.backward()
                opt.step()
                pub.step()  # trainwatch: one step done
                if args.delay_ms:
                    time.sleep(args.delay_ms / 1000.0)
            model.eval()
            with torch.no_grad():
                update(val_loss, val_acc, val_auc, model(xv), yv)
            vl = val_loss.result()
            if not args.quiet:
                print("epoch %3d/%d loss %.4f accuracy %.4f auc %.4f val_loss %.4f "
                      "val_accuracy %.4f val_auc %.4f" % (
                          epoch, args.epochs, loss.result(), acc.result(), auc.result(), vl,
                          val_acc.result(), val_auc.result()), flush=True)
            pub.epoch_end()  # trainwatch: publish the epoch's values, reset the metrics
            if vl < best:
                best, best_epoch, since_best = vl, epoch, 0
            else:
                since_best += 1
                if args.regularize and since_best >= args.patience:
                    if not args.quiet:
                        print("early stopping: no improvement of val_loss for %d epochs"
                              % args.patience)
                    break
        if not args.quiet:
            print("lowest val_loss %.4f at epoch %d" % (best, best_epoch))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
