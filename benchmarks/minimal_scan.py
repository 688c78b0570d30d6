"""minGRU/minLSTM: the ways to run their scan over time, forward+backward, against torch.nn.GRU.

    python -m benchmarks.minimal_scan [--repeats 7] [--shapes 1024,200] [--json-out FILE]

Candidates, each the whole layer (input GEMM, gates, scan) or the scan alone:

- ``kernel`` (``layer/auto``): rnnkit's C loop (``KernelScan``), what ``auto`` runs on
  the CPU;
- ``parallel``: the chunked pure-PyTorch scan (``ParallelScan``), the fallback;
- ``logspace``: Heinsen's (2023) log-space scan, ``exp(a*_t + logcumsumexp(log b - a*))``
  over complex logarithms (negative b), as reference implementations of minGRU do;
- ``reference``: the runner's per-step loop over the cell (``backend="reference"``);
- ``torch.nn.GRU`` at the same sizes (the speed target).

Single-threaded, warmed up, candidates timed in alternation, medians. The last stdout
line is JSON.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import rnnkit
from benchmarks.layers import time_alternating
from rnnkit.layers.fused import cpu, status
from rnnkit.layers.fused import scan as scan_module
from rnnkit.layers.fused.scan import scan

SHAPES = {"1024": (1024, 8, 64, 256), "200": (200, 8, 64, 256)}  # (T, B, I, H)


def logspace_scan(a: Tensor, b: Tensor, h0: Tensor) -> Tensor:
    """h_t = a_t h_{t-1} + b_t in log space (Heinsen 2023): (T, B, H) -> (T, B, H)."""
    complex_dtype = torch.complex128 if a.dtype == torch.float64 else torch.complex64
    a_star = F.pad(torch.cumsum(torch.log(a), 0), (0, 0, 0, 0, 1, 0))  # (T+1, B, H)
    log_b = torch.log(torch.cat([h0.unsqueeze(0), b]).to(complex_dtype))  # (T+1, B, H)
    log_h = a_star + torch.logcumsumexp(log_b - a_star, 0)
    return torch.exp(log_h).real[1:]


def scanner(method: str) -> Callable[..., tuple[Tensor, Tensor]]:
    """``scan`` run one particular way, for the layer to call."""
    if method == "logspace":
        return lambda a, b, h0, lengths=None: (out := logspace_scan(a, b, h0), out[-1])
    return lambda a, b, h0, lengths=None: scan(a, b, h0, lengths, method=method)


def layer_step(layer: nn.Module, x: Tensor, method: str | None) -> Callable[[], None]:
    """Forward+backward of the layer; ``method`` runs its scan one particular way."""

    def run() -> None:
        layer.zero_grad(set_to_none=True)
        if method is not None:
            scan_module.scan = scanner(method)
        try:
            out = layer(x)[0]
        finally:
            scan_module.scan = scan
        out.sum().backward()

    return run


def scan_step(a: Tensor, b: Tensor, h0: Tensor, method: str) -> Callable[[], None]:
    """Forward+backward of the scan alone, from given coefficients."""

    def run() -> None:
        a.grad = b.grad = None
        out = logspace_scan(a, b, h0) if method == "logspace" else scan(a, b, h0, method=method)[0]
        out.sum().backward()

    return run


def bench(shape: str, cell: str, repeats: int, warmup: int) -> list[dict]:
    T, B, I, H = SHAPES[shape]
    torch.manual_seed(0)
    x = torch.randn(T, B, I)
    cls = {"mingru": rnnkit.MinGRU, "minlstm": rnnkit.MinLSTM}[cell]
    layer = cls(I, H)
    ref = cls(I, H, backend="reference")
    ref.load_state_dict(layer.state_dict())
    fns = {"torch.nn.GRU": layer_step(nn.GRU(I, H), x, None)}
    fns["layer/auto"] = layer_step(layer, x, None)  # the C scan
    for method in ("parallel", "logspace"):
        fns[f"layer/{method}"] = layer_step(layer, x, method)
    fns["layer/reference"] = layer_step(ref, x, None)
    with torch.no_grad():
        a, b, _ = layer.cell(0).coefficients(layer.cell(0).project_input(x))
    a, b = a.clone().requires_grad_(), b.clone().requires_grad_()
    h0 = x.new_zeros(B, H)
    for method in ("kernel", "parallel", "logspace"):
        fns[f"scan/{method}"] = scan_step(a, b, h0, method)
    medians = time_alternating(fns, repeats, warmup)
    gru = medians["torch.nn.GRU"]
    return [
        {
            "cell": cell,
            "T": T,
            "B": B,
            "I": I,
            "H": H,
            "candidate": name,
            "ms": round(s * 1e3, 2),
            "speedup_vs_torch_gru": round(gru / s, 2),
        }
        for name, s in medians.items()
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=7, help="timed runs per candidate (median)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    p.add_argument("--shapes", default="1024,200", help=f"comma-separated, of {', '.join(SHAPES)}")
    p.add_argument("--cells", default="mingru,minlstm", help="comma-separated: mingru, minlstm")
    p.add_argument("--json-out", help="also write the rows to this JSON file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    print(f"{cpu.describe()}; fused kernels: {status()}")
    print(f"torch {torch.__version__}, 1 thread, float32")
    rows = []
    for shape in args.shapes.split(","):
        for cell in args.cells.split(","):
            for r in bench(shape, cell, args.repeats, args.warmup):
                rows.append(r)
                print(
                    f"{r['cell']:8} T={r['T']:<5} {r['candidate']:16} {r['ms']:9.2f} ms  "
                    f"x{r['speedup_vs_torch_gru']:.2f} vs torch.nn.GRU",
                    flush=True,
                )
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(rows, f, indent=1)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
