"""rnnkit/models/lm.py: the language model's forward, step API, state carry and tying."""

import pytest
import torch
import torch.nn.functional as F

from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.training.checkpoint import load_weights, save_weights


def model(**options) -> LanguageModel:
    torch.manual_seed(0)
    config = {**dict(vocab_size=11, hidden_size=16, num_layers=2, embed_size=8), **options}
    return LanguageModel(LMConfig(**config)).eval()


def tokens(batch: int = 3, length: int = 9, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 11, (batch, length), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("tie", [False, True])
def test_step_gives_the_logits_of_the_full_forward(cell, tie):
    m, x = model(cell=cell, tie_weights=tie), tokens()
    full = m(LMBatch(x)).prediction  # (B, T, V)
    state, steps = None, []
    for t in range(x.shape[1]):
        logits, state = m.step(x[:, t], state)  # (B, V)
        steps.append(logits)
    torch.testing.assert_close(torch.stack(steps, 1), full, atol=1e-5, rtol=1e-5)


def test_prime_then_step_continues_the_forward():
    m, x = model(), tokens()
    logits, state = m.prime(x[:, :5])
    full = m(LMBatch(x)).prediction
    torch.testing.assert_close(logits, full[:, 4], atol=1e-5, rtol=1e-5)
    logits, _ = m.step(x[:, 5], state)
    torch.testing.assert_close(logits, full[:, 5], atol=1e-5, rtol=1e-5)


def test_carried_state_equals_one_pass_and_loss_is_cross_entropy():
    m, x, y = model(), tokens(), tokens(seed=2)
    whole = m(LMBatch(x, y))
    first = m(LMBatch(x[:, :4], y[:, :4]))
    second = m(LMBatch(x[:, 4:], y[:, 4:]), first.state)
    torch.testing.assert_close(second.prediction, whole.prediction[:, 4:], atol=1e-5, rtol=1e-5)
    expected = F.cross_entropy(whole.prediction.reshape(-1, 11), y.reshape(-1))
    torch.testing.assert_close(whole.loss, expected)
    assert m(LMBatch(x)).loss is None


def test_backward_lm_loss_is_the_mean_of_both_directions():
    m = model(backward_lm=True)
    x, y, xb, yb = tokens(), tokens(seed=2), tokens(seed=3), tokens(seed=4)
    out = m(LMBatch(x, y, xb=xb, yb=yb))
    fwd, _ = m.read(x)
    bwd, _ = m.read(xb, backward=True)
    expected = (
        F.cross_entropy(fwd.reshape(-1, 11), y.reshape(-1))
        + F.cross_entropy(bwd.reshape(-1, 11), yb.reshape(-1))
    ) / 2
    torch.testing.assert_close(out.loss, expected)
    assert not torch.allclose(fwd, bwd)  # two different read-outs, one embedding
    assert m.rnn_backward is not m.rnn and len(out.state) == 2
    logits, _ = m.step(xb[:, 0], None, backward=True)
    torch.testing.assert_close(logits, bwd[:, 0], atol=1e-5, rtol=1e-5)


def test_a_forward_model_has_no_backward_direction():
    with pytest.raises(ValueError, match="no backward direction"):
        model().step(tokens()[:, 0], None, backward=True)


def test_tied_weights_share_the_embedding_and_survive_safetensors(tmp_path):
    m = model(tie_weights=True)
    assert m.head.weight is m.embedding.weight and m.proj is not None  # E=8 != H=16
    assert model(tie_weights=True, embed_size=16).proj is None
    save_weights(m, tmp_path / "w.safetensors")
    other = model(tie_weights=True)
    with torch.no_grad():
        other.embedding.weight.add_(1.0)
    load_weights(other, tmp_path / "w.safetensors")
    assert other.head.weight is other.embedding.weight
    x = tokens()
    torch.testing.assert_close(other(LMBatch(x)).prediction, m(LMBatch(x)).prediction)


@pytest.mark.parametrize(
    "options, field",
    [
        ({"vocab_size": -1}, "vocab_size"),
        ({"dropout": "0.1"}, "dropout"),
        ({"hidden_size": -1}, "hidden_size"),
        ({"cell": "tcn"}, "cell"),
        ({"dropout": 1.0}, "dropout"),
        ({"embed_size": 0}, "embed_size"),
    ],
)
def test_bad_config_names_the_field(options, field):
    with pytest.raises(ValueError, match=f"LMConfig.{field}"):
        LMConfig(**{"vocab_size": 5, **options})


def test_a_model_needs_its_vocabulary_size():
    with pytest.raises(ValueError, match="LMConfig.vocab_size must be set"):
        LanguageModel(LMConfig())


def test_runs_saved_with_the_old_name_still_load():
    old = {"vocab_size": 5, "bidirectional": True, "cell_options": {}}
    assert LMConfig.from_dict(old).backward_lm is True


def test_state_is_always_the_pair_of_both_directions():
    x = tokens()
    for m in (model(), model(backward_lm=True)):
        state = m(LMBatch(x)).state
        assert isinstance(state, tuple) and len(state) == 2
        assert state[1] is None  # no reversed stream in the batch
        again = m(LMBatch(x), state).state
        assert len(again) == 2


def test_token_ids_outside_the_vocabulary_are_named():
    with pytest.raises(ValueError, match="token id 11 is outside the vocabulary of 11 tokens"):
        model()(LMBatch(torch.tensor([[1, 11]])))
    with pytest.raises(ValueError, match="token id -1"):
        model()(LMBatch(torch.tensor([[-1, 2]])))
