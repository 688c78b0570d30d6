"""The long-range generators: structure, determinism and the analytic baselines."""

import math

import pytest
import torch
import torch.nn.functional as F

from rnnkit.data.longrange import (
    COPY_DELIMITER,
    adding_baseline_mse,
    adding_batch,
    copy_baseline_xent,
    copy_batch,
)


def test_adding_structure_and_baseline():
    x, y = adding_batch(20_000, 50, torch.Generator().manual_seed(0))
    assert x.shape == (20_000, 50, 2) and y.shape == (20_000,)
    markers = x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :25].sum(1) == 1)  # one marker in each half
    torch.testing.assert_close((x[..., 0] * markers).sum(1), y)
    mse_of_one = float(((y - 1.0) ** 2).mean())
    assert abs(mse_of_one - adding_baseline_mse()) < 0.005
    assert abs(adding_baseline_mse() - 0.1667) < 1e-4


def test_copy_structure_and_baseline():
    T = 30
    x, y = copy_batch(5_000, T, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5_000, T + 20)
    assert torch.all(x[:, T + 9] == COPY_DELIMITER)
    assert torch.equal(y[:, -10:], x[:, :10])
    assert torch.all((x[:, :10] >= 1) & (x[:, :10] <= 8))
    assert torch.all(y[:, :-10] == 0)
    # the memoryless strategy: blank until the end, then uniform over the 8 symbols
    logits = torch.full((T + 20, 9), -1e9)
    logits[:-10, 0] = 0.0
    logits[-10:, 1:] = 0.0
    xent = F.cross_entropy(logits.expand(5_000, -1, -1).reshape(-1, 9), y.reshape(-1))
    assert abs(float(xent) - copy_baseline_xent(T)) < 1e-4
    assert copy_baseline_xent(T) == pytest.approx(10 * math.log(8) / (T + 20))


def test_generators_are_deterministic():
    a = adding_batch(4, 10, torch.Generator().manual_seed(3))
    b = adding_batch(4, 10, torch.Generator().manual_seed(3))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    c = copy_batch(4, 10, torch.Generator().manual_seed(3))
    d = copy_batch(4, 10, torch.Generator().manual_seed(3))
    assert all(torch.equal(u, v) for u, v in zip(c, d))


def test_bad_lengths():
    with pytest.raises(ValueError, match="length >= 2"):
        adding_batch(2, 1, torch.Generator())
    with pytest.raises(ValueError, match="length >= 1"):
        copy_batch(2, 0, torch.Generator())
