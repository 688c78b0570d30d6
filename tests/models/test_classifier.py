"""The sequence classifier: padding never changes a prediction, pooling by hand,
float64 gradients, class weights."""

import pytest
import torch
import torch.nn.functional as F

from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.sequence import SeqBatch

POOLS = ("last", "mean", "max", "attention")


def model(**kw):
    base = dict(hidden_size=5, input_size=3, num_classes=4, embed_size=4)
    torch.manual_seed(0)
    return Classifier(ClassifierConfig(**{**base, **kw})).double().eval()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_appending_padding_never_changes_a_prediction(cell, pool, bidirectional):
    m = model(cell=cell, pool=pool, bidirectional=bidirectional, num_layers=2)
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    lengths = torch.tensor([6, 2, 4])
    base = m(SeqBatch(x, lengths=lengths)).prediction
    padded = torch.cat([x, 1e3 * torch.randn(3, 5, 3, dtype=torch.float64)], 1)
    garbage = x.clone()
    garbage[1, 2:] = 1e3  # the padding of a batch may hold anything
    for y in (padded, garbage):  # equal up to float64 summation order (attention's sum)
        got = m(SeqBatch(y, lengths=lengths)).prediction
        torch.testing.assert_close(got, base, rtol=1e-13, atol=1e-14)
    alone = torch.cat([m(SeqBatch(x[i : i + 1, : lengths[i]])).prediction for i in range(3)])
    torch.testing.assert_close(alone, base)  # and a batch equals each sequence alone


def test_token_inputs_are_padding_invariant_too():
    m = model(vocab_size=7, pool="mean", bidirectional=True)
    x = torch.tensor([[1, 2, 3, 0, 0], [4, 5, 6, 1, 2]])
    lengths = torch.tensor([3, 5])
    a = m(SeqBatch(x, lengths=lengths)).prediction
    x[0, 3:] = 6
    assert torch.equal(m(SeqBatch(x, lengths=lengths)).prediction, a)


def test_pooling_by_hand():
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    lengths = torch.tensor([4, 2])
    for pool in POOLS:
        m = model(pool=pool, bidirectional=True)
        out, _ = m.rnn(m.features(x), lengths=lengths)  # (2, 4, 10)
        rows = []
        for b, n in enumerate(lengths.tolist()):
            o = out[b, :n]  # (n, 10)
            if pool == "last":
                rows.append(torch.cat([o[-1, :5], o[0, 5:]]))
            elif pool == "mean":
                rows.append(o.mean(0))
            elif pool == "max":
                rows.append(o.max(0).values)
            else:
                w = torch.softmax(m.score(o).squeeze(-1), 0)
                rows.append((w[:, None] * o).sum(0))
        expected = m.head(torch.stack(rows))
        logits, weights = m.classify(SeqBatch(x, lengths=lengths))
        torch.testing.assert_close(logits, expected)
        if pool == "attention":
            assert weights.shape == (2, 4)
            assert torch.all(weights[1, 2:] == 0)
            torch.testing.assert_close(weights.sum(1), torch.ones(2, dtype=torch.float64))
        else:
            assert weights is None


@pytest.mark.parametrize("pool", POOLS)
def test_float64_gradients(pool):
    m = model(pool=pool, bidirectional=True, cell="gru")
    x = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([3, 2])
    assert torch.autograd.gradcheck(lambda x: m(SeqBatch(x, lengths=lengths)).prediction, (x,))


def test_class_weights_weight_the_loss():
    m = model(class_weights=(1.0, 2.0, 0.5, 0.5))
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3])
    out = m(SeqBatch(x, y))
    w = torch.tensor([1.0, 2.0, 0.5, 0.5], dtype=torch.float64)
    torch.testing.assert_close(out.loss, F.cross_entropy(out.prediction, y, weight=w))


def test_bad_configs_and_inputs_are_named():
    with pytest.raises(ValueError, match="ClassifierConfig.num_classes"):
        ClassifierConfig(num_classes=1)
    with pytest.raises(ValueError, match="ClassifierConfig.class_weights"):
        ClassifierConfig(num_classes=3, class_weights=(1.0, 1.0))
    with pytest.raises(ValueError, match="3 features"):
        model()(SeqBatch(torch.randn(2, 4, 5)))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model(vocab_size=5)(SeqBatch(torch.tensor([[1, 9]])))
