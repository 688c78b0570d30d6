"""The time loop of minGRU and minLSTM: one scan of h_t = a_t ⊙ h_{t-1} + b_t.

Their gates read x_t alone, so the coefficients ``a_t, b_t`` come from the cell for
every step at once (plain autograd over (T, B, G*H)), and only the elementwise linear
recurrence is left to run over time. Two implementations, equal to the reference runner:

- :class:`KernelScan`, rnnkit's compiled C loop (``scan.inc``), sequential over T and
  vectorised over B*H, forward and backward; used on the CPU in float32/float64 when
  the kernels built.
- :class:`ParallelScan`, pure PyTorch, anywhere else (GPU, other dtypes, no compiler):
  T is cut into ~sqrt(T) chunks of ~sqrt(T) steps; one loop runs along the chunks all
  at once, a second carries the state across chunk borders, and one multiply-add
  applies it, so about 2*sqrt(T) tensor operations instead of T. Linear space with
  products of a only (no logarithms or divisions), so as exact as the sequential loop.
  Its backward is the same scan run in reverse time.

Both backwards are exact but not themselves differentiable: when autograd builds a graph
through them (second-order gradients) the scan is rerun step by step with autograd
(:mod:`rnnkit.layers.fused.higher`).

Shapes: ``T`` time, ``B`` batch, ``H`` hidden units, ``G`` gate blocks.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from rnnkit.cells.base import State
from rnnkit.cells.minimal import MinimalCell
from rnnkit.layers.fused.build import load
from rnnkit.layers.fused.functions import SUFFIX, _grad, _kernels
from rnnkit.layers.fused.higher import graph_wanted, recomputed_scan
from rnnkit.layers.runner import time_mask

METHODS = ("auto", "kernel", "parallel")


class KernelScan(torch.autograd.Function):
    """The C scan: a, b (T, B, H), h0 (B, H), lengths (B,) or None -> (out, h_T)."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, h0: Tensor, lengths: Tensor | None):
        T, B, H = a.shape
        out, hT = a.new_empty(T, B, H), a.new_empty(B, H)
        _kernels().call(f"rk_scan_fwd_{SUFFIX[a.dtype]}", T, B, H, a, b, h0, lengths, out, hT)
        ctx.save_for_backward(a, b, h0, out, lengths)
        return out, hT

    @staticmethod
    def backward(ctx: Any, gout: Tensor | None, ghT: Tensor | None):
        a, b, h0, out, lengths = ctx.saved_tensors
        if graph_wanted():  # second order: rerun with autograd
            return (*recomputed_scan(ctx, a, b, h0, lengths, gout, ghT), None)
        T, B, H = a.shape
        gout, carry = _grad(gout, out), _grad(ghT, h0).clone()  # carry: dL/dh_T -> dL/dh_0
        da, db = torch.empty_like(a), torch.empty_like(a)
        _kernels().call(
            f"rk_scan_bwd_{SUFFIX[a.dtype]}", T, B, H, a, h0, out, lengths, gout, carry, da, db
        )
        return da, db, carry, None


