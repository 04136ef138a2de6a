"""Hyperparameter sweeps with Optuna: each trial of a study publishes as a run of its own.

::

    import optuna
    import trainwatch
    from trainwatch.optuna import TrialPublisher

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        with TrialPublisher(trial, objective="loss") as pub:
            loss = pub.track(trainwatch.metrics.Mean(), "loss", split="val")
            for epoch in range(20):
                ...                    # train, then loss.update_state(...) on the validation set
                pub.epoch_end()        # reports the epoch's val loss to the trial; raises
                                       # optuna.TrialPruned when the pruner says so
        return pub.best

    optuna.create_study(study_name="digits", pruner=optuna.pruners.MedianPruner()).optimize(
        objective, n_trials=20)

A trial's run is named ``STUDY/trial-N`` and carries, beside the trial's parameters
(``trial.params``, sent again whenever a new one is suggested), the parameters the monitor
groups studies by (doc/protocol.md, "Studies and trials"): ``study`` (the study's name),
``trial`` (its number), ``objective`` (the metric the study optimises) and ``trial_state``
(``running``, then ``complete``, ``pruned`` or ``failed``). The run ends with status ``ok``
(complete), ``interrupted`` (pruned: stopped early) or ``failed``. The monitor's runs table
then lists the study's trials by their best value with a column per hyperparameter, its sweep
view (key ``w``) plots each trial's best against a hyperparameter, and ``trainwatch --once``
prints the study's leaderboard.

This module imports Optuna only when a TrialPublisher is made, so ``import trainwatch`` never
needs it.
"""
import math
import numbers
import os

from .publisher import Publisher

__all__ = ["TrialPublisher", "run_name", "RESERVED"]

#: The parameter keys of the convention; a hyperparameter may not use them.
RESERVED = ("study", "trial", "trial_state", "objective")


def run_name(trial):
    """The run name of a trial: ``STUDY/trial-N``."""
    return "%s/trial-%d" % (trial.study.study_name, trial.number)


def _optuna():
    try:
        import optuna
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError("trainwatch.optuna needs Optuna (Debian: apt-get install "
                          "python3-optuna; pip install optuna)") from e
    return optuna


def _maximize(trial):
    optuna = _optuna()
    directions = getattr(trial.study, "directions", None) or [trial.study.direction]
    if len(directions) != 1:
        raise ValueError("trainwatch.optuna follows single-objective studies only")
    return directions[0] == optuna.study.StudyDirection.MAXIMIZE


class TrialPublisher(Publisher):
    """A :class:`trainwatch.Publisher` for one Optuna trial.

    ``objective`` names the tracked metric whose epoch value the study optimises (the one
    tracked with that name on the ``split`` split, "val" by default). Every ``epoch_end()``
    takes its value before it resets, reports it to the trial (``trial.report(value, epoch)``)
    and, when ``prune`` is true and ``trial.should_prune()`` says so, raises
    ``optuna.TrialPruned`` — leave it out of the ``with`` block and Optuna records the trial
    as pruned. ``epoch_end(value=...)`` reports a value of your own instead. ``best`` is the
    best value reported so far (by the study's direction), ``last`` the latest.

    The other keyword arguments are Publisher's (``run_name`` defaults to ``STUDY/trial-N``).
    Every trial is a run of its own: with one process a publisher gets a new run id anyway;
    a ``TRAINWATCH_RUN_ID`` in the environment becomes ``ID/trial-N`` for the trial (the ranks
    of a multi-process trial agree on it). Under a multi-rank launcher without
    ``TRAINWATCH_RUN_ID`` the launch's id would be every trial's: set it.
    Used as a context manager, the run ends as the trial does: complete, pruned (an
    ``optuna.TrialPruned`` leaving the block) or failed (any other exception).
    """

    def __init__(self, trial, objective="loss", split="val", prune=True, **kwargs):
        self._optuna = _optuna()
        self.trial = trial
        self.objective = objective
        self.objective_split = split
        self.prune = prune
        self.maximize = _maximize(trial)
        self.best = None
        self.best_epoch = None
        self.last = None
        self._metrics = {}
        self._sent = {}
        kwargs.setdefault("run_name", run_name(trial))
        # Each trial is a run of its own. A run id the user fixed for the whole process
        # (TRAINWATCH_RUN_ID) would make every trial one run: the trial gets ID/trial-N.
        fixed = os.environ.get("TRAINWATCH_RUN_ID")
        if fixed:
            os.environ["TRAINWATCH_RUN_ID"] = ("%s/trial-%d" % (fixed, trial.number))[-127:]
        try:
            super().__init__(**kwargs)
        finally:
            if fixed:
                os.environ["TRAINWATCH_RUN_ID"] = fixed
        self.set_params(study=trial.study.study_name, trial=trial.number,
                        objective=objective, trial_state="running")
        self._send_trial_params()

    def _send_trial_params(self):
        """Sends the trial's parameters that are new or changed since the last time."""
        new = {}
        for key, value in self.trial.params.items():
            if key in RESERVED:
                raise ValueError("the hyperparameter %r uses a key trainwatch.optuna reserves "
                                 "(%s): rename it" % (key, ", ".join(RESERVED)))
            if value is None or isinstance(value, bool):
                value = str(value)
            if self._sent.get(key, self) != value:
                new[key] = value
        if new:
            self.set_params(**new)
            self._sent.update(new)

    def track(self, metric, name=None, split="train"):
        metric = super().track(metric, name, split)
        self._metrics[(metric.name if name is None else name, split)] = metric
        return metric

    def epoch_end(self, value=None):
        """Closes the epoch (Publisher.epoch_end), reports the objective's value of it to the
        trial and raises optuna.TrialPruned when the trial should stop."""
        epoch = self.epoch
        if value is None:
            m = self._metrics.get((self.objective, self.objective_split))
            if m is None and self.objective_split == "val":
                m = self._metrics.get((self.objective, "validation"))
            value = m.result() if m is not None else None
        self._send_trial_params()
        super().epoch_end()
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            return
        value = float(value)
        self.last = value
        if self.best is None or (value > self.best if self.maximize else value < self.best):
            self.best, self.best_epoch = value, epoch
        self.trial.report(value, epoch)
        if self.prune and self.trial.should_prune():
            raise self._optuna.TrialPruned("pruned at epoch %d (%s %.6g)"
                                           % (epoch, self.objective, value))

    def finish(self, state):
        """Ends the run as the trial ended: "complete", "pruned" or "failed" (the context
        manager calls it). Idempotent; the publisher is closed afterwards."""
        status = {"complete": "ok", "pruned": "interrupted", "failed": "failed"}[state]
        if not self._h:
            return
        try:
            self._send_trial_params()
        except ValueError:
            pass
        self.set_params(trial_state=state)
        self.close(status)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish("complete")
        elif issubclass(exc_type, self._optuna.TrialPruned):
            self.finish("pruned")
        else:
            self.finish("failed")
        return False

    def __repr__(self):
        return "<trainwatch.optuna.TrialPublisher trial=%d best=%r %s>" % (
            self.trial.number, self.best, "open" if self._h else "closed")
