"""One-to-many: a conditioning class (e.g. a language) -> a token sequence (e.g. a surname).

The class's embedding is the recurrent layer's initial state; from there the model is a
character language model read by a linear head. Trained with teacher forcing on padded
batches (`lengths`), generated one token at a time with :meth:`ConditionalLM.step`:

    h_0 = tanh(E_h[class]),  c_0 = E_c[class] (LSTM)
    h_t = cell(embed(x_t), h_{t-1}),  P(y_t | class, x_<=t) = softmax(W h_t + b)

Each sequence's input starts with the start token and its target ends with the end token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.layers import RecurrentLayer
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig, check_token_ids, padding_mask


@dataclass
class ConditionalBatch:
    """Padded token sequences, each with its conditioning class."""

    condition: Tensor  # (B,) class ids (languages)
    x: Tensor  # (B, T) input ids: start token, then the sequence
    y: Tensor | None = None  # (B, T) target ids: the sequence, then the end token
    lengths: Tensor | None = None  # (B,) true lengths (None: every row fills T)

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(kw_only=True)
class ConditionalConfig(RecurrentModelConfig):
    """A conditional character model; JSON-serialisable."""

    vocab_size: int = 2  # V: tokens, including the start and end tokens
    num_classes: int = 1  # C: conditioning classes (languages)
    embed_size: int = 32  # E: token embedding width
    dropout: float = 0.0  # on the embeddings, between layers and before the head

    dropout_between_layers_only: ClassVar[bool] = False

    def validate(self) -> None:
        super().validate()
        require(self, "vocab_size", self.vocab_size >= 2, "an integer >= 2")
        for name in ("num_classes", "embed_size"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")


class ConditionalLM(nn.Module):
    """Class embedding -> initial state -> recurrent character model (see module docstring)."""

    def __init__(self, config: ConditionalConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_size)
        self.rnn: RecurrentLayer = c.layer(c.embed_size)
        self.states = 2 if self.rnn.state_is_tuple else 1  # S: h, or h and c
        self.condition = nn.Embedding(c.num_classes, self.states * c.num_layers * c.hidden_size)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)

    def initial_state(self, condition: Tensor) -> Any:
        """Class ids (B,) -> the layer's initial state: h (L, B, H), or (h, c) for LSTM."""
        c = self.config
        e = self.condition(condition)  # (B, S*L*H)
        e = e.view(-1, self.states, c.num_layers, c.hidden_size).permute(1, 2, 0, 3)  # (S, L, B, H)
        h = torch.tanh(e[0]).contiguous()  # (L, B, H)
        return (h, e[1].contiguous()) if self.states == 2 else h

    def features(self, x: Tensor) -> Tensor:
        """Token ids (B, T) -> embeddings (B, T, E)."""
        return self.drop(self.embed(check_token_ids(x, self.config.vocab_size)))

    def forward(self, batch: ConditionalBatch, state: Any = None) -> Output:
        """Teacher-forced logits (B, T, V); loss: mean nats per target token, padding masked."""
        if state is None:
            state = self.initial_state(batch.condition)
        out, state = self.rnn(self.features(batch.x), state, lengths=batch.lengths)  # (B, T, H)
        logits = self.head(self.drop(out))  # (B, T, V)
        return Output(self.loss(logits, batch.y, batch.lengths), logits, state)

    def step(self, token: Tensor, state: Any) -> tuple[Tensor, Any]:
        """One generation step: token ids (B,) and state -> logits (B, V) and the new state."""
        out, state = self.rnn.step(self.features(token), state)  # (B, H)
        return self.head(self.drop(out)), state

    @staticmethod
    def loss(logits: Tensor, y: Tensor | None, lengths: Tensor | None) -> Tensor | None:
        """Mean cross-entropy over the real (unpadded) targets; None without targets."""
        if y is None:
            return None
        nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")  # (B*T,)
        mask = padding_mask(y.shape, lengths, y.device).flatten()  # (B*T,)
        return (nll * mask).sum() / mask.sum()
