"""Optimizers and learning-rate schedules built from a TrainConfig.

The schedule is a pure function of the step (plus the plateau state), so its whole
state is a few numbers that go into the checkpoint as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from rnnkit.training.config import TrainConfig

LR_SCALE = "lr_scale"  # a parameter's attribute: its learning rate is cfg.lr times this


def param_groups(params: Iterable[nn.Parameter]) -> list[dict[str, Any]]:
    """One optimizer group per learning-rate multiplier: a model marks parameters that learn
    slower (e.g. pretrained word vectors) with ``p.lr_scale``; the rest have 1."""
    groups: dict[float, list[nn.Parameter]] = {}
    for p in params:
        groups.setdefault(float(getattr(p, LR_SCALE, 1.0)), []).append(p)
    return [{"params": ps, LR_SCALE: scale} for scale, ps in sorted(groups.items(), reverse=True)]


def make_optimizer(params: Iterable[nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam, AdamW, SGD with momentum or RMSprop, as `cfg.optimizer` says; parameters with
    an ``lr_scale`` attribute go in a group of their own (see :func:`param_groups`)."""
    params = param_groups(params)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    raise ValueError(f"TrainConfig.optimizer: unknown optimizer {cfg.optimizer!r}")


class Schedule:
    """Learning rate as a function of the step: warm-up, then constant/step/cosine/plateau.

    ``lr(step) = cfg.lr * warmup(step) * shape(step) * plateau_scale`` where warm-up rises
    linearly over `cfg.warmup` steps; "step" multiplies by `gamma` every `step_size`
    steps; "cosine" decays to `min_lr_ratio * lr` at `total_steps`, or, when training by
    time alone (no step total), at the end of the time budget; "plateau" multiplies by
    `gamma` after
    `plateau_patience` evaluations without improvement of the metric.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int | None):
        self.optimizer, self.cfg, self.total_steps = optimizer, cfg, total_steps
        self.scale = 1.0  # plateau reductions so far
        self.best: float | None = None  # best metric seen by the plateau rule
        self.bad_evals = 0  # evaluations since `best` improved

    def factor(self, step: int, time_fraction: float | None = None) -> float:
        """Multiplier of cfg.lr for the update that is optimizer step number `step` (0-based).

        `time_fraction`: the part of the time budget spent so far (None: no budget).
        """
        cfg = self.cfg
        warm = min(1.0, (step + 1) / cfg.warmup) if cfg.warmup else 1.0
        if cfg.schedule == "step":
            shape = cfg.gamma ** (step // cfg.step_size)
        elif cfg.schedule == "cosine" and (self.total_steps or time_fraction is not None):
            if self.total_steps:  # a step total decides, so runs stay reproducible
                span = max(1, self.total_steps - cfg.warmup)
                progress = min(1.0, max(0, step - cfg.warmup) / span)
            else:  # training by time alone
                progress = min(1.0, time_fraction or 0.0)
            cosine = 0.5 * (1 + math.cos(math.pi * progress))  # 1 -> 0
            shape = cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine
        else:
            shape = 1.0
        return warm * shape * self.scale

    def apply(self, step: int, time_fraction: float | None = None) -> float:
        """Set the optimizer's learning rate for update `step` (times each group's
        ``lr_scale``); return the base rate."""
        lr = self.cfg.lr * self.factor(step, time_fraction)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get(LR_SCALE, 1.0)
        return lr

    def observe(self, value: float) -> None:
        """Feed an evaluation of `cfg.metric` (only the "plateau" schedule reacts)."""
        if self.cfg.schedule != "plateau":
            return
        patience, gamma = self.cfg.plateau_patience, self.cfg.gamma
        better = self.best is None or (
            value < self.best if self.cfg.mode == "min" else value > self.best
        )
        if better:
            self.best, self.bad_evals = value, 0
            return
        self.bad_evals += 1
        if self.bad_evals >= patience:
            self.scale *= gamma
            self.bad_evals = 0

    def state_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "best": self.best, "bad_evals": self.bad_evals}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.scale, self.best, self.bad_evals = d["scale"], d["best"], d["bad_evals"]


def clip_gradients(params: list[nn.Parameter], cfg: TrainConfig) -> float:
    """Clip by value (element-wise) and/or by global norm as `cfg` says.

    Returns the global L2 norm of all gradients *before* any clipping.
    """
    params = [p for p in params if p.grad is not None]
    norm = float(torch.nn.utils.get_total_norm([p.grad for p in params]))
    if cfg.clip_value is not None:
        torch.nn.utils.clip_grad_value_(params, cfg.clip_value)
    if cfg.clip is not None:
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
    return norm
