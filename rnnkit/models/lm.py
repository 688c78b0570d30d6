"""Recurrent language models: embedding -> stacked RNN/LSTM/GRU -> linear read-out to V.

``LanguageModel`` predicts token t+1 from tokens 0..t. It is trained on chunks of a
token stream by truncated BPTT (``forward(batch, state)`` returns the carried state)
and generates one token at a time with ``step`` (the layer's streaming ``step``, so a
new token never re-reads the prefix).

With ``bidirectional=True`` the model holds a second, *backward* language model that
reads the text right to left and predicts token t-1 from tokens t..T-1. The two share
the embedding; each has its own recurrent layer and read-out. A batch then carries the
reversed stream too (``LMBatch.xb``/``yb``) and the loss is the mean of both
directions' cross-entropies. Both directions estimate the probability of the same
text, which is what fill-in-the-blank scoring uses (rnnkit.tasks.lm_fill).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.layers import LAYERS_BY_CELL
from rnnkit.models.output import Output


@dataclass
class LMConfig:
    """A recurrent language model; JSON-serialisable."""

    vocab_size: int  # V: token ids in [0, V)
    cell: str = "lstm"  # "rnn" | "lstm" | "gru"
    hidden_size: int = 512  # H: units per layer
    num_layers: int = 1  # L: stacked layers
    embed_size: int | None = None  # E: embedding width (None: the hidden size)
    dropout: float = 0.0  # on the embeddings, between layers and before the read-out
    tie_weights: bool = False  # read-out shares the embedding matrix (projects H -> E if E != H)
    bidirectional: bool = False  # add a backward LM (right to left) sharing the embedding
    cell_options: dict[str, Any] = field(default_factory=dict)  # forget_bias, nonlinearity, ...

    def __post_init__(self) -> None:
        if self.cell not in LAYERS_BY_CELL:
            raise ValueError(f"LMConfig.cell must be one of rnn, lstm, gru, got {self.cell!r}")
        for name in ("vocab_size", "hidden_size", "num_layers"):
            _positive(name, getattr(self, name))
        if self.embed_size is not None:
            _positive("embed_size", self.embed_size)
        if isinstance(self.dropout, bool) or not 0 <= self.dropout < 1:
            raise ValueError(f"LMConfig.dropout must be in [0, 1), got {self.dropout!r}")

    @property
    def embed(self) -> int:
        """E: the embedding width actually used."""
        return self.embed_size or self.hidden_size

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"LMConfig.{name} must be an integer >= 1, got {value!r}")


@dataclass
class LMBatch:
    """Next-token inputs and targets; the reversed stream too for a bidirectional model."""

    x: Tensor  # (B, T) token ids
    y: Tensor | None = None  # (B, T) next tokens
    reset: Tensor | None = None  # (B,) bool: lanes starting a new document (TBPTT)
    xb: Tensor | None = None  # (B, T) token ids of the reversed stream (backward LM)
    yb: Tensor | None = None  # (B, T) their next tokens (previous tokens of the text)

    def __len__(self) -> int:
        """Predicted tokens of the forward direction: B * T."""
        return int(self.x.shape[0] * self.x.shape[1])


class LanguageModel(nn.Module):
    """Embedding -> recurrent layer(s) -> linear to V; see the module docstring."""

    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embed)
        self.drop = nn.Dropout(c.dropout)
        self.rnn, self.proj, self.head = self._direction()
        if c.bidirectional:
            self.rnn_backward, self.proj_backward, self.head_backward = self._direction()

    def _direction(self) -> tuple[nn.Module, nn.Module | None, nn.Linear]:
        c = self.config
        rnn = LAYERS_BY_CELL[c.cell](
            c.embed,
            c.hidden_size,
            num_layers=c.num_layers,
            batch_first=True,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
            **c.cell_options,
        )
        tied = c.tie_weights
        proj = (
            nn.Linear(c.hidden_size, c.embed, bias=False)
            if tied and c.embed != c.hidden_size
            else None
        )
        head = nn.Linear(c.embed if tied else c.hidden_size, c.vocab_size)
        if tied:
            head.weight = self.embedding.weight  # (V, E), shared
        return rnn, proj, head

    def features(self, x: Tensor) -> Tensor:
        """Token ids (B, T) -> embeddings (B, T, E): the recurrent layer's input."""
        return self.embedding(x.long())

    def forward(self, batch: LMBatch, state: Any = None) -> Output:
        """Logits (B, T, V) of every next token; loss = mean cross-entropy in nats.

        ``state`` and ``Output.state`` are the forward layer's ``hx`` (torch.nn layout,
        (L, B, H)), or a pair (forward, backward) for a bidirectional model.
        """
        if not self.config.bidirectional:
            logits, state = self.read(batch.x, state, backward=False)  # (B, T, V)
            return Output(_xent(logits, batch.y), logits, state)
        fwd, bwd = state if state is not None else (None, None)
        logits, fwd = self.read(batch.x, fwd, backward=False)  # (B, T, V)
        if batch.xb is None:  # no reversed stream: the forward direction alone
            return Output(_xent(logits, batch.y), logits, (fwd, bwd))
        logits_b, bwd = self.read(batch.xb, bwd, backward=True)  # (B, T, V)
        loss_f, loss_b = _xent(logits, batch.y), _xent(logits_b, batch.yb)
        loss = None if loss_f is None or loss_b is None else (loss_f + loss_b) / 2
        return Output(loss, logits, (fwd, bwd))

    def read(self, x: Tensor, state: Any = None, *, backward: bool = False) -> tuple[Tensor, Any]:
        """One direction over token ids x (B, T): (logits (B, T, V), that direction's state)."""
        rnn, proj, head = self.direction(backward)
        out, state = rnn(self.drop(self.features(x)), state)  # (B, T, H)
        out = self.drop(out)
        if proj is not None:
            out = proj(out)  # (B, T, E)
        return head(out), state  # (B, T, V)

    def direction(self, backward: bool = False) -> tuple[nn.Module, nn.Module | None, nn.Linear]:
        """(recurrent layer, projection or None, read-out) of one direction."""
        if not backward:
            return self.rnn, self.proj, self.head
        if not self.config.bidirectional:
            raise ValueError("this language model has no backward direction (bidirectional=False)")
        return self.rnn_backward, self.proj_backward, self.head_backward

    def step(
        self, token: Tensor, state: Any = None, *, backward: bool = False
    ) -> tuple[Tensor, Any]:
        """One token in, the next token's logits out: token (B,) -> (logits (B, V), state).

        ``state`` is one direction's ``hx``, as ``forward`` returns it for a
        unidirectional model (None: zeros).
        """
        rnn, proj, head = self.direction(backward)
        out, state = rnn.step(self.drop(self.features(token)), state)  # (B, H)
        out = self.drop(out)
        if proj is not None:
            out = proj(out)  # (B, E)
        return head(out), state  # (B, V)

    @torch.no_grad()
    def prime(self, tokens: Tensor, *, backward: bool = False) -> tuple[Tensor, Any]:
        """Read a prefix once: tokens (B, T) -> (logits of the token after it (B, V), state)."""
        logits, state = self.read(tokens, None, backward=backward)  # (B, T, V)
        return logits[:, -1], state


def _xent(logits: Tensor, y: Tensor | None) -> Tensor | None:
    """Mean cross-entropy in nats: logits (B, T, V), targets (B, T)."""
    if y is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1).long())
