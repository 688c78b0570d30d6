"""Whole-module loading with ``torch.load(..., weights_only=True)``.

``torch.save(model)`` of a module holding rnnkit layers pickles the layers, their cells
and configs; ``weights_only=True`` (torch's safe loader) rebuilds only the classes it is
told to trust. :data:`SAFE_GLOBALS` lists the ones rnnkit's layers need::

    torch.save(model, "model.pt")
    with rnnkit.safe_globals():          # or torch.serialization.safe_globals(rnnkit.SAFE_GLOBALS)
        model = torch.load("model.pt", weights_only=True)

(together with the user's own module classes). rnnkit's run directories never pickle:
their weights are safetensors and their configs JSON.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import torch
from torch import nn

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, MinGRUCell, MinLSTMCell, RNNCell
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.recurrent import GRU, LSTM, RNN, MinGRU, MinLSTM

SAFE_GLOBALS: list[type] = [
    RNN,
    LSTM,
    GRU,
    MinGRU,
    MinLSTM,
    RNNCell,
    LSTMCell,
    GRUCell,
    ChoGRUCell,
    MinGRUCell,
    MinLSTMCell,
    RecurrentConfig,
    nn.LayerNorm,  # the cells' layer normalisation (layer_norm=True)
]


def safe_globals() -> AbstractContextManager[None]:
    """``torch.serialization.safe_globals(SAFE_GLOBALS)``: trust rnnkit's layer classes."""
    return torch.serialization.safe_globals(SAFE_GLOBALS)
