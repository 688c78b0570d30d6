"""Time-series forecasting: RNN forecasters next to the classic sequence models.

One task (``rnnkit forecast train``): an RNN forecaster (recursive, direct or seq2seq;
rnnkit.models.forecaster) trained on windows of the observed part of a series, scored
once on the next h steps — by default the last h steps of the series, the hold-out — in
MAE, RMSE, MAPE, sMAPE and MASE next to mean, naive, seasonal naive, drift, AR(p), the
Markov model, SARIMA and exponential smoothing fitted on the same observed steps
(rnnkit.baselines.forecast). Backtests over several origins, predictions and the
comparison table are in rnnkit.tasks.forecast.commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.baselines.forecast import BASELINES, BaselineConfig
from rnnkit.baselines.metrics import METRICS, forecast_errors
from rnnkit.config import Config, require
from rnnkit.data.corpora import file_identity
from rnnkit.data.scaling import Scaler
from rnnkit.data.series import DATASETS, Series, SeriesConfig, load_series
from rnnkit.models.forecaster import ForecastBatch, ForecasterConfig, RNNForecaster
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.forecast.data import Prepared, prepare
from rnnkit.tasks.forecast.report import PRINTED
from rnnkit.tasks.registry import TRAINING, register_group, register_task
from rnnkit.training import TrainConfig
from rnnkit.training.batches import ShuffledBatches

register_group(
    "forecast",
    "time-series forecasting: train, predict, eval, compare",
    "RNN forecasters (recursive, direct, seq2seq) next to naive, AR(p), Markov, SARIMA "
    "and exponential smoothing on the same splits.",
)


@dataclass
class ForecastConfig(Config):
    """The series, the horizon, and how the model reads it."""

    series: SeriesConfig = field(default_factory=SeriesConfig)  # which series
    horizon: int = 0  # h: steps to forecast (0: the seasonal period m, or 10 without one)
    lookback: int = 0  # L: past steps a window reads (0: max(m, 12))
    log: bool | None = None  # model the log of the series (None: when it is positive)
    calendar: bool = True  # calendar features (position in the year, week, day) as inputs
    trend: bool = False  # the position in time (1 at the end of training) as an input
    val_size: int = 0  # observed steps before the test kept to choose the best checkpoint
    train_horizon: int = 0  # steps ahead in the training windows (0: the horizon)
    cut: int = 0  # observed steps; the test starts here (0: N - h, the hold-out)
    samples: int = 200  # sample paths drawn for prediction intervals (Gaussian models)
    coverage: float = 0.8  # coverage of the prediction intervals

    def validate(self) -> None:
        for name in ("horizon", "lookback", "val_size", "train_horizon", "cut"):
            require(self, name, getattr(self, name) >= 0, "an integer >= 0")
        require(self, "samples", self.samples >= 1, "an integer >= 1")
        require(self, "coverage", 0 < self.coverage < 1, "in (0, 1)")

    def horizon_of(self, series: Series) -> int:
        return self.horizon or (series.season if series.season > 1 else 10)

    def lookback_of(self, series: Series) -> int:
        return self.lookback or max(series.season, 12)


def window_batches(windows: ForecastBatch, batch_size: int, seed: int) -> ShuffledBatches:
    """Epoch -> shuffled global batches of the training windows (made once); a series
    shorter than one batch gives one batch of all its windows."""
    size = min(batch_size, len(windows))

    def make(idx: list[int]) -> ForecastBatch:
        return ForecastBatch(windows.x[idx], windows.future[idx], windows.y[idx])

    return ShuffledBatches(len(windows), size, seed, make)


TRAIN_DEFAULTS = {  # chosen on validation splits before the last 36 months of
    **TRAINING,
    "steps": 2000,  # airpassengers (benchmarks/forecast_tuning.py; docs/forecast.md)
    "minutes": 10.0,
    "batch_size": 32,
    "lr": 3e-3,
    "weight_decay": 1e-4,
}


@register_task(
    "forecast",
    command=("forecast", "train"),
    help="train an RNN forecaster and score it next to the classic models",
    description=(
        "Train on the observed part of a series and forecast the next --horizon steps "
        "(by default the last ones: the hold-out); report MAE, RMSE, MAPE, sMAPE and MASE "
        "next to mean, naive, seasonal naive, drift, AR(p), Markov, SARIMA and ETS."
    ),
    derived=("input_size", "future_size", "horizon"),
    not_flags=("cut",),
    train_defaults=TRAIN_DEFAULTS,
    unit="window",
    **PRINTED,
)
class ForecastTask(Task):
    """An RNN forecaster at one origin, against the classic models on the same split."""

    Config = ForecastConfig
    Model = ForecasterConfig

    def __init__(
        self,
        config: ForecastConfig,
        *,
        series: Series | None = None,
        scaler: Scaler | None = None,
        **env: Any,
    ) -> None:
        super().__init__(config, **env)
        self.given = series  # a series given in Python (rnnkit.tasks.forecast.api.Forecaster)
        if scaler is None and self.saved is not None:
            scaler = Scaler.from_dict(self.saved("scaler"))
        self.scaler = scaler  # a trained run's (None: fitted on the observed steps)

    # -- data -------------------------------------------------------------------------

    @cached_property
    def series(self) -> Series:
        return self.given if self.given is not None else load_series(self.config.series)

    @property
    def has_test(self) -> bool:
        return self.data.cut < len(self.series)

    @cached_property
    def data(self) -> Prepared:
        s, c = self.series, self.config
        h = c.horizon_of(s)
        cut = c.cut or len(s) - h
        if not 0 < cut < len(s) + 1:
            raise ValueError(f"{s.name} has {len(s)} steps: no test of {h} steps at {cut}")
        prepared = prepare(
            s,
            cut=cut,
            horizon=h,
            lookback=c.lookback_of(s),
            val_size=c.val_size,
            log=c.log,
            calendar=c.calendar,
            trend=c.trend,
        )
        if self.scaler is not None:  # a loaded run: the scaler it was trained with
            prepared = prepare_with(prepared, self.scaler)
        return prepared

    @property
    def train_horizon(self) -> int:
        return self.config.train_horizon or self.data.horizon

    # -- the task contract --------------------------------------------------------------

    def model_config(self, requested: ForecasterConfig) -> ForecasterConfig:
        d = self.data
        return requested.replace(
            input_size=d.input_size, future_size=d.future_size, horizon=self.train_horizon
        )

    def build_model(self, config: ForecasterConfig) -> nn.Module:
        return RNNForecaster(config)

    def batches(self, train: TrainConfig, model: ForecasterConfig) -> ShuffledBatches:
        lasts = self.data.training_lasts(self.train_horizon)
        windows = self.data.windows(lasts, self.train_horizon)
        return window_batches(windows, train.batch_size, train.seed)

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        """val: the scaled MSE of forecasts whose targets lie in the validation split;
        test: the errors of the forecast of the test split, in the series' units (and
        the forecast)."""
        if split == "val":
            return Evaluation(self._validate(model))
        if not self.has_test:
            return Evaluation({})
        return Evaluation(*self.score(model))

    def _validate(self, model: nn.Module) -> dict[str, float]:
        d, h = self.data, self.train_horizon
        lasts = list(range(d.fit_end - 1, d.cut - h))
        if not lasts:
            if self.config.val_size:
                raise ValueError(
                    f"ForecastConfig.val_size {self.config.val_size} must be at least the "
                    f"training horizon {h}"
                )
            return {}  # no validation split: a fixed budget, the last weights
        batch = d.windows(lasts, h)
        mean, _ = model.forecast(batch.x, batch.future)
        return {"val_loss": float(((mean - batch.y) ** 2).mean())}

    def forecast(self, model: nn.Module, last: int, steps: int) -> dict[str, np.ndarray]:
        """Forecast ``steps`` after observed step ``last``: mean and interval bounds in the
        series' units (the bounds only for a Gaussian model)."""
        d, c = self.data, self.config
        batch = d.window(last, steps)
        g = torch.Generator().manual_seed(0)
        mean, paths = model.forecast(batch.x, batch.future, samples=c.samples, generator=g)
        out = {"mean": d.unscale(last, mean[0].numpy())}
        if paths is not None:
            tail = (1 - c.coverage) / 2
            lo, hi = np.quantile(paths[:, 0].numpy(), [tail, 1 - tail], axis=0)
            out["lower"], out["upper"] = d.unscale(last, lo), d.unscale(last, hi)
        return out

    def score(self, model: nn.Module) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """The test metrics (``test_mae`` ...) and the forecast they score."""
        d = self.data
        actual = d.values[d.cut : d.cut + d.horizon]
        forecast = self.forecast(model, d.cut - 1, len(actual))
        errors = forecast_errors(actual, forecast["mean"], d.values[: d.cut], d.series.season)
        scaled = d.scaler.transform(actual) - d.scaler.transform(forecast["mean"])
        metrics = {"test_loss": float(np.mean(scaled**2))}
        metrics.update({f"test_{k}": v for k, v in errors.items()})
        return metrics, forecast

    def baselines(self) -> dict[str, Any]:
        """Every classic model fitted on the observed steps, scored on the test split."""
        if not self.has_test:
            return {}
        d = self.data
        actual = d.values[d.cut : d.cut + d.horizon]
        observed = d.values[: d.cut]
        config = BaselineConfig(season=d.series.season, horizon=len(actual))
        out = {}
        for name, cls in BASELINES.items():
            model = cls(config)
            forecast = model.forecast(model.fit(observed), observed, len(actual))
            out[name] = forecast_errors(actual, forecast, observed, d.series.season)
        return out

    def report(self, run: Finished) -> dict[str, Any]:
        """The run's errors, its baselines, and both as one comparison (``models``)."""
        d, metrics, baselines = self.data, run.metrics, run.baselines
        out: dict[str, Any] = {
            "data": d.series.name,
            "horizon": d.horizon,
            "lookback": d.lookback,
            "observed": d.cut,
            **metrics,
        }
        if baselines:
            out["baselines"] = baselines
            out["best_baseline"] = min(baselines, key=lambda k: baselines[k]["mae"])
        if "test_mae" in metrics:
            models = {f"rnn-{run.config.strategy}": {k: metrics[f"test_{k}"] for k in METRICS}}
            models.update(baselines)
            best = min(models, key=lambda m: models[m]["mae"])
            out.update(folds=1, origins=[d.cut], retrain="every", models=models, best=best)
        return out

    # -- runs -------------------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any] | None:
        if self.config.series.data in DATASETS:
            return None
        path = Path(self.config.series.data)
        return {"source": "SeriesConfig.data", "files": [file_identity(path)]}

    def artefacts(self, run: Finished | None = None) -> dict[str, Any]:
        return {"scaler": self.data.scaler.to_dict()}

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """The window before the test split; each step labelled by its value."""
        if text is not None:
            raise ValueError(
                "--input is not used for forecast runs: the window before the test is read"
            )
        d = self.data
        last = d.cut - 1
        batch = d.window(last, 1)
        values = d.values[last - d.lookback + 1 : last + 1]
        return batch, [f"{v:.4g}" for v in values]


def prepare_with(prepared: Prepared, scaler: Scaler) -> Prepared:
    """The same split with a saved scaler (a loaded run scales as it was trained)."""
    from dataclasses import replace

    return replace(prepared, scaler=scaler, z=scaler.transform(prepared.series.values))
