"""metrics.jsonl (always, with a run directory) and TensorBoard event files (on request).

Both are callbacks of the trainer: they write the record of every training step
(``trainer.last``) and of every evaluation (``{"split": "val", "step", "epoch", ...}``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rnnkit.data.atomic import atomic_open
from rnnkit.training.callbacks import Callback
from rnnkit.training.errors import MissingDependency

LINE_LIMIT = 1 << 20  # bytes: a longer line of metrics.jsonl is not a record rnnkit wrote


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: write them as strings ("nan", "inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class RecordLog(Callback):
    """A callback writing each step's and each evaluation's record with ``write``."""

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None: ...

    def on_step_end(self, trainer: Any) -> None:
        self.write(trainer.last)

    def on_eval(self, trainer: Any) -> None:
        if trainer.eval_metrics:
            head = {"split": "val", "step": trainer.step, "epoch": trainer.epoch}
            self.write({**head, **trainer.eval_metrics})

    def on_close(self, trainer: Any) -> None:
        self.close()


class MetricsLog(RecordLog):
    """Append-only JSON lines: one object per training step or evaluation. When training
    starts, records of steps after the trainer's (a killed run's) are dropped."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = None

    def on_train_start(self, trainer: Any) -> None:
        self.truncate_after(trainer.step)

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._file.write(json.dumps({k: _clean(v) for k, v in record.items()}) + "\n")
        self._file.flush()

    def truncate_after(self, step: int) -> None:
        """Drop records of steps after `step` (logged by a run killed before it saved), and
        lines that are no whole record (cut short by a kill); read line by line."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="replace") as src:
            with atomic_open(self.path, "w") as dst:
                for record, line in _records(src):
                    if record.get("step", 0) <= step:
                        dst.write(line)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _records(lines: Any) -> Any:
    """(record, line) for every whole JSON-object line of an open metrics.jsonl."""
    while line := lines.readline(LINE_LIMIT):
        if not line.endswith("\n"):
            if len(line) >= LINE_LIMIT:  # skip the rest of an over-long line
                while (rest := lines.readline(LINE_LIMIT)) and not rest.endswith("\n"):
                    pass
            continue  # an over-long line, or a last line still being written
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            yield record, line


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All records of a metrics.jsonl file. A line still being written by a training
    process (no newline yet) is not a record and is left out."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return [record for record, _ in _records(f)]


class TensorBoardLog(RecordLog):
    """Scalars to TensorBoard event files; needs the `rnnkit[tensorboard]` extra."""

    def __init__(self, logdir: str | Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise MissingDependency(
                "--tensorboard needs the tensorboard package: pip install 'rnnkit[tensorboard]'"
            ) from e
        self.logdir, self._make, self.writer = str(logdir), SummaryWriter, None

    def on_train_start(self, trainer: Any) -> None:
        if self.writer is None:  # files appear once training writes (under the run's lock)
            self.writer = self._make(log_dir=self.logdir)

    def write(self, record: dict[str, Any]) -> None:
        if self.writer is None:
            self.on_train_start(None)
        step, split = record.get("step", 0), record.get("split", "train")
        for key, value in record.items():
            if key not in ("step", "split") and isinstance(value, (int, float)):
                self.writer.add_scalar(f"{split}/{key}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
            self.writer = None
