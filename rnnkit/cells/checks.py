"""Validation of a cell's input and state at its entry points (``forward``, and the
runner's ``run``), never per step: ``recur`` trusts its arguments.

Errors are one line and of the type torch.nn's cells raise for the same mistake (see
:mod:`rnnkit.errors`); where torch.nn's cells word one, its words follow rnnkit's.

Shapes: ``B`` batch, ``I`` input features.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from rnnkit.errors import ArgumentTypeError, ShapeError, torch_words

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
        message = (
            f"input has {x.shape[-1]} features, expected input_size={cell.input_size} "
            f"(input shape {tuple(x.shape)})"
        )
        torch_says = (
            f"input has inconsistent input_size: got {x.shape[-1]} expected {cell.input_size}"
        )
        raise ShapeError(torch_words(message, torch_says))
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
            message = f"state[{j}] must have shape {(*batch, n)} for {where}, got {tuple(s.shape)}"
            torch_says = _torch_state_words(cell, j, s, batch, n)
            raise ShapeError(torch_words(message, torch_says) if torch_says else message)
        _check_like(f"state[{j}]", s, like)
    return tuple(state)


def _torch_state_words(
    cell: RecurrentCell, j: int, s: Tensor, batch: tuple[int, ...], n: int
) -> str | None:
    """torch.nn's cells' words for state ``j`` of the wrong shape, where they have some:
    a rank other than 1 or 2, a wrong size, a wrong batch (same rank as the input)."""
    if s.dim() not in (1, 2):
        what = f"hx[{j}]" if len(cell.state_sizes()) == 2 else "hidden"
        return f"{type(cell).__name__}: Expected {what} to be 1D or 2D, got {s.dim()}D instead"
    if s.dim() != len(batch) + 1:
        return None  # batched against unbatched: torch.nn's words there mislead
    if s.shape[-1] != n:
        return f"hidden{j} has inconsistent hidden_size: got {s.shape[-1]}, expected {n}"
    return f"Input batch size {batch[0]} doesn't match hidden{j} batch size {s.shape[0]}"


def _check_like(name: str, t: Tensor, like: Tensor) -> None:
    if t.device != like.device:
        raise ShapeError(f"{name} is on {t.device} but the cell's parameters are on {like.device}")
    autocast = t.device.type in ("cpu", "cuda") and torch.is_autocast_enabled(t.device.type)
    if t.dtype != like.dtype and not autocast:
        raise ShapeError(
            f"{name} has dtype {t.dtype} but the cell's parameters are {like.dtype}; "
            "convert one of them with .to()"
        )
