"""Run directories and atomic file writes.

Layout of a run (`RUN/`):

    config.json        {"rnnkit": version, "task", "model": {..}, "data": {..}, "train": {..}}
    metrics.jsonl      one JSON object per training step and per evaluation
    <name>.json        task artefacts (vocabulary, scaler, ...)
    tensorboard/       event files, with --tensorboard
    last/              the latest checkpoint (resume from here)
      checkpoint.json    step, epoch, metrics; written last: marks the checkpoint complete
      model.safetensors  weights
      trainer.safetensors + trainer.json   optimizer, schedule, counters, RNG states,
                                           carried recurrent state (tensors | the rest)
    best/              the checkpoint with the best validation metric (same files)

Every file is written to a temporary name, fsynced and renamed over the target. A
checkpoint directory is built whole as `last.new/`, then swapped in with two renames
(`last` -> `last.old`, `last.new` -> `last`); a reader that finds no complete `last/`
takes `last.old/`, so a process killed at any moment leaves a loadable checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnnkit import __version__
from rnnkit.data.atomic import atomic_write, fsync_dir, write_json_atomic

__all__ = ["RunDir", "atomic_write", "fsync_dir", "read_json", "write_json"]

COMPLETE = "checkpoint.json"  # the file written last into a checkpoint directory


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write `obj` as indented JSON."""
    write_json_atomic(path, obj)


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a missing, unreadable or corrupt file is an error naming it."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is corrupt (not valid JSON: {e})") from None


class RunDir:
    """A run directory: config, artefacts, metrics and the `last` / `best` checkpoints."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.root / "metrics.jsonl"

    def create(self) -> RunDir:
        """Make the directory and finish or undo what a killed process left half done:
        a complete ``tag.new/`` whose swap was cut short becomes ``tag/``; an incomplete
        one is dropped; ``tag.old/`` goes once ``tag/`` is complete."""
        self.root.mkdir(parents=True, exist_ok=True)
        for tag in ("last", "best"):
            final, new, old = (self.root / f"{tag}{s}" for s in ("", ".new", ".old"))
            if not self._complete(final) and self._complete(new):
                shutil.rmtree(final, ignore_errors=True)
                os.replace(new, final)
            shutil.rmtree(new, ignore_errors=True)
            if self._complete(final):
                shutil.rmtree(old, ignore_errors=True)
        return self

    def write_config(self, config: dict[str, Any]) -> None:
        """Write config.json, stamped with the rnnkit version."""
        write_json(self.config_path, {"rnnkit": __version__, **config})

    def read_config(self) -> dict[str, Any]:
        if not self.config_path.exists():
            raise FileNotFoundError(f"{self.root} is not a run directory (no config.json)")
        return read_json(self.config_path)

    def save_artifact(self, name: str, obj: Any) -> None:
        """Store a task artefact (vocabulary, scaler, ...) as RUN/<name>.json."""
        write_json(self.root / f"{name}.json", obj)

    def load_artifact(self, name: str) -> Any:
        return read_json(self.root / f"{name}.json")

    def checkpoint(self, tag: str = "last") -> Path | None:
        """The newest complete checkpoint directory for `tag` ("last" or "best"), or None:
        `tag/`, else a complete `tag.new/` (killed between the two renames), else `tag.old/`."""
        for candidate in (self.root / tag, self.root / f"{tag}.new", self.root / f"{tag}.old"):
            if self._complete(candidate):
                return candidate
        return None

    def commit(self, tag: str, fill: Callable[[Path], None], meta: dict[str, Any]) -> Path:
        """Build checkpoint `tag` with ``fill(dir)``, mark it complete, swap it in."""
        new, final, old = (self.root / f"{tag}{s}" for s in (".new", "", ".old"))
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        fill(new)
        write_json(new / COMPLETE, meta)
        fsync_dir(new)
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        os.replace(new, final)
        fsync_dir(self.root)
        shutil.rmtree(old, ignore_errors=True)
        return final

    @staticmethod
    def _complete(path: Path) -> bool:
        return (path / COMPLETE).is_file()


def open_run(out: str | Path | None, resume: bool) -> RunDir | None:
    """The run directory for `--out`/`--resume`: None without --out; never one that
    already holds a run unless resuming."""
    if out is None:
        if resume:
            raise ValueError("--resume needs --out RUN, the run directory to continue")
        return None
    rundir = RunDir(out)
    if rundir.root.exists() and not rundir.root.is_dir():
        raise ValueError(f"{out} is an existing file, not a run directory: choose another --out")
    if not resume and rundir.checkpoint("last") is not None:
        raise ValueError(f"{out} already holds a run: add --resume, or choose another --out")
    if resume and rundir.checkpoint("last") is None:
        raise FileNotFoundError(f"nothing to resume: no checkpoint in {out}")
    return rundir
