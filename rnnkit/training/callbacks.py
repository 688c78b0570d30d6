"""Callback registry: tasks add behaviour to the trainer without editing it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

EVENTS = (
    "on_train_start",  # before the first step (after resuming)
    "on_after_backward",  # gradients ready, before clipping: trainer.grad_norm not set yet
    "on_step_end",  # after the optimizer step: trainer.last holds loss, grad_norm, lr
    "on_eval",  # after an evaluation: trainer.eval_metrics
    "on_checkpoint",  # after `last` or `best` was written: trainer.saved is its directory
    "on_train_end",  # after the final evaluation and checkpoint
)


class Callbacks:
    """``add(event, fn)`` then ``fire(event, trainer)`` calls every ``fn(trainer)``."""

    def __init__(self) -> None:
        self._fns: dict[str, list[Callable[[Any], None]]] = defaultdict(list)

    def add(self, event: str, fn: Callable[[Any], None]) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown callback event {event!r}; events: {', '.join(EVENTS)}")
        self._fns[event].append(fn)

    def fire(self, event: str, trainer: Any) -> None:
        for fn in self._fns.get(event, []):
            fn(trainer)
