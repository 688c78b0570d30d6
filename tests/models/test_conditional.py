"""ConditionalLM: step-by-step generation matches teacher forcing; padding is masked."""

import math

import pytest
import torch

from rnnkit.generation.sampling import SamplingConfig, sample_token
from rnnkit.models.conditional import ConditionalBatch, ConditionalConfig, ConditionalLM

V, C = 7, 3


@pytest.fixture(autouse=True)
def no_grad():
    with torch.no_grad():
        yield


def model(cell: str = "lstm", **kwargs) -> ConditionalLM:
    torch.manual_seed(0)
    config = ConditionalConfig(cell=cell, vocab_size=V, num_classes=C, hidden_size=8, **kwargs)
    return ConditionalLM(config).eval()


def padded(seqs: list[list[int]], condition: list[int]) -> ConditionalBatch:
    """Inputs (token 1 first), targets shifted by one, padded with token 0."""
    T = max(len(s) for s in seqs)
    x = torch.zeros(len(seqs), T, dtype=torch.long)  # (B, T)
    y = torch.zeros_like(x)
    for i, s in enumerate(seqs):
        x[i, : len(s)] = torch.tensor([1, *s[:-1]])
        y[i, : len(s)] = torch.tensor(s)
    return ConditionalBatch(torch.tensor(condition), x, y, torch.tensor([len(s) for s in seqs]))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_step_gives_the_teacher_forced_logits(cell, layers):
    m = model(cell, num_layers=layers)
    batch = padded([[3, 4, 5, 2], [6, 3, 2, 2]], [0, 2])
    full = m(batch).prediction  # (B, T, V)
    state = m.initial_state(batch.condition)
    for t in range(batch.x.shape[1]):
        logits, state = m.step(batch.x[:, t], state)
        torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)


def test_the_condition_sets_the_initial_state():
    m = model()
    x = torch.tensor([[1, 3, 4], [1, 3, 4]])
    logits = m(ConditionalBatch(torch.tensor([0, 1]), x)).prediction  # (2, 3, V)
    assert not torch.allclose(logits[0], logits[1])
    assert m(ConditionalBatch(torch.tensor([0, 1]), x)).loss is None


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_padding_does_not_change_the_loss(cell):
    m = model(cell)
    seqs, condition = [[3, 4, 5, 6, 2], [5, 2], [4, 4, 2]], [0, 1, 2]
    batch = padded(seqs, condition)
    nats = [float(m(padded([s], [c])).loss) * len(s) for s, c in zip(seqs, condition, strict=True)]
    expected = sum(nats) / sum(len(s) for s in seqs)  # mean nats per real target
    assert float(m(batch).loss) == pytest.approx(expected, rel=1e-5)
    garbage = ConditionalBatch(batch.condition, batch.x.clone(), batch.y.clone(), batch.lengths)
    garbage.x[1, 2:], garbage.y[1, 2:] = 6, 6  # other values past the length
    assert float(m(garbage).loss) == pytest.approx(expected, rel=1e-5)


def test_untrained_loss_is_near_uniform():
    m = model()
    loss = float(m(padded([[3, 4, 5, 2]], [0])).loss)
    assert abs(loss - math.log(V)) < 0.5


def test_low_temperature_sampling_is_greedy_decoding():
    m = model()
    state = m.initial_state(torch.tensor([1, 2]))
    token, greedy, cold = torch.tensor([1, 1]), [], []
    for _ in range(6):
        logits, state = m.step(token, state)
        g = torch.Generator().manual_seed(0)
        cold.append(sample_token(logits, SamplingConfig(temperature=1e-4), generator=g))
        token = sample_token(logits, SamplingConfig(temperature=0))
        greedy.append(token)
    assert torch.equal(torch.stack(cold), torch.stack(greedy))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"cell": "transformer"}, "cell"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"vocab_size": 1}, "vocab_size"),
        ({"num_classes": 1.5}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_config_errors_name_the_field(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ConditionalConfig(**kwargs)
