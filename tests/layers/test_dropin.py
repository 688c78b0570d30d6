"""torch.nn behaviours beyond forward: the same code on torch.nn and on rnnkit, compared."""

import io

import pytest
import torch
from torch.nn.utils import parametrizations, parametrize, prune

import rnnkit
from rnnkit.cells import GRUCell, LSTMCell, MinGRUCell, RNNCell
from rnnkit.layers import run
from rnnkit.layers.fused import available, status

BACKENDS = ("native", "fused", "reference")


class Half(torch.nn.Module):
    def forward(self, w):
        return 0.5 * w


PARAMETRIZE = {
    "parametrize": lambda m, n: parametrize.register_parametrization(m, n, Half()),
    "weight_norm": lambda m, n: parametrizations.weight_norm(m, n),
    "spectral_norm": lambda m, n: parametrizations.spectral_norm(m, n),
    "orthogonal": lambda m, n: parametrizations.orthogonal(m, n),
    "prune": lambda m, n: prune.l1_unstructured(m, n, amount=0.3),
}


def needs(backend):
    if backend == "fused" and not available():
        pytest.skip(f"fused kernels: {status()}")


def pair(kind, backend="auto", **kw):
    needs(backend)
    torch.manual_seed(0)
    ref = getattr(torch.nn, kind)(3, 4, **kw)
    ours = getattr(rnnkit, kind)(3, 4, backend=backend, **kw)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", PARAMETRIZE)
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_parametrized_weights_are_used_and_trained_on_every_backend(kind, how, backend):
    ref, ours = pair(kind, backend, num_layers=2, bidirectional=True)
    for layer in (ref, ours):
        torch.manual_seed(1)
        PARAMETRIZE[how](layer, "weight_hh_l0")
        PARAMETRIZE[how](layer, "weight_ih_l1_reverse")
        layer.eval()  # spectral_norm's power iteration runs in training mode only
    x = torch.randn(6, 2, 3)
    (out_r, _), (out_o, _) = ref(x), ours(x)
    torch.testing.assert_close(out_o, out_r, atol=1e-5, rtol=1e-5)
    loss = lambda out: (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum()  # noqa: E731
    g_r = torch.autograd.grad(loss(out_r), list(ref.parameters()))
    g_o = torch.autograd.grad(loss(out_o), list(ours.parameters()))
    names = [n for n, _ in ours.named_parameters()]
    assert names == [n for n, _ in ref.named_parameters()]
    assert any("original" in n or n.endswith("_orig") for n in names)
    for a, b in zip(g_r, g_o):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)
    cap = ours.capture(x)  # the reference runner's record, with the parametrized weights
    torch.testing.assert_close(cap.output, out_o, atol=1e-5, rtol=1e-5)


class Strided(torch.nn.Module):
    """The same values in a strided layout: column-major matrices, vectors every other."""

    def forward(self, w):
        return w.t().contiguous().t() if w.dim() == 2 else torch.stack([w, w], 1)[:, 0]


@pytest.mark.parametrize(
    "kind, options",
    [
        ("RNN", {"nonlinearity": "relu"}),
        ("GRU", {"layer_norm": True}),
        ("GRU", {"reset_after": False}),
        ("LSTM", {"peephole": True, "layer_norm": True}),
        ("MinGRU", {}),
    ],
)
def test_the_fused_kernels_read_strided_weights_as_the_reference_does(kind, options):
    needs("fused")
    torch.manual_seed(0)
    fused = getattr(rnnkit, kind)(3, 4, backend="fused", **options)
    ref = getattr(rnnkit, kind)(3, 4, backend="reference", **options)
    ref.load_state_dict(fused.state_dict())
    for layer in (fused, ref):
        for name in layer._flat_weights_names:  # every weight, bias and layer-norm gain
            parametrize.register_parametrization(layer, name, Strided())
    x = torch.randn(5, 2, 3)
    out_f, out_r = fused(x)[0], ref(x)[0]
    torch.testing.assert_close(out_f, out_r, atol=1e-5, rtol=1e-5)
    g_f = torch.autograd.grad(out_f.square().sum(), list(fused.parameters()))
    g_r = torch.autograd.grad(out_r.square().sum(), list(ref.parameters()))
    for a, b in zip(g_f, g_r):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


