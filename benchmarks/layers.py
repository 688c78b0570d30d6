"""Forward+backward time of rnnkit layers against torch.nn, and their share of SGEMM.

    python -m benchmarks.layers [--repeats 7] [--variants gru,rnn,...] [--quick]
                                [--backends auto,reference] [--threads 1]
                                [--precision fp32|bf16] [--json-out FILE]

Single-threaded by default (``--threads N`` for more), warmed up, the candidates timed
in alternation, medians of ``--repeats`` runs; the CPU (model, cores, vector features)
and the fused kernels' GEMM choice are printed with every table. The ratio is
torch.nn time / rnnkit time:
above 1 rnnkit is faster. The LSTM variants are compared with torch.nn.LSTM, minGRU
with torch.nn.GRU, minLSTM with torch.nn.LSTM. GFLOP/s counts the layer's GEMM work
(input projection, recurrent term and both weight gradients; the input needs no
gradient) and is shown as a share of the single-thread SGEMM rate (``torch.mm`` at
1024^3) measured in the same run; the oneDNN GEMM rate is printed beside it, since on
some CPUs (AMD's, where MKL does not use AVX-512) the two differ by 2x. With
``--precision bf16`` both run under ``torch.autocast("cpu", dtype=torch.bfloat16)`` and
each rnnkit row also gives its speed against its own float32 run (``vs fp32``): the
fused kernels' bfloat16 products (AVX512-BF16 CPUs). The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

import rnnkit
from rnnkit.layers.fused import cpu
from rnnkit.layers.fused import status as fused_status

SHAPES = {  # name -> (T, B, I, H)
    "A": (100, 32, 64, 128),
    "B": (256, 16, 128, 256),
    "long": (1024, 8, 64, 256),
}
VARIANTS = {  # name -> (rnnkit layer, options, torch.nn peer, gates G, recurrent weights)
    "rnn": (rnnkit.RNN, {}, nn.RNN, 1, True),
    "gru": (rnnkit.GRU, {}, nn.GRU, 3, True),
    "gru-cho": (rnnkit.GRU, {"reset_after": False}, nn.GRU, 3, True),
    "lstm": (rnnkit.LSTM, {}, nn.LSTM, 4, True),
    "lstm-peephole": (rnnkit.LSTM, {"peephole": True}, nn.LSTM, 4, True),
    "lstm-layernorm": (rnnkit.LSTM, {"layer_norm": True}, nn.LSTM, 4, True),
    "mingru": ("MinGRU", {}, nn.GRU, 2, False),
    "minlstm": ("MinLSTM", {}, nn.LSTM, 3, False),
}
DEFAULT = "rnn,gru,lstm,lstm-peephole,lstm-layernorm,mingru"


def fwd_bwd(layer: nn.Module, x: torch.Tensor, bf16: bool = False) -> Callable[[], None]:
    """One training step's recurrent work: forward (under bf16 autocast if asked), then
    backward of a scalar."""

    def run() -> None:
        layer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out, _ = layer(x)
        out.float().sum().backward()

    return run


def time_alternating(fns: dict[str, Callable[[], None]], repeats: int, warmup: int) -> dict:
    """Median seconds per call of each function, interleaving them run by run."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def gemm_rates(repeats: int = 5) -> dict[str, float]:
    """Single-thread GFLOP/s of torch.mm (MKL/OpenBLAS) and of oneDNN's linear at 1024^3."""
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    fns = {"sgemm": lambda: torch.mm(a, b)}
    if torch.backends.mkldnn.is_available():
        fns["onednn"] = lambda: torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], "")
    medians = time_alternating(fns, repeats, 1)
    return {k: 2 * n**3 / s / 1e9 for k, s in medians.items()}


def flops(T: int, B: int, I: int, H: int, G: int, recurrent: bool) -> float:
    """GEMM FLOPs of forward+backward: W_ih x and dW_ih; W_hh h, dL/dh and dW_hh."""
    per_row = 2 * G * H * (2 * I + (3 * H if recurrent else 0))
    return float(T * B * per_row)


def _layer(cls, I: int, H: int, backend: str, options: dict) -> nn.Module:
    if isinstance(cls, str):
        cls = getattr(rnnkit, cls)
    return cls(I, H, backend=backend, **options)


