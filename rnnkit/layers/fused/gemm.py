"""The large GEMMs of the fused backend: over all T*B rows at once.

On x86 CPUs torch's ``mm`` calls MKL, and torch's oneDNN linear is often faster (much
faster on AMD CPUs, where MKL does not use AVX-512); :func:`linear` uses oneDNN's
when it is there and computes the same numbers, else ``F.linear``. A weight gradient
``d^T h`` would need oneDNN to copy both operands transposed; where rnnkit's own
micro-kernel is the chosen per-step GEMM (choice.py) it reads ``d^T`` in place instead
(``rk_wgrad_f32``, 10–40% faster at the benchmark's shapes).

Shapes: ``M`` rows (T*B), ``K`` features in, ``N`` features out.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.layers.fused.build import load


@cache
def _onednn() -> bool:
    """Whether torch's oneDNN linear runs here (probed once)."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        a, w = torch.ones(2, 3), torch.ones(4, 3)
        y = torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [], "")
    except (RuntimeError, AttributeError):
        return False
    return bool((y == 3).all())


def linear(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    """x (M, K) @ w (N, K)^T + b -> (M, N), no autograd."""
    if x.dtype == torch.float32 and x.device.type == "cpu" and _onednn():
        return torch.ops.mkldnn._linear_pointwise(x, w, b, "none", [], "")
    return F.linear(x, w, b)


def weight_grad(d: Tensor, h: Tensor) -> Tensor:
    """Sum over all rows of d^T h: (..., N), (..., K) -> (N, K); one GEMM."""
    d2, h2 = d.reshape(-1, d.shape[-1]), h.reshape(-1, h.shape[-1])
    kernels = load()
    own = kernels is not None and kernels.gemm == "own" and d.dtype == torch.float32
    if own and h2.shape[1] % 16 == 0 and d2.is_contiguous() and h2.is_contiguous():
        out = d2.new_empty(d2.shape[1], h2.shape[1])  # (N, K)
        kernels.call("rk_wgrad_f32", d2.shape[0], d2.shape[1], h2.shape[1], d2, h2, out)
        return out
    return linear(d2.t(), h2.t())


class Projection(torch.autograd.Function):
    """xp = x W^T + b over every step at once: x (T, B, K) -> (T, B, N).

    Its backward is differentiable (second-order gradients): when autograd builds a graph
    through it, it runs torch's own differentiable ops instead of oneDNN's."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        ctx.save_for_backward(x, w)  # as given: a second-order graph starts from these
        ctx.has_bias = b is not None
        w, b = w.contiguous(), None if b is None else b.contiguous()  # oneDNN reads them dense
        return linear(x.reshape(-1, x.shape[-1]), w, b).view(*x.shape[:-1], w.shape[0])

    @staticmethod
    def backward(ctx: Any, dy: Tensor):
        x, w = ctx.saved_tensors
        if torch.is_grad_enabled():
            return _differentiable_backward(ctx, x, w, dy)
        d2 = dy.reshape(-1, dy.shape[-1])
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dx = linear(d2, w.t().contiguous()).view_as(x)
        if ctx.needs_input_grad[1]:
            dw = weight_grad(dy, x)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = d2.sum(0)
        return dx, dw, db


def _differentiable_backward(ctx: Any, x: Tensor, w: Tensor, dy: Tensor):
    """Projection's gradients through autograd-aware ops (dy (..., N), x (..., K))."""
    need = ctx.needs_input_grad
    dx = dy @ w if need[0] else None  # (..., K)
    dw = dy.reshape(-1, dy.shape[-1]).t() @ x.reshape(-1, x.shape[-1]) if need[1] else None
    db = dy.reshape(-1, dy.shape[-1]).sum(0) if ctx.has_bias and need[2] else None
    return dx, dw, db
