"""A layer's forward while ``torch.onnx.export`` traces it: ONNX's own recurrent operators.

ONNX has ``RNN``, ``GRU`` and ``LSTM`` operators that run a whole sequence, both ways,
with per-sequence lengths (``sequence_lens``) and dynamic batch and time. Under export a
layer of plain cells (torch.nn's configurations, without the LSTM projection) becomes
one such node per stacked layer: the weights in ONNX's gate order, each sequence read to
its own length, every GRU node with ``linear_before_reset=1`` (torch's and cuDNN's
``r_t * (W_hn h + b_hn)``). Cells ONNX has no operator for (layer norm, peepholes,
``reset_after=False``, minGRU, minLSTM) and the projected LSTM leave placeholders that
rnnkit.export turns into an ONNX ``Loop`` over the cell's traced step
(rnnkit.layers.onnx_loop); outside rnnkit.export such a layer refuses to export.

Shapes: ``T`` time, ``B`` batch, ``I`` input, ``H`` hidden, ``G`` gates, ``L`` layers,
``D`` directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from rnnkit.layers.checks import check_lengths
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.native import native_mode, run_native
from rnnkit.layers.onnx_loop import collecting, loop_forward
from rnnkit.layers.onnx_ops import const, split_tensors, unused

RecurrentLayer = Any  # rnnkit.layers.base.RecurrentLayer (which imports this module)

# torch's gate order -> ONNX's: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h
GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}
INT32 = 6  # onnx.TensorProto.INT32


class NotExportable(ValueError):
    """A layer (or input) that has no whole-sequence ONNX operator."""


def whole_sequence_reason(layer: RecurrentLayer) -> str | None:
    """Why ``layer`` cannot become ONNX recurrent operators, or None when it can."""
    cell = layer.cell(0, 0)
    if not layer.native_ok:
        return f"its {type(cell).__name__} ({cell.extra_repr()}) has no ONNX operator"
    if layer.proj_size:
        return "ONNX's LSTM has no output projection (proj_size)"
    return None


@dataclass(frozen=True)
class OnnxSpec:
    """What the ONNX nodes of one layer need besides the tensors: the op and its sizes."""

    op: str  # "RNN" | "GRU" | "LSTM"
    mode: str  # torch's kernel: "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU"
    config: RecurrentConfig  # the layer's, for torch's kernel while tracing
    states: int  # hx tensors given (0: zeros)
    has_lengths: bool

    @property
    def per_cell(self) -> int:
        """Weights per layer and direction: w_ih, w_hh[, b_ih, b_hh]."""
        return 4 if self.config.bias else 2


def onnx_forward(layer: RecurrentLayer, input: Any, hx: Any = None, lengths: Any = None):
    """``layer(input, hx, lengths=...)`` as ONNX operators; the same outputs as forward."""
    reason = whole_sequence_reason(layer)
    if reason is not None and not collecting():
        raise NotExportable(
            f"{type(layer).__name__} has no ONNX operator ({reason}); rnnkit.export.to_onnx "
            "exports it as an ONNX Loop over its cell's step"
        )
    if layer.training:
        raise NotExportable("export a layer in eval mode (call .eval() first)")
    if isinstance(input, PackedSequence):
        raise NotExportable("export with a padded input and lengths, not a PackedSequence")
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else input  # (T, B, I) after the transpose
    if layer.batch_first and not unbatched:
        x = x.transpose(0, 1)
    if lengths is not None and not isinstance(lengths, Tensor):
        lengths = torch.as_tensor(lengths)
    states: tuple[Tensor, ...] = ()
    if hx is not None:
        states = tuple(hx) if layer.state_is_tuple else (hx,)
        if unbatched:
            states = tuple(s.unsqueeze(1) for s in states)
    if reason is not None:  # a Loop over the cell's step (rnnkit.layers.onnx_loop)
        out, *finals = loop_forward(layer, x, states, lengths)
        return _restore(layer, out, finals, unbatched)
    mode: str = native_mode(layer.cell(0, 0))  # type: ignore[assignment] (a kernel: above)
    spec = OnnxSpec(mode.split("_")[0], mode, layer.config, len(states), lengths is not None)
    weights = layer._flat_weights  # torch.nn's flat order, parametrizations computed
    extra = (lengths,) if lengths is not None else ()
    out, *finals = RecurrentOperator.apply(spec, x, *extra, *states, *weights)
    return _restore(layer, out, finals, unbatched)


def _restore(layer: RecurrentLayer, out: Tensor, finals: list[Tensor], unbatched: bool):
    """out (T, B, D*H), finals (L*D, B, H) -> forward's layout."""
    if unbatched:
        out, finals = out.squeeze(1), [f.squeeze(1) for f in finals]
    elif layer.batch_first:
        out = out.transpose(0, 1)
    return out, (tuple(finals) if layer.state_is_tuple else finals[0])


