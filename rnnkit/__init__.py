"""rnnkit: recurrent neural networks on PyTorch.

The vanilla (Elman) RNN, the LSTM, the GRU, minGRU and minLSTM as cells (one time
step) and as torch.nn-compatible layers (stacked, bidirectional, variable length,
streaming), with a readable reference backend and fused kernels behind one front.
"""

__version__ = "0.1.0"

from rnnkit.cells import GRUCell, LSTMCell, MinGRUCell, MinLSTMCell, RNNCell
from rnnkit.layers import GRU, LSTM, RNN, Capture, MinGRU, MinLSTM, RecurrentConfig

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Capture",
    "GRUCell",
    "LSTMCell",
    "MinGRU",
    "MinGRUCell",
    "MinLSTM",
    "MinLSTMCell",
    "RNNCell",
    "RecurrentConfig",
    "__version__",
]
