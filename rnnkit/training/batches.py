"""What the trainer needs to know about batches: where they come from, how many items."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch

from rnnkit.training import tree

BatchSource = Callable[[int], Iterable[Any]]  # epoch -> that epoch's batches, deterministic


def as_source(data: Any) -> BatchSource | None:
    """A callable ``epoch -> batches`` from a callable or a re-iterable collection."""
    if data is None or callable(data):
        return data
    return lambda epoch: data


def skip(batches: Iterator[Any], n: int) -> None:
    """Advance past the first `n` batches (resuming in the middle of an epoch)."""
    for _ in range(n):
        next(batches, None)


def count_items(batch: Any) -> int:
    """Samples in a batch: its ``len()`` if it defines one, else dim 0 of its first tensor."""
    if hasattr(batch, "__len__") and not isinstance(batch, (tuple, list, dict, torch.Tensor)):
        return len(batch)
    found = tree.tensors(batch)
    return int(found[0].shape[0]) if found else 1


class ShuffledBatches:
    """Epoch -> full batches of ``n`` items in a shuffled order, a function of (seed, epoch).

    ``make(indices)`` builds one global batch from item indices (names, windows, ...);
    the last partial batch of an epoch is dropped. ``len()`` is batches per epoch. With
    ``weights`` (one per item), an epoch draws ``n`` items with replacement, each in
    proportion to its weight (balanced sampling of imbalanced classes).
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        seed: int,
        make: Callable[[list[int]], Any],
        weights: Sequence[float] | None = None,
    ):
        self.n, self.batch_size, self.seed, self.make = n, batch_size, seed, make
        self.weights = None if weights is None else torch.tensor(weights, dtype=torch.float64)

    def __call__(self, epoch: int) -> Iterator[Any]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        if self.weights is None:
            order = torch.randperm(self.n, generator=g).tolist()
        else:
            order = torch.multinomial(self.weights, self.n, True, generator=g).tolist()
        for start in range(0, self.n - self.batch_size + 1, self.batch_size):
            yield self.make(order[start : start + self.batch_size])

    def __len__(self) -> int:
        return self.n // self.batch_size
