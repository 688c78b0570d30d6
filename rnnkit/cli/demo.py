"""`rnnkit demo`: train a small LSTM on a noisy sum of sines and watch the loss fall."""

from __future__ import annotations

import argparse

from rnnkit.cli.common import say
from rnnkit.cli.training import add_training_flags, progress_for, train_config
from rnnkit.models.regressor import RegressorConfig
from rnnkit.tasks.demo import DemoConfig, train_demo
from rnnkit.training import distributed as ddp


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="train a small LSTM on a synthetic series (about a minute)",
        description="Next-value prediction on a long noisy sum of sines, trained by "
        "truncated BPTT with a small LSTM; compares with the naive forecast.",
    )
    g = p.add_argument_group("demo model and data")
    g.add_argument("--hidden", type=int, default=32, help="LSTM hidden size (default: 32)")
    g.add_argument("--layers", type=int, default=1, help="stacked LSTM layers (default: 1)")
    g.add_argument("--length", type=int, default=40_000, help="series length (default: 40000)")
    g.add_argument("--noise", type=float, default=0.05, help="noise std (default: 0.05)")
    add_training_flags(
        p,
        steps=1000,
        batch_size=32,
        lr=3e-3,
        bptt=50,
        eval_every=200,
        log_every=100,
        schedule="cosine",
        warmup=50,
        clip=1.0,
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | None:
    demo = DemoConfig(length=args.length, noise=args.noise)
    model = RegressorConfig(hidden_size=args.hidden, num_layers=args.layers)
    train = train_config(args)
    with ddp.session() as dist:
        if dist.main:
            say(
                args,
                f"demo: LSTM(1, {model.hidden_size}) x{model.num_layers} on a sum of "
                f"sines, {train.steps} steps, TBPTT k={train.bptt}, {dist.world} process(es)",
            )
        metrics = train_demo(
            demo,
            model,
            train,
            out=args.out,
            resume=args.resume,
            progress=progress_for(args, dist, "values"),
            tensorboard=args.tensorboard,
            dist=dist,
        )
    if not dist.main:
        return None
    say(
        args,
        f"validation MSE {metrics['val_loss']:.5f} (naive forecast: "
        f"{metrics['naive_mse']:.5f}) after {metrics['step']} steps",
    )
    return metrics
