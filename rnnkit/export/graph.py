"""One exported graph: a module over plain tensors, its named ports, writing and checking.

A :class:`Graph` is what one ``.onnx`` file holds: ``module(*inputs) -> tuple(outputs)``
over the ports it declares. A port's shape names its dynamic dimensions (``"batch"``,
``"steps"``, ``"source"``); the graph is written once at one set of sizes
(:data:`EXAMPLE`) and then run by onnxruntime at others (:data:`CHECKS`) against the
module itself, every output within ``atol + rtol * |expected|``.

Graphs are written by torch's TorchScript-based exporter: it keeps each recurrent layer
one ONNX ``RNN``/``GRU``/``LSTM`` node over a dynamic number of steps (rnnkit.layers.onnx),
where torch.export-based export unrolls the loop to the example's length.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from rnnkit.export.loops import splice_loops
from rnnkit.layers import RecurrentLayer
from rnnkit.layers.onnx import NotExportable, whole_sequence_reason
from rnnkit.layers.onnx_loop import DOMAIN, collect_cells

OPSET = 17
EXAMPLE = {"batch": 2, "steps": 5, "source": 6}  # the sizes a graph is traced at
CHECKS = ({"batch": 3, "steps": 9, "source": 4}, {"batch": 1, "steps": 2, "source": 11})
ATOL = RTOL = 1e-5

Dims = dict[str, int]


class ExportError(ValueError):
    """A model that cannot be exported, or an export that does not match PyTorch."""


@dataclass(frozen=True)
class Port:
    """One named input or output of a graph."""

    name: str
    shape: tuple[int | str, ...]  # a str names a dynamic dimension
    dtype: Literal["float32", "int64", "bool"] = "float32"
    high: int = 0  # int64 ids: drawn from [0, high) when checking
    lengths_of: str = ""  # int64 lengths of this dynamic dimension (1..its size)
    about: str = ""  # one line for the manifest

    def size(self, dims: Dims) -> tuple[int, ...]:
        return tuple(dims[d] if isinstance(d, str) else d for d in self.shape)

    def sample(self, dims: Dims, g: torch.Generator) -> Tensor:
        """A random input of this port at ``dims``."""
        shape = self.size(dims)
        if self.lengths_of:
            n = torch.randint(1, dims[self.lengths_of] + 1, shape, generator=g)
            n[0] = dims[self.lengths_of]  # one sequence fills the padded length
            return n
        if self.dtype == "int64":
            return torch.randint(0, self.high, shape, generator=g)
        if self.dtype == "bool":  # a padding mask: a prefix of at least one True per row
            n = torch.randint(1, shape[-1] + 1, shape[:-1] + (1,), generator=g)
            return torch.arange(shape[-1]) < n
        return torch.randn(shape, generator=g)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.about:
            out["about"] = self.about
        return out


@dataclass
class Graph:
    """``module(*inputs) -> tuple(outputs)`` with named ports; one ONNX file."""

    name: str  # file stem: "model", "step", "encoder", "decoder_step", ...
    module: nn.Module
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    about: str  # one line for the manifest
    checked: list[dict[str, Any]] = field(default_factory=list)  # filled by check()

    def sample(self, dims: Dims, seed: int = 0) -> tuple[Tensor, ...]:
        g = torch.Generator().manual_seed(seed)
        return tuple(p.sample(dims, g) for p in self.inputs)

    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        return {
            p.name: {i: d for i, d in enumerate(p.shape) if isinstance(d, str)}
            for p in (*self.inputs, *self.outputs)
        }

    def describe(self, file: str) -> dict[str, Any]:
        return {
            "file": file,
            "about": self.about,
            "inputs": [p.describe() for p in self.inputs],
            "outputs": [p.describe() for p in self.outputs],
            "checked": self.checked,
        }


def write(graph: Graph, path: str | Path) -> Path:
    """Trace ``graph`` at :data:`EXAMPLE` sizes into ``path`` (an .onnx file); check it."""
    import onnx

    path = Path(path)
    module = graph.module.eval()
    args = graph.sample(EXAMPLE)
    with warnings.catch_warnings(), torch.no_grad(), _explained(graph), collect_cells() as cells:
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(
            module,
            args,
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=[p.name for p in graph.inputs],
            output_names=[p.name for p in graph.outputs],
            dynamic_axes=graph.dynamic_axes(),
            custom_opsets={DOMAIN: 1} if _loops(module) else None,
        )
    proto = onnx.load(str(path))
    if cells:  # layers of cells without an ONNX operator: Loops over their steps
        proto = splice_loops(proto, cells, OPSET)
        onnx.save(proto, str(path))
    onnx.checker.check_model(proto)
    check_gru_nodes(proto)
    return path


def _loops(module: nn.Module) -> bool:
    """Whether any layer in ``module`` leaves Loop placeholders (rnnkit.layers.onnx_loop)."""
    return any(
        isinstance(m, RecurrentLayer) and whole_sequence_reason(m) is not None
        for m in module.modules()
    )


@contextmanager
def _explained(graph: Graph) -> Iterator[None]:
    """A layer the graph cannot hold, as an ExportError naming the graph."""
    try:
        yield
    except NotExportable as e:
        raise ExportError(f"{graph.name}.onnx: {e}") from None


def check_gru_nodes(proto: Any) -> None:
    """Every GRU node must compute torch's form, ``linear_before_reset=1``."""
    for node in proto.graph.node:
        if node.op_type != "GRU":
            continue
        attrs = {a.name: a.i for a in node.attribute}
        if attrs.get("linear_before_reset", 0) != 1:
            raise ExportError(
                f"GRU node {node.name!r} has linear_before_reset="
                f"{attrs.get('linear_before_reset', 0)}: it would compute a different GRU"
            )


def check(graph: Graph, path: str | Path, sizes: tuple[Dims, ...] = CHECKS) -> list[dict]:
    """Run ``path`` with onnxruntime at each of ``sizes`` against the module; raise on a
    mismatch. Returns (and records in ``graph.checked``) the worst error at each size."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    module = graph.module.eval()
    results = []
    for k, dims in enumerate(sizes):
        args = graph.sample(dims, seed=k + 1)
        with torch.no_grad():
            expected = module(*args)
        feeds = {p.name: a.numpy() for p, a in zip(graph.inputs, args) if p.name in names}
        got = session.run([p.name for p in graph.outputs], feeds)
        worst = 0.0
        for port, want, have in zip(graph.outputs, expected, got):
            want = want.detach().numpy()
            if want.shape != have.shape:
                raise ExportError(
                    f"{graph.name}.onnx: output {port.name} has shape {have.shape} at {dims}, "
                    f"PyTorch gives {want.shape}"
                )
            if want.dtype.kind != "f":
                if not np.array_equal(have, want):
                    raise ExportError(
                        f"{graph.name}.onnx: output {port.name} differs from PyTorch at {dims}"
                    )
                continue
            excess = np.abs(have - want) - (ATOL + RTOL * np.abs(want))
            if excess.size and float(excess.max()) > 0:
                raise ExportError(
                    f"{graph.name}.onnx: output {port.name} differs from PyTorch by "
                    f"{float(np.abs(have - want).max()):.3g} at {dims}"
                )
            if want.size:
                worst = max(worst, float(np.abs(have - want).max()))
        used = {d: dims[d] for p in graph.inputs for d in p.shape if isinstance(d, str)}
        results.append({"sizes": used, "max_abs_error": worst})
    graph.checked = results
    return results
