"""Input validation for the layers: one clear line naming the problem, then torch.nn's
words where its layers raise for the same mistake (code matching them keeps working)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from rnnkit.errors import ArgumentTypeError, ShapeError, torch_words

NO_STEPS = "Expected sequence length to be larger than 0 in RNN"  # torch.nn's words


def check_input(
    x: object,
    *,
    input_size: int,
    like: Tensor,
    ranks: tuple[int, ...],
    batch_first: bool = False,
    steps: bool = True,
) -> Tensor:
    """Check an input tensor's type, rank, feature size, dtype and device against ``like``;
    with ``steps`` it must hold at least one time step (an empty batch is fine)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"input must be a torch.Tensor or PackedSequence, got {type(x).__name__}")
    if x.dim() not in ranks:
        shapes = " or ".join(f"{r}-D" for r in ranks)
        raise ValueError(f"input must be {shapes}, got a {x.dim()}-D tensor of shape {_shape(x)}")
    if x.shape[-1] != input_size:
        raise ShapeError(
            f"input has {x.shape[-1]} features in its last dimension, expected input_size="
            f"{input_size} (input shape {_shape(x)})"
        )
    if steps and x.dim() > 1 and x.shape[0 if x.dim() == 2 or not batch_first else 1] == 0:
        message = f"input must have at least one time step, got shape {_shape(x)}"
        raise ShapeError(torch_words(message, NO_STEPS))
    x = from_autocast(x, like)
    _check_like("input", x, like, _torch_input_words(x, like))
    return x


def check_lengths(lengths: object, *, batch: int, steps: int) -> Tensor:
    """Validate per-sequence lengths; returns them as a CPU int64 tensor (B,)."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
            raise ValueError(f"lengths must be integers, got dtype {lengths.dtype}")
        n = lengths.detach().to("cpu", torch.int64)
    elif isinstance(lengths, Sequence) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in lengths
    ):
        n = torch.tensor(list(lengths), dtype=torch.int64)
    else:
        raise ValueError(
            f"lengths must be a 1-D integer tensor or list, got {type(lengths).__name__}"
        )
    if n.dim() != 1 or n.numel() != batch:
        raise ValueError(
            f"lengths must have one entry per sequence (batch size {batch}), "
            f"got shape {tuple(n.shape)}"
        )
    if n.numel() == 0 or torch.compiler.is_compiling():  # empty; or data while tracing
        return n
    low, high = int(n.min()), int(n.max())
    if low < 1 or high > steps:
        raise ValueError(
            f"lengths must lie in [1, {steps}] (the padded length), got values from {low} to {high}"
        )
    return n


def check_state(name: str, h: object, shape: tuple[int, ...], like: Tensor) -> Tensor:
    """Check one initial-state tensor's shape, dtype and device."""
    if not isinstance(h, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(h).__name__}")
    if tuple(h.shape) != shape:
        raise ShapeError(f"{name} must have shape {shape}, got {_shape(h)}")
    h = from_autocast(h, like)
    device = "Input and hidden tensors are not at the same device, found input tensor at "
    _check_like(name, h, like, {"device": f"{device}{like.device} and hidden tensor at {h.device}"})
    return h


def check_pair(hx: object, layer: str) -> tuple[object, object]:
    """An LSTM's initial state: a tuple (or list) of two, (h_0, c_0)."""
    if not isinstance(hx, (tuple, list)):
        raise ArgumentTypeError(
            f"hx must be a tuple (h_0, c_0) for {layer}, got {type(hx).__name__}"
        )
    if len(hx) != 2:
        raise ShapeError(f"hx must be a tuple (h_0, c_0) for {layer}, got {len(hx)} tensors")
    return hx[0], hx[1]


def from_autocast(t: Tensor, like: Tensor) -> Tensor:
    """Under autocast, a tensor in autocast's dtype (e.g. bfloat16 from a linear layer)
    comes back to the parameters' dtype: the layer's own GEMMs autocast again inside."""
    device = t.device.type
    if device not in ("cpu", "cuda") or not torch.is_autocast_enabled(device):
        return t
    if t.dtype == torch.get_autocast_dtype(device) and t.dtype != like.dtype:
        return t.to(like.dtype)
    return t


def _torch_input_words(x: Tensor, like: Tensor) -> dict[str, str]:
    """torch.nn's layers' words for an input of another dtype or device than the weights."""
    dtype = (
        f"RNN input dtype ({x.dtype}) does not match weight dtype ({like.dtype}). Convert "
        f"input: input.to({like.dtype}), or convert model: model.to({x.dtype})"
    )
    device = (
        "Input and parameter tensors are not at the same device, found input tensor at "
        f"{x.device} and parameter tensor at {like.device}"
    )
    return {"dtype": dtype, "device": device}


def _check_like(name: str, t: Tensor, like: Tensor, torch_says: dict[str, str]) -> None:
    """``t``'s dtype and device are the parameters' (``like``'s); ``torch_says``: torch.nn's
    words for a wrong "dtype" or "device", where it has some."""

    def error(message: str, kind: str) -> ShapeError:
        return ShapeError(torch_words(message, torch_says[kind]) if kind in torch_says else message)

    if not t.dtype.is_floating_point:
        raise error(f"{name} must be a floating-point tensor, got dtype {t.dtype}", "dtype")
    if t.dtype != like.dtype:
        raise error(
            f"{name} has dtype {t.dtype} but the layer's parameters are {like.dtype}; "
            f"convert one of them with .to()",
            "dtype",
        )
    if t.device != like.device:
        raise error(
            f"{name} is on {t.device} but the layer's parameters are on {like.device}; "
            f"move one of them with .to()",
            "device",
        )


def _shape(t: Tensor) -> tuple[int, ...]:
    return tuple(t.shape)
