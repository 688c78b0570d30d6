"""What a classifier run shows: the results table and its pictures.

``table`` renders a result (train, eval, or the mean of ``--seeds`` runs) as the model
and every baseline side by side; ``write_figures`` draws the test confusion matrix and,
for text, the page of test sentences coloured by attention or occlusion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnkit.analysis.classify_plots import Sentence, plot_confusion, write_word_page
from rnnkit.tasks.classify.data import collate
from rnnkit.tasks.contract import Finished
from rnnkit.tasks.registry import trained_for

KEYS = ("val_accuracy", "test_accuracy", "test_macro_f1")
PAGE_SENTENCES = 16  # sentences on attention.html


# -- what the command line prints ---


def headline(task: Any, model: Any, train: Any) -> str:
    d, sizes = task.data, {k: len(v) for k, v in task.index.items()}
    return (
        f"classify {d.name}: {len(d.classes)} classes, {sizes['train']} train / "
        f"{sizes['val']} val / {sizes['test']} test; {model_name(model)} H={model.hidden_size}, "
        f"up to {train.steps} steps"
    )


def model_name(config: Any) -> str:
    """E.g. "max-pooled biGRU"."""
    return f"{config.pool}-pooled {'bi' if config.bidirectional else ''}{config.cell.upper()}"


# -- the table ---------------------------------------------------------------------------


def table(r: dict[str, Any]) -> str:
    """The model and every baseline: validation and test accuracy, test macro-F1."""
    seeds = f" (mean ± std of {r['seeds']} seeds)" if "seeds" in r else ""
    lines = [
        f"{r['data']}: {len(r['classes'])} classes; test split of {r['sizes']['test']} "
        f"scored once{seeds}",
        "",
        "| model | val accuracy | test accuracy | test macro-F1 |",
        "|---|---:|---:|---:|",
    ]
    name = f"rnnkit {r.get('model', 'classifier')}"
    lines.append(f"| {name} | " + " | ".join(_cell(r, k) for k in KEYS) + " |")
    for b, m in sorted(r.get("baselines", {}).items(), key=lambda kv: -kv[1]["test_accuracy"]):
        lines.append(f"| {b} | " + " | ".join(_cell(m, k) for k in KEYS) + " |")
    if "steps" in r:
        lines.append("\n" + trained_for(r).strip())
    return "\n".join(lines)


def _cell(m: dict[str, Any], key: str) -> str:
    if key not in m:
        return "–"
    std = m.get(f"{key}_std")
    return f"{m[key]:.4f}" + (f" ± {std:.4f}" if std is not None else "")


# -- pictures ----------------------------------------------------------------------------


def write_figures(task: Any, run: Finished, root: Path) -> list[Path]:
    """confusion.png of the test split; for text, attention.html of a few test sentences."""
    paths = []
    test = run.outputs("test")
    if test is not None:
        title = f"{task.data.name}: test accuracy {test['accuracy']:.3f}"
        where, classes = root / "confusion.png", task.encoder.classes
        paths.append(plot_confusion(test["confusion"], classes, where, title=title))
    if task.encoder.kind == "text" and task.index["test"]:
        paths.append(word_page(task, run.model, root / "attention.html"))
    return paths


@torch.no_grad()
def word_weights(task: Any, model: Any, ids: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """(class probabilities (C,), one weight per token): the attention weights with
    attention pooling, else the drop in the predicted class's probability when the token
    is left out."""
    logits, attention = model.classify(collate([ids]))
    p = torch.softmax(logits, -1)[0]
    if attention is not None:
        return p.double().numpy(), attention[0].tolist()
    c = int(p.argmax())
    if len(ids) == 1:
        return p.double().numpy(), [0.0]
    without = [np.delete(ids, t) for t in range(len(ids))]
    q = torch.softmax(model(collate(without)).prediction, -1)[:, c]  # (T,)
    return p.double().numpy(), (p[c] - q).tolist()


def word_page(task: Any, model: Any, path: Path) -> Path:
    """A few test sentences (a fixed sample), each token coloured by its weight."""
    enc, test = task.encoder, task.index["test"]
    pick = np.random.default_rng(0).choice(len(test), min(PAGE_SENTENCES, len(test)), replace=False)
    sentences = []
    for i in sorted(test[j] for j in pick):
        ids = task.encoded[i]
        tokens = enc.split(task.data.items[i])[: len(ids)] or ["<empty>"]
        p, w = word_weights(task, model, ids)
        c = int(p.argmax())
        sentences.append(Sentence(tokens, w, task.data.labels[i], enc.classes[c], float(p[c])))
    attention = model.config.pool == "attention"
    note = (
        "Each token's background shows the attention weight the model gave it."
        if attention
        else "Each token's background shows how much the predicted class's probability drops "
        "when the token is left out (red: it supported the prediction; blue: it spoke against)."
    )
    title = f"{task.data.name}: what the classifier read"
    return write_word_page(sentences, path, title=title, signed=not attention, note=note)
