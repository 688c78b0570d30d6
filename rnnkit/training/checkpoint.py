"""Saving and loading model weights and trainer state without pickle.

Weights go to safetensors; trainer state (optimizer, schedule, counters, RNG states,
carried recurrent state) is a tree split by :func:`rnnkit.training.tree.flatten` into
``trainer.safetensors`` (the tensors) and ``trainer.json`` (everything else). Nothing
here unpickles anything. Loading refuses NaN or infinite weights and trainer state
(a damaged or diverged checkpoint), naming the file.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch
from torch import nn

from rnnkit.training import tree
from rnnkit.training.rundir import atomic_write, read_json, write_json

MODEL_FILE = "model.safetensors"


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


def save_weights(model: nn.Module, path: str | Path) -> None:
    """Atomically write the model's weights as safetensors (tied weights allowed)."""
    atomic_write(path, lambda tmp: safetensors.torch.save_model(unwrap(model), str(tmp)))


def load_weights(model: nn.Module, path: str | Path) -> None:
    """Load safetensors weights into `model`; names and shapes must match exactly.

    A missing or corrupt file, weights of another shape, or NaN or infinite weights, is
    an error naming the file.
    """
    try:
        _check_finite_weights(model, path)
        missing, unexpected = safetensors.torch.load_model(unwrap(model), str(path), strict=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except (safetensors.SafetensorError, RuntimeError, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path} is corrupt or does not fit the model ({first})") from None
    if missing or unexpected:
        raise ValueError(
            f"{path}: weights do not fit the model (missing {sorted(missing)[:3]}, "
            f"unexpected {sorted(unexpected)[:3]})"
        )


def _check_finite_weights(model: nn.Module, path: str | Path) -> None:
    """NaN or inf in any weight the model takes from `path` is an error naming both."""
    names = set(unwrap(model).state_dict())
    with safetensors.safe_open(str(path), framework="pt") as f:
        found = _non_finite((k, f.get_tensor(k)) for k in f.keys() if k in names)  # noqa: SIM118
    if found is not None:
        raise ValueError(
            f"{path}: weight {found} holds NaN or infinite values; refusing a damaged or "
            "diverged checkpoint"
        )


def _non_finite(named: Iterable[tuple[str, torch.Tensor]]) -> str | None:
    """The name of the first floating-point tensor with a NaN or inf, or None."""
    for name, t in named:
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return name
    return None


def save_tree(directory: Path, name: str, state: Any) -> None:
    """Write a tree as `<name>.safetensors` + `<name>.json` in `directory`."""
    flat, skeleton = tree.flatten(state)
    atomic_write(
        directory / f"{name}.safetensors", lambda tmp: safetensors.torch.save_file(flat, str(tmp))
    )
    write_json(directory / f"{name}.json", skeleton)


def load_tree(directory: Path, name: str) -> Any:
    """Read back a tree written by :func:`save_tree`; a corrupt file is named."""
    path = directory / f"{name}.safetensors"
    try:
        flat = safetensors.torch.load_file(str(path))
    except (safetensors.SafetensorError, OSError) as e:
        raise ValueError(f"{path} is corrupt ({str(e).strip()[:200]})") from None
    found = _non_finite(flat.items())
    if found is not None:
        part = re.match(r"\.?([a-z_]{1,40})\b", found)  # the section: optimizer, carry, ...
        what = f"the {part.group(1)} state" if part else "a tensor"
        raise ValueError(
            f"{path}: {what} holds NaN or infinite values; refusing a damaged or diverged "
            "checkpoint"
        )
    try:
        return tree.unflatten(read_json(directory / f"{name}.json"), flat)
    except (KeyError, TypeError, IndexError) as e:
        raise ValueError(f"{directory / name}.json does not match {path} ({e!r})") from None


def rng_state() -> dict[str, Any]:
    """Python, NumPy, torch CPU (and CUDA) random states, as a tree."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [kind, keys.tolist(), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),  # uint8 tensor
    }
    if torch.cuda.is_available():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
