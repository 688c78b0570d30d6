"""The CPU the kernels run on: model, cores and the vector features that matter to them.

Read from ``/proc/cpuinfo`` where there is one (Linux), else from ``platform``; used as
the key of the compiled kernels' cache and of the recorded GEMM choice, by ``rnnkit
info``, and printed with every benchmark table.
"""

from __future__ import annotations

import os
import platform
from functools import cache
from pathlib import Path

FEATURES = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_bf16")
FEATURES += ("amx_tile", "neon", "asimd")  # the ones the kernels or their GEMMs can use


@cache
def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def _field(name: str) -> str:
    for line in _cpuinfo().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return ""


def model() -> str:
    """The CPU's model name ("AMD EPYC", "Intel(R) Xeon(R) ...")."""
    return _field("model name") or platform.processor() or platform.machine() or "unknown CPU"


def flags() -> set[str]:
    """Every feature flag the CPU reports (empty where there is no /proc/cpuinfo)."""
    return set((_field("flags") or _field("Features")).split())


def features() -> list[str]:
    """The features in FEATURES this CPU has, in that order."""
    have = flags()
    return [f for f in FEATURES if f in have]


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def identity() -> str:
    """Model and full flag list: what a compiled build or a measured choice depends on."""
    return f"{model()}|{platform.machine()}|{' '.join(sorted(flags()))}"


def describe() -> str:
    """One line for benchmark tables and ``rnnkit info``: model, cores, key features."""
    simd = " ".join(features()) or "no SIMD flags"
    return f"{model()}, {cores()} cores, {platform.machine()}, {simd}"
