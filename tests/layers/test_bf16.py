"""bfloat16 recurrent products in the fused kernels (CPUs with AVX512-BF16): exactly the
float32 computation on bfloat16-rounded operands, and close to float32 training."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import rnnkit
from rnnkit.cells import LSTMCell
from rnnkit.cells.base import RecurrentCell
from rnnkit.layers.fused import build
from rnnkit.training.precision import native_bf16

kernels = build.load()
pytestmark = pytest.mark.skipif(
    kernels is None or not kernels.bf16 or not native_bf16("cpu"),
    reason="the fused kernels' bfloat16 products need a CPU with AVX512-BF16",
)
CELLS = [
    (rnnkit.RNN, {}),
    (rnnkit.GRU, {}),
    (rnnkit.GRU, {"layer_norm": True}),
    (rnnkit.LSTM, {}),
    (rnnkit.LSTM, {"peephole": True}),
    (rnnkit.LSTM, {"layer_norm": True, "peephole": True}),
]
I, H, T, B = 8, 16, 5, 3  # H a multiple of 16: the bfloat16 products run


def _ids(case):
    cls, options = case
    return cls.__name__ + "".join(f"-{k}" for k in options)


@pytest.fixture
def calls(monkeypatch):
    """The names of the kernels called."""
    names = []
    call = build.Kernels.call

    def spy(self, name, *args):
        names.append(name)
        return call(self, name, *args)

    monkeypatch.setattr(build.Kernels, "call", spy)
    return names


def _rounded_products(monkeypatch):
    """The cells' recurrent term as the kernels compute it under bf16: W_hh and h rounded
    to bfloat16, their products and sums in float32; and the layer-norm LSTM's input term
    as its kernel takes it: W_ih x in bfloat16 (autocast's), normalised in float32."""
    exact, exact_input = RecurrentCell.project_hidden, RecurrentCell.project_input

    def input_term(self, x):
        if not (isinstance(self, LSTMCell) and self.layer_norm):
            return exact_input(self, x)
        raw = F.linear(x, self.weight_ih).float()
        with torch.autocast("cpu", enabled=False):
            xp = self.ln_ih(raw)
        return xp if self.bias_ih is None else xp + self.bias_ih

    def rounded(self, h):
        w = self._parameters["weight_hh"]
        self._parameters["weight_hh"] = w.bfloat16().float()
        try:
            with torch.autocast("cpu", enabled=False):
                return exact(self, h.float().bfloat16().float())
        finally:
            self._parameters["weight_hh"] = w

    monkeypatch.setattr(RecurrentCell, "project_hidden", rounded)
    monkeypatch.setattr(RecurrentCell, "project_input", input_term)


@pytest.mark.parametrize("case", CELLS, ids=_ids)
def test_bf16_products_are_float32_on_rounded_operands(case, calls, monkeypatch):
    """Outputs and final states within 1e-5 (of each tensor's scale) of the reference
    cells stepping float32 products of the same bfloat16-rounded operands."""
    cls, options = case
    torch.manual_seed(0)
    fused = cls(I, H, num_layers=2, backend="fused", **options)
    reference = cls(I, H, num_layers=2, backend="reference", **options)
    reference.load_state_dict(fused.state_dict())
    x = torch.randn(T, B, I)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        got = fused(x)
        assert any(name.endswith("_bf16") for name in calls)  # the bfloat16 kernels ran
        _rounded_products(monkeypatch)
        want = reference(x)
    for a, b in zip(_flat(got), _flat(want)):
        assert float((a - b).abs().max()) <= 1e-5 * max(1.0, float(b.abs().max()))


def _flat(out):
    o, state = out
    return [o.float(), *(state if isinstance(state, tuple) else (state,))]


@pytest.mark.parametrize("case", CELLS[:2] + CELLS[3:5], ids=_ids)
def test_bf16_training_gradients_stay_close_to_float32(case):
    """Gradients of every weight and of the input under bf16 autocast within 2e-2 of each
    tensor's scale of the float32 ones (bfloat16 keeps 8 significant bits; measured:
    3e-3 to 6e-3 for these cells, two layers, 20 steps)."""
    cls, options = case
    torch.manual_seed(0)
    layer = cls(I, H, num_layers=2, backend="fused", **options)
    x = torch.randn(20, B, I)
    grads = []
    for bf16 in (False, True):
        layer.zero_grad()
        xi = x.clone().requires_grad_()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out, _ = layer(xi)
        out.float().pow(2).sum().backward()
        grads.append([xi.grad, *(p.grad.clone() for p in layer.parameters())])
    for a, b in zip(*grads):
        assert float((a - b).abs().max()) <= 2e-2 * float(b.abs().max())
