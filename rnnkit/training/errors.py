"""Exceptions the training engine raises; the CLI prints each as one line."""

from __future__ import annotations


class TrainingError(Exception):
    """Base class of user-facing training failures."""


class TrainingDiverged(TrainingError):
    """The loss or the gradient norm became NaN or infinite."""

    def __init__(
        self,
        step: int,
        what: str,
        value: float,
        checkpoint: str | None = None,
        clipping: bool = False,
        detail: str | None = None,
    ):
        self.step, self.what, self.value, self.checkpoint = step, what, value, checkpoint
        where = f"; the last good checkpoint is {checkpoint}" if checkpoint else ""
        value_text = f"{value:.4g}" + (f", {detail}" if detail else "")
        cure = (
            "a lower learning rate (--lr) or a smaller --clip"
            if clipping
            else "gradient clipping (--clip 1.0) or a lower learning rate (--lr)"
        )
        super().__init__(
            f"training diverged at step {step}: {what} is {value_text}; try {cure}{where}"
        )


class TrainingInterrupted(TrainingError):
    """SIGINT or SIGTERM stopped training at a step boundary, after saving `last`."""

    def __init__(self, signum: int, step: int, checkpoint: str | None):
        import signal

        self.signum, self.step, self.checkpoint = signum, step, checkpoint
        self.signal_name = signal.Signals(signum).name
        saved = f"saved checkpoint {checkpoint}" if checkpoint else "no run directory to save to"
        super().__init__(f"interrupted by {self.signal_name} at step {step}; {saved}")


class MissingDependency(TrainingError):
    """An optional package a requested feature needs is not installed."""


class RunWarning(UserWarning):
    """Something about a run directory the user should know (printed as one line)."""
