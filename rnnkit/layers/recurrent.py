"""rnnkit.RNN, rnnkit.LSTM and rnnkit.GRU: torch.nn's constructors, calls and outputs;
rnnkit.MinGRU and rnnkit.MinLSTM in the same form.

Each takes torch.nn's constructor arguments in torch.nn's order, then keyword-only
options: ``backend`` ("auto" | "native" | "fused" | "reference") and the cell options
beyond torch.nn (see the cell classes).
"""

from __future__ import annotations

import torch

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, MinGRUCell, MinLSTMCell, RNNCell
from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.base import RecurrentLayer
from rnnkit.layers.config import RecurrentConfig

Device = torch.device | str | None


class RNN(RecurrentLayer):
    r"""Multi-layer Elman RNN: :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`.

    Drop-in for ``torch.nn.RNN``: same arguments, outputs ``(output, h_n)`` and
    parameter names. Extra: ``layer_norm`` (see :class:`rnnkit.cells.RNNCell`).
    """

    cell_class = RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Device = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str = "auto",
        layer_norm: bool = False,
        proj_size: int = 0,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        options = {"nonlinearity": nonlinearity, "layer_norm": layer_norm}
        config = RecurrentConfig(
            "rnn",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,  # as torch.nn: only the LSTM has one (a ValueError)
            backend=backend,
            cell_options=options,
        )
        super().__init__(config, options, device=device, dtype=dtype)

    @property
    def nonlinearity(self) -> str:
        return self.config.cell_options["nonlinearity"]


class LSTM(RecurrentLayer):
    r"""Multi-layer LSTM with gates ``i, f, g, o`` over an additive cell state.

    Drop-in for ``torch.nn.LSTM``: same arguments (``proj_size`` included), outputs
    ``(output, (h_n, c_n))`` and parameter names. Extras: ``peephole``, ``layer_norm``,
    ``forget_bias`` (see :class:`rnnkit.cells.LSTMCell`).
    """

    cell_class = LSTMCell
    state_is_tuple = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Device = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str = "auto",
        peephole: bool = False,
        layer_norm: bool = False,
        forget_bias: float | None = None,
    ) -> None:
        options = {"peephole": peephole, "layer_norm": layer_norm, "forget_bias": forget_bias}
        config = RecurrentConfig(
            "lstm",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            backend=backend,
            cell_options=options,
        )
        super().__init__(config, {**options, "proj_size": proj_size}, device=device, dtype=dtype)


def _gru_cell(
    input_size: int,
    hidden_size: int,
    bias: bool = True,
    *,
    reset_after: bool = True,
    layer_norm: bool = False,
    device: Device = None,
    dtype: torch.dtype | None = None,
) -> RecurrentCell:
    """torch's GRU cell, or with ``reset_after=False`` Cho et al.'s original form."""
    kw = {"device": device, "dtype": dtype}
    if reset_after:
        return GRUCell(input_size, hidden_size, bias, layer_norm=layer_norm, **kw)
    if layer_norm:
        raise ValueError("layer_norm=True needs reset_after=True for the GRU cell")
    return ChoGRUCell(input_size, hidden_size, bias, **kw)


class GRU(RecurrentLayer):
    r"""Multi-layer GRU with gates ``r, z, n``.

    Drop-in for ``torch.nn.GRU``: same arguments, outputs ``(output, h_n)`` and
    parameter names. Extras: ``reset_after=False`` for the original Cho et al. 2014
    form, ``layer_norm`` (see :class:`rnnkit.cells.GRUCell`).
    """

    cell_class = staticmethod(_gru_cell)  # type: ignore[assignment]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Device = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str = "auto",
        reset_after: bool = True,
        layer_norm: bool = False,
        proj_size: int = 0,
    ) -> None:
        options = {"reset_after": reset_after, "layer_norm": layer_norm}
        config = RecurrentConfig(
            "gru",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,  # as torch.nn: only the LSTM has one (a ValueError)
            backend=backend,
            cell_options=options,
        )
        super().__init__(config, options, device=device, dtype=dtype)


class _Minimal(RecurrentLayer):
    """torch.nn.GRU's constructor without ``nonlinearity``; outputs ``(output, h_n)``."""

    cell_name: str  # the RecurrentConfig cell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Device = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str = "auto",
    ) -> None:
        config = RecurrentConfig(
            self.cell_name,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            backend=backend,
        )
        super().__init__(config, {}, device=device, dtype=dtype)


class MinGRU(_Minimal):
    r"""Multi-layer minGRU (Feng et al. 2024): gates from x_t only, a scan over time.

    :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t`, with
    :math:`z_t = \sigma(W_z x_t + b_z)` and :math:`\tilde h_t = W_h x_t + b_h`
    (:class:`rnnkit.cells.MinGRUCell`). Called like ``torch.nn.GRU``: ``(output, h_n)``;
    parameters ``weight_ih_l{k}[_reverse]`` (2H, I) and ``bias_ih_l{k}[_reverse]`` only.
    Training runs the whole recurrence as one scan (the ``fused`` backend);
    ``step()`` streams one step at a time.
    """

    cell_class = MinGRUCell
    cell_name = "mingru"


class MinLSTM(_Minimal):
    r"""Multi-layer minLSTM (Feng et al. 2024): normalised gates from x_t only, a scan.

    :math:`h_t = f'_t \odot h_{t-1} + i'_t \odot \tilde h_t`, with
    :math:`f'_t, i'_t` the forget and input gates divided by their sum
    (:class:`rnnkit.cells.MinLSTMCell`). No cell state: called like ``torch.nn.GRU``,
    ``(output, h_n)``; parameters ``weight_ih_l{k}[_reverse]`` (3H, I) and
    ``bias_ih_l{k}[_reverse]`` only.
    """

    cell_class = MinLSTMCell
    cell_name = "minlstm"


LAYERS: dict[str, type[RecurrentLayer]] = {
    "rnn": RNN,
    "lstm": LSTM,
    "gru": GRU,
    "mingru": MinGRU,
    "minlstm": MinLSTM,
}


def from_config(
    config: RecurrentConfig, *, device: Device = None, dtype: torch.dtype | None = None
) -> RecurrentLayer:
    """Build a layer from a saved :class:`RecurrentConfig` (e.g. read from config.json)."""
    c = config
    extra = {"proj_size": c.proj_size} if c.cell == "lstm" else {}
    return LAYERS[c.cell](
        c.input_size,
        c.hidden_size,
        num_layers=c.num_layers,
        bias=c.bias,
        batch_first=c.batch_first,
        dropout=c.dropout,
        bidirectional=c.bidirectional,
        device=device,
        dtype=dtype,
        backend=c.backend,
        **extra,
        **c.cell_options,
    )
