"""Recurrent encoders with a linear read-out, in the many-to-one and many-to-many shapes.

``ManyToOne`` reads a whole sequence and predicts from its last step (the adding
problem, sequence classification); ``ManyToMany`` predicts at every step (the copy
task, tagging). Both read real-valued features (B, T, I) or token ids (B, T), and
compute mean-squared error or cross-entropy against ``batch.y``; padded steps (past
``batch.lengths``) never count in the loss.

Predictions have one shape whatever the config: ``(B, O)`` many-to-one and
``(B, T, O)`` many-to-many (O outputs, or O class logits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.layers import RecurrentLayer
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig, check_token_ids, padding_mask


@dataclass
class SeqBatch:
    """Inputs and targets of one batch."""

    x: Tensor  # (B, T, I) features or (B, T) token ids
    y: Tensor | None = None  # (B,) / (B, O) many-to-one, (B, T) / (B, T, O) many-to-many
    lengths: Tensor | None = None  # (B,) true lengths of padded sequences

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(kw_only=True)
class SequenceConfig(RecurrentModelConfig):
    """A recurrent encoder plus a linear head; JSON-serialisable."""

    input_size: int = 1  # I: features per step (real-valued inputs, vocab_size == 0)
    vocab_size: int = 0  # V > 0: inputs are token ids in [0, V), one-hot encoded
    bidirectional: bool = False  # read the sequence both ways (many-to-one uses both ends)
    output_size: int = 1  # O: regression outputs, or classes for "xent"
    loss: Literal["mse", "xent"] = "mse"  # mean-squared error or cross-entropy

    def validate(self) -> None:
        super().validate()
        for name in ("input_size", "output_size"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "vocab_size", self.vocab_size >= 0, "an integer >= 0")


class _Recurrent(nn.Module):
    """Shared encoder: one-hot for token ids, a recurrent layer, a linear head."""

    def __init__(self, config: SequenceConfig) -> None:
        super().__init__()
        self.config = c = config
        features = c.vocab_size or c.input_size
        self.rnn: RecurrentLayer = c.layer(features, bidirectional=c.bidirectional)
        directions = 2 if c.bidirectional else 1
        self.head = nn.Linear(directions * c.hidden_size, c.output_size)

    def features(self, x: Tensor) -> Tensor:
        """Token ids (B, T) -> one-hot (B, T, V); real features pass through."""
        V = self.config.vocab_size
        if V:
            return F.one_hot(check_token_ids(x, V), V).to(self.head.weight.dtype)
        return x

    def loss(
        self, prediction: Tensor, y: Tensor | None, mask: Tensor | None = None
    ) -> Tensor | None:
        """Mean loss over the predictions (B, O) or (B, T, O); ``mask`` (B, T) drops padding."""
        if y is None:
            return None
        if self.config.loss == "xent":
            C = prediction.shape[-1]
            per = F.cross_entropy(prediction.reshape(-1, C), y.reshape(-1).long(), reduction="none")
            per = per.reshape(prediction.shape[:-1])  # (B,) or (B, T)
        else:
            target = y.reshape(prediction.shape).to(prediction.dtype)
            per = F.mse_loss(prediction, target, reduction="none").mean(-1)  # (B,) or (B, T)
        if mask is None:
            return per.mean()
        return (per * mask).sum() / mask.sum()


class ManyToOne(_Recurrent):
    """Sequence in, one prediction out: the head reads each sequence's last step."""

    def forward(self, batch: SeqBatch, state: Any = None) -> Output:
        out, state = self.rnn(self.features(batch.x), state, lengths=batch.lengths)  # (B, T, D*H)
        prediction = self.head(last_step(out, batch.lengths, self.config))  # (B, O)
        return Output(self.loss(prediction, batch.y), prediction, state)


class ManyToMany(_Recurrent):
    """Sequence in, a prediction at every step out (aligned); padding is not scored."""

    def forward(self, batch: SeqBatch, state: Any = None) -> Output:
        out, state = self.rnn(self.features(batch.x), state, lengths=batch.lengths)  # (B, T, D*H)
        prediction = self.head(out)  # (B, T, O)
        mask = None
        if batch.lengths is not None:
            mask = padding_mask(prediction.shape, batch.lengths, prediction.device)  # (B, T)
        return Output(self.loss(prediction, batch.y, mask), prediction, state)


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
