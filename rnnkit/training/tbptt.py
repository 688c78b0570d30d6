"""Truncated BPTT over one long stream: lanes, chunks, random lengths, document resets.

A stream of N steps (tokens, or feature vectors of a series) is cut into B contiguous
*lanes* of equal length, laid side by side as a batch; each lane is read in *chunks*
of k steps. The trainer carries the recurrent state from one chunk to the next and
detaches it in between (:class:`CarryState`, a callback of the trainer), so gradients flow
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

from rnnkit.config import Config, require
from rnnkit.training import distributed as ddp
from rnnkit.training.callbacks import Callback
from rnnkit.training.precision import as_float32
from rnnkit.training.tree import detach_state, keep_lanes, tensors, to_device


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


@dataclass
class TBPTTConfig(Config):
    """How a stream is cut for truncated BPTT (tasks that read one long stream)."""

    bptt: int = 64  # k: truncated-BPTT chunk length, in steps
    bptt_random: bool = False  # draw each chunk length around k instead of fixed k

    def validate(self) -> None:
        require(self, "bptt", self.bptt >= 1, "an integer >= 1")


class StreamBatches:
    """Chunks of a long stream split into lanes, one epoch at a time, read lazily.

    `stream` is ``(N,)`` (token ids) or ``(N, F)`` (a series): a tensor, or a numpy
    array such as a memory-mapped token file. Nothing is copied up front; each chunk
    gathers its ``B x k`` steps from the stream when it is made, so memory does not
    grow with N. With ``reverse=True`` the stream is read backwards (position i is
    ``stream[N - 1 - i]``), for right-to-left models.

    `doc_starts` lists the stream positions where documents begin; a chunk's `reset`
    flags the lanes whose first step is such a position, and the trainer zeroes their
    carried state. Data parallelism shards the lanes of every chunk
    (rnnkit.training.distributed.shard_source), not the stream.
    """

    def __init__(
        self,
        stream: Tensor | np.ndarray,
        *,
        lanes: int,
        bptt: int,
        random: bool = False,
        seed: int = 0,
        doc_starts: Sequence[int] = (),
        reverse: bool = False,
    ):
        N = int(stream.shape[0])
        lane_len = (N - 1) // lanes  # L: steps per lane (targets need +1)
        if lane_len < 1:
            raise ValueError(f"stream of {N} steps is too short for {lanes} lanes")
        self.stream, self.N, self.reverse = stream, N, reverse
        self.bptt, self.random, self.seed, self.lane_len = bptt, random, seed, lane_len
        self.lane_starts = np.arange(lanes, dtype=np.int64) * lane_len  # (B,)
        self.doc_starts = np.unique(np.asarray(doc_starts, dtype=np.int64))

    def lengths(self, epoch: int) -> list[int]:
        """The chunk lengths of `epoch` (random ones change with the epoch)."""
        return chunk_lengths(
            self.lane_len, self.bptt, random=self.random, seed=self.seed * 100_003 + epoch
        )

    def __call__(self, epoch: int) -> Iterator[Chunk]:
        """Yield the chunks of one pass over the stream, in order."""
        t = 0
        for n in self.lengths(epoch):
            yield self.chunk(t, n)
            t += n

    def chunk(self, t: int, n: int) -> Chunk:
        """Steps t .. t+n-1 of every lane: x (B, n, ...), y the step after each."""
        idx = self.lane_starts[:, None] + t + np.arange(n)  # (B, n) stream positions
        reset = np.isin(self.lane_starts + t, self.doc_starts)  # (B,)
        return Chunk(
            x=self._read(idx), y=self._read(idx + 1), reset=torch.from_numpy(reset), start=t
        )

    def _read(self, idx: np.ndarray) -> Tensor:
        if self.reverse:
            idx = self.N - 1 - idx
        if isinstance(self.stream, Tensor):
            return self.stream[torch.from_numpy(idx)]
        return torch.from_numpy(np.ascontiguousarray(self.stream[idx]))

    def __len__(self) -> int:
        """Chunks per epoch (exact for fixed lengths, of epoch 0 for random ones)."""
        return len(self.lengths(0))


def reset_lanes(state: Any, batch: Any) -> Any:
    """Zero the carried state of the lanes where `batch.reset` says a document starts."""
    reset = getattr(batch, "reset", None)
    if state is None or reset is None or not bool(reset.any()):
        return state
    return keep_lanes(state, ~reset.to(tensors(state)[0].device))


class CarryState(Callback):
    """Truncated BPTT's state carry, a callback of ``Trainer(carry_state=True)``.

    Feeds each batch the detached final state of the batch before (float32, whatever the
    autocast precision), zeroing the lanes where ``batch.reset`` says a document starts;
    forgets it at the end of an epoch. Saved with `last` as all ranks' lanes joined, so a
    resumed run continues every lane where it was.
    """

    def __init__(self, dist: ddp.DistInfo):
        self.dist = dist
        self.carry: Any = None  # detached recurrent state carried between batches

    def on_batch_start(self, trainer: Any) -> None:
        trainer.state_in = reset_lanes(self.carry, trainer.batch)

    def on_step_end(self, trainer: Any) -> None:
        self.carry = as_float32(detach_state(trainer.state_out))

    def on_epoch_end(self, trainer: Any) -> None:
        self.carry = None

    def state_dict(self) -> dict[str, Any]:
        return {"carry": ddp.gather_lanes(self.carry, self.dist)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        carry = to_device(state["carry"], self.dist.device)
        self.carry = ddp.split_lanes(carry, self.dist)
