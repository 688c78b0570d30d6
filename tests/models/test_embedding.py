"""Embeddings from pretrained vectors: which table each row reads, frozen rows stay
bit-identical through training, a smaller learning rate for them, saved with the model;
word and locked dropout; the LM and seq2seq models take vectors too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.embedding import EmbeddingOptions, LockedDropout, TokenEmbedding
from rnnkit.models.lm import LanguageModel, LMBatch, LMConfig
from rnnkit.models.seq2seq import Seq2Seq, Seq2SeqConfig
from rnnkit.models.sequence import SeqBatch
from rnnkit.training import TrainConfig
from rnnkit.training.checkpoint import load_weights, save_weights
from rnnkit.training.trainer import Trainer

V, E = 9, 4
FOUND = np.array([False, True, True, False, True, True, True, False, True])


def vectors(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(V, E)).astype(np.float32)


def classifier(**kw) -> Classifier:
    torch.manual_seed(0)
    c = ClassifierConfig(
        vocab_size=V, embed_size=E, hidden_size=5, num_classes=2, pretrained_vectors=True, **kw
    )
    m = Classifier(c)
    m.embed.load_vectors(vectors(), FOUND)
    return m


def batches(n: int = 6) -> list[SeqBatch]:
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, V, (n, 4, 5), generator=g)
    y = torch.randint(0, 2, (n, 4), generator=g)
    return [SeqBatch(x[i], y[i], torch.tensor([5, 3, 4, 2])) for i in range(n)]


def fit(model: torch.nn.Module, **train) -> None:
    config = TrainConfig(steps=6, lr=0.05, optimizer="adamw", weight_decay=0.1, **train)
    Trainer(model, config, batches()).fit()


def test_without_vectors_it_is_nn_embedding() -> None:
    torch.manual_seed(0)
    ref = torch.nn.Embedding(V, E)
    torch.manual_seed(0)
    e = TokenEmbedding(V, E)
    ids = torch.tensor([[0, 3, 8], [1, 1, 2]])
    assert torch.equal(e(ids), ref(ids))
    assert [n for n, _ in e.named_parameters()] == ["weight"]  # the same state-dict key


def test_found_rows_read_the_vectors_the_rest_learn() -> None:
    e = TokenEmbedding(V, E, EmbeddingOptions(pretrained_vectors=True))
    table = vectors()
    e.load_vectors(table, FOUND)
    with torch.no_grad():
        e.weight.add_(1.0)  # as if the rows not found had learnt something
    out = e(torch.arange(V))
    expected = np.where(FOUND[:, None], table, table + 1.0)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(e.table(), out)
    with pytest.raises(ValueError, match="do not fit"):
        e.load_vectors(table[:3], FOUND[:3])


def test_frozen_vectors_stay_bit_identical_through_training() -> None:
    m = classifier(freeze_embeddings=True)
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    fit(m)
    assert torch.equal(m.embed.pretrained, before["embed.pretrained"])  # every row, bit for bit
    assert not m.embed.pretrained.requires_grad
    changed = (m.embed.weight != before["embed.weight"]).any(1).numpy()
    assert changed[~FOUND].all()  # the rows the vectors lack learnt
    assert not torch.equal(m.head.weight, before["head.weight"])


def test_fine_tuned_vectors_learn_at_their_own_rate() -> None:
    m = classifier(embeddings_lr=0.1)
    before = m.embed.pretrained.detach().clone()
    config = TrainConfig(steps=6, lr=0.05, optimizer="adamw", weight_decay=0.1)
    trainer = Trainer(m, config, batches())
    trainer.fit()
    assert not torch.equal(m.embed.pretrained, before)
    rates = sorted((g.get("lr_scale", 1.0), g["lr"]) for g in trainer.optimizer.param_groups)
    assert [r[0] for r in rates] == [0.1, 1.0]
    assert rates[0][1] == pytest.approx(0.1 * rates[1][1])
    assert any(p is m.embed.pretrained for p in trainer.optimizer.param_groups[1]["params"])


def test_vectors_are_saved_with_the_model(tmp_path: Path) -> None:
    m = classifier(freeze_embeddings=True).eval()
    save_weights(m, tmp_path / "model.safetensors")
    torch.manual_seed(5)
    again = Classifier(m.config).eval()  # built from the config alone: no vector source
    load_weights(again, tmp_path / "model.safetensors")
    assert torch.equal(again.embed.pretrained, m.embed.pretrained)
    assert torch.equal(again.embed.found, m.embed.found)
    batch = batches(1)[0]
    assert torch.equal(again(batch).prediction, m(batch).prediction)


def test_word_dropout_drops_whole_tokens_in_training_only() -> None:
    e = TokenEmbedding(V, E, EmbeddingOptions(word_dropout=0.5))
    ids = torch.randint(1, V, (64, 20))
    e.train()
    out = e(ids)  # (64, 20, E)
    zero = (out == 0).all(-1)
    assert 0.3 < zero.float().mean() < 0.7
    torch.testing.assert_close(out[~zero], 2 * e.weight[ids][~zero])  # scaled by 1/(1-p)
    e.eval()
    assert torch.equal(e(ids), e.weight[ids])


def test_locked_dropout_keeps_one_mask_for_every_step() -> None:
    d = LockedDropout(0.5)
    x = torch.ones(8, 10, 6)
    out = d(x)
    assert torch.equal(out, out[:, :1].expand_as(out))  # the same mask at each step
    assert set(out.unique().tolist()) <= {0.0, 2.0}
    assert torch.equal(d.eval()(x), x)


def test_concatenated_pooling_and_the_new_options_train() -> None:
    m = classifier(pool="max+mean+attention", bidirectional=True, locked_dropout=True, dropout=0.3)
    logits, weights = m.classify(batches(1)[0])
    assert logits.shape == (4, 2) and weights.shape == (4, 5)
    assert m.head.in_features == 3 * 2 * 5
    with pytest.raises(ValueError, match="ClassifierConfig.pool"):
        ClassifierConfig(pool="max+max")
    with pytest.raises(ValueError, match="ClassifierConfig.pool"):
        ClassifierConfig(pool="sum")


def test_options_that_need_tokens_or_vectors_are_refused() -> None:
    with pytest.raises(ValueError, match="ClassifierConfig.word_dropout applies to token"):
        Classifier(ClassifierConfig(word_dropout=0.2))
    with pytest.raises(ValueError, match="freeze_embeddings applies to pretrained vectors"):
        Classifier(ClassifierConfig(vocab_size=V, freeze_embeddings=True))
    with pytest.raises(ValueError, match="ClassifierConfig.embeddings_lr"):
        ClassifierConfig(embeddings_lr=0)


def test_a_tied_language_model_reads_out_with_frozen_vectors() -> None:
    c = LMConfig(
        vocab_size=V,
        hidden_size=E,
        num_layers=1,
        tie_weights=True,
        pretrained_vectors=True,
        freeze_embeddings=True,
        backward_lm=True,
    )
    torch.manual_seed(0)
    m = LanguageModel(c)
    m.embedding.load_vectors(vectors(), FOUND)
    x = torch.randint(0, V, (3, 6))
    out, _ = m.rnn(m.embedding(x))  # (3, 6, E)
    logits, _ = m.read(x)
    expected = out @ m.embedding.table().T + m.head.bias
    torch.testing.assert_close(logits, expected)
    before = m.embedding.pretrained.detach().clone()
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        m(LMBatch(x[:, :-1], x[:, 1:], xb=x.flip(1)[:, :-1], yb=x.flip(1)[:, 1:])).loss.backward()
        opt.step()
    assert torch.equal(m.embedding.pretrained, before)


@pytest.mark.parametrize("tie", [True, False])
def test_a_generating_step_reads_the_pretrained_rows(tie) -> None:
    """Streaming a language model on vectors (no autograd: the fused step's conditions)
    gives the logits of reading the whole prefix."""
    c = LMConfig(
        vocab_size=V, hidden_size=E, embed_size=E, tie_weights=tie, pretrained_vectors=True
    )
    torch.manual_seed(0)
    m = LanguageModel(c).eval()
    m.embedding.load_vectors(vectors(), FOUND)
    with torch.no_grad():  # as after fine-tuning: the two tables no longer agree
        m.embedding.weight[torch.as_tensor(FOUND)] += 1.0
    x = torch.tensor([[0, 3, 8, 1, 4]])  # (1, T): rows found and not found
    with torch.no_grad():
        logits, _ = m.read(x)  # (1, T, V)
        state = None
        for t in range(x.shape[1]):
            step, state = m.step(x[:, t], state)  # (1, V)
            torch.testing.assert_close(step, logits[:, t], atol=1e-6, rtol=1e-5)


def test_seq2seq_embeddings_take_vectors_on_both_sides() -> None:
    c = Seq2SeqConfig(
        source_vocab=V,
        target_vocab=V,
        embed_size=E,
        hidden_size=6,
        pretrained_vectors=True,
        freeze_embeddings=True,
    )
    m = Seq2Seq(c)
    m.source_embed.load_vectors(vectors(1), FOUND)
    m.decoder.embed.load_vectors(vectors(2), FOUND)
    ids = torch.tensor([[1, 2, 4]])
    torch.testing.assert_close(m.source_embed(ids)[0], torch.tensor(vectors(1)[[1, 2, 4]]))
    torch.testing.assert_close(m.decoder.embed(ids)[0], torch.tensor(vectors(2)[[1, 2, 4]]))
