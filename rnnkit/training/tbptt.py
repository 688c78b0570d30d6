"""Truncated BPTT over one long stream: lanes, chunks, random lengths, document resets.

A stream of N steps (tokens, or feature vectors of a series) is cut into B contiguous
*lanes* of equal length, laid side by side as a batch; each lane is read in *chunks*
of k steps. The trainer carries the recurrent state from one chunk to the next and
detaches it in between (:func:`rnnkit.training.tree.detach_state`), so gradients flow
back at most one chunk while the state sees the whole stream. Lane b at chunk start t
continues exactly where it was at the end of the previous chunk.

    stream  s_0 s_1 ... s_{N-1}
    lane b  = s[b*L : b*L + L] (inputs), s[b*L + 1 : b*L + L + 1] (next-step targets)
    chunk   = lanes[:, t : t + k]                                  # (B, k, ...)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnkit.training.tree import keep_lanes, tensors


@dataclass
class Chunk:
    """One truncated-BPTT step's batch: next-step inputs and targets of every lane."""

    x: Tensor  # (B, T, ...) inputs
    y: Tensor  # (B, T, ...) targets: the stream one step ahead
    reset: Tensor  # (B,) bool: the lane starts a new document at this chunk's first step
    start: int  # position of the chunk inside each lane

    def __len__(self) -> int:
        """Number of predicted steps (targets) in the chunk: B * T."""
        return int(self.y.shape[0] * self.y.shape[1])


def chunk_lengths(
    total: int, k: int, *, random: bool = False, seed: int = 0, min_len: int = 5
) -> list[int]:
    """Chunk lengths covering `total` steps; the last one may be short.

    With `random`, each length is drawn as in AWD-LSTM: the mean is k with probability
    0.95 and k/2 otherwise, the length ~ Normal(mean, 5) rounded, at least `min_len`
    (so chunk boundaries move between epochs and every position gets trained on as a
    chunk start). Deterministic given `seed`.
    """
    if k < 1 or total < 0:
        raise ValueError(f"chunk_lengths: need k >= 1 and total >= 0, got k={k}, total={total}")
    rng = np.random.default_rng(seed)
    lengths, done = [], 0
    while done < total:
        n = k
        if random:
            mean = k if rng.random() < 0.95 else k / 2
            n = max(min(min_len, k), int(round(rng.normal(mean, 5))))
        n = min(n, total - done)  # the short last chunk
        lengths.append(n)
        done += n
    return lengths


class StreamBatches:
    """Chunks of a long stream split into lanes, one epoch at a time.

    `stream` is ``(N,)`` (token ids) or ``(N, F)`` (a series). `doc_starts` lists the
    stream positions where documents begin; a chunk's `reset` flags the lanes whose
    first step is such a position, and the trainer zeroes their carried state.
    Under data parallelism each rank keeps lanes ``[rank*B/W, (rank+1)*B/W)``.
    """

    def __init__(
        self,
        stream: Tensor,
        *,
        lanes: int,
        bptt: int,
        random: bool = False,
        seed: int = 0,
        doc_starts: Sequence[int] = (),
        rank: int = 0,
        world: int = 1,
    ):
        if lanes % world:
            raise ValueError(f"batch size (lanes) {lanes} must be divisible by {world} ranks")
        lane_len = (stream.shape[0] - 1) // lanes  # L: steps per lane (targets need +1)
        if lane_len < 1:
            raise ValueError(f"stream of {stream.shape[0]} steps is too short for {lanes} lanes")
        self.bptt, self.random, self.seed, self.lane_len = bptt, random, seed, lane_len
        mine = slice(rank * lanes // world, (rank + 1) * lanes // world)
        n = lanes * lane_len
        self.x = stream[:n].reshape(lanes, lane_len, *stream.shape[1:])[mine]  # (B, L, ...)
        self.y = stream[1 : n + 1].reshape(lanes, lane_len, *stream.shape[1:])[mine]  # (B, L, ...)
        starts = torch.zeros(n + 1, dtype=torch.bool)
        starts[[p for p in doc_starts if 0 <= p <= n]] = True
        self.starts = starts[:n].reshape(lanes, lane_len)[mine]  # (B, L) bool

    def lengths(self, epoch: int) -> list[int]:
        """The chunk lengths of `epoch` (random ones change with the epoch)."""
        return chunk_lengths(
            self.lane_len, self.bptt, random=self.random, seed=self.seed * 100_003 + epoch
        )

    def __call__(self, epoch: int) -> Iterator[Chunk]:
        """Yield the chunks of one pass over the stream, in order."""
        t = 0
        for n in self.lengths(epoch):
            yield Chunk(
                x=self.x[:, t : t + n],
                y=self.y[:, t : t + n],
                reset=self.starts[:, t].clone(),
                start=t,
            )
            t += n

    def __len__(self) -> int:
        """Chunks per epoch (exact for fixed lengths, of epoch 0 for random ones)."""
        return len(self.lengths(0))


def reset_lanes(state: Any, batch: Any) -> Any:
    """Zero the carried state of the lanes where `batch.reset` says a document starts."""
    reset = getattr(batch, "reset", None)
    if state is None or reset is None or not bool(reset.any()):
        return state
    return keep_lanes(state, ~reset.to(tensors(state)[0].device))
