"""Figures as PNG files (matplotlib, Agg backend): sweeps, gradient flow, gate heatmaps."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnnkit.training.rundir import atomic_write  # noqa: E402

COLORS = {"rnn": "tab:red", "relu": "tab:orange", "lstm": "tab:blue", "gru": "tab:green"}


def save(fig: plt.Figure, path: str | Path) -> Path:
    """Write a figure atomically as PNG and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    atomic_write(path, lambda tmp: tmp.write_bytes(buf.getvalue()))
    return path


def plot_sweep(rows: Sequence[dict], metric: str, baseline: str, path: str | Path) -> Path:
    """Metric against sequence length, one line per cell, the baseline dashed."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for cell in dict.fromkeys(r["cell"] for r in rows):
        pts = sorted((r["length"], r[metric]) for r in rows if r["cell"] == cell)
        ax.plot(*zip(*pts), marker="o", label=cell.upper(), color=COLORS.get(cell))
    base = sorted({(r["length"], r[baseline]) for r in rows})
    ax.plot(*zip(*base), "k--", label="baseline (no memory)")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"{rows[0]['task']}: {metric.replace('_', ' ')} vs T")
    ax.legend()
    ax.grid(alpha=0.3)
    return save(fig, path)


def plot_gradflow(curves: dict[str, Sequence[float]], path: str | Path, title: str) -> Path:
    """||dL/dh_t|| against t on a log scale, one curve per model."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, norms in curves.items():
        values = np.asarray(norms, dtype=float)
        values[values <= 0] = np.nan  # underflowed to exactly zero: no point on a log scale
        ax.plot(
            np.arange(1, len(values) + 1),
            values,
            "--" if "init" in name else "-",
            label=name,
            color=COLORS.get(name.split()[0].lower()),
        )
    ax.set_yscale("log")
    ax.set_xlabel("time step t (loss at the last step)")
    ax.set_ylabel("||dL/dh_t||")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return save(fig, path)


def plot_heatmaps(panels: dict[str, np.ndarray], path: str | Path, labels: Sequence[str]) -> Path:
    """One heatmap per gate or state: units (rows) against time (columns)."""
    width = min(18.0, max(8.0, 2 + 0.3 * len(labels)))
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(width, 1.8 * len(panels)), squeeze=False, sharex=True
    )
    for ax, (name, values) in zip(axes[:, 0], panels.items()):
        signed = name in ("h", "c", "g", "n")
        vmax = float(np.abs(values).max()) or 1.0 if signed else 1.0
        image = ax.imshow(
            values,
            aspect="auto",
            interpolation="nearest",
            cmap="RdBu_r" if signed else "viridis",
            vmin=-vmax if signed else 0.0,
            vmax=vmax,
        )
        ax.set_ylabel(f"{name}\nunit")
        fig.colorbar(image, ax=ax, pad=0.01)
    if len(labels) <= 60:
        axes[-1, 0].set_xticks(range(len(labels)), labels, fontsize=7, rotation=90)
    axes[-1, 0].set_xlabel("time step")
    return save(fig, path)
