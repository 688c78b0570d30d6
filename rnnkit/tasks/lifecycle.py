"""The lifecycle every task shares: ``train(task, run)``, ``load(path)``, ``evaluate_run(path)``.

``train`` opens (or resumes) the run directory, refusing a changed task, data or model
before it writes anything; seeds; builds the model; shards the task's batches over the
ranks; trains; restores the best checkpoint; scores every held-out split once (the test
split only here, never for model selection); fits the baselines; hands the task one
:class:`~rnnkit.tasks.contract.Finished` record for its report and figures; writes
result.json.

``load`` reads a run back: its task (from the registry, older runs upgraded) with its
artefacts, its model with the best weights (the last ones, with a warning, if best/ is
unreadable). ``evaluate_run`` scores a loaded run's held-out splits again, next to the
baselines, on data it first checks is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch
from torch import nn

from rnnkit.config import untracked
from rnnkit.tasks.contract import Evaluation, Finished, Task
from rnnkit.tasks.registry import TASKS, info, task_info
from rnnkit.tasks.runs import (
    check_fingerprint,
    check_resume,
    load_best,
    read_run_config,
    run_config,
    save_artefacts,
)
from rnnkit.training import RunDir, TrainConfig, Trainer
from rnnkit.training import distributed as ddp
from rnnkit.training.distributed import DistInfo
from rnnkit.training.evaluation import evaluating
from rnnkit.training.progress import Progress
from rnnkit.training.rundir import open_run, write_json


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
    callbacks: list[Any] = field(default_factory=list)  # rnnkit.training.Callback objects
    announce: Callable[[Any], None] | None = None  # told the model config before training


def train(task: Task, run: Run) -> dict[str, Any]:
    """Train ``task`` as ``run`` says; return result.json (see the module docstring)."""
    return fit(task, run)[0]


def fit(task: Task, run: Run) -> tuple[dict[str, Any], Finished]:
    """``train``, also giving the finished record (the trained model, its evaluations)."""
    dist = run.dist
    rundir = open_run(run.out, run.resume)
    model_config = task.model_config(run.model)
    if run.announce is not None and dist.main:
        run.announce(model_config)
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
        evaluate=lambda m: task.evaluate(m, "val").metrics,
        run=rundir,
        dist=dist,
        carry_state=task.carry_state,
        progress=run.progress,
        tensorboard=run.tensorboard,
        callbacks=run.callbacks,
    )
    if run.resume:
        trainer.resume()
    if rundir is not None and dist.main:
        rundir.create()
        rundir.write_config(config)
        save_artefacts(rundir, task.artefacts())
    summary = trainer.fit()
    if run.train.keep == "best":
        trainer.restore_best()
    finished = assess(task, model.eval(), model_config, summary, baselines=dist.main)
    result = {**common_result(task, model_config, summary), **task.report(finished)}
    if rundir is not None and dist.main:
        save_artefacts(rundir, task.artefacts(finished))  # some come from the evaluation
        figures = task.figures(finished, rundir.root)
        if figures:
            result["figures"] = [p.name for p in figures]
        write_json(rundir.root / "result.json", result)
    return result, finished


def assess(
    task: Task,
    model: nn.Module,
    model_config: Any,
    summary: dict[str, Any] | None = None,
    *,
    baselines: bool = True,
) -> Finished:
    """Score every held-out split once (in eval mode, the mode given back) and fit the
    baselines: the record a report is written from."""
    evaluations: dict[str, Evaluation] = {}
    with evaluating(model):
        for split in task.held_out:
            evaluations[split] = task.evaluate(model, split)
    return Finished(
        model, model_config, summary or {}, evaluations, task.baselines() if baselines else {}
    )


def common_result(task: Task, model: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The keys of every result.json."""
    with untracked():  # recording a setting is not using it (tests track reads)
        return {
            "task": info(task).name,
            "cell": model.cell,
            "hidden": model.hidden_size,
            "layers": model.num_layers,
            "steps": summary["step"],
            "seconds": summary["seconds"],
            "stopped": summary["stopped"],
            "precision": summary.get("precision", "fp32"),
            "train_loss": summary.get("loss"),
        }


# -- reading runs back ----------------------------------------------------------------


T = TypeVar("T", bound=Task)


@dataclass
class Loaded(Generic[T]):
    """A run read back: its task, its model (eval mode) and configs."""

    task: T
    model: nn.Module
    model_config: Any
    config: dict[str, Any]  # config.json, in today's layout
    rundir: RunDir


def load(
    path: str | Path,
    tag: str = "best",
    *,
    expect: type[T] | tuple[type[T], ...] = Task,  # type: ignore[assignment]
    cache_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Loaded[T]:
    """The task and trained model of a run directory; ``expect`` a task (base) class;
    ``overrides`` task-config fields a resume could change (the beam of a seq2seq run)."""
    rundir = RunDir(path)
    stored = read_run_config(rundir)
    entry = task_info(stored, path)
    cls = entry.cls
    if not issubclass(cls, expect):
        raise ValueError(f"{path} is a {stored.get('task')!r} run, not a {_noun(expect)} run")
    config = entry.upgrade(stored) if entry.upgrade else stored
    data = cls.Config.from_dict(config["data"])
    if overrides:
        data = data.replace(**overrides)
    task = cls(data, saved=rundir.load_artifact, cache_dir=cache_dir)
    model_config = cls.Model.from_dict(config["model"])
    model = task.build_model(model_config)
    if tag == "best" and config.get("train", {}).get("keep") == "last":
        tag = "last"  # the run kept its last weights (TrainConfig.keep)
    load_best(model, rundir, tag)
    return Loaded(task, model.eval(), model_config, config, rundir)


def _noun(expect: type[Task] | tuple[type[Task], ...]) -> str:
    """How errors call the runs ``expect`` accepts: a task's noun, or its group's name."""
    classes = expect if isinstance(expect, tuple) else (expect,)
    entries = [e for e in TASKS.values() if issubclass(e.cls, classes)]
    if len(entries) == 1:
        return entries[0].called()
    return entries[0].group if entries else " or ".join(c.__name__ for c in classes)


def evaluate_run(
    path: str | Path,
    *,
    expect: type[Task] | tuple[type[Task], ...] = Task,
    overrides: dict[str, Any] | None = None,
    cache_dir: str | Path | None = None,
) -> dict[str, Any]:
    """A run's held-out splits scored again next to its baselines, on data checked to be
    the data it was trained on; a ``--seeds`` directory: every run, mean and std."""
    runs = seed_runs(path)
    if runs is not None:
        return aggregate(
            [evaluate_run(p, expect=expect, overrides=overrides, cache_dir=cache_dir) for p in runs]
        )
    loaded = load(path, expect=expect, overrides=overrides, cache_dir=cache_dir)
    task = loaded.task
    check_fingerprint(path, loaded.config, task)
    finished = assess(task, loaded.model, loaded.model_config)
    save_artefacts(loaded.rundir, task.artefacts(finished), changed_only=True)
    return {"task": info(task).name, **task.report(finished)}


def seed_runs(path: str | Path) -> list[Path] | None:
    """The ``seed-S`` runs of a ``--seeds`` directory in seed order, or None for one run."""
    root = Path(path)
    if (root / "config.json").exists() or not (root / "seeds.json").exists():
        return None
    return sorted(root.glob("seed-*"), key=lambda p: int(p.name.split("-")[1]))


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
