"""What the classifier reads: examples encoded once, and padded batches of them.

Text becomes token ids over a vocabulary of the training split (words and punctuation
marks, or characters; ``<unk>`` at id 0 for the rest), or — for a classifier started
from a pretrained language model — the ids of that model's tokenizer; series are standardised per
channel with the training split's mean and standard deviation. Both encoders are saved
with a run as JSON (``encoder.json``), so a run predicts without its data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.data.tokenize import Tokenizer, tokenizer_from_json
from rnnkit.data.vocab import Vocab
from rnnkit.models.sequence import SeqBatch

WORD = re.compile(r"\w+|[^\w\s]")  # a word, or one punctuation mark / symbol


@dataclass
class Encoder:
    """Examples -> arrays: token ids (T,) for text, standardised features (T, F) for series."""

    kind: str  # "text" or "series"
    classes: list[str]
    level: str = "word"  # text: "word" or "char"
    lowercase: bool = True
    tokens: list[str] | None = None  # text: the vocabulary, <unk> first
    mean: list[float] | None = None  # series: per-channel mean (F,)
    std: list[float] | None = None  # series: per-channel standard deviation (F,)
    max_length: int = 0  # keep the first N steps (0: all)
    tokenizer: dict[str, Any] | None = None  # text: a pretrained LM's tokenizer (JSON) instead

    @classmethod
    def fit(
        cls,
        kind: str,
        classes: list[str],
        train: Sequence[Any],
        *,
        level: str = "word",
        lowercase: bool = True,
        max_vocab: int = 20000,
        min_count: int = 1,
        max_length: int = 0,
        tokenizer: dict[str, Any] | None = None,
    ) -> Encoder:
        """Fitted on the training examples only."""
        enc = cls(kind, classes, level, lowercase, max_length=max_length, tokenizer=tokenizer)
        if tokenizer is not None:
            enc.tokens = list(tokenizer["tokens"])
        elif kind == "text":
            counts = Counter(t for text in train for t in enc.split(text))
            enc.tokens = list(Vocab.build(counts, max_size=max_vocab, min_count=min_count).tokens)
        else:
            steps = np.concatenate([np.asarray(x, dtype=np.float64) for x in train])  # (ΣT, F)
            std = steps.std(0)
            enc.mean, enc.std = steps.mean(0).tolist(), np.where(std > 0, std, 1.0).tolist()
        return enc

    def split(self, text: str) -> list[str]:
        """A text's tokens (before the vocabulary): words and marks, or characters."""
        if self.tokenizer is not None:
            return self._lm.split(text)  # the LM's own split, case and spaces kept
        if self.lowercase:
            text = text.lower()
        return list(text.strip()) if self.level == "char" else WORD.findall(text)

    @cached_property
    def _lm(self) -> Tokenizer:
        return tokenizer_from_json(self.tokenizer)  # type: ignore[arg-type]

    @property
    def vocab_size(self) -> int:
        return len(self.tokens or ())

    @property
    def features(self) -> int:
        return len(self.mean or ())

    def encode(self, item: Any) -> np.ndarray:
        """One example as ids (T,) or features (T, F); an empty text is one <unk>."""
        if self.tokenizer is not None:
            out = self._lm.encode(item) if item else np.zeros(1, dtype=np.int64)
        elif self.kind == "text":
            index = self._index
            ids = [index.get(t, 0) for t in self.split(item)] or [0]
            out = np.array(ids, dtype=np.int64)
        else:
            x = np.asarray(item, dtype=np.float32)
            if x.ndim != 2 or x.shape[1] != self.features:
                raise ValueError(
                    f"a series must have {self.features} features per step, got shape {x.shape}"
                )
            out = ((x - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)
        return out[: self.max_length] if self.max_length else out

    @cached_property
    def _index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tokens or ())}

    def step_labels(self, x: np.ndarray) -> list[str]:
        """A label per step of an encoded example: its token, or t0, t1, ... for series."""
        if self.kind == "text":
            return [self.tokens[i] if i else "<unk>" for i in x]  # type: ignore[index]
        return [f"t{t}" for t in range(len(x))]

    def to_dict(self) -> dict[str, Any]:
        keys = ("kind", "classes", "level", "lowercase", "tokens", "mean", "std", "max_length")
        keys += ("tokenizer",)
        return {k: getattr(self, k) for k in keys}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Encoder:
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


def collate(arrays: Sequence[np.ndarray], y: Sequence[int] | None = None) -> SeqBatch:
    """Pad to the longest example: x (B, T) ids or (B, T, F) features, lengths (B,)."""
    lengths = torch.tensor([len(a) for a in arrays])
    T = int(lengths.max())
    first = arrays[0]
    x = torch.zeros((len(arrays), T, *first.shape[1:]), dtype=torch.from_numpy(first).dtype)
    for i, a in enumerate(arrays):
        x[i, : len(a)] = torch.from_numpy(a)
    target = torch.tensor(list(y), dtype=torch.long) if y is not None else None
    return SeqBatch(x, target, lengths)


def start_from(model: nn.Module, lm: nn.Module) -> list[str]:
    """Copy a language model's embedding and layers into the classifier: the forward LM
    into the forward direction, a backward LM into the reverse one; parameters whose shapes
    differ (the upper layers of a bidirectional stack read 2H) keep their initialisation.
    Returns the names of the parameters copied."""
    source = {"embed.weight": lm.embedding.weight}
    for name, p in lm.rnn.named_parameters():
        source[f"rnn.{name}"] = p
    if getattr(lm, "rnn_backward", None) is not None:
        for name, p in lm.rnn_backward.named_parameters():
            source[f"rnn.{name}_reverse"] = p
    copied = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in source and source[name].shape == p.shape:
                p.copy_(source[name])
                copied.append(name)
    return copied
