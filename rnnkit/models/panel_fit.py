"""Fitting global forecasters on a panel, and their ensemble.

One model per group of the panel (a frequency: yearly and monthly series have different
horizons and dynamics), trained by the model-agnostic Trainer on windows drawn from every
series of the group — each series equally often, whatever its length. An ensemble trains
``seeds`` models for each window length in ``lookbacks`` (multiples of the horizon) and
forecasts the median of its members at every quantile level, as the M4 winners did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from rnnkit.config import Config, require
from rnnkit.data.panel import Panel
from rnnkit.data.panel_windows import PreparedPanel, WindowConfig, Windows
from rnnkit.models.global_forecaster import GlobalForecaster, GlobalForecasterConfig, PanelBatch
from rnnkit.training import TrainConfig
from rnnkit.training.batches import ShuffledBatches
from rnnkit.training.trainer import Trainer

TRAIN_DEFAULTS = {  # a panel's training settings, chosen on M3 validation splits
    "batch_size": 256,  # (the budget: default_steps)
    "lr": 3e-3,
    "schedule": "cosine",
    "clip": 1.0,
    "log_every": 500,
}


@dataclass
class EnsembleConfig(Config):
    """Which members a panel's ensemble trains."""

    lookbacks: tuple[float, ...] = (2.0,)  # window lengths L, as multiples of the horizon
    seeds: int = 1  # members per window length (seeds train.seed, +1, ...)

    def validate(self) -> None:
        require(self, "lookbacks", len(self.lookbacks) >= 1, "at least one multiple")
        require(self, "lookbacks", min(self.lookbacks) > 0, "positive multiples")
        require(self, "seeds", self.seeds >= 1, "an integer >= 1")

    def lengths(self, horizon: int) -> list[int]:
        return [max(int(round(k * horizon)), 2) for k in self.lookbacks]


def batch_of(w: Windows, rows: list[int] | slice | None = None) -> PanelBatch:
    """Tensors of the windows (all of them, or ``rows``)."""
    r = slice(None) if rows is None else rows
    y = None if w.y is None else torch.from_numpy(w.y[r])
    return PanelBatch(
        torch.from_numpy(w.x[r]), torch.from_numpy(w.future[r]), y, torch.from_numpy(w.series[r])
    )


def group_horizon(panel: Panel) -> int:
    """The one horizon of a group's series."""
    horizons = {s.horizon for s in panel.series}
    if len(horizons) != 1:
        raise ValueError(
            f"{panel.name}: one model needs one horizon, its series have {sorted(horizons)}"
        )
    return horizons.pop()


def default_steps(windows: int, batch_size: int) -> int:
    """The training budget when none is given: 40 passes over the windows, within 500 to
    2,000 steps (chosen on validation splits of M3's training parts: few steps for the
    few windows of yearly series, which overfit with more)."""
    return int(min(2000, max(500, round(40 * windows / batch_size))))


def training_batches(prepared: PreparedPanel, batch_size: int, seed: int) -> ShuffledBatches:
    """Shuffled batches of every training window, each series drawn equally often."""
    pairs = prepared.training_pairs()
    windows = prepared.windows(pairs, prepared.horizon)
    counts = np.bincount(windows.series, minlength=len(prepared.panel))
    weights = (1.0 / counts[windows.series]).tolist()
    size = min(batch_size, len(pairs))
    return ShuffledBatches(len(pairs), size, seed, lambda idx: batch_of(windows, idx), weights)


def train_member(
    prepared: PreparedPanel, model: GlobalForecasterConfig, train: TrainConfig, **trainer: object
) -> GlobalForecaster:
    """One global forecaster trained on the prepared panel's windows."""
    config = model.replace(
        input_size=prepared.input_size,
        future_size=prepared.future_size,
        horizon=prepared.horizon,
        num_series=len(prepared.panel) if model.embedding else 0,
    )
    torch.manual_seed(train.seed)
    net = GlobalForecaster(config)
    batches = training_batches(prepared, train.batch_size, train.seed)
    if train.steps is None and train.epochs is None and train.minutes is None:
        train = train.replace(steps=default_steps(batches.n, train.batch_size))
    Trainer(net, train, batches, **trainer).fit()  # type: ignore[arg-type]
    return net.eval()


@dataclass
class GroupEnsemble:
    """The members fitted on one group, with the window length each reads."""

    horizon: int
    members: list[tuple[int, GlobalForecaster]] = field(default_factory=list)

    def forecast(self, panel: Panel, window: WindowConfig) -> dict[str, np.ndarray]:
        """Each series' h steps after its observed part, at every quantile level, in its
        units: id -> (h, Q); the median over members."""
        outs = []
        prepared: dict[int, PreparedPanel] = {}
        for lookback, net in self.members:
            if lookback not in prepared:
                prepared[lookback] = PreparedPanel(
                    panel, window, lookback=lookback, horizon=self.horizon
                )
            p = prepared[lookback]
            pairs = p.last_pairs()
            q = net.forecast_quantiles(batch_of(p.windows(pairs, self.horizon))).numpy()
            outs.append([p.unscale(i, o, q[k]) for k, (i, o) in enumerate(pairs)])
        stacked = np.median(np.asarray(outs), axis=0)  # (series, h, Q)
        return {s.id: stacked[k] for k, s in enumerate(panel.series)}


def fit_ensemble(
    panel: Panel,
    model: GlobalForecasterConfig,
    window: WindowConfig,
    train: TrainConfig,
    ensemble: EnsembleConfig,
    **trainer: object,
) -> GroupEnsemble:
    """Every member of one group's ensemble, trained on the group's observed parts."""
    h = group_horizon(panel)
    out = GroupEnsemble(h)
    for lookback in ensemble.lengths(h):
        prepared = PreparedPanel(panel, window, lookback=lookback, horizon=h)
        for k in range(ensemble.seeds):
            member = train.replace(seed=train.seed + k)
            out.members.append((lookback, train_member(prepared, model, member, **trainer)))
    return out
