"""The long-range memory lab: the adding problem and the copy-memory task.

Builds the seeded data, the model and the trainer from a config, trains, and reports
test metrics on a fresh test set next to the memoryless baseline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

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
from rnnkit.training import RunDir, TrainConfig, Trainer
from rnnkit.training.checkpoint import load_weights
from rnnkit.training.distributed import DistInfo
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import open_run, write_json

TASKS = ("adding", "copy")
BATCHES_PER_EPOCH = 100  # synthetic data has no epochs; this sets the resume granularity
VAL_SEED, TEST_SEED = 1_000_003, 2_000_003  # offsets: validation and test never overlap training


@dataclass
class LongRangeConfig:
    """Which task, at which length, and how big the held-out sets are."""

    task: str = "adding"  # "adding" | "copy"
    length: int = 200  # T: sequence length (adding) or gap of blanks (copy)
    val_size: int = 500  # sequences in the validation set (evaluation during training)
    test_size: int = 2000  # sequences in the fresh test set (final report)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"LongRangeConfig.task must be one of {TASKS}, got {self.task!r}")
        minimum = 2 if self.task == "adding" else 1
        if not isinstance(self.length, int) or self.length < minimum:
            raise ValueError(f"--length must be an integer >= {minimum}, got {self.length!r}")
        for name in ("val_size", "test_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"LongRangeConfig.{name} must be >= 1")

    def batch(self, size: int, generator: torch.Generator) -> SeqBatch:
        make = adding_batch if self.task == "adding" else copy_batch
        return SeqBatch(*make(size, self.length, generator))

    def baseline(self) -> float:
        """The memoryless baseline: MSE of predicting 1, or 10 ln 8 / (T + 20)."""
        return adding_baseline_mse() if self.task == "adding" else copy_baseline_xent(self.length)


def model_config(task: LongRangeConfig, cell: str, hidden: int, **options: Any) -> SequenceConfig:
    """The model for a task: many-to-one regression (adding) or per-step classes (copy)."""
    if task.task == "adding":
        return SequenceConfig(cell=cell, input_size=2, hidden_size=hidden, cell_options=options)
    return SequenceConfig(
        cell=cell,
        vocab_size=COPY_VOCAB,
        hidden_size=hidden,
        output_size=COPY_CLASSES,
        loss="xent",
        cell_options=options,
    )


def build_model(task: LongRangeConfig, config: SequenceConfig) -> nn.Module:
    return ManyToOne(config) if task.task == "adding" else ManyToMany(config)


class TrainBatches:
    """Epoch -> its batches: a deterministic function of (seed, epoch, rank)."""

    def __init__(self, task: LongRangeConfig, batch_size: int, seed: int, dist: DistInfo):
        if batch_size % dist.world:
            raise ValueError(f"--batch-size {batch_size} must divide over {dist.world} processes")
        self.task, self.local, self.seed, self.dist = task, batch_size // dist.world, seed, dist

    def __call__(self, epoch: int) -> Iterator[SeqBatch]:
        g = torch.Generator().manual_seed(self.seed * 1_000_000 + epoch)
        for _ in range(BATCHES_PER_EPOCH):
            full = self.task.batch(self.local * self.dist.world, g)  # the global batch
            lo = self.dist.rank * self.local
            yield SeqBatch(full.x[lo : lo + self.local], full.y[lo : lo + self.local])


@torch.no_grad()
def evaluate(model: nn.Module, task: LongRangeConfig, batch: SeqBatch, prefix: str) -> dict:
    """Loss (MSE or cross-entropy) and, for copy, accuracy on the 10 recalled symbols."""
    was = model.training
    model.eval()
    out = model(batch)
    model.train(was)
    if task.task == "adding":
        return {f"{prefix}_loss": float(out.loss), f"{prefix}_mse": float(out.loss)}
    recalled = out.prediction[:, -COPY_SYMBOLS:].argmax(-1)  # (B, 10)
    accuracy = float((recalled == batch.y[:, -COPY_SYMBOLS:]).float().mean())
    return {
        f"{prefix}_loss": float(out.loss),
        f"{prefix}_xent": float(out.loss),
        f"{prefix}_accuracy": accuracy,
    }


@dataclass
class LongRangeRun:
    """Everything one training run needs."""

    task: LongRangeConfig
    model: SequenceConfig
    train: TrainConfig
    out: str | Path | None = None
    resume: bool = False
    tensorboard: bool = False
    progress: Progress | None = None
    dist: DistInfo = field(default_factory=DistInfo)
    stop_below: float | None = None  # stop once the validation loss falls below this


def train(run: LongRangeRun) -> dict[str, Any]:
    """Train, then report test metrics with the baseline, in the JSON keys of the CLI."""
    task, dist = run.task, run.dist
    torch.manual_seed(run.train.seed)
    model = build_model(task, run.model)
    val = task.batch(task.val_size, torch.Generator().manual_seed(VAL_SEED + task.length))
    rundir = prepare_run(run)
    trainer = Trainer(
        model,
        run.train,
        TrainBatches(task, run.train.batch_size, run.train.seed, dist),
        evaluate=lambda m: evaluate(m, task, val, "val"),
        run=rundir,
        dist=dist,
        progress=run.progress,
        tensorboard=run.tensorboard,
    )
    if run.stop_below is not None:
        trainer.add_callback("on_eval", lambda t: stop_when_solved(t, run.stop_below))
    if run.resume:
        trainer.resume()
    summary = trainer.fit()
    trainer.restore_best()
    test = task.batch(task.test_size, torch.Generator().manual_seed(TEST_SEED + task.length))
    result = report(task, run.model, summary, evaluate(model, task, test, "test"))
    if rundir is not None and dist.main:
        write_json(rundir.root / "result.json", result)
    return result


def stop_when_solved(trainer: Trainer, threshold: float) -> None:
    """Callback: end training once the validation loss is below ``threshold``."""
    if trainer.eval_metrics.get("val_loss", float("inf")) < threshold:
        trainer.request_stop("solved")


def report(task: LongRangeConfig, model: SequenceConfig, summary: dict, test: dict) -> dict:
    out = {
        "task": task.task,
        "cell": model.cell,
        "length": task.length,
        "steps": summary["step"],
        "seconds": summary["seconds"],
    }
    if task.task == "adding":
        out.update(test_mse=test["test_mse"], baseline_mse=task.baseline())
    else:
        out.update(
            test_xent=test["test_xent"],
            baseline_xent=task.baseline(),
            test_accuracy=test["test_accuracy"],
        )
    return out


def prepare_run(run: LongRangeRun) -> RunDir | None:
    """The run directory: never overwrite a run unless resuming; write config.json."""
    rundir = open_run(run.out, run.resume)
    if rundir is None:
        return None
    if run.dist.main:
        rundir.create()
        rundir.write_config(
            {
                "task": "longrange",
                "data": asdict(run.task),
                "model": run.model.to_dict(),
                "train": run.train.to_dict(),
            }
        )
    return rundir


def load(path: str | Path, tag: str = "best") -> tuple[nn.Module, LongRangeConfig]:
    """A trained long-range model and its task, from a run directory."""
    rundir = RunDir(path)
    config = rundir.read_config()
    if config.get("task") != "longrange":
        raise ValueError(f"{path} is a {config.get('task')!r} run, not a longrange run")
    task = LongRangeConfig(**config["data"])
    model = build_model(task, SequenceConfig(**config["model"]))
    where = rundir.checkpoint(tag) or rundir.checkpoint("last")
    if where is None:
        raise FileNotFoundError(f"{path} has no complete checkpoint")
    load_weights(model, where / "model.safetensors")
    return model.eval(), task


def inspect_input(
    path: str | Path, text: str | None, seed: int
) -> tuple[nn.Module, SeqBatch, list[str]]:
    """A trained model, one input sequence and a label per step, for `rnnkit inspect`.

    ``text`` for adding: comma-separated values, the two marked ones suffixed with ``*``
    (e.g. ``0.3,0.9*,0.1,0.5*``); for copy: the symbols to remember, digits 1-8. Without
    it, one sequence from the seeded generator.
    """
    model, task = load(path)
    if text is None:
        batch = task.batch(1, torch.Generator().manual_seed(seed))
    elif task.task == "adding":
        batch = _parse_adding(text)
    else:
        batch = _parse_copy(text, task.length)
    return model, batch, step_labels(task, batch)


def _parse_adding(text: str) -> SeqBatch:
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


def _parse_copy(text: str, gap: int) -> SeqBatch:
    if len(text) != COPY_SYMBOLS or not all(c in "12345678" for c in text):
        raise ValueError(
            f"--input for copy: exactly {COPY_SYMBOLS} digits from 1 to 8, got {text!r}"
        )
    x, y = copy_batch(1, gap, torch.Generator().manual_seed(0))
    symbols = torch.tensor([int(c) for c in text])
    x[0, :COPY_SYMBOLS], y[0, -COPY_SYMBOLS:] = symbols, symbols
    return SeqBatch(x, y)


def step_labels(task: LongRangeConfig, batch: SeqBatch) -> list[str]:
    """What to print for each input step: values (marked with *) or copy tokens."""
    if task.task == "adding":
        return [f"{v:.2f}" + ("*" if m else "") for v, m in batch.x[0].tolist()]
    names = {0: "_", 9: ":"}
    return [names.get(t, str(t)) for t in batch.x[0].tolist()]
