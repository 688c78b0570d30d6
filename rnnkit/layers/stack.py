"""Stacking and bidirection: composition over the runner, not copies of the loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.cells.base import RecurrentCell, State
from rnnkit.layers.runner import Trace, run

Runner = Callable[..., tuple[Tensor, State, Trace]]  # run's signature: the reference or fused loop


def run_directions(
    cells: Sequence[RecurrentCell],
    x: Tensor,
    states: Sequence[State | None],
    *,
    lengths: Tensor | None,
    capture: bool,
    runner: Runner = run,
) -> tuple[Tensor, list[State], list[Trace]]:
    """One layer: the forward cell, and the reverse cell if given, concatenated.

    x (T, B, I) -> out (T, B, D*H); one final state and trace per direction.
    """
    outs, finals, traces = [], [], []
    for d, (cell, state) in enumerate(zip(cells, states)):
        out, final, trace = runner(cell, x, state, lengths=lengths, reverse=d == 1, capture=capture)
        outs.append(out)
        finals.append(final)
        traces.append(trace)
    return (torch.cat(outs, dim=-1) if len(outs) > 1 else outs[0]), finals, traces


def run_stack(
    layers: Sequence[Sequence[RecurrentCell]],
    x: Tensor,
    states: Sequence[Sequence[State | None]],
    *,
    lengths: Tensor | None = None,
    dropout: float = 0.0,
    training: bool = False,
    capture: bool = False,
    runner: Runner = run,
) -> tuple[Tensor, list[State], list[Trace]]:
    """Layers in sequence, each reading the previous one's output (T, B, D*H).

    ``layers[k][d]`` is the cell of layer k, direction d; ``runner`` runs one of them
    over time (:func:`~rnnkit.layers.runner.run`, or the fused backend's twin). Returns
    the last layer's output and the final states and traces in (layer, direction) order.
    """
    finals: list[State] = []
    traces: list[Trace] = []
    for k, (cells, layer_states) in enumerate(zip(layers, states)):
        x, f, t = run_directions(
            cells, x, layer_states, lengths=lengths, capture=capture, runner=runner
        )
        finals += f
        traces += t
        if dropout > 0 and k < len(layers) - 1:
            x = F.dropout(x, dropout, training)
    return x, finals, traces
