"""Second-order gradients: every cell on every backend gives torch.nn's (or the
reference's, where torch.nn has no such cell), never a silent zero."""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call

import rnnkit
from rnnkit.layers.fused import available

CASES = [  # (layer class, options)
    (rnnkit.RNN, {}),
    (rnnkit.RNN, {"nonlinearity": "relu"}),
    (rnnkit.RNN, {"layer_norm": True}),
    (rnnkit.GRU, {}),
    (rnnkit.GRU, {"reset_after": False}),
    (rnnkit.GRU, {"layer_norm": True}),
    (rnnkit.LSTM, {}),
    (rnnkit.LSTM, {"peephole": True}),
    (rnnkit.LSTM, {"layer_norm": True}),
    (rnnkit.LSTM, {"peephole": True, "layer_norm": True}),
    (rnnkit.LSTM, {"proj_size": 1}),
    (rnnkit.MinGRU, {}),
    (rnnkit.MinLSTM, {}),
]
BACKENDS = ("auto", "fused", "native", "reference")
T, B, I, H = 3, 2, 2, 2


def _ids(case):
    cls, options = case
    return cls.__name__ + "".join(f"-{k}={v}" for k, v in options.items())


def _layer(cls, options, backend):
    try:
        return cls(I, H, backend=backend, **options).double()
    except ValueError:  # this backend cannot run this cell: nothing to check
        return None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_gradgradcheck_every_cell_and_backend(case, backend):
    """float64 gradgradcheck through input, initial state and every weight, with
    variable lengths (steps past a sequence's end) on every backend that runs the cell."""
    cls, options = case
    torch.manual_seed(0)
    layer = _layer(cls, options, backend)
    if layer is None or (backend == "fused" and not available()):
        pytest.skip(f"backend={backend!r} does not run {_ids(case)}")
    names = [n for n, _ in layer.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in layer.parameters()]
    sizes = layer._cells[0][0].state_sizes()
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    hx = [0.5 * torch.randn(1, B, n, dtype=torch.float64, requires_grad=True) for n in sizes]
    lengths = torch.tensor([3, 2])

    def f(x, *rest):
        state, weights = rest[: len(sizes)], rest[len(sizes) :]
        state = tuple(state) if len(state) == 2 else state[0]
        out, final = functional_call(
            layer, dict(zip(names, weights)), (x, state), {"lengths": lengths}
        )
        return out, *(final if isinstance(final, tuple) else (final,))

    inputs = (x, *hx, *params)
    assert torch.autograd.gradgradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


def _grad_of_grad(layer, x):
    """A gradient penalty (WGAN-GP's form) |d sum(out^2) / dx|^2, differentiated by x and
    by every weight: (d/dx, *d/dW)."""
    x = x.clone().requires_grad_()
    out, _ = layer(x)
    (g,) = torch.autograd.grad(out.pow(2).sum(), x, create_graph=True)
    return torch.autograd.grad(g.pow(2).sum(), [x, *layer.parameters()])


@pytest.mark.parametrize("name", ["GRU", "RNN", "LSTM"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_grad_of_grad_equals_torch_nn(name, backend):
    """The issue's check: torch.nn's weights loaded, grad of grad by x and the gradient
    penalty's grad by every weight equal torch.nn's, in float32."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, name)(3, 4, num_layers=2)
    ours = getattr(rnnkit, name)(3, 4, num_layers=2, backend=backend)
    if backend == "fused" and not available():
        pytest.skip("fused kernels unavailable")
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3)
    expected, got = _grad_of_grad(ref, x), _grad_of_grad(ours, x)
    for a, b in zip(got, expected):
        scale = float(b.abs().max())
        assert scale > 1e-5  # a real second-order term, not zero by construction
        torch.testing.assert_close(a, b, atol=1e-4 * scale, rtol=1e-4)


def test_first_order_with_create_graph_equals_the_kernels():
    """create_graph=True recomputes the backward through the cells: same first-order grads."""
    torch.manual_seed(0)
    layer = rnnkit.LSTM(3, 4, peephole=True, layer_norm=True, bidirectional=True)
    x = torch.randn(6, 3, 3, requires_grad=True)
    lengths = torch.tensor([6, 2, 4])
    grads = []
    for create_graph in (False, True):
        out, _ = layer(x, lengths=lengths)
        wrt = [x, *layer.parameters()]
        grads.append(torch.autograd.grad(out.sum(), wrt, create_graph=create_graph))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
