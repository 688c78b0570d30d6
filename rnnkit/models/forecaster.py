"""RNN forecasters: one model family, three strategies for the h steps ahead.

Inputs are windows of the scaled series made relative to the origin's value o (the last
observed step): ``u_t = z_t - z_o``, so every forecast is built on the last observed
value. The past input at step t is ``[u_t, calendar(t+1), covariates(t)]``; ``future``
holds the calendar features of the forecast steps o+1 .. o+h.

- ``recursive``: a next-step model (many-to-many aligned), teacher-forced in training
  over the whole window; forecasting feeds its own prediction back for as many steps as
  asked (longer than the training horizon too). Covariates cannot be fed back: it takes
  the target and the calendar only.
- ``direct``: many-to-one: the encoder's final state and the future calendar go through
  one linear map to all h outputs at once (exactly the training horizon).
- ``seq2seq``: an encoder reads the window, a decoder starts from its state and runs one
  step per forecast step, reading the previous value (the true one in training, its own
  prediction when forecasting) and that step's calendar.

With ``distribution="gaussian"`` the head gives a mean and a standard deviation per step
and the loss is the Gaussian negative log-likelihood; forecasts can then draw sample
paths (for recursive and seq2seq each path feeds its own draws back), whose quantiles
are prediction intervals. ``Output.prediction`` is always the mean, (B, h).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.layers import CellType
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig

Strategy = Literal["recursive", "direct", "seq2seq"]


@dataclass(kw_only=True)
class ForecasterConfig(RecurrentModelConfig):
    """An RNN forecaster; the task fills in the sizes from its data."""

    strategy: Strategy = "recursive"  # how the h steps are made: recursive, direct or seq2seq
    cell: CellType = "gru"  # recurrent cell: rnn (Elman), lstm, gru, mingru or minlstm
    hidden_size: int = 16  # H: units per layer
    distribution: Literal["point", "gaussian"] = "point"  # point forecasts, or mean and std
    input_size: int = 1  # I: features of a past step (target, calendar, covariates)
    future_size: int = 0  # F: calendar features of a forecast step
    horizon: int = 1  # h: steps of the training windows (direct forecasts exactly this many)

    def validate(self) -> None:
        super().validate()
        for name in ("input_size", "horizon"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "future_size", self.future_size >= 0, "an integer >= 0")
        fed_back = 1 + self.future_size
        if self.strategy == "recursive" and self.input_size != fed_back:
            raise ValueError(
                "ForecasterConfig.strategy recursive feeds its forecasts back and cannot take "
                "covariates; choose direct or seq2seq, or drop the covariates"
            )


@dataclass
class ForecastBatch:
    """Windows ending at an origin, with what is known of the steps after it."""

    x: Tensor  # (B, L, I) past inputs [u_t, calendar(t+1), covariates(t)]
    future: Tensor  # (B, h, F) calendar features of steps o+1 .. o+h
    y: Tensor | None = None  # (B, h) targets u_{o+1} .. u_{o+h}

    def __len__(self) -> int:
        return int(self.x.shape[0])


class RNNForecaster(nn.Module):
    """The three strategies of the module docstring behind one forward and forecast."""

    def __init__(self, config: ForecasterConfig) -> None:
        super().__init__()
        self.config = c = config
        self.outputs = self.parameters_per_step(c)
        self.rnn = c.layer(c.input_size)  # the encoder (recursive: the whole model)
        if c.strategy == "direct":
            self.head = nn.Linear(
                c.hidden_size + c.horizon * c.future_size, c.horizon * self.outputs
            )
        else:
            self.head = nn.Linear(c.hidden_size, self.outputs)
        if c.strategy == "seq2seq":
            self.decoder = c.layer(1 + c.future_size)

    @staticmethod
    def parameters_per_step(config: ForecasterConfig) -> int:
        """P: the head's outputs per step — the mean (and the log std of a Gaussian)."""
        return 2 if config.distribution == "gaussian" else 1

    def features(self, x: Tensor) -> Tensor:
        """The recurrent layer's input: the past window itself (B, L, I)."""
        return x

    # -- training ---------------------------------------------------------------------

    def forward(self, batch: ForecastBatch, state: Any = None) -> Output:
        """Teacher-forced parameters of every target; loss over the h targets (and, for
        recursive, every next step of the window)."""
        c = self.config
        if c.strategy == "direct":
            params = self._direct(batch.x, batch.future)  # (B, h, P)
            return self._output(params, batch.y)
        if c.strategy == "seq2seq":
            _, state = self.rnn(batch.x)
            B, h = batch.future.shape[:2]
            prev = batch.future.new_zeros(B, h, 1)  # (B, h, 1): the previous value, u_o = 0 first
            if batch.y is not None:
                prev[:, 1:, 0] = batch.y[:, :-1]
            out, _ = self.decoder(torch.cat([prev, batch.future], -1), state)  # (B, h, H)
            return self._output(self.head(out), batch.y)
        # recursive: the window then the teacher-forced horizon, one next-step model
        steps = batch.x
        if batch.y is not None and batch.y.shape[1] > 1:
            fed = torch.cat([batch.y[:, :-1, None], batch.future[:, 1:]], -1)  # (B, h-1, I)
            steps = torch.cat([batch.x, fed], 1)
        out, _ = self.rnn(steps)  # (B, L + h - 1, H)
        params = self.head(out)  # (B, L + h - 1, P)
        h = batch.future.shape[1]
        if batch.y is None:  # nothing to teacher-force: forecast
            return Output(None, self.forecast(batch.x, batch.future)[0])
        targets = torch.cat([batch.x[:, 1:, 0], batch.y], 1)  # every next step (B, L+h-1)
        loss = self._loss(params, targets)
        return Output(loss, params[:, -h:, 0], None)

    def _direct(self, x: Tensor, future: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, L, H)
        flat = torch.cat([out[:, -1], future.flatten(1)], -1)  # (B, H + h*F)
        return self.head(flat).view(x.shape[0], self.config.horizon, self.outputs)  # (B, h, P)

    def _output(self, params: Tensor, y: Tensor | None) -> Output:
        loss = None if y is None else self._loss(params, y)
        return Output(loss, params[..., 0], None)  # prediction: the mean (B, h)

    def _loss(self, params: Tensor, y: Tensor) -> Tensor:
        if self.outputs == 1:
            return F.mse_loss(params[..., 0], y)
        mean, log_std = params[..., 0], params[..., 1].clamp(-7, 5)
        return (log_std + 0.5 * ((y - mean) / log_std.exp()) ** 2).mean() + 0.5 * math.log(
            2 * math.pi
        )

    # -- forecasting ------------------------------------------------------------------

    @torch.no_grad()
    def forecast(
        self,
        x: Tensor,
        future: Tensor,
        *,
        samples: int = 0,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Forecast ``future.shape[1]`` steps after windows ``x`` (B, L, I).

        Returns the mean path (B, s) (each step fed back as its mean) and, for a Gaussian
        model with ``samples`` > 0, sample paths (S, B, s) drawn step by step.
        """
        c, steps = self.config, future.shape[1]
        if c.strategy == "direct":
            if steps != c.horizon:
                raise ValueError(
                    f"the direct strategy forecasts exactly its training horizon of {c.horizon} "
                    f"steps, not {steps}; train with --horizon {steps} or use recursive/seq2seq"
                )
            params = self._direct(x, future)  # (B, h, P)
            paths = None
            if samples and self.outputs == 2:
                std = params[..., 1].clamp(-7, 5).exp()
                noise = torch.randn((samples, *std.shape), generator=generator)
                paths = params[..., 0] + std * noise  # (S, B, h)
            return params[..., 0], paths
        mean, _ = self._roll(x, future, None, None)
        paths = None
        if samples and self.outputs == 2:
            rows = x.repeat(samples, 1, 1), future.repeat(samples, 1, 1)
            paths = self._roll(*rows, generator, True)[0].view(samples, len(x), steps)
        return mean, paths

    def _roll(
        self, x: Tensor, future: Tensor, generator: Any, sample: bool | None
    ) -> tuple[Tensor, Tensor]:
        """Feed each step's value back (the mean, or a draw when ``sample``): the values
        (B, s) and each step's parameters (B, s, P)."""
        steps = future.shape[1]
        if self.config.strategy == "seq2seq":
            _, state = self.rnn(x)
            prev = future.new_zeros(future.shape[0], 1)  # (B, 1): u_o = 0
            step, layer = None, self.decoder
        else:
            out, state = self.rnn(x)
            step, layer = self.head(out[:, -1]), self.rnn  # the first forecast step (B, P)
        values, params = [], []
        for k in range(steps):
            if step is None:  # seq2seq: decode from the previous value
                out, state = layer.step(torch.cat([prev, future[:, k]], -1), state)
                step = self.head(out)
            value = self._draw(step, generator) if sample else step[:, 0]
            values.append(value)
            params.append(step)
            if k + 1 < steps:
                if self.config.strategy == "seq2seq":
                    prev, step = value[:, None], None
                else:
                    out, state = layer.step(
                        torch.cat([value[:, None], future[:, k + 1]], -1), state
                    )
                    step = self.head(out)
        return torch.stack(values, 1), torch.stack(params, 1)  # (B, s), (B, s, P)

    def _draw(self, params: Tensor, generator: Any) -> Tensor:
        std = params[:, 1].clamp(-7, 5).exp()
        return params[:, 0] + std * torch.randn(std.shape, generator=generator)
