"""Compile the fused kernels on first use, cache the build, and load it.

The kernels (``kernels.c`` with ``cells.inc`` and ``scan.inc``) are plain C: they need
a C compiler (``cc``, ``gcc`` or ``clang``) and torch's BLAS (the ``sgemm_``/``dgemm_``
that torch's CPU library exports; the x86 wheels carry MKL). The build is cached per
source, compiler flags and CPU (``$RNNKIT_CACHE``, else ``$XDG_CACHE_HOME/rnnkit`` or
``~/.cache/rnnkit``), written atomically, so a second process loads it in
milliseconds. When any of this is missing, :func:`load` returns None and
:func:`status` says why; the layers then use torch's kernels or the reference loop.
``RNNKIT_FUSED=off`` disables the kernels. The per-step float32 GEMMs use rnnkit's
micro-kernel or torch's BLAS, decided once per CPU and recorded with its reason
(:mod:`rnnkit.layers.fused.choice`; ``RNNKIT_GEMM=own|blas`` forces one).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import torch

from rnnkit.layers.fused import cpu
from rnnkit.layers.fused.choice import GemmChoice, choose
from rnnkit.layers.fused.memory import keep_freed_memory

HERE = Path(__file__).parent
SOURCES = ("kernels.c", "norms.inc", "cells.inc", "scan.inc", "products.inc", "step.inc")
SOURCES += ("bf16.inc",)
NO_CHOICE = GemmChoice("blas", "not decided yet")
FLAGS = ["-O3", "-fPIC", "-shared", "-fopenmp-simd", "-fno-math-errno", "-fno-trapping-math"]
NATIVE = ["-march=native"]  # the build is cached per CPU, so it may use all of its vector units


class Kernels:
    """The loaded library, where it came from and which GEMM its float32 loops use."""

    def __init__(self, lib: ctypes.CDLL, path: Path) -> None:
        self.lib = lib
        self.path = path
        self.gemm = "blas"
        self.choice = NO_CHOICE  # how the GEMM was chosen (see choice.py)
        self.bf16 = bool(lib.rk_has_bf16())  # bfloat16 products built (AVX512-BF16)

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
    c = k.choice
    where = f"; recorded in {c.recorded}" if c.recorded else ""
    return f"compiled ({k.path}); per-step GEMMs by {gemm}: {c.reason}{where}"


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
    kernels.choice = choose(lib, path.parent.parent, _sources())
    kernels.use_own_gemm(kernels.choice.gemm == "own")
    return kernels


def _sources() -> bytes:
    return b"".join((HERE / name).read_bytes() for name in SOURCES)


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


def _build(compiler: str) -> Path:
    digest = hashlib.sha256(_sources())
    digest.update(" ".join([compiler, *FLAGS, *NATIVE, cpu.identity()]).encode())
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
