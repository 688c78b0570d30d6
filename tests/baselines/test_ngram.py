import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from rnnkit.baselines.counts import modified_kn_discounts
from rnnkit.baselines.ngram import NGramConfig, NGramLM

V = 7


def markov_text(n: int, seed: int = 0) -> np.ndarray:
    """Tokens from one sparse random order-2 Markov chain over V symbols."""
    table = np.random.default_rng(0).dirichlet(np.full(V, 0.2), size=(V, V))  # P(w | a, b)
    rng = np.random.default_rng(seed)
    x = [0, 1]
    for _ in range(n - 2):
        x.append(int(rng.choice(V, p=table[x[-2], x[-1]])))
    return np.array(x)


TRAIN = markov_text(4000, seed=1)
TEST = markov_text(1000, seed=2)[:-1]  # same chain, other draws
CONTEXTS = [(), (0,), (3, 4), (1, 2, 3), (6, 6, 6, 6), tuple(TRAIN[:5])]


@pytest.mark.parametrize("smoothing", ["kn", "add_k"])
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_next_distribution_sums_to_one(smoothing, order):
    model = NGramLM(order, smoothing=smoothing, k=0.5).fit(TRAIN[:300], vocab_size=V + 2)
    for context in [*CONTEXTS, (V + 1,), (V, V + 1, V)]:  # ids V, V+1 never seen
        p = model.next_distribution(context)
        assert p.shape == (V + 2,)
        assert np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("smoothing", ["kn", "add_k"])
def test_log_prob_matches_next_distribution(smoothing):
    model = NGramLM(3, smoothing=smoothing).fit(TRAIN, vocab_size=V)
    x = TEST[:40]
    lp = model.log_prob(x)
    expected = [math.log(model.next_distribution(x[:t])[x[t]]) for t in range(len(x))]
    np.testing.assert_allclose(lp, expected, rtol=1e-12)


def naive_kn(train: list[int], order: int, vocab_size: int):
    """A dictionary-based interpolated modified Kneser-Ney, for checking the numpy one."""
    counts = []
    for j in range(order + 1):  # j = context length
        grams = [tuple(train[t - j : t + 1]) for t in range(j, len(train))]
        if j == order:
            counts.append(Counter(grams))
        else:
            longer = {tuple(train[t - j - 1 : t + 1]) for t in range(j + 1, len(train))}
            counts.append(Counter(g[1:] for g in longer))
    tables = []
    for c in counts:
        total, kinds = defaultdict(float), defaultdict(lambda: [0, 0, 0])
        for g, n in c.items():
            total[g[:-1]] += n
            kinds[g[:-1]][min(n, 3) - 1] += 1
        tables.append((c, total, kinds, modified_kn_discounts(np.array(list(c.values())))))

    def prob(context: tuple[int, ...], w: int) -> float:
        p = 1.0 / vocab_size
        for j, (c, total, kinds, d) in enumerate(tables):
            h = context[len(context) - j :] if j else ()
            if len(h) < j or total[h] == 0:
                continue
            n = c.get((*h, w), 0)
            discounted = max(n - (d[min(n, 3) - 1] if n else 0.0), 0.0)
            gamma = float(np.dot(d, kinds[h])) / total[h]
            p = discounted / total[h] + gamma * p
        return p

    return prob


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_kneser_ney_matches_a_naive_implementation(order):
    train = TRAIN[:600].tolist()
    model = NGramLM(order).fit(train, vocab_size=V)
    prob = naive_kn(train, order, V)
    for context in CONTEXTS:
        got = model.next_distribution(context)
        h = tuple(context[max(len(context) - order, 0) :])
        want = [prob(h, w) for w in range(V)]
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_add_k_is_the_smoothed_relative_frequency():
    x = [0, 1, 0, 1, 0, 2]
    model = NGramLM(1, smoothing="add_k", k=0.5).fit(x, vocab_size=4)
    # after 0: 1 twice, 2 once -> (c + 0.5) / (3 + 0.5 * 4)
    np.testing.assert_allclose(model.next_distribution([0]), [0.1, 0.5, 0.3, 0.1])
    np.testing.assert_allclose(model.next_distribution([3]), [0.25] * 4)  # unseen context


def test_kneser_ney_beats_add_k_and_context_helps():
    loss = {
        (s, o): NGramLM(o, smoothing=s).fit(TRAIN, vocab_size=V).cross_entropy(TEST)
        for s in ("kn", "add_k")
        for o in (0, 2, 4)
    }
    assert loss["kn", 2] < loss["kn", 0] - 0.3
    assert loss["kn", 4] < loss["add_k", 4]
    assert loss["kn", 2] <= loss["add_k", 2] + 1e-3
    assert loss["kn", 0] == pytest.approx(loss["add_k", 0], abs=0.01)


def test_metrics_units():
    model = NGramLM(1).fit(TRAIN, vocab_size=V)
    nats = model.cross_entropy(TEST)
    assert model.bits_per_token(TEST) == pytest.approx(nats / math.log(2))
    assert nats == pytest.approx(-model.log_prob(TEST).mean())


def test_text_shorter_than_the_order_still_gives_distributions():
    model = NGramLM(5).fit([1, 2], vocab_size=3)
    assert model.next_distribution([1, 2]).sum() == pytest.approx(1.0)
    assert np.isfinite(model.cross_entropy([2, 1, 2, 0]))


def test_sample_is_seeded_and_in_vocabulary():
    model = NGramLM(2).fit(TRAIN, vocab_size=V)
    a = model.sample(50, context=[0, 1], seed=7)
    assert a.shape == (50,) and a.min() >= 0 and a.max() < V
    assert a.tolist() == model.sample(50, context=[0, 1], seed=7).tolist()


def test_large_vocabulary_keys_do_not_overflow():
    rng = np.random.default_rng(0)
    vocab = 2_000_000
    x = rng.integers(0, vocab, size=2000)
    x[1000:1100] = x[:100]  # a repeated stretch
    model = NGramLM(4).fit(x, vocab_size=vocab)
    assert model.next_distribution(x[:100]).sum() == pytest.approx(1.0)
    assert model.log_prob(x[:100])[50] > math.log(0.1)  # a repeated 4-gram is likely


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"order": -1}, "order"), ({"smoothing": "witten_bell"}, "smoothing"), ({"k": 0}, "k")],
)
def test_config_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        NGramConfig(**kwargs)


def test_bad_token_input():
    with pytest.raises(ValueError, match="not fitted"):
        NGramLM(1).cross_entropy([1])
    model = NGramLM(1).fit([0, 1, 2])
    assert model.vocab_size == 3
    with pytest.raises(ValueError, match="vocab_size"):
        model.log_prob([3])
    with pytest.raises(ValueError, match="integer"):
        model.log_prob(np.array([0.5]))
    with pytest.raises(ValueError, match=">= 0"):
        model.log_prob([-1])
    with pytest.raises(ValueError, match="empty"):
        NGramLM(1).fit([])
    with pytest.raises(ValueError, match="vocab_size"):
        NGramLM(1).fit([0, 5], vocab_size=3)
