"""rnnkit: recurrent neural networks on PyTorch.

The vanilla (Elman) RNN, the LSTM, the GRU, minGRU and minLSTM as cells (one time
step) and as torch.nn-compatible layers (stacked, bidirectional, variable length,
streaming), with a readable reference backend and fused kernels behind one front.
"""

__version__ = "0.1.0"

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, MinGRUCell, MinLSTMCell, RNNCell
from rnnkit.errors import ArgumentTypeError, ShapeError
from rnnkit.layers import GRU, LSTM, RNN, Capture, MinGRU, MinLSTM, RecurrentConfig
from rnnkit.layers.serialization import SAFE_GLOBALS, safe_globals

__all__ = [
    "SAFE_GLOBALS",
    "ArgumentTypeError",
    "ShapeError",
    "GRU",
    "LSTM",
    "RNN",
    "Capture",
    "ChoGRUCell",
    "GRUCell",
    "LSTMCell",
    "MinGRU",
    "MinGRUCell",
    "MinLSTM",
    "MinLSTMCell",
    "RNNCell",
    "RecurrentConfig",
    "__version__",
    "safe_globals",
]
