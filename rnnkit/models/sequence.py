"""Recurrent encoders with a linear read-out, in the many-to-one and many-to-many shapes.

``ManyToOne`` reads a whole sequence and predicts from its last step (the adding
problem, sequence classification); ``ManyToMany`` predicts at every step (the copy
task, tagging). Both read real-valued features (B, T, I) or token ids (B, T), and
compute mean-squared error or cross-entropy against ``batch.y``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.layers import LAYERS_BY_CELL, RecurrentLayer
from rnnkit.models.output import Output

LOSSES = ("mse", "xent")


@dataclass
class SeqBatch:
    """Inputs and targets of one batch."""

    x: Tensor  # (B, T, I) features or (B, T) token ids
    y: Tensor | None = None  # (B,) / (B, O) many-to-one, (B, T) / (B, T, O) many-to-many
    lengths: Tensor | None = None  # (B,) true lengths of padded sequences

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass
class SequenceConfig:
    """A recurrent encoder plus a linear head; JSON-serialisable."""

    cell: str = "lstm"  # "rnn" | "lstm" | "gru"
    input_size: int = 1  # I: features per step (real-valued inputs, vocab_size == 0)
    vocab_size: int = 0  # V > 0: inputs are token ids in [0, V), one-hot encoded
    hidden_size: int = 128  # H: units per layer and direction
    num_layers: int = 1  # L: stacked layers
    bidirectional: bool = False  # read the sequence both ways (many-to-one uses both ends)
    dropout: float = 0.0  # between stacked layers
    output_size: int = 1  # regression outputs, or classes for "xent"
    loss: str = "mse"  # "mse" (regression) or "xent" (classification)
    cell_options: dict[str, Any] = field(default_factory=dict)  # forget_bias, nonlinearity, ...

    def __post_init__(self) -> None:
        if self.cell not in LAYERS_BY_CELL:
            raise ValueError(
                f"SequenceConfig.cell must be one of rnn, lstm, gru, got {self.cell!r}"
            )
        for name in ("input_size", "hidden_size", "num_layers", "output_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SequenceConfig.{name} must be an integer >= 1, got {value!r}")
        if not isinstance(self.vocab_size, int) or self.vocab_size < 0:
            raise ValueError(f"SequenceConfig.vocab_size must be >= 0, got {self.vocab_size!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"SequenceConfig.loss must be one of {LOSSES}, got {self.loss!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"SequenceConfig.dropout must be in [0, 1), got {self.dropout!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Recurrent(nn.Module):
    """Shared encoder: one-hot for token ids, a recurrent layer, a linear head."""

    def __init__(self, config: SequenceConfig) -> None:
        super().__init__()
        self.config = c = config
        features = c.vocab_size or c.input_size
        self.rnn: RecurrentLayer = LAYERS_BY_CELL[c.cell](
            features,
            c.hidden_size,
            num_layers=c.num_layers,
            batch_first=True,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
            bidirectional=c.bidirectional,
            **c.cell_options,
        )
        directions = 2 if c.bidirectional else 1
        self.head = nn.Linear(directions * c.hidden_size, c.output_size)

    def features(self, x: Tensor) -> Tensor:
        """Token ids (B, T) -> one-hot (B, T, V); real features pass through."""
        if self.config.vocab_size:
            return F.one_hot(x, self.config.vocab_size).to(self.head.weight.dtype)
        return x

    def loss(self, prediction: Tensor, y: Tensor | None) -> Tensor | None:
        if y is None:
            return None
        if self.config.loss == "xent":
            return F.cross_entropy(prediction.reshape(-1, prediction.shape[-1]), y.reshape(-1))
        return F.mse_loss(prediction.reshape(y.shape), y)


class ManyToOne(_Recurrent):
    """Sequence in, one prediction out: the head reads each sequence's last step."""

    def forward(self, batch: SeqBatch, state: Any = None) -> Output:
        out, state = self.rnn(self.features(batch.x), state, lengths=batch.lengths)  # (B, T, D*H)
        prediction = self.head(last_step(out, batch.lengths, self.config))  # (B, O)
        if self.config.loss == "mse" and self.config.output_size == 1:
            prediction = prediction.squeeze(-1)  # (B,)
        return Output(self.loss(prediction, batch.y), prediction, state)


class ManyToMany(_Recurrent):
    """Sequence in, a prediction at every step out (aligned)."""

    def forward(self, batch: SeqBatch, state: Any = None) -> Output:
        out, state = self.rnn(self.features(batch.x), state, lengths=batch.lengths)  # (B, T, D*H)
        prediction = self.head(out)  # (B, T, O)
        return Output(self.loss(prediction, batch.y), prediction, state)


def last_step(out: Tensor, lengths: Tensor | None, config: SequenceConfig) -> Tensor:
    """(B, T, D*H) -> (B, D*H): the forward direction at each sequence's last step, and
    the reverse direction at step 0 (where it has read the whole sequence)."""
    B, T, _ = out.shape
    last = (lengths.to(out.device) - 1) if lengths is not None else torch.full((B,), T - 1)
    forward = out[torch.arange(B), last.to(out.device)]  # (B, D*H)
    if not config.bidirectional:
        return forward
    H = config.hidden_size
    return torch.cat([forward[:, :H], out[:, 0, H:]], dim=-1)  # (B, 2H)
