"""Decoding a batch of independent sequences: greedy or sampled, and batched beam search.

Both drive a one-step function ``step(tokens (N,), state) -> (logits (N, V), state)``,
so each output token costs one decoder step, whatever came before. Rows never interact:
every choice is made per input (a ``topk`` along each row of its own hypotheses), so
an input's output does not depend on the batch it is decoded in, its size or its order
(tested at batch sizes 1, 7 and 64).

Beam search keeps the ``width`` best hypotheses of each input. A hypothesis that wrote
``eos`` is finished: it stays in the beam with its score frozen, competing with the
live ones. Hypotheses are ranked by length-normalised log-probability
``log P(y) / |y| ** alpha`` (|y| counts ``eos``; alpha 0: the plain sum), both when the
beam is pruned and at the end, so with a beam wide enough to hold every candidate the
result is the exhaustive search's.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rnnkit.generation.beam import select
from rnnkit.generation.sampling import SamplingConfig, sample_token

Step = Callable[[Tensor, Any], tuple[Tensor, Any]]  # tokens (N,), state -> (logits (N, V), state)
Reorder = Callable[[Any, Tensor], Any]  # state, hypothesis index (N',) -> state of N' rows


@dataclass
class Hypothesis:
    """One decoded sequence."""

    tokens: list[int]  # without the end token
    log_prob: float  # sum of the tokens' log-probabilities (nats; eos included if written)
    score: float  # log_prob / length ** alpha: what beams are ranked by
    finished: bool  # wrote the end token (else it stopped at max_length)


@torch.no_grad()
def decode_batch(
    step: Step,
    state: Any,
    *,
    batch: int,
    bos: int,
    eos: int,
    max_length: int,
    sampling: SamplingConfig | None = None,
    generator: torch.Generator | None = None,
) -> list[Hypothesis]:
    """One sequence per input: greedy (the default) or sampled token by token.

    ``state`` holds ``batch`` rows; decoding stops when every row has written ``eos``.
    """
    sampling = sampling or SamplingConfig(temperature=0.0)
    tokens = torch.full((batch,), bos, dtype=torch.long)
    out = torch.zeros(batch, 0, dtype=torch.long)
    log_prob = torch.zeros(batch, dtype=torch.float64)
    done = torch.zeros(batch, dtype=torch.bool)
    for _ in range(max_length):
        logits, state = step(tokens, state)  # (N, V)
        tokens = sample_token(logits, sampling, generator=generator).cpu()  # (N,)
        logp = torch.log_softmax(logits.double(), -1).cpu()
        tokens = torch.where(done, torch.full_like(tokens, eos), tokens)
        log_prob += torch.where(done, 0.0, logp.gather(1, tokens[:, None]).squeeze(1))
        out = torch.cat([out, tokens[:, None]], 1)
        done |= tokens == eos
        if bool(done.all()):
            break
    return [_hypothesis(row.tolist(), float(lp), eos, 0.0) for row, lp in zip(out, log_prob)]


@torch.no_grad()
def beam_search_batch(
    step: Step,
    state: Any,
    *,
    batch: int,
    bos: int,
    eos: int,
    width: int,
    max_length: int,
    alpha: float = 1.0,
    reorder: Reorder | None = None,
) -> list[list[Hypothesis]]:
    """The ``width`` best hypotheses of every input, best first (see the module docstring).

    ``reorder(state, index)`` picks state rows (default: dim 1 of each tensor, torch's
    recurrent layout); hypotheses of input b are rows b*width .. b*width + width - 1.
    An input whose hypotheses have all finished is dropped from the steps that follow
    (its logits would be masked anyway), so ``step`` sees only the live inputs' rows.
    """
    if width < 1 or max_length < 1:
        raise ValueError(f"beam width and max_length must be >= 1, got {width}, {max_length}")
    reorder = reorder or (lambda s, i: select(s, i, 1))
    B, W = batch, width
    state = reorder(state, torch.arange(B).repeat_interleave(W))
    tokens = torch.full((B, W), bos, dtype=torch.long)
    scores = torch.full((B, W), float("-inf"), dtype=torch.float64)
    scores[:, 0] = 0.0  # the W copies of the start: only one may expand
    lengths = torch.zeros(B, W, dtype=torch.float64)
    finished = torch.zeros(B, W, dtype=torch.bool)
    seqs = torch.zeros(B * W, 0, dtype=torch.long)
    offset = (torch.arange(B) * W)[:, None]  # (B, 1) first row of each input
    held = torch.arange(B)  # the inputs whose rows `state` holds, in order
    for t in range(max_length):
        live = (~finished.all(1)).nonzero().squeeze(1)  # (B',) inputs still writing
        if len(live) < len(held):  # keep the state of the live inputs only
            state = reorder(state, _rows(torch.searchsorted(held, live), W))
            held = live
        logits, state = step(tokens[live].view(-1), state)  # (B'*W, V)
        logp = _log_probs(logits, live, B, W)  # (B, W, V)
        V = logp.shape[-1]
        logp[finished] = float("-inf")  # a finished hypothesis only repeats eos, for free
        logp[..., eos][finished] = 0.0
        total = scores[..., None] + logp  # (B, W, V)
        new_len = torch.where(finished, lengths, float(t + 1))[..., None]  # (B, W, 1)
        ranked = (total / new_len.pow(alpha)).view(B, W * V)
        _, flat = torch.topk(ranked, W, dim=1, sorted=True)  # (B, W), per input
        parent, token = flat // V, flat % V  # (B, W)
        scores = total.view(B, W * V).gather(1, flat)
        lengths = new_len.squeeze(-1).gather(1, parent)
        finished = finished.gather(1, parent) | (token == eos)
        rows = (offset + parent).view(-1)  # (B*W,) global rows of the parents
        seqs = torch.cat([seqs[rows], token.view(-1, 1)], 1)
        local = (torch.arange(len(live))[:, None] * W + parent[live]).view(-1)
        state, tokens = reorder(state, local), token  # parents within the live rows
        if bool(finished.all()):
            break
    return _ranked(seqs.view(B, W, -1).tolist(), scores.tolist(), eos, alpha)


def _rows(inputs: Tensor, W: int) -> Tensor:
    """The W hypothesis rows of each of ``inputs`` (positions): (n,) -> (n*W,)."""
    return (inputs[:, None] * W + torch.arange(W)).view(-1)


def _log_probs(logits: Tensor, live: Tensor, B: int, W: int) -> Tensor:
    """log-softmax of the live inputs' logits (B'*W, V), in float64, placed in a (B, W, V)
    tensor; the other inputs' rows (all finished, masked by the caller) hold zeros."""
    logp = torch.log_softmax(logits.double(), -1).cpu().view(len(live), W, -1)
    if len(live) == B:
        return logp
    full = logp.new_zeros(B, W, logp.shape[-1])
    full[live] = logp
    return full


@contextmanager
def _no_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused: building thousands of small objects that
    hold no cycles would otherwise trigger collections that scan the whole heap (ten
    times the building's own time in a translation run)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@_no_collection()
def _ranked(seqs: list, scores: list, eos: int, alpha: float) -> list[list[Hypothesis]]:
    """Each input's hypotheses that were ever reachable, best first."""
    out = []
    for rows, row_scores in zip(seqs, scores):
        hyps = [
            _hypothesis(tokens, score, eos, alpha)
            for tokens, score in zip(rows, row_scores)
            if score > float("-inf")
        ]
        out.append(sorted(hyps, key=lambda h: -h.score))
    return out


def _hypothesis(tokens: list[int], log_prob: float, eos: int, alpha: float) -> Hypothesis:
    finished = eos in tokens
    kept = tokens[: tokens.index(eos)] if finished else tokens
    length = len(kept) + int(finished)
    return Hypothesis(kept, log_prob, log_prob / max(1, length) ** alpha, finished)
