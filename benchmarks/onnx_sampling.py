"""Generation speed of a language model, one token per call: onnxruntime's step graph,
the model's own ``step`` (rnnkit's fused inference step) and the same step through the
cells (the fused step turned off), at batch 1; at batch 32 also torch.nn's LSTM with the
same weights stepped in a loop. One thread, candidates in alternation, medians.

    rnnkit export runs/shakespeare
    python -m benchmarks.onnx_sampling runs/shakespeare     # reads runs/shakespeare/onnx

Rates are tokens per second of wall time (per core: one thread); the CPU time of the
calling thread is printed beside them, since on a shared machine wall time also counts
the time other processes held the core.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnnkit.layers.fused import cpu
from rnnkit.layers.fused import step as fused
from rnnkit.tasks.lifecycle import load

TOKENS, RUNS = 200, 15


@contextmanager
def cells_only() -> Iterator[None]:
    """The layers' step through the cells (the fused step turned off)."""
    plan = fused._plan
    fused._plan = lambda layer: None
    try:
        yield
    finally:
        fused._plan = plan


def onnxruntime_loop(path: Path, L: int, H: int, batch: int) -> Callable[[], None]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()][1:]  # h (and c)
    token = np.ones(batch, np.int64)

    def run() -> None:
        state = {n: np.zeros((L, batch, H), np.float32) for n in names}
        for _ in range(TOKENS):
            _, *new = session.run(None, {"token": token, **state})
            state = dict(zip(names, new))

    return run


def model_loop(model: nn.Module, batch: int, *, fused_on: bool) -> Callable[[], None]:
    token = torch.ones(batch, dtype=torch.long)

    def run() -> None:
        state = None
        with torch.inference_mode():
            for _ in range(TOKENS):
                _, state = model.step(token, state)

    if fused_on:
        return run

    def cells() -> None:
        with cells_only():
            run()

    return cells


def torch_nn_loop(model: nn.Module, batch: int) -> Callable[[], None]:
    """torch.nn.Embedding, LSTM and Linear with the model's weights, stepped token by token."""
    c = model.config
    rnn = nn.LSTM(c.embed, c.hidden_size, c.num_layers)
    rnn.load_state_dict(model.rnn.state_dict())
    embedding, head, token = model.embedding, model.head, torch.ones(1, batch, dtype=torch.long)

    def run() -> None:
        state = None
        with torch.inference_mode():
            for _ in range(TOKENS):
                out, state = rnn(embedding(token), state)  # (1, B, H)
                head(out[0])

    return run


def measure(loops: dict[str, Callable[[], None]]) -> dict[str, tuple[float, float]]:
    """Median tokens/s of wall time and of this thread's CPU time, per candidate."""
    wall: dict[str, list[float]] = {k: [] for k in loops}
    cpu_time: dict[str, list[float]] = {k: [] for k in loops}
    for f in loops.values():  # warm-up
        f()
    for _ in range(RUNS):
        for name, f in loops.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            f()
            wall[name].append(TOKENS / (time.perf_counter() - start))
            cpu_time[name].append(TOKENS / max(time.thread_time() - start_cpu, 1e-9))
    return {k: (statistics.median(wall[k]), statistics.median(cpu_time[k])) for k in loops}


def report(batch: int, rates: dict[str, tuple[float, float]], peer: str) -> None:
    base = rates[peer]
    for name, (wall, cpu_rate) in rates.items():
        print(
            f"  batch {batch:>2}  {name:<26} {batch * wall:>10,.0f} tokens/s "
            f"({wall / base[0]:.2f}x {peer}; CPU time: {batch * cpu_rate:,.0f}, "
            f"{cpu_rate / base[1]:.2f}x)"
        )


def main(run: str) -> None:
    torch.set_num_threads(1)
    model = load(run).model.eval()
    path = Path(run) / "onnx" / "step.onnx"
    L, H = model.config.num_layers, model.config.hidden_size
    print(f"{cpu.describe()}; torch {torch.__version__}, 1 thread, {TOKENS} tokens x {RUNS}")
    print(f"{model.config.cell.upper()} L={L} H={H} V={model.config.vocab_size}:")
    one = {
        "onnxruntime": onnxruntime_loop(path, L, H, 1),
        "rnnkit (fused step)": model_loop(model, 1, fused_on=True),
        "rnnkit (cells' step)": model_loop(model, 1, fused_on=False),
    }
    report(1, measure(one), "onnxruntime")
    many = {}
    if model.config.cell == "lstm" and model.rnn.native_ok:  # torch.nn has this LSTM
        many["torch.nn.LSTM, stepped"] = torch_nn_loop(model, 32)
    many["rnnkit (fused step)"] = model_loop(model, 32, fused_on=True)
    many["onnxruntime"] = onnxruntime_loop(path, L, H, 32)
    report(32, measure(many), next(iter(many)))


if __name__ == "__main__":
    main(sys.argv[1])
