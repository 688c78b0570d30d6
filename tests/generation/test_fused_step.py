"""Generation through the fused inference step gives the same tokens as through the
cells' step: sampling with a seed and beam search, token for token."""

from __future__ import annotations

import pytest
import torch

from rnnkit.generation import SamplingConfig, beam_search
from rnnkit.generation.decode import decode
from rnnkit.layers.fused import available, status
from rnnkit.layers.fused import step as fused
from rnnkit.models.lm import LanguageModel, LMConfig
from rnnkit.models.recurrent import CellOptions

pytestmark = pytest.mark.skipif(not available(), reason=f"fused kernels: {status()}")

MODELS = [
    dict(cell="lstm"),
    dict(cell="gru", num_layers=2),
    dict(cell="lstm", cell_options=CellOptions(peephole=True, layer_norm=True)),
    dict(cell="rnn", tie_weights=True, embed_size=32),
    dict(cell="minlstm"),
]


def _model(options) -> LanguageModel:
    torch.manual_seed(0)
    config = LMConfig(**{**dict(vocab_size=40, hidden_size=32, embed_size=8), **options})
    return LanguageModel(config).eval()


def _generate(model, *, fused_on: bool, monkeypatch) -> tuple[list[int], list]:
    calls = [0]
    plan = fused._plan

    def counted(layer):
        calls[0] += 1
        return plan(layer) if fused_on else None

    with monkeypatch.context() as patch:
        patch.setattr(fused, "_plan", counted)
        logits, state = model.prime(torch.tensor([[1, 2, 3]]))
        sampled = decode(
            model.step,
            logits,
            state,
            length=300,
            sampling=SamplingConfig(temperature=1.0, top_p=0.95),
            generator=torch.Generator().manual_seed(7),
        )
        with torch.no_grad():
            beams = beam_search(model.step, state, logits, width=4, length=20)
    assert calls[0] > 300  # the step asked for the fused path every time
    return sampled, [b.tokens for b in beams], [b.log_prob for b in beams]


@pytest.mark.parametrize("options", MODELS, ids=lambda o: "-".join(map(str, o.values())))
def test_the_same_text_with_and_without_the_fused_step(options, monkeypatch):
    model = _model(options)
    with_fused = _generate(model, fused_on=True, monkeypatch=monkeypatch)
    without = _generate(model, fused_on=False, monkeypatch=monkeypatch)
    assert with_fused[0] == without[0]  # sampled, token for token
    assert with_fused[1] == without[1]  # the beams
    assert with_fused[2] == pytest.approx(without[2], abs=1e-4)  # their log-probabilities
    assert len(set(with_fused[0])) > 5  # a varied text, not one repeated token


def test_a_token_out_of_range_is_refused_as_before():
    model = _model(dict(cell="lstm"))
    with torch.no_grad(), pytest.raises(ValueError, match="outside the vocabulary"):
        model.step(torch.tensor([40]), None)
