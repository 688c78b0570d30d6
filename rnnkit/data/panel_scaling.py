"""Per-series normalisation for a global model, fitted on each series' observed part only.

A series y_t (t = 0 .. n-1 its observed steps) becomes

    z_t = log(y_t / s_{t mod m})          (a positive series)
    z_t = y_t / s_{t mod m} / scale       (otherwise: no log, no season, scale = mean |y|)

where s is the series' own multiplicative seasonal pattern (classical decomposition of the
observed part, kept only when M4's 90% seasonality test finds the season; all ones
otherwise). A window is then read relative to its last observed step o: u_t = z_t − z_o,
which divides the series by its level at the origin — every series, whatever its scale,
is seen on one scale, and a forecast of u is turned back by :meth:`SeriesScaler.inverse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def seasonality_test(values: np.ndarray, season: int) -> bool:
    """M4's 90% test: is the autocorrelation at lag m significant? (needs 3 m values)."""
    from statsmodels.tsa.stattools import acf

    x = np.asarray(values, dtype=float)
    if season <= 1 or len(x) < 3 * season:
        return False
    r = acf(x, nlags=season, fft=False)[1:]  # r_1 .. r_m
    limit = 1.645 / np.sqrt(len(x)) * np.sqrt(1 + 2 * np.sum(r[: season - 1] ** 2))
    return bool(abs(r[season - 1]) > limit)


def seasonal_indices(values: np.ndarray, season: int) -> np.ndarray:
    """Classical multiplicative seasonal indices of each step (n,); all ones when the
    series is not positive or the seasonality test fails (M4's naive-2)."""
    x = np.asarray(values, dtype=float)
    if not np.all(x > 0) or not seasonality_test(x, season):
        return np.ones(len(x))
    from statsmodels.tsa.seasonal import seasonal_decompose

    return np.asarray(seasonal_decompose(x, model="multiplicative", period=season).seasonal)


@dataclass
class SeriesScaler:
    """z = log(y / s) or y / s / scale, s the seasonal pattern by phase t mod m."""

    log: bool
    pattern: np.ndarray  # (m,) seasonal index of each phase t mod m (ones: none)
    scale: float = 1.0  # divides a series that is not logged

    @classmethod
    def fit(
        cls, values: np.ndarray, season: int, *, log: bool = True, season_adjust: bool = True
    ) -> SeriesScaler:
        """Fitted on ``values``, the observed part, alone."""
        y = np.asarray(values, dtype=np.float64)
        positive = bool(np.all(y > 0))
        m = max(season, 1)
        pattern = np.ones(m)
        if season_adjust and positive and m > 1:
            s = seasonal_indices(y, m)
            n = len(y)
            for t in range(max(0, n - m), n):  # the last full season, by phase
                pattern[t % m] = s[t]
        if log and positive:
            return cls(True, pattern)
        scale = float(np.mean(np.abs(y)))
        return cls(False, np.ones(m), scale if scale > 0 else 1.0)

    def season(self, start: int, steps: int) -> np.ndarray:
        """Seasonal indices of positions start .. start+steps-1: (steps,)."""
        return self.pattern[np.arange(start, start + steps) % len(self.pattern)]

    def transform(self, y: np.ndarray, start: int = 0) -> np.ndarray:
        v = np.asarray(y, dtype=np.float64) / self.season(start, len(y))
        return np.log(v) if self.log else v / self.scale

    def inverse(self, z: np.ndarray, start: int) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        v = np.exp(z) if self.log else z * self.scale
        s = self.season(start, z.shape[0])  # (steps,): z may be (steps,) or (steps, Q)
        return v * s.reshape(-1, *[1] * (z.ndim - 1))

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log, "pattern": self.pattern.tolist(), "scale": self.scale}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SeriesScaler:
        return cls(bool(d["log"]), np.asarray(d["pattern"], dtype=np.float64), float(d["scale"]))
