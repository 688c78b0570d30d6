"""The sequence classifier (many-to-one): read a whole sequence, emit one label.

input (an embedding for token ids, which may start from pretrained word vectors
(rnnkit.models.embedding), or a linear map for real features) -> dropout (optionally
locked: one mask for every step) -> a stacked, optionally bidirectional rnnkit layer
reading each sequence to its own length -> a pooling of the steps (``last``, ``mean``,
``max``, ``attention``, or several concatenated: ``max+attention``) -> a linear
classifier. Padding never changes a prediction: the layer stops at each length, the
reverse direction starts there, and every pooling ignores the steps past it.

A classifier started from a pretrained language model (rnnkit.tasks.classify) may keep
its input and recurrent layers fixed for the first ``freeze_steps`` training batches, so
that the new pooling and classifier settle before the pretrained weights move.

``model.classify(batch)`` gives the logits and, for attention pooling, the weights of
each step (B, T) for inspection; ``forward`` follows the model contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import require
from rnnkit.models.embedding import EmbeddingOptions, LockedDropout, TokenEmbedding, check_embedding
from rnnkit.models.output import Output
from rnnkit.models.recurrent import RecurrentModelConfig, check_token_ids, padding_mask
from rnnkit.models.sequence import SeqBatch, last_step

POOLS = ("last", "mean", "max", "attention")


@dataclass(kw_only=True)
class ClassifierConfig(RecurrentModelConfig, EmbeddingOptions):
    """Input, recurrent encoder, pooling and classifier; JSON-serialisable."""

    vocab_size: int = 0  # V > 0: inputs are token ids in [0, V) (set from the data)
    input_size: int = 1  # F: features per step of real-valued inputs (set from the data)
    num_classes: int = 2  # C (set from the data)
    embed_size: int = 64  # E: token embedding, or the linear map of features (0: none)
    bidirectional: bool = False  # read each sequence both ways
    pool: str = "last"  # steps -> one vector: last, mean, max, attention, or a+b (concatenated)
    dropout: float = 0.0  # on the inputs, between layers and before the classifier
    locked_dropout: bool = False  # the inputs' dropout keeps one mask for all steps of a sequence
    class_weights: tuple[float, ...] | None = None  # loss weight of each class (set by --balance)
    freeze_steps: int = 0  # training steps before the input and recurrent layers train too
    noise: float = 0.0  # std of Gaussian noise on real-valued inputs in training (augmentation)

    dropout_between_layers_only: ClassVar[bool] = False

    def validate(self) -> None:
        super().validate()
        check_embedding(self)
        parts = self.pools
        ok = all(p in POOLS for p in parts) and len(set(parts)) == len(parts)
        require(self, "pool", ok, f"one of {', '.join(POOLS)} or several joined by +")
        for name in ("input_size", "num_classes"):
            require(self, name, getattr(self, name) >= 1, "an integer >= 1")
        require(self, "vocab_size", self.vocab_size >= 0, "an integer >= 0")
        require(self, "embed_size", self.embed_size >= 0, "an integer >= 0")
        require(self, "freeze_steps", self.freeze_steps >= 0, "an integer >= 0")
        require(self, "noise", self.noise >= 0, "a number >= 0")
        if self.noise and self.vocab_size:
            require(self, "noise", False, "0 for token inputs (it perturbs real-valued features)")
        require(self, "num_classes", self.num_classes >= 2, "an integer >= 2")
        w = self.class_weights
        ok = w is None or (len(w) == self.num_classes and min(w) >= 0 and max(w) > 0)
        require(self, "class_weights", ok, "None or num_classes weights >= 0")
        if self.vocab_size:
            require(self, "embed_size", self.embed_size >= 1, "an integer >= 1 for token inputs")

    @property
    def pools(self) -> list[str]:
        """The poolings concatenated, in order."""
        return self.pool.split("+")

    @property
    def features(self) -> int:
        """The recurrent layer's input size."""
        return self.embed_size or (self.vocab_size or self.input_size)