class RecurrentOperator(torch.autograd.Function):
    """torch's kernel on the given tensors; the exporter emits :meth:`symbolic` instead."""

    @staticmethod
    def forward(ctx: Any, spec: OnnxSpec, x: Tensor, *tensors: Tensor):
        """x (T, B, I) -> (out (T, B, D*H), h_n[, c_n] (L*D, B, H))."""
        lengths, states, weights = split_tensors(spec.has_lengths, spec.states, tensors)
        n = None
        if lengths is not None:
            n = check_lengths(lengths, batch=x.shape[1], steps=x.shape[0])
        if not states:
            LD, H = spec.config.num_layers * spec.config.num_directions, spec.config.hidden_size
            count = 2 if spec.op == "LSTM" else 1
            states = tuple(x.new_zeros(LD, x.shape[1], H) for _ in range(count))
        out, final = run_native(
            spec.mode, spec.config, weights, x, states, lengths=n, training=False
        )
        return (out, *final)

    @staticmethod
    def symbolic(g: Any, spec: OnnxSpec, x: Any, *tensors: Any):
        lengths, states, weights = split_tensors(spec.has_lengths, spec.states, tensors)
        missing = unused(g)
        seq = missing if lengths is None else g.op("Cast", lengths, to_i=INT32)
        c = spec.config
        D, H = c.num_directions, c.hidden_size
        kwargs: dict[str, Any] = {
            "hidden_size_i": H,
            "direction_s": "bidirectional" if D == 2 else "forward",
        }
        if spec.op == "GRU":
            kwargs["linear_before_reset_i"] = 1
        if spec.op == "RNN":
            kwargs["activations_s"] = ["Relu" if spec.mode == "RNN_RELU" else "Tanh"] * D
        outputs = 3 if spec.op == "LSTM" else 2
        order, n = GATE_ORDER[spec.op], spec.per_cell
        h_outs, c_outs = [], []
        for k in range(c.num_layers):
            cells = [weights[(k * D + d) * n : (k * D + d + 1) * n] for d in range(D)]
            W = _directions(g, [_gates(g, w[0], order, H) for w in cells])  # (D, G*H, I)
            R = _directions(g, [_gates(g, w[1], order, H) for w in cells])  # (D, G*H, H)
            if c.bias:
                both = [
                    g.op("Concat", _gates(g, w[2], order, H), _gates(g, w[3], order, H), axis_i=0)
                    for w in cells
                ]
                B = _directions(g, both)  # (D, 2*G*H)
            else:
                B = missing
            rows = [_rows(g, s, k * D, (k + 1) * D) for s in states]  # (D, B, H) each
            inputs = [x, W, R, B, seq, *(rows or [missing] * (outputs - 1))]
            y, *finals = g.op(spec.op, *inputs, outputs=outputs, **kwargs)  # y (T, D, B, H)
            y = g.op("Transpose", y, perm_i=[0, 2, 1, 3])  # (T, B, D, H)
            x = g.op("Reshape", y, const(g, torch.tensor([0, 0, -1])))  # (T, B, D*H)
            h_outs.append(finals[0])
            if outputs == 3:
                c_outs.append(finals[1])
        result = [x, _concat(g, h_outs)]
        if c_outs:
            result.append(_concat(g, c_outs))
        return tuple(result)


def _gates(g: Any, w: Any, order: tuple[int, ...], H: int) -> Any:
    """Gate blocks of H rows of w (G*H, ...) in ONNX's ``order``."""
    if order == (0,):
        return w
    blocks = [
        g.op(
            "Slice",
            w,
            const(g, torch.tensor([k * H])),
            const(g, torch.tensor([(k + 1) * H])),
            const(g, torch.tensor([0])),
        )
        for k in order
    ]
    return g.op("Concat", *blocks, axis_i=0)


def _directions(g: Any, parts: list[Any]) -> Any:
    """One tensor per direction -> stacked on a new dim 0."""
    axes = const(g, torch.tensor([0]))
    return _concat(g, [g.op("Unsqueeze", p, axes) for p in parts])


def _rows(g: Any, s: Any, start: int, end: int) -> Any:
    """s[start:end] along dim 0."""
    index = const(g, torch.tensor(list(range(start, end))))
    return g.op("Gather", s, index, axis_i=0)


def _concat(g: Any, parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis_i=0)
