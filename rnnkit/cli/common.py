"""Flags every command shares, and how a command's result is printed."""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any

import numpy as np
import torch


class CommandError(Exception):
    """A user-facing failure: printed as one line on stderr, exit code 2."""


def common_parser() -> argparse.ArgumentParser:
    """The parent parser holding the flags every command accepts."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    g.add_argument(
        "--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)"
    )
    g.add_argument("--quiet", action="store_true", help="print nothing but errors and --json")
    g.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    g.add_argument(
        "--json", action="store_true", help="print the final metrics as one JSON object, last line"
    )
    return p


def setup(args: argparse.Namespace) -> None:
    """Apply --seed and --threads before a command runs."""
    if args.threads is not None:
        if args.threads < 1:
            raise CommandError(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed % 2**32)
    torch.manual_seed(args.seed)


def emit(args: argparse.Namespace, result: Any) -> None:
    """Print a command's metrics: JSON as the last stdout line with --json."""
    if result is None:
        return
    if getattr(args, "json", False):
        print(json.dumps(result, default=float), flush=True)


def say(args: argparse.Namespace, *parts: object) -> None:
    """Print unless --quiet."""
    if not getattr(args, "quiet", False):
        print(*parts, flush=True)


def fail(message: str) -> int:
    """Print a one-line error on stderr and return the exit code."""
    print(f"rnnkit: error: {message}", file=sys.stderr, flush=True)
    return 2
