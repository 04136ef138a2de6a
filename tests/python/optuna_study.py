"""optuna_study.py - the Optuna study of test_optuna.py and tests/e2e/sweep_tmux.sh (run as a
script): five trials with fixed parameters; the validation loss of a trial at epoch e is
x + 1/e; trial 3 (x 0.001) is best, then 0 and 1; trial 2 is pruned at epoch 2, trial 4 fails
in it. Prints each trial's number and state."""

import sys
import optuna
import trainwatch
from trainwatch.optuna import TrialPublisher

optuna.logging.set_verbosity(optuna.logging.WARNING)

def objective(trial):
    x = trial.suggest_float("x", 1e-3, 1.0, log=True)
    width = trial.suggest_int("width", 8, 64)
    with TrialPublisher(trial, objective="loss") as pub:
        loss = pub.track(trainwatch.metrics.Mean(), "loss", split="val")
        for epoch in range(1, 5):
            if trial.number == 4 and epoch == 2:
                raise RuntimeError("diverged")
            loss.update_state([x + 1.0 / epoch] * 4)
            pub.epoch_end()
    return pub.best

study = optuna.create_study(study_name="e2e", direction="minimize",
    pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2))
for x, w in ((0.01, 8), (0.1, 16), (1.0, 32), (0.001, 64), (0.05, 8)):
    study.enqueue_trial({"x": x, "width": w})
study.optimize(objective, n_trials=5, catch=(RuntimeError,))
print(" ".join("%d:%s" % (t.number, t.state.name) for t in study.trials))
