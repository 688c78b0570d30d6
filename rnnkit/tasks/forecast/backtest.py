"""Rolling-origin backtests: every model forecasts from exactly the same origins.

With ``folds`` K the test windows are the h steps after each of K origins (cuts), the
last ending at the end of the series, ``stride`` steps apart (expanding window: every
origin sees all steps before it). K = 1 is the hold-out. At each origin the classic
models and the RNN forecasters (each strategy, ``seeds`` times) are fitted on the steps
before it — or, with ``retrain first``, fitted once at the first origin and afterwards
only given the newer observations as context (the RNN keeps its weights and scaler).
Errors are pooled over every (origin, step); RNN entries are the mean over seeds with
their standard deviation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from torch import nn

from rnnkit.baselines.forecast import BASELINES, BaselineConfig
from rnnkit.baselines.metrics import METRICS, pooled_errors
from rnnkit.config import Config, require
from rnnkit.models.forecaster import ForecasterConfig, Strategy
from rnnkit.tasks.contract import Console
from rnnkit.tasks.forecast import ForecastConfig, ForecastTask
from rnnkit.tasks.lifecycle import Run, fit
from rnnkit.tasks.registry import info
from rnnkit.training import TrainConfig

BaselineName = Literal["mean", "naive", "seasonal-naive", "drift", "markov", "ar", "sarima", "ets"]


@dataclass
class BacktestConfig(Config):
    """Which origins, which models, how often each is fitted."""

    folds: int = 1  # origins: 1 is the hold-out (the last h steps); K a rolling backtest
    stride: int = 0  # steps between origins (0: h, or as much as fits K folds)
    retrain: Literal["every", "first"] = "every"  # fit at every origin, or at the first only
    seeds: int = 3  # RNN trainings per strategy; results are their mean and std
    strategies: tuple[Strategy, ...] = ("recursive", "direct", "seq2seq")  # RNN strategies
    baselines: tuple[BaselineName, ...] = tuple(BASELINES)  # classic models, comma-separated

    def validate(self) -> None:
        require(self, "folds", self.folds >= 1, "an integer >= 1")
        require(self, "stride", self.stride >= 0, "an integer >= 0")
        require(self, "seeds", self.seeds >= 1, "an integer >= 1")


def cuts(n: int, h: int, folds: int, stride: int, minimum: int) -> list[int]:
    """The observed lengths at the K origins, the last leaving exactly h steps."""
    last = n - h
    if folds == 1:
        return [last]
    room = last - minimum
    step = stride or min(h, room // (folds - 1) if room > 0 else 0)
    first = last - (folds - 1) * step
    if step < 1 or first < minimum:
        raise ValueError(
            f"BacktestConfig.folds {folds} do not fit: {n} steps, horizon {h}, at least "
            f"{minimum} observed at the first origin; lower BacktestConfig.folds or "
            "BacktestConfig.stride"
        )
    return [first + k * step for k in range(folds)]


@dataclass
class Fold:
    """One origin's test values and every model's forecast of them."""

    cut: int
    actual: np.ndarray  # (h,)
    observed: np.ndarray  # (cut,)
    forecasts: dict[str, list[dict[str, np.ndarray]]]  # model -> one forecast per seed


def backtest(
    config: ForecastConfig,
    model: ForecasterConfig,
    train_config: TrainConfig,
    backtest_config: BacktestConfig,
    console: Console,
) -> tuple[dict[str, Any], list[Fold]]:
    """Run every model over the same origins; the comparison (JSON) and the folds."""
    base = ForecastTask(config)
    series = base.series
    h = config.horizon_of(series)
    minimum = config.lookback_of(series) + h + 1 + config.val_size
    origins = cuts(len(series), h, backtest_config.folds, backtest_config.stride, minimum)
    folds = [Fold(c, series.values[c : c + h], series.values[:c], {}) for c in origins]
    _baselines(folds, series.season, h, backtest_config)
    for strategy in backtest_config.strategies:
        for seed in range(backtest_config.seeds):
            console.say(f"--- rnn-{strategy}, seed {seed}")
            runs = _rnn(
                config,
                model.replace(strategy=strategy),
                train_config.replace(seed=seed),
                origins,
                backtest_config.retrain,
                console,
            )
            for fold, forecast in zip(folds, runs, strict=True):
                fold.forecasts.setdefault(f"rnn-{strategy}", []).append(forecast)
    return summarise(series.name, h, backtest_config, folds, series.season), folds


def _baselines(folds: list[Fold], season: int, h: int, config: BacktestConfig) -> None:
    settings = BaselineConfig(season=season, horizon=h)
    for name in config.baselines:
        model = BASELINES[name](settings)
        fitted = None
        for fold in folds:
            if fitted is None or config.retrain == "every":
                fitted = model.fit(fold.observed)
            mean = model.forecast(fitted, fold.observed, h)
            fold.forecasts[name] = [{"mean": mean}]


def _rnn(
    config: ForecastConfig,
    model: ForecasterConfig,
    train_config: TrainConfig,
    origins: list[int],
    retrain: str,
    console: Console,
) -> Iterator[dict[str, np.ndarray]]:
    """One forecast per origin from this strategy and seed."""
    trained: tuple[ForecastTask, nn.Module] | None = None
    unit = info(ForecastTask).unit
    for cut in origins:
        task = ForecastTask(config.replace(cut=cut))
        if trained is None or retrain == "every":
            progress = console.progress(unit, every=train_config.log_every, main=True)
            trained = task, fit(task, Run(model, train_config, progress=progress))[1].model
        else:  # no refit: the first origin's weights and scaling
            task = ForecastTask(config.replace(cut=cut), scaler=trained[0].data.scaler)
        yield task.forecast(trained[1], cut - 1, task.data.horizon)


def summarise(
    name: str, h: int, config: BacktestConfig, folds: list[Fold], season: int
) -> dict[str, Any]:
    """The comparison as JSON: pooled errors per model, mean and std over RNN seeds."""
    models: dict[str, Any] = {}
    for model in folds[0].forecasts:
        per_seed = [
            pooled_errors(
                [(f.actual, f.forecasts[model][s]["mean"], f.observed) for f in folds], season
            )
            for s in range(len(folds[0].forecasts[model]))
        ]
        entry = {k: float(np.mean([p[k] for p in per_seed])) for k in METRICS}
        if model.startswith("rnn-"):
            entry["std"] = {k: float(np.std([p[k] for p in per_seed])) for k in METRICS}
            entry["seeds"] = len(per_seed)
        models[model] = entry
    best = min(models, key=lambda m: models[m]["mae"])
    return {
        "data": name,
        "horizon": h,
        "folds": len(folds),
        "origins": [f.cut for f in folds],
        "retrain": config.retrain,
        "models": models,
        "best": best,
    }
