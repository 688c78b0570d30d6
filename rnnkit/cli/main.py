"""Entry point of the `rnnkit` command: `rnnkit <group> [<verb>] ...`.

The command tree comes from the task registry (rnnkit.tasks.registry): every task's
generated train and eval commands (rnnkit.tasks.commands) and every registered command,
each with flags generated from its configs (rnnkit.cli.flags). This module parses, runs the
command and prints its result; errors are one line, named by flag.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from collections.abc import Sequence

from rnnkit import __version__
from rnnkit.cli import info
from rnnkit.cli.common import CommandError, Console, common_parser, emit, fail, setup
from rnnkit.cli.flags import FlagSet, add_flags
from rnnkit.tasks.commands import generated
from rnnkit.tasks.registry import COMMANDS, GROUPS, Command, discover
from rnnkit.training.errors import TrainingError, TrainingInterrupted


class Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (subcommand parsers inherit the class)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"rnnkit: error: {self.prog}: {message} (see --help)\n")


def commands() -> list[Command]:
    """Every command: the tasks' train and eval commands, the registered ones, `info`."""
    discover()
    found = {command.path: command for command in generated()}
    found.update(COMMANDS)
    found[info.COMMAND.path] = info.COMMAND
    return sorted(found.values(), key=lambda c: c.path)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnnkit",
        description="Recurrent neural networks on PyTorch: train, inspect and compare "
        "RNN, LSTM and GRU models from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    root = parser.add_subparsers(dest="command", metavar="<command>")
    groups: dict[str, argparse._SubParsersAction] = {}
    for command in commands():
        *parents, leaf = command.path
        where = root
        if parents:
            (group,) = parents  # two levels: `rnnkit <group> <verb>`
            if group not in groups:
                text, description = GROUPS.get(group, (group, group))
                p = root.add_parser(group, help=text, description=description)
                groups[group] = p.add_subparsers(dest="verb", metavar="<verb>", required=True)
            where = groups[group]
        p = where.add_parser(
            leaf,
            parents=[common_parser(command.threads)],
            help=command.help,
            description=command.description or command.help,
        )
        p.set_defaults(command_spec=command, flagset=add_flags(p, command))
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


def run(args: argparse.Namespace) -> dict | None:
    """Build the command's configs from its flags and run it; print what it describes."""
    command: Command = args.command_spec
    configs = args.flagset.build(args)
    console = Console(quiet=args.quiet)
    result = command.run(console, seed=args.seed, **configs)
    if result is not None and command.describe is not None:
        console.say(command.describe(result))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command_spec"):
        parser.print_help()
        return 0 if args.command is None else 2
    flags: FlagSet = args.flagset
    with warnings.catch_warnings():
        try:
            setup(args)
            result = run(args)
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
            if args.debug:
                raise
            return fail(flags.name_flags(str(e) or type(e).__name__))
        except Exception as e:  # a bug or an unexpected failure: still one line
            if args.debug:
                raise
            first = (str(e).strip().splitlines() or [""])[0]
            return fail(f"{type(e).__name__}: {first} (run with --debug for the traceback)")
    emit(args, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
