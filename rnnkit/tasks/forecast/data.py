"""A series prepared for forecasting at one origin: splits, scaling and windows.

``cut`` is the number of observed steps: the model and every baseline see y[:cut]; the
test split is y[cut : cut + h]. The RNN's training windows come from y[:fit_end] (the
last ``val_size`` observed steps are its validation split, read as context at test
time), and the scaler (log, standardisation) and the covariates' standardisation are
fitted on y[:fit_end] alone, so nothing after it reaches training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnkit.data.scaling import Scaler
from rnnkit.data.series import Series, calendar_features
from rnnkit.models.forecaster import ForecastBatch


@dataclass
class Prepared:
    """The scaled series and everything a window needs."""

    series: Series
    cut: int  # observed steps; the test split starts here
    fit_end: int  # training windows end here (cut - val_size)
    horizon: int  # h: test steps
    lookback: int  # L: steps a window reads
    scaler: Scaler
    z: np.ndarray  # (N,) scaled target
    covariates: np.ndarray  # (N, C) standardised on the training part
    calendar: bool  # calendar features as inputs
    trend: bool = False  # the position in time (1.0 at the end of training) as an input

    @property
    def values(self) -> np.ndarray:
        return self.series.values

    def calendar_at(self, start: int, steps: int) -> np.ndarray:
        """Known-ahead features of positions start .. start+steps-1 (past the end too): the
        calendar's, and the position in time when ``trend``: (s, F)."""
        parts = [np.zeros((steps, 0))]
        if self.calendar:
            parts.append(
                calendar_features(self.series.future_index(start, steps), self.series.freq)
            )
        if self.trend:
            parts.append((np.arange(start, start + steps) / self.fit_end)[:, None])
        return np.concatenate(parts, 1)

    @property
    def future_size(self) -> int:
        return self.calendar_at(0, 1).shape[1]

    @property
    def input_size(self) -> int:
        return 1 + self.future_size + self.covariates.shape[1]

    def window(self, last: int, steps: int) -> ForecastBatch:
        """The window ending at observed step ``last`` and the ``steps`` after it (1 row).

        Targets are included where the series has them (training and scoring).
        """
        L = self.lookback
        t0 = last - L + 1
        if t0 < 0:
            raise ValueError(f"a window of {L} steps needs {L} observed steps, got {last + 1}")
        u = self.z[t0 : last + 1] - self.z[last]  # (L,) relative to the last observed value
        cal = self.calendar_at(t0 + 1, L + steps)  # (L + s, F): calendar(t + 1)
        x = np.concatenate([u[:, None], cal[:L], self.covariates[t0 : last + 1]], 1)  # (L, I)
        future = cal[L - 1 : L - 1 + steps]  # (s, F): steps last+1 .. last+s
        y = None
        if last + steps < len(self.z):
            y = torch.tensor(self.z[last + 1 : last + 1 + steps] - self.z[last]).float()[None]
        return ForecastBatch(torch.tensor(x).float()[None], torch.tensor(future).float()[None], y)

    def windows(self, lasts: list[int], steps: int) -> ForecastBatch:
        """Several windows stacked: x (B, L, I), future (B, s, F), y (B, s)."""
        rows = [self.window(t, steps) for t in lasts]
        y = [r.y for r in rows]
        return ForecastBatch(
            torch.cat([r.x for r in rows]),
            torch.cat([r.future for r in rows]),
            torch.cat(y) if all(v is not None for v in y) else None,
        )

    def unscale(self, last: int, u: np.ndarray) -> np.ndarray:
        """Relative scaled forecasts after observed step ``last`` -> the series' units."""
        return self.scaler.inverse(self.z[last] + np.asarray(u))

    def training_lasts(self, steps: int) -> list[int]:
        """Every window origin whose window and targets lie in y[:fit_end]."""
        lasts = list(range(self.lookback - 1, self.fit_end - steps))
        if not lasts:
            raise ValueError(
                f"the training part ({self.fit_end} steps) is too short for windows of "
                f"ForecastConfig.lookback {self.lookback} + {steps} steps ahead; lower "
                "ForecastConfig.lookback or ForecastConfig.horizon"
            )
        return lasts


def prepare(
    series: Series,
    *,
    cut: int,
    horizon: int,
    lookback: int,
    val_size: int,
    log: bool | None,
    calendar: bool,
    trend: bool = False,
) -> Prepared:
    """Scale and standardise on y[:cut - val_size] only; see the module docstring."""
    fit_end = cut - val_size
    if fit_end < 2:
        raise ValueError(f"only {fit_end} steps before the validation and test splits")
    train = series.values[:fit_end]
    use_log = bool(np.all(train > 0)) if log is None else log
    scaler = Scaler.fit(train, log=use_log)
    cov = series.covariates
    if cov.size:
        mean, std = cov[:fit_end].mean(0), cov[:fit_end].std(0)
        cov = (cov - mean) / np.where(std > 0, std, 1.0)
    else:
        cov = np.zeros((len(series), 0))
    return Prepared(
        series,
        cut,
        fit_end,
        horizon,
        lookback,
        scaler,
        scaler.transform(series.values),
        cov,
        calendar,
        trend,
    )
