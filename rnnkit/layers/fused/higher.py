"""Second-order gradients through the fused backend: the backward recomputed by the cell.

The kernels' backward is exact but is not itself differentiable. When autograd builds a
graph through a backward (``create_graph=True``: gradient penalties, Hessian-vector
products, MAML, ``gradgradcheck``), a fused Function instead reruns its recurrence
through the reference cell's ``recur`` over the inputs it saved, with autograd, and
returns ``torch.autograd.grad(..., create_graph=True)`` of that: first- and
second-order gradients are the reference backend's. Without ``create_graph`` (every
ordinary training step) the kernels' backward runs and none of this is touched.

Shapes: ``T`` time, ``B`` batch, ``H`` hidden units, ``G`` gates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.runner import recur_all, time_mask


def graph_wanted() -> bool:
    """Whether autograd is building a graph through this backward (create_graph=True)."""
    return torch.is_grad_enabled()


@contextmanager
def bound(cell: RecurrentCell, weights: dict[str, Tensor | None]) -> Iterator[None]:
    """Within the block the cell reads ``weights`` (dotted parameter name -> tensor)."""
    saved = []
    for name, w in weights.items():
        path, _, attr = name.rpartition(".")
        owner = cell.get_submodule(path) if path else cell
        saved.append((owner, attr, owner._parameters[attr]))
        owner._parameters[attr] = w
    try:
        yield
    finally:
        for owner, attr, w in reversed(saved):
            owner._parameters[attr] = w


def save(ctx: Any, cell: RecurrentCell, inputs: Sequence[Tensor | None], names, n_state: int):
    """Keep what a recomputation needs: the Function's own inputs (xp, the state tensors,
    then the weights named ``names`` in the cell). Call before ``save_for_backward``'s
    kernel tensors: :func:`recomputed_grads` reads the first ``len(inputs)`` saved."""
    ctx.cell, ctx.names, ctx.n_state, ctx.n_inputs = cell, tuple(names), n_state, len(inputs)
    return tuple(inputs)


def recomputed_grads(
    ctx: Any, saved: Sequence[Tensor | None], grads: Sequence[Tensor | None], lengths
) -> list[Tensor | None]:
    """Gradients of the Function's inputs (xp, state..., weights...) with a graph.

    ``saved`` holds those inputs as given to forward; ``grads`` the outputs' gradients
    (out, then the final state tensors); ``lengths`` (B,) or None as in forward."""
    xp, state, cell = saved[0], tuple(saved[1 : 1 + ctx.n_state]), ctx.cell
    weights = dict(zip(ctx.names, saved[1 + ctx.n_state :]))
    with torch.enable_grad(), torch.autocast("cpu", enabled=False):
        with bound(cell, {k: w for k, w in weights.items() if w is not None}):
            if getattr(ctx, "raw_input", False):  # xp was W_ih x: the cell's norm and bias
                xp = cell.ln_ih(xp) if cell.bias_ih is None else cell.ln_ih(xp) + cell.bias_ih
            out, final, _ = recur_all(cell, xp, state, lengths=lengths)
    return _grad(list(saved), ctx.needs_input_grad, [out, *final], grads)


def recomputed_scan(ctx: Any, a: Tensor, b: Tensor, h0: Tensor, lengths, gout, ghT):
    """The scan h_t = a_t ⊙ h_{t-1} + b_t rerun with autograd: grads of (a, b, h0)."""
    mask = None if lengths is None else time_mask(lengths, a.shape[0], a.device)  # (T, B, 1)
    with torch.enable_grad():
        h, outs = h0, []
        for t in range(a.shape[0]):
            new = a[t] * h + b[t]  # (B, H)
            if mask is not None:
                new, out_t = torch.where(mask[t], new, h), torch.where(mask[t], new, 0.0)
            else:
                out_t = new
            h = new
            outs.append(out_t)
    return _grad([a, b, h0], ctx.needs_input_grad, [torch.stack(outs), h], [gout, ghT])


def _grad(inputs, needs, outputs, grads) -> list[Tensor | None]:
    """d(outputs . grads)/d(inputs) where needed, with a graph; None elsewhere."""
    wanted = [i for i, x in enumerate(inputs) if x is not None and i < len(needs) and needs[i]]
    pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
    result: list[Tensor | None] = [None] * len(inputs)
    if not wanted or not pairs:
        return result
    got = torch.autograd.grad(
        [o for o, _ in pairs],
        [inputs[i] for i in wanted],
        [g for _, g in pairs],
        create_graph=True,
        allow_unused=True,
    )
    for i, g in zip(wanted, got):
        result[i] = g
    return result