class Classifier(nn.Module):
    """Sequence in, class logits (B, C) out; ``batch.lengths`` marks padding."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = c = config
        if c.vocab_size:
            self.embed: nn.Module = TokenEmbedding(c.vocab_size, c.embed_size, c)
        else:
            for name in ("pretrained_vectors", "word_dropout"):
                if getattr(c, name):
                    raise ValueError(f"ClassifierConfig.{name} applies to token inputs only")
            self.embed = nn.Linear(c.input_size, c.embed_size) if c.embed_size else nn.Identity()
        self.drop_in = LockedDropout(c.dropout) if c.locked_dropout else nn.Dropout(c.dropout)
        self.drop = nn.Dropout(c.dropout)
        self.rnn = c.layer(c.features, bidirectional=c.bidirectional)
        width = (2 if c.bidirectional else 1) * c.hidden_size
        if "attention" in c.pools:
            self.score = nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1))
        self.head = nn.Linear(len(c.pools) * width, c.num_classes)
        weights = torch.tensor(c.class_weights) if c.class_weights is not None else None
        self.register_buffer("class_weights", weights, persistent=False)
        self.register_buffer("steps_seen", torch.zeros((), dtype=torch.long))  # training batches

    def features(self, x: Tensor) -> Tensor:
        """Token ids (B, T) or features (B, T, F) -> the recurrent layer's input (B, T, E)."""
        c = self.config
        if c.vocab_size:
            return self.embed(check_token_ids(x, c.vocab_size).long())
        if x.dim() != 3 or x.shape[-1] != c.input_size:
            raise ValueError(
                f"inputs must be (batch, steps, {c.input_size} features), got {tuple(x.shape)}"
            )
        return self.embed(x.to(self.head.weight.dtype))

    def classify(self, batch: SeqBatch) -> tuple[Tensor, Tensor | None]:
        """(logits (B, C), attention weights (B, T) or None)."""
        frozen = False
        if self.training:  # gradual unfreezing: the pooling and head train first
            frozen = int(self.steps_seen) < self.config.freeze_steps
            self.steps_seen += 1
        x = batch.x
        if self.training and self.config.noise:  # padding gets noise too, and stays unread
            x = x + self.config.noise * torch.randn_like(x.to(self.head.weight.dtype))
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            x = self.drop_in(self.features(x))
            out, _ = self.rnn(x, lengths=batch.lengths)  # (B, T, D*H)
        pooled, weights = self.pool(out, batch.lengths)  # (B, K*D*H) for K poolings
        return self.head(self.drop(pooled)), weights

    def pool(self, out: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """(B, T, D*H) -> (B, K*D*H): each configured pooling over each sequence's valid
        steps, concatenated; the attention weights (B, T) where attention is one of them."""
        pooled = [self.pool_one(kind, out, lengths) for kind in self.config.pools]
        weights = next((w for _, w in pooled if w is not None), None)
        return torch.cat([p for p, _ in pooled], dim=-1), weights

    def pool_one(
        self, kind: str, out: Tensor, lengths: Tensor | None
    ) -> tuple[Tensor, Tensor | None]:
        """(B, T, D*H) -> (B, D*H) by one pooling."""
        if kind == "last":
            return last_step(out, lengths, self.config), None  # type: ignore[arg-type]
        mask = padding_mask(out.shape, lengths, out.device).bool()  # (B, T)
        if kind == "mean":
            m = mask.unsqueeze(-1).to(out.dtype)
            return (out * m).sum(1) / m.sum(1), None
        if kind == "max":
            return out.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values, None
        scores = self.score(out).squeeze(-1).masked_fill(~mask, float("-inf"))  # (B, T)
        weights = torch.softmax(scores, dim=1)
        return torch.einsum("bt,bth->bh", weights, out), weights

    def forward(self, batch: SeqBatch, state: Any = None) -> Output:
        logits, _ = self.classify(batch)  # (B, C)
        loss = None
        if batch.y is not None:
            w = None if self.class_weights is None else self.class_weights.to(logits.dtype)
            loss = F.cross_entropy(logits, batch.y.long(), weight=w)
        return Output(loss, logits, None)
