"""Reduced precision: bfloat16 autocast where the hardware computes it natively.

``--precision fp32|bf16|auto`` (TrainConfig.precision) chooses how training's forward
passes run. ``bf16`` runs them under ``torch.autocast(device, dtype=torch.bfloat16)``:
matrix products (embedding-to-gate projections, oneDNN's LSTM, the read-out) take
bfloat16 inputs, while the parameters, the optimizer state, the parameters' gradients,
the loss and the state carried between batches stay float32; evaluation runs in float32.
``auto`` picks bf16 only where the device computes it natively (a CPU with AVX512-BF16 or
AMX; a CUDA GPU for which ``torch.cuda.is_bf16_supported()``), float32 elsewhere. An
explicit ``bf16`` on a device without it falls back to float32 with a one-line note:
emulated bfloat16 is slower than float32 there.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import torch

from rnnkit.training.errors import RunWarning
from rnnkit.training.tree import map_tensors

Precision = Literal["fp32", "bf16", "auto"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of native bfloat16 arithmetic


def device_type(device: str | torch.device) -> str:
    """ "cpu" or "cuda" (autocast's device_type) of a device or its name ("cuda:1")."""
    return torch.device(device).type


def native_bf16(device: str | torch.device = "cpu") -> bool:
    """Whether ``device`` computes bfloat16 natively (so bf16 is faster, not emulated)."""
    kind = device_type(device)
    if kind == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if kind != "cpu":
        return False
    return _cpu_bf16()


@cache
def _cpu_bf16() -> bool:
    flags = _cpuinfo_flags()
    if flags is not None:
        return any(f in flags for f in CPU_FLAGS)
    return _torch_cpu_bf16()  # no /proc/cpuinfo (macOS, Windows): ask torch's cpuinfo


def _torch_cpu_bf16() -> bool:
    """torch's own CPU probe (private helpers of torch.cpu; False where they are missing)."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def _cpuinfo_flags(path: str = "/proc/cpuinfo") -> set[str] | None:
    """The CPU feature flags Linux reports, or None where there is no such file."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def resolve(precision: str, device: str | torch.device = "cpu") -> tuple[str, str | None]:
    """("fp32" | "bf16", a note or None): what ``precision`` means on ``device``.

    The note says why an explicit "bf16" falls back to float32; "auto" falls back quietly.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "fp32":
        return "fp32", None
    if native_bf16(device):
        return "bf16", None
    if precision == "auto":
        return "fp32", None
    return "fp32", _no_bf16(device)


def _no_bf16(device: str | torch.device) -> str:
    if device_type(device) == "cuda":
        return "this GPU has no native bfloat16; running in float32"
    if device_type(device) == "cpu":
        return "this CPU has no native bfloat16 (AVX512-BF16 or AMX); running in float32"
    return f"no bfloat16 autocast on {device}; running in float32"


@contextlib.contextmanager
def autocast(resolved: str, device: str | torch.device = "cpu") -> Iterator[None]:
    """bfloat16 autocast on ``device`` when ``resolved`` is "bf16"; nothing for "fp32"."""
    if resolved == "bf16":
        with torch.autocast(device_type(device), dtype=torch.bfloat16):
            yield
    else:
        yield


def as_float32(state: Any) -> Any:
    """``state`` (a tree of tensors) with its bfloat16 tensors in float32.

    Under autocast some recurrent layers return bfloat16 states (oneDNN's LSTM) that
    they refuse as the next call's input; carried state is kept in the weights' dtype.
    """
    return map_tensors(state, lambda t: t.float() if t.dtype == torch.bfloat16 else t)


def warn(note: str) -> None:
    """The fallback note as a run warning (one line from the command line)."""
    warnings.warn(RunWarning(note), stacklevel=3)
