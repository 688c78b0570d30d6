"""Token embeddings that may start from pretrained word vectors, and the dropouts of text RNNs.

:class:`TokenEmbedding` is ``nn.Embedding`` (the parameter ``weight`` (V, E)) plus, with
``pretrained_vectors``, a second table ``pretrained`` (V, E) and a mask ``found`` (V,):

    e(w) = pretrained[w]  if found[w]  (a row read from the vectors, rnnkit.data.vectors)
           weight[w]      otherwise    (rows the vectors lack: learnt from the data)

Frozen (``freeze_embeddings``), ``pretrained`` takes no gradient and no optimizer step, so
its rows stay bit-identical through training while the rows not found still learn;
fine-tuned, it learns at ``embeddings_lr`` times the learning rate (its own optimizer
group: rnnkit.training.optim). ``pretrained`` and ``found`` are part of the state dict,
so a saved model carries its vectors and never needs their source again.

Word dropout drops a token's whole vector (all E values, scaled by 1/(1-p) like dropout)
in training; :class:`LockedDropout` (variational dropout, Gal & Ghahramani 2016) draws one
mask per sequence and feature and applies it at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import Config, require
from rnnkit.training.optim import LR_SCALE


@dataclass(kw_only=True)
class EmbeddingOptions:
    """Fields of a token model's embedding (mixed into its config)."""

    pretrained_vectors: bool = (
        False  # the embedding starts from pretrained word vectors (set from the data)
    )
    freeze_embeddings: bool = (
        False  # keep the pretrained vectors fixed (rows not found still learn)
    )
    embeddings_lr: float = 1.0  # learning rate of fine-tuned pretrained vectors, times --lr
    word_dropout: float = 0.0  # probability of dropping a token's whole vector in training


def check_embedding(config: Config) -> None:
    """Range checks of a config's :class:`EmbeddingOptions` fields (from its ``validate``)."""
    o: EmbeddingOptions = config  # type: ignore[assignment]
    require(config, "word_dropout", 0 <= o.word_dropout < 1, "in [0, 1)")
    require(config, "embeddings_lr", o.embeddings_lr > 0, "a number > 0")


class TokenEmbedding(nn.Module):
    """Token ids (...) -> vectors (..., E); see the module docstring."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        options: EmbeddingOptions | None = None,
    ) -> None:
        super().__init__()
        o = options or EmbeddingOptions()
        if o.freeze_embeddings and not o.pretrained_vectors:
            name = type(o).__name__
            raise ValueError(
                f"{name}.freeze_embeddings applies to pretrained vectors, and none are set"
            )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = nn.Parameter(torch.randn(num_embeddings, embedding_dim))  # (V, E)
        self.word_dropout, lr_scale = o.word_dropout, o.embeddings_lr
        self.pretrained: nn.Parameter | None = None
        if o.pretrained_vectors:
            table = torch.zeros(num_embeddings, embedding_dim)
            self.pretrained = nn.Parameter(table, requires_grad=not o.freeze_embeddings)
            setattr(self.pretrained, LR_SCALE, lr_scale)
            self.register_buffer("found", torch.zeros(num_embeddings, dtype=torch.bool))

    def load_vectors(self, matrix: np.ndarray | Tensor, found: np.ndarray | Tensor) -> None:
        """Start from vectors: ``matrix`` (V, E) (every row: the ones not found are the
        documented draws), ``found`` (V,) bool marks rows read from the source."""
        if self.pretrained is None:
            raise ValueError("this embedding was built without pretrained_vectors")
        m = torch.as_tensor(np.asarray(matrix), dtype=self.weight.dtype)
        if tuple(m.shape) != (self.num_embeddings, self.embedding_dim):
            raise ValueError(
                f"vectors of shape {tuple(m.shape)} do not fit an embedding of "
                f"{self.num_embeddings} x {self.embedding_dim}"
            )
        with torch.no_grad():
            self.weight.copy_(m)
            self.pretrained.copy_(m)
            self.found.copy_(torch.as_tensor(np.asarray(found), dtype=torch.bool))

    def table(self) -> Tensor:
        """The (V, E) matrix in use: the pretrained rows where found, else ``weight``."""
        if self.pretrained is None:
            return self.weight
        return torch.where(self.found.unsqueeze(-1), self.pretrained, self.weight)

    def forward(self, ids: Tensor) -> Tensor:
        e = F.embedding(ids, self.weight)  # (..., E)
        if self.pretrained is not None:
            e = torch.where(self.found[ids].unsqueeze(-1), F.embedding(ids, self.pretrained), e)
        if self.training and self.word_dropout:
            keep = torch.rand(ids.shape, device=e.device) >= self.word_dropout  # (...,)
            e = e * (keep.unsqueeze(-1).to(e.dtype) / (1 - self.word_dropout))
        return e

    def extra_repr(self) -> str:
        kind = "" if self.pretrained is None else ", pretrained"
        if self.pretrained is not None and not self.pretrained.requires_grad:
            kind += " (frozen)"
        return f"{self.num_embeddings}, {self.embedding_dim}{kind}"


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence, shared by every step: (B, T, F) -> (B, T, F)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or not self.p:
            return x
        keep = torch.rand(x.shape[0], 1, x.shape[-1], device=x.device) >= self.p  # (B, 1, F)
        return x * (keep.to(x.dtype) / (1 - self.p))
