"""Autograd Functions over the fused kernels: one call per layer and direction.

Each Function takes the input projection ``xp`` (T, B, G*H) for every step, already
computed with autograd (one GEMM, plus ``ln_ih`` when layer-normalised), and runs the
recurrence in one kernel call. Its backward runs the reverse time loop in one kernel
call and then forms the recurrent weight gradients as single GEMMs over all T*B rows;
when autograd builds a graph through the backward (second-order gradients) it is
recomputed through the layer's ``cell`` instead (:mod:`rnnkit.layers.fused.higher`).

Shapes: ``T`` time, ``B`` batch, ``H`` hidden units, ``G`` gates (RNN 1, GRU 3, LSTM 4).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.fused import bf16
from rnnkit.layers.fused.build import Kernels, load
from rnnkit.layers.fused.gemm import weight_grad as _weight_grad
from rnnkit.layers.fused.higher import graph_wanted, recomputed_grads, save

SUFFIX = {torch.float32: "f32", torch.float64: "f64"}


def _kernels() -> Kernels:
    k = load()
    if k is None:
        raise RuntimeError("the fused kernels are not available on this machine")
    return k


def _t(W: Tensor) -> Tensor:
    """W_hh^T, contiguous: the layout the forward kernels multiply by."""
    return W.t().contiguous()


def _forward_weight(ctx: Any, W: Tensor) -> tuple[str, Tensor]:
    """(the kernels' suffix, the weight they multiply by): bfloat16 products under bf16
    autocast where they can run (bf16.py), else W^T in the input's dtype."""
    ctx.bf16 = bf16.wanted(_kernels(), W)
    if ctx.bf16:
        return "bf16", bf16.pack(_kernels(), W, forward=True)
    return SUFFIX[W.dtype], _t(W)


def _backward_weight(ctx: Any, W: Tensor) -> tuple[str, Tensor, Any]:
    """(suffix, the weight the backward multiplies by, the weight-gradient GEMM)."""
    if ctx.bf16:
        return "bf16", bf16.pack(_kernels(), W, forward=False), bf16.weight_grad
    return SUFFIX[W.dtype], W, _weight_grad


def _dense(*tensors: Tensor | None) -> tuple[Tensor | None, ...]:
    """The tensors in the dense row-major layout the kernels read through raw pointers
    (a parametrization may compute a strided weight, e.g. a transpose); no copy when they are."""
    return tuple(None if t is None else t.contiguous() for t in tensors)


def _grad(g: Tensor | None, like: Tensor) -> Tensor:
    """A contiguous incoming gradient, zeros where autograd passed None."""
    return torch.zeros_like(like) if g is None else g.contiguous()


def _sums(like: Tensor, n: int, wanted: bool) -> Tensor | None:
    """A zeroed (n,) accumulator the backward kernel adds a parameter's gradient into."""
    return like.new_zeros(n) if wanted else None


def _ln_buffers(like: Tensor, ln_w: Tensor | None, T: int, B: int, N: int):
    """x_hat (T, B, N) and 1/std (T, B) of a layer norm, saved by the forward kernel."""
    if ln_w is None:
        return None, None
    return like.new_empty(T, B, N), like.new_empty(T, B)


HH_NAMES = ("weight_hh", "bias_hh", "ln_hh.weight", "ln_hh.bias")  # the cell's, in input order


def _unpack(ctx: Any) -> tuple[tuple, tuple]:
    """(the Function's own inputs as given, the kernel's saved tensors)."""
    saved = ctx.saved_tensors
    return saved[: ctx.n_inputs], saved[ctx.n_inputs :]


class RNNSequence(torch.autograd.Function):
    """h_t = phi(xp_t + LN(W_hh h_{t-1}) + b_hh) over all steps."""

    @staticmethod
    def forward(ctx: Any, xp, h0, W, b, ln_w, ln_b, lengths, cell: RecurrentCell):
        kept = save(ctx, cell, (xp, h0, W, b, ln_w, ln_b), HH_NAMES, 1)
        xp, W, b, ln_w, ln_b, lengths = _dense(xp, W, b, ln_w, ln_b, lengths)
        relu = cell.nonlinearity == "relu"
        T, B, H = xp.shape
        sfx, Wf = _forward_weight(ctx, W)
        hs = xp.new_empty(T + 1, B, H)
        hs[0] = h0
        hp, out = xp.new_empty(T, B, H), xp.new_empty(T, B, H)
        lnx, lnr = _ln_buffers(xp, ln_w, T, B, H)
        _kernels().call(
            f"rk_rnn_fwd_{sfx}",
            *(T, B, H, relu, xp, Wf, b, lengths, ln_w, ln_b, hs, hp, lnx, lnr, out),
        )
        ctx.save_for_backward(*kept, W, hs, lnx, lnr, ln_w, lengths)
        ctx.relu, ctx.has_bias = relu, b is not None
        return out, hs[T].clone()

    @staticmethod
    def backward(ctx: Any, gout, ghT):
        kept, (W, hs, lnx, lnr, ln_w, lengths) = _unpack(ctx)
        if graph_wanted():
            return (*recomputed_grads(ctx, kept, (gout, ghT), lengths), None, None)
        T, B, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        gout, carry = _grad(gout, hs[1:]), _grad(ghT, hs[0]).clone()
        dxp = hs.new_empty(T, B, H)
        dpre = hs.new_empty(T, B, H) if ln_w is not None else None
        db, dln_w, dln_b = (_sums(hs, H, w) for w in (ctx.has_bias, *[ln_w is not None] * 2))
        sfx, Wb, weight_grad = _backward_weight(ctx, W)
        _kernels().call(
            f"rk_rnn_bwd_{sfx}",
            *(T, B, H, ctx.relu, Wb, lengths, ln_w, lnx, lnr, hs, gout, carry, dxp, dpre),
            *(db, dln_w, dln_b),
        )
        dW = weight_grad(dxp if dpre is None else dpre, hs[:-1])
        return (dxp, carry, dW, db, dln_w, dln_b, None, None)


class GRUSequence(torch.autograd.Function):
    """torch's GRU (reset gate after W_hn h_{t-1}) over all steps."""

    @staticmethod
    def forward(ctx: Any, xp, h0, W, b, ln_w, ln_b, lengths, cell: RecurrentCell):
        kept = save(ctx, cell, (xp, h0, W, b, ln_w, ln_b), HH_NAMES, 1)
        xp, W, b, ln_w, ln_b, lengths = _dense(xp, W, b, ln_w, ln_b, lengths)
        T, B, N = xp.shape
        H = N // 3
        hs = xp.new_empty(T + 1, B, H)
        hs[0] = h0
        gates, hp, out = xp.new_empty(T, B, N), xp.new_empty(T, B, N), xp.new_empty(T, B, H)
        lnx, lnr = _ln_buffers(xp, ln_w, T, B, N)
        sfx, Wf = _forward_weight(ctx, W)
        _kernels().call(
            f"rk_gru_fwd_{sfx}",
            *(T, B, H, xp, Wf, b, lengths, ln_w, ln_b, hs, gates, hp, lnx, lnr, out),
        )
        ctx.save_for_backward(*kept, W, hs, gates, hp, lnx, lnr, ln_w, lengths)
        ctx.has_bias = b is not None
        return out, hs[T].clone()

    @staticmethod
    def backward(ctx: Any, gout, ghT):
        kept, (W, hs, gates, hp, lnx, lnr, ln_w, lengths) = _unpack(ctx)
        if graph_wanted():
            return (*recomputed_grads(ctx, kept, (gout, ghT), lengths), None, None)
        T, B, N = gates.shape
        H = N // 3
        gout, carry = _grad(gout, hs[1:]), _grad(ghT, hs[0]).clone()
        dxp, dpost = gates.new_empty(T, B, N), gates.new_empty(T, B, N)
        dpre = gates.new_empty(T, B, N) if ln_w is not None else None
        db, dln_w, dln_b = (_sums(hs, N, w) for w in (ctx.has_bias, *[ln_w is not None] * 2))
        sfx, Wb, weight_grad = _backward_weight(ctx, W)
        _kernels().call(
            f"rk_gru_bwd_{sfx}",
            *(T, B, H, Wb, lengths, ln_w, lnx, lnr, hs, gates, hp, gout, carry, dxp, dpost, dpre),
            *(db, dln_w, dln_b),
        )
        dW = weight_grad(dpost if dpre is None else dpre, hs[:-1])
        return (dxp, carry, dW, db, dln_w, dln_b, None, None)


class ChoGRUSequence(torch.autograd.Function):
    """The GRU of Cho et al. 2014 (reset gate before W_hn) over all steps."""

    @staticmethod
    def forward(ctx: Any, xp, h0, W, b, lengths, cell: RecurrentCell):
        kept = save(ctx, cell, (xp, h0, W, b), HH_NAMES[:2], 1)
        xp, W, b, lengths = _dense(xp, W, b, lengths)
        T, B, N = xp.shape
        H = N // 3
        hs = xp.new_empty(T + 1, B, H)
        hs[0] = h0
        gates, rh, out = xp.new_empty(T, B, N), xp.new_empty(T, B, H), xp.new_empty(T, B, H)
        hrz, hn = xp.new_empty(B, 2 * H), xp.new_empty(B, H)
        zero_b = xp.new_zeros(N) if b is None else b  # the kernel always adds a bias
        _kernels().call(
            f"rk_gru0_fwd_{SUFFIX[xp.dtype]}",
            *(T, B, H, xp, _t(W), zero_b, lengths, hs, gates, rh, hrz, hn, out),
        )
        ctx.save_for_backward(*kept, W, hs, gates, rh, lengths)
        ctx.has_bias = b is not None
        return out, hs[T].clone()

    @staticmethod
    def backward(ctx: Any, gout, ghT):
        kept, (W, hs, gates, rh, lengths) = _unpack(ctx)
        if graph_wanted():
            return (*recomputed_grads(ctx, kept, (gout, ghT), lengths), None, None)
        T, B, N = gates.shape
        H = N // 3
        gout, carry = _grad(gout, hs[1:]), _grad(ghT, hs[0]).clone()
        dxp, dpost, drh = gates.new_empty(T, B, N), gates.new_empty(T, B, N), hs.new_empty(B, H)
        db = _sums(hs, N, ctx.has_bias)
        _kernels().call(
            f"rk_gru0_bwd_{SUFFIX[hs.dtype]}",
            *(T, B, H, W, lengths, hs, gates, gout, carry, drh, dxp, dpost, db),
        )
        dW = torch.cat(
            [_weight_grad(dpost[..., : 2 * H], hs[:-1]), _weight_grad(dpost[..., 2 * H :], rh)]
        )
        return (dxp, carry, dW, db, None, None)
