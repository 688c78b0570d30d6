"""The native backend: torch's fused recurrent kernels (oneDNN on CPU, cuDNN on GPU).

:func:`native_mode` says which cells they compute: torch.nn's RNN (tanh, relu), LSTM and
GRU, without rnnkit's options (layer norm, peepholes) and not the Cho GRU, minGRU or
minLSTM.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnkit.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.config import RecurrentConfig

KERNELS: dict[str, Callable[..., tuple[Tensor, ...]]] = {
    "LSTM": torch.lstm,
    "GRU": torch.gru,
    "RNN_TANH": torch.rnn_tanh,
    "RNN_RELU": torch.rnn_relu,
}


def native_mode(cell: RecurrentCell) -> str | None:
    """torch's kernel that computes exactly ``cell`` (a key of KERNELS), or None.

    Exact classes only: a subclass may change the equations."""
    if cell.layer_norm:
        return None
    if type(cell) is LSTMCell:
        return None if cell.peephole else "LSTM"
    if type(cell) is GRUCell:
        return "GRU"
    if type(cell) is RNNCell:
        return "RNN_TANH" if cell.nonlinearity == "tanh" else "RNN_RELU"
    return None


def run_native(
    mode: str,
    config: RecurrentConfig,
    weights: Sequence[Tensor],
    x: Tensor,
    hx: tuple[Tensor, ...],
    *,
    lengths: Tensor | None,
    training: bool,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Run the whole stack in one fused call.

    ``x`` (T, B, I) time-major; ``hx`` the stacked states, each (L*D, B, *);
    ``weights`` in torch's flat order (per layer and direction: w_ih, w_hh[, b_ih,
    b_hh][, w_hr]). Returns (out (T, B, D*H), final states like ``hx``).
    """
    kernel = KERNELS[mode]
    if config.proj_size:
        kernel = _quiet(kernel)
    state: Tensor | list[Tensor] = list(hx) if mode == "LSTM" else hx[0]
    flags = (config.bias, config.num_layers, float(config.dropout), training, config.bidirectional)
    if lengths is None:
        out, *final = kernel(x, state, list(weights), *flags, False)
        return out, tuple(final)
    packed = pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
    order, unorder = packed.sorted_indices, packed.unsorted_indices
    state = _permute(state, order)
    data, *final = kernel(packed.data, packed.batch_sizes, state, list(weights), *flags)
    out_packed = PackedSequence(data, packed.batch_sizes, order, unorder)
    out, _ = pad_packed_sequence(out_packed, total_length=x.shape[0])  # (T, B, D*H)
    return out, tuple(f.index_select(1, unorder) for f in final)


def _permute(state: Tensor | list[Tensor], index: Tensor) -> Tensor | list[Tensor]:
    """Reorder the batch dimension (dim 1) of a state or list of states."""
    if isinstance(state, Tensor):
        return state.index_select(1, index)
    return [s.index_select(1, index) for s in state]


def _quiet(kernel: Callable[..., tuple[Tensor, ...]]) -> Callable[..., tuple[Tensor, ...]]:
    """Silence torch's per-call notice that oneDNN falls back to its own loop for proj_size."""

    def call(*args: object) -> tuple[Tensor, ...]:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="LSTM with projections is not supported")
            return kernel(*args)

    return call
