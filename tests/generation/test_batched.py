"""Batched decoding: beam search against exhaustive search, batch invariance, greedy."""

import itertools
import math

import pytest
import torch

from rnnkit.generation.batched import beam_search_batch, decode_batch
from rnnkit.generation.sampling import SamplingConfig
from rnnkit.models.seq2seq import Seq2Seq, Seq2SeqConfig

BOS, EOS = 1, 2


def tiny(vocab=5, attention="additive", seed=0):
    torch.manual_seed(seed)
    c = Seq2SeqConfig(
        cell="gru",
        hidden_size=6,
        embed_size=3,
        source_vocab=6,
        target_vocab=vocab,
        attention=attention,
        max_output=4,
    )
    m = Seq2Seq(c).eval()
    with torch.no_grad():
        m.decoder.head.weight.mul_(4)  # peaked distributions, so the search matters
    return m


def sources(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 7, (n,), generator=g)
    x = torch.randint(1, 6, (n, 6), generator=g) * (torch.arange(6) < lengths[:, None])
    return x, lengths


def reorder(state, index):
    return state.select(index)


def beams(m, x, lengths, width, length=4, alpha=1.0):
    state = m.encode(x, lengths)
    return beam_search_batch(
        m.decoder.step,
        state,
        batch=len(x),
        bos=BOS,
        eos=EOS,
        width=width,
        max_length=length,
        alpha=alpha,
        reorder=reorder,
    )


def exhaustive(m, x, lengths, length, alpha):
    """Every sequence of up to ``length`` tokens (ended by eos, or cut at length)."""
    V = m.config.target_vocab
    best = (-math.inf, None)
    for n in range(1, length + 1):
        for seq in itertools.product(range(V), repeat=n):
            if EOS in seq[:-1] or (n < length and seq[-1] != EOS):
                continue
            state = m.encode(x, lengths)
            token, logp = torch.tensor([BOS]), 0.0
            for t in seq:
                logits, state = m.decoder.step(token, state)
                logp += float(torch.log_softmax(logits.double(), -1)[0, t])
                token = torch.tensor([t])
            score = logp / n**alpha
            if score > best[0]:
                best = (score, [t for t in seq if t != EOS])
    return best


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wide_beam_is_the_exhaustive_search(alpha, seed):
    m = tiny(vocab=4, seed=seed)
    x, lengths = sources(1, seed)
    with torch.no_grad():
        score, tokens = exhaustive(m, x, lengths, 3, alpha)
        found = beams(m, x, lengths, width=4**3, length=3, alpha=alpha)[0][0]
    assert found.tokens == tokens
    assert found.score == pytest.approx(score, abs=1e-5)


def test_beam_scores_are_the_sums_of_token_log_probabilities():
    m = tiny()
    x, lengths = sources(1)
    with torch.no_grad():
        for h in beams(m, x, lengths, width=3)[0]:
            state, token, total = m.encode(x, lengths), torch.tensor([BOS]), 0.0
            for t in h.tokens + ([EOS] if h.finished else []):
                logits, state = m.decoder.step(token, state)
                total += float(torch.log_softmax(logits.double(), -1)[0, t])
                token = torch.tensor([t])
            assert h.log_prob == pytest.approx(total, abs=1e-5)


@pytest.mark.parametrize("width", [1, 3])
def test_beam_search_is_batch_invariant(width):
    m = tiny(vocab=7)
    x, lengths = sources(64, seed=5)
    with torch.no_grad():
        alone = [beams(m, x[i : i + 1], lengths[i : i + 1], width, 6)[0] for i in range(64)]
        for size in (7, 64):
            for start in range(0, 64, size):
                got = beams(m, x[start : start + size], lengths[start : start + size], width, 6)
                for i, hyps in enumerate(got):
                    assert [h.tokens for h in hyps] == [h.tokens for h in alone[start + i]]
        order = torch.randperm(64, generator=torch.Generator().manual_seed(0))
        shuffled = beams(m, x[order], lengths[order], width, 6)
        for i, hyps in zip(order.tolist(), shuffled):
            assert [h.tokens for h in hyps] == [h.tokens for h in alone[i]]


