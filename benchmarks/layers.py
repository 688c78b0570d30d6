"""Forward+backward time of rnnkit layers, per backend, against torch.nn.

    python -m benchmarks.layers [--repeats 7] [--cells rnn,lstm,gru] [--json-out FILE]

Single-threaded (``torch.set_num_threads(1)``), warmed up, the candidates timed in
alternation, medians of ``--repeats`` runs. The ratio is torch.nn time / rnnkit
time: above 1 rnnkit is faster, below 1 slower. The last stdout line is JSON.
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

SHAPES = [  # (T, B, I, H)
    (100, 32, 64, 128),
    (256, 16, 128, 256),
]
TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
OURS = {"rnn": rnnkit.RNN, "lstm": rnnkit.LSTM, "gru": rnnkit.GRU}
VARIANTS = {  # name -> (cell, rnnkit constructor options)
    "rnn": ("rnn", {}),
    "lstm": ("lstm", {}),
    "gru": ("gru", {}),
    "lstm-peephole": ("lstm", {"peephole": True}),
    "lstm-layernorm": ("lstm", {"layer_norm": True}),
}


def fwd_bwd(layer: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    """One training step's recurrent work: forward, then backward of a scalar."""

    def run() -> None:
        layer.zero_grad(set_to_none=True)
        out, _ = layer(x)
        out.sum().backward()

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


def bench_variant(variant: str, shape: tuple[int, ...], repeats: int, warmup: int) -> list[dict]:
    cell, options = VARIANTS[variant]
    T, B, I, H = shape
    torch.manual_seed(0)
    x = torch.randn(T, B, I)
    reference = TORCH[cell](I, H)
    fns = {"torch.nn": fwd_bwd(reference, x)}
    backends = ("auto", "reference") if not options else ("auto",)
    for backend in backends:
        layer = OURS[cell](I, H, backend=backend, **options)
        layer.load_state_dict(reference.state_dict(), strict=not options)
        fns[backend] = fwd_bwd(layer, x)
    medians = time_alternating(fns, repeats, warmup)
    rows = []
    for backend in backends:
        used = "native" if OURS[cell](I, H, backend=backend, **options).uses_native else "reference"
        rows.append(
            {
                "variant": variant,
                "backend": backend,
                "runs": used,
                "T": T,
                "B": B,
                "I": I,
                "H": H,
                "torch_ms": round(medians["torch.nn"] * 1e3, 2),
                "rnnkit_ms": round(medians[backend] * 1e3, 2),
                "ratio": round(medians["torch.nn"] / medians[backend], 3),
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    head = "| layer | backend (runs) | T, B, I, H | torch.nn ms | rnnkit ms | ratio |"
    lines = [head, "|---|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['backend']} ({r['runs']}) | {r['T']}, {r['B']}, {r['I']}, "
            f"{r['H']} | {r['torch_ms']:.1f} | {r['rnnkit_ms']:.1f} | {r['ratio']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=7, help="timed runs per candidate (median)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated variants")
    p.add_argument("--quick", action="store_true", help="first shape only, 3 repeats")
    p.add_argument("--json-out", help="also write the rows to this JSON file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    shapes = SHAPES[:1] if args.quick else SHAPES
    repeats = 3 if args.quick else args.repeats
    rows = []
    for shape in shapes:
        for variant in args.variants.split(","):
            if variant not in VARIANTS:
                p.error(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
            rows += bench_variant(variant, shape, repeats, args.warmup)
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(f"torch {torch.__version__}, 1 thread, float32, forward+backward, median of {repeats}")
    print(markdown(rows))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(rows, f, indent=1)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
