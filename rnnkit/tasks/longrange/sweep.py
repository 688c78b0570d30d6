"""`rnnkit longrange sweep`: every cell at every length, as a table and a plot.

Each (cell, T) pair is one ordinary run of the adding or copy task, trained through
the generic lifecycle in ``OUT/<cell>-T<T>``; finished runs (in sweep.json) are skipped
on a second call, and with ``--resume`` an interrupted run continues from its last
checkpoint. Writes sweep.json, sweep.md and sweep.png to OUT.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rnnkit.analysis.plots import plot_sweep
from rnnkit.config import Config, require
from rnnkit.data.atomic import write_text_atomic
from rnnkit.layers import CellType
from rnnkit.models.sequence import SequenceConfig
from rnnkit.tasks.commands import RunOptions, model_group, train_group
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import Run, train
from rnnkit.tasks.longrange import AddingTask, CopyTask, LongRangeTask
from rnnkit.tasks.registry import Command, Group, info, register_command
from rnnkit.training import RunDir, TrainConfig
from rnnkit.training.rundir import read_json, write_json

TASKS: dict[str, type[LongRangeTask]] = {"adding": AddingTask, "copy": CopyTask}


@dataclass
class SweepConfig(Config):
    """The grid: one task, several cells, several lengths."""

    task: Literal["adding", "copy"] = "adding"  # which task
    cells: tuple[CellType, ...] = ("rnn", "lstm", "gru")  # cells to train, comma-separated
    lengths: tuple[int, ...] = (50, 100, 200, 400)  # lengths T, comma-separated
    test_size: int = 2000  # fresh test sequences per run

    def validate(self) -> None:
        require(self, "cells", len(self.cells) >= 1, "at least one cell")
        require(self, "lengths", len(self.lengths) >= 1, "at least one length")
        TASKS[self.task].Config(length=min(self.lengths), test_size=self.test_size)


def sweep(
    config: SweepConfig,
    model: SequenceConfig,
    train_config: TrainConfig,
    options: RunOptions,
    console: Console,
) -> dict[str, Any]:
    """Train the grid (skipping finished runs); write and return the table's rows."""
    root = Path(options.out or f"runs/sweep-{config.task}")
    root.mkdir(parents=True, exist_ok=True)
    results = root / "sweep.json"
    rows = read_json(results)["rows"] if results.exists() else []
    done = {(r["cell"], r["length"]) for r in rows}
    cls = TASKS[config.task]
    for length in config.lengths:
        for cell in config.cells:
            if (cell, length) in done:
                console.say(f"{cell} T={length}: already in {results}, skipped")
                continue
            console.say(f"--- {config.task} {cell.upper()} T={length}")
            out = root / f"{cell}-T{length}"
            task = cls(cls.Config(length=length, test_size=config.test_size))
            run = Run(
                model.with_cell(cell),
                train_config,
                out=out,
                resume=options.resume and RunDir(out).checkpoint("last") is not None,
                tensorboard=options.tensorboard,
                progress=console.progress(info(cls).unit, every=train_config.log_every, main=True),
            )
            rows.append(train(task, run))
            write_outputs(root, config.task, rows)
    write_outputs(root, config.task, rows)
    console.say((root / "sweep.md").read_text())
    console.say(f"wrote {root / 'sweep.md'}, {results}, {root / 'sweep.png'}")
    return {"task": config.task, "rows": rows}


def write_outputs(root: Path, task: str, rows: list[dict[str, Any]]) -> None:
    metric = f"test_{TASKS[task].metric}"
    baseline = f"baseline_{TASKS[task].metric}"
    write_json(root / "sweep.json", {"task": task, "rows": rows})
    write_text_atomic(root / "sweep.md", markdown(rows, metric, baseline))
    plot_sweep(rows, metric, baseline, root / "sweep.png")


def markdown(rows: list[dict[str, Any]], metric: str, baseline: str) -> str:
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    lengths = sorted({r["length"] for r in rows})
    by = {(r["cell"], r["length"]): r for r in rows}
    head = "| T | baseline | " + " | ".join(c.upper() for c in cells) + " |"
    lines = [
        f"{metric.replace('_', ' ')} on a fresh test set (lower is better); "
        "in brackets: training seconds, steps",
        "",
        head,
        "|---:|---:|" + "---:|" * len(cells),
    ]
    for T in lengths:
        base = next(r[baseline] for r in rows if r["length"] == T)
        vals = [cell_text(by[(c, T)], metric) if (c, T) in by else "–" for c in cells]
        lines.append(f"| {T} | {base:.4f} | " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"


def cell_text(row: dict[str, Any], metric: str) -> str:
    return f"{row[metric]:.4f} ({row['seconds']:.0f} s, {row['steps']})"


def run_sweep(console: Console, *, seed: int, **configs: Any) -> dict[str, Any]:
    return sweep(configs["sweep"], configs["model"], configs["train"], configs["run"], console)


register_command(
    Command(
        path=("longrange", "sweep"),
        help="train every cell at every length",
        description="Train each cell at each length with the same budget; write sweep.md, "
        "sweep.json and sweep.png to --out (default runs/sweep-TASK). Re-running skips the "
        "runs already finished; --resume continues an interrupted one.",
        groups=(
            Group("sweep", SweepConfig, "sweep"),
            model_group(info(AddingTask), exclude=("cell",)),
            train_group(info(AddingTask).train_defaults),
            Group("run", RunOptions, "where"),
        ),
        run=run_sweep,
    )
)
