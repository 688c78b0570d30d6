"""Forecast figures: the history with each model's forecast (and intervals), and the
error at each step ahead."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.analysis.plots import plt, save

STYLE = {"naive": ":", "seasonal-naive": ":", "mean": ":", "drift": ":"}


def plot_forecasts(
    index: Any,
    values: np.ndarray,
    cut: int,
    forecasts: dict[str, dict[str, np.ndarray]],
    path: str | Path,
    *,
    title: str,
    history: int | None = None,
) -> Path:
    """The series (its last ``history`` observed steps and the test) and each model's
    forecast from ``cut``; shaded prediction intervals where a forecast has them."""
    h = len(next(iter(forecasts.values()))["mean"])
    start = max(0, cut - (history or 4 * h))
    x = np.asarray(index)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(x[start : cut + h], values[start : cut + h], color="black", lw=1.5, label="observed")
    ax.axvline(x[cut - 1], color="grey", lw=0.8)
    future = x[cut : cut + h]
    marker = "o" if h <= 3 else None  # a line of one point is not drawn: mark the points
    for name, f in forecasts.items():
        steps = len(f["mean"])
        (line,) = ax.plot(
            future[:steps], f["mean"], STYLE.get(name, "-"), lw=1.2, marker=marker, label=name
        )
        if "lower" in f and marker:
            low, high = f["mean"] - f["lower"], f["upper"] - f["mean"]
            ax.errorbar(future[:steps], f["mean"], yerr=np.vstack([low, high]), fmt="none",
                        ecolor=line.get_color(), alpha=0.5)  # fmt: skip
        elif "lower" in f:
            ax.fill_between(future, f["lower"], f["upper"], color=line.get_color(), alpha=0.15)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return save(fig, path)


def plot_step_errors(
    errors: dict[str, Sequence[float]],
    path: str | Path,
    *,
    title: str,
    ylabel: str = "mean absolute error",
) -> Path:
    """An error at each step ahead (the mean absolute error by default), a line per model."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, e in errors.items():
        ax.plot(np.arange(1, len(e) + 1), e, STYLE.get(name, "-"), marker=".", label=name)
    ax.set_xlabel("steps ahead")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return save(fig, path)


def plot_panel_grid(
    examples: Sequence[dict[str, Any]], path: str | Path, *, title: str, columns: int = 3
) -> Path:
    """Small multiples of a panel's series: each example holds ``id``, ``history`` (the
    observed part), ``test``, ``forecasts`` {name: (h,)} and optionally ``lower`` /
    ``upper`` (h,), the interval of the first forecast."""
    rows = -(-len(examples) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.6 * rows), squeeze=False)
    for ax, ex in zip(axes.flat, examples):
        n, h = len(ex["history"]), len(ex["test"])
        ax.plot(np.arange(n), ex["history"], color="black", lw=1)
        ahead = np.arange(n, n + h)
        ax.plot(ahead, ex["test"], color="black", lw=1, ls="--", label="test")
        for name, f in ex["forecasts"].items():
            (line,) = ax.plot(ahead, f, STYLE.get(name, "-"), lw=1.2, label=name)
            if "lower" in ex and name == next(iter(ex["forecasts"])):
                ax.fill_between(ahead, ex["lower"], ex["upper"], color=line.get_color(), alpha=0.2)
        ax.set_title(ex["id"], fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(examples) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)