class Counting(torch.nn.Module):
    calls = 0

    def forward(self, w):
        Counting.calls += 1
        return w


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_parametrized_weight_is_computed_once_per_call(backend):
    _, layer = pair("GRU", backend, num_layers=2)
    parametrize.register_parametrization(layer, "weight_hh_l0", Counting())
    parametrize.register_parametrization(layer, "bias_ih_l1", Counting())
    calls = {
        "forward": lambda: layer(torch.randn(5, 2, 3)),
        "empty batch": lambda: layer(torch.randn(5, 0, 3)),
        "step": lambda: layer.step(torch.randn(2, 3)),
        "capture": lambda: layer.capture(torch.randn(5, 2, 3)),
    }
    for name, call in calls.items():
        Counting.calls = 0
        call()
        assert Counting.calls == 2, name


def test_a_parametrized_unidirectional_layer_streams_with_its_weights():
    ref, ours = pair("GRU")
    for layer in (ref, ours):
        parametrize.register_parametrization(layer, "weight_hh_l0", Half())
    x = torch.randn(5, 2, 3)
    h = None
    for t in range(5):
        y, h = ours.step(x[t], h)
    torch.testing.assert_close(y, ref(x)[0][-1], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_weight_attributes_and_settable_dropout_match_torch_nn(kind):
    kw = {"num_layers": 2, "bidirectional": True, **({"proj_size": 2} if kind == "LSTM" else {})}
    ref, ours = pair(kind, **kw)
    assert ours._flat_weights_names == ref._flat_weights_names
    assert ours._all_weights == ref._all_weights
    for a, b in zip(ours._flat_weights, ref._flat_weights):
        assert torch.equal(a, b)
    for row_a, row_b in zip(ours.all_weights, ref.all_weights):
        assert [tuple(w.shape) for w in row_a] == [tuple(w.shape) for w in row_b]
    for layer in (ref, ours):
        layer.dropout = 0.25
        layer.flatten_parameters()
    assert ours.dropout == ref.dropout == 0.25 and ours.config.dropout == 0.25
    with pytest.raises(ValueError, match="dropout"):
        ours.dropout = 2.0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_an_empty_batch_gives_empty_outputs_and_backward_works(kind, backend):
    h0 = torch.zeros(2, 0, 4)
    hx = (h0, h0) if kind == "LSTM" else h0
    for batch_first, state in ((False, None), (True, hx)):
        ref, ours = pair(kind, backend, num_layers=2, batch_first=batch_first)
        x = torch.randn(0, 5, 3) if batch_first else torch.randn(5, 0, 3)
        for layer in (ref, ours):
            x.grad = None
            out, final = layer(x.requires_grad_(), state)
            out.sum().backward()
            finals = final if kind == "LSTM" else (final,)
            assert [tuple(f.shape) for f in finals] == [(2, 0, 4)] * len(finals)
            assert x.grad.shape == x.shape
        shape_r, shape_o = ref(x)[0].shape, ours(x)[0].shape
        assert shape_o == shape_r
    lengths = torch.zeros(0, dtype=torch.long)
    assert ours(torch.randn(0, 5, 3), lengths=lengths)[0].shape == (0, 5, 4)


def bad_cell_calls(lib):
    rnn, gru, lstm = lib.RNNCell(3, 4), lib.GRUCell(3, 4), lib.LSTMCell(3, 4)
    x, h = torch.randn(2, 3), torch.zeros(2, 4)
    yield "rank", ValueError, lambda: gru(torch.randn(1, 2, 3))
    yield "features", RuntimeError, lambda: rnn(torch.randn(2, 5))
    yield "input dtype", RuntimeError, lambda: gru(x.double())
    yield "input device", RuntimeError, lambda: rnn(torch.randn(2, 3, device="meta"))
    yield (
        "state batch",
        RuntimeError,
        lambda: gru(torch.randn(3, 3), torch.zeros(1, 4)),
    )  # no broadcast
    yield "state features", RuntimeError, lambda: rnn(x, torch.zeros(2, 5))
    yield "state dtype", RuntimeError, lambda: gru(x, h.double())
    yield "c batch", RuntimeError, lambda: lstm(x, (h, torch.zeros(1, 4)))
    yield "unbatched x, 2-D h", RuntimeError, lambda: gru(torch.randn(3), torch.zeros(1, 4))
    yield "2-D x, 1-D h", RuntimeError, lambda: gru(x, torch.zeros(4))
    yield "lstm bare h", TypeError, lambda: lstm(x, h)
    yield "lstm (h,)", RuntimeError, lambda: lstm(x, (h,))


@pytest.mark.parametrize("index", range(len(list(bad_cell_calls(torch.nn)))))
def test_cells_refuse_bad_calls_as_torch_nn_cells_do(index):
    info = raises_like_torch_nn(bad_cell_calls, index)
    assert "\n" not in str(info.value)


def raises_like_torch_nn(calls, index):
    """Call ``index`` of ``calls(lib)`` raises torch.nn's type on torch.nn and on rnnkit,
    and rnnkit's is a ValueError too (its own callers keep catching that)."""
    for lib in (torch.nn, rnnkit):
        _, error, call = list(calls(lib))[index]
        with pytest.raises(error):
            call()
    with pytest.raises(ValueError) as info:
        call()
    return info


CELLS = {
    "RNNCell": (torch.nn.RNNCell, RNNCell, 1),
    "GRUCell": (torch.nn.GRUCell, GRUCell, 1),
    "LSTMCell": (torch.nn.LSTMCell, LSTMCell, 2),
}


@pytest.mark.parametrize("name", CELLS)
def test_cells_take_unbatched_input_like_torch_nn_and_run_checks_states(name):
    ref_cls, cls, states = CELLS[name]
    ref, ours = ref_cls(3, 4), cls(3, 4)
    ours.load_state_dict(ref.state_dict())
    x1, h1 = torch.randn(3), tuple(torch.randn(4) for _ in range(states))  # unbatched
    for state in (None, h1):
        got, final = ours(x1, state)
        want = ref(x1, h1 if states == 2 else h1[0]) if state else ref(x1)
        want = want[0] if states == 2 else want
        assert got.shape == (4,) and all(s.shape == (4,) for s in final)
        torch.testing.assert_close(got, want)
    with pytest.raises(RuntimeError, match="batch 3"):  # no broadcast of a batch-1 state
        run(ours, torch.randn(4, 3, 3), tuple(torch.zeros(1, 4) for _ in range(states)))


def test_a_one_tensor_state_may_be_bare_and_the_minimal_cells_are_checked_too():
    cell, x, h = GRUCell(3, 4), torch.randn(2, 3), torch.randn(2, 4)
    torch.testing.assert_close(cell(x, h)[0], cell(x, (h,))[0])
    xs = torch.randn(5, 2, 3)
    torch.testing.assert_close(run(cell, xs, h)[0], run(cell, xs, (h,))[0])
    with pytest.raises(RuntimeError, match="state\\[0\\] must have shape \\(2, 4\\)"):
        MinGRUCell(3, 4)(x, torch.randn(1, 4))


def construct(lib, kind, *args, **kw):
    return lambda: getattr(lib, kind)(*args, **kw)


BAD_CONSTRUCTORS = [
    ("bias=0", TypeError, ("LSTM", 3, 4), {"bias": 0}),
    ("batch_first=1", TypeError, ("GRU", 3, 4), {"batch_first": 1}),
    ("hidden_size=4.0", TypeError, ("LSTM", 3, 4.0), {}),
    ("input_size=3.0", TypeError, ("RNN", 3.0, 4), {}),
    ("num_layers=1.0", TypeError, ("GRU", 3, 4, 1.0), {}),
    ("hidden_size=0", ValueError, ("LSTM", 3, 0), {}),
    ("num_layers=0", ValueError, ("LSTM", 3, 4, 0), {}),
    ("dropout=True", ValueError, ("LSTM", 3, 4, 2), {"dropout": True}),
    ("dropout=2", ValueError, ("GRU", 3, 4, 2), {"dropout": 2}),
    ("proj_size=4", ValueError, ("LSTM", 3, 4), {"proj_size": 4}),
    ("proj_size=-1", ValueError, ("LSTM", 3, 4), {"proj_size": -1}),
    ("proj_size on GRU", ValueError, ("GRU", 3, 4), {"proj_size": 2}),
    ("proj_size on RNN", ValueError, ("RNN", 3, 4), {"proj_size": 2}),
    ("nonlinearity", ValueError, ("RNN", 3, 4), {"nonlinearity": "sigmoid"}),
]


@pytest.mark.parametrize("case", BAD_CONSTRUCTORS, ids=lambda c: c[0])
def test_bad_arguments_raise_what_torch_nn_raises(case):
    _, error, (kind, *args), kw = case
    for lib in (torch.nn, rnnkit):
        with pytest.raises(error) as info:
            getattr(lib, kind)(*args, **kw)
    assert "\n" not in str(info.value)


def bad_calls(lib):
    lstm, gru = lib.LSTM(3, 4), lib.GRU(3, 4)
    x, h = torch.randn(5, 2, 3), torch.zeros(1, 2, 4)
    yield "features", RuntimeError, lambda: lstm(torch.randn(5, 2, 6))
    yield "rank", ValueError, lambda: lstm(torch.randn(5, 2, 3, 1))
    yield "state batch", RuntimeError, lambda: gru(x, torch.zeros(1, 3, 4))
    yield "state rank", RuntimeError, lambda: lstm(x, (torch.zeros(2, 4), torch.zeros(2, 4)))
    yield "state dtype", RuntimeError, lambda: lstm(x, (h.double(), h))
    yield "state integer", RuntimeError, lambda: gru(x, h.long())
    yield "hx of 3", RuntimeError, lambda: lstm(x, (h, h, h))
    yield "input dtype", ValueError, lambda: lstm(x.double())
    yield "input integer", ValueError, lambda: gru(x.long())
    yield "no time steps", RuntimeError, lambda: gru(torch.randn(0, 2, 3))
    yield "no time steps, unbatched", RuntimeError, lambda: gru(torch.randn(0, 3))
    yield "unbatched, 3-D hx", RuntimeError, lambda: gru(torch.randn(5, 3), h)
    yield "device", RuntimeError, lambda: gru(x, torch.zeros(1, 2, 4, device="meta"))


@pytest.mark.parametrize("index", range(len(list(bad_calls(torch.nn)))))
def test_bad_calls_raise_what_torch_nn_raises(index):
    raises_like_torch_nn(bad_calls, index)


class UserModel(torch.nn.Module):
    def __init__(self, layer):
        super().__init__()
        width = layer.config.num_directions * layer.config.output_size
        self.rnn, self.head = layer, torch.nn.Linear(width, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


SAVED = {
    "rnn-relu": lambda: rnnkit.RNN(3, 4, nonlinearity="relu", bidirectional=True),
    "lstm-proj": lambda: rnnkit.LSTM(3, 4, 2, bidirectional=True, proj_size=2),
    "lstm-peephole-ln": lambda: rnnkit.LSTM(
        3, 4, peephole=True, layer_norm=True, bidirectional=True
    ),
    "gru-cho": lambda: rnnkit.GRU(3, 4, reset_after=False, bidirectional=True),
    "mingru": lambda: rnnkit.MinGRU(3, 4, bidirectional=True),
    "minlstm": lambda: rnnkit.MinLSTM(3, 4, bidirectional=True),
}


@pytest.mark.parametrize("name", SAVED)
def test_whole_modules_load_with_weights_only_and_the_short_list(name):
    torch.manual_seed(0)
    model = UserModel(SAVED[name]())
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    with pytest.raises(Exception, match="weights_only"):
        torch.load(buffer, weights_only=True)
    buffer.seek(0)
    with rnnkit.safe_globals(), torch.serialization.safe_globals([UserModel, torch.nn.Linear]):
        loaded = torch.load(buffer, weights_only=True)
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(loaded(x), model(x))
    loaded(x).sum().backward()  # the loaded cells still read the loaded layer's weights
    assert loaded.rnn.weight_ih_l0.grad is not None


def test_torchscript_is_refused_in_one_line_and_torch_compile_and_export_work():
    model = UserModel(rnnkit.GRU(3, 4, bidirectional=True))
    for module in (model, model.rnn):
        with pytest.raises(RuntimeError, match="torch.compile") as info:
            torch.jit.script(module)
        assert "\n" not in str(info.value)
    x, n = torch.randn(5, 2, 3), torch.tensor([5, 3])
    compiled = torch.compile(model.rnn, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x, lengths=n)[0], model.rnn(x, lengths=n)[0])
    exported = torch.export.export(model.rnn, (x,), {"lengths": n}).module()
    torch.testing.assert_close(exported(x, lengths=n)[0], model.rnn(x, lengths=n)[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_torch_export_traces_every_backend_with_lengths_and_a_dynamic_batch(backend):
    _, layer = pair("LSTM", backend, bidirectional=True)
    x, n = torch.randn(5, 2, 3), torch.tensor([5, 3])
    batch = torch.export.Dim("batch", min=1, max=16)
    shapes = {"input": {1: batch}, "lengths": {0: batch}}
    exported = torch.export.export(layer, (x,), {"lengths": n}, dynamic_shapes=shapes).module()
    x, n = torch.randn(5, 3, 3), torch.tensor([2, 5, 1])  # other lengths, another batch
    torch.testing.assert_close(exported(x, lengths=n)[0], layer(x, lengths=n)[0])
