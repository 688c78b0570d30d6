"""The encoder-decoder, its attention and the captioner: oracles that assert."""

import pytest
import torch

from rnnkit.models.attention import Attention, source_mask
from rnnkit.models.captioner import CaptionConfig, Captioner, ImageBatch, block_encoder
from rnnkit.models.seq2seq import PairBatch, Seq2Seq, Seq2SeqConfig

ATTENTION = ["none", "additive", "dot", "general"]


def model(cell="gru", attention="general", feed=True, dtype=torch.float32, **kw):
    torch.manual_seed(0)
    c = Seq2SeqConfig(
        cell=cell,
        hidden_size=8,
        embed_size=5,
        num_layers=kw.pop("layers", 2),
        source_vocab=9,
        target_vocab=7,
        attention=attention,
        input_feeding=feed,
        max_output=6,
        **kw,
    )
    return Seq2Seq(c).to(dtype).eval()


def batch():
    g = torch.Generator().manual_seed(1)
    src = torch.randint(1, 9, (3, 6), generator=g)
    lengths = torch.tensor([6, 2, 4])
    src = src * (torch.arange(6) < lengths[:, None])
    t_in = torch.randint(0, 7, (3, 5), generator=g)
    t_out = torch.randint(0, 7, (3, 5), generator=g)
    return PairBatch(src, lengths, t_in, t_out, torch.tensor([5, 3, 1]))


@pytest.mark.parametrize("kind", ["additive", "dot", "general"])
def test_attention_weights_sum_to_one_and_ignore_padding(kind):
    torch.manual_seed(0)
    att = Attention(kind, 4)
    memory = torch.randn(2, 5, 4)
    mask = source_mask(torch.tensor([5, 3]), 5)
    q = torch.randn(2, 4)
    ctx, w = att(q, att.keys(memory), memory, mask)
    torch.testing.assert_close(w.sum(-1), torch.ones(2))
    assert torch.all(w[1, 3:] == 0)
    garbage = memory.clone()
    garbage[1, 3:] = 1000.0  # what lies past the length changes nothing
    ctx2, w2 = att(q, att.keys(garbage), garbage, mask)
    torch.testing.assert_close(ctx, ctx2)
    torch.testing.assert_close(w, w2)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("attention", ATTENTION)
@pytest.mark.parametrize("feed", [True, False])
def test_step_by_step_equals_the_teacher_forced_forward(cell, attention, feed):
    m, b = model(cell, attention, feed), batch()
    logits, weights = m.attend(b)
    state, steps = m.encode(b.source, b.source_lengths), []
    for t in range(b.target_in.shape[1]):
        out, state = m.decoder.step(b.target_in[:, t], state)
        steps.append(out)
    real = torch.arange(5) < b.target_lengths[:, None]  # (B, T)
    torch.testing.assert_close(torch.stack(steps, 1)[real], logits[real], atol=1e-6, rtol=1e-5)
    if attention != "none":
        assert torch.all(weights[1, :, 2:] == 0)  # source 1 has 2 tokens
        torch.testing.assert_close(weights.sum(-1), torch.ones(3, 5))


def test_source_padding_changes_nothing():
    m, b = model("lstm", "additive"), batch()
    noisy = PairBatch(
        b.source.clone(), b.source_lengths, b.target_in, b.target_out, b.target_lengths
    )
    noisy.source[1, 2:] = 8
    torch.testing.assert_close(m.attend(b)[0], m.attend(noisy)[0])


@pytest.mark.parametrize("attention", ["none", "additive"])
def test_float64_gradcheck(attention):
    m, b = model("gru", attention, layers=1, dtype=torch.float64), batch()
    m.train()
    params = list(m.parameters())[:3]  # embeddings and the first encoder weights

    m.zero_grad()
    loss = m(b).loss
    loss.backward()
    eps = 1e-6
    for p in params:
        i = (0,) * p.dim()
        with torch.no_grad():
            p[i] += eps
            up = m(b).loss.item()
            p[i] -= 2 * eps
            down = m(b).loss.item()
            p[i] += eps
        assert abs((up - down) / (2 * eps) - p.grad[i].item()) < 1e-6


def test_scheduled_sampling_reads_own_tokens_only_in_training():
    m, b = model("gru", "general"), batch()
    b.teacher_forcing = 0.0
    forced = model("gru", "general")(batch()).loss
    assert torch.allclose(m(b).loss, forced)  # eval: always teacher forcing
    m.train()
    torch.manual_seed(3)
    sampled = m(b).loss
    m.decoder.drop.p = 0.0
    b.teacher_forcing = 1.0
    assert not torch.allclose(sampled, m(b).loss)


def test_label_smoothing_matches_its_definition():
    eps = 0.3
    m, b = model(label_smoothing=eps), batch()
    out = m(b)
    logp = torch.log_softmax(out.prediction, -1)  # (B, T, V)
    nll = -logp.gather(-1, b.target_out[..., None]).squeeze(-1)
    uniform = -logp.mean(-1)
    per = (1 - eps) * nll + eps * uniform
    real = (torch.arange(5) < b.target_lengths[:, None]).float()
    torch.testing.assert_close(out.loss, (per * real).sum() / real.sum())


def test_empty_source_is_refused():
    m = model()
    with pytest.raises(ValueError, match="at least one token"):
        m.encode(torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 0]))


@pytest.mark.parametrize("attention", ["none", "dot"])
def test_captioner_step_equals_forward(attention):
    torch.manual_seed(0)
    c = CaptionConfig(hidden_size=8, embed_size=4, target_vocab=6, attention=attention, features=6)
    m = Captioner(c).eval()
    images = torch.rand(2, 8, 32)
    t_in = torch.tensor([[1, 3, 4], [1, 5, 0]])
    b = ImageBatch(images, t_in, t_in, torch.tensor([3, 2]))
    logits = m(b).prediction
    state, steps = m.start(b), []
    for t in range(3):
        out, state = m.decoder.step(t_in[:, t], state)
        steps.append(out)
    torch.testing.assert_close(torch.stack(steps, 1)[0], logits[0], atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match=r"images must be \(B, 8, 32\)"):
        m.start(ImageBatch(torch.rand(2, 8, 24)))


@pytest.mark.parametrize("encoder", ["cnn", "mlp"])
def test_each_block_is_read_alone(encoder):
    """A block's features depend on that block's pixels only (a shared reader)."""
    torch.manual_seed(0)
    c = CaptionConfig(
        hidden_size=8, target_vocab=6, encoder=encoder, channels=16, features=6, attention="dot"
    )
    m = Captioner(c).eval()
    images = torch.rand(2, 8, 32)
    changed = images.clone()
    changed[:, :, 8:16] = 0.0  # blank the second block
    before, after = m.start(ImageBatch(images)).memory, m.start(ImageBatch(changed)).memory
    torch.testing.assert_close(before[:, [0, 2, 3]], after[:, [0, 2, 3]])
    assert not torch.allclose(before[:, 1], after[:, 1])
    assert block_encoder(c)(torch.rand(5, 8, 8)).shape == (5, 8)
