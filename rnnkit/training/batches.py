"""What the trainer needs to know about batches: where they come from, how many items."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
