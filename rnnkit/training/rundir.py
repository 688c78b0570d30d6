"""Run directories: layout, atomic writes, one writer, bounded reads.

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
    .lock              the writer lock (rnnkit.training.lock)

Writers: one process at a time holds the run's lock (:meth:`RunDir.lock`), taken before
its first write (``create``, ``write_config``, ``save_artifact``, ``commit``). Every file is
written to a temporary name, fsynced and renamed over the target. A checkpoint directory
is built whole as `last.new/`, then swapped in: where the OS exchanges two directories
atomically (Linux's renameat2), `last/` and `last.new/` trade places in one step, so
`last/` never disappears; elsewhere with two renames (`last` -> `last.old`, `last.new` ->
`last`), and a reader that finds no complete `last/` takes `last.new/` or `last.old/`. A
process killed at any moment leaves a loadable checkpoint.

Readers never take the lock and never wait: they see whole files, a checkpoint's
directory stays in place while it is read (with the exchange), and a line of
metrics.jsonl still being written is not read as a record. A run's JSON files are read
with a size cap (:data:`JSON_LIMIT`), and only when they are regular files, so a
config.json that is a FIFO, a device or huge is a one-line error, not a hang.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import stat
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from rnnkit import __version__
from rnnkit.data.atomic import atomic_open, atomic_write, fsync_dir, write_json_atomic
from rnnkit.training import lock

__all__ = ["JSON_LIMIT", "RunDir", "atomic_open", "atomic_write", "fsync_dir", "read_json"]
__all__ += ["write_json"]

COMPLETE = "checkpoint.json"  # the file written last into a checkpoint directory
JSON_LIMIT = 64 << 20  # bytes: the largest JSON file of a run (config, result, artefacts)


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write `obj` as indented JSON."""
    write_json_atomic(path, obj)


def read_json(path: str | Path, limit: int = JSON_LIMIT) -> Any:
    """Parse a JSON file of at most `limit` bytes; a missing, unreadable, oversized or
    corrupt file, or one that is not a regular file, is a one-line error naming it."""
    data = read_bounded(path, limit)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is corrupt (not valid JSON: {e})") from None


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Opened without blocking (a
    FIFO does not hang) and read no further than the limit (a device does not fill memory)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except OSError as e:
        raise OSError(f"{path}: cannot read ({e.strerror})") from None
    try:
        info = os.fstat(fd)
        too_big = f"{path} is over {_mib(limit)}, the limit for a run's JSON files"
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(
                f"{path} is not a regular file (a run's JSON files are regular "
                f"files of at most {_mib(limit)})"
            )
        if info.st_size > limit:
            raise ValueError(too_big)
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while being read
                raise ValueError(too_big)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _mib(n: int) -> str:
    return f"{n >> 20} MiB" if n and n % (1 << 20) == 0 else f"{n:,} bytes"


class RunDir:
    """A run directory: config, artefacts, metrics and the `last` / `best` checkpoints."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._release: weakref.finalize | None = None  # gives the writer lock back

    def lock(self) -> RunDir:
        """Take the run's writer lock for this process (the directory is made if missing);
        held until :meth:`unlock`, until this object is gone, or until the process exits.
        Every method that writes takes it first. Another process holding it is a one-line
        :class:`rnnkit.training.lock.RunLocked`."""
        if self._release is None or not self._release.alive:
            key = lock.acquire(self.root)
            self._release = weakref.finalize(self, lock.release, key)
        return self

    def unlock(self) -> None:
        """Give the writer lock back (a no-op when not held)."""
        if self._release is not None:
            self._release()

    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.root / "metrics.jsonl"

    def create(self) -> RunDir:
        """Take the writer lock, make the directory, and finish or undo what a killed
        process left half done: a complete ``tag.new/`` whose swap was cut short becomes
        ``tag/``; an incomplete one is dropped; ``tag.old/`` goes once ``tag/`` is complete."""
        self.lock()
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
        self.lock()
        write_json(self.config_path, {"rnnkit": __version__, **config})

    def read_config(self) -> dict[str, Any]:
        if not self.config_path.exists():
            raise FileNotFoundError(f"{self.root} is not a run directory (no config.json)")
        return read_json(self.config_path)

    def save_artifact(self, name: str, obj: Any) -> None:
        """Store a task artefact (vocabulary, scaler, ...) as RUN/<name>.json."""
        self.lock()
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
        self.lock()
        new, final, old = (self.root / f"{tag}{s}" for s in (".new", "", ".old"))
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        fill(new)
        if not final.exists():  # the first: marked once in place, never seen as `.new`
            fsync_dir(new)
            os.replace(new, final)
            write_json(final / COMPLETE, meta)
        else:
            write_json(new / COMPLETE, meta)
            fsync_dir(new)
            if not _exchange(new, final):  # `final` goes away for a moment
                shutil.rmtree(old, ignore_errors=True)
                os.replace(final, old)
                os.replace(new, final)
        fsync_dir(self.root)
        shutil.rmtree(new, ignore_errors=True)  # the previous checkpoint, after an exchange
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


@cache
def _renameat2() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2 with RENAME_EXCHANGE);
    False where the OS or the file system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, f"{a} <-> {b}: {os.strerror(code)}")
