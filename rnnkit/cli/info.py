"""`rnnkit info`: versions, threads and the fast backends this machine has."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

import torch

from rnnkit import __version__
from rnnkit.cli.common import Console
from rnnkit.layers.fused import status as fused_status
from rnnkit.tasks.registry import Command
from rnnkit.training.precision import native_bf16, resolve


def info() -> dict:
    """Facts about this installation, as a JSON-serialisable dict."""
    return {
        "rnnkit": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "fused_kernels": fused_status(),  # rnnkit's CPU kernels: built, or why not
        "cuda": bool(torch.cuda.is_available()),
        "cudnn": bool(torch.backends.cudnn.is_available()) if torch.cuda.is_available() else False,
        "cuda_devices": torch.cuda.device_count(),
        "gloo": bool(torch.distributed.is_available() and torch.distributed.is_gloo_available()),
        "nccl": bool(torch.distributed.is_available() and torch.distributed.is_nccl_available()),
        "cpu_bf16": native_bf16("cpu"),  # AVX512-BF16 or AMX: bfloat16 autocast is native
        "auto_precision": resolve("auto", "cpu")[0],  # what --precision auto trains in here
        "onnx_export": _onnx(),  # rnnkit export: onnx and onnxruntime, or how to get them
    }


def _onnx() -> str:
    try:
        return f"onnx {version('onnx')}, onnxruntime {version('onnxruntime')}"
    except PackageNotFoundError:
        return "unavailable: pip install 'rnnkit[export]'"


def run(console: Console, *, seed: int) -> dict:
    facts = info()
    for key, value in facts.items():
        console.say(f"{key:>14}: {value}")
    return facts


COMMAND = Command(("info",), "print versions, threads and available fast backends", run)
