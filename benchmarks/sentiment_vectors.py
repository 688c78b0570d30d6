"""Pretrained word vectors for the sentence classifier: from scratch, frozen, fine-tuned.

    python -m benchmarks.sentiment_vectors --variants scratch,frozen,fine-tune --seeds 0
    python -m benchmarks.sentiment_vectors --variants scratch,frozen,fine-tune \\
        --seeds 0,1,2 --test        # the final table: the test split scored once per run

The protocol of ``rnnkit classify train --data sentiment``: the same stratified split
(test 20% of each class, validation 10% of the rest, split seed 0), the same encoding
(lower case, words and punctuation marks, a vocabulary of the training split with
``--max-vocab 20000 --min-count 2``), the same training (AdamW at 3e-3, weight decay 0.01,
cosine schedule, batch 32, clip 1, 2,000 steps, validation every 100 steps, the
checkpoint with the lowest validation loss kept, inverse-frequency class weights) and the
dataset's preset (attention pooling) under each variant's changes. Without ``--test`` a
run reports validation only: variants are chosen on that. With ``--test`` each run's kept
checkpoint scores the test split once. Every run appends one JSON line to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rnnkit.data.labelled import balanced_weights, stratified_split
from rnnkit.data.labelled_sets import load_labelled
from rnnkit.data.vectors import load_vectors, source_words
from rnnkit.data.vocab import UNK, Vocab
from rnnkit.models.classifier import Classifier, ClassifierConfig
from rnnkit.models.sequence import SeqBatch
from rnnkit.training import TrainConfig
from rnnkit.training.batches import ShuffledBatches
from rnnkit.training.trainer import Trainer

WORD = re.compile(r"\w+|[^\w\s]")  # classify's word split
BASE_MODEL = dict(cell="gru", hidden_size=64, bidirectional=True, pool="attention", dropout=0.2)
BASE_TRAIN = dict(
    steps=2000, batch_size=32, lr=3e-3, optimizer="adamw", weight_decay=1e-2,
    schedule="cosine", clip=1.0, eval_every=100, log_every=10**9,
)  # fmt: skip
GLOVE = "glove-6b-50d"


@dataclass
class Variant:
    """Changes over classify's sentiment run."""

    source: str | None = None  # word vectors (None: the embedding learns from scratch)
    model: dict[str, Any] = field(default_factory=dict)  # ClassifierConfig changes
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig changes
    min_count: int = 2  # vocabulary: training words seen this often
    extra_words: int = 0  # vocabulary: also the source's N most frequent words


FROZEN = {"freeze_embeddings": True}
SLOW = {"embeddings_lr": 0.1}  # fine-tuned at a tenth of the learning rate
VARIANTS: dict[str, Variant] = {
    "scratch": Variant(),
    "frozen": Variant(GLOVE, FROZEN),
    "fine-tune": Variant(GLOVE),
    "fine-tune-lr0.1": Variant(GLOVE, SLOW),
    "frozen-maxatt": Variant(GLOVE, {**FROZEN, "pool": "max+attention"}),
    "frozen-max": Variant(GLOVE, {**FROZEN, "pool": "max"}),
    "frozen-h128": Variant(GLOVE, {**FROZEN, "hidden_size": 128}),
    "frozen-drop0.4": Variant(GLOVE, {**FROZEN, "dropout": 0.4}),
    "frozen-locked": Variant(GLOVE, {**FROZEN, "dropout": 0.4, "locked_dropout": True}),
    "frozen-word0.1": Variant(GLOVE, {**FROZEN, "word_dropout": 0.1}),
    "frozen-lstm": Variant(GLOVE, {**FROZEN, "cell": "lstm"}),
    "frozen-4000": Variant(GLOVE, FROZEN, {"steps": 4000}),
    "frozen-min1": Variant(GLOVE, FROZEN, min_count=1),
    "slow-maxatt": Variant(GLOVE, {**SLOW, "pool": "max+attention"}),
    "slow-min1": Variant(GLOVE, SLOW, min_count=1),
    "slow-h128": Variant(GLOVE, {**SLOW, "hidden_size": 128}),
    "slow-locked": Variant(GLOVE, {**SLOW, "dropout": 0.4, "locked_dropout": True}),
    "slow-word0.1": Variant(GLOVE, {**SLOW, "word_dropout": 0.1}),
    "slow-lr0.03": Variant(GLOVE, {"embeddings_lr": 0.03}),
    "slow-maxatt-d0.3": Variant(GLOVE, {**SLOW, "pool": "max+attention", "dropout": 0.3}),
    "slow-maxatt-2l": Variant(GLOVE, {**SLOW, "pool": "max+attention", "num_layers": 2}),
    "slow-maxmeanatt": Variant(GLOVE, {**SLOW, "pool": "max+mean+attention"}),
    "slow-maxatt-acc": Variant(
        GLOVE, {**SLOW, "pool": "max+attention"}, {"metric": "val_accuracy", "mode": "max"}
    ),
    "slow-maxatt-50k": Variant(GLOVE, {**SLOW, "pool": "max+attention"}, extra_words=50000),
    "frozen-maxatt-50k": Variant(GLOVE, {**FROZEN, "pool": "max+attention"}, extra_words=50000),
}


