"""The one registry: tasks with their command-line face, and the commands built on them.

A task package registers its task class with ``@register_task(name, ...)``: the name
config.json records, and how the task looks on the command line and to the lifecycle
(:class:`TaskInfo`). ``rnnkit <task> train`` and ``rnnkit <task> eval RUN`` are generated
from it (rnnkit.tasks.commands); verbs only one task has (``lm sample``, ``forecast
compare``) are registered with ``register_command``. Nothing keeps a list of modules:
:func:`discover` imports every module of every task package.

A command is declared by its path, the config dataclasses whose fields become its
flags (``Group``), and ``run(console, **configs) -> result``; the CLI generates the
parser from the groups and prints ``describe(result)``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rnnkit.tasks.contract import Task

TASKS: dict[str, TaskInfo] = {}  # config.json "task" -> the task and its face
COMMANDS: dict[tuple[str, ...], Command] = {}  # CLI path -> command
GROUPS: dict[str, tuple[str, str]] = {}  # CLI group -> (help, description)
ALIASES: dict[str, Callable[[dict[str, Any]], str]] = {}  # old task name -> today's, by config

Describe = Callable[[dict[str, Any]], str]  # a result -> the lines printed
TRAINING = {"schedule": "cosine", "clip": 1.0, "log_every": 100}  # most tasks' own defaults


def best_baseline(result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The name and metrics of a result's best baseline (``best_baseline``), if any."""
    name = result.get("best_baseline")
    return (name, result["baselines"][name]) if name in result.get("baselines", {}) else None


def trained_for(result: dict[str, Any]) -> str:
    """ "  after N steps (S s)" of a training result ("" for an evaluation's)."""
    if "steps" not in result:
        return ""
    return f"  after {result['steps']:.0f} steps ({result['seconds']:.0f} s)"


@dataclass(frozen=True)
class TaskInfo:
    """A registered task: its class, how the CLI shows it, what the lifecycle keeps."""

    name: str  # registry key and config.json "task"
    cls: type[Task]
    command: tuple[str, ...]  # CLI path of its train command; eval sits beside it
    help: str  # one line for `rnnkit --help`
    description: str = ""  # the train command's --help text (default: help)
    noun: str = ""  # "a ___ run" in errors (default: the name)
    derived: tuple[str, ...] = ()  # model fields the task fills in (not flags)
    not_flags: tuple[str, ...] = ()  # task-config fields no flag offers (dotted)
    required: tuple[str, ...] = ()  # task-config fields whose flag must be given
    resumable: tuple[str, ...] = ()  # task-config fields a resume (or eval) may change
    model_defaults: Mapping[str, Any] = field(default_factory=dict)  # dotted paths
    train_defaults: Mapping[str, Any] = field(default_factory=dict)  # TrainConfig's
    presets: Callable[[Any], Mapping[str, Mapping[str, Any]]] | None = None  # by data config
    threads: int | None = None  # default --threads (None: torch's choice)
    unit: str = "seq"  # what the progress display counts per second
    headline: Callable[[Any, Any, Any], str] | None = None  # (task, model, train) -> line
    describe: Describe | None = None  # result.json -> lines printed after training
    table: Describe | None = None  # eval's result -> lines (default: describe)
    eval_options: type | None = None  # a Config of eval flags: its set fields override
    upgrade: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # older config.json

    @property
    def group(self) -> str:
        """The CLI group of its commands (`lm`, `longrange`), or "" for a top-level one."""
        return self.command[0] if len(self.command) > 1 else ""

    def called(self) -> str:
        return self.noun or self.name


def register_task(name: str, **face: Any) -> Callable[[type[Task]], type[Task]]:
    """Class decorator: make a task known to the lifecycle, the CLI and `inspect`;
    ``face`` holds :class:`TaskInfo`'s fields."""

    def register(cls: type[Task]) -> type[Task]:
        if name in TASKS and TASKS[name].cls is not cls:
            raise ValueError(f"two tasks are named {name!r}")
        TASKS[name] = TaskInfo(name=name, cls=cls, **face)
        return cls

    return register


def info(task: Task | type[Task]) -> TaskInfo:
    """The registration of a task (instance or class)."""
    cls = task if isinstance(task, type) else type(task)
    for entry in TASKS.values():
        if entry.cls is cls:
            return entry
    raise ValueError(f"{cls.__name__} is not a registered task (use @register_task)")


def register_command(command: Command) -> Command:
    if command.path in COMMANDS and COMMANDS[command.path] != command:
        raise ValueError(f"two commands at `rnnkit {' '.join(command.path)}`")
    COMMANDS[command.path] = command
    return command


def register_verb(
    path: tuple[str, ...],
    run: Callable[..., dict[str, Any] | None],
    options: type,
    title: str,
    *more: Group,
    threads: int | None = None,
) -> Command:
    """A command reading one ``options`` config (``run(console, options=..., seed=...)``)
    and any ``more`` groups; its help is the first line of ``run``'s docstring and its
    --help text the rest."""
    doc = inspect.cleandoc(run.__doc__ or "")
    first, _, rest = doc.partition("\n\n")
    help = " ".join(first.split())
    description = " ".join(rest.split()) or help
    groups = (Group("options", options, title), *more)
    return register_command(Command(path, help, run, groups, description, threads=threads))


def register_group(name: str, help: str, description: str = "") -> None:
    """The help of a command group (`rnnkit lm`), shown above its verbs."""
    GROUPS[name] = (help, description or help)


def register_alias(old: str, pick: Callable[[dict[str, Any]], str]) -> None:
    """Runs saved under an older task name: ``pick(config)`` says which task they are."""
    ALIASES[old] = pick


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
    describe: Describe | None = None  # printed after run (rank 0)
    threads: int | None = None  # default --threads (None: torch's choice)


def discover() -> None:
    """Import every module of every task package, so that each registers what it defines."""
    import rnnkit.tasks as package

    for found in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(found.name)


def task_info(config: dict[str, Any], where: object = "this run") -> TaskInfo:
    """The registered task of a run's config.json (older task names included)."""
    discover()
    name = config.get("task")
    if isinstance(name, str) and name in ALIASES:
        name = ALIASES[name](config)
    if name not in TASKS:
        known = ", ".join(sorted(TASKS))
        raise ValueError(f"{where}: unknown task {name!r} in config.json (known: {known})")
    return TASKS[name]
