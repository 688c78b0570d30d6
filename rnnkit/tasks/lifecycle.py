"""The lifecycle every task shares: ``train(task, run)`` and ``load(path)``.

``train`` opens (or resumes) the run directory, refusing a changed task, data or model
before it writes anything; seeds; builds the model; shards the task's batches over the
ranks; trains; restores the best checkpoint; scores every held-out split once (the test
split only here, never for model selection); fits the baselines; writes result.json.

``load`` reads a run back: its task (from the registry, older runs upgraded), its
model with the best weights (the last ones, with a warning, if best/ is unreadable).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.config import Config, first_difference, require, untracked
from rnnkit.tasks.contract import Console, Task, noun
from rnnkit.tasks.registry import Command, Group, task_class
from rnnkit.training import RunDir, TrainConfig, Trainer
from rnnkit.training import distributed as ddp
from rnnkit.training.checkpoint import MODEL_FILE, load_weights
from rnnkit.training.config import budget
from rnnkit.training.distributed import DistInfo
from rnnkit.training.errors import RunWarning
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import open_run, write_json

RESUME_FIXED = ("batch_size", "seed")  # training settings a resume may not change


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
class Run:
    """One training run of a task: model and training configs, where and how it runs."""

    model: Any  # the task's Model config (derived fields are filled by the task)
    train: TrainConfig
    out: str | Path | None = None  # run directory (None: keep nothing)
    resume: bool = False  # continue `out` from its last checkpoint
    tensorboard: bool = False
    progress: Progress | None = None
    dist: DistInfo = field(default_factory=DistInfo)


def train(task: Task, run: Run) -> dict[str, Any]:
    """Train ``task`` as ``run`` says; return result.json (see the module docstring)."""
    dist = run.dist
    rundir = open_run(run.out, run.resume)
    model_config = task.model_config(run.model)
    config = run_config(task, model_config, run.train)
    if run.resume and rundir is not None:
        check_resume(rundir, task, config)
    if run.train.batch_size % dist.world:
        raise ValueError(
            f"TrainConfig.batch_size {run.train.batch_size} must divide over {dist.world} processes"
        )
    torch.manual_seed(run.train.seed)
    model = task.build_model(model_config)
    trainer = Trainer(
        model,
        run.train,
        ddp.shard_source(task.batches(run.train, model_config), dist),
        evaluate=lambda m: task.evaluate(m, "val"),
        run=rundir,
        dist=dist,
        carry_state=task.carry_state,
        progress=run.progress,
        tensorboard=run.tensorboard,
    )
    if run.resume:
        trainer.resume()
    if rundir is not None and dist.main:
        rundir.create()
        rundir.write_config(config)
        save_artefacts(rundir, task)
    summary = trainer.fit()
    if run.train.keep == "best":
        trainer.restore_best()
    task.model = model  # the trained model, best weights: for code that goes on using it
    metrics: dict[str, float] = {}
    for split in task.held_out:
        metrics.update(task.evaluate(model, split))
    baselines = task.baselines() if dist.main else {}
    result = {
        **common_result(task, model_config, summary),
        **task.report(summary, metrics, baselines),
    }
    if rundir is not None and dist.main:
        save_artefacts(rundir, task)  # again: some are made by the final evaluation
        figures = task.figures(result, rundir.root)
        if figures:
            result["figures"] = [p.name for p in figures]
        write_json(rundir.root / "result.json", result)
    return result


def save_artefacts(rundir: RunDir, task: Task) -> None:
    for name, value in task.artefacts().items():
        rundir.save_artifact(name, value)


def run_config(task: Task, model: Any, train: TrainConfig) -> dict[str, Any]:
    """config.json of a run (the rnnkit version is stamped on when it is written)."""
    config = {
        "task": task.name,
        "data": task.config.to_dict(),
        "model": model.to_dict(),
        "train": train.to_dict(),
    }
    fingerprint = task.fingerprint()
    if fingerprint is not None:
        config["fingerprint"] = fingerprint
    return config


def common_result(task: Task, model: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The keys of every result.json."""
    with untracked():
        return _common_result(task, model, summary)


def _common_result(task: Task, model: Any, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "task": task.name,
        "cell": model.cell,
        "hidden": model.hidden_size,
        "layers": model.num_layers,
        "steps": summary["step"],
        "seconds": summary["seconds"],
        "stopped": summary["stopped"],
        "precision": summary.get("precision", "fp32"),
        "train_loss": summary.get("loss"),
    }


