"""`rnnkit gradflow`: ||dL/dh_t|| through time, at initialisation or for trained runs.

The loss is that of the last step of adding-problem sequences (or, for a trained copy
run, the last recalled symbol); the measurement itself is rnnkit.analysis.gradflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F

from rnnkit.analysis.gradflow import GradFlow, hidden_grad_norms, orthogonal_recurrent_init
from rnnkit.analysis.plots import plot_gradflow
from rnnkit.config import Config, require
from rnnkit.layers import CellOptions
from rnnkit.models.sequence import SeqBatch, SequenceConfig
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.longrange import AddingConfig, AddingTask, LongRangeTask
from rnnkit.tasks.registry import register_verb
from rnnkit.training.rundir import write_json

CellName = Literal["rnn", "relu", "lstm", "gru", "mingru", "minlstm"]
CELLS = {  # --cells name -> (cell, options)
    "rnn": ("rnn", CellOptions()),
    "relu": ("rnn", CellOptions(nonlinearity="relu")),
    "lstm": ("lstm", CellOptions()),
    "gru": ("gru", CellOptions()),
    "mingru": ("mingru", CellOptions()),
    "minlstm": ("minlstm", CellOptions()),
}


@dataclass
class GradflowConfig(Config):
    """What to measure."""

    cells: tuple[CellName, ...] = ("rnn", "lstm", "gru")  # at init
    trained: tuple[str, ...] = ()  # longrange run directories to measure after training
    length: int | None = None  # T (None: 100, or each trained run's own)
    hidden: int = 128  # hidden units of the cells at initialisation
    batch: int = 64  # sequences averaged over
    gain: float | None = None  # re-initialise recurrent weights as GAIN x orthogonal (> 1: explode)
    clip: float = 1.0  # global-norm clipping threshold, to show its effect
    out: str = "runs/gradflow"  # directory for gradflow.png and gradflow.json

    def validate(self) -> None:
        if not (self.cells or self.trained):
            raise ValueError(
                "nothing to measure: give GradflowConfig.cells or GradflowConfig.trained"
            )
        n = self.length
        require(self, "length", n is None or n >= 2, "None or an integer >= 2")
        for name in ("hidden", "batch"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "clip", self.clip > 0, "positive")


def loss_at_last_step(task: LongRangeTask, batch: SeqBatch) -> Any:
    """The loss of the final step only: the adding target, or the last copied symbol."""
    batch = SeqBatch(
        batch.x.double() if batch.x.is_floating_point() else batch.x,
        batch.y.double() if batch.y.is_floating_point() else batch.y,
    )
    if isinstance(task, AddingTask):
        return lambda m: m(batch).loss
    return lambda m: F.cross_entropy(m(batch).prediction[:, -1], batch.y[:, -1])


def measure_init(name: str, config: GradflowConfig, task: AddingTask, batch: SeqBatch) -> GradFlow:
    cell, options = CELLS[name]
    requested = SequenceConfig(cell=cell, hidden_size=config.hidden, cell_options=options)
    model = task.build_model(task.model_config(requested)).double()  # float64: norms representable
    if config.gain is not None:
        orthogonal_recurrent_init(model.rnn, config.gain)
    return hidden_grad_norms(model, model.rnn, loss_at_last_step(task, batch))


def gradflow(config: GradflowConfig, seed: int = 0) -> dict[str, GradFlow]:
    """The gradient norms of every requested cell and run, by display name."""
    flows: dict[str, GradFlow] = {}
    g = torch.Generator().manual_seed(seed)
    for name in config.cells:
        task = AddingTask(AddingConfig(length=config.length or 100))
        flows[f"{name} (init)"] = measure_init(name, config, task, task.batch(config.batch, g))
    for path in config.trained:
        loaded = load(path, expect=LongRangeTask)
        trained = loaded.task
        length = config.length or trained.config.length
        task = type(trained)(trained.config.replace(length=length))
        model = loaded.model.double()
        flows[f"{loaded.model_config.cell} (trained, {Path(path).name})"] = hidden_grad_norms(
            model, model.rnn, loss_at_last_step(task, task.batch(config.batch, g))
        )
    return flows


def report(config: GradflowConfig, flows: dict[str, GradFlow], console: Console) -> dict[str, Any]:
    """gradflow.json and gradflow.png in ``config.out``; the JSON's content."""
    out = Path(config.out)
    result: dict[str, Any] = {
        "length": len(next(iter(flows.values())).grad_norms),
        "clip": config.clip,
        "cells": {},
    }
    for name, f in flows.items():
        clipped = min(f.param_grad_norm, config.clip)
        result["cells"][name] = {
            "grad_norms": f.grad_norms,
            "ratio_first_last": f.ratio_first_last,
            "param_grad_norm": f.param_grad_norm,
            "clipped_grad_norm": clipped,
        }
        console.say(
            f"{name:>28}: ||dL/dh_1|| / ||dL/dh_T|| = {f.ratio_first_last:.3e}   "
            f"update norm {f.param_grad_norm:.3e} -> {clipped:.3e} clipped at {config.clip}"
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "gradflow.json", result)
    title = f"gradient flow through time, T={result['length']}"
    png = plot_gradflow({k: v.grad_norms for k, v in flows.items()}, out / "gradflow.png", title)
    console.say(f"wrote {png} and {out / 'gradflow.json'}")
    return result


def run_gradflow(console: Console, *, options: GradflowConfig, seed: int) -> dict[str, Any]:
    """plot how gradients vanish or explode through time

    Measure ||dL/dh_t|| for every step t of the adding problem, loss at the last step,
    per cell at initialisation and/or for trained longrange runs.
    """
    return report(options, gradflow(options, seed), console)


register_verb(("gradflow",), run_gradflow, GradflowConfig, "gradient flow")
