"""Tiny models and data for the training tests."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from rnnkit.models.output import Output
from rnnkit.models.regressor import NextStepRegressor, RegressorConfig
from rnnkit.training import StreamBatches, TrainConfig, Trainer


def stream(n: int = 241, seed: int = 0) -> torch.Tensor:
    """A smooth random series, shape (n, 1)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, generator=g).cumsum(0) * 0.1


def tiny_model(seed: int = 0, layers: int = 1, dropout: float = 0.0) -> NextStepRegressor:
    torch.manual_seed(seed)
    return NextStepRegressor(RegressorConfig(hidden_size=6, num_layers=layers, dropout=dropout))


def stream_trainer(
    run=None,
    *,
    seed: int = 0,
    layers: int = 1,
    dropout: float = 0.0,
    tensorboard: bool = False,
    bptt: int = 10,
    bptt_random: bool = False,
    progress=None,
    callbacks=(),
    **cfg,
) -> Trainer:
    """A TBPTT trainer on a short stream: 4 lanes, chunks of 10."""
    cfg = {"steps": 12, "batch_size": 4, "lr": 1e-2, **cfg}
    config = TrainConfig(**cfg)
    data = StreamBatches(stream(), lanes=4, bptt=bptt, random=bptt_random)
    val = StreamBatches(stream(81, seed=1), lanes=4, bptt=bptt)
    return Trainer(
        tiny_model(seed, layers, dropout),
        config,
        data,
        val_data=val,
        run=run,
        carry_state=True,
        tensorboard=tensorboard,
        progress=progress,
        callbacks=callbacks,
    )


@dataclass
class Pair:
    """A plain (non-stream) batch: inputs (B, T, 1) and targets (B, T, 1)."""

    x: torch.Tensor
    y: torch.Tensor


class Linear(nn.Module):
    """The smallest model that follows the contract."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Linear(1, 1)

    def forward(self, batch: Pair, state=None) -> Output:
        pred = self.w(batch.x)
        return Output(loss=((pred - batch.y) ** 2).mean(), prediction=pred, state=None)


def pairs(n: int = 4, seed: int = 0) -> list[Pair]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randn(8, 3, 1, generator=g)
        out.append(Pair(x, 2 * x + 1))
    return out
