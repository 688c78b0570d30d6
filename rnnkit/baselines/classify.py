"""Classification baselines and metrics, on the same splits as the recurrent classifier.

Each baseline is fitted on the training split, chooses its one setting (if it has one)
by validation accuracy, and is scored once on the test split — the protocol of the
recurrent model. Which ones apply depends on the data:

- ``majority`` (everything): the most frequent training class;
- ``tfidf-logreg`` (text): logistic regression on TF-IDF word 1-2-grams and character
  2-5-grams (scikit-learn), C by validation;
- ``vader`` (positive/negative text): the VADER lexicon's compound score
  (vaderSentiment), its threshold by validation;
- ``char-ngram-nb`` (character-level text): naive Bayes over per-class Kneser-Ney
  character n-gram models (rnnkit.baselines.ngram), the order by validation;
- ``1nn-euclidean`` and ``1nn-dtw`` (series): 1-nearest neighbour by Euclidean distance
  and by dynamic time warping (aeon).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.baselines.ngram import NGramLM
from rnnkit.data.labelled import Labelled
from rnnkit.data.optional import optional_import

Predict = Callable[[list[int]], np.ndarray]  # example indices -> predicted class ids


def metrics(y: np.ndarray, pred: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix
    (rows: true class, columns: predicted), by scikit-learn."""
    m = optional_import("sklearn.metrics", "classify", "classification metrics")
    labels = list(range(len(classes)))
    p, r, f, n = m.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    return {
        "accuracy": float(m.accuracy_score(y, pred)),
        "macro_f1": float(np.mean(f)),
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "n": int(n[i])}
            for i, c in enumerate(classes)
        },
        "confusion": m.confusion_matrix(y, pred, labels=labels).tolist(),
        "report": m.classification_report(
            y, pred, labels=labels, target_names=list(classes), digits=4, zero_division=0
        ),  # scikit-learn's per-class table, as it prints it
    }


@dataclass
class Splits:
    """A dataset, its class ids and its split indices."""

    data: Labelled
    y: np.ndarray  # (N,) class ids
    index: dict[str, list[int]]  # train / val / test


def run_baselines(splits: Splits, names: Sequence[str] | None = None) -> dict[str, dict]:
    """Every applicable baseline (or those named): val and test accuracy, test macro-F1
    and the test metrics."""
    out = {}
    for name, (applies, fit) in BASELINES.items():
        if (names is not None and name not in names) or not applies(splits.data):
            continue
        with warnings.catch_warnings():  # numba's notes when it compiles (on first use)
            warnings.simplefilter("ignore")  # and scikit-learn's convergence notes
            predict, setting = fit(splits)
            out[name] = score(splits, predict, setting)
    return out


def score(splits: Splits, predict: Predict, setting: Any = None) -> dict[str, Any]:
    """The keys every model reports: val_accuracy, test_accuracy, test_macro_f1, ..."""
    y, index, classes = splits.y, splits.index, splits.data.classes
    result: dict[str, Any] = {}
    if index["val"]:
        val = metrics(y[index["val"]], predict(index["val"]), classes)
        result.update(val_accuracy=val["accuracy"], val_macro_f1=val["macro_f1"])
    test = metrics(y[index["test"]], predict(index["test"]), classes)
    result.update(test_accuracy=test["accuracy"], test_macro_f1=test["macro_f1"], test=test)
    if setting is not None:
        result["setting"] = setting
    return result


def choose(splits: Splits, candidates: Sequence[Any], make: Callable[[Any], Predict]):
    """The candidate setting with the best validation accuracy (the first on ties)."""
    val = splits.index["val"]
    if len(candidates) == 1 or not val:
        return make(candidates[0]), candidates[0]
    best = None
    for c in candidates:
        predict = make(c)
        acc = float(np.mean(predict(val) == splits.y[val]))
        if best is None or acc > best[0]:
            best = (acc, predict, c)
    return best[1], best[2]


# -- the baselines ---------------------------------------------------------------------------


def majority(s: Splits) -> tuple[Predict, Any]:
    top = int(np.bincount(s.y[s.index["train"]], minlength=len(s.data.classes)).argmax())
    return (lambda idx: np.full(len(idx), top)), None


