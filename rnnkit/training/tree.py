"""Nested structures of tensors: detach, move, mask lanes, and flatten for safetensors.

A *tree* is a tensor, None, a JSON scalar, or a tuple / list / dict (str or int keys)
of trees — the shape of recurrent states (``(h, c)`` for an LSTM, lists of them for
custom stacks) and of optimizer state dicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


def map_tensors(tree: Any, fn: Callable[[Tensor], Any]) -> Any:
    """Apply `fn` to every tensor in `tree`, keeping the structure (and dataclasses)."""
    if isinstance(tree, Tensor):
        return fn(tree)
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # namedtuple
        return type(tree)(*(map_tensors(t, fn) for t in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(map_tensors(t, fn) for t in tree)
    if isinstance(tree, dict):
        return {k: map_tensors(v, fn) for k, v in tree.items()}
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        changes = {f.name: map_tensors(getattr(tree, f.name), fn) for f in dataclasses.fields(tree)}
        return dataclasses.replace(tree, **changes)
    return tree


def tensors(tree: Any) -> list[Tensor]:
    """Every tensor in `tree`, depth first."""
    found: list[Tensor] = []
    map_tensors(tree, lambda t: found.append(t))
    return found


def detach_state(state: Any) -> Any:
    """Cut the graph behind a carried recurrent state (truncated BPTT between chunks)."""
    return map_tensors(state, lambda t: t.detach())


def to_device(batch: Any, device: torch.device | str) -> Any:
    """Move every tensor of a batch to `device` (a no-op for tensors already there)."""
    return map_tensors(batch, lambda t: t.to(device, non_blocking=True))


def keep_lanes(state: Any, keep: Tensor) -> Any:
    """Zero the state of lanes where `keep` is False.

    State tensors follow torch.nn's layout, batch second to last: ``(L*D, B, H)`` for a
    layer's ``h``/``c``, ``(B, H)`` for a cell's. `keep` is ``(B,)`` bool.
    """

    def mask(t: Tensor) -> Tensor:
        shape = [1] * t.dim()
        shape[-2] = keep.numel()  # (1, B, 1) or (B, 1)
        return t * keep.to(t.dtype).view(shape)

    return map_tensors(state, mask)


def flatten(tree: Any, prefix: str = "") -> tuple[dict[str, Tensor], Any]:
    """Split `tree` into named tensors (for safetensors) and a JSON-able skeleton."""
    flat: dict[str, Tensor] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, Tensor):
            flat[path] = node.detach().cpu().contiguous().clone()
            return {"__tensor__": path}
        if isinstance(node, tuple):
            return {"__tuple__": [walk(v, f"{path}.{i}") for i, v in enumerate(node)]}
        if isinstance(node, list):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(node)]
        if isinstance(node, dict):
            return {"__dict__": [[k, walk(v, f"{path}.{k}")] for k, v in node.items()]}
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        raise TypeError(f"cannot serialise {type(node).__name__} at {path or 'root'}")

    return flat, walk(tree, prefix)


def unflatten(skeleton: Any, flat: dict[str, Tensor]) -> Any:
    """Inverse of :func:`flatten`."""
    if isinstance(skeleton, list):
        return [unflatten(v, flat) for v in skeleton]
    if isinstance(skeleton, dict):
        if "__tensor__" in skeleton:
            return flat[skeleton["__tensor__"]]
        if "__tuple__" in skeleton:
            return tuple(unflatten(v, flat) for v in skeleton["__tuple__"])
        return {k: unflatten(v, flat) for k, v in skeleton["__dict__"]}
    return skeleton
