"""Validation of a cell's input and state at its entry points (``forward``, and the
runner's ``run``), never per step: ``recur`` trusts its arguments.

Errors are one line and of the type torch.nn's cells raise for the same mistake (see
:mod:`rnnkit.errors`).

Shapes: ``B`` batch, ``I`` input features.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from rnnkit.errors import ArgumentTypeError, ShapeError

State = tuple[Tensor, ...]  # as rnnkit.cells.base.State: (h,) or (h, c)


class RecurrentCell(Protocol):
    """What the checks read of a cell (rnnkit.cells.base.RecurrentCell, which imports
    this module)."""

    input_size: int

    def state_sizes(self) -> tuple[int, ...]: ...

    def reference_tensor(self) -> Tensor: ...


def check_step_input(cell: RecurrentCell, x: object, ranks: tuple[int, ...] = (1, 2)) -> Tensor:
    """A cell's input: a tensor of rank in ``ranks``, input_size features, the cell's
    device (and dtype, outside autocast)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in ranks:
        shapes = " or ".join(f"{r}-D" for r in ranks)
        raise ValueError(
            f"input must be {shapes}, got a {x.dim()}-D tensor of shape {tuple(x.shape)}"
        )
    if x.shape[-1] != cell.input_size:
        raise ShapeError(
            f"input has {x.shape[-1]} features, expected input_size={cell.input_size} "
            f"(input shape {tuple(x.shape)})"
        )
    _check_like("input", x, cell.reference_tensor())
    return x


def check_step_state(cell: RecurrentCell, state: State | Tensor, x: Tensor) -> State:
    """The state for one step of ``x``: a tuple of one (B, size) tensor per state for x
    (B, I), of (size,) tensors for an unbatched x (I,). A one-tensor state may be bare."""
    sizes = cell.state_sizes()
    names = "(h, c)" if len(sizes) == 2 else "h (or (h,))"
    if isinstance(state, Tensor) and len(sizes) == 1:
        state = (state,)
    if not isinstance(state, (tuple, list)):
        raise ArgumentTypeError(
            f"state must be {names} for {type(cell).__name__}, got {type(state).__name__}"
        )
    if len(state) != len(sizes):
        raise ShapeError(
            f"state must be {names} for {type(cell).__name__}, got {len(state)} tensors"
        )
    batch = tuple(x.shape[:-1])  # (B,), or () unbatched
    like = cell.reference_tensor()
    for j, (s, n) in enumerate(zip(state, sizes)):
        if not isinstance(s, Tensor):
            raise TypeError(f"state[{j}] must be a torch.Tensor, got {type(s).__name__}")
        if tuple(s.shape) != (*batch, n):
            where = f"an input of batch {batch[0]}" if batch else "an unbatched input"
            raise ShapeError(
                f"state[{j}] must have shape {(*batch, n)} for {where}, got {tuple(s.shape)}"
            )
        _check_like(f"state[{j}]", s, like)
    return tuple(state)


def _check_like(name: str, t: Tensor, like: Tensor) -> None:
    if t.device != like.device:
        raise ShapeError(f"{name} is on {t.device} but the cell's parameters are on {like.device}")
    autocast = t.device.type in ("cpu", "cuda") and torch.is_autocast_enabled(t.device.type)
    if t.dtype != like.dtype and not autocast:
        raise ShapeError(
            f"{name} has dtype {t.dtype} but the cell's parameters are {like.dtype}; "
            "convert one of them with .to()"
        )
