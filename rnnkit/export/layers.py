"""Graphs of one recurrent layer: the whole sequence, or one step for the host to loop.

Whole sequence: ``(input, [lengths], [h0, c0]) -> (output, h_n[, c_n])``, the layer's
own call with the time and batch dimensions dynamic. A layer of torch.nn's cells is one
ONNX ``RNN``/``GRU``/``LSTM`` node per stacked layer (rnnkit.layers.onnx); the cells ONNX
has no operator for (layer norm, peepholes, the Cho GRU, minGRU, minLSTM, the projected
LSTM) run as an ONNX ``Loop`` over their traced step (rnnkit.export.loops). One step:
``(input (B, I), h[, c]) -> (output (B, H), h_next[, c_next])``, the cells' equations for
one time step, for any unidirectional layer.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from rnnkit.export.graph import ExportError, Graph, Port
from rnnkit.layers import RecurrentLayer


def state_ports(layer: RecurrentLayer, names: tuple[str, str], rows: int | None = None):
    """The layer's state as ports: h (L*D, B, P or H)[, c (L*D, B, H)]."""
    L = rows or layer.num_layers * layer.config.num_directions
    sizes = layer.cell(0, 0).state_sizes()
    return tuple(Port(n, (L, "batch", s)) for n, s in zip(names, sizes))


def as_hx(layer: RecurrentLayer, states: tuple[Tensor, ...]) -> Any:
    """Flat state tensors -> the layer's hx (a tensor, or (h, c))."""
    return tuple(states) if layer.state_is_tuple else states[0]


def flat(layer: RecurrentLayer, hx: Any) -> tuple[Tensor, ...]:
    """The layer's hx -> flat state tensors."""
    return tuple(hx) if layer.state_is_tuple else (hx,)


class _Whole(nn.Module):
    def __init__(self, layer: RecurrentLayer, lengths: bool, state: bool) -> None:
        super().__init__()
        self.layer, self.lengths, self.state = layer, lengths, state

    def forward(self, x: Tensor, *rest: Tensor) -> tuple[Tensor, ...]:
        lengths = rest[0] if self.lengths else None
        states = rest[int(self.lengths) :]
        hx = as_hx(self.layer, states) if self.state else None
        out, final = self.layer(x, hx, lengths=lengths)
        return (out, *flat(self.layer, final))


class _Step(nn.Module):
    def __init__(self, layer: RecurrentLayer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x_t: Tensor, *states: Tensor) -> tuple[Tensor, ...]:
        out, hx = self.layer.step(x_t, as_hx(self.layer, states))
        return (out, *flat(self.layer, hx))


def layer_graph(
    layer: RecurrentLayer, *, step: bool = False, lengths: bool = True, state: bool = True
) -> Graph:
    """The graph of ``layer``: the whole sequence (with ``lengths`` and an initial
    ``state`` as inputs where asked), or with ``step`` one time step."""
    c = layer.config
    I, out_size = c.input_size, c.num_directions * c.output_size
    if step:
        if c.bidirectional:
            raise ExportError(
                "a bidirectional layer has no step graph: its reverse direction reads the "
                "whole sequence first"
            )
        return Graph(
            "step",
            _Step(layer),
            (Port("input", ("batch", I)), *state_ports(layer, ("h", "c"))),
            (Port("output", ("batch", out_size)), *state_ports(layer, ("h_next", "c_next"))),
            f"one step of {layer!r}: loop it over time, feeding h_next back as h",
        )
    time = ("batch", "steps") if c.batch_first else ("steps", "batch")
    inputs = [Port("input", (*time, I))]
    if lengths:
        inputs.append(Port("lengths", ("batch",), "int64", lengths_of="steps"))
    if state:
        inputs += state_ports(layer, ("h0", "c0"))
    return Graph(
        "layer",
        _Whole(layer, lengths, state),
        tuple(inputs),
        (Port("output", (*time, out_size)), *state_ports(layer, ("h_n", "c_n"))),
        f"{layer!r} over whole sequences",
    )
