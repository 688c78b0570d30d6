"""`rnnkit classify predict`: label texts or series with a trained run.

``predict`` labels texts (or the series of a file) with a trained run and gives each
class's probability. ``rnnkit classify eval`` is the generic eval command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnkit.config import Config, require
from rnnkit.data.labelled import load_file
from rnnkit.tasks.classify import ClassifyTask
from rnnkit.tasks.contract import Console
from rnnkit.tasks.lifecycle import load
from rnnkit.tasks.registry import register_verb

# -- predict -----------------------------------------------------------------------------


@dataclass
class ClassifyPredictOptions(Config):
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
    task = loaded.task
    enc = task.encoder
    p = task.predict(loaded.model, [enc.encode(x) for x in inputs])
    return [
        {
            "label": enc.classes[int(row.argmax())],
            "probabilities": {c: float(v) for c, v in zip(enc.classes, row, strict=True)},
        }
        for row in p
    ]


def read_inputs(options: ClassifyPredictOptions) -> tuple[list[Any], list[str]]:
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


def run_predict(console: Console, *, options: ClassifyPredictOptions, seed: int) -> dict[str, Any]:
    """label texts or series with a trained classifier

    Print each input's most likely classes and their probabilities (`rnnkit classify
    predict RUN "a text"`, or --file with one text per line, a CSV/TSV, or .npz / .ts
    series); --json prints them all.
    """
    inputs, shown = read_inputs(options)
    predictions = predict(options.run, inputs)
    for what, p in zip(shown, predictions, strict=True):
        ranked = sorted(p["probabilities"].items(), key=lambda kv: -kv[1])[: options.top]
        probs = "  ".join(f"{c} {v:.3f}" for c, v in ranked)
        console.say(f"{p['label']}\t{probs}\t{what[:80]}")
    if len(predictions) == 1:
        return {**predictions[0], "text": shown[0]}
    return {"predictions": [{**p, "input": s} for p, s in zip(predictions, shown, strict=True)]}


register_verb(("classify", "predict"), run_predict, ClassifyPredictOptions, "prediction")
