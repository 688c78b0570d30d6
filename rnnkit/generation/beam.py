"""Beam search: keep the `width` most probable continuations, one step at a time.

Model-agnostic: the caller supplies `step(tokens, state) -> (logits, state)` that
advances every hypothesis by one token (the layers' streaming `step` API), so the
prefix is never re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

State = Any  # a tensor, or nested tuples/lists of tensors, with hypotheses on `dim`
StepFn = Callable[[Tensor, State], tuple[Tensor, State]]


@dataclass
class Beam:
    """One finished hypothesis."""

    tokens: list[int]  # generated tokens, without the priming text; ends at eos if reached
    log_prob: float  # sum of the tokens' log-probabilities (nats)


def select(state: State, index: Tensor, dim: int = 1) -> State:
    """Pick hypotheses `index` from every tensor in a (nested) state, along `dim`.

    The default `dim=1` matches torch's recurrent state layout (L*D, B, H).
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.index_select(dim, index.to(state.device))
    if isinstance(state, (tuple, list)):
        return type(state)(select(s, index, dim) for s in state)
    raise TypeError(f"cannot select hypotheses from a state of type {type(state).__name__}")


def beam_search(
    step: StepFn,
    state: State,
    logits: Tensor,
    *,
    width: int,
    length: int,
    reorder: Callable[[State, Tensor], State] | None = None,
    eos: int | None = None,
) -> list[Beam]:
    """The `width` most probable continuations of `length` tokens, best first.

    state:  the model's state after the priming text, for a batch of one.
    logits: (V,) or (1, V), the distribution of the first generated token.
    step:   tokens (W,) and state -> logits (W, V) and the advanced state.
    reorder: picks hypotheses from a state by index (default: `select` along dim 1).
    eos:    a token that ends a hypothesis; its score is then frozen.
    """
    if width < 1:
        raise ValueError(f"beam width must be >= 1, got {width}")
    if length < 1:
        raise ValueError(f"beam length must be >= 1, got {length}")
    reorder = reorder or select
    logp = torch.log_softmax(logits.reshape(-1).float(), dim=-1)  # (V,)
    vocab = logp.shape[0]
    scores, first = torch.topk(logp, min(width, vocab))  # (W,), (W,)
    seqs = first[:, None]  # (W, 1)
    state = reorder(state, torch.zeros(len(first), dtype=torch.long))
    for _ in range(length - 1):
        done = seqs[:, -1] == eos if eos is not None else torch.zeros(len(seqs), dtype=torch.bool)
        if done.all():
            break
        out, state = step(seqs[:, -1], state)
        cand = torch.log_softmax(out.float(), dim=-1)  # (W, V)
        if done.any():  # a finished hypothesis may only repeat eos, at no cost
            cand[done] = float("-inf")
            cand[done, eos] = 0.0
        total = (scores[:, None] + cand).reshape(-1)  # (W*V,)
        scores, flat = torch.topk(total, min(width, total.numel()))
        parent, token = flat // vocab, flat % vocab  # (W,), (W,)
        seqs = torch.cat([seqs[parent], token[:, None]], dim=1)  # (W, t+1)
        state = reorder(state, parent)
    return [Beam(_trim(row.tolist(), eos), float(s)) for row, s in zip(seqs, scores)]


def _trim(tokens: list[int], eos: int | None) -> list[int]:
    if eos is not None and eos in tokens:
        return tokens[: tokens.index(eos) + 1]
    return tokens
