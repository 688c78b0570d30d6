"""Next-step regression: a recurrent layer reads a series and predicts its next value at
every step.

The many-to-many aligned shape for real-valued sequences (forecasting, the demo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from torch import nn

from rnnkit.config import require
from rnnkit.layers import RecurrentLayer
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig


@dataclass(kw_only=True)
class RegressorConfig(RecurrentModelConfig):
    """Sizes of a next-step regressor."""

    input_size: int = 1  # I: features per step
    hidden_size: int = 32  # H: units per layer
    output_size: int = 1  # O: features predicted per step

    def validate(self) -> None:
        super().validate()
        for name in ("input_size", "output_size"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")


class NextStepRegressor(nn.Module):
    """Recurrent layer + linear head; batch has ``x`` (B, T, I) and ``y`` (B, T, O); MSE."""

    def __init__(self, config: RegressorConfig):
        super().__init__()
        self.config = config
        self.rnn: RecurrentLayer = config.layer(config.input_size)
        self.head = nn.Linear(config.hidden_size, config.output_size)

    def features(self, x: Any) -> Any:
        """The recurrent layer's input: the series itself (B, T, I)."""
        return x

    def forward(self, batch: Any, state: Any = None) -> Output:
        h, state = self.rnn(batch.x, state)  # (B, T, H); state: the layer's hx
        prediction = self.head(h)  # (B, T, O)
        loss = F.mse_loss(prediction, batch.y) if batch.y is not None else None
        return Output(loss=loss, prediction=prediction, state=state)
