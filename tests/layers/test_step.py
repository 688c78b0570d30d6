"""The fused inference step against the cells' step: every cell option, batch size,
dtype and depth, with and without projection; where it must not run, it does not."""

from __future__ import annotations

import pytest
import torch

import rnnkit
from rnnkit.layers.fused import available, status
from rnnkit.layers.fused import step as fused
from tests.helpers import assert_close_all

pytestmark = pytest.mark.skipif(not available(), reason=f"fused kernels: {status()}")

CELLS = [  # (layer class, options)
    (rnnkit.RNN, {}),
    (rnnkit.RNN, {"nonlinearity": "relu"}),
    (rnnkit.RNN, {"layer_norm": True}),
    (rnnkit.GRU, {}),
    (rnnkit.GRU, {"reset_after": False}),
    (rnnkit.GRU, {"layer_norm": True}),
    (rnnkit.LSTM, {}),
    (rnnkit.LSTM, {"peephole": True}),
    (rnnkit.LSTM, {"layer_norm": True}),
    (rnnkit.LSTM, {"peephole": True, "layer_norm": True, "forget_bias": 1.0}),
    (rnnkit.LSTM, {"proj_size": 5}),
    (rnnkit.LSTM, {"proj_size": 5, "peephole": True, "layer_norm": True}),
    (rnnkit.MinGRU, {}),
    (rnnkit.MinLSTM, {}),
]
I, H = 7, 19  # H not a multiple of the vector width: every edge of the kernel's tiles


def _ids(case):
    cls, options = case
    return cls.__name__ + "".join(f"-{k}={v}" for k, v in options.items())


@pytest.fixture
def calls(monkeypatch):
    """How many times the fused kernel ran."""
    count = [0]
    run = fused._run

    def counted(*args):
        count[0] += 1
        return run(*args)

    monkeypatch.setattr(fused, "_run", counted)
    return count


def _flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def _step(layer, x, state, *, fast):
    """One step's output and state tensors; ``fast``: autograd off (the fused step)."""
    with torch.set_grad_enabled(not fast):
        out, state = layer.step(x, state)
    return [t.detach() for t in (out, *_flat(state))], state


def _detached(state):
    if state is None:
        return None
    return tuple(h.detach() for h in state) if isinstance(state, tuple) else state.detach()


def _double(state):
    if state is None:
        return None
    return tuple(h.double() for h in state) if isinstance(state, tuple) else state.double()


def _error(a, b):
    return float((a.double() - b.double()).abs().max()) / max(1.0, float(b.abs().max()))


@pytest.mark.parametrize("case", CELLS, ids=_ids)
def test_fused_step_equals_the_cells_step(case, calls):
    """float64 within 1e-12, float32 within 1e-6 of each tensor's scale (layer norm in
    float32: no worse than 1e-6 or three times the float32 cells' own error against
    float64, as in test_fused), at batch 1, 3 and 64, one and two layers, from zeros and
    from a given state, five steps each."""
    cls, options = case
    for dtype in (torch.float64, torch.float32):
        for B, layers, given in ((1, 1, False), (3, 2, True), (64, 2, False), (1, 2, True)):
            torch.manual_seed(B + layers)
            layer = cls(I, H, num_layers=layers, **options).to(dtype).eval()
            truth = cls(I, H, num_layers=layers, **options).double().eval()
            truth.load_state_dict(layer.state_dict())
            state = _detached(layer.step(torch.randn(B, I, dtype=dtype))[1]) if given else None
            for _ in range(5):  # each step from the cells' state of the step before
                x = torch.randn(B, I, dtype=dtype)
                before = calls[0]
                got, _ = _step(layer, x, state, fast=True)
                assert calls[0] == before + 1  # the fused kernel ran
                want, new = _step(layer, x, state, fast=False)
                assert calls[0] == before + 1  # and not with autograd on
                exact, _ = _step(truth, x.double(), _double(state), fast=False)
                state = _detached(new)
                for a, b, t in zip(got, want, exact):
                    if dtype == torch.float64:
                        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)
                        continue
                    limit = 3 * _error(b, t) if options.get("layer_norm") else 0.0
                    assert _error(a, b) <= 1e-6 or _error(a, t) <= max(1e-6, limit)


def test_where_the_fused_step_does_not_run_the_cells_step_does(calls):
    """Autograd on, training with dropout between layers, autocast, a parametrized
    weight, the reference backend, bidirectional layers, another dtype of state."""
    torch.manual_seed(0)
    x = torch.randn(2, I)
    layer = rnnkit.GRU(I, H, num_layers=2, dropout=0.5)
    torch.manual_seed(1)
    with torch.no_grad():
        a, _ = layer.step(x)  # training: dropout between the layers, drawn by the cells
    torch.manual_seed(1)
    b, _ = layer.step(x)
    assert calls[0] == 0 and torch.equal(a, b.detach())
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        layer.eval().step(x)
    torch.nn.utils.parametrizations.weight_norm(layer, "weight_hh_l0")
    with torch.no_grad():
        layer.step(x)
        rnnkit.GRU(I, H, backend="reference").step(x)
        with pytest.raises(ValueError, match="unidirectional"):
            rnnkit.GRU(I, H, bidirectional=True).step(x)
        with pytest.raises(RuntimeError):
            rnnkit.GRU(I, H).step(x, torch.zeros(1, 2, H, dtype=torch.float64))
    assert calls[0] == 0


def test_weights_changed_in_any_way_are_seen_at_the_next_step(calls):
    """The kernel reads the weights in place: in-place changes (also through .data),
    a replaced tensor and load_state_dict all reach the next step."""
    torch.manual_seed(0)
    layer = rnnkit.LSTM(I, H, num_layers=2).eval()
    other = rnnkit.LSTM(I, H, num_layers=2).eval()
    x = torch.randn(3, I)
    changes = [
        lambda: layer.weight_hh_l1.data.mul_(0.5),
        lambda: setattr(layer.weight_ih_l0, "data", torch.randn(4 * H, I)),
        lambda: layer.load_state_dict(other.state_dict()),
    ]
    for change in changes:
        change()
        with torch.no_grad():
            got = layer.step(x)
        want = layer.step(x)
        assert_close_all(got, want, 1e-6, 1e-6)
    assert calls[0] == len(changes)
