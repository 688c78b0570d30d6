"""Recurrent language models: embedding -> stacked RNN/LSTM/GRU -> linear read-out to V.

``LanguageModel`` predicts token t+1 from tokens 0..t. It is trained on chunks of a
token stream by truncated BPTT (``forward(batch, state)`` returns the carried state)
and generates one token at a time with ``step`` (the layer's streaming ``step``, so a
new token never re-reads the prefix).

With ``backward_lm=True`` the model holds a second, *backward* language model that
reads the text right to left and predicts token t-1 from tokens t..T-1. The two share
the embedding; each has its own recurrent layer and read-out. A batch then carries the
reversed stream too (``LMBatch.xb``/``yb``) and the loss is the mean of both
directions' cross-entropies. Both directions estimate the probability of the same
text, which is what fill-in-the-blank scoring uses (rnnkit.tasks.lm.fill).

The embedding may start from pretrained word vectors, frozen or fine-tuned
(rnnkit.models.embedding); a tied read-out then scores with the embedding's table in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.layers.fused.step import fused_step_logits
from rnnkit.models.embedding import EmbeddingOptions, TokenEmbedding, check_embedding
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig, check_token_ids


@dataclass(kw_only=True)
class LMConfig(RecurrentModelConfig, EmbeddingOptions):
    """A recurrent language model; JSON-serialisable."""

    vocab_size: int = 0  # V: token ids in [0, V) (0: set by the task from its tokenizer)
    hidden_size: int = 512  # H: units per layer
    embed_size: int | None = None  # E: embedding width (None: the hidden size)
    dropout: float = 0.0  # on the embeddings, between layers and before the read-out

    dropout_between_layers_only: ClassVar[bool] = False
    tie_weights: bool = False  # read-out shares the embedding matrix (projects H -> E if E != H)
    backward_lm: bool = False  # also train a backward LM (right to left) sharing the embedding

    renamed: ClassVar[dict[str, str]] = {"bidirectional": "backward_lm"}  # runs before 0.2

    def validate(self) -> None:
        super().validate()
        check_embedding(self)
        require(self, "vocab_size", self.vocab_size >= 0, "an integer >= 0")
        e = self.embed_size
        require(self, "embed_size", e is None or e >= 1, "None or an integer >= 1")

    @property
    def embed(self) -> int:
        """E: the embedding width actually used."""
        return self.embed_size or self.hidden_size


@dataclass
class LMBatch:
    """Next-token inputs and targets; the reversed stream too for a model with a backward LM."""

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
        if config.vocab_size < 1:
            raise ValueError("LMConfig.vocab_size must be set (>= 1) to build a model")
        self.config = c = config
        self.embedding = TokenEmbedding(c.vocab_size, c.embed, c)
        self.drop = nn.Dropout(c.dropout)
        self.rnn, self.proj, self.head = self._direction()
        if c.backward_lm:
            self.rnn_backward, self.proj_backward, self.head_backward = self._direction()

    def _direction(self) -> tuple[nn.Module, nn.Module | None, nn.Linear]:
        c = self.config
        rnn = c.layer(c.embed)
        tied = c.tie_weights
        proj = (
            nn.Linear(c.hidden_size, c.embed, bias=False)
            if tied and c.embed != c.hidden_size
            else None
        )
        if tied and self.embedding.pretrained is not None:
            return rnn, proj, TiedReadout(self.embedding)  # type: ignore[return-value]
        head = nn.Linear(c.embed if tied else c.hidden_size, c.vocab_size)
        if tied:
            head.weight = self.embedding.weight  # (V, E), shared
        return rnn, proj, head

    def features(self, x: Tensor) -> Tensor:
        """Token ids (B, T) -> embeddings (B, T, E): the recurrent layer's input."""
        return self.embedding(check_token_ids(x, self.config.vocab_size).long())

    def forward(self, batch: LMBatch, state: Any = None) -> Output:
        """Logits (B, T, V) of every next token; loss = mean cross-entropy in nats.

        ``state`` and ``Output.state`` are always the pair ``(forward, backward)`` of the
        two directions' ``hx`` (torch.nn layout, (L, B, H)); ``backward`` is None without
        a backward LM, or when the batch holds no reversed stream.
        """
        fwd, bwd = state if state is not None else (None, None)
        logits, fwd = self.read(batch.x, fwd, backward=False)  # (B, T, V)
        loss = _xent(logits, batch.y)
        if self.config.backward_lm and batch.xb is not None:
            logits_b, bwd = self.read(batch.xb, bwd, backward=True)  # (B, T, V)
            loss_b = _xent(logits_b, batch.yb)
            loss = None if loss is None or loss_b is None else (loss + loss_b) / 2
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
        if not self.config.backward_lm:
            raise ValueError("this language model has no backward direction (backward_lm=False)")
        return self.rnn_backward, self.proj_backward, self.head_backward

    def step(
        self, token: Tensor, state: Any = None, *, backward: bool = False
    ) -> tuple[Tensor, Any]:
        """One token in, the next token's logits out: token (B,) -> (logits (B, V), state).

        ``state`` is one direction's ``hx``, one half of ``forward``'s pair (None: zeros).
        """
        fast = None if backward else self._fused_step(token, state)
        if fast is not None:
            return fast
        rnn, proj, head = self.direction(backward)
        out, state = rnn.step(self.drop(self.features(token)), state)  # (B, H)
        out = self.drop(out)
        if proj is not None:
            out = proj(out)  # (B, E)
        return head(out), state  # (B, V)

    def _fused_step(self, token: Tensor, state: Any) -> tuple[Tensor, Any] | None:
        """The forward direction's step as one kernel call (embedding, stack, read-out)
        when autograd is off on the CPU; None otherwise. It runs once per generated token,
        so it reads the submodules' dictionaries directly (``nn.Module.__getattr__`` costs
        about as much as the rest of the call)."""
        modules = self._modules
        embedding = modules["embedding"]
        if self.proj is not None or self.training or embedding.pretrained is not None:
            return None  # dropout, or a table pieced from pretrained rows: the module path
        head = modules["head"]._parameters
        table = embedding._parameters.get("weight")  # (V, E)
        rnn = modules["rnn"]
        return fused_step_logits(rnn, token, state, table, head.get("weight"), head.get("bias"))

    @torch.no_grad()
    def prime(self, tokens: Tensor, *, backward: bool = False) -> tuple[Tensor, Any]:
        """Read a prefix once: tokens (B, T) -> (logits of the token after it (B, V), state)."""
        logits, state = self.read(tokens, None, backward=backward)  # (B, T, V)
        return logits[:, -1], state


class TiedReadout(nn.Module):
    """Logits from the embedding's table in use (pretrained rows where found): (..., E) ->
    (..., V). The table is read at each call, so frozen vectors stay frozen here too."""

    def __init__(self, embedding: TokenEmbedding) -> None:
        super().__init__()
        self.table = embedding.table  # a bound method: the embedding stays registered once
        self.bias = nn.Parameter(torch.zeros(embedding.num_embeddings))  # (V,)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.table(), self.bias)


def _xent(logits: Tensor, y: Tensor | None) -> Tensor | None:
    """Mean cross-entropy in nats: logits (B, T, V), targets (B, T)."""
    if y is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1).long())
