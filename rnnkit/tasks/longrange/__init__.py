"""The long-range memory lab: the adding problem and the copy-memory task.

Two tasks on seeded synthetic data (rnnkit.data.longrange), each reported on a fresh
test set next to its memoryless baseline:

- ``adding`` (many-to-one regression): the sum of the two marked values of T; predicting
  1 gives MSE 1/6;
- ``copy`` (many-to-many classification): recall 10 symbols after T blanks; knowing
  nothing scores cross-entropy 10 ln 8 / (T + 20) per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from rnnkit.config import Config, require
from rnnkit.data.longrange import (
    COPY_CLASSES,
    COPY_SYMBOLS,
    COPY_VOCAB,
    adding_baseline_mse,
    adding_batch,
    copy_baseline_xent,
    copy_batch,
)
from rnnkit.models.sequence import ManyToMany, ManyToOne, SeqBatch, SequenceConfig
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.registry import (
    info,
    register_alias,
    register_group,
    register_task,
    trained_for,
)
from rnnkit.training import TrainConfig

BATCHES_PER_EPOCH = 100  # synthetic data has no epochs; this sets the resume granularity
VAL_SEED, TEST_SEED = 1_000_003, 2_000_003  # offsets: validation and test never overlap training

register_group(
    "longrange",
    "long-range memory tasks: adding, copy, sweep",
    "Show that gated cells remember across long gaps.",
)
register_alias(  # runs of rnnkit 0.1: task "longrange", data.task "adding" | "copy"
    "longrange", lambda config: config.get("data", {}).get("task", "adding")
)


@dataclass
class LongRangeConfig(Config):
    """How long the sequences are, and how big the held-out sets are."""

    length: int = 200  # T: sequence length (adding) or blanks to bridge (copy)
    val_size: int = 500  # sequences in the validation set (evaluation during training)
    test_size: int = 2000  # sequences in the fresh test set (final report)

    MIN_LENGTH: ClassVar[int] = 1

    def validate(self) -> None:
        require(self, "length", self.length >= self.MIN_LENGTH, f"an integer >= {self.MIN_LENGTH}")
        for name in ("val_size", "test_size"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")


@dataclass
class AddingConfig(LongRangeConfig):
    """The adding problem at length T."""

    length: int = 200  # T: sequence length (two marked values among T)

    MIN_LENGTH: ClassVar[int] = 2


@dataclass
class CopyConfig(LongRangeConfig):
    """The copy-memory task with a gap of T blanks."""

    length: int = 200  # T: blanks between the 10 symbols and the recall signal


class SyntheticBatches:
    """Epoch -> its global batches: a deterministic function of (seed, epoch)."""

    def __init__(self, task: LongRangeTask, batch_size: int, seed: int) -> None:
        self.task, self.batch_size, self.seed = task, batch_size, seed

    def __call__(self, epoch: int) -> Iterator[SeqBatch]:
        g = torch.Generator().manual_seed(self.seed * 1_000_000 + epoch)
        for _ in range(BATCHES_PER_EPOCH):
            yield self.task.batch(self.batch_size, g)

    def __len__(self) -> int:
        return BATCHES_PER_EPOCH


def headline(task: LongRangeTask, model: SequenceConfig, train: TrainConfig) -> str:
    return (
        f"longrange {info(task).name}: {model.cell.upper()} H={model.hidden_size} "
        f"T={task.config.length}, up to {train.steps} steps / {train.minutes} min"
    )


def upgrade(config: dict[str, Any]) -> dict[str, Any]:
    """Runs of rnnkit 0.1: task "longrange" with data.task "adding" | "copy"."""
    data = {k: v for k, v in config["data"].items() if k != "task"}
    return {**config, "task": config["data"].get("task", config.get("task")), "data": data}


FACE: dict[str, Any] = dict(  # what the adding and copy tasks share on the command line
    noun="longrange",
    derived=("input_size", "vocab_size", "output_size", "loss", "bidirectional"),
    model_defaults={
        "hidden_size": 64,
        "cell_options.forget_bias": 1.0,  # applies to the LSTM only
    },
    train_defaults={  # chosen by experiment (docs/longrange.md)
        "steps": 20_000,
        "minutes": 10.0,
        "batch_size": 64,
        "lr": 1e-2,
        "clip": 1.0,
        "eval_every": 250,
        "log_every": 100,
        "checkpoint_every": 500,
    },
    headline=headline,
    upgrade=upgrade,
)


class LongRangeTask(Task):
    """What the adding and copy tasks share: seeded data, held-out sets, a baseline."""

    Model = SequenceConfig
    metric: ClassVar[str]  # the loss's name in results: "mse" or "xent"
    shape: ClassVar[dict[str, Any]]  # the model fields the task decides
    network: ClassVar[Callable[[SequenceConfig], nn.Module]]  # ManyToOne or ManyToMany
    sample: ClassVar[Callable[..., tuple[torch.Tensor, torch.Tensor]]]  # (B, T, g) -> x, y

    def __init__(self, config: LongRangeConfig, **env: Any) -> None:
        super().__init__(config, **env)
        self._held_out: dict[str, SeqBatch] = {}

    def batch(self, size: int, generator: torch.Generator) -> SeqBatch:
        return SeqBatch(*self.sample(size, self.config.length, generator))

    def model_config(self, requested: SequenceConfig) -> SequenceConfig:
        return requested.replace(**self.shape)

    def build_model(self, config: SequenceConfig) -> nn.Module:
        return self.network(config)

    def batches(self, train: TrainConfig, model: SequenceConfig) -> SyntheticBatches:
        return SyntheticBatches(self, train.batch_size, train.seed)

    def held_out_batch(self, split: str) -> SeqBatch:
        """The validation or test set: seeded apart from training and from each other."""
        if split not in self._held_out:
            seed, size = (
                (VAL_SEED, self.config.val_size)
                if split == "val"
                else (TEST_SEED, self.config.test_size)
            )
            g = torch.Generator().manual_seed(seed + self.config.length)
            self._held_out[split] = self.batch(size, g)
        return self._held_out[split]

    def evaluate(self, model: nn.Module, split: str) -> Evaluation:
        batch = self.held_out_batch(split)
        out = model(batch)
        loss = float(out.loss)
        return Evaluation(
            {f"{split}_loss": loss, f"{split}_{self.metric}": loss, **self.extra(out, batch, split)}
        )

    def extra(self, out: Any, batch: SeqBatch, split: str) -> dict[str, float]:
        return {}

    def baseline(self) -> float:
        raise NotImplementedError

    def report(self, run: Finished) -> dict[str, Any]:
        baseline = {f"baseline_{self.metric}": self.baseline()}
        return {"length": self.config.length, **run.metrics, **baseline}

    def inspect_input(self, model: nn.Module, text: str | None, seed: int) -> tuple[Any, list[str]]:
        """``text``: see the subclasses; without it, one sequence from the seeded generator."""
        if text is None:
            batch = self.batch(1, torch.Generator().manual_seed(seed))
        else:
            batch = self.parse(text)
        return batch, self.step_labels(batch)

    def parse(self, text: str) -> SeqBatch:
        raise NotImplementedError

    def step_labels(self, batch: SeqBatch) -> list[str]:
        raise NotImplementedError


def longrange(name: str, help: str, describe: Callable[[dict[str, Any]], str]) -> Any:
    """Register a long-range task as `rnnkit longrange NAME`."""
    return register_task(name, command=("longrange", name), help=help, describe=describe, **FACE)


@longrange(
    "adding",
    "the adding problem (two marked values to sum)",
    lambda r: (
        f"test MSE {r['test_mse']:.4g}  (baseline, predicting 1: {r['baseline_mse']:.4f})"
        + trained_for(r)
    ),
)
class AddingTask(LongRangeTask):
    """The adding problem: many-to-one regression of the sum of two marked values."""

    Config = AddingConfig
    metric = "mse"
    shape = dict(input_size=2, vocab_size=0, output_size=1, loss="mse")
    network = ManyToOne
    sample = staticmethod(adding_batch)

    def baseline(self) -> float:
        return adding_baseline_mse()

    def parse(self, text: str) -> SeqBatch:
        """Comma-separated values, the two marked ones suffixed with ``*``: 0.3,0.9*,0.1,0.5*"""
        items = [v.strip() for v in text.split(",") if v.strip()]
        try:
            values = [float(v.rstrip("*")) for v in items]
        except ValueError:
            raise ValueError(f"--input for adding: comma-separated numbers, got {text!r}") from None
        marks = [1.0 if v.endswith("*") else 0.0 for v in items]
        if sum(marks) != 2:
            raise ValueError("--input for adding must mark exactly two values with '*'")
        x = torch.tensor([values, marks]).T.unsqueeze(0)  # (1, T, 2)
        y = torch.tensor([sum(v for v, m in zip(values, marks) if m)])
        return SeqBatch(x, y)

    def step_labels(self, batch: SeqBatch) -> list[str]:
        """Each step's value, the marked ones starred."""
        return [f"{v:.2f}" + ("*" if m else "") for v, m in batch.x[0].tolist()]


