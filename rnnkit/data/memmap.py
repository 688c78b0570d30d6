"""Tokenise a corpus once into a memory-mapped token array, cached on disk.

Two streaming passes over the text in chunks of `chunk_bytes`: the first counts tokens
and builds the vocabulary, the second encodes and appends ids to `tokens.bin`. RAM
stays bounded by the chunk size (plus the vocabulary counts), so a 1 GB text file is
never read whole. The ids are stored as the smallest unsigned type that holds V
(uint8, uint16 or uint32) and read back with `numpy.memmap` in copy-on-write mode:
`torch.from_numpy(array)` shares the pages without copying, and nothing written to the
array in memory ever reaches the file.

The cache folder `<cache>/tokens/<name>-<key>/` holds `tokens.bin`, `vocab.json` and
`meta.json` (written last, atomically: a folder without it is rebuilt). The key hashes
each file's path, size and modification time with the tokenizer settings, so a repeated
run reuses the array and an edited file is tokenised again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.atomic import atomic_open, write_json_atomic
from rnnkit.data.corpora import CorpusSource
from rnnkit.data.tokenize import Tokenizer, load_tokenizer, make_tokenizer

CACHE_VERSION = 1


@dataclass(frozen=True)
class TokenArray:
    """A tokenised corpus: ids as a memmap of shape (N,) and their tokenizer."""

    tokens: np.ndarray  # (N,) uint8/16/32 copy-on-write memmap of tokens.bin
    tokenizer: Tokenizer
    path: Path  # cache folder


def token_dtype(vocab_size: int) -> np.dtype:
    """The smallest unsigned integer dtype that holds ids 0..vocab_size-1."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    raise ValueError(f"vocab_size {vocab_size} does not fit in uint32 ids")


def cache_key(source: CorpusSource, settings: dict[str, Any]) -> str:
    """A short hash of the corpus files (path, size, mtime) and tokenizer settings."""
    blob = json.dumps(
        {"version": CACHE_VERSION, "files": source.fingerprint(), "settings": settings},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def tokenize_to_memmap(
    source: CorpusSource,
    cache_dir: Path,
    *,
    level: str = "char",
    max_size: int | None = None,
    min_count: int = 1,
    chunk_bytes: int = 1 << 20,
) -> TokenArray:
    """The token array of `source`, built once under `cache_dir/tokens` and then reused."""
    cls = make_tokenizer(level)
    settings = {"level": level, "max_size": max_size, "min_count": min_count}
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source.name).name)[:40] or "corpus"
    folder = cache_dir / "tokens" / f"{safe_name}-{cache_key(source, settings)}"
    if not (folder / "meta.json").is_file():
        tokenizer = cls.fit_stream(
            source.chunks(chunk_bytes), max_size=max_size, min_count=min_count
        )
        _write_cache(folder, source, tokenizer, settings, chunk_bytes)
    return _open_cache(folder)


def _write_cache(
    folder: Path,
    source: CorpusSource,
    tokenizer: Tokenizer,
    settings: dict[str, Any],
    chunk_bytes: int,
) -> None:
    """Encode `source` into `folder/tokens.bin`, then write vocab.json and meta.json."""
    dtype = token_dtype(tokenizer.vocab_size)
    n = 0
    with atomic_open(folder / "tokens.bin", "wb") as f:
        for ids in tokenizer.encode_stream(source.chunks(chunk_bytes)):
            f.write(ids.astype(dtype).tobytes())
            n += len(ids)
    if n == 0:
        raise ValueError(f"corpus {source.name!r}: no tokens (empty text)")
    tokenizer.save(folder / "vocab.json")
    meta = {
        "version": CACHE_VERSION,
        "corpus": source.name,
        "files": [str(p) for p in source.files],
        "settings": settings,
        "dtype": dtype.name,
        "length": n,
        "vocab_size": tokenizer.vocab_size,
    }
    write_json_atomic(folder / "meta.json", meta)


def _open_cache(folder: Path) -> TokenArray:
    """Open a finished cache folder as a read-only memmap."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    dtype, length = np.dtype(meta["dtype"]), int(meta["length"])
    if (folder / "tokens.bin").stat().st_size != length * dtype.itemsize:
        raise ValueError(f"{folder}: token cache is damaged; delete the folder to rebuild it")
    # copy-on-write: writable (so torch.from_numpy shares it without a warning), but a
    # write only changes this process's pages, never the cache file
    tokens = np.memmap(folder / "tokens.bin", dtype=dtype, mode="c", shape=(length,))
    return TokenArray(tokens=tokens, tokenizer=load_tokenizer(folder / "vocab.json"), path=folder)


def split_bounds(n: int, fractions: tuple[float, ...]) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges covering 0..n in order, sized by `fractions`."""
    edges = np.rint(np.cumsum((0.0, *fractions)) * n).astype(np.int64)
    edges[-1] = n
    edges = np.minimum(edges, n)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
