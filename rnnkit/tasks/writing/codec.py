"""What a sequence-writing model reads and writes: the source and target vocabularies.

Characters or whitespace-separated words, fitted on the training pairs. A source with
a character (or, at word level, nothing but words) never seen in training, an empty
source or one longer than ``max_source`` is refused with a one-line error; target ids
are ``<unk>`` 0, ``<s>`` 1, ``</s>`` 2, then the training targets' tokens. Saved with a
run as ``codec.json``, so a run translates without its data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch

from rnnkit.models.seq2seq import PairBatch

SPECIAL = ("<unk>", "<s>", "</s>")


def split(text: str, level: str) -> list[str]:
    return list(text) if level == "char" else text.split()


def join(tokens: Sequence[str], level: str) -> str:
    return "".join(tokens) if level == "char" else " ".join(tokens)


@dataclass
class Codec:
    """Source and target text <-> token ids."""

    source_tokens: list[str]  # <unk> first
    target_tokens: list[str]  # <unk>, <s>, </s> first
    source_level: str = "char"
    target_level: str = "char"
    max_source: int = 200  # the longest source accepted (tokens)

    @classmethod
    def fit(
        cls,
        pairs: Sequence[tuple[str, str]],
        *,
        source_level: str,
        target_level: str,
        max_source: int,
        min_count: int = 1,
    ) -> Codec:
        src = Counter(t for s, _ in pairs for t in split(s, source_level))
        tgt = Counter(t for _, s in pairs for t in split(s, target_level))

        def kept(counts: Counter[str]) -> list[str]:
            return sorted(
                (t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t)
            )

        return cls(
            ["<unk>", *kept(src)],
            [*SPECIAL, *kept(tgt)],
            source_level,
            target_level,
            max_source,
        )

    @cached_property
    def _source_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.source_tokens)}

    @cached_property
    def _target_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.target_tokens)}

    def encode_source(self, text: str, *, strict: bool = True) -> np.ndarray:
        """Source ids (S,); ``strict``: unknown characters are an error, not <unk>."""
        tokens = split(text, self.source_level)
        if not tokens:
            raise ValueError("empty source: there is nothing to translate")
        if len(tokens) > self.max_source:
            raise ValueError(
                f"source of {len(tokens)} tokens is longer than this model's limit of "
                f"{self.max_source} (Seq2SeqConfig.max_source)"
            )
        index = self._source_index
        unknown = [t for t in tokens if t not in index]
        if unknown and strict and self.source_level == "char":
            shown = "".join(sorted(set(unknown)))
            raise ValueError(f"source {text!r} has characters never seen in training: {shown!r}")
        return np.array([index.get(t, 0) for t in tokens], dtype=np.int64)

    def encode_target(self, text: str) -> np.ndarray:
        """Target ids followed by </s> (T + 1,)."""
        index = self._target_index
        ids = [index.get(t, 0) for t in split(text, self.target_level)]
        return np.array([*ids, 2], dtype=np.int64)

    def decode(self, ids: Sequence[int]) -> str:
        """Target ids (without </s>) -> text."""
        return join([self.target_tokens[i] for i in ids], self.target_level)

    def source_labels(self, text: str) -> list[str]:
        """The source's tokens as shown on a picture's axis."""
        return split(text, self.source_level)

    @property
    def source_vocab(self) -> int:
        return len(self.source_tokens)

    @property
    def target_vocab(self) -> int:
        return len(self.target_tokens)

    def to_dict(self) -> dict[str, Any]:
        keys = ("source_tokens", "target_tokens", "source_level", "target_level", "max_source")
        return {k: getattr(self, k) for k in keys}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Codec:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def pad(arrays: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id sequences with 0: (B, T) ids and (B,) lengths."""
    lengths = torch.tensor([len(a) for a in arrays])
    x = torch.zeros(len(arrays), int(lengths.max()), dtype=torch.long)
    for i, a in enumerate(arrays):
        x[i, : len(a)] = torch.from_numpy(a)
    return x, lengths


def shifted(targets: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets ending in </s> -> (decoder input <s> y_1..y_{n-1}, output, lengths), padded."""
    y, lengths = pad(targets)
    y_in = torch.cat([torch.ones(len(targets), 1, dtype=torch.long), y[:, :-1]], 1)
    y_in = y_in * (torch.arange(y.shape[1]) < lengths[:, None])  # padding stays 0
    return y_in, y, lengths


def collate(
    sources: Sequence[np.ndarray], targets: Sequence[np.ndarray] | None = None
) -> PairBatch:
    """A padded batch; each target (ending in </s>) also shifted right behind <s>."""
    x, lengths = pad(sources)
    if targets is None:
        return PairBatch(x, lengths)
    return PairBatch(x, lengths, *shifted(targets))
