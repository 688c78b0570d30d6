"""A panel prepared for a global model: each series normalised on its observed part
(rnnkit.data.panel_scaling) and cut into windows.

A window ends at an origin o (the last step it reads) of one series and holds:

- ``x`` (L, I): for each of the L steps t = o-L+1 .. o, ``[u_t, known(t+1), pad_t,
  past(t)]`` — the value relative to the origin (u_t = z_t − z_o), what is known ahead of
  the next step (calendar features of its date, the known covariates), 1 where the window
  reaches before the series' start (u = 0 there), and the past-only covariates;
- ``future`` (s, F): ``[known(o+k), 0]`` for the s steps after the origin;
- ``y`` (s,): the targets u_{o+k}, where the series has them.

Training windows come from the observed part alone: every origin o ≥ 1 whose h targets lie
inside it (with ``history`` > 0, only origins among the last ``history`` steps before
that). Nothing of a series' test part is read — not by the normalisation, not by the
windows; covariates are standardised on the observed steps of every series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnkit.config import Config, require
from rnnkit.data.panel import Panel
from rnnkit.data.panel_scaling import SeriesScaler
from rnnkit.data.series import calendar_features


@dataclass
class WindowConfig(Config):
    """How a global model reads a panel."""

    history: int = 0  # training origins among the last N observed steps (0: every origin)
    log: bool = True  # model the log of positive series
    season_adjust: bool = True  # divide each series by its own seasonal pattern
    calendar: bool = True  # calendar features of the dates (panels with dates) as inputs

    def validate(self) -> None:
        require(self, "history", self.history >= 0, "an integer >= 0")


@dataclass
class Windows:
    """Windows stacked: numpy arrays, float32."""

    x: np.ndarray  # (B, L, I)
    future: np.ndarray  # (B, s, F)
    y: np.ndarray | None  # (B, s) targets, where known
    series: np.ndarray  # (B,) index of each window's series in the panel
    origin: np.ndarray  # (B,) o: the window's last observed step


class PreparedPanel:
    """A panel's series normalised, with their known-ahead and past-only inputs."""

    def __init__(self, panel: Panel, config: WindowConfig, *, lookback: int, horizon: int) -> None:
        self.panel, self.config = panel, config
        self.lookback, self.horizon = lookback, horizon  # L, h
        self.scalers = [
            SeriesScaler.fit(s.values, s.season, log=config.log, season_adjust=config.season_adjust)
            for s in panel.series
        ]
        self.z = [sc.transform(s.values) for sc, s in zip(self.scalers, panel.series)]
        self.past, self.known = self._covariates()

    def _covariates(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Past-only and known-ahead covariates, standardised on the observed steps."""
        p = self.panel
        C = len(p.covariate_names)
        if not p.series[0].covariates.size:
            empty = [np.zeros((len(s.full), 0)) for s in p.series]
            return empty, empty
        observed = np.concatenate([s.covariates[: len(s)] for s in p.series])  # (ΣN, C+K)
        mean, std = observed.mean(0), observed.std(0)
        scaled = [(s.covariates - mean) / np.where(std > 0, std, 1.0) for s in p.series]
        return [c[:, :C] for c in scaled], [c[:, C:] for c in scaled]

    @property
    def future_size(self) -> int:
        return self.known_at(0, 0, 1).shape[1] + 1

    @property
    def input_size(self) -> int:
        return 1 + self.future_size + len(self.panel.covariate_names)

    def known_at(self, i: int, start: int, steps: int) -> np.ndarray:
        """Known-ahead inputs of series i at positions start .. start+steps-1: (s, K)."""
        s = self.panel.series[i]
        parts = [np.zeros((steps, 0))]
        if self.config.calendar and self.panel.freq is not None:
            import pandas as pd

            dates = pd.date_range(s.start, periods=max(start + steps, 1), freq=self.panel.freq)
            parts.append(calendar_features(dates[start:], self.panel.freq))
        known = self.known[i]
        if known.shape[1]:
            if start + steps > len(known):
                raise ValueError(
                    f"series {s.id!r}: the known covariates end at step {len(known)}, "
                    f"a forecast needs them up to step {start + steps}"
                )
            parts.append(known[max(start, 0) : start + steps])
        return np.concatenate(parts, 1)

    def window(self, i: int, o: int, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x (L, I), future (s, F), y (s,) of series i at origin o (y: NaN past the data)."""
        L, z = self.lookback, self.z[i]
        t0 = o - L + 1
        valid = max(0, -t0)  # padded steps before the series' start
        u = np.zeros(L)
        u[valid:] = z[t0 + valid : o + 1] - z[o]
        pad = np.zeros((L, 1))
        pad[:valid] = 1.0
        known = np.zeros((L, self.future_size - 1))
        known[valid:] = self.known_at(i, t0 + valid + 1, L - valid)
        past = np.zeros((L, self.past[i].shape[1]))
        past[valid:] = self.past[i][t0 + valid : o + 1]
        x = np.concatenate([u[:, None], known, pad, past], 1)  # (L, I)
        future = np.concatenate([self.known_at(i, o + 1, steps), np.zeros((steps, 1))], 1)
        y = np.full(steps, np.nan)
        ahead = z[o + 1 : o + 1 + steps] - z[o]
        y[: len(ahead)] = ahead
        return x, future, y

    def windows(self, pairs: list[tuple[int, int]], steps: int) -> Windows:
        """The windows of (series, origin) pairs, stacked."""
        rows = [self.window(i, o, steps) for i, o in pairs]
        y = np.stack([r[2] for r in rows]).astype(np.float32)
        return Windows(
            np.stack([r[0] for r in rows]).astype(np.float32),
            np.stack([r[1] for r in rows]).astype(np.float32),
            None if np.isnan(y).any() else y,
            np.array([i for i, _ in pairs]),
            np.array([o for _, o in pairs]),
        )

    def training_pairs(self) -> list[tuple[int, int]]:
        """Every (series, origin) whose h targets lie in the observed part."""
        h, history = self.horizon, self.config.history
        pairs = []
        for i, z in enumerate(self.z):
            last = len(z) - 1 - h  # the latest origin with h targets
            first = max(1, last - history + 1) if history else 1
            pairs.extend((i, o) for o in range(first, last + 1))
        if not pairs:
            raise ValueError(
                f"{self.panel.name}: no series is long enough for a training window "
                f"(2 values and a horizon of {h})"
            )
        return pairs

    def last_pairs(self) -> list[tuple[int, int]]:
        """Each series' origin at the end of its observed part."""
        return [(i, len(z) - 1) for i, z in enumerate(self.z)]

    def unscale(self, i: int, o: int, u: np.ndarray) -> np.ndarray:
        """Forecasts u (s,) or (s, Q) after origin o of series i -> the series' units."""
        return self.scalers[i].inverse(self.z[i][o] + np.asarray(u, dtype=np.float64), o + 1)
