"""How long to train: TrainConfig's steps, epochs or minutes, agreed over ranks."""

from __future__ import annotations

from typing import Any

from rnnkit.training import distributed as ddp
from rnnkit.training.config import TrainConfig


def total_steps(config: TrainConfig, train_data: Any) -> int | None:
    """Optimizer steps the budget allows, when known: `steps`, or epochs x batches per
    epoch (``len(train_data)``); None when training by time alone or without a length."""
    if config.steps is not None:
        return config.steps
    if config.epochs is None and config.minutes is not None:
        return None  # until the time is up
    try:
        return (config.epochs or 1) * len(train_data)
    except TypeError:
        return None


def spent(trainer: Any) -> bool:
    """True when the trainer has trained enough; sets ``trainer.stop_reason`` to "time"
    when the time budget ended it. Every rank must call it: the ranks agree (any rank out
    of time or asked to stop stops them all) and share one clock for time-based
    schedules, the mean of their training times (``trainer.agreed_elapsed``)."""
    cfg = trainer.config
    if cfg.steps is not None:
        if trainer.step >= cfg.steps:
            return True
    elif cfg.epochs is not None or cfg.minutes is None:
        if trainer.epoch >= (cfg.epochs or 1):  # neither steps nor a time budget: one epoch
            return True
    time_up = cfg.minutes is not None and trainer.elapsed >= cfg.minutes * 60
    time_up, asked, elapsed = ddp.all_sum(
        [float(time_up), float(trainer.stop_reason is not None), trainer.elapsed], trainer.dist
    )
    trainer.agreed_elapsed = elapsed / trainer.dist.world
    if time_up:
        trainer.stop_reason = trainer.stop_reason or "time"
        return True
    if asked and trainer.stop_reason is None:
        trainer.stop_reason = "stopped on another rank"
    return False


def time_fraction(trainer: Any) -> float | None:
    """How much of the time budget is used (the ranks' agreed clock); None without one."""
    minutes = trainer.config.minutes
    return trainer.agreed_elapsed / (minutes * 60) if minutes else None
