"""Cells ONNX has no operator for, under export: one ``rnnkit::Recur`` placeholder per
layer and direction, which rnnkit.export replaces by an ONNX ``Loop`` over time whose
body is the cell's own step, traced (layer norm, peepholes, the Cho GRU, minGRU, minLSTM,
the projected LSTM).

A placeholder reads ``x`` (T, B, I), optional int64 ``lengths`` (B,) and the cell's
initial states (B, S) each, and gives ``y`` (T, B, out) (zeros past each length) and the
final states (the state at each sequence's last step), as the runner does. The reverse
direction is ONNX's ``ReverseSequence`` around a forward placeholder, each sequence
reversed within its own length.

Shapes: ``T`` time, ``B`` batch, ``L`` layers, ``D`` directions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.checks import check_lengths
from rnnkit.layers.onnx_ops import const, split_tensors, unused
from rnnkit.layers.prepared import Prepared

RecurrentLayer = Any  # rnnkit.layers.base.RecurrentLayer (which imports this module)

DOMAIN = "rnnkit"
INT64 = 7  # onnx.TensorProto.INT64

_collecting: list[dict[int, RecurrentCell]] = []  # the innermost export's cells, by key


@contextmanager
def collect_cells() -> Iterator[dict[int, RecurrentCell]]:
    """Within the block, exported layers of such cells leave placeholders; the dict maps
    each placeholder's ``cell`` attribute to its cell."""
    cells: dict[int, RecurrentCell] = {}
    _collecting.append(cells)
    try:
        yield cells
    finally:
        _collecting.pop()


def collecting() -> bool:
    return bool(_collecting)


@dataclass(frozen=True)
class LoopSpec:
    layer: Any  # the RecurrentLayer: computes the outputs while tracing
    keys: tuple[int, ...]  # a key per cell, (layer, direction) order
    states: int  # state tensors per cell: 1, or 2 for the LSTM
    has_lengths: bool


def loop_forward(
    layer: RecurrentLayer, x: Tensor, states: tuple[Tensor, ...], lengths: Tensor | None
) -> tuple[Tensor, ...]:
    """x (T, B, I) time-major -> (out (T, B, D*out), final states (L*D, B, S) each)."""
    cells = _collecting[-1]
    keys = []
    for row in layer._cells:
        for cell in row:
            cells[len(cells)] = cell
            keys.append(len(cells) - 1)
    if not states:  # zeros, their batch taken from x
        sizes = layer.cell(0, 0).state_sizes()
        LD = layer.num_layers * layer.config.num_directions
        states = tuple(x.new_zeros(LD, x.shape[1], s) for s in sizes)
    spec = LoopSpec(layer, tuple(keys), len(states), lengths is not None)
    params = layer._flat_weights
    extra = (lengths,) if lengths is not None else ()
    return LoopOperator.apply(spec, x, *extra, *states, *params)


class LoopOperator(torch.autograd.Function):
    """The layer's own computation; the exporter emits :meth:`symbolic` instead."""

    @staticmethod
    def forward(ctx: Any, spec: LoopSpec, x: Tensor, *tensors: Tensor):
        layer = spec.layer
        lengths, states, weights = split_tensors(spec.has_lengths, spec.states, tensors)
        n = None if lengths is None else check_lengths(lengths, batch=x.shape[1], steps=x.shape[0])
        prep = Prepared(x, n, None, unbatched=False)
        out, final, _ = layer._forward_reference(  # the weights computed before the call
            prep, states, capture=False, weights=weights
        )
        return (out, *final)

    @staticmethod
    def symbolic(g: Any, spec: LoopSpec, x: Any, *tensors: Any):
        lengths, states, _ = split_tensors(spec.has_lengths, spec.states, tensors)
        lengths = None if lengths is None else g.op("Cast", lengths, to_i=INT64)
        c = spec.layer.config
        D = c.num_directions
        finals: list[list[Any]] = [[] for _ in range(spec.states)]
        full = lengths
        for k in range(c.num_layers):
            outs = []
            for d in range(D):
                index = k * D + d
                init = [g.op("Gather", s, const(g, torch.tensor(index)), axis_i=0) for s in states]
                seq = lengths if lengths is not None else unused(g)
                xin = x
                if d:
                    full = full if full is not None else _full_lengths(g, x)
                    xin = g.op("ReverseSequence", x, full, batch_axis_i=1, time_axis_i=0)
                y, *fin = g.op(
                    f"{DOMAIN}::Recur",
                    xin,
                    seq,
                    *init,
                    cell_i=spec.keys[index],
                    outputs=1 + len(init),
                )
                if d:
                    y = g.op("ReverseSequence", y, full, batch_axis_i=1, time_axis_i=0)
                outs.append(y)
                for j, f in enumerate(fin):
                    finals[j].append(g.op("Unsqueeze", f, const(g, torch.tensor([0]))))
            x = outs[0] if D == 1 else g.op("Concat", *outs, axis_i=2)  # (T, B, D*out)
        stacked = [f[0] if len(f) == 1 else g.op("Concat", *f, axis_i=0) for f in finals]
        return (x, *stacked)


def _full_lengths(g: Any, x: Any) -> Any:
    """(B,) int64, every entry T: x (T, B, ...) read to its end."""
    shape = g.op("Shape", x)
    T = g.op("Slice", shape, const(g, torch.tensor([0])), const(g, torch.tensor([1])))
    B = g.op("Slice", shape, const(g, torch.tensor([1])), const(g, torch.tensor([2])))
    return g.op("Expand", T, B)
