"""Text from a trained language model: sampling (greedy, temperature, top-k, top-p) and
beam search, after an optional prime text.

The model reads a line break before the prime (when the vocabulary has one, else its
most frequent token), as if the text began a new line; the prime is read once
(``LanguageModel.prime``) and every new token then costs one ``step``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from rnnkit.data import Tokenizer
from rnnkit.generation import SamplingConfig, beam_search
from rnnkit.generation.decode import decode
from rnnkit.models.lm import LanguageModel


def context_id(tokenizer: Tokenizer) -> int:
    """The token read before any text: a line break if known, else the most frequent token."""
    for text in ("\n", "\n\n"):
        if text in tokenizer.vocab.index:
            return tokenizer.vocab.index[text]
    return 1 if tokenizer.vocab_size > 1 else 0


def encode_prime(tokenizer: Tokenizer, prime: str) -> Tensor:
    """The context token then the prime's tokens, (1, T) int64."""
    ids = [context_id(tokenizer), *tokenizer.encode(prime).tolist()]
    return torch.tensor([ids])


def _start(model: LanguageModel, tokenizer: Tokenizer, prime: str) -> tuple[Tensor, Any]:
    model.eval()
    return model.prime(encode_prime(tokenizer, prime))  # logits (1, V), state


def generate_text(
    model: LanguageModel,
    tokenizer: Tokenizer,
    prime: str,
    *,
    length: int,
    sampling: SamplingConfig | None = None,
    seed: int = 0,
    on_text: Callable[[str], None] | None = None,
) -> str:
    """``length`` new tokens after ``prime`` (default sampling: temperature 1).

    ``on_text`` receives each token's text as soon as it is drawn (streaming).
    """
    logits, state = _start(model, tokenizer, prime)
    generator = torch.Generator().manual_seed(seed)
    emit = None if on_text is None else (lambda token: on_text(tokenizer.decode([token])))
    tokens = decode(
        model.step,
        logits,
        state,
        length=length,
        sampling=sampling,
        generator=generator,
        on_token=emit,
    )
    return tokenizer.decode(tokens)


def beam_texts(
    model: LanguageModel, tokenizer: Tokenizer, prime: str, *, length: int, width: int
) -> list[tuple[str, float]]:
    """The ``width`` most probable continuations of ``length`` tokens: (text, log P nats)."""
    logits, state = _start(model, tokenizer, prime)
    with torch.no_grad():
        beams = beam_search(model.step, state, logits, width=width, length=length)
    return [(tokenizer.decode(b.tokens), b.log_prob) for b in beams]
