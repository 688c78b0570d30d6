"""`rnnkit info`: versions, threads and the fast backends this machine has."""

from __future__ import annotations

import argparse
import platform

import torch

from rnnkit import __version__
from rnnkit.cli.common import say


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "info", parents=[common], help="print versions, threads and available fast backends"
    )
    p.set_defaults(func=run)


def info() -> dict:
    """Facts about this installation, as a JSON-serialisable dict."""
    return {
        "rnnkit": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "cuda": bool(torch.cuda.is_available()),
        "cudnn": bool(torch.backends.cudnn.is_available()) if torch.cuda.is_available() else False,
        "cuda_devices": torch.cuda.device_count(),
        "gloo": bool(torch.distributed.is_available() and torch.distributed.is_gloo_available()),
        "nccl": bool(torch.distributed.is_available() and torch.distributed.is_nccl_available()),
    }


def run(args: argparse.Namespace) -> dict:
    facts = info()
    if not args.json:
        for key, value in facts.items():
            say(args, f"{key:>13}: {value}")
    return facts
