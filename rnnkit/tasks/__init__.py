"""Tasks: one module per problem family; each builds data, model and trainer from a config."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from rnnkit.training.rundir import RunDir

# config.json "task" -> the module that knows how to load and inspect such runs
TASK_MODULES = {
    "longrange": "rnnkit.tasks.longrange",
    "lm": "rnnkit.tasks.lm",
    "names": "rnnkit.tasks.names",
}


def task_module(path: str | Path) -> ModuleType:
    """The task module of a run directory, from its config.json."""
    name = RunDir(path).read_config().get("task")
    if name not in TASK_MODULES:
        raise ValueError(f"{path}: runs of task {name!r} cannot be inspected")
    return importlib.import_module(TASK_MODULES[name])
