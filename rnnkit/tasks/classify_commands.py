"""`rnnkit classify predict|eval`, the results table and the pictures of a run.

``predict`` labels texts (or the series of a file) with a trained run and gives each
class's probability; ``eval`` scores a run's validation and test splits again next to
every baseline on the same splits (a ``--seeds`` directory: every run, mean and std).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnkit.analysis.classify_plots import Sentence, plot_confusion, write_word_page
from rnnkit.config import Config, require
from rnnkit.data.labelled import load_file
from rnnkit.tasks.base import Console
from rnnkit.tasks.classify import ClassifyTask, model_name
from rnnkit.tasks.classify_data import collate
from rnnkit.tasks.lifecycle import aggregate, check_fingerprint, load
from rnnkit.tasks.registry import Command, Group, register_command

KEYS = ("val_accuracy", "test_accuracy", "test_macro_f1")
PAGE_SENTENCES = 16  # sentences on attention.html


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
        lines.append(f"\nafter {r['steps']:.0f} steps ({r['seconds']:.0f} s)")
    return "\n".join(lines)


def _cell(m: dict[str, Any], key: str) -> str:
    if key not in m:
        return "–"
    std = m.get(f"{key}_std")
    return f"{m[key]:.4f}" + (f" ± {std:.4f}" if std is not None else "")


# -- pictures ----------------------------------------------------------------------------


def write_figures(task: ClassifyTask, result: dict[str, Any], root: Path) -> list[Path]:
    """confusion.png of the test split; for text, attention.html of a few test sentences."""
    paths = []
    if "test" in result:
        title = f"{result['data']}: test accuracy {result['test_accuracy']:.3f}"
        paths.append(
            plot_confusion(
                result["test"]["confusion"], result["classes"], root / "confusion.png", title=title
            )
        )
    if task.encoder.kind == "text" and task.model is not None and task.index["test"]:
        paths.append(word_page(task, task.model, root / "attention.html"))
    return paths


@torch.no_grad()
def word_weights(task: ClassifyTask, model: Any, ids: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """(class probabilities (C,), one weight per token): the attention weights with
    attention pooling, else the drop in the predicted class's probability when the token
    is left out."""
    model.eval()
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


def word_page(task: ClassifyTask, model: Any, path: Path) -> Path:
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


# -- predict -----------------------------------------------------------------------------


@dataclass
class PredictOptions(Config):
    """Which run, which inputs."""

    run: str  # run directory of `rnnkit classify train`
    text: str | None = field(default=None, metadata={"positional": True})  # one text to label
    file: str | None = None  # texts (one per line, or a CSV/TSV) or series (.npz, .ts) to label
    top: int = 3  # probabilities shown per example (the most likely classes)

    def validate(self) -> None:
        require(self, "top", self.top >= 1, "an integer >= 1")


def predict(path: str | Path, inputs: list[Any]) -> list[dict[str, Any]]:
    """Each input's label and class probabilities (texts, or (T, F) arrays of series)."""
    loaded = load(path, expect=ClassifyTask)
    task: ClassifyTask = loaded.task  # type: ignore[assignment]
    enc = task.encoder
    p = task.predict(loaded.model, [enc.encode(x) for x in inputs])
    return [
        {
            "label": enc.classes[int(row.argmax())],
            "probabilities": {c: float(v) for c, v in zip(enc.classes, row, strict=True)},
        }
        for row in p
    ]


def read_inputs(options: PredictOptions) -> tuple[list[Any], list[str]]:
    """(inputs, how each is shown): the positional text, or the examples of --file."""
    if (options.text is None) == (options.file is None):
        raise ValueError("give one text to label, or --file with several (not both)")
    if options.text is not None:
        return [options.text], [options.text]
    path = Path(options.file)  # type: ignore[arg-type]
    if path.suffix.lower() in (".npz", ".ts", ".csv", ".tsv") or path.is_dir():
        data = load_file(path)
        shown = (
            data.items
            if data.kind == "text"
            else [f"{path.name}[{i}]" for i in range(len(data.items))]
        )
        return data.items, shown
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path}: no texts (the file is empty)")
    return lines, lines


def run_predict(console: Console, *, options: PredictOptions, seed: int) -> dict[str, Any]:
    inputs, shown = read_inputs(options)
    predictions = predict(options.run, inputs)
    for what, p in zip(shown, predictions, strict=True):
        ranked = sorted(p["probabilities"].items(), key=lambda kv: -kv[1])[: options.top]
        probs = "  ".join(f"{c} {v:.3f}" for c, v in ranked)
        console.say(f"{p['label']}\t{probs}\t{what[:80]}")
    if len(predictions) == 1:
        return {**predictions[0], "text": shown[0]}
    return {"predictions": [{**p, "input": s} for p, s in zip(predictions, shown, strict=True)]}


# -- eval --------------------------------------------------------------------------------


@dataclass
class ClassifyEvalOptions(Config):
    """Which run."""

    run: str  # run directory of `rnnkit classify train` (or the --out of a --seeds run)


def evaluate_run(path: str | Path) -> dict[str, Any]:
    """A run's validation and test scores again, next to the baselines on the same splits;
    a directory of --seeds runs: every run, with the mean and standard deviation."""
    root = Path(path)
    if not (root / "config.json").exists() and (root / "seeds.json").exists():
        runs = sorted(root.glob("seed-*"), key=lambda p: int(p.name.split("-")[1]))
        return aggregate([evaluate_run(p) for p in runs])
    loaded = load(root, expect=ClassifyTask)
    task: ClassifyTask = loaded.task  # type: ignore[assignment]
    check_fingerprint(root, loaded.config, task)
    scores: dict[str, float] = {}
    for split in ("val", "test"):
        scores.update(task.evaluate(loaded.model, split))
    return {
        "data": task.data.name,
        "classes": task.encoder.classes,
        "sizes": {k: len(v) for k, v in task.index.items()},
        "model": model_name(loaded.model_config),
        **scores,
        "test": task.test_metrics,
        "baselines": task.baselines(),
    }


def run_eval(console: Console, *, options: ClassifyEvalOptions, seed: int) -> dict[str, Any]:
    result = evaluate_run(options.run)
    console.say(table(result))
    return result


register_command(
    Command(
        path=("classify", "predict"),
        help="label texts or series with a trained classifier",
        description="Print each input's most likely classes and their probabilities "
        '(`rnnkit classify predict RUN "a text"`, or --file with one text per line, a '
        "CSV/TSV, or .npz / .ts series); --json prints them all.",
        groups=(Group("options", PredictOptions, "prediction"),),
        run=run_predict,
    )
)
register_command(
    Command(
        path=("classify", "eval"),
        help="a run's scores next to every baseline on the same splits",
        description="Score a classifier run's validation and test splits again, next to "
        "every applicable baseline fitted on the same training split.",
        groups=(Group("options", ClassifyEvalOptions, "run"),),
        run=run_eval,
    )
)
