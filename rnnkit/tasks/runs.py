"""What the lifecycle checks and keeps in a run directory: config.json, artefacts,
data fingerprints, resume refusals, and the checkpoint a reloaded model takes.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from torch import nn

from rnnkit.config import first_difference
from rnnkit.tasks.contract import Task
from rnnkit.tasks.registry import info, task_info
from rnnkit.training import RunDir, TrainConfig
from rnnkit.training.checkpoint import MODEL_FILE, load_weights
from rnnkit.training.errors import RunWarning

RESUME_FIXED = ("batch_size", "seed")  # training settings a resume may not change


def run_config(task: Task, model: Any, train: TrainConfig) -> dict[str, Any]:
    """config.json of a run (the rnnkit version is stamped on when it is written)."""
    config = {
        "task": info(task).name,
        "data": task.config.to_dict(),
        "model": model.to_dict(),
        "train": train.to_dict(),
    }
    fingerprint = task.fingerprint()
    if fingerprint is not None:
        config["fingerprint"] = fingerprint
    return config


def read_run_config(rundir: RunDir) -> dict[str, Any]:
    if not rundir.config_path.exists():
        raise FileNotFoundError(f"{rundir.root}: not a run directory (no config.json)")
    return rundir.read_config()


def save_artefacts(rundir: RunDir, artefacts: dict[str, Any], changed_only: bool = False) -> None:
    """Write each artefact as RUN/<name>.json; ``changed_only``: leave equal ones alone
    (an evaluation rewrites only what it recomputed, such as stale baselines)."""
    for name, value in artefacts.items():
        if changed_only and _stored(rundir, name) == json.loads(json.dumps(value, default=float)):
            continue
        rundir.save_artifact(name, value)


def _stored(rundir: RunDir, name: str) -> Any:
    try:
        return rundir.load_artifact(name)
    except (OSError, ValueError):
        return None


def check_resume(rundir: RunDir, task: Task, requested: dict[str, Any]) -> None:
    """Refuse to resume a run of another task, on other data or with another model."""
    stored = read_run_config(rundir)
    entry = info(task)
    if task_info(stored, rundir.root).cls is not entry.cls:
        raise ValueError(
            f"{rundir.root} is a {stored.get('task')!r} run, not a {entry.called()} run: "
            "choose another --out"
        )
    if entry.upgrade is not None:
        stored = entry.upgrade(stored)
    cls = entry.cls
    changed = first_difference(
        cls.Config.from_dict(stored["data"]), task.config, skip=entry.resumable
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
    if stored is None or current is None or same_data(stored, current):
        return None
    return data_changed(stored, current)


def same_data(stored: dict[str, Any], current: dict[str, Any]) -> bool:
    """The same files by content (size and the hash of the first MiB, in order): a run
    moved with its data, or read where the data lies elsewhere, still matches."""

    def content(fp: dict[str, Any]) -> list[tuple[Any, Any]]:
        return [(f.get("size"), f.get("head_sha256")) for f in fp.get("files", [])]

    return content(stored) == content(current)


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
    if before is not None and now is not None and not same_data(before, now):
        name, old, new = data_changed(before, now)
        raise ValueError(
            f"{path}: the data changed since the run was trained ({name}: it was {old}, "
            f"it is now {new}); evaluate on the training data or train a new run"
        )


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
