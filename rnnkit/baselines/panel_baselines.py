"""Statistical baselines over a panel: statsforecast's fast implementations, each series
fitted on its own observed part.

| name | model |
|---|---|
| naive | the last value |
| seasonal-naive | the value one season earlier |
| naive2 | M4's naive-2 (rnnkit.baselines.panel_metrics.naive2), the reference of OWA |
| autoets | AutoETS: exponential smoothing, the form chosen by AICc |
| autotheta | AutoTheta: the Theta method (standard, optimised, dynamic), chosen in-sample |
| autoarima | AutoARIMA: a seasonal ARIMA chosen stepwise by AICc |
| comb | the mean of the autoets, autoarima and autotheta forecasts |

Series are fitted in batches that share a seasonal period and horizon (statsforecast
takes one of each per call); ``n_jobs`` processes share the work.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit.baselines.panel_metrics import naive2
from rnnkit.data.optional import optional_import
from rnnkit.data.panel import Panel, PanelSeries

STATSFORECAST = {  # our name -> statsforecast's model class
    "naive": "Naive",
    "seasonal-naive": "SeasonalNaive",
    "autoets": "AutoETS",
    "autotheta": "AutoTheta",
    "autoarima": "AutoARIMA",
}
COMB = ("autoets", "autoarima", "autotheta")
PANEL_BASELINES = (*STATSFORECAST, "comb", "naive2")

Forecasts = dict[str, np.ndarray]  # series id -> (h,) forecast


def _model(name: str, season: int) -> Any:
    models = optional_import("statsforecast.models", "forecast", "the panel baselines")
    cls = getattr(models, STATSFORECAST[name])
    if name == "naive":
        return cls(alias=name)
    return cls(season_length=season, alias=name)


def _batches(panel: Panel) -> dict[tuple[int, int], list[PanelSeries]]:
    """The series by (season, horizon)."""
    out: dict[tuple[int, int], list[PanelSeries]] = {}
    for s in panel.series:
        out.setdefault((s.season, s.horizon), []).append(s)
    return out


def _statsforecast(
    series: list[PanelSeries], names: Sequence[str], season: int, h: int, n_jobs: int
) -> dict[str, Forecasts]:
    pd = optional_import("pandas", "forecast", "the panel baselines")
    core = optional_import("statsforecast", "forecast", "the panel baselines")
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat([s.id for s in series], [len(s) for s in series]),
            "ds": np.concatenate([np.arange(len(s)) for s in series]),
            "y": np.concatenate([s.values for s in series]),
        }
    )
    models = [_model(name, season) for name in names]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        sf = core.StatsForecast(models=models, freq=1, n_jobs=n_jobs)
        fc = sf.forecast(df=frame, h=h)
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    out: dict[str, Forecasts] = {}
    for name in names:
        grouped = fc.groupby("unique_id", sort=False)[name]
        out[name] = {str(sid): v.to_numpy(dtype=np.float64) for sid, v in grouped}
    return out


def panel_baselines(
    panel: Panel, names: Sequence[str] = PANEL_BASELINES, *, n_jobs: int = 1
) -> dict[str, Forecasts]:
    """Each baseline's forecast of every series' horizon after its observed part."""
    unknown = sorted(set(names) - set(PANEL_BASELINES))
    if unknown:
        raise ValueError(
            f"unknown panel baseline {unknown[0]!r}; choose from {', '.join(PANEL_BASELINES)}"
        )
    fitted = [n for n in STATSFORECAST if n in names or (n in COMB and "comb" in names)]
    out: dict[str, Forecasts] = {n: {} for n in fitted}
    for (season, h), series in _batches(panel).items():
        if fitted:
            for name, forecasts in _statsforecast(series, fitted, season, h, n_jobs).items():
                out[name].update(forecasts)
    if "comb" in names:
        out["comb"] = {sid: np.mean([out[n][sid] for n in COMB], 0) for sid in out[COMB[0]]}
    if "naive2" in names:
        out["naive2"] = {s.id: naive2(s.values, s.season, s.horizon) for s in panel.series}
    return {n: out[n] for n in names}
