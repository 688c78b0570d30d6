"""TrainConfig: everything the trainer needs to know, validated, JSON round-trip."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from rnnkit.config import Config, require
from rnnkit.training.precision import Precision

Optimizer = Literal["adam", "adamw", "sgd", "rmsprop"]
Schedule = Literal["constant", "step", "cosine", "plateau"]
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
SCHEDULES: tuple[str, ...] = get_args(Schedule)
BUDGET = ("steps", "epochs", "minutes")  # how long to train: see `budget`
LEGACY = ("bptt", "bptt_random")  # moved to the stream tasks' configs (TBPTTConfig)


@dataclass
class TrainConfig(Config):
    """How to train: budget, optimizer, schedule, clipping, evaluation, checkpoints."""

    steps: int | None = None  # optimizer steps to train for (None: use epochs / minutes)
    epochs: int | None = None  # passes over the data (steps, epochs, minutes all None: 1)
    minutes: float | None = None  # training-time budget (summed over resumed sessions)
    batch_size: int = 32  # global batch size (samples, or TBPTT lanes), split over ranks
    lr: float = 1e-3  # peak learning rate
    optimizer: Optimizer = "adam"  # adam, adamw, sgd or rmsprop
    momentum: float = 0.9  # SGD / RMSprop momentum
    weight_decay: float = 0.0  # L2 (adam, sgd, rmsprop) or decoupled (adamw) weight decay
    schedule: Schedule = "constant"  # learning-rate schedule: constant, step, cosine, plateau
    warmup: int = 0  # linear warm-up steps from 0 to lr (every schedule)
    step_size: int = 1000  # "step" schedule: multiply lr by gamma every step_size steps
    gamma: float = 0.5  # "step" decay factor; "plateau" reduction factor
    min_lr_ratio: float = 0.0  # "cosine" floor as a fraction of lr
    plateau_patience: int = 2  # "plateau": evaluations without improvement before reducing
    clip: float | None = None  # clip the global gradient norm to this (None: off)
    clip_value: float | None = None  # clip each gradient element to [-v, v] (None: off)
    eval_every: int = 0  # evaluate every N steps (0: at the end of each epoch / run)
    patience: int | None = None  # early stopping: evaluations without improvement (None: off)
    metric: str = "val_loss"  # validation metric for best checkpoint, early stopping, plateau
    mode: Literal["min", "max"] = "min"  # which direction of `metric` is better
    stop_below: float | None = None  # stop once the validation metric is below this (mode min)
    keep: Literal["best", "last"] = "best"  # weights kept at the end: best on validation, or last
    diverge_factor: float | None = 1000.0  # stop when the mean loss exceeds this x its best
    log_every: int = 50  # print a plain progress line every N steps (off a terminal)
    checkpoint_every: int = 0  # save `last` every N steps (0: at evaluations and the end)
    seed: int = 0  # seed of the data order and initialisation
    precision: Precision = "fp32"  # fp32, bf16 (autocast) or auto (bf16 where native)

    def validate(self) -> None:
        for name in ("steps", "epochs"):
            v = getattr(self, name)
            require(self, name, v is None or v >= 1, "None or an integer >= 1")
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give TrainConfig.steps or TrainConfig.epochs, not both")
        for name in ("batch_size", "step_size", "log_every", "plateau_patience"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        for name in ("warmup", "eval_every", "checkpoint_every"):
            require(self, name, getattr(self, name) >= 0, "an integer >= 0")
        require(self, "patience", self.patience is None or self.patience >= 1, "None or >= 1")
        require(self, "lr", _finite(self.lr) and self.lr > 0, "a positive number")
        m = self.minutes
        require(self, "minutes", m is None or (_finite(m) and m > 0), "positive")
        for name in ("clip", "clip_value", "diverge_factor"):
            v = getattr(self, name)
            require(self, name, v is None or (_finite(v) and v > 0), "None or a positive number")
        require(
            self, "diverge_factor", self.diverge_factor is None or self.diverge_factor > 1, "> 1"
        )
        require(self, "momentum", 0 <= self.momentum < 1, "in [0, 1)")
        require(
            self,
            "weight_decay",
            _finite(self.weight_decay) and self.weight_decay >= 0,
            "a finite number >= 0",
        )
        require(self, "gamma", 0 < self.gamma <= 1, "in (0, 1]")
        require(self, "min_lr_ratio", 0 <= self.min_lr_ratio <= 1, "in [0, 1]")
        s = self.stop_below
        require(self, "stop_below", s is None or _finite(s), "None or a finite number")
        require(self, "stop_below", s is None or self.mode == "min", "None when mode is 'max'")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Build from `to_dict` output; keys of older runs that moved elsewhere are dropped."""
        return super().from_dict({k: v for k, v in d.items() if k not in LEGACY})


def budget(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Merge a command's default budget with the flags given.

    The default ``steps`` applies only when none of steps, epochs, minutes is given; the
    default ``minutes`` (a time cap) applies unless minutes is given.
    """
    merged = {**defaults, **given}
    if any(k in given for k in BUDGET):
        merged["steps"] = given.get("steps")
        merged["epochs"] = given.get("epochs")
    return merged


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
