"""metrics.jsonl (always) and TensorBoard event files (on request)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rnnkit.training.errors import MissingDependency
from rnnkit.training.rundir import atomic_write


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: write them as strings ("nan", "inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class MetricsLog:
    """Append-only JSON lines: one object per training step or evaluation."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = None

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._file.write(json.dumps({k: _clean(v) for k, v in record.items()}) + "\n")
        self._file.flush()

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after `step` (logged by a run killed before it saved)."""
        if not self.path.exists():
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line and json.loads(line).get("step", 0) <= step]
        atomic_write(self.path, lambda tmp: tmp.write_text("".join(k + "\n" for k in kept)))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All records of a metrics.jsonl file."""
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


class TensorBoardLog:
    """Scalars to TensorBoard event files; needs the `rnnkit[tensorboard]` extra."""

    def __init__(self, logdir: str | Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise MissingDependency(
                "--tensorboard needs the tensorboard package: pip install 'rnnkit[tensorboard]'"
            ) from e
        self.writer = SummaryWriter(log_dir=str(logdir))

    def write(self, record: dict[str, Any]) -> None:
        step, split = record.get("step", 0), record.get("split", "train")
        for key, value in record.items():
            if key not in ("step", "split") and isinstance(value, (int, float)):
                self.writer.add_scalar(f"{split}/{key}", value, step)

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()
