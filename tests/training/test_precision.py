"""--precision: native bfloat16 detection, resolution, autocast in the trainer, fallback."""

import math
import warnings

import pytest
import torch
from torch import nn

import rnnkit
from rnnkit.models.output import Output
from rnnkit.training import TrainConfig, Trainer, precision
from rnnkit.training.errors import RunWarning
from rnnkit.training.tbptt import CarryState
from tests.training.helpers import pairs, stream_trainer


@pytest.fixture
def native(monkeypatch):
    """Pretend this CPU has (True) or lacks (False) native bfloat16."""

    def set_native(value: bool) -> None:
        monkeypatch.setattr(precision, "native_bf16", lambda device="cpu": value)

    return set_native


@pytest.mark.parametrize(
    "asked, has, resolved, noted",
    [
        ("fp32", True, "fp32", False),
        ("fp32", False, "fp32", False),
        ("bf16", True, "bf16", False),
        ("bf16", False, "fp32", True),
        ("auto", True, "bf16", False),
        ("auto", False, "fp32", False),  # auto falls back quietly
    ],
)
def test_resolve(native, asked, has, resolved, noted):
    native(has)
    got, note = precision.resolve(asked, "cpu")
    assert got == resolved and (note is not None) == noted
    if noted:
        assert note == "this CPU has no native bfloat16 (AVX512-BF16 or AMX); running in float32"


def test_resolve_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match="fp32, bf16, auto"):
        precision.resolve("fp16", "cpu")


def test_train_config_names_the_field():
    with pytest.raises(ValueError, match="TrainConfig.precision"):
        TrainConfig(precision="fp16")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16\n")
    assert "avx512_bf16" in precision._cpuinfo_flags(str(info))
    assert precision._cpuinfo_flags(str(tmp_path / "missing")) is None


def test_detection_agrees_with_torch_on_this_machine():
    assert precision.native_bf16("cpu") == precision._torch_cpu_bf16()
    assert precision.native_bf16("meta") is False


class Probe(nn.Module):
    """Records, in every forward, whether autocast is on and the dtype of a matmul."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Linear(1, 1)
        self.seen: list[tuple[bool, torch.dtype]] = []

    def forward(self, batch, state=None) -> Output:
        pred = self.w(batch.x)
        self.seen.append((torch.is_autocast_enabled("cpu"), pred.dtype))
        return Output(loss=((pred.float() - batch.y) ** 2).mean(), prediction=pred)


def probe_fit(precision_: str) -> tuple[Probe, Trainer]:
    model = Probe()
    config = TrainConfig(steps=2, batch_size=8, precision=precision_)
    trainer = Trainer(model, config, pairs(), val_data=pairs(1, seed=1))
    trainer.fit()
    return model, trainer


def test_bf16_training_forward_runs_under_autocast_and_evaluation_does_not(native):
    native(True)
    model, trainer = probe_fit("bf16")
    assert trainer.precision == "bf16" and trainer.summary()["precision"] == "bf16"
    assert model.seen[:2] == [(True, torch.bfloat16)] * 2  # the two training steps
    assert model.seen[2:] == [(False, torch.float32)]  # the evaluation at the end
    assert model.w.weight.dtype == torch.float32  # master weights stay float32
    state = trainer.optimizer.state[model.w.weight]
    assert state["exp_avg"].dtype == torch.float32
    assert not torch.is_autocast_enabled("cpu")


def test_fp32_training_runs_without_autocast(native):
    native(True)
    model, trainer = probe_fit("fp32")
    assert trainer.precision == "fp32" and set(model.seen) == {(False, torch.float32)}


def test_bf16_without_native_support_warns_once_and_trains_in_float32(native):
    native(False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, trainer = probe_fit("bf16")
    notes = [str(w.message) for w in caught if issubclass(w.category, RunWarning)]
    assert notes == ["this CPU has no native bfloat16 (AVX512-BF16 or AMX); running in float32"]
    assert trainer.precision == "fp32" and set(model.seen) == {(False, torch.float32)}


def test_tbptt_under_bf16_carries_float32_state_and_the_loss_is_finite(native):
    native(True)
    trainer = stream_trainer(precision="bf16", steps=6)
    summary = trainer.fit()
    assert math.isfinite(summary["loss"]) and math.isfinite(summary["val_loss"])
    (carrier,) = [c for c in trainer.callbacks if isinstance(c, CarryState)]
    dtypes = {t.dtype for t in rnnkit.training.tree.tensors(carrier.carry)}
    assert dtypes == {torch.float32}


def test_as_float32_converts_only_bfloat16():
    h = torch.zeros(2, dtype=torch.bfloat16)
    ids = torch.zeros(2, dtype=torch.long)
    out = precision.as_float32({"h": (h, torch.zeros(2, dtype=torch.float64)), "ids": ids})
    assert out["h"][0].dtype == torch.float32 and out["h"][1].dtype == torch.float64
    assert out["ids"].dtype == torch.long


@pytest.mark.parametrize(
    "layer, backend",
    [
        (lambda: rnnkit.GRU(16, 32, batch_first=True), "fused"),  # rnnkit's C kernels
        (lambda: rnnkit.LSTM(16, 32, batch_first=True), "native"),  # oneDNN's LSTM
    ],
)
def test_layers_train_under_bf16_autocast_close_to_float32(layer, backend):
    torch.manual_seed(0)
    rnn = layer()
    x = torch.randn(3, 7, 16)
    with torch.no_grad():
        reference, _ = rnn(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = rnn(x)
    if rnn.chosen_backend != backend:
        pytest.skip(f"{backend} backend not available here ({rnn.chosen_backend})")
    out.float().square().mean().backward()
    grads = [p.grad for p in rnn.parameters()]
    assert all(g is not None and g.dtype == torch.float32 and g.isfinite().all() for g in grads)
    torch.testing.assert_close(out.float(), reference, atol=3e-2, rtol=3e-2)
