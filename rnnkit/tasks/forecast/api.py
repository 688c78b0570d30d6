"""Forecasting from Python, the way darts and statsmodels users expect::

    from rnnkit.tasks.forecast.api import Forecaster
    model = Forecaster(horizon=12).fit(series)   # numpy (N,), pandas Series or DataFrame
    model.predict(24)                            # the same kind: dates continue the index

``fit`` trains an RNN forecaster (rnnkit.models.forecaster) through the generic lifecycle
on every observation given; ``predict`` reads the last window and forecasts past it.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from rnnkit.data.series import Series, series_from
from rnnkit.models.forecaster import ForecasterConfig
from rnnkit.tasks.forecast import TRAIN_DEFAULTS, ForecastConfig, ForecastTask
from rnnkit.tasks.lifecycle import Run, fit
from rnnkit.training import TrainConfig


class Forecaster:
    """An RNN forecaster with ``fit(series)`` and ``predict(h)``."""

    def __init__(
        self,
        model: ForecasterConfig | None = None,
        *,
        train_config: TrainConfig | None = None,
        horizon: int = 0,
        lookback: int = 0,
        season: int = 0,
        log: bool | None = None,
        calendar: bool = True,
        target: str | None = None,
        covariates: tuple[str, ...] = (),
    ) -> None:
        self.model = model or ForecasterConfig()
        self.train_config = train_config or TrainConfig(**TRAIN_DEFAULTS)
        self.forecast_config = ForecastConfig(
            horizon=horizon, lookback=lookback, log=log, calendar=calendar
        )
        self.season, self.target, self.covariates = season, target, tuple(covariates)
        self.task: ForecastTask | None = None
        self.trained: nn.Module | None = None  # the fitted model (best weights, eval mode)
        self._kind: str = "numpy"

    def fit(self, data: Any) -> Forecaster:
        """Train on every observation of ``data``; returns self."""
        self._kind = type(data).__module__.split(".")[0]
        series = series_from(
            data, target=self.target, covariates=self.covariates, season=self.season
        )
        config = self.forecast_config.replace(cut=len(series))  # everything is observed
        self.task = ForecastTask(config, series=series)
        self.trained = fit(self.task, Run(self.model, self.train_config))[1].model
        return self

    @property
    def series(self) -> Series:
        if self.task is None:
            raise ValueError("call fit(series) before predict")
        return self.task.series

    def predict(self, h: int | None = None, *, intervals: bool = False) -> Any:
        """The next ``h`` values (default: the horizon) after the series: a numpy array for
        numpy input, else a pandas Series (a DataFrame with mean, lower and upper when
        ``intervals`` and the model is Gaussian) indexed by the next dates."""
        series = self.series
        steps = h or self.task.data.horizon
        n = len(series)
        forecast = self.task.forecast(self.trained, n - 1, steps)
        if self._kind == "numpy" and not intervals:
            return forecast["mean"]
        import pandas as pd

        index = series.future_index(n, steps)
        if intervals:
            return pd.DataFrame(forecast, index=index)
        return pd.Series(forecast["mean"], index=index, name="forecast")
