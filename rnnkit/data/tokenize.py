"""Character- and word-level tokenizers over a capped vocabulary with `<unk>`.

Both work on a whole string (`encode`, `decode`) or on a stream of text chunks
(`fit_stream`, `encode_stream`) so a large corpus is never held in memory; a chunk
boundary may fall anywhere, including inside a word.

Word split (`WordTokenizer`): a token is a run of word characters (`\\w+`, Unicode
letters, digits and `_`), a single other non-space character (punctuation, symbols),
or a run of whitespace. A single space before a word or punctuation mark belongs to
that token (`"Hello, world"` -> `"Hello"`, `","`, `" world"`), as in GPT-2's
pre-tokenizer, so decoding is plain concatenation and `decode(encode(s)) == s` for any
text whose tokens are all in the vocabulary. Unknown tokens decode to `<unk>`
(word level) or U+FFFD (character level).

Saved as JSON (`save`/`load`, atomic write); no pickle.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rnnkit.data.atomic import write_json_atomic
from rnnkit.data.vocab import Vocab

FORMAT = "rnnkit.tokenizer"
FORMAT_VERSION = 1
WORD_PATTERN = re.compile(r" ?\w+| ?[^\w\s]|\s+(?!\S)|\s+")


class Tokenizer:
    """Base class: a vocabulary plus a rule cutting text into token strings."""

    level: ClassVar[str] = ""
    unk_text: ClassVar[str] = "<unk>"  # what `<unk>` decodes to

    def __init__(self, vocab: Vocab, *, max_size: int | None = None, min_count: int = 1):
        self.vocab = vocab
        self.max_size = max_size  # the cap the vocabulary was built with (kept in JSON)
        self.min_count = min_count
        self._strings = [self.unk_text, *vocab.tokens[1:]]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.vocab_size})"

    @property
    def vocab_size(self) -> int:
        """V: number of ids, `<unk>` included."""
        return len(self.vocab)

    # -- subclasses define how chunks become pieces and how pieces are counted/encoded --
    @classmethod
    def pieces(cls, chunks: Iterable[str]) -> Iterator[Any]:
        raise NotImplementedError

    @classmethod
    def count_piece(cls, counts: Counter[str], piece: Any) -> None:
        raise NotImplementedError

    def encode_piece(self, piece: Any) -> np.ndarray:
        raise NotImplementedError

    # -- shared API --
    @classmethod
    def fit_stream(
        cls, chunks: Iterable[str], *, max_size: int | None = None, min_count: int = 1
    ) -> Tokenizer:
        """Build the vocabulary from a stream of text chunks (one pass)."""
        counts: Counter[str] = Counter()
        for piece in cls.pieces(chunks):
            cls.count_piece(counts, piece)
        vocab = Vocab.build(counts, max_size=max_size, min_count=min_count)
        return cls(vocab, max_size=max_size, min_count=min_count)

    @classmethod
    def fit(cls, text: str, *, max_size: int | None = None, min_count: int = 1) -> Tokenizer:
        """Build the vocabulary from one string."""
        return cls.fit_stream([text], max_size=max_size, min_count=min_count)

    def encode_stream(self, chunks: Iterable[str]) -> Iterator[np.ndarray]:
        """Token ids (int64 arrays) for a stream of chunks; their concatenation is `encode`."""
        for piece in self.pieces(chunks):
            yield self.encode_piece(piece)

    def encode(self, text: str) -> np.ndarray:
        """Token ids of `text`, shape (T,), int64; unknown tokens map to 0 (`<unk>`)."""
        parts = list(self.encode_stream([text]))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Text of token ids (the inverse of `encode` for in-vocabulary text)."""
        try:
            return "".join(self._strings[int(i)] for i in ids)
        except IndexError:
            raise ValueError(f"ids: token id out of range 0..{self.vocab_size - 1}") from None

    def split(self, text: str) -> list[str]:
        """The token strings of `text` before vocabulary lookup."""
        return [t for piece in self.pieces([text]) for t in piece]

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable description (level, caps and token list)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "level": self.level,
            "max_size": self.max_size,
            "min_count": self.min_count,
            "tokens": list(self.vocab.tokens),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the tokenizer as JSON to `path` (atomic)."""
        write_json_atomic(path, self.to_json())


class CharTokenizer(Tokenizer):
    """One token per Unicode code point; encoding is vectorised with numpy."""

    level = "char"
    unk_text = "\ufffd"

    def __init__(self, vocab: Vocab, *, max_size: int | None = None, min_count: int = 1):
        super().__init__(vocab, max_size=max_size, min_count=min_count)
        chars = vocab.tokens[1:]
        if any(len(c) != 1 for c in chars):
            raise ValueError("tokens: a character vocabulary holds single characters")
        codes = np.array([ord(c) for c in chars], dtype=np.int64)
        order = np.argsort(codes)
        self._codes = codes[order]  # sorted code points, (V-1,)
        self._ids = (order + 1).astype(np.int64)  # their token ids, (V-1,)

    @classmethod
    def pieces(cls, chunks: Iterable[str]) -> Iterator[np.ndarray]:
        for chunk in chunks:
            yield _code_points(chunk)

    @classmethod
    def count_piece(cls, counts: Counter[str], piece: np.ndarray) -> None:
        values, n = np.unique(piece, return_counts=True)
        for v, c in zip(values.tolist(), n.tolist(), strict=True):
            counts[chr(v)] += c

    def encode_piece(self, piece: np.ndarray) -> np.ndarray:
        if len(self._codes) == 0:
            return np.zeros(len(piece), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._codes, piece), len(self._codes) - 1)
        return np.where(self._codes[pos] == piece, self._ids[pos], 0)

    def split(self, text: str) -> list[str]:
        return list(text)


class WordTokenizer(Tokenizer):
    """Words, single punctuation marks and whitespace runs (see the module docstring)."""

    level = "word"

    @classmethod
    def pieces(cls, chunks: Iterable[str]) -> Iterator[list[str]]:
        carry = ""  # the last token of the previous chunk: the next chunk may extend it
        for chunk in chunks:
            tokens = WORD_PATTERN.findall(carry + chunk)
            carry = tokens.pop() if tokens else ""
            yield tokens
        yield [carry] if carry else []

    @classmethod
    def count_piece(cls, counts: Counter[str], piece: list[str]) -> None:
        counts.update(piece)

    def encode_piece(self, piece: list[str]) -> np.ndarray:
        index = self.vocab.index
        return np.fromiter((index.get(t, 0) for t in piece), dtype=np.int64, count=len(piece))


TOKENIZERS: dict[str, type[Tokenizer]] = {"char": CharTokenizer, "word": WordTokenizer}


def make_tokenizer(level: str) -> type[Tokenizer]:
    """The tokenizer class for `level` ("char" or "word")."""
    if level not in TOKENIZERS:
        raise ValueError(f"level must be one of {sorted(TOKENIZERS)}, got {level!r}")
    return TOKENIZERS[level]


def tokenizer_from_json(obj: dict[str, Any]) -> Tokenizer:
    """Rebuild a tokenizer from `Tokenizer.to_json()` output."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"format: not an rnnkit tokenizer (expected {FORMAT!r})")
    if obj.get("version") != FORMAT_VERSION:
        raise ValueError(f"version: unsupported tokenizer version {obj.get('version')!r}")
    cls = make_tokenizer(obj.get("level", ""))
    vocab = Vocab.from_list(obj.get("tokens", []))
    return cls(vocab, max_size=obj.get("max_size"), min_count=obj.get("min_count", 1))


def load_tokenizer(path: str | os.PathLike[str]) -> Tokenizer:
    """Read a tokenizer written by `Tokenizer.save`."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    return tokenizer_from_json(obj)


def _code_points(text: str) -> np.ndarray:
    """Unicode code points of `text`, shape (T,), int64."""
    raw = text.encode("utf-32-le", errors="surrogatepass")
    return np.frombuffer(raw, dtype="<u4").astype(np.int64)