@dataclass
class Prepared:
    """The encoded examples, class ids, split indices and the vocabulary."""

    x: list[np.ndarray]  # token ids (T,) per example
    y: np.ndarray  # (N,) class ids
    index: dict[str, list[int]]
    tokens: list[str]  # the vocabulary, <unk> first
    counts: np.ndarray  # (V,) training occurrences per id (id 0: tokens left out)
    classes: list[str]


def prepare(data: str, min_count: int = 2, extra: int = 0, split_seed: int = 0) -> Prepared:
    d = load_labelled(data)
    if d.kind != "text" or d.level != "word":
        what = "series" if d.kind != "text" else "read character by character"
        raise ValueError(f"{data}: word vectors need word-level text; {data} is {what}")
    index = stratified_split(d, test_fraction=0.2, val_fraction=0.1, seed=split_seed)
    words = [WORD.findall(text.lower()) for text in d.items]
    train = Counter(t for i in index["train"] for t in words[i])
    vocab = Vocab.build(train, max_size=20000, min_count=min_count)
    if extra:  # words of the vectors' source beyond the training data, after its own
        more = [w for w in source_words(GLOVE, extra) if w not in vocab.index and w != UNK]
        vocab = Vocab((*vocab.tokens, *more))
    x = [np.array([vocab.index.get(t, 0) for t in w] or [0], dtype=np.int64) for w in words]
    counts = np.bincount(np.concatenate([x[i] for i in index["train"]]), minlength=len(vocab))
    return Prepared(x, d.targets(), index, list(vocab.tokens), counts, d.classes)


def collate(p: Prepared, idx: list[int]) -> SeqBatch:
    arrays = [p.x[i] for i in idx]
    lengths = torch.tensor([len(a) for a in arrays])
    x = torch.zeros(len(arrays), int(lengths.max()), dtype=torch.long)  # (B, T)
    for row, a in enumerate(arrays):
        x[row, : len(a)] = torch.from_numpy(a)
    return SeqBatch(x, torch.from_numpy(p.y[idx]), lengths)


@torch.no_grad()
def score(model: Classifier, p: Prepared, split: str) -> dict[str, float]:
    was, idx = model.training, p.index[split]
    model.eval()
    probs = torch.cat(
        [
            torch.softmax(model(collate(p, idx[i : i + 256])).prediction, -1)
            for i in range(0, len(idx), 256)
        ]
    )  # (N, C)
    model.train(was)
    y = torch.from_numpy(p.y[idx])
    nll = -probs[torch.arange(len(y)), y].clamp_min(1e-12).log().mean()
    return {
        f"{split}_loss": float(nll),
        f"{split}_accuracy": float((probs.argmax(1) == y).float().mean()),
    }


