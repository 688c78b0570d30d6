"""Text language-modelling data: corpus -> tokenizer -> memory-mapped ids -> splits.

```python
data = load_text_data(TextDataConfig(corpus="shakespeare", level="char", split=(0.9, 0.1, 0.0)))
data.train, data.val, data.test   # (N_split,) memmap views, not copies
torch.from_numpy(data.train)      # shares the pages; `.long()` a batch before embedding
data.tokenizer.save(run_dir / "vocab.json")
```

The split is deterministic: contiguous fractions of the token stream in the order
train, validation, test (no shuffling, so no text leaks between splits beyond the two
boundaries).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.corpora import cache_root, load_corpus
from rnnkit.data.memmap import split_bounds, tokenize_to_memmap
from rnnkit.data.tokenize import TOKENIZERS, Tokenizer
from rnnkit.data.vocab import check_caps

SPLIT_NAMES = ("train", "val", "test")


@dataclass
class TextDataConfig:
    """Where the text comes from, how it is tokenised and how it is split."""

    corpus: str = "shakespeare"  # registered corpus name, or a text file / folder path
    level: str = "char"  # "char" or "word" tokens
    max_vocab: int | None = None  # vocabulary cap including <unk>; None keeps every token
    min_count: int = 1  # tokens seen fewer times map to <unk>
    split: tuple[float, float, float] = (0.9, 0.05, 0.05)  # train/val/test fractions
    chunk_bytes: int = 1 << 20  # bytes read per step while tokenising (bounds RAM)

    def __post_init__(self) -> None:
        if not isinstance(self.corpus, str) or not self.corpus:
            raise ValueError("corpus must be a non-empty corpus name or path")
        if self.level not in TOKENIZERS:
            raise ValueError(f"level must be one of {sorted(TOKENIZERS)}, got {self.level!r}")
        try:
            check_caps(self.max_vocab, self.min_count)
        except ValueError as e:
            raise ValueError(str(e).replace("max_size", "max_vocab")) from None
        self.split = _check_split(self.split)
        if not isinstance(self.chunk_bytes, int) or self.chunk_bytes < 1:
            raise ValueError(f"chunk_bytes must be an integer >= 1, got {self.chunk_bytes!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fields."""
        d = asdict(self)
        d["split"] = list(self.split)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextDataConfig:
        """Inverse of `to_dict`; unknown keys are an error."""
        unknown = set(d) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown TextDataConfig field(s): {', '.join(sorted(unknown))}")
        return cls(**d)


def _check_split(split: Any) -> tuple[float, float, float]:
    """Validate train/val/test fractions: three numbers >= 0, train > 0, summing to 1."""
    try:
        values = tuple(float(x) for x in split)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 3 or not all(math.isfinite(x) and x >= 0 for x in values):
        raise ValueError(f"split must be three fractions >= 0 (train, val, test), got {split!r}")
    if values[0] <= 0 or abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1 with train > 0, got {split!r}")
    return values  # type: ignore[return-value]


@dataclass
class TextData:
    """A tokenised corpus and its contiguous splits (views of one memmap)."""

    config: TextDataConfig
    tokenizer: Tokenizer
    tokens: np.ndarray  # (N,) every token id, memmap
    cache_path: Path  # folder holding tokens.bin, vocab.json, meta.json
    splits: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (N_split,) view

    @property
    def train(self) -> np.ndarray:
        return self.splits["train"]

    @property
    def val(self) -> np.ndarray:
        return self.splits["val"]

    @property
    def test(self) -> np.ndarray:
        return self.splits["test"]

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size


def load_text_data(
    config: TextDataConfig, *, cache_dir: str | os.PathLike[str] | None = None
) -> TextData:
    """Load (tokenising once, then from the cache) and split the corpus of `config`."""
    root = cache_root(cache_dir)
    source = load_corpus(config.corpus, cache_dir=root)
    array = tokenize_to_memmap(
        source,
        root,
        level=config.level,
        max_size=config.max_vocab,
        min_count=config.min_count,
        chunk_bytes=config.chunk_bytes,
    )
    bounds = split_bounds(len(array.tokens), config.split)
    splits = {name: array.tokens[a:b] for name, (a, b) in zip(SPLIT_NAMES, bounds, strict=True)}
    return TextData(config, array.tokenizer, array.tokens, array.path, splits)