def test_greedy_equals_beam_width_one():
    m = tiny(vocab=7)
    x, lengths = sources(20, seed=3)
    with torch.no_grad():
        greedy = decode_batch(
            m.decoder.step, m.encode(x, lengths), batch=20, bos=BOS, eos=EOS, max_length=6
        )
        beam = beams(m, x, lengths, width=1, length=6, alpha=0.0)
    for g, b in zip(greedy, beam):
        assert g.tokens == b[0].tokens
        assert g.log_prob == pytest.approx(b[0].log_prob, abs=1e-5)


def test_finished_hypotheses_stay_frozen():
    m = tiny(vocab=4)
    x, lengths = sources(3, seed=1)
    with torch.no_grad():
        for hyps in beams(m, x, lengths, width=4, length=8):
            for h in hyps:
                assert EOS not in h.tokens
                assert h.finished or len(h.tokens) == 8
            scores = [h.score for h in hyps]
            assert scores == sorted(scores, reverse=True)


def test_sampling_is_reproducible_with_a_generator():
    m = tiny(vocab=7)
    x, lengths = sources(5)
    hot = SamplingConfig(temperature=1.5)
    runs = [
        decode_batch(
            m.decoder.step,
            m.encode(x, lengths),
            batch=5,
            bos=BOS,
            eos=EOS,
            max_length=6,
            sampling=hot,
            generator=torch.Generator().manual_seed(4),
        )
        for _ in range(2)
    ]
    assert [h.tokens for h in runs[0]] == [h.tokens for h in runs[1]]


def test_bad_width_is_refused():
    m = tiny()
    x, lengths = sources(1)
    with pytest.raises(ValueError, match="beam width"):
        beams(m, x, lengths, width=0)


def test_the_beams_share_their_sources_memory_and_finished_inputs_leave_the_batch():
    """Beam search never copies the memory of a source per hypothesis (the W hypotheses
    of a source read one memory row), and steps only the inputs still writing; the
    hypotheses are each input's own when decoded alone (where nothing leaves the batch)."""
    m = tiny(vocab=4, attention="general", seed=1)  # inputs finish at different steps
    x, lengths = sources(12, seed=2)
    rows, memories = [], []
    step = m.decoder.step

    def watched(tokens, state):
        rows.append(len(tokens))
        memories.append(state.memory.data_ptr())
        return step(tokens, state)

    with torch.no_grad():
        state = m.encode(x, lengths)
        found = beam_search_batch(
            watched, state, batch=12, bos=BOS, eos=EOS, width=3, max_length=8, reorder=reorder
        )
        alone = [beams(m, x[i : i + 1], lengths[i : i + 1], 3, 8)[0] for i in range(12)]
    assert rows[0] == 12 * 3 and rows[-1] < rows[0]  # finished inputs dropped out
    assert len(set(memories[: rows.count(36)])) == 1  # the one memory, never copied
    for hyps, own in zip(found, alone):
        assert [h.tokens for h in hyps] == [h.tokens for h in own]
        assert [h.log_prob for h in hyps] == pytest.approx([h.log_prob for h in own], abs=1e-6)


def test_grouped_attention_equals_one_memory_row_per_hypothesis():
    m = tiny(vocab=7, attention="additive")
    x, lengths = sources(4, seed=1)
    with torch.no_grad():
        state = m.encode(x, lengths)
        grouped = state.select(torch.arange(4).repeat_interleave(3))  # 3 hypotheses each
        assert grouped.group == 3 and grouped.memory is state.memory
        single = grouped.select(torch.tensor([0, 4, 8, 9]))  # not whole groups: one row each
        assert single.group == 1 and single.memory.shape[0] == 4
        tokens = torch.tensor([BOS] * 12)
        logits, _ = m.decoder.step(tokens, grouped)
        expected, _ = m.decoder.step(tokens[[0, 4, 8, 9]], single)
    torch.testing.assert_close(logits[[0, 4, 8, 9]], expected, atol=1e-6, rtol=1e-6)
