"""Cells: parity with torch.nn cells, hand-written oracles for the extras, gradcheck."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.cells import ChoGRUCell, GRUCell, LSTMCell, RNNCell

I, H, B = 3, 4, 2


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: RNNCell(I, H), lambda: nn.RNNCell(I, H)),
        (lambda: RNNCell(I, H, nonlinearity="relu"), lambda: nn.RNNCell(I, H, nonlinearity="relu")),
        (lambda: RNNCell(I, H, bias=False), lambda: nn.RNNCell(I, H, bias=False)),
        (lambda: LSTMCell(I, H), lambda: nn.LSTMCell(I, H)),
        (lambda: LSTMCell(I, H, bias=False), lambda: nn.LSTMCell(I, H, bias=False)),
        (lambda: GRUCell(I, H), lambda: nn.GRUCell(I, H)),
        (lambda: GRUCell(I, H, bias=False), lambda: nn.GRUCell(I, H, bias=False)),
    ],
)
def test_cell_matches_torch_nn_both_ways(ours, theirs):
    torch.manual_seed(0)
    a, b = ours(), theirs()
    a.load_state_dict(b.state_dict())  # torch.nn -> rnnkit
    c = theirs()
    c.load_state_dict(a.state_dict())  # rnnkit -> torch.nn
    x = torch.randn(B, I)
    state = a.initial_state(B)
    state = tuple(torch.randn_like(s) for s in state)
    out, new = a(x, state)
    expected = b(x, state if len(state) == 2 else state[0])
    expected = expected if isinstance(expected, tuple) else (expected,)
    for got, want in zip(new, expected):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(out, expected[0], atol=1e-6, rtol=1e-6)
    again = c(x, state if len(state) == 2 else state[0])
    again = again if isinstance(again, tuple) else (again,)
    torch.testing.assert_close(again[0], expected[0], atol=1e-6, rtol=1e-6)


def test_project_input_is_one_gemm_for_all_steps():
    cell = LSTMCell(I, H)
    x = torch.randn(5, B, I)
    whole = cell.project_input(x)  # (T, B, 4H)
    per_step = torch.stack([cell.project_input(x[t]) for t in range(5)])
    assert whole.shape == (5, B, 4 * H)
    torch.testing.assert_close(whole, per_step)


def naive_lstm(cell: LSTMCell, x, h, c):
    """The LSTM equations written out gate by gate, independently of the cell's code."""
    W_ih, W_hh = cell.weight_ih, cell.weight_hh
    b = cell.bias_ih + cell.bias_hh
    pre = {}
    for k, name in enumerate("ifgo"):
        rows = slice(k * H, (k + 1) * H)
        xin = x @ W_ih[rows].T
        hin = h @ W_hh[rows].T
        if cell.layer_norm:
            xin = (x @ W_ih.T)[:, rows]
            hin = (h @ W_hh.T)[:, rows]
        pre[name] = (xin, hin, b[rows])
    if cell.layer_norm:
        ln = lambda v, m: F.layer_norm(v, (4 * H,), m.weight, m.bias)  # noqa: E731
        xs = ln(x @ W_ih.T, cell.ln_ih)
        hs = ln(h @ W_hh.T, cell.ln_hh)
        pre = {
            n: (xs[:, k * H : (k + 1) * H], hs[:, k * H : (k + 1) * H], b[k * H : (k + 1) * H])
            for k, n in enumerate("ifgo")
        }
    a = {n: xin + hin + bias for n, (xin, hin, bias) in pre.items()}
    if cell.peephole:
        w_ci, w_cf, w_co = cell.weight_ch[:H], cell.weight_ch[H : 2 * H], cell.weight_ch[2 * H :]
        a["i"] = a["i"] + w_ci * c
        a["f"] = a["f"] + w_cf * c
    i, f, g = torch.sigmoid(a["i"]), torch.sigmoid(a["f"]), torch.tanh(a["g"])
    c_new = f * c + i * g
    if cell.peephole:
        a["o"] = a["o"] + w_co * c_new
    o = torch.sigmoid(a["o"])
    squash = (
        F.layer_norm(c_new, (H,), cell.ln_c.weight, cell.ln_c.bias) if cell.layer_norm else c_new
    )
    h_new = o * torch.tanh(squash)
    if cell.proj_size:
        h_new = h_new @ cell.weight_hr.T
    return h_new, c_new