def build(p: Prepared, source: str | None, changes: dict[str, Any]) -> tuple[Classifier, dict]:
    counts = np.bincount(p.y[p.index["train"]], minlength=len(p.classes)).tolist()
    config = ClassifierConfig(
        **{**BASE_MODEL, **changes},
        vocab_size=len(p.tokens),
        num_classes=len(p.classes),
        class_weights=tuple(balanced_weights(counts)),
        embed_size=50 if source else 64,
        pretrained_vectors=source is not None,
    )
    model, coverage = Classifier(config), {}
    if source is not None:
        t = time.perf_counter()
        vectors = load_vectors(source, p.tokens)
        model.embed.load_vectors(vectors.matrix, vectors.found)
        coverage = {**vectors.coverage(p.counts), "load_seconds": time.perf_counter() - t}
    return model, coverage


def run(p: Prepared, name: str, seed: int, test: bool) -> dict[str, Any]:
    v = VARIANTS[name]
    train = TrainConfig(**{**BASE_TRAIN, **v.train, "seed": seed})
    torch.manual_seed(seed)
    model, coverage = build(p, v.source, v.model)
    n = len(p.index["train"])
    batches = ShuffledBatches(
        n, train.batch_size, seed, lambda idx: collate(p, [p.index["train"][i] for i in idx])
    )
    t = time.perf_counter()
    trainer = Trainer(model, train, batches, evaluate=lambda m: score(m, p, "val"))
    trainer.fit()
    trainer.restore_best()
    out = {"variant": name, "seed": seed, **score(model, p, "val"), "coverage": coverage}
    if test:
        out.update(score(model, p, "test"))
    return {**out, "seconds": time.perf_counter() - t}


def cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def table(rows: list[dict[str, Any]], test: bool) -> None:
    keys = ["val_accuracy"] + (["test_accuracy"] if test else [])
    print(f"{'variant':18s} " + " ".join(f"{k:>22s}" for k in keys) + "  seeds")
    for name in dict.fromkeys(r["variant"] for r in rows):
        got = [r for r in rows if r["variant"] == name]
        cells = []
        for k in keys:
            v = [r[k] for r in got]
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            cells.append(f"{statistics.mean(v):.4f} ± {sd:.4f}".rjust(22))
        print(f"{name:18s} " + " ".join(cells) + f"  {len(got)}")


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--data", default="sentiment", help="a word-level text dataset of classify")
    a.add_argument("--variants", default="scratch,frozen,fine-tune", help=", ".join(VARIANTS))
    a.add_argument("--seeds", default="0", help="training seeds, comma-separated")
    a.add_argument("--test", action="store_true", help="also score the test split (once a run)")
    a.add_argument("--out", default="sentiment_vectors.jsonl", help="append each run here")
    args = a.parse_args()
    torch.set_num_threads(1)
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown {unknown} (known: {', '.join(VARIANTS)})")
    try:
        vocabs = sorted({(VARIANTS[v].min_count, VARIANTS[v].extra_words) for v in names})
        prepared = {k: prepare(args.data, *k) for k in vocabs}
    except ValueError as e:
        raise SystemExit(str(e)) from None
    for (n, extra), p in prepared.items():
        sizes = {k: len(v) for k, v in p.index.items()}
        what = f"min count {n}, {extra} more words"
        print(f"{cpu()}, 1 thread; {args.data} ({what}): {len(p.tokens)} words, {sizes}")
    rows = []
    for name in names:
        p = prepared[(VARIANTS[name].min_count, VARIANTS[name].extra_words)]
        for seed in map(int, args.seeds.split(",")):
            r = run(p, name, seed, args.test)
            rows.append(r)
            with open(args.out, "a") as f:
                f.write(json.dumps({"data": args.data, **r}) + "\n")
            test = f" test {r['test_accuracy']:.4f}" if args.test else ""
            print(f"{name} seed {seed}: val {r['val_accuracy']:.4f}{test} ({r['seconds']:.0f} s)")
    table(rows, args.test)


if __name__ == "__main__":
    main()
