"""A layer's input in the runner's layout, and how to give the outputs back.

Shapes: ``T`` time, ``B`` batch, ``I`` input features, ``F`` output features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnkit.layers.checks import check_input, check_lengths


@dataclass
class Prepared:
    """A forward's input in the runner's layout, and how to give outputs back."""

    x: Tensor  # (T, B, I)
    lengths: Tensor | None  # (B,) int64 on CPU, None when every sequence is full
    packed: PackedSequence | None  # the caller's packed input, to pack the output alike
    unbatched: bool


def prepare(
    input: Any, lengths: Any, *, input_size: int, batch_first: bool, like: Tensor
) -> Prepared:
    """Check a layer's input (and ``lengths``) against its size and the parameters
    ``like``, and bring it to the runner's time-major layout."""
    if isinstance(input, PackedSequence):
        if lengths is not None:
            raise ValueError("give either a PackedSequence or lengths, not both")
        data = check_input(input.data, input_size=input_size, like=like, ranks=(2,), steps=False)
        if data is not input.data:  # cast back from autocast's dtype
            input = input._replace(data=data)
        x, n = pad_packed_sequence(input)  # (T, B, I), original batch order
        return Prepared(x, _full(n, x), input, unbatched=False)
    x = check_input(input, input_size=input_size, like=like, ranks=(2, 3), batch_first=batch_first)
    if x.dim() == 2:
        if lengths is not None:
            raise ValueError("lengths need a batched (3-D) input")
        return Prepared(x.unsqueeze(1), None, None, unbatched=True)  # (T, 1, I)
    x = x.transpose(0, 1) if batch_first else x  # (T, B, I)
    if lengths is None:
        return Prepared(x, None, None, unbatched=False)
    n = check_lengths(lengths, batch=x.shape[1], steps=x.shape[0])
    return Prepared(x, _full(n, x), None, unbatched=False)


def _full(n: Tensor, x: Tensor) -> Tensor | None:
    """Drop lengths when every sequence fills the padded length (not while
    torch.compile or torch.export traces: the lengths are data there)."""
    if torch.compiler.is_compiling():
        return n
    return None if bool((n == x.shape[0]).all()) else n


def layout(out: Tensor, prep: Prepared, batch_first: bool) -> Tensor:
    """(T, B, F) back to the caller's layout for padded or unbatched input."""
    if prep.unbatched:
        return out.squeeze(1)  # (T, F)
    return out.transpose(0, 1) if batch_first and prep.packed is None else out


def restore(out: Tensor, prep: Prepared, batch_first: bool) -> Tensor | PackedSequence:
    """The output (T, B, F) as the caller gave the input: padded, unbatched or packed."""
    if prep.packed is None:
        return layout(out, prep, batch_first)
    p = prep.packed
    n = pad_packed_sequence(p)[1]
    if p.sorted_indices is not None:
        out, n = out.index_select(1, p.sorted_indices), n[p.sorted_indices.cpu()]
    data = pack_padded_sequence(out, n, enforce_sorted=True).data
    return PackedSequence(data, p.batch_sizes, p.sorted_indices, p.unsorted_indices)
