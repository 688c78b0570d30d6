"""Pretrained word vectors for a task's vocabulary: ``load_vectors(source, tokens)``.

``source`` is a registered name (:data:`SOURCES`, e.g. ``glove-6b-50d``) or a file in one
of the formats people have (GloVe text, word2vec text or binary, fastText ``.vec``;
rnnkit.data.vector_files). Only the rows of the vocabulary are read: the registered
source's parquet vocabulary is searched with the vocabulary's words hashed (not the
source's) and its ``.npy`` matrix read row by row at their offsets; a file is streamed
line by line. Memory holds about the vocabulary's own (V, E) matrix, never the source.

Matching a vocabulary token to a source word:

1. the token without surrounding whitespace (word-level language models keep the space
   before a word: ``" world"`` looks up ``world``; tokens of whitespace only get none);
2. exactly as written;
3. else case-folded (``str.lower`` on both sides): ``Paris`` finds ``paris`` (all of
   GloVe 6B is lower case) and ``paris`` finds ``Paris`` in a cased source; the source's
   first such word (its most frequent spelling) wins.

Rows found nowhere (``<unk>`` included, unless the source has ``<unk>``) are drawn from
a normal distribution with the found rows' per-dimension mean and standard deviation
(seeded), so they start on the pretrained rows' scale and learn from the data.
:meth:`WordVectors.coverage` counts the share of the vocabulary and of the training
tokens that got a pretrained vector.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.vector_files import iter_vectors
from rnnkit.data.vector_sources import SOURCES, read_registered, registered_words


@dataclass
class WordVectors:
    """Row i is the vector of vocabulary token i."""

    source: str  # the registered name or the file read
    matrix: np.ndarray  # (V, E) float32
    found: np.ndarray  # (V,) bool: read from the source (exactly or case-folded)
    folded: np.ndarray  # (V,) bool: found only through case folding
    wordlike: np.ndarray  # (V,) bool: a token that can have a vector (not <unk>, not blank)

    @property
    def dim(self) -> int:
        """E: the vectors' width."""
        return int(self.matrix.shape[1])

    def coverage(self, counts: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
        """Vocabulary (and, given training counts per token id, token) coverage.

        ``counts[i]``: training occurrences of token id i; id 0 (``<unk>``) counts the
        training tokens left out of the vocabulary, which have no vector.
        """
        words = int(self.wordlike.sum())
        out: dict[str, Any] = {
            "source": self.source,
            "dim": self.dim,
            "words": words,
            "words_found": int(self.found.sum()),
            "words_case_folded": int(self.folded.sum()),
            "vocab_coverage": float(self.found.sum() / max(words, 1)),
        }
        if counts is not None:
            n = np.asarray(counts, dtype=np.float64)
            if n.shape != self.found.shape:
                raise ValueError(f"counts: expected {len(self.found)} token counts, got {n.shape}")
            counted = self.wordlike.copy()
            counted[0] = True  # tokens outside the vocabulary count as not found
            out["token_coverage"] = float(n[self.found].sum() / max(n[counted].sum(), 1.0))
        return out


def source_words(
    source: str, top: int, *, fmt: str = "auto", root: str | os.PathLike[str] | None = None
) -> list[str]:
    """The first ``top`` words of a source (sources list the frequent words first): words
    a vocabulary can take beyond its training data, so that text unseen in training still
    finds its vectors in a saved model."""
    if top < 0:
        raise ValueError(f"top must be an integer >= 0, got {top}")
    if source in SOURCES:
        return registered_words(source, top, root)
    if not Path(source).is_file():
        raise ValueError(f"{source}: not a word-vector file nor a registered source")
    _, pairs = iter_vectors(source, lambda w: True, fmt)
    return [word for word, _ in itertools.islice(pairs, top)]


def lookup_key(token: str) -> str | None:
    """The word a token looks up: stripped of whitespace; None for blank tokens."""
    key = token.strip()
    return key or None


def load_vectors(
    source: str,
    tokens: Sequence[str],
    *,
    seed: int = 0,
    fmt: str = "auto",
    root: str | os.PathLike[str] | None = None,
) -> WordVectors:
    """Vectors for ``tokens`` (a vocabulary, ``<unk>`` at id 0); see the module docstring.

    ``source``: a name in :data:`SOURCES` or a file path; ``fmt``: the file's format
    (``auto`` tells by the name and the first line); ``root``: another folder holding the
    registered source's files (tests).
    """
    keys = [lookup_key(t) if i else None for i, t in enumerate(tokens)]
    exact = sorted({k for k in keys if k is not None})
    if source in SOURCES:
        E, hits, folded_hits = read_registered(source, exact, root)
    else:
        E, hits, folded_hits = _read_file(source, exact, fmt)
    return _assemble(source, keys, E, hits, folded_hits, seed)


def _read_file(
    path: str, exact: list[str], fmt: str
) -> tuple[int, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One pass over a file: exact hits, and for every lower-cased key its first hit."""
    if not Path(path).is_file():
        names = ", ".join(SOURCES)
        raise ValueError(f"{path}: not a word-vector file nor a registered source ({names})")
    want, want_lower = set(exact), {k.lower() for k in exact}
    E, pairs = iter_vectors(path, lambda w: w in want or w.lower() in want_lower, fmt)
    hits: dict[str, np.ndarray] = {}
    by_lower: dict[str, np.ndarray] = {}
    for word, values in pairs:
        if len(values) != E:
            raise ValueError(f"{path}: {word!r} has {len(values)} values, not {E}")
        if word in want and word not in hits:
            hits[word] = values
        by_lower.setdefault(word.lower(), values)
    folded = {k: by_lower[k.lower()] for k in exact if k not in hits and k.lower() in by_lower}
    return E, hits, folded


def _assemble(
    source: str,
    keys: list[str | None],
    E: int,
    hits: dict[str, np.ndarray],
    folded_hits: dict[str, np.ndarray],
    seed: int,
) -> WordVectors:
    V = len(keys)
    matrix = np.zeros((V, E), dtype=np.float32)
    found, folded = np.zeros(V, dtype=bool), np.zeros(V, dtype=bool)
    for i, k in enumerate(keys):
        if k is None:
            continue
        vec = hits.get(k)
        if vec is None and k in folded_hits:
            vec, folded[i] = folded_hits[k], True
        if vec is not None:
            matrix[i], found[i] = vec, True
    if not found.any():
        raise ValueError(f"{source}: no word of the vocabulary has a vector there")
    mean, std = matrix[found].mean(0), matrix[found].std(0)  # (E,) each
    rng = np.random.default_rng(seed)
    rest = ~found
    matrix[rest] = rng.normal(mean, std, size=(int(rest.sum()), E)).astype(np.float32)
    wordlike = np.array([k is not None for k in keys], dtype=bool)
    return WordVectors(source, matrix, found, folded, wordlike)
