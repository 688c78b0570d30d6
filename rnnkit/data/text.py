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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from rnnkit.config import Config, require
from rnnkit.data.corpora import cache_root, load_corpus
from rnnkit.data.memmap import split_bounds, tokenize_to_memmap
from rnnkit.data.tokenize import Tokenizer

SPLIT_NAMES = ("train", "val", "test")


@dataclass
class TextDataConfig(Config):
    """Where the text comes from, how it is tokenised and how it is split."""

    corpus: str = "shakespeare"  # fortunes, shakespeare, or a UTF-8 text file / folder of .txt
    level: Literal["char", "word"] = "char"  # tokens: characters or words
    max_vocab: int | None = None  # cap the vocabulary, <unk> included (None: keep every token)
    min_count: int = 1  # tokens seen fewer times map to <unk>
    split: tuple[float, ...] = (0.9, 0.05, 0.05)  # train/val/test fractions
    chunk_bytes: int = 1 << 20  # bytes read per step while tokenising (bounds RAM)

    def validate(self) -> None:
        require(self, "corpus", bool(self.corpus), "a non-empty corpus name or path")
        v = self.max_vocab
        require(self, "max_vocab", v is None or v >= 2, "None or an integer >= 2 (<unk> + one)")
        require(self, "min_count", self.min_count >= 1, "an integer >= 1")
        require(
            self, "split", _split_ok(self.split), "three fractions >= 0 summing to 1, train > 0"
        )
        require(self, "chunk_bytes", self.chunk_bytes >= 1, "an integer >= 1")


def _split_ok(split: tuple[float, ...]) -> bool:
    """Train/val/test fractions: three finite numbers >= 0, train > 0, summing to 1."""
    if len(split) != 3 or not all(math.isfinite(x) and x >= 0 for x in split):
        return False
    return split[0] > 0 and abs(sum(split) - 1.0) <= 1e-6


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
