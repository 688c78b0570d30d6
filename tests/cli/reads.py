"""Which config fields a piece of code reads: the instrument of tests/cli/test_flags.py.

``track_reads()`` patches ``Config.__getattribute__`` for the duration of a ``with`` block
and records ``(class name, field)`` for every field read, except bookkeeping: reads made
inside Config's own validation, serialisation and comparison (``__post_init__`` and the
``validate`` it calls, ``fail``, ``to_dict``, ``replace``, ``first_difference``) and
inside ``rnnkit.config.untracked()`` blocks (printing a setting, choosing defaults).
Only the thread that started tracking is recorded.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from rnnkit import config as config_module
from rnnkit.config import Config, untracked

BOOKKEEPING = {
    Config.__post_init__.__code__,
    Config.fail.__code__,
    Config.to_dict.__code__,
    Config.replace.__code__,
    config_module.first_difference.__code__,
}


@contextmanager
def track_reads() -> Iterator[set[tuple[str, str]]]:
    """Within the block, the set of (class, field) read outside bookkeeping."""
    reads: set[tuple[str, str]] = set()
    thread = threading.get_ident()
    depth = [0]  # untracked() blocks entered on the tracked thread

    def getattribute(self: Config, name: str) -> Any:
        key = (type(self).__name__, name)
        if (
            key not in reads
            and name in type(self).__dataclass_fields__
            and threading.get_ident() == thread
            and not depth[0]
            and not _in_bookkeeping(sys._getframe(1))
        ):
            reads.add(key)
        return object.__getattribute__(self, name)

    def enter(self: untracked) -> None:
        if threading.get_ident() == thread:
            depth[0] += 1

    def exit(self: untracked, *exc: object) -> None:
        if threading.get_ident() == thread:
            depth[0] -= 1

    with (
        mock.patch.object(Config, "__getattribute__", getattribute),
        mock.patch.object(untracked, "__enter__", enter),
        mock.patch.object(untracked, "__exit__", exit),
    ):
        yield reads


def _in_bookkeeping(frame: Any) -> bool:
    while frame is not None:
        if frame.f_code in BOOKKEEPING:
            return True
        frame = frame.f_back
    return False
