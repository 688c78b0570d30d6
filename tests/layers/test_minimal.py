"""minGRU and minLSTM: the scan (C kernel and parallel) against the reference runner."""

import itertools

import pytest
import torch

import rnnkit
from rnnkit.layers.fused import available as fused_available
from rnnkit.layers.fused import scan as scan_module
from rnnkit.layers.fused import status as fused_status
from rnnkit.layers.fused.scan import KernelScan, ParallelScan, scan
from tests.helpers import loss_of

LAYERS = {"mingru": rnnkit.MinGRU, "minlstm": rnnkit.MinLSTM}
METHODS = ["kernel", "parallel"]
TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def need(method: str) -> None:
    if method == "kernel" and not fused_available():
        pytest.skip(f"fused kernels: {fused_status()}")


def assert_rel(x: torch.Tensor, y: torch.Tensor, tol: float, what: str = "") -> None:
    """max |x - y| <= tol * max(|y|, 1)."""
    assert x.shape == y.shape, what
    x, y = x.detach(), y.detach()
    scale = max(float(y.abs().max()), 1.0)
    assert float((x - y).abs().max()) <= tol * scale, what


def run_both(cell, method, *, layers, bidirectional, lengths, with_state, dtype, monkeypatch):
    """The same layer on the scan path and on the reference runner: outputs and grads."""
    torch.manual_seed(0)
    T, B, I, H = 7, 3, 4, 5
    kw = {"num_layers": layers, "bidirectional": bidirectional, "dtype": dtype}
    fast = LAYERS[cell](I, H, backend="fused", **kw)
    ref = LAYERS[cell](I, H, backend="reference", **kw)
    ref.load_state_dict(fast.state_dict())
    x = torch.randn(T, B, I, dtype=dtype)
    n = torch.tensor([7, 4, 1]) if lengths else None
    D = 2 if bidirectional else 1
    h0 = torch.randn(layers * D, B, H, dtype=dtype) if with_state else None
    if method == "parallel":
        monkeypatch.setattr(scan_module, "kernel_ok", lambda a: False)
    results = []
    for layer in (fast, ref):
        xs = x.clone().requires_grad_()
        hs = None if h0 is None else h0.clone().requires_grad_()
        out = layer(xs, hs, lengths=n)
        loss_of(out).backward()
        grads = [xs.grad] + ([] if hs is None else [hs.grad])
        grads += [p.grad for p in layer.parameters()]
        results.append((out[0], out[1], grads))
    return results


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cell", list(LAYERS))
def test_scan_equals_reference_runner(cell, method, monkeypatch):
    need(method)
    for layers, bidir, lengths, state in itertools.product((1, 2), (False, True), *[(0, 1)] * 2):
        (o, h, g), (o_ref, h_ref, g_ref) = run_both(
            cell,
            method,
            layers=layers,
            bidirectional=bidir,
            lengths=lengths,
            with_state=state,
            dtype=torch.float32,
            monkeypatch=monkeypatch,
        )
        case = f"{cell} {method} L={layers} bi={bidir} lengths={lengths} h0={state}"
        assert_rel(o, o_ref, 1e-5, case)
        assert_rel(h, h_ref, 1e-5, case)
        assert len(g) == len(g_ref)
        for a, b in zip(g, g_ref):
            assert_rel(a, b, 1e-5, case)


@pytest.mark.parametrize("method", METHODS)
def test_scan_equals_reference_in_float64(method, monkeypatch):
    need(method)
    for cell in LAYERS:
        (o, h, g), (o_ref, h_ref, g_ref) = run_both(
            cell,
            method,
            layers=2,
            bidirectional=True,
            lengths=True,
            with_state=True,
            dtype=torch.float64,
            monkeypatch=monkeypatch,
        )
        for a, b in zip([o, h, *g], [o_ref, h_ref, *g_ref]):
            assert_rel(a, b, 1e-10, cell)


def coefficients(T=6, B=2, H=3):
    torch.manual_seed(1)
    a = torch.rand(T, B, H, dtype=torch.float64, requires_grad=True)
    b = torch.randn(T, B, H, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(B, H, dtype=torch.float64, requires_grad=True)
    return a, b, h0


@pytest.mark.parametrize("lengths", [None, torch.tensor([6, 3])])
def test_kernel_scan_gradcheck(lengths):
    need("kernel")
    f = lambda a, b, h0: KernelScan.apply(a, b, h0, lengths)  # noqa: E731
    assert torch.autograd.gradcheck(f, coefficients())
    assert torch.autograd.gradgradcheck(f, coefficients())


@pytest.mark.parametrize("T", [1, 5, 10])
def test_parallel_scan_gradcheck(T):
    assert torch.autograd.gradcheck(ParallelScan.apply, coefficients(T))
    assert torch.autograd.gradgradcheck(ParallelScan.apply, coefficients(T))


def test_parallel_scan_equals_sequential_loop_at_every_length():
    for T in range(1, 30):
        a, b, h0 = (t.detach() for t in coefficients(T))
        h, expected = h0, []
        for t in range(T):
            h = a[t] * h + b[t]
            expected.append(h)
        out, hT = scan(a, b, h0, method="parallel")
        assert_rel(out, torch.stack(expected), 1e-12, f"T={T}")
        assert_rel(hT, h, 1e-12, f"T={T}")
        assert a.equal(coefficients(T)[0].detach())  # the inputs are left as they were


@pytest.mark.parametrize("cell", list(LAYERS))
def test_step_streaming_equals_whole_sequence(cell):
    torch.manual_seed(2)
    layer = LAYERS[cell](3, 4, num_layers=2, batch_first=True)
    x, h0 = torch.randn(2, 6, 3), torch.randn(2, 2, 4)
    out, h = layer(x, h0)
    state, steps = h0, []
    for t in range(x.shape[1]):
        y, state = layer.step(x[:, t], state)
        steps.append(y)
    torch.testing.assert_close(torch.stack(steps, 1), out)
    torch.testing.assert_close(state, h)


def test_auto_backend_is_the_scan_on_the_cpu():
    if not fused_available():
        pytest.skip(f"fused kernels: {fused_status()}")
    for cls in LAYERS.values():
        assert cls(3, 4).chosen_backend == "fused"
        assert cls(3, 4, dtype=torch.float64).chosen_backend == "fused"


def test_parameter_names_are_torch_style():
    layer = rnnkit.MinGRU(3, 4, num_layers=2, bidirectional=True)
    names = list(layer.state_dict())
    assert names[:4] == ["weight_ih_l0", "bias_ih_l0", "weight_ih_l0_reverse", "bias_ih_l0_reverse"]
    assert "weight_ih_l1" in names and not any("hh" in n for n in names)
    assert layer.weight_ih_l0.shape == (2 * 4, 3)
    assert rnnkit.MinLSTM(3, 4).weight_ih_l0.shape == (3 * 4, 3)
    assert rnnkit.MinLSTM(3, 4, bias=False).state_dict().keys() == {"weight_ih_l0"}


def test_native_backend_is_refused():
    with pytest.raises(ValueError, match="minGRU"):
        rnnkit.MinGRU(3, 4, backend="native")


def test_min_lstm_gates_stay_finite_where_both_underflow():
    cell = rnnkit.MinLSTMCell(1, 1)
    xp = torch.tensor([[-200.0, -300.0, 1.0]])  # f_t and i_t both round to zero
    a, b, _ = cell.coefficients(xp)
    assert torch.isfinite(a).all() and torch.isfinite(b).all()
    torch.testing.assert_close(a, torch.tensor([[1.0]]))