@pytest.mark.parametrize(
    "options",
    [
        {"peephole": True},
        {"layer_norm": True},
        {"proj_size": 2},
        {"peephole": True, "layer_norm": True, "proj_size": 3},
    ],
)
def test_lstm_extras_follow_the_equations(options):
    torch.manual_seed(0)
    cell = LSTMCell(I, H, **options)
    with torch.no_grad():  # non-trivial LayerNorm affine parameters
        for p in cell.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x = torch.randn(B, I)
    h, c = (torch.randn_like(s) for s in cell.initial_state(B))
    out, (h_new, c_new) = cell(x, (h, c))
    want_h, want_c = naive_lstm(cell, x, h, c)
    torch.testing.assert_close(h_new, want_h)
    torch.testing.assert_close(c_new, want_c)
    assert out is h_new


def test_cho_gru_follows_the_original_equations():
    torch.manual_seed(0)
    cell = ChoGRUCell(I, H)
    x, h = torch.randn(B, I), torch.randn(B, H)
    W_ir, W_iz, W_in = cell.weight_ih.split(H)
    W_hr, W_hz, W_hn = cell.weight_hh.split(H)
    b_ir, b_iz, b_in = cell.bias_ih.split(H)
    b_hr, b_hz, b_hn = cell.bias_hh.split(H)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    want = (1 - z) * n + z * h
    got, _ = cell(x, (h,))
    torch.testing.assert_close(got, want)
    torch_form = GRUCell(I, H)
    torch_form.load_state_dict(cell.state_dict())
    assert not torch.allclose(torch_form(x, (h,))[0], want)  # the two forms really differ


def test_forget_bias_initialisation():
    cell = LSTMCell(I, H, forget_bias=1.0)
    total = cell.bias_ih + cell.bias_hh
    torch.testing.assert_close(total[H : 2 * H], torch.ones(H))
    assert not torch.allclose(total[:H], torch.ones(H))


CELLS = {
    "rnn_tanh": lambda: RNNCell(I, H),
    "rnn_relu": lambda: RNNCell(I, H, nonlinearity="relu"),
    "rnn_layer_norm": lambda: RNNCell(I, H, layer_norm=True),
    "lstm": lambda: LSTMCell(I, H),
    "lstm_peephole": lambda: LSTMCell(I, H, peephole=True),
    "lstm_layer_norm": lambda: LSTMCell(I, H, layer_norm=True),
    "lstm_proj": lambda: LSTMCell(I, H, proj_size=2),
    "lstm_all": lambda: LSTMCell(
        I, H, peephole=True, layer_norm=True, proj_size=2, forget_bias=1.0
    ),
    "gru": lambda: GRUCell(I, H),
    "gru_cho": lambda: ChoGRUCell(I, H),
    "gru_layer_norm": lambda: GRUCell(I, H, layer_norm=True),
    "gru_no_bias": lambda: GRUCell(I, H, bias=False),
    "gru_cho_no_bias": lambda: ChoGRUCell(I, H, bias=False),
}


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_gradcheck_float64(name):
    """gradcheck perturbs its inputs in place, so the cell's own parameters are inputs."""
    torch.manual_seed(0)
    cell = CELLS[name]().double()
    params = list(cell.parameters())
    x = torch.randn(B, I, dtype=torch.float64, requires_grad=True)
    state = tuple(torch.randn_like(s).requires_grad_() for s in cell.initial_state(B))

    def step(x, *tensors):
        out, new = cell(x, tuple(tensors[len(params) :]))
        return (out, *new)

    assert torch.autograd.gradcheck(step, (x, *params, *state), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: RNNCell(0, 3), "input_size"),
        (lambda: LSTMCell(3, -1), "hidden_size"),
        (lambda: RNNCell(3, 3, nonlinearity="sigmoid"), "nonlinearity"),
        (lambda: LSTMCell(3, 4, proj_size=4), "proj_size"),
        (lambda: LSTMCell(3, 4, bias=False, forget_bias=1.0), "forget_bias"),
    ],
)
def test_bad_cell_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_the_cho_gru_has_no_layer_norm():
    with pytest.raises(TypeError, match="layer_norm"):
        ChoGRUCell(3, 4, layer_norm=True)


def test_rnn_cell_stores_its_nonlinearity_by_name():
    """A saved module then holds no function object (safe whole-module loading)."""
    import torch

    from rnnkit.cells import RNNCell

    cell = RNNCell(2, 3, nonlinearity="relu")
    assert not any(callable(v) and not isinstance(v, torch.nn.Module) for v in vars(cell).values())
    assert cell.phi is torch.relu
