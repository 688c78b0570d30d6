"""The LSTM's autograd Function over the fused kernels (peepholes and layer norm; the
projected LSTM runs elsewhere).

With layer norm the Function takes the raw input term ``W_ih x`` and normalises it in
the kernel together with the recurrent term (``norms.inc``): the four biases (``b_ih``,
``b_hh``, and the two norms' shifts) meet as one vector and share one gradient, and
the backward returns dL/d(W_ih x) for the projection's own backward. Without layer norm
``xp`` is ``W_ih x + b_ih``.

Shapes: ``T`` time, ``B`` batch, ``H`` hidden units, ``N`` = 4H gate pre-activations.
"""

from __future__ import annotations

from typing import Any

import torch

from rnnkit.layers.fused.functions import (
    _backward_weight,
    _dense,
    _forward_weight,
    _grad,
    _kernels,
    _ln_buffers,
    _sums,
    _unpack,
)
from rnnkit.layers.fused.higher import graph_wanted, recomputed_grads, save

NAMES = ("weight_hh", "bias_hh", "weight_ch", "ln_hh.weight", "ln_hh.bias", "ln_c.weight")
NAMES += ("ln_c.bias", "ln_ih.weight", "ln_ih.bias", "bias_ih")  # the cell's, in input order


class LSTMSequence(torch.autograd.Function):
    """The LSTM with optional peepholes and layer norm (no projection) over all steps."""

    @staticmethod
    def forward(ctx: Any, xp, h0, c0, W, b, peep, ln_w, ln_b, lnc_w, lnc_b, lni_w, lni_b, b_ih,
                lengths, cell):  # fmt: skip
        given = (xp, h0, c0, W, b, peep, ln_w, ln_b, lnc_w, lnc_b, lni_w, lni_b, b_ih)
        kept = save(ctx, cell, given, NAMES, 2)
        ctx.raw_input = lni_w is not None  # xp is W_ih x, normalised here
        xp, W, peep, ln_w, lnc_w, lnc_b, lni_w, lengths = _dense(
            xp, W, peep, ln_w, lnc_w, lnc_b, lni_w, lengths
        )
        T, B, N = xp.shape
        H = N // 4
        hs, cs = xp.new_empty(T + 1, B, H), xp.new_empty(T + 1, B, H)
        hs[0], cs[0] = h0, c0
        gates, th, out = xp.new_empty(T, B, N), xp.new_empty(T, B, H), xp.new_empty(T, B, H)
        lnx, lnr = _ln_buffers(xp, ln_w, T, B, N)
        lnim, lnir = (None, None) if lni_w is None else (xp.new_empty(T, B), xp.new_empty(T, B))
        lncx, lncr = _ln_buffers(xp, lnc_w, T, B, H)
        ctx.has_peep, ctx.has_bias = peep is not None, b is not None
        peep = xp.new_zeros(3 * H) if peep is None else peep  # zeros: no peepholes
        c = _biases(b, ln_b, lni_b, b_ih) if ctx.raw_input else None
        sfx, Wf = _forward_weight(ctx, W)
        _kernels().call(
            f"rk_lstm_fwd_{sfx}",
            *(T, B, H, xp, Wf, None if ctx.raw_input else b, lengths, peep, ln_w, lni_w, c),
            *(lnc_w, lnc_b, hs, cs, gates, th, xp.new_empty(B, N), lnx, lnr, lnim, lnir),
            *(lncx, lncr, xp.new_zeros(N), out),
        )
        saved = (W, peep, ln_w, lnx, lnr, lni_w, xp, lnim, lnir, lnc_w, lncx, lncr)
        ctx.save_for_backward(*kept, *saved, hs, cs, gates, th, lengths)
        return out, hs[T].clone(), cs[T].clone()

    @staticmethod
    def backward(ctx: Any, gout, ghT, gcT):
        kept, saved = _unpack(ctx)
        W, peep, ln_w, lnx, lnr, lni_w, xp, lnim, lnir, lnc_w, lncx, lncr, *rest = saved
        hs, cs, gates, th, lengths = rest
        if graph_wanted():
            return (*recomputed_grads(ctx, kept, (gout, ghT, gcT), lengths), None, None)
        T, B, N = gates.shape
        H = N // 4
        gout = _grad(gout, hs[1:])
        carry_h, carry_c = _grad(ghT, hs[0]).clone(), _grad(gcT, cs[0]).clone()
        dxp, dth = gates.new_empty(T, B, N), hs.new_empty(B, H)
        ln, lnc = ctx.raw_input, lnc_w is not None
        dpre = gates.new_empty(T, B, N) if ln else None
        dc = _sums(hs, N, ctx.has_bias or ln)  # every bias's gradient
        dln_w, dlni_w = _sums(hs, N, ln), _sums(hs, N, ln)
        dpeep = _sums(hs, 3 * H, ctx.has_peep)
        dlnc_w, dlnc_b = _sums(hs, H, lnc), _sums(hs, H, lnc)
        sfx, Wb, weight_grad = _backward_weight(ctx, W)
        _kernels().call(
            f"rk_lstm_bwd_{sfx}",
            *(T, B, H, Wb, lengths, peep, ln_w, lnx, lnr, lni_w, xp, lnim, lnir, lnc_w, lncx),
            lncr,
            *(cs, gates, th, gout, carry_h, carry_c, dth, dxp, None, dpre),
            *(dc, dlni_w, dln_w, dpeep, dlnc_w, dlnc_b),
        )
        dW = weight_grad(dxp if dpre is None else dpre, hs[:-1])
        db = dc if ctx.has_bias else None
        shifts = (None, None, None) if not ln else (dc.clone(), dc.clone(), _clone(db))
        dln_b, dlni_b, db_ih = shifts
        grads = (dxp, carry_h, carry_c, dW, db, dpeep, dln_w, dln_b, dlnc_w, dlnc_b)
        return (*grads, dlni_w, dlni_b, db_ih, None, None)


def _biases(*biases):
    """The sum of the given bias vectors (None ones skipped)."""
    return sum(b.contiguous() for b in biases if b is not None).contiguous()


def _clone(t):
    return None if t is None else t.clone()
