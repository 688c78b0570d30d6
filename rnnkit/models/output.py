"""The model contract shared by every task model.

Every model's ``forward(batch, state=None)`` returns an :class:`Output`; the
trainer and the analysis tools know models only through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


@dataclass
class Output:
    """What a model's forward returns, whatever the task."""

    loss: Tensor | None  # scalar training loss, None when the batch has no targets
    prediction: Tensor  # logits, values, ... (task-specific shape)
    state: object | None = None  # carried recurrent state (truncated BPTT, generation)
