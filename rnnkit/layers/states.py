"""A layer's states: the caller's ``hx`` checked and stacked, one state per cell, and
the final states given back as torch.nn gives them.

Shapes: ``L`` layers, ``D`` directions, ``B`` batch; a stacked state is one tensor per
state (h, or h and c) of shape (L*D, B, size).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnnkit.cells.base import State
from rnnkit.layers.checks import check_pair, check_state
from rnnkit.layers.prepared import Prepared

Stacked = tuple[Tensor, ...]  # each state stacked over layers and directions: (L*D, B, *)


def state_shapes(
    sizes: tuple[int, ...], count: int, batch: int, unbatched: bool
) -> list[tuple[int, ...]]:
    """The shape of each stacked state: (L*D, B, size), or (L*D, size) unbatched."""
    return [(count, n) if unbatched else (count, batch, n) for n in sizes]


def check_hx(
    hx: Any, prep: Prepared, *, sizes: tuple[int, ...], count: int, layer: str, like: Tensor
) -> Stacked | None:
    """The caller's initial state (``(h_0, c_0)`` for states of two tensors, else one
    tensor) checked against the input; stacked (L*D, B, *), or None."""
    if hx is None:
        return None
    pair = len(sizes) == 2
    names = ("h_0", "c_0") if pair else ("hx",)
    parts = check_pair(hx, layer) if pair else (hx,)
    shapes = state_shapes(sizes, count, prep.x.shape[1], prep.unbatched)
    parts = tuple(check_state(n, h, s, like) for n, h, s in zip(names, parts, shapes))
    return tuple(h.unsqueeze(1) for h in parts) if prep.unbatched else parts


def external(final: Stacked, prep: Prepared) -> Any:
    """Final states as torch.nn returns them: ``(h_n, c_n)`` or ``h_n``, unbatched alike."""
    if prep.unbatched:
        final = tuple(h.squeeze(1) for h in final)  # (L*D, *)
    return final if len(final) == 2 else final[0]


def split(states: Stacked | None, count: int) -> list[State | None]:
    """(L*D, B, *) stacked states -> one state tuple per cell, in (layer, direction) order."""
    if states is None:
        return [None] * count
    return [tuple(s[i] for s in states) for i in range(count)]


def stack(finals: list[State]) -> Stacked:
    """One state tuple per cell -> each state stacked (L*D, B, *)."""
    return tuple(torch.stack(parts) for parts in zip(*finals))
