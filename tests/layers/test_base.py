"""Layer front: streaming step, capture, parameter sharing with cells, bad input."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import rnnkit
from tests.helpers import MODES

T, B, I, H = 6, 3, 4, 5


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("num_layers", [1, 3])
def test_step_agrees_with_full_forward(mode, num_layers):
    torch.manual_seed(0)
    _, cls, extra = MODES[mode]
    layer = cls(I, H, num_layers=num_layers, batch_first=True, **extra)
    x = torch.randn(B, T, I)
    full, final = layer(x)
    hx, outs = None, []
    for t in range(T):
        y, hx = layer.step(x[:, t], hx)
        outs.append(y)
    torch.testing.assert_close(torch.stack(outs, 1), full, atol=1e-6, rtol=1e-5)
    for a, b in zip(
        final if isinstance(final, tuple) else (final,), hx if isinstance(hx, tuple) else (hx,)
    ):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_step_with_projection_and_extras():
    torch.manual_seed(0)
    layer = rnnkit.LSTM(I, H, num_layers=2, proj_size=2, peephole=True, layer_norm=True)
    x = torch.randn(T, B, I)
    full, _ = layer(x)
    hx = None
    for t in range(T):
        y, hx = layer.step(x[t], hx)
        torch.testing.assert_close(y, full[t], atol=1e-6, rtol=1e-5)


def test_capture_traces_every_layer_and_direction():
    torch.manual_seed(0)
    layer = rnnkit.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(B, T, I)
    cap = layer.capture(x, lengths=[6, 2, 4])
    out, (h, c) = layer(x, lengths=[6, 2, 4])
    torch.testing.assert_close(cap.output, out, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(cap.state[1], c, atol=1e-6, rtol=1e-5)
    assert set(cap.traces) == {"l0", "l0_reverse", "l1", "l1_reverse"}
    assert cap.traces["l1"]["f"].shape == (B, T, H)  # batch_first honoured
    torch.testing.assert_close(cap.traces["l1_reverse"]["h"], out[..., H:], atol=1e-6, rtol=1e-5)


def test_cells_share_the_layers_parameters():
    layer = rnnkit.GRU(I, H, num_layers=2)
    assert layer.cell(1).weight_hh is layer.weight_hh_l1
    with torch.no_grad():
        layer.weight_hh_l1.zero_()
    assert torch.all(layer.cell(1).weight_hh == 0)
    layer.weight_hh_l1 = torch.nn.Parameter(torch.ones(3 * H, H))
    assert layer.cell(1).weight_hh is layer.weight_hh_l1  # rebinding follows reassignment


def bad_calls():
    lstm = rnnkit.LSTM(I, H, num_layers=2)
    gru = rnnkit.GRU(I, H, bidirectional=True)
    x = torch.randn(T, B, I)
    h = torch.zeros(2, B, H)
    yield "4-D", lambda: lstm(torch.randn(1, T, B, I)), "must be 2-D or 3-D"
    yield "features", lambda: lstm(torch.randn(T, B, I + 1)), "expected input_size=4"
    yield "lengths range", lambda: lstm(x, lengths=[7, 1, 1]), r"lengths must lie in \[1, 6\]"
    yield "lengths zero", lambda: lstm(x, lengths=[0, 1, 1]), r"lengths must lie in \[1, 6\]"
    yield "lengths batch", lambda: lstm(x, lengths=[6, 6]), "one entry per sequence"
    yield "lengths dtype", lambda: lstm(x, lengths=torch.tensor([1.0, 2.0, 3.0])), "integers"
    yield "lengths unbatched", lambda: lstm(torch.randn(T, I), lengths=[3]), "batched"
    yield (
        "state shape",
        lambda: lstm(x, (torch.zeros(1, B, H), h)),
        r"h_0 must have shape \(2, 3, 5\)",
    )
    yield "state kind", lambda: lstm(x, h), r"tuple \(h_0, c_0\)"
    yield "state dtype", lambda: lstm(x, (h.double(), h)), "dtype torch.float64"
    yield "input dtype", lambda: lstm(x.double()), "parameters are torch.float32"
    yield "integer input", lambda: lstm(torch.ones(T, B, I, dtype=torch.long)), "floating-point"
    yield "device", lambda: lstm(x.to("meta")), "is on meta"
    yield "bidirectional step", lambda: gru.step(x[0]), "unidirectional"
    yield "step rank", lambda: lstm.step(x), "must be 2-D"
    yield "gru state shape", lambda: gru(x, torch.zeros(1, B, H)), r"hx must have shape \(2, 3, 5\)"
    packed = pack_padded_sequence(x, [6, 5, 4])
    yield "packed+lengths", lambda: lstm(packed, lengths=[6, 5, 4]), "not both"
    yield "not a tensor", lambda: lstm([[1.0]]), "torch.Tensor"
    yield "no steps", lambda: lstm(torch.randn(0, B, I)), "at least one time step"


@pytest.mark.parametrize("case", list(bad_calls()), ids=lambda c: c[0])
def test_bad_input_gives_one_clear_line(case):
    _, call, message = case
    with pytest.raises((ValueError, TypeError), match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: rnnkit.LSTM(I, H, backend="fast"), "backend must be one of"),
        (lambda: rnnkit.LSTM(I, H, peephole=True, backend="native"), "backend='native' cannot"),
        (
            lambda: rnnkit.RecurrentConfig("gru", I, H, proj_size=2),
            "proj_size is only supported by the LSTM",
        ),
        (lambda: rnnkit.LSTM(I, H, proj_size=H), "proj_size must be smaller"),
        (lambda: rnnkit.RNN(I, H, nonlinearity="gelu"), "nonlinearity"),
        (lambda: rnnkit.RNN(I, 0), "hidden_size"),
        (lambda: rnnkit.GRU(I, H, num_layers=0), "num_layers"),
        (lambda: rnnkit.GRU(I, H, dropout=1.5), "dropout"),
        (lambda: rnnkit.GRU(I, H, reset_after=False, layer_norm=True), "reset_after"),
    ],
)
def test_bad_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_dropout_on_one_layer_warns_as_torch_nn_does():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        rnnkit.LSTM(3, 4, dropout=0.2)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        torch.nn.LSTM(3, 4, dropout=0.2)  # the oracle says the same
