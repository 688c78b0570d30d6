"""Fill in the blank with a language model that reads both ways (a backward LM beside it).

A template holds one blank, ``___``. Each candidate is put in the blank and the whole
sentence s is scored by both directions of the model:

    score(s) = log P_fwd(s) + log P_bwd(s)

where P_fwd reads s left to right and P_bwd right to left (each starting after a line
break, see rnnkit.tasks.lm.generate.context_id). Both are estimates of the probability
of the same sentence, so the sum is the log of their product (a product of experts;
dividing by 2 gives the log geometric mean and the same ranking). Unlike a
left-context-only score it sees the words after the blank, and unlike a per-token
average it charges a candidate for every token it adds.

A run trained without ``--backward-lm`` has only P_fwd: it is used alone, which
still reads the whole sentence, and the result says so (``"bidirectional": false``).

Without candidates, they are proposed by sampling continuations of the text before
the blank with the forward model (and, with a backward model, of the text after it
read backwards), plus a small beam; every distinct word is then scored as above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from rnnkit.data import Tokenizer
from rnnkit.generation import SamplingConfig
from rnnkit.generation.decode import decode
from rnnkit.models.lm import LanguageModel
from rnnkit.tasks.lm.generate import beam_texts, context_id, generate_text

BLANK = "___"
WORD = re.compile(r"\s*([\w'-]*\w)")  # the first word of a continuation


@dataclass
class Filled:
    """One candidate in the blank, with its scores (nats)."""

    candidate: str
    sentence: str
    score: float  # log P_fwd + log P_bwd (log P_fwd alone without a backward model)
    forward: float  # log P_fwd(sentence)
    backward: float | None  # log P_bwd(sentence), None without a backward model


def split_template(template: str) -> tuple[str, str]:
    """(text before the blank, text after it); exactly one blank is required."""
    if template.count(BLANK) != 1:
        raise ValueError(
            f"the text must hold exactly one blank {BLANK!r}, found {template.count(BLANK)}"
        )
    left, right = template.split(BLANK)
    return left, right


@torch.no_grad()
def log_prob(model: LanguageModel, tokenizer: Tokenizer, text: str, *, backward: bool) -> float:
    """log P(text) in nats under one direction, after the context token."""
    ids = tokenizer.encode(text).tolist()
    if backward:
        ids = ids[::-1]
    seq = torch.tensor([[context_id(tokenizer), *ids]])  # (1, T + 1)
    logits, _ = model.read(seq[:, :-1], backward=backward)  # (1, T, V)
    return -float(F.cross_entropy(logits[0], seq[0, 1:], reduction="sum"))


def score(model: LanguageModel, tokenizer: Tokenizer, template: str, candidate: str) -> Filled:
    """The sentence with ``candidate`` in the blank, scored as the module docstring says."""
    left, right = split_template(template)
    sentence = left + candidate + right
    forward = log_prob(model, tokenizer, sentence, backward=False)
    backward = None
    if model.config.backward_lm:
        backward = log_prob(model, tokenizer, sentence, backward=True)
    total = forward + (backward if backward is not None else 0.0)
    return Filled(candidate, sentence, total, forward, backward)


def rank(
    model: LanguageModel, tokenizer: Tokenizer, template: str, candidates: list[str]
) -> list[Filled]:
    """Every candidate scored, best first."""
    split_template(template)
    if not candidates:
        raise ValueError("no candidates to rank")
    model.eval()
    scored = [score(model, tokenizer, template, c) for c in dict.fromkeys(candidates)]
    return sorted(scored, key=lambda f: f.score, reverse=True)


def propose(
    model: LanguageModel,
    tokenizer: Tokenizer,
    template: str,
    *,
    samples: int = 32,
    max_tokens: int = 24,
    seed: int = 0,
) -> list[str]:
    """Candidate words for the blank, from the model itself (see the module docstring)."""
    left, right = split_template(template)
    max_tokens = 1 if tokenizer.level == "word" else max_tokens
    if tokenizer.level == "word":  # " word" is one token: let the space go with the word
        left = left[:-1] if left.endswith(" ") else left
    found: list[str] = []
    texts = [t for t, _ in beam_texts(model, tokenizer, left, length=max_tokens, width=4)]
    sampling = SamplingConfig(temperature=1.0)
    for i in range(samples):
        texts.append(
            generate_text(
                model, tokenizer, left, length=max_tokens, sampling=sampling, seed=seed + i
            )
        )
    if model.config.backward_lm:
        texts += _backward_samples(model, tokenizer, right, samples, max_tokens, seed)
    for text in texts:
        match = WORD.match(text)
        if match:
            found.append(match.group(1))
    return list(dict.fromkeys(found))


def _backward_samples(
    model: LanguageModel, tokenizer: Tokenizer, right: str, samples: int, max_tokens: int, seed: int
) -> list[str]:
    """Words sampled by the backward model after reading the text right of the blank.

    The backward model writes right to left, so at character level its text is the
    word reversed; at word level the first token is the word.
    """
    ids = tokenizer.encode(right).tolist()[::-1]
    seq = torch.tensor([[context_id(tokenizer), *ids]])  # (1, T + 1)
    logits, state = model.prime(seq, backward=True)

    def step(token: torch.Tensor, state: object) -> tuple[torch.Tensor, object]:
        return model.step(token, state, backward=True)

    words = []
    for i in range(samples):
        g = torch.Generator().manual_seed(seed + 10_000 + i)
        tokens = decode(step, logits, state, length=max_tokens, generator=g)
        if tokenizer.level == "word":
            words.append(tokenizer.decode(tokens[:1]))
        else:
            match = WORD.match(tokenizer.decode(tokens))
            words.append(match.group(1)[::-1] if match else "")
    return words


def fill(
    model: LanguageModel,
    tokenizer: Tokenizer,
    template: str,
    candidates: list[str] | None = None,
    *,
    seed: int = 0,
) -> list[Filled]:
    """Rank the given candidates, or the model's own proposals, best first."""
    if not candidates:
        candidates = propose(model, tokenizer, template, seed=seed)
        if not candidates:
            raise ValueError("the model proposed no word for the blank: give --candidates")
    return rank(model, tokenizer, template, candidates)
