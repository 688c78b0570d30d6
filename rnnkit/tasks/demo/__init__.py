"""The demo task: next-value prediction on a long noisy sum of sines, by truncated BPTT.

One seeded series of N steps, ``s_t = sum_j a_j sin(2 pi t / p_j + phi_j) + noise``,
is split into a training stream (first 90%) and a validation stream (the rest). A
small LSTM reads the training stream in lanes and chunks (rnnkit.training.tbptt),
carrying its state across chunks, and predicts s_{t+1} from s_0..s_t. Its validation
MSE (one lane over the whole validation stream) is compared with the naive forecast
s_{t+1} = s_t. The series is drawn from ``--series-seed`` (runs of older rnnkit drew it
from the training seed, and still do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import torch
from torch import nn

from rnnkit.config import Config, require
from rnnkit.models.regressor import NextStepRegressor, RegressorConfig
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.registry import TRAINING, register_task
from rnnkit.training import StreamBatches, TrainConfig, count_items, to_device
from rnnkit.training.evaluation import loss_sum
from rnnkit.training.tbptt import TBPTTConfig


@dataclass
class DemoConfig(Config):
    """The synthetic series, and how it is cut for truncated BPTT."""

    length: int = 40_000  # N: steps in the whole series
    noise: float = 0.05  # standard deviation of the added Gaussian noise
    val_fraction: float = 0.1  # tail of the series held out for validation
    periods: tuple[float, ...] = (11.0, 23.5, 47.0)  # p_j: periods of the sines, in steps
    tbptt: TBPTTConfig = field(default_factory=lambda: TBPTTConfig(bptt=50))  # chunks
    series_seed: int = 0  # seed the series is drawn from

    def validate(self) -> None:
        require(self, "length", self.length >= 100, "an integer >= 100")
        require(self, "noise", math.isfinite(self.noise) and self.noise >= 0, "a number >= 0")
        require(self, "val_fraction", 0 < self.val_fraction < 1, "in (0, 1)")
        require(self, "periods", len(self.periods) >= 1 and min(self.periods) > 0, "positive")


def make_series(cfg: DemoConfig, seed: int) -> torch.Tensor:
    """The seeded series, shape (N, 1)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(cfg.length, dtype=torch.float64)  # (N,)
    s = torch.zeros(cfg.length, dtype=torch.float64)
    for p in cfg.periods:
        a, phi = 0.5 + torch.rand((), generator=g), 2 * math.pi * torch.rand((), generator=g)
        s += a * torch.sin(2 * math.pi * t / p + phi)
    s = s / len(cfg.periods) + cfg.noise * torch.randn(cfg.length, generator=g, dtype=torch.float64)
    return s.float().unsqueeze(-1)  # (N, 1)


def naive_mse(series: torch.Tensor) -> float:
    """MSE of predicting each value by the previous one."""
    return float(((series[1:] - series[:-1]) ** 2).mean())


def upgrade(config: dict[str, Any]) -> dict[str, Any]:
    """Runs of older rnnkit drew the series from the training seed."""
    if "series_seed" in config["data"]:
        return config
    seed = config.get("train", {}).get("seed", 0)
    return {**config, "data": {**config["data"], "series_seed": seed}}


@register_task(
    "demo",
    command=("demo",),
    help="train a small LSTM on a synthetic series (about a minute)",
    description=(
        "Next-value prediction on a long noisy sum of sines, trained by truncated BPTT "
        "with a small LSTM; compares with the naive forecast."
    ),
    derived=("input_size", "output_size"),
    train_defaults={
        **TRAINING,
        "steps": 1000,
        "batch_size": 32,
        "lr": 3e-3,
        "eval_every": 200,
        "warmup": 50,
    },
    unit="values",
    headline=lambda task, model, train: (
        f"demo: {model.cell.upper()}(1, {model.hidden_size}) x{model.num_layers} on a sum "
        f"of sines, {train.steps} steps, TBPTT k={task.config.tbptt.bptt}"
    ),
    describe=lambda r: (
        f"validation MSE {r['val_loss']:.5f} (naive forecast: "
        f"{r['naive_mse']:.5f}) after {r['step']} steps"
    ),
    upgrade=upgrade,
)
class DemoTask(Task):
    """Next-value prediction on a noisy sum of sines, against the naive forecast."""

    Config = DemoConfig
    Model = RegressorConfig
    held_out = ("val",)
    carry_state = True

    @cached_property
    def split(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The training and validation parts of the series, (N_train, 1) and (N_val, 1)."""
        series = make_series(self.config, self.config.series_seed)
        cut = int(len(series) * (1 - self.config.val_fraction))
        return series[:cut], series[cut:]

    def build_model(self, config: RegressorConfig) -> nn.Module:
        return NextStepRegressor(config)

    def batches(self, train: TrainConfig, model: RegressorConfig) -> StreamBatches:
        tbptt = self.config.tbptt
        return StreamBatches(
            self.split[0],
            lanes=train.batch_size,
            bptt=tbptt.bptt,
            random=tbptt.bptt_random,
            seed=train.seed,
        )

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        """MSE over the validation stream, read as one lane with the state carried."""
        stream = StreamBatches(self.split[1], lanes=1, bptt=self.config.tbptt.bptt)
        device = next(model.parameters()).device
        total, weight = loss_sum(
            model, stream(0), move=to_device, count=count_items, device=device, carry_state=True
        )
        return Evaluation({f"{split}_loss": total / weight})

    def baselines(self) -> dict[str, Any]:
        return {"naive_mse": naive_mse(self.split[1])}

    def report(self, run: Finished) -> dict[str, Any]:
        summary = run.summary
        out = {k: summary[k] for k in ("step", "epoch", "loss") if k in summary}
        best = {"best_val_loss": summary.get("best_val_loss")}
        return {**out, **run.metrics, **best, **run.baselines}
