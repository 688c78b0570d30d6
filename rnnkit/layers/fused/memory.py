"""Keep freed large buffers in the process instead of returning them to the OS.

A fused call allocates a few buffers of T*B*G*H elements (megabytes). glibc serves
blocks that large with fresh ``mmap`` pages and unmaps them on free, so every call pays
page faults for all of them: a third of the time of a GRU layer at T=100, B=32, H=128.
Raising glibc's mmap threshold (64 MiB) and trim threshold (256 MiB) lets freed blocks
be reused, as a caching allocator would. This is done once, when the fused backend
first runs, on glibc only; ``RNNKIT_MALLOC=system`` leaves the allocator as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import cache

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 64 << 20  # blocks below this come from the reusable heap
TRIM_THRESHOLD = 256 << 20  # free heap kept before any is returned to the OS


@cache
def keep_freed_memory() -> bool:
    """Tune glibc's malloc once; True if it was done."""
    if not sys.platform.startswith("linux") or os.environ.get("RNNKIT_MALLOC") == "system":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    return ok and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
