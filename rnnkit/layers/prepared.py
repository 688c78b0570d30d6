"""A layer's input in the runner's layout, and how to give the outputs back."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor
from torch.nn.utils.rnn import PackedSequence


@dataclass
class Prepared:
    """A forward's input in the runner's layout, and how to give outputs back."""

    x: Tensor  # (T, B, I)
    lengths: Tensor | None  # (B,) int64 on CPU, None when every sequence is full
    packed: PackedSequence | None  # the caller's packed input, to pack the output alike
    unbatched: bool
