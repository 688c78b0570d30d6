"""Choose the next token from logits: greedy, temperature, top-k and top-p (nucleus).

Every decoder in rnnkit (language models, conditional name generation) draws its next
token through `sample_token`, so the strategies behave the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.config import Config, require


@dataclass
class SamplingConfig(Config):
    """How the next token is chosen."""

    temperature: float = 1.0  # divide the logits by T; 0 is greedy (argmax)
    top_k: int | None = None  # sample among the k most likely tokens (None: all)
    top_p: float | None = None  # sample from the nucleus of probability mass p (None: all)

    def validate(self) -> None:
        t = self.temperature
        require(self, "temperature", math.isfinite(t) and t >= 0, "a finite number >= 0")
        require(self, "top_k", self.top_k is None or self.top_k >= 1, "None or an integer >= 1")
        p = self.top_p
        require(self, "top_p", p is None or 0 < p <= 1, "None or in (0, 1]")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """Set logits outside the top-k / nucleus to -inf. logits (B, V) -> (B, V).

    The nucleus is the smallest set of most likely tokens whose total probability is at
    least `top_p`; the most likely token is always kept.
    """
    out = logits
    if top_k is not None and top_k < out.shape[-1]:
        kth = torch.topk(out, top_k, dim=-1).values[..., -1:]  # (B, 1)
        out = out.masked_fill(out < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        sorted_logits, order = torch.sort(out, dim=-1, descending=True)  # (B, V)
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs  # mass of strictly more likely tokens
        drop_sorted = before >= top_p  # the first token always has before == 0
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        out = out.masked_fill(drop, float("-inf"))
    return out


def sample_token(
    logits: Tensor,
    config: SamplingConfig | None = None,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Draw one token per row. logits (B, V) -> tokens (B,) int64.

    Temperature 0 is greedy decoding; as the temperature approaches 0 sampling
    approaches greedy decoding.
    """
    config = config or SamplingConfig()
    if logits.dim() != 2:
        raise ValueError(f"logits must be (B, V), got shape {tuple(logits.shape)}")
    if config.greedy:
        return logits.argmax(dim=-1)
    scaled = filter_logits(logits.float() / config.temperature, config.top_k, config.top_p)
    probs = torch.softmax(scaled, dim=-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
