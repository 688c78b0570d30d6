"""Training flags shared by every command that trains (demo, lm, longrange, ...)."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from typing import Any

from rnnkit.cli.common import CommandError, say
from rnnkit.training import TrainConfig
from rnnkit.training import distributed as ddp
from rnnkit.training.config import OPTIMIZERS, SCHEDULES
from rnnkit.training.progress import Progress, make_progress


def add_training_flags(parser: argparse.ArgumentParser, **defaults: Any) -> None:
    """Add the training options; `defaults` overrides TrainConfig's per task (steps=2000).

    The task's default `steps` applies only when none of --steps, --epochs, --minutes is
    given; its default `minutes` (a time cap) applies unless --minutes is given.
    """
    d = {**TrainConfig().to_dict(), **defaults}
    parser.set_defaults(default_steps=d["steps"], default_minutes=d["minutes"])
    g = parser.add_argument_group("training")
    a = g.add_argument
    a("--steps", type=int, default=None, help=f"optimizer steps (default: {d['steps']})")
    a("--epochs", type=int, default=None, help="passes over the data (instead of --steps)")
    a(
        "--minutes",
        type=float,
        default=None,
        help=f"budget of training time, in minutes (default: {d['minutes']})",
    )
    a(
        "--batch-size",
        type=int,
        default=d["batch_size"],
        help=f"global batch size, or TBPTT lanes (default: {d['batch_size']})",
    )
    a("--lr", type=float, default=d["lr"], help=f"peak learning rate (default: {d['lr']})")
    a("--optimizer", choices=OPTIMIZERS, default=d["optimizer"], help="optimizer")
    a("--momentum", type=float, default=d["momentum"], help="SGD / RMSprop momentum")
    a("--weight-decay", type=float, default=d["weight_decay"], help="weight decay")
    a("--schedule", choices=SCHEDULES, default=d["schedule"], help="learning-rate schedule")
    a("--warmup", type=int, default=d["warmup"], help="linear warm-up steps")
    a("--clip", type=float, default=d["clip"], help="clip the global gradient norm (off)")
    a(
        "--clip-value",
        type=float,
        default=d["clip_value"],
        help="clip each gradient element to [-v, v] (off)",
    )
    a(
        "--eval-every",
        type=int,
        default=d["eval_every"],
        help="evaluate every N steps (0: each epoch and at the end)",
    )
    a(
        "--patience",
        type=int,
        default=d["patience"],
        help="early stopping after N evaluations without improvement (off)",
    )
    a("--log-every", type=int, default=d["log_every"], help="progress line every N steps")
    a(
        "--checkpoint-every",
        type=int,
        default=d["checkpoint_every"],
        help="save `last` every N steps (0: at evaluations and the end)",
    )
    a("--bptt", type=int, default=d["bptt"], help="truncated BPTT chunk length k")
    a("--bptt-random", action="store_true", help="draw each chunk length around --bptt")
    a("--out", metavar="RUN", default=None, help="run directory for checkpoints and metrics")
    a("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    a("--tensorboard", action="store_true", help="also write TensorBoard event files to RUN")


def train_config(args: argparse.Namespace) -> TrainConfig:
    """A TrainConfig from the parsed flags; a bad value is a one-line error naming its flag."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {n: getattr(args, n) for n in names if hasattr(args, n)}
    if args.steps is None and args.epochs is None and args.minutes is None:
        values["steps"] = args.default_steps
    if args.minutes is None:
        values["minutes"] = args.default_minutes
    try:
        return TrainConfig(**values)
    except ValueError as e:
        msg = re.sub(r"TrainConfig\.(\w+)", lambda m: "--" + m.group(1).replace("_", "-"), str(e))
        raise CommandError(msg) from None


def progress_for(args: argparse.Namespace, dist: ddp.DistInfo, unit: str) -> Progress:
    """Silent with --quiet or off rank 0; a bar on a terminal; plain lines otherwise."""
    return make_progress(quiet=args.quiet or not dist.main, every=args.log_every, unit=unit)


def train_command(
    args: argparse.Namespace,
    make_run: Callable[[argparse.Namespace, ddp.DistInfo], Any],
    train: Callable[[Any], dict],
    headline: Callable[[Any], str],
    describe: Callable[[dict], str],
) -> dict | None:
    """The body of every training command: join the process group (if launched by
    torchrun), build the run, say what it is, train, say how it went. Returns the
    result on rank 0, None on the other ranks."""
    with ddp.session() as dist:
        run = make_run(args, dist)
        if dist.main:
            say(args, headline(run))
        result = train(run)
    if not dist.main:
        return None
    say(args, describe(result))
    return result
