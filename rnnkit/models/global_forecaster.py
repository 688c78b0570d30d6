"""The global forecaster: one RNN forecaster for every series of a panel.

It is :class:`~rnnkit.models.forecaster.RNNForecaster` — any cell, the recursive, direct
and seq2seq strategies — reading windows of many series (rnnkit.data.panel_windows), with

- ``distribution="quantile"`` (the default): one output per quantile level, trained by
  the pinball loss ρ_q(e) = max(q·e, (q − 1)·e), e = y − ŷ_q, averaged over levels and
  steps; the 0.5 level is the point forecast (the recursive and seq2seq strategies feed
  it back), the others are built as steps away from it so they cannot cross, and the
  outer levels bound the prediction interval;
- ``embedding`` > 0: a learnt vector per series, appended to every past and future input
  step (the series' identity, for panels whose series differ in kind).

``forecast_quantiles`` gives every level (B, s, Q); a Gaussian model's levels are
mean + std·Φ⁻¹(q), a point model's all equal its forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.models.forecaster import ForecastBatch, ForecasterConfig, RNNForecaster, Strategy
from rnnkit.models.output import Output


@dataclass(kw_only=True)
class GlobalForecasterConfig(ForecasterConfig):
    """A forecaster for a panel; the task fills in the sizes and the number of series."""

    strategy: Strategy = "direct"  # how the h steps are made: recursive, direct or seq2seq
    hidden_size: int = 64  # H: units per layer
    distribution: Literal["point", "gaussian", "quantile"] = "quantile"  # the head's output
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)  # levels of a quantile head (with 0.5)
    embedding: int = 0  # E: size of a learnt per-series vector (0: none)
    num_series: int = 0  # series the embedding has a vector for (from the panel)

    def validate(self) -> None:
        super().validate()
        q = self.quantiles
        ok = all(0 < a < 1 for a in q) and list(q) == sorted(set(q)) and 0.5 in q
        require(self, "quantiles", ok, "increasing levels in (0, 1) including 0.5")
        require(self, "embedding", self.embedding >= 0, "an integer >= 0")
        if self.embedding:
            require(self, "num_series", self.num_series >= 1, "the panel's series count")


@dataclass
class PanelBatch(ForecastBatch):
    """Windows of a panel: a ForecastBatch and the series each window comes from."""

    series: Tensor | None = None  # (B,) index of each window's series (the embedding row)


def pinball(prediction: Tensor, y: Tensor, levels: Tensor) -> Tensor:
    """Mean pinball loss of quantile predictions (..., Q) of targets y (...) at levels (Q,)."""
    e = y[..., None] - prediction  # (..., Q)
    return torch.maximum(levels * e, (levels - 1) * e).mean()


class GlobalForecaster(RNNForecaster):
    """RNNForecaster with quantile outputs and a per-series embedding (module docstring)."""

    def __init__(self, config: GlobalForecasterConfig) -> None:
        E = config.embedding
        inner = config.replace(input_size=config.input_size + E, future_size=config.future_size + E)
        super().__init__(inner)
        self.config = config
        self.register_buffer("levels", torch.tensor(config.quantiles), persistent=False)
        self.below = config.quantiles.index(0.5)  # levels under the median
        self.embed = nn.Embedding(config.num_series, E) if E else None

    @staticmethod
    def parameters_per_step(config: ForecasterConfig) -> int:
        if config.distribution == "quantile":
            return len(config.quantiles)
        return RNNForecaster.parameters_per_step(config)

    def _loss(self, params: Tensor, y: Tensor) -> Tensor:
        if self.config.distribution != "quantile":
            return super()._loss(params, y)
        return pinball(self.quantiles_of(params), y, self.levels)

    def quantiles_of(self, params: Tensor) -> Tensor:
        """The head's outputs (..., Q) -> increasing quantiles (..., Q): output 0 is the
        median, the others positive (softplus) steps down and up from it, so the levels
        never cross."""
        j = self.below
        median = params[..., :1]
        down = median - F.softplus(params[..., 1 : 1 + j]).cumsum(-1)  # levels j-1, j-2, ...
        up = median + F.softplus(params[..., 1 + j :]).cumsum(-1)  # levels j+1, j+2, ...
        return torch.cat([down.flip(-1), median, up], -1)

    def with_embedding(self, batch: ForecastBatch) -> ForecastBatch:
        """The batch with each window's series vector appended to every step."""
        if self.embed is None:
            return batch
        series = getattr(batch, "series", None)
        if series is None:
            raise ValueError("a model with a series embedding needs each window's series")
        e = self.embed(series)  # (B, E)
        L, s = batch.x.shape[1], batch.future.shape[1]
        x = torch.cat([batch.x, e[:, None].expand(-1, L, -1)], -1)  # (B, L, I + E)
        future = torch.cat([batch.future, e[:, None].expand(-1, s, -1)], -1)  # (B, s, F + E)
        return ForecastBatch(x, future, batch.y)

    def forward(self, batch: ForecastBatch, state: Any = None) -> Output:
        return super().forward(self.with_embedding(batch), state)

    @torch.no_grad()
    def forecast_quantiles(self, batch: ForecastBatch) -> Tensor:
        """Every quantile level of the ``batch.future.shape[1]`` steps after each window:
        (B, s, Q), levels in ``config.quantiles`` order."""
        b = self.with_embedding(batch)
        c = self.config
        if c.strategy == "direct":
            steps = b.future.shape[1]
            if steps != c.horizon:
                raise ValueError(
                    f"the direct strategy forecasts exactly its training horizon of "
                    f"{c.horizon} steps, not {steps}"
                )
            params = self._direct(b.x, b.future)  # (B, h, P)
        else:
            params = self._roll(b.x, b.future, None, None)[1]  # (B, s, P)
        if c.distribution == "quantile":
            return self.quantiles_of(params)
        mean = params[..., :1]
        if c.distribution == "point":
            return mean.expand(-1, -1, len(c.quantiles))
        std = params[..., 1:2].clamp(-7, 5).exp()
        z = torch.tensor([NormalDist().inv_cdf(q) for q in c.quantiles])
        return mean + std * z  # (B, s, Q)
