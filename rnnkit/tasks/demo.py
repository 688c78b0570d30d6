"""The demo task: next-value prediction on a long noisy sum of sines, by truncated BPTT.

One seeded series of N steps, ``s_t = sum_j a_j sin(2 pi t / p_j + phi_j) + noise``,
is split into a training stream (first 90%) and a validation stream (the rest). A
small LSTM reads each stream in lanes and chunks (rnnkit.training.tbptt), carrying its
state across chunks, and predicts s_{t+1} from s_0..s_t. Its validation MSE is
compared with the naive forecast s_{t+1} = s_t.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from rnnkit.models.regressor import NextStepRegressor, RegressorConfig
from rnnkit.training import RunDir, StreamBatches, TrainConfig, Trainer
from rnnkit.training.distributed import DistInfo
from rnnkit.training.progress import Progress


@dataclass
class DemoConfig:
    """The synthetic series."""

    length: int = 40_000  # N: steps in the whole series
    noise: float = 0.05  # standard deviation of the added Gaussian noise
    val_fraction: float = 0.1  # tail of the series held out for validation
    periods: tuple[float, ...] = (11.0, 23.5, 47.0)  # p_j: periods of the sines, in steps

    def __post_init__(self) -> None:
        if self.length < 100:
            raise ValueError(f"DemoConfig.length must be >= 100, got {self.length}")
        if self.noise < 0:
            raise ValueError(f"DemoConfig.noise must be >= 0, got {self.noise}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"DemoConfig.val_fraction must be in (0, 1), got {self.val_fraction}")
        self.periods = tuple(float(p) for p in self.periods)


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


def train_demo(
    demo: DemoConfig,
    model_cfg: RegressorConfig,
    train: TrainConfig,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    tensorboard: bool = False,
    dist: DistInfo | None = None,
) -> dict[str, Any]:
    """Train the demo model; return the final metrics (with the naive baseline's MSE)."""
    dist = dist or DistInfo()
    series = make_series(demo, train.seed)
    cut = int(len(series) * (1 - demo.val_fraction))
    bptt = train.bptt or 50
    streams = dict(lanes=train.batch_size, bptt=bptt, rank=dist.rank, world=dist.world)
    train_data = StreamBatches(series[:cut], random=train.bptt_random, seed=train.seed, **streams)
    val_data = StreamBatches(series[cut:], **streams)
    run = _prepare_run(out, resume, dist, demo, model_cfg, train)
    trainer = Trainer(
        NextStepRegressor(model_cfg),
        train,
        train_data,
        val_data=val_data,
        run=run,
        dist=dist,
        carry_state=True,
        progress=progress,
        tensorboard=tensorboard,
    )
    if resume:
        trainer.resume()
    metrics = trainer.fit()
    metrics["naive_mse"] = naive_mse(series[cut:])
    return metrics


def _prepare_run(
    out: str | Path | None,
    resume: bool,
    dist: DistInfo,
    demo: DemoConfig,
    model_cfg: RegressorConfig,
    train: TrainConfig,
) -> RunDir | None:
    """The run directory: refuse to overwrite a run unless resuming; write config.json."""
    if out is None:
        if resume:
            raise ValueError("--resume needs --out RUN, the run directory to continue")
        return None
    run = RunDir(out)
    if not resume and run.checkpoint("last") is not None:
        raise ValueError(
            f"{out} already holds a run: add --resume to continue it, or choose another --out"
        )
    if dist.main:
        run.create()
        run.write_config(
            {
                "task": "demo",
                "model": model_cfg.to_dict(),
                "data": asdict(demo),
                "train": train.to_dict(),
            }
        )
    return run
