"""TrainConfig: everything the trainer needs to know, validated, JSON round-trip."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "plateau")


@dataclass
class TrainConfig:
    """How to train: budget, optimizer, schedule, clipping, evaluation, checkpoints."""

    steps: int | None = None  # optimizer steps to train for (None: use epochs / minutes)
    epochs: int | None = None  # passes over the data (steps, epochs, minutes all None: 1)
    minutes: float | None = None  # training-time budget (summed over resumed sessions)
    batch_size: int = 32  # global batch size (samples, or TBPTT lanes), split over ranks
    lr: float = 1e-3  # peak learning rate
    optimizer: str = "adam"  # one of OPTIMIZERS
    momentum: float = 0.9  # SGD / RMSprop momentum
    weight_decay: float = 0.0  # L2 (adam, sgd, rmsprop) or decoupled (adamw) weight decay
    schedule: str = "constant"  # one of SCHEDULES
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
    mode: str = "min"  # "min" or "max": which direction of `metric` is better
    log_every: int = 50  # print a plain progress line every N steps (off a terminal)
    checkpoint_every: int = 0  # save `last` every N steps (0: at evaluations and the end)
    bptt: int | None = None  # truncated BPTT chunk length k (None: task default / full)
    bptt_random: bool = False  # draw each chunk length around bptt instead of fixed k
    seed: int = 0  # seed of the data order and initialisation

    def __post_init__(self) -> None:
        for name in ("steps", "epochs", "bptt"):
            _positive_int_or_none(self, name)
        for name in ("batch_size", "step_size", "log_every", "plateau_patience"):
            _require(
                self,
                name,
                isinstance(getattr(self, name), int) and getattr(self, name) >= 1,
                "an integer >= 1",
            )
        for name in ("warmup", "eval_every", "checkpoint_every"):
            _require(
                self,
                name,
                isinstance(getattr(self, name), int) and getattr(self, name) >= 0,
                "an integer >= 0",
            )
        _require(self, "patience", self.patience is None or self.patience >= 1, "None or >= 1")
        _require(self, "lr", _finite(self.lr) and self.lr > 0, "a positive number")
        _require(
            self,
            "minutes",
            self.minutes is None or (_finite(self.minutes) and self.minutes > 0),
            "positive",
        )
        for name in ("clip", "clip_value"):
            v = getattr(self, name)
            _require(self, name, v is None or (_finite(v) and v > 0), "None or a positive number")
        _require(self, "momentum", 0 <= self.momentum < 1, "in [0, 1)")
        _require(self, "weight_decay", self.weight_decay >= 0, ">= 0")
        _require(self, "gamma", 0 < self.gamma <= 1, "in (0, 1]")
        _require(self, "min_lr_ratio", 0 <= self.min_lr_ratio <= 1, "in [0, 1]")
        _require(self, "optimizer", self.optimizer in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}")
        _require(self, "schedule", self.schedule in SCHEDULES, f"one of {', '.join(SCHEDULES)}")
        _require(self, "mode", self.mode in ("min", "max"), "'min' or 'max'")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Build from `to_dict` output; unknown keys are an error naming them."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"TrainConfig: unknown field(s) {', '.join(unknown)}")
        return cls(**d)


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _require(cfg: TrainConfig, name: str, ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"TrainConfig.{name} must be {what}, got {getattr(cfg, name)!r}")


def _positive_int_or_none(cfg: TrainConfig, name: str) -> None:
    v = getattr(cfg, name)
    ok = v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
    _require(cfg, name, ok, "None or an integer >= 1")