@longrange(
    "copy",
    "the copy-memory task (recall 10 symbols after T blanks)",
    lambda r: (
        f"test cross-entropy {r['test_xent']:.4f}  (memoryless baseline "
        f"{r['baseline_xent']:.4f}), recall accuracy {r['test_accuracy']:.3f}" + trained_for(r)
    ),
)
class CopyTask(LongRangeTask):
    """The copy-memory task: many-to-many classification, recall after T blanks."""

    Config = CopyConfig
    metric = "xent"
    shape = dict(vocab_size=COPY_VOCAB, output_size=COPY_CLASSES, loss="xent")
    network = ManyToMany
    sample = staticmethod(copy_batch)

    def extra(self, out: Any, batch: SeqBatch, split: str) -> dict[str, float]:
        """Accuracy on the 10 recalled symbols."""
        recalled = out.prediction[:, -COPY_SYMBOLS:].argmax(-1)  # (B, 10)
        return {f"{split}_accuracy": float((recalled == batch.y[:, -COPY_SYMBOLS:]).float().mean())}

    def baseline(self) -> float:
        return copy_baseline_xent(self.config.length)

    def parse(self, text: str) -> SeqBatch:
        """The symbols to remember: exactly 10 digits from 1 to 8."""
        if len(text) != COPY_SYMBOLS or not all(c in "12345678" for c in text):
            raise ValueError(
                f"--input for copy: exactly {COPY_SYMBOLS} digits from 1 to 8, got {text!r}"
            )
        x, y = copy_batch(1, self.config.length, torch.Generator().manual_seed(0))
        symbols = torch.tensor([int(c) for c in text])
        x[0, :COPY_SYMBOLS], y[0, -COPY_SYMBOLS:] = symbols, symbols
        return SeqBatch(x, y)

    def step_labels(self, batch: SeqBatch) -> list[str]:
        """Copy tokens: digits, ``_`` for a blank, ``:`` for the recall signal."""
        names = {0: "_", 9: ":"}
        return [names.get(t, str(t)) for t in batch.x[0].tolist()]
