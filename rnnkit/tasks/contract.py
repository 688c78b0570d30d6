"""The task contract: what one problem family (lm, names, adding, ...) provides.

A task is one class in one module under ``rnnkit/tasks/``, registered with
``@register_task``. It declares its configs and defaults as class attributes and
implements a handful of methods; the generic lifecycle (rnnkit.tasks.lifecycle) does
everything tasks share — run directory, resume checks, seeding, sharding, the trainer,
restoring the best weights, scoring the test split once, result.json — and the
command line builds its ``train`` command (flags included) from these declarations.

    @register_task
    class AddingTask(Task):
        name = "adding"                       # config.json "task"
        command = ("longrange", "adding")     # rnnkit longrange adding ...
        Config = AddingConfig                 # the task's data/problem config
        Model = SequenceConfig                # its model config
        derived = ("input_size", ...)         # model fields the task sets itself

        def build_model(self, config): ...    # an nn.Module following the model contract
        def batches(self, train, model): ...  # epoch -> global training batches
        def evaluate(self, model, split): ... # {"val_loss": ...}
        def report(self, summary, metrics, baselines): ...

Methods are called in this order by ``lifecycle.train``: ``model_config`` (loads the
data it needs), ``fingerprint``, ``build_model``, ``batches``, ``evaluate("val")``
during training, then ``evaluate`` of every split in ``held_out``, ``baselines`` and
``report`` once at the end, then ``figures``; ``artefacts`` are saved with the run and given back to
``restore`` by ``lifecycle.load``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from torch import nn

from rnnkit.config import Config
from rnnkit.models.recurrent import RecurrentModelConfig
from rnnkit.training import TrainConfig
from rnnkit.training.progress import Progress

BatchSource = Callable[[int], Iterable[Any]]  # epoch -> that epoch's global batches


class Console(Protocol):
    """Where commands print: the CLI gives one (quiet or not, rank 0 or not)."""

    quiet: bool

    def say(self, *parts: object) -> None: ...  # a line, unless quiet

    def stream(self, text: str) -> None: ...  # text as it is produced, no newline

    def progress(self, unit: str, *, every: int, main: bool) -> Progress: ...  # training display


class Task(ABC):
    """One problem family behind the generic lifecycle; see the module docstring."""

    name: ClassVar[str]  # registry key and config.json "task"
    command: ClassVar[tuple[str, ...]]  # CLI path of the train command
    help: ClassVar[str]  # one line for `rnnkit --help`
    description: ClassVar[str] = ""  # the train command's --help text
    noun: ClassVar[str] = ""  # "a ___ run" in errors (default: the name)
    Config: ClassVar[type[Config]]  # the task's own data/problem config
    Model: ClassVar[type[RecurrentModelConfig]]  # its model config
    derived: ClassVar[tuple[str, ...]] = ()  # model fields the task fills in (not flags)
    model_defaults: ClassVar[dict[str, Any]] = {}  # model defaults of this task
    train_defaults: ClassVar[dict[str, Any]] = {}  # TrainConfig defaults of this task
    resumable: ClassVar[tuple[str, ...]] = ()  # task-config fields a resume may change
    not_flags: ClassVar[tuple[str, ...]] = ()  # task-config fields no flag offers (dotted)
    required: ClassVar[tuple[str, ...]] = ()  # task-config fields whose flag must be given
    held_out: ClassVar[tuple[str, ...]] = ("val", "test")  # splits scored at the end
    threads: ClassVar[int | None] = None  # default --threads (None: torch's choice)
    unit: ClassVar[str] = "seq"  # what the progress display counts per second
    carry_state: ClassVar[bool] = False  # truncated BPTT: carry the state between batches

    def __init__(self, config: Any, *, cache_dir: str | Path | None = None) -> None:
        self.config = config
        self.cache_dir = cache_dir
        self.model: nn.Module | None = None  # set by lifecycle.train: the trained model

    # -- building and training ------------------------------------------------------

    @classmethod
    def presets(cls, config: Any) -> dict[str, dict[str, Any]]:
        """Defaults that depend on the task config (a dataset's own budget or width), as
        {"model": {...}, "train": {...}}; the train command applies them under the flags."""
        return {}

    def model_config(self, requested: Any) -> Any:
        """The model config to train: ``requested`` with the ``derived`` fields filled
        from the data (vocabulary size, classes, ...)."""
        return requested

    @abstractmethod
    def build_model(self, config: Any) -> nn.Module:
        """A model following the contract ``model(batch, state=None) -> Output``."""

    @abstractmethod
    def batches(self, train: TrainConfig, model: Any) -> BatchSource:
        """Training batches for ``model`` (its config): ``epoch -> global batches`` of
        ``train.batch_size``, deterministic in (train.seed, epoch). The lifecycle shards
        them over ranks; a ``len()`` (batches per epoch) lets ``--epochs`` show a total."""

    @abstractmethod
    def evaluate(self, model: nn.Module, split: str) -> dict[str, float]:
        """Metrics of ``model`` on ``split``: ``{split}_loss`` and the task's own."""

    def baselines(self) -> dict[str, Any]:
        """Non-neural baselines on the same held-out splits and metrics (rank 0 only)."""
        return {}

    @abstractmethod
    def report(
        self, summary: dict[str, Any], metrics: dict[str, float], baselines: dict[str, Any]
    ) -> dict[str, Any]:
        """The task's part of result.json, from the trainer's summary, the final metrics
        (every split of ``held_out``) and the baselines."""

    def figures(self, result: dict[str, Any], root: Path) -> list[Path]:
        """Pictures of a finished run (PNG, HTML) written into its directory ``root``."""
        return []

    # -- runs -----------------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any] | None:
        """What identifies the data beyond the config (files: path, size, hash), or None."""
        return None

    def artefacts(self) -> dict[str, Any]:
        """JSON artefacts saved with a run as RUN/<name>.json (vocabulary, scaler, ...)."""
        return {}

    def restore(self, artefact: Callable[[str], Any]) -> None:
        """Take back what ``artefacts`` saved; ``artefact(name)`` reads RUN/<name>.json."""
        return None

    @classmethod
    def upgrade(cls, config: dict[str, Any]) -> dict[str, Any]:
        """config.json of an older rnnkit in today's layout (renamed or moved fields)."""
        return config

    # -- what the command line prints ---------------------------------------------------

    def headline(self, model: Any, train: TrainConfig) -> str:
        """The line printed before training starts."""
        budget = f"{train.steps} steps" if train.steps else f"{train.minutes:g} min"
        return f"{self.name}: {model.cell.upper()} H={model.hidden_size}, up to {budget}"

    @staticmethod
    def describe(result: dict[str, Any]) -> str:
        """The lines printed after training, from result.json."""
        return f"after {result['steps']} steps ({result['seconds']:.0f} s)"

    # -- `rnnkit inspect` -------------------------------------------------------------

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """One batch of one sequence and a label per step, for ``rnnkit inspect``.

        The model must have ``features(batch.x)`` (the recurrent layer's input) and
        ``rnn`` (the layer). ``text`` is the user's ``--input``; None: choose one by seed.
        """
        raise ValueError(f"runs of task {self.name!r} cannot be inspected")

    def inspect_state(self, model: nn.Module, batch: Any) -> Any:
        """The recurrent layer's initial state for ``inspect_input``'s batch (None: zeros)."""
        return None


def noun(cls: type[Task]) -> str:
    return cls.noun or cls.name
