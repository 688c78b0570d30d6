"""Streaming, validated reading of UTF-8 text files in bounded memory.

Files are read in binary chunks and decoded strictly; a multi-byte character cut by a
chunk boundary is carried over to the next chunk. Binary input (a NUL byte) or bytes
that are not UTF-8 raise a one-line `ValueError` naming the file and the byte offset.
A UTF-8 byte-order mark at the start of a file is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

DEFAULT_CHUNK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"


def decode_chunk(path: Path, buf: bytes, offset: int, *, final: bool) -> tuple[str, bytes]:
    """Decode `buf` (read at byte `offset` of `path`); return (text, undecoded tail).

    The tail is an incomplete character at the end of `buf`, to be completed by the
    next read; at the end of the file (`final`) it is an error.
    """
    nul = buf.find(b"\0")
    if nul >= 0:
        raise ValueError(
            f"{path}: binary data (NUL byte) at byte offset {offset + nul}; expected UTF-8 text"
        )
    try:
        return buf.decode("utf-8"), b""
    except UnicodeDecodeError as e:
        incomplete = e.reason == "unexpected end of data" and len(buf) - e.start < 4
        if incomplete and not final:
            return buf[: e.start].decode("utf-8"), buf[e.start :]
        raise ValueError(
            f"{path}: invalid UTF-8 at byte offset {offset + e.start} ({e.reason}); "
            "expected UTF-8 text"
        ) from None


def iter_file_text(
    path: str | os.PathLike[str], *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[str]:
    """Yield the decoded text of one file, about `chunk_bytes` bytes at a time."""
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be >= 1, got {chunk_bytes}")
    path = Path(path)
    offset, pending = 0, b""
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk_bytes if offset else max(chunk_bytes, len(_BOM)))
            final = not block
            if offset == 0 and block.startswith(_BOM):
                block, offset = block[len(_BOM) :], len(_BOM)
            text, tail = decode_chunk(path, pending + block, offset - len(pending), final=final)
            offset += len(block)
            pending = tail
            if text:
                yield text
            if final:
                return


def iter_files_text(
    paths: Iterable[Path], *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[str]:
    """Yield the text of several files in order; a file not ending in a newline gets one."""
    for path in paths:
        last = ""
        for text in iter_file_text(path, chunk_bytes=chunk_bytes):
            last = text[-1]
            yield text
        if last and last != "\n":
            yield "\n"


def check_text_file(path: Path, *, probe_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
    """Cheap up-front check: `path` is a non-empty file whose first bytes are UTF-8 text."""
    if not path.is_file():
        raise ValueError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path}: empty file; expected UTF-8 text")
    with open(path, "rb") as f:
        head = f.read(probe_bytes)
    decode_chunk(path, head, 0, final=len(head) == size)
