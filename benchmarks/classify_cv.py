"""How the classifier's defaults are chosen: cross-validation inside the training split.

    python -m benchmarks.classify_cv --data japanese-vowels --variants base,max,lstm [--folds 5]

Each variant (flags over the defaults of `rnnkit classify train`) is trained on K
stratified folds of the training part of the data (its training and validation splits
together; the test split is never read): on each fold, the model trains on the other
folds less a validation tenth (for the checkpoint), and is scored on the fold. The
printed mean and spread of fold accuracy and macro-F1 are what the defaults were
chosen by; `rnnkit classify train` then scores the test split once.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch

from rnnkit.data.labelled import Labelled, stratified_split
from rnnkit.models.classifier import ClassifierConfig
from rnnkit.tasks.classify import ClassifyConfig, ClassifyTask
from rnnkit.tasks.lifecycle import Run, train
from rnnkit.training import TrainConfig

VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    # name: (ClassifyConfig, ClassifierConfig, TrainConfig) changes over the defaults
    "base": ({}, {}, {}),
    "max": ({}, {"pool": "max"}, {}),
    "mean": ({}, {"pool": "mean"}, {}),
    "attention": ({}, {"pool": "attention"}, {}),
    "lstm": ({}, {"cell": "lstm"}, {}),
    "no-noise": ({}, {"noise": 0.0}, {}),
    "noise-0.5": ({}, {"noise": 0.5}, {}),
    "keep-last": ({}, {}, {"keep": "last"}),
    "keep-best": ({}, {}, {"keep": "best"}),
    "hidden-128": ({}, {"hidden_size": 128}, {}),
    "steps-200": ({}, {}, {"steps": 200}),
    "steps-1000": ({}, {}, {"steps": 1000}),
    "steps-8000": ({}, {}, {"steps": 8000}),
    "unbalanced": ({"balance": "none"}, {}, {}),
}


def folds(task: ClassifyTask, k: int, seed: int) -> list[dict[str, list[int]]]:
    """K splits of the training part (train + val) only: train / val / held-out fold."""
    pool = sorted(task.index["train"] + task.index["val"])
    d = task.data
    inner = Labelled(d.name, d.kind, [d.items[i] for i in pool], [d.labels[i] for i in pool])
    rng = np.random.default_rng(seed)
    y = np.array(inner.labels)
    assign = np.empty(len(pool), dtype=int)
    for c in inner.classes:
        members = np.flatnonzero(y == c)
        assign[members[rng.permutation(len(members))]] = np.arange(len(members)) % k
    out = []
    for f in range(k):
        rest = Labelled(
            d.name,
            d.kind,
            inner.items,
            inner.labels,
            test=np.flatnonzero(assign == f).tolist(),
        )
        s = stratified_split(rest, test_fraction=0.5, val_fraction=0.1, seed=seed + f)
        out.append({name: [pool[i] for i in idx] for name, idx in s.items()})
    return out


def cross_validate(data: str, variant: str, k: int, seed: int) -> dict[str, Any]:
    data_changes, model_changes, train_changes = VARIANTS[variant]
    cls = ClassifyTask
    config = ClassifyConfig(data=data, baselines=False).replace(**data_changes)
    preset = cls.presets(config)
    model = ClassifierConfig(**{**cls.model_defaults, **preset.get("model", {}), **model_changes})
    changes = {**cls.train_defaults, **preset.get("train", {}), **train_changes, "seed": seed}
    train_config = TrainConfig(**changes)
    base = cls(config)
    scores, start = [], time.perf_counter()
    for index in folds(base, k, seed):
        task = cls(config)
        task.__dict__.update(data=base.data, index=index)  # the fold as the task's split
        result = train(task, Run(model, train_config))
        scores.append((result["test_accuracy"], result["test_macro_f1"]))
    acc, f1 = np.array(scores).T
    return {
        "data": data,
        "variant": variant,
        "folds": k,
        "accuracy": float(acc.mean()),
        "accuracy_std": float(acc.std()),
        "macro_f1": float(f1.mean()),
        "fold_accuracy": acc.round(4).tolist(),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="japanese-vowels")
    p.add_argument("--variants", default="base", help="comma list of: " + ", ".join(VARIANTS))
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)
    for variant in args.variants.split(","):
        r = cross_validate(args.data, variant, args.folds, args.seed)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(
                f"{r['data']:16s} {variant:12s} CV accuracy {r['accuracy']:.4f} ± "
                f"{r['accuracy_std']:.4f}  macro-F1 {r['macro_f1']:.4f}  ({r['seconds']:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
