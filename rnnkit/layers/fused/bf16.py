"""bfloat16 recurrent products in the fused kernels (CPUs with AVX512-BF16).

Under ``torch.autocast("cpu", dtype=torch.bfloat16)`` (``--precision bf16``) the RNN, GRU
and LSTM Functions run their per-step products in bfloat16 with float32 accumulation
(``bf16.inc``), and form the recurrent weight gradient as a bfloat16 GEMM (oneDNN);
states, gates, the optimizer's weights and gradients stay float32. Elsewhere — no
autocast, float64, a CPU without the instructions, sizes that are not multiples of 16,
the Cho GRU — the products stay float32.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.layers.fused.build import Kernels


def wanted(kernels: Kernels, W: Tensor) -> bool:
    """Whether this call's recurrent products run in bfloat16 (W: W_hh (G*H, R))."""
    if W.dtype != torch.float32 or not kernels.bf16 or not torch.is_autocast_enabled("cpu"):
        return False
    dims_ok = W.shape[0] % 16 == 0 and W.shape[1] % 16 == 0
    return dims_ok and torch.get_autocast_dtype("cpu") == torch.bfloat16


def pack(kernels: Kernels, W: Tensor, *, forward: bool) -> Tensor:
    """W rounded to bfloat16 in pairs along the product's K: the forward multiplies by
    W^T (K = R, N = G*H), the backward by W (K = G*H, N = R)."""
    W = W.contiguous()
    N_out, R = W.shape
    K, N = (R, N_out) if forward else (N_out, R)
    sk, sn = (1, R) if forward else (R, 1)
    out = torch.empty((K + 1) // 2, N, dtype=torch.int32)
    kernels.call("rk_pack_bf16", K, N, W, sk, sn, out)
    return out


def weight_grad(d: Tensor, h: Tensor) -> Tensor:
    """Sum over all rows of d^T h in bfloat16 with float32 accumulation: (N, K) float32."""
    d2, h2 = d.reshape(-1, d.shape[-1]), h.reshape(-1, h.shape[-1])
    return torch.mm(d2.t().to(torch.bfloat16), h2.to(torch.bfloat16)).float()
