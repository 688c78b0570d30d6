"""Flags every command shares, where commands print, and how errors and results look."""

from __future__ import annotations

import argparse
import json
import random
import sys
import warnings
from typing import Any

import numpy as np
import torch

from rnnkit.training.errors import RunWarning
from rnnkit.training.progress import Progress, make_progress


class CommandError(Exception):
    """A user-facing failure: printed as one line on stderr, exit code 2."""


def common_parser(threads: int | None = None) -> argparse.ArgumentParser:
    """The parent parser holding the flags every command accepts."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    shown = f"default: {threads}" if threads else "default: torch's choice"
    g.add_argument("--threads", type=int, default=threads, help=f"CPU threads for torch ({shown})")
    g.add_argument("--quiet", action="store_true", help="print nothing but errors and --json")
    g.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    g.add_argument(
        "--json", action="store_true", help="print the final metrics as one JSON object, last line"
    )
    return p


class Console:
    """Prints for a command: lines, streamed text, a training display; silent when quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def say(self, *parts: object) -> None:
        if not self.quiet:
            print(*parts, flush=True)

    def stream(self, text: str) -> None:
        if not self.quiet:
            sys.stdout.write(text)
            sys.stdout.flush()

    def progress(self, unit: str, *, every: int, main: bool) -> Progress:
        """Silent when quiet or off rank 0; a bar on a terminal; plain lines otherwise."""
        return make_progress(quiet=self.quiet or not main, every=every, unit=unit)


def setup(args: argparse.Namespace) -> None:
    """Apply --seed and --threads before a command runs; warnings as one line each."""
    if args.threads is not None:
        if args.threads < 1:
            raise CommandError(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed % 2**32)
    torch.manual_seed(args.seed)
    warnings.showwarning = _one_line_warning
    warnings.simplefilter("always", RunWarning)  # a run's warnings always reach the user


def _one_line_warning(
    message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any
) -> None:
    print(f"rnnkit: warning: {message}", file=sys.stderr, flush=True)


def emit(args: argparse.Namespace, result: Any) -> None:
    """Print a command's metrics: JSON as the last stdout line with --json."""
    if result is None:
        return
    if getattr(args, "json", False):
        print(json.dumps(result, default=float), flush=True)


def fail(message: str) -> int:
    """Print a one-line error on stderr and return the exit code."""
    print(f"rnnkit: error: {message}", file=sys.stderr, flush=True)
    return 2
