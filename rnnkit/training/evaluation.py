"""Validation: the default mean loss, and tracking the best metric for early stopping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

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
