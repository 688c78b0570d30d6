"""Generation speed of an exported language model: onnxruntime's step graph against the
PyTorch model's own ``step``, one token per call, batch 1, one thread, in alternation.

    rnnkit export runs/shakespeare
    python -m benchmarks.onnx_sampling runs/shakespeare     # reads runs/shakespeare/onnx
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from rnnkit.tasks.lifecycle import load

TOKENS, RUNS = 500, 7


def main(run: str) -> None:
    import onnxruntime as ort

    torch.set_num_threads(1)
    model = load(run).model.eval()
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    path = Path(run) / "onnx" / "step.onnx"
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()][1:]  # h (and c)
    L, H = model.config.num_layers, model.config.hidden_size

    def with_onnxruntime() -> None:
        state = {n: np.zeros((L, 1, H), np.float32) for n in names}
        token = np.array([1])
        for _ in range(TOKENS):
            _, *new = session.run(None, {"token": token, **state})
            state = dict(zip(names, new))

    def with_torch() -> None:
        state, token = None, torch.tensor([1])
        with torch.inference_mode():
            for _ in range(TOKENS):
                _, state = model.step(token, state)

    rates: dict[str, list[float]] = {"onnxruntime": [], "torch": []}
    for f in (with_onnxruntime, with_torch):  # warm-up
        f()
    for _ in range(RUNS):
        for name, f in (("onnxruntime", with_onnxruntime), ("torch", with_torch)):
            start = time.perf_counter()
            f()
            rates[name].append(TOKENS / (time.perf_counter() - start))
    ort_rate, torch_rate = (statistics.median(rates[k]) for k in ("onnxruntime", "torch"))
    print(
        f"{model.config.cell.upper()} L={L} H={H}: onnxruntime {ort_rate:,.0f} tokens/s, "
        f"torch {torch_rate:,.0f} tokens/s ({ort_rate / torch_rate:.2f}x), medians of {RUNS}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
