"""The task contract: what one problem family (lm, names, adding, ...) provides.

A task is the problem and its data: no trained model, no results and no command line
live on it. The generic lifecycle (rnnkit.tasks.lifecycle) does everything tasks share
— run directory, resume checks, seeding, sharding, the trainer, restoring the best
weights, scoring the held-out splits once, result.json — and hands the task a
:class:`Finished` record to report on. How a task looks on the command line (command,
help, defaults, presets, units) is declared where it is registered
(rnnkit.tasks.registry.register_task), not here.

    class AddingTask(Task):
        Config = AddingConfig                   # the task's data/problem config
        Model = SequenceConfig                  # its model config
        def model_config(self, requested): ...  # fill what the data decides (vocabulary)
        def build_model(self, config): ...      # an nn.Module following the model contract
        def batches(self, train, model): ...    # epoch -> global training batches
        def evaluate(self, model, split): ...   # Evaluation({"val_loss": ...}, outputs)
        def report(self, run): ...              # the task's part of result.json

Capabilities that work on any task (``rnnkit inspect``) ask for more through small
protocols of their own (rnnkit.tasks.inspect.Inspectable), which a task may implement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from torch import nn

from rnnkit.config import Config
from rnnkit.training import TrainConfig
from rnnkit.training.progress import Progress

BatchSource = Callable[[int], Iterable[Any]]  # epoch -> that epoch's global batches
Saved = Callable[[str], Any]  # a run's artefact by name: RUN/<name>.json, read


@dataclass
class Evaluation:
    """A model scored on one split: its metrics, and what a report or figure shows."""

    metrics: dict[str, float]  # "{split}_loss" and the task's own, one number each
    outputs: Any = None  # the written texts, forecasts, confusion matrix ... (task's own)


@dataclass
class Finished:
    """A trained (or reloaded) model with everything measured of it, for reports."""

    model: nn.Module  # the best weights, in eval mode
    config: Any  # its model config
    summary: dict[str, Any] = field(default_factory=dict)  # the trainer's ({} when reloaded)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)  # split -> evaluation
    baselines: dict[str, Any] = field(default_factory=dict)  # the task's baselines

    @property
    def metrics(self) -> dict[str, float]:
        """Every split's metrics in one dict (``val_loss``, ``test_accuracy``, ...)."""
        return {k: v for e in self.evaluations.values() for k, v in e.metrics.items()}

    def outputs(self, split: str) -> Any:
        """What the evaluation of ``split`` kept (None if the split was not evaluated)."""
        found = self.evaluations.get(split)
        return None if found is None else found.outputs


class Console(Protocol):
    """Where commands print: the CLI gives one (quiet or not, rank 0 or not)."""

    quiet: bool

    def say(self, *parts: object) -> None: ...  # a line, unless quiet

    def stream(self, text: str) -> None: ...  # text as it is produced, no newline

    def progress(self, unit: str, *, every: int, main: bool) -> Progress: ...  # training display


class Task(ABC):
    """One problem family behind the generic lifecycle; see the module docstring."""

    Config: ClassVar[type[Config]]  # the task's data/problem config
    Model: ClassVar[type[Config]]  # its model config (a RecurrentModelConfig)
    held_out: ClassVar[tuple[str, ...]] = ("val", "test")  # splits scored once at the end
    carry_state: ClassVar[bool] = False  # truncated BPTT: carry the state between batches

    def __init__(
        self, config: Any, *, saved: Saved | None = None, cache_dir: str | Path | None = None
    ) -> None:
        self.config = config
        self.saved = saved  # a trained run's artefacts (None: a task about to be trained)
        self.cache_dir = cache_dir

    def model_config(self, requested: Any) -> Any:
        """``requested`` with the fields the data decides (vocabulary, classes) filled in."""
        return requested

    @abstractmethod
    def build_model(self, config: Any) -> nn.Module:
        """A model following the contract ``model(batch, state=None) -> Output``."""

    @abstractmethod
    def batches(self, train: TrainConfig, model: Any) -> BatchSource:
        """``epoch -> global batches`` of ``train.batch_size``, deterministic in
        (train.seed, epoch); the lifecycle shards them. A ``len()`` lets ``--epochs``
        show a total."""

    @abstractmethod
    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        """``model`` (in eval mode, no gradients) scored on ``split``."""

    def baselines(self) -> dict[str, Any]:
        """Non-neural baselines on the same held-out splits and metrics (rank 0 only)."""
        return {}

    @abstractmethod
    def report(self, run: Finished) -> dict[str, Any]:
        """The task's part of result.json (and of ``eval``'s result)."""

    def figures(self, run: Finished, root: Path) -> list[Path]:
        """Pictures of a finished run (PNG, HTML) written into ``root``."""
        return []

    def artefacts(self, run: Finished | None = None) -> dict[str, Any]:
        """JSON saved with a run as RUN/<name>.json (vocabulary, scaler, ...), read back
        through ``saved``; with ``run``, also what its evaluation produced."""
        return {}

    def fingerprint(self) -> dict[str, Any] | None:
        """What identifies the data beyond the config (files: path, size, hash), or None."""
        return None

    @property
    def loaded(self) -> bool:
        """A trained run read back: its weights come from a checkpoint."""
        return self.saved is not None
