"""What the layers' ONNX symbolics share: constants, a missing optional input, and the
split of an export Function's tensors."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def const(g: Any, t: Tensor) -> Any:
    """An ONNX Constant holding ``t``."""
    return g.op("Constant", value_t=t)


def unused(g: Any) -> Any:
    """A missing optional input of an ONNX node."""
    n = g.op("prim::Constant")
    n.setType(torch._C.OptionalType.ofTensor())
    return n


def split_tensors(
    has_lengths: bool, states: int, tensors: tuple[Any, ...]
) -> tuple[Any, tuple[Any, ...], tuple[Any, ...]]:
    """An export Function's tensors ([lengths], *states, *flat weights) ->
    (lengths or None, states, flat weights)."""
    i = int(has_lengths)
    lengths = tensors[0] if has_lengths else None
    return lengths, tuple(tensors[i : i + states]), tuple(tensors[i + states :])