def linear_scan(a: Tensor, b: Tensor, h0: Tensor) -> Tensor:
    """h_t = a_t ⊙ h_{t-1} + b_t for every t, no autograd: (T, B, H) -> (T, B, H).

    Chunks of C ~ sqrt(T) steps: ``b`` becomes each chunk's state from zero and ``a``
    its running product, both in one loop of C steps over all K chunks at once; then
    the K states entering the chunks; then ``h = b + a ⊙ carry``.
    """
    T, B, H = a.shape
    C = math.isqrt(T - 1) + 1 if T > 1 else 1  # chunk length, ceil(sqrt(T))
    K = -(-T // C)  # chunks
    pad = K * C - T
    if pad:  # identity steps (a = 1, b = 0) fill the last chunk
        a = torch.cat([a, a.new_ones(pad, B, H)])  # (K*C, B, H)
        b = torch.cat([b, b.new_zeros(pad, B, H)])
    own = torch.contiguous_format  # always a copy: the loops below write in place
    a = a.reshape(K, C, B, H).transpose(0, 1).clone(memory_format=own)  # (C, K, B, H)
    b = b.reshape(K, C, B, H).transpose(0, 1).clone(memory_format=own)  # (C, K, B, H)
    for c in range(1, C):
        b[c].addcmul_(a[c], b[c - 1])  # local state from zero at the chunk's start
        a[c].mul_(a[c - 1])  # product of a over the chunk so far
    carry = h0.new_empty(K, B, H)  # state entering each chunk
    carry[0] = h0
    for k in range(1, K):
        torch.addcmul(b[C - 1, k - 1], a[C - 1, k - 1], carry[k - 1], out=carry[k])
    b.addcmul_(a, carry)  # (C, K, B, H) + (C, K, B, H) * (K, B, H)
    return b.transpose(0, 1).reshape(K * C, B, H)[:T]  # (T, B, H)


class ParallelScan(torch.autograd.Function):
    """The chunked scan with autograd: a, b (T, B, H), h0 (B, H) -> (out, h_T)."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, h0: Tensor):
        out = linear_scan(a, b, h0)  # (T, B, H)
        ctx.save_for_backward(a, b, h0, out)
        return out, out[-1].clone()

    @staticmethod
    def backward(ctx: Any, gout: Tensor | None, ghT: Tensor | None):
        a, b, h0, out = ctx.saved_tensors
        if graph_wanted():  # second order: rerun with autograd
            return tuple(recomputed_scan(ctx, a, b, h0, None, gout, ghT))
        gout, ghT = _grad(gout, out), _grad(ghT, h0)
        # g_t = dL/dh_t = gout_t + a_{t+1} g_{t+1}: the same scan in reverse time from ghT
        a_next = torch.cat([a[1:], a.new_ones(1, *a.shape[1:])])  # (T, B, H)
        g = linear_scan(a_next.flip(0), gout.flip(0), ghT).flip(0)  # (T, B, H)
        h_prev = torch.cat([h0.unsqueeze(0), out[:-1]])  # (T, B, H)
        return g * h_prev, g, a[0] * g[0]


def kernel_ok(a: Tensor) -> bool:
    """Whether the C scan can run on ``a``: on the CPU, float32/64, kernels built."""
    return a.device.type == "cpu" and a.dtype in SUFFIX and load() is not None


def scan(
    a: Tensor, b: Tensor, h0: Tensor, lengths: Tensor | None = None, *, method: str = "auto"
) -> tuple[Tensor, Tensor]:
    """h_t = a_t ⊙ h_{t-1} + b_t over a, b (T, B, H) from h0 (B, H): (out, h_T).

    Rows past their ``lengths`` (B,) keep their state and output zeros, as in the
    runner. ``method``: "kernel" (the C loop), "parallel" (the chunked scan) or "auto"
    (the kernel where it can run).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    a, b, h0 = a.contiguous(), b.contiguous(), h0.contiguous()
    if method == "kernel" or (method == "auto" and kernel_ok(a)):
        return KernelScan.apply(a, b, h0, None if lengths is None else lengths.contiguous())
    if lengths is None:
        return ParallelScan.apply(a, b, h0)
    mask = time_mask(lengths, a.shape[0], a.device)  # (T, B, 1)
    a, b = torch.where(mask, a, 1.0), torch.where(mask, b, 0.0)  # identity past the end
    out, hT = ParallelScan.apply(a, b, h0)
    return torch.where(mask, out, 0.0), hT


def scan_recur(
    cell: MinimalCell, xp: Tensor, state: State, lengths: Tensor | None
) -> tuple[Tensor, State]:
    """The whole sequence from the projected input: xp (T, B, G*H) -> (out (T, B, H), state)."""
    (h0,) = state  # (B, H)
    a, b, _ = cell.coefficients(xp)  # (T, B, H) each, with autograd
    out, hT = scan(a.to(h0.dtype), b.to(h0.dtype), h0, lengths)
    return out, (hT,)
