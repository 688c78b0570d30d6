"""Validation: when to evaluate, the default mean loss, the best metric, early stopping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from rnnkit.training import checkpoint as ckpt
from rnnkit.training import distributed as ddp
from rnnkit.training.callbacks import Callback
from rnnkit.training.config import TrainConfig
from rnnkit.training.tbptt import reset_lanes


@torch.no_grad()
def loss_sum(
    model: nn.Module,
    batches: Iterable[Any],
    *,
    move: Callable[[Any, str], Any],
    count: Callable[[Any], int],
    device: str,
    carry_state: bool,
) -> tuple[float, float]:
    """Sum of (batch loss x batch items) and of items over `batches`; state carried if asked."""
    total = weight = 0.0
    state = None
    for batch in batches:
        batch = move(batch, device)
        out = model(batch, state=reset_lanes(state, batch) if carry_state else None)
        state = out.state if carry_state else None
        n = float(count(batch))
        total, weight = total + float(out.loss) * n, weight + n
    return total, weight


def evaluate(trainer: Any) -> dict[str, Any]:
    """Validation metrics of the trainer's model ({} without validation data): its
    ``evaluate`` function's, else the mean validation loss; in eval mode, without
    gradients, in float32; the model's mode is restored."""
    model = ckpt.unwrap(trainer.model)
    with evaluating(model):
        if trainer.evaluate_fn is not None:
            return dict(trainer.evaluate_fn(model))
        return mean_val_loss(trainer, model) if trainer.val_source else {}


def mean_val_loss(trainer: Any, model: nn.Module) -> dict[str, float]:
    """``{"val_loss": ...}``: the loss over the validation batches, weighted by their
    items, summed over ranks."""
    sums = loss_sum(
        model,
        trainer.val_source(0),
        move=trainer.move,
        count=trainer.count,
        device=trainer.dist.device,
        carry_state=trainer.carry_state,
    )
    total, weight = ddp.all_sum(list(sums), trainer.dist)
    return {"val_loss": total / max(weight, 1.0)}


class BestTracker:
    """The best value of a metric so far, and evaluations since it last improved."""

    def __init__(self, mode: str, patience: int | None):
        self.mode, self.patience = mode, patience
        self.best: float | None = None
        self.bad_evals = 0

    def update(self, value: float) -> bool:
        """Record an evaluation; True when it is a new best."""
        if self.best is None or (value < self.best if self.mode == "min" else value > self.best):
            self.best, self.bad_evals = value, 0
            return True
        self.bad_evals += 1
        return False

    @property
    def exhausted(self) -> bool:
        """Early stopping: `patience` evaluations in a row without improvement."""
        return self.patience is not None and self.bad_evals >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad_evals": self.bad_evals}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.best, self.bad_evals = d["best"], d["bad_evals"]


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode without gradients, its mode given back afterwards."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was)


class Validation(Callback):
    """Evaluate every ``eval_every`` steps (0: at the end of each epoch) and at the end;
    track the best value of ``TrainConfig.metric``; stop early (``patience``) or once it is
    below ``stop_below``; feed it to the plateau schedule.

    An evaluation sets ``trainer.eval_metrics`` and fires ``on_eval``; this callback's own
    ``on_eval`` (after the divergence guard has seen the metrics) records the value, and
    `improved` tells the checkpointer whether to write `best`.
    """

    def __init__(self, config: TrainConfig):
        self.config = config
        self.tracker = BestTracker(config.mode, config.patience)
        self.last_eval_step = -1  # step of the latest evaluation
        self.improved = False  # the latest evaluation set a new best

    @property
    def best(self) -> float | None:
        return self.tracker.best

    def on_step_end(self, trainer: Any) -> None:
        every = self.config.eval_every
        if every and trainer.step % every == 0:
            self.validate(trainer)

    def on_epoch_end(self, trainer: Any) -> None:
        if self.config.eval_every == 0:
            self.validate(trainer)

    def on_train_end(self, trainer: Any) -> None:
        if self.last_eval_step != trainer.step:
            self.validate(trainer)

    def validate(self, trainer: Any) -> None:
        self.last_eval_step, self.improved = trainer.step, False
        trainer.eval_metrics = trainer.evaluate()
        trainer.fire("on_eval")

    def on_eval(self, trainer: Any) -> None:
        if trainer.eval_metrics:
            self.improved = self.observe(trainer, trainer.eval_metrics)

    def observe(self, trainer: Any, metrics: dict[str, Any]) -> bool:
        """Track the best metric and early stopping; True when it improved."""
        cfg = self.config
        if cfg.metric not in metrics:
            raise ValueError(
                f"TrainConfig.metric {cfg.metric!r} is not among the "
                f"evaluation metrics {sorted(metrics)}"
            )
        value = float(metrics[cfg.metric])
        trainer.schedule.observe(value)
        improved = self.tracker.update(value)
        if self.tracker.exhausted:
            trainer.request_stop("early_stop")
        if cfg.stop_below is not None and value < cfg.stop_below:
            trainer.request_stop("solved")
        return improved

    def state_dict(self) -> dict[str, Any]:
        return {"tracker": self.tracker.state_dict(), "last_eval_step": self.last_eval_step}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.tracker.load_state_dict(state["tracker"])
        self.last_eval_step = state["last_eval_step"]
