"""Classification baselines on toy problems with known answers, and the metrics."""

import numpy as np
import pytest

from rnnkit.baselines.classify import Splits, metrics, run_baselines
from rnnkit.data.labelled import Labelled, stratified_split


def splits(data, seed=0):
    index = stratified_split(data, test_fraction=0.25, val_fraction=0.2, seed=seed)
    return Splits(data, data.targets(), index)


def test_metrics_by_hand():
    y = np.array([0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0])
    m = metrics(y, pred, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert m["per_class"]["b"] == {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "n": 2}
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_majority_predicts_the_largest_training_class():
    data = Labelled("toy", "text", [f"t{i}" for i in range(40)], ["a"] * 30 + ["b"] * 10)
    r = run_baselines(splits(data), ["majority"])["majority"]
    assert r["test_accuracy"] == pytest.approx(0.8)  # 8 of the 10 test examples are "a"
    assert r["test"]["confusion"] == [[8, 0], [2, 0]]


def test_text_baselines_solve_an_easy_problem():
    rng = np.random.default_rng(0)
    good = ["wonderful", "great", "love", "excellent", "happy"]
    bad = ["terrible", "awful", "hate", "horrible", "sad"]
    filler = ["the", "film", "was", "a", "plot", "and", "it"]
    items, labels = [], []
    for i in range(80):
        words = list(rng.choice(filler, 4)) + [str(rng.choice(good if i % 2 else bad))]
        items.append(" ".join(rng.permutation(words)))
        labels.append("positive" if i % 2 else "negative")
    data = Labelled("toy", "text", items, labels)
    found = run_baselines(splits(data))
    assert set(found) == {"majority", "tfidf-logreg", "vader"}  # word level: no char-ngram-nb
    for name in ("tfidf-logreg", "vader"):
        assert found[name]["test_accuracy"] == 1.0, name
        assert found[name]["val_accuracy"] == 1.0, name
    assert found["majority"]["test_accuracy"] == 0.5


def test_char_ngram_naive_bayes_reads_endings():
    rng = np.random.default_rng(1)
    stems = ["kow", "nov", "lew", "ber", "and", "mil", "par", "tor", "sel", "kar"]
    items, labels = [], []
    for i in range(60):
        stem = "".join(rng.choice(stems, 2)).capitalize()
        items.append(stem + ("ski" if i % 2 else "sson"))
        labels.append("Polish" if i % 2 else "Swedish")
    data = Labelled("toy", "text", items, labels, level="char")
    r = run_baselines(splits(data), ["char-ngram-nb"])["char-ngram-nb"]
    assert r["test_accuracy"] == 1.0 and r["setting"] in (1, 2, 3, 4)


def test_nearest_neighbours_match_a_numpy_oracle():
    rng = np.random.default_rng(2)
    items = [rng.normal(size=(6, 2)).astype(np.float32) for _ in range(40)]
    labels = [str(i % 3) for i in range(40)]
    data = Labelled("toy", "series", items, labels)
    s = splits(data)
    found = run_baselines(s, ["1nn-euclidean", "1nn-dtw"])
    train, test = s.index["train"], s.index["test"]

    def dtw(a, b):  # squared pointwise distances, no window (aeon's default)
        D = np.full((len(a) + 1, len(b) + 1), np.inf)
        D[0, 0] = 0
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                cost = np.sum((a[i - 1] - b[j - 1]) ** 2)
                D[i, j] = cost + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
        return D[-1, -1]

    for name, dist in (("1nn-euclidean", lambda a, b: np.sum((a - b) ** 2)), ("1nn-dtw", dtw)):
        pred = [s.y[train[int(np.argmin([dist(items[i], items[j]) for j in train]))]] for i in test]
        expected = np.mean(np.array(pred) == s.y[test])
        assert found[name]["test_accuracy"] == pytest.approx(expected), name


def test_only_applicable_baselines_run():
    data = Labelled("toy", "series", [np.zeros((3, 1)) + i for i in range(12)], ["a", "b"] * 6)
    assert set(run_baselines(splits(data))) == {"majority", "1nn-euclidean", "1nn-dtw"}
