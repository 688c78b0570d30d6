"""Scaling a series for a model: optional log, then standardisation, fitted on the
training part only and saved with a run as JSON (scaler.json)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """z = (log(y) - mean) / std, or (y - mean) / std without the log."""

    log: bool
    mean: float
    std: float

    @classmethod
    def fit(cls, train: np.ndarray, *, log: bool) -> Scaler:
        """Fitted on ``train`` only; the log needs a positive series."""
        y = np.asarray(train, dtype=np.float64)
        if log and not np.all(y > 0):
            raise ValueError("a log scale needs a positive series: it has values <= 0")
        v = np.log(y) if log else y
        std = float(np.std(v))
        return cls(log, float(np.mean(v)), std if std > 0 else 1.0)

    def transform(self, y: np.ndarray) -> np.ndarray:
        v = np.log(y) if self.log else np.asarray(y, dtype=np.float64)
        return (v - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        v = np.asarray(z, dtype=np.float64) * self.std + self.mean
        return np.exp(v) if self.log else v

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scaler:
        return cls(bool(d["log"]), float(d["mean"]), float(d["std"]))
