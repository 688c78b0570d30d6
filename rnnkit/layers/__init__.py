"""Layers: run cells over time — one runner, stacking, bidirection, backends."""

from rnnkit.layers.base import Capture, RecurrentLayer
from rnnkit.layers.config import CELL_TYPES, CellOptions, CellType, RecurrentConfig
from rnnkit.layers.recurrent import GRU, LAYERS, LSTM, RNN, MinGRU, MinLSTM, from_config
from rnnkit.layers.runner import Trace, run

LAYERS_BY_CELL = LAYERS  # "rnn" | "lstm" | "gru" | "mingru" | "minlstm" -> layer class

__all__ = [
    "CELL_TYPES",
    "CellOptions",
    "CellType",
    "LAYERS",
    "LAYERS_BY_CELL",
    "Capture",
    "GRU",
    "LSTM",
    "MinGRU",
    "MinLSTM",
    "RNN",
    "RecurrentConfig",
    "RecurrentLayer",
    "Trace",
    "from_config",
    "run",
]
