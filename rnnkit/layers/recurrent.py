"""rnnkit.RNN, rnnkit.LSTM and rnnkit.GRU: torch.nn's constructors, calls and outputs;
rnnkit.MinGRU and rnnkit.MinLSTM in the same form.

Each is a name for one entry of the cell registry (rnnkit.layers.CELLS) over the one
constructor, :class:`~rnnkit.layers.base.RecurrentLayer`: torch.nn's arguments in
torch.nn's order, then keyword-only ``backend`` ("auto" | "native" | "fused" |
"reference") and the cell options beyond torch.nn that the cell takes
(:class:`~rnnkit.layers.CellOptions`).
"""

from __future__ import annotations

from typing import Any

import torch

from rnnkit.layers.base import RecurrentLayer
from rnnkit.layers.config import RecurrentConfig


class RNN(RecurrentLayer):
    r"""Multi-layer Elman RNN: :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`.

    Drop-in for ``torch.nn.RNN``: same arguments (``nonlinearity`` fourth), outputs
    ``(output, h_n)`` and parameter names. Extra: ``layer_norm`` (see
    :class:`rnnkit.cells.RNNCell`).
    """

    cell_type = "rnn"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, *args, **kwargs, nonlinearity=nonlinearity
        )

    @property
    def nonlinearity(self) -> str:
        return self.config.cell_options.nonlinearity


class LSTM(RecurrentLayer):
    r"""Multi-layer LSTM with gates ``i, f, g, o`` over an additive cell state.

    Drop-in for ``torch.nn.LSTM``: same arguments (``proj_size`` included), outputs
    ``(output, (h_n, c_n))`` and parameter names. Extras: ``peephole``, ``layer_norm``,
    ``forget_bias`` (see :class:`rnnkit.cells.LSTMCell`).
    """

    cell_type = "lstm"


class GRU(RecurrentLayer):
    r"""Multi-layer GRU with gates ``r, z, n``.

    Drop-in for ``torch.nn.GRU``: same arguments, outputs ``(output, h_n)`` and parameter
    names. Extras: ``reset_after=False`` for the original Cho et al. 2014 form
    (:class:`rnnkit.cells.ChoGRUCell`), ``layer_norm`` (see :class:`rnnkit.cells.GRUCell`).
    """

    cell_type = "gru"


class MinGRU(RecurrentLayer):
    r"""Multi-layer minGRU (Feng et al. 2024): gates from x_t only, a scan over time.

    :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t`, with
    :math:`z_t = \sigma(W_z x_t + b_z)` and :math:`\tilde h_t = W_h x_t + b_h`
    (:class:`rnnkit.cells.MinGRUCell`). Called like ``torch.nn.GRU``: ``(output, h_n)``;
    parameters ``weight_ih_l{k}[_reverse]`` (2H, I) and ``bias_ih_l{k}[_reverse]`` only.
    Training runs the whole recurrence as one scan (the ``fused`` backend);
    ``step()`` streams one step at a time.
    """

    cell_type = "mingru"


class MinLSTM(RecurrentLayer):
    r"""Multi-layer minLSTM (Feng et al. 2024): normalised gates from x_t only, a scan.

    :math:`h_t = f'_t \odot h_{t-1} + i'_t \odot \tilde h_t`, with
    :math:`f'_t, i'_t` the forget and input gates divided by their sum
    (:class:`rnnkit.cells.MinLSTMCell`). No cell state: called like ``torch.nn.GRU``,
    ``(output, h_n)``; parameters ``weight_ih_l{k}[_reverse]`` (3H, I) and
    ``bias_ih_l{k}[_reverse]`` only.
    """

    cell_type = "minlstm"


LAYERS: dict[str, type[RecurrentLayer]] = {
    layer.cell_type: layer for layer in (RNN, LSTM, GRU, MinGRU, MinLSTM)
}  # the registry's cells -> their torch.nn-style class


def from_config(
    config: RecurrentConfig,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> RecurrentLayer:
    """The layer a :class:`RecurrentConfig` describes (e.g. one read from JSON)."""
    return LAYERS[config.cell](**config.arguments(), device=device, dtype=dtype)