def tfidf_logreg(s: Splits) -> tuple[Predict, Any]:
    optional_import("sklearn", "classify", "the tfidf-logreg baseline")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_union

    texts, train = s.data.items, s.index["train"]
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ).fit([texts[i] for i in train])  # vocabulary and idf from the training texts only
    X = features.transform(texts)

    def make(C: float) -> Predict:
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
        model.fit(X[train], s.y[train])
        return lambda idx: model.predict(X[idx])

    return choose(s, (1.0, 3.0, 10.0, 0.3), make)


def vader(s: Splits) -> tuple[Predict, Any]:
    module = optional_import("vaderSentiment.vaderSentiment", "classify", "the vader baseline")
    analyser = module.SentimentIntensityAnalyzer()
    positive = s.data.classes.index("positive")
    compound = np.array([analyser.polarity_scores(t)["compound"] for t in s.data.items])

    def make(threshold: float) -> Predict:
        return lambda idx: np.where(compound[idx] >= threshold, positive, 1 - positive)

    return choose(s, (0.0, 0.05, -0.05), make)


def char_ngram_nb(s: Splits) -> tuple[Predict, Any]:
    """argmax_c log P(c) + log P(text | c), P(text | c) a Kneser-Ney character n-gram
    model of class c's training texts, each text framed by boundary symbols."""
    texts, classes = s.data.items, s.data.classes
    chars = sorted({ch for i in s.index["train"] for ch in texts[i]})
    code = {ch: i + 2 for i, ch in enumerate(chars)}  # 0: boundary, 1: unseen character
    V = len(chars) + 2
    prior = np.log(np.bincount(s.y[s.index["train"]], minlength=len(classes)) + 1.0)

    def framed(idx: Sequence[int], order: int) -> tuple[np.ndarray, np.ndarray]:
        ids, starts = [], []
        for i in idx:
            starts.append(sum(map(len, ids)))
            ids.append(np.array([0] * order + [code.get(ch, 1) for ch in texts[i]] + [0]))
        return np.concatenate(ids), np.array(starts)

    def make(order: int) -> Predict:
        models = []
        for c in range(len(classes)):
            members = [i for i in s.index["train"] if s.y[i] == c]
            models.append(NGramLM(order).fit(framed(members, order)[0], vocab_size=V))

        def predict(idx: list[int]) -> np.ndarray:
            ids, starts = framed(idx, order)
            keep = np.ones(len(ids), bool)
            for k in range(order):  # the leading boundaries are context, not predicted
                keep[starts + k] = False
            segment = np.cumsum(np.isin(np.arange(len(ids)), starts)) - 1
            scores = np.stack(
                [np.bincount(segment[keep], m.log_prob(ids)[keep], len(idx)) for m in models], 1
            )  # (N, C)
            return (scores + prior).argmax(1)

        return predict

    return choose(s, (3, 2, 4, 1), make)


def _nearest(distance: str) -> Callable[[Splits], tuple[Predict, Any]]:
    def fit(s: Splits) -> tuple[Predict, Any]:
        knn = optional_import(
            "aeon.classification.distance_based", "classify", f"the 1nn-{distance} baseline"
        )
        series = [x.T for x in s.data.items]  # aeon: (channels, steps)
        model = knn.KNeighborsTimeSeriesClassifier(n_neighbors=1, distance=distance)
        train = s.index["train"]
        model.fit([series[i] for i in train], s.y[train])
        return (lambda idx: model.predict([series[i] for i in idx]).astype(int)), None

    return fit


def _is_text(d: Labelled) -> bool:
    return d.kind == "text"


BASELINES: dict[str, tuple[Callable[[Labelled], bool], Callable[[Splits], tuple[Predict, Any]]]] = {
    "majority": (lambda d: True, majority),
    "tfidf-logreg": (_is_text, tfidf_logreg),
    "vader": (lambda d: _is_text(d) and d.classes == ["negative", "positive"], vader),
    "char-ngram-nb": (lambda d: _is_text(d) and d.level == "char", char_ngram_nb),
    "1nn-euclidean": (lambda d: d.kind == "series", _nearest("euclidean")),
    "1nn-dtw": (lambda d: d.kind == "series", _nearest("dtw")),
}
