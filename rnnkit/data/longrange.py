"""Seeded generators of the long-range memory tasks: the adding problem and copy memory.

Both are deterministic functions of a ``torch.Generator``, so a training run, its
resumed continuation and its test set see exactly the same sequences.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

COPY_SYMBOLS = 10  # symbols to remember in the copy task
COPY_CATEGORIES = 8  # symbols are drawn from 1..8
COPY_BLANK, COPY_DELIMITER = 0, 9
COPY_VOCAB = 10  # input tokens: blank, 8 categories, delimiter
COPY_CLASSES = 9  # output classes: blank and the 8 categories


def adding_batch(batch: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015 form).

    Input (B, T, 2): channel 0 holds values ~ U[0, 1], channel 1 is a marker with
    exactly two ones, one in each half of the sequence. Target (B,): the sum of the
    two marked values. Predicting the constant 1 gives MSE 1/6 ~= 0.167.
    """
    if length < 2:
        raise ValueError(f"the adding problem needs length >= 2, got {length}")
    values = torch.rand(batch, length, generator=generator)  # (B, T)
    half = length // 2
    first = torch.randint(0, half, (batch,), generator=generator)  # (B,)
    second = torch.randint(half, length, (batch,), generator=generator)  # (B,)
    marker = torch.zeros(batch, length)
    rows = torch.arange(batch)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]  # (B,)
    return torch.stack([values, marker], dim=-1), target  # (B, T, 2), (B,)


def adding_baseline_mse() -> float:
    """MSE of always predicting 1, the mean of the target: Var(U1 + U2) = 2/12."""
    return 1.0 / 6.0


def copy_batch(batch: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The copy-memory task (Arjovsky et al. 2016) with a gap of T blanks.

    Input tokens (B, T+20): 10 symbols from 1..8, T-1 blanks, the delimiter 9, then 10
    blanks. Target classes (B, T+20): T+10 blanks, then the 10 symbols. A memoryless
    model's best cross-entropy is 10 ln 8 / (T + 20) per step.
    """
    if length < 1:
        raise ValueError(f"the copy task needs length >= 1, got {length}")
    n = COPY_SYMBOLS
    symbols = torch.randint(1, COPY_CATEGORIES + 1, (batch, n), generator=generator)  # (B, 10)
    x = torch.full((batch, length + 2 * n), COPY_BLANK, dtype=torch.long)  # (B, T+20)
    y = torch.full_like(x, COPY_BLANK)
    x[:, :n] = symbols
    x[:, n + length - 1] = COPY_DELIMITER
    y[:, -n:] = symbols
    return x, y


def copy_baseline_xent(length: int) -> float:
    """Cross-entropy per step of the best memoryless strategy: 10 ln 8 / (T + 20)."""
    return COPY_SYMBOLS * math.log(COPY_CATEGORIES) / (length + 2 * COPY_SYMBOLS)
