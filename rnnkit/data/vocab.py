"""Vocabulary: an ordered list of token strings with `<unk>` at id 0.

Ids follow frequency: `<unk>` first, then tokens by descending count, ties broken by
the token string, so the same counts always give the same vocabulary. A cap
(`max_size`, counting `<unk>`) and a `min_count` drop rare tokens; text that uses them
encodes to `<unk>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

UNK = "<unk>"


@dataclass(frozen=True)
class Vocab:
    """Token strings by id; `tokens[0]` is always `<unk>`."""

    tokens: tuple[str, ...]  # id -> token string, `<unk>` at id 0
    index: dict[str, int] = field(init=False, repr=False, compare=False)  # token -> id

    def __post_init__(self) -> None:
        if not self.tokens or self.tokens[0] != UNK:
            raise ValueError(f"tokens: the first token must be {UNK!r}")
        index = {t: i for i, t in enumerate(self.tokens)}
        if len(index) != len(self.tokens):
            raise ValueError("tokens: duplicate token in vocabulary")
        object.__setattr__(self, "index", index)

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(
        cls, counts: Mapping[str, int], *, max_size: int | None = None, min_count: int = 1
    ) -> Vocab:
        """The `max_size` (including `<unk>`) most frequent tokens seen `min_count`+ times."""
        check_caps(max_size, min_count)
        kept = sorted(
            (t for t, n in counts.items() if n >= min_count and t != UNK),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            kept = kept[: max_size - 1]
        return cls((UNK, *kept))

    @classmethod
    def from_list(cls, tokens: Sequence[str]) -> Vocab:
        """A vocabulary from its token list (as stored in JSON)."""
        if not all(isinstance(t, str) for t in tokens):
            raise ValueError("tokens: every token must be a string")
        return cls(tuple(tokens))


def check_caps(max_size: int | None, min_count: int) -> None:
    """Validate vocabulary caps, raising ValueError naming the field."""
    if max_size is not None and (not isinstance(max_size, int) or max_size < 2):
        raise ValueError(f"max_size must be an integer >= 2 (<unk> + one token), got {max_size!r}")
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
