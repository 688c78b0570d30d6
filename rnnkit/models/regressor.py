"""Next-step regression: an LSTM reads a series and predicts its next value at every step.

The many-to-many aligned shape for real-valued sequences (forecasting, the demo).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch.nn.functional as F
from torch import nn

from rnnkit import LSTM
from rnnkit.models.output import Output


@dataclass
class RegressorConfig:
    """Sizes of a next-step regressor."""

    input_size: int = 1  # I: features per step
    hidden_size: int = 32  # H: LSTM units per layer
    num_layers: int = 1  # L: stacked LSTM layers
    dropout: float = 0.0  # dropout between stacked layers
    output_size: int = 1  # features predicted per step

    def __post_init__(self) -> None:
        for name in ("input_size", "hidden_size", "num_layers", "output_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(
                    f"RegressorConfig.{name} must be an integer >= 1, got {getattr(self, name)!r}"
                )
        if not 0 <= self.dropout < 1:
            raise ValueError(f"RegressorConfig.dropout must be in [0, 1), got {self.dropout!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class NextStepRegressor(nn.Module):
    """LSTM + linear head; batch has ``x`` (B, T, I) and ``y`` (B, T, O); MSE loss."""

    def __init__(self, config: RegressorConfig):
        super().__init__()
        self.config = config
        self.lstm = LSTM(
            config.input_size,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden_size, config.output_size)

    def forward(self, batch: Any, state: Any = None) -> Output:
        h, state = self.lstm(batch.x, state)  # (B, T, H); state (h, c) each (L, B, H)
        prediction = self.head(h)  # (B, T, O)
        loss = F.mse_loss(prediction, batch.y) if batch.y is not None else None
        return Output(loss=loss, prediction=prediction, state=state)
