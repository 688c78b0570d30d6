"""Surnames from a trained names run, drawn one character at a time.

The language sets the initial state; the priming letters are read once; then each step
feeds the drawn characters back through the model's `step`.
"""

from __future__ import annotations

import torch

from rnnkit.generation.sampling import SamplingConfig, sample_token
from rnnkit.models.conditional import ConditionalLM
from rnnkit.tasks.names.data import MAX_LENGTH, PAD, Encoder


@torch.no_grad()
def generate(
    model: ConditionalLM,
    encoder: Encoder,
    language: str,
    n: int,
    sampling: SamplingConfig,
    *,
    seed: int = 0,
    prime: str = "",
    max_length: int = MAX_LENGTH,
) -> list[str]:
    """`n` names of `language`, drawn together one character per step, each starting
    with `prime`; the prefix is read once, then each step feeds the drawn characters."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    g = torch.Generator().manual_seed(seed)
    state = model.initial_state(torch.full((n,), encoder.language(language)))
    for token in [encoder.bos, *encoder.ids(prime)]:
        logits, state = model.step(torch.full((n,), token), state)  # (n, V)
    never = torch.tensor([encoder.index[PAD], encoder.bos])  # never targets: never drawn
    names, done = [list(prime) for _ in range(n)], [False] * n
    for _ in range(max_length - len(prime)):
        token = sample_token(logits.index_fill(1, never, float("-inf")), sampling, generator=g)
        for i, t in enumerate(token.tolist()):
            done[i] = done[i] or t == encoder.eos
            if not done[i]:
                names[i].append(encoder.tokens[t])
        if all(done):
            break
        logits, state = model.step(token, state)
    return ["".join(chars) for chars in names]
