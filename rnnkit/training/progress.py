"""Progress display: a live bar on a terminal, plain lines otherwise, nothing when quiet.

Every display is a callback of the trainer: it starts with training, shows each step
(loss, learning rate, throughput, ETA) and each evaluation, and closes when fit() ends.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from rnnkit.training.callbacks import Callback


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def describe(step: int, total: int | None, metrics: dict[str, Any], unit: str) -> str:
    """One human line: step, loss, lr, throughput, ETA."""
    parts = [f"step {step}" + (f"/{total}" if total else "")]
    if "loss" in metrics:
        parts.append(f"loss {metrics['loss']:.4f}")
    if "lr" in metrics:
        parts.append(f"lr {metrics['lr']:.2e}")
    if "items_per_s" in metrics:
        parts.append(f"{metrics['items_per_s']:,.0f} {unit}/s")
    if "eta_s" in metrics:
        parts.append(f"eta {_fmt_eta(metrics['eta_s'])}")
    return "  ".join(parts)


def eta(trainer: Any) -> float | None:
    """Seconds left: by the step count, or the time budget if that ends first."""
    candidates = []
    if trainer.total_steps and trainer.step:
        candidates.append((trainer.total_steps - trainer.step) * trainer.elapsed / trainer.step)
    if trainer.config.minutes is not None:
        candidates.append(max(0.0, trainer.config.minutes * 60 - trainer.elapsed))
    return min(candidates) if candidates else None


def _show(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


class Progress(Callback):
    """Silent progress (`--quiet`, ranks other than 0); the base of the others."""

    def start(self, total: int | None, step: int = 0) -> None: ...

    def update(self, step: int, metrics: dict[str, Any]) -> None: ...

    def message(self, text: str) -> None: ...

    def close(self) -> None: ...

    def on_train_start(self, trainer: Any) -> None:
        self.start(trainer.total_steps, trainer.step)

    def on_step_end(self, trainer: Any) -> None:
        shown = dict(trainer.last)
        left = eta(trainer)
        if left is not None:
            shown["eta_s"] = left
        self.update(trainer.step, shown)

    def on_eval(self, trainer: Any) -> None:
        if trainer.eval_metrics:
            self.message(
                "eval " + "  ".join(f"{k} {_show(v)}" for k, v in trainer.eval_metrics.items())
            )

    def on_close(self, trainer: Any) -> None:
        self.close()


class PlainProgress(Progress):
    """A plain line every `every` steps (and messages), for logs and pipes."""

    def __init__(self, every: int = 50, unit: str = "samples", stream: TextIO | None = None):
        self.every, self.unit, self.stream = every, unit, stream or sys.stdout
        self.total: int | None = None

    def start(self, total: int | None, step: int = 0) -> None:
        self.total = total

    def update(self, step: int, metrics: dict[str, Any]) -> None:
        if step % self.every == 0 or step == self.total:
            self.message(describe(step, self.total, metrics, self.unit))

    def message(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class RichProgress(Progress):
    """A live rich bar: step, loss, throughput and ETA."""

    def __init__(self, unit: str = "samples"):
        from rich.progress import BarColumn, Progress, TextColumn

        self.unit, self.total = unit, None
        self.bar = Progress(
            TextColumn("[bold]step {task.fields[step]}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),  # loss, lr, throughput, ETA
        )
        self.task = None
        self._last = 0.0

    def start(self, total: int | None, step: int = 0) -> None:
        self.bar.start()
        self.total = total
        self.task = self.bar.add_task(
            "train", total=total, completed=step, step=self._step_text(step), info=""
        )

    def _step_text(self, step: int) -> str:
        return f"{step}/{self.total}" if self.total else str(step)

    def update(self, step: int, metrics: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and step != self.total:  # at most 10 redraws a second
            self.bar.update(self.task, completed=step, step=self._step_text(step))
            return
        self._last = now
        info = describe(step, None, metrics, self.unit).split("  ", 1)[-1]
        self.bar.update(self.task, completed=step, step=self._step_text(step), info=info)

    def message(self, text: str) -> None:
        self.bar.console.print(text)

    def close(self) -> None:
        self.bar.stop()


def make_progress(
    *, quiet: bool = False, every: int = 50, unit: str = "samples", stream: TextIO | None = None
) -> Progress:
    """The right display for this process: silent, a terminal bar or plain lines."""
    if quiet:
        return Progress()
    stream = stream or sys.stdout
    if stream.isatty():
        return RichProgress(unit=unit)
    return PlainProgress(every=every, unit=unit, stream=stream)
