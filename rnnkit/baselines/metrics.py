"""Forecast errors: MAE, RMSE, MAPE, sMAPE (percent) and MASE.

MASE divides the MAE by the in-sample MAE of the seasonal naive forecast on the training
part (Hyndman & Koehler 2006), so 1.0 means "as good as repeating the last season".
"""

from __future__ import annotations

import numpy as np

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def forecast_errors(
    actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, season: int = 1
) -> dict[str, float]:
    """The five errors of ``forecast`` against ``actual`` (same shape; any number of
    origins stacked), MASE scaled by the seasonal-naive error on ``train``."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ValueError(f"forecast shape {f.shape} does not match the actual values' {a.shape}")
    err = f - a
    with np.errstate(divide="ignore", invalid="ignore"):
        mape = 100 * np.mean(np.abs(err / a)) if np.all(a != 0) else float("nan")
        smape = 200 * np.mean(np.abs(err) / (np.abs(a) + np.abs(f)))
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mape": float(mape),
        "smape": float(smape),
        "mase": float(np.mean(np.abs(err)) / naive_scale(train, season)),
    }


def naive_scale(train: np.ndarray, season: int = 1) -> float:
    """Mean absolute change over ``season`` steps in the training part (1 if too short)."""
    m = season if len(train) > season else 1
    diffs = np.abs(np.asarray(train[m:], dtype=float) - np.asarray(train[:-m], dtype=float))
    scale = float(np.mean(diffs)) if len(diffs) else 0.0
    return scale if scale > 0 else 1.0


def pooled_errors(
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray]], season: int = 1
) -> dict[str, float]:
    """The five errors over every (origin, step) of a backtest: ``folds`` holds (actual,
    forecast, training part) per origin; MASE scales each origin by its own training part."""
    actual = np.concatenate([np.asarray(a, dtype=float) for a, _, _ in folds])
    forecast = np.concatenate([np.asarray(f, dtype=float) for _, f, _ in folds])
    out = forecast_errors(actual, forecast, folds[0][2], season)
    scaled = [np.abs(np.asarray(f) - np.asarray(a)) / naive_scale(t, season) for a, f, t in folds]
    out["mase"] = float(np.mean(np.concatenate(scaled)))
    return out
