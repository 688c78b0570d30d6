"""Word-vector files in the formats people have, streamed: only wanted words are parsed.

- **GloVe text**: one ``word v_1 ... v_E`` line per word, no header;
- **word2vec text** and **fastText ``.vec``**: the same lines after a header ``N E``;
- **word2vec binary** (``.bin``): a header line ``N E``, then per word its UTF-8 bytes, a
  space and E little-endian float32 values (a newline may follow each vector).

Any of them may be gzip-compressed (``.gz``). :func:`iter_vectors` yields ``(word,
values)`` for the words a caller wants, reading the file once from start to end, so
memory holds one line (or one binary record) at a time, never the whole file. A word
given twice keeps its first vector (files list the frequent spelling first).
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

Format = Literal["auto", "glove", "word2vec", "word2vec-binary"]
FORMATS: tuple[str, ...] = ("auto", "glove", "word2vec", "word2vec-binary")
CHUNK = 1 << 20  # bytes read at a time from a binary file


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it ends in ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def detect_format(path: Path) -> str:
    """``word2vec-binary`` for ``.bin`` files; text: ``word2vec`` if the first line is a
    header of two integers (word2vec text, fastText ``.vec``), else ``glove``."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    if name.endswith(".bin"):
        return "word2vec-binary"
    with open_binary(path) as f:
        first = f.readline().decode("utf-8", errors="replace").split()
    return "word2vec" if _header(first) is not None else "glove"


def _header(fields: list[str]) -> tuple[int, int] | None:
    """(N, E) if ``fields`` is a word2vec header line, else None."""
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        return int(fields[0]), int(fields[1])
    return None


def iter_vectors(
    path: str | os.PathLike[str], wanted: Callable[[str], bool], fmt: str = "auto"
) -> tuple[int, Iterator[tuple[str, np.ndarray]]]:
    """(E, the (word, float32 (E,)) pairs of the file whose word ``wanted`` accepts)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such word-vector file")
    if fmt not in FORMATS:
        raise ValueError(f"vector format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "word2vec-binary":
        return _binary(path, wanted)
    return _text(path, wanted, header=fmt == "word2vec")


def _text(
    path: Path, wanted: Callable[[str], bool], *, header: bool
) -> tuple[int, Iterator[tuple[str, np.ndarray]]]:
    f = io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace", newline="\n")
    first = f.readline()
    if not first.strip():
        f.close()
        raise ValueError(f"{path}: empty word-vector file")
    size = _header(first.split())
    if header and size is None:
        f.close()
        raise ValueError(f"{path}: line 1 is not a word2vec header 'N E'")
    E = size[1] if size is not None else len(first.rstrip().split(" ")) - 1
    if E < 1:
        f.close()
        raise ValueError(f"{path}: line 1 holds no vector")

    def lines() -> Iterator[tuple[str, np.ndarray]]:
        with f:
            numbered = enumerate(f, start=2)
            if size is None:  # GloVe: the first line is a vector too
                numbered = _chain((1, first), numbered)
            for n, line in numbered:
                word = line[: line.find(" ")]
                if not wanted(word) and not _spaced(line, E):
                    continue
                parsed = _parse(line, E, path, n)
                if parsed is not None and wanted(parsed[0]):
                    yield parsed

    return E, lines()


def _chain(head: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield head
    yield from rest


def _spaced(line: str, E: int) -> bool:
    """True if the line's word itself holds spaces (a few lines of the 840B GloVe do)."""
    return line.rstrip().count(" ") > E


def _parse(line: str, E: int, path: Path, n: int) -> tuple[str, np.ndarray] | None:
    """``word v_1 .. v_E`` -> (word, values); None for a blank line."""
    parts = line.rstrip().split(" ")
    if len(parts) == 1 and not parts[0]:
        return None
    if len(parts) < E + 1:
        raise ValueError(f"{path} line {n}: expected a word and {E} values, got {len(parts) - 1}")
    word = " ".join(parts[:-E])
    try:
        return word, np.array(parts[-E:], dtype=np.float32)
    except ValueError:
        raise ValueError(f"{path} line {n}: a value is not a number") from None


def _binary(
    path: Path, wanted: Callable[[str], bool]
) -> tuple[int, Iterator[tuple[str, np.ndarray]]]:
    f = open_binary(path)
    size = _header(f.readline().decode("ascii", errors="replace").split())
    if size is None:
        f.close()
        raise ValueError(f"{path}: not a word2vec binary file (no 'N E' header line)")
    N, E = size

    def records() -> Iterator[tuple[str, np.ndarray]]:
        reader = _Records(f, path, 4 * E)
        with f:
            for _ in range(N):
                raw, vec = reader.next()
                word = raw.decode("utf-8", errors="replace")
                if wanted(word):
                    yield word, np.frombuffer(vec, dtype="<f4").astype(np.float32)

    return E, records()


class _Records:
    """word2vec binary records ``word<space><E float32>`` read from a buffered stream."""

    def __init__(self, f: BinaryIO, path: Path, width: int) -> None:
        self.f, self.path, self.width = f, path, width
        self.buf, self.pos = b"", 0

    def _fill(self, need: int) -> None:
        while len(self.buf) - self.pos < need:
            more = self.f.read(CHUNK)
            if not more:
                raise ValueError(f"{self.path}: word2vec binary file ends early")
            self.buf = self.buf[self.pos :] + more
            self.pos = 0

    def next(self) -> tuple[bytes, bytes]:
        """(word bytes, vector bytes) of the next record."""
        while True:
            self._fill(1)
            if self.buf[self.pos : self.pos + 1] not in (b"\n", b"\r"):
                break
            self.pos += 1  # the newline some writers put after each vector
        end = self.buf.find(b" ", self.pos)
        while end < 0:
            self._fill(len(self.buf) - self.pos + 1)
            end = self.buf.find(b" ", self.pos)
        word = self.buf[self.pos : end]
        self.pos = end + 1
        self._fill(self.width)
        vec = self.buf[self.pos : self.pos + self.width]
        self.pos += self.width
        return word, vec
