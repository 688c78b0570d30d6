"""The commands every task gets: ``rnnkit <task> train`` and ``rnnkit <group> eval RUN``.

Both are generated from a task's registration (rnnkit.tasks.registry.TaskInfo): train's
flags from the task's data config, its model config, TrainConfig and RunOptions, with
the task's defaults and per-data presets; eval's from EvalOptions and, where the task
declares them, the settings an evaluation may change (a seq2seq run's beam). A task
package reuses the groups here for verbs of its own (``lm demo``, ``forecast compare``).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.config import Config, require, untracked
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import Run, aggregate, evaluate_run, train
from rnnkit.tasks.registry import TASKS, Command, Group, TaskInfo
from rnnkit.training import TrainConfig
from rnnkit.training import distributed as ddp
from rnnkit.training.config import budget
from rnnkit.training.distributed import DistInfo
from rnnkit.training.rundir import write_json


@dataclass
class RunOptions(Config):
    """Where a training run lives."""

    out: str | None = None  # run directory for checkpoints, metrics and results
    resume: bool = False  # continue the run in --out from its last checkpoint
    tensorboard: bool = False  # also write TensorBoard event files to the run directory
    seeds: int = 1  # train N runs (--seed, --seed + 1, ...; OUT/seed-S each): mean and std

    def validate(self) -> None:
        require(self, "seeds", self.seeds >= 1, "an integer >= 1")


@dataclass
class EvalOptions(Config):
    """Which run."""

    run: str  # run directory (or the --out of a --seeds run: every run, mean and std)


# -- groups of flags ------------------------------------------------------------------


def model_group(entry: TaskInfo, exclude: tuple[str, ...] = ()) -> Group:
    """The model flags of a task: its Model config less the fields the task derives."""
    return Group(
        "model",
        entry.cls.Model,
        "model",
        defaults=entry.model_defaults,
        exclude=(*entry.derived, *exclude),
        merge=entry.cls.Model.merge,  # drops a default option the chosen cell has no use for
        preset=_preset(entry, "model"),
    )


def train_group(defaults: Any, entry: TaskInfo | None = None) -> Group:
    """The training flags: TrainConfig with a command's defaults; --seed is the common one."""
    return Group(
        "train",
        TrainConfig,
        "training",
        defaults=defaults,
        shared={"seed": "seed"},
        merge=budget,
        preset=_preset(entry, "train") if entry is not None else None,
    )


def data_group(entry: TaskInfo, **changes: Any) -> Group:
    """The task's data/problem flags."""
    settings = dict(title="task and data", exclude=entry.not_flags, required=entry.required)
    return Group("data", entry.cls.Config, **(settings | changes))


def _preset(entry: TaskInfo, key: str):
    """The task's per-data defaults of one group, from the data config built first."""

    def preset(built: dict[str, Any]) -> Any:
        if "data" not in built or entry.presets is None:
            return {}
        with untracked():  # choosing defaults is not using the settings (tests track reads)
            return entry.presets(built["data"]).get(key, {})

    return preset


# -- train ----------------------------------------------------------------------------


def train_command(entry: TaskInfo) -> Command:
    """`rnnkit <task> train`: flags from the task's configs, TrainConfig and RunOptions."""
    groups = (
        data_group(entry),
        model_group(entry),
        train_group(entry.train_defaults, entry),
        Group("run", RunOptions, "run directory"),
    )
    return Command(
        path=entry.command,
        help=entry.help,
        description=entry.description or entry.help,
        groups=groups,
        run=functools.partial(run_training, entry),
        describe=entry.describe,
        threads=entry.threads,
    )


def run_training(
    entry: TaskInfo, console: Console, *, seed: int = 0, **configs: Any
) -> dict[str, Any] | None:
    """The body of every train command; the result on rank 0, None on the others.

    With ``--seeds N`` the task is trained N times on the same data (seeds --seed ...
    --seed + N - 1, each run in OUT/seed-S); the result holds the mean and standard
    deviation of every number (``KEY`` and ``KEY_std``) and each run's result.
    """
    options: RunOptions = configs["run"]
    with ddp.session() as dist:
        task = entry.cls(configs["data"])
        results = []
        for k in range(options.seeds):
            run = make_run(configs, console, dist, entry.unit)
            if options.seeds > 1:
                run.train = run.train.replace(seed=run.train.seed + k)
                run.out = Path(options.out) / f"seed-{run.train.seed}" if options.out else None
            if entry.headline is not None:
                run.announce = functools.partial(_announce, entry, task, run.train, console)
            results.append(train(task, run))
    if not dist.main:
        return None
    if options.seeds == 1:
        return results[0]
    summary = aggregate(results)
    if options.out:
        write_json(Path(options.out) / "seeds.json", summary)
    return summary


def _announce(entry: TaskInfo, task: Any, train: TrainConfig, console: Console, model: Any) -> None:
    """The headline of a run, once the task has read its data and filled the model config."""
    with untracked():  # printing a setting is not using it (tests track reads)
        console.say(entry.headline(task, model, train) if entry.headline else "")


def make_run(configs: dict[str, Any], console: Console, dist: DistInfo, unit: str) -> Run:
    """A Run from a train command's configs (groups model, train, run)."""
    options: RunOptions = configs["run"]
    train_config: TrainConfig = configs["train"]
    return Run(
        configs["model"],
        train_config,
        out=options.out,
        resume=options.resume,
        tensorboard=options.tensorboard,
        progress=console.progress(unit, every=train_config.log_every, main=dist.main),
        dist=dist,
    )


# -- eval -----------------------------------------------------------------------------


def eval_command(group: str, entries: list[TaskInfo]) -> Command:
    """`rnnkit <group> eval RUN`: a run of any task of the group scored again."""
    names = " or ".join(f"`rnnkit {' '.join(e.command)}`" for e in entries)
    options = [e.eval_options for e in entries if e.eval_options is not None]
    groups = [Group("options", EvalOptions, "run")]
    if options:
        groups.append(Group("overrides", options[0], "evaluation"))
    return Command(
        path=(group, "eval"),
        help="a run's held-out scores again, next to its baselines",
        description=f"Score a run of {names} again on its held-out splits, next to the "
        "baselines on the same data (refused if the data changed since training). A "
        "directory of --seeds runs: every run, with the mean and standard deviation.",
        groups=tuple(groups),
        run=functools.partial(run_eval, tuple(e.cls for e in entries)),
        threads=entries[0].threads,
    )


def run_eval(
    expect: tuple[type, ...], console: Console, *, options: EvalOptions, seed: int, **more: Any
) -> dict[str, Any]:
    given = more.get("overrides")
    overrides = None
    if given is not None:  # the eval flags set: each overrides the run's own setting
        values = {f.name: getattr(given, f.name) for f in dataclasses.fields(given)}
        overrides = {k: v for k, v in values.items() if v is not None}
    result = evaluate_run(options.run, expect=expect, overrides=overrides)
    entry = TASKS[result["task"]]
    show = entry.table or entry.describe
    if show is not None:
        console.say(show(result))
    return result


def generated() -> list[Command]:
    """Every task's train command and one eval command per group of tasks."""
    commands = [train_command(entry) for entry in TASKS.values()]
    families: dict[str, list[TaskInfo]] = {}
    for entry in TASKS.values():
        if entry.group:
            families.setdefault(entry.group, []).append(entry)
    commands += [eval_command(group, entries) for group, entries in families.items()]
    return commands
