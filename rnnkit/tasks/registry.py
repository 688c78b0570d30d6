"""The one registry: tasks and the commands built on them.

Task modules register their task class (``@register_task``; its ``train`` command is
generated from it by rnnkit.tasks.lifecycle.train_command) and any further commands
(``register_command``: ``lm sample``, ``longrange sweep``, ``inspect``, ...). Nothing
keeps a list of modules: :func:`discover` imports every module of ``rnnkit.tasks``,
and the command line, ``rnnkit inspect`` and ``lifecycle.load`` find everything here.

A command is declared by its path, the config dataclasses whose fields become its
flags (``Group``), and ``run(console, **configs) -> result``; the CLI generates the
parser from the groups and prints ``describe(result)``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rnnkit.tasks.contract import Task

TASKS: dict[str, type[Task]] = {}  # config.json "task" -> task class
COMMANDS: dict[tuple[str, ...], Command] = {}  # CLI path -> command
GROUPS: dict[str, tuple[str, str]] = {}  # CLI group -> (help, description)
ALIASES: dict[str, Callable[[dict[str, Any]], str]] = {}  # old task name -> today's, by config


@dataclass(frozen=True)
class Group:
    """One config dataclass whose fields become a command's flags."""

    key: str  # keyword under which the built config reaches the command's run()
    config: type  # a rnnkit.config.Config dataclass
    title: str  # heading in --help
    defaults: Mapping[str, Any] = field(default_factory=dict)  # this command's defaults
    exclude: tuple[str, ...] = ()  # fields offered by no flag (set by the code)
    required: tuple[str, ...] = ()  # fields whose flag must be given
    shared: Mapping[str, str] = field(default_factory=dict)  # field <- a common flag's dest
    merge: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = (
        None  # defaults+given
    )
    preset: Callable[[dict[str, Any]], Mapping[str, Any]] | None = (
        None  # more defaults from the groups built before (per-dataset defaults)
    )


@dataclass(frozen=True)
class Command:
    """A CLI command: its path, its flags (groups) and what it runs."""

    path: tuple[str, ...]  # ("lm", "sample") for `rnnkit lm sample`
    help: str  # one line in the parent's --help
    run: Callable[..., dict[str, Any] | None]  # run(console, **{group.key: config})
    groups: tuple[Group, ...] = ()
    description: str = ""  # --help text (default: help)
    describe: Callable[[dict[str, Any]], str] | None = None  # printed after run (rank 0)
    threads: int | None = None  # default --threads (None: torch's choice)


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task known to the lifecycle, the CLI and `inspect`."""
    if cls.name in TASKS and TASKS[cls.name] is not cls:
        raise ValueError(f"two tasks are named {cls.name!r}")
    TASKS[cls.name] = cls  # its train command: rnnkit.tasks.lifecycle.train_command(cls)
    return cls


def register_command(command: Command) -> Command:
    if command.path in COMMANDS and COMMANDS[command.path] != command:
        raise ValueError(f"two commands at `rnnkit {' '.join(command.path)}`")
    COMMANDS[command.path] = command
    return command


def register_group(name: str, help: str, description: str = "") -> None:
    """The help of a command group (`rnnkit lm`), shown above its verbs."""
    GROUPS[name] = (help, description or help)


def register_alias(old: str, pick: Callable[[dict[str, Any]], str]) -> None:
    """Runs saved under an older task name: ``pick(config)`` says which task they are."""
    ALIASES[old] = pick


def discover() -> None:
    """Import every module of rnnkit.tasks, so that each registers what it defines."""
    import rnnkit.tasks as package

    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(info.name)


def task_class(config: dict[str, Any], where: object = "this run") -> type[Task]:
    """The task class of a run's config.json (older task names included)."""
    discover()
    name = config.get("task")
    if isinstance(name, str) and name in ALIASES:
        name = ALIASES[name](config)
    if name not in TASKS:
        known = ", ".join(sorted(TASKS))
        raise ValueError(f"{where}: unknown task {name!r} in config.json (known: {known})")
    return TASKS[name]
