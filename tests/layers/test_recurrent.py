"""Oracle tests: rnnkit.RNN / LSTM / GRU against torch.nn, both backends."""

import itertools

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import rnnkit
from rnnkit.layers.fused import available as fused_available
from rnnkit.layers.fused import status as fused_status
from tests.helpers import MODES, assert_close_all, assert_grads_match, loss_of, pair

T, B, I, H = 6, 4, 3, 5
LENGTHS = [6, 2, 4, 1]  # unsorted on purpose, with a full-length and a length-1 sequence


def variants(mode):
    projections = (0, 2) if mode == "lstm" else (0,)
    return itertools.product(
        (False, True), (True, False), projections, ("full", "lengths", "packed"), (False, True)
    )


def hidden_state(mode, layers, directions, proj, batch):
    h = torch.randn(layers * directions, batch, proj or H, requires_grad=True)
    if mode != "lstm":
        return h
    return (h, torch.randn(layers * directions, batch, H, requires_grad=True))


@pytest.mark.parametrize("backend", ["reference", "native", "fused"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("mode", list(MODES))
def test_parity_with_torch_nn(mode, num_layers, bidirectional, backend):
    """Outputs, final states, input and parameter gradients equal torch.nn's."""
    if backend == "fused" and not fused_available():
        pytest.skip(f"fused kernels: {fused_status()}")
    for batch_first, bias, proj, kind, with_hx in variants(mode):
        if proj and backend == "fused":
            continue  # the fused kernels have no LSTM projection (auto uses oneDNN for it)
        torch.manual_seed(0)
        kwargs = dict(
            num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias
        )
        if proj:
            kwargs["proj_size"] = proj
        ref, ours = pair(mode, I, H, backend=backend, **kwargs)
        x = torch.randn(B, T, I) if batch_first else torch.randn(T, B, I)
        x_ref, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()
        hx = hidden_state(mode, num_layers, 2 if bidirectional else 1, proj, B) if with_hx else None
        lengths = torch.tensor(LENGTHS)
        if kind == "full":
            out_ref, out_ours = ref(x_ref, hx), ours(x_ours, hx)
        elif kind == "packed":
            out_ref = ref(
                pack_padded_sequence(x_ref, lengths, batch_first, enforce_sorted=False), hx
            )
            out_ours = ours(
                pack_padded_sequence(x_ours, lengths, batch_first, enforce_sorted=False), hx
            )
            assert torch.equal(out_ref[0].batch_sizes, out_ours[0].batch_sizes)
            assert torch.equal(out_ref[0].sorted_indices, out_ours[0].sorted_indices)
        else:
            packed = pack_padded_sequence(x_ref, lengths, batch_first, enforce_sorted=False)
            y, h = ref(packed, hx)
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first, total_length=T)
            out_ref, out_ours = (y, h), ours(x_ours, hx, lengths=lengths)
        assert_close_all(out_ref, out_ours)
        hx_grads = []
        if with_hx:
            for h in hx if isinstance(hx, tuple) else (hx,):
                h.grad = None
        loss_of(out_ref).backward()
        if with_hx:
            hx_grads = [h.grad.clone() for h in (hx if isinstance(hx, tuple) else (hx,))]
            for h in hx if isinstance(hx, tuple) else (hx,):
                h.grad = None
        loss_of(out_ours).backward()
        torch.testing.assert_close(x_ours.grad, x_ref.grad, atol=1e-5, rtol=1e-5)
        assert_grads_match(ref, ours)
        if with_hx:
            for h, g in zip(hx if isinstance(hx, tuple) else (hx,), hx_grads):
                torch.testing.assert_close(h.grad, g, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_input_matches_torch_nn(mode):
    torch.manual_seed(0)
    ref, ours = pair(mode, I, H, num_layers=2, bidirectional=True, backend="reference")
    x = torch.randn(T, I)
    assert_close_all(ref(x), ours(x))


@pytest.mark.parametrize("mode", list(MODES))
def test_state_dict_interchanges_both_ways(mode):
    torch_cls, our_cls, extra = MODES[mode]
    kwargs = dict(num_layers=2, bidirectional=True, **extra)
    if mode == "lstm":
        kwargs["proj_size"] = 3
    ours, ref = our_cls(I, H, **kwargs), torch_cls(I, H, **kwargs)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    ref.load_state_dict(ours.state_dict())  # rnnkit -> torch.nn
    x = torch.randn(T, B, I)
    assert_close_all(ref(x), ours(x))
    fresh = our_cls(I, H, **kwargs)
    fresh.load_state_dict(ref.state_dict())  # torch.nn -> rnnkit
    assert_close_all(fresh(x), ref(x))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_reference_equals_native(mode, bidirectional):
    _, cls, extra = MODES[mode]
    torch.manual_seed(0)
    native = cls(I, H, num_layers=2, bidirectional=bidirectional, backend="native", **extra)
    reference = cls(I, H, num_layers=2, bidirectional=bidirectional, backend="reference", **extra)
    reference.load_state_dict(native.state_dict())
    assert native.uses_native and not reference.uses_native
    x = torch.randn(T, B, I)
    for lengths in (None, torch.tensor(LENGTHS)):
        assert_close_all(native(x, lengths=lengths), reference(x, lengths=lengths))


def test_auto_backend_choice():
    assert rnnkit.LSTM(I, H).uses_native
    assert rnnkit.LSTM(I, H, proj_size=2).uses_native
    assert not rnnkit.LSTM(I, H, peephole=True).uses_native
    assert not rnnkit.GRU(I, H).uses_native or not fused_available()
    assert not rnnkit.LSTM(I, H, layer_norm=True).uses_native
    assert not rnnkit.GRU(I, H, reset_after=False).uses_native
    assert not rnnkit.RNN(I, H, layer_norm=True).uses_native
    assert not rnnkit.GRU(I, H, backend="reference").uses_native


@pytest.mark.parametrize(
    "cls, options",
    [
        (rnnkit.LSTM, {"peephole": True}),
        (rnnkit.LSTM, {"layer_norm": True, "proj_size": 2}),
        (rnnkit.GRU, {"reset_after": False}),
        (rnnkit.GRU, {"layer_norm": True}),
        (rnnkit.RNN, {"layer_norm": True}),
    ],
)
def test_extended_layers_gradcheck(cls, options):
    """Float64 gradcheck through the runner: stacked, bidirectional, variable length."""
    torch.manual_seed(0)
    layer = cls(2, 3, num_layers=2, bidirectional=True, dtype=torch.float64, **options)
    x = torch.randn(4, 3, 2, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([4, 1, 3])

    def f(x, *params):  # gradcheck perturbs the layer's own parameters in place
        out, state = layer(x, lengths=lengths)
        return (out, *(state if isinstance(state, tuple) else (state,)))

    params = list(layer.parameters())
    assert torch.autograd.gradcheck(f, (x, *params), eps=1e-6, atol=1e-5, fast_mode=True)


def test_dtype_conversion_keeps_cells_in_sync():
    layer = rnnkit.LSTM(I, H, peephole=True).double()
    x = torch.randn(T, B, I, dtype=torch.float64)
    out, (h, c) = layer(x)
    assert out.dtype == torch.float64 and c.dtype == torch.float64


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    layer = rnnkit.GRU(I, H, num_layers=2, dropout=0.5, backend="reference")
    x = torch.randn(T, B, I)
    layer.eval()
    assert torch.equal(layer(x)[0], layer(x)[0])
    layer.train()
    assert not torch.equal(layer(x)[0], layer(x)[0])


def test_from_config_round_trip():
    layer = rnnkit.LSTM(I, H, num_layers=2, proj_size=2, peephole=True, batch_first=True)
    config = rnnkit.RecurrentConfig.from_dict(layer.config.to_dict())
    clone = rnnkit.layers.from_config(config)
    clone.load_state_dict(layer.state_dict())
    x = torch.randn(B, T, I)
    assert_close_all(layer(x), clone(x))


@pytest.mark.parametrize("backend", ["native", "fused", "reference"])
@pytest.mark.parametrize("mode", ["gru", "lstm"])
def test_autocast_bfloat16_input_is_accepted(mode, backend):
    """Under CPU autocast a linear layer hands the recurrent layer bfloat16; the layer
    takes it (back to its parameters' dtype) and stays close to the float32 result."""
    if backend == "fused" and not fused_available():
        pytest.skip(f"fused kernels: {fused_status()}")
    _, cls, extra = MODES[mode]
    torch.manual_seed(0)
    layer, linear = cls(I, H, backend=backend, **extra), torch.nn.Linear(2, I)
    x = torch.randn(T, B, 2)
    expected, _ = layer(linear(x), lengths=torch.tensor(LENGTHS))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        features = linear(x)
        assert features.dtype == torch.bfloat16
        out, _ = layer(features, lengths=torch.tensor(LENGTHS))
        step_out, _ = layer.step(features[0])
    out.float().sum().backward()
    assert step_out.shape == (B, H)
    torch.testing.assert_close(out.float(), expected, atol=0.05, rtol=0.05)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in layer.parameters())
