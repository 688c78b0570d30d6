import itertools

import pytest
import torch

from rnnkit.generation import beam_search, select

V = 4


def chain():
    """A fixed first-order Markov chain: state is the (1, W, V) log-prob row of the last token."""
    g = torch.Generator().manual_seed(0)
    table = torch.log_softmax(torch.randn(V, V, generator=g) * 2, dim=-1)  # (V, V)
    first = torch.log_softmax(torch.randn(V, generator=g) * 2, dim=-1)  # (V,)

    def step(tokens, state):
        return table[tokens], state

    return table, first, step


def score(table, first, seq):
    return first[seq[0]].item() + sum(table[a, b].item() for a, b in itertools.pairwise(seq))


def test_width_one_is_greedy():
    table, first, step = chain()
    (best,) = beam_search(step, None, first, width=1, length=6)
    greedy = [int(first.argmax())]
    for _ in range(5):
        greedy.append(int(table[greedy[-1]].argmax()))
    assert best.tokens == greedy
    assert best.log_prob == pytest.approx(score(table, first, greedy), abs=1e-5)


def test_full_width_is_exhaustive():
    table, first, step = chain()
    length = 3
    beams = beam_search(step, None, first, width=V**length, length=length)
    brute = sorted(
        (score(table, first, s) for s in itertools.product(range(V), repeat=length)),
        reverse=True,
    )
    assert [b.log_prob for b in beams] == pytest.approx(brute, abs=1e-5)
    assert beams[0].log_prob == pytest.approx(brute[0], abs=1e-5)


def test_eos_freezes_a_hypothesis():
    # token 0 is eos and very likely first: its hypothesis keeps its score and stops
    first = torch.log(torch.tensor([0.9, 0.05, 0.03, 0.02]))
    table = torch.log(torch.full((V, V), 0.25))

    beams = beam_search(lambda t, s: (table[t], s), None, first, width=2, length=5, eos=0)
    assert beams[0].tokens == [0]
    assert beams[0].log_prob == pytest.approx(float(first[0]), abs=1e-6)


def test_state_follows_its_hypothesis():
    # the next-token distribution depends on a state (the running sum of the tokens so
    # far): beam scores only equal brute force if each state moves with its hypothesis
    g = torch.Generator().manual_seed(1)
    table = torch.log_softmax(torch.randn(16, V, generator=g) * 2, dim=-1)  # (sum mod 16, V)

    def step(tokens, state):  # state (1, W, 1)
        state = state + tokens.view(1, -1, 1)
        return table[state.view(-1).long() % 16], state

    def brute(seq):
        total, s = 0.0, 0
        for tok in seq:
            total += table[s % 16, tok].item()
            s += tok
        return total

    length = 4
    beams = beam_search(step, torch.zeros(1, 1, 1), table[0], width=V**length, length=length)
    expected = sorted((brute(s) for s in itertools.product(range(V), repeat=length)), reverse=True)
    assert [b.log_prob for b in beams] == pytest.approx(expected, abs=1e-5)
    for b in beams[:5]:
        assert b.log_prob == pytest.approx(brute(b.tokens), abs=1e-5)


def test_select_nested_state():
    state = torch.arange(V).view(1, V, 1).float()
    picked = select((state, [state]), torch.tensor([3, 1]))
    assert picked[0].flatten().tolist() == [3.0, 1.0]
    assert picked[1][0].flatten().tolist() == [3.0, 1.0]
    assert select(None, torch.tensor([0])) is None


def test_bad_arguments():
    _, first, step = chain()
    with pytest.raises(ValueError, match="width"):
        beam_search(step, None, first, width=0, length=3)
    with pytest.raises(ValueError, match="length"):
        beam_search(step, None, first, width=2, length=0)
