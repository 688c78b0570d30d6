"""The runner: the one Python loop that runs a cell over a sequence (the reference
backend; the native and fused backends compute the same in kernels, tested against it).

``run`` applies any cell over a time-major sequence. It handles variable lengths
(steps past a sequence's end leave its state unchanged and output zeros), the
reverse direction (each sequence starts at its own end) and recording of every
step's gates and states for inspection.

Shapes: ``T`` time, ``B`` batch, ``I`` input features, ``H`` hidden units.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell, State
from rnnkit.cells.checks import check_step_input, check_step_state

Trace = dict[
    str, Tensor
]  # name -> (T, B, H): gate activations ("i", "f", ...) and states ("h", "c")

STATE_NAMES = ("h", "c")


def time_mask(lengths: Tensor, steps: int, device: torch.device) -> Tensor:
    """Boolean (T, B, 1) mask, True where step t < lengths[b]."""
    t = torch.arange(steps, device=device).unsqueeze(1)  # (T, 1)
    return (t < lengths.to(device).unsqueeze(0)).unsqueeze(-1)  # (T, B, 1)


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each sequence within its own length; padding stays in place. (T, B, ...)."""
    if lengths is None:
        return x.flip(0)
    T = x.shape[0]
    t = torch.arange(T, device=x.device).unsqueeze(1)  # (T, 1)
    n = lengths.to(x.device).unsqueeze(0)  # (1, B)
    index = torch.where(t < n, n - 1 - t, t)  # (T, B); an involution
    index = index.view(T, -1, *([1] * (x.dim() - 2))).expand_as(x)  # (T, B, ...)
    return x.gather(0, index)


def run(
    cell: RecurrentCell,
    x: Tensor,
    state: State | Tensor | None = None,
    *,
    lengths: Tensor | None = None,
    reverse: bool = False,
    capture: bool = False,
) -> tuple[Tensor, State, Trace]:
    """Run ``cell`` over ``x`` (T, B, I) from ``state`` (one (B, size) tensor per state; a
    one-tensor state may be bare), checked against ``x`` once, before the loop.

    Returns ``(out, final_state, trace)``: ``out`` (T, B, H) with zeros past each
    sequence's length; ``final_state`` taken at each sequence's true last step; and
    ``trace``, name -> (T, B, H) for every gate and state when ``capture`` is set (an
    empty dict otherwise). With ``reverse=True`` each sequence is read from its own
    last step back to its first; outputs and trace stay aligned with the input's time.
    """
    x = check_step_input(cell, x, ranks=(3,))
    T, B, _ = x.shape
    if state is None:
        state = cell.initial_state(B, device=x.device, dtype=x.dtype)
    state = check_step_state(cell, state, x[0])
    if reverse:
        x = reverse_padded(x, lengths)
    steps = T if lengths is None or torch.compiler.is_compiling() else int(lengths.max())
    xp = cell.project_input(x[:steps])  # (T', B, G*H): one GEMM for every step
    out, state, trace = recur_all(cell, xp, state, lengths=lengths, capture=capture)
    out = _pad(out, T)  # (T, B, H)
    trace = {k: _pad(v, T) for k, v in trace.items()}
    if reverse:
        out = reverse_padded(out, lengths)
        trace = {k: reverse_padded(v, lengths) for k, v in trace.items()}
    return out, state, trace


def recur_all(
    cell: RecurrentCell,
    xp: Tensor,
    state: State,
    *,
    lengths: Tensor | None = None,
    capture: bool = False,
) -> tuple[Tensor, State, Trace]:
    """The time loop over the projected input xp (T, B, G*H) from ``state``:
    ``(out (T, B, H), final_state, trace)``, as :func:`run` (lengths, capture)."""
    mask = None if lengths is None else time_mask(lengths, xp.shape[0], xp.device).unbind(0)
    outs: list[Tensor] = []
    records: list[dict[str, Tensor]] = []
    for t, xp_t in enumerate(xp.unbind(0)):
        out_t, new, gates = cell.recur(xp_t, state)
        if mask is not None:  # (B, 1)
            new = tuple(torch.where(mask[t], n, s) for n, s in zip(new, state))
            out_t = torch.where(mask[t], out_t, 0.0)
        state = new
        outs.append(out_t)
        if capture:
            records.append(_record(gates, state, None if mask is None else mask[t]))
    trace = {k: torch.stack([r[k] for r in records]) for k in records[0]} if records else {}
    return torch.stack(outs), state, trace


def _record(gates: dict[str, Tensor], state: State, mask: Tensor | None) -> dict[str, Tensor]:
    """One step's gates and states, detached, zero past the sequence's end."""
    rec = {**gates, **dict(zip(STATE_NAMES, state))}
    if mask is not None:
        rec = {k: torch.where(mask, v, 0.0) for k, v in rec.items()}
    return {k: v.detach() for k, v in rec.items()}


def _pad(x: Tensor, total: int) -> Tensor:
    """(T', B, H) zero-padded in time to (total, B, H)."""
    if x.shape[0] == total:
        return x
    return torch.cat([x, x.new_zeros(total - x.shape[0], *x.shape[1:])])