def check_resume(rundir: RunDir, task: Task, requested: dict[str, Any]) -> None:
    """Refuse to resume a run of another task, on other data or with another model."""
    stored = read_run_config(rundir)
    cls = type(task)
    if task_class(stored, rundir.root) is not cls:
        raise ValueError(
            f"{rundir.root} is a {stored.get('task')!r} run, not a {noun(cls)} run: "
            "choose another --out"
        )
    stored = cls.upgrade(stored)
    changed = first_difference(
        cls.Config.from_dict(stored["data"]), task.config, skip=cls.resumable
    ) or _fingerprint_change(stored.get("fingerprint"), requested.get("fingerprint"))
    if changed is None:
        changed = first_difference(
            cls.Model.from_dict(stored["model"]), cls.Model.from_dict(requested["model"])
        )
    if changed is None:
        old, new = TrainConfig.from_dict(stored["train"]), TrainConfig.from_dict(requested["train"])
        fixed = tuple(n for n in old.to_dict() if n not in RESUME_FIXED)
        changed = first_difference(old, new, skip=fixed)
    if changed is not None:
        name, before, after = changed
        raise ValueError(
            f"{rundir.root}: cannot resume with a changed {name}: the run has {before!r}, "
            f"the command asks for {after!r} (keep the run's setting, or train a new run "
            "with another --out)"
        )


def _fingerprint_change(
    stored: dict[str, Any] | None, current: dict[str, Any] | None
) -> tuple[str, Any, Any] | None:
    """("Class.field", old, new) when the data behind the same config changed."""
    if stored is None or current is None or stored == current:
        return None
    return data_changed(stored, current)


def data_changed(stored: dict[str, Any], current: dict[str, Any]) -> tuple[str, Any, Any]:
    """Describe a fingerprint change as the field it belongs to and the two file states."""
    source = current.get("source", "data")

    def files(fp: dict[str, Any]) -> str:
        return "; ".join(
            f"{f['path']} ({f['size']:,} bytes, {f['head_sha256'][:12]})" for f in fp["files"]
        )

    return f"{source} (its content)", files(stored), files(current)


def check_fingerprint(path: str | Path, stored: dict[str, Any], task: Task) -> None:
    """Refuse to evaluate a run on data that changed since it was trained."""
    before, now = stored.get("fingerprint"), task.fingerprint()
    if before is not None and now is not None and before != now:
        name, old, new = data_changed(before, now)
        raise ValueError(
            f"{path}: the data changed since the run was trained ({name}: it was {old}, "
            f"it is now {new}); evaluate on the training data or train a new run"
        )


# -- loading ------------------------------------------------------------------------


@dataclass
class Loaded:
    """A run read back: its task, its model (eval mode) and configs."""

    task: Task
    model: nn.Module
    model_config: Any
    config: dict[str, Any]  # config.json, in today's layout
    rundir: RunDir


def read_run_config(rundir: RunDir) -> dict[str, Any]:
    if not rundir.config_path.exists():
        raise FileNotFoundError(f"{rundir.root}: not a run directory (no config.json)")
    return rundir.read_config()


def load(
    path: str | Path,
    tag: str = "best",
    *,
    expect: type[Task] | None = None,
    cache_dir: str | Path | None = None,
) -> Loaded:
    """The task and trained model of a run directory; ``expect`` a task (base) class."""
    rundir = RunDir(path)
    stored = read_run_config(rundir)
    cls = task_class(stored, path)
    if expect is not None and not issubclass(cls, expect):
        raise ValueError(f"{path} is a {stored.get('task')!r} run, not a {noun(expect)} run")
    config = cls.upgrade(stored)
    task = cls(cls.Config.from_dict(config["data"]), cache_dir=cache_dir)
    task.restore(rundir.load_artifact)
    model_config = cls.Model.from_dict(config["model"])
    model = task.build_model(model_config)
    if tag == "best" and config.get("train", {}).get("keep") == "last":
        tag = "last"  # the run kept its last weights (TrainConfig.keep)
    load_best(model, rundir, tag)
    return Loaded(task, model.eval(), model_config, config, rundir)


