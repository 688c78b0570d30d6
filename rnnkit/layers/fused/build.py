"""Compile the fused kernels on first use, cache the build, and load it.

The kernels (``kernels.c`` with ``cells.inc`` and ``scan.inc``) are plain C: they need
a C compiler (``cc``, ``gcc`` or ``clang``) and torch's BLAS (the ``sgemm_``/``dgemm_``
that torch's CPU library exports; the x86 wheels carry MKL). The build is cached per
source, compiler flags and CPU (``$RNNKIT_CACHE``, else ``$XDG_CACHE_HOME/rnnkit`` or
``~/.cache/rnnkit``), written atomically, so a second process loads it in
milliseconds. When any of this is missing, :func:`load` returns None and
:func:`status` says why; the layers then use torch's kernels or the reference loop.
``RNNKIT_FUSED=off`` disables the kernels. The per-step float32 GEMMs use rnnkit's
micro-kernel or torch's BLAS, whichever a probe at load time finds faster
(``RNNKIT_GEMM=own|blas`` forces one).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import torch

from rnnkit.layers.fused.memory import keep_freed_memory

HERE = Path(__file__).parent
SOURCES = ("kernels.c", "cells.inc", "scan.inc", "products.inc", "step.inc")
FLAGS = ["-O3", "-fPIC", "-shared", "-fopenmp-simd", "-fno-math-errno", "-fno-trapping-math"]
NATIVE = ["-march=native"]  # the build is cached per CPU, so it may use all of its vector units


class Kernels:
    """The loaded library, where it came from and which GEMM its float32 loops use."""

    def __init__(self, lib: ctypes.CDLL, path: Path) -> None:
        self.lib = lib
        self.path = path
        self.gemm = "blas"

    def use_own_gemm(self, on: bool) -> None:
        """Per-step float32 GEMMs by rnnkit's micro-kernel (True) or torch's BLAS."""
        self.lib.rk_set_own_gemm(ctypes.c_int(int(on)))
        self.gemm = "own" if on else "blas"

    def call(self, name: str, *args: object) -> None:
        """Call ``name`` with ints and tensors (passed as pointers; None is NULL)."""
        fn = getattr(self.lib, name)
        fn.restype = None
        fn(*(_arg(a) for a in args))


def _arg(a: object) -> object:
    if a is None:
        return ctypes.c_void_p(None)
    if isinstance(a, torch.Tensor):
        return ctypes.c_void_p(a.data_ptr())
    if isinstance(a, bool):
        return ctypes.c_int(int(a))
    if isinstance(a, int):
        return ctypes.c_int(a)
    raise TypeError(f"cannot pass {type(a).__name__} to a kernel")


_reason = "not loaded yet"


def status() -> str:
    """One line: whether the fused kernels are in use, and from where or why not."""
    k = load()
    if k is None:
        return f"unavailable: {_reason}"
    gemm = "rnnkit's micro-kernel" if k.gemm == "own" else "torch's BLAS"
    return f"compiled, per-step GEMMs by {gemm} ({k.path})"


@cache
def load() -> Kernels | None:
    """The compiled kernels, building them first if needed; None if they cannot be had."""
    global _reason
    if os.environ.get("RNNKIT_FUSED", "").lower() in ("0", "off", "no", "false"):
        _reason = "disabled by RNNKIT_FUSED"
        return None
    gemm = _torch_gemm()
    if gemm is None:
        _reason = "torch's CPU library exports no sgemm_/dgemm_ (a non-MKL/OpenBLAS build)"
        return None
    compiler = next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)
    if compiler is None:
        _reason = "no C compiler (cc, gcc or clang) on PATH"
        return None
    try:
        path = _build(compiler)
        lib = ctypes.CDLL(str(path))
        lib.rk_set_gemm(ctypes.c_void_p(gemm[0]), ctypes.c_void_p(gemm[1]))
    except (OSError, subprocess.SubprocessError) as error:
        _reason = f"build failed ({str(error).splitlines()[0][:160]})"
        return None
    keep_freed_memory()
    kernels = Kernels(lib, path)
    choice = os.environ.get("RNNKIT_GEMM", "auto").lower()
    kernels.use_own_gemm(choice == "own" or (choice != "blas" and _own_gemm_faster(lib)))
    return kernels


PROBES = ((32, 128, 512), (16, 256, 768), (8, 256, 1024))  # (B, H, G*H) of recurrent steps


def _own_gemm_faster(lib: ctypes.CDLL, reps: int = 30) -> bool:
    """Time both float32 GEMM paths at recurrent-step shapes (a few milliseconds)."""
    total = {0: 0.0, 1: 0.0}
    g = torch.Generator().manual_seed(0)  # leaves the caller's random state alone
    for M, K, N in PROBES:
        a, b = torch.randn(M, K, generator=g), torch.randn(K, N, generator=g)
        c = torch.empty(M, N)
        ptrs = [ctypes.c_void_p(t.data_ptr()) for t in (a, b, c)]
        for own in (0, 1, 0, 1):  # alternate; the first pair warms up
            start = time.perf_counter()
            lib.rk_gemm_probe(own, reps, M, N, K, *ptrs)
            total[own] += time.perf_counter() - start
    return total[1] < 0.95 * total[0]


def _torch_gemm() -> tuple[int, int] | None:
    """Addresses of the sgemm_/dgemm_ torch itself uses, or None."""
    names = {"linux": "libtorch_cpu.so", "darwin": "libtorch_cpu.dylib"}
    name = names.get(sys.platform)
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / name))
        s, d = lib.sgemm_, lib.dgemm_
    except (OSError, AttributeError):
        return None
    return ctypes.cast(s, ctypes.c_void_p).value, ctypes.cast(d, ctypes.c_void_p).value


def _cache_dir() -> Path:
    root = os.environ.get("RNNKIT_CACHE")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rnnkit"


def _cpu() -> str:
    """The CPU's identity for the cache key: model and feature flags."""
    try:
        text = Path("/proc/cpuinfo").read_text()
        lines = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))]
        return "\n".join(sorted(set(lines)))
    except OSError:
        return platform.processor() + platform.machine()


def _build(compiler: str) -> Path:
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((HERE / name).read_bytes())
    digest.update(" ".join([compiler, *FLAGS, *NATIVE, _cpu()]).encode())
    out = _cache_dir() / "kernels" / digest.hexdigest()[:16] / "librnnkit_fused.so"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        target = Path(tmp) / out.name
        for arch in (NATIVE, []):  # a compiler without -march=native still builds
            cmd = [compiler, *FLAGS, *arch, "-o", str(target), str(HERE / "kernels.c"), "-lm"]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if done.returncode == 0:
                break
        else:
            raise subprocess.SubprocessError(done.stderr.strip() or "compiler failed")
        os.replace(target, out)  # atomic: a concurrent build or reader sees all or nothing
    return out
