"""Entry point of the `rnnkit` command: `rnnkit <group> [<verb>] ...`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rnnkit import __version__
from rnnkit.cli.common import CommandError, common_parser, emit, fail, setup

# Each module defines `register(subparsers, common)` adding its command(s), whose
# parsers set `func=run(args) -> dict | None`.
COMMAND_MODULES = [
    "rnnkit.cli.info",
    "rnnkit.cli.demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnkit",
        description="Recurrent neural networks on PyTorch: train, inspect and compare "
        "RNN, LSTM and GRU models from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    common = common_parser()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0 if args.command is None else 2
    debug = getattr(args, "debug", False)
    try:
        setup(args)
        result = args.func(args)
    except KeyboardInterrupt:
        return fail("interrupted")
    except (CommandError, ValueError, FileNotFoundError, NotADirectoryError, OSError) as e:
        if debug:
            raise
        return fail(str(e) or type(e).__name__)
    emit(args, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
