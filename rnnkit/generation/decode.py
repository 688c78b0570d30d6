"""Autoregressive decoding through a one-step function, token by token.

A decoder knows a model only as ``step(tokens (B,), state) -> (logits (B, V), state)``
plus the logits and state after the prompt, so each new token costs one step: the
prefix is never read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from rnnkit.generation.sampling import SamplingConfig, sample_token

Step = Callable[[Tensor, Any], tuple[Tensor, Any]]  # tokens (B,), state -> (logits (B, V), state)


@torch.no_grad()
def decode(
    step: Step,
    logits: Tensor,
    state: Any,
    *,
    length: int,
    sampling: SamplingConfig | None = None,
    generator: torch.Generator | None = None,
    on_token: Callable[[int], None] | None = None,
    stop: Callable[[int], bool] | None = None,
) -> list[int]:
    """Draw up to ``length`` tokens, one per step, for a single sequence.

    ``logits`` (V,) or (1, V): the distribution of the first new token. ``on_token`` is
    called with each token as soon as it is drawn (for streaming output); ``stop``
    ends decoding after a token for which it returns True (that token is kept).
    """
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    logits = logits.reshape(1, -1)  # (1, V)
    tokens: list[int] = []
    for i in range(length):
        token = sample_token(logits, sampling, generator=generator)  # (1,)
        tokens.append(int(token))
        if on_token is not None:
            on_token(tokens[-1])
        if (stop is not None and stop(tokens[-1])) or i == length - 1:
            break
        logits, state = step(token, state)  # (1, V)
    return tokens
