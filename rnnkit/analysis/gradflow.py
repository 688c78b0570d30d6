"""Gradient flow through time: how much of the loss's gradient reaches each step.

For a loss computed at the last step, ``||dL/dh_t||`` shows vanishing gradients
(norms falling towards the start of the sequence: a tanh RNN) or exploding ones
(norms growing: a relu RNN with large recurrent weights), and how the LSTM's and
GRU's additive state updates keep them flowing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.cells.base import RecurrentCell, State
from rnnkit.layers.base import RecurrentLayer


class StateRecorder:
    """Wraps a cell and keeps every step's new hidden state, with its gradient retained."""

    def __init__(self, cell: RecurrentCell) -> None:
        self.cell = cell
        self.states: list[Tensor] = []  # h_t for t = 1..T, each (B, H)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cell, name)

    def recur(self, xp_t: Tensor, state: State) -> tuple[Tensor, State, dict[str, Tensor]]:
        out, new, gates = self.cell.recur(xp_t, state)
        if new[0].requires_grad:
            new[0].retain_grad()
        self.states.append(new[0])
        return out, new, gates


@dataclass
class GradFlow:
    """Per-step gradient norms of one recurrent layer, loss at the last step."""

    grad_norms: list[float]  # mean over the batch of ||dL_b/dh_t||, for t = 1..T
    param_grad_norm: float  # global norm of the parameter gradients (mean loss)

    @property
    def ratio_first_last(self) -> float:
        """||dL/dh_1|| / ||dL/dh_T||: far below 1 vanishing, far above 1 exploding."""
        last = self.grad_norms[-1]
        return self.grad_norms[0] / last if last > 0 else float("inf")


def hidden_grad_norms(
    model: nn.Module, layer: RecurrentLayer, loss_fn: Callable[[nn.Module], Tensor]
) -> GradFlow:
    """Backpropagate ``loss_fn(model)`` (a per-example mean) and measure ``layer``'s first
    cell: per-example ``||dL_b/dh_t||`` averaged over the batch, for every step t.

    Run it on a float64 model and input (as ``rnnkit gradflow`` does): vanishing
    gradients fall below float32's smallest number within a few hundred steps."""
    recorders: list[StateRecorder] = []

    def wrap(cell: RecurrentCell) -> StateRecorder:
        recorders.append(StateRecorder(cell))
        return recorders[-1]

    model.zero_grad(set_to_none=True)
    with layer.wrapped_cells(wrap):
        loss = loss_fn(model)
    states = recorders[0].states
    batch = states[0].shape[0]
    (loss * batch).backward()  # the sum of per-example losses: unscaled per-example grads
    norms = [float(h.grad.norm(dim=-1).mean()) if h.grad is not None else 0.0 for h in states]
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    param_norm = float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))) / batch
    for p in model.parameters():  # leave the model as found; the norms are recorded
        p.grad = None
    return GradFlow(norms, param_norm)


def orthogonal_recurrent_init(layer: RecurrentLayer, gain: float) -> None:
    """Set every recurrent weight block to ``gain`` x a random orthogonal matrix, so the
    recurrent Jacobian's scale is ``gain`` (> 1 lets a relu RNN explode)."""
    if not any(name.startswith("weight_hh") for name, _ in layer.named_parameters()):
        raise ValueError(
            f"a recurrent-weight gain needs recurrent weights; {layer.config.cell} has none "
            "(its gates read only x_t)"
        )
    H = layer.hidden_size
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.startswith("weight_hh"):
                for block in p.split(H):  # one (H, R) block per gate
                    nn.init.orthogonal_(block, gain=gain)
