"""Layers: run cells over time — one runner, stacking, bidirection, backends.

One way to build a layer: the registry of cells (:data:`CELLS`) says which cells exist
and which options beyond torch.nn each takes; a :class:`RecurrentConfig` (validated)
describes a layer; :func:`from_config` builds it, or the torch.nn-style classes
(``RNN``, ``LSTM``, ``GRU``, ``MinGRU``, ``MinLSTM``: :data:`LAYERS`) from torch.nn's
arguments.
"""

from rnnkit.layers.base import Capture, RecurrentLayer
from rnnkit.layers.config import RecurrentConfig, check_recurrent
from rnnkit.layers.recurrent import GRU, LAYERS, LSTM, RNN, MinGRU, MinLSTM, from_config
from rnnkit.layers.registry import CELLS, CellKind, CellOptions, CellType, options_for
from rnnkit.layers.runner import Trace, run

__all__ = [
    "CELLS",
    "Capture",
    "CellKind",
    "CellOptions",
    "CellType",
    "GRU",
    "LAYERS",
    "LSTM",
    "MinGRU",
    "MinLSTM",
    "RNN",
    "RecurrentConfig",
    "RecurrentLayer",
    "Trace",
    "check_recurrent",
    "from_config",
    "options_for",
    "run",
]
