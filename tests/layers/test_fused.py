"""Oracles for the fused backend: rnnkit's C kernels against the reference runner."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest
import torch

import rnnkit
from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, RNNCell
from rnnkit.layers.fused import available, build, status
from rnnkit.layers.fused.functions import ChoGRUSequence, GRUSequence, RNNSequence
from rnnkit.layers.fused.lstm import LSTMSequence
from tests.helpers import assert_close_all, flat

pytestmark = pytest.mark.skipif(not available(), reason=f"fused kernels: {status()}")

T, B, I, H = 6, 4, 3, 5
LENGTHS = [6, 2, 4, 1]
CELLS = [  # (layer class, cell options): every option the fused kernels implement
    (rnnkit.RNN, {"nonlinearity": "tanh"}),
    (rnnkit.RNN, {"nonlinearity": "relu"}),
    (rnnkit.RNN, {"layer_norm": True}),
    (rnnkit.GRU, {}),
    (rnnkit.GRU, {"reset_after": False}),
    (rnnkit.GRU, {"layer_norm": True}),
    (rnnkit.LSTM, {}),
    (rnnkit.LSTM, {"peephole": True}),
    (rnnkit.LSTM, {"layer_norm": True}),
    (rnnkit.LSTM, {"peephole": True, "layer_norm": True, "forget_bias": 1.0}),
]


def _ids(case):
    cls, options = case
    return cls.__name__ + "".join(f"-{k}={v}" for k, v in options.items())


def _state(cls, layers, directions, requires_grad=True):
    h = torch.randn(layers * directions, B, H, requires_grad=requires_grad)
    if cls is not rnnkit.LSTM:
        return h
    return (h, torch.randn(layers * directions, B, H, requires_grad=requires_grad))


def _leaves(hx):
    return [] if hx is None else list(hx) if isinstance(hx, tuple) else [hx]


@pytest.mark.parametrize("case", CELLS, ids=_ids)
def test_fused_equals_reference(case):
    """Outputs, final states and every gradient (input, state, parameters) agree.

    Float32 against the float32 reference within 1e-5 of each tensor's scale. Layer
    norm's float32 results are ill-conditioned at these tiny sizes (the reference's own
    rounding reaches 2e-4 against float64 in some configurations, and the BLAS's code
    path differs between CPUs), so there the fused outputs and gradients are held to the
    float64 reference: within 5e-5, or no worse than six times the float32 reference's
    error (two float32 roundings of one ill-conditioned configuration differ by that
    much: over 40 random bidirectional layers the fused kernels' gradients are off by a
    median 2.7e-6 and at most 5.2e-5, the float32 reference's by 2.9e-6 and 6.0e-5).
    Exactness is the float64 test's job."""
    cls, options = case
    grid = itertools.product((1, 2), (False, True), (False, True), (False, True), (False, True))
    for layers, bidirectional, with_lengths, with_hx, bias in grid:
        if not bias and options.get("forget_bias") is not None:
            continue
        torch.manual_seed(0)
        kw = dict(num_layers=layers, bidirectional=bidirectional, bias=bias, **options)
        fused = cls(I, H, backend="fused", **kw)
        reference = cls(I, H, backend="reference", **kw)
        reference.load_state_dict(fused.state_dict())
        truth = cls(I, H, backend="reference", **kw).double()
        truth.load_state_dict(fused.state_dict())
        assert fused.chosen_backend == "fused" and reference.chosen_backend == "reference"
        x = torch.randn(T, B, I)
        lengths = torch.tensor(LENGTHS) if with_lengths else None
        hx = _state(cls, layers, 2 if bidirectional else 1) if with_hx else None
        (out_r, g_r), (out_f, g_f), (out_t, g_t) = (
            _run(layer, x, hx, lengths) for layer in (reference, fused, truth)
        )
        if not options.get("layer_norm"):
            assert_close_all(out_r, out_f)
            for a, b in zip(g_r, g_f):
                assert_scaled_close(b, a)
            continue
        for a, b, t in zip([*flat(out_r), *g_r], [*flat(out_f), *g_f], [*flat(out_t), *g_t]):
            assert _scaled_error(b.double(), t) <= max(5e-5, 6 * _scaled_error(a.double(), t))


def _run(layer, x, hx, lengths):
    """Outputs and the gradients of a fixed functional w.r.t. input, state and weights."""
    dtype = next(layer.parameters()).dtype
    xi = x.to(dtype).requires_grad_()
    hx = None if hx is None else tuple(h.detach().to(dtype).requires_grad_() for h in _leaves(hx))
    state = hx if hx is None or len(hx) == 2 else hx[0]
    out = layer(xi, state, lengths=lengths)
    g = torch.Generator().manual_seed(1)
    loss = sum((t * torch.randn(t.shape, generator=g).to(dtype)).sum() for t in flat(out))
    return out, torch.autograd.grad(loss, [xi, *_leaves(hx), *layer.parameters()])


def _scaled_error(actual, expected):
    actual, expected = actual.detach(), expected.detach()
    return float((actual - expected).abs().max()) / max(1.0, float(expected.abs().max()))


def assert_scaled_close(actual, expected, tol=1e-5):
    """max |actual - expected| <= tol * max(1, max |expected|): relative to the tensor's
    scale, as float32 layer-norm gradients (large and small entries mixed) need."""
    assert _scaled_error(actual, expected) <= tol


@pytest.mark.parametrize("case", CELLS, ids=_ids)
def test_fused_float64_matches_reference_tightly(case):
    cls, options = case
    torch.manual_seed(1)
    fused = cls(I, H, num_layers=2, bidirectional=True, backend="fused", **options).double()
    reference = cls(I, H, num_layers=2, bidirectional=True, backend="reference", **options)
    reference = reference.double()
    reference.load_state_dict(fused.state_dict())
    x = torch.randn(T, B, I, dtype=torch.float64)
    lengths = torch.tensor(LENGTHS)
    assert_close_all(fused(x, lengths=lengths), reference(x, lengths=lengths), 1e-12, 1e-12)


def _gradcheck(fn, *args):
    """First order (the kernels' backward) and second order (recomputed through the cell)."""
    assert torch.autograd.gradcheck(fn, args, eps=1e-6, atol=1e-6, rtol=1e-5)
    assert torch.autograd.gradgradcheck(fn, args, eps=1e-6, atol=1e-5, rtol=1e-4)


def _t(*shape, grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("lengths", [None, torch.tensor([3, 1])], ids=["full", "lengths"])
@pytest.mark.parametrize("layer_norm", [False, True])
def test_gradcheck_rnn_and_gru(lengths, layer_norm):
    Tn, Bn, Hn = 3, 2, 3
    ln = (1 + 0.1 * _t(Hn), 0.1 * _t(Hn)) if layer_norm else (None, None)
    for relu in ("tanh", "relu"):
        cell = RNNCell(Hn, Hn, nonlinearity=relu, layer_norm=layer_norm).double()
        _gradcheck(
            lambda xp, h0, W, b, *ln, cell=cell: RNNSequence.apply(
                xp, h0, W, b, *ln, lengths, cell
            ),
            *(_t(Tn, Bn, Hn), _t(Bn, Hn), 0.5 * _t(Hn, Hn), _t(Hn), *ln),
        )
    ln3 = (1 + 0.1 * _t(3 * Hn), 0.1 * _t(3 * Hn)) if layer_norm else (None, None)
    cell = GRUCell(Hn, Hn, layer_norm=layer_norm).double()
    _gradcheck(
        lambda xp, h0, W, b, *ln: GRUSequence.apply(xp, h0, W, b, *ln, lengths, cell),
        *(_t(Tn, Bn, 3 * Hn), _t(Bn, Hn), 0.5 * _t(3 * Hn, Hn), _t(3 * Hn), *ln3),
    )
    if not layer_norm:
        cho = ChoGRUCell(Hn, Hn).double()
        _gradcheck(
            lambda xp, h0, W, b: ChoGRUSequence.apply(xp, h0, W, b, lengths, cho),
            *(_t(Tn, Bn, 3 * Hn), _t(Bn, Hn), 0.5 * _t(3 * Hn, Hn), _t(3 * Hn)),
        )


@pytest.mark.parametrize("lengths", [None, torch.tensor([3, 1])], ids=["full", "lengths"])
@pytest.mark.parametrize("peephole, layer_norm", [(False, False), (True, False), (True, True)])
def test_gradcheck_lstm(lengths, peephole, layer_norm):
    Tn, Bn, Hn = 3, 2, 3
    peep = _t(3 * Hn) if peephole else None
    ln = (1 + 0.1 * _t(4 * Hn), 0.1 * _t(4 * Hn)) if layer_norm else (None, None)
    lnc = (1 + 0.1 * _t(Hn), 0.1 * _t(Hn)) if layer_norm else (None, None)
    lni = (1 + 0.1 * _t(4 * Hn), 0.1 * _t(4 * Hn), _t(4 * Hn)) if layer_norm else (None,) * 3
    tensors = (_t(Tn, Bn, 4 * Hn), _t(Bn, Hn), _t(Bn, Hn), 0.5 * _t(4 * Hn, Hn), _t(4 * Hn))

    def f(xp, h0, c0, W, b, *rest):  # with layer norm xp is W_ih x, normalised inside
        it = iter(rest)
        p = next(it) if peephole else None
        norms = [next(it) for _ in range(7)] if layer_norm else [None] * 7
        return LSTMSequence.apply(xp, h0, c0, W, b, p, *norms, lengths, cell)

    cell = LSTMCell(Hn, Hn, peephole=peephole, layer_norm=layer_norm).double()
    extra = [t for t in (peep, *ln, *lnc, *lni) if t is not None]
    _gradcheck(f, *tensors, *extra)


def test_auto_picks_fused_where_documented():
    assert rnnkit.GRU(I, H).chosen_backend == "fused"
    assert rnnkit.RNN(I, H, nonlinearity="relu").chosen_backend == "fused"
    assert rnnkit.GRU(I, H, reset_after=False).chosen_backend == "fused"
    assert rnnkit.LSTM(I, H, peephole=True).chosen_backend == "fused"
    assert rnnkit.LSTM(I, H, layer_norm=True).chosen_backend == "fused"
    assert rnnkit.GRU(I, H).double().chosen_backend == "fused"
    assert rnnkit.LSTM(I, H).chosen_backend == "native"  # oneDNN's LSTM
    assert rnnkit.LSTM(I, H, proj_size=2).chosen_backend == "native"
    assert rnnkit.LSTM(I, H, proj_size=2, peephole=True).chosen_backend == "reference"
    assert rnnkit.GRU(I, H).bfloat16().chosen_backend == "native"  # no bf16 kernels
    layer = rnnkit.GRU(I, H)
    with layer.wrapped_cells(lambda c: c):
        assert layer.chosen_backend == "reference"  # analysis tools watch every step


def test_fused_refuses_what_it_cannot_run():
    with pytest.raises(ValueError, match="projection"):
        rnnkit.LSTM(I, H, proj_size=2, backend="fused")


def test_dropout_between_layers_draws_the_same_masks():
    torch.manual_seed(0)
    fused = rnnkit.GRU(I, H, num_layers=3, dropout=0.5, backend="fused")
    reference = rnnkit.GRU(I, H, num_layers=3, dropout=0.5, backend="reference")
    reference.load_state_dict(fused.state_dict())
    x = torch.randn(T, B, I)
    outs = []
    for layer in (fused, reference):
        torch.manual_seed(5)
        outs.append(layer(x))
    assert_close_all(*outs)


def test_nan_input_stays_nan():
    layer = rnnkit.GRU(I, H, backend="fused")
    x = torch.randn(T, B, I)
    x[2, 1, 0] = float("nan")
    out, h = layer(x)
    assert torch.isnan(out[2:, 1]).all() and torch.isfinite(out[:, 0]).all()


def test_build_is_cached_and_falls_back_without_a_compiler(tmp_path, monkeypatch):
    code = "from rnnkit.layers.fused import build; k = build.load(); print(k.path if k else 0)"
    env = {"RNNKIT_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and str(tmp_path) in first.stdout
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    build.load.cache_clear()
    try:
        assert build.load() is None
        assert "no C compiler" in build.status()
        assert rnnkit.GRU(I, H).chosen_backend == "native"  # auto falls back silently
        with pytest.raises(ValueError, match="compiled CPU kernels"):
            rnnkit.GRU(I, H, backend="fused")
    finally:
        build.load.cache_clear()
    monkeypatch.undo()
    assert build.load() is not None


@pytest.mark.parametrize("hidden", [16, 32])
@pytest.mark.parametrize(
    "cls, options",
    [
        (rnnkit.RNN, {}),
        (rnnkit.GRU, {}),
        (rnnkit.GRU, {"reset_after": False}),
        (rnnkit.LSTM, {}),
        (rnnkit.LSTM, {"peephole": True, "layer_norm": True}),
    ],
)
def test_gemm_micro_kernel_equals_blas(cls, options, hidden):
    """At H a multiple of 16 the per-step GEMMs may run rnnkit's micro-kernel (4 x 64
    tiles and 1 x 16 edges; B = 5 leaves a row edge), and then so do the weight gradients
    (rk_wgrad_f32, reading d^T in place): both must agree with torch's BLAS and oneDNN."""
    kernels = build.load()
    was = kernels.gemm
    torch.manual_seed(0)
    layer = cls(I, hidden, num_layers=2, bidirectional=True, backend="fused", **options)
    reference = cls(I, hidden, num_layers=2, bidirectional=True, backend="reference", **options)
    reference.load_state_dict(layer.state_dict())
    x, lengths = torch.randn(T, 5, I), torch.tensor([6, 2, 4, 1, 5])
    try:
        runs = []
        for own in (True, False):
            kernels.use_own_gemm(own)
            runs.append(_run(layer, x, None, lengths))
    finally:
        kernels.use_own_gemm(was == "own")
    (out_own, g_own), (out_blas, g_blas) = runs
    out_ref, g_ref = _run(reference, x, None, lengths)
    assert_close_all(out_own, out_blas)
    assert_close_all(out_own, out_ref)
    for a, b, r in zip(g_own, g_blas, g_ref):
        assert_scaled_close(a, b)
        assert_scaled_close(a, r)


def test_the_gemm_choice_is_recorded_once_and_reused_by_later_processes(tmp_path):
    """The first process decides (CPU features, checked by a measurement) and records the
    choice with its reason; later processes read the record instead of measuring again."""
    code = "from rnnkit.layers.fused import build; print(build.status())"
    env = {"RNNKIT_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def status(**extra) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**env, **extra}
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = status()
    (record,) = tmp_path.glob("kernels/gemm-*.json")
    saved = json.loads(record.read_text())
    assert saved["gemm"] in ("own", "blas") and saved["reason"] in first
    assert ("AVX-512" in saved["reason"]) and str(record) in first
    other = "blas" if saved["gemm"] == "own" else "own"
    record.write_text(json.dumps({**saved, "gemm": other, "reason": "kept from before"}))
    second = status()
    assert "kept from before" in second  # read, not measured again
    assert ("micro-kernel:" in second) == (other == "own")
    assert "forced by RNNKIT_GEMM=blas" in status(RNNKIT_GEMM="blas")