def load_best(model: nn.Module, rundir: RunDir, tag: str = "best") -> Path:
    """Load checkpoint ``tag``'s weights, else `last`'s (warning if ``tag`` is unreadable)."""
    tags = [tag] + (["last"] if tag != "last" else [])
    for i, t in enumerate(tags):
        where = rundir.checkpoint(t)
        if where is None:
            continue
        try:
            load_weights(model, where / MODEL_FILE)
            return where
        except ValueError as e:
            if i == len(tags) - 1:
                raise
            warnings.warn(RunWarning(f"{e}; loading {tags[i + 1]}/ instead"), stacklevel=3)
    raise FileNotFoundError(f"{rundir.root} has no complete checkpoint")


# -- the generic train command ------------------------------------------------------


def model_group(cls: type[Task], exclude: tuple[str, ...] = ()) -> Group:
    """The model flags of a task: its Model config less the fields the task derives."""
    return Group(
        "model",
        cls.Model,
        "model",
        defaults=cls.model_defaults,
        exclude=(*cls.derived, *exclude),
        merge=cls.Model.merge,  # a default cell option the chosen cell has no use for: dropped
        preset=_preset(cls, "model"),
    )


def train_group(defaults: dict[str, Any], cls: type[Task] | None = None) -> Group:
    """The training flags: TrainConfig with a command's defaults; --seed is the common one."""
    return Group(
        "train",
        TrainConfig,
        "training",
        defaults=defaults,
        shared={"seed": "seed"},
        merge=budget,
        preset=_preset(cls, "train") if cls is not None else None,
    )


def _preset(cls: type[Task], key: str):
    """The task's per-data defaults of one group, from the data config built first."""

    def preset(built: dict[str, Any]) -> dict[str, Any]:
        if "data" not in built:
            return {}
        with untracked():  # choosing defaults is not using the settings (tests track reads)
            return cls.presets(built["data"]).get(key, {})

    return preset


def train_command(cls: type[Task]) -> Command:
    """`rnnkit <task> train`: flags from the task's configs, TrainConfig and RunOptions."""
    groups = (
        Group("data", cls.Config, "task and data", exclude=cls.not_flags, required=cls.required),
        model_group(cls),
        train_group(cls.train_defaults, cls),
        Group("run", RunOptions, "run directory"),
    )
    return Command(
        path=cls.command,
        help=cls.help,
        description=cls.description,
        groups=groups,
        run=functools.partial(run_training, cls),
        describe=cls.describe,
        threads=cls.threads,
    )


def run_training(
    cls: type[Task], console: Console, *, seed: int = 0, **configs: Any
) -> dict[str, Any] | None:
    """The body of every train command; the result on rank 0, None on the others.

    With ``--seeds N`` the task is trained N times on the same data (seeds --seed ...
    --seed + N - 1, each run in OUT/seed-S); the result holds the mean and standard
    deviation of every number (``KEY`` and ``KEY_std``) and each run's result.
    """
    options: RunOptions = configs["run"]
    with ddp.session() as dist:
        task = cls(configs["data"])
        results = []
        for k in range(options.seeds):
            run = make_run(configs, console, dist, cls.unit)
            if options.seeds > 1:
                run.train = run.train.replace(seed=run.train.seed + k)
                run.out = Path(options.out) / f"seed-{run.train.seed}" if options.out else None
            if dist.main:
                task.model_config(run.model)  # load the data first: the headline describes it
                with untracked():  # printing a setting is not using it (tests track reads)
                    console.say(task.headline(run.model, run.train))
            results.append(train(task, run))
    if not dist.main:
        return None
    if options.seeds == 1:
        return results[0]
    summary = aggregate(results)
    if options.out:
        write_json(Path(options.out) / "seeds.json", summary)
    return summary


def aggregate(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one task over seeds: every top-level number as its mean (KEY) and standard
    deviation (KEY_std), except integers all runs share; other keys (baselines, ...) from
    the first run; ``runs``: all."""
    out = dict(results[0])
    for key in results[0]:
        values = [r.get(key) for r in results]
        if all(isinstance(v, int) for v in values) and len(set(values)) == 1:
            continue  # a setting shared by the runs (hidden size, steps, ...)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[key] = float(np.mean(values))
            out[f"{key}_std"] = float(np.std(values))
    out["seeds"] = len(results)
    out["runs"] = results
    return out


def seed_runs(path: str | Path) -> list[Path] | None:
    """The ``seed-S`` runs of a ``--seeds`` directory in seed order, or None for one run."""
    root = Path(path)
    if (root / "config.json").exists() or not (root / "seeds.json").exists():
        return None
    return sorted(root.glob("seed-*"), key=lambda p: int(p.name.split("-")[1]))


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
