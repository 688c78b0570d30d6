"""One writer per run directory: an OS file lock on ``RUN/.lock``.

A training process takes the lock before it writes anything into a run directory (under
torchrun, rank 0 alone, the only rank that writes) and holds it until it is done. The
lock is ``flock(2)`` on the file ``.lock``: the kernel releases it when the process
exits, however it exits (``kill -9`` included), so a lock is never stale and there is
nothing to clean up. The file itself stays; it holds the pid and start time of the
latest holder, which a refused writer names. The lock belongs to the process: other
``RunDir`` objects of the same directory in the same process share it. Readers (eval,
sample, predict, export, serve) never take it and never wait for it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rnnkit.training.errors import TrainingError

LOCK_FILE = ".lock"
_STAMP = "%Y-%m-%d %H:%M:%S"


class RunLocked(TrainingError):
    """Another process is writing the run directory."""


@dataclass
class _Held:
    fd: int
    count: int  # RunDir objects of this process holding it


_held: dict[tuple[int, int], _Held] = {}  # by the lock file's (device, inode)
_guard = threading.Lock()


def acquire(root: Path) -> tuple[int, int]:
    """Take the writer lock of run directory `root` (made if missing) for this process;
    return the key to :func:`release` it with. Another process holding it is a
    :class:`RunLocked` naming that process."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    fd = _open(path)
    key = (os.fstat(fd).st_dev, os.fstat(fd).st_ino)
    with _guard:
        if key in _held:  # this process holds it already
            os.close(fd)
            _held[key].count += 1
            return key
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RunLocked(
                    f"{root} is being written by {holder(path)}; "
                    "wait for it or choose another --out"
                ) from None
            raise OSError(f"{path}: cannot lock the run directory ({e.strerror})") from None
        _stamp(fd)
        _held[key] = _Held(fd, 1)
        return key


def release(key: tuple[int, int]) -> None:
    """Give back one hold of the lock; the last one unlocks it."""
    with _guard:
        held = _held.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count == 0:
            del _held[key]
            fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)


def holder(path: Path, tries: int = 20) -> str:
    """Who holds the lock, as written in the lock file: "process PID (started ...)".
    Only a well-formed record is shown (the file may come with a received run)."""
    for _ in range(tries):
        found = _read_holder(path)
        if found is not None:
            return found
        time.sleep(0.05)  # the holder has the lock but has not written its record yet
    return "another process"


def _open(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ValueError(f"{path} is a symbolic link, not a lock file: remove it") from None
        raise OSError(f"{path}: cannot open the run's lock file ({e.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{path} is not a regular file, not a lock file: remove it")
    return fd


def _stamp(fd: int) -> None:
    record = {"pid": os.getpid(), "started": time.strftime(_STAMP)}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)


def _read_holder(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        record = json.loads(os.read(fd, 256))
        pid, started = record["pid"], record["started"]
        time.strptime(started, _STAMP)
    except (ValueError, KeyError, TypeError, OSError):
        return None
    finally:
        os.close(fd)
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 2**31 or not _alive(pid):
        return None  # not a record, or a former holder's
    return f"process {pid} (started {started})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
