"""Classic forecasting baselines: mean, naive, seasonal naive, drift, AR(p), the first-order
Markov model AR(1), SARIMA and exponential smoothing (Holt-Winters).

Every baseline has the same two calls::

    fitted = model.fit(train)                  # parameters from the training part (N_train,)
    forecast = model.forecast(fitted, history, h)   # (h,) after `history`, which extends train

``history`` is everything observed up to the forecast origin: the training part itself,
or a longer prefix of the same series in a rolling-origin backtest that does not refit
(its parameters stay the ones fitted on ``train``; the forecast conditions on the new
observations). The statistical models are statsmodels'; the others are a few lines of
numpy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from rnnkit.config import Config, require
from rnnkit.data.optional import optional_import


@dataclass
class BaselineConfig(Config):
    """Settings of the classical models."""

    season: int = 1  # m: seasonal period (1: none)
    horizon: int = 1  # h: steps forecast (AR(p) chooses p on a validation split this long)
    max_lag: int = 0  # AR(p): the largest p tried on validation (0: max(2 m, 8), capped by data)
    sarima_order: tuple[int, ...] = (0, 1, 1)  # SARIMA (p, d, q)
    sarima_seasonal: tuple[int, ...] = (0, 1, 1)  # SARIMA seasonal (P, D, Q), period m
    log: bool = True  # SARIMA and ETS on the log of a positive series

    def validate(self) -> None:
        require(self, "season", self.season >= 1, "an integer >= 1")
        require(self, "horizon", self.horizon >= 1, "an integer >= 1")
        require(self, "max_lag", self.max_lag >= 0, "an integer >= 0")
        for name in ("sarima_order", "sarima_seasonal"):
            value = getattr(self, name)
            require(self, name, len(value) == 3 and min(value) >= 0, "three integers >= 0")


class Baseline:
    """A classical forecaster: ``fit(train) -> fitted``, ``forecast(fitted, history, h)``."""

    name: ClassVar[str]

    def __init__(self, config: BaselineConfig) -> None:
        self.config = config

    def fit(self, train: np.ndarray) -> Any:
        return None

    def forecast(self, fitted: Any, history: np.ndarray, h: int) -> np.ndarray:
        raise NotImplementedError


class Mean(Baseline):
    """The mean of the training part, for every step."""

    name = "mean"

    def fit(self, train: np.ndarray) -> float:
        return float(np.mean(train))

    def forecast(self, fitted: float, history: np.ndarray, h: int) -> np.ndarray:
        return np.full(h, fitted)


class Naive(Baseline):
    """The last observed value (the random walk): y_{t+k} = y_t."""

    name = "naive"

    def forecast(self, fitted: Any, history: np.ndarray, h: int) -> np.ndarray:
        return np.full(h, float(history[-1]))


class SeasonalNaive(Baseline):
    """The value one season earlier: y_{t+k} = y_{t+k-m} (repeated for k > m)."""

    name = "seasonal-naive"

    def forecast(self, fitted: Any, history: np.ndarray, h: int) -> np.ndarray:
        m = self.config.season if len(history) >= self.config.season else 1
        last = history[-m:]
        return np.asarray([last[k % m] for k in range(h)], dtype=float)


class Drift(Baseline):
    """The naive forecast plus the average change of the training part per step."""

    name = "drift"

    def fit(self, train: np.ndarray) -> float:
        return float((train[-1] - train[0]) / max(len(train) - 1, 1))

    def forecast(self, slope: float, history: np.ndarray, h: int) -> np.ndarray:
        return float(history[-1]) + slope * np.arange(1, h + 1)


@dataclass
class ARFit:
    """y_t = c + a_1 y_{t-1} + ... + a_p y_{t-p}: coefficients (c, a_1..a_p)."""

    coef: np.ndarray  # (p + 1,)

    @property
    def p(self) -> int:
        return len(self.coef) - 1


def ar_least_squares(y: np.ndarray, p: int) -> ARFit:
    """AR(p) with an intercept by ordinary least squares on ``y`` (N,)."""
    if len(y) <= 2 * p:
        raise ValueError(f"AR({p}) needs more than {2 * p} values, got {len(y)}")
    lags = np.stack([y[p - j : len(y) - j] for j in range(1, p + 1)], axis=1)  # (N-p, p)
    design = np.concatenate([np.ones((len(lags), 1)), lags], axis=1)  # (N-p, p+1)
    coef, *_ = np.linalg.lstsq(design, y[p:], rcond=None)
    return ARFit(coef)


def ar_forecast(fit: ARFit, history: np.ndarray, h: int) -> np.ndarray:
    """Iterate the AR recursion h steps on its own predictions after ``history``."""
    window = list(history[-fit.p :]) if fit.p else []
    out = []
    for _ in range(h):
        value = fit.coef[0] + sum(fit.coef[j] * window[-j] for j in range(1, fit.p + 1))
        out.append(value)
        window.append(value)
    return np.asarray(out, dtype=float)


def ar_rolling_forecasts(fit: ARFit, y: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
    """h-step forecasts from each origin o (the first forecast step is y[o]), every origin
    reading the true values before it: (len(origins), h)."""
    p = fit.p
    window = np.stack([y[o - p : o] for o in origins]) if p else np.zeros((len(origins), 0))
    out = np.empty((len(origins), h))
    for k in range(h):
        value = (
            fit.coef[0] + window[:, ::-1] @ fit.coef[1:]
            if p
            else np.full(len(origins), fit.coef[0])
        )
        out[:, k] = value
        window = np.concatenate([window[:, 1:], value[:, None]], 1) if p else window
    return out


class AR(Baseline):
    """AR(p) by least squares; p chosen by forecast errors on the training part's tail.

    The last fifth of the training part (at least h values) is the validation split:
    each p in 1..max_lag is fitted on the rest and scored by its h-step forecasts from
    every origin inside that split (each reading the true values before it); the best p
    is then fitted on the whole training part. This is the fixed-window autoregressive
    model: only the last p values matter.
    """

    name = "ar"

    def lags(self, n: int) -> range:
        m = self.config.season
        top = self.config.max_lag or max(2 * m, 8)
        return range(1, max(1, min(top, (n - 1) // 3)) + 1)

    def fit(self, train: np.ndarray) -> ARFit:
        n, h = len(train), self.config.horizon
        hold = min(max(h, n // 5), n // 2)
        origins = np.arange(n - hold, n - min(h, hold) + 1)
        steps = min(h, hold)
        scores = {}
        for p in self.lags(n - hold):
            if n - hold <= 2 * p:
                break
            forecast = ar_rolling_forecasts(
                ar_least_squares(train[: n - hold], p), train, origins, steps
            )
            target = np.stack([train[o : o + steps] for o in origins])
            scores[p] = float(np.mean((forecast - target) ** 2))
        best = min(scores, key=scores.get) if scores else 1
        return ar_least_squares(train, best)

    def forecast(self, fitted: ARFit, history: np.ndarray, h: int) -> np.ndarray:
        return ar_forecast(fitted, history, h)


class Markov(AR):
    """The first-order Markov model: AR(1), y_{t+1} depends on y_t alone."""

    name = "markov"

    def fit(self, train: np.ndarray) -> ARFit:
        return ar_least_squares(train, 1)


def _statsmodels(module: str) -> Any:
    return optional_import(module, "forecast", "the SARIMA and ETS baselines")


class SARIMA(Baseline):
    """statsmodels SARIMAX(p,d,q)(P,D,Q)_m, by default the airline model (0,1,1)(0,1,1)_m,
    on log(y) when the series is positive and ``config.log``."""

    name = "sarima"

    def use_log(self, y: np.ndarray) -> bool:
        return self.config.log and bool(np.all(y > 0))

    def to_model(self, y: np.ndarray, logged: bool) -> np.ndarray:
        return np.log(y) if logged else np.asarray(y, dtype=float)

    def from_model(self, z: np.ndarray, logged: bool) -> np.ndarray:
        return np.exp(z) if logged else np.asarray(z, dtype=float)

    def fit(self, train: np.ndarray) -> Any:
        sm = _statsmodels("statsmodels.tsa.statespace.sarimax")
        c = self.config
        seasonal = (*c.sarima_seasonal, c.season) if c.season > 1 else (0, 0, 0, 0)
        logged = self.use_log(train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on short series
            model = sm.SARIMAX(
                self.to_model(train, logged), order=c.sarima_order, seasonal_order=seasonal
            )
            return logged, model.fit(disp=False)

    def forecast(self, fitted: Any, history: np.ndarray, h: int) -> np.ndarray:
        logged, result = fitted
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(history) != result.nobs:
                result = result.apply(self.to_model(history, logged))  # same parameters
            return self.from_model(result.forecast(h), logged)


class ETS(Baseline):
    """Holt-Winters exponential smoothing (statsmodels): additive trend, multiplicative
    seasonality for a positive series (additive otherwise); damped or not, whichever has
    the lower AICc on the training part."""

    name = "ets"

    def spec(self, y: np.ndarray, damped: bool) -> dict[str, Any]:
        m = self.config.season
        seasonal = None
        if m > 1 and len(y) >= 2 * m:
            seasonal = "mul" if np.all(y > 0) else "add"
        return {
            "trend": "add",
            "damped_trend": damped,
            "seasonal": seasonal,
            "seasonal_periods": m if seasonal else None,
        }

    def fit(self, train: np.ndarray) -> Any:
        hw = _statsmodels("statsmodels.tsa.holtwinters")
        fits = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for damped in (False, True):
                spec = self.spec(train, damped)
                fits.append((spec, hw.ExponentialSmoothing(train, **spec).fit()))
        return min(fits, key=lambda f: f[1].aicc)

    def forecast(self, fitted: Any, history: np.ndarray, h: int) -> np.ndarray:
        spec, result = fitted
        if len(history) == len(result.model.endog):
            return np.asarray(result.forecast(h), dtype=float)
        hw = _statsmodels("statsmodels.tsa.holtwinters")
        params = result.params  # the same start: run the fitted recursion over the history
        known = {
            "initialization_method": "known",
            "initial_level": params["initial_level"],
            "initial_trend": params["initial_trend"],
        }
        if spec["seasonal"]:
            known["initial_seasonal"] = params["initial_seasons"]
        smoothing = {
            "smoothing_level": params["smoothing_level"],
            "smoothing_trend": params["smoothing_trend"],
            "smoothing_seasonal": params["smoothing_seasonal"] if spec["seasonal"] else None,
            "damping_trend": params["damping_trend"] if spec["damped_trend"] else None,
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = hw.ExponentialSmoothing(history, **spec, **known)
            return np.asarray(model.fit(optimized=False, **smoothing).forecast(h), dtype=float)


BASELINES: dict[str, type[Baseline]] = {
    cls.name: cls for cls in (Mean, Naive, SeasonalNaive, Drift, Markov, AR, SARIMA, ETS)
}
