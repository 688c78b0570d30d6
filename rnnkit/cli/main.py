"""Entry point of the `rnnkit` command: `rnnkit <group> [<verb>] ...`."""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
from collections.abc import Sequence

from rnnkit import __version__
from rnnkit.cli.common import CommandError, common_parser, emit, fail, setup
from rnnkit.training.errors import TrainingError, TrainingInterrupted

# Each module defines `register(subparsers, common)` adding its command(s), whose
# parsers set `func=run(args) -> dict | None`.
COMMAND_MODULES = [
    "rnnkit.cli.info",
    "rnnkit.cli.demo",
    "rnnkit.cli.longrange",
    "rnnkit.cli.lm",
    "rnnkit.cli.names",
    "rnnkit.cli.gradflow",
    "rnnkit.cli.inspect",
]


class Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (subcommand parsers inherit the class)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"rnnkit: error: {self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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


def resume_hint(argv: Sequence[str]) -> str:
    """The command that continues an interrupted run (under torchrun: on one node)."""
    words = [*argv] + ([] if "--resume" in argv else ["--resume"])
    command = " ".join(shlex.quote(w) for w in words)
    world, local = os.environ.get("WORLD_SIZE", "1"), os.environ.get("LOCAL_WORLD_SIZE", "1")
    if world == "1":
        return f"rnnkit {command}"
    if world == local:
        return f"torchrun --standalone --nproc_per_node={local} -m rnnkit {command}"
    return f"the same torchrun command with: -m rnnkit {command}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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
    except BrokenPipeError:  # the reader went away (`rnnkit ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except TrainingInterrupted as e:
        if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 speaks for all
            return 128 + e.signum
        if e.checkpoint:
            print(f"rnnkit: {e}; resume with: {resume_hint(argv)}", file=sys.stderr, flush=True)
        else:
            fail(str(e))
        return 128 + e.signum
    except (CommandError, TrainingError, ValueError, FileNotFoundError, OSError) as e:
        if debug:
            raise
        return fail(str(e) or type(e).__name__)
    except Exception as e:  # a bug or an unexpected failure: still one line
        if debug:
            raise
        first = (str(e).strip().splitlines() or [""])[0]
        return fail(f"{type(e).__name__}: {first} (run with --debug for the traceback)")
    emit(args, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