def bench_variant(
    variant: str,
    shape: str,
    backends: list[str],
    repeats: int,
    warmup: int,
    sgemm: float,
    bf16: bool = False,
) -> list[dict]:
    cls, options, peer, G, recurrent = VARIANTS[variant]
    T, B, I, H = SHAPES[shape]
    torch.manual_seed(0)
    x = torch.randn(T, B, I)
    fns = {"torch.nn": fwd_bwd(peer(I, H), x, bf16)}
    layers = {b: _layer(cls, I, H, b, options) for b in backends}
    layers = {b: layer for b, layer in layers.items() if b == "auto" or layer.chosen_backend == b}
    for backend, layer in layers.items():
        fns[backend] = fwd_bwd(layer, x, bf16)
        if bf16:
            fns[backend + " fp32"] = fwd_bwd(layer, x)
    medians = time_alternating(fns, repeats, warmup)
    work = flops(T, B, I, H, G, recurrent)
    rows = []
    for backend, layer in layers.items():
        seconds = medians[backend]
        rows.append(
            {
                "variant": variant,
                "shape": shape,
                "backend": backend,
                "runs": layer.chosen_backend,
                "T": T,
                "B": B,
                "I": I,
                "H": H,
                "peer": peer.__name__,
                "torch_ms": round(medians["torch.nn"] * 1e3, 2),
                "rnnkit_ms": round(seconds * 1e3, 2),
                "ratio": round(medians["torch.nn"] / seconds, 3),
                "gflops": round(work / seconds / 1e9, 1),
                "sgemm_share": round(work / seconds / 1e9 / sgemm, 3),
                "peer_sgemm_share": round(work / medians["torch.nn"] / 1e9 / sgemm, 3),
                "precision": "bf16" if bf16 else "fp32",
                "vs_fp32": round(medians[backend + " fp32"] / seconds, 3) if bf16 else None,
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    head = (
        "| layer | shape (T, B, I, H) | backend (runs) | torch.nn ms | rnnkit ms | ratio | "
        "GFLOP/s | % SGEMM (torch.nn's) |"
    )
    bf16 = any(r.get("vs_fp32") for r in rows)
    if bf16:
        head += " vs fp32 |"
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|" + ("---:|" if bf16 else "")]
    for r in rows:
        line = (
            f"| {r['variant']} vs {r['peer']} | {r['shape']} ({r['T']}, {r['B']}, {r['I']}, "
            f"{r['H']}) | {r['backend']} ({r['runs']}) | {r['torch_ms']:.1f} | "
            f"{r['rnnkit_ms']:.1f} | {r['ratio']:.2f} | {r['gflops']:.0f} | "
            f"{100 * r['sgemm_share']:.0f}% ({100 * r['peer_sgemm_share']:.0f}%) |"
        )
        lines.append(line + (f" {r['vs_fp32']:.2f} |" if bf16 else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=7, help="timed runs per candidate (median)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    p.add_argument("--variants", default=DEFAULT, help=f"comma-separated, of {', '.join(VARIANTS)}")
    p.add_argument("--shapes", default="A,B,long", help="comma-separated, of A, B, long")
    p.add_argument(
        "--backends", default="auto", help="comma-separated rnnkit backends to time (auto, ...)"
    )
    p.add_argument("--threads", type=int, default=1, help="torch's intra-op threads")
    p.add_argument(
        "--precision", choices=("fp32", "bf16"), default="fp32", help="bf16: under autocast"
    )
    p.add_argument("--quick", action="store_true", help="shape A only, 3 repeats")
    p.add_argument("--json-out", help="also write the rows to this JSON file")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    shapes = ["A"] if args.quick else args.shapes.split(",")
    repeats = 3 if args.quick else args.repeats
    for name, known in ((args.variants, VARIANTS), (",".join(shapes), SHAPES)):
        unknown = [v for v in name.split(",") if v not in known]
        if unknown:
            p.error(f"unknown {unknown[0]!r}; choose from {', '.join(known)}")
    rates = gemm_rates()
    machine = cpu.describe()
    print(machine)
    print(f"fused kernels: {fused_status()}")
    print(
        "single-thread GEMM at 1024^3: "
        + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in rates.items())
    )
    rows = []
    for shape in shapes:
        for variant in args.variants.split(","):
            rows += bench_variant(
                variant,
                shape,
                args.backends.split(","),
                repeats,
                args.warmup,
                rates["sgemm"],
                bf16=args.precision == "bf16",
            )
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    print()
    threads = f"{args.threads} thread" + ("s" if args.threads > 1 else "")
    precision = "bfloat16 autocast" if args.precision == "bf16" else "float32"
    print(f"{machine}; torch {torch.__version__}, {threads}, {precision}, forward+backward,")
    print(f"median of {repeats}")
    print(markdown(rows))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"cpu": machine, "gemm": rates, "rows": rows}, f, indent=1)
    print(json.dumps({"cpu": machine, "gemm": rates, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
