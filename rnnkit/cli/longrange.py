"""`rnnkit longrange adding|copy|sweep`: the long-range memory lab."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.cli.common import CommandError
from rnnkit.cli.training import add_training_flags, progress_for, train_command, train_config
from rnnkit.tasks import longrange
from rnnkit.training import distributed as ddp

# Defaults chosen by experiment (README, "Why LSTM?").
DEFAULTS = dict(
    steps=20_000,
    minutes=10.0,
    batch_size=64,
    lr=1e-2,
    clip=1.0,
    eval_every=250,
    log_every=100,
    checkpoint_every=500,
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "longrange",
        help="long-range memory tasks: adding, copy, sweep",
        description="Show that gated cells remember across long gaps.",
    )
    verbs = p.add_subparsers(dest="verb", metavar="<task>", required=True)
    for name, text in (
        ("adding", "the adding problem (two marked values to sum)"),
        ("copy", "the copy-memory task (recall 10 symbols after T blanks)"),
    ):
        v = verbs.add_parser(name, parents=[common], help=text, description=text)
        add_model_flags(v)
        add_training_flags(v, **DEFAULTS)
        v.set_defaults(func=run_task, task=name)
    from rnnkit.cli.sweep import register_sweep

    register_sweep(verbs, common)


def add_model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("task and model")
    g.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="lstm", help="recurrent cell")
    g.add_argument(
        "--length",
        type=int,
        default=200,
        help="T: sequence length (adding) or blanks to bridge (copy); default 200",
    )
    g.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    g.add_argument(
        "--nonlinearity",
        choices=("tanh", "relu"),
        default="tanh",
        help="vanilla RNN nonlinearity (default: tanh)",
    )
    g.add_argument(
        "--forget-bias",
        type=float,
        default=None,
        help="LSTM forget-gate bias at initialisation (default: torch's)",
    )
    g.add_argument("--test-size", type=int, default=2000, help="fresh test sequences")
    g.add_argument(
        "--stop-below",
        type=float,
        default=None,
        metavar="LOSS",
        help="stop once the validation loss (MSE or cross-entropy) is below LOSS",
    )


def cell_options(args: argparse.Namespace) -> dict:
    if args.cell == "rnn":
        return {"nonlinearity": args.nonlinearity}
    if args.cell == "lstm" and args.forget_bias is not None:
        return {"forget_bias": args.forget_bias}
    return {}


def make_run(args: argparse.Namespace, dist: ddp.DistInfo) -> longrange.LongRangeRun:
    if args.hidden < 1:
        raise CommandError(f"--hidden must be at least 1, got {args.hidden}")
    task = longrange.LongRangeConfig(task=args.task, length=args.length, test_size=args.test_size)
    model = longrange.model_config(task, args.cell, args.hidden, **cell_options(args))
    return longrange.LongRangeRun(
        task,
        model,
        train_config(args),
        out=args.out,
        resume=args.resume,
        tensorboard=args.tensorboard,
        progress=progress_for(args, dist, "seq"),
        dist=dist,
    )


def run_task(args: argparse.Namespace) -> dict | None:
    def headline(run: longrange.LongRangeRun) -> str:
        return (
            f"longrange {args.task}: {args.cell.upper()} H={args.hidden} T={args.length}"
            f", up to {run.train.steps} steps / {run.train.minutes} min"
        )

    return train_command(args, make_run, longrange.train, headline, describe)


def describe(r: dict) -> str:
    if r["task"] == "adding":
        return (
            f"test MSE {r['test_mse']:.4f}  (baseline, predicting 1: {r['baseline_mse']:.4f})"
            f"  after {r['steps']} steps, {r['seconds']:.0f} s"
        )
    return (
        f"test cross-entropy {r['test_xent']:.4f}  (memoryless baseline "
        f"{r['baseline_xent']:.4f}), recall accuracy {r['test_accuracy']:.3f}"
        f"  after {r['steps']} steps, {r['seconds']:.0f} s"
    )


def out_dir(path: str | None, default: str) -> Path:
    return Path(path or default)
