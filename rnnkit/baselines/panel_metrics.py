"""The errors the forecasting competitions report, over a panel of series.

For a series with test values y_1..y_h, forecasts f_1..f_h and training part x_1..x_n of
seasonal period m (percent where marked):

- sMAPE (M3, M4) = 200/h · Σ |y_k − f_k| / (|y_k| + |f_k|)   (%; 0 where both are 0)
- MAPE = 100/h · Σ |y_k − f_k| / |y_k|                        (%; NaN if some y_k = 0)
- MASE (M4) = (1/h · Σ |y_k − f_k|) / (1/(n−m) · Σ_{t>m} |x_t − x_{t−m}|); m = 1 when
  the training part is not longer than m
- OWA (M4) = ½ (sMAPE / sMAPE_naive2 + MASE / MASE_naive2), each the mean over the series
  of a set (a frequency, or the whole panel), naive-2 being :func:`naive2`.

A panel's figure is the mean over its series of each series' mean over its horizon, so a
series counts once whatever its h; ``by_step`` gives the mean over series at each step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rnnkit.data.panel_scaling import seasonal_indices

PANEL_METRICS = ("smape", "mase", "mape")


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Symmetric absolute percentage error of each step (%), 0 where both are 0."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    denominator = np.abs(a) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 200 * np.abs(a - f) / denominator, 0.0)


def ape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Absolute percentage error of each step (%), NaN where the actual value is 0."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a != 0, 100 * np.abs(a - f) / np.abs(a), np.nan)


def mase_scale(train: np.ndarray, season: int) -> float:
    """The in-sample mean absolute seasonal difference (1.0 where it is 0 or undefined)."""
    x = np.asarray(train, dtype=float)
    m = season if len(x) > season else 1
    diffs = np.abs(x[m:] - x[:-m])
    scale = float(np.mean(diffs)) if len(diffs) else 0.0
    return scale if scale > 0 else 1.0


def naive2(train: np.ndarray, season: int, h: int) -> np.ndarray:
    """M4's naive-2: the last seasonally adjusted value, reseasonalised: (h,)."""
    x = np.asarray(train, dtype=float)
    s = seasonal_indices(x, season)
    m = season if len(x) >= season else 1
    future = np.resize(s[-m:], h)  # the last season's indices, repeated
    return x[-1] / s[-1] * future


@dataclass
class SeriesErrors:
    """One series' errors at each step of its horizon."""

    id: str
    group: str
    smape: np.ndarray  # (h,) %
    mase: np.ndarray  # (h,) absolute error / the MASE scale
    mape: np.ndarray  # (h,) %


def series_errors(
    sid: str, group: str, actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, m: int
) -> SeriesErrors:
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ValueError(f"series {sid!r}: forecast shape {f.shape} is not the test's {a.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"series {sid!r}: the forecast has non-finite values")
    return SeriesErrors(sid, group, smape(a, f), np.abs(a - f) / mase_scale(train, m), ape(a, f))


def summarise(errors: Sequence[SeriesErrors]) -> dict[str, float]:
    """Mean over series of each series' mean over its horizon."""
    return {
        name: float(np.mean([np.mean(getattr(e, name)) for e in errors])) for name in PANEL_METRICS
    }


def by_step(errors: Sequence[SeriesErrors], name: str = "smape") -> list[float]:
    """Mean over the series of ``name`` at each step ahead (series shorter than a step
    count only up to their horizon)."""
    h = max(len(getattr(e, name)) for e in errors)
    out = []
    for k in range(h):
        values = [getattr(e, name)[k] for e in errors if len(getattr(e, name)) > k]
        out.append(float(np.mean(values)))
    return out


def owa(model: Mapping[str, float], reference: Mapping[str, float]) -> float:
    """M4's overall weighted average against naive-2's sMAPE and MASE on the same series."""
    return 0.5 * (model["smape"] / reference["smape"] + model["mase"] / reference["mase"])


def by_group(errors: Sequence[SeriesErrors]) -> dict[str, list[SeriesErrors]]:
    """The series' errors per group, then ``all``."""
    groups: dict[str, list[SeriesErrors]] = {}
    for e in errors:
        groups.setdefault(e.group, []).append(e)
    return {**groups, "all": list(errors)}


def panel_table(
    models: Mapping[str, Sequence[SeriesErrors]], reference: Sequence[SeriesErrors]
) -> dict[str, dict[str, dict[str, float]]]:
    """{model: {group: {smape, mase, mape, owa}}} with OWA against ``reference``
    (naive-2's errors on the same series)."""
    ref = {g: summarise(e) for g, e in by_group(reference).items()}
    out = {}
    for name, errors in models.items():
        table = {}
        for g, e in by_group(errors).items():
            row = summarise(e)
            row["owa"] = owa(row, ref[g])
            table[g] = row
        out[name] = table
    return out
