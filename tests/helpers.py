"""Shared oracles for the tests: compare rnnkit layers with torch.nn."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

import rnnkit

MODES = {
    "rnn_tanh": (nn.RNN, rnnkit.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (nn.RNN, rnnkit.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, rnnkit.LSTM, {}),
    "gru": (nn.GRU, rnnkit.GRU, {}),
}


def pair(mode: str, *args, backend: str = "auto", **kwargs):
    """A torch.nn layer and an rnnkit layer holding the same weights."""
    torch_cls, our_cls, extra = MODES[mode]
    ref = torch_cls(*args, **extra, **kwargs)
    ours = our_cls(*args, **extra, **kwargs, backend=backend)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def flat(x):
    """Every tensor in an output structure, in order."""
    if isinstance(x, PackedSequence):
        return [x.data]
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in flat(item)]
    return [x]


def loss_of(outputs, seed: int = 1):
    """A fixed random linear functional of every output tensor."""
    g = torch.Generator().manual_seed(seed)
    return sum((t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum() for t in flat(outputs))


def assert_close_all(a, b, atol: float = 1e-5, rtol: float = 1e-5) -> None:
    fa, fb = flat(a), flat(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, atol=atol, rtol=rtol)


def assert_grads_match(ref: nn.Module, ours: nn.Module, atol: float = 1e-5) -> None:
    ref_grads = {n: p.grad for n, p in ref.named_parameters()}
    our_grads = {n: p.grad for n, p in ours.named_parameters()}
    assert ref_grads.keys() == our_grads.keys()
    for name, g in ref_grads.items():
        assert our_grads[name] is not None, name
        torch.testing.assert_close(our_grads[name], g, atol=atol, rtol=1e-5, msg=name)
