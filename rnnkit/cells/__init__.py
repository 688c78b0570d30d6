"""Cells: one time step of math each — the equations and nothing else."""

from rnnkit.cells.base import Gates, RecurrentCell, State
from rnnkit.cells.gru import ChoGRUCell, GRUCell
from rnnkit.cells.lstm import LSTMCell
from rnnkit.cells.minimal import MinGRUCell, MinimalCell, MinLSTMCell
from rnnkit.cells.rnn import RNNCell

__all__ = [
    "ChoGRUCell",
    "Gates",
    "GRUCell",
    "LSTMCell",
    "MinGRUCell",
    "MinLSTMCell",
    "MinimalCell",
    "RNNCell",
    "RecurrentCell",
    "State",
]
