"""rnnkit: recurrent neural networks on PyTorch.

The vanilla (Elman) RNN, the LSTM and the GRU as cells (one time step) and as
torch.nn-compatible layers (stacked, bidirectional, variable length, streaming),
with a readable reference backend and torch's fused kernels behind one front.
"""

__version__ = "0.1.0"

from rnnkit.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.layers import GRU, LSTM, RNN, Capture, RecurrentConfig

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Capture",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "RecurrentConfig",
    "__version__",
]
