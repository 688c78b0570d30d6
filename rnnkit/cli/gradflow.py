"""`rnnkit gradflow`: ||dL/dh_t|| through time, at initialisation or for trained runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnkit.analysis.gradflow import GradFlow, hidden_grad_norms, orthogonal_recurrent_init
from rnnkit.analysis.plots import plot_gradflow
from rnnkit.cli.common import CommandError, say
from rnnkit.cli.sweep import parse_list
from rnnkit.models.sequence import SeqBatch
from rnnkit.tasks import longrange
from rnnkit.training.rundir import write_json

CELLS = {
    "rnn": ("rnn", {}),
    "relu": ("rnn", {"nonlinearity": "relu"}),
    "lstm": ("lstm", {}),
    "gru": ("gru", {}),
}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "gradflow",
        parents=[common],
        help="plot how gradients vanish or explode through time",
        description="Measure ||dL/dh_t|| for every step t of the adding problem, loss at the "
        "last step, per cell at initialisation and/or for trained longrange runs.",
    )
    p.add_argument(
        "--cells",
        default="rnn,lstm,gru",
        help="cells at initialisation: rnn, relu (relu RNN), lstm, gru; '' for none",
    )
    p.add_argument("--length", type=int, default=None, help="T (default: 100, or the run's)")
    p.add_argument(
        "--trained",
        default=None,
        metavar="RUN[,RUN]",
        help="longrange run directories to measure after training",
    )
    p.add_argument("--hidden", type=int, default=128, help="hidden units at initialisation")
    p.add_argument("--batch", type=int, default=64, help="sequences averaged over")
    p.add_argument(
        "--gain",
        type=float,
        default=None,
        help="re-initialise recurrent weights as GAIN x orthogonal (> 1: explode)",
    )
    p.add_argument(
        "--clip",
        type=float,
        default=1.0,
        help="global-norm clipping threshold to show its effect (default: 1.0)",
    )
    p.add_argument("--out", default="runs/gradflow", help="directory for gradflow.png/json")
    p.set_defaults(func=run)


def loss_at_last_step(task: longrange.LongRangeConfig, batch: SeqBatch):
    """The loss of the final step only: the adding target, or the last copied symbol."""
    batch = SeqBatch(
        batch.x.double() if batch.x.is_floating_point() else batch.x,
        batch.y.double() if batch.y.is_floating_point() else batch.y,
    )
    if task.task == "adding":
        return lambda m: m(batch).loss
    return lambda m: F.cross_entropy(m(batch).prediction[:, -1], batch.y[:, -1])


def measure_init(
    name: str, args: argparse.Namespace, task: longrange.LongRangeConfig, batch: SeqBatch
) -> GradFlow:
    cell, options = CELLS[name]
    model = longrange.build_model(task, longrange.model_config(task, cell, args.hidden, **options))
    model.double()  # float64: vanishing norms stay representable
    if args.gain is not None:
        orthogonal_recurrent_init(model.rnn, args.gain)
    return hidden_grad_norms(model, model.rnn, loss_at_last_step(task, batch))


def run(args: argparse.Namespace) -> dict:
    names = parse_list(args.cells, str, "--cells") if args.cells.strip() else []
    for name in names:
        if name not in CELLS:
            raise CommandError(f"--cells: unknown cell {name!r} (choose from {', '.join(CELLS)})")
    runs = parse_list(args.trained, str, "--trained") if args.trained else []
    if not names and not runs:
        raise CommandError("nothing to measure: give --cells or --trained")
    flows: dict[str, GradFlow] = {}
    g = torch.Generator().manual_seed(args.seed)
    for name in names:
        task = longrange.LongRangeConfig("adding", args.length or 100)
        flows[f"{name} (init)"] = measure_init(name, args, task, task.batch(args.batch, g))
    for path in runs:
        model, task = longrange.load(path)
        model.double()
        task = longrange.LongRangeConfig(task.task, args.length or task.length)
        batch = task.batch(args.batch, g)
        flows[f"{model.config.cell} (trained, {Path(path).name})"] = hidden_grad_norms(
            model, model.rnn, loss_at_last_step(task, batch)
        )
    return report(args, flows)


def report(args: argparse.Namespace, flows: dict[str, GradFlow]) -> dict:
    out = Path(args.out)
    result = {"length": len(next(iter(flows.values())).grad_norms), "clip": args.clip, "cells": {}}
    for name, f in flows.items():
        result["cells"][name] = {
            "grad_norms": f.grad_norms,
            "ratio_first_last": f.ratio_first_last,
            "param_grad_norm": f.param_grad_norm,
            "clipped_grad_norm": min(f.param_grad_norm, args.clip),
        }
        say(
            args,
            f"{name:>28}: ||dL/dh_1|| / ||dL/dh_T|| = {f.ratio_first_last:.3e}   "
            f"update norm {f.param_grad_norm:.3e} -> {min(f.param_grad_norm, args.clip):.3e} "
            f"clipped at {args.clip}",
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "gradflow.json", result)
    title = f"gradient flow through time, T={result['length']}"
    png = plot_gradflow({k: v.grad_norms for k, v in flows.items()}, out / "gradflow.png", title)
    say(args, f"wrote {png} and {out / 'gradflow.json'}")
    return result
