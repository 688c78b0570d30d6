"""Which GEMM the kernels' per-step float32 products use: decided once per CPU, recorded.

Two candidates: rnnkit's register-blocked micro-kernel (``own``, 16-wide vectors) and
torch's BLAS (``blas``: MKL on x86 wheels, which on AMD CPUs runs its AVX2 code). The
choice starts from the CPU's features — ``own`` where the CPU has AVX-512 — and a
measurement at recurrent-step shapes (both paths alternated, medians of several rounds)
overrides that only when the other path is clearly faster (by ``MARGIN``). The result,
with its reason and the rates measured, is written once per CPU, torch version and
kernel source to the kernels' cache (``gemm-<key>.json``) and read by every later process,
so a busy moment at start-up cannot flip a process's speed. ``RNNKIT_GEMM=own|blas``
forces either; deleting the record measures again.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from rnnkit.layers.fused import cpu

PROBES = ((32, 128, 512), (16, 256, 768), (8, 256, 1024), (64, 128, 384))  # (B, H, G*H)
ROUNDS, REPS, MARGIN = 9, 20, 1.15


@dataclass
class GemmChoice:
    """The per-step GEMM in use and why."""

    gemm: str  # "own" (rnnkit's micro-kernel) or "blas" (torch's BLAS)
    reason: str  # one line: forced, or the prior and the rates measured
    own_gflops: float | None = None  # measured rate of each path (None: not measured)
    blas_gflops: float | None = None
    cpu: str = ""  # the CPU it was decided on
    recorded: str = ""  # where the decision is kept ("" when forced)


def choose(lib: ctypes.CDLL, cache: Path, sources: bytes) -> GemmChoice:
    """The recorded choice for this CPU, else measure, record and return it."""
    forced = os.environ.get("RNNKIT_GEMM", "auto").lower()
    if forced in ("own", "blas"):
        return GemmChoice(forced, f"forced by RNNKIT_GEMM={forced}", cpu=cpu.model())
    path = cache / f"gemm-{_key(sources)}.json"
    found = _read(path)
    if found is not None:
        return found
    choice = _measure(lib)
    choice.recorded = str(path)
    _write(path, choice)
    return choice


def _key(sources: bytes) -> str:
    text = f"{cpu.identity()}|{torch.__version__}|".encode() + sources
    return hashlib.sha256(text).hexdigest()[:16]


def _read(path: Path) -> GemmChoice | None:
    try:
        data = json.loads(path.read_text()[:4096])
        choice = GemmChoice(**data)
    except (OSError, ValueError, TypeError):
        return None  # none yet, or unreadable: measure again
    return choice if choice.gemm in ("own", "blas") else None


def _write(path: Path, choice: GemmChoice) -> None:
    """Atomically: a concurrent reader sees the whole record or none."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as f:
            json.dump(asdict(choice), f, indent=1)
        os.replace(f.name, path)
    except OSError:
        pass  # a read-only cache: the choice holds for this process only


def _measure(lib: ctypes.CDLL) -> GemmChoice:
    """Both paths at recurrent-step shapes; the CPU's prior unless clearly beaten."""
    own, blas = _rates(lib)
    prior = "own" if "avx512f" in cpu.flags() else "blas"
    why = "the CPU has AVX-512" if prior == "own" else "no AVX-512 on this CPU"
    other = "blas" if prior == "own" else "own"
    rate = {"own": own, "blas": blas}
    gemm = other if rate[other] > MARGIN * rate[prior] else prior
    verdict = why if gemm == prior else f"measured faster although {why}"
    reason = f"{verdict}; measured {own:.0f} GFLOP/s (micro-kernel), {blas:.0f} (BLAS)"
    return GemmChoice(gemm, reason, round(own, 1), round(blas, 1), cpu.model())


def _rates(lib: ctypes.CDLL) -> tuple[float, float]:
    """Median GFLOP/s of (own, blas) over the probe shapes, the two alternated per round."""
    g = torch.Generator().manual_seed(0)  # leaves the caller's random state alone
    shapes = []
    for M, K, N in PROBES:
        a, b, c = torch.randn(M, K, generator=g), torch.randn(K, N, generator=g), torch.empty(M, N)
        shapes.append((M, K, N, (a, b, c), [ctypes.c_void_p(t.data_ptr()) for t in (a, b, c)]))
    rates: dict[int, list[float]] = {1: [], 0: []}
    for _ in range(ROUNDS + 1):  # the first round warms up
        for own in (1, 0):
            flops = seconds = 0.0
            for M, K, N, _, ptrs in shapes:
                start = time.perf_counter()
                lib.rk_gemm_probe(own, REPS, M, N, K, *ptrs)
                seconds += time.perf_counter() - start
                flops += 2.0 * M * N * K * REPS
            rates[own].append(flops / seconds / 1e9)
    return statistics.median(rates[1][1:]), statistics.median(rates[0][1:])
