"""Distributed data parallel: one process per device, launched by torchrun.

``torchrun --standalone --nproc_per_node=N -m rnnkit <command> ...`` sets RANK,
WORLD_SIZE, LOCAL_RANK and the rendezvous address; :func:`init` reads them, joins the
process group (gloo on CPU, nccl on GPU) and says which device this rank uses. Each
rank reads its own shard of every global batch; only rank 0 writes files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from rnnkit.training import tree


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the job."""

    rank: int = 0  # global rank
    world: int = 1  # number of processes
    local_rank: int = 0  # rank on this node (picks the GPU)
    device: str = "cpu"  # device this rank trains on

    @property
    def main(self) -> bool:
        """Rank 0: the process that writes checkpoints, metrics and progress."""
        return self.rank == 0


def init(device: str | None = None) -> DistInfo:
    """Join the process group if launched by torchrun; a single process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    if world == 1:
        return DistInfo(device=device or ("cuda" if use_cuda else "cpu"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    dev = f"cuda:{local_rank}" if use_cuda else "cpu"
    return DistInfo(
        rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local_rank, device=dev
    )


@contextmanager
def session(device: str | None = None) -> Iterator[DistInfo]:
    """`init()` on entry, `shutdown()` on exit (also when the body raises)."""
    info = init(device)
    try:
        yield info
    finally:
        shutdown()


def shutdown() -> None:
    """Leave the process group (if any), after every rank has got here.

    Ranks finish at different moments (rank 0 writes the last checkpoint); tearing the
    group down while a peer still uses its connections can abort that peer's process,
    so the ranks meet at a barrier first. If a peer has failed, the barrier fails or
    times out and the group is torn down anyway.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(seconds=60))
        else:
            dist.barrier()
    except RuntimeError:
        pass  # a peer is gone: nothing left to wait for
    dist.destroy_process_group()


def wrap(model: nn.Module, info: DistInfo) -> nn.Module:
    """Wrap `model` in DistributedDataParallel when there is more than one process."""
    if info.world == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [info.local_rank] if info.device.startswith("cuda") else None
    return DistributedDataParallel(model, device_ids=ids)


def shard(batch: Any, info: DistInfo) -> Any:
    """This rank's rows of a global batch: tensors are split evenly along dim 0."""
    if info.world == 1:
        return batch

    def take(t: Tensor) -> Tensor:
        if t.dim() == 0 or t.shape[0] % info.world:
            raise ValueError(
                f"global batch of {t.shape[:1]} rows does not split over {info.world} ranks"
            )
        n = t.shape[0] // info.world
        return t[info.rank * n : (info.rank + 1) * n]

    return tree.map_tensors(batch, take)


class shard_source:  # noqa: N801 (a function-like wrapper)
    """A batch source (``epoch -> global batches``) yielding this rank's shards.

    The one place data parallelism splits data: every task yields global batches and
    each rank keeps its rows (lanes) of every tensor. ``len()`` is the source's.
    """

    def __init__(self, source: Callable[[int], Iterable[Any]], info: DistInfo):
        self.source, self.info = source, info

    def __call__(self, epoch: int) -> Iterator[Any]:
        return (shard(batch, self.info) for batch in self.source(epoch))

    def __len__(self) -> int:
        return len(self.source)  # type: ignore[arg-type]


def all_sum(values: list[float], info: DistInfo) -> list[float]:
    """Sum a few numbers over ranks (identity for one process)."""
    if info.world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return t.tolist()


def gather_lanes(state: Any, info: DistInfo) -> Any:
    """All ranks' carried states joined along the batch (lane) dimension."""
    if info.world == 1 or state is None:
        return state

    def gather(t: Tensor) -> Tensor:
        parts = [torch.empty_like(t) for _ in range(info.world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts, dim=-2)  # (..., B_global, H)

    return tree.map_tensors(state, gather)


def split_lanes(state: Any, info: DistInfo) -> Any:
    """This rank's part of a state gathered by :func:`gather_lanes`."""
    if info.world == 1 or state is None:
        return state
    return tree.map_tensors(state, lambda t: t.chunk(info.world, dim=-2)[info.rank])
