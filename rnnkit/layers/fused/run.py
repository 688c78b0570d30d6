"""The fused backend's counterpart of :func:`rnnkit.layers.runner.run`.

Same call, same results: lengths (steps past a sequence's end keep its state and
output zeros), reverse direction (each sequence read from its own end), initial
state. The input projection is one GEMM with autograd; the recurrence is one fused
kernel call (:mod:`rnnkit.layers.fused.functions`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, MinimalCell, RNNCell
from rnnkit.cells.base import RecurrentCell, State
from rnnkit.layers.fused.build import load
from rnnkit.layers.fused.functions import SUFFIX, ChoGRUSequence, GRUSequence, RNNSequence
from rnnkit.layers.fused.gemm import Projection
from rnnkit.layers.fused.lstm import LSTMSequence
from rnnkit.layers.fused.scan import scan_recur
from rnnkit.layers.runner import Trace, reverse_padded


def fusable(cell: RecurrentCell) -> bool:
    """Whether the fused kernels compute exactly this cell: every cell of rnnkit but the
    projected LSTM (exact classes: a subclass may change the equations; any minGRU- or
    minLSTM-like cell, whose scan reads only its coefficients)."""
    if type(cell) is LSTMCell:
        return not cell.proj_size
    return type(cell) in (RNNCell, GRUCell, ChoGRUCell) or isinstance(cell, MinimalCell)


def available() -> bool:
    """Whether the compiled kernels loaded on this machine."""
    return load() is not None


def usable(cell: RecurrentCell) -> bool:
    """Whether the fused backend can run ``cell`` here (on the CPU, in float32/64).

    minGRU and minLSTM run anywhere: their scan falls back to a parallel PyTorch scan."""
    if isinstance(cell, MinimalCell):
        return True
    w = cell.weight_hh
    return w.device.type == "cpu" and w.dtype in SUFFIX and fusable(cell) and available()


def _ln(cell: RecurrentCell, name: str) -> tuple[Tensor | None, Tensor | None]:
    if not cell.layer_norm:
        return None, None
    ln = getattr(cell, name)
    return ln.weight, ln.bias


def _project(cell: RecurrentCell, x: Tensor) -> Tensor:
    """W_ih x + b_ih (layer-normalised before the bias if the cell says so) for every step;
    for the layer-normalised LSTM the raw W_ih x (its kernel normalises it).

    Under CPU autocast the cell's own projection runs in bfloat16 and the result comes
    back to the recurrence's float32."""
    dtype = cell.weight_ih.dtype
    if _raw_input(cell) and torch.is_autocast_enabled("cpu"):
        return F.linear(x, cell.weight_ih).to(dtype).contiguous()  # in autocast's dtype
    if _raw_input(cell):
        return Projection.apply(x.to(dtype).contiguous(), cell.weight_ih, None)
    if torch.is_autocast_enabled("cpu"):
        return cell.project_input(x).to(dtype).contiguous()
    if not cell.layer_norm:
        return Projection.apply(x.to(dtype).contiguous(), cell.weight_ih, cell.bias_ih)
    xp = cell.ln_ih(Projection.apply(x.to(dtype).contiguous(), cell.weight_ih, None))
    return (xp if cell.bias_ih is None else xp + cell.bias_ih).contiguous()


def _raw_input(cell: RecurrentCell) -> bool:
    """Whether the kernel takes the raw W_ih x and normalises it (the layer-norm LSTM)."""
    return isinstance(cell, LSTMCell) and cell.layer_norm


def _recur(cell: RecurrentCell, xp: Tensor, state: State, lengths: Tensor | None):
    """One kernel call for the whole sequence: xp (T, B, G*H) -> (out (T, B, H), state)."""
    if isinstance(cell, MinimalCell):
        return scan_recur(cell, xp, state, lengths)
    W, b = cell.weight_hh, cell.bias_hh
    if isinstance(cell, LSTMCell):
        h0, c0 = state
        peep = cell.weight_ch if cell.peephole else None
        ln = (*_ln(cell, "ln_hh"), *_ln(cell, "ln_c"), *_ln(cell, "ln_ih"))
        b_ih = cell.bias_ih if cell.layer_norm else None  # in xp without layer norm
        out, h, c = LSTMSequence.apply(xp, h0, c0, W, b, peep, *ln, b_ih, lengths, cell)
        return out, (h, c)
    (h0,) = state
    if isinstance(cell, ChoGRUCell):
        out, h = ChoGRUSequence.apply(xp, h0, W, b, lengths, cell)
    elif isinstance(cell, GRUCell):
        out, h = GRUSequence.apply(xp, h0, W, b, *_ln(cell, "ln_hh"), lengths, cell)
    else:
        out, h = RNNSequence.apply(xp, h0, W, b, *_ln(cell, "ln_hh"), lengths, cell)
    return out, (h,)


def run_fused(
    cell: RecurrentCell,
    x: Tensor,
    state: State | None = None,
    *,
    lengths: Tensor | None = None,
    reverse: bool = False,
    capture: bool = False,
) -> tuple[Tensor, State, Trace]:
    """Run ``cell`` over ``x`` (T, B, I) like :func:`~rnnkit.layers.runner.run`.

    Returns ``(out (T, B, H), final_state, {})``; it records no trace (``capture``
    needs the reference runner).
    """
    if capture:
        raise ValueError("the fused backend records no trace; capture with the reference runner")
    T, B, _ = x.shape
    dtype = cell.weight_ih.dtype
    if state is None:
        state = cell.initial_state(B, device=x.device, dtype=dtype)
    if reverse:
        x = reverse_padded(x, lengths)
    steps = T if lengths is None else int(lengths.max())
    xp = _project(cell, x[:steps])  # (T', B, G*H)
    n = None if lengths is None or steps == int(lengths.min()) else lengths.contiguous()
    state = tuple(s.to(dtype).contiguous() for s in state)
    out, final = _recur(cell, xp, state, n)
    if steps < T:
        out = torch.cat([out, out.new_zeros(T - steps, *out.shape[1:])])  # (T, B, H)
    if reverse:
        out = reverse_padded(out, lengths)
    return out, final, {}
