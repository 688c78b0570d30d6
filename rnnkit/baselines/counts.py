"""N-gram count tables over integer token arrays, built with numpy sorting.

Every distinct j-gram gets a dense id. The (j+1)-gram `(h, w)` is keyed by the integer
`id(h) * V + w`, where `id(h)` is the id of its j-token context `h`; the keys of one
order are sorted (`np.unique`) and a gram's id is its position in that sorted array, so
lookups are `np.searchsorted`. Keys stay below `N * V`, so int64 never overflows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CountTable:
    """The (j+1)-grams of one order j (context length j), their counts and context stats."""

    keys: np.ndarray  # (G,) int64, sorted: context_id * V + w
    raw: np.ndarray  # (G,) int64, occurrences of each gram
    continuation: np.ndarray  # (G,) int64, distinct one-token-left extensions of each gram
    num_contexts: int  # C: distinct j-grams (1 for j = 0)
    vocab_size: int  # V

    @property
    def contexts(self) -> np.ndarray:
        """(G,) context id of each gram."""
        return self.keys // self.vocab_size


def lookup(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Positions of `query` in sorted `keys`, or -1 where absent (negative queries too)."""
    if len(keys) == 0:
        return np.full(query.shape, -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where((keys[pos] == query) & (query >= 0), pos, -1)


def gram_keys(context_ids: np.ndarray, tokens: np.ndarray, vocab_size: int) -> np.ndarray:
    """Keys `context_id * V + w` (int64), -1 where the context is unknown (id < 0)."""
    return np.where(context_ids >= 0, context_ids * vocab_size + tokens, -1)


def count_tables(tokens: np.ndarray, order: int, vocab_size: int) -> list[CountTable]:
    """Count tables for orders 0..`order` of a token array of shape (N,).

    Only full windows are counted: the (j+1)-gram ending at t needs t >= j.
    """
    n = len(tokens)
    ends = np.zeros(n, dtype=np.int64)  # id of the j-gram ending at each t (j = 0: empty)
    tables: list[CountTable] = []
    for j in range(order + 1):
        if j >= n:
            tables.append(_empty_table(vocab_size, max(len(tables[-1].keys), 1)))
            ends = np.full(n, -1, dtype=np.int64)
            continue
        context = ends[j - 1 : n - 1] if j > 0 else ends  # (N - j,) j-gram before t
        keys = context * vocab_size + tokens[j:]  # (N - j,)
        uniq, first, inverse, raw = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        if j > 0:  # the suffix of each new gram is a j-gram: count its left extensions
            suffix = ends[first + j]
            tables[-1].continuation = np.bincount(suffix, minlength=len(tables[-1].keys))
        num_contexts = len(tables[-1].keys) if tables else 1
        tables.append(CountTable(uniq, raw, raw.copy(), num_contexts, vocab_size))
        ends = np.full(n, -1, dtype=np.int64)
        ends[j:] = inverse.reshape(-1)
    return tables


def _empty_table(vocab_size: int, num_contexts: int) -> CountTable:
    """A table with no grams (the text is shorter than the order)."""
    empty = np.zeros(0, dtype=np.int64)
    return CountTable(empty, empty, empty.copy(), num_contexts, vocab_size)


def context_stats(contexts: np.ndarray, counts: np.ndarray, num_contexts: int) -> np.ndarray:
    """Per context: total count and number of grams seen once, twice, three+ times.

    Returns shape (4, C) float64: rows total, N1, N2, N3+.
    """
    stats = np.zeros((4, num_contexts), dtype=np.float64)
    stats[0] = np.bincount(contexts, weights=counts, minlength=num_contexts)
    for row, mask in enumerate((counts == 1, counts == 2, counts >= 3), start=1):
        stats[row] = np.bincount(contexts[mask], minlength=num_contexts)
    return stats


def modified_kn_discounts(counts: np.ndarray) -> np.ndarray:
    """Chen & Goodman's discounts (D1, D2, D3+) from the count-of-counts n1..n4.

    Y = n1 / (n1 + 2 n2), D_r = r - (r + 1) Y n_{r+1} / n_r. Clipped to [0.1, r - 0.1]
    so every seen context keeps some mass for lower orders (and degenerate tiny corpora
    still give a distribution).
    """
    n = [float(np.count_nonzero(counts == r)) for r in range(1, 5)]
    y = n[0] / (n[0] + 2 * n[1]) if n[0] + 2 * n[1] > 0 else 0.5
    d = np.empty(3)
    for r in (1, 2, 3):
        ratio = n[r] / n[r - 1] if n[r - 1] > 0 else 0.0
        d[r - 1] = np.clip(r - (r + 1) * y * ratio, 0.1, r - 0.1)
    return d
