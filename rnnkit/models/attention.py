"""Attention of a decoder state over a memory (an encoded source, or image columns).

For a query h (the decoder's state, B x H) and memory m_1..m_S (B x S x H):

    dot       (Luong):    score_s = h . m_s
    general   (Luong):    score_s = h . (W_a m_s)
    additive  (Bahdanau): score_s = v . tanh(W_q h + W_k m_s)

    a_s = softmax_s(score_s)   (padded positions s >= length get weight 0)
    c   = sum_s a_s m_s

The memory-side projection (W_a m or W_k m) is computed once per source by
:meth:`Attention.keys`, not once per decoder step.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

AttentionType = Literal["none", "additive", "dot", "general"]


class Attention(nn.Module):
    """Scores, weights and context of one query over a memory (see module docstring)."""

    def __init__(self, kind: AttentionType, size: int) -> None:
        super().__init__()
        if kind == "none":
            raise ValueError("Attention needs a kind: additive, dot or general")
        self.kind = kind
        if kind == "general":
            self.W_a = nn.Linear(size, size, bias=False)
        elif kind == "additive":
            self.W_q = nn.Linear(size, size, bias=False)
            self.W_k = nn.Linear(size, size)
            self.v = nn.Linear(size, 1, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        """(B, S, H) -> what the scores compare the query with, (B, S, H)."""
        if self.kind == "general":
            return self.W_a(memory)
        if self.kind == "additive":
            return self.W_k(memory)
        return memory

    def forward(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor | None) -> tuple:
        """query (B, H) or (B, T, H) -> (context like query, weights (B, [T,] S)).

        ``mask`` (B, S) is True on real positions; the weights of the others are 0.
        """
        single = query.dim() == 2
        q = query.unsqueeze(1) if single else query  # (B, T, H)
        if self.kind == "additive":
            hidden = torch.tanh(self.W_q(q).unsqueeze(2) + keys.unsqueeze(1))  # (B, T, S, H)
            scores = self.v(hidden).squeeze(-1)  # (B, T, S)
        else:
            scores = q @ keys.transpose(1, 2)  # (B, T, S)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # (B, T, S)
        context = weights @ memory  # (B, T, H)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


def source_mask(lengths: Tensor, steps: int) -> Tensor:
    """(B,) lengths -> (B, S) bool, True where s < length."""
    return torch.arange(steps, device=lengths.device) < lengths[:, None]
